package bpf

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// Reason is why the pre-filter passed or dropped a packet: the counter it
// went to, and the reason of a drop Event (enum reason in xdp.c).
type Reason uint8

const (
	ReasonPassed         Reason = iota // signaling from an allowed source, handed to the stack
	ReasonNotSignaling                 // non-IP, or IP not to a signaling port: passed
	ReasonFragmentPassed               // IPv4 fragment or IPv6 Fragment header: passed to the stack to reassemble
	ReasonUnknownSource                // signaling from a source in no allowlist prefix: dropped
	ReasonQuarantined                  // any packet from a quarantined partner: dropped
	ReasonRateLimited                  // over the source address's packet rate: dropped
	ReasonGTPMalformed                 // GTP-C header unusable (version, length): dropped
	ReasonGTPCat1                      // GTP-C message type forbidden for this sender: dropped
	ReasonMalformed                    // truncated or invalid IP, TCP, UDP or SCTP header: dropped
	ReasonEventsLost                   // not a verdict: sampled drop events the full ring buffer refused
	numReasons
)

var reasonNames = [numReasons]string{
	"passed", "not_signaling", "fragment_passed", "unknown_source", "quarantined",
	"rate_limited", "gtp_malformed", "gtp_cat1", "malformed", "events_lost",
}

// String is the counter name, as Counters reports it.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Reasons lists every reason in counter order.
func Reasons() []Reason {
	rs := make([]Reason, numReasons)
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}

// Event is one sampled drop.
type Event struct {
	// Time is the kernel's CLOCK_MONOTONIC time of the drop (time since
	// boot, suspend excluded), as Go's runtime cannot name it directly.
	Time     time.Duration
	Reason   Reason
	Source   netip.Addr // IPv4 sources as IPv4, not IPv4-mapped
	Partner  uint32     // 0: in no allowlist prefix, or dropped before the lookup (broken IP header)
	DestPort uint16     // 0 when the packet was dropped before its ports were read
	Proto    Proto      // 0 when the packet was dropped before its L4 header was read
	Class    Class      // the destination port's class; 0 if not a signaling port
	// GTPVersion and GTPType name the GTP-C message that was judged (the
	// piggybacked one when that decided); both 0 unless GTP-C was read.
	GTPVersion, GTPType uint8
}

// eventSize is sizeof(struct event) in xdp.c; the offsets below are its
// fields (little-endian: the object is built for bpfel only).
const eventSize = 40

// decodeEvent reads one ring buffer record; ok is false when the record
// does not have the layout this package was built with.
func decodeEvent(b []byte) (ev Event, ok bool) {
	if len(b) < eventSize {
		return Event{}, false
	}
	ev.Time = time.Duration(binary.LittleEndian.Uint64(b[0:8]))
	addr := netip.AddrFrom16([16]byte(b[8:24]))
	if b[34] == 4 {
		addr = addr.Unmap()
	}
	ev.Source = addr
	ev.Partner = binary.LittleEndian.Uint32(b[24:28])
	ev.DestPort = binary.LittleEndian.Uint16(b[28:30])
	ev.Reason = Reason(b[30])
	ev.Proto = Proto(b[31])
	ev.GTPVersion = b[32]
	ev.GTPType = b[33]
	ev.Class = Class(b[35])
	return ev, true
}

func (e Event) String() string {
	s := fmt.Sprintf("%s from %s", e.Reason, e.Source)
	if e.Partner != 0 {
		s += fmt.Sprintf(" (partner %d)", e.Partner)
	}
	if e.Proto != 0 {
		s += fmt.Sprintf(" to %d/%s", e.DestPort, e.Proto)
	}
	if e.GTPVersion != 0 {
		s += fmt.Sprintf(" GTPv%d type %d", e.GTPVersion, e.GTPType)
	}
	return s
}

// Mode is how an XDP program is attached to an interface.
type Mode uint8

const (
	// ModeNative runs the program in the driver, before an skb exists (the
	// fast path). Attach falls back to ModeGeneric when the driver lacks
	// XDP support and reports the mode it used.
	ModeNative Mode = iota + 1
	// ModeGeneric runs the program on the skb, after the driver: works on
	// every interface, costs more per packet, and sees GRO-merged packets.
	ModeGeneric
)

func (m Mode) String() string {
	switch m {
	case ModeNative:
		return "native"
	case ModeGeneric:
		return "generic"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ParseMode reads "native" or "generic", as configuration files spell them.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "native":
		return ModeNative, nil
	case "generic":
		return ModeGeneric, nil
	}
	return 0, fmt.Errorf("bpf: XDP mode %q: use \"native\" (falls back to generic) or \"generic\"", s)
}
