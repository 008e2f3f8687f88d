package state

import (
	"sync"
	"time"
)

// Memory is the embedded, bounded, in-process Store.
type Memory struct {
	locations *table[locationRec]
	pending   *pendingTable
	sessions  *table[sessionRec]
	sequences *assocTable[struct{}]
	partners  partnerNames
}

// MemoryOptions sizes a Memory store.
type MemoryOptions struct {
	MaxLocations int           // capacity of the location table
	LocationTTL  time.Duration // how long a location stays valid
	MaxPending   int           // capacity of the pending-request table
	PendingTTL   time.Duration // how long a request waits for its answer
	MaxSessions  int           // capacity of the GTP session table
	SessionTTL   time.Duration // how long an idle session is remembered
	MaxSequences int           // capacity of the sequence-number memory
	ReplayMemory time.Duration // how long sequence numbers are remembered
}

// NewMemory returns an empty store.
func NewMemory(o MemoryOptions) *Memory {
	return &Memory{
		locations: newTable[locationRec](o.MaxLocations, o.LocationTTL),
		pending:   newPendingTable(o.MaxPending, o.PendingTTL),
		sessions:  newTable[sessionRec](max(o.MaxSessions, 16), o.SessionTTL),
		sequences: newAssocTable[struct{}](max(o.MaxSequences, 64), o.ReplayMemory),
	}
}

func (m *Memory) SetSession(key uint64, s Session) { m.sessions.put(key, m.sessionRec(s), s.Created) }

func (m *Memory) Session(key uint64, now time.Time) (Session, bool) {
	r, ok := m.sessions.get(key, now, false)
	if !ok {
		return Session{}, false
	}
	return m.session(r), true
}

func (m *Memory) DeleteSession(key uint64) { m.sessions.remove(key) }

func (m *Memory) FirstSeen(key uint64, now time.Time) (time.Time, bool) {
	return m.sequences.firstSeen(key, now)
}

func (m *Memory) Sessions() int { return m.sessions.len() }

func (m *Memory) Location(imsi uint64, now time.Time) (Location, bool) {
	r, ok := m.locations.get(imsi, now, false)
	if !ok {
		return Location{}, false
	}
	return m.location(r), true
}

func (m *Memory) SetLocation(imsi uint64, loc Location) {
	m.locations.put(imsi, m.locationRec(loc), loc.Time)
}

func (m *Memory) AddPending(key uint64, p Pending) { m.pending.put(key, p, p.Location.Time) }

func (m *Memory) TakePending(key uint64, now time.Time) (Pending, bool) {
	return m.pending.take(key, now)
}

func (m *Memory) Len() (locations, pending int) { return m.locations.len(), m.pending.len() }

// shards spreads lock contention between goroutines of the proxy.
const shards = 16

// table is a bounded map with per-entry expiry. Each shard keeps a ring of
// keys in write order and evicts the least recently written entry when full,
// so memory never exceeds its capacity and eviction is amortised O(1). A
// rewritten key takes a new ring slot; its old slot becomes stale and is
// skipped when it comes up for eviction. The ring has room for twice the
// entries, and when it fills up the stale slots (at least half) are
// squeezed out, so rewrites never evict live entries.
type table[V any] struct {
	ttl    time.Duration
	shards [shards]shard[V]
}

type entry[V any] struct {
	val  V
	at   int64 // unix nanoseconds of the last put
	slot int   // position of the key in the ring
}

type shard[V any] struct {
	mu   sync.Mutex
	m    map[uint64]entry[V]
	ring []uint64 // keys in write order; ring[head] is the oldest; power-of-two length
	mask int      // len(ring)-1, so positions wrap without a division
	head int
	n    int // occupied ring slots, stale ones included
	max  int // most live entries
}

func newTable[V any](capacity int, ttl time.Duration) *table[V] {
	per := max(capacity/shards, 1)
	t := &table[V]{ttl: ttl}
	for i := range t.shards {
		t.shards[i].m = make(map[uint64]entry[V], min(per, 4096))
		size := 1
		for size < 2*per {
			size <<= 1
		}
		t.shards[i].ring = make([]uint64, size)
		t.shards[i].mask = size - 1
		t.shards[i].max = per
	}
	return t
}

func shardOf(key uint64) int {
	// Fibonacci hashing spreads sequential IMSIs across shards.
	return int((key * 0x9E3779B97F4A7C15) >> 60)
}

