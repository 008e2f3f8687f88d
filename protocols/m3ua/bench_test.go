package m3ua

import (
	"bytes"
	"testing"
)

// benchDATA is a DATA message of the size MAP traffic has: a 150-octet
// SCCP UDT behind the routing label.
func benchDATA() []byte {
	var b Builder
	d := Data{NetworkAppearance: Some(6), RoutingContext: Some(3001),
		ProtocolData: ProtocolData{OPC: 2487, DPC: 4848, SI: SISCCP, NI: NINational, SLS: 14, UserData: bytes.Repeat([]byte{0x5a}, 150)}}
	return bytes.Clone(b.Data(&d))
}

func BenchmarkParseData(b *testing.B) {
	msg := benchDATA()
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	var d Data
	for b.Loop() {
		if err := ParseData(msg, &d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildData(b *testing.B) {
	var d Data
	if err := ParseData(benchDATA(), &d); err != nil {
		b.Fatal(err)
	}
	var bld Builder
	b.ReportAllocs()
	for b.Loop() {
		d.RoutingContext = Some(7)
		_ = bld.Data(&d)
	}
}

// TestNoAlloc checks the package's promise: parsing, decoding and, once
// the buffer has grown, building allocate nothing, for valid and hostile
// input alike.
func TestNoAlloc(t *testing.T) {
	inputs := map[string][]byte{"bench DATA": benchDATA()}
	for name, s := range craftedSeeds() {
		inputs[name] = s.b
	}
	for name, in := range inputs {
		var d Data
		var s SSNM
		if n := testing.AllocsPerRun(100, func() {
			m, err := Parse(in)
			if err != nil {
				return
			}
			_ = m.Data(&d)
			_ = m.SSNM(&s)
			m.Find(TagRoutingContext)
			_ = m.Kind().String()
		}); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
	var b Builder
	var d Data
	_ = ParseData(benchDATA(), &d)
	beat, _ := Parse(craftedSeeds()["crafted_BEAT"].b)
	rcs, apcs := []uint32{1, 2}, []uint32{3}
	build := func() {
		b.Data(&d)
		b.AspUpAck(Some(1), []byte("x"))
		b.AspActiveAck(Some(TrafficModeOverride), rcs, nil)
		b.BeatAck(&beat)
		b.Notify(StatusTypeASStateChange, StatusASActive, Opt32{}, rcs, nil)
		b.Error(ErrCodeProtocolError, rcs, Opt32{}, apcs, d.UserData)
		b.DUNA(Opt32{}, nil, apcs, nil)
		b.DAVA(Some(1), rcs, apcs, nil)
	}
	build()
	if n := testing.AllocsPerRun(100, build); n != 0 {
		t.Errorf("Builder: %v allocations", n)
	}
}
