package testvectors

import (
	"fmt"
	"strconv"
	"strings"

	"breakwater/protocols/view"

	"go.yaml.in/yaml/v3"
)

// MAPMessage is an SS7 message resolved from its declarative form: a
// TCAP message (Q.773) carrying MAP components (TS 29.002), in an SCCP
// UDT or XUDT (Q.713), in an M3UA DATA message (RFC 4666).
type MAPMessage struct {
	// Type is the TCAP message type: tcBegin, tcContinue, tcEnd, tcAbort
	// or tcUnidirectional.
	Type uint32
	// Transaction ids; which ones a message has follows from Type.
	OTID, DTID uint32
	// AC and ACVersion are the MAP application context of the dialogue
	// portion (map-ac {0 4 0 0 1 0 AC ACVersion}), 0 without one.
	AC, ACVersion uint8
	// Dialogue is the dialogue PDU the message carries: dlgNone, dlgAARQ
	// (a Begin), dlgAARE (the first answer to an AARQ) or dlgABRT.
	Dialogue int
	// DestRef and OrigRef are MAP-OpenInfo's destinationReference and
	// originationReference (AddressString contents), nil when absent.
	DestRef, OrigRef []byte
	Components       []*MAPComponent
	// PAbort is the P-AbortCause of a provider Abort (nil: user abort).
	PAbort *uint8
	// Lengths is how the TCAP message's BER lengths are written.
	Lengths lengthForm
	// Truncate, when positive, keeps only the first Truncate octets of
	// the TCAP message; TCAPHex replaces it; Append follows it.
	Truncate int
	TCAPHex  []byte
	Append   []byte

	SCCP SCCPParams
	M3UA M3UAParams

	// What the scenario file said, for the dialogue pairing.
	otidSet, dtidSet, acSet, noDialogue bool
	refIMSI                             string // destinationReference digits when it is an IMSI
}

// Dialogue PDUs of MAPMessage.Dialogue.
const (
	dlgNone = iota
	dlgAARQ
	dlgAARE
	dlgABRT
)

// MAPComponent is one TCAP component.
type MAPComponent struct {
	Kind int // compInvoke, compReturnResultLast, compReturnError
	ID   int64
	// Linked is the linked id of an Invoke (nil: none).
	Linked *int64
	// Op is the operation of an Invoke or ReturnResult, nil for a code
	// the tables do not name; Code is its local code; Global, when set,
	// is a global operation code (OBJECT IDENTIFIER) instead.
	Op     *mapOp
	Code   int64
	Global []uint64
	// HasOp: a ReturnResult with a result (opcode and parameter).
	HasOp bool
	// ErrCode is a ReturnError's error code.
	ErrCode int64
	// Param is the argument, result or error parameter (nil: none).
	Param *berNode

	idSet bool
	ids   identities
}

// identities collects, while a parameter is encoded, the IMSIs it
// carries: as IMSI elements of the operation (imsis, what the firewall
// reads), and every E.212 value a dissector shows as an IMSI (shown: also
// the IMSI prefixes of reset's HLR-List).
type identities struct {
	imsis, shown []string
}

// SCCPParams are the SCCP layer's settings (defaults from the nodes).
type SCCPParams struct {
	XUDT     bool
	Segments int  // XUDT segments (0 or 1: unsegmented)
	Class    byte // the protocol class octet
	Hop      byte // XUDT hop counter
	Calling  sccpAddress
	Called   sccpAddress
}

// M3UAParams are the M3UA layer's settings (defaults from the nodes).
type M3UAParams struct {
	OPC, DPC uint32
	NI, SLS  byte
	RC       *uint32
}

// Request reports whether the message carries an Invoke (a request, as
// view.Message.Request).
func (m *MAPMessage) Request() bool {
	for _, c := range m.Components {
		if c.Kind == compInvoke {
			return true
		}
	}
	return false
}

// Invokes counts the Invokes.
func (m *MAPMessage) Invokes() int {
	n := 0
	for _, c := range m.Components {
		if c.Kind == compInvoke {
			n++
		}
	}
	return n
}

// Code is the operation code the firewall records for the message: the
// first Invoke's local code, or without an Invoke the first result's; 0
// when neither has one.
func (m *MAPMessage) Code() uint32 {
	for _, c := range m.Components {
		if c.Kind == compInvoke {
			if c.Global != nil {
				return 0
			}
			return uint32(c.Code)
		}
	}
	for _, c := range m.Components {
		if c.Kind == compReturnResultLast && c.HasOp && c.Global == nil {
			return uint32(c.Code)
		}
	}
	return 0
}

// opName is the component's operation name, or its code.
func (c *MAPComponent) opName() string {
	switch {
	case c.Global != nil:
		return "oid:" + joinArcs(c.Global)
	case c.Op != nil:
		return c.Op.name
	}
	return strconv.FormatInt(c.Code, 10)
}

func joinArcs(arcs []uint64) string {
	s := make([]string, len(arcs))
	for i, a := range arcs {
		s[i] = strconv.FormatUint(a, 10)
	}
	return strings.Join(s, ".")
}

// Op names the message: its Invokes' operations joined by "+", else the
// result's operation, else the TCAP type.
func (m *MAPMessage) Op() string {
	var ops []string
	for _, c := range m.Components {
		if c.Kind == compInvoke {
			ops = append(ops, c.opName())
		}
	}
	if len(ops) > 0 {
		return strings.Join(ops, "+")
	}
	for _, c := range m.Components {
		switch {
		case c.Kind == compReturnResultLast && c.HasOp:
			return c.opName() + " result"
		case c.Kind == compReturnResultLast:
			return "result"
		case c.Kind == compReturnError:
			return "error " + errorName(c.ErrCode)
		}
	}
	return tcapTypeNames[m.Type]
}

