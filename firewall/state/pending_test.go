package state

import (
	"testing"
	"time"
)

// keysInBucket returns n keys that share one pending bucket.
func keysInBucket(t *pendingTable, n int) []uint64 {
	var keys []uint64
	want := t.bucket(1)
	for k := uint64(1); len(keys) < n; k++ {
		if t.bucket(k) == want {
			keys = append(keys, k)
		}
	}
	return keys
}

func pend(imsi uint64, at time.Time) Pending {
	return Pending{IMSI: imsi, Location: Location{Partner: "uk", Time: at}}
}

func TestPendingBucketEvictsOldestFirst(t *testing.T) {
	p := newPendingTable(64, time.Minute)
	k := keysInBucket(p, pendingWays+1)
	for i, key := range k[:pendingWays] {
		p.put(key, pend(key, t0), t0.Add(time.Duration(i)*time.Second))
	}
	// The bucket is full: the fifth request replaces the oldest (k0).
	p.put(k[pendingWays], pend(k[pendingWays], t0), t0.Add(10*time.Second))
	if _, ok := p.take(k[0], t0.Add(10*time.Second)); ok {
		t.Fatal("the oldest request survived a full bucket")
	}
	for _, key := range k[1:] {
		got, ok := p.take(key, t0.Add(10*time.Second))
		if !ok || got.IMSI != key {
			t.Fatalf("request %d lost: %+v %v", key, got, ok)
		}
	}
	if p.len() != 0 {
		t.Fatalf("%d slots still used after taking everything", p.len())
	}
}

func TestPendingExpiredSlotsAreReusedFirst(t *testing.T) {
	p := newPendingTable(64, time.Minute)
	k := keysInBucket(p, pendingWays+1)
	p.put(k[0], pend(k[0], t0), t0) // will be expired
	for _, key := range k[1:pendingWays] {
		p.put(key, pend(key, t0), t0.Add(50*time.Second))
	}
	later := t0.Add(90 * time.Second) // k0 expired, the others not
	p.put(k[pendingWays], pend(k[pendingWays], later), later)
	for _, key := range k[1:] {
		if _, ok := p.take(key, later); !ok {
			t.Fatalf("live request %d evicted while an expired slot was free", key)
		}
	}
}

func TestPendingSameKeyReplaces(t *testing.T) {
	p := newPendingTable(64, time.Minute)
	k := keysInBucket(p, 3)
	p.put(k[0], pend(1, t0), t0)
	p.put(k[1], pend(2, t0), t0)
	p.take(k[0], t0) // frees slot 0; k1 sits in slot 1
	p.put(k[1], pend(3, t0), t0)
	if p.len() != 1 {
		t.Fatalf("rewriting a request created a duplicate: %d slots used", p.len())
	}
	if got, ok := p.take(k[1], t0); !ok || got.IMSI != 3 {
		t.Fatalf("take = %+v %v, want the rewritten request", got, ok)
	}
}

func TestPendingExpiry(t *testing.T) {
	p := newPendingTable(16, 30*time.Second)
	p.put(9, pend(9, t0), t0)
	if _, ok := p.take(9, t0.Add(31*time.Second)); ok {
		t.Fatal("expired request returned")
	}
	if _, ok := p.take(9, t0); ok {
		t.Fatal("an expired request was not removed when found")
	}
}

func TestPendingNoAllocation(t *testing.T) {
	p := newPendingTable(1024, time.Minute)
	v := pend(1, t0)
	if n := testing.AllocsPerRun(1000, func() {
		p.put(77, v, t0)
		p.take(77, t0)
	}); n != 0 {
		t.Fatalf("%v allocations per put+take", n)
	}
}
