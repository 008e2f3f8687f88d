package sccp

// tshark's SCCP and SCCP management dissectors as an independent oracle,
// on the public captures and on crafted messages of every shape.

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"breakwater/protocols/m3ua"
	"breakwater/protocols/m3ua/m3uatest"
)

type addrView struct {
	Reserved, RI, GTI, SSNI, PCI, PC, SSN string
	TT, NP, ES, NAI, OE, Digits           string
}

type sccpView struct {
	Type, Class, Handling, Hops, Cause   string
	Called, Calling                      addrView
	First, SegClass, Remaining, LocalRef string
	Importance                           string
}

type scmgView struct{ Type, SSN, PC, SMI, Congestion string }

func num(s string) string {
	if s == "" {
		return ""
	}
	if v := m3uatest.Num(s); v >= 0 {
		return strconv.FormatInt(v, 10)
	}
	return "?" + s
}

func tsharkAddr(p *m3uatest.Field, prefix string) addrView {
	f := func(n string) string { return num(p.First(prefix + n)) }
	return addrView{Reserved: f("reserved"), RI: f("ri"), GTI: f("gti"), SSNI: f("ssni"), PCI: f("pci"), PC: f("pc"), SSN: f("ssn"),
		TT: f("tt"), NP: f("np"), ES: f("es"), NAI: f("nai"), OE: f("oe"), Digits: p.First(prefix + "digits")}
}

func tsharkSCCP(p *m3uatest.Field, full bool) sccpView {
	v := sccpView{Type: num(p.First("sccp.message_type"))}
	if !full {
		return v
	}
	f := func(n string) string { return num(p.First(n)) }
	v.Class, v.Handling, v.Hops, v.Cause = f("sccp.class"), f("sccp.handling"), f("sccp.hops"), f("sccp.return_cause")
	v.Called, v.Calling = tsharkAddr(p, "sccp.called."), tsharkAddr(p, "sccp.calling.")
	v.First, v.SegClass, v.Remaining, v.LocalRef = f("sccp.segmentation.first"), f("sccp.segmentation.class"), f("sccp.segmentation.remaining"), f("sccp.segmentation.slr")
	v.Importance = f("sccp.importance")
	return v
}

// tsharkDigits spells our digits the way tshark 4.0 does: codes 11 and 12
// as "11" and "12", ST as "ST", the spare codes as "(spare)".
func tsharkDigits(d string) string {
	var sb strings.Builder
	for _, c := range d {
		switch c {
		case 'B':
			sb.WriteString("11")
		case 'C':
			sb.WriteString("12")
		case 'F':
			sb.WriteString("ST")
		case 'A', 'D', 'E':
			sb.WriteString("(spare)")
		default:
			sb.WriteRune(c)
		}
	}
	return sb.String()
}

func ourAddr(a *Address) addrView {
	u := func(v uint8) string { return strconv.Itoa(int(v)) }
	b := func(x bool) string {
		if x {
			return "1"
		}
		return "0"
	}
	v := addrView{Reserved: b(a.National), RI: b(a.RouteOnSSN), GTI: u(a.GTI), SSNI: b(a.HasSSN), PCI: b(a.HasPC)}
	if a.HasPC {
		v.PC = strconv.Itoa(int(a.PC))
	}
	if a.HasSSN {
		v.SSN = u(a.SSN)
	}
	g := &a.GT
	switch a.GTI {
	case GTINAI:
		v.NAI, v.OE = u(g.NAI), b(g.Odd)
	case GTITT:
		v.TT = u(g.TT)
	case GTITTNPES:
		v.TT, v.NP, v.ES = u(g.TT), u(g.NP), u(g.ES)
	case GTITTNPESNAI:
		v.TT, v.NP, v.ES, v.NAI = u(g.TT), u(g.NP), u(g.ES), u(g.NAI)
	}
	if a.GTI != GTINone {
		v.Digits = tsharkDigits(g.Digits().String())
	}
	return v
}

func ourSCCP(m *Message) sccpView {
	u := func(v uint8) string { return strconv.Itoa(int(v)) }
	v := sccpView{Type: u(uint8(m.Type))}
	if !m.Type.Connectionless() {
		return v
	}
	if m.Type.Service() {
		v.Cause = u(m.ReturnCause)
	} else {
		v.Class, v.Handling = u(m.Class()), u(m.ProtocolClass>>4)
	}
	if layouts[m.Type].hop {
		v.Hops = u(m.HopCounter)
	}
	v.Called, v.Calling = ourAddr(&m.Called), ourAddr(&m.Calling)
	if s := m.Segmentation; m.HasSegmentation {
		v.First, v.SegClass, v.Remaining, v.LocalRef = "0", u(s.Class), u(s.Remaining), strconv.Itoa(int(s.LocalRef))
		if s.First {
			v.First = "1"
		}
	}
	if m.HasImportance {
		v.Importance = u(m.Importance)
	}
	return v
}

