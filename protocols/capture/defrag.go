package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
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
//
// A datagram the caller does not want (Options.WantDatagram), as its
// fragment at offset 0 shows, is tracked without its bytes: its spans are
// kept, so completion, bounds, timeouts and reports of incomplete datagrams
// work as for any other, and so are the first bytes of that fragment, up to
// fragHeadMax, through the transport ports. Only a fragment at offset 0 can
// carry the transport header (non-final fragments are multiples of 8 bytes
// and the ports are in the first 4), so a later fragment that contradicts
// those bytes - a second first fragment rewriting the ports to a wanted one,
// say - poisons the datagram with the usual overlap Problem instead of being
// dropped unseen.

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
	ignored   bool  // not wanted: spans are tracked, bytes are not
	headLen   uint8 // ignored: bytes of head held
	created   stamp
	lastFrame int
	lastTime  stamp
	head      [fragHeadMax]byte // ignored: the first bytes of the fragment at offset 0
}

// fragHeadMax bounds the bytes of an ignored datagram's first fragment that
// are kept to check later fragments against. The transport ports (and, for
// IPv6, the extension headers before them) must lie within it for a
// datagram to be ignored.
const fragHeadMax = 64

// fragHead locates the upper-layer header in a fragment at offset 0.
type fragHead struct {
	at    int // offset of the header in the fragment data; -1: not known
	proto uint8
}

var noFragHead = fragHead{at: -1}

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
// complete. maxLen is the largest datagram payload the header allows. fh
// locates the upper-layer header when off is 0.
func (r *Reader) defragment(k fragKey, off, maxLen int, more bool, data []byte, nh uint8, fh fragHead) ([]byte, uint8, bool) {
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
	if off == 0 && s.haveFirst && nh != s.nh {
		// IPv6: two first fragments name different upper layers for the
		// same bytes (the IPv4 protocol is part of the key).
		r.poisonFragSet(e, lay, "fragment at offset 0 overlaps earlier data with a different next header (%d, was %d)", nh, s.nh)
		return nil, 0, false
	}
	if s.ignored {
		if s.headConflict(off, data) {
			r.poisonFragSet(e, lay, "fragment at offset %d overlaps earlier data with different bytes", off)
			return nil, 0, false
		}
	} else {
		for _, sp := range s.spans {
			lo, hi := max(sp.lo, off), min(sp.hi, end)
			if lo < hi && !bytes.Equal(s.buf[lo:hi], data[lo-off:hi-off]) {
				r.poisonFragSet(e, lay, "fragment at offset %d overlaps earlier data with different bytes", off)
				return nil, 0, false
			}
		}
	}
	if !more {
		s.total = end
	}
	if off == 0 {
		if !s.haveFirst && r.opts.WantDatagram != nil && !r.wantFragmented(fh, data) {
			r.ignoreFragSet(s, data)
		}
		s.haveFirst, s.nh = true, nh
	}
	if s.ignored {
		return r.ignoredFragment(e, lay, off, end)
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

// wantFragmented asks Options.WantDatagram about the datagram whose
// fragment at offset 0 is data. A datagram whose header does not lie within
// fragHeadMax bytes of the fragment is wanted: it cannot be checked. No
// message can come of a protocol other than UDP, TCP and SCTP, so such a
// datagram is not wanted.
func (r *Reader) wantFragmented(fh fragHead, data []byte) bool {
	if fh.at < 0 {
		return true
	}
	var t Transport
	switch fh.proto {
	case protoUDP:
		t = TransportUDP
	case protoTCP:
		t = TransportTCP
	case protoSCTP:
		t = TransportSCTP
	default:
		return fh.at > min(len(data), fragHeadMax)
	}
	if fh.at+4 > min(len(data), fragHeadMax) {
		return true
	}
	p := data[fh.at:]
	src, dst := r.pkt.endpoints(binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4]))
	return r.opts.WantDatagram(t, src, dst)
}

// ignoreFragSet stops buffering s, whose fragment at offset 0 is data: the
// bytes received so far are released and the first ones of data are kept.
func (r *Reader) ignoreFragSet(s *fragSet, data []byte) {
	s.ignored = true
	s.headLen = uint8(copy(s.head[:], data))
	r.frag.bytes -= cap(s.buf)
	r.pool.put(s.buf)
	s.buf = nil
}

// headConflict reports whether a fragment of an ignored datagram
// contradicts the first bytes kept of its fragment at offset 0.
func (s *fragSet) headConflict(off int, data []byte) bool {
	hl := int(s.headLen)
	if off >= hl {
		return false
	}
	hi := min(off+len(data), hl)
	return !bytes.Equal(s.head[off:hi], data[:hi-off])
}

// ignoredFragment records the span [off, end) of an ignored datagram
// without its bytes, and forgets the datagram once it is complete.
func (r *Reader) ignoredFragment(e *lruEntry[fragKey, fragSet], lay layer, off, end int) ([]byte, uint8, bool) {
	s := &e.val
	r.stats.IPFragIgnored++
	if end > off {
		s.spans = addSpan(s.spans, span{off, end})
		if len(s.spans) > maxFragSpans {
			r.poisonFragSet(e, lay, "more than %d disjoint fragments", maxFragSpans)
			return nil, 0, false
		}
	}
	if s.total >= 0 && len(s.spans) == 1 && s.spans[0] == (span{0, s.total}) {
		r.removeFragSet(e)
		r.stats.IPIgnored++
	}
	return nil, 0, false
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
	for e := st.sets.oldest(); e != nil && e.val.created.before(r.horizon); e = st.sets.oldest() {
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
