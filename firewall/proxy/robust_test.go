package proxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
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
	"breakwater/protocols/tcap"
)

// Resource bounds under attack. Each test attacks a relay on loopback the
// way a hostile or broken partner would, and checks three things: the
// relay's defence acted (counted), the process's goroutines and heap stay
// bounded and come back to where they were, and a well-behaved partner is
// answered meanwhile. Every wait is bounded; the attacks are sized by
// counts and short time budgets, not by long durations.

// steadyGoroutines collects garbage and returns the goroutine count once it
// has stopped changing (goroutines of earlier work may still be ending).
func steadyGoroutines() int {
	prev := -1
	for range 50 {
		runtime.GC()
		n := runtime.NumGoroutine()
		if n == prev {
			return n
		}
		prev = n
		time.Sleep(20 * time.Millisecond)
	}
	return prev
}

// goroutineSlack is how many goroutines over the baseline are tolerated
// once an attack is over: a leak per connection of an attack of dozens of
// connections shows far above it.
const goroutineSlack = 2

// waitGoroutines waits until at most base+goroutineSlack goroutines run;
// on failure it prints them all.
func waitGoroutines(t *testing.T, base int, what string) {
	t.Helper()
	limit := base + goroutineSlack
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= limit {
			return
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Fatalf("%s: %d goroutines, want at most %d\n%s", what, n, limit, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// heapState is the heap after a collection: the bytes of live objects, and
// the spans in use.
type heapState struct{ live, inuse uint64 }

func heapNow() heapState {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heapState{ms.HeapAlloc, ms.HeapInuse}
}

// allocated is the number of bytes the process has allocated so far.
func allocated() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

const mib = 1 << 20

// monitor samples the goroutine count and the heap in use (without
// collecting) while an attack runs, and keeps their peaks.
type monitor struct {
	stop, done chan struct{}
	goroutines int
	heap       uint64
}

func startMonitor() *monitor {
	m := &monitor{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			m.goroutines = max(m.goroutines, runtime.NumGoroutine()-1) // not itself
			runtime.ReadMemStats(&ms)
			m.heap = max(m.heap, ms.HeapInuse)
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// peaks stops the monitor and returns the peaks it saw.
func (m *monitor) peaks() (goroutines int, heap uint64) {
	close(m.stop)
	<-m.done
	return m.goroutines, m.heap
}

// prober is a well-behaved partner making DWR round trips end to end
// through the relay while an attack runs, recording how long each took.
type prober struct {
	stop, done chan struct{}
	rtts       []time.Duration
	err        error
}

func startProber(c *diampeer.Client) *prober {
	p := &prober{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		var b diameter.Builder
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			start := time.Now()
			ans, err := c.Do(c.DWR(&b), 0, 3*time.Second)
			rtt := time.Since(start)
			if err == nil && diampeer.ResultCode(ans) != diameter.ResultSuccess {
				err = fmt.Errorf("DWA result %d", diampeer.ResultCode(ans))
			}
			if err != nil {
				p.err = err
				return
			}
			p.rtts = append(p.rtts, rtt)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return p
}

// check stops the prober and fails the test unless every round trip was
// answered (within Do's 3 s) and nine in ten within a second: correctness
// bounds, not performance ones — a partner starved by another's attack
// waits for seconds or gets nothing, while on a loaded machine any round
// trip can now and then be slow.
func (p *prober) check(t *testing.T) int {
	t.Helper()
	close(p.stop)
	<-p.done
	if p.err != nil {
		t.Fatalf("the well-behaved partner was affected: %v (after %d round trips)", p.err, len(p.rtts))
	}
	if len(p.rtts) == 0 {
		t.Fatal("the well-behaved partner made no round trip")
	}
	r := slices.Clone(p.rtts)
	slices.Sort(r)
	p90, worst := r[len(r)*9/10], r[len(r)-1]
	t.Logf("well-behaved partner: %d round trips, median %v, 90th percentile %v, slowest %v",
		len(r), r[len(r)/2].Round(time.Microsecond), p90.Round(time.Microsecond), worst.Round(time.Microsecond))
	if p90 >= time.Second {
		t.Fatalf("the well-behaved partner: 90th percentile round trip %v, want under 1 s", p90)
	}
	return len(r)
}

// dialRaw opens a plain TCP connection from the source address from.
func dialRaw(t *testing.T, to netip.AddrPort, from string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", to.String())
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	return c
}

// readDiameter reads one Diameter message from a plain connection.
func readDiameter(c net.Conn) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return nil, err
	}
	n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
	if n < 20 {
		return nil, fmt.Errorf("length %d", n)
	}
	m := make([]byte, n)
	copy(m, hdr[:])
	_, err := io.ReadFull(c, m[4:])
	return m, err
}

// closedWithin reports whether the other side has closed c, waiting up to
// d for it.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	var b [256]byte
	for {
		_, err := c.Read(b[:])
		if err == nil {
			continue
		}
		return !errors.Is(err, os.ErrDeadlineExceeded)
	}
}

// isOpen reports, without waiting, whether c is still open: no reset, no
// end of stream arrived.
func isOpen(c net.Conn) bool {
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return false
	}
	open := false
	rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = err == syscall.EAGAIN || err == nil && n > 0
		return true
	})
	return open
}

// closeAll closes test-side connections.
func closeAll(cs []net.Conn) {
	for _, c := range cs {
		c.Close()
	}
}

