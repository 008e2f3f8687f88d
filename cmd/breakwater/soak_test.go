//go:build soak

package main

// The soak test (make soak; not part of make test): `breakwater run`, a
// process of its own, relays Diameter over TCP, GTP-C over UDP and M3UA
// over TCP between lab partners and lab home nodes for SOAKTIME (default
// 5m), under mixed valid and malformed traffic from two partners at the
// rate the machine allows. It reports Breakwater's memory, goroutines and
// message counts as it goes and in a final table, and fails if an allowed
// (or refused) request was never answered or answered otherwise than
// expected, if Breakwater's MALFORMED rule did not drop exactly the
// malformed messages sent, if the heap or the goroutines keep growing, or
// if Breakwater does not stop cleanly on SIGTERM.
//
//	make soak SOAKTIME=30s
//	SOAKTIME=1h go test -tags soak -run '^TestSoak$' -v -timeout 0 ./cmd/breakwater/

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"breakwater/firewall/transport"
	"breakwater/internal/diampeer"
	"breakwater/protocols/diameter"
	"breakwater/protocols/gtp"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

// soakCounts is one protocol's traffic as the lab partners saw it.
type soakCounts struct {
	sent      atomic.Int64 // every message sent that Breakwater judges (malformed included)
	answered  atomic.Int64 // allowed requests answered by the home side
	blocked   atomic.Int64 // requests refused by Breakwater with an answer (5012, a cause, a TC-ABORT)
	malformed atomic.Int64 // malformed messages sent (Breakwater drops them: no answer)
	local     atomic.Int64 // answered by Breakwater itself as the protocol wants (GTP Echo)
	lost      atomic.Int64 // requests that expected an answer and got none within 5 s
	wrong     atomic.Int64 // answers other than expected
	mu        sync.Mutex
	firstErr  []string
}

func (c *soakCounts) fail(format string, args ...any) {
	c.wrong.Add(1)
	c.mu.Lock()
	if len(c.firstErr) < 5 {
		c.firstErr = append(c.firstErr, fmt.Sprintf(format, args...))
	}
	c.mu.Unlock()
}

type soakSample struct {
	at                         time.Duration
	heap, rss, goroutines, gcs float64
}

