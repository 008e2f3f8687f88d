package main

// Fault tests: `breakwater run` (serve, in process) between lab peers
// while something around it fails — the home HSS restarts, a partner
// hangs up in the middle of a message, the configuration disappears, the
// audit log's disk fills up. Breakwater must keep serving everyone else,
// recover when the fault clears, and never lose an allowed request it
// accepted without telling the sender.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"breakwater/firewall/proxy"
	"breakwater/firewall/transport"
	"breakwater/internal/bertest"
	"breakwater/internal/diampeer"
	"breakwater/internal/ss7test"
	"breakwater/protocols/diameter"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/tcap"
)

// faultNetwork is the lab network of the fault (and soak) tests: the home
// network on 127.0.0.1, the UK partner on 127.0.0.2, the German partner on
// 127.0.0.4. Relay sections are appended per test.
const faultNetwork = `
home:
  plmns: ["310260"]
  realms: ["epc.mnc260.mcc310.3gppnetwork.org"]
  gt_prefixes: ["1206"]
  addresses: ["127.0.0.1/32"]
partners:
  - name: uk
    plmns: ["23415"]
    realms: ["epc.mnc015.mcc234.3gppnetwork.org"]
    gt_prefixes: ["447785"]
    addresses: ["127.0.0.2/32"]
  - name: de
    plmns: ["26201"]
    realms: ["epc.mnc001.mcc262.3gppnetwork.org"]
    gt_prefixes: ["4917"]
    addresses: ["127.0.0.4/32"]
velocity:
  max_subscribers: 65536
admin:
  listen: 127.0.0.1:0
shutdown_timeout: 3s
`

// deMME is the German partner's MME.
var deMME = diampeer.Identity{Host: "mme.epc.mnc001.mcc262.3gppnetwork.org", Realm: "epc.mnc001.mcc262.3gppnetwork.org"}

// labPartner is one partner's Diameter node in the fault tests.
type labPartner struct {
	name, from, plmn string
	id               diampeer.Identity
	imsiBase         int // its subscribers: distinct per partner, so that no velocity rule links them
}

var (
	ukLab = labPartner{name: "uk", from: "127.0.0.2", plmn: "23415", id: mmeID, imsiBase: 310260000100000}
	deLab = labPartner{name: "de", from: "127.0.0.4", plmn: "26201", id: deMME, imsiBase: 310260000200000}
)

// writeFaultConfig writes the lab network plus sections (relays, audit,
// rules) into a fresh directory and returns the configuration's path.
func writeFaultConfig(t testing.TB, sections string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "breakwater.yaml")
	if err := os.WriteFile(p, []byte(faultNetwork+sections), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func diameterSection(upstream string) string {
	return fmt.Sprintf("diameter:\n  - name: dea\n    listen: tcp://127.0.0.1:0\n    upstream: %s\n    connect_timeout: 1s\n    write_timeout: 2s\n", upstream)
}

func m3uaSection(upstream string) string {
	return fmt.Sprintf("m3ua:\n  - name: stp\n    listen: tcp://127.0.1.1:0\n    upstream: %s\n    connect_timeout: 1s\n    write_timeout: 2s\n    reject_with: tcap-abort\n", upstream)
}

// startServeLogged is startServe with Breakwater's log kept (text, debug).
// stop ends serve and returns its result; the test's end calls it too.
func startServeLogged(t testing.TB, cfg string, reload <-chan os.Signal) (rn *running, logs *syncBuffer, stop func() error) {
	t.Helper()
	logs = &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *running, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, started, reload) }()
	select {
	case rn = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(15 * time.Second):
				result = errors.New("serve did not return within 15s of its context ending")
			}
		})
		return result
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("breakwater log (end):\n%s", tail(logs.String(), 80))
		}
	})
	return rn, logs, stop
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// dialPartner connects p's MME to the Diameter relay and exchanges
// capabilities.
func dialPartner(t testing.TB, addr string, p labPartner) *diampeer.Client {
	t.Helper()
	c, err := diampeer.Dial(context.Background(), addr, p.id, p.from)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var b diameter.Builder
	ans, err := c.Do(c.CER(&b, diameter.AppS6aS6d), 0, 5*time.Second)
	if err != nil || diampeer.ResultCode(ans) != diameter.ResultSuccess {
		t.Fatalf("%s CER: %v (result %d)", p.name, err, diampeer.ResultCode(ans))
	}
	return c
}

