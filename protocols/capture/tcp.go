package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// TCP flow tracking: the flow table, segment parsing, connection open and
// close. Per-direction reassembly and framing are in tcpstream.go.

const (
	tcpMinHeader = 20

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// flowKey names a connection independently of direction: endpoint a is the
// smaller of the two.
type flowKey struct {
	a, b   [16]byte
	pa, pb uint16
	v6     bool
}

// flowKeyOf returns the key of the packet's connection and which direction
// of it (0: a to b, 1: b to a) the packet travels.
func flowKeyOf(pi *packetInfo, sport, dport uint16) (flowKey, int) {
	c := bytes.Compare(pi.src[:], pi.dst[:])
	if c < 0 || c == 0 && sport <= dport {
		return flowKey{a: pi.src, b: pi.dst, pa: sport, pb: dport, v6: pi.v6}, 0
	}
	return flowKey{a: pi.dst, b: pi.src, pa: dport, pb: sport, v6: pi.v6}, 1
}

type tcpFlow struct {
	dirs [2]tcpDir
}

type tcpState struct {
	flows  lruMap[flowKey, tcpFlow]
	bytes  int        // capacity of all stream and out-of-order buffers
	drain  [2]*tcpDir // directions with bytes to frame, in order
	ndrain int
}

// Serial-number comparisons (RFC 1982) for sequence numbers.
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqGT(a, b uint32) bool { return int32(a-b) > 0 }

// tcpSegment handles one TCP segment.
func (r *Reader) tcpSegment(p []byte, truncated bool) {
	if len(p) < tcpMinHeader {
		if truncated {
			r.problem(layerTCP, "header truncated by the capture (%d bytes)", len(p))
		} else {
			r.problem(layerTCP, "segment of %d bytes is shorter than the TCP header", len(p))
		}
		return
	}
	doff := int(p[12]>>4) * 4
	if doff < tcpMinHeader {
		r.problem(layerTCP, "data offset %d is below the minimum of 20", doff)
		return
	}
	if doff > len(p) {
		r.problem(layerTCP, "header of %d bytes exceeds the %d bytes of the segment", doff, len(p))
		return
	}
	if r.opts.TCPFramer == nil {
		r.stats.TCPIgnored++
		return
	}
	sport, dport := binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4])
	flags := p[13]
	key, side := flowKeyOf(&r.pkt, sport, dport)
	st := &r.tcp
	e := st.flows.get(key)
	if e == nil {
		if flags&tcpSYN == 0 && len(p) == doff {
			// Only a SYN or data opens a flow: the last ACK of a close or a
			// stray RST must not bring a closed flow back.
			r.stats.TCPIgnored++
			return
		}
		if e = r.newFlow(key, side, sport, dport); e == nil {
			r.stats.TCPIgnored++
			return
		}
	} else {
		st.flows.touch(e)
	}
	r.stats.TCPSegments++
	if truncated {
		// The missing bytes leave a hole that the ACK-based gap detection
		// skips, as for a segment lost by the capture.
		r.problem(layerTCP, "segment truncated by the capture (%d bytes captured); ignored", len(p))
		return
	}
	if flags&tcpRST != 0 {
		r.tcpDropFlow(e, "connection reset")
		return
	}
	f := &e.val
	d, peer := &f.dirs[side], &f.dirs[1-side]
	if flags&tcpACK != 0 && peer.framer != nil {
		r.tcpAck(peer, binary.BigEndian.Uint32(p[8:12]))
	}
	if d.framer != nil {
		r.tcpData(d, binary.BigEndian.Uint32(p[4:8]), flags, p[doff:])
	} else if flags&tcpFIN != 0 {
		d.fin = true
	}
	r.tcpTrim(e)
	r.tcpCheckClose(e)
}

// newFlow creates a flow if the caller's TCPFramer wants either direction.
func (r *Reader) newFlow(key flowKey, side int, sport, dport uint16) *lruEntry[flowKey, tcpFlow] {
	src, dst := r.pkt.endpoints(sport, dport)
	fwd := r.opts.TCPFramer(src, dst)
	rev := r.opts.TCPFramer(dst, src)
	if fwd == nil && rev == nil {
		return nil
	}
	st := &r.tcp
	for st.flows.len() >= r.opts.MaxFlows {
		r.stats.Evictions++
		r.tcpDropFlow(st.flows.oldest(), fmt.Sprintf("evicted: more than %d TCP flows", r.opts.MaxFlows))
	}
	e := st.flows.insert(key)
	f := &e.val
	*f = tcpFlow{}
	f.dirs[side] = tcpDir{framer: fwd, src: src, dst: dst, flow: e}
	f.dirs[1-side] = tcpDir{framer: rev, src: dst, dst: src, flow: e}
	r.stats.TCPFlows++
	return e
}