// oracleMessages are crafted SCCP messages of every type and address form.
func oracleMessages() map[string][]byte {
	udt := func(called, calling []byte) []byte {
		return tmsg{typ: TypeUDT, first: 0x81, called: called, calling: calling, data: []byte{0x00}}.encode()
	}
	scmg := func(data []byte) []byte {
		return tmsg{typ: TypeUDT, called: hx("42 01"), calling: hx("43 b7 09 01"), data: data}.encode()
	}
	out := map[string][]byte{
		"UDT vector":           udtVector,
		"UDTS vector":          udtsVector,
		"XUDT vector":          xudtVector,
		"LUDT vector":          ludtVector,
		"GTI 1 odd":            udt(hx("06 06 84 21 43 05"), pcssn(1, 8)),
		"GTI 1 even":           udt(hx("04 04 21 43"), hx("07 06 00 00 83 21 f3")),
		"GTI 2":                udt(hx("0a 06 0a 21 43 05"), pcssn(100, 8)),
		"GTI 3 even":           udt(hx("0e 06 00 72 21 43"), gt4(7, "4477")),
		"GTI 3 odd":            udt(hx("0f 4c 04 06 00 71 21 03"), gt4(149, "35")),
		"GTI 4 with PC":        udt(hx("13 b7 09 06 00 12 04 21 43"), gt4(6, "1")),
		"non-decimal digits":   udt(gt4(6, "12BCADEF"), gt4(7, "1F3")),
		"32 digits":            udt(gt4(6, strings.Repeat("9", 32)), gt4(7, strings.Repeat("8", 31))),
		"national bit":         udt(hx("c2 06"), pcssn(1, 8)),
		"PC spare bits":        udt(hx("43 b7 c9 06"), pcssn(0x3fff, 0)),
		"route on SSN, no SSN": udt(hx("41 b7 09"), pcssn(1, 146)),
		"XUDT middle segment":  tmsg{typ: TypeXUDT, first: 1, hop: 7, called: gt4(6, "447785"), calling: gt4(7, "491"), data: []byte{9, 9}, opt: seg(false, 1, 5, 0xabcdef)}.encode(),
		// TCAP Abort: tshark stops at an exception in the user data, before
		// the optional part.
		"XUDT importance only":  tmsg{typ: TypeXUDT, hop: 1, called: gt4(6, "447785"), calling: gt4(7, "491"), data: hx("67 06 49 04 01 02 03 04"), opt: hx("12 01 06 00")}.encode(),
		"XUDT no optional part": tmsg{typ: TypeXUDT, hop: 15, called: gt4(6, "447785"), calling: gt4(7, "491"), data: []byte{9}}.encode(),
		"XUDTS":                 tmsg{typ: TypeXUDTS, first: CauseHopCounterViolation, hop: 0, called: gt4(7, "491"), calling: gt4(6, "447785"), data: []byte{9}, opt: seg(true, 0, 2, 1)}.encode(),
		"LUDT long":             tmsg{typ: TypeLUDT, first: 1, hop: 9, called: gt4(6, "447785"), calling: gt4(7, "491"), data: bytes.Repeat([]byte{0x30}, 600), opt: seg(true, 1, 0, 77)}.encode(),
		"LUDTS":                 tmsg{typ: TypeLUDTS, first: CauseSegmentationFailure, hop: 2, called: gt4(7, "491"), calling: pcssn(2, 6), data: []byte{1, 2}, opt: hx("12 01 03 00")}.encode(),
		"SCMG SSA":              scmg(hx("01 06 b7 09 00")),
		"SCMG SSP":              scmg(hx("02 06 b7 09 00")),
		"SCMG SST":              scmg(hx("03 08 b7 09 01")),
		"SCMG SOR":              scmg(hx("04 08 b7 09 02")),
		"SCMG SOG":              scmg(hx("05 08 b7 09 03")),
		"SCMG SSC":              scmg(hx("06 92 ff 3f 00 05")),
		"CR":                    hx("01 01 02 03 02 02 04 02 42 06 00"),
		"CC":                    hx("02 01 02 03 04 05 06 02 00"),
		"RLSD":                  hx("04 01 02 03 04 05 06 03 00"),
		"RLC":                   hx("05 01 02 03 04 05 06"),
		"DT1":                   hx("06 01 02 03 00 01 01 00"),
		"IT":                    hx("10 01 02 03 04 05 06 02 00 00 00"),
	}
	return out
}

