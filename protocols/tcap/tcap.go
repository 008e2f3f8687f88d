package tcap

import (
	"errors"

	"breakwater/protocols/ber"
)

// MessageType is the TCAP message type: the identifier octet of the
// message (Q.773 §4.1, TCMessage ::= CHOICE of [APPLICATION n]).
type MessageType uint8

// Message types.
const (
	Unidirectional MessageType = 0x61 // [APPLICATION 1]
	Begin          MessageType = 0x62 // [APPLICATION 2]
	End            MessageType = 0x64 // [APPLICATION 4]
	Continue       MessageType = 0x65 // [APPLICATION 5]
	Abort          MessageType = 0x67 // [APPLICATION 7]
)

// String returns the Q.771 primitive name: "unidirectional", "begin",
// "end", "continue", "abort", or "" for anything else.
func (t MessageType) String() string {
	switch t {
	case Unidirectional:
		return "unidirectional"
	case Begin:
		return "begin"
	case End:
		return "end"
	case Continue:
		return "continue"
	case Abort:
		return "abort"
	}
	return ""
}

// Transaction portion tags (Q.773 §4.1).
const (
	tagOTID        = 8  // [APPLICATION 8] OrigTransactionID
	tagDTID        = 9  // [APPLICATION 9] DestTransactionID
	tagPAbort      = 10 // [APPLICATION 10] P-AbortCause
	tagDialogue    = 11 // [APPLICATION 11] DialoguePortion
	tagComponents  = 12 // [APPLICATION 12] ComponentPortion
	maxTIDOctets   = 4
	minTIDOctets   = 1
	maxInvokeID    = 127
	minInvokeID    = -128
	tagUserInfo    = 30 // [30] user-information in the dialogue APDUs
	tagSingleASN1  = 0  // EXTERNAL encoding single-ASN1-type [0]
	tagOctetAlign  = 1  // EXTERNAL encoding octet-aligned [1]
	tagProtVersion = 0  // protocol-version [0] in AARQ/AARE/AUDT
	tagACN         = 1  // application-context-name [1]
	tagResult      = 2  // AARE result [2]
	tagDiagnostic  = 3  // AARE result-source-diagnostic [3]
	tagAbortSource = 0  // ABRT abort-source [0]
)

// Errors. Static so that reporting them allocates nothing; errors of the
// BER layer (ber.ErrTruncated, ...) are returned as they are.
var (
	ErrNotTCAP        = errors.New("tcap: not an ITU TCAP message (outer tag is not 0x61, 0x62, 0x64, 0x65 or 0x67)")
	ErrTrailing       = errors.New("tcap: bytes after the end of the TCAP message")
	ErrUnexpected     = errors.New("tcap: element not allowed at this place in the transaction portion")
	ErrMissingOTID    = errors.New("tcap: Begin or Continue without an originating transaction id")
	ErrMissingDTID    = errors.New("tcap: End, Continue or Abort without a destination transaction id")
	ErrTIDLength      = errors.New("tcap: transaction id not 1 to 4 octets")
	ErrNoComponents   = errors.New("tcap: Unidirectional without a component portion")
	ErrPAbortCause    = errors.New("tcap: P-AbortCause is not a one-octet INTEGER")
	ErrDialogue       = errors.New("tcap: dialogue portion is not one EXTERNAL with a direct reference and a single-ASN1-type or octet-aligned encoding")
	ErrDialogueAS     = errors.New("tcap: dialogue portion abstract syntax is not dialogue-as-id (or uniDialogue-as-id in a Unidirectional)")
	ErrDialoguePDU    = errors.New("tcap: dialogue PDU malformed (AARQ, AARE, ABRT or AUDT fields missing, misplaced or of the wrong type)")
	ErrDialogueKind   = errors.New("tcap: dialogue PDU not allowed in this message type")
	ErrComponentType  = errors.New("tcap: component is not Invoke, ReturnResult(Not)Last, ReturnError or Reject")
	ErrInvokeID       = errors.New("tcap: invoke id missing, not an INTEGER, or outside -128..127")
	ErrLinkedID       = errors.New("tcap: linked id not an INTEGER in -128..127")
	ErrOperationCode  = errors.New("tcap: operation code missing or neither a local INTEGER nor a global OBJECT IDENTIFIER")
	ErrErrorCode      = errors.New("tcap: error code missing or neither a local INTEGER nor a global OBJECT IDENTIFIER")
	ErrProblem        = errors.New("tcap: reject problem missing or not one of [0]..[3] INTEGER")
	ErrComponentExtra = errors.New("tcap: component has elements after its parameter")
)

