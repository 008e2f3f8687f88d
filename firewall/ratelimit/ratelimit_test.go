package ratelimit

import (
	"net/netip"
	"testing"
	"time"
)

var (
	a  = netip.MustParseAddr("192.0.2.10")
	b6 = netip.MustParseAddr("2001:db8:505::10")
	t0 = time.Unix(1_700_000_000, 0)
)

// A burst passes, the next message waits for the refill, and the wait
// Take announces is what it takes.
func TestBurstThenRate(t *testing.T) {
	l := New(64)
	for i := range 10 {
		if w := l.Take(a, t0, 100, 10); w != 0 {
			t.Fatalf("message %d of the burst waits %v", i, w)
		}
	}
	w := l.Take(a, t0, 100, 10)
	if w <= 0 || w > 10*time.Millisecond {
		t.Fatalf("11th message: wait %v, want (0, 10ms]", w)
	}
	if w2 := l.Take(a, t0.Add(w/2), 100, 10); w2 == 0 {
		t.Fatal("a token appeared before the announced wait")
	}
	if w3 := l.Take(a, t0.Add(w), 100, 10); w3 != 0 {
		t.Fatalf("after the announced wait: %v more", w3)
	}
	// A second later the bucket holds a full burst again, not more.
	later := t0.Add(10 * time.Second)
	n := 0
	for l.Take(a, later, 100, 10) == 0 {
		n++
	}
	if n != 10 {
		t.Fatalf("after a long pause %d messages passed, want the burst of 10", n)
	}
}

// Addresses have their own buckets; rate 0 is unlimited; burst 0 is one
// second's worth.
func TestPerAddressAndDefaults(t *testing.T) {
	l := New(64)
	for range 5 {
		l.Take(a, t0, 5, 5)
	}
	if l.Take(a, t0, 5, 5) == 0 {
		t.Fatal("a exceeded its burst")
	}
	if l.Take(b6, t0, 5, 5) != 0 {
		t.Fatal("b6 limited by a's bucket")
	}
	for range 1000 {
		if l.Take(a, t0, 0, 0) != 0 {
			t.Fatal("rate 0 limited")
		}
	}
	c := netip.MustParseAddr("203.0.113.1")
	n := 0
	for l.Take(c, t0, 7, 0) == 0 {
		n++
	}
	if n != 7 {
		t.Fatalf("burst 0 let %d through, want 7", n)
	}
}

// The table never grows: a flood of source addresses evicts old ones,
// which start again with a full bucket (fail open).
func TestBounded(t *testing.T) {
	l := New(16)
	if len(l.buckets)*ways != 16 {
		t.Fatalf("%d slots", len(l.buckets)*ways)
	}
	for i := range 10000 {
		addr := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.Take(addr, t0.Add(time.Duration(i)), 1, 1)
	}
	if len(l.buckets)*ways != 16 {
		t.Fatal("grew")
	}
}

func TestTakeAllocatesNothing(t *testing.T) {
	l := New(1024)
	if n := testing.AllocsPerRun(1000, func() { l.Take(b6, t0, 1000, 1000) }); n != 0 {
		t.Fatalf("%v allocations per Take", n)
	}
}

func BenchmarkTake(b *testing.B) {
	l := New(1 << 16)
	now := t0
	for b.Loop() {
		now = now.Add(time.Microsecond)
		l.Take(a, now, 1_000_000, 1000)
	}
}

func TestDrainAndCharge(t *testing.T) {
	l := New(64)
	a := netip.MustParseAddr("192.0.2.1")
	b := netip.MustParseAddr("2001:db8::1")
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if w := l.Take(a, now, 10, 10); w != 0 {
			t.Fatalf("take %d waited %v", i, w)
		}
	}
	l.Take(b, now, 10, 10)
	got := map[netip.Addr]uint32{}
	l.Drain(func(src netip.Addr, n uint32) { got[src] += n })
	if got[a] != 3 || got[b] != 1 || len(got) != 2 {
		t.Fatalf("drained %v", got)
	}
	l.Drain(func(src netip.Addr, n uint32) { t.Fatalf("second drain reported %v %d", src, n) })

	// Another node used 6 of a's tokens: one is left of 10 here.
	l.Charge(a, 6)
	if w := l.Take(a, now, 10, 10); w != 0 {
		t.Fatal("the last token was refused")
	}
	if w := l.Take(a, now, 10, 10); w == 0 {
		t.Fatal("a took more than the cluster's burst")
	}
	// Debt is at most one burst deep: after 2 s (20 tokens) a is free.
	l.Charge(a, 1000)
	if w := l.Take(a, now.Add(2*time.Second), 10, 10); w != 0 {
		t.Fatalf("after a huge charge and two burst periods a still waits %v", w)
	}
	// A source never seen here is not charged (no bucket is made).
	c := netip.MustParseAddr("192.0.2.99")
	l.Charge(c, 1000)
	if w := l.Take(c, now, 10, 10); w != 0 {
		t.Fatal("a charge created a bucket in debt")
	}
}
