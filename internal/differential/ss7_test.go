package differential

import (
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"breakwater/protocols/capture"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/m3ua/m3uatest"
	"breakwater/protocols/sccp"
	"breakwater/protocols/sigtran"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

// wrapSCCP puts an SCCP message in an M3UA DATA message (SI 3,
// international network).
func wrapSCCP(b []byte) []byte {
	var mb m3ua.Builder
	return slices.Clone(mb.Data(&m3ua.Data{ProtocolData: m3ua.ProtocolData{OPC: 1001, DPC: 2002, SI: m3ua.SISCCP, NI: 0, SLS: 5, UserData: b}}))
}

// wrapTCAP puts a TCAP message in a UDT from a VLR to an HLR (global
// titles, subsystems 7 and 6) and that in M3UA DATA; ok is false when it
// does not fit a UDT.
func wrapTCAP(b []byte) ([]byte, bool) {
	called := sccp.AppendGTAddress(nil, 6, 0, 1, 4, "447700900123")
	calling := sccp.AppendGTAddress(nil, 7, 0, 1, 4, "12065550100")
	var sb sccp.Builder
	u, err := sb.UDT(0x80, called, calling, b)
	if err != nil {
		return nil, false
	}
	return wrapSCCP(u), true
}

// ss7Seeds: the committed M3UA corpus, the M3UA messages of the MAP test
// vectors, the SCCP corpus in M3UA DATA, and the TCAP and MAP corpora in
// a UDT in M3UA DATA.
func ss7Seeds(t *testing.T) [][]byte {
	seeds := corpusSeeds(t, "protocols/m3ua/testdata/fuzz/FuzzM3UA")
	seeds = append(seeds, vectorMessages(t, filepath.Join(repoRoot, "testvectors/map/scenarios.pcap"), func(m *capture.Message) bool {
		return m.Transport == capture.TransportSCTP && m.PPID == m3ua.PPID
	})...)
	for _, b := range corpusSeeds(t, "protocols/sccp/testdata/fuzz/FuzzSCCP") {
		seeds = append(seeds, wrapSCCP(b))
	}
	for _, dir := range []string{"protocols/tcap/testdata/fuzz/FuzzTCAP", "protocols/gsmmap/testdata/fuzz/FuzzMAP"} {
		for _, b := range corpusSeeds(t, dir) {
			if w, ok := wrapTCAP(b); ok {
				seeds = append(seeds, w)
			}
		}
	}
	return seeds
}

var ss7Fields = []string{"m3ua.message_class", "m3ua.message_type", "m3ua.message_length", "m3ua.protocol_data_si",
	"sccp.message_type", "tcap.unidirectional_element", "tcap.begin_element", "tcap.end_element", "tcap.continue_element",
	"tcap.abort_element", "tcap.otid", "tcap.dtid", "gsm_old.localValue", "frame.protocols"}

var tcapElements = map[tcap.MessageType]string{
	tcap.Unidirectional: "tcap.unidirectional_element", tcap.Begin: "tcap.begin_element", tcap.End: "tcap.end_element",
	tcap.Continue: "tcap.continue_element", tcap.Abort: "tcap.abort_element",
}

// ss7Differences are the intended disagreements about SS7 messages. The
// SS7 parsers are strict by design (the interconnect is where forged
// messages come from; each refusal is pinned by the layer's own tests);
// tshark dissects what it can and reports most encoding faults as
// warnings ("BER Error: ...") or not at all. The refusals are grouped by
// layer.
var ss7Differences = []difference{
	{
		id: "m3ua-strict", dir: oursOnly,
		why: "M3UA: version other than 1, a message length below 8 or past the packet, bytes after the length, a " +
			"parameter truncated or of the wrong length, not allowed in the message class/type, a point code wider " +
			"than the label; tshark dissects the parameters that are there.",
		ref:   "RFC 4666 §3.1 (common header), §3.2 (parameter format and padding), §3.3.1 (DATA), §3.3.1 Protocol Data",
		match: func(c *clash) bool { return hasPrefix(c.ours, "m3ua:") },
	},
	{
		id: "sccp-strict", dir: oursOnly,
		why: "SCCP: undefined message type, a pointer or length past the message, overlapping parameters, an address " +
			"shorter than its indicator says, a reserved or national global title indicator, and (for the firewall) " +
			"global titles whose address signals are not decimal digits, which no configured prefix can match.",
		ref: "ITU-T Q.713 §1.1 and §4 (message types, Table 1), §2.3 (pointers), §3.4 (called/calling party address, " +
			"GTI values, BCD address signals §3.4.2.3.1)",
		match: func(c *clash) bool {
			return hasPrefix(c.ours, "sccp:") || c.ours == "SCCP calling party global title is not decimal digits" ||
				c.ours == "SCCP called party global title is not decimal digits"
		},
	},
	{
		id: "tcap-strict", dir: oursOnly,
		why: "TCAP and its BER: the outer tag not an ITU TCAP message type, transaction ids missing for the type or " +
			"not 1 to 4 octets, elements misplaced in the transaction portion, a dialogue portion that is not one " +
			"EXTERNAL with dialogue-as-id, dialogue PDUs malformed or not allowed in the type, components with missing " +
			"or out-of-range invoke/linked ids, operation/error codes or problems, bytes after the message; BER with " +
			"TLVs past their container, end-of-contents misused, non-minimal tag numbers. tshark's BER dissector " +
			"reports these as warnings or dissects around them.",
		ref: "ITU-T Q.773 §4.2 (transaction portion: otid/dtid per message type, 1-4 octets), §4.2.2 (dialogue " +
			"portion), §4.2.1 (components, InvokeIdType -128..127); ITU-T X.690 §8.1.2 (tags), §8.1.3 and §8.1.5 " +
			"(lengths, end-of-contents)",
		match: func(c *clash) bool { return hasPrefix(c.ours, "tcap:") || hasPrefix(c.ours, "ber:") },
	},
	{
		id: "map-strict", dir: oursOnly,
		why: "MAP: a parameter that is not of the type its operation defines (mandatory element missing, elements " +
			"out of order or repeated, wrong primitive/constructed form, CHOICE with two alternatives), identities " +
			"that are not TBCD digits of the right length, global operation codes or codes outside 0..127. The " +
			"firewall judges on these fields; tshark shows them (sometimes with a warning).",
		ref: "3GPP TS 29.002 §17.5-17.7 (MAP ASN.1: operation arguments, IMSI 3..8 octets TBCD, ISDN-AddressString), " +
			"§17.5 (local operation codes); ITU-T X.680 (SEQUENCE order, CHOICE)",
		match: func(c *clash) bool { return hasPrefix(c.ours, "MAP ") },
	},
	{
		id: "sccp-connection-oriented", dir: tsharkOnly,
		why: "Breakwater does not relay SCCP connections: sccp.Parse reads only the type of a connection-oriented " +
			"message (CR ... IT) and the rules judge it by type. tshark dissects their parameters and throws on broken ones.",
		ref:   "ITU-T Q.713 §4.2-§4.9 (connection-oriented messages), Q.714 §3",
		match: func(c *clash) bool { f := readSS7(c.msg); return f.sccpOK && !f.sccpType.Connectionless() },
	},
	{
		id: "m3ua-not-data", dir: tsharkOnly,
		why: "Only DATA carries an SS7 message. tshark dissects a Protocol Data parameter (and the SCCP in it) in a " +
			"message of any class, an unknown one included, and throws on its contents; the parsers validate such a " +
			"message as M3UA only (management, or a class the relay answers with an ERR).",
		ref:   "RFC 4666 §3.1.2 (message classes), §3.3.1 (DATA), §3.8.1 (ERR: Unsupported Message Class/Type)",
		match: func(c *clash) bool { f := readSS7(c.msg); return f.hdrErr == nil && f.hdr.Kind() != m3ua.KindDATA },
	},
	{
		id: "other-user-part", dir: tsharkOnly,
		why: "DATA carrying another MTP3 user than SCCP (ISUP, TUP, ...) is reported by its service indicator and " +
			"judged by the rules on that alone; its contents are not parsed. tshark dissects them and throws on faults.",
		ref:   "RFC 4666 §3.3.1 (Protocol Data: SI), ITU-T Q.704 §14.2.1 (service indicator values)",
		match: func(c *clash) bool { f := readSS7(c.msg); return f.data && f.si != m3ua.SISCCP },
	},
	{
		id: "scmg-body-unread", dir: tsharkOnly,
		why: "A UDT to or from subsystem 1 (SCCP management) is reported as Op \"SCMG\" and judged on that by the " +
			"rules (sigtran.Decoder documents this); its body (format, affected SSN and point code) is not decoded, " +
			"so a truncated SSA/SSP/SST is not refused. tshark decodes it and throws. sccp.ParseSCMG (exact Q.713 " +
			"§5.1 lengths) exists but the decoder does not use it: a candidate for tightening, not a parser fault.",
		ref:   "ITU-T Q.713 §5.1 (SCMG message formats), Q.714 §5.3",
		match: func(c *clash) bool { return (c.lastProto == "sccpmg" || c.lastProto == "sccp") && isSCMG(c.msg) },
	},
	{
		id: "map-values", dir: tsharkOnly,
		why: "tshark decodes every MAP argument and result in full against the ASN.1 and throws on a fault anywhere " +
			"in it; gsmmap decodes and checks the elements the firewall judges (identities, node addresses, flags) and " +
			"passes the rest of the parameter on unread; CAP (camel) parameters are not decoded at all. M3UA, SCCP and TCAP (every component's framing) are accepted " +
			"by the layer parsers and tshark's exception is in the MAP dissector (the last protocol of the frame).",
		ref: "3GPP TS 29.002 §17 (MAP ASN.1), §7.6.1 (handling of parameters), ITU-T Q.773 §4.2.1 (the TC-user's parameter)",
		match: func(c *clash) bool {
			return readSS7(c.msg).tcapOK && (c.lastProto == "gsm_map" || c.lastProto == "camel")
		},
	},
	{
		id: "tcap-unread-parts", dir: tsharkOnly,
		why: "tcap.Parse accepted the message (transaction portion, dialogue PDU fields it reads, every component's " +
			"framing) and tshark's error is inside the TCAP dissector on a part the parser passes on: the " +
			"user-information EXTERNAL of a dialogue PDU (MAP-OpenInfo, read by the TC-user) or the contents of an " +
			"abort. Seen on mutants only; the Abort case (\"Wrong length indicated\") was not analysed further.",
		ref:   "ITU-T Q.773 §4.2.2 (dialogue portion; user-information is the TC-user's), X.227 (AARQ user-information)",
		match: func(c *clash) bool { return readSS7(c.msg).tcapOK && c.lastProto == "tcap" },
	},
	{
		id: "xudt-segment", dir: tsharkOnly,
		why: "A segment of a segmented XUDT is held by the reassembler until the message is complete (it is judged " +
			"then, and never alone); tshark dissects what a lone first segment holds as TCAP and throws on the cut.",
		ref:   "ITU-T Q.714 §4.1.1.2 (segmentation/reassembly), Q.713 §3.17 (segmentation parameter)",
		match: func(c *clash) bool { f := readSS7(c.msg); return f.sccpOK && f.segment },
	},
	{
		id: "sccp-spare-handling", dir: tsharkOnly,
		why: "The return option bits of the protocol class octet hold a spare value (neither 0 nor 8): tshark reports " +
			"it as an error, the parser keeps the raw octet and reads only the return-on-error bit.",
		ref:   "ITU-T Q.713 §3.6 (protocol class: message handling 0000 / 1000, other values spare)",
		match: func(c *clash) bool { return c.onlyExperts("Invalid message handling") && readSS7(c.msg).sccpOK },
	},
}

// isSCMG reports whether b is an M3UA DATA message with an SCCP
// management message (connectionless, subsystem 1).
func isSCMG(b []byte) bool {
	var d m3ua.Data
	var m sccp.Message
	return m3ua.ParseData(b, &d) == nil && d.SI == m3ua.SISCCP && sccp.Parse(d.UserData, &m) == nil && m.IsSCMG()
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// ss7Frame is what the parsers read in one M3UA message, layer by layer.
type ss7Frame struct {
	hdr      m3ua.Header
	hdrErr   error
	data     bool // DATA parsed
	si       uint8
	sccpOK   bool
	sccpType sccp.MessageType
	segment  bool // an XUDT segment (awaits the rest)
	tcapOK   bool
	tc       tcap.Message
	codes    []string // MAP operation and error codes in component order
	err      error    // the firewall's judgement (sigtran.Decoder)
}

func readSS7(b []byte) (f ss7Frame) {
	f.hdr, f.hdrErr = m3ua.ParseHeader(b)
	var d m3ua.Data
	if f.hdrErr == nil && f.hdr.Kind() == m3ua.KindDATA && m3ua.ParseData(b, &d) == nil {
		f.data, f.si = true, d.SI
		var sm sccp.Message
		if d.SI == m3ua.SISCCP && sccp.Parse(d.UserData, &sm) == nil {
			f.sccpOK, f.sccpType, f.segment = true, sm.Type, sm.HasSegmentation
			if sm.Type.Connectionless() && !sm.Type.Service() && !sm.IsSCMG() && !sm.HasSegmentation && tcap.Parse(sm.Data, &f.tc) == nil {
				f.tcapOK = true
				it := f.tc.Components()
				for c, ok := it.Next(); ok; c, ok = it.Next() {
					switch {
					case (c.Type == tcap.Invoke || c.Type == tcap.ReturnResultLast || c.Type == tcap.ReturnResultNotLast) && c.Op.Kind == tcap.CodeLocal:
						f.codes = append(f.codes, fmt.Sprint(int32(c.Op.Local))) // tshark's field is 32 bits
					case c.Type == tcap.ReturnError && c.Error.Kind == tcap.CodeLocal:
						f.codes = append(f.codes, fmt.Sprint(int32(c.Error.Local)))
					}
				}
			}
		}
	}
	// The firewall's judgement: management messages are the M3UA
	// parser's; DATA goes through every layer.
	if f.hdrErr != nil || f.hdr.Kind() != m3ua.KindDATA {
		_, f.err = m3ua.Parse(b)
		return f
	}
	var v view.Message
	res, err := sigtran.NewDecoder(sccp.ReassemblyConfig{}, nil).Decode(time.Unix(0, 0), b, &v)
	switch {
	case err != nil:
		f.err = err
	case res == sigtran.Message && v.Malformed != "":
		f.err = errors.New(v.Malformed)
	}
	return f
}

func TestDifferentialSS7(t *testing.T) {
	tshark := needTshark(t)
	seeds := ss7Seeds(t)
	mut := newMutator(mutatorSeed(t)+2, m3uaLengths)
	mutants, _ := mut.mutants(seeds, mutantCount(t))
	inputs := append(slices.Clone(seeds), mutants...)

	path := filepath.Join(t.TempDir(), "m3ua.pcap")
	if err := m3uatest.WritePcap(path, inputs); err != nil {
		t.Fatal(err)
	}
	keep(t, path)
	ds := runTshark(t, tshark, path, len(inputs), ss7Fields)
	ta := newTally(t, ss7Differences)
	for i, in := range inputs {
		d := &ds[i]
		frame := i + 1
		f := readSS7(in)
		classes, types, lens := d.nums(t, "m3ua.message_class"), d.nums(t, "m3ua.message_type"), d.nums(t, "m3ua.message_length")
		if f.hdrErr == nil && len(classes) > 0 && len(types) > 0 && len(lens) > 0 {
			ta.compared++
			if uint64(f.hdr.Class) != classes[0] || uint64(f.hdr.Type) != types[0] || uint64(f.hdr.Length) != lens[0] {
				ta.fieldMismatch(frame, in, "M3UA: ours class %d type %d length %d; tshark %d %d %d",
					f.hdr.Class, f.hdr.Type, f.hdr.Length, classes[0], types[0], lens[0])
			}
		}
		if sis := d.nums(t, "m3ua.protocol_data_si"); f.data && len(sis) > 0 && uint64(f.si) != sis[0] {
			ta.fieldMismatch(frame, in, "M3UA SI: ours %d, tshark %d", f.si, sis[0])
		}
		if st := d.nums(t, "sccp.message_type"); f.sccpOK && len(st) > 0 && uint64(f.sccpType) != st[0] {
			ta.fieldMismatch(frame, in, "SCCP type: ours %#x, tshark %#x", f.sccpType, st[0])
		}
		if f.tcapOK {
			el := tcapElements[f.tc.Type]
			if el == "" || !d.has(el) {
				var theirs []string
				for _, e := range tcapElements {
					if d.has(e) {
						theirs = append(theirs, e)
					}
				}
				if len(theirs) > 0 || el == "" {
					ta.fieldMismatch(frame, in, "TCAP type: ours %v, tshark %v", f.tc.Type, theirs)
				}
			} else {
				otid, dtid := d.all("tcap.otid"), d.all("tcap.dtid")
				if f.tc.HasOTID && (len(otid) == 0 || otid[0] != hex.EncodeToString(f.tc.OTIDBytes)) ||
					f.tc.HasDTID && (len(dtid) == 0 || dtid[0] != hex.EncodeToString(f.tc.DTIDBytes)) {
					ta.fieldMismatch(frame, in, "TCAP ids: ours otid %x dtid %x; tshark %v %v", f.tc.OTIDBytes, f.tc.DTIDBytes, otid, dtid)
				}
				// An exception in one component's parameter stops tshark
				// before the next components: then its codes are a prefix.
				_, experts := d.malformed()
				threw := slices.Contains(experts, "Malformed Packet (Exception occurred)")
				if lv := d.all("gsm_old.localValue"); len(lv) > 0 && !slices.Equal(lv, f.codes) &&
					!(threw && len(lv) < len(f.codes) && slices.Equal(lv, f.codes[:len(lv)])) {
					ta.fieldMismatch(frame, in, "MAP codes: ours %v, tshark %v", f.codes, lv)
				}
			}
		}
		ta.validity(frame, in, f.err, d, len(classes) > 0)
	}
	ta.report("M3UA/SCCP/TCAP/MAP")
}
