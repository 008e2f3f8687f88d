package capture

import "encoding/binary"

const udpHeader = 8

// udp returns the payload of a UDP datagram as a message.
func (r *Reader) udp(p []byte, truncated bool) bool {
	if len(p) < udpHeader {
		if truncated {
			r.problem(layerUDP, "header truncated by the capture (%d bytes)", len(p))
		} else {
			r.problem(layerUDP, "datagram of %d bytes is shorter than the UDP header", len(p))
		}
		return false
	}
	ulen := int(binary.BigEndian.Uint16(p[4:6]))
	if ulen == 0 && r.pkt.v6 {
		ulen = len(p) // IPv6 jumbogram (RFC 2675)
	}
	switch {
	case ulen < udpHeader:
		r.problem(layerUDP, "length field %d is shorter than the UDP header", ulen)
		return false
	case ulen > len(p) && truncated:
		r.problem(layerUDP, "datagram truncated by the capture (%d of %d bytes)", len(p), ulen)
		return false
	case ulen > len(p):
		r.problem(layerUDP, "length field %d exceeds the %d bytes of the IP payload", ulen, len(p))
		return false
	case ulen-udpHeader > r.opts.MaxMessage:
		r.problem(layerUDP, "datagram payload of %d bytes exceeds MaxMessage (%d); dropped", ulen-udpHeader, r.opts.MaxMessage)
		return false
	}
	src, dst := r.pkt.endpoints(binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4]))
	r.out = Message{
		Frame:     r.frame,
		Time:      r.ts.time(),
		Src:       src,
		Dst:       dst,
		Transport: TransportUDP,
		Data:      p[udpHeader:ulen],
	}
	return true
}
