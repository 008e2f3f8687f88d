package interop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/firewall/proxy"
	"breakwater/protocols/gtp"
	"breakwater/protocols/view"
)

// Breakwater's GTP-C relay between Osmocom's sgsnemu (the partner's SGSN)
// and osmo-ggsn (the home GGSN), both from Debian's osmo-ggsn package, on
// GTPv1 over UDP on loopback:
//
//	sgsnemu 127.0.23.4 ──► Breakwater 127.0.23.5:2123 │ 127.0.23.6:2123 ──► osmo-ggsn 127.0.23.3:2123
//	(partner lab-sgsn)       (partner-facing)            (home-facing)       (home, APN "internet", tun)
//
// The addresses are a /24 of their own: firewall/proxy's GTP tests bind
// 127.0.0.2:2123 and 127.0.0.4:2123, and `go test ./...` runs packages in
// parallel. Every test here builds the whole chain on these fixed
// addresses (GTP-C peers talk port 2123 to each other), so the tests do
// not run in parallel with each other.

const (
	osmoGGSNBin = "/usr/bin/osmo-ggsn"
	osmoSGSNBin = "/usr/bin/sgsnemu"

	osmoIMSI    = "310260000000001" // home subscribers (PLMN 310-260)
	osmoIMSI2   = "310260000000002"
	osmoRAI     = "234.15.1.1" // sgsnemu --rai MCC.MNC.LAC.RAC: the partner's PLMN 234-15
	osmoPartner = "lab-sgsn"
	osmoVTYPort = 4260 // osmo-ggsn's VTY (bound to the GGSN's address)

	// Bounds of every wait. sgsnemu retransmits a request after 3 s.
	osmoStartTimeout  = 15 * time.Second
	osmoAnswerTimeout = 10 * time.Second
	osmoQuiet         = time.Second // how long "nothing comes back" is watched
)

var (
	osmoGGSN      = netip.MustParseAddr("127.0.23.3") // home GGSN (osmo-ggsn)
	osmoSGSN      = netip.MustParseAddr("127.0.23.4") // partner SGSN (sgsnemu)
	osmoSGSN2     = netip.MustParseAddr("127.0.23.7") // the partner's second SGSN
	osmoBWPartner = netip.MustParseAddr("127.0.23.5") // Breakwater, partner-facing
	osmoBWHome    = netip.MustParseAddr("127.0.23.6") // Breakwater, home-facing
	osmoStranger  = netip.MustParseAddr("127.0.23.9") // in no configured network
)

// osmoPolicyYAML is Breakwater's configuration: home 310-260 behind the
// GGSN's address, the partner's SGSN with the RAI PLMN it sends, and the
// relay as `breakwater run` would start it.
const osmoPolicyYAML = `
home:
  plmns: ["310260"]
  addresses: ["127.0.23.3/32"]
partners:
  - name: lab-sgsn
    plmns: ["23415"]
    addresses: ["127.0.23.4/32", "127.0.23.7/32"]
velocity:
  max_subscribers: 4096
gtp_state:
  max_sessions: 4096
gtp:
  - name: gp
    listen: udp://127.0.23.5:2123
    upstream: udp://127.0.23.3:2123
    upstream_source: udp://127.0.23.6:2123
    request_timeout: 10s
`

// osmoTunSeq numbers osmo-ggsn's tun devices (one per test run).
var osmoTunSeq atomic.Uint32

