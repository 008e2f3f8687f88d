package testvectors

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"breakwater/protocols/diameter"
	"breakwater/protocols/view"

	"github.com/fiorix/go-diameter/v4/diam/dict"
	"go.yaml.in/yaml/v3"
)

// ntpEpoch is the origin of Diameter Time values (RFC 6733 §4.3.1).
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

func (l *loader) message(n *yaml.Node, st *Step) *Message {
	d := diameter.Dictionary()
	m := &Message{}
	var cmd, flags, hbh, e2e, avps *yaml.Node
	var request *bool
	haveApp := false
	ok := l.fields(n, "diameter", []string{"cmd", "app", "request", "flags", "version", "length", "hbh", "e2e", "avps", "append"},
		[]string{"cmd", "app"}, func(key string, k, v *yaml.Node) {
			switch key {
			case "cmd":
				cmd = v
			case "app":
				if id, err := strconv.ParseUint(v.Value, 0, 32); err == nil && v.Kind == yaml.ScalarNode {
					m.App, haveApp = uint32(id), true
				} else if id, ok := diameter.AppID(v.Value); ok && v.Kind == yaml.ScalarNode {
					m.App, haveApp = id, true
				} else {
					l.fail(v, "app: %q is neither an application id nor a name such as S6a, Sh, Gx, Base, Relay", v.Value)
				}
			case "request":
				if b, ok := l.bool(v, "request"); ok {
					request = &b
				}
			case "flags":
				flags = v
			case "version":
				if x, ok := l.uint(v, "version", 8); ok {
					b := uint8(x)
					m.Version = &b
				}
			case "length":
				if x, ok := l.uint(v, "length", 24); ok {
					b := uint32(x)
					m.Length = &b
				}
			case "hbh":
				hbh = v
			case "e2e":
				e2e = v
			case "avps":
				avps = v
			case "append":
				s, _ := l.str(v, "append")
				b, err := decodeHex(s)
				if err != nil || len(b) == 0 {
					l.fail(v, "append: expected \"hex:...\" with at least one byte")
				}
				m.Append = b
			}
		})
	if !ok || !haveApp {
		return nil
	}
	code, req, ok := l.command(cmd, m.App, d)
	if !ok {
		return nil
	}
	m.Code = code
	if request != nil {
		req = *request
	}
	if req {
		m.Flags = diameter.FlagRequest
	}
	if code != diameter.CmdCapabilitiesExchange && code != diameter.CmdDeviceWatchdog && code != diameter.CmdDisconnectPeer {
		m.Flags |= diameter.FlagProxiable
	}
	if flags != nil {
		x, _ := l.uint(flags, "flags", 8)
		m.Flags = uint8(x)
	}
	switch {
	case hbh == nil && e2e == nil:
		m.autoIDs = true
		if m.Request() {
			// Unique in a capture of every scenario.
			m.HopByHop = uint32(st.Scenario.Index+1)<<16 | uint32(st.Index+1)
			m.EndToEnd = 0x5e000000 | uint32(st.Scenario.Index+1)<<12 | uint32(st.Index+1)
		}
	case hbh == nil || e2e == nil:
		l.fail(n, "diameter: give both hbh and e2e, or neither")
	default:
		x, _ := l.uint(hbh, "hbh", 32)
		y, _ := l.uint(e2e, "e2e", 32)
		m.HopByHop, m.EndToEnd = uint32(x), uint32(y)
	}
	if avps != nil {
		m.AVPs = l.avps(avps, m.App, d, "avps")
	}
	return m
}

// command resolves "ULR" or a numeric code. A short name shared by two
// commands (PUR: Sh Profile-Update and S6a Purge-UE) is resolved through
// the application's dictionary; numeric codes are requests unless the step
// says `request: false`.
func (l *loader) command(n *yaml.Node, app uint32, d *dict.Parser) (code uint32, request, ok bool) {
	if n.Kind != yaml.ScalarNode {
		l.fail(n, "cmd: expected a command name such as ULR or a code")
		return 0, false, false
	}
	if x, err := strconv.ParseUint(n.Value, 0, 24); err == nil {
		return uint32(x), true, true
	}
	code, request, ok = diameter.OpCode(n.Value)
	if a, err := d.App(app); err == nil {
		for _, c := range a.Command {
			switch n.Value {
			case diameter.OpName(c.Code, true):
				code, request, ok = c.Code, true, true
			case diameter.OpName(c.Code, false):
				code, request, ok = c.Code, false, true
			}
		}
	}
	if !ok {
		l.fail(n, "cmd: unknown command %q (use a name such as ULR, CEA or a numeric code)", n.Value)
	}
	return code, request, ok
}

