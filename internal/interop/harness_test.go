package interop

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/firewall/proxy"
	"breakwater/firewall/transport"
	"breakwater/internal/diampeer"
	"breakwater/internal/fdconf"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// fdBinary is Debian's freeDiameter daemon (package freediameterd).
const fdBinary = fdconf.Binary

// The Breakwater policy: home is 310-260 behind 127.0.0.1 (freeDiameter and
// the HSS both live there), the UK partner's MME connects from 127.0.0.2.
const policyYAML = `
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
`

const (
	homeRealm = "epc.mnc260.mcc310.3gppnetwork.org"
	ukRealm   = "epc.mnc015.mcc234.3gppnetwork.org"
	homeIMSI  = "310260000000001"
	partnerIP = "127.0.0.2"
)

var (
	deaID = diampeer.Identity{Host: "dea." + homeRealm, Realm: homeRealm}
	hssID = diampeer.Identity{Host: "hss." + homeRealm, Realm: homeRealm}
	mmeID = diampeer.Identity{Host: "mme." + ukRealm, Realm: ukRealm}
)

// Timeouts: every wait in these tests is bounded.
const (
	answerTimeout = 5 * time.Second
	startTimeout  = 15 * time.Second
	// freeDiameter sends a DWR after Tw of silence, jittered by up to
	// ±2 s (Tw is at least 6 s), so one must come within 10 s.
	watchdogWait = 15 * time.Second
)

// topology is one partner MME → Breakwater → freeDiameter → HSS chain.
type topology struct {
	t       *testing.T
	fd      *freeDiameter
	hss     *hss
	relay   *proxy.DiameterRelay
	clients []*diampeer.Client
	cer     []byte // the last CER partner sent
}

// newTopology starts the HSS, freeDiameter (connected to the HSS) and a
// Breakwater relay in front of freeDiameter. Everything is torn down when
// the test ends.
func newTopology(t *testing.T) *topology {
	t.Helper()
	requireFreeDiameter(t)
	h := startHSS(t)
	fd := startFreeDiameter(t, h.port())
	// freeDiameter must have the HSS as an open peer before it can relay.
	fd.waitLog(t, startTimeout, "-> 'STATE_OPEN'\t'"+hssID.Host+"'")
	tp := &topology{t: t, fd: fd, hss: h, relay: startRelay(t, fd.port)}
	// Tear down in the order an operator would: Breakwater shuts down
	// gracefully (DPR to both sides) before the partners hang up.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tp.relay.Shutdown(ctx) // harmless after the shutdown test's own
		for _, c := range tp.clients {
			c.Close()
		}
	})
	return tp
}

func requireFreeDiameter(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(fdBinary); err != nil {
		t.Skipf("freeDiameter interop skipped: %s not found (apt-get install freediameter): %v", fdBinary, err)
	}
}

// dial connects a partner node with identity id from 127.0.0.2.
func (tp *topology) dial(id diampeer.Identity) *diampeer.Client {
	t := tp.t
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), answerTimeout)
	defer cancel()
	c, err := diampeer.Dial(ctx, tp.relay.Addr().String(), id, partnerIP)
	if err != nil {
		t.Fatal(err)
	}
	tp.clients = append(tp.clients, c)
	return c
}

// partner connects the UK MME from 127.0.0.2 and exchanges capabilities;
// it returns the client and the CEA.
func (tp *topology) partner() (*diampeer.Client, []byte) {
	t := tp.t
	t.Helper()
	c := tp.dial(mmeID)
	var b diameter.Builder
	tp.cer = append([]byte(nil), c.CER(&b, diameter.AppS6aS6d)...)
	cea, err := c.Do(tp.cer, 0, answerTimeout)
	if err != nil {
		t.Fatalf("CER: %v\n%s", err, tp.fd.log.String())
	}
	if rc := diampeer.ResultCode(cea); rc != diameter.ResultSuccess {
		t.Fatalf("CEA result %d\n%s", rc, tp.fd.log.String())
	}
	// freeDiameter has moved the partner to OPEN once it sent the CEA;
	// wait for the log line so that later assertions on the log are sound.
	tp.fd.waitLog(t, answerTimeout, "-> 'STATE_OPEN'\t'"+mmeID.Host+"'")
	return c, cea
}

// localAnswers is how many requests the relay answered itself for reason
// (one of proxy.AnswerReasons).
func (tp *topology) localAnswers(reason string) uint64 {
	tp.t.Helper()
	for i, r := range proxy.AnswerReasons {
		if r == reason {
			return tp.relay.Stats.LocalAnswers[i].Load()
		}
	}
	tp.t.Fatalf("no local-answer reason %q", reason)
	return 0
}

