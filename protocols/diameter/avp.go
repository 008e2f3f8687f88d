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
	var a AVP
	n, err := readAVP(it.b, &a)
	if err != nil {
		it.err = err
		it.b = nil
		return AVP{}, false
	}
	it.b = it.b[n:]
	return a, true
}

// Err is the error that stopped the iteration, or nil at a clean end.
func (it *AVPs) Err() error { return it.err }

// readAVP reads the AVP at the start of the non-empty b into a and returns
// the length of the AVP with its padding. It writes through a pointer and
// returns one integer so that the hot loops stay in registers.
func readAVP(b []byte, a *AVP) (int, error) {
	if len(b) < 8 {
		return 0, ErrAVPHeader
	}
	w := binary.BigEndian.Uint64(b)
	a.Code = uint32(w >> 32)
	a.Flags = uint8(w >> 24)
	length := int(w & 0xffffff)
	hdr := 8
	a.Vendor = 0
	if a.Flags&AVPFlagVendor != 0 {
		if len(b) < 12 {
			return 0, ErrAVPHeader
		}
		a.Vendor = binary.BigEndian.Uint32(b[8:])
		hdr = 12
	}
	// Every container length is a multiple of 4, so the padded length
	// must fit too; a last AVP without padding is malformed.
	padded := (length + 3) &^ 3
	if length < hdr || padded > len(b) {
		return 0, ErrAVPLength
	}
	a.Data = b[hdr:length:length]
	return padded, nil
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
func validate(b []byte, depth int) error { return walkAVPs(b, depth, nil) }

// walkAVPs is validate, and with a decoder also Decode's reading of the
// top-level AVPs (b is then a message body): one pass over every AVP of
// every message. It decodes the headers itself instead of calling readAVP
// (too big to be inlined) and builds an AVP only for what d reads.
func walkAVPs(b []byte, depth int, d *decoder) error {
	if depth > MaxDepth {
		return ErrDepth
	}
	// An offset rather than reslicing b: cheaper per AVP.
	for off := 0; off < len(b); {
		rest := len(b) - off
		if rest < 8 {
			return ErrAVPHeader
		}
		w := binary.BigEndian.Uint64(b[off : off+8])
		code, length := uint32(w>>32), int(w&0xffffff)
		hdr, vendor := 8, uint32(0)
		if w&(uint64(AVPFlagVendor)<<24) != 0 {
			if rest < 12 {
				return ErrAVPHeader
			}
			hdr, vendor = 12, binary.BigEndian.Uint32(b[off+8:off+12])
		}
		// Every container length is a multiple of 4, so the padded
		// length must fit too; a last AVP without padding is malformed.
		padded := (length + 3) &^ 3
		if length < hdr || padded > rest {
			return ErrAVPLength
		}
		if isGrouped(code, vendor) {
			if err := walkAVPs(b[off+hdr:off+length], depth+1, nil); err != nil {
				if err == ErrDepth {
					return err
				}
				return ErrGrouped
			}
		}
		if d != nil && readsTop(code, vendor) {
			d.top(&AVP{Code: code, Flags: uint8(w >> 24), Vendor: vendor, Data: b[off+hdr : off+length : off+length]})
		}
		off += padded
	}
	return nil
}