// avps reads a list of single-key mappings.
func (l *loader) avps(n *yaml.Node, app uint32, d *dict.Parser, where string) []*AVP {
	if n.Kind != yaml.SequenceNode {
		l.fail(n, "%s: expected a list of {AVP-Name: value}", where)
		return nil
	}
	var out []*AVP
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
			l.fail(item, "%s: each entry is a mapping with exactly one key: {AVP-Name: value}, {raw_avp: {...}} or {raw: \"hex:...\"}", where)
			continue
		}
		k, v := item.Content[0], resolve(item.Content[1])
		var a *AVP
		switch k.Value {
		case "raw":
			s, _ := l.str(v, "raw")
			b, err := decodeHex(s)
			if err != nil || len(b) == 0 {
				l.fail(v, "raw: expected \"hex:...\" with at least one byte")
				continue
			}
			a = &AVP{Raw: b, Type: "Raw"}
		case "raw_avp":
			a = l.rawAVP(v, app, d)
		default:
			a = l.avp(k, v, app, d)
		}
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

// lookup finds an AVP definition: first as the application sees it, then
// in any loaded application (in load order, so the answer is stable).
func lookup(d *dict.Parser, app uint32, name string) *dict.AVP {
	if a, err := d.FindAVP(app, name); err == nil && a != nil {
		return a
	}
	for _, ap := range d.Apps() {
		for _, a := range ap.AVP {
			if a.Name == name {
				return a
			}
		}
	}
	return nil
}

// hasFlag reports whether a dictionary flag list ("M,V", "V", "-") holds f.
func hasFlag(list, f string) bool {
	for _, x := range strings.Split(list, ",") {
		if strings.TrimSpace(x) == f {
			return true
		}
	}
	return false
}

// mandatory reports whether the dictionary says the M bit must be set.
func mandatory(a *dict.AVP) bool { return hasFlag(a.Must, "M") }

// vendorOf is the AVP's vendor on the wire. An AVP whose V bit must not be
// set has no Vendor-ID, whatever vendor-id its dictionary entry carries:
// go-diameter's S6a dictionary gives the IETF AVPs Service-Selection (493,
// RFC 5778) and MIP6-Agent-Info (486, RFC 5447) vendor 10415 but must-not
// "V", and real S6a peers send and expect them without a vendor.
func vendorOf(a *dict.AVP) uint32 {
	if hasFlag(a.MustNot, "V") && !hasFlag(a.Must, "V") {
		return 0
	}
	return a.VendorID
}

func (l *loader) avp(k, v *yaml.Node, app uint32, d *dict.Parser) *AVP {
	def := lookup(d, app, k.Value)
	if def == nil {
		l.fail(k, "unknown AVP %q (names are case-sensitive, as in the dictionaries: Visited-PLMN-Id)", k.Value)
		return nil
	}
	a := &AVP{Name: def.Name, Code: def.Code, Vendor: vendorOf(def), Type: def.Data.TypeName}
	if mandatory(def) {
		a.Flags = diameter.AVPFlagMandatory
	}
	if def.Data.TypeName == "Grouped" && v.Kind == yaml.SequenceNode {
		a.Group = l.avps(v, app, d, k.Value)
		if a.Group == nil {
			a.Group = []*AVP{} // an empty group is still a group
		}
		return a
	}
	data, err := encodeValue(def, v)
	if err != nil {
		l.fail(v, "%s (%s): %v", def.Name, def.Data.TypeName, err)
		return nil
	}
	a.Data = data
	return a
}

