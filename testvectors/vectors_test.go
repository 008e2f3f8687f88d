package testvectors

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/firewall/baseline"
	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/firewall/replay"
	"breakwater/firewall/rules"
	"breakwater/protocols/diameter"
	"breakwater/protocols/gtp"
	"breakwater/protocols/sccp"
	"breakwater/protocols/sigtran"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

const regenerate = "run `go run ./testvectors/gen`"

// suite is one scenario file and its generated capture.
type suite struct {
	name       string
	yaml, pcap string

	once sync.Once
	f    *File
	cfg  *config.Config
	err  error
}

// suites are every scenario file; the tests run on each.
var suites = []*suite{
	{name: "diameter", yaml: "diameter/scenarios.yaml", pcap: "diameter/scenarios.pcap"},
	{name: "gtp", yaml: "gtp/scenarios.yaml", pcap: "gtp/scenarios.pcap"},
	{name: "map", yaml: "map/scenarios.yaml", pcap: "map/scenarios.pcap"},
}

// load reads the suite's scenario file and its configuration once per
// test binary.
func (s *suite) load(t testing.TB) (*File, *config.Config) {
	t.Helper()
	s.once.Do(func() {
		s.f, s.err = Load(s.yaml)
		if s.err != nil {
			return
		}
		if s.f.Config == "" {
			s.err = fmt.Errorf("%s names no config", s.yaml)
			return
		}
		s.cfg, s.err = config.Load(s.f.Config)
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.f, s.cfg
}

// forSuites runs fn as a subtest per suite.
func forSuites(t *testing.T, fn func(t *testing.T, s *suite, f *File, cfg *config.Config)) {
	t.Helper()
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			f, cfg := s.load(t)
			fn(t, s, f, cfg)
		})
	}
}

// allFiles loads every suite.
func allFiles(t testing.TB) []*File {
	t.Helper()
	var files []*File
	for _, s := range suites {
		f, _ := s.load(t)
		files = append(files, f)
	}
	return files
}

// newEngine is a fresh engine with the baseline rules and empty state.
func newEngine(t testing.TB, cfg *config.Config) *engine.Engine {
	t.Helper()
	policy, err := engine.NewPolicy(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	return engine.New(policy, engine.NewMemoryState(cfg))
}

// decode encodes a step and decodes it into a view the way replay does:
// a GTP message from its place in its datagram to the datagram's end (the
// messages piggybacked after it included); an SS7 message through
// sigtran (M3UA, SCCP with XUDT reassembly, TCAP, MAP: the first Invoke).
func decode(t testing.TB, st *Step) *view.Message { return decodeIn(t, st, nil) }

// decodeIn is decode within a scenario whose TCAP dialogues dialogues
// follows (nil: the step alone).
func decodeIn(t testing.TB, st *Step, dialogues *tcap.Dialogues) *view.Message {
	t.Helper()
	if st.MAP != nil {
		return mapViews(t, st, dialogues)[0]
	}
	data, off, err := st.Datagram()
	if err != nil {
		t.Fatalf("%s: %v", st.ID(), err)
	}
	m := &view.Message{}
	// A structural error is reported in m.Malformed.
	if st.GTP != nil {
		_, _ = gtp.Decode(data[off:], m)
	} else {
		_ = diameter.Decode(data, m)
	}
	m.Time, m.Src, m.Dst = st.Time(), st.Src(), st.Dst()
	return m
}

// mapViews decodes an SS7 step as replay does (firewall/replay m3ua):
// its M3UA messages through one sigtran.Decoder, then one view per
// Invoke (Decoder.Invoke), the first from Decode. A message without
// Invoke has one view. dialogues carries the TCAP dialogues from one step
// of a scenario to the next (nil: the step alone).
func mapViews(t testing.TB, st *Step, dialogues *tcap.Dialogues) []*view.Message {
	t.Helper()
	packets, err := st.Packets()
	if err != nil {
		t.Fatalf("%s: %v", st.ID(), err)
	}
	d := sigtran.NewDecoder(sccp.ReassemblyConfig{}, dialogues)
	first := &view.Message{}
	res := sigtran.Pending
	for i, p := range packets {
		res, _ = d.Decode(st.Time(), p, first)
		if i < len(packets)-1 && res != sigtran.Pending {
			t.Fatalf("%s: segment %d of %d is not held for reassembly (%v)", st.ID(), i+1, len(packets), res)
		}
	}
	if res != sigtran.Message {
		t.Fatalf("%s: its M3UA messages decode to no SS7 message (%v)", st.ID(), res)
	}
	views := []*view.Message{first}
	for i := 1; i < d.Invokes(); i++ {
		x := &view.Message{}
		if err := d.Invoke(i, x); err != nil && x.Malformed == "" {
			t.Fatalf("%s: Invoke %d: %v", st.ID(), i, err)
		}
		views = append(views, x)
	}
	for _, v := range views {
		v.Time, v.Src, v.Dst = st.Time(), st.Src(), st.Dst()
	}
	return views
}

// judge judges a step as replay does: a TCAP message with several
// Invokes is judged once per Invoke (in order, each with the engine's
// state as the previous left it) and gets the first verdict that is not
// an allow, or the first Invoke's when all allow — the operation a filter
// judging only the first would have let through decides.
func judge(t testing.TB, e *engine.Engine, dialogues *tcap.Dialogues, st *Step) engine.Verdict {
	t.Helper()
	if st.MAP == nil {
		return e.Judge(decode(t, st))
	}
	views := mapViews(t, st, dialogues)
	v := e.Judge(views[0])
	for _, x := range views[1:] {
		if w := e.Judge(x); v.Action == rules.Allow && w.Action != rules.Allow {
			v = w
		}
	}
	return v
}

func describe(st *Step, action, rule string) string {
	return fmt.Sprintf("%s %s %s -> %s: got %s by %s, want %s by %s (%s)",
		st.ID(), st.Label(), st.From.Name, st.To.Name, action, rule, st.Expect.Verdict, st.Expect.Rule, st.Reason)
}

// (a) Every scenario, judged alone by a fresh engine, gets exactly the
// expected verdicts.
func TestScenarioVerdicts(t *testing.T) {
	forSuites(t, testScenarioVerdicts)
}

func testScenarioVerdicts(t *testing.T, _ *suite, f *File, cfg *config.Config) {
	for _, sc := range f.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			e := newEngine(t, cfg)
			dialogues := tcap.NewDialogues(tcap.DialoguesConfig{}) // the scenario's, as replay's decoder keeps them
			var mismatches []string
			for _, st := range sc.Steps {
				v := judge(t, e, dialogues, st)
				if v.Action.String() != st.Expect.Verdict || v.Rule.ID != st.Expect.Rule {
					mismatches = append(mismatches, describe(st, v.Action.String(), v.Rule.ID))
				}
			}
			if sc.KnownBug != "" {
				if len(mismatches) == 0 {
					t.Fatalf("scenario is marked known_bug but the engine now meets every expectation: remove known_bug (%s)", sc.KnownBug)
				}
				t.Skipf("reported bug: %s\n%s", sc.KnownBug, strings.Join(mismatches, "\n"))
			}
			for _, m := range mismatches {
				t.Error(m)
			}
		})
	}
}