func errorName(code int64) string {
	for n, c := range mapErrors {
		if c == code {
			return n
		}
	}
	return strconv.FormatInt(code, 10)
}

// dialogueAC is the application context the message's dialogue portion
// names (zero without an AARQ or AARE).
func (m *MAPMessage) dialogueAC() struct{ ac, version uint8 } {
	if m.Dialogue == dlgAARQ || m.Dialogue == dlgAARE {
		return struct{ ac, version uint8 }{m.AC, m.ACVersion}
	}
	return struct{ ac, version uint8 }{}
}

// LocalCodes lists the local codes of the message's components in
// order: the operation of each Invoke and ReturnResult, the error of each
// ReturnError (what tshark shows as gsm_old.localValue).
func (m *MAPMessage) LocalCodes() []int64 {
	var out []int64
	for _, c := range m.Components {
		switch {
		case c.Kind == compReturnError:
			out = append(out, c.ErrCode)
		case c.Global == nil && (c.Kind == compInvoke || c.Kind == compReturnResultLast && c.HasOp):
			out = append(out, c.Code)
		}
	}
	return out
}

// tsharkIMSIs lists the IMSIs a dissector shows as such: the dialogue's
// destination reference when it is one, then the components'.
func (m *MAPMessage) tsharkIMSIs() []string {
	var out []string
	if m.refIMSI != "" && m.Dialogue == dlgAARQ {
		out = append(out, m.refIMSI)
	}
	for _, c := range m.Components {
		out = append(out, c.ids.shown...)
	}
	return out
}

// IMSIs lists the IMSIs the components carry as IMSI elements, in order.
func (m *MAPMessage) IMSIs() []string {
	var out []string
	for _, c := range m.Components {
		out = append(out, c.ids.imsis...)
	}
	return out
}

// mapMessage reads a `map:` mapping.
func (l *loader) mapMessage(n *yaml.Node, st *Step) *MAPMessage {
	m := &MAPMessage{Type: tcBegin, SCCP: SCCPParams{Class: 0x81, Hop: 15}}
	var comps []*yaml.Node
	var compKeys []string
	var sccpN, m3uaN *yaml.Node
	ok := l.fields(n, "map", []string{"tcap", "otid", "dtid", "ac", "dialogue", "destination_reference", "origination_reference",
		"invoke", "result", "error", "components", "p_abort", "lengths", "truncate", "tcap_hex", "append", "sccp", "m3ua"},
		nil, func(key string, k, v *yaml.Node) {
			switch key {
			case "tcap":
				s, _ := l.str(v, "tcap")
				t, ok := tcapTypes[s]
				if !ok {
					l.fail(v, "tcap: use begin, continue, end, abort or unidirectional")
				}
				m.Type = t
			case "otid", "dtid":
				x, ok := l.uint(v, key, 32)
				if key == "otid" {
					m.OTID, m.otidSet = uint32(x), ok
				} else {
					m.DTID, m.dtidSet = uint32(x), ok
				}
			case "ac":
				m.AC, m.ACVersion, m.acSet = l.applicationContext(v)
			case "dialogue":
				b, ok := l.bool(v, "dialogue")
				if ok && b {
					l.fail(v, "dialogue: only `dialogue: false` (no dialogue portion) is meaningful; the dialogue PDU follows from the message")
				}
				m.noDialogue = ok && !b
			case "destination_reference", "origination_reference":
				b, imsi := l.addressString(v, key)
				if key == "destination_reference" {
					m.DestRef, m.refIMSI = b, imsi
				} else {
					m.OrigRef = b
				}
			case "invoke", "result", "error":
				comps = append(comps, v)
				compKeys = append(compKeys, key)
			case "components":
				if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
					l.fail(v, "components: expected a non-empty list of {invoke: ...}, {result: ...} or {error: ...}")
					return
				}
				for _, item := range v.Content {
					item = resolve(item)
					if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
						l.fail(item, "components: each entry is {invoke: {...}}, {result: {...}} or {error: {...}}")
						continue
					}
					comps = append(comps, resolve(item.Content[1]))
					compKeys = append(compKeys, item.Content[0].Value)
				}
			case "p_abort":
				x, ok := l.uint(v, "p_abort", 8)
				if ok {
					c := uint8(x)
					m.PAbort = &c
				}
			case "lengths":
				s, _ := l.str(v, "lengths")
				f, ok := lengthForms[s]
				if !ok {
					l.fail(v, "lengths: use definite, long (two-octet long form everywhere) or indefinite")
				}
				m.Lengths = f
			case "truncate":
				x, ok := l.uint(v, "truncate", 16)
				if ok && x == 0 {
					l.fail(v, "truncate: keep at least one octet")
				}
				m.Truncate = int(x)
			case "tcap_hex", "append":
				s, _ := l.str(v, key)
				b, err := decodeHex(s)
				if err != nil || len(b) == 0 {
					l.fail(v, "%s: expected \"hex:...\" with at least one byte", key)
				}
				if key == "append" {
					m.Append = b
				} else {
					m.TCAPHex = b
				}
			case "sccp":
				sccpN = v
			case "m3ua":
				m3uaN = v
			}
		})
	if !ok {
		return nil
	}
	for i, v := range comps {
		if c := l.mapComponent(compKeys[i], v, m); c != nil {
			m.Components = append(m.Components, c)
		}
	}
	switch {
	case m.TCAPHex != nil && (len(m.Components) > 0 || m.acSet || m.Truncate > 0):
		l.fail(n, "map: tcap_hex gives the whole TCAP message: no components, ac or truncate with it")
	case m.Type == tcAbort && len(m.Components) > 0:
		l.fail(n, "map: an Abort carries no components (Q.773)")
	case m.Type != tcAbort && m.PAbort != nil:
		l.fail(n, "map: p_abort is for tcap: abort")
	case m.Type == tcUnidirectional && len(m.Components) == 0 && m.TCAPHex == nil:
		l.fail(n, "map: a Unidirectional carries components")
	case (m.DestRef != nil || m.OrigRef != nil) && m.Type != tcBegin:
		l.fail(n, "map: destination_reference and origination_reference are MAP-OpenInfo, sent in a Begin")
	}
	l.sccpParams(sccpN, st, m)
	l.m3uaParams(m3uaN, st, m)
	return m
}

