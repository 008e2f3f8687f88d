package testvectors

import (
	"encoding/binary"
	"fmt"
)

// This file is the test vectors' own SS7 encoder: BER (X.690), TCAP
// (Q.773), SCCP (Q.713) and M3UA (RFC 4666). It deliberately shares no
// code with the parsers under test (protocols/ber, tcap, sccp, m3ua,
// gsmmap): a vector is what these functions write, and the parsers, the
// engine and tshark must all read it the way the scenario says.

// BER identifier classes (X.690 §8.1.2.2), as the top two bits.
const (
	berUniversal   = 0x00
	berApplication = 0x40
	berContext     = 0x80
)

// Universal tags used by TCAP and MAP.
const (
	tagBoolean     = 1
	tagInteger     = 2
	tagBitString   = 3
	tagOctetString = 4
	tagNull        = 5
	tagOID         = 6
	tagExternal    = 8
	tagEnumerated  = 10
	tagSequence    = 16
)

// berNode is one BER value of a tree that is serialised at the end, so
// that the whole TCAP message can be written with one length form.
type berNode struct {
	class byte // berUniversal, berApplication or berContext
	cons  bool // constructed
	tag   uint32
	value []byte     // contents of a primitive value
	kids  []*berNode // contents of a constructed value
	// raw, when set, is written verbatim instead of the node: hostile
	// encodings and escapes from the scenario file.
	raw []byte
}

func prim(class byte, tag uint32, value []byte) *berNode {
	return &berNode{class: class, tag: tag, value: value}
}

func cons(class byte, tag uint32, kids ...*berNode) *berNode {
	return &berNode{class: class, cons: true, tag: tag, kids: kids}
}

func rawNode(b []byte) *berNode { return &berNode{raw: b} }

// lengthForm is how lengths are written.
type lengthForm uint8

const (
	// lengthDefinite: the minimal definite form (X.690 §8.1.3.4-5; DER's).
	lengthDefinite lengthForm = iota
	// lengthLong: every length in the long form with two length octets
	// (0x82 0x00 0x05 for 5): valid BER, never minimal (X.690 §8.1.3.5
	// note 2 allows it; DER §10.1 forbids it).
	lengthLong
	// lengthIndefinite: every constructed value with the indefinite form
	// (0x80 ... 0x00 0x00, X.690 §8.1.3.6); primitives stay definite, as
	// they must.
	lengthIndefinite
)

var lengthForms = map[string]lengthForm{"definite": lengthDefinite, "long": lengthLong, "indefinite": lengthIndefinite}

// encode serialises n.
func (n *berNode) encode(form lengthForm) []byte {
	return n.appendTo(nil, form)
}

func (n *berNode) appendTo(b []byte, form lengthForm) []byte {
	if n.raw != nil {
		return append(b, n.raw...)
	}
	b = appendIdentifier(b, n.class, n.cons, n.tag)
	if !n.cons {
		return append(appendLength(b, len(n.value), form), n.value...)
	}
	var body []byte
	for _, k := range n.kids {
		body = k.appendTo(body, form)
	}
	if form == lengthIndefinite {
		b = append(b, 0x80)
		b = append(b, body...)
		return append(b, 0, 0)
	}
	return append(appendLength(b, len(body), form), body...)
}

// appendIdentifier writes the identifier octets (X.690 §8.1.2): tags
// above 30 in the high-tag-number form.
func appendIdentifier(b []byte, class byte, constructed bool, tag uint32) []byte {
	id := class
	if constructed {
		id |= 0x20
	}
	if tag < 31 {
		return append(b, id|byte(tag))
	}
	b = append(b, id|0x1f)
	var base128 []byte
	for t := tag; ; t >>= 7 {
		base128 = append([]byte{byte(t & 0x7f)}, base128...)
		if t < 0x80 {
			break
		}
	}
	for i := 0; i < len(base128)-1; i++ {
		base128[i] |= 0x80
	}
	return append(b, base128...)
}

func appendLength(b []byte, n int, form lengthForm) []byte {
	switch {
	case form == lengthLong:
		return append(b, 0x82, byte(n>>8), byte(n))
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	default:
		return append(b, 0x82, byte(n>>8), byte(n))
	}
}

// berInt is the minimal two's complement contents of v (X.690 §8.3).
func berInt(v int64) []byte {
	b := []byte{byte(v)}
	for v >>= 8; !(v == 0 && b[0]&0x80 == 0 || v == -1 && b[0]&0x80 != 0); v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	return b
}

