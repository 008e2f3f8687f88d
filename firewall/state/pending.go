package state

import (
	"sync"
	"time"
)

// assocTable holds short-lived facts: requests waiting for their answers,
// recently seen sequence numbers. Such entries matter for seconds, so the
// table is a cache, not a registry: a fixed array of small buckets (4-way
// set-associative, like a CPU cache or a conntrack table) where a new entry
// takes a free or expired slot of its bucket, or else the oldest. Memory is
// fixed at creation, every operation touches one bucket under one lock, and
// no map or allocation is involved. Under overload the oldest entries of a
// bucket are forgotten first; a forgotten pending request only means its
// answer confirms no location, and a forgotten sequence number only means a
// replay of it is not recognised: both fail open, never closed.
type assocTable[V any] struct {
	ttl     int64 // nanoseconds; 0: never expire
	mask    uint64
	buckets []assocBucket[V]
}

const pendingWays = 4

type assocBucket[V any] struct {
	mu    sync.Mutex
	slots [pendingWays]assocSlot[V]
}

type assocSlot[V any] struct {
	key  uint64
	at   int64 // unix nanoseconds of the put
	used bool
	val  V
}

// pendingTable is the table of requests awaiting answers.
type pendingTable = assocTable[Pending]

func newPendingTable(capacity int, ttl time.Duration) *pendingTable {
	return newAssocTable[Pending](capacity, ttl)
}

func newAssocTable[V any](capacity int, ttl time.Duration) *assocTable[V] {
	n := 1
	for n*pendingWays < capacity {
		n <<= 1
	}
	return &assocTable[V]{ttl: int64(ttl), mask: uint64(n - 1), buckets: make([]assocBucket[V], n)}
}

// bucket is the key's low bits, unhashed: callers build keys as a
// well-mixed base per peer plus the peer's sequence number (see SeqKey), so
// that a peer's consecutive requests land in consecutive buckets. Peers
// number requests consecutively, and walking memory in order is what lets
// the CPU fetch the next bucket before it is needed: a random bucket per
// request costs a cache miss each time once the table outgrows the cache.
func (t *assocTable[V]) bucket(key uint64) *assocBucket[V] {
	return &t.buckets[key&t.mask]
}

func (t *assocTable[V]) put(key uint64, p V, at time.Time) {
	now := at.UnixNano()
	b := t.bucket(key)
	b.mu.Lock()
	victim := -1
	for i := range b.slots {
		if s := &b.slots[i]; s.used && s.key == key { // the same request again
			victim = i
			break
		}
	}
	if victim < 0 {
		victim = 0
		for i := range b.slots {
			s := &b.slots[i]
			if !s.used || t.expired(s, now) {
				victim = i
				break
			}
			if s.at < b.slots[victim].at {
				victim = i
			}
		}
	}
	b.slots[victim] = assocSlot[V]{key: key, at: now, used: true, val: p}
	b.mu.Unlock()
}

func (t *assocTable[V]) take(key uint64, now time.Time) (V, bool) {
	var zero V
	b := t.bucket(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.slots {
		s := &b.slots[i]
		if s.used && s.key == key {
			s.used = false
			if t.expired(s, now.UnixNano()) {
				return zero, false
			}
			return s.val, true
		}
	}
	return zero, false
}

// firstSeen returns when key was put, if it is in the table and not
// expired; otherwise it puts key with time now. One lock, one bucket.
func (t *assocTable[V]) firstSeen(key uint64, now time.Time) (time.Time, bool) {
	b := t.bucket(key)
	ns := now.UnixNano()
	b.mu.Lock()
	defer b.mu.Unlock()
	victim := 0
	for i := range b.slots {
		s := &b.slots[i]
		if s.used && s.key == key && !t.expired(s, ns) {
			return time.Unix(0, s.at), true
		}
	}
	for i := range b.slots {
		s := &b.slots[i]
		if !s.used || t.expired(s, ns) || s.key == key {
			victim = i
			break
		}
		if s.at < b.slots[victim].at {
			victim = i
		}
	}
	var zero V
	b.slots[victim] = assocSlot[V]{key: key, at: ns, used: true, val: zero}
	return time.Time{}, false
}

func (t *assocTable[V]) expired(s *assocSlot[V], now int64) bool {
	return t.ttl > 0 && now-s.at > t.ttl
}

// len counts the slots in use (expired ones included until reused).
func (t *assocTable[V]) len() int {
	n := 0
	for i := range t.buckets {
		b := &t.buckets[i]
		b.mu.Lock()
		for j := range b.slots {
			if b.slots[j].used {
				n++
			}
		}
		b.mu.Unlock()
	}
	return n
}

// capacity is the number of slots.
func (t *assocTable[V]) capacity() int { return len(t.buckets) * pendingWays }
