//go:build linux

package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ishidawataru/sctp"

	"breakwater/firewall/transport"
	"breakwater/internal/diampeer"
	"breakwater/protocols/diameter"
)

// SCTP faults (issue 9): one stream stalls, a partner aborts its
// association, a partner restarts it. They need kernel SCTP and root BPF
// (the stall program, stall_linux_test.go): they run in the VM harness
// (make test-sctp) and skip on hosts without SCTP. The VM is slow and
// retransmission timers back off, so nothing here is timed: the stall
// program's flag makes each fault start and end when the test says, and
// the waits are generous.

// faultWait bounds every wait for something that must happen.
const faultWait = 2 * time.Minute

// logRecorder keeps a relay's log records (and prints them with -v), so a
// test can check what was logged, and that a fault caused no log storm.
type logRecorder struct {
	mu    *sync.Mutex
	recs  *[]logRecord
	attrs []slog.Attr
	out   slog.Handler
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func newLogRecorder() *logRecorder {
	out := slog.Handler(slog.DiscardHandler)
	if testing.Verbose() {
		out = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return &logRecorder{mu: &sync.Mutex{}, recs: &[]logRecord{}, out: out}
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) Handle(ctx context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range l.attrs {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	*l.recs = append(*l.recs, rec)
	l.mu.Unlock()
	return l.out.Handle(ctx, r)
}

func (l *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *l
	c.attrs = append(append([]slog.Attr(nil), l.attrs...), as...)
	c.out = l.out.WithAttrs(as)
	return &c
}

func (l *logRecorder) WithGroup(string) slog.Handler { return l }

// records returns the records logged from index from on.
func (l *logRecorder) records(from int) []logRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logRecord(nil), (*l.recs)[min(from, len(*l.recs)):]...)
}

func (l *logRecorder) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(*l.recs)
}

// warnings returns the Warn and Error records logged from index from on.
func (l *logRecorder) warnings(from int) []logRecord {
	var w []logRecord
	for _, r := range l.records(from) {
		if r.level >= slog.LevelWarn {
			w = append(w, r)
		}
	}
	return w
}

// newSCTPFaultHarness is newSCTPHarness with a relay whose log is
// recorded.
func newSCTPFaultHarness(t *testing.T) (*harness, *logRecorder) {
	requireSCTP(t)
	hss, err := diampeer.Listen("sctp://127.0.0.1:0", hssID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hss.Close() })
	logs := newLogRecorder()
	h := &harness{t: t, hss: hss, log: slog.New(logs)}
	h.start(hss.Addr(), func(c *Config) {
		c.Listen, _ = transport.ParseAddress("sctp://127.0.0.1/127.1.0.1:0")
		c.Streams, c.ConnectTimeout, c.WriteTimeout = 8, 5*time.Second, 10*time.Second
	})
	return h, logs
}

// sctpPartner is a partner MME on its own association to Breakwater that
// sees the stream of every answer (diampeer.Client does not).
type sctpPartner struct {
	t  testing.TB
	c  transport.Conn
	cl *diampeer.Client // builds requests, hands out hop-by-hop identifiers
	b  diameter.Builder

	mu   sync.Mutex
	got  map[uint32]transport.Message // answers by hop-by-hop identifier
	done chan struct{}
	err  error
}

// dialSCTPPartner associates from address from and exchanges capabilities.
func dialSCTPPartner(t testing.TB, relay transport.Address, from string) *sctpPartner {
	t.Helper()
	c, err := transport.Dial(context.Background(), relay, diampeer.Options(from))
	if err != nil {
		t.Fatal(err)
	}
	p := &sctpPartner{t: t, c: c, cl: &diampeer.Client{ID: mmeID}, got: map[uint32]transport.Message{}, done: make(chan struct{})}
	go p.read()
	t.Cleanup(func() {
		c.Close()
		<-p.done
	})
	cea := p.await(p.send(p.cl.CER(&p.b, diameter.AppS6aS6d), 0), faultWait)
	if rc := diampeer.ResultCode(cea.Data); rc != diameter.ResultSuccess {
		t.Fatalf("CEA result %d", rc)
	}
	return p
}