// berOID encodes dotted arcs as OBJECT IDENTIFIER contents (X.690 §8.19).
func berOID(arcs []uint64) ([]byte, error) {
	if len(arcs) < 2 || arcs[0] > 2 || arcs[0] < 2 && arcs[1] > 39 {
		return nil, fmt.Errorf("an OBJECT IDENTIFIER has at least two arcs, the first 0, 1 or 2")
	}
	var out []byte
	sub := append([]uint64{arcs[0]*40 + arcs[1]}, arcs[2:]...)
	for _, a := range sub {
		var enc []byte
		for x := a; ; x >>= 7 {
			enc = append([]byte{byte(x & 0x7f)}, enc...)
			if x < 0x80 {
				break
			}
		}
		for i := 0; i < len(enc)-1; i++ {
			enc[i] |= 0x80
		}
		out = append(out, enc...)
	}
	return out, nil
}

// Object identifiers of TCAP and MAP.
var (
	// dialogue-as-id {itu-t recommendation q 773 as(1) dialogue-as(1) version1(1)} (Q.773 §4.2.2).
	oidDialogueAS = []uint64{0, 0, 17, 773, 1, 1, 1}
	// map-DialogueAS {itu-t identified-organization etsi mobileDomain
	// gsm-Network as-Id map-DialoguePDU(1) version1(1)} (TS 29.002 §17.4).
	oidMAPDialogueAS = []uint64{0, 4, 0, 0, 1, 1, 1, 1}
)

// mapACName is map-ac {0 4 0 0 1 0 ac version} (TS 29.002 §17.3.3).
func mapACName(ac, version uint8) []uint64 {
	return []uint64{0, 4, 0, 0, 1, 0, uint64(ac), uint64(version)}
}

func oidNode(arcs []uint64) *berNode {
	b, err := berOID(arcs)
	if err != nil {
		panic(err) // only the constants above and validated input get here
	}
	return prim(berUniversal, tagOID, b)
}

// TCAP message types (Q.773 §4.1: TCMessage ::= CHOICE of [APPLICATION n]).
const (
	tcUnidirectional = 1
	tcBegin          = 2
	tcEnd            = 4
	tcContinue       = 5
	tcAbort          = 7
)

var tcapTypes = map[string]uint32{"unidirectional": tcUnidirectional, "begin": tcBegin, "end": tcEnd, "continue": tcContinue, "abort": tcAbort}

var tcapTypeNames = map[uint32]string{tcUnidirectional: "unidirectional", tcBegin: "begin", tcEnd: "end", tcContinue: "continue", tcAbort: "abort"}

// tid is a 4-octet transaction id (Q.773: OCTET STRING (SIZE (1..4))).
func tid(tag uint32, v uint32) *berNode {
	return prim(berApplication, tag, binary.BigEndian.AppendUint32(nil, v))
}

// dialoguePortion wraps a dialogue APDU: DialoguePortion ::=
// [APPLICATION 11] EXTERNAL { direct-reference dialogue-as-id,
// single-ASN1-type [0] DialoguePDU } (Q.773 §4.2.2).
func dialoguePortion(apdu *berNode) *berNode {
	return cons(berApplication, 11, cons(berUniversal, tagExternal, oidNode(oidDialogueAS), cons(berContext, 0, apdu)))
}

// protocolVersion1 is protocol-version [0] IMPLICIT BIT STRING {
// version1(0) } with version1 set: 7 unused bits, 0x80.
func protocolVersion1() *berNode { return prim(berContext, 0, []byte{0x07, 0x80}) }

// aarq is AARQ-apdu ::= [APPLICATION 0] IMPLICIT SEQUENCE {
// protocol-version [0], application-context-name [1] OBJECT IDENTIFIER,
// user-information [30] IMPLICIT SEQUENCE OF EXTERNAL OPTIONAL }.
func aarq(acn []uint64, userInfo *berNode) *berNode {
	n := cons(berApplication, 0, protocolVersion1(), cons(berContext, 1, oidNode(acn)))
	if userInfo != nil {
		n.kids = append(n.kids, cons(berContext, 30, userInfo))
	}
	return n
}

