package capture

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"unsafe"
)

// Reader turns a capture file into application messages. Create it with
// NewReader or Open and call Next until it returns io.EOF or a fatal error.
type Reader struct {
	opts   Options
	src    source
	closer io.Closer

	err error // sticky: io.EOF or a fatal error
	eof bool  // no more records; flushing reassembly state

	frame int   // number of the current record, 1-based
	ts    stamp // its timestamp
	clock stamp // largest timestamp seen: the clock for timeouts
	// horizon is clock minus the reassembly timeout: state last touched
	// before it has timed out (clock.Sub(touched) > timeout).
	horizon stamp

	probs problemQueue
	stats counters
	pool  bufPool

	pkt     packetInfo
	pktHeld []byte   // reassembled datagram the current packet is being parsed from
	msgHeld [][]byte // buffers behind messages already returned; recycled on the next call

	frag  defragState
	sctp  sctpState
	tcp   tcpState
	flush flushState

	reportedLinks map[uint64]struct{}

	mem []byte // the file, when read by NewReaderBytes

	out Message // the message being returned by Next
}

// packetInfo holds the network-layer addresses of the packet being parsed.
// IPv4 addresses use the first 4 bytes.
type packetInfo struct {
	v6       bool
	src, dst [16]byte
}

func (pi *packetInfo) addr(a *[16]byte) netip.Addr {
	if pi.v6 {
		return netip.AddrFrom16(*a)
	}
	return netip.AddrFrom4([4]byte(a[:4]))
}

// endpoints returns the source and destination of the packet with ports.
func (pi *packetInfo) endpoints(sport, dport uint16) (src, dst netip.AddrPort) {
	return netip.AddrPortFrom(pi.addr(&pi.src), sport), netip.AddrPortFrom(pi.addr(&pi.dst), dport)
}

// NewReader reads a pcap (any of the microsecond, nanosecond, byte-swapped
// and Kuznetzov-patched variants) or pcapng file from rd, optionally gzip
// compressed. It fails only if rd does not start with a readable file header.
func NewReader(rd io.Reader, opts Options) (*Reader, error) {
	return newReader(rd, nil, opts)
}

// NewReaderBytes reads a capture file held in memory, like NewReader. The
// file is not copied: messages that need no reassembly are slices of data,
// which must not be modified while the Reader is in use. It is the fastest
// way to read a capture.
func NewReaderBytes(data []byte, opts Options) (*Reader, error) {
	if data == nil {
		data = []byte{}
	}
	return newReader(nil, data, opts)
}

func newReader(rd io.Reader, mem []byte, opts Options) (*Reader, error) {
	src, err := openSource(rd, mem)
	if err != nil {
		return nil, err
	}
	if len(mem) >= 2 && mem[0] == 0x1f && mem[1] == 0x8b {
		mem = nil // gzip: records are in a buffer of the decompressor's output
	}
	r := &Reader{opts: opts.withDefaults(), src: src, mem: mem}
	r.clock = noStamp
	r.horizon = r.clock.minus(r.opts.ReassemblyTimeout)
	r.frag.sets.init()
	r.sctp.init()
	r.tcp.flows.init()
	return r, nil
}

// Open opens the capture file at path. Close the Reader to close the file.
func Open(path string, opts Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.closer = f
	return r, nil
}

