//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

func diameterFrom(src string) []byte {
	return v4Frame(src, dst4, ipProtoTCP, tcp(40000, 3868, 5))
}

// expect runs frame and checks the action and the one counter that moved.
func expect(t *testing.T, f *Filter, what string, frame []byte, action uint32, reason Reason) {
	t.Helper()
	before := counters(t, f)
	if got := run(t, f, frame); got != action {
		t.Errorf("%s: XDP action %d, want %d", what, got, action)
	}
	want := fmt.Sprint(map[string]uint64{reason.String(): 1})
	if got := fmt.Sprint(delta(before, counters(t, f))); got != want {
		t.Errorf("%s: counters moved %s, want %s", what, got, want)
	}
}

func TestRateLimit(t *testing.T) {
	checkRateLimits(t, loadFilter(t, testSpec()))
}

// checkRateLimits checks testSpec's rate limits on a fresh filter.
func checkRateLimits(t *testing.T, f *Filter) {
	t.Helper()
	// 192.0.2.200: 1 packet/s, burst 3 (the clock barely moves between
	// runs: three pass back to back, the fourth is a second early).
	for i := range 3 {
		expect(t, f, fmt.Sprintf("burst packet %d", i+1), diameterFrom("192.0.2.200"), xdpPass, ReasonPassed)
	}
	expect(t, f, "packet after the burst", diameterFrom("192.0.2.200"), xdpDrop, ReasonRateLimited)
	// The /24 around it has no limit.
	for i := range 10 {
		expect(t, f, fmt.Sprintf("unlimited neighbour %d", i), diameterFrom("192.0.2.199"), xdpPass, ReasonPassed)
	}

	// Buckets are per address, not per prefix: 192.0.2.208/28 is 1/s,
	// burst 1, and each of its addresses gets its own.
	expect(t, f, ".208 first", diameterFrom("192.0.2.208"), xdpPass, ReasonPassed)
	expect(t, f, ".208 second", diameterFrom("192.0.2.208"), xdpDrop, ReasonRateLimited)
	expect(t, f, ".209 first", diameterFrom("192.0.2.209"), xdpPass, ReasonPassed)

	// 192.0.2.201: 5 packets/s, burst 1: one every 200 ms.
	expect(t, f, ".201 first", diameterFrom("192.0.2.201"), xdpPass, ReasonPassed)
	expect(t, f, ".201 at once", diameterFrom("192.0.2.201"), xdpDrop, ReasonRateLimited)
	time.Sleep(250 * time.Millisecond) // bpf_ktime_get_ns is the real monotonic clock
	expect(t, f, ".201 after 250 ms", diameterFrom("192.0.2.201"), xdpPass, ReasonPassed)

	// Non-signaling traffic does not touch the bucket.
	for range 5 {
		expect(t, f, "SSH from the limited source", v4Frame("192.0.2.208", dst4, ipProtoTCP, tcp(1, 22, 5)), xdpPass, ReasonNotSignaling)
	}
}

// TestRateLimitConcurrent charges one bucket from every CPU at once: the
// compare-and-swap keeps the total within the burst.
func TestRateLimitConcurrent(t *testing.T) {
	spec := testSpec()
	spec.Sources = append(spec.Sources, Source{Prefix: pfx("192.0.2.150/32"), Partner: 10, RatePPS: 1, Burst: 50})
	f := loadFilter(t, spec)
	before := counters(t, f)
	var wg sync.WaitGroup
	for range runtime.NumCPU() * 2 {
		wg.Go(func() {
			for range 100 {
				run(t, f, diameterFrom("192.0.2.150"))
			}
		})
	}
	wg.Wait()
	d := delta(before, counters(t, f))
	total := uint64(runtime.NumCPU() * 2 * 100)
	// 50 back to back, plus at most one more per second the test took.
	if d["passed"] < 50 || d["passed"] > 52 || d["passed"]+d["rate_limited"] != total {
		t.Errorf("passed %d, rate_limited %d of %d: want 50 (±2 for elapsed time) passed", d["passed"], d["rate_limited"], total)
	}
}

