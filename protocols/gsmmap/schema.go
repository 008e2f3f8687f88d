package gsmmap

import (
	"breakwater/protocols/ber"
	"breakwater/protocols/view"
)

// The MAP arguments are read by a small table-driven walker instead of
// one hand-written function per type: each ASN.1 type the firewall looks
// into is a schema (a static table, so nothing is built per message), and
// only the elements that carry something the view wants — or that are
// needed to tell untagged elements apart by position — are listed.
// Unlisted elements are skipped, which is what TS 29.002's extension
// markers ask of a receiver.

// form is the encoding an element must have.
type form uint8

const (
	prim form = iota + 1 // primitive
	cons                 // constructed
)

// act is what to do with an element.
type act uint8

const (
	actSkip         act = iota // listed for its position only
	actIMSI                    // IMSI ::= TBCD-STRING (SIZE (3..8))
	actMSISDN                  // ISDN-AddressString of the subscriber
	actMSC                     // ISDN-AddressString → MSCNumber
	actVLR                     // → VLRNumber
	actSGSN                    // → SGSNNumber
	actHLR                     // → HLRNumber
	actGsmSCF                  // → GsmSCF
	actSMSC                    // AddressString → SMSC
	actNode                    // networkNode-Number: MSC, or SGSN with gprsNodeIndicator
	actGprsNode                // gprsNodeIndicator NULL
	actCamelSCF                // gsmSCF-Address in CAMEL subscription data: GsmSCF and FlagRedirect
	actForwardedTo             // forwardedToNumber: ForwardedTo and FlagRedirect
	actCSIActivate             // ModificationInstruction: activate (1) sets FlagRedirect
	actCFActivation            // SS-Code of activateSS: a forwarding code sets FlagRedirect
	actPLMN                    // PLMN-Id → VisitedPLMN
	actDestRef                 // MAP-OpenInfo destinationReference: an IMSI when its plan is E.212
	actFlag                    // sets field.flag
	actCancelType              // cancellationType: subscriptionWithdraw (1) sets FlagWithdrawal
	actNest                    // descends into field.sub
)

// kind is the shape of a constructed type.
type kind uint8

const (
	seq    kind = iota // SEQUENCE: listed elements in order, by position
	choice             // an explicitly tagged CHOICE: exactly one element
	seqOf              // SEQUENCE OF a CHOICE or type: any number of elements
)

type schema struct {
	kind   kind
	fields []field
}

// field is one listed element: how it is tagged, its form, what to do
// with it and whether the type requires it. Fields with the same nonzero
// group are the alternatives of an untagged CHOICE inside a SEQUENCE (one
// position, several tags).
type field struct {
	class ber.Class
	tag   uint32
	form  form
	act   act
	flag  uint32
	sub   *schema
	must  bool
	group uint8
}

// Field constructors, to keep the tables close to the ASN.1.
func u(tag uint32, f form, a act) field {
	return field{class: ber.ClassUniversal, tag: tag, form: f, act: a}
}
func c(tag uint32, f form, a act) field {
	return field{class: ber.ClassContext, tag: tag, form: f, act: a}
}

// nest descends into s; flag marks an element's presence.
func (f field) nest(s *schema) field    { f.act, f.sub = actNest, s; return f }
func (f field) required() field         { f.must = true; return f }
func (f field) in(group uint8) field    { f.group = group; return f }
func (f field) setting(fl uint32) field { f.act, f.flag = actFlag, fl; return f }

const (
	tOctets = ber.TagOctetString
	tSeq    = ber.TagSequence
	tInt    = ber.TagInteger
	tEnum   = ber.TagEnumerated
	tNull   = ber.TagNull
	tBool   = ber.TagBoolean
)

