package ber

import "testing"

// benchTCAP is the TC-BEGIN updateLocation of
// map_timkam_updateLocation_invoke.pcap (95 octets, 23 TLVs).
const benchTCAP = "625d480325c60f6b1e281c060700118605010101a011600f80020780a109060704000001000103" +
	"6c36a134020101020102302c040854046001073104f581069168315214930406916831521493" +
	"8a04053b4600a60a800206c08400850206c0"

func walkAll(b []byte, depth int) int {
	n := 0
	r := NewReader(b)
	var t TLV
	for r.Read(&t) {
		n++
		if t.Constructed && depth < MaxDepth {
			n += walkAll(t.Value, depth+1)
		}
	}
	return n
}

// BenchmarkWalk decodes every TLV header of a real MAP message.
func BenchmarkWalk(b *testing.B) {
	msg, err := hexDecode(benchTCAP)
	if err != nil {
		b.Fatal(err)
	}
	if n := walkAll(msg, 0); n != 23 {
		b.Fatalf("%d TLVs", n)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		walkAll(msg, 0)
	}
}