// Well-known object identifiers (contents octets).
var (
	// DialogueAsID is dialogue-as-id, {itu-t recommendation q 773 as(1)
	// dialogue-as(1) version1(1)} = 0.0.17.773.1.1.1.
	DialogueAsID = []byte{0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01}
	// UniDialogueAsID is uniDialogue-as-id, 0.0.17.773.1.2.1.
	UniDialogueAsID = []byte{0x00, 0x11, 0x86, 0x05, 0x01, 0x02, 0x01}
)

// mapACPrefix is {itu-t(0) identified-organization(4) etsi(0)
// mobileDomain(0) gsm-Network(1) ac-Id(0)}: map-ac in TS 29.002 §17.3.3.
var mapACPrefix = []byte{0x04, 0x00, 0x00, 0x01, 0x00}

// Message is one parsed TCAP message. Byte slices alias the input.
type Message struct {
	Type MessageType

	// Transaction ids (1 to 4 octets, big-endian into a uint32). The
	// *Bytes fields keep the octets as sent: 00 01 and 01 are different
	// ids to the peer.
	OTID, DTID           uint32
	HasOTID, HasDTID     bool
	OTIDBytes, DTIDBytes []byte

	// Dialogue is the dialogue portion; Dialogue.Kind is DialogueNone
	// when the message has none.
	Dialogue Dialogue

	// PAbortCause is the P-AbortCause of a provider abort (Q.773:
	// unrecognizedMessageType 0, unrecognizedTransactionID 1,
	// badlyFormattedTransactionPortion 2, incorrectTransactionPortion 3,
	// resourceLimitation 4); a user abort carries a Dialogue instead.
	PAbortCause uint8
	HasPAbort   bool

	// NumComponents counts the components, NumInvokes the Invokes among
	// them. HasComponentPortion tells an absent portion from an empty one.
	NumComponents       int
	NumInvokes          int
	HasComponentPortion bool
	components          []byte
	// first is the first component, kept from the count so that the
	// common single-component message is not parsed twice (First).
	first Component
	// memo outlives Parse's reset of the rest (see dialogueMemo).
	memo dialogueMemo

	// Raw is the whole message (without trailing bytes).
	Raw []byte
}

// Parse reads the TCAP message in b into m (reset first). It checks the
// whole message, components included, so that iterating over the
// components of a message Parse accepted never fails. On error, m holds
// what was read before the problem: at least the message type once the
// outer tag is known, and the transaction ids that preceded the damage.
func Parse(b []byte, m *Message) error {
	m.reset()
	if len(b) == 0 {
		return ber.ErrTruncated
	}
	outer, err := ber.Parse(b)
	if err != nil {
		if b[0]&0xe0 == 0x60 && validType(MessageType(b[0])) {
			m.Type = MessageType(b[0])
		}
		return err
	}
	if outer.Class != ber.ClassApplication || !outer.Constructed || outer.Tag > 7 || !validType(MessageType(0x60|outer.Tag)) {
		return ErrNotTCAP
	}
	m.Type = MessageType(0x60 | outer.Tag)
	m.Raw = outer.Raw
	if err := m.parseBody(outer.Value); err != nil {
		return err
	}
	if len(outer.Raw) < len(b) {
		return ErrTrailing
	}
	return nil
}

func validType(t MessageType) bool {
	return t == Unidirectional || t == Begin || t == End || t == Continue || t == Abort
}

// Element slots of the transaction portion, in the order Q.773 requires.
const (
	slotOTID = iota
	slotDTID
	slotDialogue // also the u-abortCause of an Abort
	slotPAbort
	slotComponents
	numSlots
)

