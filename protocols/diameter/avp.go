package diameter

import (
	"encoding/binary"
	"errors"
)

// AVP flags (RFC 6733 §4.1).
const (
	AVPFlagVendor    uint8 = 0x80
	AVPFlagMandatory uint8 = 0x40
	AVPFlagProtected uint8 = 0x20
)

// MaxDepth bounds how deep grouped AVPs are descended. Real dictionaries
// nest at most five levels (e.g. Subscription-Data → APN-Configuration-Profile
// → APN-Configuration → EPS-Subscribed-QoS-Profile → Allocation-Retention-Priority).
const MaxDepth = 8

// AVP is one attribute-value pair; Data aliases the message buffer.
type AVP struct {
	Code   uint32
	Flags  uint8
	Vendor uint32 // 0 when the V bit is clear
	Data   []byte
}

// Errors found while walking AVPs.
var (
	ErrAVPHeader = errors.New("diameter: AVP header truncated")
	ErrAVPLength = errors.New("diameter: AVP length too small or beyond its container")
	ErrDepth     = errors.New("diameter: grouped AVPs nested too deep")
	ErrGrouped   = errors.New("diameter: grouped AVP does not contain well-formed AVPs")
)

// AVPs iterates over a sequence of AVPs (a message body or the data of a
// grouped AVP). The zero value is an empty iterator.
type AVPs struct {
	b   []byte
	err error
}

// NewAVPs iterates over the AVPs encoded in b.
func NewAVPs(b []byte) AVPs { return AVPs{b: b} }

// Next returns the next AVP. It returns false at the end or on a malformed
// AVP, after which Err tells which.
func (it *AVPs) Next() (AVP, bool) {
	if len(it.b) == 0 {
		return AVP{}, false
	}
	a, rest, err := readAVP(it.b)
	if err != nil {
		it.err = err
		it.b = nil
		return AVP{}, false
	}
	it.b = rest
	return a, true
}

// Err is the error that stopped the iteration, or nil at a clean end.
func (it *AVPs) Err() error { return it.err }

// readAVP reads the AVP at the start of the non-empty b and returns the
// bytes after its padding.
func readAVP(b []byte) (a AVP, rest []byte, err error) {
	if len(b) < 8 {
		return AVP{}, nil, ErrAVPHeader
	}
	a.Code = binary.BigEndian.Uint32(b)
	a.Flags = b[4]
	length := int(b[5])<<16 | int(b[6])<<8 | int(b[7])
	hdr := 8
	if a.Flags&AVPFlagVendor != 0 {
		if len(b) < 12 {
			return AVP{}, nil, ErrAVPHeader
		}
		a.Vendor = binary.BigEndian.Uint32(b[8:])
		hdr = 12
	}
	if length < hdr || length > len(b) {
		return AVP{}, nil, ErrAVPLength
	}
	a.Data = b[hdr:length:length]
	padded := (length + 3) &^ 3
	if padded > len(b) {
		// The last AVP of a container may omit its padding only if the
		// container itself ends there; RFC 6733 requires padding, but the
		// container lengths are multiples of 4, so this is malformed.
		return AVP{}, nil, ErrAVPLength
	}
	return a, b[padded:], nil
}

// Uint32 returns the AVP's data as Unsigned32/Integer32/Enumerated.
func (a AVP) Uint32() (uint32, bool) {
	if len(a.Data) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(a.Data), true
}

// Grouped returns an iterator over the AVPs inside a grouped AVP.
func (a AVP) Grouped() AVPs { return AVPs{b: a.Data} }

// validate walks the AVPs in b, descending into the grouped AVPs the
// dictionary knows, and reports the first structural error. depth is the
// nesting level of b.
func validate(b []byte, depth int) error {
	if depth > MaxDepth {
		return ErrDepth
	}
	for len(b) > 0 {
		a, rest, err := readAVP(b)
		if err != nil {
			return err
		}
		if isGrouped(a.Code, a.Vendor) {
			if err := validate(a.Data, depth+1); err != nil {
				if err == ErrDepth {
					return err
				}
				return ErrGrouped
			}
		}
		b = rest
	}
	return nil
}