func TestSoak(t *testing.T) {
	d := 5 * time.Minute
	if s := os.Getenv("SOAKTIME"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 10*time.Second {
			t.Fatalf("SOAKTIME=%q: want a duration of at least 10s (%v)", s, err)
		}
	}
	// make soak runs without go test's timeout (it would have to exceed
	// any SOAKTIME); this one bounds a hang, with every goroutine's stack.
	watchdog := time.AfterFunc(d+3*time.Minute, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("soak: not finished %v after SOAKTIME %v", 3*time.Minute, d))
	})
	defer watchdog.Stop()

	// The home side: HSS, STP with an HLR, PGW.
	hss := homeHSS(t)
	hss.Record.Store(false)
	stp := newLabSTP(t)
	pgw := newLabPGW(t)

	// Breakwater, in a process of its own so that its memory and
	// goroutines are its own.
	diaPort, m3uaPort, adminPort := freePort(t), freePort(t), freePort(t)
	gtpPort, gtpHomePort := freeUDPPort(t), freeUDPPort(t)
	cfg := writeFaultConfig(t, fmt.Sprintf(`gtp_state:
  max_sessions: 8192
diameter:
  - name: dea
    listen: tcp://127.0.0.1:%d
    upstream: %s
m3ua:
  - name: stp
    listen: tcp://127.0.0.1:%d
    upstream: %s
    reject_with: tcap-abort
gtp:
  - name: s8
    listen: udp://127.0.0.1:%d
    upstream_source: udp://127.0.0.1:%d
    upstream: udp://%s
`, diaPort, hss.Addr().String(), m3uaPort, stp.addr().String(), gtpPort, gtpHomePort, pgw.addr()))
	cfgData, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(cfgData), "listen: 127.0.0.1:0", fmt.Sprintf("listen: 127.0.0.1:%d", adminPort), 1)), 0o644)
	logPath := filepath.Join(t.TempDir(), "breakwater.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(os.Args[0], "run", "-c", cfg, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "BREAKWATER_TEST_MAIN=1")
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{}) // closed when the process has exited; then exitErr is its result
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("breakwater log (end):\n%s", tail(string(log), 40))
		}
	}()
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", adminPort)
	waitFor(t, 20*time.Second, "breakwater to start", func() bool {
		resp, err := http.Get(metricsURL)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})

	// The partners.
	dia, gtpc, sig := &soakCounts{}, &soakCounts{}, &soakCounts{}
	var stop atomic.Bool
	var wg sync.WaitGroup
	diaAddr := fmt.Sprintf("tcp://127.0.0.1:%d", diaPort)
	m3uaAddr, _ := transport.ParseAddress(fmt.Sprintf("tcp://127.0.0.1:%d", m3uaPort))
	gtpAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(gtpPort))
	for pi, p := range []labPartner{ukLab, deLab} {
		c := dialPartner(t, diaAddr, p)
		// The partner's GTP-C node sends from two ports with one sequence
		// space: the engine keys pending Create Session Requests and its
		// replay memory by node address and sequence number, not port.
		seq := new(atomic.Uint32)
		for w := range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); soakDiameter(c, p, w, &stop, dia) }()
		}
		for w := range 2 {
			conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(p.from), 0)))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			wg.Add(1)
			go func() { defer wg.Done(); soakGTP(conn, gtpAddr, p, pi*2+w, seq, &stop, gtpc) }()
		}
		sg := []labSG{ukSGLab, deSGLab}[pi]
		for range 2 {
			mp, err := dialM3UA(m3uaAddr, sg)
			if err != nil {
				t.Fatal(err)
			}
			defer mp.c.Close()
			wg.Add(1)
			go func() { defer wg.Done(); soakM3UA(mp, &stop, sig) }()
		}
	}

	// Run, sampling Breakwater's memory and goroutines.
	start := time.Now()
	every := max(d/60, time.Second)
	report := max(d/10, 5*time.Second)
	var samples []soakSample
	lastReport := time.Duration(0)
	for time.Since(start) < d {
		time.Sleep(every)
		m, err := scrape(metricsURL)
		if err != nil {
			t.Fatalf("metrics: %v", err)
		}
		s := soakSample{at: time.Since(start), heap: m["go_memstats_heap_alloc_bytes"], rss: m["process_resident_memory_bytes"],
			goroutines: m["go_goroutines"], gcs: m["go_gc_duration_seconds_count"]}
		samples = append(samples, s)
		if s.at-lastReport >= report || s.at >= d {
			lastReport = s.at
			t.Logf("%6s  heap %6.1f MiB  rss %6.1f MiB  goroutines %3.0f  | diameter %s | gtp-c %s | m3ua %s",
				s.at.Round(time.Second), s.heap/(1<<20), s.rss/(1<<20), s.goroutines, dia.short(), gtpc.short(), sig.short())
		}
		select {
		case <-exited:
			t.Fatalf("breakwater exited during the soak: %v", exitErr)
		default:
		}
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	final, err := scrape(metricsURL)
	if err != nil {
		t.Fatal(err)
	}

	// Summary.
	var tb strings.Builder
	fmt.Fprintf(&tb, "soak %v (SOAKTIME %v)\n", elapsed.Round(time.Second), d)
	fmt.Fprintf(&tb, "%-9s %10s %10s %10s %10s %10s %8s %8s %9s\n", "protocol", "sent", "answered", "blocked", "malformed", "local", "lost", "wrong", "msg/s")
	for _, r := range []struct {
		name string
		c    *soakCounts
	}{{"diameter", dia}, {"gtp-c", gtpc}, {"m3ua", sig}} {
		c := r.c
		fmt.Fprintf(&tb, "%-9s %10d %10d %10d %10d %10d %8d %8d %9.0f\n", r.name, c.sent.Load(), c.answered.Load(), c.blocked.Load(),
			c.malformed.Load(), c.local.Load(), c.lost.Load(), c.wrong.Load(), float64(c.sent.Load())/elapsed.Seconds())
	}
	third := len(samples) / 3
	first, last := samples[:max(third, 1)], samples[len(samples)-max(third, 1):]
	heap := func(s soakSample) float64 { return s.heap / (1 << 20) }
	rss := func(s soakSample) float64 { return s.rss / (1 << 20) }
	goroutines := func(s soakSample) float64 { return s.goroutines }
	end := samples[len(samples)-1]
	fmt.Fprintf(&tb, "%-22s %12s %12s %12s\n", "breakwater", "first third", "last third", "end")
	for _, r := range []struct {
		name string
		agg  func([]soakSample, func(soakSample) float64) float64
		get  func(soakSample) float64
	}{
		{"heap alloc MiB (min)", minOf, heap},
		{"heap alloc MiB (max)", maxOf, heap},
		{"rss MiB (max)", maxOf, rss},
		{"goroutines (max)", maxOf, goroutines},
	} {
		fmt.Fprintf(&tb, "%-22s %12.1f %12.1f %12.1f\n", r.name, r.agg(first, r.get), r.agg(last, r.get), r.get(end))
	}
	fmt.Fprintf(&tb, "breakwater: %.0f garbage collections during the run\n", end.gcs-samples[0].gcs)
	malformedHits := sumSeries(final, `breakwater_rule_hits_total{`, `rule="MALFORMED"`)
	fmt.Fprintf(&tb, "breakwater: MALFORMED rule hits %.0f; messages judged %.0f (allow %.0f, reject %.0f, drop %.0f)\n", malformedHits,
		sumSeries(final, "breakwater_messages_total{", ""), sumSeries(final, "breakwater_messages_total{", `verdict="allow"`),
		sumSeries(final, "breakwater_messages_total{", `verdict="reject"`), sumSeries(final, "breakwater_messages_total{", `verdict="drop"`))
	t.Log("summary\n" + tb.String())

	// Verdicts.
	for name, c := range map[string]*soakCounts{"diameter": dia, "gtp-c": gtpc, "m3ua": sig} {
		if c.lost.Load() != 0 {
			t.Errorf("%s: %d requests lost (sent, never answered)", name, c.lost.Load())
		}
		if c.wrong.Load() != 0 {
			t.Errorf("%s: %d unexpected answers, first: %v", name, c.wrong.Load(), c.firstErr)
		}
		if c.answered.Load() == 0 || c.blocked.Load() == 0 || c.malformed.Load() == 0 {
			t.Errorf("%s: the mix did not run (answered %d, blocked %d, malformed %d)", name, c.answered.Load(), c.blocked.Load(), c.malformed.Load())
		}
	}
	if want := float64(dia.malformed.Load() + gtpc.malformed.Load() + sig.malformed.Load()); malformedHits != want {
		t.Errorf("Breakwater dropped %.0f messages as malformed, the partners sent %.0f", malformedHits, want)
	}
	if len(samples) >= 9 {
		// The heap in use swings between the live heap and up to
		// GOGC (100%) above it, and Breakwater allocates so little
		// that one cycle can take minutes: a third's smallest sample
		// bounds its live heap from above, and without growth the last
		// third's stays under twice the first third's.
		h0, h1 := minOf(first, heap), minOf(last, heap)
		if h1 > 2*h0+16 {
			t.Errorf("heap grows: at least %.1f MiB in use throughout the first third, %.1f MiB throughout the last", h0, h1)
		}
		g0, g1 := maxOf(first, goroutines), maxOf(last, goroutines)
		if g1 > g0+5 {
			t.Errorf("goroutines grow: at most %.0f in the first third, %.0f in the last", g0, g1)
		}
	} else {
		t.Errorf("only %d samples: no growth check", len(samples))
	}

	// A graceful stop.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if exitErr != nil {
			t.Errorf("breakwater exit after SIGTERM: %v", exitErr)
		}
	case <-time.After(20 * time.Second):
		t.Error("breakwater did not stop within 20s of SIGTERM")
	}
}

