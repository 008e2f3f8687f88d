package admin

import (
	"net/http"
	"time"
)

// QuarantineEntry is one isolated partner.
type QuarantineEntry struct {
	Partner string    `json:"partner"`
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until,omitzero"` // zero: until lifted
	Reason  string    `json:"reason"`
}

// Quarantine is the set of isolated partners the API manages.
type Quarantine interface {
	Quarantine(partner string, until time.Time, reason string) error
	Lift(partner string) error
	List() []QuarantineEntry
}

// MaxQuarantine bounds a quarantine asked for through the API with a
// duration (without one it lasts until lifted).
const MaxQuarantine = 365 * 24 * time.Hour

func (a *API) registerQuarantine(mux *http.ServeMux, o *Options) {
	mux.HandleFunc("GET /api/v1/quarantine", a.authorized(func(w http.ResponseWriter, _ *http.Request) {
		if a.Quarantine == nil {
			writeError(w, http.StatusNotImplemented, "quarantine is not available")
			return
		}
		writeJSON(w, http.StatusOK, a.Quarantine.List())
	}))
	// POST /api/v1/quarantine/{partner}?for=1h&reason=...: isolate a
	// partner now (for a while, or until lifted).
	mux.HandleFunc("POST /api/v1/quarantine/{partner}", a.authorized(func(w http.ResponseWriter, r *http.Request) {
		if a.Quarantine == nil {
			writeError(w, http.StatusNotImplemented, "quarantine is not available")
			return
		}
		name := r.PathValue("partner")
		if o.Engine.Policy().Net.ByName(name) == nil || name == "home" {
			writeError(w, http.StatusNotFound, "no partner %q in the configuration (see GET /api/v1/partners)", name)
			return
		}
		var until time.Time
		if f := r.URL.Query().Get("for"); f != "" {
			d, err := time.ParseDuration(f)
			if err != nil || d <= 0 || d > MaxQuarantine {
				writeError(w, http.StatusBadRequest, "for=%q: give a positive duration up to %s (e.g. 30m, 1h), or none to quarantine until lifted", f, MaxQuarantine)
				return
			}
			until = time.Now().Add(d)
		}
		reason := "manual"
		if why := r.URL.Query().Get("reason"); why != "" {
			reason += ": " + why
		}
		if err := a.Quarantine.Quarantine(name, until, reason); err != nil {
			writeError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		for _, e := range a.Quarantine.List() {
			if e.Partner == name {
				writeJSON(w, http.StatusOK, e)
				return
			}
		}
		writeError(w, http.StatusInternalServerError, "partner %s not in the quarantine set after quarantining it", name)
	}))
	mux.HandleFunc("DELETE /api/v1/quarantine/{partner}", a.authorized(func(w http.ResponseWriter, r *http.Request) {
		if a.Quarantine == nil {
			writeError(w, http.StatusNotImplemented, "quarantine is not available")
			return
		}
		name := r.PathValue("partner")
		if err := a.Quarantine.Lift(name); err != nil {
			writeError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"lifted": name})
	}))
}
