package testvectors

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"breakwater/protocols/gtp"
	"breakwater/protocols/view"

	"go.yaml.in/yaml/v3"
)

// GTPMessage is a GTP-C message (GTPv2-C, TS 29.274, or GTPv1-C, TS
// 29.060) resolved from its declarative form.
type GTPMessage struct {
	Version uint8 // 1 or 2
	Type    uint8
	// HasTEID is the GTPv2 T flag; a GTPv1 header always carries a TEID.
	HasTEID bool
	TEID    uint32
	Seq     uint32 // 24 bits in GTPv2, 16 in GTPv1
	IEs     []*GTPIE
	// Piggyback: this message travels in the same UDP datagram as the
	// previous step's GTPv2 message, whose P flag is then set (TS 29.274
	// §5.5.1).
	Piggyback bool
	// Header overrides for malformed vectors (nil: the encoder's value).
	Flags  *uint8  // the whole first octet
	Length *uint16 // the length field
	// Append is added after the encoded message (trailing bytes).
	Append []byte

	carrier bool // a piggybacked message follows: P flag
	autoSeq bool // seq was not written
}

// GTPIE is one information element: a dictionary IE (leaf or grouped) or
// verbatim bytes for malformed vectors.
type GTPIE struct {
	Name     string // dictionary name, or the type in decimal
	Type     uint8
	Instance uint8 // GTPv2 only
	Data     []byte
	Group    []*GTPIE // members of a grouped GTPv2 IE (nil for leaves)
	Raw      []byte   // verbatim bytes (raw, raw_ie)
}

// Request reports a request or notification: a message that starts a
// transaction rather than answering one (as view.Message.Request; a type
// the parser does not know is neither).
func (m *GTPMessage) Request() bool {
	r := gtp.TypeRole(m.Version, m.Type)
	return r == gtp.RoleRequest || r == gtp.RoleNotification
}

// Op is the message type's name ("CreateSessionRequest"), or the type in
// decimal when it has none.
func (m *GTPMessage) Op() string {
	if n := gtp.TypeName(m.Version, m.Type); n != "" {
		return n
	}
	return strconv.Itoa(int(m.Type))
}

// Protocol is GTPv1C or GTPv2C.
func (m *GTPMessage) Protocol() view.Protocol {
	if m.Version == 1 {
		return view.GTPv1C
	}
	return view.GTPv2C
}

// Has reports whether the message carries a top-level IE of that type and
// instance (verbatim bytes do not count).
func (m *GTPMessage) Has(t, instance uint8) bool {
	for _, ie := range m.IEs {
		if ie.Raw == nil && ie.Type == t && ie.Instance == instance {
			return true
		}
	}
	return false
}

// Encode returns the message as wire bytes: header, IEs, overrides and
// appended bytes; the P flag is set when a piggybacked message follows.
func (m *GTPMessage) Encode() ([]byte, error) {
	var b gtp.Builder
	if m.Version == 2 {
		b.StartV2(m.Type, m.HasTEID, m.TEID, m.Seq)
	} else {
		b.StartV1(m.Type, m.TEID, uint16(m.Seq))
	}
	for _, ie := range m.IEs {
		if err := ie.build(&b, m.Version); err != nil {
			return nil, err
		}
	}
	msg := b.Message()
	hdr := 8
	if m.Version == 2 {
		hdr = 4
	}
	if len(msg)-hdr > 0xffff {
		return nil, fmt.Errorf("GTP message of %d bytes exceeds the 16-bit length", len(msg))
	}
	out := make([]byte, 0, len(msg)+len(m.Append))
	out = append(out, msg...)
	if m.carrier {
		out[0] |= 0x10
	}
	if m.Flags != nil {
		out[0] = *m.Flags
	}
	if m.Length != nil {
		binary.BigEndian.PutUint16(out[2:], *m.Length)
	}
	return append(out, m.Append...), nil
}