func TestQuarantineMethod(t *testing.T) {
	f := loadFilter(t, testSpec())
	expect(t, f, "before", diameterFrom(partner4), xdpPass, ReasonPassed)
	if err := f.Quarantine(10, true); err != nil {
		t.Fatal(err)
	}
	expect(t, f, "quarantined", diameterFrom(partner4), xdpDrop, ReasonQuarantined)
	expect(t, f, "quarantined, any port", v4Frame(partner4, dst4, ipProtoUDP, udp(1, 53, nil)), xdpDrop, ReasonQuarantined)
	if err := f.Quarantine(10, true); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := f.Quarantine(10, false); err != nil {
		t.Fatal(err)
	}
	expect(t, f, "lifted", diameterFrom(partner4), xdpPass, ReasonPassed)
	// Partner 40 came from the Spec; lifting it works the same way.
	if err := f.Quarantine(40, false); err != nil {
		t.Fatal(err)
	}
	expect(t, f, "spec quarantine lifted", diameterFrom(quarantine4), xdpPass, ReasonPassed)
	if err := f.Quarantine(0, true); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("Quarantine(0): %v, want a reserved-id error", err)
	}
}

func TestUpdateSwapsPolicy(t *testing.T) {
	f := loadFilter(t, testSpec())
	expect(t, f, "old allowlist", diameterFrom(partner4), xdpPass, ReasonPassed)
	expect(t, f, "old quarantine", diameterFrom(quarantine4), xdpDrop, ReasonQuarantined)
	expect(t, f, "old GTP table", gtpFrame(partner4, gtpV2(130, true, false, imsiIE)), xdpDrop, ReasonGTPCat1)

	next := &Spec{
		Sources: []Source{
			{Prefix: pfx("198.18.0.0/15"), Partner: 50},
			{Prefix: pfx("203.0.113.128/25"), Partner: 40},
		},
		Ports: []Port{{Number: 2123, Proto: ProtoUDP, Class: ClassGTPC}, {Number: 3869, Proto: ProtoTCP, Class: ClassDiameter}},
	}
	if err := f.Update(next); err != nil {
		t.Fatal(err)
	}
	expect(t, f, "dropped from the allowlist", gtpFrame(partner4, gtpV2(32, true, false, nil)), xdpDrop, ReasonUnknownSource)
	expect(t, f, "added to the allowlist", gtpFrame(unknown4, gtpV2(32, true, false, nil)), xdpPass, ReasonPassed)
	expect(t, f, "quarantine lifted by the new spec", gtpFrame(quarantine4, gtpV2(32, true, false, nil)), xdpPass, ReasonPassed)
	expect(t, f, "GTP table cleared", gtpFrame(unknown4, gtpV2(130, true, false, nil)), xdpPass, ReasonPassed)
	expect(t, f, "port removed", diameterFrom(partner4), xdpPass, ReasonNotSignaling)
	expect(t, f, "port added", v4Frame(partner4, dst4, ipProtoTCP, tcp(1, 3869, 5)), xdpDrop, ReasonUnknownSource)

	// A rejected spec changes nothing.
	bad := *next
	bad.Sources = append([]Source{{Prefix: pfx("192.0.2.0/24")}}, next.Sources...) // partner 0
	if err := f.Update(&bad); err == nil {
		t.Fatal("Update accepted partner 0")
	}
	expect(t, f, "after the rejected update", gtpFrame(unknown4, gtpV2(32, true, false, nil)), xdpPass, ReasonPassed)
	expect(t, f, "after the rejected update (allowlist)", gtpFrame(partner4, gtpV2(32, true, false, nil)), xdpDrop, ReasonUnknownSource)
}