// (b) Every baseline rule is the expected decision of at least one step
// of some scenario file (outside known-bug scenarios), and so is the
// default allow.
func TestRuleCoverage(t *testing.T) {
	covered := map[string]int{}
	for _, f := range allFiles(t) {
		for _, sc := range f.Scenarios {
			if sc.KnownBug != "" {
				continue
			}
			for _, st := range sc.Steps {
				covered[st.Expect.Rule]++
			}
		}
	}
	for _, r := range baseline.Rules() {
		if covered[r.ID] == 0 {
			t.Errorf("no step expects baseline rule %s", r.ID)
		}
	}
	if covered[DefaultRule] == 0 {
		t.Errorf("no step expects the %q allow", DefaultRule)
	}
}

// The expected verdict is the one the expected rule produces: its action,
// with reject turned into drop for answers, which cannot be answered.
func TestExpectationsMatchRuleActions(t *testing.T) {
	actions := map[string]rules.Action{DefaultRule: rules.Allow}
	byID := map[string]*rules.Rule{}
	for _, r := range baseline.Rules() {
		actions[r.ID] = r.Action
		byID[r.ID] = r
	}
	forSuites(t, func(t *testing.T, _ *suite, f *File, _ *config.Config) {
		for _, st := range f.Steps() {
			want := actions[st.Expect.Rule]
			if want == rules.Reject && !st.Request() {
				want = rules.Drop
			}
			if st.Expect.Verdict != want.String() {
				t.Errorf("%s: rule %s gives %s here, but the step expects %s", st.ID(), st.Expect.Rule, want, st.Expect.Verdict)
			}
			if r := byID[st.Expect.Rule]; r != nil && !r.AppliesTo(st.Protocol()) {
				t.Errorf("%s: rule %s does not apply to %s", st.ID(), st.Expect.Rule, st.Protocol())
			}
		}
	})
}