// dribble writes msg a byte every 50 ms on each of cs until the other
// side closes it or stop is called.
func dribble(cs []net.Conn, msg []byte) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; len(cs) > 0; i++ {
			live := cs[:0:0]
			for _, c := range cs {
				if _, err := c.Write(msg[i%len(msg) : i%len(msg)+1]); err == nil {
					live = append(live, c)
				}
			}
			cs = live
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(quit); <-done }
}

// TestRobustSlowloris: partners that open connections and then send a
// message's first bytes and nothing more, or dribble a message a byte at a
// time — from the start, or after a proper CER — are disconnected by
// read_timeout; a partner quiet between messages is not; the goroutines
// come back to where they were; and another partner is answered
// throughout.
func TestRobustSlowloris(t *testing.T) {
	const readTimeout = 400 * time.Millisecond
	const stallers, dribblers, lateDribblers = 40, 20, 20
	h := newHarness(t, func(c *Config) { c.ReadTimeout = readTimeout })
	h.hss.Record.Store(false)
	good := h.partner("127.0.0.2")
	base := steadyGoroutines()
	st := &h.relay.Stats
	to := h.relay.Addr().AddrPort()

	var b diameter.Builder
	cl := &diampeer.Client{ID: mmeID}
	cer := bytes.Clone(cl.CER(&b, diameter.AppS6aS6d))
	dwr := bytes.Clone(cl.DWR(&b))

	probe := startProber(good)
	var conns []net.Conn
	defer func() { closeAll(conns) }()
	// A proper CER, answered, then quiet for longer than read_timeout:
	// quiet between messages is allowed.
	var late []net.Conn
	for range lateDribblers {
		c := dialRaw(t, to, "127.0.0.3")
		conns = append(conns, c)
		late = append(late, c)
		if _, err := c.Write(cer); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range late {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if ans, err := readDiameter(c); err != nil || diampeer.ResultCode(ans) != diameter.ResultSuccess {
			t.Fatalf("CER of a well-formed connection: %v", err)
		}
	}
	cerDone := time.Now()
	start := time.Now()
	// The first three bytes of a header, then nothing.
	for range stallers {
		c := dialRaw(t, to, "127.0.0.3")
		conns = append(conns, c)
		c.Write(cer[:3])
	}
	// A CER a byte every 50 ms (it would take seconds to complete).
	var dribbling []net.Conn
	for range dribblers {
		c := dialRaw(t, to, "127.0.0.3")
		conns = append(conns, c)
		dribbling = append(dribbling, c)
	}
	stop := dribble(dribbling, cer)
	waitWithin(t, readTimeout+5*time.Second, "the stalled and dribbling connections to be cut",
		func() bool { return st.ReadTimeouts.Load() == stallers+dribblers })
	took := time.Since(start)
	stop()
	// The quiet ones are still there, longer than read_timeout after their CER.
	time.Sleep(time.Until(cerDone.Add(2 * readTimeout)))
	waitFor(t, "only the quiet connections' pairs to be left", func() bool { return st.ActivePairs.Load() == 1+lateDribblers })
	if n := st.ReadTimeouts.Load(); n != stallers+dribblers {
		t.Fatalf("%d read timeouts after the quiet period: quiet connections were cut", n)
	}
	// Now they dribble a DWR: once begun, it has read_timeout to arrive.
	lateStart := time.Now()
	stop = dribble(late, dwr)
	waitWithin(t, readTimeout+5*time.Second, "the connections dribbling a DWR to be cut",
		func() bool { return st.ReadTimeouts.Load() == stallers+dribblers+lateDribblers })
	lateTook := time.Since(lateStart)
	stop()
	waitFor(t, "every cut connection to be closed on the partner's side", func() bool {
		return !slices.ContainsFunc(conns, isOpen)
	})
	t.Logf("cut %d stalled/dribbling connections in %v, %d dribbling after a CER in %v (read_timeout %v)",
		stallers+dribblers, took, lateDribblers, lateTook, readTimeout)
	if lateTook < readTimeout {
		t.Fatalf("dribbling connections cut after %v, before read_timeout %v", lateTook, readTimeout)
	}
	probe.check(t)
	closeAll(conns)
	waitFor(t, "the pairs to end", func() bool { return st.ActivePairs.Load() == 1 && st.UpstreamUp.Load() == 1 })
	waitGoroutines(t, base, "after the slowloris connections were cut")
	if st.Accepted.Load() != 1+stallers+dribblers+lateDribblers {
		t.Fatalf("accepted %d", st.Accepted.Load())
	}
}

// TestRobustHalfOpen: connections (associations) that complete the
// handshake and never send a CER or an ASP Up are closed read_timeout
// after they were opened — not before — with the upstream connection each
// of them cost, and the goroutines come back to where they were.
func TestRobustHalfOpen(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	const n = 50
	// openIdle opens n connections that send nothing and checks that each
	// was closed, not before read_timeout (measured from just before its
	// dial, so never too late) nor long after.
	openIdle := func(t *testing.T, to netip.AddrPort) {
		var wg sync.WaitGroup
		lives := make(chan time.Duration, n)
		for range n {
			start := time.Now()
			c := dialRaw(t, to, "127.0.0.3")
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if closedWithin(c, readTimeout+5*time.Second) {
					lives <- time.Since(start)
				}
			}()
		}
		wg.Wait()
		close(lives)
		if len(lives) != n {
			t.Fatalf("%d of %d idle connections closed within %v", len(lives), n, readTimeout+5*time.Second)
		}
		minLife, maxLife := time.Hour, time.Duration(0)
		for l := range lives {
			minLife, maxLife = min(minLife, l), max(maxLife, l)
		}
		t.Logf("idle connections closed after %v to %v (read_timeout %v)", minLife, maxLife, readTimeout)
		if minLife < readTimeout {
			t.Fatalf("an idle connection was closed after %v, before read_timeout", minLife)
		}
	}

	t.Run("diameter", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.ReadTimeout = readTimeout })
		h.hss.Record.Store(false)
		good := h.partner("127.0.0.2")
		base := steadyGoroutines()
		probe := startProber(good)
		openIdle(t, h.relay.Addr().AddrPort())
		probe.check(t)
		st := &h.relay.Stats
		waitFor(t, "the idle pairs to end", func() bool { return st.ActivePairs.Load() == 1 && st.UpstreamUp.Load() == 1 })
		if st.ReadTimeouts.Load() != n || st.Accepted.Load() != n+1 {
			t.Fatalf("read timeouts %d accepted %d", st.ReadTimeouts.Load(), st.Accepted.Load())
		}
		waitGoroutines(t, base, "after the idle connections were closed")
	})

	t.Run("m3ua", func(t *testing.T) {
		h := newM3UAHarness(t, "tcp", func(c *M3UAConfig) { c.ReadTimeout = readTimeout })
		h.sg.record.Store(false)
		good := h.partner()
		good.up()
		base := steadyGoroutines()
		openIdle(t, h.relay.Addr().AddrPort())
		good.beat(0) // the active partner is still served
		st := &h.relay.Stats
		waitFor(t, "the idle pairs to end", func() bool { return st.ActivePairs.Load() == 1 && st.UpstreamUp.Load() == 1 })
		if st.ReadTimeouts.Load() != n || st.Accepted.Load() != n+1 {
			t.Fatalf("read timeouts %d accepted %d", st.ReadTimeouts.Load(), st.Accepted.Load())
		}
		waitGoroutines(t, base, "after the idle associations were closed")
	})
}

