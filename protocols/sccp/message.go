package sccp

import "errors"

// MessageType is the first octet of every SCCP message (Q.713 §4.1,
// table 1).
type MessageType uint8

// Message types.
const (
	TypeCR    MessageType = 0x01 // connection request
	TypeCC    MessageType = 0x02 // connection confirm
	TypeCREF  MessageType = 0x03 // connection refused
	TypeRLSD  MessageType = 0x04 // released
	TypeRLC   MessageType = 0x05 // release complete
	TypeDT1   MessageType = 0x06 // data form 1
	TypeDT2   MessageType = 0x07 // data form 2
	TypeAK    MessageType = 0x08 // data acknowledgement
	TypeUDT   MessageType = 0x09 // unitdata
	TypeUDTS  MessageType = 0x0a // unitdata service
	TypeED    MessageType = 0x0b // expedited data
	TypeEA    MessageType = 0x0c // expedited data acknowledgement
	TypeRSR   MessageType = 0x0d // reset request
	TypeRSC   MessageType = 0x0e // reset confirm
	TypeERR   MessageType = 0x0f // protocol data unit error
	TypeIT    MessageType = 0x10 // inactivity test
	TypeXUDT  MessageType = 0x11 // extended unitdata
	TypeXUDTS MessageType = 0x12 // extended unitdata service
	TypeLUDT  MessageType = 0x13 // long unitdata
	TypeLUDTS MessageType = 0x14 // long unitdata service
)

var typeNames = [...]string{
	TypeCR: "CR", TypeCC: "CC", TypeCREF: "CREF", TypeRLSD: "RLSD", TypeRLC: "RLC",
	TypeDT1: "DT1", TypeDT2: "DT2", TypeAK: "AK", TypeUDT: "UDT", TypeUDTS: "UDTS",
	TypeED: "ED", TypeEA: "EA", TypeRSR: "RSR", TypeRSC: "RSC", TypeERR: "ERR", TypeIT: "IT",
	TypeXUDT: "XUDT", TypeXUDTS: "XUDTS", TypeLUDT: "LUDT", TypeLUDTS: "LUDTS",
}

// String is the Q.713 abbreviation, or "" for an undefined type.
func (t MessageType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return ""
}

// Connectionless reports whether t is one of the six connectionless
// messages (the ones Parse decodes).
func (t MessageType) Connectionless() bool {
	return int(t) < len(layouts) && layouts[t].valid
}

// Service reports whether t returns an undeliverable message (UDTS, XUDTS,
// LUDTS): it carries a return cause instead of a protocol class.
func (t MessageType) Service() bool {
	return t == TypeUDTS || t == TypeXUDTS || t == TypeLUDTS
}

// Optional parameter names (Q.713 §3.1) found in XUDT(S) and LUDT(S).
const (
	ParamEndOfOptional uint8 = 0x00
	ParamSegmentation  uint8 = 0x10
	ParamImportance    uint8 = 0x12
)

// Errors. Static so that reporting them allocates nothing.
var (
	ErrShort       = errors.New("sccp: shorter than its fixed part and pointers")
	ErrUnknownType = errors.New("sccp: undefined message type")
	ErrPointer     = errors.New("sccp: pointer zero, into the fixed part or beyond the message")
	ErrParamLength = errors.New("sccp: variable parameter beyond the message")
	ErrOverlap     = errors.New("sccp: variable parameters overlap")
	ErrClass       = errors.New("sccp: protocol class other than 0 or 1 in a connectionless message")
	ErrOptional    = errors.New("sccp: optional part truncated, unterminated, or with a repeated or wrong-length parameter")
	ErrAddress     = errors.New("sccp: party address shorter than its indicator says, or with octets after it")
	ErrGTI         = errors.New("sccp: global title indicator spare, national or reserved")
	ErrDigits      = errors.New("sccp: global title without address signals or with more than MaxDigits")
)

// Segmentation is the segmentation optional parameter (Q.713 §3.17).
type Segmentation struct {
	First     bool   // bit 8: first segment
	Class     uint8  // bit 7: protocol class of the reassembled message (1: in sequence)
	Remaining uint8  // bits 4-1: segments still to come, 0 in the last
	LocalRef  uint32 // segmentation local reference, 24 bits
}

