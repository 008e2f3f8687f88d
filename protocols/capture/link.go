package capture

import (
	"encoding/binary"
	"fmt"
)

// Link types (LINKTYPE_* values as stored in pcap/pcapng files; 12 and 14
// are the DLT_RAW values some platforms wrote into files).
const (
	linkNull     = 0
	linkEthernet = 1
	linkRawBSD   = 12
	linkRawOBSD  = 14
	linkRaw      = 101
	linkLoop     = 108
	linkSLL      = 113
	linkIPv4     = 228
	linkIPv6     = 229
	linkSLL2     = 276
)

// netKind is what the link layer says the network layer is.
type netKind uint8

const (
	netNone netKind = iota // not IP: counted, not a problem
	netIPv4
	netIPv6
)

// Ethertypes understood by decodeEthertype.
const (
	etherIPv4      = 0x0800
	etherIPv6      = 0x86dd
	etherVLAN      = 0x8100
	etherQinQ      = 0x88a8
	etherQinQOld1  = 0x9100
	etherQinQOld2  = 0x9200
	etherQinQOld3  = 0x9300
	etherMPLS      = 0x8847
	etherMPLSMulti = 0x8848
	etherPPPoE     = 0x8864
)

// Bounds on stacked encapsulations, so a frame of repeated tags costs O(1).
const (
	maxVLANTags    = 8
	maxMPLSLabels  = 16
	ethernetHeader = 14
	sllHeader      = 16
	sll2Header     = 20
)

// linkResult is the outcome of link-layer decoding. A non-empty reason means
// a Problem at layer lay.
type linkResult struct {
	kind    netKind
	payload []byte
	lay     layer
	reason  string
}

func linkProblem(l layer, format string, args ...any) linkResult {
	return linkResult{lay: l, reason: fmt.Sprintf(format, args...)}
}

// supportedLink reports whether decodeLink understands link type lt.
func supportedLink(lt uint32) bool {
	switch lt {
	case linkNull, linkEthernet, linkRawBSD, linkRawOBSD, linkRaw, linkLoop,
		linkSLL, linkIPv4, linkIPv6, linkSLL2:
		return true
	}
	return false
}

// decodeLink strips the link-layer header(s) of a frame of link type lt.
func decodeLink(lt uint32, b []byte) linkResult {
	switch lt {
	case linkEthernet:
		if len(b) < ethernetHeader {
			return linkProblem(layerEthernet, "frame of %d bytes is shorter than an Ethernet header", len(b))
		}
		return decodeEthertype(binary.BigEndian.Uint16(b[12:14]), b[ethernetHeader:], layerEthernet)
	case linkSLL:
		if len(b) < sllHeader {
			return linkProblem(layerSLL, "frame of %d bytes is shorter than a Linux cooked (SLL) header", len(b))
		}
		return decodeCooked(binary.BigEndian.Uint16(b[2:4]), binary.BigEndian.Uint16(b[14:16]), b[sllHeader:], layerSLL)
	case linkSLL2:
		if len(b) < sll2Header {
			return linkProblem(layerSLL2, "frame of %d bytes is shorter than a Linux cooked v2 (SLL2) header", len(b))
		}
		return decodeCooked(binary.BigEndian.Uint16(b[8:10]), binary.BigEndian.Uint16(b[0:2]), b[sll2Header:], layerSLL2)
	case linkNull, linkLoop:
		return decodeNull(b)
	case linkRaw, linkRawBSD, linkRawOBSD:
		return decodeRawIP(b, layerLink)
	case linkIPv4:
		return linkResult{kind: netIPv4, payload: b}
	case linkIPv6:
		return linkResult{kind: netIPv6, payload: b}
	}
	return linkProblem(layerLink, "unsupported link type %d", lt)
}

