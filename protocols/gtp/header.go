package gtp

import (
	"encoding/binary"
	"errors"
)

// Kind classifies the first octet of a GTP datagram.
type Kind uint8

const (
	KindUnknown Kind = iota
	KindV0           // GTPv0 (TS 09.60): obsolete, not GTP-C here
	KindPrime        // GTP' (charging): protocol type bit clear
	KindV1           // GTPv1 (control or user plane by message type and port)
	KindV2           // GTPv2-C
)

// Classify tells GTP versions and GTP' apart from the first octet, the way
// a receiver on port 3386 (shared by GTPv0, GTP' and GTPv1) must: bits
// 8-6 are the version; for versions 0 and 1 bit 5 is the protocol type
// (1 = GTP, 0 = GTP'). GTPv2-C keeps bits 2-1 zero (spare; bit 3 is the
// message-priority flag), while a GTP' version 2 header sets its spare
// bits 4-2 to ones (TS 32.295 §6.1.1), so a version-2 octet with bit 2 or
// 1 set is GTP', not GTP-C.
func Classify(b []byte) Kind {
	if len(b) == 0 {
		return KindUnknown
	}
	version, pt := b[0]>>5, b[0]&0x10 != 0
	switch {
	case version == 2 && b[0]&0x03 == 0:
		return KindV2
	case version == 2 || !pt && version <= 1:
		return KindPrime
	case version == 1:
		return KindV1
	case version == 0:
		return KindV0
	}
	return KindUnknown
}

// Errors. Static so that reporting them allocates nothing.
var (
	ErrShort       = errors.New("gtp: shorter than its header")
	ErrVersion     = errors.New("gtp: not GTPv1-C or GTPv2-C (GTPv0, GTP' or another version)")
	ErrLength      = errors.New("gtp: length field beyond the datagram")
	ErrExtension   = errors.New("gtp: GTPv1 extension headers malformed")
	ErrIE          = errors.New("gtp: information element truncated or beyond its container")
	ErrUnknownTVIE = errors.New("gtp: GTPv1 TV information element of unknown type (its length cannot be known)")
	ErrDepth       = errors.New("gtp: grouped information elements nested too deep")
	ErrIEOrder     = errors.New("gtp: GTPv1 information elements not in ascending type order")
)

// Header is the fixed part of a GTP-C message, both versions.
type Header struct {
	Version     uint8
	Type        uint8
	Length      int // the whole message, header included
	TEID        uint32
	TEIDPresent bool
	Sequence    uint32 // 24 bits in v2, 16 bits in v1
	SeqPresent  bool   // v1: S flag
	Piggyback   bool   // v2: P flag (another message follows)
	ieStart     int    // offset of the first IE
}

// ParseHeader reads the header of the GTPv1 or GTPv2 message at the start
// of b. Length is the message's own length (b may hold more: a
// piggybacked message, or a TCP stream). GTPv2 spare bits are ignored, as
// TS 29.274 §5.1 tells receivers to; telling GTP' apart is Classify's job,
// for the port GTP' uses.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	err := parseHeader(b, &h)
	return h, err
}

// parseHeader is ParseHeader filling the caller's Header: Decode's path,
// where returning the struct through two calls cost more than reading it.
func parseHeader(b []byte, h *Header) error {
	*h = Header{}
	if len(b) == 0 {
		return ErrShort
	}
	switch version, pt := b[0]>>5, b[0]&0x10 != 0; {
	case version == 2:
		return parseV2(b, h)
	case version == 1 && pt:
		return parseV1(b, h)
	}
	h.Version = b[0] >> 5
	return ErrVersion
}

func parseV2(b []byte, h *Header) error {
	h.Version = 2
	if len(b) < 8 {
		return ErrShort
	}
	h.Type, h.Piggyback, h.TEIDPresent = b[1], b[0]&0x10 != 0, b[0]&0x08 != 0
	h.Length = int(binary.BigEndian.Uint16(b[2:])) + 4
	off := 4
	if h.TEIDPresent {
		if len(b) < 12 {
			return ErrShort
		}
		h.TEID = binary.BigEndian.Uint32(b[4:])
		off = 8
	}
	h.Sequence = uint32(b[off])<<16 | uint32(b[off+1])<<8 | uint32(b[off+2])
	h.SeqPresent = true
	h.ieStart = off + 4
	if h.Length < h.ieStart {
		return ErrLength
	}
	if h.Length > len(b) {
		return ErrLength
	}
	return nil
}

func parseV1(b []byte, h *Header) error {
	h.Version = 1
	if len(b) < 8 {
		return ErrShort
	}
	flags := b[0]
	h.Type, h.TEIDPresent, h.TEID = b[1], true, binary.BigEndian.Uint32(b[4:])
	h.Length = int(binary.BigEndian.Uint16(b[2:])) + 8
	h.ieStart = 8
	if h.Length > len(b) {
		return ErrLength
	}
	if flags&0x07 != 0 { // E, S or PN: the optional 4 octets are present
		if h.Length < 12 {
			return ErrLength
		}
		h.Sequence = uint32(binary.BigEndian.Uint16(b[8:]))
		h.SeqPresent = flags&0x02 != 0
		h.ieStart = 12
		if flags&0x04 != 0 { // extension headers, chained by next-type octets
			next := b[11]
			off := 12
			for n := 0; next != 0; n++ {
				if n == 16 || off >= h.Length {
					return ErrExtension
				}
				l := int(b[off]) * 4 // length in 4-octet units, including length and next-type octets
				if l == 0 || off+l > h.Length {
					return ErrExtension
				}
				next = b[off+l-1]
				off += l
			}
			h.ieStart = off
		}
	}
	return nil
}

// FrameLength returns the length of the GTP message at the start of a TCP
// stream, 0 when more bytes are needed.
func FrameLength(b []byte) (int, error) {
	if len(b) < 4 {
		return 0, nil
	}
	switch version, pt := b[0]>>5, b[0]&0x10 != 0; {
	case version == 2:
		return int(binary.BigEndian.Uint16(b[2:])) + 4, nil
	case version == 1 && pt:
		return int(binary.BigEndian.Uint16(b[2:])) + 8, nil
	}
	return 0, ErrVersion
}
