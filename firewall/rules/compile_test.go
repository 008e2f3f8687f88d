package rules

import (
	"strings"
	"testing"

	"breakwater/protocols/view"
)

func TestCompileExprErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`imsi == 3`, "mismatched types"},
		{`nosuch == "x"`, "unknown name"},
		{`op in imsi`, ""},
		{`imsi matches "("`, "regexp"},
		{`code`, "bool"},
		{`avp("No-Such-AVP") == ""`, "no AVP named"},
		{`len(imsi) > 3`, ""},
	}
	for _, c := range cases {
		_, err := CompileExpr(c.src)
		if err == nil {
			t.Errorf("%s: compiled, want error", c.src)
			continue
		}
		if c.want != "" && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to mention %q", c.src, err, c.want)
		}
	}
}

func TestCompileExprEval(t *testing.T) {
	m := &view.Message{Protocol: view.Diameter, Op: "IDR", Request: true, Code: 319, App: 16777251}
	m.IMSI.SetASCII([]byte("310260123456789"))
	c := &Context{Msg: m}
	cases := []struct {
		src  string
		want bool
	}{
		{`op == "IDR"`, true},
		{`op in ["ULR", "IDR"]`, true},
		{`op not in ["ULR", "IDR"]`, false},
		{`imsi startsWith "310260" && request`, true},
		{`code >= 316 and code <= 323 and app == 16777251`, true},
		{`has_prefix(imsi, ["234", "3102"])`, true},
		{`imsi matches "^3102[0-9]+$"`, true},
		{`!(proto == "diameter") || app_name == "S6a"`, true},
		{`app_name == "Sh"`, false},
		{`code in [1, 2, -3]`, false},
		{`camel`, false},
	}
	for _, tc := range cases {
		f, err := CompileExpr(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got := f(c); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.src, got, tc.want)
		}
		if n := testing.AllocsPerRun(100, func() { f(c) }); n != 0 {
			t.Errorf("%s allocates %v times per evaluation", tc.src, n)
		}
	}
	// A CAMEL dialogue's operation: CAP's initialDP, code 0.
	camel := &Context{Msg: &view.Message{Protocol: view.MAP, Op: "initialDP", Request: true, Flags: view.FlagCAMEL}}
	for src, want := range map[string]bool{`camel && op == "initialDP"`: true, `!camel`: false} {
		f, err := CompileExpr(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := f(camel); got != want {
			t.Errorf("%s = %v on a CAP message, want %v", src, got, want)
		}
	}
}
