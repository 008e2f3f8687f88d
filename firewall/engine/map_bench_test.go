package engine

import (
	"net/netip"
	"testing"
	"time"

	"breakwater/firewall/rules"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/sigtran"
	"breakwater/protocols/view"

	"breakwater/internal/bertest"
)

// Hand-built SS7 messages for the MAP benchmarks: BER by hand, so that
// what is measured is the parsers, not a test encoder.

var (
	tlv  = bertest.TLV
	tbcd = bertest.TBCD
	isdn = bertest.ISDN
)

// gtAddress is an SCCP party address routed on GT (GT indicator 4: TT 0,
// E.164, international) with an SSN.
func gtAddress(ssn byte, digits string) []byte {
	es := byte(0x12) // E.164, BCD even
	if len(digits)%2 == 1 {
		es = 0x11
	}
	return append([]byte{0x12, ssn, 0x00, es, 0x04}, tbcd(digits)...)
}

// udt wraps TCAP data in an SCCP UDT (Q.713 §4.10).
func udt(called, calling, data []byte) []byte {
	lc, lg := len(called), len(calling)
	b := []byte{0x09, 0x00, 3, byte(3 + lc), byte(3 + lc + lg)}
	b = append(b, byte(lc))
	b = append(b, called...)
	b = append(b, byte(lg))
	b = append(b, calling...)
	b = append(b, byte(len(data)))
	return append(b, data...)
}

// begin is a TCAP Begin with a MAP dialogue (AARQ for application context
// ac, version ver) and one Invoke.
func begin(otid uint32, ac, ver byte, invokeID, op byte, arg []byte) []byte {
	return beginInvokes(otid, ac, ver, invoke(invokeID, op, arg))
}

// beginInvokes is begin with the given components.
func beginInvokes(otid uint32, ac, ver byte, components ...[]byte) []byte {
	aarq := tlv(0x60, []byte{0x80, 0x02, 0x07, 0x80}, tlv(0xa1, tlv(0x06, []byte{0x04, 0x00, 0x00, 0x01, 0x00, ac, ver})))
	ext := tlv(0x28, tlv(0x06, []byte{0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01}), tlv(0xa0, aarq))
	return tlv(0x62, tlv(0x48, []byte{byte(otid >> 24), byte(otid >> 16), byte(otid >> 8), byte(otid)}), tlv(0x6b, ext), tlv(0x6c, components...))
}

func invoke(id, op byte, arg []byte) []byte {
	return tlv(0xa1, tlv(0x02, []byte{id}), tlv(0x02, []byte{op}), arg)
}

func m3uaData(tcapMsg []byte, called, calling []byte) []byte {
	var bld m3ua.Builder
	d := m3ua.Data{ProtocolData: m3ua.ProtocolData{OPC: 1001, DPC: 2002, SI: m3ua.SISCCP, SLS: 5,
		UserData: udt(called, calling, tcapMsg)}}
	return append([]byte(nil), bld.Data(&d)...)
}

type mapCase struct {
	name     string
	raw      []byte
	src, dst netip.AddrPort
	want     string // the rule expected to decide
}

func mapBenchCases() []mapCase {
	ukVLR := netip.MustParseAddrPort("192.0.2.30:2905")
	homeHLR := netip.MustParseAddrPort("10.10.1.6:2905")
	hlrGT, vlrGT := gtAddress(6, "12065550001"), gtAddress(7, "447785000010")
	// anyTimeInterrogation (71), anyTimeInfoEnquiry context (29) v3:
	// subscriberIdentity [0] { imsi [0] }, requestedInfo [1] {
	// locationInformation [0] NULL }, gsmSCF-Address [3].
	ati := tlv(0x30, tlv(0xa0, tlv(0x80, tbcd(homeIMSI))), tlv(0xa1, []byte{0x80, 0x00}), tlv(0x83, isdn("447785000099")))
	// updateLocation (2), networkLocUp (1) v3: imsi, msc-Number [1],
	// vlr-Number.
	ul := tlv(0x30, tlv(0x04, tbcd(homeIMSI)), tlv(0x81, isdn("447785000010")), tlv(0x04, isdn("447785000010")))
	return []mapCase{
		{"ATI-rejected", m3uaData(begin(0x1001, 29, 3, 1, 71, ati), hlrGT, vlrGT), ukVLR, homeHLR, "MAP-C1-OPERATION"},
		{"UL-allowed", m3uaData(begin(0x1002, 1, 3, 1, 2, ul), hlrGT, vlrGT), ukVLR, homeHLR, "default"},
	}
}

