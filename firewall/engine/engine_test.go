package engine

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"breakwater/firewall/config"
	"breakwater/firewall/rules"
	"breakwater/firewall/state"
	"breakwater/protocols/diameter"
	"breakwater/protocols/gtp"
	"breakwater/protocols/view"
)

const testConfig = `
home:
  plmns: ["310260"]
  realms: ["epc.mnc260.mcc310.3gppnetwork.org"]
  gt_prefixes: ["1206"]
  addresses: ["10.10.0.0/16"]
partners:
  - name: uk
    plmns: ["23415"]
    realms: ["epc.mnc015.mcc234.3gppnetwork.org"]
    gt_prefixes: ["447785"]
    addresses: ["192.0.2.0/24"]
  - name: au
    plmns: ["50502"]
    realms: ["epc.mnc002.mcc505.3gppnetwork.org"]
    gt_prefixes: ["614"]
    addresses: ["203.0.113.0/24"]
`

var (
	homeHSS = netip.MustParseAddrPort("10.10.1.1:3868")
	ukMME   = netip.MustParseAddrPort("192.0.2.10:3868")
	auMME   = netip.MustParseAddrPort("203.0.113.10:3868")
	t0      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

const homeIMSI = "310260000000001"

func newEngine(t testing.TB, rulesYAML string) *Engine {
	t.Helper()
	dir := t.TempDir()
	cfgText := testConfig
	if rulesYAML != "" {
		if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rulesYAML), 0o644); err != nil {
			t.Fatal(err)
		}
		cfgText += "rules: rules.yaml\n"
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	return New(p, NewMemoryState(cfg))
}

// s6aRequest builds an S6a request from a partner MME for imsi.
func s6aRequest(b *diameter.Builder, code uint32, imsi, realm string, plmn string, e2e uint32) []byte {
	b.Start(diameter.FlagRequest|diameter.FlagProxiable, code, diameter.AppS6aS6d, e2e, e2e).
		String(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, "mme;1;1").
		Uint32(diameter.AVPAuthApplicationID, 0, diameter.AVPFlagMandatory, diameter.AppS6aS6d).
		String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, "mme."+realm).
		String(diameter.AVPOriginRealm, 0, diameter.AVPFlagMandatory, realm).
		String(diameter.AVPDestinationRealm, 0, diameter.AVPFlagMandatory, "epc.mnc260.mcc310.3gppnetwork.org").
		String(diameter.AVPUserName, 0, diameter.AVPFlagMandatory, imsi)
	if plmn != "" {
		p, _ := view.ParsePLMN(plmn)
		enc := p.Encode()
		b.Bytes(diameter.AVPVisitedPLMNID, diameter.Vendor3GPP, diameter.AVPFlagMandatory, enc[:])
	}
	return b.Message()
}

func answer(b *diameter.Builder, code, result, e2e uint32) []byte {
	return b.Start(0, code, diameter.AppS6aS6d, e2e, e2e).
		String(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, "mme;1;1").
		Uint32(diameter.AVPResultCode, 0, diameter.AVPFlagMandatory, result).
		String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, "hss.epc.mnc260.mcc310.3gppnetwork.org").
		String(diameter.AVPOriginRealm, 0, diameter.AVPFlagMandatory, "epc.mnc260.mcc310.3gppnetwork.org").
		Message()
}

func judge(t testing.TB, e *Engine, raw []byte, src, dst netip.AddrPort, at time.Time) Verdict {
	t.Helper()
	var m view.Message
	diameter.Decode(raw, &m)
	m.Time, m.Src, m.Dst = at, src, dst
	return e.Judge(&m)
}

func expect(t *testing.T, v Verdict, action rules.Action, rule string) {
	t.Helper()
	if v.Action != action || v.Rule.ID != rule {
		t.Fatalf("verdict %s by %s, want %s by %s", v.Action, v.Rule.ID, action, rule)
	}
}

const ukRealm = "epc.mnc015.mcc234.3gppnetwork.org"
const auRealm = "epc.mnc002.mcc505.3gppnetwork.org"

