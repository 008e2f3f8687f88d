package capture

import (
	"bytes"
	"fmt"
	"time"
)

// IP fragment reassembly.
//
// Fragments are keyed as the RFCs say: (src, dst, protocol, id) for IPv4 and
// (src, dst, id) for IPv6. Overlaps are handled safely: an overlapping
// fragment that repeats the bytes already held (a duplicate or a re-sent
// fragment) is accepted, one that contradicts them poisons the whole
// datagram (RFC 5722 style), since the receiving host's choice cannot be
// known. A poisoned set swallows the rest of its fragments silently until it
// times out, so one attack gives one Problem.

type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8
	v6       bool
}

type span struct{ lo, hi int }

type fragSet struct {
	buf       []byte // bytes [0, len) of the datagram; only spans are valid
	spans     []span // received ranges, sorted and merged
	total     int    // datagram length once the last fragment is seen, else -1
	nh        uint8  // protocol of the fragmentable part, from the first fragment
	haveFirst bool
	poisoned  bool
	created   time.Time
	lastFrame int
	lastTime  time.Time
}

type defragState struct {
	sets  lruMap[fragKey, fragSet] // in creation order: never touched
	bytes int                      // capacity of all set buffers
}

// maxFragSpans bounds the disjoint ranges of one datagram, which bounds the
// per-fragment work.
const maxFragSpans = 128

func fragLayer(k *fragKey) layer {
	if k.v6 {
		return layerIPv6
	}
	return layerIPv4
}

// defragment adds one fragment (payload data at byte offset off) and returns
// the whole datagram and the protocol of its first fragment when it is
// complete. maxLen is the largest datagram payload the header allows.
func (r *Reader) defragment(k fragKey, off, maxLen int, more bool, data []byte, nh uint8) ([]byte, uint8, bool) {
	st := &r.frag
	r.stats.IPFragments++
	lay := fragLayer(&k)
	if more && len(data)%8 != 0 {
		r.stats.IPFragDropped++
		r.problem(lay, "non-final fragment (id %d, offset %d) of %d bytes is not a multiple of 8; dropped", k.id, off, len(data))
		return nil, 0, false
	}
	e := st.sets.getRecent(k)
	if e == nil {
		e = r.newFragSet(k)
	}
	s := &e.val
	s.lastFrame, s.lastTime = r.frame, r.ts
	if s.poisoned {
		r.stats.IPFragDropped++
		return nil, 0, false
	}
	end := off + len(data)
	switch {
	case end > maxLen:
		r.poisonFragSet(e, lay, "fragment at offset %d with %d bytes exceeds the maximum datagram size %d", off, len(data), maxLen)
		return nil, 0, false
	case !more && s.total >= 0 && s.total != end:
		r.poisonFragSet(e, lay, "two final fragments disagree on the datagram length (%d and %d)", s.total, end)
		return nil, 0, false
	case !more && len(s.spans) > 0 && s.spans[len(s.spans)-1].hi > end:
		r.poisonFragSet(e, lay, "final fragment ends at %d but data was received up to %d", end, s.spans[len(s.spans)-1].hi)
		return nil, 0, false
	case more && s.total >= 0 && end > s.total:
		r.poisonFragSet(e, lay, "fragment ends at %d, beyond the datagram end %d", end, s.total)
		return nil, 0, false
	}
	for _, sp := range s.spans {
		lo, hi := max(sp.lo, off), min(sp.hi, end)
		if lo < hi && !bytes.Equal(s.buf[lo:hi], data[lo-off:hi-off]) {
			r.poisonFragSet(e, lay, "fragment at offset %d overlaps earlier data with different bytes", off)
			return nil, 0, false
		}
	}
	if !more {
		s.total = end
	}
	if off == 0 {
		s.haveFirst, s.nh = true, nh
	}
	if len(data) > 0 {
		if end > len(s.buf) {
			old := cap(s.buf)
			s.buf = r.pool.grow(s.buf, end)
			st.bytes += cap(s.buf) - old
			s.buf = s.buf[:end]
		}
		copy(s.buf[off:end], data)
		s.spans = addSpan(s.spans, span{off, end})
		if len(s.spans) > maxFragSpans {
			r.poisonFragSet(e, lay, "more than %d disjoint fragments", maxFragSpans)
			return nil, 0, false
		}
	}
	if s.total < 0 || !s.haveFirst || len(s.spans) != 1 || s.spans[0] != (span{0, s.total}) {
		r.trimFragments(e)
		return nil, 0, false
	}
	out, first := s.buf[:s.total], s.nh
	st.bytes -= cap(s.buf)
	s.buf = nil
	r.removeFragSet(e)
	r.pktHeld = out // recycled when the next record is read
	r.stats.IPReassembled++
	return out, first, true
}