// allowed lists, per message type, which slots may appear.
func allowed(t MessageType) (ok [numSlots]bool) {
	switch t {
	case Unidirectional:
		ok[slotDialogue], ok[slotComponents] = true, true
	case Begin:
		ok[slotOTID], ok[slotDialogue], ok[slotComponents] = true, true, true
	case End:
		ok[slotDTID], ok[slotDialogue], ok[slotComponents] = true, true, true
	case Continue:
		ok[slotOTID], ok[slotDTID], ok[slotDialogue], ok[slotComponents] = true, true, true, true
	case Abort:
		ok[slotDTID], ok[slotDialogue], ok[slotPAbort] = true, true, true
	}
	return ok
}

func (m *Message) parseBody(body []byte) error {
	ok := allowed(m.Type)
	next := 0 // the lowest slot still allowed
	r := ber.NewReader(body)
	var e ber.TLV
	for r.Read(&e) {
		slot := -1
		if e.Class == ber.ClassApplication {
			switch e.Tag {
			case tagOTID:
				slot = slotOTID
			case tagDTID:
				slot = slotDTID
			case tagDialogue:
				slot = slotDialogue
			case tagPAbort:
				slot = slotPAbort
			case tagComponents:
				slot = slotComponents
			}
		}
		// An Abort carries either a P-AbortCause or a dialogue, not both.
		if slot < 0 || slot < next || !ok[slot] || (m.Type == Abort && slot == slotPAbort && m.Dialogue.Kind != DialogueNone) {
			return m.missing(ErrUnexpected, slot)
		}
		if next <= slotOTID && slot > slotOTID && ok[slotOTID] {
			return ErrMissingOTID
		}
		if next <= slotDTID && slot > slotDTID && ok[slotDTID] {
			return ErrMissingDTID
		}
		next = slot + 1
		var err error
		switch slot {
		case slotOTID:
			m.OTID, m.OTIDBytes, err = tid(&e)
			m.HasOTID = err == nil
		case slotDTID:
			m.DTID, m.DTIDBytes, err = tid(&e)
			m.HasDTID = err == nil
		case slotDialogue:
			err = m.dialogue(&e)
		case slotPAbort:
			var v int64
			if v, err = e.Int(); err != nil || v < 0 || v > 255 || len(e.Value) != 1 {
				return ErrPAbortCause
			}
			m.PAbortCause, m.HasPAbort = uint8(v), true
		case slotComponents:
			if !e.Constructed {
				return ErrComponentType
			}
			m.HasComponentPortion = true
			m.components = e.Value
			err = m.countComponents()
		}
		if err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	switch {
	case next <= slotOTID && ok[slotOTID]:
		return ErrMissingOTID
	case next <= slotDTID && ok[slotDTID]:
		return ErrMissingDTID
	case m.Type == Unidirectional && !m.HasComponentPortion:
		return ErrNoComponents
	}
	return nil
}

// reset clears everything a parse sets, keeping the dialogue memo.
func (m *Message) reset() {
	memo := &m.memo
	*m = Message{memo: *memo}
}

// missing turns an out-of-place element into the more precise "missing
// transaction id" when that is what the message lacks.
func (m *Message) missing(err error, slot int) error {
	ok := allowed(m.Type)
	if slot > slotOTID && ok[slotOTID] && !m.HasOTID {
		return ErrMissingOTID
	}
	if slot > slotDTID && ok[slotDTID] && !m.HasDTID {
		return ErrMissingDTID
	}
	return err
}

func tid(e *ber.TLV) (uint32, []byte, error) {
	if e.Constructed || len(e.Value) < minTIDOctets || len(e.Value) > maxTIDOctets {
		return 0, nil, ErrTIDLength
	}
	var v uint32
	for _, c := range e.Value {
		v = v<<8 | uint32(c)
	}
	return v, e.Value, nil
}

func (m *Message) countComponents() error {
	it := m.Components()
	if !it.Read(&m.first) {
		return it.Err()
	}
	m.NumComponents++
	if m.first.Type == Invoke {
		m.NumInvokes++
	}
	var c Component
	for it.Read(&c) {
		m.NumComponents++
		if c.Type == Invoke {
			m.NumInvokes++
		}
	}
	return it.Err()
}

// First returns the first component (valid until m is parsed again), or
// nil when the message has none. With NumComponents == 1 it is all a
// reader needs: the hot path of one operation per message reads its
// component once, during Parse.
func (m *Message) First() *Component {
	if m.NumComponents == 0 {
		return nil
	}
	return &m.first
}