// applicationContext reads "networkLocUp/3", "networkLocUp" (version 3)
// or "1/3".
func (l *loader) applicationContext(v *yaml.Node) (ac, version uint8, ok bool) {
	s, _ := l.str(v, "ac")
	name, ver, hasVer := strings.Cut(s, "/")
	version = 3
	if hasVer {
		x, err := strconv.ParseUint(ver, 10, 7)
		if err != nil || x == 0 {
			l.fail(v, "ac: version %q is not 1 to 127", ver)
			return 0, 0, false
		}
		version = uint8(x)
	}
	name = strings.TrimSuffix(name, "Context")
	if x, err := strconv.ParseUint(name, 10, 7); err == nil {
		return uint8(x), version, true
	}
	a, known := mapACs[name]
	if !known {
		l.fail(v, "ac: unknown application context %q (write it as NUMBER/VERSION, or use a name such as networkLocUp/3)", name)
		return 0, 0, false
	}
	return a, version, true
}

// addressString reads an AddressString value: E.164 digits (0x91:
// international, ISDN/telephony numbering plan), "imsi:DIGITS" (0x96:
// international, land mobile numbering plan E.212, as TS 29.002 uses for
// an IMSI in a destination reference) or "hex:..." (the contents). It
// returns the IMSI digits for the "imsi:" form.
func (l *loader) addressString(v *yaml.Node, what string) ([]byte, string) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		l.fail(v, "%s: expected digits, \"imsi:DIGITS\" or \"hex:...\"", what)
		return nil, ""
	}
	s := v.Value
	if strings.HasPrefix(s, "hex:") {
		b, err := decodeHex(s)
		if err != nil {
			l.fail(v, "%s: %v", what, err)
		}
		return b, ""
	}
	prefix := byte(0x91)
	imsi := ""
	if rest, ok := strings.CutPrefix(s, "imsi:"); ok {
		prefix, s, imsi = 0x96, rest, rest
	}
	b, err := encodeTBCD(s)
	if err != nil || len(s) > 20 {
		l.fail(v, "%s: %q is not 1 to 20 digits", what, s)
		return nil, ""
	}
	return append([]byte{prefix}, b...), imsi
}

// opByKey resolves an operation name, a local code or "oid:A.B.C".
func (l *loader) opByKey(v *yaml.Node, c *MAPComponent) bool {
	s, ok := l.str(v, "op")
	if !ok {
		return false
	}
	if rest, ok := strings.CutPrefix(s, "oid:"); ok {
		var arcs []uint64
		for _, p := range strings.Split(rest, ".") {
			x, err := strconv.ParseUint(p, 10, 63)
			if err != nil {
				l.fail(v, "op: %q is not a dotted OBJECT IDENTIFIER", s)
				return false
			}
			arcs = append(arcs, x)
		}
		if _, err := berOID(arcs); err != nil {
			l.fail(v, "op: %v", err)
			return false
		}
		c.Global = arcs
		return true
	}
	if x, err := strconv.ParseInt(s, 0, 64); err == nil {
		c.Code, c.Op = x, mapOpByCode[x]
		return true
	}
	o := mapOpByName[s]
	if o == nil {
		var names []string
		for _, o := range mapOps {
			names = append(names, o.name)
		}
		l.fail(v, "op: unknown operation %q (names in testvectors/mapargs.go: %s; or a local code)", s, strings.Join(names, ", "))
		return false
	}
	c.Op, c.Code = o, o.code
	return true
}