// TestOracleTshark compares our decoding of every SCCP message carried by
// M3UA with tshark's: the public captures, and the crafted messages written
// into a capture inside M3UA DATA.
func TestOracleTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	compared, scmgs := 0, 0
	check := func(t *testing.T, path string, frames []m3uatest.Frame) {
		pkts, err := m3uatest.Tshark(tshark, path)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) != len(frames) {
			t.Fatalf("tshark: %d packets, gopacket %d", len(pkts), len(frames))
		}
		for i, f := range frames {
			if f.Incomplete || len(f.Messages) == 0 {
				continue
			}
			var ours []*Message
			var mgs []SCMG
			for _, b := range f.Messages {
				var d m3ua.Data
				if m3ua.ParseData(b, &d) != nil || d.SI != m3ua.SISCCP {
					continue
				}
				m := new(Message)
				if err := Parse(d.UserData, m); err != nil {
					t.Errorf("frame %d: %v", f.Number, err)
					continue
				}
				ours = append(ours, m)
				if m.IsSCMG() {
					s, err := ParseSCMG(m.Data)
					if err != nil {
						t.Errorf("frame %d: SCMG: %v", f.Number, err)
					}
					mgs = append(mgs, s)
				}
			}
			protos := pkts[i].Protocols("sccp")
			if len(protos) != len(ours) {
				t.Errorf("frame %d: tshark %d SCCP messages, we %d", f.Number, len(protos), len(ours))
				continue
			}
			for k, p := range protos {
				got, want := ourSCCP(ours[k]), tsharkSCCP(p, ours[k].Type.Connectionless())
				for _, a := range []*Address{&ours[k].Called, &ours[k].Calling} {
					if a.GTI != GTINone && !a.GT.IsBCD() {
						// Not BCD: we keep the signals undecoded; tshark
						// decodes them as BCD regardless.
						got.Called.Digits, want.Called.Digits = "", ""
						got.Calling.Digits, want.Calling.Digits = "", ""
					}
				}
				if got != want {
					t.Errorf("frame %d message %d\n  ours   %+v\n  tshark %+v", f.Number, k, got, want)
				}
				compared++
			}
			mps := pkts[i].Protocols("sccpmg")
			if len(mps) != len(mgs) {
				t.Errorf("frame %d: tshark %d SCMG messages, we %d", f.Number, len(mps), len(mgs))
				continue
			}
			for k, p := range mps {
				s := mgs[k]
				got := scmgView{Type: strconv.Itoa(int(s.Format)), SSN: strconv.Itoa(int(s.AffectedSSN)), PC: strconv.Itoa(int(s.AffectedPC)), SMI: strconv.Itoa(int(s.SMI))}
				if s.Format == SCMGSSC {
					got.Congestion = strconv.Itoa(int(s.CongestionLevel))
				}
				want := scmgView{Type: num(p.First("sccpmg.message_type")), SSN: num(p.First("sccpmg.ssn")), PC: num(p.First("sccpmg.pc")),
					SMI: num(p.First("sccpmg.smi")), Congestion: num(p.First("sccpmg.congestion"))}
				if got != want {
					t.Errorf("frame %d SCMG %d\n  ours   %+v\n  tshark %+v", f.Number, k, got, want)
				}
				scmgs++
			}
		}
	}
	for _, path := range captures(t) {
		frames, err := m3uatest.ReadPcap(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(path), func(t *testing.T) { check(t, path, frames) })
	}
	crafted := oracleMessages()
	var names []string
	for n := range crafted {
		names = append(names, n)
	}
	slices.Sort(names)
	var msgs [][]byte
	frames := make([]m3uatest.Frame, len(names))
	var b m3ua.Builder
	for i, n := range names {
		var m Message
		if err := Parse(crafted[n], &m); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		d := m3ua.Data{ProtocolData: m3ua.ProtocolData{OPC: 2487, DPC: 4848, SI: m3ua.SISCCP, NI: m3ua.NIInternational, UserData: crafted[n]}}
		msg := bytes.Clone(b.Data(&d))
		msgs = append(msgs, msg)
		frames[i] = m3uatest.Frame{Number: i + 1, Messages: [][]byte{msg}}
	}
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	if err := m3uatest.WritePcap(path, msgs); err != nil {
		t.Fatal(err)
	}
	t.Run("crafted", func(t *testing.T) { check(t, path, frames) })
	t.Logf("%d SCCP and %d SCMG messages agree with tshark", compared, scmgs)
	if compared < len(names)+10 {
		t.Errorf("only %d messages compared", compared)
	}
}
