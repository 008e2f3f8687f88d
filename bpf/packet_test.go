package bpf

import (
	"encoding/binary"
	"net/netip"
)

// Hand-built frames for BPF_PROG_TEST_RUN. Checksums are left zero: XDP
// runs before the stack verifies them, and the program never reads them.
// TestBuildersAgreeWithGopacket checks the valid ones against gopacket's
// decoders.

const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
	etherARP  = 0x0806
	tpid8021Q = 0x8100
	tpidQinQ  = 0x88a8

	ipHopByHop = 0
	ipRouting  = 43
	ipFragment = 44
	ipDestOpts = 60
	ipNoNext   = 59
)

var (
	macDst = []byte{0x02, 0, 0, 0, 0, 1}
	macSrc = []byte{0x02, 0, 0, 0, 0, 2}
)

// ether frames payload with the EtherType, behind the given VLAN tag
// protocol identifiers (outermost first).
func ether(ethertype uint16, payload []byte, tpids ...uint16) []byte {
	b := append(append([]byte{}, macDst...), macSrc...)
	for i, tpid := range tpids {
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, uint16(100+i)) // VLAN id
	}
	b = binary.BigEndian.AppendUint16(b, ethertype)
	return append(b, payload...)
}

// ipv4 builds an IPv4 packet; options (a multiple of 4 bytes) raise IHL.
func ipv4(src, dst string, proto uint8, payload []byte, options ...byte) []byte {
	hl := 20 + len(options)
	h := make([]byte, hl)
	h[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(h[2:], uint16(hl+len(payload)))
	binary.BigEndian.PutUint16(h[4:], 0x1234)
	h[6] = 0x40 // DF
	h[8] = 64
	h[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	copy(h[20:], options)
	return append(h, payload...)
}

// ipv6 builds an IPv6 packet whose first next header is nh.
func ipv6(src, dst string, nh uint8, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = nh
	h[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// ext6 builds a Hop-by-Hop, Routing or Destination Options header of
// 8*units bytes (padded with PadN) followed by payload.
func ext6(nh uint8, units int, payload []byte) []byte {
	h := make([]byte, 8*units)
	h[0] = nh
	h[1] = byte(units - 1)
	h[2] = 1 // PadN option filling the rest
	h[3] = byte(len(h) - 4)
	return append(h, payload...)
}

// frag6 builds an IPv6 Fragment header (offset in 8-byte units).
func frag6(nh uint8, offset uint16, more bool, payload []byte) []byte {
	h := make([]byte, 8)
	h[0] = nh
	v := offset << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(h[2:], v)
	binary.BigEndian.PutUint32(h[4:], 0xabcd)
	return append(h, payload...)
}

func udp(sport, dport uint16, payload []byte) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return append(h, payload...)
}

// tcp builds a SYN with dataOffset 32-bit words of header (5 = no options).
func tcp(sport, dport uint16, dataOffset int) []byte {
	h := make([]byte, max(dataOffset, 5)*4)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], 1000)
	h[12] = byte(dataOffset << 4)
	h[13] = 0x02 // SYN
	binary.BigEndian.PutUint16(h[14:], 65535)
	for i := 20; i < len(h); i++ {
		h[i] = 1 // NOP options
	}
	return h
}

// sctp builds a common header and an INIT chunk.
func sctp(sport, dport uint16) []byte {
	h := make([]byte, 12+20)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	h[12] = 1 // INIT
	binary.BigEndian.PutUint16(h[14:], 20)
	binary.BigEndian.PutUint32(h[16:], 0x11223344) // initiate tag
	binary.BigEndian.PutUint32(h[20:], 65536)      // a_rwnd
	binary.BigEndian.PutUint16(h[24:], 1)          // outbound streams
	binary.BigEndian.PutUint16(h[26:], 1)          // inbound streams
	binary.BigEndian.PutUint32(h[28:], 1)          // initial TSN
	return h
}

// gtpV2 builds a GTPv2-C message with a TEID (for every type but echo and
// the like, where teid is false) and body as its IEs.
func gtpV2(typ uint8, teid, piggyback bool, body []byte) []byte {
	flags := byte(0x40)
	if piggyback {
		flags |= 0x10
	}
	h := []byte{flags, typ, 0, 0}
	if teid {
		flags |= 0x08
		h[0] = flags
		h = append(h, 0, 0, 0x10, 0x01)
	}
	h = append(h, 0x00, 0x00, 0x2a, 0x00) // sequence 42, spare
	h = append(h, body...)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)-4))
	return h
}

// gtpV1 builds a GTPv1-C message with the S flag (sequence number) set.
func gtpV1(typ uint8, body []byte) []byte {
	h := []byte{0x32, typ, 0, 0, 0, 0, 0x20, 0x01, 0x00, 0x2a, 0, 0}
	h = append(h, body...)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)-8))
	return h
}

// imsiIE is a GTPv2 IMSI IE, for a message body that looks real.
var imsiIE = []byte{0x01, 0x00, 0x08, 0x00, 0x21, 0x43, 0x65, 0x87, 0x09, 0x21, 0x43, 0xf5}

// Convenience frames.

func v4Frame(src, dst string, proto uint8, l4 []byte) []byte {
	return ether(etherIPv4, ipv4(src, dst, proto, l4))
}

func v6Frame(src, dst string, nh uint8, l4 []byte) []byte {
	return ether(etherIPv6, ipv6(src, dst, nh, l4))
}

func arpFrame() []byte {
	b := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	b = append(b, macSrc...)
	b = append(b, 192, 0, 2, 10)
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = append(b, 192, 0, 2, 1)
	return ether(etherARP, b)
}

const (
	ipProtoTCP  = 6
	ipProtoUDP  = 17
	ipProtoSCTP = 132
)
