package proxy

import (
	"net/netip"
	"sync"
)

// teidMap gives each control-plane endpoint a partner announces — its
// node's address and its TEID — a TEID of the relay's own, which is what
// the relay announces toward home in the partner's place. Home nodes then
// address the partner's session by the relay's TEID alone, and the relay
// finds node and partner TEID again. Partner nodes choose TEIDs
// independently (several SGSNs of one partner may all use TEID 1), so the
// partner's TEID alone cannot say which node a home request is for.
//
// The relay's TEID is generation<<bits | slot: a slot reused for a new
// endpoint gets a new generation, so a home request for the endpoint that
// had the slot before does not reach the new one. A slot is reused when
// its endpoint has not been seen for the idle time (GTP sessions may stay
// silent for days; the session table's TTL is the natural choice); when
// the probed slots are all busy, the least recently used of them is taken
// (counted: the table is too small for the network).
//
// Fixed arrays sized at start (no allocation on the message path), one
// short lock shared by the relay's two socket readers. The reverse index
// is an open-addressing table with linear probing and backward-shift
// deletion, so it needs no tombstones and never degrades.
type teidMap struct {
	mu    sync.Mutex
	bits  uint
	slots []teidSlot
	index []uint32 // slot+1 of the endpoint hashed there; 0: empty
	hand  uint32
	idle  int64
	// Evicted counts endpoints dropped while still within the idle time.
	evicted uint64
}

type teidKey struct {
	node netip.AddrPort
	teid uint32
}

type teidSlot struct {
	key  teidKey
	gen  uint32
	last int64
	used bool
}

// teidProbe bounds the slots looked at to allocate one.
const teidProbe = 32

func newTEIDMap(capacity int, idle int64) *teidMap {
	bits := uint(4)
	for 1<<bits < capacity && bits < 24 {
		bits++
	}
	return &teidMap{bits: bits, slots: make([]teidSlot, 1<<bits), index: make([]uint32, 2<<bits), idle: idle}
}

func (m *teidMap) hash(k teidKey) uint32 {
	a := k.node.Addr().As16()
	h := uint64(14695981039346656037)
	for _, b := range a {
		h = (h ^ uint64(b)) * 1099511628211
	}
	h ^= uint64(k.node.Port())<<32 | uint64(k.teid)
	h *= 0x9E3779B97F4A7C15
	return uint32(h>>32) & uint32(len(m.index)-1)
}

func (m *teidMap) local(slot uint32) uint32 {
	return m.slots[slot].gen<<m.bits | slot
}

// put returns the relay's TEID for a partner endpoint, allocating one the
// first time it is seen; evicted reports that a busy endpoint lost its
// slot for it.
func (m *teidMap) put(k teidKey, now int64) (local uint32, evicted bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mask := uint32(len(m.index) - 1)
	for i := m.hash(k); ; i = (i + 1) & mask {
		s := m.index[i]
		if s == 0 {
			break
		}
		if m.slots[s-1].key == k {
			m.slots[s-1].last = now
			return m.local(s - 1), false
		}
	}
	// Allocate: the first free or idle slot from the hand, else the least
	// recently used of those probed.
	n := uint32(len(m.slots))
	best := m.hand % n
	for p := uint32(0); p < teidProbe && p < n; p++ {
		i := (m.hand + p) % n
		s := &m.slots[i]
		if !s.used || now-s.last > m.idle {
			best = i
			break
		}
		if s.last < m.slots[best].last {
			best = i
		}
	}
	m.hand = best + 1
	s := &m.slots[best]
	if s.used {
		if now-s.last <= m.idle {
			m.evicted++
			evicted = true
		}
		m.unindex(s.key, best)
	}
	gen := (s.gen + 1) & (1<<(32-m.bits) - 1)
	if gen == 0 {
		gen = 1 // TEID 0 means "none"
	}
	*s = teidSlot{key: k, gen: gen, last: now, used: true}
	for i := m.hash(k); ; i = (i + 1) & mask {
		if m.index[i] == 0 {
			m.index[i] = best + 1
			break
		}
	}
	return m.local(best), evicted
}

// unindex removes slot's entry from the index, shifting later entries of
// the probe run back so that lookups need no tombstones.
func (m *teidMap) unindex(k teidKey, slot uint32) {
	mask := uint32(len(m.index) - 1)
	i := m.hash(k)
	for m.index[i] != slot+1 {
		if m.index[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; m.index[j] != 0; j = (j + 1) & mask {
		h := m.hash(m.slots[m.index[j]-1].key)
		// Move j's entry into the hole at i unless its home h lies
		// cyclically in (i, j]: then it must stay after h.
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			m.index[i] = m.index[j]
			i = j
		}
	}
	m.index[i] = 0
}

// get finds the partner endpoint behind one of the relay's TEIDs.
func (m *teidMap) get(local uint32, now int64) (teidKey, bool) {
	slot := local & (1<<m.bits - 1)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.slots[slot]
	if !s.used || s.gen<<m.bits|slot != local {
		return teidKey{}, false
	}
	s.last = now
	return s.key, true
}
