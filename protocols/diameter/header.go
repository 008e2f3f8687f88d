package diameter

import (
	"encoding/binary"
	"errors"
)

// HeaderLen is the fixed Diameter header length.
const HeaderLen = 20

// Version is the only Diameter version (RFC 6733 §3).
const Version = 1

// Command flags (RFC 6733 §3).
const (
	FlagRequest       uint8 = 0x80
	FlagProxiable     uint8 = 0x40
	FlagError         uint8 = 0x20
	FlagRetransmitted uint8 = 0x10
)

// Header is the fixed part of a Diameter message.
type Header struct {
	Version  uint8
	Length   uint32 // whole message, header included
	Flags    uint8
	Code     uint32 // 24-bit command code
	AppID    uint32
	HopByHop uint32
	EndToEnd uint32
}

// IsRequest reports whether the R bit is set.
func (h *Header) IsRequest() bool { return h.Flags&FlagRequest != 0 }

// Framing errors. They are static so that reporting them allocates nothing.
var (
	ErrShort        = errors.New("diameter: shorter than its 20-byte header")
	ErrVersion      = errors.New("diameter: version is not 1")
	ErrLength       = errors.New("diameter: message length below 20 or not a multiple of 4")
	ErrTooLarge     = errors.New("diameter: message length above the configured maximum")
	ErrTruncated    = errors.New("diameter: message shorter than its header's length")
	ErrTrailing     = errors.New("diameter: bytes after the message's length")
	ErrErrorRequest = errors.New("diameter: E bit set on a request")
)

// ParseHeader reads and checks the fixed header. It does not look at AVPs.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, ErrShort
	}
	h := Header{
		Version:  b[0],
		Length:   uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]),
		Flags:    b[4],
		Code:     uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7]),
		AppID:    binary.BigEndian.Uint32(b[8:]),
		HopByHop: binary.BigEndian.Uint32(b[12:]),
		EndToEnd: binary.BigEndian.Uint32(b[16:]),
	}
	if h.Version != Version {
		return h, ErrVersion
	}
	if h.Length < HeaderLen || h.Length%4 != 0 {
		return h, ErrLength
	}
	if h.Flags&FlagRequest != 0 && h.Flags&FlagError != 0 {
		return h, ErrErrorRequest
	}
	return h, nil
}

// Framer returns a stream framer (for TCP byte streams) that accepts
// messages up to maxLen bytes. It returns the length of the first message in
// b once the header is complete and the whole message has arrived, 0 when more
// bytes are needed, or an error when b cannot start a Diameter message.
func Framer(maxLen int) func(b []byte) (int, error) {
	return func(b []byte) (int, error) {
		n, err := FrameLength(b, maxLen)
		if err != nil || n > len(b) {
			return 0, err
		}
		return n, nil
	}
}

// FrameLength returns the declared length of the message starting at b, or
// 0 if fewer than 4 bytes are available. It checks only what a framer can:
// version and length.
func FrameLength(b []byte, maxLen int) (int, error) {
	if len(b) < 4 {
		return 0, nil
	}
	if b[0] != Version {
		return 0, ErrVersion
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if n < HeaderLen || n%4 != 0 {
		return 0, ErrLength
	}
	if maxLen > 0 && n > maxLen {
		return 0, ErrTooLarge
	}
	return n, nil
}
