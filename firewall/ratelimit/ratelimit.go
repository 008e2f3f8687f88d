// Package ratelimit is the user-space twin of the XDP pre-filter's rate
// limit: a token bucket per source address, each refilled at its
// partner's rate (partners[].rate_limit). The relays consult it when the
// pre-filter is not attached; when it is, the kernel has already shed the
// excess and the relays skip it.
//
// The table is bounded like the kernel's LRU map: a fixed array of small
// buckets indexed by a hash of the address, where a new address takes a
// free slot or the least recently used one. An evicted address starts
// again with a full bucket — the limit fails open for it, never closed.
package ratelimit

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter holds the token buckets. Safe for concurrent use.
type Limiter struct {
	seed    maphash.Seed
	mask    uint64
	buckets []bucket
	// Throttled counts stream messages whose reading was delayed,
	// Dropped datagrams discarded over the limit (the callers count).
	Throttled, Dropped atomic.Uint64
}

const ways = 4

type bucket struct {
	mu    sync.Mutex
	slots [ways]slot
}

type slot struct {
	addr   netip.Addr
	tokens float64 // available tokens at last
	last   int64   // unix ns of the last refill; 0: free
	burst  float64 // the bucket's size as last taken from
	// taken counts tokens taken here since the last Drain (shared.go).
	taken uint32
}

// New returns a limiter remembering at least capacity source addresses.
func New(capacity int) *Limiter {
	n := 1
	for n*ways < capacity {
		n <<= 1
	}
	return &Limiter{seed: maphash.MakeSeed(), mask: uint64(n - 1), buckets: make([]bucket, n)}
}

// Take takes one token from src's bucket (rate tokens per second, at most
// burst) and returns 0, or, when the bucket is empty, takes nothing and
// returns how long until a token is available. rate 0 means unlimited.
// It does not allocate.
func (l *Limiter) Take(src netip.Addr, now time.Time, rate, burst uint32) time.Duration {
	if rate == 0 {
		return 0
	}
	if burst == 0 {
		burst = rate
	}
	ns := now.UnixNano()
	b := &l.buckets[l.index(src)]
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.find(src)
	if s.last == 0 || s.addr != src {
		*s = slot{addr: src, tokens: float64(burst), last: ns}
	}
	if dt := ns - s.last; dt > 0 {
		s.tokens = min(float64(burst), s.tokens+float64(dt)*float64(rate)/1e9)
		s.last = ns
	}
	s.burst = float64(burst)
	if s.tokens >= 1 {
		s.tokens--
		s.taken++
		return 0
	}
	return time.Duration((1 - s.tokens) * 1e9 / float64(rate))
}

func (l *Limiter) index(src netip.Addr) uint64 { return maphash.Comparable(l.seed, src) & l.mask }

// find returns src's slot, or the slot it is to take: a free one, else
// the least recently refilled.
func (b *bucket) find(src netip.Addr) *slot {
	victim := &b.slots[0]
	for i := range b.slots {
		s := &b.slots[i]
		if s.last != 0 && s.addr == src {
			return s
		}
		if s.last == 0 {
			if victim.last != 0 {
				victim = s
			}
			continue
		}
		if victim.last != 0 && s.last < victim.last {
			victim = s
		}
	}
	return victim
}
