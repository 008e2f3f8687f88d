//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// The rate limiter's coarse clock (coarse_clock in xdp.c): a BPF timer
// that stores bpf_ktime_get_ns every 250 µs, read by packets of sources
// that own their bucket instead of the ~40 ns helper call.

func readClock(tb testing.TB, f *Filter) xdpCoarseClock {
	tb.Helper()
	var v xdpCoarseClock
	if err := f.objs.CoarseClock.Lookup(uint32(0), &v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// monotonic is CLOCK_MONOTONIC, the clock bpf_ktime_get_ns reads.
func monotonic(tb testing.TB) uint64 {
	tb.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		tb.Fatal(err)
	}
	return uint64(ts.Nano())
}

// freshJiffies makes a stored tick count as current forever (the program
// only refuses ticks more than a jiffy in the past), so that a test can
// hold the coarse clock at a value of its choice.
const freshJiffies = 1 << 62

// setClock stops the coarse clock and stores v in its place. A map update
// from user space replaces the element, and the kernel cancels and frees
// the BPF timer of the value it replaces; the second store overwrites
// whatever a tick running during the first one wrote.
func setClock(tb testing.TB, f *Filter, v xdpCoarseClock) {
	tb.Helper()
	for range 2 {
		if err := f.objs.CoarseClock.Put(uint32(0), &v); err != nil {
			tb.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := readClock(tb, f); got.NowNs != v.NowNs || got.Jiffies != v.Jiffies {
		tb.Fatalf("the coarse clock still runs after being replaced: %+v, want %+v", got, v)
	}
	time.Sleep(5 * time.Millisecond)
	if got := readClock(tb, f); got.NowNs != v.NowNs {
		tb.Fatalf("the coarse clock moved to %d after being stopped at %d", got.NowNs, v.NowNs)
	}
}

// TestCoarseClockAdvances: Load arms the timer; the stored time moves
// forward, tick after tick, and stays behind CLOCK_MONOTONIC by little.
func TestCoarseClockAdvances(t *testing.T) {
	f := loadFilter(t, testSpec())
	first := readClock(t, f)
	if first.NowNs == 0 || first.Jiffies == 0 {
		t.Fatalf("coarse clock %+v right after Load: start_clock did not run", first)
	}
	prev, ticks := first, 0
	for deadline := time.Now().Add(5 * time.Second); ticks < 5 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		v := readClock(t, f)
		if v.NowNs < prev.NowNs || v.Jiffies < prev.Jiffies {
			t.Fatalf("the coarse clock went back from %+v to %+v", prev, v)
		}
		if v.NowNs != prev.NowNs {
			ticks++
		}
		prev = v
	}
	if ticks < 5 {
		t.Fatalf("the coarse clock moved %d times in 5 s (from %d to %d): the timer does not run", ticks, first.NowNs, prev.NowNs)
	}
	now := monotonic(t)
	if prev.NowNs > now {
		t.Errorf("coarse clock %d is ahead of CLOCK_MONOTONIC %d", prev.NowNs, now)
	}
	// Generous: a tick is 250 µs, but an emulated machine is slow.
	if lag := time.Duration(now - prev.NowNs); lag > time.Second {
		t.Errorf("coarse clock %v behind CLOCK_MONOTONIC", lag)
	}
}

// TestCoarseClockStopsOnClose: Close cancels the timer. The timer holds
// the program that armed it, so that program outliving Close would mean
// a timer still firing.
func TestCoarseClockStopsOnClose(t *testing.T) {
	f := loadFilter(t, testSpec())
	info, err := f.objs.StartClock.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, ok := info.ID()
	if !ok {
		t.Skip("this kernel does not report program ids")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := ebpf.NewProgramFromID(id)
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		_ = p.Close()
		if time.Now().After(deadline) {
			t.Fatalf("start_clock (program %d) is still loaded 30 s after Close: the timer was not cancelled", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRateLimitClockFallback: without a usable coarse clock (never armed:
// 0; or stopped, its last tick long past) the rate limits hold as with
// the clock, by the exact clock. A packet judged by a stopped clock would
// never see time pass (checkRateLimits waits 250 ms for a 5/s source).
func TestRateLimitClockFallback(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clock func(now uint64) xdpCoarseClock
	}{
		{"never armed", func(uint64) xdpCoarseClock { return xdpCoarseClock{} }},
		{"stopped", func(now uint64) xdpCoarseClock { return xdpCoarseClock{NowNs: now - 10e9, Jiffies: 1} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := loadFilter(t, testSpec())
			setClock(t, f, tc.clock(monotonic(t)))
			checkRateLimits(t, f)
		})
	}
}

// TestRateLimitClockMixing: packets judged partly by the coarse clock and
// partly by the exact one get no more than GCRA with the exact clock
// allows, plus, from a full bucket, the coarse clock's lag in credit
// (rate x lag; xdp.c, rate_allow). The coarse clock is held 10 s behind,
// a lag that makes the credit countable (in operation it is at most a
// few ms).
func TestRateLimitClockMixing(t *testing.T) {
	const lag = 10 * time.Second
	burst := func(t *testing.T, f *Filter, src netip.Addr) (passed int) {
		t.Helper()
		start := time.Now()
		for i := range 100 {
			switch run(t, f, diameterFrom(src.String())) {
			case xdpPass:
				passed++
			case xdpDrop:
			default:
				t.Fatalf("packet %d: not pass or drop", i)
			}
		}
		if time.Since(start) > time.Second {
			t.Skip("too slow a machine for back-to-back packets of a 1/s source")
		}
		return passed
	}
	spec := func() *Spec {
		s := testSpec()
		s.Sources = append(s.Sources,
			Source{Prefix: pfx("100.64.0.1/32"), Partner: 60, RatePPS: 1, Burst: 30},
			Source{Prefix: pfx("100.64.0.2/32"), Partner: 60, RatePPS: 50, Burst: 1},
		)
		return s
	}
	src := netip.MustParseAddr("100.64.0.1")

	// The bucket taken (slow path, exact clock), then charged by the
	// coarse check while TAT - c is within the tolerance, then by the
	// exact confirmation: 30 in all, no more.
	t.Run("bucket in use", func(t *testing.T) {
		f := loadFilter(t, spec())
		c := monotonic(t) - uint64(lag)
		setClock(t, f, xdpCoarseClock{NowNs: c, Jiffies: freshJiffies})
		if got := burst(t, f, src); got != 30 {
			t.Errorf("%d of 100 back-to-back packets passed, want the burst, 30", got)
		}
		var b xdpRateBucket
		if err := f.objs.RateBuckets.Lookup(rateBucketIndex(src), &b); err != nil {
			t.Fatal(err)
		}
		if b.CheckedNs != c {
			t.Errorf("bucket checked at tick %d, want %d (the exact clock confirmed the drops in this tick)", b.CheckedNs, c)
		}
	})

	// The source's bucket full by the coarse clock too: the first packet
	// is charged from c, 10 s early, which leaves it 10 packets of credit
	// (1/s) and not one more.
	t.Run("full bucket", func(t *testing.T) {
		f := loadFilter(t, spec())
		c := monotonic(t) - uint64(lag)
		setClock(t, f, xdpCoarseClock{NowNs: c, Jiffies: freshJiffies})
		full := xdpRateBucket{TatNs: c - 1, Addr: src.As16()}
		if err := f.objs.RateBuckets.Put(rateBucketIndex(src), &full); err != nil {
			t.Fatal(err)
		}
		credit := int(lag / time.Second)
		got := burst(t, f, src)
		t.Logf("%d passed: the burst, 30, and %d of credit", got, got-30)
		if got < 30 || got > 30+credit+1 {
			t.Errorf("%d of 100 back-to-back packets passed, want the burst, 30, plus at most %d of credit", got, credit+1)
		}
	})

	// A source whose burst spans less than 25 ms (50/s, burst 1: 20 ms)
	// keeps the exact clock: by the stopped coarse one, once dropped (the
	// bucket marked at the coarse tick), it would never send again.
	t.Run("small burst", func(t *testing.T) {
		f := loadFilter(t, spec())
		setClock(t, f, xdpCoarseClock{NowNs: monotonic(t) - uint64(lag), Jiffies: freshJiffies})
		small := diameterFrom("100.64.0.2")
		dropped := 0
		for i := range 3 {
			expect(t, f, fmt.Sprintf("round %d", i), small, xdpPass, ReasonPassed)
			if run(t, f, small) == xdpDrop { // within 20 ms, unless the machine is slow
				dropped++
			}
			time.Sleep(50 * time.Millisecond)
		}
		if dropped == 0 {
			t.Skip("too slow a machine: no two packets within 20 ms")
		}
	})
}
