package tcap

import (
	"bytes"

	"breakwater/protocols/ber"
)

// DialogueKind is the dialogue PDU a dialogue portion carries (Q.773
// §4.2.2 DialoguePDU, §4.2.3 UniDialoguePDU).
type DialogueKind uint8

// Dialogue PDUs.
const (
	DialogueNone DialogueKind = iota
	AARQ                      // dialogueRequest [APPLICATION 0], in a Begin
	AARE                      // dialogueResponse [APPLICATION 1], in the first Continue, an End, or an Abort (rejection)
	ABRT                      // dialogueAbort [APPLICATION 4], in an Abort (user abort)
	AUDT                      // unidialoguePDU [APPLICATION 0] under uniDialogue-as-id, in a Unidirectional
)

var dialogueNames = [...]string{"", "AARQ", "AARE", "ABRT", "AUDT"}

// String returns "AARQ", "AARE", "ABRT", "AUDT" or "".
func (k DialogueKind) String() string {
	if int(k) < len(dialogueNames) {
		return dialogueNames[k]
	}
	return ""
}

// Dialogue is a parsed dialogue portion: the EXTERNAL of Q.773 §4.2 with
// its direct reference checked and its APDU read.
type Dialogue struct {
	Kind DialogueKind

	// ProtocolVersion is the contents of protocol-version [0] (a BIT
	// STRING: unused-bits octet, then 0x80 for version1), nil when absent.
	ProtocolVersion []byte

	// ACN is the contents octets of application-context-name (AARQ, AARE,
	// AUDT); MAPContext decodes MAP ones.
	ACN []byte

	// Result and its diagnostic (AARE): result accepted 0,
	// reject-permanent 1; DiagnosticSource 1 dialogue-service-user, 2
	// dialogue-service-provider, with the Diagnostic value.
	Result           uint8
	DiagnosticSource uint8
	Diagnostic       uint8

	// AbortSource (ABRT): dialogue-service-user 0, dialogue-service-provider 1.
	AbortSource uint8

	// UserInfo is the contents of user-information [30] (a SEQUENCE OF
	// EXTERNAL; for MAP the MAP-DialoguePDU), nil when absent.
	UserInfo []byte
}

// MAPContext decodes an application-context name in the map-ac arc
// {0 4 0 0 1 0 X V} (TS 29.002 §17.3.3): ac is X (networkLocUp 1,
// anyTimeInfoEnquiry 29, ...; CAMEL phase 1 and 2 contexts use the same
// arc from 50 up) and version is V. ok is false for other names.
func (d *Dialogue) MAPContext() (ac, version uint8, ok bool) {
	return MAPContext(d.ACN)
}

// MAPContext is Dialogue.MAPContext for bare OID contents.
func MAPContext(acn []byte) (ac, version uint8, ok bool) {
	if len(acn) != len(mapACPrefix)+2 || !bytes.Equal(acn[:len(mapACPrefix)], mapACPrefix) {
		return 0, 0, false
	}
	x, v := acn[len(mapACPrefix)], acn[len(mapACPrefix)+1]
	if x&0x80 != 0 || v&0x80 != 0 {
		return 0, 0, false
	}
	return x, v, true
}