// TestUpdateNeverHalfBuilt runs packets from many goroutines while the
// policy flips between two versions that both allow the sender, with the
// sender's own /32 written last into thousands of other prefixes. A table
// refilled in place would show an empty or partial allowlist at some
// point (unknown_source); the inner-map swap never does. The two versions
// differ in the mobility flag, so both are seen.
func TestUpdateNeverHalfBuilt(t *testing.T) {
	const sender = "192.0.2.77"
	version := func(mobility bool) *Spec {
		s := &Spec{Ports: DefaultPorts()}
		for i := range 2000 {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)
			s.Sources = append(s.Sources, Source{Prefix: p, Partner: uint32(100 + i)})
		}
		s.Sources = append(s.Sources, Source{Prefix: pfx(sender + "/32"), Partner: 7, InterPLMNMobility: mobility})
		s.GTPv2Types[133] = TypeDropUnlessMobility
		return s
	}
	a, b := version(true), version(false)
	f := loadFilter(t, a)
	frame := gtpFrame(sender, gtpV2(133, true, false, imsiIE))
	before := counters(t, f)

	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := f.objs.BreakwaterXdp.Run(&ebpf.RunOptions{Data: frame, Repeat: 50}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 10 {
		spec := a
		if i%2 == 0 {
			spec = b
		}
		if err := f.Update(spec); err != nil {
			t.Error(err)
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	d := delta(before, counters(t, f))
	if d["unknown_source"] != 0 || d["passed"] == 0 || d["gtp_cat1"] == 0 {
		t.Errorf("counters moved %v: want passed and gtp_cat1 (both versions seen), no unknown_source", d)
	}
}

// pinCPU runs the calling goroutine on one CPU until the test ends, so
// that per-CPU state (the sampling counter) is deterministic.
func pinCPU(t *testing.T) {
	t.Helper()
	runtime.LockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Fatalf("sched_getaffinity: %v", err)
	}
	cpu := -1
	for i := range 1024 {
		if old.IsSet(i) {
			cpu = i
			break
		}
	}
	var one unix.CPUSet
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatalf("sched_setaffinity: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.SchedSetaffinity(0, &old); err == nil {
			runtime.UnlockOSThread()
		} // else: leave the thread locked, and Go retires it
	})
}

// collect reads events until n have arrived or the timeout passes.
func collect(t *testing.T, f *Filter, n int, timeout time.Duration) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var mu sync.Mutex
	var got []Event
	done := make(chan error, 1)
	go func() {
		done <- f.Events(ctx, func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, e)
			if len(got) == n {
				cancel()
			}
		})
	}()
	if err := <-done; err != nil {
		t.Fatalf("Events: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return got
}

func TestEvents(t *testing.T) {
	spec := testSpec()
	spec.SampleEvery = 1
	f := loadFilter(t, spec)
	pinCPU(t)

	run(t, f, diameterFrom(unknown4))
	run(t, f, diameterFrom(partner4)) // passed: no event
	run(t, f, v6Frame(partner6, dst6, ipProtoUDP, udp(2123, 2123, gtpV2(130, true, false, imsiIE))))
	run(t, f, gtpFrame(partner4, cat(gtpV2(33, true, true, imsiIE), gtpV2(130, true, false, nil))))
	run(t, f, v4Frame(quarantine4, dst4, 1, []byte{8, 0, 0, 0}))
	got := collect(t, f, 4, 5*time.Second)

	want := []Event{
		{Reason: ReasonUnknownSource, Source: netip.MustParseAddr(unknown4), DestPort: 3868, Proto: ProtoTCP, Class: ClassDiameter},
		{Reason: ReasonGTPCat1, Source: netip.MustParseAddr(partner6), Partner: 11, DestPort: 2123, Proto: ProtoUDP, Class: ClassGTPC, GTPVersion: 2, GTPType: 130},
		{Reason: ReasonGTPCat1, Source: netip.MustParseAddr(partner4), Partner: 10, DestPort: 2123, Proto: ProtoUDP, Class: ClassGTPC, GTPVersion: 2, GTPType: 130},
		{Reason: ReasonQuarantined, Source: netip.MustParseAddr(quarantine4), Partner: 40},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].Time == 0 {
			t.Errorf("event %d has no time", i)
		}
		got[i].Time = 0
		if got[i] != want[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if s := got[1].String(); !strings.Contains(s, "gtp_cat1 from 2001:db8:10::5 (partner 11) to 2123/udp GTPv2 type 130") {
		t.Errorf("Event.String() = %q", s)
	}

	// One in three: six drops on one CPU make two events.
	spec.SampleEvery = 3
	if err := f.Update(spec); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		run(t, f, diameterFrom(unknown4))
	}
	if got := collect(t, f, 3, 500*time.Millisecond); len(got) != 2 {
		t.Errorf("SampleEvery 3: %d events from 6 drops, want 2", len(got))
	}

	// Sampling off: nothing.
	spec.SampleEvery = 0
	if err := f.Update(spec); err != nil {
		t.Fatal(err)
	}
	run(t, f, diameterFrom(unknown4))
	if got := collect(t, f, 1, 300*time.Millisecond); len(got) != 0 {
		t.Errorf("SampleEvery 0: %d events, want none", len(got))
	}
}

// TestEventsLost fills the ring without reading it: drops go on, and the
// events that do not fit are counted.
func TestEventsLost(t *testing.T) {
	spec := testSpec()
	spec.SampleEvery = 1
	f := loadFilter(t, spec)
	const n = 8000 // the 256 KiB ring holds 5461 records of 48 bytes
	before := counters(t, f)
	ret, err := f.objs.BreakwaterXdp.Run(&ebpf.RunOptions{Data: diameterFrom(unknown4), Repeat: n})
	if err != nil || ret != xdpDrop {
		t.Fatalf("run: %d, %v", ret, err)
	}
	d := delta(before, counters(t, f))
	if d["unknown_source"] != n || d["events_lost"] == 0 || d["events_lost"] >= n {
		t.Errorf("counters moved %v: want %d unknown_source and some events_lost", d, n)
	}
	got := collect(t, f, int(n-d["events_lost"]), 5*time.Second)
	if uint64(len(got))+d["events_lost"] != n {
		t.Errorf("%d events read + %d lost != %d drops", len(got), d["events_lost"], n)
	}
}

func TestEventsLifecycle(t *testing.T) {
	f := loadFilter(t, testSpec())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Events(ctx, func(Event) {}) }()
	time.Sleep(50 * time.Millisecond)
	if err := f.Events(context.Background(), func(Event) {}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Events: %v, want an already-running error", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Events after cancel: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Events did not return after its context was cancelled")
	}

	// Close ends a running reader.
	go func() { done <- f.Events(context.Background(), func(Event) {}) }()
	time.Sleep(50 * time.Millisecond)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Events after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Events did not return after Close")
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.Counters(); !errors.Is(err, errClosed) {
		t.Errorf("Counters after Close: %v", err)
	}
	if err := f.Update(testSpec()); !errors.Is(err, errClosed) {
		t.Errorf("Update after Close: %v", err)
	}
	if err := f.Events(context.Background(), func(Event) {}); !errors.Is(err, errClosed) {
		t.Errorf("Events after Close: %v", err)
	}
}

