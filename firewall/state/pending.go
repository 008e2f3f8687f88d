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

// assocBucket keeps its slots' keys and times together, ahead of the
// values: finding a slot (the same key, a free or expired one, the
// oldest) reads one or two cache lines, not every value. A slot is free
// when its time is 0 (a put stores a message time, never the epoch's
// nanosecond 0).
type assocBucket[V any] struct {
	mu   sync.Mutex
	keys [pendingWays]uint64
	ats  [pendingWays]int64 // unix nanoseconds of the put; 0: free
	vals [pendingWays]V
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
// the CPU fetch the next bucket before it is needed. (Giving a peer's
// consecutive requests one bucket would spare more cache misses, but then
// another peer passing through that bucket evicts live entries: one
// bucket's four ways would hold one peer's requests instead of one request
// each of four peers.)
func (t *assocTable[V]) bucket(key uint64) *assocBucket[V] {
	return &t.buckets[key&t.mask]
}

func (t *assocTable[V]) put(key uint64, p V, at time.Time) {
	now := at.UnixNano()
	if now == 0 {
		now = 1 // 0 marks a free slot
	}
	b := t.bucket(key)
	b.mu.Lock()
	i := t.slotFor(b, key, now)
	b.keys[i], b.ats[i], b.vals[i] = key, now, p
	b.mu.Unlock()
}

// slotFor returns the slot key is to take in b: its own (the same request
// again), else a free or expired one, else the oldest.
func (t *assocTable[V]) slotFor(b *assocBucket[V], key uint64, now int64) int {
	for i := range pendingWays {
		if b.ats[i] != 0 && b.keys[i] == key {
			return i
		}
	}
	victim := 0
	for i := range pendingWays {
		if b.ats[i] == 0 || t.expired(b.ats[i], now) {
			return i
		}
		if b.ats[i] < b.ats[victim] {
			victim = i
		}
	}
	return victim
}

func (t *assocTable[V]) take(key uint64, now time.Time) (V, bool) {
	var zero V
	b := t.bucket(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range pendingWays {
		if b.ats[i] != 0 && b.keys[i] == key {
			at := b.ats[i]
			v := b.vals[i]
			b.ats[i], b.vals[i] = 0, zero
			if t.expired(at, now.UnixNano()) {
				return zero, false
			}
			return v, true
		}
	}
	return zero, false
}

// firstSeen returns when key was put, if it is in the table and not
// expired; otherwise it puts key with time now. One lock, one bucket.
func (t *assocTable[V]) firstSeen(key uint64, now time.Time) (time.Time, bool) {
	b := t.bucket(key)
	ns := now.UnixNano()
	if ns == 0 {
		ns = 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	i := t.slotFor(b, key, ns)
	if at := b.ats[i]; at != 0 && b.keys[i] == key && !t.expired(at, ns) {
		return time.Unix(0, at), true
	}
	var zero V
	b.keys[i], b.ats[i], b.vals[i] = key, ns, zero
	return time.Time{}, false
}

func (t *assocTable[V]) expired(at, now int64) bool {
	return t.ttl > 0 && now-at > t.ttl
}

// len counts the slots in use (expired ones included until reused).
func (t *assocTable[V]) len() int {
	n := 0
	for i := range t.buckets {
		b := &t.buckets[i]
		b.mu.Lock()
		for j := range pendingWays {
			if b.ats[j] != 0 {
				n++
			}
		}
		b.mu.Unlock()
	}
	return n
}

// capacity is the number of slots.
func (t *assocTable[V]) capacity() int { return len(t.buckets) * pendingWays }