func (t *table[V]) put(key uint64, v V, at time.Time) {
	s := &t.shards[shardOf(key)]
	s.mu.Lock()
	s.putLocked(key, v, at)
	s.mu.Unlock()
}

func (s *shard[V]) putLocked(key uint64, v V, at time.Time) {
	if _, ok := s.m[key]; !ok {
		for len(s.m) >= s.max { // full: evict the least recently written
			s.pop()
		}
	}
	if s.n == len(s.ring) {
		s.compact()
	}
	slot := (s.head + s.n) & s.mask
	s.ring[slot] = key
	s.n++
	s.m[key] = entry[V]{val: v, at: at.UnixNano(), slot: slot}
}

// pop frees the oldest ring slot and deletes its entry unless it is stale.
func (s *shard[V]) pop() {
	old := s.ring[s.head]
	if e, ok := s.m[old]; ok && e.slot == s.head {
		delete(s.m, old)
	}
	s.head = (s.head + 1) & s.mask
	s.n--
}

// compact drops the stale slots of a full ring, keeping write order. With
// at most max live entries in 2*max slots it frees at least max slots.
func (s *shard[V]) compact() {
	w := 0
	for i := 0; i < s.n; i++ {
		from := (s.head + i) & s.mask
		key := s.ring[from]
		e, ok := s.m[key]
		if !ok || e.slot != from {
			continue
		}
		to := (s.head + w) & s.mask
		s.ring[to] = key
		e.slot = to
		s.m[key] = e
		w++
	}
	s.n = w
}

func (t *table[V]) get(key uint64, now time.Time, remove bool) (V, bool) {
	var zero V
	s := &t.shards[shardOf(key)]
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return zero, false
	}
	if t.ttl > 0 && now.UnixNano()-e.at > int64(t.ttl) {
		// Expired: leave the ring slot to be reclaimed by eviction.
		delete(s.m, key)
		return zero, false
	}
	if remove {
		delete(s.m, key)
	}
	return e.val, true
}

// remove forgets key (its ring slot is reclaimed by eviction).
func (t *table[V]) remove(key uint64) {
	s := &t.shards[shardOf(key)]
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

func (t *table[V]) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// each calls fn for every live entry, shard by shard in write order
// (oldest first), so that putting them back in that order rebuilds the
// same eviction order. A shard's entries are copied out under its lock
// and fn runs without it.
func (t *table[V]) each(now time.Time, fn func(key uint64, v V, at int64)) {
	type kv struct {
		key uint64
		e   entry[V]
	}
	var buf []kv
	for i := range t.shards {
		s := &t.shards[i]
		buf = buf[:0]
		s.mu.Lock()
		for j := 0; j < s.n; j++ {
			pos := (s.head + j) & s.mask
			key := s.ring[pos]
			if e, ok := s.m[key]; ok && e.slot == pos {
				buf = append(buf, kv{key, e})
			}
		}
		s.mu.Unlock()
		for _, x := range buf {
			if t.ttl > 0 && now.UnixNano()-x.e.at > int64(t.ttl) {
				continue
			}
			fn(x.key, x.e.val, x.e.at)
		}
	}
}

// putIfNewer stores v unless the key holds an entry written at or after
// at; it reports whether it stored. Updates from other nodes and from a
// snapshot use it, so an older copy never overwrites a newer fact.
func (t *table[V]) putIfNewer(key uint64, v V, at time.Time) bool {
	s := &t.shards[shardOf(key)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok && e.at >= at.UnixNano() {
		return false
	}
	s.putLocked(key, v, at)
	return true
}

// MergeLocation records loc unless a location at least as recent is
// already known; it reports whether it did.
func (m *Memory) MergeLocation(imsi uint64, loc Location) bool {
	return m.locations.putIfNewer(imsi, m.locationRec(loc), loc.Time)
}

// MergeSession records s unless the session's entry is at least as
// recent; it reports whether it did.
func (m *Memory) MergeSession(key uint64, s Session) bool {
	return m.sessions.putIfNewer(key, m.sessionRec(s), s.Created)
}

// EachLocation calls fn for every location still valid at now, oldest
// first per shard.
func (m *Memory) EachLocation(now time.Time, fn func(imsi uint64, loc Location)) {
	m.locations.each(now, func(k uint64, r locationRec, _ int64) { fn(k, m.location(r)) })
}

// EachSession calls fn for every session still valid at now.
func (m *Memory) EachSession(now time.Time, fn func(key uint64, s Session)) {
	m.sessions.each(now, func(k uint64, r sessionRec, _ int64) { fn(k, m.session(r)) })
}
