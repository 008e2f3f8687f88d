package baseline

import (
	"regexp"
	"testing"
	"time"

	"breakwater/firewall/config"
	"breakwater/firewall/network"
	"breakwater/firewall/rules"
	"breakwater/firewall/state"
	"breakwater/protocols/view"
)

func TestRuleDefinitions(t *testing.T) {
	idPattern := regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)*$`)
	seen := map[string]bool{}
	for _, r := range Rules() {
		if !idPattern.MatchString(r.ID) || seen[r.ID] {
			t.Errorf("rule id %q is malformed or repeated", r.ID)
		}
		seen[r.ID] = true
		if r.Description == "" || r.Category == "" || r.Match == nil || r.Origin != "baseline" {
			t.Errorf("%s: incomplete definition %+v", r.ID, r)
		}
		if r.Action != rules.Drop && r.Action != rules.Reject {
			t.Errorf("%s: a baseline rule blocks; action %s", r.ID, r.Action)
		}
	}
	// Rules returns copies: changing one must not change the next call's.
	a := Rules()
	a[0].Action = rules.Log
	if Rules()[0].Action == rules.Log {
		t.Fatal("Rules shares its rule values between calls")
	}
}

func TestImplausibleMove(t *testing.T) {
	st := state.NewMemory(state.MemoryOptions{MaxLocations: 64, LocationTTL: 72 * time.Hour, MaxPending: 16, PendingTTL: time.Minute})
	cfg := &config.Config{Velocity: config.Velocity{MaxSpeedKmh: 1000}}
	plmn := func(s string) view.PLMN { p, _ := view.ParsePLMN(s); return p }
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var imsi view.Digits
	imsi.SetASCII([]byte("310260000000001"))
	key, _ := imsi.Uint64()
	st.SetLocation(key, state.Location{PLMN: plmn("23415"), Partner: "uk", Time: t0})

	cases := []struct {
		name  string
		to    string
		after time.Duration
		want  bool
	}{
		{"same PLMN at once", "23415", 0, false},
		{"same country, other operator, at once", "23410", 0, false},
		{"UK to France at once: touching territories", "20801", 0, false},
		{"UK to Australia after 1h", "50502", time.Hour, true},
		{"UK to Australia after 30h", "50502", 30 * time.Hour, false},
		{"clock going backwards counts as no time", "50502", -time.Hour, true},
		{"to an MCC without a place (901 international)", "90112", time.Minute, false},
		{"no visited PLMN", "", 0, false},
	}
	for _, c := range cases {
		m := &view.Message{IMSI: imsi, Time: t0.Add(c.after)}
		ctx := &rules.Context{Msg: m, State: st, Config: cfg, Net: &network.Network{}}
		var to view.PLMN
		if c.to != "" {
			to = plmn(c.to)
		}
		if got := implausibleMove(ctx, to); got != c.want {
			t.Errorf("%s: implausible=%v, want %v", c.name, got, c.want)
		}
	}
	// A subscriber never seen is plausible anywhere.
	var other view.Digits
	other.SetASCII([]byte("310260000000002"))
	ctx := &rules.Context{Msg: &view.Message{IMSI: other, Time: t0}, State: st, Config: cfg}
	if implausibleMove(ctx, plmn("50502")) {
		t.Error("unknown history judged implausible")
	}
}