// TestMAPBenchCases makes sure the benchmarks measure the verdicts they
// claim to.
func TestMAPBenchCases(t *testing.T) {
	for _, c := range mapBenchCases() {
		e := newEngine(t, "")
		d := sigtran.NewDecoder(sccp.ReassemblyConfig{}, nil)
		var m view.Message
		if res, err := d.Decode(t0, c.raw, &m); res != sigtran.Message || err != nil || m.Malformed != "" {
			t.Fatalf("%s: %v %v %q", c.name, res, err, m.Malformed)
		}
		m.Time, m.Src, m.Dst = t0, c.src, c.dst
		if v := e.Judge(&m); v.Rule.ID != c.want {
			t.Errorf("%s: decided by %s, want %s", c.name, v.Rule.ID, c.want)
		}
	}
}

// BenchmarkDecodeJudgeMAP: M3UA DATA + SCCP UDT + TCAP + MAP decode and
// judgement, per message.
func BenchmarkDecodeJudgeMAP(b *testing.B) {
	for _, c := range mapBenchCases() {
		b.Run(c.name, func(b *testing.B) {
			e := newEngine(b, "")
			j := e.NewJudge()
			d := sigtran.NewDecoder(sccp.ReassemblyConfig{}, nil)
			var m view.Message
			b.ReportAllocs()
			b.SetBytes(int64(len(c.raw)))
			now := t0
			for b.Loop() {
				now = now.Add(time.Hour) // each update is plausible travel
				d.Decode(now, c.raw, &m)
				m.Time, m.Src, m.Dst = now, c.src, c.dst
				j.Judge(&m)
			}
		})
	}
}

// TestJudgeInvokesCountsOneMessage: a TCAP message with two Invokes (an
// updateLocation, then an activateTraceMode — both of networkLocUp) is
// blocked by the second
// and counted as one message, with the deciding rule's hit only; an
// all-allowed one is one allowed message.
func TestJudgeInvokesCountsOneMessage(t *testing.T) {
	ukVLR := netip.MustParseAddrPort("192.0.2.30:2905")
	homeHLR := netip.MustParseAddrPort("10.10.1.6:2905")
	hlrGT, vlrGT := gtAddress(6, "12065550001"), gtAddress(7, "447785000010")
	ul := tlv(0x30, tlv(0x04, tbcd(homeIMSI)), tlv(0x81, isdn("447785000010")), tlv(0x04, isdn("447785000010")))
	// ActivateTraceModeArg ::= SEQUENCE { imsi [0], traceReference [1], traceType [2], ... }
	trace := tlv(0x30, tlv(0x80, tbcd(homeIMSI)), tlv(0x81, []byte{1, 2}), tlv(0x82, []byte{1}))
	two := func(otid uint32, op2 byte, arg2 []byte) []byte {
		return beginInvokes(otid, 1, 3, invoke(1, 2, ul), invoke(2, op2, arg2))
	}
	e := newEngine(t, "")
	j := e.NewJudge()
	d := sigtran.NewDecoder(sccp.ReassemblyConfig{}, nil)
	var m, extra view.Message
	for i, c := range []struct {
		raw  []byte
		rule string
		idx  int
	}{
		{m3uaData(two(0x2001, 50, trace), hlrGT, vlrGT), "MAP-C1-OPERATION", 1},
		{m3uaData(two(0x2002, 2, ul), hlrGT, vlrGT), "default", 0},
	} {
		before := e.Stats.Judged()
		set := e.Policy().Rules
		hits := func() (total, decided uint64) {
			for _, r := range append([]*rules.Rule{rules.DefaultRule}, set.Rules...) {
				total += set.Hits(r)
				if r.ID == c.rule {
					decided = set.Hits(r)
				}
			}
			return total, decided
		}
		totalBefore, decidedBefore := hits()
		if res, err := d.Decode(t0, c.raw, &m); res != sigtran.Message || err != nil || d.Invokes() != 2 {
			t.Fatalf("case %d: %v %v %q, %d invokes", i, res, err, m.Malformed, d.Invokes())
		}
		m.Time, m.Src, m.Dst = t0, ukVLR, homeHLR
		v, idx := j.JudgeInvokes(&m, d, &extra)
		if v.Rule.ID != c.rule || idx != c.idx {
			t.Fatalf("case %d: %s at Invoke %d, want %s at %d", i, v.Rule.ID, idx, c.rule, c.idx)
		}
		if n := e.Stats.Judged() - before; n != 1 {
			t.Errorf("case %d: counted as %d messages", i, n)
		}
		if total, decided := hits(); total-totalBefore != 1 || decided-decidedBefore != 1 {
			t.Errorf("case %d: rule hits moved by %d (%s by %d), want 1", i, total-totalBefore, c.rule, decided-decidedBefore)
		}
	}
}