func (p *sctpPartner) read() {
	defer close(p.done)
	buf := make([]byte, 0, 1<<16)
	var b diameter.Builder
	for {
		m, err := p.c.ReadMessage(buf)
		if err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			return
		}
		h, err := diameter.ParseHeader(m.Data)
		if err != nil {
			continue
		}
		if h.IsRequest() { // a request from home: answer it
			if ans, ok := b.Answer(m.Data, diameter.ResultSuccess, mmeID.Host, mmeID.Realm); ok {
				p.c.WriteMessage(transport.Message{Data: ans, Stream: m.Stream, PPID: ppidDiameter})
			}
			continue
		}
		m.Data = append([]byte(nil), m.Data...)
		p.mu.Lock()
		p.got[h.HopByHop] = m
		p.mu.Unlock()
	}
}

// send writes a request on stream and returns its hop-by-hop identifier.
func (p *sctpPartner) send(req []byte, stream uint16) uint32 {
	p.t.Helper()
	h, err := diameter.ParseHeader(req)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.c.WriteMessage(transport.Message{Data: req, Stream: stream, PPID: ppidDiameter}); err != nil {
		p.t.Fatalf("partner write: %v", err)
	}
	return h.HopByHop
}

// ulr builds an UpdateLocationRequest for imsi.
func (p *sctpPartner) ulr(imsi string) []byte {
	return p.cl.S6a(&p.b, diameter.CmdUpdateLocation, imsi, homeRealm, "23415")
}

// answer returns the answer to hbh, if it has come.
func (p *sctpPartner) answer(hbh uint32) (transport.Message, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.got[hbh]
	return m, ok
}

// await waits up to d for the answer to hbh.
func (p *sctpPartner) await(hbh uint32, d time.Duration) transport.Message {
	p.t.Helper()
	m, err := p.wait(hbh, d)
	if err != nil {
		p.t.Fatal(err)
	}
	return m
}

