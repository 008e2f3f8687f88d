package ss7test

import (
	"testing"

	"breakwater/protocols/m3ua"
)

// The management answers; the DATA path (a TC-END to an updateLocation)
// is what firewall/proxy's and cmd/breakwater's M3UA tests relay.
func TestHomeSGManagement(t *testing.T) {
	var b m3ua.Builder
	sg := HomeSG{DefaultRC: []uint32{7}}
	rcs := func(out []byte) []uint32 {
		m, err := m3ua.Parse(out)
		if err != nil || m.Kind() != m3ua.KindASPACAck {
			t.Fatalf("not an ASPAC ACK: %v", err)
		}
		var got []uint32
		if p, ok := m.Find(m3ua.TagRoutingContext); ok {
			if l, ok := p.List(); ok {
				for i := range l.Len() {
					got = append(got, l.At(i))
				}
			}
		}
		return got
	}
	if m, err := m3ua.Parse(sg.Answer(b.Start(m3ua.KindASPUP).Message())); err != nil || m.Kind() != m3ua.KindASPUPAck {
		t.Fatalf("ASPUP answered with %v, %v", m.Kind(), err)
	}
	if got := rcs(sg.Answer(b.Start(m3ua.KindASPAC).List(m3ua.TagRoutingContext, []uint32{3, 4}).Message())); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Errorf("ASPAC for RC 3, 4 acknowledged %v", got)
	}
	if got := rcs(sg.Answer(b.Start(m3ua.KindASPAC).Message())); len(got) != 1 || got[0] != 7 {
		t.Errorf("ASPAC without RC acknowledged %v, want the default 7", got)
	}
	if m, err := m3ua.Parse(sg.Answer(b.Start(m3ua.KindBEAT).Bytes(m3ua.TagHeartbeatData, []byte("hb")).Message())); err != nil || m.Kind() != m3ua.KindBEATAck {
		t.Fatalf("BEAT answered with %v, %v", m.Kind(), err)
	}
	if out := sg.Answer([]byte{1, 0, 1, 1, 0, 0, 0, 8}); out != nil {
		t.Errorf("a DATA without payload answered: % x", out)
	}
	if out := sg.Answer([]byte("not m3ua")); out != nil {
		t.Errorf("garbage answered: % x", out)
	}
}