func TestLocationLearnedFromAnswerAndVelocity(t *testing.T) {
	e := newEngine(t, "")
	var b diameter.Builder

	// A ULR from the UK is allowed but only pending until the HSS accepts it.
	expect(t, judge(t, e, s6aRequest(&b, diameter.CmdUpdateLocation, homeIMSI, ukRealm, "23415", 1), ukMME, homeHSS, t0), rules.Allow, "default")
	if locs, pending := e.State().Len(); locs != 0 || pending != 1 {
		t.Fatalf("after ULR: %d locations, %d pending; want 0, 1", locs, pending)
	}
	// The successful ULA commits the UK location.
	expect(t, judge(t, e, answer(&b, diameter.CmdUpdateLocation, diameter.ResultSuccess, 1), homeHSS, ukMME, t0.Add(time.Second)), rules.Allow, "default")
	if locs, pending := e.State().Len(); locs != 1 || pending != 0 {
		t.Fatalf("after ULA: %d locations, %d pending; want 1, 0", locs, pending)
	}
	// One hour later Australia claims the subscriber: impossible travel.
	v := judge(t, e, s6aRequest(&b, diameter.CmdAuthenticationInfo, homeIMSI, auRealm, "50502", 2), auMME, homeHSS, t0.Add(time.Hour))
	expect(t, v, rules.Reject, "DIA-C3-VELOCITY")
	if v.Partner() != "au" || v.Direction() != "inbound" {
		t.Fatalf("partner %q direction %q", v.Partner(), v.Direction())
	}
	// Thirty hours later the flight has landed.
	expect(t, judge(t, e, s6aRequest(&b, diameter.CmdUpdateLocation, homeIMSI, auRealm, "50502", 3), auMME, homeHSS, t0.Add(30*time.Hour)), rules.Allow, "default")
}

func TestFailedUpdateDoesNotMoveSubscriber(t *testing.T) {
	e := newEngine(t, "")
	var b diameter.Builder
	judge(t, e, s6aRequest(&b, diameter.CmdUpdateLocation, homeIMSI, ukRealm, "23415", 1), ukMME, homeHSS, t0)
	judge(t, e, answer(&b, diameter.CmdUpdateLocation, 5004, 1), homeHSS, ukMME, t0.Add(time.Second))
	if locs, _ := e.State().Len(); locs != 0 {
		t.Fatalf("a rejected ULR moved the subscriber (%d locations)", locs)
	}
	// An answer to a transaction nobody asked about commits nothing either.
	judge(t, e, answer(&b, diameter.CmdUpdateLocation, diameter.ResultSuccess, 99), homeHSS, ukMME, t0.Add(time.Second))
	if locs, _ := e.State().Len(); locs != 0 {
		t.Fatal("an unsolicited ULA moved the subscriber")
	}
}

func TestRejectOfAnswerBecomesDrop(t *testing.T) {
	e := newEngine(t, "")
	var b diameter.Builder
	// An answer from the UK claiming a home Origin-Realm is spoofed; it
	// cannot be answered, so it is dropped.
	raw := b.Start(0, diameter.CmdInsertSubscriberData, diameter.AppS6aS6d, 5, 5).
		String(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, "x").
		Uint32(diameter.AVPResultCode, 0, diameter.AVPFlagMandatory, 2001).
		String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, "mme.epc.mnc260.mcc310.3gppnetwork.org").
		String(diameter.AVPOriginRealm, 0, diameter.AVPFlagMandatory, "epc.mnc260.mcc310.3gppnetwork.org").
		Message()
	expect(t, judge(t, e, raw, ukMME, homeHSS, t0), rules.Drop, "DIA-C2-ORIGIN-REALM-HOME")
}

