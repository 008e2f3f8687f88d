package ber

import "errors"

// Class is the class of a tag (X.690 §8.1.2.2).
type Class uint8

// Tag classes.
const (
	ClassUniversal   Class = 0
	ClassApplication Class = 1
	ClassContext     Class = 2
	ClassPrivate     Class = 3
)

var classNames = [4]string{"universal", "application", "context", "private"}

// String returns "universal", "application", "context" or "private".
func (c Class) String() string { return classNames[c&3] }

// Universal tag numbers used by TCAP and MAP.
const (
	TagEOC         = 0
	TagBoolean     = 1
	TagInteger     = 2
	TagBitString   = 3
	TagOctetString = 4
	TagNull        = 5
	TagOID         = 6
	TagExternal    = 8
	TagEnumerated  = 10
	TagSequence    = 16
	TagSet         = 17
)

// Limits on what the reader accepts.
const (
	// MaxTag is the largest tag number: four subsequent identifier octets
	// of seven bits each. TCAP and MAP use tag numbers below 64.
	MaxTag = 1<<28 - 1
	// MaxLengthOctets is the most length octets after the 0x8N octet of
	// the long form (lengths up to 2^32-1, far beyond any SCCP payload).
	MaxLengthOctets = 4
	// MaxDepth bounds how many indefinite-length values may nest inside
	// the one being measured. MAP's deepest types (subscriber data with
	// CAMEL trigger lists) nest about ten levels.
	MaxDepth = 16
)

// Errors. Static so that reporting them allocates nothing.
var (
	ErrTruncated           = errors.New("ber: TLV runs past the end of its container")
	ErrTagTooLong          = errors.New("ber: tag number longer than four octets (above 2^28-1)")
	ErrTagEncoding         = errors.New("ber: tag number not in its shortest form")
	ErrLengthTooLong       = errors.New("ber: long-form length with more than four length octets")
	ErrLengthReserved      = errors.New("ber: reserved length octet 0xFF")
	ErrIndefinitePrimitive = errors.New("ber: indefinite length on a primitive encoding")
	ErrDepth               = errors.New("ber: indefinite-length values nested deeper than MaxDepth")
	ErrMissingEOC          = errors.New("ber: indefinite-length value without end-of-contents octets")
	ErrUnexpectedEOC       = errors.New("ber: end-of-contents octets outside an indefinite-length value")
	ErrReservedTag         = errors.New("ber: universal tag 0 (reserved for end-of-contents) used for a value")
)

// TLV is one encoded value. Value (the contents octets, without the
// end-of-contents octets of an indefinite length) and Raw (the whole
// encoding: identifier, length, contents and end-of-contents) alias the
// bytes the TLV was read from.
// Whether the length was indefinite is derived from Raw (Indefinite)
// rather than stored: the struct is filled for every header read, and
// kept small.
type TLV struct {
	Class       Class
	Constructed bool
	Tag         uint32
	Value       []byte
	Raw         []byte
}

// Indefinite reports whether t was encoded with the indefinite length
// form (0x80, ended by end-of-contents octets).
func (t TLV) Indefinite() bool {
	i := 1
	if len(t.Raw) > 0 && t.Raw[0]&0x1f == 0x1f {
		for i < len(t.Raw) && t.Raw[i]&0x80 != 0 {
			i++
		}
		i++
	}
	return i < len(t.Raw) && t.Raw[i] == 0x80
}

// Is reports whether t has class c and tag number tag (either form).
func (t TLV) Is(c Class, tag uint32) bool { return t.Class == c && t.Tag == tag }

// Children iterates over the TLVs inside a constructed t. For a primitive
// t it iterates over its contents octets as if they were TLVs, which is
// how a caller reads an OCTET STRING that carries BER (TCAP's
// octet-aligned EXTERNAL).
func (t TLV) Children() Reader { return Reader{b: t.Value} }

// Reader iterates over the TLVs that follow each other in a byte slice: a
// message, or the contents of a constructed value. The zero value is an
// empty reader.
type Reader struct {
	b    []byte
	err  error
	work int
}

// NewReader iterates over the TLVs encoded in b.
func NewReader(b []byte) Reader { return Reader{b: b} }

// Next returns the next TLV. It returns false at the end of the bytes or
// on a malformed TLV; Err then tells which. After an error the reader
// stays at its end.
func (r *Reader) Next() (TLV, bool) {
	var t TLV
	ok := r.Read(&t)
	return t, ok
}

