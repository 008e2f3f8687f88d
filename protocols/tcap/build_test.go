package tcap

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"breakwater/protocols/m3ua"
	"breakwater/protocols/m3ua/m3uatest"
	"breakwater/protocols/sccp"
)

var (
	tid4    = []byte{0x01, 0x02, 0x03, 0x04}
	tid1    = []byte{0x7f}
	acnATI3 = []byte{0x04, 0x00, 0x00, 0x01, 0x00, 29, 3} // anyTimeInfoEnquiryContext-v3
)

func parseOK(t *testing.T, b []byte) *Message {
	t.Helper()
	m := new(Message)
	if err := Parse(b, m); err != nil {
		t.Fatalf("Parse(%x): %v", b, err)
	}
	return m
}

func compsOf(t *testing.T, m *Message) []Component {
	t.Helper()
	var out []Component
	it := m.Components()
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		out = append(out, c)
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	return out
}

func TestBuildAborts(t *testing.T) {
	var b Builder
	m := parseOK(t, b.PAbort(tid4, PAbortResourceLimitation))
	if m.Type != Abort || !m.HasDTID || !bytes.Equal(m.DTIDBytes, tid4) || !m.HasPAbort || m.PAbortCause != 4 || m.Dialogue.Kind != DialogueNone {
		t.Errorf("P-Abort: %+v", m)
	}
	m = parseOK(t, b.UAbort(tid1, AbortSourceUser))
	if m.Type != Abort || !bytes.Equal(m.DTIDBytes, tid1) || m.HasPAbort || m.Dialogue.Kind != ABRT || m.Dialogue.AbortSource != 0 {
		t.Errorf("U-Abort: %+v", m)
	}
}

func TestBuildEndReturnError(t *testing.T) {
	var b Builder
	for _, c := range []struct {
		acn      []byte
		version  []byte
		invokeID int32
		code     int64
	}{
		{acnATI3, []byte{0x07, 0x80}, 1, 21},
		{acnATI3, nil, -5, 255},
		{nil, nil, 127, 34},
		{nil, nil, -128, 1},
	} {
		m := parseOK(t, b.EndReturnError(tid4, c.acn, c.version, c.invokeID, c.code))
		if m.Type != End || !bytes.Equal(m.DTIDBytes, tid4) || m.NumComponents != 1 || m.NumInvokes != 0 {
			t.Errorf("%+v: %+v", c, m)
		}
		if c.acn == nil {
			if m.Dialogue.Kind != DialogueNone {
				t.Errorf("dialogue without an AARQ: %+v", m.Dialogue)
			}
		} else {
			d := m.Dialogue
			if d.Kind != AARE || !bytes.Equal(d.ACN, c.acn) || d.Result != 0 || d.DiagnosticSource != 1 || d.Diagnostic != 0 || !bytes.Equal(d.ProtocolVersion, c.version) {
				t.Errorf("AARE %+v", d)
			}
		}
		comps := compsOf(t, m)
		if k := comps[0]; k.Type != ReturnError || k.InvokeID != c.invokeID || k.Error.Kind != CodeLocal || k.Error.Local != c.code || k.HasParam {
			t.Errorf("component %+v, want invoke %d error %d", k, c.invokeID, c.code)
		}
	}
}

// TestBuildDialogues: the general builder writes every message the
// relay's tests send, and long parameters take the long length form.
func TestBuildDialogues(t *testing.T) {
	var b Builder
	arg := append([]byte{0x30, 0x81, 200}, make([]byte, 200)...) // long form inside
	userInfo := []byte{0x28, 0x03, 0x06, 0x01, 0x00}
	raw := b.Start(Begin).OTID(tid4).AARQ(acnATI3, userInfo).Components().
		Invoke(1, 71, arg).Invoke(2, 2, []byte{0x30, 0x00}).Message()
	m := parseOK(t, raw)
	if m.Type != Begin || !bytes.Equal(m.OTIDBytes, tid4) || m.Dialogue.Kind != AARQ || !bytes.Equal(m.Dialogue.ACN, acnATI3) ||
		!bytes.Equal(m.Dialogue.UserInfo, userInfo) || !bytes.Equal(m.Dialogue.ProtocolVersion, protocolVersion1) || m.NumInvokes != 2 {
		t.Fatalf("Begin %+v", m)
	}
	comps := compsOf(t, m)
	if comps[0].Op.Local != 71 || !bytes.Equal(comps[0].Param.Raw, arg) || comps[1].InvokeID != 2 || comps[1].Op.Local != 2 {
		t.Errorf("components %+v", comps)
	}
	if raw[1] != 0x81 && raw[1] != 0x82 {
		t.Errorf("a %d-octet message with a short length: %x", len(raw), raw[:4])
	}

	m = parseOK(t, b.Start(End).DTID(tid4).AARE(acnATI3, protocolVersion1, 0, 0).Components().
		ReturnResultLast(1, 2, []byte{0x30, 0x03, 0x04, 0x01, 0x91}).ReturnResultLast(2, 0, nil).Message())
	comps = compsOf(t, m)
	if m.Type != End || m.Dialogue.Kind != AARE || len(comps) != 2 || comps[0].Type != ReturnResultLast || comps[0].Op.Local != 2 ||
		!comps[0].HasParam || comps[1].Op.Kind != CodeNone {
		t.Errorf("End %+v %+v", m, comps)
	}
	m = parseOK(t, b.Start(Continue).OTID(tid1).DTID(tid4).Components().Invoke(-1, 300, nil).Message())
	if comps = compsOf(t, m); m.Type != Continue || comps[0].InvokeID != -1 || comps[0].Op.Local != 300 {
		t.Errorf("Continue %+v %+v", m, comps)
	}
}