// tcpCheckClose removes a flow once both directions have sent FIN and all
// data up to the FINs has been framed.
func (r *Reader) tcpCheckClose(e *lruEntry[flowKey, tcpFlow]) {
	if r.eof {
		return // the end-of-capture walk owns the table now
	}
	f := &e.val
	for i := range f.dirs {
		d := &f.dirs[i]
		if d.queued || !d.fin {
			return
		}
		if d.framer != nil && d.synced && !d.resync && d.next != d.finSeq {
			return
		}
	}
	r.tcpDropFlow(e, "connection closed")
}

// tcpDropFlow removes a flow, reporting bytes of incomplete messages lost.
func (r *Reader) tcpDropFlow(e *lruEntry[flowKey, tcpFlow], why string) {
	f := &e.val
	for i := range f.dirs {
		d := &f.dirs[i]
		if held := d.held(); held > 0 {
			r.problem(layerTCP, "%s -> %s: %s with %d buffered bytes of an incomplete message; discarded", d.src, d.dst, why, held)
		}
		r.tcpDiscard(d)
	}
	r.tcp.flows.remove(e)
}

// tcpTrim keeps stream buffers under MaxBuffered by evicting the oldest
// flows other than keep.
func (r *Reader) tcpTrim(keep *lruEntry[flowKey, tcpFlow]) {
	st := &r.tcp
	for st.bytes > r.opts.MaxBuffered {
		e := st.flows.oldest()
		if e == nil || e == keep {
			return
		}
		r.stats.Evictions++
		r.tcpDropFlow(e, fmt.Sprintf("evicted: TCP buffers exceed %d bytes", r.opts.MaxBuffered))
	}
}

// flushTCP is the end-of-capture walk over the flows, oldest first: data
// parked behind a hole is delivered after skipping the hole, and what is
// left of incomplete messages is reported. One unit of work per call.
func (r *Reader) flushTCP() bool {
	fs := &r.flush
	if !fs.begun {
		fs.begun = true
		fs.flow = r.tcp.flows.oldest()
	}
	for fs.flow != nil {
		d := &fs.flow.val.dirs[fs.dir]
		if d.framer != nil {
			if len(d.ooo) > 0 {
				r.tcpSkipGap(d)
				return true
			}
			if held := d.held(); held > 0 {
				r.problemAt(d.lastFrame, d.lastTime, layerTCP, fmt.Sprintf(
					"%s -> %s: capture ended with %d bytes of an incomplete message", d.src, d.dst, held))
				r.tcpDiscard(d)
				return true
			}
		}
		if fs.dir++; fs.dir == len(fs.flow.val.dirs) {
			fs.dir = 0
			fs.flow = r.tcp.flows.newer(fs.flow)
		}
	}
	return false
}

// tcpDir is one direction of a flow.
type tcpDir struct {
	framer   Framer // nil: direction not reassembled
	src, dst netip.AddrPort
	flow     *lruEntry[flowKey, tcpFlow]

	synced bool   // next is meaningful
	resync bool   // the next new data starts a message (after a framing error)
	sawSyn bool   // isn is meaningful
	isn    uint32 // sequence number of the SYN
	next   uint32 // next expected sequence number

	buf []byte // in-order bytes not yet framed are buf[off:]
	off int

	ooo      []tcpSeg // copies of segments after a hole, sorted by seq
	oooBytes int

	acked    uint32 // highest acknowledgment from the peer
	ackValid bool

	fin    bool
	finSeq uint32

	view    []byte // when viewPkt, the packet bytes being framed in place
	viewPkt bool
	queued  bool // in tcpState.drain

	lastFrame int // frame and time of the newest data, for end-of-capture messages
	lastTime  stamp
}

type tcpSeg struct {
	seq   uint32
	data  []byte
	frame int
	ts    stamp
}

// held is the number of bytes buffered in the direction.
func (d *tcpDir) held() int {
	n := len(d.buf) - d.off + d.oooBytes
	if d.viewPkt {
		n += len(d.view)
	}
	return n
}