// encodeValue encodes a leaf value by the AVP's dictionary type. "hex:..."
// gives the raw data for any type (for malformed sizes).
func encodeValue(def *dict.AVP, v *yaml.Node) ([]byte, error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		if def.Data.TypeName == "Grouped" {
			return nil, fmt.Errorf("expected a list of member AVPs or \"hex:...\"")
		}
		return nil, fmt.Errorf("expected a scalar value")
	}
	s := v.Value
	if strings.HasPrefix(s, "hex:") {
		return decodeHex(s)
	}
	switch def.Data.TypeName {
	case "OctetString":
		switch {
		case strings.HasPrefix(s, "plmn:"):
			p, err := view.ParsePLMN(s[len("plmn:"):])
			if err != nil {
				return nil, err
			}
			b := p.Encode()
			return b[:], nil
		case strings.HasPrefix(s, "tbcd:"):
			return encodeTBCD(s[len("tbcd:"):])
		}
		return []byte(s), nil
	case "UTF8String", "DiameterIdentity", "DiameterURI", "IPFilterRule", "QoSFilterRule":
		return []byte(s), nil
	case "Unsigned32":
		x, err := strconv.ParseUint(s, 0, 32)
		return binary.BigEndian.AppendUint32(nil, uint32(x)), err
	case "Integer32":
		x, err := strconv.ParseInt(s, 0, 32)
		return binary.BigEndian.AppendUint32(nil, uint32(int32(x))), err
	case "Enumerated":
		x, err := strconv.ParseInt(s, 0, 32)
		if err != nil {
			for _, e := range def.Data.Enum {
				if e.Name == s {
					return binary.BigEndian.AppendUint32(nil, uint32(e.Code)), nil
				}
			}
			return nil, fmt.Errorf("%q is neither a number nor one of the dictionary's names", s)
		}
		return binary.BigEndian.AppendUint32(nil, uint32(int32(x))), nil
	case "Unsigned64":
		x, err := strconv.ParseUint(s, 0, 64)
		return binary.BigEndian.AppendUint64(nil, x), err
	case "Integer64":
		x, err := strconv.ParseInt(s, 0, 64)
		return binary.BigEndian.AppendUint64(nil, uint64(x)), err
	case "Float32":
		x, err := strconv.ParseFloat(s, 32)
		return binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(x))), err
	case "Float64":
		x, err := strconv.ParseFloat(s, 64)
		return binary.BigEndian.AppendUint64(nil, math.Float64bits(x)), err
	case "Address":
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		if a.Is4() {
			b := a.As4()
			return append([]byte{0, 1}, b[:]...), nil
		}
		b := a.As16()
		return append([]byte{0, 2}, b[:]...), nil
	case "IPv4", "IPv6":
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		return a.AsSlice(), nil
	case "Time":
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, err
		}
		return binary.BigEndian.AppendUint32(nil, uint32(t.Sub(ntpEpoch)/time.Second)), nil
	case "Grouped":
		return nil, fmt.Errorf("expected a list of member AVPs or \"hex:...\"")
	}
	return nil, fmt.Errorf("type %s is not supported; give the data as \"hex:...\"", def.Data.TypeName)
}

// rawAVP builds an AVP header and data verbatim, for malformed vectors:
// {code | name, vendor, flags, length, data, pad}.
func (l *loader) rawAVP(n *yaml.Node, app uint32, d *dict.Parser) *AVP {
	var (
		code, vendor uint32
		flags        *uint8
		length       *uint32
		data         []byte
		pad          = true
		haveCode     bool
	)
	l.fields(n, "raw_avp", []string{"code", "name", "vendor", "flags", "length", "data", "pad"}, nil, func(key string, k, v *yaml.Node) {
		switch key {
		case "code":
			x, _ := l.uint(v, "code", 32)
			code, haveCode = uint32(x), true
		case "name":
			def := lookup(d, app, v.Value)
			if def == nil {
				l.fail(v, "unknown AVP %q", v.Value)
				return
			}
			code, vendor, haveCode = def.Code, vendorOf(def), true
			if flags == nil {
				f := uint8(0)
				if mandatory(def) {
					f = diameter.AVPFlagMandatory
				}
				if vendor != 0 {
					f |= diameter.AVPFlagVendor
				}
				flags = &f
			}
		case "vendor":
			x, _ := l.uint(v, "vendor", 32)
			vendor = uint32(x)
		case "flags":
			x, _ := l.uint(v, "flags", 8)
			f := uint8(x)
			flags = &f
		case "length":
			x, _ := l.uint(v, "length", 24)
			n := uint32(x)
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
		case "pad":
			pad, _ = l.bool(v, "pad")
		}
	})
	if !haveCode {
		l.fail(n, "raw_avp: give code (and vendor) or name")
		return nil
	}
	f := diameter.AVPFlagMandatory
	if vendor != 0 {
		f |= diameter.AVPFlagVendor
	}
	if flags != nil {
		f = *flags
	}
	hdr := 8
	if f&diameter.AVPFlagVendor != 0 {
		hdr = 12
	}
	n24 := uint32(hdr + len(data))
	if length != nil {
		n24 = *length
	}
	b := binary.BigEndian.AppendUint32(nil, code)
	b = append(b, f, byte(n24>>16), byte(n24>>8), byte(n24))
	if f&diameter.AVPFlagVendor != 0 {
		b = binary.BigEndian.AppendUint32(b, vendor)
	}
	b = append(b, data...)
	for pad && len(b)%4 != 0 {
		b = append(b, 0)
	}
	return &AVP{Code: code, Vendor: vendor, Flags: f, Type: "Raw", Raw: b}
}

