package capture

import (
	"fmt"
)

// Reassembly of fragmented SCTP user messages.
//
// A message in progress (a run) starts with its B fragment and is keyed by
// the fragment it needs next: TSN+1 for DATA, whose fragments carry
// consecutive TSNs, and (stream, MID, FSN+1) for I-DATA, whose messages may
// interleave. A fragment that arrives before its predecessor is parked under
// its own key and pulled in when the run reaches it. Every fragment is copied
// at most twice, whatever the arrival order, so hostile orderings cost linear
// time.

type sctpFragKey struct {
	dir    uint64 // sctpDir.id
	mid    uint32 // I-DATA message identifier; 0 for DATA
	seq    uint32 // TSN for DATA, FSN for I-DATA
	stream uint16
	kind   uint8 // kindUnordered | kindIData
}

const (
	kindUnordered = 1 << iota
	kindIData
)

type sctpRun struct {
	buf       []byte
	ppid      uint32
	stream    uint16
	frags     int
	discard   bool // grew past MaxMessage: swallow the rest, already reported
	lastFrame int
	lastTime  stamp // timestamp of lastFrame, for reports
	touched   stamp // capture clock at the last fragment, for the timeout
}

type sctpParked struct {
	data    []byte
	end     bool
	frame   int
	time    stamp
	touched stamp
}

func sctpKeyOf(dir uint64, f *sctpFrag) sctpFragKey {
	k := sctpFragKey{dir: dir, mid: f.mid, seq: f.seq, stream: f.stream}
	if f.flags&flagUnordered != 0 {
		k.kind |= kindUnordered
	}
	if f.idata {
		k.kind |= kindIData
	}
	return k
}

func describeFrag(k sctpFragKey) string {
	if k.kind&kindIData != 0 {
		return fmt.Sprintf("stream %d MID %d FSN %d", k.stream, k.mid, k.seq)
	}
	return fmt.Sprintf("stream %d TSN %d", k.stream, k.seq)
}

// sctpFragment adds one fragment (not B+E) and returns the message it
// completes, if any. Buffers are trimmed to MaxBuffered only afterwards, so
// that no entry in use is evicted underneath.
func (r *Reader) sctpFragment(c *sctpCursor, f *sctpFrag) bool {
	ok := r.sctpAddFragment(c, f)
	r.sctpTrim()
	return ok
}

func (r *Reader) sctpAddFragment(c *sctpCursor, f *sctpFrag) bool {
	st := &r.sctp
	k := sctpKeyOf(c.dir.id, f)
	if f.flags&flagBegin != 0 {
		k.seq++
		e := r.sctpNewRun(k)
		e.val.ppid, e.val.stream = f.ppid, f.stream
		r.sctpAppend(e, f.data)
		return r.sctpPull(c, e)
	}
	e := st.runs.get(k)
	if e == nil {
		r.sctpPark(k, f)
		return false
	}
	r.sctpAppend(e, f.data)
	if f.flags&flagEnd != 0 {
		return r.sctpComplete(c, e)
	}
	r.sctpAdvance(e)
	return r.sctpPull(c, e)
}

// sctpPull appends parked fragments that continue run e.
func (r *Reader) sctpPull(c *sctpCursor, e *lruEntry[sctpFragKey, sctpRun]) bool {
	st := &r.sctp
	for {
		p := st.parked.get(e.key)
		if p == nil {
			return false
		}
		end := p.val.end
		r.sctpAppend(e, p.val.data)
		r.sctpUnpark(p)
		if end {
			return r.sctpComplete(c, e)
		}
		r.sctpAdvance(e)
	}
}

func (r *Reader) sctpNewRun(k sctpFragKey) *lruEntry[sctpFragKey, sctpRun] {
	st := &r.sctp
	if old := st.runs.get(k); old != nil {
		r.sctpDropRun(old, "replaced by a new message with the same fragment numbers")
	}
	for st.runs.len() >= r.opts.MaxFlows {
		r.stats.Evictions++
		r.sctpDropRun(st.runs.oldest(), fmt.Sprintf("evicted: more than %d messages in reassembly", r.opts.MaxFlows))
	}
	e := st.runs.insert(k)
	e.val = sctpRun{lastFrame: r.frame, lastTime: r.ts, touched: r.clock}
	return e
}

// sctpAdvance rekeys run e to wait for the fragment after its current key.
func (r *Reader) sctpAdvance(e *lruEntry[sctpFragKey, sctpRun]) {
	st := &r.sctp
	k := e.key
	k.seq++
	if other := st.runs.get(k); other != nil {
		r.sctpDropRun(other, "its fragment numbers collide with another message")
	}
	st.runs.rekey(e, k)
}

