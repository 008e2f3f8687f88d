package proxy

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// The TEID map against a plain Go map under random churn: every endpoint
// still in the map is found by its relay TEID and keeps it when announced
// again; an evicted one's old TEID no longer resolves (new generation).
func TestTEIDMapChurn(t *testing.T) {
	m := newTEIDMap(64, 1000) // 64 slots, idle after 1000 ticks
	rng := rand.New(rand.NewPCG(1, 2))
	live := map[teidKey]uint32{}
	byLocal := map[uint32]teidKey{}
	nodes := []netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.1:2123"), netip.MustParseAddrPort("192.0.2.2:2123"),
		netip.MustParseAddrPort("[2001:db8::1]:2123"),
	}
	for now := int64(1); now < 20000; now++ {
		k := teidKey{nodes[rng.IntN(len(nodes))], uint32(rng.IntN(100))}
		local, _ := m.put(k, now)
		if local == 0 {
			t.Fatal("relay TEID 0")
		}
		if old, ok := live[k]; ok && old != local {
			if got, ok := m.get(old, now); ok && got == k {
				t.Fatalf("%v has two relay TEIDs %x and %x", k, old, local)
			}
		}
		if prev, ok := byLocal[local]; ok && prev != k {
			delete(live, prev) // its slot was taken
		}
		live[k], byLocal[local] = local, k
		for kk, l := range live {
			got, ok := m.get(l, now)
			if !ok {
				delete(live, kk) // evicted: must not resolve to anyone else
				continue
			}
			if got != kk {
				t.Fatalf("relay TEID %x resolves to %v, want %v", l, got, kk)
			}
		}
		// The index finds every live endpoint (backward-shift deletion
		// kept the probe runs intact).
		for kk, l := range live {
			if again, _ := m.put(kk, now); again != l {
				t.Fatalf("%v: relay TEID %x on re-announce, want %x", kk, again, l)
			}
		}
	}
	if len(live) > 64 {
		t.Fatalf("%d live endpoints in 64 slots", len(live))
	}
}

// A slot idle for longer than the idle time is reused before a busy one,
// and reuse changes the generation so the old TEID stops resolving.
func TestTEIDMapIdleReuseAndGeneration(t *testing.T) {
	m := newTEIDMap(16, 100)
	node := netip.MustParseAddrPort("192.0.2.1:2123")
	var first [16]uint32
	for i := range first {
		first[i], _ = m.put(teidKey{node, uint32(i + 1)}, 1)
	}
	if m.evicted != 0 {
		t.Fatalf("evicted %d while filling", m.evicted)
	}
	// All busy within the idle time: the 17th endpoint evicts (counted).
	m.put(teidKey{node, 100}, 50)
	if m.evicted != 1 {
		t.Fatalf("evicted %d, want 1", m.evicted)
	}
	// Long after, everything is idle: reuse without counting eviction.
	l, _ := m.put(teidKey{node, 200}, 1000)
	if m.evicted != 1 {
		t.Fatalf("idle reuse counted as eviction")
	}
	slot := l & (1<<m.bits - 1)
	if first[slot] == l {
		t.Fatal("a reused slot kept its generation")
	}
	if _, ok := m.get(first[slot], 1000); ok {
		t.Fatal("the previous endpoint's TEID still resolves after its slot was reused")
	}
}