// aare is AARE-apdu ::= [APPLICATION 1] IMPLICIT SEQUENCE {
// protocol-version [0], application-context-name [1], result [2]
// Associate-result (accepted 0), result-source-diagnostic [3] CHOICE {
// dialogue-service-user [1] INTEGER { null (0), ... } } }.
func aare(acn []uint64) *berNode {
	return cons(berApplication, 1, protocolVersion1(), cons(berContext, 1, oidNode(acn)),
		cons(berContext, 2, prim(berUniversal, tagInteger, []byte{0})),
		cons(berContext, 3, cons(berContext, 1, prim(berUniversal, tagInteger, []byte{0}))))
}

// abrt is ABRT-apdu ::= [APPLICATION 4] IMPLICIT SEQUENCE { abort-source
// [0] IMPLICIT ABRT-source { dialogue-service-user (0) } }.
func abrt() *berNode {
	return cons(berApplication, 4, prim(berContext, 0, []byte{0}))
}

// mapOpenInfo is the user-information of a MAP AARQ: an EXTERNAL with
// direct-reference map-DialogueAS and single-ASN1-type MAP-DialoguePDU
// map-open [0] MAP-OpenInfo ::= SEQUENCE { destinationReference [0]
// AddressString OPTIONAL, originationReference [1] AddressString
// OPTIONAL, ... } (TS 29.002 §17.4).
func mapOpenInfo(dest, orig []byte) *berNode {
	open := cons(berContext, 0)
	if dest != nil {
		open.kids = append(open.kids, prim(berContext, 0, dest))
	}
	if orig != nil {
		open.kids = append(open.kids, prim(berContext, 1, orig))
	}
	return cons(berUniversal, tagExternal, oidNode(oidMAPDialogueAS), cons(berContext, 0, open))
}

// Component tags (Q.773 §4.2.1: Component ::= CHOICE { invoke [1],
// returnResultLast [2], returnError [3], reject [4],
// returnResultNotLast [7] }).
const (
	compInvoke           = 1
	compReturnResultLast = 2
	compReturnError      = 3
)

// SCCP message types and parameters (Q.713 §4).
const (
	sccpUDT           = 0x09
	sccpXUDT          = 0x11
	sccpSegmentation  = 0x10
	sccpEndOfOptional = 0x00
)

// sccpAddress is a called or calling party address as the encoder
// writes it (ITU format, Q.713 §3.4).
type sccpAddress struct {
	RouteOnSSN bool // routing indicator: DPC+SSN (true) or global title (false)
	PC         uint16
	HasPC      bool
	SSN        uint8 // 0: none
	// Global title with GT indicator 4: translation type, numbering plan
	// and encoding scheme, nature of address (Q.713 §3.4.2.3.4).
	GT  string // digits; "" for no global title
	TT  uint8
	NP  uint8 // 1 E.164
	NAI uint8 // 4 international
	// Signals, when set, replaces the BCD digits verbatim (hostile
	// titles); ES is then taken from Odd.
	Signals []byte
	Odd     bool
}

// encode writes the address parameter value: address indicator, point
// code (least significant octet first), SSN, then the global title.
func (a *sccpAddress) encode() ([]byte, error) {
	var ai byte
	if a.RouteOnSSN {
		ai |= 0x40
	}
	if a.GT != "" || a.Signals != nil {
		ai |= 4 << 2
	}
	if a.SSN != 0 {
		ai |= 0x02
	}
	if a.HasPC {
		ai |= 0x01
	}
	b := []byte{ai}
	if a.HasPC {
		if a.PC > 0x3fff {
			return nil, fmt.Errorf("point code %d is wider than 14 bits", a.PC)
		}
		b = binary.LittleEndian.AppendUint16(b, a.PC)
	}
	if a.SSN != 0 {
		b = append(b, a.SSN)
	}
	if a.GT == "" && a.Signals == nil {
		return b, nil
	}
	signals, odd := a.Signals, a.Odd
	if signals == nil {
		var err error
		if signals, err = bcdSignals(a.GT); err != nil {
			return nil, err
		}
		odd = len(a.GT)%2 == 1
	}
	es := byte(2) // BCD, even number of signals
	if odd {
		es = 1
	}
	return append(append(b, a.TT, a.NP<<4|es, a.NAI&0x7f), signals...), nil
}