func (ie *GTPIE) build(b *gtp.Builder, version uint8) error {
	switch {
	case ie.Raw != nil:
		b.Raw(ie.Raw)
	case ie.Group != nil:
		b.Group(ie.Type, ie.Instance)
		for _, g := range ie.Group {
			if err := g.build(b, version); err != nil {
				return err
			}
		}
		b.End()
	case version == 2:
		if len(ie.Data) > 0xffff {
			return fmt.Errorf("IE %s: %d bytes exceed the 16-bit length", ie.Name, len(ie.Data))
		}
		b.IE(ie.Type, ie.Instance, ie.Data)
	case ie.Type < 128:
		b.TV(ie.Type, ie.Data)
	default:
		b.TLV(ie.Type, ie.Data)
	}
	return nil
}

// ieKind is how an IE's value is written in the scenario file.
type ieKind uint8

const (
	kindHex    ieKind = iota // "hex:..." only
	kindDigits               // TBCD digits: "imsi:...", "tbcd:..." or digits
	kindISDN                 // GTPv1 MSISDN: 0x91 (international, E.164), then TBCD digits
	kindU8                   // unsigned integers, big-endian
	kindU16
	kindU32
	kindCause   // GTPv2 Cause: the value, then the flags octet 0
	kindAPN     // an APN or FQDN: dot-separated labels, each length-prefixed
	kindPLMN    // "plmn:MCCMNC": 3 octets
	kindFTEID   // {iface, teid, ipv4, ipv6} or "fteid:{...}"
	kindIP      // an IPv4 or IPv6 address: 4 or 16 octets
	kindPAA     // GTPv2 PDN Address Allocation: an IP (IPv6 with prefix length 64)
	kindAMBR    // {ul, dl} in kbps
	kindULI     // GTPv2 User Location Info: {tai: {plmn, tac}, ecgi: {plmn, eci}}
	kindRAI     // GTPv1 Routeing Area Identity: {plmn, lac, rac}
	kindGrouped // GTPv2 grouped IE: a list of member IEs
)

// ieDef is one entry of the IE dictionaries below.
type ieDef struct {
	name  string
	typ   uint8
	kind  ieKind
	tvLen int // GTPv1 TV IEs (type < 128): the fixed value length
}

// gtpv2IEs names the GTPv2 IEs the scenarios use (TS 29.274 §8.1); other
// types are written by number with "hex:" values.
var gtpv2IEs = []ieDef{
	{"IMSI", 1, kindDigits, 0},
	{"Cause", 2, kindCause, 0},
	{"Recovery", 3, kindU8, 0},
	{"APN", 71, kindAPN, 0},
	{"AMBR", 72, kindAMBR, 0},
	{"EBI", 73, kindU8, 0},
	{"IPAddress", 74, kindIP, 0},
	{"MEI", 75, kindDigits, 0},
	{"MSISDN", 76, kindDigits, 0},
	{"Indication", 77, kindHex, 0},
	{"PCO", 78, kindHex, 0},
	{"PAA", 79, kindPAA, 0},
	{"BearerQoS", 80, kindHex, 0},
	{"FlowQoS", 81, kindHex, 0},
	{"RATType", 82, kindU8, 0},
	{"ServingNetwork", 83, kindPLMN, 0},
	{"BearerTFT", 84, kindHex, 0},
	{"TAD", 85, kindHex, 0},
	{"ULI", 86, kindULI, 0},
	{"FTEID", 87, kindFTEID, 0},
	{"TMSI", 88, kindHex, 0},
	{"DelayValue", 92, kindU8, 0},
	{"BearerContext", 93, kindGrouped, 0},
	{"ChargingID", 94, kindU32, 0},
	{"ChargingCharacteristics", 95, kindU16, 0},
	{"BearerFlags", 97, kindU8, 0},
	{"PDNType", 99, kindU8, 0},
	{"PTI", 100, kindU8, 0},
	{"MMContextEPS", 107, kindHex, 0}, // EPS Security Context and Quadruplets
	{"PDNConnection", 109, kindGrouped, 0},
	{"PTMSI", 111, kindHex, 0},
	{"PTMSISignature", 112, kindHex, 0},
	{"UETimeZone", 114, kindHex, 0},
	{"CompleteRequestMessage", 116, kindHex, 0},
	{"GUTI", 117, kindHex, 0},
	{"FContainer", 118, kindHex, 0},
	{"FCause", 119, kindHex, 0},
	{"PLMNID", 120, kindPLMN, 0},
	{"TargetIdentification", 121, kindHex, 0},
	{"APNRestriction", 127, kindU8, 0},
	{"SelectionMode", 128, kindU8, 0},
	{"ChangeReportingAction", 131, kindU8, 0},
	{"FQCSID", 132, kindHex, 0},
	{"NodeType", 135, kindU8, 0},
	{"FQDN", 136, kindAPN, 0},
	{"DetachType", 150, kindU8, 0},
	{"ARP", 155, kindHex, 0},
	{"PrivateExtension", 255, kindHex, 0},
}