// decodeHex reads "hex:0a0b..." (spaces, ':' and '_' between digits are
// ignored).
func decodeHex(s string) ([]byte, error) {
	if !strings.HasPrefix(s, "hex:") {
		return nil, fmt.Errorf("expected \"hex:...\"")
	}
	s = strings.NewReplacer(" ", "", ":", "", "_", "").Replace(s[len("hex:"):])
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad hex: %v", err)
	}
	return b, nil
}

// encodeTBCD encodes digits as telephony BCD: low nibble first, 0xF filler.
func encodeTBCD(digits string) ([]byte, error) {
	if digits == "" {
		return nil, fmt.Errorf("tbcd: no digits")
	}
	var out []byte
	for i := 0; i < len(digits); i += 2 {
		lo := digits[i]
		hi := byte('F')
		if i+1 < len(digits) {
			hi = digits[i+1]
		}
		if lo < '0' || lo > '9' || (hi != 'F' && (hi < '0' || hi > '9')) {
			return nil, fmt.Errorf("tbcd: %q has a non-digit", digits)
		}
		h := byte(0xf)
		if hi != 'F' {
			h = hi - '0'
		}
		out = append(out, h<<4|(lo-'0'))
	}
	return out, nil
}

// Encode returns the step's message as wire bytes (a GTP message alone,
// without the messages piggybacked on it or it is piggybacked on; the
// TCAP message of an SS7 step, without SCCP and M3UA: see Packets).
func (s *Step) Encode() ([]byte, error) {
	switch {
	case s.GTP != nil:
		return s.GTP.Encode()
	case s.MAP != nil:
		return s.MAP.tcap()
	}
	return s.Message.Encode()
}

// Packets returns the transport payloads that carry the step, in order:
// the Diameter message (one SCTP DATA chunk or TCP segment), the GTP
// datagram with its piggybacked companions, or the M3UA DATA messages of
// an SS7 message (one per SCTP DATA chunk; several for a segmented XUDT).
func (s *Step) Packets() ([][]byte, error) {
	if s.MAP != nil {
		return s.MAP.Packets()
	}
	b, _, err := s.Datagram()
	if err != nil {
		return nil, err
	}
	return [][]byte{b}, nil
}

// Datagram returns the UDP payload a GTP step travels in — its message
// with the messages piggybacked on it, or the message it is piggybacked on
// followed by its companions — and the offset of the step's own message
// in it. For Diameter steps it is Encode with offset 0.
func (s *Step) Datagram() (payload []byte, offset int, err error) {
	if s.GTP == nil {
		payload, err = s.Encode()
		return payload, 0, err
	}
	steps := s.Scenario.Steps
	first := s.Index
	for first > 0 && steps[first].GTP != nil && steps[first].GTP.Piggyback {
		first--
	}
	for i := first; i < len(steps); i++ {
		if i > first && (steps[i].GTP == nil || !steps[i].GTP.Piggyback) {
			break
		}
		b, err := steps[i].Encode()
		if err != nil {
			return nil, 0, err
		}
		if i == s.Index {
			offset = len(payload)
		}
		payload = append(payload, b...)
	}
	return payload, offset, nil
}

// Encode returns the message as wire bytes, header overrides and appended
// bytes included.
func (m *Message) Encode() ([]byte, error) {
	var b diameter.Builder
	b.Start(m.Flags, m.Code, m.App, m.HopByHop, m.EndToEnd)
	for _, a := range m.AVPs {
		a.build(&b)
	}
	msg := b.Message()
	if len(msg) > 0xffffff {
		return nil, fmt.Errorf("message of %d bytes exceeds the 24-bit Diameter length", len(msg))
	}
	out := make([]byte, 0, len(msg)+len(m.Append))
	out = append(out, msg...)
	if m.Version != nil {
		out[0] = *m.Version
	}
	if m.Length != nil {
		n := *m.Length
		out[1], out[2], out[3] = byte(n>>16), byte(n>>8), byte(n)
	}
	return append(out, m.Append...), nil
}

func (a *AVP) build(b *diameter.Builder) {
	switch {
	case a.Raw != nil:
		b.Raw(a.Raw)
	case a.Group != nil:
		b.Group(a.Code, a.Vendor, a.Flags)
		for _, g := range a.Group {
			g.build(b)
		}
		b.End()
	default:
		b.Bytes(a.Code, a.Vendor, a.Flags, a.Data)
	}
}