// TestRobustConnectionFlood: 1400 connection attempts. Those from a source
// nobody configured are refused at once; those from a partner's address
// are held to max_connections_per_source, and those from many of its
// addresses to max_connections; the goroutines and the heap stay within
// what the admitted connections cost; the partner already connected is
// answered throughout; and everything comes back once the flood ends.
func TestRobustConnectionFlood(t *testing.T) {
	const perSource, total = 16, 48
	const unknown, oneSource, sources, perFloodSource = 500, 500, 20, 20
	yaml := strings.Replace(testConfig, `addresses: ["127.0.0.2/32", "127.0.0.3/32"]`,
		`addresses: ["127.0.0.2/32", "127.0.0.3/32", "127.0.1.0/24"]`, 1)
	h := newHarnessYAML(t, yaml, func(c *Config) {
		c.MaxConns, c.MaxConnsPerSource = total, perSource
		c.ReadTimeout = time.Minute // the flood's connections stay until it ends
	})
	h.hss.Record.Store(false)
	good := h.partner("127.0.0.2")
	st := &h.relay.Stats
	to := h.relay.Addr().AddrPort()
	base := steadyGoroutines()
	baseHeap := heapNow().inuse
	mon := startMonitor()
	probe := startProber(good)

	var conns []net.Conn
	defer func() { closeAll(conns) }()
	// dialMany opens n connections from one source. A connection the
	// relay resets at once may fail its dial already (nil).
	dialMany := func(from string, n int) []net.Conn {
		cs := make([]net.Conn, 0, n)
		d := net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		for range n {
			c, err := d.Dial("tcp", to.String())
			if err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("dial from %s: %v", from, err)
			}
			if c != nil {
				conns = append(conns, c)
			}
			cs = append(cs, c)
		}
		return cs
	}
	// openCount counts the connections the relay kept (the others were
	// reset).
	openCount := func(cs []net.Conn) int {
		open := 0
		for _, c := range cs {
			if c != nil && isOpen(c) {
				open++
			}
		}
		return open
	}
	// kept waits (bounded) for the resets to be delivered and fails unless
	// want of cs are left open.
	kept := func(cs []net.Conn, want int, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for n := openCount(cs); n != want; n = openCount(cs) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d connections kept, want %d", what, n, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	start := time.Now()
	cs := dialMany("127.0.0.9", unknown)
	waitFor(t, "the unknown source's connections to be refused", func() bool { return st.Refused.Load() == unknown })
	kept(cs, 0, "an unknown source")
	if st.Accepted.Load() != 1 {
		t.Fatalf("%d accepted", st.Accepted.Load())
	}
	refusedIn := time.Since(start)

	cs = dialMany("127.0.0.3", oneSource)
	waitFor(t, "one source's connections over its limit to be refused",
		func() bool { return st.OverLimit.Load() == oneSource-perSource })
	kept(cs, perSource, "one source")
	if st.ActivePairs.Load() != 1+perSource {
		t.Fatalf("one source: %d pairs, want %d", st.ActivePairs.Load(), 1+perSource)
	}

	var many []net.Conn
	for i := range sources {
		many = append(many, dialMany(fmt.Sprintf("127.0.1.%d", i+1), perFloodSource)...)
	}
	admitted := total - 1 - perSource
	waitFor(t, "connections over the total limit to be refused",
		func() bool { return st.OverLimit.Load() == oneSource-perSource+sources*perFloodSource-uint64(admitted) })
	kept(many, admitted, "many sources")
	if st.ActivePairs.Load() != total {
		t.Fatalf("many sources: %d pairs, want %d", st.ActivePairs.Load(), total)
	}
	if st.Refused.Load() != unknown+st.OverLimit.Load() || st.Accepted.Load() != total {
		t.Fatalf("refused %d (over a limit %d), accepted %d", st.Refused.Load(), st.OverLimit.Load(), st.Accepted.Load())
	}
	probe.check(t)
	peakG, peakHeap := mon.peaks()
	t.Logf("%d attempts in %v (unknown source refused in %v); peak %d goroutines (baseline %d), heap %.1f MiB (baseline %.1f MiB)",
		unknown+oneSource+sources*perFloodSource, time.Since(start), refusedIn, peakG, base, float64(peakHeap)/mib, float64(baseHeap)/mib)
	// An admitted pair costs a few goroutines (peer reader, upstream
	// reader, supervisor, and the home server's) and a few hundred KiB of
	// buffers on both sides; without the limits the flood would cost 25
	// times as much.
	if limit := base + (total-1)*6 + 10; peakG > limit {
		t.Errorf("peak of %d goroutines during the flood, want at most %d", peakG, limit)
	}
	if peakHeap > baseHeap+48*mib {
		t.Errorf("heap in use peaked at %.1f MiB during the flood, baseline %.1f MiB", float64(peakHeap)/mib, float64(baseHeap)/mib)
	}

	closeAll(conns)
	waitFor(t, "the flood's pairs to end", func() bool { return st.ActivePairs.Load() == 1 && st.UpstreamUp.Load() == 1 })
	waitGoroutines(t, base, "after the flood")
	if hp := heapNow().inuse; hp > baseHeap+4*mib {
		t.Errorf("heap in use %.1f MiB after the flood, baseline %.1f MiB", float64(hp)/mib, float64(baseHeap)/mib)
	}
	// The partner may connect again.
	again, err := diampeer.Dial(context.Background(), h.relay.Addr().String(), mmeID, "127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if ans, err := again.Do(again.CER(&diameter.Builder{}, diameter.AppS6aS6d), 0, 3*time.Second); err != nil || diampeer.ResultCode(ans) != diameter.ResultSuccess {
		t.Fatalf("a new connection after the flood: %v", err)
	}
}