// mapComponent reads {invoke: {id, linked, op, arg}}, {result: {id, op,
// res}} or {error: {id, code, param}}.
func (l *loader) mapComponent(kind string, v *yaml.Node, m *MAPMessage) *MAPComponent {
	c := &MAPComponent{}
	var known []string
	var required []string
	switch kind {
	case "invoke":
		c.Kind, known, required = compInvoke, []string{"id", "linked", "op", "as", "arg"}, []string{"op"}
	case "result":
		c.Kind, known = compReturnResultLast, []string{"id", "op", "res"}
	case "error":
		c.Kind, known, required = compReturnError, []string{"id", "code", "param"}, []string{"code"}
	default:
		l.fail(v, "components: unknown component %q (use invoke, result or error)", kind)
		return nil
	}
	var body *yaml.Node
	var as *mapOp // the operation whose argument type arg has
	ok := l.fields(v, kind, known, required, func(key string, k, x *yaml.Node) {
		switch key {
		case "as":
			s, _ := l.str(x, "as")
			if as = mapOpByName[s]; as == nil {
				l.fail(x, "as: unknown operation %q", s)
			}
		case "id", "linked":
			if x.Kind != yaml.ScalarNode {
				l.fail(x, "%s: expected an integer -128..127", key)
				return
			}
			n, err := strconv.ParseInt(x.Value, 0, 64)
			if err != nil || n < -128 || n > 127 {
				l.fail(x, "%s: expected an integer -128..127 (InvokeIdType)", key)
				return
			}
			if key == "id" {
				c.ID, c.idSet = n, true
			} else {
				c.Linked = &n
			}
		case "op":
			if l.opByKey(x, c) && c.Kind == compReturnResultLast {
				c.HasOp = true
			}
		case "arg", "res", "param":
			body = x
		case "code":
			s, _ := l.str(x, "code")
			if n, err := strconv.ParseInt(s, 0, 64); err == nil {
				c.ErrCode = n
			} else if n, ok := mapErrors[s]; ok {
				c.ErrCode = n
			} else {
				l.fail(x, "code: unknown MAP error %q (give the number)", s)
			}
		}
	})
	if !ok {
		return nil
	}
	if body == nil {
		return c
	}
	if c.Kind == compReturnResultLast && !c.HasOp {
		l.fail(body, "res: a result needs its op")
		return nil
	}
	// "hex:..." gives the whole parameter verbatim.
	if body.Kind == yaml.ScalarNode && strings.HasPrefix(body.Value, "hex:") {
		b, err := decodeHex(body.Value)
		if err != nil || len(b) == 0 {
			l.fail(body, "expected \"hex:...\" with at least one byte")
			return nil
		}
		c.Param = rawNode(b)
		return c
	}
	var f *asnField
	switch {
	case as != nil:
		f = as.arg
	case c.Kind == compReturnError:
		l.fail(body, "param: give an error parameter as \"hex:...\"")
		return nil
	case c.Global != nil || c.Op == nil:
		l.fail(body, "the operation has no table in testvectors/mapargs.go: give the parameter as \"hex:...\"")
		return nil
	case c.Kind == compInvoke:
		f = c.Op.arg
	default:
		f = c.Op.res
	}
	if f == nil {
		l.fail(body, "operation %s has no %s type in testvectors/mapargs.go: give it as \"hex:...\"", c.Op.name,
			map[int]string{compInvoke: "argument", compReturnResultLast: "result"}[c.Kind])
		return nil
	}
	name := "arg"
	if c.Op != nil {
		name = c.Op.name
	}
	c.Param = l.asnField(f, body, name, &c.ids)
	if c.Param == nil {
		return nil
	}
	return c
}

// universalTag is the tag of an untagged value of kind k.
func universalTag(k asnKind) (uint32, bool) {
	switch k {
	case aSeq, aSeqOf:
		return tagSequence, true
	case aIMSI, aISDN, aTBCD, aHLRId, aOctets, aPLMN:
		return tagOctetString, false
	case aBits:
		return tagBitString, false
	case aNull:
		return tagNull, false
	case aInt:
		return tagInteger, false
	case aEnum:
		return tagEnumerated, false
	case aBool:
		return tagBoolean, false
	}
	return 0, false
}

// asnField encodes the element f with value v: implicitly tagged, or,
// for a tagged CHOICE, explicitly.
func (l *loader) asnField(f *asnField, v *yaml.Node, path string, ids *identities) *berNode {
	var n *berNode
	if v.Kind == yaml.ScalarNode && strings.HasPrefix(v.Value, "hex:") && f.typ.kind == aChoice {
		// A CHOICE's value is its alternative's whole encoding.
		b, err := decodeHex(v.Value)
		if err != nil || len(b) == 0 {
			l.fail(v, "%s: expected \"hex:...\" with the alternative's whole encoding", path)
			return nil
		}
		n = rawNode(b)
	} else {
		n = l.asnValue(f.typ, v, path, ids)
	}
	if n == nil || f.tag < 0 {
		return n
	}
	if f.typ.kind == aChoice {
		return cons(berContext, uint32(f.tag), n)
	}
	n.class, n.tag = berContext, uint32(f.tag)
	return n
}

