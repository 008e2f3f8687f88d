package proxy

import (
	"sync"
	"time"

	"breakwater/firewall/transport"
	"breakwater/protocols/diameter"
)

// inflight remembers the requests a pair relayed to the upstream and that
// are not answered yet, with what answering one in the upstream's name
// takes (header, Session-Id, stream, PPID). When an upstream connection
// fails, every request still outstanding on it gets a 3002
// DIAMETER_UNABLE_TO_DELIVER at once: the peer's own connection to
// Breakwater stays up, so its transport-failure failover (RFC 6733
// §5.5.4) never starts, and without that answer the request would be lost
// without a word. Its count also bounds the graceful shutdown's wait.
//
// The peer reader adds, the upstream reader removes, and both hold the
// mutex for a few dozen nanoseconds per message. The table is open
// addressing with linear probing and backward-shift deletion; it starts
// small and doubles up to inflightMaxSlots, so its memory follows the
// requests actually outstanding, and once grown it allocates nothing per
// message (each slot keeps its Session-Id buffer). When it is full, entries
// older than inflightStale (an upstream that never answered them: the peer
// gave up on them long ago) are reclaimed; if none is, the request is not
// remembered, as the shutdown tracker does.
type inflight struct {
	mu       sync.Mutex
	slots    []inflightEntry // len a power of two; nil until the first request
	n        int
	purgedAt int64 // unix ns of the last look for stale entries in a full table
}

type inflightEntry struct {
	up                  *endpoint // the connection the request went out on; nil: free slot
	at                  int64     // unix ns, when it was relayed
	hbh, e2e, code, app uint32
	flags               uint8
	hasSID              bool
	stream              uint16
	ppid                uint32
	sid                 []byte // the Session-Id's data; the buffer stays with the slot
}

const (
	inflightMinSlots = 16
	inflightMaxSlots = 4096
	inflightStale    = int64(2 * time.Minute)
)

func inflightHome(hbh uint32, mask int) int { return int((hbh*0x9E3779B1)>>16) & mask }

// add remembers request m (hop-by-hop hbh), relayed on up at now.
func (f *inflight) add(up *endpoint, m transport.Message, hbh uint32, now int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.slots == nil {
		f.slots = make([]inflightEntry, inflightMinSlots)
	}
	if 4*(f.n+1) > 3*len(f.slots) { // keep probe chains short
		if len(f.slots) < inflightMaxSlots {
			f.resize(2*len(f.slots), now)
		} else if now-f.purgedAt > int64(time.Second) {
			f.purgedAt = now
			f.resize(len(f.slots), now)
		}
		if 4*(f.n+1) > 3*len(f.slots) {
			return // full of live requests: not remembered
		}
	}
	mask := len(f.slots) - 1
	i := inflightHome(hbh, mask)
	for f.slots[i].up != nil && f.slots[i].hbh != hbh {
		i = (i + 1) & mask
	}
	// A hop-by-hop identifier already outstanding (a retransmission, or a
	// peer that reuses one: RFC 6733 §3 wants them unique) takes the
	// earlier request's slot: the upstream's one answer for that id is
	// matched to one request either way, and a peer repeating an id
	// cannot grow one probe chain without end.
	if f.slots[i].up == nil {
		f.n++
	}
	e := &f.slots[i]
	e.up, e.at, e.hbh, e.stream, e.ppid = up, now, hbh, m.Stream, m.PPID
	h := m.Data
	e.flags = h[4]
	e.code = uint32(h[5])<<16 | uint32(h[6])<<8 | uint32(h[7])
	e.app = uint32(h[8])<<24 | uint32(h[9])<<16 | uint32(h[10])<<8 | uint32(h[11])
	e.e2e = uint32(h[16])<<24 | uint32(h[17])<<16 | uint32(h[18])<<8 | uint32(h[19])
	e.hasSID = false
	// Session-Id is the first AVP where the command has one (RFC 6733
	// §8.8); look no further than it has to.
	it := diameter.NewAVPs(m.Data[diameter.HeaderLen:])
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		if a.Code == diameter.AVPSessionID && a.Vendor == 0 {
			e.sid, e.hasSID = append(e.sid[:0], a.Data...), true
			break
		}
	}
}

// resize rehashes into size slots, dropping entries older than
// inflightStale.
func (f *inflight) resize(size int, now int64) {
	old := f.slots
	f.slots, f.n = make([]inflightEntry, size), 0
	mask := size - 1
	for k := range old {
		e := &old[k]
		if e.up == nil || now-e.at > inflightStale {
			continue
		}
		i := inflightHome(e.hbh, mask)
		for f.slots[i].up != nil {
			i = (i + 1) & mask
		}
		f.slots[i] = *e
		f.n++
	}
}

// remove forgets the request with hop-by-hop hbh and reports whether it
// was remembered (false: answered already, or answered for a failed
// connection by take).
func (f *inflight) remove(hbh uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return false
	}
	mask := len(f.slots) - 1
	for i := inflightHome(hbh, mask); f.slots[i].up != nil; i = (i + 1) & mask {
		if f.slots[i].hbh == hbh {
			f.delete(i)
			return true
		}
	}
	return false
}

// delete frees slot i, shifting back the entries after it whose probe
// chain crosses it (so no tombstones are needed).
func (f *inflight) delete(i int) {
	mask := len(f.slots) - 1
	for j := (i + 1) & mask; f.slots[j].up != nil; j = (j + 1) & mask {
		k := inflightHome(f.slots[j].hbh, mask)
		// j stays when its home k lies cyclically in (i, j].
		if i <= j && i < k && k <= j || i > j && (i < k || k <= j) {
			continue
		}
		f.slots[i], f.slots[j] = f.slots[j], f.slots[i] // the buffers move too
		i = j
	}
	f.slots[i].up = nil
	f.n--
}

func (f *inflight) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// pendingRequest is what answering a request that take removed needs.
type pendingRequest struct {
	flags               uint8
	code, app, hbh, e2e uint32
	sid                 []byte // nil: the request had no Session-Id
	stream              uint16
	ppid                uint32
}

// take removes and returns the requests still outstanding on up (off the
// message path: it allocates).
func (f *inflight) take(up *endpoint) []pendingRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []pendingRequest
	for i := range f.slots {
		e := &f.slots[i]
		if up == nil || e.up != up {
			continue
		}
		r := pendingRequest{flags: e.flags, code: e.code, app: e.app, hbh: e.hbh, e2e: e.e2e, stream: e.stream, ppid: e.ppid}
		if e.hasSID {
			r.sid = append([]byte(nil), e.sid...)
		}
		out = append(out, r)
		e.up = nil
	}
	if out != nil {
		f.resize(len(f.slots), 0) // the freed slots broke probe chains: rehash what is left
	}
	return out
}

// request rebuilds a request carrying what an answer to it copies.
func (r *pendingRequest) request(b *diameter.Builder) []byte {
	b.Start(r.flags, r.code, r.app, r.hbh, r.e2e)
	if r.sid != nil {
		b.Bytes(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, r.sid)
	}
	return b.Message()
}