// Message is a decoded SCCP message. For connectionless messages every
// field the type has is set; byte slices alias the input. For the
// connection-oriented types only Type is set.
type Message struct {
	Type MessageType
	// ProtocolClass is the raw protocol class octet (UDT, XUDT, LUDT): see
	// Class and ReturnOnError.
	ProtocolClass uint8
	ReturnCause   uint8 // UDTS, XUDTS, LUDTS; see ReturnCauseName
	// HopCounter is the raw hop counter of XUDT(S) and LUDT(S) (Q.713
	// §3.18: 15 down to 1, decremented at each global title translation;
	// 0 is a hop counter violation, left to the caller).
	HopCounter uint8
	Called     Address
	Calling    Address
	// Data is the user data (long data in LUDT, LUDTS), aliasing the
	// message; for a segment, only this segment's part.
	Data            []byte
	Segmentation    Segmentation
	HasSegmentation bool
	Importance      uint8 // 0-7 when HasImportance
	HasImportance   bool
}

// Class is the protocol class (0 or 1 for connectionless messages).
func (m *Message) Class() uint8 { return m.ProtocolClass & 0x0f }

// ReturnOnError reports the "return message on error" handling option
// (Q.713 §3.6: bits 8-5 = 1000).
func (m *Message) ReturnOnError() bool { return m.ProtocolClass&0xf0 == 0x80 }

// IsSCMG reports whether m is SCCP management: a connectionless message to
// subsystem 1 (Q.714 §5.3). Its Data is then an SCMG message (ParseSCMG).
func (m *Message) IsSCMG() bool {
	return m.Type.Connectionless() && m.Called.HasSSN && m.Called.SSN == SSNSCMG
}

// layout describes a connectionless message (Q.713 §4.10, 4.11, 4.18-4.21).
type layout struct {
	valid bool
	cause bool // fixed part starts with a return cause instead of a protocol class
	hop   bool // then a hop counter
	opt   bool // a pointer to an optional part follows the three mandatory ones
	long  bool // pointers and the data length indicator are two octets (LUDT, LUDTS)
}

var layouts = [...]layout{
	TypeUDT:   {valid: true},
	TypeUDTS:  {valid: true, cause: true},
	TypeXUDT:  {valid: true, hop: true, opt: true},
	TypeXUDTS: {valid: true, cause: true, hop: true, opt: true},
	TypeLUDT:  {valid: true, hop: true, opt: true, long: true},
	TypeLUDTS: {valid: true, cause: true, hop: true, opt: true, long: true},
}

// span is the octets [start, end) a variable parameter or the optional
// part occupies, length indicator included.
type span struct{ start, end int }