func TestTiersAndRuleFile(t *testing.T) {
	e := newEngine(t, `
disable: [DIA-C2-NOT-HOME-SUB]
override:
  - id: DIA-C3-VELOCITY
    action: log
rules:
  - id: ALLOW-EVERYTHING-FROM-UK
    category: other
    match: 'partner == "uk"'
    action: allow
  - id: WATCH-AU
    match: 'partner == "au"'
    action: log
`)
	var b diameter.Builder
	// A custom allow cannot wave through a malformed message: guards first.
	bad := s6aRequest(&b, diameter.CmdUpdateLocation, "not-an-imsi", ukRealm, "23415", 1)
	expect(t, judge(t, e, bad, ukMME, homeHSS, t0), rules.Drop, "MALFORMED")
	// A custom allow precedes the baseline.
	idr := s6aRequest(&b, diameter.CmdInsertSubscriberData, homeIMSI, ukRealm, "", 2)
	expect(t, judge(t, e, idr, ukMME, homeHSS, t0), rules.Allow, "ALLOW-EVERYTHING-FROM-UK")
	// Log rules are recorded and evaluation continues to the baseline.
	v := judge(t, e, s6aRequest(&b, diameter.CmdInsertSubscriberData, homeIMSI, auRealm, "", 3), auMME, homeHSS, t0)
	expect(t, v, rules.Reject, "DIA-C2-HSS-HOME-IMSI")
	if v.NLog != 1 || v.Logged[0].ID != "WATCH-AU" {
		t.Fatalf("logged %d rules, first %v", v.NLog, v.Logged[0])
	}
	// A disabled baseline rule no longer decides.
	expect(t, judge(t, e, s6aRequest(&b, diameter.CmdUpdateLocation, "505020000000001", auRealm, "50502", 4), auMME, homeHSS, t0), rules.Allow, "default")
}

func TestPolicySwap(t *testing.T) {
	e := newEngine(t, "")
	var b diameter.Builder
	idr := s6aRequest(&b, diameter.CmdInsertSubscriberData, homeIMSI, ukRealm, "", 1)
	expect(t, judge(t, e, idr, ukMME, homeHSS, t0), rules.Reject, "DIA-C2-HSS-HOME-IMSI")
	relaxed := newEngine(t, "disable: [DIA-C2-HSS-HOME-IMSI, DIA-C2-HSS-FOREIGN-IMSI]\n")
	e.SetPolicy(relaxed.Policy())
	expect(t, judge(t, e, idr, ukMME, homeHSS, t0), rules.Allow, "default")
	if e.Stats.Judged() != 2 || e.Stats.Rejected() != 1 || e.Stats.Allowed() != 1 {
		t.Fatalf("stats judged=%d rejected=%d allowed=%d", e.Stats.Judged(), e.Stats.Rejected(), e.Stats.Allowed())
	}
}

func TestJudgeDoesNotAllocate(t *testing.T) {
	e := newEngine(t, `
rules:
  - id: CUSTOM
    match: 'op in ["UDR", "PLR"] && has_prefix(imsi, ["310260"]) && avp_int("Auth-Session-State") != 7'
    action: drop
`)
	var b diameter.Builder
	msgs := [][]byte{
		append([]byte(nil), s6aRequest(&b, diameter.CmdUpdateLocation, homeIMSI, ukRealm, "23415", 1)...),
		append([]byte(nil), s6aRequest(&b, diameter.CmdInsertSubscriberData, homeIMSI, ukRealm, "", 2)...),
		append([]byte(nil), answer(&b, diameter.CmdUpdateLocation, diameter.ResultSuccess, 1)...),
	}
	src := []netip.AddrPort{ukMME, ukMME, homeHSS}
	dst := []netip.AddrPort{homeHSS, homeHSS, ukMME}
	var m view.Message
	for i, raw := range msgs {
		run := func() {
			diameter.Decode(raw, &m)
			m.Time, m.Src, m.Dst = t0, src[i], dst[i]
			e.Judge(&m)
		}
		run() // warm the state tables
		if n := testing.AllocsPerRun(200, run); n != 0 {
			t.Errorf("message %d: %v allocations per decode+judge", i, n)
		}
	}
}

type benchCase struct {
	name     string
	raw      []byte
	src, dst netip.AddrPort
}