// asnValue encodes v as type t with its universal tag (a CHOICE as the
// chosen alternative). "hex:..." gives the contents of any primitive or
// constructed value.
func (l *loader) asnValue(t *asnType, v *yaml.Node, path string, ids *identities) *berNode {
	tag, constructed := universalTag(t.kind)
	if v.Kind == yaml.ScalarNode && strings.HasPrefix(v.Value, "hex:") {
		b, err := decodeHex(v.Value)
		if err != nil {
			l.fail(v, "%s: %v", path, err)
			return nil
		}
		if constructed {
			return cons(berUniversal, tag, rawNode(b))
		}
		return prim(berUniversal, tag, b)
	}
	scalar := func(what string) (string, bool) {
		if v.Kind != yaml.ScalarNode {
			l.fail(v, "%s: expected %s or \"hex:...\"", path, what)
			return "", false
		}
		return v.Value, true
	}
	switch t.kind {
	case aSeq:
		return l.asnSequence(t, v, path, ids)
	case aSeqOf:
		if v.Kind != yaml.SequenceNode {
			l.fail(v, "%s: expected a list (SEQUENCE OF)", path)
			return nil
		}
		n := cons(berUniversal, tagSequence)
		for i, item := range v.Content {
			k := l.asnValue(t.of, resolve(item), fmt.Sprintf("%s[%d]", path, i), ids)
			if k == nil {
				return nil
			}
			n.kids = append(n.kids, k)
		}
		return n
	case aChoice:
		if v.Kind != yaml.MappingNode || len(v.Content) != 2 {
			l.fail(v, "%s: a CHOICE is a mapping with one alternative: %s", path, fieldNames(t))
			return nil
		}
		name := v.Content[0].Value
		for _, f := range t.fields {
			if f.name == name {
				return l.asnField(f, resolve(v.Content[1]), path+"."+name, ids)
			}
		}
		l.fail(v.Content[0], "%s: unknown alternative %q (alternatives: %s)", path, name, fieldNames(t))
		return nil
	case aIMSI:
		s, ok := scalar("IMSI digits")
		if !ok {
			return nil
		}
		s = strings.TrimPrefix(s, "imsi:")
		b, err := encodeTBCD(s)
		if err != nil || len(s) < 6 || len(s) > 15 {
			l.fail(v, "%s: %q is not an IMSI of 6 to 15 digits", path, s)
			return nil
		}
		ids.imsis = append(ids.imsis, s)
		ids.shown = append(ids.shown, s)
		return prim(berUniversal, tag, b)
	case aTBCD, aHLRId:
		s, ok := scalar("digits")
		if !ok {
			return nil
		}
		b, err := encodeTBCD(s)
		if err != nil {
			l.fail(v, "%s: %v", path, err)
			return nil
		}
		if t.kind == aHLRId {
			ids.shown = append(ids.shown, s)
		}
		return prim(berUniversal, tag, b)
	case aISDN:
		b, _ := l.addressString(v, path)
		if b == nil {
			return nil
		}
		return prim(berUniversal, tag, b)
	case aOctets, aBits:
		// A one-octet value may be written as an integer (ss-Code 0x21,
		// category 0x0a).
		if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
			x, err := strconv.ParseUint(v.Value, 0, 8)
			if err == nil {
				return prim(berUniversal, tag, []byte{byte(x)})
			}
		}
		l.fail(v, "%s: give the octets as \"hex:...\" (or one octet as an integer)", path)
		return nil
	case aNull:
		if v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "true" || v.Value == "") {
			return prim(berUniversal, tag, nil)
		}
		l.fail(v, "%s: a NULL is written as true or ~", path)
		return nil
	case aBool:
		b, ok := l.bool(v, path)
		if !ok {
			return nil
		}
		if b {
			return prim(berUniversal, tag, []byte{0xff})
		}
		return prim(berUniversal, tag, []byte{0})
	case aInt, aEnum:
		s, ok := scalar("an integer")
		if !ok {
			return nil
		}
		x, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			named, known := t.names[s]
			if !known {
				var names []string
				for n := range t.names {
					names = append(names, n)
				}
				l.fail(v, "%s: %q is neither an integer nor one of %s", path, s, strings.Join(names, ", "))
				return nil
			}
			x = named
		}
		return prim(berUniversal, tag, berInt(x))
	case aPLMN:
		s, ok := scalar("a PLMN (MCCMNC)")
		if !ok {
			return nil
		}
		p, err := view.ParsePLMN(strings.TrimPrefix(s, "plmn:"))
		if err != nil {
			l.fail(v, "%s: %v", path, err)
			return nil
		}
		b := p.Encode()
		return prim(berUniversal, tag, b[:])
	}
	l.fail(v, "%s: unsupported type", path)
	return nil
}

func fieldNames(t *asnType) string {
	names := make([]string, len(t.fields))
	for i, f := range t.fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// asnSequence encodes a SEQUENCE from a mapping of element names, in the
// type's order whatever the mapping's; `raw: "hex:..."` appends verbatim
// elements after them (extensions, repetitions, hostile bytes).
func (l *loader) asnSequence(t *asnType, v *yaml.Node, path string, ids *identities) *berNode {
	if v.Kind != yaml.MappingNode {
		l.fail(v, "%s: expected a mapping of elements (%s) or \"hex:...\"", path, fieldNames(t))
		return nil
	}
	given := map[string]*yaml.Node{}
	var raw []byte
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, x := v.Content[i], resolve(v.Content[i+1])
		if _, dup := given[k.Value]; dup {
			l.fail(k, "%s: duplicate element %q (repeat one with raw: \"hex:...\")", path, k.Value)
			return nil
		}
		given[k.Value] = x
		if k.Value == "raw" {
			s, _ := l.str(x, "raw")
			b, err := decodeHex(s)
			if err != nil || len(b) == 0 {
				l.fail(x, "raw: expected \"hex:...\" with at least one byte")
				return nil
			}
			raw = b
			continue
		}
		known := false
		for _, f := range t.fields {
			known = known || f.name == k.Value
		}
		if !known {
			l.fail(k, "%s: unknown element %q (elements: %s; raw: \"hex:...\" for others)", path, k.Value, fieldNames(t))
			return nil
		}
	}
	n := cons(berUniversal, tagSequence)
	for _, f := range t.fields {
		x, ok := given[f.name]
		if !ok {
			continue
		}
		k := l.asnField(f, x, path+"."+f.name, ids)
		if k == nil {
			return nil
		}
		n.kids = append(n.kids, k)
	}
	if raw != nil {
		n.kids = append(n.kids, rawNode(raw))
	}
	return n
}

