package testvectors

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"

	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// A small valid file that the error cases below break in one place each.
const miniFile = `nodes:
  uk: "192.0.2.10:3868"
  hss: {addr: "10.10.1.1:3868"}
  hss6: "[2001:db8:a::1]:3868"
  de: {addr: "198.51.100.10:3868", transport: tcp}
scenarios:
  - name: mini
    summary: one request and its answer
    description: A minimal scenario.
    steps:
      - at: 0s
        from: uk
        to: hss
        diameter:
          cmd: PUR
          app: S6a
          avps:
            - Session-Id: "s;1;1"
            - User-Name: "310260000000001"
        expect: {verdict: allow, rule: default}
        reason: A purge.
      - at: 1s
        from: hss
        to: uk
        diameter:
          cmd: PUA
          app: S6a
          avps:
            - Session-Id: "s;1;1"
            - Result-Code: 2001
        expect: {verdict: allow, rule: default}
        reason: Its answer.
`

func TestParseMini(t *testing.T) {
	f, err := Parse("mini.yaml", []byte(miniFile))
	if err != nil {
		t.Fatal(err)
	}
	sc := f.Scenario("mini")
	req, ans := sc.Steps[0], sc.Steps[1]
	if req.Message.Code != diameter.CmdPurgeUE || !req.Message.Request() || req.Message.Flags != diameter.FlagRequest|diameter.FlagProxiable {
		t.Errorf("PUR in S6a resolved to code %d flags %#x", req.Message.Code, req.Message.Flags)
	}
	if ans.Message.HopByHop != req.Message.HopByHop || ans.Message.EndToEnd != req.Message.EndToEnd || ans.Message.Request() {
		t.Errorf("answer ids %#x/%#x, request %#x/%#x", ans.Message.HopByHop, ans.Message.EndToEnd, req.Message.HopByHop, req.Message.EndToEnd)
	}
	if want := DefaultBaseTime.Add(time.Second); !ans.Time().Equal(want) {
		t.Errorf("answer time %s, want %s", ans.Time(), want)
	}
	// The node that speaks first connects from an ephemeral port.
	if req.Dst() != f.Node("hss").Addr || req.Src().Addr() != f.Node("uk").Addr.Addr() || req.Src().Port() < 32768 {
		t.Errorf("request %s -> %s", req.Src(), req.Dst())
	}
	if ans.Src() != req.Dst() || ans.Dst() != req.Src() || req.Transport() != SCTP {
		t.Errorf("answer %s -> %s over %s", ans.Src(), ans.Dst(), req.Transport())
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown top-level key", "nodes:\n", "nodez: {}\nnodes:\n", "mini.yaml:1:1: scenario file: unknown key \"nodez\""},
		{"unknown step key", "        reason: A purge.", "        reason: A purge.\n        note: x", "mini.yaml:22:9: step: unknown key \"note\""},
		{"duplicate key", "          app: S6a\n          avps:\n            - Session-Id: \"s;1;1\"\n            - User-Name", "          app: S6a\n          app: S6a\n          avps:\n            - Session-Id: \"s;1;1\"\n            - User-Name", "mini.yaml:17:11: diameter: duplicate key \"app\""},
		{"missing key", "        reason: A purge.\n", "", "step: missing required key \"reason\""},
		{"unknown node", "        from: uk\n", "        from: fr\n", "mini.yaml:12:15: from: no node \"fr\""},
		{"unknown AVP", "User-Name: \"310260000000001\"", "User-Nmae: \"310260000000001\"", "mini.yaml:19:15: unknown AVP \"User-Nmae\""},
		{"bad integer", "Result-Code: 2001", "Result-Code: two", "mini.yaml:30:28: Result-Code (Unsigned32)"},
		{"bad verdict", "{verdict: allow, rule: default}\n        reason: A purge.", "{verdict: pass, rule: default}\n        reason: A purge.", "mini.yaml:20:27: verdict: use allow, drop or reject"},
		{"unknown rule", "rule: default}\n        reason: A purge.", "rule: DIA-C9}\n        reason: A purge.", "rule: \"DIA-C9\" is neither a baseline rule id"},
		{"orphan answer", "          cmd: PUA", "          cmd: CLA", "mini.yaml:22:9: answer without an earlier unanswered request"},
		{"IP versions", "        to: hss\n", "        to: hss6\n", "mini.yaml:11:9: step: uk and hss6 use different IP versions"},
		{"time order", "      - at: 0s", "      - at: 2s", "mini.yaml:22:13: at: steps must be in time order (previous step is at 2s)"},
		{"TCP framing", "        from: uk\n        to: hss\n        diameter:\n", "        from: de\n        to: hss\n        diameter:\n          length: 100\n", "break TCP framing"},
		{"bad PLMN", "User-Name: \"310260000000001\"", "Visited-PLMN-Id: \"plmn:31026x\"", "Visited-PLMN-Id (OctetString)"},
		{"bad hex", "User-Name: \"310260000000001\"", "User-Name: \"hex:0g\"", "bad hex"},
		{"bad command", "cmd: PUR", "cmd: XYZ", "cmd: unknown command \"XYZ\""},
		{"bad app", "app: S6a\n          avps:\n            - Session-Id: \"s;1;1\"\n            - User-Name", "app: S6z\n          avps:\n            - Session-Id: \"s;1;1\"\n            - User-Name", "app: \"S6z\" is neither"},
		{"duplicate scenario", "scenarios:\n", "scenarios:\n  - {name: mini, summary: s, description: d, steps: [{at: 0s, from: uk, to: hss, diameter: {cmd: DWR, app: Base}, expect: {verdict: allow, rule: default}, reason: r}]}\n", "scenario name \"mini\" is already used at line 7"},
		{"bad address", "\"192.0.2.10:3868\"", "\"192.0.2.10\"", "node uk: \"192.0.2.10\" is not IP:port"},
		{"MALFORMED without reason", "rule: default}\n        reason: A purge.", "rule: MALFORMED}\n        reason: A purge.", "mini.yaml:20:17: expect: a MALFORMED step names the parser's reason"},
		{"reason without MALFORMED", "rule: default}\n        reason: A purge.", "rule: default, malformed: x}\n        reason: A purge.", "expect: malformed is only for steps whose rule is MALFORMED"},
		{"AVP entry shape", "            - User-Name: \"310260000000001\"", "            - {User-Name: \"310260000000001\", Session-Id: x}", "each entry is a mapping with exactly one key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(miniFile, c.old, c.new, 1)
			if doc == miniFile {
				t.Fatalf("test case does not change the file")
			}
			_, err := Parse("mini.yaml", []byte(doc))
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

// avpData returns the data of the first top-level AVP with that code and
// vendor, and its flags.
func avpData(t *testing.T, msg []byte, code, vendor uint32) ([]byte, uint8) {
	t.Helper()
	m, err := diameter.Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	a, n := m.Find(code, vendor)
	if n == 0 {
		t.Fatalf("no AVP %d/%d", code, vendor)
	}
	return a.Data, a.Flags
}

func TestEncodeValues(t *testing.T) {
	doc := strings.Replace(miniFile, `            - User-Name: "310260000000001"`, `            - User-Name: "310260000000001"
            - Visited-PLMN-Id: "plmn:23415"
            - MSISDN: "tbcd:12065550101"
            - Host-IP-Address: "2001:db8:a::1"
            - Event-Timestamp: "2026-01-01T00:00:00Z"
            - Auth-Session-State: NO_STATE_MAINTAINED
            - Service-Selection: internet
            - Subscription-Id: [{Subscription-Id-Type: END_USER_IMSI}, {Subscription-Id-Data: "310260000000001"}]
            - raw_avp: {code: 999, data: "abc"}
            - raw_avp: {name: ULR-Flags, data: "hex:00000022", length: 16, pad: false}
            - raw: "hex:cafe"`, 1)
	f, err := Parse("mini.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := f.Steps()[0].Encode()
	if err != nil {
		t.Fatal(err)
	}
	// The last AVPs are deliberately odd: check the message up to them.
	cut := bytes.Index(msg, []byte{0, 0, 3, 0xe7}) // raw_avp code 999
	if cut < 0 {
		t.Fatal("raw_avp 999 not found")
	}
	head := append([]byte(nil), msg[:cut]...)
	head[1], head[2], head[3] = byte(cut>>16), byte(cut>>8), byte(cut)

	if d, _ := avpData(t, head, diameter.AVPVisitedPLMNID, diameter.Vendor3GPP); !bytes.Equal(d, []byte{0x32, 0xf4, 0x51}) {
		t.Errorf("Visited-PLMN-Id % x", d)
	}
	if d, _ := avpData(t, head, diameter.AVPMSISDN, diameter.Vendor3GPP); !bytes.Equal(d, []byte{0x21, 0x60, 0x55, 0x05, 0x01, 0xf1}) {
		t.Errorf("MSISDN % x", d)
	}
	if d, _ := avpData(t, head, 257, 0); len(d) != 18 || d[1] != 2 {
		t.Errorf("Host-IP-Address % x", d)
	}
	if d, _ := avpData(t, head, 55, 0); binary.BigEndian.Uint32(d) != uint32(DefaultBaseTime.Sub(ntpEpoch)/time.Second) {
		t.Errorf("Event-Timestamp % x", d)
	}
	if d, _ := avpData(t, head, 277, 0); binary.BigEndian.Uint32(d) != 1 {
		t.Errorf("Auth-Session-State % x", d)
	}
	// Service-Selection is an IETF AVP (RFC 5778): no vendor, even though
	// go-diameter's S6a dictionary gives it vendor 10415.
	if d, flags := avpData(t, head, 493, 0); string(d) != "internet" || flags&diameter.AVPFlagVendor != 0 {
		t.Errorf("Service-Selection %q flags %#x", d, flags)
	}
	var v view.Message
	if err := diameter.Decode(head, &v); err != nil || v.IMSI.String() != "310260000000001" || v.MSISDN.String() != "12065550101" || v.VisitedPLMN.String() != "23415" {
		t.Errorf("decoded %v: IMSI %s MSISDN %s PLMN %s", err, v.IMSI.String(), v.MSISDN.String(), v.VisitedPLMN.String())
	}

	tail := msg[cut:]
	want := []byte{0, 0, 3, 0xe7, 0x40, 0, 0, 11, 'a', 'b', 'c', 0, // raw_avp 999: M flag, real length, padded
		0, 0, 5, 0x7d, 0xc0, 0, 0, 16, 0, 0, 0x28, 0xaf, 0, 0, 0, 0x22, // ULR-Flags by name: V|M, vendor, length 16 as given
		0xca, 0xfe} // raw bytes, verbatim: the message length is now 2 modulo 4
	if !bytes.Equal(tail, want) {
		t.Errorf("raw tail\n got % x\nwant % x", tail, want)
	}
}

func TestEncodeOverrides(t *testing.T) {
	doc := strings.Replace(miniFile, "          cmd: PUR\n", "          cmd: PUR\n          version: 2\n          length: 7\n          flags: 0xa0\n          hbh: 0x01020304\n          e2e: 5\n          append: \"hex:ff\"\n", 1)
	doc = strings.Replace(doc, "          cmd: PUA\n", "          cmd: PUA\n          hbh: 1\n          e2e: 2\n", 1)
	f, err := Parse("mini.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := f.Steps()[0].Encode()
	if err != nil {
		t.Fatal(err)
	}
	if msg[0] != 2 || msg[1] != 0 || msg[2] != 0 || msg[3] != 7 || msg[4] != 0xa0 ||
		binary.BigEndian.Uint32(msg[12:]) != 0x01020304 || binary.BigEndian.Uint32(msg[16:]) != 5 || msg[len(msg)-1] != 0xff || len(msg)%4 != 1 {
		t.Errorf("header % x ... % x (%d bytes)", msg[:20], msg[len(msg)-4:], len(msg))
	}
}

func TestEncodeTBCD(t *testing.T) {
	for in, want := range map[string][]byte{"1": {0xf1}, "12": {0x21}, "123": {0x21, 0xf3}} {
		got, err := encodeTBCD(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("encodeTBCD(%q) = % x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "12a", "+1"} {
		if _, err := encodeTBCD(bad); err == nil {
			t.Errorf("encodeTBCD(%q) accepted", bad)
		}
	}
}

// The schema example in README.md is a valid scenario file.
func TestReadmeExampleParses(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```yaml example")
	}
	f, err := Parse("README.md example", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if st := f.Steps()[0]; st.Expect.Rule != "DIA-C2-VISITED-PLMN" || st.Message.Code != diameter.CmdUpdateLocation {
		t.Errorf("example parsed as %+v", st.Expect)
	}
}
