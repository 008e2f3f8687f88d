package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"breakwater/protocols/view"
)

func testBaseline() []*Rule {
	return []*Rule{
		{ID: "GUARD", Tier: TierGuard, Category: Malformed, Action: Drop, Origin: "baseline",
			Match: func(c *Context) bool { return c.Msg.Malformed != "" }},
		{ID: "BASE-A", Tier: TierBaseline, Category: Cat1, Action: Reject, Origin: "baseline",
			Protocols: []view.Protocol{view.Diameter},
			Match:     func(c *Context) bool { return c.Msg.Op == "IDR" }},
	}
}

func TestParseRuleFileErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown disable", "disable: [NOPE]\n", []string{"r.yaml:1:11: disable: no baseline rule \"NOPE\""}},
		{"unknown override", "override:\n  - id: NOPE\n    action: drop\n", []string{"r.yaml:2:9: override: no baseline rule"}},
		{"bad action", "override:\n  - id: BASE-A\n    action: maybe\n", []string{"r.yaml:3:13:", "use allow, drop, reject or log"}},
		{"duplicate id", "rules:\n  - id: BASE-A\n    match: 'true'\n    action: log\n", []string{"r.yaml:2:9: rule id \"BASE-A\" is already used by baseline"}},
		{"bad id", "rules:\n  - id: 'has space'\n    match: 'true'\n    action: log\n", []string{"r.yaml:2:9:", "use 1 to 64 letters"}},
		{"missing match", "rules:\n  - id: X\n    action: log\n", []string{"r.yaml:2:5:", "missing required key \"match\""}},
		{"type error single-quoted", "rules:\n  - id: X\n    match: 'imsi == 3'\n    action: log\n", []string{"r.yaml:3:", "rule X: match:"}},
		{"unknown name plain", "rules:\n  - id: X\n    match: nosuch\n    action: log\n", []string{"r.yaml:3:12:", "unknown name"}},
		{"error in block scalar", "rules:\n  - id: X\n    match: |\n      op == \"IDR\" &&\n        imsi == 3\n    action: log\n", []string{"r.yaml:5:", "rule X: match:"}},
		{"bad category", "rules:\n  - id: X\n    category: 4\n    match: 'true'\n    action: log\n", []string{"r.yaml:3:15:", "use 1, 2, 3"}},
		{"bad sender", "rules:\n  - id: X\n    from: [mars]\n    match: 'true'\n    action: log\n", []string{"r.yaml:3:12:", "use partner, home or unknown"}},
		{"bad protocol", "rules:\n  - id: X\n    protocols: [sip]\n    match: 'true'\n    action: log\n", []string{"r.yaml:3:17:", "use diameter"}},
		{"two errors reported together", "rules:\n  - id: X\n    match: 'imsi == 3'\n    action: log\n  - id: Y\n    match: 'true'\n    action: nope\n", []string{"r.yaml:3:", "r.yaml:7:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("r.yaml", []byte(c.yaml), testBaseline())
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseRuleFile(t *testing.T) {
	s, err := Parse("r.yaml", []byte(`
disable: [BASE-A]
rules:
  - id: MINE
    category: "2"
    protocols: [diameter]
    from: [partner, unknown]
    match: 'op == "ULR"'
    action: reject
    result_code: 5420
`), testBaseline())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules) != 2 || s.Rules[0].ID != "GUARD" || s.Rules[1].ID != "MINE" {
		t.Fatalf("rules %v", s.Rules)
	}
	if len(s.Disabled) != 1 || s.Disabled[0].ID != "BASE-A" {
		t.Fatalf("disabled %v", s.Disabled)
	}
	mine := s.Find("MINE")
	if mine.Category != Cat2 || mine.Action != Reject || mine.ResultCode != 5420 || mine.Origin != "r.yaml:4" ||
		mine.From != FromPartner|FromUnknown || mine.From.String() != "partner,unknown" {
		t.Fatalf("MINE = %+v", mine)
	}
	if !strings.HasPrefix(s.Version, BaselineVersion+"+") {
		t.Fatalf("version %q", s.Version)
	}
	// The same bytes give the same version; different bytes a different one.
	s2, _ := Parse("r.yaml", []byte("disable: [BASE-A]\n"), testBaseline())
	if s2.Version == s.Version {
		t.Fatal("different files, same version")
	}
	// Overrides must not leak into the baseline definitions.
	base := testBaseline()
	if _, err := Parse("r.yaml", []byte("override:\n  - id: BASE-A\n    action: log\n"), base); err != nil {
		t.Fatal(err)
	}
	if base[1].Action != Reject {
		t.Fatal("override modified the caller's baseline rule")
	}
}

func TestEvaluateOrder(t *testing.T) {
	s, err := Parse("r.yaml", []byte(`
rules:
  - id: LOG1
    match: 'true'
    action: log
  - id: ALLOW-IDR
    match: 'op == "IDR" && imsi == "1"'
    action: allow
`), testBaseline())
	if err != nil {
		t.Fatal(err)
	}
	m := &view.Message{Protocol: view.Diameter, Op: "IDR"}
	res := s.Evaluate(&Context{Msg: m})
	if res.Rule.ID != "BASE-A" || res.Action != Reject || res.NLog != 1 || res.Logged[0].ID != "LOG1" {
		t.Fatalf("IDR: %s by %s, logged %d", res.Action, res.Rule.ID, res.NLog)
	}
	m.IMSI.SetASCII([]byte("1"))
	if res := s.Evaluate(&Context{Msg: m}); res.Rule.ID != "ALLOW-IDR" {
		t.Fatalf("custom allow before baseline: got %s", res.Rule.ID)
	}
	m.Malformed = "broken"
	if res := s.Evaluate(&Context{Msg: m}); res.Rule.ID != "GUARD" {
		t.Fatalf("guard before custom: got %s", res.Rule.ID)
	}
	// Baseline rules limited to Diameter do not see GTP messages.
	g := &view.Message{Protocol: view.GTPv2C, Op: "IDR"}
	if res := s.Evaluate(&Context{Msg: g}); res.Rule != DefaultRule || res.NLog != 1 {
		t.Fatalf("GTP: %s", res.Rule.ID)
	}
}

// An empty rule file is refused (an editor's save caught between the
// truncation and the write must not drop the operator's rules).
func TestLoadRefusesEmptyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(p, []byte("  \n"), 0o644)
	if _, err := Load(p, testBaseline()); err == nil || !strings.Contains(err.Error(), "rules: []") {
		t.Fatalf("empty rule file: %v", err)
	}
	os.WriteFile(p, []byte("rules: []\n"), 0o644)
	if _, err := Load(p, testBaseline()); err != nil {
		t.Fatalf("rules: []: %v", err)
	}
}