// gtpv1IEs names the GTPv1 IEs the scenarios use (TS 29.060 §7.7). Types
// below 128 are TV IEs whose value length the type fixes; the others are
// TLV.
var gtpv1IEs = []ieDef{
	{"Cause", 1, kindU8, 1},
	{"IMSI", 2, kindDigits, 8},
	{"RAI", 3, kindRAI, 6},
	{"TLLI", 4, kindU32, 4},
	{"PTMSI", 5, kindU32, 4},
	{"ReorderingRequired", 8, kindU8, 1},
	{"MAPCause", 11, kindU8, 1},
	{"PTMSISignature", 12, kindHex, 3},
	{"MSValidated", 13, kindU8, 1},
	{"Recovery", 14, kindU8, 1},
	{"SelectionMode", 15, kindU8, 1},
	{"TEIDData", 16, kindU32, 4},
	{"TEIDControl", 17, kindU32, 4},
	{"TeardownInd", 19, kindU8, 1},
	{"NSAPI", 20, kindU8, 1},
	{"RANAPCause", 21, kindU8, 1},
	{"ChargingCharacteristics", 26, kindU16, 2},
	{"ChargingID", 127, kindU32, 4},
	{"EndUserAddress", 128, kindHex, 0},
	{"MMContext", 129, kindHex, 0},
	{"PDPContext", 130, kindHex, 0},
	{"APN", 131, kindAPN, 0},
	{"PCO", 132, kindHex, 0},
	{"GSNAddress", 133, kindIP, 0},
	{"MSISDN", 134, kindISDN, 0},
	{"QoSProfile", 135, kindHex, 0},
	{"TargetIdentification", 138, kindHex, 0},
	{"UTRANTransparentContainer", 139, kindHex, 0},
	{"CommonFlags", 148, kindU8, 0},
	{"APNRestriction", 149, kindU8, 0},
	{"RATType", 151, kindU8, 0},
	{"ULI", 152, kindHex, 0},
	{"MSTimeZone", 153, kindHex, 0},
	{"IMEISV", 154, kindDigits, 0},
	{"PrivateExtension", 255, kindHex, 0},
}

// gtpv1TVLength gives the value length of every GTPv1 TV IE type (TS
// 29.060 §7.7), 0 for types that are not TV IEs, for IEs written by
// number.
var gtpv1TVLength = map[uint8]int{
	1: 1, 2: 8, 3: 6, 4: 4, 5: 4, 8: 1, 9: 28, 11: 1, 12: 3, 13: 1, 14: 1, 15: 1,
	16: 4, 17: 4, 18: 5, 19: 1, 20: 1, 21: 1, 22: 9, 23: 1, 24: 1, 25: 2, 26: 2,
	27: 2, 28: 2, 29: 1, 127: 4,
}

// lookupIE resolves an IE name or decimal type for a GTP version.
func lookupIE(version uint8, key string) (ieDef, bool) {
	table := gtpv2IEs
	if version == 1 {
		table = gtpv1IEs
	}
	n, numErr := strconv.ParseUint(key, 10, 8)
	for _, d := range table {
		if d.name == key || numErr == nil && uint64(d.typ) == n {
			return d, true
		}
	}
	if numErr != nil {
		return ieDef{}, false
	}
	d := ieDef{name: key, typ: uint8(n), kind: kindHex}
	if version == 1 && n < 128 {
		d.tvLen = gtpv1TVLength[uint8(n)]
	}
	return d, true
}