// addSpan inserts sp into the sorted, merged list spans.
func addSpan(spans []span, sp span) []span {
	i := 0
	for i < len(spans) && spans[i].hi < sp.lo {
		i++
	}
	j := i
	for j < len(spans) && spans[j].lo <= sp.hi {
		sp.lo = min(sp.lo, spans[j].lo)
		sp.hi = max(sp.hi, spans[j].hi)
		j++
	}
	if i == j {
		spans = append(spans, span{})
		copy(spans[i+1:], spans[i:])
		spans[i] = sp
		return spans
	}
	spans[i] = sp
	return append(spans[:i+1], spans[j:]...)
}

func (r *Reader) newFragSet(k fragKey) *lruEntry[fragKey, fragSet] {
	st := &r.frag
	for st.sets.len() >= r.opts.MaxFlows {
		r.stats.Evictions++
		r.dropFragSet(st.sets.oldest(), fmt.Sprintf("evicted: more than %d fragment sets", r.opts.MaxFlows))
	}
	e := st.sets.insert(k)
	s := &e.val
	*s = fragSet{spans: s.spans[:0], total: -1, created: r.clock, lastFrame: r.frame, lastTime: r.ts}
	return e
}

// trimFragments keeps the fragment buffers under MaxBuffered, evicting the
// oldest sets other than keep.
func (r *Reader) trimFragments(keep *lruEntry[fragKey, fragSet]) {
	st := &r.frag
	for st.bytes > r.opts.MaxBuffered {
		e := st.sets.oldest()
		if e == keep {
			return
		}
		r.stats.Evictions++
		r.dropFragSet(e, fmt.Sprintf("evicted: fragment buffers exceed %d bytes", r.opts.MaxBuffered))
	}
}

func (r *Reader) poisonFragSet(e *lruEntry[fragKey, fragSet], lay layer, format string, args ...any) {
	r.stats.IPFragDropped++
	r.problem(lay, "datagram id %d dropped: "+format, append([]any{e.key.id}, args...)...)
	s := &e.val
	s.poisoned = true
	r.frag.bytes -= cap(s.buf)
	r.pool.put(s.buf)
	s.buf = nil
	s.spans = s.spans[:0]
}

// dropFragSet discards a set, reporting it (at the frame of its last
// fragment) unless it was already reported as poisoned.
func (r *Reader) dropFragSet(e *lruEntry[fragKey, fragSet], why string) {
	s := &e.val
	if !s.poisoned {
		held := 0
		for _, sp := range s.spans {
			held += sp.hi - sp.lo
		}
		r.problemAt(s.lastFrame, s.lastTime, fragLayer(&e.key),
			fmt.Sprintf("incomplete datagram id %d (%d bytes received) %s", e.key.id, held, why))
	}
	r.removeFragSet(e)
}

func (r *Reader) removeFragSet(e *lruEntry[fragKey, fragSet]) {
	s := &e.val
	r.frag.bytes -= cap(s.buf)
	r.pool.put(s.buf)
	s.buf = nil
	r.frag.sets.remove(e)
}

// expireFragments drops sets older than the reassembly timeout.
func (r *Reader) expireFragments() {
	st := &r.frag
	for e := st.sets.oldest(); e != nil && e.val.created.Before(r.horizon); e = st.sets.oldest() {
		r.dropFragSet(e, fmt.Sprintf("timed out after %v", r.opts.ReassemblyTimeout))
	}
}

// flushFragments reports one incomplete set left at the end of the capture.
func (r *Reader) flushFragments() bool {
	e := r.frag.sets.oldest()
	if e == nil {
		return false
	}
	r.dropFragSet(e, "at the end of the capture")
	return true
}