// Only the deliberately malformed vectors (expected rule MALFORMED) are
// malformed to the parser, each for the reason it names, and the others
// decode to what the manifest says.
func TestMalformedOnlyWhereExpected(t *testing.T) {
	forSuites(t, func(t *testing.T, _ *suite, f *File, _ *config.Config) {
		for _, sc := range f.Scenarios {
			dialogues := tcap.NewDialogues(tcap.DialoguesConfig{})
			contexts := map[uint32]acVersion{} // TCAP transaction id -> its dialogue's context, from the manifest
			for _, st := range sc.Steps {
				var ac acVersion
				if g := st.MAP; g != nil {
					ac = g.dialogueAC()
					switch g.Type {
					case tcBegin:
						contexts[g.OTID] = ac
					case tcContinue:
						if ac == (acVersion{}) {
							ac = contexts[g.DTID]
						}
						contexts[g.OTID], contexts[g.DTID] = ac, ac
					case tcEnd, tcAbort:
						if ac == (acVersion{}) {
							ac = contexts[g.DTID]
						}
					}
				}
				checkDecoded(t, st, decodeIn(t, st, dialogues), ac)
			}
		}
	})
}

type acVersion = struct{ ac, version uint8 }

// checkDecoded: what TestMalformedOnlyWhereExpected asks of one step.
// The decoded application context is the dialogue's (ac), remembered
// from its first exchange in the messages without dialogue portion.
func checkDecoded(t *testing.T, st *Step, m *view.Message, ac acVersion) {
	t.Helper()
	{
		{
			switch {
			case st.Malformed() && m.Malformed == "":
				t.Errorf("%s expects MALFORMED but decodes cleanly", st.ID())
			case st.Malformed() && !strings.Contains(strings.ToLower(m.Malformed), strings.ToLower(st.Expect.Malformed)):
				t.Errorf("%s is malformed for another reason than intended: %q, want %q", st.ID(), m.Malformed, st.Expect.Malformed)
			case !st.Malformed() && m.Malformed != "":
				t.Errorf("%s is accidentally malformed: %s", st.ID(), m.Malformed)
			case !st.Malformed() && st.GTP != nil:
				g := st.GTP
				if m.Protocol != g.Protocol() || m.Code != uint32(g.Type) || m.Request != g.Request() ||
					m.TEIDPresent != g.HasTEID || m.TEID != g.TEID || m.Transaction != uint64(g.Seq) {
					t.Errorf("%s decodes as %s type %d request %v TEID %v/%#x seq %d, manifest says %s %d %v %v/%#x %d",
						st.ID(), m.Protocol, m.Code, m.Request, m.TEIDPresent, m.TEID, m.Transaction,
						g.Protocol(), g.Type, g.Request(), g.HasTEID, g.TEID, g.Seq)
				}
			case !st.Malformed() && st.MAP != nil:
				g := st.MAP
				if m.Protocol != view.MAP || m.Code != g.Code() || m.Request != g.Request() || int(m.Invokes) != g.Invokes() ||
					uint32(m.TCAPType) != 0x60|g.Type || m.AppContext != ac.ac || m.AppContextVersion != ac.version {
					t.Errorf("%s decodes as %s code %d request %v invokes %d TCAP %#x AC %d/%d, manifest says code %d request %v invokes %d TCAP %#x AC %d/%d",
						st.ID(), m.Protocol, m.Code, m.Request, m.Invokes, m.TCAPType, m.AppContext, m.AppContextVersion,
						g.Code(), g.Request(), g.Invokes(), 0x60|g.Type, ac.ac, ac.version)
				}
				notMAP := m.Flags&(view.FlagCAMEL|view.FlagForeignContext) != 0 // arguments not read
				if imsis := g.IMSIs(); len(imsis) > 0 && m.IMSI.String() != imsis[0] && g.refIMSI == "" && !notMAP {
					t.Errorf("%s decodes IMSI %q, the manifest's first is %q", st.ID(), m.IMSI.String(), imsis[0])
				}
				if want := g.SCCP.Calling.GT; m.CallingGT.String() != want {
					t.Errorf("%s decodes calling GT %q, manifest %q", st.ID(), m.CallingGT.String(), want)
				}
				if want := g.SCCP.Called.GT; m.CalledGT.String() != want {
					t.Errorf("%s decodes called GT %q, manifest %q", st.ID(), m.CalledGT.String(), want)
				}
			case !st.Malformed():
				if m.Code != st.Message.Code || m.App != st.Message.App || m.Request != st.Message.Request() {
					t.Errorf("%s decodes as code %d app %d request %v, manifest says %d %d %v",
						st.ID(), m.Code, m.App, m.Request, st.Message.Code, st.Message.App, st.Message.Request())
				}
			}
		}
	}
}

