package gsmmap

// Independent oracle: tshark's TCAP and GSM MAP dissectors (Wireshark's
// BER engine and its ASN.1-generated MAP code), on the public captures in
// ../../../shared/pcaps and on this package's crafted messages.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"breakwater/protocols/ber"
	"breakwater/protocols/capture"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

const pcapDir = "../../../shared/pcaps"

// --- SIGTRAN → SCCP → TCAP, minimal and test-only --------------------

// ss7Message is one TCAP message found in a capture.
type ss7Message struct {
	frame int
	tcap  []byte
}

// sigtranTCAP returns the TCAP octets of one SCTP user message: M3UA
// (PPID 3, RFC 4666 Payload Data with SI 3), M2UA (PPID 2, RFC 3331
// Protocol Data 1) or M2PA (PPID 5, RFC 4165 User Data) carrying an
// MTP3 MSU with SI 3 (routing label of labelLen octets: 4 ITU, 5 Japan
// TTC), then SCCP UDT/UDTS/XUDT/XUDTS. nil when it carries no TCAP.
func sigtranTCAP(ppid uint32, b []byte, labelLen int) []byte {
	be := binary.BigEndian
	if len(b) < 8 || b[0] != 1 {
		return nil
	}
	class, typ, l := b[2], b[3], int(be.Uint32(b[4:]))
	if l > len(b) || l < 8 {
		return nil
	}
	b = b[:l]
	param := func(want uint16) []byte {
		for p := b[8:]; len(p) >= 4; {
			tag, pl := be.Uint16(p), int(be.Uint16(p[2:]))
			if pl < 4 || pl > len(p) {
				return nil
			}
			if tag == want {
				return p[4:pl]
			}
			pl = (pl + 3) &^ 3
			if pl > len(p) {
				return nil
			}
			p = p[pl:]
		}
		return nil
	}
	mtp3 := func(msu []byte) []byte {
		if len(msu) < 1+labelLen || msu[0]&0x0f != 3 {
			return nil
		}
		return msu[1+labelLen:]
	}
	var sccp []byte
	switch {
	case ppid == 3 && class == 1 && typ == 1: // M3UA Transfer DATA
		pd := param(0x0210)
		if len(pd) < 12 || pd[8] != 3 {
			return nil
		}
		sccp = pd[12:]
	case ppid == 2 && class == 6 && typ == 1: // M2UA MAUP DATA
		sccp = mtp3(param(0x0300))
	case ppid == 5 && class == 11 && typ == 1: // M2PA User Data: BSN, FSN, priority octet
		if len(b) < 17 {
			return nil
		}
		sccp = mtp3(b[17:])
	default:
		return nil
	}
	return sccpData(sccp)
}

// sccpData returns the Data parameter of a connectionless SCCP message
// (Q.713 §4: UDT 0x09, UDTS 0x0a, XUDT 0x11, XUDTS 0x12).
func sccpData(b []byte) []byte {
	if len(b) < 5 {
		return nil
	}
	var ptr int
	switch b[0] {
	case 0x09, 0x0a:
		ptr = 4
	case 0x11, 0x12:
		ptr = 5
	default:
		return nil
	}
	if ptr >= len(b) {
		return nil
	}
	off := ptr + int(b[ptr])
	if off >= len(b) || off+1+int(b[off]) > len(b) {
		return nil
	}
	data := b[off+1 : off+1+int(b[off])]
	// SCCP management (SSN 1) and other users ride the same messages;
	// only an ITU TCAP message tag makes the data TCAP.
	if len(data) == 0 || !slices.Contains([]byte{0x61, 0x62, 0x64, 0x65, 0x67}, data[0]) {
		return nil
	}
	return data
}

// captureTCAP reads every TCAP message of a capture (SCTP reassembled by
// protocols/capture); missing files skip the test.
func captureTCAP(t *testing.T, path string, labelLen int) []ss7Message {
	t.Helper()
	r, err := capture.Open(path, capture.Options{})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			t.Skipf("%s absent", path)
		}
		t.Fatal(err)
	}
	defer r.Close()
	var out []ss7Message
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		var p *capture.Problem
		if errors.As(err, &p) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Transport != capture.TransportSCTP {
			continue
		}
		if tc := sigtranTCAP(m.PPID, m.Data, labelLen); tc != nil {
			out = append(out, ss7Message{m.Frame, bytes.Clone(tc)})
		}
	}
	return out
}