func TestBuildIntegers(t *testing.T) {
	var b Builder
	for _, v := range []int64{0, 1, 127, 128, 255, 256, -1, -128, -129, 32767, -32768, 1 << 40, -(1 << 40)} {
		b.buf = b.buf[:0]
		b.integer(v)
		var c Code
		if len(b.buf) != 2+int(b.buf[1]) {
			t.Fatalf("%d: %x", v, b.buf)
		}
		m := parseOK(t, b.Start(Begin).OTID(tid1).Components().Invoke(1, v, nil).Message())
		comps := compsOf(t, m)
		c = comps[0].Op
		if c.Local != v {
			t.Errorf("%d came back as %d", v, c.Local)
		}
	}
}

func TestBuildNoAllocation(t *testing.T) {
	var b Builder
	long := make([]byte, 300)
	b.Start(Begin).OTID(tid4).Components().Invoke(1, 71, long).Message()
	if n := testing.AllocsPerRun(100, func() {
		b.PAbort(tid4, PAbortResourceLimitation)
		b.UAbort(tid4, AbortSourceUser)
		b.EndReturnError(tid4, acnATI3, protocolVersion1, 1, 21)
		b.Start(Begin).OTID(tid4).Components().Invoke(1, 71, long).Message()
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// TestBuildTshark: tshark's TCAP dissector reads the answers as we meant
// them (messages carried in SCCP UDT in M3UA DATA).
func TestBuildTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	var b Builder
	msgs := [][]byte{
		bytes.Clone(b.PAbort(tid4, PAbortResourceLimitation)),
		bytes.Clone(b.UAbort(tid4, AbortSourceUser)),
		bytes.Clone(b.EndReturnError(tid4, acnATI3, protocolVersion1, 3, 21)),
		bytes.Clone(b.EndReturnError(tid1, nil, nil, 1, 34)),
	}
	called := sccp.AppendGTAddress(nil, 7, 0, sccp.NPISDN, sccp.NAIInternational, "447785000001")
	calling := sccp.AppendGTAddress(nil, 6, 0, sccp.NPISDN, sccp.NAIInternational, "12065550001")
	var sb sccp.Builder
	var mb m3ua.Builder
	var frames [][]byte
	for _, m := range msgs {
		u, err := sb.UDT(0x80, called, calling, m)
		if err != nil {
			t.Fatal(err)
		}
		d := m3ua.Data{ProtocolData: m3ua.ProtocolData{OPC: 1, DPC: 2, SI: m3ua.SISCCP, UserData: u}}
		frames = append(frames, bytes.Clone(mb.Data(&d)))
	}
	path := filepath.Join(t.TempDir(), "tcap.pcap")
	if keep := os.Getenv("BREAKWATER_KEEP_PCAP"); keep != "" {
		path = keep
	}
	if err := m3uatest.WritePcap(path, frames); err != nil {
		t.Fatal(err)
	}
	pkts, err := m3uatest.Tshark(tshark, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != len(msgs) {
		t.Fatalf("%d packets", len(pkts))
	}
	tc := func(i int) *m3uatest.Field {
		ps := pkts[i].Protocols("tcap")
		if len(ps) != 1 {
			t.Fatalf("packet %d: %d TCAP layers", i+1, len(ps))
		}
		return ps[0]
	}
	hexTID := func(id []byte) string {
		s := ""
		for i, c := range id {
			if i > 0 {
				s += ":"
			}
			s += strconv.FormatUint(uint64(c)|0x100, 16)[1:]
		}
		return s
	}
	check := func(i int, field, want string) {
		t.Helper()
		if got := tc(i).First(field); got != want {
			t.Errorf("packet %d: %s = %q, want %q", i+1, field, got, want)
		}
	}
	// P-Abort: dtid and cause resourceLimitation (4).
	check(0, "tcap.dtid", hexTID(tid4))
	check(0, "tcap.p_abortCause", "4")
	// U-Abort: an ABRT dialogue APDU from the dialogue-service-user.
	check(1, "tcap.dtid", hexTID(tid4))
	check(1, "tcap.abort_source", "0")
	check(1, "tcap.oid", "0.0.17.773.1.1.1") // dialogue-as-id
	// End: AARE accepting the AC; the ReturnError with the invoke id and
	// the error code, which tshark hands to its GSM MAP dissector.
	check(2, "tcap.dtid", hexTID(tid4))
	check(2, "tcap.application_context_name", "0.4.0.0.1.0.29.3")
	check(2, "tcap.result", "0")
	check(2, "tcap.dialogue_service_user", "0")
	check(3, "tcap.dtid", hexTID(tid1))
	if n := len(tc(3).Find("tcap.application_context_name")); n != 0 {
		t.Errorf("End without AARQ has %d application context names", n)
	}
	for i, want := range map[int][2]string{2: {"3", "21"}, 3: {"1", "34"}} {
		mp := pkts[i].Protocols("gsm_map")
		if len(mp) != 1 {
			t.Fatalf("packet %d: %d GSM MAP layers", i+1, len(mp))
		}
		if c, id, code := mp[0].First("gsm_map.old.Component"), mp[0].First("gsm_old.invokeID"), mp[0].First("gsm_old.localValue"); c != "3" || id != want[0] || code != want[1] {
			t.Errorf("packet %d: component %q invoke id %q error %q, want returnError (3) %s %s", i+1, c, id, code, want[0], want[1])
		}
	}
}