func (c *soakCounts) short() string {
	return fmt.Sprintf("sent %d ans %d blk %d mal %d lost %d", c.sent.Load(), c.answered.Load(), c.blocked.Load(), c.malformed.Load(), c.lost.Load())
}

func minOf(s []soakSample, f func(soakSample) float64) float64 {
	m := f(s[0])
	for _, x := range s {
		m = min(m, f(x))
	}
	return m
}

func maxOf(s []soakSample, f func(soakSample) float64) float64 {
	m := 0.0
	for _, x := range s {
		m = max(m, f(x))
	}
	return m
}

// scrape reads every sample of a Prometheus text exposition.
func scrape(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if v, err := strconv.ParseFloat(l[i+1:], 64); err == nil {
			out[l[:i]] = v
		}
	}
	io.Copy(io.Discard, resp.Body)
	return out, sc.Err()
}

// sumSeries adds the samples whose series starts with prefix and contains
// label.
func sumSeries(m map[string]float64, prefix, label string) float64 {
	sum := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, prefix) && strings.Contains(k, label) {
			sum += v
		}
	}
	return sum
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// soakDiameter is one MME worker: ULR and AIR (answered by the HSS), DWR
// (end to end), the IDR location probe (refused, 5012), and a malformed
// ULR (an AVP longer than the message: dropped, no answer), in a fixed
// mix, one request at a time.
func soakDiameter(c *diampeer.Client, p labPartner, w int, stop *atomic.Bool, n *soakCounts) {
	var b diameter.Builder
	for i := 0; !stop.Load(); i++ {
		imsi := strconv.Itoa(p.imsiBase + 50000 + w*500 + i%500)
		var req []byte
		want := uint32(diameter.ResultSuccess)
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			req = c.S6a(&b, diameter.CmdUpdateLocation, imsi, hssID.Realm, p.plmn)
		case 5, 6:
			req = c.S6a(&b, diameter.CmdAuthenticationInfo, imsi, hssID.Realm, p.plmn)
		case 7:
			req = c.DWR(&b)
		case 8:
			req, want = c.S6a(&b, diameter.CmdInsertSubscriberData, imsi, hssID.Realm, ""), 5012
		case 9:
			bad := append([]byte(nil), c.S6a(&b, diameter.CmdUpdateLocation, imsi, hssID.Realm, p.plmn)...)
			bad[diameter.HeaderLen+5], bad[diameter.HeaderLen+6], bad[diameter.HeaderLen+7] = 0x00, 0xff, 0xf0 // first AVP's length
			n.sent.Add(1)
			n.malformed.Add(1)
			if err := c.Send(bad); err != nil {
				n.fail("%s: sending: %v", p.name, err)
				return
			}
			continue
		}
		n.sent.Add(1)
		ans, err := c.Do(req, 0, 5*time.Second)
		switch {
		case err == diampeer.ErrNoAnswer:
			n.lost.Add(1)
			continue
		case err != nil:
			n.fail("%s: %v", p.name, err)
			return
		}
		rc := diampeer.ResultCode(ans)
		switch {
		case rc != want:
			n.fail("%s: command %d answered %d, want %d", p.name, binaryCode(req), rc, want)
		case want == 5012:
			n.blocked.Add(1)
		default:
			n.answered.Add(1)
		}
	}
}

