package ber

import (
	"bytes"
	"errors"
	"strconv"
)

// MaxIntOctets is the longest INTEGER or ENUMERATED contents accepted: 64
// bits. TCAP and MAP integers (invoke ids, operation and error codes,
// causes) fit in one or two octets.
const MaxIntOctets = 8

// Errors of the value helpers.
var (
	ErrConstructed = errors.New("ber: constructed encoding where a primitive value was expected")
	ErrIntLength   = errors.New("ber: INTEGER or ENUMERATED empty or longer than eight octets")
	ErrBoolLength  = errors.New("ber: BOOLEAN contents not exactly one octet")
	ErrNullLength  = errors.New("ber: NULL with contents octets")
	ErrOID         = errors.New("ber: OBJECT IDENTIFIER empty, with a non-minimal arc, or with an arc above 2^63")
)

// Int reads the contents of a primitive INTEGER or ENUMERATED (whatever
// its tag): two's complement, 1 to MaxIntOctets octets. Redundant leading
// octets (0x00 0x05) are accepted, as X.690 receivers commonly do.
func (t TLV) Int() (int64, error) {
	if t.Constructed {
		return 0, ErrConstructed
	}
	v := t.Value
	if len(v) == 0 || len(v) > MaxIntOctets {
		return 0, ErrIntLength
	}
	n := int64(int8(v[0])) // sign-extend the first octet
	for _, c := range v[1:] {
		n = n<<8 | int64(c)
	}
	return n, nil
}

// Bool reads a primitive BOOLEAN: one octet, zero is false.
func (t TLV) Bool() (bool, error) {
	if t.Constructed {
		return false, ErrConstructed
	}
	if len(t.Value) != 1 {
		return false, ErrBoolLength
	}
	return t.Value[0] != 0, nil
}

// Null checks a primitive NULL: no contents.
func (t TLV) Null() error {
	if t.Constructed {
		return ErrConstructed
	}
	if len(t.Value) != 0 {
		return ErrNullLength
	}
	return nil
}

// Octets returns the contents of a primitive OCTET STRING. The
// constructed (segmented) form that BER allows is refused: reassembling it
// would mean copying, and no SS7 stack sends it.
func (t TLV) Octets() ([]byte, error) {
	if t.Constructed {
		return nil, ErrConstructed
	}
	return t.Value, nil
}

// OID returns the contents octets of a primitive OBJECT IDENTIFIER after
// checking them (ValidOID). Compare them with a known identifier's
// contents with IsOID or bytes.Equal; AppendOID renders them.
func (t TLV) OID() ([]byte, error) {
	if t.Constructed {
		return nil, ErrConstructed
	}
	if !ValidOID(t.Value) {
		return nil, ErrOID
	}
	return t.Value, nil
}

// IsOID reports whether t is a primitive OBJECT IDENTIFIER whose contents
// are exactly known (the contents octets, e.g. 00 11 86 05 01 01 01 for
// 0.0.17.773.1.1.1).
func (t TLV) IsOID(known []byte) bool {
	return !t.Constructed && t.Class == ClassUniversal && t.Tag == TagOID && bytes.Equal(t.Value, known)
}

// ValidOID reports whether b is well-formed OBJECT IDENTIFIER contents:
// non-empty, every arc in minimal base-128 form (no leading 0x80 octet),
// the last octet terminating an arc, and every arc below 2^63.
func ValidOID(b []byte) bool {
	if len(b) == 0 || b[len(b)-1]&0x80 != 0 {
		return false
	}
	n := 0 // octets in the current arc
	for _, c := range b {
		if n == 0 && c == 0x80 {
			return false
		}
		n++
		if n > 9 { // 9 × 7 = 63 bits
			return false
		}
		if c&0x80 == 0 {
			n = 0
		}
	}
	return true
}

// AppendOID appends the dotted form of OBJECT IDENTIFIER contents
// ("0.0.17.773.1.1.1") to dst, or "<bad oid>" when !ValidOID(oid). It is
// for output and tests; the hot path compares contents octets.
func AppendOID(dst, oid []byte) []byte {
	if !ValidOID(oid) {
		return append(dst, "<bad oid>"...)
	}
	first := true
	var arc uint64
	for _, c := range oid {
		arc = arc<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if first {
			// The first subidentifier packs the first two arcs: 40*X + Y.
			x := min(arc/40, 2)
			dst = strconv.AppendUint(dst, x, 10)
			dst = append(dst, '.')
			dst = strconv.AppendUint(dst, arc-40*x, 10)
			first = false
		} else {
			dst = append(dst, '.')
			dst = strconv.AppendUint(dst, arc, 10)
		}
		arc = 0
	}
	return dst
}