// Scenarios are independent: no subscriber appears in two scenarios, and
// request transaction ids are unique, so one capture of them all behaves
// like each scenario alone.
//
// GTP sessions outlive the scenario spacing (gtp_state.session_ttl), so
// every home TEID a create response announces belongs to one scenario,
// and a session request names only TEIDs announced in its own scenario
// (or none at all).
func TestScenariosIndependent(t *testing.T) {
	forSuites(t, func(t *testing.T, _ *suite, f *File, _ *config.Config) {
		owner := map[string]string{}
		txn := map[uint64]string{}
		teids := map[string]string{} // "home node address/TEID" -> scenario announcing it
		for _, sc := range f.Scenarios {
			for _, st := range sc.Steps {
				if m := decode(t, st); st.GTP != nil && isCreateResponse(st.GTP) && m.SenderTEID != 0 {
					k := fmt.Sprintf("%s/%#x", st.Src().Addr(), m.SenderTEID)
					if prev, dup := teids[k]; dup && prev != sc.Name {
						t.Errorf("%s: home TEID %s is also announced by scenario %s", st.ID(), k, prev)
					}
					teids[k] = sc.Name
				}
			}
		}
		for _, sc := range f.Scenarios {
			seen := map[string]bool{}
			for _, st := range sc.Steps {
				m := decode(t, st)
				for _, id := range []string{"imsi:" + m.IMSI.String(), "msisdn:" + m.MSISDN.String()} {
					if strings.HasSuffix(id, ":") || seen[id] {
						continue
					}
					seen[id] = true
					if prev, dup := owner[id]; dup {
						t.Errorf("%s: %s is also used by scenario %s", st.ID(), id, prev)
					}
					owner[id] = sc.Name
				}
				if st.GTP != nil && m.Request && m.TEIDPresent && m.TEID != 0 {
					k := fmt.Sprintf("%s/%#x", st.Dst().Addr(), m.TEID)
					if prev, ok := teids[k]; ok && prev != sc.Name {
						t.Errorf("%s: names TEID %s, which scenario %s creates", st.ID(), k, prev)
					}
				}
				if st.Message != nil && st.Message.Request() {
					k := uint64(st.Message.EndToEnd)<<32 | uint64(st.Message.HopByHop)
					if prev, dup := txn[k]; dup {
						t.Errorf("%s: transaction ids hbh=%#x e2e=%#x already used by %s", st.ID(), st.Message.HopByHop, st.Message.EndToEnd, prev)
					}
					txn[k] = st.ID()
				}
				if st.MAP != nil && st.MAP.Type == tcBegin {
					// TCAP: every dialogue its own originating id.
					k := 1<<40 | uint64(st.MAP.OTID)
					if prev, dup := txn[k]; dup {
						t.Errorf("%s: TCAP originating id %#x already opens %s", st.ID(), st.MAP.OTID, prev)
					}
					txn[k] = st.ID()
				}
			}
			if last := sc.Steps[len(sc.Steps)-1]; last.At >= f.Spacing {
				t.Errorf("%s ends after the next scenario starts", sc.Name)
			}
		}
	})
}

// firstOf is the first step of a frame, or nil.
func firstOf(sts []*Step) *Step {
	if len(sts) == 0 {
		return nil
	}
	return sts[0]
}

// isCreateResponse: the responses that make the engine record a session.
func isCreateResponse(m *GTPMessage) bool {
	return m.Version == 2 && m.Type == 33 || m.Version == 1 && m.Type == 17
}

// Scenario names are unique across the files (the README's coverage table
// names scenarios without their file).
func TestScenarioNamesUnique(t *testing.T) {
	seen := map[string]string{}
	for _, f := range allFiles(t) {
		for _, sc := range f.Scenarios {
			if prev, dup := seen[sc.Name]; dup {
				t.Errorf("scenario %s is in %s and %s", sc.Name, prev, f.Path)
			}
			seen[sc.Name] = f.Path
		}
	}
}

// mandatory lists the AVPs TS 29.272 / RFC 6733 / TS 29.212-215 require,
// by command, so that vectors look like real traffic.
var mandatoryAVPs = map[string][]string{
	"CER": {"Origin-Host", "Origin-Realm", "Host-IP-Address", "Vendor-Id", "Product-Name"},
	"CEA": {"Result-Code", "Origin-Host", "Origin-Realm", "Host-IP-Address", "Vendor-Id", "Product-Name"},
	"DWR": {"Origin-Host", "Origin-Realm"},
	"DWA": {"Result-Code", "Origin-Host", "Origin-Realm"},
	"DPR": {"Origin-Host", "Origin-Realm", "Disconnect-Cause"},
	"DPA": {"Result-Code", "Origin-Host", "Origin-Realm"},
	"ULR": {"User-Name", "RAT-Type", "ULR-Flags", "Visited-PLMN-Id"},
	"AIR": {"User-Name", "Visited-PLMN-Id"},
	"PUR": {"User-Name"},
	"NOR": {"User-Name"},
	"IDR": {"Destination-Host", "User-Name", "Subscription-Data"},
	"CLR": {"Destination-Host", "User-Name", "Cancellation-Type"},
	"DSR": {"Destination-Host", "User-Name", "DSR-Flags"},
	"RSR": {"Destination-Host"},
	"ECR": {"Terminal-Information"},
	"CCR": {"Auth-Application-Id", "CC-Request-Type", "CC-Request-Number"},
	"CCA": {"Auth-Application-Id", "Result-Code", "CC-Request-Type", "CC-Request-Number"},
}