func requireOsmo(t *testing.T) {
	t.Helper()
	for _, b := range []string{osmoGGSNBin, osmoSGSNBin} {
		if _, err := os.Stat(b); err != nil {
			t.Skipf("osmo-ggsn interop skipped: %s not found (apt-get install osmo-ggsn): %v", b, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("osmo-ggsn interop skipped: needs root (osmo-ggsn opens a tun device)")
	}
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("osmo-ggsn interop skipped: /dev/net/tun unusable: %v", err)
	}
	f.Close()
	if _, err := exec.LookPath("stdbuf"); err != nil {
		t.Skipf("osmo-ggsn interop skipped: stdbuf (coreutils) not found: %v", err)
	}
}

// osmoChain is sgsnemu → Breakwater → osmo-ggsn.
type osmoChain struct {
	t        *testing.T
	dir      string
	eng      *engine.Engine
	relay    *proxy.GTPRelay
	relayLog *syncBuffer
	ggsn     *osmoProc
	sgsn     *osmoSGSNNode   // the first sgsnemu
	sgsns    []*osmoSGSNNode // all of them
}

// osmoSGSNNode is a running sgsnemu and the PDP context it got.
type osmoSGSNNode struct {
	*osmoProc
	addr netip.Addr
	imsi string
	eua  netip.Addr // the address osmo-ggsn allocated to its context
}

type osmoOptions struct {
	echoInterval int      // osmo-ggsn's echo-interval (s); 0: no echoes
	sgsnArgs     []string // extra flags for the first sgsnemu
}

// newOsmoChain starts Breakwater, osmo-ggsn and an sgsnemu on osmoSGSN,
// and waits until sgsnemu has its PDP context. Everything stops when the
// test ends; the logs are printed on failure (and with -v).
func newOsmoChain(t *testing.T, o osmoOptions) *osmoChain {
	t.Helper()
	requireOsmo(t)
	c := &osmoChain{t: t, dir: t.TempDir(), relayLog: &syncBuffer{}}
	// Registered first, so it runs last: after the processes have exited.
	t.Cleanup(c.dumpLogs)
	c.startRelay()
	c.startGGSN(o.echoInterval)
	c.sgsn = c.startSGSN(osmoSGSN, osmoIMSI, o.sgsnArgs...)
	return c
}

func (c *osmoChain) dumpLogs() {
	t := c.t
	if !t.Failed() && !testing.Verbose() {
		return
	}
	for _, p := range c.sgsns {
		t.Logf("%s output:\n%s", p.name, p.out.String())
	}
	if c.ggsn != nil {
		t.Logf("%s output:\n%s", c.ggsn.name, c.ggsn.out.String())
	}
	t.Logf("Breakwater relay log:\n%s", c.relayLog.String())
	if c.relay != nil {
		t.Logf("relay stats: %s", osmoStats(&c.relay.Stats))
	}
}

func osmoStats(s *proxy.GTPStats) string {
	return fmt.Sprintf("received %d to_upstream %d to_partner %d blocked %d rejected %d echo_answered %d unmatched %d unroutable %d rewrite_failures %d retransmissions %d",
		s.Received.Load(), s.ToUpstream.Load(), s.ToPartner.Load(), s.Blocked.Load(), s.Rejected.Load(),
		s.EchoAnswered.Load(), s.Unmatched.Load(), s.Unroutable.Load(), s.RewriteFailures.Load(), s.Retransmissions.Load())
}

// startRelay builds the engine and the relay from osmoPolicyYAML, the way
// `breakwater run` does (cmd/breakwater gtpConfig).
func (c *osmoChain) startRelay() {
	t := c.t
	t.Helper()
	cfg, err := config.Parse("osmo-interop.yaml", []byte(osmoPolicyYAML))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.NewPolicy(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	c.eng = engine.New(p, engine.NewMemoryState(cfg))
	g := cfg.GTP[0]
	gc := proxy.GTPConfig{
		Name: g.Name.Value, Listen: g.Listen.Address, Upstream: g.Upstream.Address,
		RejectCauseV2: g.RejectCauseV2, RejectCauseV1: g.RejectCauseV1,
		RequestTimeout: g.RequestTimeout, MaxMessage: cfg.Limits.MaxMessageBytes,
	}
	if g.UpstreamSource.Set {
		gc.UpstreamSource = g.UpstreamSource.Address
	}
	var w io.Writer = c.relayLog
	if testing.Verbose() {
		w = io.MultiWriter(c.relayLog, os.Stderr)
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	c.relay = proxy.NewGTPRelay(gc, c.eng, log)
	if err := c.relay.Start(); err != nil {
		t.Fatalf("starting the GTP relay: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.relay.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
}

// startGGSN writes osmo-ggsn's configuration (testdata/osmo-ggsn.cfg) and
// starts it.
func (c *osmoChain) startGGSN(echoInterval int) {
	t := c.t
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "osmo-ggsn.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(c.dir, "ggsn")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	echo := "no echo-interval"
	if echoInterval > 0 {
		echo = "echo-interval " + strconv.Itoa(echoInterval)
	}
	r := strings.NewReplacer("{{GGSN}}", osmoGGSN.String(), "{{STATEDIR}}", state, "{{ECHO}}", echo,
		"{{TUN}}", "bwggsn"+strconv.Itoa(int(osmoTunSeq.Add(1))))
	conf := filepath.Join(c.dir, "osmo-ggsn.cfg")
	if err := os.WriteFile(conf, []byte(r.Replace(string(tmpl))), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ggsn = startOsmoProc(t, "osmo-ggsn", c.dir, syscall.SIGTERM, "stdbuf", "-oL", "-eL", osmoGGSNBin, "-c", conf)
	c.ggsn.waitFor(t, osmoStartTimeout, "APN(internet): Successfully started")
	c.ggsn.waitFor(t, osmoStartTimeout, "GGSN(ggsn0): Successfully started")
	c.ggsn.waitFor(t, osmoStartTimeout, "Available via telnet "+osmoGGSN.String())
}

// startSGSN starts sgsnemu on addr toward Breakwater's partner-facing
// address and waits for its PDP context (APN internet, dynamic IPv4). It
// runs without a tun device or pings: no user-plane packet is sent.
func (c *osmoChain) startSGSN(addr netip.Addr, imsi string, extra ...string) *osmoSGSNNode {
	t := c.t
	t.Helper()
	state := filepath.Join(c.dir, "sgsn-"+addr.String())
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"-oL", "-eL", osmoSGSNBin,
		"-l", addr.String(), "-r", osmoBWPartner.String(),
		"--apn", "internet", "--imsi", imsi, "--rai", osmoRAI,
		"--statedir", state, "--pidfile", filepath.Join(state, "sgsnemu.pid")}
	// SIGKILL when the test ends: on SIGTERM sgsnemu deletes its context
	// and lingers 5 s (TestOsmoGGSNDeletePDPContext sends that itself).
	s := &osmoSGSNNode{addr: addr, imsi: imsi,
		osmoProc: startOsmoProc(t, "sgsnemu "+addr.String(), c.dir, syscall.SIGKILL, "stdbuf", append(args, extra...)...)}
	c.sgsns = append(c.sgsns, s)
	line := s.waitFor(t, osmoAnswerTimeout, "PDP ctx: received EUA with IP address: ")
	a, err := netip.ParseAddr(strings.TrimSpace(line[strings.LastIndex(line, ":")+1:]))
	if err != nil {
		t.Fatalf("%s's address line %q: %v", s.name, line, err)
	}
	s.eua = a
	return s
}

// vty runs commands on osmo-ggsn's VTY (after "enable") and returns what
// they printed, prompts included.
func (c *osmoChain) vty(cmds ...string) string {
	t := c.t
	t.Helper()
	conn, err := net.DialTimeout("tcp", netip.AddrPortFrom(osmoGGSN, osmoVTYPort).String(), 2*time.Second)
	if err != nil {
		t.Fatalf("osmo-ggsn VTY: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	// read reads up to the next prompt: "OsmoGGSN> ", "OsmoGGSN# ",
	// "OsmoGGSN(config-ggsn)# ".
	read := func(prompt string) string {
		var got []byte
		for !bytes.HasSuffix(got, []byte(prompt)) {
			n, err := conn.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("osmo-ggsn VTY: %v after %q", err, got)
			}
		}
		return string(got)
	}
	read("> ") // the banner (and telnet option requests, left unanswered)
	var out strings.Builder
	for _, cmd := range append([]string{"enable"}, cmds...) {
		if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
			t.Fatalf("osmo-ggsn VTY: %v", err)
		}
		out.WriteString(read("# "))
	}
	return strings.ReplaceAll(out.String(), "\r", "")
}

// pdpContexts is osmo-ggsn's "show pdp-context ggsn ggsn0".
func (c *osmoChain) pdpContexts() string { return c.vty("show pdp-context ggsn ggsn0") }

// osmoProc is a running osmo-ggsn or sgsnemu with its output.
type osmoProc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	stop func()
}

// startOsmoProc starts argv in dir; when the test ends it is sent sig,
// and killed if it has not exited 5 s later.
func startOsmoProc(t *testing.T, name, dir string, sig syscall.Signal, argv0 string, args ...string) *osmoProc {
	t.Helper()
	p := &osmoProc{name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(argv0, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	p.stop = func() {
		p.signal(sig)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	t.Cleanup(p.stop)
	return p
}

func (p *osmoProc) signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(sig)
	}
}

func (p *osmoProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// lines returns the output lines containing every one of parts.
func (p *osmoProc) lines(parts ...string) []string {
	var out []string
	for _, l := range strings.Split(p.out.String(), "\n") {
		ok := true
		for _, s := range parts {
			ok = ok && strings.Contains(l, s)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// waitFor waits until a line contains every one of parts and returns it.
func (p *osmoProc) waitFor(t *testing.T, timeout time.Duration, parts ...string) string {
	t.Helper()
	return p.waitForN(t, timeout, 1, parts...)[0]
}

// waitForN waits until n lines contain every one of parts.
func (p *osmoProc) waitForN(t *testing.T, timeout time.Duration, n int, parts ...string) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if l := p.lines(parts...); len(l) >= n {
			return l
		}
		if p.exited() {
			// One last look: the line may have come with the exit.
			if l := p.lines(parts...); len(l) >= n {
				return l
			}
			t.Fatalf("%s exited (%v) while waiting for %d line(s) with %q", p.name, p.cmd.ProcessState, n, parts)
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %d line(s) with %q in %s's output", timeout, n, parts, p.name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// osmoUDP is a test socket on loopback.
func osmoUDP(t *testing.T, a netip.Addr) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// osmoRecv waits up to timeout for a datagram.
func osmoRecv(c *net.UDPConn, timeout time.Duration) ([]byte, netip.AddrPort, bool) {
	buf := make([]byte, 1<<16)
	c.SetReadDeadline(time.Now().Add(timeout))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil, netip.AddrPort{}, false
	}
	return buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), true
}

// sgsnContextRequest is a GTPv1 SGSN Context Request (TS 29.060 §7.5.3)
// for the home subscriber, as a new SGSN sends it to the old one: IMSI,
// RAI, its TEID Control Plane and signalling address. It asks for the
// subscriber's MM and PDP contexts (keys included): context theft when it
// comes over Gp.
func sgsnContextRequest(seq uint16, from netip.Addr) []byte {
	var b gtp.Builder
	plmn, _ := view.ParsePLMN("23415")
	p := plmn.Encode()
	rai := append(p[:], 0x00, 0x01, 0x01) // LAC 1, RAC 1
	return append([]byte(nil), b.StartV1(50, 0, seq).
		TV(gtp.V1IEIMSI, gtp.TBCD(osmoIMSI)).
		TV(gtp.V1IERAI, rai).
		TV(gtp.V1IETEIDControl, []byte{0, 0, 0x77, 0x77}).
		TLV(gtp.V1IEGSNAddress, from.AsSlice()).
		Message()...)
}

// TestOsmoGGSNCreatePDPContext: sgsnemu activates a PDP context at
// osmo-ggsn through Breakwater. osmo-ggsn accepts it and allocates an
// address; it knows Breakwater's home-facing address as the SGSN's
// signalling address and sgsnemu's own as its user-plane address; the
// engine recorded the session and where the subscriber is.
func TestOsmoGGSNCreatePDPContext(t *testing.T) {
	c := newOsmoChain(t, osmoOptions{})

	// sgsnemu: cause 128 and an end-user address from the APN's pool.
	c.sgsn.waitFor(t, osmoAnswerTimeout, "Received create PDP context response.")
	if !netip.MustParsePrefix("192.0.2.0/24").Contains(c.sgsn.eua) {
		t.Fatalf("sgsnemu got end-user address %v, not one of the APN's pool", c.sgsn.eua)
	}

	// osmo-ggsn: the request came from Breakwater, which announced its
	// home-facing address as the SGSN's; the partner's is unknown to it.
	c.ggsn.waitFor(t, osmoAnswerTimeout, "SGSN("+osmoBWHome.String()+"): Discovered")
	c.ggsn.waitFor(t, osmoAnswerTimeout, "PDP("+osmoIMSI+":0): Successful PDP Context Creation: APN=internet", "IPv4="+c.sgsn.eua.String())
	if l := c.ggsn.lines("SGSN(" + osmoSGSN.String() + ")"); len(l) > 0 {
		t.Fatalf("osmo-ggsn learned the partner SGSN's own address: %q", l)
	}
	pdp := c.pdpContexts()
	for _, want := range []string{
		"IMSI: " + osmoIMSI + ", NSAPI: 0",
		// signalling: GGSN <-> Breakwater (home-facing); user plane:
		// GGSN <-> sgsnemu itself, untouched by Breakwater.
		" Control: " + osmoGGSN.String() + ":",
		"<-> " + osmoBWHome.String() + ":",
		" Data: " + osmoGGSN.String() + ":",
		"<-> " + osmoSGSN.String() + ":",
		"End-User Address (IPv4): " + c.sgsn.eua.String(),
	} {
		if !strings.Contains(pdp, want) {
			t.Errorf("osmo-ggsn's PDP context lacks %q:\n%s", want, pdp)
		}
	}

	// Breakwater: request and response relayed, nothing blocked.
	st := &c.relay.Stats
	if st.ToUpstream.Load() < 1 || st.ToPartner.Load() < 1 || st.Blocked.Load() != 0 ||
		st.Unmatched.Load() != 0 || st.RewriteFailures.Load() != 0 {
		t.Errorf("relay stats: %s", osmoStats(st))
	}
	// The engine: one session (osmo-ggsn's TEID, owned by lab-sgsn), and
	// the subscriber is in the partner's network.
	if n := c.eng.State().Sessions(); n != 1 {
		t.Errorf("%d sessions recorded, want 1", n)
	}
	var imsi view.Digits
	imsi.SetASCII([]byte(osmoIMSI))
	key, _ := imsi.Uint64()
	loc, ok := c.eng.State().Location(key, time.Now())
	if want, _ := view.ParsePLMN("23415"); !ok || loc.Partner != osmoPartner || loc.PLMN != want {
		t.Errorf("subscriber location %+v (known %v), want %s in %s", loc, ok, osmoPartner, want)
	}
}

// TestOsmoGGSNEcho: path management on both hops. sgsnemu's Echo Request
// and osmo-ggsn's periodic ones (echo-interval 1 s) to the SGSN it knows —
// Breakwater's home-facing address — are answered by Breakwater; none is
// relayed, and the PDP context stays up through several echo rounds.
//
// sgsnemu runs with --norecovery here, so that its Create PDP Context
// carries no Recovery IE: TestOsmoGGSNEchoRecovery shows why.
func TestOsmoGGSNEcho(t *testing.T) {
	c := newOsmoChain(t, osmoOptions{echoInterval: 1, sgsnArgs: []string{"--norecovery"}})

	c.sgsn.waitFor(t, osmoAnswerTimeout, "Received echo response")
	const rounds = 3
	home := "SGSN(" + osmoBWHome.String() + "): "
	c.ggsn.waitForN(t, osmoAnswerTimeout, rounds, home+"Rx Echo Response")
	// libgtp logs each response it matches with its sender: Breakwater's
	// home-facing socket.
	if l := c.ggsn.lines("Packet from "+osmoBWHome.String()+":2123", "Freeing seq="); len(l) < rounds {
		t.Errorf("osmo-ggsn matched %d responses from %s:2123, want %d", len(l), osmoBWHome, rounds)
	}
	for _, bad := range []string{"SGSN recovery", "Dropped", "Echo Request timed out", "Retransmit"} {
		if l := c.ggsn.lines(bad); len(l) > 0 {
			t.Errorf("osmo-ggsn: %q", l)
		}
	}
	if !strings.Contains(c.pdpContexts(), "IMSI: "+osmoIMSI) {
		t.Error("osmo-ggsn no longer has the PDP context after the echoes")
	}
	if c.sgsn.exited() {
		t.Error("sgsnemu exited: its context was deleted")
	}
	st := &c.relay.Stats
	if st.EchoAnswered.Load() < rounds+1 {
		t.Errorf("relay answered %d echoes, want at least %d (sgsnemu's and osmo-ggsn's): %s", st.EchoAnswered.Load(), rounds+1, osmoStats(st))
	}
	// Only the Create PDP Context exchange crossed the relay.
	if st.ToUpstream.Load() != 1 || st.ToPartner.Load() != 1 || st.Blocked.Load() != 0 {
		t.Errorf("echoes were relayed or blocked: %s", osmoStats(st))
	}
}

// TestOsmoGGSNEchoRecovery: the same with sgsnemu's defaults, i.e. a
// Recovery IE (its restart counter) in the Create PDP Context Request.
// osmo-ggsn notes it as the restart counter of the SGSN at Breakwater's
// home-facing address; the counter in Breakwater's Echo Responses from
// that address must be the same, or osmo-ggsn takes it for an SGSN
// restart and deletes the context (TS 23.007 §18, TS 29.060 §7.7.11):
// Breakwater writes its home-facing counter into the Recovery IEs it
// relays.
func TestOsmoGGSNEchoRecovery(t *testing.T) {
	c := newOsmoChain(t, osmoOptions{echoInterval: 1})

	home := "SGSN(" + osmoBWHome.String() + "): "
	c.ggsn.waitFor(t, osmoAnswerTimeout, home+"Rx Echo Response")
	// osmo-ggsn logs a restart right after the response that shows it;
	// otherwise the next echo round comes 1 s later.
	deadline := time.Now().Add(osmoAnswerTimeout)
	for len(c.ggsn.lines(home+"SGSN recovery")) == 0 && len(c.ggsn.lines(home+"Rx Echo Response")) < 3 {
		if time.Now().After(deadline) || c.ggsn.exited() {
			t.Fatal("osmo-ggsn stopped exchanging echoes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if l := c.ggsn.lines(home + "SGSN recovery"); len(l) > 0 {
		t.Fatalf("osmo-ggsn saw two restart counters from Breakwater's address and released the context: %q", strings.TrimSpace(l[0]))
	}
	if !strings.Contains(c.pdpContexts(), "IMSI: "+osmoIMSI) {
		t.Fatal("osmo-ggsn no longer has the PDP context after the echoes")
	}
	if l := c.ggsn.lines("Dropped"); len(l) > 0 {
		t.Fatalf("osmo-ggsn: %q", l)
	}
}

// TestOsmoGGSNTwoSGSNs: two SGSNs of the partner (sgsnemu on 127.0.23.4 and
// on 127.0.23.7) each have a PDP context at osmo-ggsn through Breakwater.
// When osmo-ggsn releases them (its APN is shut down on the VTY), each
// Delete PDP Context Request must reach the SGSN that owns the context;
// sgsnemu exits when its context is deleted. Both sgsnemus choose TEID
// Control 1 and have restart counters of their own: osmo-ggsn sees one SGSN
// (Breakwater's home-facing address) with one restart counter and two
// distinct TEIDs, Breakwater's stand-ins for (SGSN, TEID 1).
func TestOsmoGGSNTwoSGSNs(t *testing.T) {
	c := newOsmoChain(t, osmoOptions{})
	second := c.startSGSN(osmoSGSN2, osmoIMSI2)

	pdp := c.pdpContexts()
	for _, imsi := range []string{osmoIMSI, osmoIMSI2} {
		if !strings.Contains(pdp, "IMSI: "+imsi) {
			t.Fatalf("osmo-ggsn has no PDP context for %s:\n%s", imsi, pdp)
		}
	}
	if n := c.eng.State().Sessions(); n != 2 {
		t.Errorf("%d sessions recorded, want 2", n)
	}
	// The TEIDs the two SGSNs announced, as osmo-ggsn knows them
	// ("Control: <ggsn>:<its TEID> <-> <sgsn>:<the SGSN's TEID>").
	teids := regexp.MustCompile(`<-> `+regexp.QuoteMeta(osmoBWHome.String())+`:([0-9a-f]{8})`).FindAllStringSubmatch(pdp, -1)
	if len(teids) != 2 {
		t.Fatalf("cannot read the SGSNs' control TEIDs from:\n%s", pdp)
	}
	if teids[0][1] == teids[1][1] {
		t.Fatalf("osmo-ggsn knows both SGSNs' contexts by TEID %s: Breakwater must stand in with distinct TEIDs", teids[0][1])
	}

	c.vty("configure terminal", "ggsn ggsn0", "apn internet", "shutdown")
	c.ggsn.waitForN(t, osmoAnswerTimeout, 2, "Sending DELETE PDP CTX due to shutdown")
	// Both requests leave osmo-ggsn at once: once one sgsnemu has exited,
	// the other follows within a moment or never.
	deadline := time.Now().Add(osmoAnswerTimeout)
	for !c.sgsn.exited() && !second.exited() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	deadline = time.Now().Add(2 * time.Second)
	for !(c.sgsn.exited() && second.exited()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := &c.relay.Stats
	if !(c.sgsn.exited() && second.exited()) { // each must get its Delete PDP Context Request
		t.Fatalf("after osmo-ggsn released both contexts: sgsnemu %s exited %v, %s exited %v; relay %s",
			osmoSGSN, c.sgsn.exited(), osmoSGSN2, second.exited(), osmoStats(st))
	}
}

// TestOsmoGGSNSGSNContextRequestBlocked: a GTPv1 SGSN Context Request (type
// 50: context theft over Gp) from the partner's network is rejected by
// Breakwater with cause 199 and never reaches osmo-ggsn; one from an
// address in no configured network gets no answer at all.
func TestOsmoGGSNSGSNContextRequestBlocked(t *testing.T) {
	c := newOsmoChain(t, osmoOptions{})
	st := &c.relay.Stats
	up, blocked := st.ToUpstream.Load(), st.Blocked.Load()
	bwP := netip.AddrPortFrom(osmoBWPartner, 2123)

	// From the partner's SGSN address (sgsnemu holds port 2123 there).
	partner := osmoUDP(t, osmoSGSN)
	if _, err := partner.WriteToUDPAddrPort(sgsnContextRequest(0x4242, osmoSGSN), bwP); err != nil {
		t.Fatal(err)
	}
	resp, from, ok := osmoRecv(partner, osmoAnswerTimeout)
	if !ok {
		t.Fatal("no answer to the partner's SGSN Context Request")
	}
	var v view.Message
	if _, err := gtp.Decode(resp, &v); err != nil {
		t.Fatalf("answer % x: %v", resp, err)
	}
	if from != bwP || v.Code != 51 || v.ResultCode != 199 || v.Transaction != 0x4242 || v.TEID != 0x7777 {
		t.Fatalf("answer from %v: %s cause %d seq %#x TEID %#x; want SGSN Context Response cause 199 seq 0x4242 TEID 0x7777 from %v",
			from, v.Op, v.ResultCode, v.Transaction, v.TEID, bwP)
	}
	if st.Blocked.Load() != blocked+1 || st.Rejected.Load() != 1 {
		t.Errorf("after the partner's probe: %s", osmoStats(st))
	}

	// From an unknown address: dropped, no answer.
	stranger := osmoUDP(t, osmoStranger)
	if _, err := stranger.WriteToUDPAddrPort(sgsnContextRequest(0x4343, osmoStranger), bwP); err != nil {
		t.Fatal(err)
	}
	if resp, from, ok := osmoRecv(stranger, osmoQuiet); ok {
		t.Fatalf("the unknown source got % x from %v", resp, from)
	}
	if st.Blocked.Load() != blocked+2 || st.Rejected.Load() != 1 {
		t.Errorf("after the stranger's probe: %s", osmoStats(st))
	}
	if st.ToUpstream.Load() != up {
		t.Errorf("Breakwater sent %d message(s) upstream for the probes", st.ToUpstream.Load()-up)
	}

	// Neither reached osmo-ggsn. It logs an SGSN Context Request it gets
	// ("Unknown GTP message type received: 50", with the sender): show it
	// with one sent straight to it, then look for one from Breakwater.
	const unknown = "Unknown GTP message type received: 50"
	if _, err := stranger.WriteToUDPAddrPort(sgsnContextRequest(0x4444, osmoStranger), netip.AddrPortFrom(osmoGGSN, 2123)); err != nil {
		t.Fatal(err)
	}
	c.ggsn.waitFor(t, osmoAnswerTimeout, "Packet from "+osmoStranger.String()+":", unknown)
	if l := c.ggsn.lines(unknown); len(l) != 1 {
		t.Errorf("osmo-ggsn got %d SGSN Context Requests, want only the one sent to it directly: %q", len(l), l)
	}
}

// TestOsmoGGSNDeletePDPContext: sgsnemu, stopped with SIGTERM, deletes its
// PDP context; the Delete PDP Context Request (addressed to osmo-ggsn's
// TEID, which the engine knows lab-sgsn created) and its response cross
// Breakwater, and osmo-ggsn releases the context.
func TestOsmoGGSNDeletePDPContext(t *testing.T) {
	c := newOsmoChain(t, osmoOptions{})
	st := &c.relay.Stats
	up, down := st.ToUpstream.Load(), st.ToPartner.Load()

	// sgsnemu 1.9 sends Delete PDP Context on SIGTERM once its context is
	// up ("Disconnecting PDP context #0"), then exits 5 s later.
	c.sgsn.signal(syscall.SIGTERM)
	deadline := time.Now().Add(osmoAnswerTimeout)
	for len(c.sgsn.lines("Disconnecting PDP context")) == 0 && !c.sgsn.exited() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(c.sgsn.lines("Disconnecting PDP context")) == 0 {
		t.Skip("sgsnemu did not send Delete PDP Context on SIGTERM (no \"Disconnecting PDP context\"): nothing to relay")
	}
	c.sgsn.waitFor(t, osmoAnswerTimeout, "Received delete PDP context response. Cause value: 128")
	c.ggsn.waitFor(t, osmoAnswerTimeout, "PDP("+osmoIMSI+":0): Deleting PDP context")
	c.ggsn.waitFor(t, osmoAnswerTimeout, "SGSN("+osmoBWHome.String()+"): Deleting SGSN")
	if pdp := c.pdpContexts(); strings.Contains(pdp, "IMSI: "+osmoIMSI) {
		t.Errorf("osmo-ggsn still has the PDP context:\n%s", pdp)
	}
	if st.ToUpstream.Load() != up+1 || st.ToPartner.Load() != down+1 || st.Blocked.Load() != 0 {
		t.Errorf("Delete PDP Context: %s (before: to_upstream %d to_partner %d)", osmoStats(st), up, down)
	}
}
