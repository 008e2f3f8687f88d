package state

import (
	"sync"
	"time"
)

// pendingTable holds requests waiting for their answers. Answers normally
// follow within milliseconds, so it is a cache, not a registry: a fixed
// array of small buckets (4-way set-associative, like a CPU cache or a
// conntrack table) where a new entry takes a free or expired slot of its
// bucket, or else the oldest. Memory is fixed at creation, every operation
// touches one bucket under one lock, and no map or allocation is involved.
// Under overload the oldest requests of a bucket are forgotten first; a
// forgotten request only means its answer confirms no location, which the
// velocity check treats as "nothing known".
type pendingTable struct {
	ttl     int64 // nanoseconds; 0: never expire
	mask    uint64
	buckets []pendingBucket
}

const pendingWays = 4

type pendingBucket struct {
	mu    sync.Mutex
	slots [pendingWays]pendingSlot
}

type pendingSlot struct {
	key  uint64
	at   int64 // unix nanoseconds; 0 marks a free slot
	used bool
	val  Pending
}

func newPendingTable(capacity int, ttl time.Duration) *pendingTable {
	n := 1
	for n*pendingWays < capacity {
		n <<= 1
	}
	return &pendingTable{ttl: int64(ttl), mask: uint64(n - 1), buckets: make([]pendingBucket, n)}
}

func (t *pendingTable) bucket(key uint64) *pendingBucket {
	return &t.buckets[(key*0x9E3779B97F4A7C15>>32)&t.mask]
}

func (t *pendingTable) put(key uint64, p Pending, at time.Time) {
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
	b.slots[victim] = pendingSlot{key: key, at: now, used: true, val: p}
	b.mu.Unlock()
}

func (t *pendingTable) take(key uint64, now time.Time) (Pending, bool) {
	b := t.bucket(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.slots {
		s := &b.slots[i]
		if s.used && s.key == key {
			s.used = false
			if t.expired(s, now.UnixNano()) {
				return Pending{}, false
			}
			return s.val, true
		}
	}
	return Pending{}, false
}

func (t *pendingTable) expired(s *pendingSlot, now int64) bool {
	return t.ttl > 0 && now-s.at > t.ttl
}

// len counts the slots in use (expired ones included until reused).
func (t *pendingTable) len() int {
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
func (t *pendingTable) capacity() int { return len(t.buckets) * pendingWays }