// Reasons a well-formed BER argument is still malformed for the firewall.
const (
	reasonArgType    = "MAP parameter is not of the type its operation defines"
	reasonForm       = "MAP parameter element has the wrong form (primitive/constructed)"
	reasonOrder      = "MAP parameter elements out of order or repeated"
	reasonMissing    = "MAP parameter lacks a mandatory element"
	reasonChoice     = "MAP CHOICE holds more than one alternative"
	reasonIMSI       = "MAP IMSI is not 6 to 15 TBCD digits"
	reasonMSISDN     = "MAP subscriber number is not an address string of TBCD digits"
	reasonAddress    = "MAP address string is empty"
	reasonPLMN       = "MAP PLMN-Id is not a 3-octet PLMN identity"
	reasonGlobalOp   = "MAP operation code is a global OBJECT IDENTIFIER (MAP uses local codes)"
	reasonOpRange    = "MAP operation or error code outside 0..255"
	reasonDialogueAS = "MAP dialogue information is not map-DialogueAS"
)

// decoder carries the view being filled and what has been seen.
type decoder struct {
	v       *view.Message
	imsiArg bool // IMSI came from the argument (not the dialogue)
	node    view.Digits
	gprs    bool // gprsNodeIndicator seen
}

func (d *decoder) bad(reason string) {
	if d.v.Malformed == "" {
		d.v.Malformed = reason
	}
}

// one matches the single TLV t against alternatives (a CHOICE, or the
// possible types of a parameter). ok is false when none matches.
func (d *decoder) one(t *ber.TLV, alts []field) (ok bool, err error) {
	for i := range alts {
		if f := &alts[i]; t.Class == f.class && t.Tag == f.tag {
			return true, d.apply(f, t)
		}
	}
	return false, nil
}