// Requests a rule targets by the absence of an AVP may lack it.
var mayLack = map[string]string{
	"DIA-C2-NO-IMSI":      "User-Name",
	"DIA-C2-VISITED-PLMN": "Visited-PLMN-Id",
	"DIA-C2-ORIGIN-REALM": "Origin-Realm",
}

// Vectors carry the AVPs the specifications make mandatory, except the
// one whose absence a step deliberately tests.
func TestMandatoryAVPs(t *testing.T) {
	forSuites(t, testMandatoryAVPs)
}

func testMandatoryAVPs(t *testing.T, _ *suite, f *File, _ *config.Config) {
	for _, st := range f.Steps() {
		if st.Message == nil || st.Malformed() || st.Expect.Rule == "DIA-C1-CMD-UNKNOWN" {
			continue
		}
		m := st.Message
		have := map[string]bool{}
		for _, a := range m.AVPs {
			have[a.Name] = true
		}
		op := m.Op()
		want := append([]string(nil), mandatoryAVPs[op]...)
		if peer := m.Code == diameter.CmdCapabilitiesExchange || m.Code == diameter.CmdDeviceWatchdog || m.Code == diameter.CmdDisconnectPeer; !peer {
			want = append(want, "Session-Id", "Origin-Host", "Origin-Realm")
			if m.Request() {
				want = append(want, "Destination-Realm")
			} else if !have["Result-Code"] && !have["Experimental-Result"] {
				t.Errorf("%s: answer without Result-Code or Experimental-Result", st.ID())
			}
			if m.App == diameter.AppS6aS6d || m.App == diameter.AppS13 {
				want = append(want, "Auth-Session-State")
			}
		}
		for _, name := range want {
			if !have[name] && mayLack[st.Expect.Rule] != name {
				t.Errorf("%s: %s lacks mandatory %s", st.ID(), op, name)
			}
		}
	}
}

// (c) The committed capture is what the generator writes now.
func TestPcapUpToDate(t *testing.T) {
	forSuites(t, testPcapUpToDate)
}

func testPcapUpToDate(t *testing.T, s *suite, f *File, _ *config.Config) {
	var a, b bytes.Buffer
	if err := WritePcap(&a, f.Steps()...); err != nil {
		t.Fatal(err)
	}
	if err := WritePcap(&b, f.Steps()...); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("WritePcap is not deterministic")
	}
	committed, err := os.ReadFile(s.pcap)
	if err != nil {
		t.Fatalf("%v: %s", err, regenerate)
	}
	if !bytes.Equal(committed, a.Bytes()) {
		t.Fatalf("%s is stale (%d bytes, generator gives %d): %s", s.pcap, len(committed), a.Len(), regenerate)
	}
}