// metric reads one sample from the admin endpoint's /metrics (-1 when
// absent).
func metric(t testing.TB, rn *running, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + rn.admin.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// diameterLoad keeps workers requests outstanding from one partner until
// stopped, and accounts for every one of them: a ULR is answered by home
// (2001), by a rule (5420 in the reload test) or by Breakwater in home's
// name when home cannot take or answer it (3002); an IDR location probe
// is refused by Breakwater (5012). A request without an answer within 5
// s is lost, which must never happen.
type diameterLoad struct {
	p    labPartner
	c    *diampeer.Client
	stop atomic.Bool
	wg   sync.WaitGroup

	mu    sync.Mutex
	codes map[string]map[uint32]int // op → result → count
	lost  []string
	errs  []error

	sent     atomic.Int64
	ok       atomic.Int64 // 2001 answers to ULRs
	refused  atomic.Int64 // 3002 answers
	rejected atomic.Int64 // 5012 answers to IDRs
}

func startDiameterLoad(c *diampeer.Client, p labPartner, workers int) *diameterLoad {
	l := &diameterLoad{p: p, c: c, codes: map[string]map[uint32]int{"ULR": {}, "IDR": {}}}
	for w := range workers {
		l.wg.Add(1)
		go l.worker(w)
	}
	return l
}

func (l *diameterLoad) fail(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *diameterLoad) worker(w int) {
	defer l.wg.Done()
	var b diameter.Builder
	for i := 0; !l.stop.Load(); i++ {
		imsi := strconv.Itoa(l.p.imsiBase + w*1000 + i%1000)
		op, code, plmn := "ULR", diameter.CmdUpdateLocation, l.p.plmn
		if i%5 == 4 {
			op, code, plmn = "IDR", diameter.CmdInsertSubscriberData, ""
		}
		req := l.c.S6a(&b, code, imsi, hssID.Realm, plmn)
		hbh := binaryHopByHop(req)
		l.sent.Add(1)
		ans, err := l.c.Do(req, 0, 5*time.Second)
		if errors.Is(err, diampeer.ErrNoAnswer) {
			l.mu.Lock()
			l.lost = append(l.lost, fmt.Sprintf("%s hop-by-hop %#x", op, hbh))
			l.mu.Unlock()
			continue
		}
		if err != nil {
			l.fail(fmt.Errorf("%s %s: %w", l.p.name, op, err))
			return
		}
		if h, _ := diameter.ParseHeader(ans); h.HopByHop != hbh || h.Code != code {
			l.fail(fmt.Errorf("%s %s: answer for command %d hop-by-hop %#x", l.p.name, op, h.Code, h.HopByHop))
		}
		rc := diampeer.ResultCode(ans)
		switch {
		case op == "ULR" && rc == diameter.ResultSuccess:
			l.ok.Add(1)
		case op == "IDR" && rc == 5012:
			l.rejected.Add(1)
		case rc == diameter.ResultUnableToDeliver:
			if ans[4]&diameter.FlagError == 0 {
				l.fail(fmt.Errorf("%s %s: 3002 without the E bit", l.p.name, op))
			}
			l.refused.Add(1)
			time.Sleep(time.Millisecond) // a partner would try another route; do not spin
		}
		l.mu.Lock()
		l.codes[op][rc]++
		l.mu.Unlock()
	}
}

// finish stops the load and waits for every outstanding request's fate.
func (l *diameterLoad) finish() {
	l.stop.Store(true)
	l.wg.Wait()
}

// check finishes the load and fails the test unless every request got an
// answer with one of the results allowed for its operation, and the
// connection is still up.
func (l *diameterLoad) check(t testing.TB, allowed map[string][]uint32) {
	t.Helper()
	l.finish()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("%s: %d requests: ULR results %v, IDR results %v", l.p.name, l.sent.Load(), l.codes["ULR"], l.codes["IDR"])
	for _, err := range l.errs {
		t.Error(err)
	}
	if len(l.lost) > 0 {
		t.Errorf("%s: %d requests never answered (silently lost), first %s", l.p.name, len(l.lost), l.lost[0])
	}
	for op, codes := range l.codes {
		for rc := range codes {
			if !slices.Contains(allowed[op], rc) {
				t.Errorf("%s: %d %s answered %d, want one of %v", l.p.name, codes[rc], op, rc, allowed[op])
			}
		}
	}
	select {
	case <-l.c.Closed():
		t.Errorf("%s: the partner's connection was closed", l.p.name)
	default:
	}
}

func binaryHopByHop(m []byte) uint32 {
	h, _ := diameter.ParseHeader(m)
	return h.HopByHop
}

// waitFor polls cond for up to d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// grows waits until counter has grown by n from now.
func grows(t testing.TB, what string, n int64, counter func() int64) {
	t.Helper()
	from := counter()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d more %s", n, what), func() bool { return counter() >= from+n })
}

// TestFaultHomeRestart: the home HSS goes away and comes back on the same
// address while two partners keep requests outstanding. Every request is
// accounted for: a ULR gets the HSS's 2001, or Breakwater's 3002
// DIAMETER_UNABLE_TO_DELIVER (E bit) when home could not take or answer
// it — including the requests the HSS had taken and not answered when it
// went down; an IDR probe always gets Breakwater's 5012, outage or not.
// None is lost, neither partner's connection drops, and both partners'
// ULRs are answered by the new HSS once it is up (the relay reconnects
// and replays each partner's CER).
func TestFaultHomeRestart(t *testing.T) {
	hss := homeHSS(t)
	hss.Record.Store(false)
	cfg := writeFaultConfig(t, diameterSection(hss.Addr().String()))
	rn, logs, _ := startServeLogged(t, cfg, nil)
	relay := rn.relays[0]
	uk := startDiameterLoad(dialPartner(t, relay.Addr().String(), ukLab), ukLab, 4)
	de := startDiameterLoad(dialPartner(t, relay.Addr().String(), deLab), deLab, 4)
	defer uk.finish()
	defer de.finish()
	bothOK := func(n int64) {
		t.Helper()
		grows(t, "ULRs answered 2001 for both partners", n, func() int64 { return min(uk.ok.Load(), de.ok.Load()) })
	}
	bothOK(50)

	// The HSS stops answering (every worker's request then waits in it
	// or in Breakwater), and goes away with them: its connections close.
	hss.Delay.Store(int64(300 * time.Millisecond))
	time.Sleep(100 * time.Millisecond)
	addr := hss.Addr()
	hss.Close()
	grows(t, "3002 answers while home is down", 20, func() int64 { return uk.refused.Load() + de.refused.Load() })
	hss2, err := diampeer.Listen(addr.String(), hssID)
	if err != nil {
		t.Fatal(err)
	}
	defer hss2.Close()
	hss2.Record.Store(false)
	waitFor(t, 10*time.Second, "the relay to reconnect both pairs to the new HSS",
		func() bool { return relay.Stats.UpstreamUp.Load() == 2 })
	bothOK(50)
	if hss2.Count() == 0 {
		t.Fatal("the new HSS received nothing")
	}
	allowed := map[string][]uint32{"ULR": {2001, 3002}, "IDR": {5012}}
	uk.check(t, allowed)
	de.check(t, allowed)

	// The requests the HSS held when it went were answered 3002 at once.
	held := 0
	for _, m := range regexp.MustCompile(`requests outstanding on the lost upstream connection answered.* requests=(\d+)`).FindAllStringSubmatch(logs.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		held += n
	}
	if held == 0 {
		t.Error("no request outstanding at the HSS was answered when its connection was lost")
	}
	if n := relay.Stats.UpstreamConnects.Load(); n != 4 {
		t.Errorf("%d upstream connections, want 2 per partner", n)
	}
	if !strings.Contains(logs.String(), "upstream reconnected; capabilities exchange replayed") {
		t.Error("the reconnection is not logged")
	}
	t.Logf("%d requests held by the HSS when it went answered 3002; 3002 in all: uk %d, de %d", held, uk.refused.Load(), de.refused.Load())
}

// TestFaultConfigDeleted: the rule file, then the configuration file, are
// deleted while a partner sends. Every reload attempt (the file watcher's,
// a SIGHUP) is refused and logged with the missing file, the running
// policy stays in force, and traffic is judged by it without a pause. The
// configuration put back as it was is still refused (its rule file is
// missing); the rule file put back, changed, is loaded and in force.
func TestFaultConfigDeleted(t *testing.T) {
	hss := homeHSS(t)
	hss.Record.Store(false)
	cfg := writeFaultConfig(t, diameterSection(hss.Addr().String())+"rules: rules.yaml\n")
	rulesPath := filepath.Join(filepath.Dir(cfg), "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte("rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgData, _ := os.ReadFile(cfg)
	reload := make(chan os.Signal, 1)
	rn, logs, _ := startServeLogged(t, cfg, reload)
	uk := startDiameterLoad(dialPartner(t, rn.relays[0].Addr().String(), ukLab), ukLab, 2)
	defer uk.finish()
	served := func() { t.Helper(); grows(t, "ULRs answered 2001", 20, uk.ok.Load) }
	served()
	version := rn.eng.Policy().Version()
	// refused counts the log's refusals triggered by trigger that name
	// file as missing.
	refused := func(trigger, file string) func() int {
		re := regexp.MustCompile(`level=ERROR msg="reload refused; the running policy stays in force" trigger=` +
			regexp.QuoteMeta(trigger) + ` err=".*` + regexp.QuoteMeta(file) + `.*no such file`)
		return func() int { return len(re.FindAllStringIndex(logs.String(), -1)) }
	}
	awaitRefusal := func(what string, count func() int) {
		t.Helper()
		n := count()
		waitFor(t, 5*time.Second, what, func() bool { return count() > n })
	}
	rulesGone, cfgGone, hupCfgGone := refused(`"file changed"`, "rules.yaml"), refused(`"file changed"`, "breakwater.yaml"), refused("SIGHUP", "breakwater.yaml")

	if err := os.Remove(rulesPath); err != nil {
		t.Fatal(err)
	}
	awaitRefusal("the watcher's reload without the rule file to be refused and logged", rulesGone)
	served()
	if err := os.Remove(cfg); err != nil {
		t.Fatal(err)
	}
	awaitRefusal("the watcher's reload without the configuration to be refused and logged", cfgGone)
	reload <- syscall.SIGHUP
	awaitRefusal("the SIGHUP reload without the configuration to be refused and logged", hupCfgGone)
	served()
	if v := rn.eng.Policy().Version(); v != version {
		t.Fatalf("policy %s in force after the files were deleted, want the running %s", v, version)
	}
	if resp, err := http.Get("http://" + rn.admin.Addr().String() + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("not ready without its files: %v", err)
	} else {
		resp.Body.Close()
	}

	// The configuration comes back unchanged (an editor's save: write
	// and rename): refused, its rule file is still missing.
	save := func(path string, data []byte) {
		t.Helper()
		tmp := filepath.Join(filepath.Dir(path), ".save.tmp")
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	n := rulesGone()
	save(cfg, cfgData)
	waitFor(t, 5*time.Second, "the reload with the rule file still missing to be refused and logged", func() bool { return rulesGone() > n })
	if rn.eng.Policy().Version() != version || rn.reloads.OK.Load() != 0 {
		t.Fatal("a reload without the rule file changed the policy")
	}
	// The rule file comes back, changed: in force.
	save(rulesPath, []byte("rules:\n  - id: LAB-NO-ULR\n    match: 'op == \"ULR\"'\n    action: reject\n    result_code: 5420\n"))
	waitFor(t, 5*time.Second, "the restored rule file in force", func() bool { return ruleCode(rn.eng, "LAB-NO-ULR") == 5420 })
	grows(t, "ULRs refused by LAB-NO-ULR", 20, func() int64 {
		uk.mu.Lock()
		defer uk.mu.Unlock()
		return int64(uk.codes["ULR"][5420])
	})
	uk.check(t, map[string][]uint32{"ULR": {2001, 5420}, "IDR": {5012}})
	if rn.reloads.OK.Load() != 1 || !strings.Contains(logs.String(), `msg="policy reloaded" trigger="file changed"`) {
		t.Errorf("reloads ok %d; the restored files' reload not logged", rn.reloads.OK.Load())
	}
	if got := metric(t, rn, `breakwater_policy_reloads_total{result="failed"}`); got < 4 || got != float64(rn.reloads.Failed.Load()) {
		t.Errorf("breakwater_policy_reloads_total{result=\"failed\"} %v, want the %d refusals (at least 4)", got, rn.reloads.Failed.Load())
	}
}

// TestFaultPartnerHangsUpMidMessage: the German partner connects to the
// Diameter and the M3UA relay and hangs up in the middle of a message —
// before or after its capabilities exchange / ASP Up, with a FIN or a
// RST — ten times each. The UK partner's MME and SG, working all along,
// lose nothing and are not disturbed; every pair the German partner
// opened is gone (and its upstream connection with it), and the process
// has no more goroutines than before.
func TestFaultPartnerHangsUpMidMessage(t *testing.T) {
	hss := homeHSS(t)
	hss.Record.Store(false)
	stp := newLabSTP(t)
	cfg := writeFaultConfig(t, diameterSection(hss.Addr().String())+m3uaSection(stp.addr().String()))
	rn, logs, _ := startServeLogged(t, cfg, nil)
	dea, sig := rn.relays[0], rn.m3ua[0]
	uk := startDiameterLoad(dialPartner(t, dea.Addr().String(), ukLab), ukLab, 2)
	defer uk.finish()
	ukSG := startM3UALoad(t, sig.Addr(), ukSGLab)
	defer ukSG.finish()
	grows(t, "UK ULRs answered", 20, uk.ok.Load)
	grows(t, "UK updateLocations answered", 20, ukSG.ok.Load)
	time.Sleep(100 * time.Millisecond) // everything started has settled
	base := runtime.NumGoroutine()

	const rounds = 10
	for i := range rounds {
		hangUpDiameter(t, dea.Addr(), i%3)
		hangUpM3UA(t, sig.Addr(), i%3)
	}
	waitFor(t, 10*time.Second, "the German partner's pairs to end", func() bool {
		return dea.Stats.ActivePairs.Load() == 1 && sig.Stats.ActivePairs.Load() == 1 &&
			dea.Stats.UpstreamUp.Load() == 1 && sig.Stats.UpstreamUp.Load() == 1
	})
	waitFor(t, 10*time.Second, fmt.Sprintf("the goroutines to come back to %d", base), func() bool {
		return runtime.NumGoroutine() <= base+2
	})
	grows(t, "UK ULRs answered after the hang-ups", 20, uk.ok.Load)
	grows(t, "UK updateLocations answered after the hang-ups", 20, ukSG.ok.Load)
	if n := dea.Stats.Accepted.Load(); n != 1+rounds {
		t.Errorf("Diameter relay accepted %d connections, want %d", n, 1+rounds)
	}
	if n := sig.Stats.Accepted.Load(); n != 1+rounds {
		t.Errorf("M3UA relay accepted %d associations, want %d", n, 1+rounds)
	}
	if n := strings.Count(logs.String(), `err="unexpected EOF"`); n < rounds {
		t.Errorf("%d pairs ended on a cut-off message in the log, want at least %d", n, rounds)
	}
	uk.check(t, map[string][]uint32{"ULR": {2001}, "IDR": {5012}})
	ukSG.check(t)
	t.Logf("goroutines: %d before the hang-ups, %d after (go_goroutines %v)", base, runtime.NumGoroutine(),
		metric(t, rn, "go_goroutines"))
}

// hangUpDiameter connects from the German partner's address and leaves
// in the middle of a message: 0: half a CER, then FIN; 1: CER answered,
// half a ULR, FIN; 2: the same with a RST.
func hangUpDiameter(t testing.TB, relay transport.Address, how int) {
	t.Helper()
	c, err := transport.Dial(context.Background(), relay, diampeer.Options(deLab.from))
	if err != nil {
		t.Fatal(err)
	}
	cl := &diampeer.Client{ID: deMME}
	var b diameter.Builder
	msg := cl.CER(&b, diameter.AppS6aS6d)
	if how > 0 {
		if err := c.WriteMessage(transport.Message{Data: msg}); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.ReadMessage(make([]byte, 0, 1<<16)); err != nil {
			t.Fatalf("CEA: %v", err)
		}
		msg = cl.S6a(&b, diameter.CmdUpdateLocation, "310260000299999", hssID.Realm, deLab.plmn)
	}
	if err := c.WriteMessage(transport.Message{Data: msg[:len(msg)/2]}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // the half message arrives on its own
	if how == 2 {
		c.Abort()
	} else {
		c.Close()
	}
}

// hangUpM3UA is hangUpDiameter for the M3UA relay: half an ASP Up; ASP
// Up acknowledged, then half an updateLocation in DATA (FIN, or RST).
func hangUpM3UA(t testing.TB, relay transport.Address, how int) {
	t.Helper()
	c, err := transport.Dial(context.Background(), relay, transport.Options{Framer: proxy.M3UAFramer(),
		Local: []netip.Addr{netip.MustParseAddr(deSGLab.from)}, ConnectTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var b m3ua.Builder
	msg := bytes.Clone(b.Start(m3ua.KindASPUP).Message())
	if how > 0 {
		if err := c.WriteMessage(transport.Message{Data: msg}); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if m, err := c.ReadMessage(make([]byte, 0, 1<<16)); err != nil {
			t.Fatalf("ASP Up Ack: %v", err)
		} else if h, _ := m3ua.ParseHeader(m.Data); h.Kind() != m3ua.KindASPUPAck {
			t.Fatalf("got %s, want ASPUP_ACK", h.Kind())
		}
		var p m3uaPartner
		p.lab = deSGLab
		msg = p.data(beginUL(&p, 1, "310260000399999"))
	}
	if err := c.WriteMessage(transport.Message{Data: msg[:len(msg)/2]}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if how == 2 {
		c.Abort()
	} else {
		c.Close()
	}
}

// TestFaultAuditDiskFull: the audit log's file system (a 256 KiB tmpfs
// mounted for the test; root only) fills up while a partner sends, and
// every IDR probe it sends is a record. The message path does not wait:
// requests keep being answered at once; the records that cannot be
// written are counted as lost (breakwater_audit_records_total
// {result="lost"}) and the error logged; when space is freed, writing
// resumes. At the end every record is accounted for — written, dropped
// or lost add up to the probes refused — and the file holds exactly the
// written records, each a whole JSON line.
func TestFaultAuditDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "audit")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root / CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { // after Breakwater's shutdown has closed the file
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	hss := homeHSS(t)
	hss.Record.Store(false)
	auditPath := filepath.Join(mnt, "audit.jsonl")
	cfg := writeFaultConfig(t, diameterSection(hss.Addr().String())+
		fmt.Sprintf("privacy:\n  pseudonym_key_file: pseudonym.key\naudit:\n  path: %s\n", auditPath))
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfg), "pseudonym.key"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rn, logs, stop := startServeLogged(t, cfg, nil)
	al := rn.audit
	uk := startDiameterLoad(dialPartner(t, rn.relays[0].Addr().String(), ukLab), ukLab, 2)
	defer uk.finish()
	waitFor(t, 10*time.Second, "audit records written", func() bool { return al.Stats().Written >= 20 })

	filler := filepath.Join(mnt, "filler")
	fillDisk(t, filler)
	waitFor(t, 10*time.Second, "records lost to the full disk", func() bool { return al.Stats().Lost > 0 })
	// Full: requests are answered as before, and their records lost.
	lost := al.Stats().Lost
	grows(t, "ULRs answered with the audit disk full", 200, uk.ok.Load)
	grows(t, "IDRs refused with the audit disk full", 50, uk.rejected.Load)
	if s := al.Stats(); s.Lost <= lost || s.WriteErrors == 0 {
		t.Fatalf("audit stats on a full disk %+v: records not counted as lost", s)
	}
	if got := metric(t, rn, `breakwater_audit_records_total{result="lost"}`); got <= 0 {
		t.Errorf(`breakwater_audit_records_total{result="lost"} %v`, got)
	}
	if !regexp.MustCompile(`level=ERROR msg="audit log: cannot write .*no space left on device`).MatchString(logs.String()) {
		t.Error("the full disk is not logged")
	}

	// Space is freed: writing resumes.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	written := al.Stats().Written
	waitFor(t, 10*time.Second, "audit records written again", func() bool { return al.Stats().Written >= written+20 })
	uk.check(t, map[string][]uint32{"ULR": {2001}, "IDR": {5012}})
	if err := stop(); err != nil { // the audit log drains and closes
		t.Fatal(err)
	}
	s := al.Stats()
	t.Logf("audit: %+v; %d IDRs refused; %q logged: %v", s, uk.rejected.Load(), "audit log: writing again",
		strings.Contains(logs.String(), "audit log: writing again"))
	if got, want := s.Written+s.Dropped+s.Lost, uint64(uk.rejected.Load()); got != want || s.QueueDepth != 0 {
		t.Errorf("audit records written %d + dropped %d + lost %d = %d, want one per refused IDR (%d)", s.Written, s.Dropped, s.Lost, got, want)
	}
	raw, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	for i, l := range lines {
		if !json.Valid(l) {
			t.Fatalf("audit line %d is not JSON: %q", i+1, l)
		}
	}
	if uint64(len(lines)) != s.Written {
		t.Errorf("%d lines in the audit log, %d counted as written", len(lines), s.Written)
	}
}

// fillDisk writes path until its file system is full.
func fillDisk(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1024)
	for range 1 << 12 {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the file system: %v", err)
			}
			return
		}
	}
	t.Fatal("the file system did not fill up")
}

// The SS7 side of the lab: the home STP with an HLR behind it, and
// partners' SGs.

var (
	labHLRGT = sccp.AppendGTAddress(nil, 6, 0, sccp.NPISDN, sccp.NAIInternational, "12065550001")
	acnLocUp = []byte{0x04, 0x00, 0x00, 0x01, 0x00, 1, 3}  // networkLocUpContext-v3
	acnATI   = []byte{0x04, 0x00, 0x00, 0x01, 0x00, 29, 3} // anyTimeInfoEnquiryContext-v3
)

const (
	opUpdateLocation = 2
	opATI            = 71
	labRC            = 7 // the routing context of every partner's AS at the STP
)

// labSG is a partner's signaling gateway: its address, point code and
// the global title of its VLR.
type labSG struct {
	name, from string
	pc         uint32
	vlr        string
	imsiBase   int
}

var (
	ukSGLab = labSG{name: "uk", from: "127.0.0.2", pc: 0x1001, vlr: "447785000011", imsiBase: 310260000300000}
	deSGLab = labSG{name: "de", from: "127.0.0.4", pc: 0x1002, vlr: "4917000011", imsiBase: 310260000400000}
)

// BER, TBCD and address encoders for the test messages.
var (
	tlv      = bertest.TLV
	tbcd     = bertest.TBCD
	isdnAddr = bertest.ISDN
)

// labSTP is the home STP: it acknowledges ASP Up, ASP Active and BEAT,
// and the HLR behind it answers updateLocation with a TC-END carrying
// the HLR number.
type labSTP struct {
	ln    transport.Listener
	count atomic.Int64
	mu    sync.Mutex
	conns map[transport.Conn]struct{}
	wg    sync.WaitGroup
}

func newLabSTP(t testing.TB) *labSTP {
	t.Helper()
	ln, err := transport.Listen(transport.Address{Kind: transport.TCP, IPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		transport.Options{Framer: proxy.M3UAFramer()})
	if err != nil {
		t.Fatal(err)
	}
	s := &labSTP{ln: ln, conns: map[transport.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *labSTP) addr() transport.Address { return s.ln.Addr() }

func (s *labSTP) serve(c transport.Conn) {
	buf := make([]byte, 0, 1<<16)
	sg := ss7test.HomeSG{DefaultRC: []uint32{labRC}}
	for {
		m, err := c.ReadMessage(buf)
		if err != nil {
			return
		}
		s.count.Add(1)
		out := sg.Answer(m.Data)
		if out == nil {
			continue
		}
		if c.WriteMessage(transport.Message{Data: out, Stream: m.Stream, PPID: m3ua.PPID}) != nil {
			return
		}
	}
}

// m3uaPartner is a partner SG's association through the M3UA relay.
type m3uaPartner struct {
	lab labSG
	c   transport.Conn
	buf []byte
	mb  m3ua.Builder
	sb  sccp.Builder
	tb  tcap.Builder
	tid uint32
}

var m3uaTIDs atomic.Uint32

// dialM3UA associates lab's SG with the relay and brings its ASP up and
// active.
func dialM3UA(relay transport.Address, lab labSG) (*m3uaPartner, error) {
	c, err := transport.Dial(context.Background(), relay, transport.Options{Framer: proxy.M3UAFramer(),
		Local: []netip.Addr{netip.MustParseAddr(lab.from)}, ConnectTimeout: 3 * time.Second})
	if err != nil {
		return nil, err
	}
	// Each association its own TCAP transaction ids.
	p := &m3uaPartner{lab: lab, c: c, buf: make([]byte, 0, 1<<16), tid: m3uaTIDs.Add(1 << 24)}
	for _, step := range []struct {
		msg  []byte
		want m3ua.Kind
	}{
		{bytes.Clone(p.mb.Start(m3ua.KindASPUP).Message()), m3ua.KindASPUPAck},
		{bytes.Clone(p.mb.Start(m3ua.KindASPAC).Uint32(m3ua.TagTrafficModeType, 2).List(m3ua.TagRoutingContext, []uint32{labRC}).Message()), m3ua.KindASPACAck},
	} {
		if err := c.WriteMessage(transport.Message{Data: step.msg, PPID: m3ua.PPID}); err != nil {
			c.Close()
			return nil, err
		}
		if kind, err := p.next(); err != nil || kind != step.want {
			c.Close()
			return nil, fmt.Errorf("%s: got %s (%v), want %s", lab.name, kind, err, step.want)
		}
	}
	return p, nil
}

// next reads the next message's kind (5 s at most).
func (p *m3uaPartner) next() (m3ua.Kind, error) {
	p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := p.c.ReadMessage(p.buf)
	if err != nil {
		return 0, err
	}
	h, err := m3ua.ParseHeader(m.Data)
	return h.Kind(), err
}

// beginUL and beginATI are TC-BEGINs with a fresh transaction id.
func beginUL(p *m3uaPartner, invoke int32, imsi string) []byte {
	p.tid++
	arg := tlv(0x30, tlv(0x04, tbcd(imsi)), tlv(0x81, isdnAddr(p.lab.vlr[:len(p.lab.vlr)-1]+"0")), tlv(0x04, isdnAddr(p.lab.vlr)))
	return p.tb.Start(tcap.Begin).OTID(binaryBE(p.tid)).AARQ(acnLocUp, nil).Components().Invoke(invoke, opUpdateLocation, arg).Message()
}

func beginATI(p *m3uaPartner, imsi string) []byte {
	p.tid++
	arg := tlv(0x30, tlv(0xa0, tlv(0x80, tbcd(imsi))), tlv(0xa1, tlv(0x80)), tlv(0x83, isdnAddr(p.lab.vlr[:len(p.lab.vlr)-2]+"99")))
	return p.tb.Start(tcap.Begin).OTID(binaryBE(p.tid)).AARQ(acnATI, nil).Components().Invoke(1, opATI, arg).Message()
}

func binaryBE(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// data wraps TCAP in a UDT from the partner's VLR to the home HLR, in
// M3UA DATA.
func (p *m3uaPartner) data(tc []byte) []byte {
	u, err := p.sb.UDT(0x80, labHLRGT, sccp.AppendGTAddress(nil, 7, 0, sccp.NPISDN, sccp.NAIInternational, p.lab.vlr), tc)
	if err != nil {
		panic(err)
	}
	d := m3ua.Data{RoutingContext: m3ua.Some(labRC), ProtocolData: m3ua.ProtocolData{
		OPC: p.lab.pc, DPC: 0x0101, SI: m3ua.SISCCP, NI: m3ua.NIInternational, SLS: 5, UserData: u}}
	return bytes.Clone(p.mb.Data(&d))
}

// roundTrip sends a TC-BEGIN and returns the TCAP type of the answer.
func (p *m3uaPartner) roundTrip(tc []byte) (tcap.MessageType, error) {
	if err := p.c.WriteMessage(transport.Message{Data: p.data(tc), PPID: m3ua.PPID}); err != nil {
		return 0, err
	}
	p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := p.c.ReadMessage(p.buf)
	if err != nil {
		return 0, err
	}
	var d m3ua.Data
	var s sccp.Message
	var tm tcap.Message
	if err := m3ua.ParseData(m.Data, &d); err != nil {
		return 0, fmt.Errorf("answer %x: %w", m.Data, err)
	}
	if err := sccp.Parse(d.UserData, &s); err != nil {
		return 0, err
	}
	if err := tcap.Parse(s.Data, &tm); err != nil {
		return 0, err
	}
	return tm.Type, nil
}

// m3uaLoad runs one SG's dialogues until stopped: updateLocation (the HLR
// answers with a TC-END) and anyTimeInterrogation (Breakwater answers
// with a TC-ABORT), one at a time.
type m3uaLoad struct {
	p    *m3uaPartner
	stop atomic.Bool
	done chan struct{}
	ok   atomic.Int64 // TC-ENDs
	abrt atomic.Int64 // TC-ABORTs
	err  error
}

func startM3UALoad(t testing.TB, relay transport.Address, lab labSG) *m3uaLoad {
	t.Helper()
	p, err := dialM3UA(relay, lab)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.c.Close() })
	l := &m3uaLoad{p: p, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for i := 0; !l.stop.Load(); i++ {
			imsi := strconv.Itoa(lab.imsiBase + i%1000)
			tc, want, n := beginUL(p, 1, imsi), tcap.End, &l.ok
			if i%4 == 3 {
				tc, want, n = beginATI(p, imsi), tcap.Abort, &l.abrt
			}
			got, err := p.roundTrip(tc)
			if err == nil && got != want {
				err = fmt.Errorf("answered with TCAP type %v, want %v", got, want)
			}
			if err != nil {
				l.err = fmt.Errorf("%s dialogue %d: %w", lab.name, i, err)
				return
			}
			n.Add(1)
		}
	}()
	return l
}

func (l *m3uaLoad) finish() {
	l.stop.Store(true)
	<-l.done
}

func (l *m3uaLoad) check(t testing.TB) {
	t.Helper()
	l.finish()
	t.Logf("%s SG: %d updateLocation answered by the HLR, %d anyTimeInterrogation aborted by Breakwater", l.p.lab.name, l.ok.Load(), l.abrt.Load())
	if l.err != nil {
		t.Error(l.err)
	}
}
