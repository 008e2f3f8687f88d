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
	"breakwater/protocols/view"
)

const (
	scenarioPath = "diameter/scenarios.yaml"
	pcapPath     = "diameter/scenarios.pcap"
	regenerate   = "run `go run ./testvectors/gen`"
)

var (
	loadOnce  sync.Once
	loaded    *File
	loadedCfg *config.Config
	loadErr   error
)

// vectors loads the scenario file and its configuration once per test binary.
func vectors(t testing.TB) (*File, *config.Config) {
	t.Helper()
	loadOnce.Do(func() {
		loaded, loadErr = Load(scenarioPath)
		if loadErr != nil {
			return
		}
		if loaded.Config == "" {
			loadErr = fmt.Errorf("%s names no config", scenarioPath)
			return
		}
		loadedCfg, loadErr = config.Load(loaded.Config)
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded, loadedCfg
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

// decode encodes a step and decodes it into a view the way replay does.
func decode(t testing.TB, st *Step) *view.Message {
	t.Helper()
	data, err := st.Encode()
	if err != nil {
		t.Fatalf("%s: %v", st.ID(), err)
	}
	m := &view.Message{}
	_ = diameter.Decode(data, m) // a structural error is reported in m.Malformed
	m.Time, m.Src, m.Dst = st.Time(), st.Src(), st.Dst()
	return m
}

func describe(st *Step, action, rule string) string {
	return fmt.Sprintf("%s %s %s -> %s: got %s by %s, want %s by %s (%s)",
		st.ID(), st.Message.Op(), st.From.Name, st.To.Name, action, rule, st.Expect.Verdict, st.Expect.Rule, st.Reason)
}

// (a) Every scenario, judged alone by a fresh engine, gets exactly the
// expected verdicts.
func TestScenarioVerdicts(t *testing.T) {
	f, cfg := vectors(t)
	for _, sc := range f.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			e := newEngine(t, cfg)
			var mismatches []string
			for _, st := range sc.Steps {
				v := e.Judge(decode(t, st))
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
// (outside known-bug scenarios), and so is the default allow.
func TestRuleCoverage(t *testing.T) {
	f, _ := vectors(t)
	covered := map[string]int{}
	for _, sc := range f.Scenarios {
		if sc.KnownBug != "" {
			continue
		}
		for _, st := range sc.Steps {
			covered[st.Expect.Rule]++
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
	f, _ := vectors(t)
	actions := map[string]rules.Action{DefaultRule: rules.Allow}
	for _, r := range baseline.Rules() {
		actions[r.ID] = r.Action
	}
	for _, st := range f.Steps() {
		want := actions[st.Expect.Rule]
		if want == rules.Reject && !st.Message.Request() {
			want = rules.Drop
		}
		if st.Expect.Verdict != want.String() {
			t.Errorf("%s: rule %s gives %s here, but the step expects %s", st.ID(), st.Expect.Rule, want, st.Expect.Verdict)
		}
	}
}

// Only the deliberately malformed vectors (expected rule MALFORMED) are
// malformed to the parser, each for the reason it names, and the others
// decode to what the manifest says.
func TestMalformedOnlyWhereExpected(t *testing.T) {
	f, _ := vectors(t)
	for _, st := range f.Steps() {
		m := decode(t, st)
		switch {
		case st.Malformed() && m.Malformed == "":
			t.Errorf("%s expects MALFORMED but decodes cleanly", st.ID())
		case st.Malformed() && !strings.Contains(strings.ToLower(m.Malformed), strings.ToLower(st.Expect.Malformed)):
			t.Errorf("%s is malformed for another reason than intended: %q, want %q", st.ID(), m.Malformed, st.Expect.Malformed)
		case !st.Malformed() && m.Malformed != "":
			t.Errorf("%s is accidentally malformed: %s", st.ID(), m.Malformed)
		case !st.Malformed():
			if m.Code != st.Message.Code || m.App != st.Message.App || m.Request != st.Message.Request() {
				t.Errorf("%s decodes as code %d app %d request %v, manifest says %d %d %v",
					st.ID(), m.Code, m.App, m.Request, st.Message.Code, st.Message.App, st.Message.Request())
			}
		}
	}
}

// Scenarios are independent: no subscriber appears in two scenarios, and
// request transaction ids are unique, so one capture of them all behaves
// like each scenario alone.
func TestScenariosIndependent(t *testing.T) {
	f, _ := vectors(t)
	owner := map[string]string{}
	txn := map[uint64]string{}
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
			if st.Message.Request() {
				k := uint64(st.Message.EndToEnd)<<32 | uint64(st.Message.HopByHop)
				if prev, dup := txn[k]; dup {
					t.Errorf("%s: transaction ids hbh=%#x e2e=%#x already used by %s", st.ID(), st.Message.HopByHop, st.Message.EndToEnd, prev)
				}
				txn[k] = st.ID()
			}
		}
		if last := sc.Steps[len(sc.Steps)-1]; last.At >= f.Spacing {
			t.Errorf("%s ends after the next scenario starts", sc.Name)
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
	f, _ := vectors(t)
	for _, st := range f.Steps() {
		if st.Malformed() || st.Expect.Rule == "DIA-C1-CMD-UNKNOWN" {
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
	f, _ := vectors(t)
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
	committed, err := os.ReadFile(pcapPath)
	if err != nil {
		t.Fatalf("%v: %s", err, regenerate)
	}
	if !bytes.Equal(committed, a.Bytes()) {
		t.Fatalf("%s is stale (%d bytes, generator gives %d): %s", pcapPath, len(committed), a.Len(), regenerate)
	}
}

// The README's generated tables match the scenario file, and every
// scenario is named in it.
func TestReadmeInSync(t *testing.T) {
	f, _ := vectors(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := UpdateReadme(readme, f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readme, want) {
		t.Errorf("README.md tables are stale: %s", regenerate)
	}
	for _, sc := range f.Scenarios {
		if !bytes.Contains(readme, []byte("`"+sc.Name+"`")) {
			t.Errorf("README.md does not mention scenario %s", sc.Name)
		}
	}
}

type judged struct {
	action, rule, op string
	time             time.Time
	src, dst         string
}

// (d) Replaying the committed capture through firewall/replay with one
// engine gives the expected verdicts, in order, as judging each scenario
// alone does.
func TestReplayCapture(t *testing.T) {
	f, cfg := vectors(t)
	e := newEngine(t, cfg)
	r, err := replay.New(e, replay.Options{Format: replay.FormatNone})
	if err != nil {
		t.Fatal(err)
	}
	var got []judged
	r.OnVerdict(func(m *view.Message, v *engine.Verdict) {
		got = append(got, judged{v.Action.String(), v.Rule.ID, m.Op, m.Time, m.Src.String(), m.Dst.String()})
	})
	sum, err := r.Files(pcapPath)
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

// tshark runs tshark on the committed capture, or skips when it is absent.
func tshark(t *testing.T, args ...string) []string {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed")
	}
	cmd := exec.Command(bin, append([]string{"-n", "-r", pcapPath}, args...)...)
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

// stepFrames maps capture frame numbers to steps.
func stepFrames(t *testing.T, f *File) map[int]*Step {
	t.Helper()
	frames, err := writePcap(&bytes.Buffer{}, f.Steps())
	if err != nil {
		t.Fatal(err)
	}
	m := map[int]*Step{}
	for i, st := range f.Steps() {
		m[frames[i]] = st
	}
	return m
}

// (e) tshark, an independent dissector, reads every message as Diameter
// with the manifest's command code, R bit and application id. Deliberately
// malformed vectors (expected rule MALFORMED) need not appear: tshark does
// not dissect some of them as Diameter at all (version 2, a length that is
// not a multiple of 4, the E bit on a request); those it does show must
// still match, since their headers are intact. Each message travels in its
// own SCTP chunk, so a malformed one never hides the next.
func TestTsharkDissection(t *testing.T) {
	f, _ := vectors(t)
	byFrame := stepFrames(t, f)
	lines := tshark(t, "-Y", "diameter", "-T", "fields", "-e", "frame.number",
		"-e", "diameter.cmd.code", "-e", "diameter.flags.request", "-e", "diameter.applicationId")
	seen := map[*Step]bool{}
	for _, l := range lines {
		fields := strings.Split(l, "\t")
		if len(fields) != 4 {
			t.Errorf("tshark line %q: want 4 fields", l)
			continue
		}
		frame, _ := strconv.Atoi(fields[0])
		st := byFrame[frame]
		if st == nil {
			t.Errorf("tshark shows Diameter in frame %d, which carries no step", frame)
			continue
		}
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
	for _, st := range f.Steps() {
		if !st.Malformed() && !seen[st] {
			t.Errorf("%s: tshark does not dissect its message as Diameter", st.ID())
		}
	}
}

// tshark finds no malformed packet, no bad checksum and no expert error
// or warning, except in the deliberately malformed vectors, the "Unknown
// command" of vectors testing unknown commands, and "Data is empty" for
// empty grouped AVPs (the empty Subscription-Data of location-only IDRs,
// TS 29.272 §5.2.2.1).
func TestTsharkClean(t *testing.T) {
	f, _ := vectors(t)
	byFrame := stepFrames(t, f)
	lines := tshark(t, "-o", "sctp.checksum:CRC-32c", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-Y", `_ws.malformed || _ws.expert.severity >= 0x00600000 || sctp.checksum.status == 0 || tcp.checksum.status == 0 || ip.checksum.status == 0`,
		"-T", "fields", "-E", "aggregator=|", "-e", "frame.number", "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.expert.message",
		"-e", "sctp.checksum.status", "-e", "tcp.checksum.status", "-e", "ip.checksum.status")
	for _, l := range lines {
		fields := strings.Split(l, "\t")
		if len(fields) != 7 {
			t.Errorf("tshark line %q: want 7 fields", l)
			continue
		}
		frame, _ := strconv.Atoi(fields[0])
		st := byFrame[frame]
		if st != nil && st.Malformed() {
			continue
		}
		where := "no step"
		if st != nil {
			where = st.ID()
		}
		if fields[1] != "" || strings.Contains(fields[4]+fields[5]+fields[6], "0") {
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
