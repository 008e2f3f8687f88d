package sccp

import "errors"

// Builder encodes connectionless SCCP messages (Q.713 §4.10, 4.11, 4.18,
// 4.19) into a reusable buffer: the unitdata that carries an answer back
// to a partner, the service message that returns an undeliverable message
// (UDTS, XUDTS), and test messages. Once its buffer has grown to the
// largest message it allocates nothing. A returned message aliases the
// buffer and is valid until the next call.
//
// Layout is the one every encoder uses and Parse reads: the fixed part,
// the pointers, then called address, calling address, data and the
// optional part in that order. Addresses are given as encoded parameter
// values (Address.Raw, or AppendGTAddress), so a relay copies what it
// received.
type Builder struct {
	buf []byte
}

// ErrTooLong: a parameter does not fit its one-octet length (addresses and
// the data of UDT/XUDT and their services are at most 255 octets).
var ErrTooLong = errors.New("sccp: parameter longer than 255 octets")

// DefaultHopCounter is the hop counter an originating SCCP gives XUDT(S):
// the maximum, 15 (Q.713 §3.18 allows 15 down to 1).
const DefaultHopCounter = 15

// UDT encodes a unitdata message; class is the protocol class octet
// (class in bits 1-4, the return option in bits 5-8).
func (b *Builder) UDT(class uint8, called, calling, data []byte) ([]byte, error) {
	return b.build(TypeUDT, class, 0, called, calling, data, nil)
}

// UDTS encodes a unitdata service message with a return cause.
func (b *Builder) UDTS(cause uint8, called, calling, data []byte) ([]byte, error) {
	return b.build(TypeUDTS, cause, 0, called, calling, data, nil)
}

// XUDT encodes an extended unitdata message; seg, when not nil, adds the
// segmentation parameter.
func (b *Builder) XUDT(class, hop uint8, called, calling, data []byte, seg *Segmentation) ([]byte, error) {
	return b.build(TypeXUDT, class, hop, called, calling, data, seg)
}

// XUDTS encodes an extended unitdata service message.
func (b *Builder) XUDTS(cause, hop uint8, called, calling, data []byte, seg *Segmentation) ([]byte, error) {
	return b.build(TypeXUDTS, cause, hop, called, calling, data, seg)
}

// Return encodes the service message that returns m to its originator
// with the given return cause (Q.714 §4.2, message return): UDTS for a
// UDT, XUDTS for an XUDT; the called and calling addresses swapped, the
// user data and the segmentation parameter (of a segment) carried back
// unchanged, and an XUDTS hop counter of 15. ok is false for other types
// (LUDT would need LUDTS, which Breakwater does not send) and for data
// that does not fit. Whether m asked to be returned (m.ReturnOnError) is
// the caller's decision.
func (b *Builder) Return(m *Message, cause uint8) ([]byte, bool) {
	var out []byte
	var err error
	switch m.Type {
	case TypeUDT:
		out, err = b.UDTS(cause, m.Calling.Raw, m.Called.Raw, m.Data)
	case TypeXUDT:
		var seg *Segmentation
		if m.HasSegmentation {
			seg = &m.Segmentation
		}
		out, err = b.XUDTS(cause, DefaultHopCounter, m.Calling.Raw, m.Called.Raw, m.Data, seg)
	default:
		return nil, false
	}
	return out, err == nil
}

func (b *Builder) build(t MessageType, first, hop uint8, called, calling, data []byte, seg *Segmentation) ([]byte, error) {
	if len(called) > 255 || len(calling) > 255 || len(data) > 255 {
		return nil, ErrTooLong
	}
	opt := t == TypeXUDT || t == TypeXUDTS
	b.buf = append(b.buf[:0], byte(t), first)
	if opt {
		b.buf = append(b.buf, hop)
	}
	// Pointers count from their own octet to the parameter's length
	// indicator (Q.713 §2.3).
	nptr := 3
	if opt {
		nptr = 4
	}
	p := len(b.buf)
	b.buf = append(b.buf, make([]byte, nptr)...)
	off := nptr // from the first pointer to the first parameter
	for i, v := range [3][]byte{called, calling, data} {
		rel := off - i
		if rel > 255 {
			return nil, ErrTooLong
		}
		b.buf[p+i] = byte(rel)
		b.buf = append(b.buf, byte(len(v)))
		b.buf = append(b.buf, v...)
		off += 1 + len(v)
	}
	if opt {
		if seg == nil {
			b.buf[p+3] = 0 // no optional part
		} else {
			rel := off - 3
			if rel > 255 {
				return nil, ErrTooLong
			}
			b.buf[p+3] = byte(rel)
			first := seg.Remaining & 0x0f
			if seg.First {
				first |= 0x80
			}
			first |= (seg.Class & 1) << 6
			r := seg.LocalRef
			b.buf = append(b.buf, ParamSegmentation, 4, first, byte(r), byte(r>>8), byte(r>>16), ParamEndOfOptional)
		}
	}
	return b.buf, nil
}

// AppendGTAddress appends an ITU called/calling party address value routed
// on global title (Q.713 §3.4): address indicator with GTI 4 (translation
// type, numbering plan, encoding scheme, nature of address), the SSN when
// ssn is not 0, no point code, and the digits in BCD. digits must be
// decimal ('0'-'9').
func AppendGTAddress(dst []byte, ssn, tt, np, nai uint8, digits string) []byte {
	ai := byte(GTITTNPESNAI << 2)
	if ssn != 0 {
		ai |= 0x02
	}
	dst = append(dst, ai)
	if ssn != 0 {
		dst = append(dst, ssn)
	}
	es := ESBCDEven
	if len(digits)%2 == 1 {
		es = ESBCDOdd
	}
	dst = append(dst, tt, np<<4|es, nai&0x7f)
	for i := 0; i < len(digits); i += 2 {
		lo := digits[i] - '0'
		var hi byte
		if i+1 < len(digits) {
			hi = digits[i+1] - '0'
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst
}

// AppendPCSSNAddress appends an address routed on point code and SSN
// (route on SSN, point code and SSN present, no global title).
func AppendPCSSNAddress(dst []byte, pc uint16, ssn uint8) []byte {
	return append(dst, 0x43, byte(pc), byte(pc>>8)&0x3f, ssn)
}