func binaryCode(m []byte) uint32 {
	h, _ := diameter.ParseHeader(m)
	return h.Code
}

// soakGTP is one SGW worker on its own socket: Create Session and Delete
// Session (answered by the PGW), Context Request (refused with a cause),
// Echo (answered by Breakwater), and a malformed Create Session (an IE
// longer than the message: dropped), one request at a time.
func soakGTP(c *net.UDPConn, relay netip.AddrPort, p labPartner, w int, seqs *atomic.Uint32, stop *atomic.Bool, n *soakCounts) {
	var b gtp.Builder
	var v view.Message
	buf := make([]byte, 1<<16)
	from := netip.MustParseAddr(p.from)
	next := func() uint32 { return seqs.Add(1) & 0xffffff }
	// exchange sends req (sequence number s) and waits for the response
	// with its number (stale ones, after a loss, are skipped).
	exchange := func(req []byte, s uint32) ([]byte, bool) {
		n.sent.Add(1)
		if _, err := c.WriteToUDPAddrPort(req, relay); err != nil {
			n.fail("%s: send: %v", p.name, err)
			return nil, false
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			k, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				n.lost.Add(1)
				return nil, false
			}
			if _, err := gtp.Decode(buf[:k], &v); err == nil && uint32(v.Transaction) == s {
				return buf[:k], true
			}
		}
	}
	for i := 0; !stop.Load(); i++ {
		imsi := strconv.Itoa(p.imsiBase + 60000 + w*500 + i%500)
		teid := uint32(w)<<24 | uint32(i)&0xffffff | 1
		switch {
		case i%16 == 15:
			bad := append([]byte(nil), soakCSR(&b, imsi, next(), teid, from, p.plmn)...)
			bad[13], bad[14] = 0xff, 0xf0 // the first IE's length
			n.sent.Add(1)
			n.malformed.Add(1)
			c.WriteToUDPAddrPort(bad, relay)
			continue
		case i%8 == 7:
			s := next()
			if r, ok := exchange(b.StartV2(130, true, 0, s).IE(gtp.IEIMSI, 0, gtp.TBCD(imsi)).Message(), s); ok {
				if v.Op != "ContextResponse" || v.ResultCode == 16 {
					n.fail("%s: Context Request answered %s cause %d (%x)", p.name, v.Op, v.ResultCode, r)
				} else {
					n.blocked.Add(1)
				}
			}
			continue
		case i%8 == 3:
			s := next()
			if _, ok := exchange(b.StartV2(1, false, 0, s).IE(gtp.IERecovery, 0, []byte{1}).Message(), s); ok {
				if v.Op != "EchoResponse" {
					n.fail("%s: Echo answered %s", p.name, v.Op)
				} else {
					n.local.Add(1)
				}
			}
			continue
		}
		s := next()
		if _, ok := exchange(soakCSR(&b, imsi, s, teid, from, p.plmn), s); !ok {
			continue
		}
		if v.Op != "CreateSessionResponse" || v.ResultCode != 16 || v.TEID != teid {
			n.fail("%s: Create Session answered %s cause %d TEID %#x, want %#x", p.name, v.Op, v.ResultCode, v.TEID, teid)
			continue
		}
		n.answered.Add(1)
		pgwTEID := v.SenderTEID
		s = next()
		if _, ok := exchange(b.StartV2(36, true, pgwTEID, s).IE(gtp.IEEBI, 0, []byte{5}).Message(), s); ok {
			if v.Op != "DeleteSessionResponse" || v.ResultCode != 16 || v.TEID != teid {
				n.fail("%s: Delete Session answered %s cause %d TEID %#x", p.name, v.Op, v.ResultCode, v.TEID)
			} else {
				n.answered.Add(1)
			}
		}
	}
}