func TestCountersNameEveryReason(t *testing.T) {
	f := loadFilter(t, &Spec{})
	c := counters(t, f)
	if len(c) != int(numReasons) {
		t.Errorf("%d counters, want %d", len(c), numReasons)
	}
	for _, r := range Reasons() {
		if _, ok := c[r.String()]; !ok {
			t.Errorf("no counter %q", r)
		}
	}
	// The kernel's array has one slot per reason: the C enum and the Go
	// constants agree on the count.
	if got := f.objs.Counters.MaxEntries(); got != uint32(numReasons) {
		t.Errorf("counters map has %d slots, Go knows %d reasons", got, numReasons)
	}
}

func TestEmptySpecPassesEverything(t *testing.T) {
	f := loadFilter(t, &Spec{})
	expect(t, f, "Diameter from anyone", diameterFrom(unknown4), xdpPass, ReasonNotSignaling)
	expect(t, f, "GTP from anyone", gtpFrame(unknown4, []byte{1}), xdpPass, ReasonNotSignaling)
}

func TestAttachErrors(t *testing.T) {
	f := loadFilter(t, &Spec{})
	if _, err := f.Attach("bw-no-such-if", ModeGeneric); err == nil || !strings.Contains(err.Error(), "check the interface name") {
		t.Errorf("Attach to a missing interface: %v", err)
	}
	if _, err := f.Attach("lo", Mode(9)); err == nil {
		t.Error("Attach accepted mode 9")
	}
	if err := f.Detach("lo"); err == nil || !strings.Contains(err.Error(), "not attached") {
		t.Errorf("Detach of an unattached interface: %v", err)
	}
}

func TestSupported(t *testing.T) {
	requireBPF(t)
	if err := Supported(); err != nil {
		t.Fatalf("Supported: %v", err)
	}
}
