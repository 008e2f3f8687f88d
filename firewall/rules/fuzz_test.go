package rules

import (
	"testing"

	"breakwater/firewall/config"
	"breakwater/firewall/network"
	"breakwater/protocols/view"
)

// fuzzNet is a small network map so that rules reading owners run fully.
func fuzzNet(f *testing.F) *network.Network {
	c, err := config.Parse("n.yaml", []byte("home:\n  plmns: [\"310260\"]\n  realms: [h.example]\n  gt_prefixes: [\"1206\"]\n  addresses: [\"10.0.0.0/8\"]\npartners:\n  - name: a\n    plmns: [\"23415\"]\n    addresses: [\"192.0.2.0/24\"]\n"))
	if err != nil {
		f.Fatal(err)
	}
	return network.New(c)
}

// FuzzParse feeds arbitrary rule files to the loader and evaluates what
// compiles against a message: loading must never panic, and a compiled
// rule must never panic when run.
func FuzzParse(f *testing.F) {
	f.Add([]byte("disable: [BASE-A]\nrules:\n  - id: X\n    match: 'op == \"IDR\" && home_imsi'\n    action: drop\n"))
	f.Add([]byte("rules:\n  - id: Y\n    match: 'avp(1407, 10415) != \"\" || avp_int(\"Result-Code\") > 2000'\n    action: log\n"))
	f.Add([]byte("rules:\n  - id: Z\n    match: |\n      imsi matches \"^3102\" and not (partner in [\"a\", \"b\"])\n    action: reject\n    result_code: 5012\n"))
	f.Add([]byte("override:\n  - id: BASE-A\n    action: log\n"))
	msg := &view.Message{Protocol: view.Diameter, Op: "IDR", Request: true, Code: 319, App: 16777251,
		Raw: []byte{1, 0, 0, 20, 0x80, 0, 1, 0x3f, 1, 0, 0, 0x23, 0, 0, 0, 1, 0, 0, 0, 1}}
	msg.IMSI.SetASCII([]byte("310260123456789"))
	net := fuzzNet(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, testBaseline())
		if err != nil {
			return
		}
		s.Evaluate(&Context{Msg: msg, Net: net, Sender: net.Partners[0]})
	})
}

// FuzzCompileExpr compiles arbitrary expressions and runs what compiles.
func FuzzCompileExpr(f *testing.F) {
	for _, s := range []string{`op == "IDR"`, `code in [1, 2]`, `imsi startsWith "3" && !request`,
		`has_prefix(msisdn, ["1"]) ? app > 3 : false`, `avp("User-Name") contains "@"`, `-code < -3`} {
		f.Add(s)
	}
	msg := &view.Message{Protocol: view.GTPv2C, Op: "CreateSessionRequest"}
	net := fuzzNet(f)
	f.Fuzz(func(t *testing.T, src string) {
		fn, err := CompileExpr(src)
		if err != nil {
			return
		}
		fn(&Context{Msg: msg, Net: net})
	})
}
