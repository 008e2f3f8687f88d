package capture

import (
	"fmt"
	"slices"
)

// Per-direction TCP reassembly and framing.
//
// In-order data is framed straight from the packet when nothing is buffered
// (the common case: zero copies); otherwise it is appended to the
// direction's buffer. Segments after a hole are copied aside, sorted by
// sequence number, and pulled in when the hole fills. Overlaps are resolved
// first-wins: for every sequence number the bytes seen first are kept.
//
// A hole is given up on (a gap: Problem, the incomplete message before it is
// discarded and framing restarts at the data after the hole) when the peer
// has acknowledged data beyond it, so it will never be retransmitted, when
// too much is parked behind it, or at the end of the capture.

// maxOOOSegments bounds the segments parked behind a hole per direction.
const maxOOOSegments = 1024

// tcpAck records an acknowledgment for d's data sent by its peer.
func (r *Reader) tcpAck(d *tcpDir, ack uint32) {
	if !d.ackValid || seqGT(ack, d.acked) {
		d.acked, d.ackValid = ack, true
	}
	if d.synced && !d.resync && len(d.ooo) > 0 && seqGT(d.acked, d.next) {
		r.tcpSkipGap(d)
	}
}

// tcpData handles the sequence space of one segment of a tracked direction.
func (r *Reader) tcpData(d *tcpDir, seq uint32, flags byte, payload []byte) {
	if flags&tcpSYN != 0 {
		if !d.sawSyn || seq != d.isn {
			// A new connection (or the first SYN seen): start afresh.
			if held := d.held(); held > 0 {
				r.problem(layerTCP, "%s -> %s: new connection (SYN) with %d buffered bytes of an incomplete message; discarded", d.src, d.dst, held)
			}
			r.tcpDiscard(d)
			d.sawSyn, d.isn = true, seq
			d.synced, d.resync, d.next = true, false, seq+1
			d.fin, d.ackValid = false, false
		}
		seq++ // the SYN takes one sequence number; data follows it
	}
	end := seq + uint32(len(payload))
	if flags&tcpFIN != 0 && !d.fin {
		d.fin, d.finSeq = true, end
	}
	if len(payload) == 0 {
		return
	}
	if !d.synced || d.resync {
		if d.synced && !seqGT(end, d.next) {
			r.stats.TCPRetransmissions++
			return
		}
		// Capture started mid-stream, or framing failed: assume this
		// segment starts a message.
		r.tcpDiscard(d)
		d.synced, d.resync, d.next = true, false, seq
	}
	if !seqGT(end, d.next) {
		r.stats.TCPRetransmissions++
		return
	}
	if seqLT(seq, d.next) {
		trim := d.next - seq
		r.stats.TCPOverlapBytes += uint64(trim)
		payload, seq = payload[trim:], d.next
	}
	d.lastFrame, d.lastTime = r.frame, r.ts
	if seq == d.next && len(d.ooo) == 0 {
		if d.off == len(d.buf) {
			d.view, d.viewPkt = payload, true // frame in place: no copy
		} else {
			r.tcpBuffer(d, payload)
		}
		d.next = end
		r.tcpEnqueue(d)
		return
	}
	// Segments are parked: go through the parked list so that bytes seen
	// first win wherever segments overlap.
	if seq != d.next {
		r.stats.TCPOutOfOrder++
	}
	r.tcpPark(d, seq, payload)
	r.tcpAdvance(d)
}

// tcpAdvance delivers parked data that has become contiguous, or gives up on
// the hole before it when it can no longer be filled.
func (r *Reader) tcpAdvance(d *tcpDir) {
	switch {
	case len(d.ooo) == 0:
	case !seqGT(d.ooo[0].seq, d.next):
		r.tcpPullOOO(d)
		r.tcpEnqueue(d)
	case d.ackValid && seqGT(d.acked, d.next):
		r.tcpSkipGap(d) // the peer already has the hole's bytes: never resent
	case len(d.ooo) > maxOOOSegments || d.oooBytes > r.opts.MaxMessage:
		r.tcpSkipGap(d)
	}
}

// tcpPark copies the parts of a segment (all at or after next) that are not
// parked already into the sorted parked list.
func (r *Reader) tcpPark(d *tcpDir, seq uint32, p []byte) {
	i := 0
	for len(p) > 0 {
		for i < len(d.ooo) && !seqGT(d.ooo[i].seq+uint32(len(d.ooo[i].data)), seq) {
			i++ // parked segment i ends before seq
		}
		piece := p
		if i < len(d.ooo) {
			s := &d.ooo[i]
			if !seqGT(s.seq, seq) {
				// seq falls inside segment i: those bytes are taken.
				covered := min(int(s.seq+uint32(len(s.data))-seq), len(p))
				r.stats.TCPOverlapBytes += uint64(covered)
				p, seq = p[covered:], seq+uint32(covered)
				continue
			}
			piece = p[:min(int(s.seq-seq), len(p))]
		}
		buf := append(r.pool.get(len(piece)), piece...)
		r.tcp.bytes += cap(buf)
		d.oooBytes += len(buf)
		d.ooo = slices.Insert(d.ooo, i, tcpSeg{seq: seq, data: buf, frame: r.frame, ts: r.ts})
		i++
		p, seq = p[len(piece):], seq+uint32(len(piece))
	}
}