// Parse decodes the SCCP message in b into m (which it overwrites).
//
// Connection-oriented messages (CR ... IT) return nil with only m.Type
// set: Breakwater does not relay SCCP connections, but a verdict needs the
// type. Undefined types return ErrUnknownType with m.Type set.
//
// Pointers (Q.713 §2.3) count from the pointer octet to the parameter's
// length indicator; the two-octet pointers of LUDT and LUDTS (least
// significant octet first) count from their second octet, and long data
// has a two-octet length indicator, as Wireshark reads them. Bytes that no
// pointer designates are ignored (receivers never read them); parameters
// that overlap are refused.
func Parse(b []byte, m *Message) error {
	*m = Message{}
	if len(b) == 0 {
		return ErrShort
	}
	m.Type = MessageType(b[0])
	if !m.Type.Connectionless() {
		if m.Type.String() != "" {
			return nil
		}
		return ErrUnknownType
	}
	l := layouts[m.Type]
	psize, fixed, nptr := 1, 1, 3
	if l.long {
		psize = 2
	}
	if l.hop {
		fixed = 2
	}
	if l.opt {
		nptr = 4
	}
	ptrs := 1 + fixed
	end := ptrs + nptr*psize // end of the pointer area
	if len(b) < end {
		return ErrShort
	}
	if l.cause {
		m.ReturnCause = b[1]
	} else {
		m.ProtocolClass = b[1]
	}
	if l.hop {
		m.HopCounter = b[2]
	}

	var spans [4]span
	var values [3][]byte
	for i := range values {
		start, err := pointer(b, ptrs+i*psize, psize, end)
		if err != nil {
			return err
		}
		if start == 0 {
			return ErrPointer
		}
		lsize := 1
		if l.long && i == 2 {
			lsize = 2
		}
		if values[i], spans[i], err = variable(b, start, lsize); err != nil {
			return err
		}
	}
	n := 3
	if l.opt {
		start, err := pointer(b, ptrs+3*psize, psize, end)
		if err != nil {
			return err
		}
		if start != 0 {
			e, err := m.parseOptional(b, start)
			if err != nil {
				return err
			}
			spans[3], n = span{start, e}, 4
		}
	}
	if !ordered(spans[:n]) { // encoders lay parameters out in order: the common case
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if spans[i].start < spans[j].end && spans[j].start < spans[i].end {
					return ErrOverlap
				}
			}
		}
	}
	if !l.cause && m.Class() > 1 {
		return ErrClass
	}
	if err := parseAddress(values[0], &m.Called); err != nil {
		return err
	}
	if err := parseAddress(values[1], &m.Calling); err != nil {
		return err
	}
	m.Data = values[2]
	return nil
}

// ordered reports whether the spans follow each other without overlap.
func ordered(s []span) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1].end > s[i].start {
			return false
		}
	}
	return true
}

// pointer reads the pointer at pos and returns the offset it designates,
// or 0 for a zero pointer (no optional part). The target must lie after
// the pointer area (end) and inside b.
func pointer(b []byte, pos, size, end int) (int, error) {
	v, base := int(b[pos]), pos
	if size == 2 {
		v |= int(b[pos+1]) << 8
		base = pos + 1
	}
	if v == 0 {
		return 0, nil
	}
	start := base + v
	if start < end || start >= len(b) {
		return 0, ErrPointer
	}
	return start, nil
}

// variable reads the parameter whose length indicator (lsize octets, least
// significant first) is at start.
func variable(b []byte, start, lsize int) ([]byte, span, error) {
	if start+lsize > len(b) {
		return nil, span{}, ErrParamLength
	}
	n := int(b[start])
	if lsize == 2 {
		n |= int(b[start+1]) << 8
	}
	e := start + lsize + n
	if e > len(b) {
		return nil, span{}, ErrParamLength
	}
	return b[start+lsize : e : e], span{start, e}, nil
}

// parseOptional walks the optional part at start (Q.713 §2.4: name,
// one-octet length, value; ended by a zero name octet) and returns its end.
// The walk is bounded by the message: every step consumes at least two
// octets. Segmentation and importance must have their defined lengths and
// appear once; other names (ANSI's ISNI, INS, ...) are skipped, as Q.714
// has unrecognised optional parameters ignored. A part without its end
// octet is refused.
func (m *Message) parseOptional(b []byte, start int) (int, error) {
	off := start
	for {
		if off >= len(b) {
			return 0, ErrOptional
		}
		name := b[off]
		if name == ParamEndOfOptional {
			return off + 1, nil
		}
		if off+2 > len(b) {
			return 0, ErrOptional
		}
		n := int(b[off+1])
		v := b[off+2:]
		if n > len(v) {
			return 0, ErrOptional
		}
		v = v[:n]
		switch name {
		case ParamSegmentation:
			if n != 4 || m.HasSegmentation {
				return 0, ErrOptional
			}
			m.HasSegmentation = true
			m.Segmentation = Segmentation{
				First:     v[0]&0x80 != 0,
				Class:     v[0] >> 6 & 1,
				Remaining: v[0] & 0x0f,
				LocalRef:  uint32(v[1]) | uint32(v[2])<<8 | uint32(v[3])<<16,
			}
		case ParamImportance:
			if n != 1 || m.HasImportance {
				return 0, ErrOptional
			}
			m.HasImportance, m.Importance = true, v[0]&0x07
		}
		off += 2 + n
	}
}