// A tiny-message flood sends floodMessages, or for floodFor — longer, up
// to 4×floodFor, while fewer than floodMin went — whichever comes first.
// Over stream transports at most floodWindow stay unanswered: the rest
// would only queue in the kernel's socket buffers, and the test would wait
// for them at the end.
const (
	floodMessages = 1_000_000
	floodMin      = 10_000
	floodFor      = 1500 * time.Millisecond
	floodWindow   = 2048
)

// flood calls send (which sends a batch and returns how many messages
// went so far) until the budget is spent; answered, when set, keeps the
// window; counted, when set, is what counts toward the budget instead of
// what was sent (over UDP, what the relay read).
func flood(t *testing.T, send, answered, counted func() uint64) {
	t.Helper()
	start := time.Now()
	for {
		n := send()
		if answered != nil {
			deadline := time.Now().Add(5 * time.Second)
			for n-answered() > floodWindow {
				if time.Now().After(deadline) {
					t.Fatalf("%d messages unanswered for 5 s", n-answered())
				}
				// Sleep, not spin: a spinning goroutine keeps its P from
				// polling the network, which delays everyone's I/O.
				time.Sleep(200 * time.Microsecond)
			}
		}
		if counted != nil {
			n = counted()
		}
		el := time.Since(start)
		if n >= floodMessages || el >= floodFor && n >= floodMin || el >= 4*floodFor {
			return
		}
	}
}

// floodResult is what a flood test measured.
type floodResult struct {
	n                uint64 // messages (datagrams the relay read)
	took             time.Duration
	goroutines, peak int // before, and the peak during the flood
	before, after    heapState
	peakInuse        uint64
	extra            int // goroutines the test itself runs during the flood
}

// check fails a flood that did not happen, that left more live heap
// than 1 MiB behind (a leak of 100 bytes a message shows after 10,000),
// whose heap in use ever exceeded the baseline by 32 MiB (a queue growing
// with the messages), or that ran more goroutines than before (beyond the
// test's own and the slack).
func (r *floodResult) check(t *testing.T) {
	t.Helper()
	t.Logf("%d messages in %v; live heap %.2f → %.2f MiB, in use %.1f → %.1f MiB (peak %.1f); goroutines %d (peak %d)",
		r.n, r.took.Round(time.Millisecond), float64(r.before.live)/mib, float64(r.after.live)/mib,
		float64(r.before.inuse)/mib, float64(r.after.inuse)/mib, float64(r.peakInuse)/mib, r.goroutines, r.peak)
	// A machine too loaded for floodMin makes the growth check less
	// sensitive (1 MiB over fewer messages), never wrong.
	if r.n < 1000 {
		t.Fatalf("only %d messages in %v: the flood did not happen", r.n, r.took)
	}
	if r.after.live > r.before.live+mib {
		d := r.after.live - r.before.live
		t.Errorf("live heap grew by %.2f MiB over %d messages (%d bytes a message)", float64(d)/mib, r.n, d/r.n)
	}
	if r.peakInuse > r.before.inuse+32*mib {
		t.Errorf("heap in use peaked at %.1f MiB during the flood, baseline %.1f MiB", float64(r.peakInuse)/mib, float64(r.before.inuse)/mib)
	}
	if r.peak > r.goroutines+r.extra+goroutineSlack {
		t.Errorf("%d goroutines during the flood, baseline %d (+%d of the test)", r.peak, r.goroutines, r.extra)
	}
}