// The README's generated tables match the scenario file, and every
// scenario is named in it.
func TestReadmeInSync(t *testing.T) {
	files := allFiles(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := UpdateReadme(readme, files...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readme, want) {
		t.Errorf("README.md tables are stale: %s", regenerate)
	}
	for _, f := range files {
		for _, sc := range f.Scenarios {
			if !bytes.Contains(readme, []byte("`"+sc.Name+"`")) {
				t.Errorf("README.md does not mention scenario %s", sc.Name)
			}
		}
	}
}

type judged struct {
	action, rule, op string
	proto            view.Protocol
	code             uint32
	time             time.Time
	src, dst         string
}

// (d) Replaying the committed capture through firewall/replay with one
// engine gives the expected verdicts, in order, as judging each scenario
// alone does.
func TestReplayCapture(t *testing.T) {
	forSuites(t, testReplayCapture)
}

func testReplayCapture(t *testing.T, s *suite, f *File, cfg *config.Config) {
	e := newEngine(t, cfg)
	r, err := replay.New(e, replay.Options{Format: replay.FormatNone})
	if err != nil {
		t.Fatal(err)
	}
	var got []judged
	r.OnVerdict(func(m *view.Message, v *engine.Verdict) {
		got = append(got, judged{v.Action.String(), v.Rule.ID, m.Op, m.Protocol, m.Code, m.Time, m.Src.String(), m.Dst.String()})
	})
	sum, err := r.Files(s.pcap)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Problems != 0 {
		t.Errorf("replay reported %d capture problems: %v", sum.Problems, sum.ProblemLayers)
	}
	steps := f.Steps()
	if len(got) != len(steps) {
		t.Fatalf("replay judged %d messages, the scenarios have %d", len(got), len(steps))
	}
	known := 0
	for i, st := range steps {
		g := got[i]
		if !g.time.Equal(st.Time()) || g.src != st.Src().String() || g.dst != st.Dst().String() {
			t.Errorf("%s: replayed message %d is %s %s->%s at %s, want %s->%s at %s",
				st.ID(), i+1, g.op, g.src, g.dst, g.time, st.Src(), st.Dst(), st.Time())
			continue
		}
		if want := stepCode(st); g.proto != st.Protocol() || g.code != want && !(st.MAP != nil && st.Malformed()) {
			t.Errorf("%s: replayed message %d is %s %d (%s), want %s %d", st.ID(), i+1, g.proto, g.code, g.op, st.Protocol(), want)
			continue
		}
		if g.action == st.Expect.Verdict && g.rule == st.Expect.Rule {
			continue
		}
		if st.Scenario.KnownBug != "" {
			known++
			t.Logf("reported bug (%s): %s", st.Scenario.Name, describe(st, g.action, g.rule))
			continue
		}
		t.Error(describe(st, g.action, g.rule))
	}
	if known > 0 {
		t.Logf("%d step(s) of known-bug scenarios disagree, as their tests in TestScenarioVerdicts report", known)
	}
}

// stepCode is the step's Diameter command code, GTP message type or MAP
// operation code (as MAPMessage.Code; a malformed SS7 message may have
// lost it).
func stepCode(st *Step) uint32 {
	switch {
	case st.GTP != nil:
		return uint32(st.GTP.Type)
	case st.MAP != nil:
		return st.MAP.Code()
	}
	return st.Message.Code
}

// tshark runs tshark on a committed capture, or skips when it is absent.
func tshark(t *testing.T, pcap string, args ...string) []string {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed")
	}
	cmd := exec.Command(bin, append([]string{"-n", "-r", pcap}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// stepFrames maps capture frame numbers to the steps each carries (more
// than one for piggybacked GTP messages), in order; every segment of a
// segmented SS7 message maps to its step.
func stepFrames(t *testing.T, f *File) map[int][]*Step {
	t.Helper()
	frames, err := writePcap(&bytes.Buffer{}, f.Steps())
	if err != nil {
		t.Fatal(err)
	}
	m := map[int][]*Step{}
	for i, st := range f.Steps() {
		for fr := frames[i].First; fr <= frames[i].Last; fr++ {
			m[fr] = append(m[fr], st)
		}
	}
	return m
}

// (e) tshark, an independent dissector, reads every message with the
// manifest's type: Diameter with its command code, R bit and application
// id, GTP-C with its version and message type, piggybacked GTPv2 messages
// included, in datagram order. Deliberately malformed vectors (expected
// rule MALFORMED) need not appear: tshark does not dissect some Diameter
// ones as Diameter at all (version 2, a length that is not a multiple of
// 4, the E bit on a request); those it does show must still match, since
// their headers are intact (see gtpMalformedShown for GTP). Each message
// travels in its own SCTP chunk or UDP datagram, so a malformed one never
// hides the next.
func TestTsharkDissection(t *testing.T) {
	forSuites(t, testTsharkDissection)
}

func testTsharkDissection(t *testing.T, s *suite, f *File, _ *config.Config) {
	byFrame := stepFrames(t, f)
	seen := map[*Step]bool{}
	lines := tshark(t, s.pcap, "-Y", "diameter", "-T", "fields", "-e", "frame.number",
		"-e", "diameter.cmd.code", "-e", "diameter.flags.request", "-e", "diameter.applicationId")
	for _, l := range lines {
		fields := strings.Split(l, "\t")
		if len(fields) != 4 {
			t.Errorf("tshark line %q: want 4 fields", l)
			continue
		}
		frame, _ := strconv.Atoi(fields[0])
		sts := byFrame[frame]
		if len(sts) != 1 || sts[0].Message == nil {
			t.Errorf("tshark shows Diameter in frame %d, which carries no Diameter step", frame)
			continue
		}
		st := sts[0]
		seen[st] = true
		req := "0"
		if st.Message.Request() {
			req = "1"
		}
		want := fmt.Sprintf("%d\t%s\t%d", st.Message.Code, req, st.Message.App)
		if got := strings.Join(fields[1:], "\t"); got != want {
			t.Errorf("%s (frame %d): tshark reads code/request/app %q, manifest %q", st.ID(), frame, got, want)
		}
	}

	lines = tshark(t, s.pcap, "-Y", "gtp || gtpv2", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "gtp.message", "-e", "gtpv2.message_type")
	for _, l := range lines {
		fields := strings.Split(l, "\t")
		if len(fields) != 3 {
			t.Errorf("tshark line %q: want 3 fields", l)
			continue
		}
		frame, _ := strconv.Atoi(fields[0])
		sts := byFrame[frame]
		var want []string
		malformed := false
		for _, st := range sts {
			if st.GTP == nil {
				continue
			}
			want = append(want, fmt.Sprintf("v%d:%d", st.GTP.Version, st.GTP.Type))
			malformed = malformed || st.Malformed()
		}
		if len(want) == 0 {
			t.Errorf("tshark shows GTP in frame %d, which carries no GTP step", frame)
			continue
		}
		var got []string
		for i, version := range []int{1, 2} {
			for _, v := range strings.Split(fields[1+i], ",") {
				if v == "" {
					continue
				}
				typ, err := strconv.ParseUint(v, 0, 8)
				if err != nil {
					t.Errorf("frame %d: tshark message type %q", frame, v)
				}
				got = append(got, fmt.Sprintf("v%d:%d", version, typ))
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			if malformed && gtpMalformedShown(got, want) {
				continue // see gtpMalformedShown
			}
			t.Errorf("%s (frame %d): tshark reads GTP types %q, manifest %q", sts[0].ID(), frame, got, want)
			continue
		}
		for _, st := range sts {
			seen[st] = true
		}
	}
	tsharkMAP(t, s, f, byFrame, seen)
	for _, st := range f.Steps() {
		if !st.Malformed() && st.Hostile == "" && !seen[st] {
			t.Errorf("%s: tshark does not dissect its message as %s", st.ID(), st.Protocol())
		}
	}
}

// tsharkMAP checks tshark's dissection of the SS7 steps against the
// encoder, field by field: in every frame of a step (each XUDT segment
// too) the SCCP calling and called global titles, and in the frame that
// completes the message (tshark reassembles XUDT segments) the TCAP
// transaction ids, the local codes of the components in order (the
// operation of each Invoke and ReturnResult, the error of each
// ReturnError: gsm_old.localValue) and the IMSIs the components carry
// (e212.imsi; camel.local for the codes of CAMEL dialogues, which tshark
// tells from MAP by their context as the firewall does). MALFORMED and hostile vectors are exempt from the
// field comparison: tshark reads what it can of them.
func tsharkMAP(t *testing.T, s *suite, f *File, byFrame map[int][]*Step, seen map[*Step]bool) {
	t.Helper()
	hasMAP := false
	for _, st := range f.Steps() {
		hasMAP = hasMAP || st.MAP != nil
	}
	if !hasMAP {
		return
	}
	spans, err := writePcap(&bytes.Buffer{}, f.Steps())
	if err != nil {
		t.Fatal(err)
	}
	last := map[*Step]int{}
	for i, st := range f.Steps() {
		last[st] = spans[i].Last
	}
	lines := tshark(t, s.pcap, "-Y", "m3ua", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "sccp.calling.digits", "-e", "sccp.called.digits", "-e", "tcap.otid", "-e", "tcap.dtid",
		"-e", "gsm_old.localValue", "-e", "e212.imsi", "-e", "tcap", "-e", "camel.local")
	for _, l := range lines {
		fields := strings.Split(l, "\t")
		if len(fields) != 9 {
			t.Errorf("tshark line %q: want 9 fields", l)
			continue
		}
		frame, _ := strconv.Atoi(fields[0])
		sts := byFrame[frame]
		if len(sts) != 1 || sts[0].MAP == nil {
			t.Errorf("tshark shows M3UA in frame %d, which carries no SS7 step", frame)
			continue
		}
		st := sts[0]
		m := st.MAP
		exempt := st.Malformed() || st.Hostile != ""
		// Global titles: in each segment's frame.
		want := m.SCCP.Calling.GT + "\t" + m.SCCP.Called.GT
		if got := fields[1] + "\t" + fields[2]; got != want && !exempt {
			t.Errorf("%s (frame %d): tshark reads calling/called GT %q, manifest %q", st.ID(), frame, got, want)
		}
		if frame != last[st] {
			continue
		}
		if fields[7] == "" {
			continue // no TCAP: reported below unless malformed or hostile
		}
		seen[st] = true
		if exempt {
			continue
		}
		var tids []string
		hex := func(v uint32) string { return fmt.Sprintf("%08x", v) }
		switch m.Type {
		case tcBegin:
			tids = []string{hex(m.OTID), ""}
		case tcContinue:
			tids = []string{hex(m.OTID), hex(m.DTID)}
		case tcEnd, tcAbort:
			tids = []string{"", hex(m.DTID)}
		default:
			tids = []string{"", ""}
		}
		if got := fields[3] + "/" + fields[4]; got != strings.Join(tids, "/") {
			t.Errorf("%s (frame %d): tshark reads otid/dtid %q, manifest %q", st.ID(), frame, got, strings.Join(tids, "/"))
		}
		var codes []string
		for _, c := range m.LocalCodes() {
			codes = append(codes, strconv.FormatInt(c, 10))
		}
		got := fields[5]
		if got == "" {
			got = fields[8] // a CAMEL dialogue: tshark follows it too (camel.local)
		}
		if got != strings.Join(codes, ",") {
			t.Errorf("%s (frame %d): tshark reads operation/error codes %q, manifest %q", st.ID(), frame, got, strings.Join(codes, ","))
		}
		if got, want := fields[6], strings.Join(m.tsharkIMSIs(), ","); got != want {
			t.Errorf("%s (frame %d): tshark reads IMSIs %q, manifest %q", st.ID(), frame, got, want)
		}
	}
}

// gtpMalformedShown decides on a frame holding a deliberately malformed
// GTP vector whose types tshark reads differently from the manifest:
// tshark may stop before the broken message (got is a prefix of want),
// but must never read a message type the manifest does not have.
func gtpMalformedShown(got, want []string) bool {
	if len(got) > len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// tshark finds no malformed packet, no bad checksum and no expert error
// or warning, except in the deliberately malformed vectors, the steps
// marked hostile (whose complaint is the point: each must get one), the
// "Unknown command" of vectors testing unknown commands, and "Data is
// empty" for empty grouped AVPs (the empty Subscription-Data of
// location-only IDRs, TS 29.272 §5.2.2.1).
func TestTsharkClean(t *testing.T) {
	forSuites(t, testTsharkClean)
}

func testTsharkClean(t *testing.T, s *suite, f *File, _ *config.Config) {
	byFrame := stepFrames(t, f)
	complained := map[*Step]bool{} // hostile steps tshark complained about
	defer func() {
		if t.Skipped() {
			return
		}
		for _, st := range f.Steps() {
			if st.Hostile != "" && !complained[st] {
				t.Errorf("%s is marked hostile (%s) but tshark finds nothing wrong with it: remove hostile", st.ID(), st.Hostile)
			}
		}
	}()
	lines := tshark(t, s.pcap, "-o", "sctp.checksum:CRC-32c", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-o", "udp.check_checksum:TRUE",
		"-Y", `_ws.malformed || _ws.expert.severity >= 0x00600000 || sctp.checksum.status == 0 || tcp.checksum.status == 0 || ip.checksum.status == 0 || udp.checksum.status == 0`,
		"-T", "fields", "-E", "aggregator=|", "-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.expert.message",
		"-e", "sctp.checksum.status", "-e", "tcp.checksum.status", "-e", "ip.checksum.status", "-e", "udp.checksum.status")
	for _, l := range lines {
		fields := strings.Split(l, "\t")
		if len(fields) != 8 {
			t.Errorf("tshark line %q: want 8 fields", l)
			continue
		}
		frame, _ := strconv.Atoi(fields[0])
		sts := byFrame[frame]
		malformed := false
		for _, st := range sts {
			malformed = malformed || st.Malformed()
			if st.Hostile != "" {
				complained[st] = true
			}
		}
		if malformed || complained[firstOf(sts)] {
			continue
		}
		where := "no step"
		var st *Step
		if len(sts) > 0 {
			st = sts[0]
			where = st.ID()
		}
		if fields[1] != "" || strings.Contains(fields[4]+fields[5]+fields[6]+fields[7], "0") {
			t.Errorf("frame %d (%s): malformed or bad checksum: %q", frame, where, l)
			continue
		}
		sev, msgs := strings.Split(fields[2], "|"), strings.Split(fields[3], "|")
		for i, msg := range msgs {
			level, _ := strconv.ParseUint(sev[min(i, len(sev)-1)], 0, 32) // decimal, or hex in other versions
			switch {
			case level < 0x00600000:
			case msg == "Data is empty":
			case st != nil && st.Expect.Rule == "DIA-C1-CMD-UNKNOWN" && strings.HasPrefix(msg, "Unknown command"):
			default:
				t.Errorf("frame %d (%s): tshark reports %q", frame, where, msg)
			}
		}
	}
}