// parseDialogue reads the dialogue portion e ([APPLICATION 11]) of a
// message of type mt.
func parseDialogue(e *ber.TLV, mt MessageType, d *Dialogue) error {
	if !e.Constructed {
		return ErrDialogue
	}
	r := e.Children()
	var ext, ref, enc, pdu ber.TLV
	if !r.Read(&ext) {
		return firstErr(r.Err(), ErrDialogue)
	}
	if err := extra(&r, ErrDialogue); err != nil {
		return err // two EXTERNALs
	}
	if !ext.Is(ber.ClassUniversal, ber.TagExternal) || !ext.Constructed {
		return ErrDialogue
	}
	// EXTERNAL ::= [UNIVERSAL 8] IMPLICIT SEQUENCE { direct-reference OID
	// OPTIONAL, indirect-reference INTEGER OPTIONAL, data-value-descriptor
	// ObjectDescriptor OPTIONAL, encoding CHOICE { single-ASN1-type [0],
	// octet-aligned [1] IMPLICIT OCTET STRING, arbitrary [2] } }. TCAP
	// identifies its abstract syntax by the direct reference.
	er := ext.Children()
	if !er.Read(&ref) || !ref.Is(ber.ClassUniversal, ber.TagOID) {
		return firstErr(er.Err(), ErrDialogue)
	}
	if _, err := ref.OID(); err != nil {
		return ErrDialogue
	}
	ok := er.Read(&enc)
	for ok && enc.Class == ber.ClassUniversal && (enc.Tag == ber.TagInteger || enc.Tag == 7) {
		ok = er.Read(&enc) // indirect-reference, data-value-descriptor
	}
	if !ok {
		return firstErr(er.Err(), ErrDialogue)
	}
	if err := extra(&er, ErrDialogue); err != nil {
		return err
	}
	var pdus ber.Reader
	switch {
	case enc.Is(ber.ClassContext, tagSingleASN1) && enc.Constructed:
		pdus = enc.Children()
	case enc.Is(ber.ClassContext, tagOctetAlign) && !enc.Constructed:
		pdus = enc.Children() // the octets are the BER of the APDU
	default:
		return ErrDialogue
	}
	if !pdus.Read(&pdu) {
		return firstErr(pdus.Err(), ErrDialogue)
	}
	if err := extra(&pdus, ErrDialogue); err != nil {
		return err
	}
	uni := mt == Unidirectional
	switch {
	case uni && bytes.Equal(ref.Value, UniDialogueAsID):
	case !uni && bytes.Equal(ref.Value, DialogueAsID):
	default:
		return ErrDialogueAS
	}
	if pdu.Class != ber.ClassApplication || !pdu.Constructed {
		return ErrDialoguePDU
	}
	switch {
	case uni && pdu.Tag == 0:
		d.Kind = AUDT
	case !uni && pdu.Tag == 0:
		d.Kind = AARQ
	case !uni && pdu.Tag == 1:
		d.Kind = AARE
	case !uni && pdu.Tag == 4:
		d.Kind = ABRT
	default:
		return ErrDialoguePDU
	}
	if err := d.parseAPDU(pdu.Value); err != nil {
		return err
	}
	// Q.774 §3.2: AARQ opens a dialogue (Begin), AARE answers it (the
	// first Continue or an End, or an Abort that refuses it), ABRT is a
	// user abort; AUDT goes with a Unidirectional (checked above).
	switch d.Kind {
	case AARQ:
		if mt != Begin {
			return ErrDialogueKind
		}
	case AARE:
		if mt != Continue && mt != End && mt != Abort {
			return ErrDialogueKind
		}
	case ABRT:
		if mt != Abort {
			return ErrDialogueKind
		}
	}
	return nil
}

// Fields of the dialogue APDUs, in their order.
const (
	fVersion = iota
	fACN
	fResult
	fDiagnostic
	fAbortSource
	fUserInfo
	numFields
)