// TestRobustTinyMessageFlood: a partner sends minimal valid messages as
// fast as it can — watchdogs or heartbeats the other side answers, and
// tiny requests the relay blocks and answers itself. Every message is
// answered and counted, the heap does not grow with the number of
// messages, no goroutine is added, and (Diameter) another partner keeps
// being answered.
func TestRobustTinyMessageFlood(t *testing.T) {
	t.Run("diameter", func(t *testing.T) {
		quietLogs(t)
		h := newHarness(t, func(c *Config) { c.WriteTimeout = 5 * time.Second })
		h.hss.Record.Store(false)
		good := h.partner("127.0.0.2")
		c, err := transport.Dial(context.Background(), h.relay.Addr(), diampeer.Options("127.0.0.3"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var b diameter.Builder
		cl := &diampeer.Client{ID: mmeID}
		buf := make([]byte, 0, 1<<16)
		c.WriteMessage(transport.Message{Data: cl.CER(&b, diameter.AppS6aS6d)})
		if m, err := c.ReadMessage(buf); err != nil || diampeer.ResultCode(m.Data) != diameter.ResultSuccess {
			t.Fatalf("CER: %v", err)
		}
		msgs := [2][]byte{
			bytes.Clone(cl.DWR(&b)), // relayed to home and answered there
			bytes.Clone(cl.S6a(&b, diameter.CmdInsertSubscriberData, homeIMSI, homeRealm, "")), // rejected by Breakwater
		}
		st := &h.relay.Stats
		var sent [2]uint64
		var answered, wrong atomic.Uint64
		// The reader counts the answers and checks their kind and result.
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			for {
				m, err := c.ReadMessage(buf)
				if err != nil {
					return
				}
				code := binary.BigEndian.Uint32(m.Data[4:8]) & 0xffffff
				rc := diampeer.ResultCode(m.Data)
				if !(code == diameter.CmdDeviceWatchdog && rc == diameter.ResultSuccess ||
					code == diameter.CmdInsertSubscriberData && rc == 5012) {
					wrong.Add(1)
				}
				answered.Add(1)
			}
		}()
		// Messages go 256 to a write, so that the relay, not the sender's
		// system calls, sets the pace; each has its own identifiers.
		var batch []byte
		var offsets []int
		for i := range 256 {
			offsets = append(offsets, len(batch))
			batch = append(batch, msgs[i%2]...)
		}
		send := func() uint64 {
			for k, off := range offsets {
				id := uint32(sent[0] + sent[1] + uint64(k))
				binary.BigEndian.PutUint32(batch[off+12:], id) // hop-by-hop
				binary.BigEndian.PutUint32(batch[off+16:], id) // end-to-end
			}
			sent[0], sent[1] = sent[0]+128, sent[1]+128 // DWRs, IDRs
			if err := c.WriteMessage(transport.Message{Data: batch}); err != nil {
				t.Fatal(err)
			}
			return sent[0] + sent[1]
		}
		for range 2048 / 256 { // warm up buffers and tables
			send()
		}
		waitFor(t, "the warm-up answers", func() bool { return answered.Load() == 2048 })
		r := floodResult{goroutines: steadyGoroutines(), before: heapNow(), extra: 1} // the prober
		warm := sent
		blocked0, toUp0 := st.Blocked.Load(), st.ToUpstream.Load()
		mon := startMonitor()
		probe := startProber(good)
		start := time.Now()
		flood(t, send, answered.Load, nil)
		total := sent[0] + sent[1]
		waitWithin(t, 15*time.Second, "every message to be answered", func() bool { return answered.Load() == total })
		r.took = time.Since(start)
		probes := probe.check(t)
		r.peak, r.peakInuse = mon.peaks()
		r.after, r.n = heapNow(), total-2048
		if wrong.Load() != 0 {
			t.Fatalf("%d answers of the wrong kind or result", wrong.Load())
		}
		// The well-behaved partner's DWRs went upstream too.
		if b, u := st.Blocked.Load()-blocked0, st.ToUpstream.Load()-toUp0-uint64(probes); b != sent[1]-warm[1] || u != sent[0]-warm[0] {
			t.Fatalf("blocked %d relayed %d, want %d and %d", b, u, sent[1]-warm[1], sent[0]-warm[0])
		}
		r.check(t)
		c.Close()
		<-readerDone
	})

	t.Run("gtp", func(t *testing.T) {
		quietLogs(t)
		h := newGTPHarness(t)
		bwP := netip.AddrPortFrom(bwPartner, 2123)
		var b gtp.Builder
		echo := bytes.Clone(b.StartV2(1, false, 0, 1).IE(gtp.IERecovery, 0, []byte{9}).Message())
		// SGSN Context Request (context theft): rejected with cause 199.
		theft := bytes.Clone(b.StartV1(50, 0, 1).TV(gtp.V1IEIMSI, gtp.TBCD(homeIMSI)).Message())
		st := &h.relay.Stats
		var echoes, rejections, other atomic.Uint64
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			buf := make([]byte, 1<<16)
			for {
				n, _, err := h.sgw.c.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				switch {
				case n > 1 && buf[0]>>5 == 2 && buf[1] == 2:
					echoes.Add(1)
				case n > 1 && buf[0]>>5 == 1 && buf[1] == 51:
					rejections.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
		var sent uint64
		send := func(n int) uint64 {
			for range n {
				sent++
				if sent%2 == 0 {
					gtp.SetSequence(echo, uint32(sent)&0xffffff)
					h.sgw.c.WriteToUDPAddrPort(echo, bwP)
				} else {
					gtp.SetSequence(theft, uint32(sent)&0xffff)
					h.sgw.c.WriteToUDPAddrPort(theft, bwP)
				}
			}
			return sent
		}
		// Warm up in small batches (UDP: nothing lost).
		for range 512 / 16 {
			want := echoes.Load() + rejections.Load() + 16
			send(16)
			waitFor(t, "the warm-up answers", func() bool { return echoes.Load()+rejections.Load() == want })
		}
		r := floodResult{goroutines: steadyGoroutines(), before: heapNow()}
		recv0 := st.Received.Load()
		mon := startMonitor()
		start := time.Now()
		// UDP has no window: as fast as the socket takes them.
		flood(t, func() uint64 { return send(256) }, nil, func() uint64 { return st.Received.Load() - recv0 })
		// Every datagram the relay read is answered: Echo by the relay,
		// the theft attempt blocked and rejected. (What the kernel drops
		// when the relay's socket buffer is full never reaches it.)
		answeredAll := func() bool {
			return st.Received.Load() == st.EchoAnswered.Load()+st.Blocked.Load() && st.Rejected.Load() == st.Blocked.Load()
		}
		waitFor(t, "every datagram read to be answered", func() bool {
			n := st.Received.Load()
			time.Sleep(50 * time.Millisecond)
			return n == st.Received.Load() && answeredAll()
		})
		r.took = time.Since(start)
		r.peak, r.peakInuse = mon.peaks()
		r.after, r.n = heapNow(), st.Received.Load()-recv0
		t.Logf("%d datagrams sent, %d read by the relay; %d Echo Responses and %d rejections came back",
			sent-512, r.n, echoes.Load(), rejections.Load())
		if !answeredAll() || other.Load() != 0 || st.ToUpstream.Load() != 0 {
			t.Fatalf("received %d, echo answered %d, blocked %d, rejected %d, other answers %d, relayed %d",
				st.Received.Load(), st.EchoAnswered.Load(), st.Blocked.Load(), st.Rejected.Load(), other.Load(), st.ToUpstream.Load())
		}
		r.check(t)
		// Still answering, once the flood's answers are drained.
		h.sgw.c.SetReadDeadline(time.Now())
		<-readerDone
		for {
			if _, _, ok := h.sgw.recv(50 * time.Millisecond); !ok {
				break
			}
		}
		h.sgw.send(t, echo, bwP)
		if _, _, ok := h.sgw.recv(2 * time.Second); !ok {
			t.Fatal("no Echo Response after the flood")
		}
	})

	t.Run("m3ua", func(t *testing.T) {
		quietLogs(t)
		h := newM3UAHarness(t, "tcp", func(c *M3UAConfig) { c.WriteTimeout = 5 * time.Second })
		h.sg.record.Store(false)
		p := h.partner()
		p.up()
		var mb m3ua.Builder
		beat := bytes.Clone(mb.Start(m3ua.KindBEAT).Bytes(m3ua.TagHeartbeatData, []byte("ping")).Message())
		// An anyTimeInterrogation (location probe): Breakwater answers it
		// with a TC-ABORT. Each gets its own transaction id, so that every
		// one is a new dialogue.
		ati := partnerData(beginATI(), true)
		tid := bytes.Index(ati, otid)
		if tid < 0 {
			t.Fatal("no OTID in the ATI")
		}
		st := &h.relay.Stats
		beatIndex := mgmtKindIndex(m3ua.KindBEAT.Class(), m3ua.KindBEAT.Type())
		var acks, aborts, other atomic.Uint64
		answered := func() uint64 { return acks.Load() + aborts.Load() }
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			buf := make([]byte, 0, 1<<16)
			var d m3ua.Data
			for {
				m, err := p.c.ReadMessage(buf)
				if err != nil {
					return
				}
				hd, _ := m3ua.ParseHeader(m.Data)
				switch {
				case hd.Kind() == m3ua.KindBEATAck:
					acks.Add(1)
				case hd.Kind() == m3ua.KindDATA && m3ua.ParseData(m.Data, &d) == nil:
					aborts.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
		// Messages go 256 to a write (a BEAT, an ATI, ...), so that the
		// relay, not the sender's system calls, sets the pace.
		var batch []byte
		var tids []int
		for range 128 {
			batch = append(batch, beat...)
			tids = append(tids, len(batch)+tid)
			batch = append(batch, ati...)
		}
		var sent [2]uint64
		send := func() uint64 {
			for _, off := range tids {
				sent[1]++
				binary.BigEndian.PutUint32(batch[off:], uint32(sent[1]))
			}
			sent[0] += 128
			if err := p.c.WriteMessage(transport.Message{Data: batch, Stream: 1, PPID: m3ua.PPID}); err != nil {
				t.Fatal(err)
			}
			return sent[0] + sent[1]
		}
		for range 2048 / 256 {
			send()
		}
		waitFor(t, "the warm-up answers", func() bool { return answered() == 2048 })
		r := floodResult{goroutines: steadyGoroutines(), before: heapNow()}
		warm := sent
		blocked0, beats0 := st.Blocked[fromPartner].Load(), st.Management[fromPartner][beatIndex].Load()
		mon := startMonitor()
		start := time.Now()
		flood(t, send, answered, nil)
		total := sent[0] + sent[1]
		waitWithin(t, 15*time.Second, "every message to be answered", func() bool { return answered() == total })
		r.took = time.Since(start)
		r.peak, r.peakInuse = mon.peaks()
		r.after, r.n = heapNow(), total-2048
		if acks.Load() != sent[0] || aborts.Load() != sent[1] || other.Load() != 0 {
			t.Fatalf("BEAT Acks %d for %d, answers %d for %d ATIs, other %d", acks.Load(), sent[0], aborts.Load(), sent[1], other.Load())
		}
		if b, n := st.Blocked[fromPartner].Load()-blocked0, st.Management[fromPartner][beatIndex].Load()-beats0; b != sent[1]-warm[1] || n != sent[0]-warm[0] {
			t.Fatalf("blocked %d, BEATs relayed %d; want %d and %d", b, n, sent[1]-warm[1], sent[0]-warm[0])
		}
		r.check(t)
		p.c.SetReadDeadline(time.Now()) // stop the reader
		<-readerDone
		p.beat(0)
	})
}

// TestRobustHostileLengths: lengths that lie and nesting that never ends,
// through each relay. A message claiming more than the maximum size is
// read past and answered or counted; one claiming more than can exist
// ends the connection; one that claims a length and never sends it is cut
// by read_timeout; grouped AVPs, GTP IEs and BER nested hundreds deep are
// judged malformed and blocked. Every one is counted, the relay keeps
// serving, and what it allocates does not follow the lengths claimed.
func TestRobustHostileLengths(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	// noGrowth fails when more than 1 MiB of live heap stayed behind.
	noGrowth := func(t *testing.T, before heapState) {
		t.Helper()
		if after := heapNow(); after.live > before.live+mib {
			t.Fatalf("live heap %.2f MiB after the hostile messages, %.2f MiB before", float64(after.live)/mib, float64(before.live)/mib)
		}
	}
	// allocatedAtMost fails when more than limit bytes were allocated
	// since a0.
	allocatedAtMost := func(t *testing.T, a0, limit uint64, what string) {
		t.Helper()
		if d := allocated() - a0; d > limit {
			t.Fatalf("%s: %d KiB allocated, want at most %d KiB", what, d>>10, limit>>10)
		}
	}

	t.Run("diameter", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.ReadTimeout = readTimeout })
		h.hss.Record.Store(false)
		mme := h.partner("127.0.0.2")
		var b diameter.Builder
		st := &h.relay.Stats
		hbh := mme.NextHopByHop()
		// A grouped AVP (Vendor-Specific-Application-Id) nested 300 deep.
		b.Start(diameter.FlagRequest, diameter.CmdUpdateLocation, diameter.AppS6aS6d, hbh, hbh).
			String(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, "s;nested")
		for range 300 {
			b.Group(260, 0, diameter.AVPFlagMandatory)
		}
		b.Uint32(258, 0, diameter.AVPFlagMandatory, diameter.AppS6aS6d)
		for range 300 {
			b.End()
		}
		nested := bytes.Clone(b.Message())
		// A real 1 MiB request (over max_message_bytes 4096).
		hbh2 := mme.NextHopByHop()
		huge := bytes.Clone(b.Start(diameter.FlagRequest, diameter.CmdUpdateLocation, diameter.AppS6aS6d, hbh2, hbh2).
			String(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, "s;huge").
			Bytes(9999, 0, 0, make([]byte, mib)).Message())
		dwr := bytes.Clone(mme.DWR(&b))
		before := heapNow()
		a0 := allocated()

		if _, err := mme.Do(nested, 0, 300*time.Millisecond); err != diampeer.ErrNoAnswer {
			t.Fatalf("request nested 300 deep: %v, want it dropped unanswered", err)
		}
		if st.Blocked.Load() != 1 {
			t.Fatalf("nested request: blocked %d", st.Blocked.Load())
		}
		if ans, err := mme.Do(huge, 0, 3*time.Second); err != nil || diampeer.ResultCode(ans) != 5012 {
			t.Fatalf("1 MiB request: %v result %d", err, diampeer.ResultCode(ans))
		}
		if ans, err := mme.Do(dwr, 0, 3*time.Second); err != nil || diampeer.ResultCode(ans) != diameter.ResultSuccess {
			t.Fatalf("DWR after the hostile requests: %v", err)
		}
		if st.Oversized.Load() != 1 || h.hss.Count() != 2 { // the CER and the DWR
			t.Fatalf("oversized %d, home received %d messages", st.Oversized.Load(), h.hss.Count())
		}
		allocatedAtMost(t, a0, 256<<10, "a request nested 300 deep and a 1 MiB one")

		// A header claiming 16 MiB, then nothing: cut by read_timeout. (A
		// new connection costs a pair's buffers, a few hundred KiB.)
		a0 = allocated()
		liar := dialRaw(t, h.relay.Addr().AddrPort(), "127.0.0.3")
		defer liar.Close()
		liar.Write(append([]byte{1, 0xff, 0xff, 0xfc, 0x80}, nested[5:20]...))
		if !closedWithin(liar, readTimeout+5*time.Second) || st.ReadTimeouts.Load() != 1 {
			t.Fatalf("a connection claiming 16 MiB and sending nothing: read timeouts %d", st.ReadTimeouts.Load())
		}
		waitFor(t, "its pair to end", func() bool { return st.ActivePairs.Load() == 1 })
		allocatedAtMost(t, a0, 2*mib, "a connection claiming a 16 MiB message")
		noGrowth(t, before)
	})

	t.Run("gtp", func(t *testing.T) {
		h := newGTPHarness(t)
		bwP := netip.AddrPortFrom(bwPartner, 2123)
		st := &h.relay.Stats
		var b gtp.Builder
		// A Create Session Request header claiming 65535 bytes, alone.
		lying := []byte{0x48, 32, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 7, 0}
		// One whose IMSI IE claims more than the message holds.
		badIE := bytes.Clone(createSession(&b, 8, 0x1234, sgwAddr, "23415"))
		badIE[13] = 0xff // the first IE's length, high octet
		// One with a Bearer Context nested 300 deep.
		b.StartV2(32, true, 0, 9).IE(gtp.IEIMSI, 0, gtp.TBCD(homeIMSI)).IE(gtp.IEServingNetwork, 0, servingNetwork("23415"))
		for range 300 {
			b.Group(gtp.IEBearerContext, 0)
		}
		b.IE(gtp.IEEBI, 0, []byte{5})
		for range 300 {
			b.End()
		}
		deep := bytes.Clone(b.Message())
		echo := bytes.Clone(b.StartV2(1, false, 0, 10).IE(gtp.IERecovery, 0, []byte{9}).Message())
		before := heapNow()
		a0 := allocated()
		for i, d := range [][]byte{lying, badIE, deep} {
			h.sgw.send(t, d, bwP)
			resp, _, ok := h.sgw.recv(300 * time.Millisecond)
			waitFor(t, "the verdict", func() bool { return st.Blocked.Load() == uint64(i+1) })
			if ok && gtpDecode(t, resp).ResultCode == 0 {
				t.Fatalf("message %d answered without a cause: %x", i, resp)
			}
		}
		if st.ToUpstream.Load() != 0 {
			t.Fatalf("%d hostile messages reached home", st.ToUpstream.Load())
		}
		if _, _, ok := h.pgw.recv(100 * time.Millisecond); ok {
			t.Fatal("the PGW received a hostile message")
		}
		h.sgw.send(t, echo, bwP)
		if _, _, ok := h.sgw.recv(2 * time.Second); !ok {
			t.Fatal("no Echo Response after the hostile messages")
		}
		allocatedAtMost(t, a0, 64<<10, "three hostile datagrams")
		noGrowth(t, before)
	})

	t.Run("m3ua", func(t *testing.T) {
		h := newM3UAHarness(t, "tcp", func(c *M3UAConfig) { c.ReadTimeout = readTimeout })
		h.sg.record.Store(false)
		p := h.partner()
		p.up()
		st := &h.relay.Stats
		var mb m3ua.Builder
		// 64 KiB of DATA (over max_message_bytes 4096): dropped, counted.
		big := bytes.Clone(mb.Start(m3ua.KindDATA).Bytes(m3ua.TagProtocolData, make([]byte, 64<<10)).Message())
		// A TC-BEGIN whose Invoke argument is BER nested 300 deep (about
		// 1 KiB: sent in XUDT segments, judged once reassembled).
		arg := tl(0x04, tbcd(homeIMSI))
		for range 300 {
			arg = tl(0x30, arg)
		}
		var tb tcap.Builder
		deep := segments(bytes.Clone(tb.Start(tcap.Begin).OTID(otid).AARQ(acnLocUp, nil).Components().
			Invoke(1, opUpdateLocation, arg).Message()), 200, 0x0a0b0c, true)
		p.beat(1)
		before := heapNow()
		a0 := allocated()
		p.send(big, 1)
		p.beat(1)
		if st.Oversized.Load() != 1 {
			t.Fatalf("oversized %d", st.Oversized.Load())
		}
		relayed0 := st.Relayed[fromPartner].Load()
		for _, seg := range deep {
			p.send(seg, 1)
		}
		p.beat(1)
		if st.Blocked[fromPartner].Load() != 1 || st.Relayed[fromPartner].Load() != relayed0 {
			t.Fatalf("BER nested 300 deep: blocked %d, relayed %d", st.Blocked[fromPartner].Load(), st.Relayed[fromPartner].Load()-relayed0)
		}
		allocatedAtMost(t, a0, 256<<10, "a 64 KiB message and one nested 300 deep")

		// A header claiming 1 GiB: no M3UA message is that long; the
		// association ends. (Each new association costs a pair's buffers
		// and tables, about a MiB.)
		a0 = allocated()
		liar := dialRaw(t, h.relay.Addr().AddrPort(), "127.0.0.2")
		defer liar.Close()
		liar.Write([]byte{1, 0, 3, 3, 0x40, 0, 0, 0})
		if !closedWithin(liar, 5*time.Second) || st.FramingErrors.Load() != 1 {
			t.Fatalf("a header claiming 1 GiB: framing errors %d", st.FramingErrors.Load())
		}
		// One claiming 16 MiB (the most M3UA over TCP accepts), then
		// nothing: cut by read_timeout.
		slow := dialRaw(t, h.relay.Addr().AddrPort(), "127.0.0.2")
		defer slow.Close()
		slow.Write([]byte{1, 0, 3, 3, 1, 0, 0, 0, 0, 0})
		if !closedWithin(slow, readTimeout+5*time.Second) || st.ReadTimeouts.Load() != 1 {
			t.Fatalf("a header claiming 16 MiB, then nothing: read timeouts %d", st.ReadTimeouts.Load())
		}
		waitFor(t, "their pairs to end", func() bool { return st.ActivePairs.Load() == 1 })
		allocatedAtMost(t, a0, 8*mib, "associations claiming 1 GiB and 16 MiB messages")
		p.beat(0)
		noGrowth(t, before)
	})
}
