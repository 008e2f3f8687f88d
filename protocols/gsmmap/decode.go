package gsmmap

import (
	"breakwater/protocols/ber"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

// mapDialogueAS is map-DialogueAS {0 4 0 0 1 1 1 1} (TS 29.002 §17.4),
// the abstract syntax of MAP's dialogue information in user-information.
var mapDialogueAS = []byte{0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01}

// MAP-DialoguePDU ::= CHOICE { map-open [0] MAP-OpenInfo, map-accept [1],
// map-close [2], map-refuse [3], map-userAbortInfo [4],
// map-providerAbortInfo [5] }; MAP-OpenInfo ::= SEQUENCE {
// destinationReference [0] AddressString, originationReference [1]
// AddressString, ... }.
var mapDialoguePDU = []field{c(0, cons, actNest).nest(&schema{fields: []field{c(0, prim, actDestRef), c(1, prim, actSkip)}})}

// DecodeBytes parses the TCAP message b (an SCCP payload) and decodes it
// as MAP into v: the one call per message of a replay or a proxy. It is
// Decode after tcap.Parse, and on a TCAP error fills what the message
// header said (protocol, TCAP type, transaction) and v.Malformed.
func DecodeBytes(b []byte, v *view.Message) error {
	var tc tcap.Message
	if err := tcap.Parse(b, &tc); err != nil {
		v.Reset()
		v.Protocol = view.MAP
		v.Raw = b
		header(&tc, v)
		v.Malformed = err.Error()
		return err
	}
	return Decode(&tc, v)
}

// Decode fills v (reset first; the caller sets Time, Src, Dst and the SCCP
// global titles) from a TCAP message tcap.Parse accepted:
//
//   - Protocol MAP, TCAPType, Transaction (see view.Message), the MAP
//     application context of the dialogue, and the component and Invoke
//     counts;
//   - from the first Invoke: Request, Code (the operation code), Op (its
//     static name, "" when unknown), and what its argument names —
//     identities, network node numbers, flags;
//   - without an Invoke, from the first ReturnResult that carries an
//     operation code: Code, Op and what the result names;
//   - ResultCode: the error code of the first ReturnError;
//   - FlagAppMismatch when any Invoke's operation does not belong to the
//     dialogue's MAP application context.
//
// Components are read as MAP when the dialogue names a MAP application
// context or none (MAP v1; the messages after a dialogue's first exchange
// carry none, and a caller that tracks dialogues — sigtran with
// tcap.Dialogues — puts the remembered name in tc.Dialogue.ACN). CAMEL
// dialogues (CAP contexts, whose phase 1 and 2 share MAP's arc) get
// view.FlagCAMEL, CAP operation names and no argument decoding; any other
// context gets view.FlagForeignContext and only the counts and codes. A BER error inside a parameter is returned and recorded in
// v.Malformed; an argument that is well-formed BER but breaks the MAP
// type (wrong type, order, missing element, bad digits) sets v.Malformed
// with a nil error; a repeated identity sets v.IdentityConflict. It never
// allocates.
func Decode(tc *tcap.Message, v *view.Message) error { return decode(tc, 0, v) }

// DecodeInvoke is Decode for the n-th Invoke (from 0) instead of the
// first: a message asking for several operations is judged once per
// operation. The counts, dialogue and flags are the message's as for
// Decode; Code, Op and what the argument names are the n-th Invoke's.
// Without an n-th Invoke, v is as Decode leaves a message without Invoke.
func DecodeInvoke(tc *tcap.Message, n int, v *view.Message) error { return decode(tc, n, v) }

func decode(tc *tcap.Message, want int, v *view.Message) error {
	v.Reset()
	v.Protocol = view.MAP
	v.Raw = tc.Raw
	header(tc, v)
	v.Components = saturate(tc.NumComponents)
	v.Invokes = saturate(tc.NumInvokes)
	isMAP, isCAP := true, false
	ac, ver, inMAPArc := tc.Dialogue.MAPContext()
	if inMAPArc {
		v.AppContext, v.AppContextVersion = ac, ver
	}
	switch acn := tc.Dialogue.ACN; {
	case acn == nil: // MAP v1, or a dialogue whose context is not known
	case inMAPArc && ACName(ac) != "": // the common case first
	case IsCAPContext(acn):
		isMAP, isCAP = false, true
		v.Flags |= view.FlagCAMEL
	default:
		isMAP = false
		v.Flags |= view.FlagForeignContext
	}
	d := decoder{v: v}
	if isMAP && tc.Dialogue.Kind == tcap.AARQ && tc.Dialogue.UserInfo != nil {
		if err := d.dialogueInfo(tc.Dialogue.UserInfo); err != nil {
			v.Malformed = err.Error()
			return err
		}
	}

	// The picked components are kept as copies, or, for the single
	// component parsed once by tcap.Parse, found in tc.First (no copy).
	sc := scan{want: want, isMAP: isMAP}
	first := tc.First()
	if first != nil && tc.NumComponents == 1 {
		sc.stable = true
		sc.visit(&d, first)
	} else {
		var comp tcap.Component
		it := tc.Components()
		for it.Read(&comp) {
			sc.visit(&d, &comp)
		}
		if err := it.Err(); err != nil { // not after a successful tcap.Parse
			v.Malformed = err.Error()
			return err
		}
	}
	haveInvoke, haveResult := sc.haveInvoke, sc.haveResult
	invoke, result := &sc.invoke, &sc.result
	if sc.stable {
		invoke, result = first, first
	}

	var err error
	switch {
	case haveInvoke:
		op := invoke.Op.Local
		v.Code = uint32(op)
		switch {
		case isMAP:
			v.Op = opNameVersion(op, v.AppContextVersion)
			if o := lookup(op); o != nil {
				v.Flags |= o.flags
				err = d.param(invoke, o.arg)
			}
		case isCAP:
			v.Op = CAPOpName(op)
		}
	case haveResult:
		op, ok := d.code(result.Op)
		if !ok {
			break
		}
		v.Code = uint32(op)
		switch {
		case isMAP:
			v.Op = opNameVersion(op, v.AppContextVersion)
			if o := lookup(op); o != nil {
				err = d.param(result, o.res)
			}
		case isCAP:
			v.Op = CAPOpName(op)
		}
	}
	if err != nil {
		v.Malformed = err.Error()
		return err
	}
	d.finish()
	return nil
}

// scan picks, from a message's components, the Invoke to judge (the
// want-th with a usable operation code), the first ReturnResult that
// names its operation and the first ReturnError's code, and flags what
// it sees on the way. It copies the components it picks unless they
// outlive the scan (stable: the one component tcap.Parse kept).
type scan struct {
	want, seen     int // seen: Invokes with a usable operation code so far
	isMAP, stable  bool
	haveInvoke     bool
	haveResult     bool
	haveError      bool
	invoke, result tcap.Component
}

func (s *scan) visit(d *decoder, comp *tcap.Component) {
	v := d.v
	switch comp.Type {
	case tcap.Invoke:
		v.Request = true
		op, ok := d.code(comp.Op)
		if !ok {
			return
		}
		if s.isMAP && v.AppContext != 0 && OpName(op) != "" && !InContext(v.AppContext, op) {
			v.Flags |= view.FlagAppMismatch
		}
		if !s.haveInvoke && s.seen == s.want {
			s.haveInvoke = true
			if !s.stable {
				s.invoke = *comp
			}
		}
		s.seen++
	case tcap.ReturnResultLast, tcap.ReturnResultNotLast:
		if !s.haveResult && comp.Op.Kind != tcap.CodeNone {
			s.haveResult = true
			if !s.stable {
				s.result = *comp
			}
		}
	case tcap.ReturnError:
		if s.haveError {
			return
		}
		s.haveError = true
		if code, ok := d.code(comp.Error); ok {
			v.ResultCode = uint32(code)
		}
	}
}

// header fills what the transaction portion says.
func header(tc *tcap.Message, v *view.Message) {
	v.TCAPType = uint8(tc.Type)
	switch {
	case (tc.Type == tcap.Begin || tc.Type == tcap.Unidirectional) && tc.HasOTID:
		v.Transaction = uint64(tc.OTID)
	case tc.HasDTID:
		v.Transaction = uint64(tc.DTID)
	}
}

func saturate(n int) uint8 { return uint8(min(n, 255)) }

// code returns a MAP operation or error code: a local value in 0..255.
func (d *decoder) code(c tcap.Code) (int64, bool) {
	switch c.Kind {
	case tcap.CodeGlobal:
		d.bad(reasonGlobalOp)
		return 0, false
	case tcap.CodeLocal:
		if c.Local < 0 || c.Local > 255 {
			d.bad(reasonOpRange)
			return 0, false
		}
		return c.Local, true
	}
	return 0, false
}

// param decodes a component's parameter against the operation's
// alternatives (nil: the firewall reads nothing from it).
func (d *decoder) param(comp *tcap.Component, alts []field) error {
	if !comp.HasParam || alts == nil {
		return nil
	}
	ok, err := d.one(&comp.Param, alts)
	if err == nil && !ok {
		d.bad(reasonArgType)
	}
	return err
}

// dialogueInfo reads the MAP dialogue information in an AARQ's
// user-information: a SEQUENCE OF EXTERNAL, MAP's carrying map-DialogueAS
// and a MAP-DialoguePDU as single-ASN1-type [0].
func (d *decoder) dialogueInfo(b []byte) error {
	r := ber.NewReader(b)
	var ext, ref, enc, pdu ber.TLV
	for r.Read(&ext) {
		if !ext.Is(ber.ClassUniversal, ber.TagExternal) || !ext.Constructed {
			d.bad(reasonDialogueAS)
			continue
		}
		er := ext.Children()
		if !er.Read(&ref) || !ref.IsOID(mapDialogueAS) {
			if err := er.Err(); err != nil {
				return err
			}
			continue // another abstract syntax: not MAP's to read
		}
		if !er.Read(&enc) || !enc.Is(ber.ClassContext, 0) || !enc.Constructed {
			if err := er.Err(); err != nil {
				return err
			}
			d.bad(reasonDialogueAS)
			continue
		}
		pr := enc.Children()
		for pr.Read(&pdu) {
			if _, err := d.one(&pdu, mapDialoguePDU); err != nil {
				return err
			}
		}
		if err := pr.Err(); err != nil {
			return err
		}
	}
	return r.Err()
}
