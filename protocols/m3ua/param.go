package m3ua

import "encoding/binary"

// Parameter tags (RFC 4666 §3.2): common SIGTRAN tags below 0x0100,
// M3UA-specific ones from 0x0200.
const (
	TagInfoString                uint16 = 0x0004
	TagRoutingContext            uint16 = 0x0006
	TagDiagnosticInformation     uint16 = 0x0007
	TagHeartbeatData             uint16 = 0x0009
	TagTrafficModeType           uint16 = 0x000b
	TagErrorCode                 uint16 = 0x000c
	TagStatus                    uint16 = 0x000d
	TagASPIdentifier             uint16 = 0x0011
	TagAffectedPointCode         uint16 = 0x0012
	TagCorrelationID             uint16 = 0x0013
	TagNetworkAppearance         uint16 = 0x0200
	TagUserCause                 uint16 = 0x0204
	TagCongestionIndications     uint16 = 0x0205
	TagConcernedDestination      uint16 = 0x0206
	TagRoutingKey                uint16 = 0x0207
	TagRegistrationResult        uint16 = 0x0208
	TagDeregistrationResult      uint16 = 0x0209
	TagLocalRoutingKeyIdentifier uint16 = 0x020a
	TagDestinationPointCode      uint16 = 0x020b
	TagServiceIndicators         uint16 = 0x020c
	TagOriginatingPointCodeList  uint16 = 0x020e
	TagProtocolData              uint16 = 0x0210
	TagRegistrationStatus        uint16 = 0x0212
	TagDeregistrationStatus      uint16 = 0x0213
)

// Param is one parameter; Value aliases the message and excludes padding.
type Param struct {
	Tag   uint16
	Value []byte
}

// Uint32 returns a parameter whose value is one 32-bit integer (Routing
// Context with one value, Network Appearance, Error Code, ASP Identifier,
// Correlation ID, Traffic Mode Type, ...).
func (p Param) Uint32() (uint32, bool) {
	if len(p.Value) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(p.Value), true
}

// List returns a parameter whose value is one or more 32-bit integers
// (Routing Context, Affected Point Code).
func (p Param) List() (List, bool) {
	if len(p.Value) == 0 || len(p.Value)%4 != 0 {
		return nil, false
	}
	return List(p.Value), true
}

// List is a sequence of 32-bit values in a parameter, read in place.
type List []byte

// Len is the number of values.
func (l List) Len() int { return len(l) / 4 }

// At returns value i (0 ≤ i < Len).
func (l List) At(i int) uint32 { return binary.BigEndian.Uint32(l[4*i:]) }

// Opt32 is a 32-bit parameter that may be absent (Network Appearance,
// Routing Context, Correlation ID, ASP Identifier, ...): zero is a valid
// value of most of them, so presence is its own bit.
type Opt32 struct {
	Value   uint32
	Present bool
}

// Some is a present Opt32.
func Some(v uint32) Opt32 { return Opt32{Value: v, Present: true} }

// Params iterates over parameters. The zero value is an empty iterator.
type Params struct {
	b        []byte
	err      error
	unpadded bool
}

// NewParams iterates over the parameters encoded in b (a message body, or
// the value of a parameter with sub-parameters such as Routing Key).
func NewParams(b []byte) Params { return Params{b: b} }

// Next returns the next parameter, or false at the end or on a malformed
// parameter (then Err says which).
//
// Padding (RFC 4666 §3.2): a parameter is padded with up to 3 octets to a
// multiple of 4, not counted in its length and ignored by the receiver, so
// the next parameter starts at the padded offset. Message Length must
// include the padding, but some stacks leave the last parameter unpadded;
// nothing is ambiguous then, so the missing padding of the last parameter is
// accepted (and reported by Message.Unpadded), while a length that cuts
// into a parameter is an error.
func (it *Params) Next() (Param, bool) {
	if len(it.b) == 0 {
		return Param{}, false
	}
	if len(it.b) < 4 {
		it.err, it.b = ErrParam, nil
		return Param{}, false
	}
	tag := binary.BigEndian.Uint16(it.b)
	l := int(binary.BigEndian.Uint16(it.b[2:]))
	if l < 4 || l > len(it.b) {
		it.err, it.b = ErrParam, nil
		return Param{}, false
	}
	p := Param{Tag: tag, Value: it.b[4:l:l]}
	next := (l + 3) &^ 3
	if next > len(it.b) {
		next, it.unpadded = len(it.b), true
	}
	it.b = it.b[next:]
	return p, true
}

// Err is the error that stopped the iteration, or nil at a clean end.
func (it *Params) Err() error { return it.err }

// Message is a validated M3UA message: its header and a view of its
// parameters over the caller's bytes.
type Message struct {
	Header
	// Unpadded is set when the last parameter's padding is missing (the
	// message length is not a multiple of 4): tolerated, see Params.Next.
	Unpadded bool
	body     []byte
}

// Parse checks the message in b, which must be exactly one message (one
// SCTP user message carries one M3UA message): the header, the length, and
// every parameter's length against the message. It does not judge which
// parameters a message type may carry; Data and SSNM do that for the
// messages the firewall reads. Unknown classes and types parse (their
// Kind has no name), so that the caller decides what to answer.
func Parse(b []byte) (Message, error) {
	m, err := frame(b)
	if err != nil {
		return m, err
	}
	it := Params{b: m.body}
	for _, ok := it.Next(); ok; _, ok = it.Next() {
	}
	if it.err != nil {
		return m, it.err
	}
	m.Unpadded = it.unpadded
	return m, nil
}

// frame checks the header and that b is exactly one message, without
// walking the parameters.
func frame(b []byte) (Message, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return Message{Header: h}, err
	}
	if int(h.Length) != len(b) {
		return Message{Header: h}, ErrTrailing
	}
	return Message{Header: h, body: b[HeaderLen:len(b):len(b)]}, nil
}

// Params iterates over the message's parameters.
func (m *Message) Params() Params { return Params{b: m.body} }

// Body is the parameter area (after the common header), aliasing the
// message.
func (m *Message) Body() []byte { return m.body }

// Find returns the first parameter with the tag.
func (m *Message) Find(tag uint16) (Param, bool) {
	it := Params{b: m.body}
	for p, ok := it.Next(); ok; p, ok = it.Next() {
		if p.Tag == tag {
			return p, true
		}
	}
	return Param{}, false
}
