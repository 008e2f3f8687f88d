package capture

import (
	"encoding/binary"
	"net/netip"
)

// SCTP packet walking and DATA/I-DATA handling (RFC 9260, RFC 8260).
//
// The chunks of a packet are walked one per step, so several user messages
// in one packet come out of successive Next calls with the same Frame, and a
// malformed chunk is reported after the messages of the chunks before it.

const (
	sctpCommonHeader = 12
	sctpChunkHeader  = 4
	sctpDataHeader   = 16
	sctpIDataHeader  = 20

	chunkData  = 0
	chunkIData = 64

	flagEnd       = 0x01
	flagBegin     = 0x02
	flagUnordered = 0x04
)

// sctpDirKey identifies one direction of an association. The verification
// tag (chosen randomly by the receiver) tells associations apart, so the
// addresses are left out: a multi-homed association retransmitting on an
// alternate path stays one direction and its retransmissions are still
// recognised. Only a zero tag, which DATA never legitimately carries, falls
// back to keying on the addresses too.
type sctpDirKey struct {
	src, dst     [16]byte
	sport, dport uint16
	vtag         uint32
}

// sctpDir is the state of one association direction: its id (used to key
// reassembly) and the window of TSNs seen, to drop retransmissions.
type sctpDir struct {
	id  uint64
	win tsnWindow
}

type sctpCursor struct {
	active    bool
	truncated bool
	chunks    []byte // chunks not walked yet
	key       sctpDirKey
	dir       *sctpDir // resolved on the first DATA chunk
	src, dst  netip.AddrPort
}

type sctpState struct {
	cur    sctpCursor
	dirs   lruMap[sctpDirKey, sctpDir]
	nextID uint64
	runs   lruMap[sctpFragKey, sctpRun]    // partial messages, keyed by their next fragment
	parked lruMap[sctpFragKey, sctpParked] // fragments that arrived before their predecessor
	bytes  int                             // capacity of run and parked buffers
}

func (s *sctpState) init() {
	s.dirs.init()
	s.runs.init()
	s.parked.init()
}

// sctpPacket starts walking the chunks of an SCTP packet.
func (r *Reader) sctpPacket(p []byte, truncated bool) {
	if len(p) < sctpCommonHeader {
		if truncated {
			r.problem(layerSCTP, "common header truncated by the capture (%d bytes)", len(p))
		} else {
			r.problem(layerSCTP, "packet of %d bytes is shorter than the SCTP common header", len(p))
		}
		return
	}
	r.stats.SCTPPackets++
	sport, dport := binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4])
	c := &r.sctp.cur
	*c = sctpCursor{
		active:    true,
		truncated: truncated,
		chunks:    p[sctpCommonHeader:],
		key:       sctpDirKey{sport: sport, dport: dport, vtag: binary.BigEndian.Uint32(p[4:8])},
	}
	if c.key.vtag == 0 {
		c.key.src, c.key.dst = r.pkt.src, r.pkt.dst
	}
	c.src, c.dst = r.pkt.endpoints(sport, dport)
	if len(c.chunks) == 0 {
		c.active = false
		r.problem(layerSCTP, "packet without chunks")
	}
}

// sctpStep handles the next chunk of the current packet.
func (r *Reader) sctpStep() bool {
	c := &r.sctp.cur
	b := c.chunks
	if len(b) == 0 {
		c.active = false
		if c.truncated {
			r.problem(layerSCTP, "packet truncated by the capture after its last whole chunk")
		}
		return false
	}
	if len(b) < sctpChunkHeader {
		c.active = false
		r.problem(layerSCTP, "%d trailing bytes are too short for a chunk header", len(b))
		return false
	}
	typ, flags, clen := b[0], b[1], int(binary.BigEndian.Uint16(b[2:4]))
	switch {
	case clen < sctpChunkHeader:
		c.active = false
		r.problem(layerSCTP, "chunk type %d has an impossible length %d; rest of packet ignored", typ, clen)
		return false
	case clen > len(b) && c.truncated:
		c.active = false
		r.problem(layerSCTP, "chunk type %d of %d bytes truncated by the capture (%d bytes captured)", typ, clen, len(b))
		return false
	case clen > len(b):
		c.active = false
		r.problem(layerSCTP, "chunk type %d length %d exceeds the %d bytes left in the packet", typ, clen, len(b))
		return false
	}
	// Chunks are padded to 4 bytes; tolerate a missing pad on the last one.
	next := min((clen+3)&^3, len(b))
	chunk := b[:clen]
	c.chunks = b[next:]
	r.stats.SCTPChunks++
	switch typ {
	case chunkData:
		return r.sctpData(c, flags, chunk)
	case chunkIData:
		return r.sctpIData(c, flags, chunk)
	}
	if typ&0x80 == 0 && !knownChunk(typ) {
		// RFC 9260 3.2: action bits 00/01 mean the receiver stops
		// processing the packet here, so later DATA is never delivered.
		c.chunks = nil
		r.problem(layerSCTP, "unknown chunk type %d: rest of packet ignored, as a receiver would", typ)
	}
	return false
}

// knownChunk reports chunk types below 128 defined by RFC 9260 and its
// extensions (AUTH, NR-SACK, I-DATA).
func knownChunk(typ byte) bool {
	return typ <= 16 || typ == chunkIData
}