// bcdSignals packs digits two per octet, the first in bits 4-1, with a
// 0000 filler after an odd count (Q.713 §3.4.2.3.1).
func bcdSignals(digits string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(digits); i += 2 {
		lo := digits[i]
		if lo < '0' || lo > '9' {
			return nil, fmt.Errorf("global title %q: not decimal digits", digits)
		}
		hi := byte(0)
		if i+1 < len(digits) {
			if digits[i+1] < '0' || digits[i+1] > '9' {
				return nil, fmt.Errorf("global title %q: not decimal digits", digits)
			}
			hi = digits[i+1] - '0'
		}
		out = append(out, hi<<4|(lo-'0'))
	}
	return out, nil
}

// sccpUnitdata builds a UDT (Q.713 §4.10) or, with hop counter and an
// optional part, an XUDT (§4.18): fixed part, pointers, the three
// mandatory variable parameters in order, then the optional part.
func sccpUnitdata(typ byte, class, hop byte, called, calling, data, optional []byte) ([]byte, error) {
	if len(called) > 255 || len(calling) > 255 || len(data) > 255 {
		return nil, fmt.Errorf("SCCP parameter longer than 255 octets (%d user data octets): segment it (sccp: {type: xudt, segments: N})", len(data))
	}
	b := []byte{typ, class}
	if typ == sccpXUDT {
		b = append(b, hop)
	}
	nptr := 3
	if typ == sccpXUDT {
		nptr = 4
	}
	// Each pointer counts from itself to its parameter's length octet.
	p0 := len(b)
	b = append(b, make([]byte, nptr)...)
	params := [][]byte{called, calling, data}
	for i, p := range params {
		b[p0+i] = byte(len(b) - (p0 + i))
		b = append(b, byte(len(p)))
		b = append(b, p...)
	}
	if typ == sccpXUDT && optional != nil {
		b[p0+3] = byte(len(b) - (p0 + 3))
		b = append(b, optional...)
	}
	if len(b) > 272 {
		return nil, fmt.Errorf("SCCP message of %d octets exceeds what an MTP3 link carries (272)", len(b))
	}
	return b, nil
}

// sccpSegmentationParam is the segmentation optional parameter (Q.713
// §3.17): F bit, class bit (in-sequence delivery), remaining segments,
// 24-bit local reference (least significant octet first as every
// implementation writes it), followed by the end of the optional part.
func sccpSegmentationParam(first bool, class1 bool, remaining int, ref uint32) []byte {
	var f byte
	if first {
		f |= 0x80
	}
	if class1 {
		f |= 0x40
	}
	f |= byte(remaining & 0x0f)
	return []byte{sccpSegmentation, 4, f, byte(ref), byte(ref >> 8), byte(ref >> 16), sccpEndOfOptional}
}

// M3UA (RFC 4666 §3.1, §3.3.1).
const (
	m3uaVersion           = 1
	m3uaClassTransfer     = 1
	m3uaTypeData          = 1
	m3uaTagRoutingContext = 0x0006
	m3uaTagProtocolData   = 0x0210
	// PPIDM3UA is the SCTP payload protocol identifier of M3UA (RFC 4666 §1.4.7, IANA).
	PPIDM3UA = 3
	// m3uaStream carries the DATA messages: stream 0 is for management
	// (RFC 4666 §1.4.7).
	m3uaStream = 1
)

// m3uaData builds a DATA message: common header, optional routing
// context, protocol data (OPC, DPC, SI, NI, MP, SLS, user data), each
// parameter padded to four octets.
func m3uaData(rc *uint32, opc, dpc uint32, si, ni, mp, sls byte, userData []byte) []byte {
	var params []byte
	if rc != nil {
		params = binary.BigEndian.AppendUint16(params, m3uaTagRoutingContext)
		params = binary.BigEndian.AppendUint16(params, 8)
		params = binary.BigEndian.AppendUint32(params, *rc)
	}
	params = binary.BigEndian.AppendUint16(params, m3uaTagProtocolData)
	params = binary.BigEndian.AppendUint16(params, uint16(4+12+len(userData)))
	params = binary.BigEndian.AppendUint32(params, opc)
	params = binary.BigEndian.AppendUint32(params, dpc)
	params = append(params, si, ni, mp, sls)
	params = append(params, userData...)
	for len(params)%4 != 0 {
		params = append(params, 0)
	}
	b := []byte{m3uaVersion, 0, m3uaClassTransfer, m3uaTypeData}
	b = binary.BigEndian.AppendUint32(b, uint32(8+len(params)))
	return append(b, params...)
}