// ieNames lists a dictionary's names for error messages.
func ieNames(version uint8) string {
	table := gtpv2IEs
	if version == 1 {
		table = gtpv1IEs
	}
	names := make([]string, len(table))
	for i, d := range table {
		names[i] = d.name
	}
	return strings.Join(names, ", ")
}

// gtpMessage reads a `gtp:` mapping.
func (l *loader) gtpMessage(n *yaml.Node, st *Step) *GTPMessage {
	m := &GTPMessage{}
	var typ, teid, seq, ies *yaml.Node
	haveVersion := false
	ok := l.fields(n, "gtp", []string{"version", "type", "teid", "seq", "ies", "piggyback", "flags", "length", "append"},
		[]string{"version", "type"}, func(key string, k, v *yaml.Node) {
			switch key {
			case "version":
				if x, ok := l.uint(v, "version", 8); ok {
					if x != 1 && x != 2 {
						l.fail(v, "version: GTP-C is version 1 (Gn/Gp) or 2 (S8)")
						return
					}
					m.Version, haveVersion = uint8(x), true
				}
			case "type":
				typ = v
			case "teid":
				teid = v
			case "seq":
				seq = v
			case "ies":
				ies = v
			case "piggyback":
				m.Piggyback, _ = l.bool(v, "piggyback")
			case "flags":
				if x, ok := l.uint(v, "flags", 8); ok {
					f := uint8(x)
					m.Flags = &f
				}
			case "length":
				if x, ok := l.uint(v, "length", 16); ok {
					n := uint16(x)
					m.Length = &n
				}
			case "append":
				s, _ := l.str(v, "append")
				b, err := decodeHex(s)
				if err != nil || len(b) == 0 {
					l.fail(v, "append: expected \"hex:...\" with at least one byte")
				}
				m.Append = b
			}
		})
	if !ok || !haveVersion {
		return nil
	}
	if typ.Kind != yaml.ScalarNode {
		l.fail(typ, "type: expected a message type name such as CreateSessionRequest or a number")
		return nil
	}
	if x, err := strconv.ParseUint(typ.Value, 0, 8); err == nil {
		m.Type = uint8(x)
	} else if t, ok := gtp.TypeByName(m.Version, typ.Value); ok {
		m.Type = t
	} else {
		l.fail(typ, "type: %q is not a GTPv%d message type name (such as %s) or a number", typ.Value, m.Version,
			map[uint8]string{1: "CreatePDPContextRequest", 2: "CreateSessionRequest"}[m.Version])
		return nil
	}
	if teid != nil {
		x, _ := l.uint(teid, "teid", 32)
		m.TEID, m.HasTEID = uint32(x), true
	}
	if m.Version == 1 {
		m.HasTEID = true
	}
	bits := 24
	if m.Version == 1 {
		bits = 16
	}
	if seq != nil {
		x, _ := l.uint(seq, "seq", bits)
		m.Seq = uint32(x)
	} else {
		m.autoSeq = true
		if m.Request() {
			// Unique in a capture of every scenario.
			s, i := st.Scenario.Index+1, st.Index+1
			if m.Version == 1 {
				if s > 0xff || i > 0xff {
					l.fail(n, "gtp: too many scenarios or steps for automatic GTPv1 sequence numbers: give seq")
				}
				m.Seq = uint32(s<<8 | i)
			} else {
				if s > 0x3fff || i > 0x3ff {
					l.fail(n, "gtp: too many scenarios or steps for automatic sequence numbers: give seq")
				}
				m.Seq = uint32(s<<10 | i)
			}
		}
	}
	if m.Piggyback && m.Version != 2 {
		l.fail(n, "gtp: piggyback: only GTPv2-C messages are piggybacked (TS 29.274 §5.5.1)")
	}
	if ies != nil {
		m.IEs = l.gtpIEs(ies, m.Version, "ies", 0)
	}
	return m
}

