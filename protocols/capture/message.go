package capture

import (
	"net/netip"
	"time"
)

// Transport identifies the transport protocol that carried a Message.
type Transport uint8

// Transports reported in Message.Transport.
const (
	TransportUDP Transport = iota + 1
	TransportTCP
	TransportSCTP
)

// String returns "udp", "tcp" or "sctp".
func (t Transport) String() string {
	switch t {
	case TransportUDP:
		return "udp"
	case TransportTCP:
		return "tcp"
	case TransportSCTP:
		return "sctp"
	}
	return "unknown"
}

// Message is one application message. Data aliases internal buffers and is
// valid only until the next call to Next; copy it to keep it.
type Message struct {
	Frame     int       // 1-based number of the packet (frame) that completed the message
	Time      time.Time // capture timestamp of that packet
	Src, Dst  netip.AddrPort
	Transport Transport
	PPID      uint32 // SCTP payload protocol identifier (0 for TCP/UDP)
	Stream    uint16 // SCTP stream id (0 for TCP/UDP)
	Data      []byte
}

// Framer splits a TCP byte stream into messages. It is given the buffered
// bytes of one direction of a flow, starting at a message boundary, and
// returns the length of the first complete message (0 < n <= len(b)), or
// n == 0 when more bytes are needed, or an error when the bytes cannot be the
// start of a message. On error the Reader reports a Problem, discards the
// bytes buffered for that direction and resynchronises at the start of the
// next segment that arrives. A result outside [0, len(b)] is treated as an
// error. The Framer must not keep or modify b.
type Framer func(b []byte) (n int, err error)

// Defaults used for zero-valued Options fields.
const (
	DefaultMaxMessage        = 1 << 20
	DefaultMaxFlows          = 65536
	DefaultMaxBuffered       = 64 << 20
	DefaultReassemblyTimeout = 30 * time.Second
)

// Options tunes a Reader. The zero value is usable: TCP is then ignored and
// the defaults above apply.
type Options struct {
	// TCPFramer picks the framer for one direction of a TCP flow (src sends
	// to dst). It is called when the flow is first seen, for both
	// directions. A nil result means that direction is not reassembled; a
	// flow with no framer in either direction is not tracked at all. A nil
	// TCPFramer ignores all TCP.
	TCPFramer func(src, dst netip.AddrPort) Framer

	// WantDatagram, when set, says whether the caller wants the messages a
	// fragmented IP datagram of transport t from src to dst may carry. It
	// is asked once per datagram, when the fragment at offset 0 shows the
	// ports (the only fragment that can carry the transport header). A
	// datagram it does not want is not reassembled: its fragments are
	// counted (Stats.IPFragIgnored) and tracked for the bounds, timeouts
	// and reports of incomplete datagrams, but their bytes are not kept,
	// and no message or transport-layer Problem comes of it. Fragments
	// that overlap the first bytes of the offset-0 fragment (those up to
	// and including the ports) with different bytes are reported as for
	// any datagram, so a later fragment cannot turn an ignored datagram
	// into a wanted one unseen. Fragments that arrive before the one at
	// offset 0 are buffered as usual. Unfragmented packets are not
	// affected. A nil WantDatagram wants everything.
	WantDatagram func(t Transport, src, dst netip.AddrPort) bool

	// MaxMessage is the largest message or reassembly accepted, in bytes
	// (default 1 MiB). Anything bigger is reported as a Problem and dropped.
	MaxMessage int

	// MaxFlows bounds, separately, the number of tracked TCP flows, SCTP
	// association directions, SCTP reassembly contexts (partial messages
	// plus parked out-of-order fragments) and IP fragment sets (default
	// 65536). When a table is full its oldest entry is evicted.
	MaxFlows int

	// MaxBuffered bounds, separately for IP defragmentation, SCTP
	// reassembly and TCP reassembly, the bytes held in reassembly buffers
	// (default 64 MiB). Oldest state is evicted (with a Problem) to stay
	// under it.
	MaxBuffered int

	// ReassemblyTimeout is how long, in capture time, an incomplete IP
	// datagram or SCTP user message waits for its missing fragments before
	// it is dropped with a Problem (default 30s). Capture time is the
	// largest timestamp seen so far, so captures that are not in strict
	// time order do not expire state early.
	ReassemblyTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxMessage <= 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.MaxFlows <= 0 {
		o.MaxFlows = DefaultMaxFlows
	}
	if o.MaxBuffered <= 0 {
		o.MaxBuffered = DefaultMaxBuffered
	}
	if o.ReassemblyTimeout <= 0 {
		o.ReassemblyTimeout = DefaultReassemblyTimeout
	}
	return o
}