func (r *Reader) sctpData(c *sctpCursor, flags byte, chunk []byte) bool {
	r.stats.SCTPDataChunks++
	if len(chunk) < sctpDataHeader {
		r.problem(layerSCTP, "DATA chunk of %d bytes is shorter than its 16-byte header", len(chunk))
		return false
	}
	tsn := binary.BigEndian.Uint32(chunk[4:8])
	f := sctpFrag{
		tsn:    tsn,
		flags:  flags,
		stream: binary.BigEndian.Uint16(chunk[8:10]),
		seq:    tsn,
		ppid:   binary.BigEndian.Uint32(chunk[12:16]),
		data:   chunk[sctpDataHeader:],
	}
	return r.sctpUserData(c, &f)
}

func (r *Reader) sctpIData(c *sctpCursor, flags byte, chunk []byte) bool {
	r.stats.SCTPDataChunks++
	if len(chunk) < sctpIDataHeader {
		r.problem(layerSCTP, "I-DATA chunk of %d bytes is shorter than its 20-byte header", len(chunk))
		return false
	}
	f := sctpFrag{
		tsn:    binary.BigEndian.Uint32(chunk[4:8]),
		flags:  flags,
		idata:  true,
		stream: binary.BigEndian.Uint16(chunk[8:10]),
		mid:    binary.BigEndian.Uint32(chunk[12:16]),
		data:   chunk[sctpIDataHeader:],
	}
	// The last word is the PPID in the first fragment and the fragment
	// sequence number (FSN) in the others; the first fragment has FSN 0.
	if flags&flagBegin != 0 {
		f.ppid = binary.BigEndian.Uint32(chunk[16:20])
	} else {
		f.seq = binary.BigEndian.Uint32(chunk[16:20])
	}
	return r.sctpUserData(c, &f)
}

// sctpFrag is one DATA or I-DATA chunk. seq orders the fragments of a
// message: the TSN for DATA, the FSN for I-DATA.
type sctpFrag struct {
	tsn    uint32
	flags  byte
	idata  bool
	stream uint16
	mid    uint32
	seq    uint32
	ppid   uint32
	data   []byte
}

func (r *Reader) sctpUserData(c *sctpCursor, f *sctpFrag) bool {
	if len(f.data) == 0 {
		r.problem(layerSCTP, "DATA chunk with TSN %d carries no user data", f.tsn)
		return false
	}
	if c.dir == nil {
		c.dir = r.sctpDirection(c.key)
	}
	if c.dir.win.seen(f.tsn) {
		r.stats.SCTPRetransmissions++
		return false
	}
	if f.flags&(flagBegin|flagEnd) == flagBegin|flagEnd {
		if len(f.data) > r.opts.MaxMessage {
			r.problem(layerSCTP, "user message of %d bytes (TSN %d) exceeds MaxMessage (%d); dropped", len(f.data), f.tsn, r.opts.MaxMessage)
			return false
		}
		r.sctpMessage(c, f.stream, f.ppid, f.data)
		return true
	}
	return r.sctpFragment(c, f)
}

func (r *Reader) sctpMessage(c *sctpCursor, stream uint16, ppid uint32, data []byte) {
	r.out = Message{
		Frame:     r.frame,
		Time:      r.ts.time(),
		Src:       c.src,
		Dst:       c.dst,
		Transport: TransportSCTP,
		PPID:      ppid,
		Stream:    stream,
		Data:      data,
	}
}

// sctpDirection finds or creates the state of an association direction.
func (r *Reader) sctpDirection(k sctpDirKey) *sctpDir {
	st := &r.sctp
	if e := st.dirs.getRecent(k); e != nil {
		st.dirs.touch(e)
		return &e.val
	}
	for st.dirs.len() >= r.opts.MaxFlows {
		// Only the TSN window is lost: a later retransmission of an old
		// TSN could be reported again.
		r.stats.Evictions++
		st.dirs.remove(st.dirs.oldest())
	}
	e := st.dirs.insert(k)
	st.nextID++
	e.val = sctpDir{id: st.nextID}
	return &e.val
}

// tsnWindow remembers which of the last tsnWindowSize TSNs up to the highest
// one seen have been seen, to recognise retransmitted DATA chunks.
type tsnWindow struct {
	started bool
	hi      uint32
	bits    [tsnWindowSize / 64]uint64
}

const tsnWindowSize = 1024

// seen reports whether tsn was seen before and marks it seen. TSNs older than
// the window are treated as seen: they can only be retransmissions.
func (w *tsnWindow) seen(tsn uint32) bool {
	if !w.started {
		w.started = true
		w.hi = tsn
		w.set(tsn)
		return false
	}
	d := int32(tsn - w.hi) // serial number arithmetic (RFC 1982)
	switch {
	case d > 0:
		if d >= tsnWindowSize {
			w.bits = [tsnWindowSize / 64]uint64{}
		} else {
			for t := w.hi + 1; t != tsn; t++ {
				w.clear(t)
			}
		}
		w.hi = tsn
		w.set(tsn)
		return false
	case -d >= tsnWindowSize:
		return true
	case w.has(tsn):
		return true
	}
	w.set(tsn)
	return false
}

func (w *tsnWindow) set(t uint32)      { w.bits[t/64%(tsnWindowSize/64)] |= 1 << (t % 64) }
func (w *tsnWindow) clear(t uint32)    { w.bits[t/64%(tsnWindowSize/64)] &^= 1 << (t % 64) }
func (w *tsnWindow) has(t uint32) bool { return w.bits[t/64%(tsnWindowSize/64)]&(1<<(t%64)) != 0 }
