package sccp

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"

	"breakwater/protocols/m3ua"
	"breakwater/protocols/m3ua/m3uatest"
)

var (
	hlrGT  = AppendGTAddress(nil, 6, 0, NPISDN, NAIInternational, "12065550001")
	vlrGT  = AppendGTAddress(nil, 7, 0, NPISDN, NAIInternational, "447785000001")
	tcData = []byte{0x62, 0x06, 0x48, 0x04, 0x01, 0x02, 0x03, 0x04}
)

func TestAppendAddresses(t *testing.T) {
	var m Message
	for _, c := range []struct {
		raw    []byte
		ssn    uint8
		digits string
		odd    bool
	}{{hlrGT, 6, "12065550001", true}, {vlrGT, 7, "447785000001", false}} {
		m.Called = Address{}
		if err := parseAddress(c.raw, &m.Called); err != nil {
			t.Fatal(err)
		}
		a := &m.Called
		if a.GTI != GTITTNPESNAI || !a.HasSSN || a.SSN != c.ssn || a.HasPC || a.RouteOnSSN || a.GT.NP != NPISDN ||
			a.GT.NAI != NAIInternational || a.GT.Odd != c.odd || a.GT.Digits().String() != c.digits {
			t.Errorf("%x decodes to %+v", c.raw, a)
		}
	}
	m.Called = Address{}
	if err := parseAddress(AppendPCSSNAddress(nil, 0x1234, 8), &m.Called); err != nil || !m.Called.RouteOnSSN || m.Called.PC != 0x1234 || m.Called.SSN != 8 {
		t.Errorf("PC+SSN address: %v %+v", err, m.Called)
	}
}

// TestBuildRoundTrip: what the builder writes, Parse reads back field for
// field.
func TestBuildRoundTrip(t *testing.T) {
	var b Builder
	seg := &Segmentation{First: true, Class: 1, Remaining: 2, LocalRef: 0xabcdef}
	cases := []struct {
		name  string
		build func() ([]byte, error)
		want  Message
	}{
		{"UDT", func() ([]byte, error) { return b.UDT(0x81, hlrGT, vlrGT, tcData) },
			Message{Type: TypeUDT, ProtocolClass: 0x81}},
		{"UDTS", func() ([]byte, error) { return b.UDTS(CauseNoTranslationNature, vlrGT, hlrGT, tcData) },
			Message{Type: TypeUDTS, ReturnCause: CauseNoTranslationNature}},
		{"XUDT", func() ([]byte, error) { return b.XUDT(0x01, 15, hlrGT, vlrGT, tcData, nil) },
			Message{Type: TypeXUDT, ProtocolClass: 0x01, HopCounter: 15}},
		{"XUDT segment", func() ([]byte, error) { return b.XUDT(0x81, 9, hlrGT, vlrGT, tcData, seg) },
			Message{Type: TypeXUDT, ProtocolClass: 0x81, HopCounter: 9, HasSegmentation: true, Segmentation: *seg}},
		{"XUDTS segment", func() ([]byte, error) { return b.XUDTS(3, 15, vlrGT, hlrGT, tcData, seg) },
			Message{Type: TypeXUDTS, ReturnCause: 3, HopCounter: 15, HasSegmentation: true, Segmentation: *seg}},
	}
	for _, c := range cases {
		raw, err := c.build()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var m Message
		if err := Parse(raw, &m); err != nil {
			t.Fatalf("%s: %v (%x)", c.name, err, raw)
		}
		if m.Type != c.want.Type || m.ProtocolClass != c.want.ProtocolClass || m.ReturnCause != c.want.ReturnCause ||
			m.HopCounter != c.want.HopCounter || m.HasSegmentation != c.want.HasSegmentation || m.Segmentation != c.want.Segmentation {
			t.Errorf("%s: %+v", c.name, m)
		}
		if !bytes.Equal(m.Data, tcData) {
			t.Errorf("%s: data %x", c.name, m.Data)
		}
		called, calling := hlrGT, vlrGT
		if c.want.Type.Service() {
			called, calling = vlrGT, hlrGT
		}
		if !bytes.Equal(m.Called.Raw, called) || !bytes.Equal(m.Calling.Raw, calling) {
			t.Errorf("%s: addresses %x %x", c.name, m.Called.Raw, m.Calling.Raw)
		}
	}
	if _, err := b.UDT(0, hlrGT, vlrGT, make([]byte, 256)); err != ErrTooLong {
		t.Errorf("256 octets of data: %v", err)
	}
	if raw, err := b.UDT(0, hlrGT, vlrGT, make([]byte, 255)); err != nil || Parse(raw, new(Message)) != nil {
		t.Errorf("255 octets of data: %v", err)
	}
}