// sccpParams reads `sccp:` and fills the defaults: calling party the
// sender's global title and SSN, called party the receiver's, routed on
// the global title, UDT.
func (l *loader) sccpParams(n *yaml.Node, st *Step, m *MAPMessage) {
	p := &m.SCCP
	p.Calling = nodeAddress(st.From)
	p.Called = nodeAddress(st.To)
	if n == nil {
		return
	}
	l.fields(n, "sccp", []string{"type", "segments", "class", "hop", "calling", "called"}, nil, func(key string, k, v *yaml.Node) {
		switch key {
		case "type":
			s, _ := l.str(v, "type")
			switch s {
			case "udt":
			case "xudt":
				p.XUDT = true
			default:
				l.fail(v, "type: use udt or xudt")
			}
		case "segments":
			x, ok := l.uint(v, "segments", 8)
			if ok && (x < 1 || x > 16) {
				l.fail(v, "segments: 1 to 16 (the segmentation parameter counts 15 remaining)")
			}
			p.Segments = int(x)
		case "class":
			x, _ := l.uint(v, "class", 8)
			p.Class = byte(x)
		case "hop":
			x, _ := l.uint(v, "hop", 8)
			p.Hop = byte(x)
		case "calling":
			l.sccpAddressOverride(v, &p.Calling)
		case "called":
			l.sccpAddressOverride(v, &p.Called)
		}
	})
	if p.Segments > 1 && !p.XUDT {
		l.fail(n, "sccp: segments need type: xudt")
	}
}

// nodeAddress is a node's SCCP address: its global title (GT indicator 4,
// TT 0, E.164, international) and SSN, routed on the global title.
func nodeAddress(nd *Node) sccpAddress {
	if nd == nil {
		return sccpAddress{}
	}
	return sccpAddress{GT: nd.GT, SSN: nd.SSN, PC: nd.PC, NP: 1, NAI: 4}
}

func (l *loader) sccpAddressOverride(n *yaml.Node, a *sccpAddress) {
	l.fields(n, "address", []string{"gt", "ssn", "pc", "route", "tt", "np", "nai", "signals"}, nil, func(key string, k, v *yaml.Node) {
		switch key {
		case "gt":
			s, _ := l.str(v, "gt")
			if _, err := bcdSignals(s); err != nil && s != "" {
				l.fail(v, "gt: %v (use signals: \"hex:...\" for other codes)", err)
			}
			a.GT = s
		case "ssn":
			x, _ := l.uint(v, "ssn", 8)
			a.SSN = byte(x)
		case "pc":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!bool" {
				a.HasPC = v.Value == "true"
				return
			}
			pc, ok := l.pointCode(v)
			a.PC, a.HasPC = pc, ok
		case "route":
			s, _ := l.str(v, "route")
			switch s {
			case "gt":
				a.RouteOnSSN = false
			case "ssn":
				a.RouteOnSSN = true
			default:
				l.fail(v, "route: use gt or ssn")
			}
		case "tt", "np", "nai":
			x, _ := l.uint(v, key, 8)
			switch key {
			case "tt":
				a.TT = byte(x)
			case "np":
				a.NP = byte(x)
			default:
				a.NAI = byte(x)
			}
		case "signals":
			s, _ := l.str(v, "signals")
			b, err := decodeHex(s)
			if err != nil || len(b) == 0 {
				l.fail(v, "signals: expected \"hex:...\" (BCD signals, first digit in the low nibble)")
			}
			a.Signals, a.Odd = b, false
		}
	})
}

// pointCode reads a 14-bit ITU point code: an integer or
// zone-area-point "3-8-3" notation ("2-100-3").
func (l *loader) pointCode(v *yaml.Node) (uint16, bool) {
	s, ok := l.str(v, "pc")
	if !ok {
		return 0, false
	}
	if parts := strings.Split(s, "-"); len(parts) == 3 {
		var x [3]uint64
		var err error
		for i, p := range parts {
			if x[i], err = strconv.ParseUint(p, 10, 8); err != nil {
				break
			}
		}
		if err == nil && x[0] < 8 && x[1] < 256 && x[2] < 8 {
			return uint16(x[0]<<11 | x[1]<<3 | x[2]), true
		}
	} else if x, err := strconv.ParseUint(s, 0, 14); err == nil {
		return uint16(x), true
	}
	l.fail(v, "pc: %q is neither a 14-bit ITU point code nor zone-area-point such as 2-100-3", s)
	return 0, false
}

// m3uaParams reads `m3ua:`; OPC and DPC default to the nodes' point codes.
func (l *loader) m3uaParams(n *yaml.Node, st *Step, m *MAPMessage) {
	p := &m.M3UA
	if st.From != nil {
		p.OPC = uint32(st.From.PC)
	}
	if st.To != nil {
		p.DPC = uint32(st.To.PC)
	}
	p.SLS = byte((st.Scenario.Index*7 + st.Index) % 16)
	if n == nil {
		return
	}
	l.fields(n, "m3ua", []string{"opc", "dpc", "ni", "sls", "rc"}, nil, func(key string, k, v *yaml.Node) {
		switch key {
		case "opc", "dpc":
			x, _ := l.uint(v, key, 24)
			if key == "opc" {
				p.OPC = uint32(x)
			} else {
				p.DPC = uint32(x)
			}
		case "ni":
			x, _ := l.uint(v, "ni", 2)
			p.NI = byte(x)
		case "sls":
			x, _ := l.uint(v, "sls", 8)
			p.SLS = byte(x)
		case "rc":
			x, ok := l.uint(v, "rc", 32)
			if ok {
				rc := uint32(x)
				p.RC = &rc
			}
		}
	})
}

// mapDialogue is one TCAP dialogue of a scenario, for the pairing.
type mapDialogue struct {
	init, resp       *Node
	initTID, respTID uint32
	respSet          bool
	ac, version      uint8
	aarq, answered   bool
	open             bool
	invokes          [2][]*MAPComponent // by direction: 0 initiator's, 1 responder's
	answeredInvokes  map[*MAPComponent]bool
}