func (r *Reader) sctpAppend(e *lruEntry[sctpFragKey, sctpRun], data []byte) {
	st := &r.sctp
	run := &e.val
	run.frags++
	run.lastFrame, run.lastTime, run.touched = r.frame, r.ts, r.clock
	if run.discard {
		return
	}
	if len(run.buf)+len(data) > r.opts.MaxMessage {
		r.problem(layerSCTP, "fragmented user message on stream %d exceeds MaxMessage (%d) after %d fragments; dropped",
			run.stream, r.opts.MaxMessage, run.frags)
		st.bytes -= cap(run.buf)
		r.pool.put(run.buf)
		run.buf = nil
		run.discard = true
		return
	}
	old := cap(run.buf)
	run.buf = append(r.pool.grow(run.buf, len(run.buf)+len(data)), data...)
	st.bytes += cap(run.buf) - old
}

// sctpComplete finishes run e and returns its message.
func (r *Reader) sctpComplete(c *sctpCursor, e *lruEntry[sctpFragKey, sctpRun]) bool {
	st := &r.sctp
	run := e.val
	e.val.buf = nil
	st.runs.remove(e)
	if run.discard {
		return false
	}
	st.bytes -= cap(run.buf)
	r.holdForMessage(run.buf)
	r.stats.SCTPReassembled++
	r.sctpMessage(c, run.stream, run.ppid, run.buf)
	return true
}

// sctpDropRun discards an incomplete message, reporting it at the frame of
// its last fragment unless it was already reported as oversized.
func (r *Reader) sctpDropRun(e *lruEntry[sctpFragKey, sctpRun], why string) {
	st := &r.sctp
	run := &e.val
	if !run.discard {
		r.problemAt(run.lastFrame, run.lastTime, layerSCTP, fmt.Sprintf(
			"incomplete user message (%d fragments, %d bytes, waiting for %s) %s",
			run.frags, len(run.buf), describeFrag(e.key), why))
	}
	st.bytes -= cap(run.buf)
	r.pool.put(run.buf)
	run.buf = nil
	st.runs.remove(e)
}

func (r *Reader) sctpPark(k sctpFragKey, f *sctpFrag) {
	st := &r.sctp
	if st.parked.get(k) != nil {
		return // same fragment again under another TSN (I-DATA): first wins
	}
	for st.parked.len() >= r.opts.MaxFlows {
		r.stats.Evictions++
		r.sctpDropParked(st.parked.oldest(), fmt.Sprintf("evicted: more than %d fragments parked", r.opts.MaxFlows))
	}
	e := st.parked.insert(k)
	buf := append(r.pool.get(len(f.data)), f.data...)
	st.bytes += cap(buf)
	e.val = sctpParked{data: buf, end: f.flags&flagEnd != 0, frame: r.frame, time: r.ts, touched: r.clock}
}

func (r *Reader) sctpUnpark(e *lruEntry[sctpFragKey, sctpParked]) {
	st := &r.sctp
	st.bytes -= cap(e.val.data)
	r.pool.put(e.val.data)
	e.val.data = nil
	st.parked.remove(e)
}

func (r *Reader) sctpDropParked(e *lruEntry[sctpFragKey, sctpParked], why string) {
	r.problemAt(e.val.frame, e.val.time, layerSCTP, fmt.Sprintf(
		"fragment %s whose preceding fragments never arrived %s", describeFrag(e.key), why))
	r.sctpUnpark(e)
}

// sctpTrim keeps reassembly buffers under MaxBuffered: parked fragments go
// first, then the oldest runs.
func (r *Reader) sctpTrim() {
	st := &r.sctp
	for st.bytes > r.opts.MaxBuffered {
		why := fmt.Sprintf("evicted: SCTP reassembly buffers exceed %d bytes", r.opts.MaxBuffered)
		if p := st.parked.oldest(); p != nil {
			r.stats.Evictions++
			r.sctpDropParked(p, why)
			continue
		}
		e := st.runs.oldest()
		if e == nil {
			return
		}
		r.stats.Evictions++
		r.sctpDropRun(e, why)
	}
}

// expireSCTP drops runs and parked fragments idle for longer than the
// reassembly timeout.
func (r *Reader) expireSCTP() {
	st := &r.sctp
	t := r.opts.ReassemblyTimeout
	for e := st.runs.oldest(); e != nil && e.val.touched.before(r.horizon); e = st.runs.oldest() {
		r.sctpDropRun(e, fmt.Sprintf("timed out after %v", t))
	}
	for e := st.parked.oldest(); e != nil && e.val.touched.before(r.horizon); e = st.parked.oldest() {
		r.sctpDropParked(e, fmt.Sprintf("timed out after %v", t))
	}
}

// flushSCTP reports one piece of incomplete state at the end of the capture.
func (r *Reader) flushSCTP() bool {
	st := &r.sctp
	if e := st.runs.oldest(); e != nil {
		r.sctpDropRun(e, "at the end of the capture")
		return true
	}
	if e := st.parked.oldest(); e != nil {
		r.sctpDropParked(e, "at the end of the capture")
		return true
	}
	return false
}