func soakCSR(b *gtp.Builder, imsi string, seq, teid uint32, from netip.Addr, plmn string) []byte {
	pl, _ := view.ParsePLMN(plmn)
	sn := pl.Encode()
	return b.StartV2(32, true, 0, seq).
		IE(gtp.IEIMSI, 0, gtp.TBCD(imsi)).
		IE(gtp.IERATType, 0, []byte{6}).
		IE(gtp.IEServingNetwork, 0, sn[:]).
		IE(gtp.IEFTEID, 0, gtp.FTEID(6, teid, from)).
		IE(gtp.IEAPN, 0, []byte("\x08internet")).
		Group(gtp.IEBearerContext, 0).IE(gtp.IEEBI, 0, []byte{5}).IE(gtp.IEFTEID, 2, gtp.FTEID(4, teid, from)).End().
		Message()
}

// labPGW is the home PGW: it accepts Create Session (announcing a TEID
// of its own) and Delete Session requests.
type labPGW struct {
	c     *net.UDPConn
	mu    sync.Mutex
	peers map[uint32]uint32 // PGW TEID → the TEID its peer (the relay) announced
}

func newLabPGW(t testing.TB) *labPGW {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &labPGW{c: c, peers: map[uint32]uint32{}}
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1<<16)
		var v view.Message
		var b gtp.Builder
		next := uint32(0x10000)
		self := netip.MustParseAddr("127.0.0.1")
		for {
			k, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if _, err := gtp.Decode(buf[:k], &v); err != nil {
				continue
			}
			var resp []byte
			switch v.Op {
			case "CreateSessionRequest":
				next++
				p.peers[next] = v.SenderTEID
				resp = b.StartV2(33, true, v.SenderTEID, uint32(v.Transaction)).
					IE(gtp.IECause, 0, []byte{16, 0}).IE(gtp.IEFTEID, 0, gtp.FTEID(7, next, self)).Message()
			case "DeleteSessionRequest":
				peer, ok := p.peers[v.TEID]
				if !ok {
					continue
				}
				delete(p.peers, v.TEID)
				resp = b.StartV2(37, true, peer, uint32(v.Transaction)).IE(gtp.IECause, 0, []byte{16, 0}).Message()
			default:
				continue
			}
			c.WriteToUDPAddrPort(resp, from)
		}
	}()
	return p
}