// pairMAP resolves what the scenario file leaves out, as the peers of a
// dialogue would: a Begin opens a dialogue with a fresh originating id
// (and, without `ac`, the first Invoke's application context in the
// operation's usual version);
// a Continue, End or Abort belongs to the latest open dialogue between
// its two nodes, takes the peer's id as destination id and its own as
// origination id; the first answer to an AARQ carries an AARE with the
// same context; Invokes are numbered from 1 per sender and dialogue, and
// results and errors name the latest unanswered Invoke of their
// operation the other way.
func (l *loader) pairMAP(sc *Scenario) {
	var dialogues []*mapDialogue
	fail := func(st *Step, format string, args ...any) {
		l.errs = append(l.errs, &Error{File: l.path, Line: st.Line, Col: st.col, Msg: fmt.Sprintf(format, args...)})
	}
	for _, st := range sc.Steps {
		m := st.MAP
		if m == nil || st.From == nil || st.To == nil {
			continue
		}
		var d *mapDialogue
		dir := 0
		switch m.Type {
		case tcBegin:
			if !m.otidSet {
				m.OTID = 0x10000000 | uint32(sc.Index+1)<<12 | uint32(st.Index+1)
			}
			d = &mapDialogue{init: st.From, resp: st.To, initTID: m.OTID, open: true, answeredInvokes: map[*MAPComponent]bool{}}
			dialogues = append(dialogues, d)
			if !m.acSet && !m.noDialogue && m.TCAPHex == nil {
				for _, c := range m.Components {
					if c.Kind == compInvoke && c.Op != nil {
						m.AC, m.ACVersion, m.acSet = c.Op.ac, c.Op.version(), true
						break
					}
				}
			}
			if m.acSet && !m.noDialogue {
				m.Dialogue = dlgAARQ
				d.aarq = true
			}
			d.ac, d.version = m.AC, m.ACVersion
		case tcUnidirectional:
			if m.acSet && !m.noDialogue {
				l.errs = append(l.errs, &Error{File: l.path, Line: st.Line, Col: st.col, Msg: "map: a Unidirectional's AUDT dialogue is not supported: use dialogue: false"})
			}
		default:
			for i := len(dialogues) - 1; i >= 0; i-- {
				x := dialogues[i]
				if x.open && (x.init == st.From && x.resp == st.To || x.init == st.To && x.resp == st.From) {
					d = x
					break
				}
			}
			if d == nil {
				if !m.dtidSet {
					fail(st, "map: %s without an open dialogue between %s and %s: give dtid", tcapTypeNames[m.Type], st.From.Name, st.To.Name)
				}
				break
			}
			if st.From == d.resp {
				dir = 1
				if !m.dtidSet {
					m.DTID = d.initTID
				}
				if !d.respSet {
					d.respTID, d.respSet = 0x20000000|uint32(sc.Index+1)<<12|uint32(st.Index+1), true
					if m.otidSet {
						d.respTID = m.OTID
					}
				}
				if !m.otidSet {
					m.OTID = d.respTID
				}
				if d.aarq && !d.answered && !m.noDialogue {
					if m.Type == tcAbort && m.PAbort == nil {
						m.Dialogue = dlgABRT
					} else if m.Type != tcAbort {
						m.Dialogue = dlgAARE
						if !m.acSet {
							m.AC, m.ACVersion = d.ac, d.version
						}
					}
				}
				d.answered = true
			} else {
				if !d.respSet && !m.dtidSet {
					fail(st, "map: %s from the dialogue's initiator before the responder answered: give dtid", tcapTypeNames[m.Type])
				}
				if !m.dtidSet {
					m.DTID = d.respTID
				}
				if !m.otidSet {
					m.OTID = d.initTID
				}
				if m.Type == tcAbort && m.PAbort == nil && !m.noDialogue {
					m.Dialogue = dlgABRT
				}
			}
			if m.Type == tcEnd || m.Type == tcAbort {
				d.open = false
			}
		}
		if m.Dialogue == dlgNone && m.acSet && m.Type != tcBegin && !m.noDialogue && m.Type != tcUnidirectional {
			m.Dialogue = dlgAARE
		}
		// Invoke ids and the invokes results answer.
		next := int64(1)
		if d != nil {
			next += int64(len(d.invokes[dir]))
		}
		for _, c := range m.Components {
			switch c.Kind {
			case compInvoke:
				if !c.idSet {
					c.ID = next
				}
				next = c.ID + 1
				if d != nil {
					d.invokes[dir] = append(d.invokes[dir], c)
				}
			case compReturnResultLast, compReturnError:
				var q *MAPComponent
				if d != nil {
					list := d.invokes[1-dir]
					for i := len(list) - 1; i >= 0; i-- {
						x := list[i]
						if !d.answeredInvokes[x] && (c.Kind == compReturnError || !c.HasOp || x.Code == c.Code && x.Global == nil) {
							q = x
							break
						}
					}
				}
				if q != nil {
					d.answeredInvokes[q] = true
					if !c.idSet {
						c.ID = q.ID
					}
				} else if !c.idSet {
					fail(st, "map: a %s without an earlier unanswered Invoke of its operation the other way in this dialogue: give id",
						map[int]string{compReturnResultLast: "result", compReturnError: "error"}[c.Kind])
				}
			}
		}
	}
}

