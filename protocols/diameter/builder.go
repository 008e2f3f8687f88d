package diameter

import "encoding/binary"

// Builder encodes Diameter messages into a reusable buffer. It is used to
// craft test vectors and to build local answers without allocating once
// its buffer has grown.
type Builder struct {
	buf    []byte
	groups []int // offsets of open grouped AVPs
}

// Start begins a new message, discarding any previous one.
func (b *Builder) Start(flags uint8, code, app, hopByHop, endToEnd uint32) *Builder {
	b.buf = append(b.buf[:0], make([]byte, HeaderLen)...)
	b.groups = b.groups[:0]
	b.buf[0] = Version
	b.buf[4] = flags
	b.buf[5], b.buf[6], b.buf[7] = byte(code>>16), byte(code>>8), byte(code)
	binary.BigEndian.PutUint32(b.buf[8:], app)
	binary.BigEndian.PutUint32(b.buf[12:], hopByHop)
	binary.BigEndian.PutUint32(b.buf[16:], endToEnd)
	return b
}

func (b *Builder) avpHeader(code, vendor uint32, flags uint8) int {
	start := len(b.buf)
	if vendor != 0 {
		flags |= AVPFlagVendor
	}
	b.buf = binary.BigEndian.AppendUint32(b.buf, code)
	b.buf = append(b.buf, flags, 0, 0, 0)
	if vendor != 0 {
		b.buf = binary.BigEndian.AppendUint32(b.buf, vendor)
	}
	return start
}

// finish writes the AVP length at start and pads to 4 bytes.
func (b *Builder) finish(start int) {
	n := len(b.buf) - start
	b.buf[start+5], b.buf[start+6], b.buf[start+7] = byte(n>>16), byte(n>>8), byte(n)
	for len(b.buf)%4 != 0 {
		b.buf = append(b.buf, 0)
	}
}

// Bytes appends an OctetString-like AVP. flags is usually AVPFlagMandatory
// or 0; the V bit is set automatically when vendor != 0.
func (b *Builder) Bytes(code, vendor uint32, flags uint8, data []byte) *Builder {
	start := b.avpHeader(code, vendor, flags)
	b.buf = append(b.buf, data...)
	b.finish(start)
	return b
}

// String appends a UTF8String/DiameterIdentity AVP.
func (b *Builder) String(code, vendor uint32, flags uint8, s string) *Builder {
	start := b.avpHeader(code, vendor, flags)
	b.buf = append(b.buf, s...)
	b.finish(start)
	return b
}

// Uint32 appends an Unsigned32/Enumerated AVP.
func (b *Builder) Uint32(code, vendor uint32, flags uint8, v uint32) *Builder {
	start := b.avpHeader(code, vendor, flags)
	b.buf = binary.BigEndian.AppendUint32(b.buf, v)
	b.finish(start)
	return b
}

// Group opens a grouped AVP; AVPs appended until End are its members.
func (b *Builder) Group(code, vendor uint32, flags uint8) *Builder {
	b.groups = append(b.groups, b.avpHeader(code, vendor, flags))
	return b
}

// End closes the innermost open grouped AVP.
func (b *Builder) End() *Builder {
	n := len(b.groups) - 1
	b.finish(b.groups[n])
	b.groups = b.groups[:n]
	return b
}

// Raw appends bytes verbatim (for crafting malformed messages).
func (b *Builder) Raw(p []byte) *Builder {
	b.buf = append(b.buf, p...)
	return b
}

// Message closes any open groups, writes the header length and returns the
// encoded message. The slice aliases the builder's buffer until the next Start.
func (b *Builder) Message() []byte {
	for len(b.groups) > 0 {
		b.End()
	}
	n := len(b.buf)
	b.buf[1], b.buf[2], b.buf[3] = byte(n>>16), byte(n>>8), byte(n)
	return b.buf
}
