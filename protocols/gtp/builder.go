package gtp

import (
	"encoding/binary"
	"net/netip"
)

// Builder encodes GTP-C messages into a reusable buffer: test vectors,
// and the responses Breakwater sends when it rejects a request.
type Builder struct {
	buf    []byte
	v2     bool
	groups []int
}

// StartV2 begins a GTPv2-C message; the TEID field is present when teid
// is not nil-ish (hasTEID).
func (b *Builder) StartV2(t uint8, hasTEID bool, teid, seq uint32) *Builder {
	b.v2, b.groups = true, b.groups[:0]
	flags := byte(0x40)
	if hasTEID {
		flags |= 0x08
	}
	b.buf = append(b.buf[:0], flags, t, 0, 0)
	if hasTEID {
		b.buf = binary.BigEndian.AppendUint32(b.buf, teid)
	}
	b.buf = append(b.buf, byte(seq>>16), byte(seq>>8), byte(seq), 0)
	return b
}

// StartV1 begins a GTPv1-C message with a sequence number (S flag).
func (b *Builder) StartV1(t uint8, teid uint32, seq uint16) *Builder {
	b.v2, b.groups = false, b.groups[:0]
	b.buf = append(b.buf[:0], 0x32, t, 0, 0)
	b.buf = binary.BigEndian.AppendUint32(b.buf, teid)
	b.buf = append(b.buf, byte(seq>>8), byte(seq), 0, 0)
	return b
}

// IE appends a GTPv2 IE.
func (b *Builder) IE(t, instance uint8, val []byte) *Builder {
	b.buf = append(b.buf, t, byte(len(val)>>8), byte(len(val)), instance&0x0f)
	b.buf = append(b.buf, val...)
	return b
}

// Group opens a GTPv2 grouped IE; End closes it.
func (b *Builder) Group(t, instance uint8) *Builder {
	b.groups = append(b.groups, len(b.buf))
	b.buf = append(b.buf, t, 0, 0, instance&0x0f)
	return b
}

// End closes the innermost open group.
func (b *Builder) End() *Builder {
	n := len(b.groups) - 1
	start := b.groups[n]
	l := len(b.buf) - start - 4
	b.buf[start+1], b.buf[start+2] = byte(l>>8), byte(l)
	b.groups = b.groups[:n]
	return b
}

// TV appends a GTPv1 TV IE (its value length is fixed by type).
func (b *Builder) TV(t uint8, val []byte) *Builder {
	b.buf = append(append(b.buf, t), val...)
	return b
}

// TLV appends a GTPv1 TLV IE.
func (b *Builder) TLV(t uint8, val []byte) *Builder {
	b.buf = append(b.buf, t, byte(len(val)>>8), byte(len(val)))
	b.buf = append(b.buf, val...)
	return b
}

// Raw appends bytes verbatim (for malformed vectors).
func (b *Builder) Raw(p []byte) *Builder {
	b.buf = append(b.buf, p...)
	return b
}

// Message closes open groups, writes the length and returns the message;
// it aliases the builder's buffer until the next Start.
func (b *Builder) Message() []byte {
	for len(b.groups) > 0 {
		b.End()
	}
	hdr := 8
	if b.v2 {
		hdr = 4
	}
	l := len(b.buf) - hdr
	b.buf[2], b.buf[3] = byte(l>>8), byte(l)
	return b.buf
}

// FTEID encodes an F-TEID value (interface type, TEID, addresses).
func FTEID(iface uint8, teid uint32, addrs ...netip.Addr) []byte {
	var out [25]byte
	n := 5
	flags := iface & 0x3f
	for _, a := range addrs {
		if a.Is4() {
			flags |= 0x80
		}
	}
	for _, a := range addrs {
		if a.Is6() {
			flags |= 0x40
		}
	}
	out[0] = flags
	binary.BigEndian.PutUint32(out[1:], teid)
	for _, a := range addrs {
		if a.Is4() {
			b := a.As4()
			n += copy(out[n:], b[:])
		}
	}
	for _, a := range addrs {
		if a.Is6() {
			b := a.As16()
			n += copy(out[n:], b[:])
		}
	}
	return append([]byte(nil), out[:n]...)
}

// TBCD encodes digits as TBCD (filler 0xF for an odd count).
func TBCD(digits string) []byte {
	out := make([]byte, (len(digits)+1)/2)
	for i := 0; i < len(digits); i++ {
		d := digits[i] - '0'
		if i%2 == 0 {
			out[i/2] = 0xf0 | d
		} else {
			out[i/2] = out[i/2]&0x0f | d<<4
		}
	}
	return out
}

// Cause values used in rejections.
const (
	CauseV2RequestRejected uint8 = 94  // TS 29.274 §8.4: "Request rejected (reason not specified)"
	CauseV1NoResources     uint8 = 199 // TS 29.060 §7.7.1: "No resources available"
	CauseV2RequestAccepted uint8 = 16
	CauseV1RequestAccepted uint8 = 128
	CauseV2ContextNotFound uint8 = 64
	CauseV1NonExistent     uint8 = 192
)

// Reject encodes the response to request req with the given cause: the
// response type for the request's type, the request's sequence number, and
// as TEID the sender's control-plane TEID when the request announced one
// (otherwise 0, as TS 29.274 §5.5.2 allows). It returns false for
// messages that get no response, and for Echo Requests, whose response
// has no cause and would tell the peer the path is up (EchoResponse
// answers them).
func (b *Builder) Reject(req []byte, cause uint8) ([]byte, bool) {
	h, err := ParseHeader(req)
	if err != nil || h.Type == 1 {
		return nil, false
	}
	resp := h.Type + 1
	if h.Version == 1 {
		switch h.Type { // TS 29.060 table 1: the two answers not numbered request+1
		case 55: // Forward Relocation Complete
			resp = 59 // Forward Relocation Complete Acknowledge
		case 58: // Forward SRNS Context
			resp = 60 // Forward SRNS Context Acknowledge
		}
	}
	if TypeRole(h.Version, h.Type) != RoleRequest || TypeRole(h.Version, resp) != RoleResponse {
		return nil, false
	}
	var sender uint32
	if h.Version == 2 {
		it := V2IEs{b: req[h.ieStart:h.Length]}
		for ie, ok := it.Next(); ok; ie, ok = it.Next() {
			if ie.Type == IEFTEID && ie.Instance == 0 && len(ie.Value) >= 5 && controlInterface(ie.Value[0]&0x3f) {
				sender = binary.BigEndian.Uint32(ie.Value[1:])
				break
			}
		}
		b.StartV2(resp, true, sender, h.Sequence).IE(IECause, 0, []byte{cause, 0})
		return b.Message(), true
	}
	it := V1IEs{b: req[h.ieStart:h.Length]}
	for ie, ok := it.Next(); ok; ie, ok = it.Next() {
		if ie.Type == V1IETEIDControl {
			sender = binary.BigEndian.Uint32(ie.Value)
			break
		}
	}
	b.StartV1(resp, sender, uint16(h.Sequence)).TV(V1IECause, []byte{cause})
	return b.Message(), true
}