// TestReturn: the service message for a UDT or an XUDT segment swaps the
// addresses and carries the data back.
func TestReturn(t *testing.T) {
	var b, rb Builder
	seg := &Segmentation{First: true, Class: 1, Remaining: 1, LocalRef: 77}
	for _, orig := range []func() ([]byte, error){
		func() ([]byte, error) { return b.UDT(0x81, hlrGT, vlrGT, tcData) },
		func() ([]byte, error) { return b.XUDT(0x81, 12, hlrGT, vlrGT, tcData, seg) },
		func() ([]byte, error) { return b.XUDT(0x80, 12, hlrGT, vlrGT, tcData, nil) },
	} {
		raw, _ := orig()
		var m, r Message
		if err := Parse(raw, &m); err != nil {
			t.Fatal(err)
		}
		out, ok := rb.Return(&m, CauseNoTranslationNature)
		if !ok {
			t.Fatalf("no return for %s", m.Type)
		}
		if err := Parse(out, &r); err != nil {
			t.Fatal(err)
		}
		wantType := TypeUDTS
		if m.Type == TypeXUDT {
			wantType = TypeXUDTS
		}
		if r.Type != wantType || r.ReturnCause != 0 || !bytes.Equal(r.Called.Raw, vlrGT) || !bytes.Equal(r.Calling.Raw, hlrGT) ||
			!bytes.Equal(r.Data, tcData) || r.HasSegmentation != m.HasSegmentation || r.Segmentation != m.Segmentation {
			t.Errorf("return of %s: %+v", m.Type, r)
		}
		if r.Type == TypeXUDTS && r.HopCounter != DefaultHopCounter {
			t.Errorf("XUDTS hop counter %d", r.HopCounter)
		}
	}
	ludt := tmsg{typ: TypeLUDT, first: 0x81, hop: 3, called: hlrGT, calling: vlrGT, data: tcData}.encode()
	var m Message
	if err := Parse(ludt, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := rb.Return(&m, 0); ok {
		t.Error("LUDT returned")
	}
}

func TestBuildNoAllocation(t *testing.T) {
	var b Builder
	var m Message
	raw, _ := b.UDT(0x81, hlrGT, vlrGT, tcData)
	orig := bytes.Clone(raw)
	if err := Parse(orig, &m); err != nil {
		t.Fatal(err)
	}
	b.Return(&m, 0)
	seg := &Segmentation{First: true, Remaining: 1}
	if n := testing.AllocsPerRun(100, func() {
		b.UDT(0x81, hlrGT, vlrGT, tcData)
		b.XUDT(0x81, 15, hlrGT, vlrGT, tcData, seg)
		b.Return(&m, 0)
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// TestBuildTshark: tshark dissects what the builder writes as we meant it.
func TestBuildTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	var b Builder
	seg := &Segmentation{First: true, Class: 1, Remaining: 3, LocalRef: 0x123456}
	var msgs [][]byte
	var ours []*Message
	var mb m3ua.Builder
	for _, build := range []func() ([]byte, error){
		func() ([]byte, error) { return b.UDT(0x81, hlrGT, vlrGT, tcData) },
		func() ([]byte, error) { return b.UDTS(CauseNoTranslationNature, vlrGT, hlrGT, tcData) },
		func() ([]byte, error) { return b.XUDT(0x01, 15, hlrGT, vlrGT, tcData, seg) },
		func() ([]byte, error) {
			return b.XUDTS(CauseSubsystemFailure, 15, vlrGT, AppendPCSSNAddress(nil, 100, 6), tcData, seg)
		},
	} {
		raw, err := build()
		if err != nil {
			t.Fatal(err)
		}
		raw = bytes.Clone(raw)
		m := new(Message)
		if err := Parse(raw, m); err != nil {
			t.Fatal(err)
		}
		ours = append(ours, m)
		d := m3ua.Data{ProtocolData: m3ua.ProtocolData{OPC: 1, DPC: 2, SI: m3ua.SISCCP, NI: m3ua.NIInternational, UserData: raw}}
		msgs = append(msgs, bytes.Clone(mb.Data(&d)))
	}
	path := filepath.Join(t.TempDir(), "build.pcap")
	if err := m3uatest.WritePcap(path, msgs); err != nil {
		t.Fatal(err)
	}
	pkts, err := m3uatest.Tshark(tshark, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != len(ours) {
		t.Fatalf("tshark read %d packets, want %d", len(pkts), len(ours))
	}
	for i, p := range pkts {
		ps := p.Protocols("sccp")
		if len(ps) != 1 {
			t.Fatalf("packet %d: %d SCCP messages", i+1, len(ps))
		}
		if got, want := ourSCCP(ours[i]), tsharkSCCP(ps[0], true); got != want {
			t.Errorf("packet %d\n  ours   %+v\n  tshark %+v", i+1, got, want)
		}
	}
	if cause := pkts[1].Protocols("sccp")[0].First("sccp.return_cause"); m3uatest.Num(cause) != 0 {
		t.Errorf("UDTS return cause per tshark: %q", cause)
	}
}