// tcap encodes the TCAP message.
func (m *MAPMessage) tcap() ([]byte, error) {
	var b []byte
	if m.TCAPHex != nil {
		b = append(b, m.TCAPHex...)
	} else {
		root := cons(berApplication, m.Type)
		switch m.Type {
		case tcBegin:
			root.kids = append(root.kids, tid(8, m.OTID))
		case tcContinue:
			root.kids = append(root.kids, tid(8, m.OTID), tid(9, m.DTID))
		case tcEnd, tcAbort:
			root.kids = append(root.kids, tid(9, m.DTID))
		}
		acn := mapACName(m.AC, m.ACVersion)
		switch m.Dialogue {
		case dlgAARQ:
			var ui *berNode
			if m.DestRef != nil || m.OrigRef != nil {
				ui = mapOpenInfo(m.DestRef, m.OrigRef)
			}
			root.kids = append(root.kids, dialoguePortion(aarq(acn, ui)))
		case dlgAARE:
			root.kids = append(root.kids, dialoguePortion(aare(acn)))
		case dlgABRT:
			root.kids = append(root.kids, dialoguePortion(abrt()))
		}
		if m.PAbort != nil {
			root.kids = append(root.kids, prim(berApplication, 10, []byte{*m.PAbort}))
		}
		if len(m.Components) > 0 {
			portion := cons(berApplication, 12)
			for _, c := range m.Components {
				portion.kids = append(portion.kids, c.node())
			}
			root.kids = append(root.kids, portion)
		}
		b = root.encode(m.Lengths)
	}
	if m.Truncate > 0 {
		if m.Truncate >= len(b) {
			return nil, fmt.Errorf("truncate: %d is not shorter than the %d-octet TCAP message", m.Truncate, len(b))
		}
		b = b[:m.Truncate]
	}
	return append(b, m.Append...), nil
}

// node encodes a component (Q.773 §4.2.1, with MAP's ROS: Invoke ::=
// SEQUENCE { invokeID, linkedID [0] IMPLICIT OPTIONAL, opcode, argument
// OPTIONAL }; ReturnResult ::= SEQUENCE { invokeID, SEQUENCE { opcode,
// result } OPTIONAL }; ReturnError ::= SEQUENCE { invokeID, errorCode,
// parameter OPTIONAL }).
func (c *MAPComponent) node() *berNode {
	opcode := func() *berNode {
		if c.Global != nil {
			return oidNode(c.Global)
		}
		return prim(berUniversal, tagInteger, berInt(c.Code))
	}
	id := prim(berUniversal, tagInteger, berInt(c.ID))
	switch c.Kind {
	case compInvoke:
		n := cons(berContext, compInvoke, id)
		if c.Linked != nil {
			n.kids = append(n.kids, prim(berContext, 0, berInt(*c.Linked)))
		}
		n.kids = append(n.kids, opcode())
		if c.Param != nil {
			n.kids = append(n.kids, c.Param)
		}
		return n
	case compReturnResultLast:
		n := cons(berContext, compReturnResultLast, id)
		if c.HasOp {
			r := cons(berUniversal, tagSequence, opcode())
			if c.Param != nil {
				r.kids = append(r.kids, c.Param)
			}
			n.kids = append(n.kids, r)
		}
		return n
	default:
		n := cons(berContext, compReturnError, id, prim(berUniversal, tagInteger, berInt(c.ErrCode)))
		if c.Param != nil {
			n.kids = append(n.kids, c.Param)
		}
		return n
	}
}

// Packets returns the M3UA DATA messages that carry the message: one, or
// one per segment of a segmented XUDT.
func (m *MAPMessage) Packets() ([][]byte, error) {
	tc, err := m.tcap()
	if err != nil {
		return nil, err
	}
	called, err := m.SCCP.Called.encode()
	if err != nil {
		return nil, fmt.Errorf("called party: %w", err)
	}
	calling, err := m.SCCP.Calling.encode()
	if err != nil {
		return nil, fmt.Errorf("calling party: %w", err)
	}
	var sccps [][]byte
	switch {
	case m.SCCP.Segments > 1:
		n := m.SCCP.Segments
		if len(tc) < n {
			return nil, fmt.Errorf("%d octets cannot make %d segments", len(tc), n)
		}
		// Segmentation local reference: the dialogue's own id, 24 bits.
		ref := (m.OTID ^ m.DTID) & 0xffffff
		size := (len(tc) + n - 1) / n
		for i := 0; i < n; i++ {
			seg := tc[i*size : min((i+1)*size, len(tc))]
			opt := sccpSegmentationParam(i == 0, m.SCCP.Class&0x0f == 1, n-1-i, ref)
			b, err := sccpUnitdata(sccpXUDT, m.SCCP.Class, m.SCCP.Hop, called, calling, seg, opt)
			if err != nil {
				return nil, err
			}
			sccps = append(sccps, b)
		}
	case m.SCCP.XUDT:
		b, err := sccpUnitdata(sccpXUDT, m.SCCP.Class, m.SCCP.Hop, called, calling, tc, nil)
		if err != nil {
			return nil, err
		}
		sccps = append(sccps, b)
	default:
		b, err := sccpUnitdata(sccpUDT, m.SCCP.Class, 0, called, calling, tc, nil)
		if err != nil {
			return nil, err
		}
		sccps = append(sccps, b)
	}
	out := make([][]byte, len(sccps))
	for i, s := range sccps {
		out[i] = m3uaData(m.M3UA.RC, m.M3UA.OPC, m.M3UA.DPC, 3, m.M3UA.NI, 0, m.M3UA.SLS, s)
	}
	return out, nil
}
