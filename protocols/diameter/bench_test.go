package diameter

import (
	"testing"

	"breakwater/protocols/view"
)

// benchMessages are the realistic messages the benchmarks run on: an S6a
// ULR without Subscription-Data (~300 bytes) and an IDR carrying a
// five-level Subscription-Data (~600 bytes).
func benchMessages() []struct {
	name string
	b    []byte
} {
	return []struct {
		name string
		b    []byte
	}{
		{"ULR", s6aULR()},
		{"IDR", s6aIDR(0x18)},
	}
}

func TestBenchMessageSizes(t *testing.T) {
	for _, m := range benchMessages() {
		if _, err := Parse(m.b); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		t.Logf("%s: %d bytes", m.name, len(m.b))
	}
	if n := len(s6aULR()); n < 250 || n > 350 {
		t.Errorf("ULR is %d bytes, want about 300", n)
	}
	if n := len(s6aIDR(0)); n < 550 || n > 700 {
		t.Errorf("IDR is %d bytes, want about 600", n)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, m := range benchMessages() {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(m.b)))
			for b.Loop() {
				if _, err := Parse(m.b); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, m := range benchMessages() {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(m.b)))
			var v view.Message
			for b.Loop() {
				if err := Decode(m.b, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeNoAlloc checks the package's central promise: parsing and
// decoding, valid or hostile, never allocate.
func TestDecodeNoAlloc(t *testing.T) {
	inputs := map[string][]byte{
		"ULR":               s6aULR(),
		"IDR":               s6aIDR(0x1c),
		"UDR":               shUDR(14, 15),
		"Gx CCR":            gxCCR(),
		"Cx MAR":            cxMAR(),
		"AIA":               s6aAIAUnknown(),
		"CER":               cer(),
		"short":             s6aULR()[:10],
		"truncated":         s6aULR()[:100],
		"too deep":          nested(MaxDepth + 1),
		"broken group":      brokenGroup(AVPSubscriptionID, 0, []byte{1, 2, 3, 4}),
		"identity conflict": craftedSeeds()["crafted_decode_two_imsis"].b,
		"dup Origin-Realm":  craftedSeeds()["crafted_decode_dup_origin_realm"].b,
		"app mismatch":      craftedSeeds()["crafted_decode_app_mismatch"].b,
	}
	for name, b := range corpus(t, "real_S6a_") {
		inputs[name] = b
	}
	frame := Framer(1 << 16)
	for name, in := range inputs {
		var v view.Message
		if n := testing.AllocsPerRun(100, func() { _ = Decode(in, &v) }); n != 0 {
			t.Errorf("%s: Decode allocates %v times", name, n)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = Parse(in) }); n != 0 {
			t.Errorf("%s: Parse allocates %v times", name, n)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = frame(in) }); n != 0 {
			t.Errorf("%s: Framer allocates %v times", name, n)
		}
		m, err := Parse(in)
		if err != nil {
			continue
		}
		if n := testing.AllocsPerRun(100, func() {
			it := m.AVPs()
			for a, ok := it.Next(); ok; a, ok = it.Next() {
				g := a.Grouped()
				for _, ok := g.Next(); ok; _, ok = g.Next() {
				}
			}
			m.Find(AVPUserName, 0)
			m.FindPath(AVPKey(AVPExperimentalResult, 0), AVPKey(AVPExperimentalResultCode, 0))
		}); n != 0 {
			t.Errorf("%s: AVP iteration allocates %v times", name, n)
		}
	}
}
