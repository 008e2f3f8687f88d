package ratelimit

import (
	"net/netip"
)

// Several nodes enforce one limit per source together (firewall/cluster):
// each periodically drains the tokens its sources took and sends them to
// the others, which charge them to their own buckets for the same
// sources. A source spreading its traffic over N nodes is then held to
// its rate overall, give or take what was taken within one sharing
// period. A node that has not seen a source yet keeps no bucket for it
// and ignores the charge: the source starts there with a full bucket,
// as after an eviction (the limit fails open, never closed).

// Drain calls fn for every source that took tokens since the last Drain,
// with their number, and resets the counts. fn runs under a bucket lock:
// it must only record.
func (l *Limiter) Drain(fn func(src netip.Addr, n uint32)) {
	for i := range l.buckets {
		b := &l.buckets[i]
		b.mu.Lock()
		for j := range b.slots {
			s := &b.slots[j]
			if s.last != 0 && s.taken != 0 {
				fn(s.addr, s.taken)
				s.taken = 0
			}
		}
		b.mu.Unlock()
	}
}

// Charge takes n tokens another node's traffic from src used out of
// src's bucket here, if there is one. The bucket may go into debt, at
// most one burst deep, so that a source cannot bank the cluster's
// combined rate.
func (l *Limiter) Charge(src netip.Addr, n uint32) {
	b := &l.buckets[l.index(src)]
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.slots {
		s := &b.slots[i]
		if s.last != 0 && s.addr == src {
			s.tokens = max(s.tokens-float64(n), -s.burst)
			return
		}
	}
}