// gtpIEs reads a list of IEs: {Name: value} with an optional instance
// (GTPv2), {raw: "hex:..."} or {raw_ie: {...}}.
func (l *loader) gtpIEs(n *yaml.Node, version uint8, where string, depth int) []*GTPIE {
	if n.Kind != yaml.SequenceNode {
		l.fail(n, "%s: expected a list of {IE-Name: value}", where)
		return nil
	}
	var out []*GTPIE
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			l.fail(item, "%s: each entry is a mapping: {IE-Name: value} (GTPv2: plus instance: N), {raw: \"hex:...\"} or {raw_ie: {...}}", where)
			continue
		}
		var key, val, inst *yaml.Node
		bad := false
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], resolve(item.Content[i+1])
			switch {
			case k.Value == "instance":
				if inst != nil {
					l.fail(k, "%s: duplicate key \"instance\"", where)
					bad = true
				}
				inst = v
			case key != nil:
				l.fail(k, "%s: one IE per entry (%q and %q): write them as separate entries", where, key.Value, k.Value)
				bad = true
			default:
				key, val = k, v
			}
		}
		if key == nil {
			l.fail(item, "%s: entry without an IE", where)
			continue
		}
		if bad {
			continue
		}
		var instance uint8
		if inst != nil {
			if version == 1 {
				l.fail(inst, "instance: GTPv1 IEs have no instance")
				continue
			}
			x, ok := l.uint(inst, "instance", 4)
			if !ok {
				continue
			}
			instance = uint8(x)
		}
		var ie *GTPIE
		switch key.Value {
		case "raw":
			if inst != nil {
				l.fail(inst, "raw: verbatim bytes have no instance; use raw_ie")
				continue
			}
			s, _ := l.str(val, "raw")
			b, err := decodeHex(s)
			if err != nil || len(b) == 0 {
				l.fail(val, "raw: expected \"hex:...\" with at least one byte")
				continue
			}
			ie = &GTPIE{Name: "raw", Raw: b}
		case "raw_ie":
			ie = l.rawIE(val, version)
		default:
			ie = l.gtpIE(key, val, version, instance, depth)
		}
		if ie != nil {
			if ie.Raw == nil {
				ie.Instance = instance
			}
			out = append(out, ie)
		}
	}
	return out
}

func (l *loader) gtpIE(k, v *yaml.Node, version, instance uint8, depth int) *GTPIE {
	def, ok := lookupIE(version, k.Value)
	if !ok {
		l.fail(k, "unknown GTPv%d IE %q (names: %s; or the type as a number)", version, k.Value, ieNames(version))
		return nil
	}
	ie := &GTPIE{Name: def.name, Type: def.typ, Instance: instance}
	if def.kind == kindGrouped && v.Kind == yaml.SequenceNode {
		if depth >= 8 {
			l.fail(v, "%s: grouped IEs nested deeper than 8 levels", def.name)
			return nil
		}
		ie.Group = l.gtpIEs(v, version, def.name, depth+1)
		if ie.Group == nil {
			ie.Group = []*GTPIE{}
		}
		return ie
	}
	data, err := l.ieValue(def, v)
	if err != nil {
		l.fail(v, "%s: %v", def.name, err)
		return nil
	}
	if version == 1 && def.typ < 128 {
		if def.tvLen == 0 {
			l.fail(k, "%s: GTPv1 type %d is not a known TV IE, so its length is unknown: write it with raw_ie", def.name, def.typ)
			return nil
		}
		if len(data) != def.tvLen {
			l.fail(v, "%s: a GTPv1 TV IE of type %d has %d octets, this value has %d (use raw_ie for wrong lengths)", def.name, def.typ, def.tvLen, len(data))
			return nil
		}
	}
	ie.Data = data
	return ie
}

