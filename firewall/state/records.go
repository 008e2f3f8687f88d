package state

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/protocols/view"
)

// locationRec and sessionRec are Location and Session as the tables hold
// them: without a pointer (the partner is its number in partnerNames, the
// time Unix nanoseconds), so that the garbage collector never scans the
// tables. They are most of a node's heap (tens of MB for the default
// sizes, more with millions of subscribers), and scanning them as
// Locations took 23 ms of a single core at each collection, which the Go
// runtime forces at least every two minutes even when nothing allocates:
// every message relayed meanwhile waited behind it.
type locationRec struct {
	plmn    view.PLMN
	partner uint32
	time    int64
}

type sessionRec struct {
	partner uint32
	imsi    uint64
	created int64
}

// zeroTime is how a zero time.Time (which has no Unix nanoseconds) is held.
const zeroTime = math.MinInt64

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return zeroTime
	}
	return t.UnixNano()
}

func fromNanos(ns int64) time.Time {
	if ns == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func (m *Memory) locationRec(l Location) locationRec {
	return locationRec{plmn: l.PLMN, partner: m.partners.id(l.Partner), time: nanos(l.Time)}
}

func (m *Memory) location(r locationRec) Location {
	return Location{PLMN: r.plmn, Partner: m.partners.name(r.partner), Time: fromNanos(r.time)}
}

func (m *Memory) sessionRec(s Session) sessionRec {
	return sessionRec{partner: m.partners.id(s.Partner), imsi: s.IMSI, created: nanos(s.Created)}
}

func (m *Memory) session(r sessionRec) Session {
	return Session{Partner: m.partners.name(r.partner), IMSI: r.imsi, Created: fromNanos(r.created)}
}

// partnerNames numbers the partner names the tables hold. Readers take an
// immutable snapshot without locking; a new name (rare: names come from
// the configuration) copies it. Names can also arrive from other nodes
// through a cluster, or from a snapshot file, so at most maxPartnerNames
// are numbered; a name beyond them is held as unnumberedPartner, which no
// configured partner can be called (configured names allow only letters,
// digits, '-', '_' and '.'): such an entry is never taken for a partner's
// own location or session.
type partnerNames struct {
	mu   sync.Mutex // serialises additions
	snap atomic.Pointer[nameTable]
}

type nameTable struct {
	ids  map[string]uint32
	list []string
}

const (
	maxPartnerNames   = 4096
	unnumberedPartner = "(unnumbered)"
)

// id returns name's number, numbering it if it is new.
func (p *partnerNames) id(name string) uint32 {
	if t := p.snap.Load(); t != nil {
		if id, ok := t.ids[name]; ok {
			return id
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.snap.Load()
	if t == nil {
		// Number 0 is "" and 1 the overflow, so neither is ever added.
		t = &nameTable{ids: map[string]uint32{"": 0, unnumberedPartner: 1}, list: []string{"", unnumberedPartner}}
		p.snap.Store(t)
	}
	if id, ok := t.ids[name]; ok {
		return id
	}
	if len(t.list) >= maxPartnerNames {
		return t.ids[unnumberedPartner]
	}
	n := &nameTable{ids: make(map[string]uint32, len(t.ids)+1), list: append(t.list[:len(t.list):len(t.list)], name)}
	for k, v := range t.ids {
		n.ids[k] = v
	}
	id := uint32(len(t.list))
	n.ids[name] = id
	p.snap.Store(n)
	return id
}

// name returns the name numbered id.
func (p *partnerNames) name(id uint32) string {
	if t := p.snap.Load(); t != nil && int(id) < len(t.list) {
		return t.list[id]
	}
	return ""
}