// walk reads the contents of a constructed value of type s.
func (d *decoder) walk(s *schema, contents []byte) error {
	r := ber.NewReader(contents)
	var t ber.TLV
	switch s.kind {
	case choice:
		if !r.Read(&t) {
			return r.Err() // an empty CHOICE is absent data, not a BER error
		}
		if _, err := d.one(&t, s.fields); err != nil {
			return err
		}
		if r.Read(&t) {
			d.bad(reasonChoice)
		}
		return r.Err()
	case seqOf:
		for r.Read(&t) {
			if _, err := d.one(&t, s.fields); err != nil {
				return err
			}
		}
		return r.Err()
	}
	var seen uint64
	next := 0
	for r.Read(&t) {
		j := -1
		for i := next; i < len(s.fields); i++ {
			if f := &s.fields[i]; t.Class == f.class && t.Tag == f.tag {
				j = i
				break
			}
		}
		if j < 0 {
			for i := 0; i < next; i++ {
				if f := &s.fields[i]; t.Class == f.class && t.Tag == f.tag {
					d.bad(reasonOrder)
					break
				}
			}
			continue // unknown: an extension this table does not list
		}
		f := &s.fields[j]
		// An alternative of an untagged CHOICE stands for its whole
		// group: the position is taken, whichever alternative filled it.
		first := j
		for f.group != 0 && first > 0 && s.fields[first-1].group == f.group {
			first--
		}
		next = j + 1
		for f.group != 0 && next < len(s.fields) && s.fields[next].group == f.group {
			next++
		}
		for i := first; i < next; i++ {
			seen |= 1 << i
		}
		if err := d.apply(f, &t); err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	for i := range s.fields {
		if s.fields[i].must && seen&(1<<i) == 0 {
			d.bad(reasonMissing)
			break
		}
	}
	return nil
}

func (d *decoder) apply(f *field, t *ber.TLV) error {
	if (f.form == prim && t.Constructed) || (f.form == cons && !t.Constructed) {
		d.bad(reasonForm)
		return nil
	}
	v := d.v
	switch f.act {
	case actNest:
		return d.walk(f.sub, t.Value)
	case actIMSI:
		d.imsi(t.Value, true)
	case actMSISDN:
		d.msisdn(t.Value)
	case actMSC:
		d.address(&v.MSCNumber, t.Value)
	case actVLR:
		d.address(&v.VLRNumber, t.Value)
	case actSGSN:
		d.address(&v.SGSNNumber, t.Value)
	case actHLR:
		d.address(&v.HLRNumber, t.Value)
	case actGsmSCF:
		d.address(&v.GsmSCF, t.Value)
	case actSMSC:
		d.address(&v.SMSC, t.Value)
	case actNode:
		d.address(&d.node, t.Value)
	case actGprsNode:
		d.gprs = true
	case actCamelSCF:
		d.address(&v.GsmSCF, t.Value)
		v.Flags |= view.FlagRedirect
	case actForwardedTo:
		d.address(&v.ForwardedTo, t.Value)
		v.Flags |= view.FlagRedirect
	case actCSIActivate:
		if n, err := t.Int(); err == nil && n == 1 {
			v.Flags |= view.FlagRedirect
		}
	case actCFActivation:
		// SS-Code (TS 29.002 MAP-SS-Code): allForwardingSS '0010 0000'B
		// and its subordinates cfu, allCondForwardingSS, cfb, cfnry,
		// cfnrc up to '0010 1111'B.
		if len(t.Value) == 1 && t.Value[0]&0xf0 == 0x20 {
			v.Flags |= view.FlagRedirect
		}
	case actPLMN:
		p, ok := view.DecodePLMN(t.Value)
		if !ok || len(t.Value) != 3 {
			d.bad(reasonPLMN)
			return nil
		}
		if v.VisitedPLMN.MNCLen == 0 {
			v.VisitedPLMN = p
		}
	case actFlag:
		v.Flags |= f.flag
	case actCancelType:
		// CancellationType ::= ENUMERATED { updateProcedure (0),
		// subscriptionWithdraw (1), ..., initialAttachProcedure (2) }.
		if n, err := t.Int(); err == nil && n == 1 {
			v.Flags |= view.FlagWithdrawal
		}
	case actDestRef:
		// AddressString; numbering plan 6 (land mobile, E.212) makes the
		// digits an IMSI, as TS 29.002 §7.3.1 uses it for SS and USSD.
		if len(t.Value) > 1 && t.Value[0]&0x0f == 6 {
			d.imsi(t.Value[1:], false)
		}
	}
	return nil
}

// imsi stores an IMSI. A second one from the argument, equal or not, is
// an identity conflict (which copy would the receiver use?); one from
// the dialogue's destination reference conflicts only if it differs.
func (d *decoder) imsi(tbcd []byte, fromArg bool) {
	var id view.Digits
	if len(tbcd) < 3 || len(tbcd) > 8 || !id.SetTBCD(tbcd) || id.Len() < 6 || id.Len() > 15 {
		d.bad(reasonIMSI)
		return
	}
	switch {
	case d.v.IMSI.IsZero():
		d.v.IMSI = id
		d.imsiArg = fromArg
	case fromArg && d.imsiArg || !d.v.IMSI.Equal(&id):
		d.v.IdentityConflict = true
	default:
		d.imsiArg = d.imsiArg || fromArg
	}
}

// msisdn stores the subscriber's ISDN-AddressString: one octet of
// extension, nature of address and numbering plan, then TBCD digits.
func (d *decoder) msisdn(b []byte) {
	var id view.Digits
	if len(b) < 2 || !id.SetTBCD(b[1:]) {
		d.bad(reasonMSISDN)
		return
	}
	if !d.v.MSISDN.IsZero() {
		d.v.IdentityConflict = true
		return
	}
	d.v.MSISDN = id
}

// address stores a network node's AddressString in dst unless dst is
// already set (the first one of a kind is kept). Digits a view cannot
// hold (the TBCD '*', '#', 'a'-'c' an AddressString may carry, or more
// than view.MaxDigits) leave dst empty: they are not an identity, and the
// raw message still has them.
func (d *decoder) address(dst *view.Digits, b []byte) {
	if len(b) == 0 {
		d.bad(reasonAddress)
		return
	}
	if !dst.IsZero() || len(b) == 1 {
		return
	}
	var n view.Digits
	if n.SetTBCD(b[1:]) {
		*dst = n
	}
}

// finish resolves what depends on several elements.
func (d *decoder) finish() {
	if d.node.IsZero() {
		return
	}
	if d.gprs {
		if d.v.SGSNNumber.IsZero() {
			d.v.SGSNNumber = d.node
		}
	} else if d.v.MSCNumber.IsZero() {
		d.v.MSCNumber = d.node
	}
}