// startRelay builds the engine from the policy and starts a relay on a
// loopback port with freeDiameter as its upstream.
func startRelay(t *testing.T, fdPort int) *proxy.DiameterRelay {
	t.Helper()
	cfg, err := config.Parse("interop.yaml", []byte(policyYAML))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.NewPolicy(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(p, engine.NewMemoryState(cfg))
	listen, err := transport.ParseAddress("tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := transport.ParseAddress("tcp://127.0.0.1:" + strconv.Itoa(fdPort))
	if err != nil {
		t.Fatal(err)
	}
	r := proxy.NewDiameterRelay(proxy.Config{
		Name: "interop", Listen: listen, Upstream: upstream, Streams: 1,
		ConnectTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, MaxMessage: 1 << 16,
		RejectResultCode: 5012, OriginHost: "breakwater." + homeRealm, OriginRealm: homeRealm,
	}, eng, relayLogger(t))
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

func relayLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// freePort returns a TCP port free on every local address (freeDiameter
// 1.2.1 ignores a loopback ListenOn and binds the wildcard address).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a child process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// freeDiameter is a running freeDiameterd.
type freeDiameter struct {
	port int
	log  *syncBuffer
	cmd  *exec.Cmd
	done chan struct{}
}

// startFreeDiameter runs freeDiameterd as the home DEA (internal/fdconf),
// with the shortest watchdog (its own DWR comes soon) and every message
// logged: the tests read the log to see what freeDiameter got.
func startFreeDiameter(t *testing.T, hssPort int) *freeDiameter {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	conf, err := fdconf.Relay{Identity: deaID.Host, Realm: deaID.Realm, Port: port, HSS: hssID.Host, HSSPort: hssPort,
		Partners: mmeID.Host, Watchdog: 6, DumpMessages: true}.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	fd := &freeDiameter{port: port, log: &syncBuffer{}, done: make(chan struct{})}
	fd.cmd = exec.Command(fdBinary, "-c", conf)
	fd.cmd.Stdout, fd.cmd.Stderr = fd.log, fd.log
	fd.cmd.Dir = dir
	if err := fd.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", fdBinary, err)
	}
	go func() { fd.cmd.Wait(); close(fd.done) }()
	t.Cleanup(func() {
		fd.stop()
		if t.Failed() || testing.Verbose() {
			t.Logf("freeDiameterd log:\n%s", fd.log.String())
		}
	})
	fd.waitLog(t, startTimeout, "freeDiameterd daemon initialized.")
	// The daemon listens once it says so; dial anyway to be sure (this
	// logs one "CONNECT FAILED ... before CER was received" line).
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("freeDiameter does not accept connections on port %d: %v\n%s", port, err, fd.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fd
}

// stop asks freeDiameter to terminate (SIGTERM: it sends DPRs to its
// peers) and kills it if it has not exited in time.
func (fd *freeDiameter) stop() {
	fd.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-fd.done:
	case <-time.After(5 * time.Second):
		fd.cmd.Process.Kill()
		<-fd.done
	}
}

// waitLog waits until a line of freeDiameter's log contains every one of
// parts.
func (fd *freeDiameter) waitLog(t *testing.T, timeout time.Duration, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for len(fd.logLines(parts...)) == 0 {
		select {
		case <-fd.done:
			t.Fatalf("freeDiameter exited while waiting for %q:\n%s", parts, fd.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q in freeDiameter's log:\n%s", parts, fd.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logLines returns the log lines containing every one of parts.
func (fd *freeDiameter) logLines(parts ...string) []string {
	var out []string
	for _, l := range strings.Split(fd.log.String(), "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// Matchers for dbg_msg_dumps' compact lines, e.g.
//
//	RCV from 'mme.example': (no model)16777251/318 f:RP-- src:'mme.example' len:268
//
// Received messages are logged before they are parsed, and freeDiameter
// 1.2.1's dictionaries do not define the S6a commands, so lines name
// messages by application/code and flags (R, P, E, T or '-').
func rcvFrom(peer string) string { return "RCV from '" + peer + "': " }
func sndTo(peer string) string   { return "SND to '" + peer + "': " }
func msgID(app, code uint32, flags string) string {
	return strconv.FormatUint(uint64(app), 10) + "/" + strconv.FormatUint(uint64(code), 10) + " f:" + flags + " "
}

// hss is the home HSS freeDiameter connects to. diampeer.Server cannot
// play it: freeDiameter validates base-protocol answers against its
// dictionary and its CEA lacks Host-IP-Address, Vendor-Id and Product-Name
// (and advertises no application, so freeDiameter would never route S6a
// to it). This one sends a complete CEA advertising S6a and answers every
// application request with 2001.
type hss struct {
	ln transport.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	got   [][]byte
	conns map[transport.Conn]struct{}
}

func startHSS(t *testing.T) *hss {
	t.Helper()
	a, err := transport.ParseAddress("tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := transport.Listen(a, diampeer.Options())
	if err != nil {
		t.Fatal(err)
	}
	h := &hss{ln: ln, conns: map[transport.Conn]struct{}{}}
	h.wg.Add(1)
	go h.accept()
	t.Cleanup(h.close)
	return h
}

func (h *hss) port() int { return int(h.ln.Addr().Port) }

func (h *hss) accept() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.conns[c] = struct{}{}
		h.mu.Unlock()
		h.wg.Add(1)
		go h.serve(c)
	}
}

func (h *hss) serve(c transport.Conn) {
	defer h.wg.Done()
	defer c.Close()
	buf := make([]byte, 0, 1<<16)
	var b diameter.Builder
	for {
		m, err := c.ReadMessage(buf)
		if err != nil {
			return
		}
		raw := append([]byte(nil), m.Data...)
		h.mu.Lock()
		h.got = append(h.got, raw)
		h.mu.Unlock()
		hd, err := diameter.ParseHeader(raw)
		if err != nil || !hd.IsRequest() {
			continue
		}
		if err := c.WriteMessage(transport.Message{Data: hssAnswer(&b, raw, hd)}); err != nil {
			return
		}
		if hd.Code == diameter.CmdDisconnectPeer {
			return
		}
	}
}

// hssAnswer answers req as the HSS would.
func hssAnswer(b *diameter.Builder, req []byte, h diameter.Header) []byte {
	b.Start(h.Flags&diameter.FlagProxiable, h.Code, h.AppID, h.HopByHop, h.EndToEnd)
	if sid, n := diameter.FindAVP(req, diameter.AVPSessionID, 0); n > 0 {
		b.Bytes(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, sid.Data)
	}
	if h.AppID == diameter.AppS6aS6d {
		b.Uint32(277, 0, diameter.AVPFlagMandatory, 1) // Auth-Session-State NO_STATE_MAINTAINED
	}
	b.Uint32(diameter.AVPResultCode, 0, diameter.AVPFlagMandatory, diameter.ResultSuccess).
		String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, hssID.Host).
		String(diameter.AVPOriginRealm, 0, diameter.AVPFlagMandatory, hssID.Realm)
	if h.Code == diameter.CmdCapabilitiesExchange {
		b.Bytes(257, 0, diameter.AVPFlagMandatory, []byte{0, 1, 127, 0, 0, 1}) // Host-IP-Address
		b.Uint32(diameter.AVPVendorID, 0, diameter.AVPFlagMandatory, diameter.Vendor3GPP)
		b.String(269, 0, 0, "breakwater-interop-hss")                    // Product-Name
		b.Uint32(265, 0, diameter.AVPFlagMandatory, diameter.Vendor3GPP) // Supported-Vendor-Id
		b.Group(diameter.AVPVendorSpecificApplicationID, 0, diameter.AVPFlagMandatory)
		b.Uint32(diameter.AVPVendorID, 0, diameter.AVPFlagMandatory, diameter.Vendor3GPP)
		b.Uint32(diameter.AVPAuthApplicationID, 0, diameter.AVPFlagMandatory, diameter.AppS6aS6d)
		b.End()
	}
	return b.Message()
}

// received returns copies of every message the HSS got.
func (h *hss) received() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.got...)
}

// ops names the received messages in order ("CER", "ULR", ...).
func (h *hss) ops() []string {
	var ops []string
	for _, raw := range h.received() {
		var v view.Message
		diameter.Decode(raw, &v)
		ops = append(ops, v.Op)
	}
	return ops
}

func (h *hss) close() {
	h.ln.Close()
	h.mu.Lock()
	for c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func decode(t *testing.T, raw []byte) view.Message {
	t.Helper()
	var v view.Message
	if err := diameter.Decode(raw, &v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

func header(t *testing.T, raw []byte) diameter.Header {
	t.Helper()
	h, err := diameter.ParseHeader(raw)
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	return h
}

// avpStrings returns the values of every top-level AVP code/vendor.
func avpStrings(raw []byte, code, vendor uint32) []string {
	var out []string
	it := diameter.NewAVPs(raw[diameter.HeaderLen:])
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		if a.Code == code && a.Vendor == vendor {
			out = append(out, string(a.Data))
		}
	}
	return out
}

// applications lists the application ids a CER/CEA advertises, top-level
// and inside Vendor-Specific-Application-Id.
func applications(raw []byte) []uint32 {
	var apps []uint32
	it := diameter.NewAVPs(raw[diameter.HeaderLen:])
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		switch {
		case a.Vendor != 0:
		case a.Code == diameter.AVPAuthApplicationID || a.Code == diameter.AVPAcctApplicationID:
			if id, ok := a.Uint32(); ok {
				apps = append(apps, id)
			}
		case a.Code == diameter.AVPVendorSpecificApplicationID:
			g := a.Grouped()
			for m, ok := g.Next(); ok; m, ok = g.Next() {
				if m.Vendor == 0 && (m.Code == diameter.AVPAuthApplicationID || m.Code == diameter.AVPAcctApplicationID) {
					if id, ok := m.Uint32(); ok {
						apps = append(apps, id)
					}
				}
			}
		}
	}
	return apps
}
