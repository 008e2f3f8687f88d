package capture

import (
	"encoding/binary"
	"fmt"
)

const (
	ipv4MinHeader     = 20
	ipv6Header        = 40
	maxIPv6ExtHeaders = 16 // a longer chain is an attack or garbage
	maxIPPacket       = 65535
)

type ipv4Header struct {
	hlen     int
	id       uint16
	more     bool // MF flag
	off      int  // fragment offset in bytes
	proto    uint8
	src, dst [4]byte
}

// parseIPv4 validates an IPv4 header and returns the payload as bounded by
// the total length (dropping link-layer padding). truncated reports that the
// capture holds fewer bytes than the header claims.
func parseIPv4(b []byte) (h ipv4Header, payload []byte, truncated bool, reason string) {
	if len(b) < ipv4MinHeader {
		return h, nil, false, fmt.Sprintf("packet of %d bytes is shorter than an IPv4 header", len(b))
	}
	if v := b[0] >> 4; v != 4 {
		return h, nil, false, fmt.Sprintf("IP version %d where IPv4 was expected", v)
	}
	h.hlen = int(b[0]&0x0f) * 4
	if h.hlen < ipv4MinHeader {
		return h, nil, false, fmt.Sprintf("header length %d is below the minimum of 20", h.hlen)
	}
	if h.hlen > len(b) {
		return h, nil, false, fmt.Sprintf("header length %d exceeds the %d bytes captured", h.hlen, len(b))
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total == 0 {
		// Segmentation offload on the capturing host leaves the length for
		// the NIC to fill in; the captured length is all there is.
		total = len(b)
	}
	if total < h.hlen {
		return h, nil, false, fmt.Sprintf("total length %d is shorter than the header length %d", total, h.hlen)
	}
	if total > len(b) {
		truncated = true
		total = len(b)
	}
	fo := binary.BigEndian.Uint16(b[6:8])
	h.more = fo&0x2000 != 0
	h.off = int(fo&0x1fff) * 8
	h.id = binary.BigEndian.Uint16(b[4:6])
	h.proto = b[9]
	copy(h.src[:], b[12:16])
	copy(h.dst[:], b[16:20])
	return h, b[h.hlen:total], truncated, ""
}

// parseIPv6 validates the fixed IPv6 header and returns the next-header value
// and the payload bounded by the payload length.
func parseIPv6(b []byte) (src, dst [16]byte, nh uint8, payload []byte, truncated bool, reason string) {
	if len(b) < ipv6Header {
		return src, dst, 0, nil, false, fmt.Sprintf("packet of %d bytes is shorter than an IPv6 header", len(b))
	}
	if v := b[0] >> 4; v != 6 {
		return src, dst, 0, nil, false, fmt.Sprintf("IP version %d where IPv6 was expected", v)
	}
	plen := int(binary.BigEndian.Uint16(b[4:6]))
	nh = b[6]
	end := ipv6Header + plen
	if plen == 0 && nh == ipv6HopByHop {
		// Jumbogram (RFC 2675): the real length is in a hop-by-hop option;
		// the capture bounds it anyway.
		end = len(b)
	}
	if end > len(b) {
		truncated = true
		end = len(b)
	}
	copy(src[:], b[8:24])
	copy(dst[:], b[24:40])
	return src, dst, nh, b[ipv6Header:end], truncated, ""
}

// IPv6 next-header values that are extension headers.
const (
	ipv6HopByHop = 0
	ipv6Routing  = 43
	ipv6Fragment = 44
	ipv6AH       = 51
	ipv6DestOpts = 60
)

type ipv6Frag struct {
	off  int
	more bool
	id   uint32
	nh   uint8
}

// walkIPv6 follows the extension-header chain starting with nh over p and
// returns the upper-layer protocol and payload. If a (non-atomic) fragment
// header is found it stops there and returns fragmented with the data after
// the fragment header.
func walkIPv6(nh uint8, p []byte) (proto uint8, payload []byte, frag ipv6Frag, fragmented bool, reason string) {
	for i := 0; ; i++ {
		if i == maxIPv6ExtHeaders {
			return 0, nil, frag, false, fmt.Sprintf("more than %d extension headers", maxIPv6ExtHeaders)
		}
		var hl int
		switch nh {
		case ipv6HopByHop, ipv6Routing, ipv6DestOpts:
			if len(p) < 2 {
				return 0, nil, frag, false, fmt.Sprintf("extension header %d truncated (%d bytes left)", nh, len(p))
			}
			hl = (int(p[1]) + 1) * 8
		case ipv6AH:
			if len(p) < 2 {
				return 0, nil, frag, false, fmt.Sprintf("authentication header truncated (%d bytes left)", len(p))
			}
			hl = (int(p[1]) + 2) * 4
		case ipv6Fragment:
			if len(p) < 8 {
				return 0, nil, frag, false, fmt.Sprintf("fragment header truncated (%d bytes left)", len(p))
			}
			fo := binary.BigEndian.Uint16(p[2:4])
			frag = ipv6Frag{off: int(fo &^ 7), more: fo&1 != 0, id: binary.BigEndian.Uint32(p[4:8]), nh: p[0]}
			if frag.off == 0 && !frag.more {
				// Atomic fragment (RFC 6946): a whole datagram, parse on.
				nh, p = p[0], p[8:]
				continue
			}
			return ipv6Fragment, p[8:], frag, true, ""
		default:
			return nh, p, frag, false, ""
		}
		if hl > len(p) {
			return 0, nil, frag, false, fmt.Sprintf("extension header %d of %d bytes exceeds the %d bytes left", nh, hl, len(p))
		}
		nh, p = p[0], p[hl:]
	}
}

func (r *Reader) ipv4(b []byte) bool {
	h, payload, truncated, reason := parseIPv4(b)
	if reason != "" {
		r.problemString(layerIPv4, reason)
		return false
	}
	r.pkt.v6 = false
	r.pkt.src = [16]byte{}
	r.pkt.dst = [16]byte{}
	copy(r.pkt.src[:], h.src[:])
	copy(r.pkt.dst[:], h.dst[:])
	if h.more || h.off != 0 {
		if truncated {
			r.problem(layerIPv4, "fragment (id %d, offset %d) truncated by the capture; dropped", h.id, h.off)
			return false
		}
		k := fragKey{src: r.pkt.src, dst: r.pkt.dst, id: uint32(h.id), proto: h.proto}
		fh := noFragHead
		if h.off == 0 {
			fh = fragHead{at: 0, proto: h.proto}
		}
		data, _, ok := r.defragment(k, h.off, maxIPPacket-h.hlen, h.more, payload, h.proto, fh)
		if !ok {
			return false
		}
		payload = data
	}
	return r.transport(h.proto, payload, truncated)
}

func (r *Reader) ipv6(b []byte) bool {
	src, dst, nh, payload, truncated, reason := parseIPv6(b)
	if reason != "" {
		r.problemString(layerIPv6, reason)
		return false
	}
	r.pkt.v6 = true
	r.pkt.src, r.pkt.dst = src, dst
	proto, p, frag, fragmented, reason := walkIPv6(nh, payload)
	if reason != "" {
		if truncated {
			reason += " (packet truncated by the capture)"
		}
		r.problemString(layerIPv6, reason)
		return false
	}
	if fragmented {
		if truncated {
			r.problem(layerIPv6, "fragment (id %d, offset %d) truncated by the capture; dropped", frag.id, frag.off)
			return false
		}
		k := fragKey{src: src, dst: dst, id: frag.id, v6: true}
		fh := noFragHead
		if frag.off == 0 && r.opts.WantDatagram != nil {
			// The upper-layer header, if the first fragment holds it.
			if up, rest, _, nested, reason := walkIPv6(frag.nh, p); reason == "" && !nested {
				fh = fragHead{at: len(p) - len(rest), proto: up}
			}
		}
		data, first, ok := r.defragment(k, frag.off, maxIPPacket, frag.more, p, frag.nh, fh)
		if !ok {
			return false
		}
		proto, p, _, fragmented, reason = walkIPv6(first, data)
		if reason == "" && fragmented {
			reason = "fragment header inside a reassembled datagram"
		}
		if reason != "" {
			r.problemString(layerIPv6, reason)
			return false
		}
	}
	return r.transport(proto, p, truncated)
}