// ieValue encodes a leaf value by the IE's kind; "hex:..." gives the raw
// value for any IE.
func (l *loader) ieValue(def ieDef, v *yaml.Node) ([]byte, error) {
	if v.Kind == yaml.ScalarNode && strings.HasPrefix(v.Value, "hex:") {
		return decodeHex(v.Value)
	}
	switch def.kind {
	case kindFTEID:
		return l.fteid(v)
	case kindAMBR, kindULI, kindRAI:
		if v.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("expected a mapping (%s) or \"hex:...\"", map[ieKind]string{
				kindAMBR: "{ul: kbps, dl: kbps}", kindULI: "{tai: {plmn, tac}, ecgi: {plmn, eci}}", kindRAI: "{plmn, lac, rac}"}[def.kind])
		}
		return l.structured(def.kind, v)
	case kindGrouped:
		return nil, fmt.Errorf("expected a list of member IEs or \"hex:...\"")
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return nil, fmt.Errorf("expected a scalar value or \"hex:...\"")
	}
	s := v.Value
	switch def.kind {
	case kindDigits:
		for _, p := range []string{"imsi:", "tbcd:"} {
			s = strings.TrimPrefix(s, p)
		}
		b, err := encodeTBCD(s)
		if err != nil {
			return nil, err
		}
		for len(b) < def.tvLen {
			b = append(b, 0xff) // a GTPv1 TV IMSI is always 8 octets
		}
		return b, nil
	case kindISDN:
		s = strings.TrimPrefix(s, "tbcd:")
		b, err := encodeTBCD(s)
		return append([]byte{0x91}, b...), err
	case kindU8, kindCause:
		x, err := strconv.ParseUint(s, 0, 8)
		if def.kind == kindCause {
			return []byte{byte(x), 0}, err
		}
		return []byte{byte(x)}, err
	case kindU16:
		x, err := strconv.ParseUint(s, 0, 16)
		return binary.BigEndian.AppendUint16(nil, uint16(x)), err
	case kindU32:
		x, err := strconv.ParseUint(s, 0, 32)
		return binary.BigEndian.AppendUint32(nil, uint32(x)), err
	case kindAPN:
		return encodeAPN(s)
	case kindPLMN:
		if !strings.HasPrefix(s, "plmn:") {
			return nil, fmt.Errorf("expected \"plmn:MCCMNC\" or \"hex:...\"")
		}
		p, err := view.ParsePLMN(s[len("plmn:"):])
		if err != nil {
			return nil, err
		}
		b := p.Encode()
		return b[:], nil
	case kindIP:
		a, err := netip.ParseAddr(s)
		return a.Unmap().AsSlice(), err
	case kindPAA:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		if a = a.Unmap(); a.Is4() {
			return append([]byte{1}, a.AsSlice()...), nil
		}
		return append([]byte{2, 64}, a.AsSlice()...), nil
	case kindHex:
		return nil, fmt.Errorf("give the value as \"hex:...\"")
	}
	return nil, fmt.Errorf("unsupported value")
}

// fteid encodes {iface, teid, ipv4, ipv6} (TS 29.274 §8.22), also
// written as the string "fteid:{iface: 6, teid: 0x1234, ipv4: 192.0.2.50}".
func (l *loader) fteid(v *yaml.Node) ([]byte, error) {
	if v.Kind == yaml.ScalarNode && strings.HasPrefix(v.Value, "fteid:") {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(v.Value[len("fteid:"):]), &doc); err != nil || len(doc.Content) == 0 {
			return nil, fmt.Errorf("\"fteid:{...}\" is not a mapping")
		}
		m := doc.Content[0]
		// Report problems at the string's place in the file.
		var fix func(*yaml.Node)
		fix = func(n *yaml.Node) {
			n.Line, n.Column = v.Line, v.Column
			for _, c := range n.Content {
				fix(c)
			}
		}
		fix(m)
		v = m
	}
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("expected {iface: N, teid: N, ipv4: IP, ipv6: IP}, \"fteid:{...}\" or \"hex:...\"")
	}
	var iface, teid uint64
	var addrs []netip.Addr
	var bad bool
	l.fields(v, "F-TEID", []string{"iface", "teid", "ipv4", "ipv6"}, []string{"iface", "teid"}, func(key string, _, x *yaml.Node) {
		switch key {
		case "iface":
			var ok bool
			if iface, ok = l.uint(x, "iface", 6); !ok {
				bad = true
			}
		case "teid":
			var ok bool
			if teid, ok = l.uint(x, "teid", 32); !ok {
				bad = true
			}
		case "ipv4", "ipv6":
			s, _ := l.str(x, key)
			a, err := netip.ParseAddr(s)
			if err != nil || a.Unmap().Is4() != (key == "ipv4") {
				l.fail(x, "%s: %q is not an %s address", key, s, map[string]string{"ipv4": "IPv4", "ipv6": "IPv6"}[key])
				bad = true
				return
			}
			addrs = append(addrs, a.Unmap())
		}
	})
	if bad {
		return nil, fmt.Errorf("bad F-TEID")
	}
	return gtp.FTEID(uint8(iface), uint32(teid), addrs...), nil
}