// Read is Next for hot loops: it reads the next TLV into *t and reports
// whether there was one. Filling the caller's TLV in place spares the
// copies of returning one by value (a TLV is too big for the register
// ABI together with the bool), which cost as much as the decoding.
func (r *Reader) Read(t *TLV) bool {
	b := r.b
	if len(b) == 0 {
		return false
	}
	// Fast path for the commonest header, inlined here because parse
	// (recursive for indefinite lengths) cannot be: a one-octet tag that
	// is not universal 0 and a short-form length. TCAP and MAP use
	// nothing else in practice.
	if len(b) >= 2 {
		id, l := b[0], int(b[1])
		if id&0x1f != 0x1f && id&0xdf != 0 && l < 0x80 && l <= len(b)-2 {
			r.work++
			t.Class = Class(id >> 6)
			t.Constructed = id&0x20 != 0
			t.Tag = uint32(id & 0x1f)
			end := 2 + l
			t.Value = b[2:end:end]
			t.Raw = b[:end:end]
			r.b = b[end:]
			return true
		}
	}
	n, err := parse(b, 0, &r.work, t)
	if err != nil {
		r.err, r.b = err, nil
		*t = TLV{}
		return false
	}
	r.b = r.b[n:]
	return true
}

// Err is the error that ended the iteration, or nil.
func (r *Reader) Err() error { return r.err }

// Len is the number of bytes not yet read.
func (r *Reader) Len() int { return len(r.b) }

// Work is the number of TLV headers the reader has decoded, counting the
// ones walked to find where indefinite-length values end. It is how tests
// (and a cautious caller) check that reading stays linear in the input.
func (r *Reader) Work() int { return r.work }

// Parse reads the TLV at the start of b; len(t.Raw) is how many bytes it
// takes (b may hold more).
func Parse(b []byte) (t TLV, err error) {
	var work int
	if len(b) == 0 {
		return TLV{}, ErrTruncated
	}
	if _, err = parse(b, 0, &work, &t); err != nil {
		return TLV{}, err
	}
	return t, nil
}

// parse reads the TLV at the start of b (len(b) > 0) into t. depth counts
// the indefinite-length values this one is nested in within one walk. It
// fills a caller's TLV rather than returning one: returning the 80-octet
// TLV by value made the compiler copy it several times per header, which
// cost more than decoding the header.
func parse(b []byte, depth int, work *int, t *TLV) (int, error) {
	*work++
	id := b[0]
	t.Class = Class(id >> 6)
	t.Constructed = id&0x20 != 0
	tag := uint32(id & 0x1f)
	i := 1
	if tag == 0x1f {
		// High-tag-number form: base-128, most significant group first,
		// bit 8 set on every octet but the last.
		tag = 0
		for n := 0; ; n++ {
			if i >= len(b) {
				return 0, ErrTruncated
			}
			if n == 4 {
				return 0, ErrTagTooLong
			}
			c := b[i]
			i++
			if n == 0 && c == 0x80 {
				return 0, ErrTagEncoding // leading zero group
			}
			tag = tag<<7 | uint32(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
		if tag < 0x1f {
			return 0, ErrTagEncoding // fits the one-octet form
		}
	} else if tag == TagEOC && t.Class == ClassUniversal {
		// The scanner of an indefinite length checks for end-of-contents
		// before calling parse, so reaching here means a misplaced one.
		if !t.Constructed && len(b) >= 2 && b[1] == 0 {
			return 0, ErrUnexpectedEOC
		}
		return 0, ErrReservedTag
	}
	t.Tag = tag
	if i >= len(b) {
		return 0, ErrTruncated
	}
	l0 := b[i]
	i++
	var l uint64
	switch {
	case l0 < 0x80:
		l = uint64(l0)
	case l0 == 0x80:
		if !t.Constructed {
			return 0, ErrIndefinitePrimitive
		}
		return indefinite(b, i, depth, work, t)
	case l0 == 0xff:
		return 0, ErrLengthReserved
	default:
		n := int(l0 & 0x7f)
		if n > MaxLengthOctets {
			return 0, ErrLengthTooLong
		}
		if i+n > len(b) {
			return 0, ErrTruncated
		}
		for _, c := range b[i : i+n] {
			l = l<<8 | uint64(c)
		}
		i += n
	}
	if l > uint64(len(b)-i) {
		return 0, ErrTruncated
	}
	end := i + int(l)
	t.Value = b[i:end:end]
	t.Raw = b[:end:end]
	return end, nil
}

// indefinite finds the end-of-contents octets of the constructed value
// whose contents start at b[hdr:], by walking its elements.
func indefinite(b []byte, hdr, depth int, work *int, t *TLV) (int, error) {
	if depth >= MaxDepth {
		return 0, ErrDepth
	}
	var c TLV
	off := hdr
	for {
		if off >= len(b) {
			return 0, ErrMissingEOC
		}
		if b[off] == 0 {
			if off+1 >= len(b) {
				return 0, ErrMissingEOC
			}
			if b[off+1] == 0 {
				t.Value = b[hdr:off:off]
				t.Raw = b[: off+2 : off+2]
				return off + 2, nil
			}
		}
		n, err := parse(b[off:], depth+1, work, &c)
		if err != nil {
			return 0, err
		}
		off += n
	}
}
