//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"net/netip"
	"os"
	"sync"
	"testing"

	"github.com/cilium/ebpf"
)

// XDP actions (enum xdp_action).
const (
	xdpAborted = 0
	xdpDrop    = 1
	xdpPass    = 2
)

var (
	probeOnce sync.Once
	probeErr  error
)

// requireBPF skips the test when this process cannot load BPF programs:
// not root, or a kernel without the features (probeKernel). A failure past
// that point (say, the verifier refusing the program) is a real failure,
// not a skip. With BREAKWATER_REQUIRE_XDP set (CI on a capable host) the
// skips become failures too, so a lost capability cannot pass silently.
func requireBPF(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(tb, "XDP tests need root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON): run `go test ./bpf/` as root")
	}
	probeOnce.Do(func() { probeErr = probeKernel() })
	if probeErr != nil {
		skipOrFail(tb, "XDP unavailable here: "+probeErr.Error())
	}
}

func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("BREAKWATER_REQUIRE_XDP") != "" {
		tb.Fatal(msg + " (and BREAKWATER_REQUIRE_XDP is set)")
	}
	tb.Skip(msg)
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// Addresses of the test policy.
const (
	dst4        = "192.0.2.1" // Breakwater
	dst6        = "2001:db8:1::1"
	partner4    = "192.0.2.5" // partner 10
	partner6    = "2001:db8:10::5"
	home4       = "198.51.100.7"  // home network
	mobility4   = "203.0.113.5"   // partner 30, inter-PLMN mobility
	quarantine4 = "203.0.113.130" // partner 40, quarantined
	quarantine6 = "2001:db8:40::1"
	unknown4    = "198.18.0.1"
	unknown6    = "2001:db8:ffff::1"
)

// testSpec is the policy most tests run against.
func testSpec() *Spec {
	s := &Spec{
		Sources: []Source{
			{Prefix: pfx("192.0.2.0/24"), Partner: 10},
			{Prefix: pfx("192.0.2.200/32"), Partner: 10, RatePPS: 1, Burst: 3},
			{Prefix: pfx("192.0.2.201/32"), Partner: 10, RatePPS: 5, Burst: 1},
			{Prefix: pfx("192.0.2.208/28"), Partner: 10, RatePPS: 1, Burst: 1},
			{Prefix: pfx("198.51.100.0/24"), Partner: 20, Home: true},
			{Prefix: pfx("203.0.113.0/25"), Partner: 30, InterPLMNMobility: true},
			{Prefix: pfx("203.0.113.128/25"), Partner: 40},
			{Prefix: pfx("2001:db8:10::/48"), Partner: 11},
			{Prefix: pfx("2001:db8:40::/48"), Partner: 40},
		},
		Ports:       DefaultPorts(),
		Quarantined: []uint32{40},
	}
	s.GTPv1Types[50] = TypeDrop               // SGSN Context Request
	s.GTPv1Types[53] = TypeDropUnlessMobility // Forward Relocation Request
	s.GTPv2Types[130] = TypeDrop              // Context Request
	s.GTPv2Types[133] = TypeDropUnlessMobility
	return s
}

func loadFilter(tb testing.TB, spec *Spec) *Filter {
	tb.Helper()
	requireBPF(tb)
	f, err := Load(spec)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	tb.Cleanup(func() {
		if err := f.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return f
}

// run passes one frame through the program with BPF_PROG_TEST_RUN.
func run(tb testing.TB, f *Filter, frame []byte) uint32 {
	tb.Helper()
	ret, err := f.objs.BreakwaterXdp.Run(&ebpf.RunOptions{Data: frame})
	if err != nil {
		tb.Fatalf("BPF_PROG_TEST_RUN: %v", err)
	}
	return ret
}

func counters(tb testing.TB, f *Filter) map[string]uint64 {
	tb.Helper()
	c, err := f.Counters()
	if err != nil {
		tb.Fatalf("Counters: %v", err)
	}
	return c
}

// delta is after minus before, for the counters that moved.
func delta(before, after map[string]uint64) map[string]uint64 {
	d := map[string]uint64{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}