// structured encodes the mapping forms of AMBR, ULI and RAI.
func (l *loader) structured(kind ieKind, v *yaml.Node) ([]byte, error) {
	var out []byte
	var bad bool
	plmnOf := func(x *yaml.Node) []byte {
		s, _ := l.str(x, "plmn")
		p, err := view.ParsePLMN(strings.TrimPrefix(s, "plmn:"))
		if err != nil {
			l.fail(x, "plmn: %v", err)
			bad = true
			return []byte{0, 0, 0}
		}
		b := p.Encode()
		return b[:]
	}
	num := func(x *yaml.Node, what string, bits int) uint64 {
		n, ok := l.uint(x, what, bits)
		bad = bad || !ok
		return n
	}
	switch kind {
	case kindAMBR:
		var ul, dl uint64
		l.fields(v, "AMBR", []string{"ul", "dl"}, []string{"ul", "dl"}, func(key string, _, x *yaml.Node) {
			if key == "ul" {
				ul = num(x, "ul", 32)
			} else {
				dl = num(x, "dl", 32)
			}
		})
		out = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(ul)), uint32(dl))
	case kindRAI:
		var plmn []byte
		var lac, rac uint64
		l.fields(v, "RAI", []string{"plmn", "lac", "rac"}, []string{"plmn", "lac", "rac"}, func(key string, _, x *yaml.Node) {
			switch key {
			case "plmn":
				plmn = plmnOf(x)
			case "lac":
				lac = num(x, "lac", 16)
			case "rac":
				rac = num(x, "rac", 8)
			}
		})
		out = binary.BigEndian.AppendUint16(append(out, plmn...), uint16(lac))
		out = append(out, byte(rac))
	case kindULI:
		// Flags, then the identities in the order of TS 29.274 §8.21:
		// TAI (PLMN, TAC), ECGI (PLMN, 4 spare bits and a 28-bit ECI).
		var tai, ecgi []byte
		l.fields(v, "ULI", []string{"tai", "ecgi"}, nil, func(key string, _, x *yaml.Node) {
			switch key {
			case "tai":
				l.fields(x, "tai", []string{"plmn", "tac"}, []string{"plmn", "tac"}, func(k string, _, y *yaml.Node) {
					if k == "plmn" {
						tai = append(plmnOf(y), tai...)
					} else {
						tai = binary.BigEndian.AppendUint16(tai, uint16(num(y, "tac", 16)))
					}
				})
			case "ecgi":
				l.fields(x, "ecgi", []string{"plmn", "eci"}, []string{"plmn", "eci"}, func(k string, _, y *yaml.Node) {
					if k == "plmn" {
						ecgi = append(plmnOf(y), ecgi...)
					} else {
						ecgi = binary.BigEndian.AppendUint32(ecgi, uint32(num(y, "eci", 28)))
					}
				})
			}
		})
		var flags byte
		if tai != nil {
			flags |= 0x08
		}
		if ecgi != nil {
			flags |= 0x10
		}
		if flags == 0 {
			return nil, fmt.Errorf("give tai, ecgi or both")
		}
		out = append(append(append(out, flags), tai...), ecgi...)
	}
	if bad {
		return nil, fmt.Errorf("bad value")
	}
	return out, nil
}