// --- tshark ------------------------------------------------------------

type pdmlField struct {
	Name     string      `xml:"name,attr"`
	Show     string      `xml:"show,attr"`
	ShowName string      `xml:"showname,attr"`
	Size     int         `xml:"size,attr"`
	Fields   []pdmlField `xml:"field"`
}

type pdmlPacket struct {
	Protos []pdmlField `xml:"proto"`
}

func (f *pdmlField) walk(fn func(*pdmlField)) {
	for i := range f.Fields {
		fn(&f.Fields[i])
		f.Fields[i].walk(fn)
	}
}

func (f *pdmlField) all(name string) []string {
	var out []string
	f.walk(func(c *pdmlField) {
		if c.Name == name {
			out = append(out, c.Show)
		}
	})
	return out
}

func (p *pdmlPacket) proto(name string) *pdmlField {
	for i := range p.Protos {
		if p.Protos[i].Name == name {
			return &p.Protos[i]
		}
	}
	return nil
}

func runTshark(t *testing.T, path string, opts ...string) []pdmlPacket {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	args := append([]string{"-n", "-r", path, "-T", "pdml"}, opts...)
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	var doc struct {
		Packets []pdmlPacket `xml:"packet"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Packets
}

// dissection is what both sides report for one TCAP message.
type dissection struct {
	Type       string
	OTID, DTID string // hex
	ACN        string // dotted
	PAbort     string
	Components int
	CompTypes  []string // MAP only: 1 invoke, 2 rrl, 3 re, 4 reject, 7 rrnl
	InvokeIDs  []string // MAP only, components with an invoke id
	Codes      []string // MAP only: operation (invoke, result) or error code
	IMSI       string
	Addr       map[string]string // first digits per kind
}

func (d dissection) String() string {
	keys := make([]string, 0, len(d.Addr))
	for k := range d.Addr {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var addr []string
	for _, k := range keys {
		addr = append(addr, k+"="+d.Addr[k])
	}
	return fmt.Sprintf("%s otid=%s dtid=%s acn=%s pabort=%s comps=%d types=%v ids=%v codes=%v imsi=%s %s",
		d.Type, d.OTID, d.DTID, d.ACN, d.PAbort, d.Components, d.CompTypes, d.InvokeIDs, d.Codes, d.IMSI, strings.Join(addr, " "))
}

// addressKinds maps MAP ASN.1 element names (tshark's showname prefixes)
// to the view field Decode fills from them.
var addressKinds = map[string]string{
	"msc-Number": "msc", "newMSC-Number": "msc", "newMSCNumber": "msc", "vmsc-Address": "msc",
	"gmsc-OrGsmSCF-Address": "msc", "networkNode-Number": "node",
	"vlr-Number": "vlr", "vlr-number": "vlr", "newVLR-Number": "vlr",
	"sgsn-Number": "sgsn", "newSGSNNumber": "sgsn",
	"hlr-Number":           "hlr",
	"gsmSCF-Address":       "scf",
	"serviceCentreAddress": "smsc", "serviceCentreAddressDA": "smsc", "serviceCentreAddressOA": "smsc",
	"forwardedToNumber": "ftn", "longForwardedToNumber": "ftn",
	"msisdn": "msisdn", "storedMSISDN": "msisdn",
}

// tsharkDissection reads one packet's TCAP (and MAP) as tshark did.
func tsharkDissection(p *pdmlPacket) (d dissection, ok bool) {
	tc := p.proto("tcap")
	if tc == nil {
		return d, false
	}
	for _, f := range tc.Fields {
		if name, found := strings.CutSuffix(f.Name, "_element"); found && strings.HasPrefix(name, "tcap.") {
			d.Type = strings.TrimPrefix(name, "tcap.")
		}
	}
	hexOf := func(s string) string { return strings.ReplaceAll(s, ":", "") }
	if v := tc.all("tcap.otid"); len(v) > 0 {
		d.OTID = hexOf(v[0])
	}
	if v := tc.all("tcap.dtid"); len(v) > 0 {
		d.DTID = hexOf(v[0])
	}
	if v := tc.all("tcap.application_context_name"); len(v) > 0 {
		d.ACN = v[0]
	}
	if v := tc.all("tcap.p_abortCause"); len(v) > 0 {
		d.PAbort = v[0]
	}
	if v := tc.all("tcap.components"); len(v) > 0 {
		d.Components, _ = strconv.Atoi(v[0])
	}
	d.Addr = map[string]string{}
	gprsNode := false
	var collect func(root *pdmlField)
	collect = func(root *pdmlField) {
		for i := range root.Fields {
			f := &root.Fields[i]
			name, _, found := strings.Cut(f.ShowName, ":")
			if strings.HasPrefix(f.ShowName, "hlr-List") {
				continue // HLR-Id ::= IMSI: leading IMSI digits naming HLRs, not a subscriber
			}
			if f.Name == "e212.imsi" && d.IMSI == "" {
				d.IMSI = f.Show
			}
			if strings.HasPrefix(f.ShowName, "gprsNodeIndicator") {
				gprsNode = true
			}
			if kind := addressKinds[name]; found && kind != "" && d.Addr[kind] == "" {
				f.walk(func(c *pdmlField) {
					if (c.Name == "e164.msisdn" || c.Name == "gsm_map.address.digits") && d.Addr[kind] == "" {
						d.Addr[kind] = c.Show
					}
				})
			}
			collect(f)
		}
	}
	collect(tc) // dialogue portion (MAP-OpenInfo)
	for i := range p.Protos {
		m := &p.Protos[i]
		if m.Name != "gsm_map" { // one per component
			continue
		}
		for _, f := range m.Fields {
			if f.Name != "gsm_map.old.Component" {
				continue
			}
			d.CompTypes = append(d.CompTypes, f.Show)
			f.walk(func(c *pdmlField) {
				switch c.Name {
				case "gsm_old.invokeID", "gsm_old.derivable":
					d.InvokeIDs = append(d.InvokeIDs, c.Show)
				case "gsm_old.localValue":
					d.Codes = append(d.Codes, c.Show)
				}
			})
		}
		collect(m)
	}
	if n := d.Addr["node"]; n != "" {
		delete(d.Addr, "node")
		kind := "msc"
		if gprsNode {
			kind = "sgsn"
		}
		if d.Addr[kind] == "" {
			d.Addr[kind] = n
		}
	}
	return d, true
}

// ourDissection is the same report from tcap.Parse and Decode. On a
// TCAP error it reports what Parse exposed (type, transaction ids).
func ourDissection(t *testing.T, b []byte, isMAP bool) (dissection, *view.Message, error) {
	t.Helper()
	var m tcap.Message
	perr := tcap.Parse(b, &m)
	d := dissection{Type: m.Type.String(), Components: m.NumComponents, Addr: map[string]string{}}
	if m.HasOTID {
		d.OTID = hex.EncodeToString(m.OTIDBytes)
	}
	if m.HasDTID {
		d.DTID = hex.EncodeToString(m.DTIDBytes)
	}
	if m.Dialogue.ACN != nil {
		d.ACN = string(ber.AppendOID(nil, m.Dialogue.ACN))
	}
	if m.HasPAbort {
		d.PAbort = strconv.Itoa(int(m.PAbortCause))
	}
	if perr != nil {
		return d, nil, perr
	}
	if isMAP {
		it := m.Components()
		for c, ok := it.Next(); ok; c, ok = it.Next() {
			d.CompTypes = append(d.CompTypes, strconv.Itoa(int(c.Type&0x1f)))
			if c.HasInvokeID {
				d.InvokeIDs = append(d.InvokeIDs, strconv.Itoa(int(c.InvokeID)))
			}
			switch {
			case c.Op.Kind == tcap.CodeLocal:
				d.Codes = append(d.Codes, strconv.FormatInt(c.Op.Local, 10))
			case c.Error.Kind == tcap.CodeLocal:
				d.Codes = append(d.Codes, strconv.FormatInt(c.Error.Local, 10))
			}
		}
	}
	v := new(view.Message)
	if err := Decode(&m, v); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	d.IMSI = v.IMSI.String()
	for kind, dg := range map[string]*view.Digits{"msc": &v.MSCNumber, "vlr": &v.VLRNumber, "sgsn": &v.SGSNNumber,
		"hlr": &v.HLRNumber, "scf": &v.GsmSCF, "smsc": &v.SMSC, "ftn": &v.ForwardedTo, "msisdn": &v.MSISDN} {
		if !dg.IsZero() {
			d.Addr[kind] = dg.String()
		}
	}
	return d, v, nil
}

// compare checks our report against tshark's. Addresses: every one we
// report must be tshark's first of that kind; tshark may report kinds we
// do not read (the operations without a table), listed in unread.
func compare(t *testing.T, name string, ours, theirs dissection, unread bool) {
	t.Helper()
	var bad []string
	if ours.Type != theirs.Type || ours.OTID != theirs.OTID || ours.DTID != theirs.DTID || ours.ACN != theirs.ACN ||
		ours.PAbort != theirs.PAbort || ours.Components != theirs.Components {
		bad = append(bad, "transaction/dialogue/component count")
	}
	if theirs.CompTypes != nil && (!slices.Equal(ours.CompTypes, theirs.CompTypes) || !slices.Equal(ours.InvokeIDs, theirs.InvokeIDs) ||
		!slices.Equal(ours.Codes, theirs.Codes)) {
		bad = append(bad, "components")
	}
	if ours.IMSI != theirs.IMSI && !(unread && ours.IMSI == "") {
		bad = append(bad, "IMSI")
	}
	for kind, v := range ours.Addr {
		if theirs.Addr[kind] != v {
			bad = append(bad, kind)
		}
	}
	if !unread {
		for kind, v := range theirs.Addr {
			if ours.Addr[kind] != v {
				bad = append(bad, kind+" (tshark only)")
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s: %v differ\n ours:   %v\n tshark: %v", name, bad, ours, theirs)
	}
}

// TestOracleCaptures compares tcap.Parse and Decode with tshark on every
// TCAP message of the public SS7 captures.
func TestOracleCaptures(t *testing.T) {
	files := []struct {
		name     string
		labelLen int
		opts     []string
		minTCAP  int
	}{
		{"map_timkam_updateLocation_invoke.pcap", 4, nil, 1},
		{"map_timkam_test_cgGT_in_end_of_msg.pcap", 4, nil, 1},
		{"map_timkam_test_continue.pcap", 4, nil, 1},
		{"map_timkam_test_could_not_find_comp.pcap", 4, nil, 1},
		{"map_timkam_test_long_length_continue2.pcap", 4, nil, 1},
		{"map_timkam_test_long_length_in_dialogue.pcap", 4, nil, 1},
		{"map_timkam_test_op_code.pcap", 4, nil, 1},
		{"map_timkam_test_payload_data.pcap", 4, nil, 1},
		{"map_timkam_test_retrans_no_chunk_data.pcap", 4, nil, 0},
		{"map_timkam_test_special.pcap", 4, nil, 1},
		{"map_timkam_test_unknown_tcap_tag.pcap", 4, nil, 1},
		{"ss7_arkime_m3ua_m2ua_camel_isup_synthetic.pcap", 4, nil, 12},
		{"ss7_ossie_japan_tcap_over_m2pa.pcap", 5, []string{"-o", "mtp3.standard:JAPAN"}, 2},
	}
	total, refused := 0, 0
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			path := filepath.Join(pcapDir, f.name)
			msgs := captureTCAP(t, path, f.labelLen)
			packets := runTshark(t, path, f.opts...)
			tsharkTCAP := 0
			for i := range packets {
				if packets[i].proto("tcap") != nil {
					tsharkTCAP++
				}
			}
			// protocols/capture treats a DATA chunk whose TSN it has seen on
			// the association (ports and verification tag: SCTP
			// multi-homing moves an association between address pairs) as a
			// retransmission; the synthetic Arkime capture replays the same
			// association from other addresses, which tshark counts again.
			if len(msgs) > tsharkTCAP || len(msgs) < f.minTCAP {
				t.Fatalf("%d TCAP messages, tshark %d (want >= %d)", len(msgs), tsharkTCAP, f.minTCAP)
			}
			if len(msgs) != tsharkTCAP {
				t.Logf("%d TCAP messages, tshark %d", len(msgs), tsharkTCAP)
			}
			for _, m := range msgs {
				if m.frame < 1 || m.frame > len(packets) {
					t.Fatalf("frame %d of %d", m.frame, len(packets))
				}
				p := &packets[m.frame-1]
				theirs, ok := tsharkDissection(p)
				if !ok {
					t.Fatalf("frame %d: tshark saw no TCAP", m.frame)
				}
				if size := p.proto("tcap").Size; size != 0 && size != len(m.tcap) && p.proto("sctp") != nil && len(p.Protos) > 0 {
					// A reassembled message is dissected from a new buffer
					// whose size tshark reports differently; others must match.
					if !strings.Contains(f.name, "arkime") {
						t.Errorf("frame %d: our TCAP is %d octets, tshark's %d", m.frame, len(m.tcap), size)
					}
				}
				ours, v, err := ourDissection(t, m.tcap, p.proto("gsm_map") != nil)
				if err != nil {
					// Stricter than tshark, which dissects what is there: the
					// message must really be broken, and what Parse exposes
					// must agree.
					if err != ber.ErrTruncated || len(m.tcap) < 2 || int(m.tcap[1]) <= len(m.tcap)-2 {
						t.Errorf("frame %d: %v on % x", m.frame, err, m.tcap)
					}
					if ours.Type != theirs.Type || ours.OTID != "" && ours.OTID != theirs.OTID {
						t.Errorf("frame %d: header of a refused message: %v, tshark %v", m.frame, ours, theirs)
					}
					refused++
					continue
				}
				compare(t, fmt.Sprintf("frame %d", m.frame), ours, theirs, v.Op == "" || lookup(int64(v.Code)) == nil || v.Invokes > 1)
				total++
			}
		})
	}
	t.Logf("%d TCAP messages compared, %d refused (outer length beyond the SCCP data)", total, refused)
}

// writeM3UAPcap writes one Ethernet/IPv4/SCTP/M3UA/SCCP-UDT frame per
// TCAP message (called SSN 6, calling SSN 7, routed on SSN; SCTP
// checksum left zero: tshark does not verify it by default).
func writeM3UAPcap(t *testing.T, path string, tcaps [][]byte) {
	t.Helper()
	be, le := binary.BigEndian, binary.LittleEndian
	pad4 := func(b []byte) []byte {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	var f bytes.Buffer
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1)
	f.Write(hdr)
	for i, tc := range tcaps {
		if len(tc) > 255 {
			t.Fatalf("message %d: %d octets does not fit a UDT", i, len(tc))
		}
		// SCCP UDT: type, class 0 + return on error, three pointers,
		// called (AI 0x42: route on SSN, SSN present) SSN 6, calling SSN 7, data.
		sccp := cat([]byte{0x09, 0x80, 3, 5, 7, 2, 0x42, 6, 2, 0x42, 7, byte(len(tc))}, tc)
		// M3UA DATA: Protocol Data (OPC, DPC, SI 3, NI 2, MP 0, SLS 0).
		pd := cat([]byte{0, 0, 0, 1, 0, 0, 0, 2, 3, 2, 0, 0}, sccp)
		param := make([]byte, 4, 4+len(pd))
		be.PutUint16(param[0:], 0x0210)
		be.PutUint16(param[2:], uint16(4+len(pd)))
		param = pad4(append(param, pd...))
		m3ua := make([]byte, 8, 8+len(param))
		copy(m3ua, []byte{1, 0, 1, 1})
		be.PutUint32(m3ua[4:], uint32(8+len(param)))
		m3ua = append(m3ua, param...)
		chunk := make([]byte, 16, 16+len(m3ua))
		chunk[0], chunk[1] = 0, 0x03
		be.PutUint16(chunk[2:], uint16(16+len(m3ua)))
		be.PutUint32(chunk[4:], uint32(i+1))
		be.PutUint16(chunk[8:], 1)
		be.PutUint16(chunk[10:], uint16(i))
		be.PutUint32(chunk[12:], 3)
		chunk = pad4(append(chunk, m3ua...))
		sctp := cat([]byte{0x0b, 0x59, 0x0b, 0x59, 0, 0, 0, 1, 0, 0, 0, 0}, chunk)
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 132
		be.PutUint16(ip[2:], uint16(20+len(sctp)))
		be.PutUint16(ip[4:], uint16(i+1))
		copy(ip[12:], []byte{192, 0, 2, 1})
		copy(ip[16:], []byte{192, 0, 2, 2})
		var sum uint32
		for j := 0; j < 20; j += 2 {
			sum += uint32(be.Uint16(ip[j:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		be.PutUint16(ip[10:], ^uint16(sum))
		frame := cat([]byte{0, 0, 0x5e, 0, 0x53, 2, 0, 0, 0x5e, 0, 0x53, 1, 0x08, 0x00}, ip, sctp)
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(1700000000+i))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		f.Write(rec)
		f.Write(frame)
	}
	if err := os.WriteFile(path, f.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tsharkComplaints lists what tshark flagged in a packet: malformed
// packets and expert warnings or errors (BER "wrong field", unknown
// elements, ...).
func tsharkComplaints(p *pdmlPacket) []string {
	var out []string
	for i := range p.Protos {
		pr := &p.Protos[i]
		if pr.Name == "_ws.malformed" {
			out = append(out, "malformed")
		}
		pr.walk(func(f *pdmlField) {
			switch {
			case f.Name == "_ws.malformed":
				out = append(out, "malformed: "+f.ShowName)
			case f.Name == "_ws.expert":
				sev := ""
				f.walk(func(c *pdmlField) {
					if c.Name == "_ws.expert.severity" {
						sev = c.Show
					}
				})
				// Severities: 0x00800000 warn, 0x00c00000 error (epan/proto.h PI_WARN, PI_ERROR).
				if n, _ := strconv.ParseUint(sev, 0, 32); n >= 0x00800000 {
					out = append(out, f.ShowName)
				}
			}
		})
	}
	return out
}

// TestOracleCrafted wraps every well-formed crafted message (but the MAP
// v1 forms: Wireshark reads v3 types) in
// M3UA/SCCP and has tshark dissect it: tshark must find nothing wrong with
// our encodings of the TS 29.002 types (which checks the tables' tags
// against Wireshark's ASN.1-generated dissector) and must read the same
// operation, identities and node numbers as Decode.
func TestOracleCrafted(t *testing.T) {
	var cases []decodeCase
	for _, c := range decodeCases() {
		if c.err == nil && c.want.malformed == "" && c.want.ac < 50 && !strings.Contains(c.name, "v1") {
			cases = append(cases, c)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "crafted.pcap")
	msgs := make([][]byte, len(cases))
	for i, c := range cases {
		msgs[i] = c.in
	}
	writeM3UAPcap(t, path, msgs)
	packets := runTshark(t, path)
	if len(packets) != len(cases) {
		t.Fatalf("tshark read %d packets of %d", len(packets), len(cases))
	}
	// Our own path through the pcap must find the same bytes.
	got := captureTCAP(t, path, 4)
	if len(got) != len(cases) {
		t.Fatalf("captureTCAP found %d of %d", len(got), len(cases))
	}
	for i, c := range cases {
		if !bytes.Equal(got[i].tcap, c.in) {
			t.Fatalf("%s: extraction differs", c.name)
		}
		p := &packets[i]
		if bad := tsharkComplaints(p); len(bad) > 0 {
			t.Errorf("%s: tshark complains: %v", c.name, bad)
		}
		theirs, ok := tsharkDissection(p)
		if !ok {
			t.Errorf("%s: tshark saw no TCAP", c.name)
			continue
		}
		ours, v, err := ourDissection(t, c.in, p.proto("gsm_map") != nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		compare(t, c.name, ours, theirs, v.Invokes > 1)
	}
	t.Logf("%d crafted messages compared", len(cases))
}
