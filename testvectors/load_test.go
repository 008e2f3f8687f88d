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

// A small valid SS7 file that the MAP error cases break in one place each.
const miniMAPFile = `nodes:
  vlr: {addr: "192.0.2.30:2905", gt: "447785000030", ssn: 7, pc: 2-068-1}
  hlr: {addr: "10.10.7.1:2905", gt: "12065550001", ssn: 6, pc: 3-020-1}
  dia: "10.10.1.1:3868"
scenarios:
  - name: mini-map
    summary: sendIMSI and its result
    description: A minimal SS7 scenario.
    steps:
      - at: 0s
        from: vlr
        to: hlr
        map:
          otid: 0x01020304
          invoke: {op: sendIMSI, arg: "12065550101"}
        expect: {verdict: reject, rule: MAP-C1-OPERATION}
        reason: Category 1.
      - at: 1s
        from: hlr
        to: vlr
        map:
          tcap: end
          result: {op: sendIMSI, res: "310260800000001"}
        expect: {verdict: allow, rule: default}
        reason: Its answer.
`

// The encoder's bytes for one message, against a reference assembled by
// hand from Q.773, TS 29.002, Q.713 and RFC 4666.
func TestEncodeMAP(t *testing.T) {
	f, err := Parse("mini.yaml", []byte(miniMAPFile))
	if err != nil {
		t.Fatal(err)
	}
	req, res := f.Steps()[0], f.Steps()[1]
	tcap := []byte{
		0x62, 0x39, // Begin
		0x48, 0x04, 0x01, 0x02, 0x03, 0x04, // otid
		0x6b, 0x1e, 0x28, 0x1c, // dialogue portion, EXTERNAL
		0x06, 0x07, 0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01, // dialogue-as-id
		0xa0, 0x11, 0x60, 0x0f, // single-ASN1-type, AARQ
		0x80, 0x02, 0x07, 0x80, // protocol-version version1
		0xa1, 0x09, 0x06, 0x07, 0x04, 0x00, 0x00, 0x01, 0x00, 0x1a, 0x02, // imsiRetrievalContext-v2
		0x6c, 0x11, 0xa1, 0x0f, // components, invoke
		0x02, 0x01, 0x01, // invokeID 1
		0x02, 0x01, 0x3a, // sendIMSI (58)
		0x04, 0x07, 0x91, 0x21, 0x60, 0x55, 0x05, 0x01, 0xf1, // msisdn +12065550101
	}
	got, err := req.Encode()
	if err != nil || !bytes.Equal(got, tcap) {
		t.Fatalf("TCAP\n got % x (%v)\nwant % x", got, err, tcap)
	}
	called := []byte{0x12, 0x06, 0x00, 0x11, 0x04, 0x21, 0x60, 0x55, 0x05, 0x00, 0x01}  // GTI 4, SSN 6, 11 digits
	calling := []byte{0x12, 0x07, 0x00, 0x12, 0x04, 0x44, 0x77, 0x58, 0x00, 0x00, 0x03} // SSN 7, 12 digits (even)
	// UDT, class 1 with return on error, pointers to 5, 17 and 29.
	sccp := append([]byte{0x09, 0x81, 0x03, 0x0e, 0x19, byte(len(called))}, called...)
	sccp = append(append(sccp, byte(len(calling))), calling...)
	sccp = append(append(sccp, byte(len(tcap))), tcap...)
	m3ua := []byte{0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x74, // DATA, 116 octets
		0x02, 0x10, 0x00, 0x69, // protocol data, 105 octets
		0x00, 0x00, 0x12, 0x21, // OPC 2-068-1 = 4641
		0x00, 0x00, 0x18, 0xa1, // DPC 3-020-1 = 6305
		0x03, 0x00, 0x00, 0x00} // SI SCCP, NI international, MP 0, SLS 0
	m3ua = append(append(m3ua, sccp...), 0x00, 0x00, 0x00) // padded to 4 octets
	packets, err := req.Packets()
	if err != nil || len(packets) != 1 || !bytes.Equal(packets[0], m3ua) {
		t.Fatalf("M3UA\n got % x (%v)\nwant % x", packets, err, m3ua)
	}
	// The End answers the Begin: dtid is the Begin's otid, the AARE
	// repeats the context, the result names invoke 1.
	m := res.MAP
	if m.DTID != 0x01020304 || m.Dialogue != dlgAARE || m.AC != 26 || m.ACVersion != 2 || m.Components[0].ID != 1 {
		t.Errorf("End: dtid %#x dialogue %d AC %d/%d id %d", m.DTID, m.Dialogue, m.AC, m.ACVersion, m.Components[0].ID)
	}
	if m.SCCP.Calling.GT != "12065550001" || m.M3UA.OPC != 6305 || m.M3UA.DPC != 4641 {
		t.Errorf("End addressed %+v / %+v", m.SCCP.Calling, m.M3UA)
	}
}

