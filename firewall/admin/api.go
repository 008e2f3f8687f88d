package admin

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/reload"
)

// API is what the admin API (/api/v1/...) reports on and acts on. Every
// answer is JSON; errors are {"error": "..."} with a 4xx/5xx status.
type API struct {
	// Token, when not empty, is the bearer token every /api/v1 request
	// must carry (Authorization: Bearer TOKEN).
	Token string
	// Reload re-reads the configuration and rule files now and returns
	// the policy version in force afterwards, or why the files were
	// refused (the running policy then stays).
	Reload  func() (string, error)
	Reloads *reload.Stats
	// Quarantine manages partner isolation (nil: not available).
	Quarantine Quarantine
	// Started is when this instance started.
	Started time.Time
	// State, when set, describes the state backend in the status (for
	// a cluster: this node, whether Redis is reachable, the peers).
	State func() any
}

// LoadToken reads a bearer token file (surrounding white space trimmed).
func LoadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if len(t) < 16 {
		return "", fmt.Errorf("admin token %s: only %d characters; use at least 16 random ones (e.g. `head -c 24 /dev/urandom | base64 > %s`)", path, len(t), path)
	}
	return t, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// authorized wraps an API handler with the bearer-token check.
func (a *API) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="breakwater"`)
				writeError(w, http.StatusUnauthorized, "missing or wrong bearer token (admin.token_file)")
				return
			}
		}
		h(w, r)
	}
}

// register adds the API's routes to mux.
func (a *API) register(mux *http.ServeMux, s *Server, o *Options) {
	mux.HandleFunc("GET /api/v1/status", a.authorized(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.status(s, o))
	}))
	mux.HandleFunc("GET /api/v1/partners", a.authorized(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.partners(o.Engine))
	}))
	mux.HandleFunc("GET /api/v1/rules", a.authorized(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, rulesOf(o.Engine.Policy()))
	}))
	mux.HandleFunc("POST /api/v1/reload", a.authorized(func(w http.ResponseWriter, _ *http.Request) {
		if a.Reload == nil {
			writeError(w, http.StatusNotImplemented, "reload is not available")
			return
		}
		v, err := a.Reload()
		if err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error(), "policy": v})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"policy": v})
	}))
	a.registerQuarantine(mux, o)
}

type statusJSON struct {
	Version     string            `json:"version"`
	Started     time.Time         `json:"started"`
	Uptime      string            `json:"uptime"`
	Policy      policyJSON        `json:"policy"`
	Reloads     *reloadsJSON      `json:"reloads,omitempty"`
	Relays      []relayJSON       `json:"relays"`
	Prefilter   prefilterJSON     `json:"prefilter"`
	Messages    map[string]uint64 `json:"messages"`
	Quarantined []QuarantineEntry `json:"quarantined"`
	State       any               `json:"state,omitempty"`
}

type policyJSON struct {
	Version string    `json:"version"`
	Loaded  time.Time `json:"loaded"`
	Config  string    `json:"config"`
	Rules   string    `json:"rules,omitempty"`
}

type reloadsJSON struct {
	OK          uint64    `json:"ok"`
	Failed      uint64    `json:"failed"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

type relayJSON struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Listen   string `json:"listen"`
	Pairs    int64  `json:"pairs,omitempty"`
}

type prefilterJSON struct {
	Mode     string            `json:"mode"`
	Attached []Attachment      `json:"attached,omitempty"`
	Counters map[string]uint64 `json:"counters,omitempty"`
}