// tcpSkipGap gives up on the hole before the first parked segment.
func (r *Reader) tcpSkipGap(d *tcpDir) {
	first := d.ooo[0].seq
	r.stats.TCPGaps++
	r.problem(layerTCP, "%s -> %s: %d bytes before seq %d were not captured; %d buffered bytes of an incomplete message discarded, resynchronising after the gap",
		d.src, d.dst, first-d.next, first, len(d.buf)-d.off)
	d.buf, d.off = d.buf[:0], 0
	d.next = first
	r.tcpPullOOO(d)
	r.tcpEnqueue(d)
}

// tcpPullOOO appends parked segments that have become contiguous.
func (r *Reader) tcpPullOOO(d *tcpDir) {
	n := 0
	for ; n < len(d.ooo); n++ {
		s := &d.ooo[n]
		if seqGT(s.seq, d.next) {
			break
		}
		if end := s.seq + uint32(len(s.data)); seqGT(end, d.next) {
			r.stats.TCPOverlapBytes += uint64(d.next - s.seq)
			r.tcpBuffer(d, s.data[d.next-s.seq:])
			d.next = end
			if s.frame > d.lastFrame {
				d.lastFrame, d.lastTime = s.frame, s.ts
			}
		} else {
			r.stats.TCPOverlapBytes += uint64(len(s.data))
		}
		d.oooBytes -= len(s.data)
		r.tcp.bytes -= cap(s.data)
		r.pool.put(s.data)
		s.data = nil
	}
	d.ooo = slices.Delete(d.ooo, 0, n)
}

// tcpBuffer appends in-order bytes to the direction's buffer. The bytes
// before off belong to messages already returned by earlier calls to Next,
// so they can be overwritten.
func (r *Reader) tcpBuffer(d *tcpDir, p []byte) {
	if d.off > 0 {
		n := copy(d.buf, d.buf[d.off:])
		d.buf, d.off = d.buf[:n], 0
	}
	old := cap(d.buf)
	if d.buf == nil {
		d.buf = r.pool.get(len(p))
	} else {
		d.buf = r.pool.grow(d.buf, len(d.buf)+len(p))
	}
	d.buf = append(d.buf, p...)
	r.tcp.bytes += cap(d.buf) - old
}

// tcpDiscard drops everything buffered in d.
func (r *Reader) tcpDiscard(d *tcpDir) {
	r.tcp.bytes -= cap(d.buf)
	r.pool.put(d.buf)
	d.buf, d.off = nil, 0
	for i := range d.ooo {
		r.tcp.bytes -= cap(d.ooo[i].data)
		r.pool.put(d.ooo[i].data)
		d.ooo[i].data = nil
	}
	d.ooo = d.ooo[:0]
	d.oooBytes = 0
	d.view, d.viewPkt = nil, false
}

func (r *Reader) tcpEnqueue(d *tcpDir) {
	if d.queued {
		return
	}
	st := &r.tcp
	st.drain[st.ndrain] = d
	st.ndrain++
	d.queued = true
}

// tcpStep asks the framer for one message from the first queued direction.
func (r *Reader) tcpStep() bool {
	d := r.tcp.drain[0]
	v := d.view
	if !d.viewPkt {
		v = d.buf[d.off:]
	}
	if len(v) == 0 {
		r.tcpDrained(d)
		return false
	}
	n, err := d.framer(v)
	if err == nil && (n < 0 || n > len(v)) {
		err = fmt.Errorf("framer returned length %d for %d bytes", n, len(v))
	}
	switch {
	case err != nil:
		r.problem(layerTCP, "%s -> %s: framing error: %v; %d buffered bytes discarded, resynchronising at the next segment",
			d.src, d.dst, err, d.held())
		r.tcpDiscard(d)
		d.resync = true
		r.tcpDrained(d)
		return false
	case n == 0 && len(v) >= r.opts.MaxMessage:
		r.problem(layerTCP, "%s -> %s: incomplete message already %d bytes, over MaxMessage (%d); discarded, resynchronising at the next segment",
			d.src, d.dst, len(v), r.opts.MaxMessage)
		r.tcpDiscard(d)
		d.resync = true
		r.tcpDrained(d)
		return false
	case n == 0:
		if d.viewPkt {
			// Keep the start of the incomplete message past this packet.
			d.view, d.viewPkt = nil, false
			r.tcpBuffer(d, v)
		}
		r.tcpDrained(d)
		return false
	}
	if d.viewPkt {
		d.view = d.view[n:]
	} else {
		d.off += n
	}
	if n > r.opts.MaxMessage {
		r.problem(layerTCP, "%s -> %s: message of %d bytes exceeds MaxMessage (%d); skipped", d.src, d.dst, n, r.opts.MaxMessage)
		return false
	}
	frame, ts := r.frame, r.ts
	if r.eof {
		frame, ts = d.lastFrame, d.lastTime
	}
	r.out = Message{Frame: frame, Time: ts.time(), Src: d.src, Dst: d.dst, Transport: TransportTCP, Data: v[:n]}
	return true
}

// tcpDrained takes d off the drain queue once it has no complete message.
func (r *Reader) tcpDrained(d *tcpDir) {
	st := &r.tcp
	st.drain[0], st.drain[1] = st.drain[1], nil
	st.ndrain--
	d.queued = false
	d.view, d.viewPkt = nil, false
	if d.off == len(d.buf) && d.buf != nil {
		// Idle directions hold no buffer. The messages framed from it were
		// returned by earlier calls to Next, so their Data is already void.
		r.tcp.bytes -= cap(d.buf)
		r.pool.put(d.buf)
		d.buf, d.off = nil, 0
	}
	r.tcpCheckClose(d.flow)
}