func TestEncodeBERLengthForms(t *testing.T) {
	n := cons(berUniversal, tagSequence, prim(berContext, 0, nil), cons(berContext, 1, prim(berUniversal, tagInteger, []byte{5})))
	for form, want := range map[lengthForm]string{
		lengthDefinite:   "30 07 80 00 a1 03 02 01 05",
		lengthLong:       "30 82 00 0d 80 82 00 00 a1 82 00 05 02 82 00 01 05",
		lengthIndefinite: "30 80 80 00 a1 80 02 01 05 00 00 00 00",
	} {
		w, _ := decodeHex("hex:" + want)
		if got := n.encode(form); !bytes.Equal(got, w) {
			t.Errorf("form %d: % x, want % x", form, got, w)
		}
	}
	if got := appendIdentifier(nil, berContext, false, 34); !bytes.Equal(got, []byte{0x9f, 0x22}) {
		t.Errorf("[34]: % x", got)
	}
	for v, want := range map[int64][]byte{0: {0}, 127: {0x7f}, 128: {0, 0x80}, -1: {0xff}, 256: {1, 0}} {
		if got := berInt(v); !bytes.Equal(got, want) {
			t.Errorf("berInt(%d) = % x", v, got)
		}
	}
}

func TestParseMAPErrors(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{"unknown op", "op: sendIMSI, arg", "op: sendIMEI, arg", "op: unknown operation \"sendIMEI\""},
		{"unknown element", `arg: "12065550101"}`, `arg: {msisdn: "1"}}`, "sendIMSI: expected digits"},
		{"bad IMSI", `res: "310260800000001"`, `res: "31026"`, "is not an IMSI of 6 to 15 digits"},
		{"result without invoke", `result: {op: sendIMSI, res: "310260800000001"}`, `result: {op: updateLocation}`, "without an earlier unanswered Invoke"},
		{"orphan end", "          otid: 0x01020304\n", "          tcap: end\n", "end without an open dialogue between vlr and hlr: give dtid"},
		{"bad ac", "otid: 0x01020304\n", "otid: 0x01020304\n          ac: nowhere/3\n", "ac: unknown application context \"nowhere\""},
		{"node without gt", "to: hlr\n        map:\n          otid", "to: dia\n        map:\n          otid", "node dia (line 4) sends or receives MAP: give it gt, ssn and pc"},
		{"bad pc", "pc: 2-068-1", "pc: 9-068-1", "pc: \"9-068-1\" is neither"},
		{"two messages", "        map:\n          otid", "        gtp: {version: 2, type: EchoRequest}\n        map:\n          otid", "give exactly one message"},
		{"bad length form", "otid: 0x01020304\n", "otid: 0x01020304\n          lengths: short\n", "lengths: use definite, long"},
		{"segments without xudt", "otid: 0x01020304\n", "otid: 0x01020304\n          sccp: {segments: 2}\n", "segments need type: xudt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(miniMAPFile, c.old, c.new, 1)
			if doc == miniMAPFile {
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

// The SS7 example in README.md is a valid scenario file.
func TestReadmeMAPExampleParses(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## SS7 MAP scenarios")
	_, rest, ok2 := strings.Cut(rest, "```yaml\n")
	example, _, ok3 := strings.Cut(rest, "```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no SS7 ```yaml example")
	}
	f, err := Parse("README.md SS7 example", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if st := f.Steps()[1]; st.MAP == nil || st.MAP.DTID != f.Steps()[0].MAP.OTID || st.MAP.Code() != 2 {
		t.Errorf("example parsed as %+v", st.MAP)
	}
}