func (p *labPGW) addr() string { return p.c.LocalAddr().String() }

// soakM3UA is one partner SG association: updateLocation (the HLR
// answers), anyTimeInterrogation (Breakwater aborts it), a DATA whose
// SCCP is garbage (dropped), and BEAT (end to end), one at a time. After
// the garbage a BEAT shows that nothing came back for it.
func soakM3UA(p *m3uaPartner, stop *atomic.Bool, n *soakCounts) {
	var tm tcap.Message
	// await reads the next message and returns its kind and, for DATA,
	// its TCAP type and DTID.
	await := func() (m3ua.Kind, bool) {
		p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, err := p.c.ReadMessage(p.buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				n.lost.Add(1)
			} else {
				n.fail("%s: %v", p.lab.name, err)
			}
			return 0, false
		}
		h, _ := m3ua.ParseHeader(m.Data)
		if h.Kind() == m3ua.KindDATA {
			var d m3ua.Data
			var s sccp.Message
			if m3ua.ParseData(m.Data, &d) != nil || sccp.Parse(d.UserData, &s) != nil || tcap.Parse(s.Data, &tm) != nil {
				n.fail("%s: unreadable DATA %x", p.lab.name, m.Data)
				return 0, false
			}
		}
		return h.Kind(), true
	}
	beat := func() bool {
		n.sent.Add(1)
		p.c.WriteMessage(transport.Message{Data: p.mb.Start(m3ua.KindBEAT).Bytes(m3ua.TagHeartbeatData, []byte("soak")).Message(), PPID: m3ua.PPID})
		k, ok := await()
		if ok && k != m3ua.KindBEATAck {
			n.fail("%s: got %s, want BEAT_ACK", p.lab.name, k)
			return false
		}
		if ok {
			n.answered.Add(1)
		}
		return ok
	}
	for i := 0; !stop.Load(); i++ {
		imsi := strconv.Itoa(p.lab.imsiBase + 50000 + i%500)
		switch i % 8 {
		case 0, 1, 2, 3, 4, 7:
			tc := beginUL(p, 1, imsi)
			want, cnt := tcap.End, &n.answered
			if i%8 == 4 {
				tc, want, cnt = beginATI(p, imsi), tcap.Abort, &n.blocked
			}
			otid := binaryBE(p.tid)
			n.sent.Add(1)
			if err := p.c.WriteMessage(transport.Message{Data: p.data(tc), PPID: m3ua.PPID}); err != nil {
				n.fail("%s: %v", p.lab.name, err)
				return
			}
			k, ok := await()
			switch {
			case !ok:
				if stop.Load() {
					return
				}
			case k != m3ua.KindDATA || tm.Type != want || string(tm.DTIDBytes) != string(otid):
				n.fail("%s: answered %s TCAP %v DTID %x, want TCAP %v to %x", p.lab.name, k, tm.Type, tm.DTIDBytes, want, otid)
			default:
				cnt.Add(1)
			}
		case 6:
			// DATA whose user data is not SCCP.
			d := m3ua.Data{RoutingContext: m3ua.Some(labRC), ProtocolData: m3ua.ProtocolData{
				OPC: p.lab.pc, DPC: 0x0101, SI: m3ua.SISCCP, NI: m3ua.NIInternational, SLS: 5, UserData: []byte{0x09, 0x80, 0xff, 0xff, 0xff, 0x01}}}
			n.sent.Add(1)
			n.malformed.Add(1)
			p.c.WriteMessage(transport.Message{Data: p.mb.Data(&d), PPID: m3ua.PPID})
			beat()
		default:
			beat()
		}
	}
}