// benchCases are an allowed location update, a rejected tracking probe and
// a home answer: the three paths through the engine.
func benchCases() []benchCase {
	var bld diameter.Builder
	return []benchCase{
		{"ULR-allowed", append([]byte(nil), s6aRequest(&bld, diameter.CmdUpdateLocation, homeIMSI, ukRealm, "23415", 1)...), ukMME, homeHSS},
		{"IDR-rejected", append([]byte(nil), s6aRequest(&bld, diameter.CmdInsertSubscriberData, homeIMSI, ukRealm, "", 2)...), ukMME, homeHSS},
		{"ULA-outbound", append([]byte(nil), answer(&bld, diameter.CmdUpdateLocation, diameter.ResultSuccess, 1)...), homeHSS, ukMME},
	}
}

// BenchmarkDecodeJudge measures the per-message hot path: parse, build the
// view, evaluate every applicable rule, learn.
func BenchmarkDecodeJudge(b *testing.B) {
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			e := newEngine(b, "")
			j := e.NewJudge()
			var m view.Message
			b.ReportAllocs()
			b.SetBytes(int64(len(c.raw)))
			for b.Loop() {
				diameter.Decode(c.raw, &m)
				m.Time, m.Src, m.Dst = t0, c.src, c.dst
				j.Judge(&m)
			}
		})
	}
}

// BenchmarkJudge measures evaluation alone, on an already decoded view.
func BenchmarkJudge(b *testing.B) {
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			e := newEngine(b, "")
			j := e.NewJudge()
			var m view.Message
			diameter.Decode(c.raw, &m)
			m.Time, m.Src, m.Dst = t0, c.src, c.dst
			b.ReportAllocs()
			for b.Loop() {
				j.Judge(&m)
			}
		})
	}
}

// BenchmarkDecodeJudgeGTP measures the GTP-C hot path: parse, judge, learn.
func BenchmarkDecodeJudgeGTP(b *testing.B) {
	var bld gtp.Builder
	sgw := netip.MustParseAddrPort("192.0.2.10:2123")
	pgw := netip.MustParseAddrPort("10.10.1.1:2123")
	ss := view.PLMN{MCC: 234, MNC: 15, MNCLen: 2}.Encode()
	csr := append([]byte(nil), bld.StartV2(32, true, 0, 1).
		IE(gtp.IEIMSI, 0, gtp.TBCD(homeIMSI)).
		IE(gtp.IERATType, 0, []byte{6}).
		IE(gtp.IEServingNetwork, 0, ss[:]).
		IE(gtp.IEFTEID, 0, gtp.FTEID(6, 0x1111, sgw.Addr())).
		IE(gtp.IEAPN, 0, []byte("\x08internet")).
		Group(gtp.IEBearerContext, 0).IE(gtp.IEEBI, 0, []byte{5}).IE(gtp.IEFTEID, 2, gtp.FTEID(4, 0x9999, sgw.Addr())).End().
		Message()...)
	mbr := append([]byte(nil), bld.StartV2(34, true, 0x2222, 2).IE(gtp.IERATType, 0, []byte{6}).Message()...)
	ctx := append([]byte(nil), bld.StartV2(130, true, 0, 3).IE(gtp.IEIMSI, 0, gtp.TBCD(homeIMSI)).Message()...)
	cases := []struct {
		name string
		raw  []byte
	}{{"CreateSession-allowed", csr}, {"ModifyBearer-owned-session", mbr}, {"ContextRequest-rejected", ctx}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := newEngine(b, "")
			// The session behind TEID 0x2222 belongs to the UK partner.
			e.State().SetSession(state.NodeKey(pgw.Addr(), 0x2222), state.Session{Partner: "uk", Created: t0})
			j := e.NewJudge()
			var m view.Message
			b.ReportAllocs()
			seq := uint32(0)
			for b.Loop() {
				seq++
				gtp.SetSequence(c.raw, seq) // a new request each time, as on the wire
				gtp.Decode(c.raw, &m)
				m.Time, m.Src, m.Dst = t0, sgw, pgw
				j.Judge(&m)
			}
		})
	}
}