// wait is await for any goroutine.
func (p *sctpPartner) wait(hbh uint32, d time.Duration) (transport.Message, error) {
	deadline := time.Now().Add(d)
	for {
		if m, ok := p.answer(hbh); ok {
			return m, nil
		}
		select {
		case <-p.done:
			p.mu.Lock()
			defer p.mu.Unlock()
			return transport.Message{}, fmt.Errorf("partner association ended while waiting for answer %d: %v", hbh, p.err)
		default:
		}
		if time.Now().After(deadline) {
			return transport.Message{}, fmt.Errorf("no answer to request %d within %v", hbh, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// expectAnswer waits for the answer to hbh and checks its result and
// stream.
func (p *sctpPartner) expectAnswer(hbh uint32, stream uint16, what string) {
	p.t.Helper()
	a := p.await(hbh, faultWait)
	if rc := diampeer.ResultCode(a.Data); rc != diameter.ResultSuccess {
		p.t.Fatalf("%s: result %d", what, rc)
	}
	if a.Stream != stream {
		p.t.Fatalf("%s: answer on stream %d, want %d", what, a.Stream, stream)
	}
}

// sendOnStalled sends three ULRs on stream stalled and returns their
// hop-by-hop identifiers.
func (p *sctpPartner) sendOnStalled(stalled uint16) []uint32 {
	var held []uint32
	for i := 0; i < 3; i++ {
		held = append(held, p.send(p.ulr(imsiOn(stalled, i)), stalled))
	}
	return held
}

// otherStreamsAnswered sends two ULRs on each of the 8 streams but
// stalled and expects each answered on its own stream; during says what
// is going on meanwhile.
func (p *sctpPartner) otherStreamsAnswered(stalled uint16, during string) {
	p.t.Helper()
	for s := uint16(0); s < 8; s++ {
		if s == stalled {
			continue
		}
		for i := 0; i < 2; i++ {
			p.expectAnswer(p.send(p.ulr(imsiOn(s, i)), s), s, fmt.Sprintf("ULR on stream %d %s", s, during))
		}
	}
}

// expectUnanswered checks that none of held has an answer yet.
func (p *sctpPartner) expectUnanswered(held []uint32, during string) {
	p.t.Helper()
	for _, hbh := range held {
		if _, ok := p.answer(hbh); ok {
			p.t.Fatalf("request %d answered %s", hbh, during)
		}
	}
}

// waitPairEnded waits until the log since from holds a record whose
// message ended says a pair ended and one pair is left, and returns those
// records.
func waitPairEnded(t testing.TB, logs *logRecorder, from int, pairs *atomic.Int64, ended func(msg string) bool) []logRecord {
	t.Helper()
	var got []logRecord
	waitWithin(t, faultWait, "the aborted pair to end", func() bool {
		got = got[:0]
		for _, r := range logs.records(from) {
			if ended(r.msg) {
				got = append(got, r)
			}
		}
		return len(got) > 0 && pairs.Load() == 1
	})
	return got
}

// imsiOn names the i-th test subscriber whose requests go on stream s.
func imsiOn(s uint16, i int) string { return fmt.Sprintf("3102600000%02d%03d", s, i) }

// hssULRs lists the IMSIs of the ULRs the HSS received on stream s, in
// order.
func hssULRs(t testing.TB, hss *diampeer.Server, s uint16) []string {
	var imsis []string
	for _, r := range hss.Received() {
		if v := decode(t, r.Raw); v.Op == "ULR" && r.Stream == s {
			imsis = append(imsis, v.IMSI.String())
		}
	}
	return imsis
}

// checkNoLocalAnswers checks that Breakwater neither blocked nor answered
// anything itself: every answer came from the HSS.
func checkNoLocalAnswers(t testing.TB, st *RelayStats) {
	t.Helper()
	if n := st.Blocked.Load(); n != 0 {
		t.Errorf("%d messages blocked", n)
	}
	for i := range st.LocalAnswers {
		if n := st.LocalAnswers[i].Load(); n != 0 {
			t.Errorf("%d local answers (%s)", n, AnswerReasons[i])
		}
	}
}

func checkNoWarnings(t testing.TB, logs *logRecorder, from int, during string) {
	t.Helper()
	for _, r := range logs.warnings(from) {
		t.Errorf("logged %s %q %v %s", r.level, r.msg, r.attrs, during)
	}
}

// TestSCTPStreamStallPartnerSide: the partner's association to Breakwater
// loses every packet carrying DATA on stream 3 (real SCTP loss: the
// partner's kernel retransmits). Requests on the other streams are
// delivered by the kernel around the gap and Breakwater relays and answers
// them (it adds no head-of-line blocking across streams); the stream-3
// requests have not reached the HSS. When the loss ends, the kernel
// retransmits and every stream-3 request reaches the HSS once, in order,
// and its answer comes back on stream 3: nothing accepted is lost.
func TestSCTPStreamStallPartnerSide(t *testing.T) {
	const stalled = 3
	h, logs := newSCTPFaultHarness(t)
	p := dialSCTPPartner(t, h.relay.Addr(), "127.0.0.2")
	st := attachStall(t, stallSpec{port: h.relay.Addr().Port, stream: stalled})
	logFrom := logs.len()

	st.set(true)
	held := p.sendOnStalled(stalled)
	waitWithin(t, faultWait, "the stall program to drop the stream-3 requests", func() bool { return st.dropped() >= 3 })

	p.otherStreamsAnswered(stalled, fmt.Sprintf("while stream %d stalls", stalled))
	if got := hssULRs(t, h.hss, stalled); len(got) != 0 {
		t.Fatalf("the HSS got %v on the stalled stream", got)
	}
	p.expectUnanswered(held, "on the stalled stream while stalled")
	dropped := st.dropped()

	st.set(false)
	for i, hbh := range held {
		p.expectAnswer(hbh, stalled, fmt.Sprintf("stalled ULR %d after the stall", i))
	}
	want := []string{imsiOn(stalled, 0), imsiOn(stalled, 1), imsiOn(stalled, 2)}
	if got := hssULRs(t, h.hss, stalled); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("the HSS got %v on stream %d, want %v", got, stalled, want)
	}
	checkNoLocalAnswers(t, &h.relay.Stats)
	checkNoWarnings(t, logs, logFrom, "during the stall")
	if n := h.relay.Stats.ActivePairs.Load(); n != 1 {
		t.Errorf("%d pairs, want 1", n)
	}
	t.Logf("the stall program dropped %d packets on stream %d", dropped, stalled)
}

// TestSCTPStreamStallHomeSide: the same, toward the partner: the HSS's
// association to Breakwater loses every packet carrying DATA on stream 5,
// so the HSS's answers on stream 5 do not arrive; answers on the other
// streams still flow to the partner. When the loss ends, the stalled
// answers arrive, on stream 5.
func TestSCTPStreamStallHomeSide(t *testing.T) {
	const stalled = 5
	h, logs := newSCTPFaultHarness(t)
	p := dialSCTPPartner(t, h.relay.Addr(), "127.0.0.2")
	st := attachStall(t, stallSpec{port: h.hss.Addr().Port, src: true, stream: stalled})
	logFrom := logs.len()

	st.set(true)
	held := p.sendOnStalled(stalled)
	waitWithin(t, faultWait, "the HSS to answer the stream-5 requests and the answers to be dropped", func() bool {
		return len(hssULRs(t, h.hss, stalled)) == 3 && st.dropped() >= 3
	})
	p.otherStreamsAnswered(stalled, fmt.Sprintf("while stream %d's answers stall", stalled))
	p.expectUnanswered(held, "while its stream's answers stall")
	dropped := st.dropped()

	st.set(false)
	for i, hbh := range held {
		p.expectAnswer(hbh, stalled, fmt.Sprintf("stalled answer %d after the stall", i))
	}
	if got := hssULRs(t, h.hss, stalled); len(got) != 3 {
		t.Fatalf("the HSS got %v on stream %d, want each of the 3 ULRs once", got, stalled)
	}
	checkNoLocalAnswers(t, &h.relay.Stats)
	checkNoWarnings(t, logs, logFrom, "during the stall")
	t.Logf("the stall program dropped %d packets on stream %d", dropped, stalled)
}

// TestSCTPPartnerAbort: a partner aborts its association (ABORT chunk)
// while its requests are in flight. Breakwater ends that pair (and logs
// why), discards the answers that can no longer be delivered without a
// warning, keeps serving another association of the partner throughout,
// and serves the partner again when it re-associates from the same
// address. In flight means at the HSS (which answers slowly: the answers
// come after the pair ended), or a burst with the ABORT right behind it
// (Breakwater is still reading requests the kernel holds, and relaying
// answers to the aborted association, when it learns of the abort).
func TestSCTPPartnerAbort(t *testing.T) {
	t.Run("at-hss", func(t *testing.T) { testSCTPPartnerAbort(t, false) })
	t.Run("burst", func(t *testing.T) { testSCTPPartnerAbort(t, true) })
}

func testSCTPPartnerAbort(t *testing.T, burst bool) {
	h, logs := newSCTPFaultHarness(t)
	if !burst {
		h.hss.Delay.Store(int64(200 * time.Millisecond)) // requests stay in flight at the HSS
	}
	other := dialSCTPPartner(t, h.relay.Addr(), "127.0.0.3")
	victim := dialSCTPPartner(t, h.relay.Addr(), "127.0.0.2")
	if n := h.relay.Stats.ActivePairs.Load(); n != 2 {
		t.Fatalf("%d pairs, want 2", n)
	}

	// The other association's traffic runs through the abort.
	type result struct {
		served int
		err    error
	}
	stop := make(chan struct{})
	otherDone := make(chan result)
	go func() {
		n := 0
		for i := 0; ; i++ {
			select {
			case <-stop:
				otherDone <- result{n, nil}
				return
			default:
			}
			s := uint16(i % 8)
			req := other.ulr(imsiOn(s, 100+i%100))
			h, _ := diameter.ParseHeader(req)
			if err := other.c.WriteMessage(transport.Message{Data: req, Stream: s, PPID: ppidDiameter}); err != nil {
				otherDone <- result{n, err}
				return
			}
			a, err := other.wait(h.HopByHop, faultWait)
			if err == nil && (diampeer.ResultCode(a.Data) != diameter.ResultSuccess || a.Stream != s) {
				err = fmt.Errorf("result %d on stream %d, want 2001 on stream %d", diampeer.ResultCode(a.Data), a.Stream, s)
			}
			if err != nil {
				otherDone <- result{n, err}
				return
			}
			n++
		}
	}()

	logFrom := logs.len()
	if burst {
		for i := 0; i < 200; i++ {
			s := uint16(1 + i%7)
			victim.send(victim.ulr(imsiOn(s, i)), s)
		}
	} else {
		for s := uint16(1); s <= 6; s++ {
			victim.send(victim.ulr(imsiOn(s, 0)), s)
		}
		waitWithin(t, faultWait, "the victim's requests to reach the HSS", func() bool { return len(hssULRs(t, h.hss, 1)) > 0 })
	}
	toPeer := h.relay.Stats.ToPeer.Load()
	if err := victim.c.Abort(); err != nil {
		t.Fatal(err)
	}
	// Why the pair ended is logged, once.
	ended := waitPairEnded(t, logs, logFrom, &h.relay.Stats.ActivePairs, func(msg string) bool {
		return msg == "peer connection ended" || msg == "peer disconnected"
	})
	// Whether Breakwater learnt of the abort reading the connection
	// (ECONNRESET) or writing an answer to it (ECONNRESET or EPIPE) is a
	// race; either is logged as the reason.
	if e := ended; len(e) != 1 || e[0].msg != "peer connection ended" ||
		!strings.Contains(e[0].attrs["err"], "reset") && !strings.Contains(e[0].attrs["err"], "broken pipe") {
		t.Errorf("logged %+v at the abort, want one \"peer connection ended\" with the reset", ended)
	}
	if len(ended) == 1 {
		t.Logf("the abort was logged as %q", ended[0].attrs["err"])
	}

	// Let the HSS answer what it had (its answers have nowhere to go),
	// while the other association keeps being served.
	time.Sleep(time.Second)
	close(stop)
	res := <-otherDone
	served := res.served
	if res.err != nil {
		t.Fatalf("the other association, after %d answers: %v", served, res.err)
	}
	if served == 0 {
		t.Fatal("the other association was not served during the abort")
	}
	checkNoWarnings(t, logs, logFrom, "after the abort")
	checkNoLocalAnswers(t, &h.relay.Stats)
	if n := h.relay.Stats.ToPeer.Load() - toPeer; !burst && n > uint64(served)+1 {
		t.Errorf("%d answers relayed to partners after the abort, the other association got %d", n, served)
	}

	// The partner comes back from the same address and is served.
	again := dialSCTPPartner(t, h.relay.Addr(), "127.0.0.2")
	again.expectAnswer(again.send(again.ulr(imsiOn(2, 1)), 2), 2, "ULR after re-associating")
	other.expectAnswer(other.send(other.ulr(imsiOn(4, 1)), 4), 4, "the other association's ULR after the abort")
	if n := h.relay.Stats.ActivePairs.Load(); n != 2 {
		t.Errorf("%d pairs, want 2", n)
	}
	if n := h.relay.Stats.Accepted.Load(); n != 3 {
		t.Errorf("%d associations accepted, want 3", n)
	}
	if n := h.relay.Stats.PeerResets.Load(); n != 1 {
		t.Errorf("%d peer resets counted, want 1 (the ABORT)", n)
	}
}

// rawSCTPPartner is a partner association opened with the SCTP library
// directly, to bind a chosen local port (transport.Dial lets the kernel
// choose it). Reads are bounded with SO_RCVTIMEO.
type rawSCTPPartner struct {
	t       testing.TB
	c       *sctp.SCTPConn
	fd      int
	crashed bool // its socket is closed: c must not be touched
}

func dialRawSCTP(t testing.TB, relay transport.Address, from string, port int) *rawSCTPPartner {
	t.Helper()
	laddr, err := sctp.ResolveSCTPAddr("sctp", fmt.Sprintf("%s:%d", from, port))
	if err != nil {
		t.Fatal(err)
	}
	raddr, err := sctp.ResolveSCTPAddr("sctp", relay.AddrPort().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := sctp.DialSCTPExt("sctp", laddr, raddr, sctp.InitMsg{NumOstreams: 8, MaxInstreams: 8})
	if err != nil {
		t.Fatalf("association from %s:%d: %v", from, port, err)
	}
	p := &rawSCTPPartner{t: t, c: c}
	t.Cleanup(func() {
		if !p.crashed {
			c.Close()
		}
	})
	if err := c.SubscribeEvents(sctp.SCTP_EVENT_DATA_IO); err != nil {
		t.Fatal(err)
	}
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	raw.Control(func(fd uintptr) { p.fd = int(fd) })
	tv := syscall.NsecToTimeval(int64(faultWait))
	if err := syscall.SetsockoptTimeval(p.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return p
}

// do sends req on stream and returns the next message received (the
// answer: nothing else is in flight) and its stream.
func (p *rawSCTPPartner) do(req []byte, stream uint16) ([]byte, uint16) {
	p.t.Helper()
	if _, err := p.c.SCTPWrite(req, &sctp.SndRcvInfo{Stream: stream, PPID: ppidDiameter}); err != nil {
		p.t.Fatalf("raw partner write: %v", err)
	}
	buf := make([]byte, 1<<16)
	n, info, err := p.c.SCTPRead(buf)
	if err != nil {
		p.t.Fatalf("raw partner read: %v", err)
	}
	if info == nil {
		p.t.Fatal("raw partner read: no SCTP_SNDRCV")
	}
	return buf[:n], info.Stream
}

// crash tears the association down locally: the kernel frees it and
// sends one ABORT (SO_LINGER 0, and close without the library's graceful
// SHUTDOWN first).
func (p *rawSCTPPartner) crash() {
	p.t.Helper()
	if err := syscall.SetsockoptLinger(p.fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0}); err != nil {
		p.t.Fatal(err)
	}
	p.crashed = true
	if err := syscall.Close(p.fd); err != nil {
		p.t.Fatal(err)
	}
}

// TestSCTPPartnerRestart: a partner crashes without a word (the stall
// program swallows its ABORT, as if the host lost power) and comes back
// from the same address and port: its INIT meets Breakwater's association
// to its former self, which the kernel restarts (RFC 9260 §5.2.4) on the
// same socket. Breakwater serves the restarted association: the new
// capabilities exchange and requests go through.
func TestSCTPPartnerRestart(t *testing.T) {
	h, logs := newSCTPFaultHarness(t)
	var b diameter.Builder
	cl := &diampeer.Client{ID: mmeID}
	first := dialRawSCTP(t, h.relay.Addr(), "127.0.0.2", 0)
	la, err := first.c.SCTPLocalAddr(0)
	if err != nil {
		t.Fatal(err)
	}
	port := la.Port
	if cea, _ := first.do(cl.CER(&b, diameter.AppS6aS6d), 0); diampeer.ResultCode(cea) != diameter.ResultSuccess {
		t.Fatal("CER refused")
	}
	if ans, s := first.do(cl.S6a(&b, diameter.CmdUpdateLocation, imsiOn(1, 0), homeRealm, "23415"), 1); diampeer.ResultCode(ans) != diameter.ResultSuccess || s != 1 {
		t.Fatalf("ULR before the crash: result %d on stream %d", diampeer.ResultCode(ans), s)
	}

	// The crash: the association is torn down locally, and the ABORT
	// that says so never reaches Breakwater (the stall program swallows
	// ABORTs from the partner's port, and nothing else, until the end).
	st := attachStall(t, stallSpec{port: uint16(port), src: true, chunk: chunkABORT})
	st.set(true)
	first.crash()
	waitWithin(t, faultWait, "the ABORT to be swallowed", func() bool { return st.dropped() >= 1 })
	if n := h.relay.Stats.ActivePairs.Load(); n != 1 {
		t.Fatalf("%d pairs after the silent crash, want 1 (Breakwater cannot know)", n)
	}

	// The restart: same address, same port.
	logFrom := logs.len()
	cl = &diampeer.Client{ID: mmeID}
	second := dialRawSCTP(t, h.relay.Addr(), "127.0.0.2", port)
	if cea, s := second.do(cl.CER(&b, diameter.AppS6aS6d), 0); diampeer.ResultCode(cea) != diameter.ResultSuccess || s != 0 {
		t.Fatalf("CER after the restart: result %d on stream %d", diampeer.ResultCode(cea), s)
	}
	for s := uint16(0); s < 8; s++ {
		if ans, got := second.do(cl.S6a(&b, diameter.CmdUpdateLocation, imsiOn(s, 1), homeRealm, "23415"), s); diampeer.ResultCode(ans) != diameter.ResultSuccess || got != s {
			t.Fatalf("ULR on stream %d after the restart: result %d on stream %d", s, diampeer.ResultCode(ans), got)
		}
	}
	checkNoLocalAnswers(t, &h.relay.Stats)
	checkNoWarnings(t, logs, logFrom, "at the restart")
	// The kernel restarts the association in place (the pair goes on, with
	// its upstream connection); were it a new association, the old pair
	// must have ended: either way one pair is left.
	if n := h.relay.Stats.ActivePairs.Load(); n != 1 {
		t.Errorf("%d pairs after the restart, want 1", n)
	}
	t.Logf("after the restart: %d associations accepted, %d pairs, %d upstream connections",
		h.relay.Stats.Accepted.Load(), h.relay.Stats.ActivePairs.Load(), h.relay.Stats.UpstreamConnects.Load())
}

// newM3UAFaultHarness is newM3UAHarness over SCTP with a relay whose log
// is recorded.
func newM3UAFaultHarness(t *testing.T) (*m3uaHarness, *logRecorder) {
	requireSCTP(t)
	sg := newTestSG(t, "sctp://127.0.0.1:0")
	logs := newLogRecorder()
	h := &m3uaHarness{t: t, sg: sg, log: slog.New(logs)}
	h.start(sg.addr(), "sctp", func(c *M3UAConfig) { c.ConnectTimeout, c.WriteTimeout = 5*time.Second, 10*time.Second })
	return h, logs
}

// TestSCTPM3UAPartnerAbort: an M3UA partner aborts its association with
// updateLocations in flight. Breakwater closes that pair's upstream
// association (without counting it as lost), logs why, keeps serving the
// partner's other association, and serves the partner again when it
// re-associates.
func TestSCTPM3UAPartnerAbort(t *testing.T) {
	h, logs := newM3UAFaultHarness(t)
	other := h.partner()
	other.up()
	victim, err := h.dial("127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	victim.up()
	ul := partnerData(beginUL(), true)
	other.send(ul, 2)
	other.recv()

	// A burst of updateLocations, and the ABORT right behind it: the
	// kernel still holds some of them for Breakwater to read (it delivers
	// what it received before reporting the abort) while home's answers
	// to the others are relayed to the victim, so that Breakwater learns
	// of the abort writing to the association (ECONNRESET or EPIPE), not
	// reading it.
	logFrom := logs.len()
	for i := 0; i < 200; i++ {
		victim.send(ul, uint16(1+i%7))
	}
	if err := victim.c.Abort(); err != nil {
		t.Fatal(err)
	}
	ended := waitPairEnded(t, logs, logFrom, &h.relay.Stats.ActivePairs, func(msg string) bool {
		return strings.HasPrefix(msg, "partner association")
	})
	for s := uint16(1); s < 8; s++ {
		other.send(ul, s)
		if m := other.recv(); m.Stream != s {
			t.Fatalf("the other association's answer on stream %d, want %d", m.Stream, s)
		}
	}
	// Whether Breakwater learnt of the abort reading the association
	// (ECONNRESET) or writing an answer to it (ECONNRESET or EPIPE) is a
	// race; either is logged as the reason.
	if e := ended; len(e) != 1 || e[0].msg != "partner association ended" ||
		!strings.Contains(e[0].attrs["err"], "reset") && !strings.Contains(e[0].attrs["err"], "broken pipe") {
		t.Errorf("logged %+v at the abort, want one \"partner association ended\" with the reset", ended)
	}
	if len(ended) == 1 {
		t.Logf("the abort was logged as %q", ended[0].attrs["err"])
	}
	checkNoWarnings(t, logs, logFrom, "after the abort")
	if n := h.relay.Stats.UpstreamLost.Load(); n != 0 {
		t.Errorf("%d upstream associations counted as lost", n)
	}

	again, err := h.dial("127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	again.up()
	again.send(ul, 4)
	if m := again.recv(); m.Stream != 4 {
		t.Fatalf("answer after re-associating on stream %d, want 4", m.Stream)
	}
	if n := h.relay.Stats.ActivePairs.Load(); n != 2 {
		t.Errorf("%d pairs, want 2", n)
	}
	if n := h.relay.Stats.UpstreamLost.Load(); n != 0 {
		t.Errorf("%d upstream associations counted as lost", n)
	}
	if n := h.relay.Stats.PeerResets.Load(); n != 1 {
		t.Errorf("%d partner aborts counted, want 1", n)
	}
}