func (a *API) status(s *Server, o *Options) statusJSON {
	p := o.Engine.Policy()
	st := statusJSON{
		Version: o.Version, Started: a.Started, Uptime: time.Since(a.Started).Round(time.Second).String(),
		Policy: policyJSON{Version: p.Version(), Loaded: p.Loaded, Config: p.Config.Path, Rules: p.Config.RulesPath()},
		Messages: map[string]uint64{
			"judged": o.Engine.Stats.Judged(), "allowed": o.Engine.Stats.Allowed(),
			"dropped": o.Engine.Stats.Dropped(), "rejected": o.Engine.Stats.Rejected(),
			"malformed": o.Engine.Stats.Malformed(),
		},
		Quarantined: []QuarantineEntry{},
	}
	if a.State != nil {
		st.State = a.State()
	}
	if r := a.Reloads; r != nil {
		st.Reloads = &reloadsJSON{OK: r.OK.Load(), Failed: r.Failed.Load()}
		st.Reloads.LastError, st.Reloads.LastErrorAt = r.LastError()
	}
	for _, r := range o.Relays {
		st.Relays = append(st.Relays, relayJSON{Name: r.Name(), Protocol: "diameter", Listen: r.Addr().String(), Pairs: r.Stats.ActivePairs.Load()})
	}
	for _, r := range o.GTPRelays {
		st.Relays = append(st.Relays, relayJSON{Name: r.Name(), Protocol: "gtp-c", Listen: r.Addr().String()})
	}
	for _, r := range o.M3UARelays {
		st.Relays = append(st.Relays, relayJSON{Name: r.Name(), Protocol: "m3ua", Listen: r.Addr().String(), Pairs: r.Stats.ActivePairs.Load()})
	}
	st.Prefilter.Mode = "user space"
	if pf := o.Prefilter; pf.XDP != nil {
		st.Prefilter.Mode = "xdp"
		st.Prefilter.Attached = pf.Attached
		st.Prefilter.Counters, _ = pf.XDP()
	}
	if a.Quarantine != nil {
		st.Quarantined = a.Quarantine.List()
	}
	return st
}

type partnerJSON struct {
	Name              string    `json:"name"`
	PLMNs             []string  `json:"plmns"`
	Realms            []string  `json:"realms"`
	Addresses         []string  `json:"addresses"`
	InterPLMNMobility bool      `json:"inter_plmn_mobility"`
	RateLimitPPS      uint32    `json:"rate_limit_pps,omitempty"`
	RateLimitBurst    uint32    `json:"rate_limit_burst,omitempty"`
	Quarantined       bool      `json:"quarantined"`
	QuarantinedUntil  time.Time `json:"quarantined_until,omitzero"`
}

func (a *API) partners(eng *engine.Engine) []partnerJSON {
	p := eng.Policy()
	q := map[string]QuarantineEntry{}
	if a.Quarantine != nil {
		for _, e := range a.Quarantine.List() {
			q[e.Partner] = e
		}
	}
	out := []partnerJSON{}
	for _, m := range p.Net.Partners {
		j := partnerJSON{Name: m.Name, InterPLMNMobility: m.InterPLMNMobility, RateLimitPPS: m.RatePPS, RateLimitBurst: m.RateBurst,
			PLMNs: []string{}, Realms: append([]string{}, m.Realms...), Addresses: []string{}}
		for _, pl := range m.PLMNs {
			j.PLMNs = append(j.PLMNs, pl.String())
		}
		for _, pfx := range m.Addresses {
			j.Addresses = append(j.Addresses, pfx.String())
		}
		if e, ok := q[m.Name]; ok {
			j.Quarantined, j.QuarantinedUntil = true, e.Until
		}
		out = append(out, j)
	}
	return out
}

type ruleJSON struct {
	ID          string `json:"id"`
	Category    string `json:"category"`
	Action      string `json:"action"`
	Origin      string `json:"origin"`
	Description string `json:"description,omitempty"`
	Hits        uint64 `json:"hits"`
}

func rulesOf(p *engine.Policy) map[string]any {
	rs := []ruleJSON{}
	for _, r := range p.Rules.Rules {
		rs = append(rs, ruleJSON{ID: r.ID, Category: string(r.Category), Action: r.Action.String(), Origin: r.Origin,
			Description: r.Description, Hits: p.Rules.Hits(r)})
	}
	var disabled []string
	for _, r := range p.Rules.Disabled {
		disabled = append(disabled, r.ID)
	}
	return map[string]any{"version": p.Version(), "loaded": p.Loaded, "rules": rs, "disabled": disabled}
}