// rawIE writes an IE header and data verbatim, for malformed vectors:
// {type (name or number), instance, length, data}. GTPv1 TV types get
// the type octet and the data, whatever its length.
func (l *loader) rawIE(n *yaml.Node, version uint8) *GTPIE {
	var (
		typ      uint8
		haveType bool
		instance uint8
		length   *uint16
		data     []byte
	)
	l.fields(n, "raw_ie", []string{"type", "instance", "length", "data"}, []string{"type"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "type":
			def, ok := lookupIE(version, v.Value)
			if !ok || v.Kind != yaml.ScalarNode {
				l.fail(v, "raw_ie: unknown GTPv%d IE %q", version, v.Value)
				return
			}
			typ, haveType = def.typ, true
		case "instance":
			if version == 1 {
				l.fail(v, "instance: GTPv1 IEs have no instance")
				return
			}
			x, _ := l.uint(v, "instance", 4)
			instance = uint8(x)
		case "length":
			x, _ := l.uint(v, "length", 16)
			n := uint16(x)
			length = &n
		case "data":
			s, _ := l.str(v, "data")
			if strings.HasPrefix(s, "hex:") {
				b, err := decodeHex(s)
				if err != nil {
					l.fail(v, "data: %v", err)
				}
				data = b
			} else {
				data = []byte(s)
			}
		}
	})
	if !haveType {
		return nil
	}
	var b []byte
	switch {
	case version == 2:
		n := uint16(len(data))
		if length != nil {
			n = *length
		}
		b = append([]byte{typ, byte(n >> 8), byte(n), instance & 0x0f}, data...)
	case typ < 128:
		if length != nil {
			l.fail(n, "raw_ie: a GTPv1 TV IE has no length field")
		}
		b = append([]byte{typ}, data...)
	default:
		n := uint16(len(data))
		if length != nil {
			n = *length
		}
		b = append([]byte{typ, byte(n >> 8), byte(n)}, data...)
	}
	return &GTPIE{Name: "raw_ie", Type: typ, Instance: instance, Raw: b}
}

// encodeAPN encodes an APN or FQDN as length-prefixed labels (TS 23.003
// §9.1).
func encodeAPN(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("empty APN")
	}
	var out []byte
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return nil, fmt.Errorf("APN %q has an empty or over-long label", s)
		}
		out = append(append(out, byte(len(label))), label...)
	}
	return out, nil
}

// pairGTP gives responses without seq the sequence number of the latest
// unanswered request they answer (the type before theirs, going the
// other way), as a GTP peer does (TS 29.274 §7.6, TS 29.060 §7.6).
func (l *loader) pairGTP(sc *Scenario) {
	answered := map[*Step]bool{}
	for i, st := range sc.Steps {
		m := st.GTP
		if m == nil || m.Request() || !m.autoSeq {
			continue
		}
		want := m.Type - 1
		if m.Version == 1 {
			switch m.Type {
			case 59: // Forward Relocation Complete Acknowledge
				want = 55
			case 60: // Forward SRNS Context Acknowledge
				want = 58
			}
		}
		found := false
		for j := i - 1; j >= 0; j-- {
			q := sc.Steps[j]
			if q.GTP != nil && !answered[q] && q.GTP.Version == m.Version && q.GTP.Type == want &&
				q.From == st.To && q.To == st.From {
				m.Seq = q.GTP.Seq
				answered[q] = true
				found = true
				break
			}
		}
		if !found {
			l.errs = append(l.errs, &Error{File: l.path, Line: st.Line, Col: st.col,
				Msg: "GTP response without an earlier unanswered request of the matching type in the other direction: give seq"})
		}
	}
}

// linkPiggyback checks piggybacked steps and sets their carriers' P flag:
// a piggybacked message follows a GTPv2 message of the same scenario,
// between the same nodes, at the same time.
func (l *loader) linkPiggyback(sc *Scenario) {
	for i, st := range sc.Steps {
		if st.GTP == nil || !st.GTP.Piggyback {
			continue
		}
		var prev *Step
		if i > 0 {
			prev = sc.Steps[i-1]
		}
		switch {
		case prev == nil || prev.GTP == nil || prev.GTP.Version != 2:
			l.errs = append(l.errs, &Error{File: l.path, Line: st.Line, Col: st.col, Msg: "piggyback: the previous step must be a GTPv2 message"})
		case prev.From != st.From || prev.To != st.To || prev.At != st.At:
			l.errs = append(l.errs, &Error{File: l.path, Line: st.Line, Col: st.col, Msg: "piggyback: a piggybacked message goes between the same nodes at the same time as the previous step"})
		case prev.GTP.Append != nil:
			l.errs = append(l.errs, &Error{File: l.path, Line: st.Line, Col: st.col, Msg: "piggyback: the previous step appends bytes"})
		default:
			prev.GTP.carrier = true
		}
	}
}