// decodeEthertype follows VLAN tags (802.1Q, 802.1ad and the pre-standard
// QinQ types, stacked), 802.3/SNAP, MPLS label stacks and PPPoE sessions to
// the IP header.
func decodeEthertype(et uint16, p []byte, lay layer) linkResult {
	for tags := 0; ; tags++ {
		switch et {
		case etherIPv4:
			return linkResult{kind: netIPv4, payload: p}
		case etherIPv6:
			return linkResult{kind: netIPv6, payload: p}
		case etherVLAN, etherQinQ, etherQinQOld1, etherQinQOld2, etherQinQOld3:
			if tags >= maxVLANTags {
				return linkProblem(lay, "more than %d stacked VLAN tags", maxVLANTags)
			}
			if len(p) < 4 {
				return linkProblem(lay, "VLAN tag truncated (%d bytes left)", len(p))
			}
			et = binary.BigEndian.Uint16(p[2:4])
			p = p[4:]
		case etherMPLS, etherMPLSMulti:
			return decodeMPLS(p, lay)
		case etherPPPoE:
			// PPPoE session header (6 bytes) then the PPP protocol field.
			if len(p) < 8 {
				return linkProblem(lay, "PPPoE session header truncated (%d bytes left)", len(p))
			}
			switch binary.BigEndian.Uint16(p[6:8]) {
			case 0x0021:
				return linkResult{kind: netIPv4, payload: p[8:]}
			case 0x0057:
				return linkResult{kind: netIPv6, payload: p[8:]}
			}
			return linkResult{}
		default:
			if et > 1500 {
				return linkResult{} // some other protocol: ARP, LLDP, ...
			}
			// 802.3 length field: only LLC/SNAP can carry an ethertype on.
			if len(p) < 8 || p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03 {
				return linkResult{}
			}
			et = binary.BigEndian.Uint16(p[6:8])
			if et <= 1500 {
				return linkResult{}
			}
			p = p[8:]
		}
	}
}

// decodeMPLS skips an MPLS label stack and guesses the payload from the IP
// version nibble, as there is no payload type in MPLS.
func decodeMPLS(p []byte, lay layer) linkResult {
	for i := 0; ; i++ {
		if i >= maxMPLSLabels {
			return linkProblem(lay, "more than %d MPLS labels", maxMPLSLabels)
		}
		if len(p) < 4 {
			return linkProblem(lay, "MPLS label truncated (%d bytes left)", len(p))
		}
		bottom := p[2]&1 != 0
		p = p[4:]
		if bottom {
			break
		}
	}
	if len(p) == 0 {
		return linkResult{}
	}
	switch p[0] >> 4 {
	case 4:
		return linkResult{kind: netIPv4, payload: p}
	case 6:
		return linkResult{kind: netIPv6, payload: p}
	}
	return linkResult{} // pseudowire or other payload
}

// decodeCooked handles the protocol field of Linux cooked captures, which is
// an ethertype for most device types.
func decodeCooked(hatype, proto uint16, p []byte, lay layer) linkResult {
	const arphrdNetlink = 824
	if hatype == arphrdNetlink {
		return linkResult{}
	}
	return decodeEthertype(proto, p, lay)
}

// BSD address-family values for IPv6 in NULL/LOOP headers differ per OS.
const (
	afInet         = 2
	afInet6NetBSD  = 24
	afInet6FreeBSD = 28
	afInet6Darwin  = 30
)

// decodeNull handles DLT_NULL (family in the capturing host's byte order)
// and DLT_LOOP (network byte order). The byte order is not recorded, so it is
// inferred: family values are small, so a value with the low half zero must
// be byte-swapped.
func decodeNull(b []byte) linkResult {
	if len(b) < 4 {
		return linkProblem(layerNull, "frame of %d bytes is shorter than a loopback header", len(b))
	}
	fam := binary.LittleEndian.Uint32(b[:4])
	if fam&0xffff == 0 {
		fam = binary.BigEndian.Uint32(b[:4])
	}
	switch fam {
	case afInet:
		return linkResult{kind: netIPv4, payload: b[4:]}
	case afInet6NetBSD, afInet6FreeBSD, afInet6Darwin:
		return linkResult{kind: netIPv6, payload: b[4:]}
	}
	return linkResult{}
}

// decodeRawIP picks IPv4 or IPv6 by the version nibble.
func decodeRawIP(b []byte, lay layer) linkResult {
	if len(b) == 0 {
		return linkProblem(lay, "empty raw IP frame")
	}
	switch b[0] >> 4 {
	case 4:
		return linkResult{kind: netIPv4, payload: b}
	case 6:
		return linkResult{kind: netIPv6, payload: b}
	}
	return linkProblem(lay, "raw IP frame with IP version %d", b[0]>>4)
}
