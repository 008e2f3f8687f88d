package sccp

import (
	"bytes"
	"testing"

	"breakwater/protocols/m3ua"
)

// benchUDT is a MAP-sized UDT: GTI 4 called and calling addresses of 12
// digits (HLR and VLR) and 150 octets of TCAP.
func benchUDT() []byte {
	return tmsg{typ: TypeUDT, first: 0x81, called: gt4(SSNHLR, "447785000001"), calling: gt4(SSNVLR, "491720000002"),
		data: bytes.Repeat([]byte{0x62}, 150)}.encode()
}

// benchM3UA is benchUDT inside an M3UA DATA message.
func benchM3UA() []byte {
	var b m3ua.Builder
	d := m3ua.Data{NetworkAppearance: m3ua.Some(6), RoutingContext: m3ua.Some(3001),
		ProtocolData: m3ua.ProtocolData{OPC: 2487, DPC: 4848, SI: m3ua.SISCCP, NI: m3ua.NIInternational, SLS: 14, UserData: benchUDT()}}
	return bytes.Clone(b.Data(&d))
}

func BenchmarkParseUDT(b *testing.B) {
	msg := benchUDT()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	var m Message
	for b.Loop() {
		if err := Parse(msg, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkM3UADataSCCPUDT is the per-message path of SS7 inspection up to
// TCAP: M3UA DATA decoded, then the SCCP UDT it carries.
func BenchmarkM3UADataSCCPUDT(b *testing.B) {
	msg := benchM3UA()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	var d m3ua.Data
	var m Message
	for b.Loop() {
		if err := m3ua.ParseData(msg, &d); err != nil {
			b.Fatal(err)
		}
		if err := Parse(d.UserData, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoAlloc: parsing allocates nothing, whatever the input.
func TestNoAlloc(t *testing.T) {
	inputs := map[string][]byte{"bench UDT": benchUDT()}
	for name, s := range craftedSCCP() {
		inputs[name] = s.b
	}
	for name, in := range inputs {
		var m Message
		if n := testing.AllocsPerRun(100, func() {
			if Parse(in, &m) == nil {
				if m.IsSCMG() {
					_, _ = ParseSCMG(m.Data)
				}
				_ = m.Type.String()
				_ = SSNName(m.Called.SSN)
				d := m.Called.GT.Digits()
				_ = d.HasPrefix("44")
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
	msg := benchM3UA()
	var d m3ua.Data
	var m Message
	if n := testing.AllocsPerRun(100, func() {
		_ = m3ua.ParseData(msg, &d)
		_ = Parse(d.UserData, &m)
	}); n != 0 {
		t.Errorf("M3UA DATA + UDT: %v allocations", n)
	}
}