func (d *Dialogue) parseAPDU(b []byte) error {
	var want [numFields]bool // fields this APDU may carry
	var need [numFields]bool // fields it must carry
	switch d.Kind {
	case AARQ, AUDT:
		want[fVersion], want[fACN], want[fUserInfo] = true, true, true
		need[fACN] = true
	case AARE:
		want[fVersion], want[fACN], want[fResult], want[fDiagnostic], want[fUserInfo] = true, true, true, true, true
		need[fACN], need[fResult], need[fDiagnostic] = true, true, true
	case ABRT:
		want[fAbortSource], want[fUserInfo] = true, true
		need[fAbortSource] = true
	}
	var seen [numFields]bool
	next := 0
	r := ber.NewReader(b)
	var e ber.TLV
	for r.Read(&e) {
		f := -1
		if e.Class == ber.ClassContext {
			switch {
			case e.Tag == tagUserInfo:
				f = fUserInfo
			case d.Kind == ABRT && e.Tag == tagAbortSource:
				f = fAbortSource
			case e.Tag == tagProtVersion:
				f = fVersion
			case e.Tag == tagACN:
				f = fACN
			case e.Tag == tagResult:
				f = fResult
			case e.Tag == tagDiagnostic:
				f = fDiagnostic
			}
		}
		if f < next || f < 0 || !want[f] {
			return ErrDialoguePDU
		}
		next, seen[f] = f+1, true
		var err error
		switch f {
		case fVersion:
			// protocol-version [0] IMPLICIT BIT STRING { version1 (0) }.
			if e.Constructed || len(e.Value) == 0 {
				return ErrDialoguePDU
			}
			d.ProtocolVersion = e.Value
		case fACN:
			// application-context-name [1] OBJECT IDENTIFIER: an explicit
			// tag around the OID.
			d.ACN, err = explicitOID(&e)
		case fResult:
			d.Result, err = explicitSmallInt(&e)
		case fDiagnostic:
			// result-source-diagnostic [3] CHOICE { dialogue-service-user
			// [1] INTEGER, dialogue-service-provider [2] INTEGER }.
			if !e.Constructed {
				return ErrDialoguePDU
			}
			cr := e.Children()
			var c ber.TLV
			if !cr.Read(&c) || c.Class != ber.ClassContext || (c.Tag != 1 && c.Tag != 2) {
				return firstErr(cr.Err(), ErrDialoguePDU)
			}
			if err := extra(&cr, ErrDialoguePDU); err != nil {
				return err
			}
			d.DiagnosticSource = uint8(c.Tag)
			d.Diagnostic, err = explicitSmallInt(&c)
		case fAbortSource:
			// abort-source [0] IMPLICIT ABRT-source (INTEGER/ENUMERATED).
			var v int64
			if v, err = e.Int(); err == nil && (v < 0 || v > 255) {
				err = ErrDialoguePDU
			}
			d.AbortSource = uint8(v)
		case fUserInfo:
			if !e.Constructed {
				return ErrDialoguePDU
			}
			d.UserInfo = e.Value
		}
		if err != nil {
			return ErrDialoguePDU
		}
	}
	if r.Err() != nil {
		return r.Err()
	}
	for f := range numFields {
		if need[f] && !seen[f] {
			return ErrDialoguePDU
		}
	}
	return nil
}

// explicitOID reads [n] { OBJECT IDENTIFIER }.
func explicitOID(e *ber.TLV) ([]byte, error) {
	inner, err := explicit(e)
	if err != nil || !inner.Is(ber.ClassUniversal, ber.TagOID) {
		return nil, ErrDialoguePDU
	}
	return inner.OID()
}

// explicitSmallInt reads [n] { INTEGER } with a value in 0..255.
func explicitSmallInt(e *ber.TLV) (uint8, error) {
	inner, err := explicit(e)
	if err != nil || !inner.Is(ber.ClassUniversal, ber.TagInteger) {
		return 0, ErrDialoguePDU
	}
	v, err := inner.Int()
	if err != nil || v < 0 || v > 255 {
		return 0, ErrDialoguePDU
	}
	return uint8(v), nil
}

// explicit returns the one TLV inside an explicitly tagged e.
func explicit(e *ber.TLV) (ber.TLV, error) {
	if !e.Constructed {
		return ber.TLV{}, ErrDialoguePDU
	}
	r := e.Children()
	var inner ber.TLV
	if !r.Read(&inner) {
		return ber.TLV{}, firstErr(r.Err(), ErrDialoguePDU)
	}
	if err := extra(&r, ErrDialoguePDU); err != nil {
		return ber.TLV{}, err
	}
	return inner, nil
}

// firstErr returns err if it is set (a BER error says more), else def.
func firstErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}
