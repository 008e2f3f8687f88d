package main

import (
	"breakwater/firewall/engine"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"breakwater/firewall/proxy"
	"breakwater/firewall/transport"
	"breakwater/internal/diampeer"
	"breakwater/protocols/diameter"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/tcap"
)

// TestMain lets the test binary act as the breakwater command, so that
// signal handling is tested on a real process.
func TestMain(m *testing.M) {
	if os.Getenv("BREAKWATER_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const inlineConfig = `
home:
  plmns: ["310260"]
  realms: ["epc.mnc260.mcc310.3gppnetwork.org"]
  addresses: ["127.0.0.1/32"]
partners:
  - name: uk
    plmns: ["23415"]
    realms: ["epc.mnc015.mcc234.3gppnetwork.org"]
    addresses: ["127.0.0.2/32"]
velocity:
  max_subscribers: 4096
diameter:
  - name: uk-dea
    listen: tcp://127.0.0.1:%d
    upstream: %s
admin:
  listen: 127.0.0.1:%d
shutdown_timeout: 3s
`

func writeInlineConfig(t *testing.T, upstream string, port, adminPort int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "breakwater.yaml")
	if err := os.WriteFile(p, []byte(fmt.Sprintf(inlineConfig, port, upstream, adminPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	hssID = diampeer.Identity{Host: "hss.epc.mnc260.mcc310.3gppnetwork.org", Realm: "epc.mnc260.mcc310.3gppnetwork.org"}
	mmeID = diampeer.Identity{Host: "mme.epc.mnc015.mcc234.3gppnetwork.org", Realm: "epc.mnc015.mcc234.3gppnetwork.org"}
)

func TestServeRelaysAndReports(t *testing.T) {
	hss := homeHSS(t)
	cfg := writeInlineConfig(t, hss.Addr().String(), 0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	rn, done := startServe(t, ctx, cfg, nil)
	mme := ukMME(t, rn.relays[0].Addr().String())
	var b diameter.Builder
	ulr, err := mme.Do(mme.S6a(&b, diameter.CmdUpdateLocation, "310260000000001", hssID.Realm, "23415"), 0, 3*time.Second)
	if err != nil || diampeer.ResultCode(ulr) != 2001 {
		t.Fatalf("ULR: %v", err)
	}
	idr, err := mme.Do(mme.S6a(&b, diameter.CmdInsertSubscriberData, "310260000000001", hssID.Realm, ""), 0, 3*time.Second)
	if err != nil || diampeer.ResultCode(idr) != 5012 {
		t.Fatalf("IDR: %v", err)
	}
	base := "http://" + rn.admin.Addr().String()
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `breakwater_rule_hits_total{action="reject",category="2",rule="DIA-C2-IDR-LOCATION"} 1`,
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %d, missing %q in:\n%s", path, resp.StatusCode, want, body)
		}
		if path == "/metrics" {
			for _, m := range []string{
				`breakwater_messages_total{direction="inbound",protocol="diameter",verdict="allow"} 2`,
				`breakwater_diameter_local_answers_total{reason="rejected",relay="uk-dea"} 1`,
				`breakwater_diameter_connection_pairs{relay="uk-dea"} 1`,
				`breakwater_partner_messages_total{op="IDR",partner="uk",protocol="diameter",verdict="reject"} 1`,
				`breakwater_partner_messages_total{op="ULR",partner="uk",protocol="diameter",verdict="allow"} 1`,
				`breakwater_partner_processing_seconds_count{partner="uk"} 3`,
				`breakwater_policy_info{version="gsma-baseline-1+cfg.`,
			} {
				if !strings.Contains(string(body), m) {
					t.Errorf("metrics lack %s", m)
				}
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case <-mme.Closed():
	case <-time.After(3 * time.Second):
		t.Fatal("partner connection open after shutdown")
	}
}

func TestServeReportsBadListen(t *testing.T) {
	// 192.0.2.1 (TEST-NET-1) is not an address of this host.
	cfg := writeInlineConfig(t, "tcp://127.0.0.1:1", 0, 0)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(data, []byte("listen: tcp://127.0.0.1:0"), []byte("listen: tcp://192.0.2.1:3868"), 1), 0o644)
	err := serve(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	if err == nil || !strings.Contains(err.Error(), cfg+":") || !strings.Contains(err.Error(), `relay "uk-dea"`) {
		t.Fatalf("binding an address this host lacks: %v", err)
	}
}

// TestRunStopsOnSIGTERM runs the real command in a process and stops it
// with SIGTERM: it must exit 0 after a graceful shutdown.
func TestRunStopsOnSIGTERM(t *testing.T) {
	hss := homeHSS(t)
	cfg := writeInlineConfig(t, hss.Addr().String(), 0, 0)
	cmd := exec.Command(os.Args[0], "run", "-c", cfg, "--log-format", "json")
	cmd.Env = append(os.Environ(), "BREAKWATER_TEST_MAIN=1")
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "breakwater running") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const m3uaInlineConfig = `
home:
  plmns: ["310260"]
  gt_prefixes: ["1206"]
  addresses: ["127.0.0.1/32"]
partners:
  - name: uk
    plmns: ["23415"]
    gt_prefixes: ["447785"]
    addresses: ["127.0.0.2/32"]
m3ua:
  - name: uk-stp
    listen: tcp://127.0.0.1:0
    upstream: %s
    reject_with: tcap-abort
admin:
  listen: 127.0.0.1:0
shutdown_timeout: 3s
`

// TestServeM3UA: `breakwater run` starts the M3UA relays configured, and
// their counters reach /metrics.
func TestServeM3UA(t *testing.T) {
	home, err := transport.Listen(transport.Address{Kind: transport.TCP, IPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		transport.Options{Framer: proxy.M3UAFramer()})
	if err != nil {
		t.Fatal(err)
	}
	defer home.Close()
	go func() { // the home STP acknowledges ASP Up
		c, err := home.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var b m3ua.Builder
		buf := make([]byte, 0, 1<<16)
		for {
			m, err := c.ReadMessage(buf)
			if err != nil {
				return
			}
			if h, _ := m3ua.ParseHeader(m.Data); h.Kind() == m3ua.KindASPUP {
				c.WriteMessage(transport.Message{Data: b.AspUpAck(m3ua.Opt32{}, nil)})
			}
		}
	}()
	cfg := filepath.Join(t.TempDir(), "breakwater.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(m3uaInlineConfig, home.Addr().String())), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rn, done := startServe(t, ctx, cfg, nil)
	if len(rn.m3ua) != 1 {
		t.Fatalf("%d M3UA relays started", len(rn.m3ua))
	}
	partner, err := transport.Dial(context.Background(), rn.m3ua[0].Addr(), transport.Options{
		Framer: proxy.M3UAFramer(), Local: []netip.Addr{netip.MustParseAddr("127.0.0.2")}})
	if err != nil {
		t.Fatal(err)
	}
	defer partner.Close()
	partner.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 0, 1<<16)
	var b m3ua.Builder
	partner.WriteMessage(transport.Message{Data: b.Start(m3ua.KindASPUP).Message()})
	if m, err := partner.ReadMessage(buf); err != nil {
		t.Fatal(err)
	} else if h, _ := m3ua.ParseHeader(m.Data); h.Kind() != m3ua.KindASPUPAck {
		t.Fatalf("got %s, want ASPUP_ACK", h.Kind())
	}
	// anyTimeInterrogation from the partner: answered with a TC-ABORT.
	var tb tcap.Builder
	var sb sccp.Builder
	ati := tb.Start(tcap.Begin).OTID([]byte{1, 2, 3, 4}).AARQ([]byte{4, 0, 0, 1, 0, 29, 3}, nil).Components().
		// AnyTimeInterrogationArg { subscriberIdentity [0] { imsi [0] },
		// requestedInfo [1] { locationInformation [0] }, gsmSCF-Address [3] }
		Invoke(1, 71, []byte{0x30, 0x19, 0xa0, 0x0a, 0x80, 0x08, 0x13, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0xf1,
			0xa1, 0x02, 0x80, 0x00, 0x83, 0x07, 0x91, 0x44, 0x77, 0x58, 0x00, 0x00, 0xf9}).Message()
	u, _ := sb.UDT(0x80, sccp.AppendGTAddress(nil, 6, 0, 1, 4, "12065550001"), sccp.AppendGTAddress(nil, 7, 0, 1, 4, "447785000011"), ati)
	d := m3ua.Data{ProtocolData: m3ua.ProtocolData{OPC: 2, DPC: 1, SI: m3ua.SISCCP, UserData: u}}
	partner.WriteMessage(transport.Message{Data: b.Data(&d)})
	m, err := partner.ReadMessage(buf)
	if err != nil {
		t.Fatal(err)
	}
	var ans m3ua.Data
	var s sccp.Message
	var tc tcap.Message
	if m3ua.ParseData(m.Data, &ans) != nil || sccp.Parse(ans.UserData, &s) != nil || tcap.Parse(s.Data, &tc) != nil || tc.Type != tcap.Abort {
		t.Fatalf("answer to the ATI: %x", m.Data)
	}
	resp, err := http.Get("http://" + rn.admin.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`breakwater_m3ua_association_pairs{relay="uk-stp"} 1`,
		`breakwater_m3ua_management_relayed_total{direction="to_upstream",kind="ASPUP",relay="uk-stp"} 1`,
		`breakwater_m3ua_management_relayed_total{direction="to_partner",kind="ASPUP_ACK",relay="uk-stp"} 1`,
		`breakwater_m3ua_answers_total{kind="tcap_u_abort",relay="uk-stp"} 1`,
		`breakwater_m3ua_data_blocked_total{direction="to_upstream",relay="uk-stp"} 1`,
		`breakwater_rule_hits_total{action="reject",category="1",rule="MAP-C1-OPERATION"} 1`,
		`breakwater_messages_total{direction="inbound",protocol="map",verdict="reject"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	partner.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := partner.ReadMessage(buf); err == nil {
		t.Fatal("partner association open after shutdown")
	}
}

// TestServeReloadsPolicy: a reload signal puts a new rule file in force
// without touching the partner's connection; an invalid file is refused
// and the running rules stay.
func TestServeReloadsPolicy(t *testing.T) {
	hss := homeHSS(t)
	cfg := writeInlineConfig(t, hss.Addr().String(), 0, 0)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("rules: rules.yaml\n")...), 0o644)
	rulesPath := filepath.Join(filepath.Dir(cfg), "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte("rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reload := make(chan os.Signal, 1)
	rn, _ := startServe(t, ctx, cfg, reload)
	eng := rn.eng
	mme := ukMME(t, rn.relays[0].Addr().String())
	var b diameter.Builder
	ulr := func() uint32 {
		a, err := mme.Do(mme.S6a(&b, diameter.CmdUpdateLocation, "310260000000001", hssID.Realm, "23415"), 0, 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return diampeer.ResultCode(a)
	}
	if rc := ulr(); rc != 2001 {
		t.Fatalf("ULR before the reload: %d", rc)
	}
	os.WriteFile(rulesPath, []byte("rules:\n  - id: LAB-NO-ULR\n    match: 'op == \"ULR\"'\n    action: reject\n    result_code: 5420\n"), 0o644)
	reload <- syscall.SIGHUP
	waitUntil(t, "the new rules in force", func() bool { return ruleCode(eng, "LAB-NO-ULR") == 5420 })
	if rc := ulr(); rc != 5420 {
		t.Fatalf("ULR after the reload: %d, want 5420 from LAB-NO-ULR", rc)
	}
	good := eng.Policy().Version()
	os.WriteFile(rulesPath, []byte("rules:\n  - id: BROKEN\n    match: 'op ==='\n    action: reject\n"), 0o644)
	reload <- syscall.SIGHUP
	time.Sleep(200 * time.Millisecond) // nothing to wait for: the reload must change nothing
	if eng.Policy().Version() != good {
		t.Fatal("an invalid rule file replaced the running rules")
	}
	if rc := ulr(); rc != 5420 {
		t.Fatalf("ULR after the refused reload: %d", rc)
	}
	if rn.reloads.Failed.Load() == 0 {
		t.Error("the refused reload was not counted")
	}
	resp, err := http.Get("http://" + rn.admin.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`breakwater_policy_reloads_total{result="failed"}`, `breakwater_policy_reloads_total{result="ok"} 1`,
		`breakwater_policy_loaded_timestamp_seconds{version="` + good + `"}`} {
		if !strings.Contains(string(body), m) {
			t.Errorf("metrics lack %s", m)
		}
	}
	// No signal this time: saving the file is enough (the watcher).
	os.WriteFile(rulesPath, []byte("rules:\n  - id: LAB-NO-ULR\n    match: 'op == \"ULR\"'\n    action: reject\n    result_code: 5421\n"), 0o644)
	waitUntil(t, "the edited rules in force", func() bool { return ruleCode(eng, "LAB-NO-ULR") == 5421 })
	if rc := ulr(); rc != 5421 {
		t.Fatalf("ULR after the edit: %d, want 5421", rc)
	}
	select {
	case <-mme.Closed():
		t.Fatal("the partner connection was closed by a reload")
	default:
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startServe runs serve in the background until ctx ends and returns what
// it started, and the channel its result arrives on.
func startServe(t *testing.T, ctx context.Context, cfg string, reload <-chan os.Signal) (*running, <-chan error) {
	t.Helper()
	started := make(chan *running, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), started, reload) }()
	select {
	case rn := <-started:
		return rn, done
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	return nil, nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestOpsVerbs: `status`, `reload` and the admin API they use, with a
// bearer token; a wrong token is refused.
func TestOpsVerbs(t *testing.T) {
	hss := homeHSS(t)
	adminPort := freePort(t)
	cfg := writeInlineConfig(t, hss.Addr().String(), 0, adminPort)
	tokenFile := filepath.Join(filepath.Dir(cfg), "admin.token")
	os.WriteFile(tokenFile, []byte("s3cret-token-0123456789\n"), 0o600)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(data, []byte("admin:\n"), []byte("admin:\n  token_file: admin.token\n"), 1), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rn, _ := startServe(t, ctx, cfg, nil)

	var out, errOut bytes.Buffer
	if code := run([]string{"status", "-c", cfg}, &out, &errOut); code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut.String())
	}
	var st struct {
		Policy struct{ Version string }
		Relays []struct{ Name, Protocol string }
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("status output is not JSON: %v\n%s", err, out.String())
	}
	if st.Policy.Version != rn.eng.Policy().Version() || len(st.Relays) != 1 || st.Relays[0].Protocol != "diameter" {
		t.Fatalf("status %+v", st)
	}
	out.Reset()
	if code := run([]string{"reload", "-c", cfg}, &out, &errOut); code != 0 || !strings.Contains(out.String(), rn.eng.Policy().Version()) {
		t.Fatalf("reload: exit %d: %s %s", code, out.String(), errOut.String())
	}
	// The API refuses a request without the token.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/status", adminPort))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	os.WriteFile(tokenFile, []byte("another-token-0123456789\n"), 0o600)
	errOut.Reset()
	if code := run([]string{"status", "-c", cfg}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "bearer token") {
		t.Fatalf("wrong token: exit %d: %s", code, errOut.String())
	}
	// Partners and rules.
	os.WriteFile(tokenFile, []byte("s3cret-token-0123456789\n"), 0o600)
	c, err := newAdminClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var partners []struct{ Name string }
	if err := c.do("GET", "/api/v1/partners", &partners); err != nil || len(partners) != 1 || partners[0].Name != "uk" {
		t.Fatalf("partners %+v %v", partners, err)
	}
	var rules struct {
		Rules []struct{ ID string }
	}
	if err := c.do("GET", "/api/v1/rules", &rules); err != nil || len(rules.Rules) < 40 {
		t.Fatalf("rules: %d %v", len(rules.Rules), err)
	}
}

// TestQuarantine: a partner quarantined by hand (the CLI verb through the
// admin API) loses its connection at once and cannot reconnect; the
// quarantine survives a restart (state file); lifted, the partner
// reconnects. Then automatic quarantine: three blocked category 2 probes
// within the window isolate the partner.
func TestQuarantine(t *testing.T) {
	hss := homeHSS(t)
	relayPort, adminPort := freePort(t), freePort(t)
	cfg := writeInlineConfig(t, hss.Addr().String(), relayPort, adminPort)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("quarantine:\n  state_file: quarantine.json\n  threshold: 3\n  window: 1m\n  duration: 1h\n")...), 0o644)
	relayAddr := fmt.Sprintf("tcp://127.0.0.1:%d", relayPort)
	connect := func() (*diampeer.Client, error) {
		mme, err := diampeer.Dial(context.Background(), relayAddr, mmeID, "127.0.0.2")
		if err != nil {
			return nil, err
		}
		var b diameter.Builder
		if _, err := mme.Do(mme.CER(&b, diameter.AppS6aS6d), 0, 3*time.Second); err != nil {
			mme.Close()
			return nil, err
		}
		return mme, nil
	}
	closed := func(mme *diampeer.Client) bool {
		select {
		case <-mme.Closed():
			return true
		case <-time.After(3 * time.Second):
			return false
		}
	}
	cli := func(args ...string) string {
		var out, errOut bytes.Buffer
		if code := run(append(args, "-c", cfg), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}

	ctx, cancel := context.WithCancel(context.Background())
	_, done := startServe(t, ctx, cfg, nil)
	mme, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	if out := cli("quarantine", "uk", "--for", "1h", "--reason", "incident 42"); !strings.Contains(out, "uk quarantined until") {
		t.Fatalf("quarantine output %q", out)
	}
	if !closed(mme) {
		t.Fatal("the quarantined partner's connection stayed open")
	}
	if c, err := connect(); err == nil {
		c.Close()
		t.Fatal("a quarantined partner reconnected")
	}
	if out := cli("quarantine", "--list"); !strings.Contains(out, "manual: incident 42") {
		t.Fatalf("list %q", out)
	}
	// Restart: the quarantine is still in force.
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	startServe(t, ctx, cfg, nil)
	if c, err := connect(); err == nil {
		c.Close()
		t.Fatal("the quarantine did not survive a restart")
	}
	cli("quarantine", "uk", "--lift")
	mme, err = connect()
	if err != nil {
		t.Fatalf("after the lift: %v", err)
	}
	// Automatic: three IDRs asking for a home subscriber's location
	// (DIA-C2-IDR-LOCATION, category 2) within the minute.
	var b diameter.Builder
	for i := range 3 {
		if _, err := mme.Do(mme.S6a(&b, diameter.CmdInsertSubscriberData, "310260000000001", hssID.Realm, ""), 0, 3*time.Second); err != nil {
			if i < 2 {
				t.Fatalf("IDR %d: %v", i, err)
			}
		}
	}
	if !closed(mme) {
		t.Fatal("three blocked probes did not quarantine the partner")
	}
	if out := cli("quarantine", "--list"); !strings.Contains(out, "automatic") {
		t.Fatalf("list after the probes %q", out)
	}
}

// TestAuditLog: a blocked message becomes one JSON line in the audit log
// with its subscriber pseudonymised (the clear IMSI is nowhere in the
// file); an allowed one is not written (blocked-only by default).
func TestAuditLog(t *testing.T) {
	hss := homeHSS(t)
	cfg := writeInlineConfig(t, hss.Addr().String(), 0, 0)
	dir := filepath.Dir(cfg)
	os.WriteFile(filepath.Join(dir, "pseudonym.key"), []byte("0123456789abcdef0123456789abcdef\n"), 0o600)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("privacy:\n  pseudonym_key_file: pseudonym.key\naudit:\n  path: audit.jsonl\n")...), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	rn, done := startServe(t, ctx, cfg, nil)
	mme := ukMME(t, rn.relays[0].Addr().String())
	var b diameter.Builder
	const imsi = "310260000000001"
	if _, err := mme.Do(mme.S6a(&b, diameter.CmdUpdateLocation, imsi, hssID.Realm, "23415"), 0, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := mme.Do(mme.S6a(&b, diameter.CmdInsertSubscriberData, imsi, hssID.Realm, ""), 0, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	cancel() // Close drains the audit queue
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), imsi) {
		t.Fatal("the clear IMSI is in the audit log")
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d audit lines, want the IDR's only:\n%s", len(lines), raw)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["op"] != "IDR" || rec["rule"] != "DIA-C2-IDR-LOCATION" || rec["partner"] != "uk" || rec["verdict"] != "reject" ||
		len(fmt.Sprint(rec["imsi_pseudonym"])) != 16 || rec["relay"] != "uk-dea" {
		t.Fatalf("audit record %v", rec)
	}
}

// TestReloadUnderLoad: while a partner sends requests without pause, the
// rule file is rewritten 40 times (valid and invalid, by file change and
// by signal). Every request is answered (nothing lost, no connection
// dropped) and judged by a policy in force: ULRs are allowed or refused
// by the rule file's LAB-NO-ULR (5420), never anything else; the IDR
// probes are always refused by the baseline (5012).
func TestReloadUnderLoad(t *testing.T) {
	hss := homeHSS(t)
	cfg := writeInlineConfig(t, hss.Addr().String(), 0, 0)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("rules: rules.yaml\n")...), 0o644)
	rulesPath := filepath.Join(filepath.Dir(cfg), "rules.yaml")
	variants := []string{
		"rules: []\n",
		"rules:\n  - id: LAB-NO-ULR\n    match: 'op == \"ULR\"'\n    action: reject\n    result_code: 5420\n",
		"rules:\n  - id: BROKEN\n    match: 'op ==='\n    action: reject\n",
	}
	os.WriteFile(rulesPath, []byte(variants[0]), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reload := make(chan os.Signal, 1)
	rn, _ := startServe(t, ctx, cfg, reload)
	mme := ukMME(t, rn.relays[0].Addr().String())
	var b diameter.Builder
	rewrites := make(chan struct{})
	go func() {
		defer close(rewrites)
		for i := range 40 {
			tmp := rulesPath + ".tmp"
			os.WriteFile(tmp, []byte(variants[i%3]), 0o644)
			os.Rename(tmp, rulesPath) // as editors save
			if i%4 == 0 {
				select {
				case reload <- syscall.SIGHUP:
				default:
				}
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
	sent, ulrRefused := 0, 0
	deadline := time.Now().Add(20 * time.Second) // a bound, not an expectation
	for done := false; !done && time.Now().Before(deadline); {
		select {
		case <-rewrites:
			done = true
		default:
		}
		code, want := diameter.CmdUpdateLocation, []uint32{2001, 5420}
		if sent%2 == 1 {
			code, want = diameter.CmdInsertSubscriberData, []uint32{5012}
		}
		plmn := "23415"
		if code == diameter.CmdInsertSubscriberData {
			plmn = ""
		}
		ans, err := mme.Do(mme.S6a(&b, code, "310260000000001", hssID.Realm, plmn), 0, 3*time.Second)
		if err != nil {
			t.Fatalf("request %d lost: %v", sent, err)
		}
		rc := diampeer.ResultCode(ans)
		if rc != want[0] && (len(want) == 1 || rc != want[1]) {
			t.Fatalf("request %d (command %d) answered %d, want one of %v", sent, code, rc, want)
		}
		if rc == 5420 {
			ulrRefused++
		}
		sent++
	}
	if rn.reloads.OK.Load() < 5 || rn.reloads.Failed.Load() < 3 {
		t.Errorf("reloads ok %d failed %d: the rewrites did not reach the running instance", rn.reloads.OK.Load(), rn.reloads.Failed.Load())
	}
	select {
	case <-mme.Closed():
		t.Fatal("a reload closed the partner's connection")
	default:
	}
	if ulrRefused == 0 {
		t.Error("no ULR was refused: LAB-NO-ULR was never in force")
	}
	t.Logf("%d requests answered across %d reloads (%d refused), %d ULRs refused by LAB-NO-ULR", sent, rn.reloads.OK.Load(), rn.reloads.Failed.Load(), ulrRefused)
}

// ruleCode is the result code of the rule in force with that id (0: none).
func ruleCode(eng *engine.Engine, id string) uint32 {
	if r := eng.Policy().Rules.Find(id); r != nil {
		return r.ResultCode
	}
	return 0
}

// TestLiveReplay: `replay --to` sends the crafted Diameter capture's
// partner requests to a running instance from a partner address; every
// request is answered, some relayed to the home HSS (2001), some refused
// by Breakwater.
func TestLiveReplay(t *testing.T) {
	hss := homeHSS(t)
	relayPort := freePort(t)
	cfg := writeInlineConfig(t, hss.Addr().String(), relayPort, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startServe(t, ctx, cfg, nil)
	var out, errOut bytes.Buffer
	code := run([]string{"replay", "--to", fmt.Sprintf("tcp://127.0.0.1:%d", relayPort), "--from", "127.0.0.2", "--wait", "300ms",
		"-c", "../../testvectors/config.yaml", "../../testvectors/diameter/scenarios.pcap"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("live replay: exit %d: %s\n%s", code, errOut.String(), out.String())
	}
	var sent, answered, skipped int
	if _, err := fmt.Sscanf(out.String(), "sent %d requests to tcp://127.0.0.1:%d: %d answered", &sent, new(int), &answered); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	fmt.Sscanf(out.String()[strings.Index(out.String(), "(")+1:], "%d requests from home", &skipped)
	// Dropped requests get no answer (silence is the verdict), and the
	// capture's deliberately malformed messages end the connection.
	if sent < 40 || answered < sent/2 || skipped == 0 {
		t.Fatalf("sent %d, answered %d, skipped %d:\n%s", sent, answered, skipped, out.String())
	}
	for _, want := range []string{"2001×", "ULR", "IDR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`\b5\d\d\d×`).MatchString(out.String()) {
		t.Errorf("no request refused:\n%s", out.String())
	}
	t.Log(out.String())
}

// TestLiveReplayM3UA: `replay --to --m3ua` brings an ASP up and active
// through the M3UA relay and sends the crafted SS7 capture's partner
// messages; the category 1 probes come back as TC-ABORTs from
// Breakwater.
func TestLiveReplayM3UA(t *testing.T) {
	home, err := transport.Listen(transport.Address{Kind: transport.TCP, IPs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		transport.Options{Framer: proxy.M3UAFramer()})
	if err != nil {
		t.Fatal(err)
	}
	defer home.Close()
	go func() { // the home STP acknowledges ASP Up and ASP Active
		for {
			c, err := home.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var b m3ua.Builder
				buf := make([]byte, 0, 1<<16)
				for {
					m, err := c.ReadMessage(buf)
					if err != nil {
						return
					}
					switch h, _ := m3ua.ParseHeader(m.Data); h.Kind() {
					case m3ua.KindASPUP:
						c.WriteMessage(transport.Message{Data: b.AspUpAck(m3ua.Opt32{}, nil)})
					case m3ua.KindASPAC:
						c.WriteMessage(transport.Message{Data: b.AspActiveAck(m3ua.Some(2), nil, nil)})
					}
				}
			}()
		}
	}()
	cfg := filepath.Join(t.TempDir(), "breakwater.yaml")
	// The crafted capture's partners: the test vectors' configuration,
	// with this relay.
	vec, err := os.ReadFile("../../testvectors/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(string(vec), "addresses: [192.0.2.0/24]", `addresses: [192.0.2.0/24, "127.0.0.2/32"]`, 1)
	conf += fmt.Sprintf("m3ua:\n  - name: stp\n    listen: tcp://127.0.0.1:0\n    upstream: %s\n    reject_with: tcap-abort\nadmin:\n  listen: \"off\"\n", home.Addr().String())
	os.WriteFile(cfg, []byte(conf), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rn, _ := startServe(t, ctx, cfg, nil)
	var out, errOut bytes.Buffer
	code := run([]string{"replay", "--to", rn.m3ua[0].Addr().String(), "--m3ua", "--from", "127.0.0.2", "--wait", "200ms",
		"-c", cfg, "../../testvectors/map/scenarios.pcap"}, &out, &errOut)
	if code != 0 {
		st := &rn.m3ua[0].Stats
		t.Fatalf("live replay: exit %d: %s\n%s\naccepted %d refused %d upstream failures %d", code, errOut.String(), out.String(),
			st.Accepted.Load(), st.Refused.Load(), st.UpstreamFailures.Load())
	}
	var sent int
	fmt.Sscanf(out.String(), "sent %d requests", &sent)
	if sent < 30 || !strings.Contains(out.String(), "Abort×") || !strings.Contains(out.String(), "anyTimeInterrogation") {
		t.Fatalf("report:\n%s", out.String())
	}
	t.Log(out.String())
}

// homeHSS starts the lab home HSS on loopback for the test's duration.
func homeHSS(t *testing.T) *diampeer.Server {
	t.Helper()
	hss, err := diampeer.Listen("tcp://127.0.0.1:0", hssID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hss.Close() })
	return hss
}

// ukMME connects the UK partner's MME (from 127.0.0.2) to addr and makes
// its capabilities exchange.
func ukMME(t *testing.T, addr string) *diampeer.Client {
	t.Helper()
	mme, err := diampeer.Dial(context.Background(), addr, mmeID, "127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mme.Close() })
	var b diameter.Builder
	if _, err := mme.Do(mme.CER(&b, diameter.AppS6aS6d), 0, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	return mme
}
