// Package partnerstats counts judged messages per partner, protocol,
// operation and verdict, for /metrics: what an operator watches to see
// which partner sends what, and what Breakwater refuses of it.
//
// Counting runs on the message path, so it must not allocate in steady
// state nor contend: tables are read through an atomic pointer to an
// immutable map and grow by copy-on-write under a mutex the first time a
// partner or operation is seen (a bounded event: partners come from the
// configuration, operation names from the parsers' static tables). The
// number of distinct (partner, protocol, operation) series is capped so
// that hostile traffic cannot inflate the metrics.
package partnerstats

import (
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"

	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

// MaxSeries caps the series (partner, protocol, operation) kept; beyond
// it, new ones count under the partner's operation "other".
const MaxSeries = 16384

// key names one series cheaply: the partner by a hash of its name (the
// same across reloads, which give partners new name strings) and the
// operation by protocol, code, direction (request or answer: a DWR and a
// DWA share a code) and TCAP user (CAMEL codes mean other things than
// MAP's). A map over two words hashes in a few nanoseconds; over the
// strings themselves it cost a hundred.
type key struct {
	partner uint64
	opcode  uint64 // camel<<41 | request<<40 | protocol<<32 | code
}

// Operation kinds for Count.
const (
	Request = 1 << 0 // the message is a request
	CAMEL   = 1 << 1 // a CAMEL (CAP) operation code
)

// series is one series' names and counters by action (allow, drop,
// reject).
type series struct {
	partner string
	proto   view.Protocol
	op      string
	n       [3]atomic.Uint64
}

// Stats holds the counters. The zero value is not usable: New.
type Stats struct {
	seed  maphash.Seed
	m     atomic.Pointer[map[key]*series]
	mu    sync.Mutex
	n     int
	limit int // MaxSeries; smaller in tests
}

// New returns empty counters.
func New() *Stats {
	s := &Stats{limit: MaxSeries, seed: maphash.MakeSeed()}
	m := map[key]*series{}
	s.m.Store(&m)
	return s
}

// Count counts one judged message from partner (the sender's name;
// "unknown" for unknown sources) with its protocol, operation code, kind
// (Request, CAMEL bits) and static name. It does not allocate once the
// series exists.
func (s *Stats) Count(partner string, proto view.Protocol, code uint32, kind uint8, op string, action rules.Action) {
	i := actionIndex(action)
	if i < 0 {
		return
	}
	k := key{maphash.String(s.seed, partner), uint64(kind)<<40 | uint64(proto)<<32 | uint64(code)}
	c := (*s.m.Load())[k]
	if c == nil {
		c = s.add(k, partner, proto, op)
	}
	c.n[i].Add(1)
}

// add returns k's series, adding it (copy-on-write) when new; past the
// limit, new series share one "other" series per partner.
func (s *Stats) add(k key, partner string, proto view.Protocol, op string) *series {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.m.Load()
	if c := old[k]; c != nil {
		return c
	}
	if s.n >= s.limit {
		k.opcode = 1 << 63 // the partner's "other" series
		if c := old[k]; c != nil {
			return c
		}
		proto, op = view.ProtoUnknown, "other"
	}
	if op == "" {
		op = "unknown"
	}
	m := make(map[key]*series, len(old)+1)
	for kk, v := range old {
		m[kk] = v
	}
	c := &series{partner: partner, proto: proto, op: op}
	m[k] = c
	s.n++
	s.m.Store(&m)
	return c
}

func actionIndex(a rules.Action) int {
	switch a {
	case rules.Allow:
		return 0
	case rules.Drop:
		return 1
	case rules.Reject:
		return 2
	}
	return -1
}

// Series is one counter for /metrics.
type Series struct {
	Partner, Protocol, Op, Verdict string
	Count                          uint64
}

// Snapshot lists the non-zero counters, merged by names, sorted.
func (s *Stats) Snapshot() []Series {
	type names struct{ partner, proto, op string }
	sum := map[names]*[3]uint64{}
	for _, c := range *s.m.Load() {
		nk := names{c.partner, c.proto.String(), c.op}
		t := sum[nk]
		if t == nil {
			t = &[3]uint64{}
			sum[nk] = t
		}
		for i := range t {
			t[i] += c.n[i].Load()
		}
	}
	var out []Series
	for nk, t := range sum {
		for i, verdict := range [3]string{"allow", "drop", "reject"} {
			if t[i] > 0 {
				out = append(out, Series{nk.partner, nk.proto, nk.op, verdict, t[i]})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Partner != b.Partner {
			return a.Partner < b.Partner
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		if a.Op != b.Op {
			return a.Op < b.Op
		}
		return a.Verdict < b.Verdict
	})
	return out
}