// InInput reports whether b lies within the file given to NewReaderBytes.
// Such a message's Data stays valid after later calls to Next, for as long
// as the file itself; any other Data is only valid until the next call.
func (r *Reader) InInput(b []byte) bool {
	if len(b) == 0 || len(r.mem) == 0 {
		return len(b) == 0
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(r.mem)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p-lo <= uintptr(len(r.mem)) && uintptr(len(b)) <= uintptr(len(r.mem))-(p-lo)
}

// Close closes the file opened by Open. It is a no-op for NewReader.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// Next returns the next message in capture order. A non-fatal problem is
// returned as (Message{}, *Problem) and the caller should call Next again;
// io.EOF marks the end; any other error is fatal and is returned again by
// every later call. The returned Data is valid until the next call to Next.
func (r *Reader) Next() (Message, error) {
	r.releaseMessages()
	for {
		if p := r.probs.pop(); p != nil {
			return Message{}, p
		}
		if r.tcp.ndrain > 0 {
			if r.tcpStep() {
				return r.deliver(), nil
			}
			continue
		}
		if r.sctp.cur.active {
			if r.sctpStep() {
				return r.deliver(), nil
			}
			continue
		}
		if r.err != nil {
			return Message{}, r.err
		}
		if r.eof {
			if !r.flushStep() {
				r.err = io.EOF
			}
			continue
		}
		if r.readPacket() {
			return r.deliver(), nil
		}
	}
}

func (r *Reader) deliver() Message {
	r.stats.Messages++
	switch r.out.Transport {
	case TransportUDP:
		r.stats.UDPMessages++
	case TransportTCP:
		r.stats.TCPMessages++
	case TransportSCTP:
		r.stats.SCTPMessages++
	}
	return r.out
}

// releaseMessages recycles the buffers behind messages returned earlier:
// their Data is no longer valid once Next is called again.
func (r *Reader) releaseMessages() {
	for i, b := range r.msgHeld {
		r.pool.put(b)
		r.msgHeld[i] = nil
	}
	r.msgHeld = r.msgHeld[:0]
}

// holdForMessage keeps b alive until the next call to Next.
func (r *Reader) holdForMessage(b []byte) { r.msgHeld = append(r.msgHeld, b) }

// readPacket reads and decodes one record. It returns a message directly
// for UDP; SCTP and TCP leave work for sctpStep and tcpStep.
func (r *Reader) readPacket() bool {
	if r.pktHeld != nil {
		r.pool.put(r.pktHeld)
		r.pktHeld = nil
	}
	data, ts, link, iface, err := r.src.next()
	if err != nil {
		switch {
		case err == io.EOF:
			r.eof = true
		case errors.Is(err, io.ErrUnexpectedEOF):
			// A file cut short (capture killed, partial download) is still
			// readable up to that point.
			r.problem(layerPcap, "file ends in the middle of a record after frame %d", r.frame)
			r.eof = true
		default:
			r.err = fmt.Errorf("capture: reading the record after frame %d: %w", r.frame, err)
		}
		return false
	}
	r.frame++
	r.ts = ts
	if ts.after(r.clock) {
		r.clock = ts
		r.horizon = ts.minus(r.opts.ReassemblyTimeout)
	}
	r.stats.Packets++
	r.stats.Bytes += uint64(len(data))
	r.expire()

	if link == linkEthernet && len(data) >= ethernetHeader && data[12] == 0x08 && data[13] == 0x00 {
		// Untagged IPv4 over Ethernet, most of any capture: what
		// decodeLink would find, without its general result.
		return r.ipv4(data[ethernetHeader:])
	}
	if !supportedLink(link) {
		r.unsupportedLink(link, iface)
		return false
	}
	lr := decodeLink(link, data)
	if lr.reason != "" {
		r.problemString(lr.lay, lr.reason)
		return false
	}
	switch lr.kind {
	case netIPv4:
		return r.ipv4(lr.payload)
	case netIPv6:
		return r.ipv6(lr.payload)
	}
	r.stats.NonIP++
	return false
}

// unsupportedLink reports an unsupported link type once per interface, so a
// file of them gives one Problem rather than one per frame.
func (r *Reader) unsupportedLink(link uint32, iface int) {
	r.stats.UnsupportedLink++
	const maxReported = 256
	k := uint64(iface)<<32 | uint64(link)
	if _, done := r.reportedLinks[k]; done || len(r.reportedLinks) >= maxReported {
		return
	}
	if r.reportedLinks == nil {
		r.reportedLinks = make(map[uint64]struct{})
	}
	r.reportedLinks[k] = struct{}{}
	r.problem(layerLink, "unsupported link type %d on interface %d: its frames are skipped", link, iface)
}

// transport dispatches an IP payload to the transport decoders.
func (r *Reader) transport(proto uint8, p []byte, truncated bool) bool {
	switch proto {
	case protoUDP:
		return r.udp(p, truncated)
	case protoTCP:
		r.tcpSegment(p, truncated)
	case protoSCTP:
		r.sctpPacket(p, truncated)
	default:
		r.stats.OtherProtocol++
	}
	return false
}

// IP protocol numbers of the transports handled.
const (
	protoTCP  = 6
	protoUDP  = 17
	protoSCTP = 132
)

// expire drops reassembly state that timed out in capture time.
func (r *Reader) expire() {
	r.expireFragments()
	r.expireSCTP()
}

func (r *Reader) problem(l layer, format string, args ...any) {
	r.problemAt(r.frame, r.ts, l, fmt.Sprintf(format, args...))
}

func (r *Reader) problemString(l layer, reason string) {
	r.problemAt(r.frame, r.ts, l, reason)
}

func (r *Reader) problemAt(frame int, ts stamp, l layer, reason string) {
	r.stats.Problems++
	r.stats.problems[l]++
	r.probs.push(&Problem{Frame: frame, Time: ts.time(), Layer: l.String(), Reason: reason})
}

// flushState walks the reassembly tables at the end of the capture, one
// entry per call, so that incomplete state is reported and TCP data waiting
// behind a hole is still delivered.
type flushState struct {
	phase int
	flow  *lruEntry[flowKey, tcpFlow]
	dir   int
	begun bool
}

// flushStep does one unit of end-of-capture work; false when all is done.
func (r *Reader) flushStep() bool {
	f := &r.flush
	for {
		switch f.phase {
		case 0:
			if r.flushFragments() {
				return true
			}
		case 1:
			if r.flushSCTP() {
				return true
			}
		case 2:
			if r.flushTCP() {
				return true
			}
		default:
			return false
		}
		f.phase++
	}
}
