//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// The benchmarks run the program in the kernel with BPF_PROG_TEST_RUN's
// repeat loop (b.N runs per syscall) and report the kernel's own ns per
// packet, which excludes the syscall. That is the program's cost on one
// CPU with warm caches, not a line-rate figure for a NIC.
//
// The test-run loop has a cost of its own (BenchmarkXDPHarnessBaseline: a
// program that only returns XDP_PASS, measured the same way). Each
// benchmark measures that baseline too, right after its own run and with
// the same repeat count, and reports the difference as net-ns/pkt: what
// the program itself costs.
//
// A packet is run once before the measurement, so every measured packet
// finds its source in the source cache: these are cache hits.
//
// The policy is testSpec without quarantined partners (the usual state),
// plus one source with a rate limit it never reaches.
func benchFrame(b *testing.B, frame []byte, want uint32) {
	spec := testSpec()
	spec.Quarantined = nil
	benchSpec(b, spec, frame, want)
}

func benchSpec(b *testing.B, spec *Spec, frame []byte, want uint32) {
	spec.Sources = append(spec.Sources, Source{Prefix: pfx("192.0.2.160/32"), Partner: 10, RatePPS: MaxRatePPS, Burst: 1 << 30})
	f := loadFilter(b, spec)
	benchProgram(b, f.objs.BreakwaterXdp, frame, want)
}

func benchProgram(b *testing.B, p *ebpf.Program, frame []byte, want uint32) {
	b.Helper()
	baseline := harnessBaseline(b)
	// One packet first: it fills the source cache (and, over a rate limit,
	// takes the last token), so that even b.N = 1 measures the steady state.
	if _, err := p.Run(&ebpf.RunOptions{Data: frame}); err != nil {
		b.Fatal(err)
	}
	ret, perPacket, err := p.Benchmark(frame, b.N, b.ResetTimer)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer() // b.N is calibrated on the program's run alone
	if ret != want {
		b.Fatalf("XDP action %d, want %d", ret, want)
	}
	_, base, err := baseline.Benchmark(frame, b.N, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(perPacket.Nanoseconds()), "ns/pkt")
	b.ReportMetric(float64(perPacket.Nanoseconds()-base.Nanoseconds()), "net-ns/pkt")
}

// harnessBaseline loads a program that only returns XDP_PASS.
func harnessBaseline(b *testing.B) *ebpf.Program {
	b.Helper()
	requireBPF(b)
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.XDP,
		License:      "MIT",
		Instructions: asm.Instructions{asm.LoadImm(asm.R0, xdpPass, asm.DWord), asm.Return()},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	return p
}

func BenchmarkXDPDiameterTCPAllowed(b *testing.B) {
	benchFrame(b, diameterFrom(partner4), xdpPass)
}

func BenchmarkXDPGTPv2CreateSessionAllowed(b *testing.B) {
	benchFrame(b, gtpFrame(partner4, gtpV2(32, true, false, imsiIE)), xdpPass)
}

func BenchmarkXDPUnknownSourceDrop(b *testing.B) {
	benchFrame(b, diameterFrom(unknown4), xdpDrop)
}

func BenchmarkXDPIPv6DiameterAllowed(b *testing.B) {
	benchFrame(b, v6Frame(partner6, dst6, ipProtoTCP, tcp(40000, 3868, 5)), xdpPass)
}

// With a rate limit it never reaches: the coarse clock, the source's own
// bucket in rate_buckets and one compare-and-swap.
func BenchmarkXDPDiameterRateLimitedSource(b *testing.B) {
	benchFrame(b, diameterFrom("192.0.2.160"), xdpPass)
}

// A source far over its limit (1 packet/s, burst 1): after the first
// packet, every one is dropped as rate_limited (the flood case), by the
// coarse clock and the bucket's mark of this tick's exact check.
func BenchmarkXDPDiameterOverRateLimit(b *testing.B) {
	benchFrame(b, diameterFrom("192.0.2.208"), xdpDrop)
}

// A source whose bucket in rate_buckets another address holds, so its
// state lives in rate_limits (the LRU hash): the slow path.
func BenchmarkXDPDiameterRateLimitedSourceSharedBucket(b *testing.B) {
	spec := testSpec()
	spec.Quarantined = nil
	limited, a, other := rateBucketCollision(b, false)
	spec.Sources = append(spec.Sources, Source{Prefix: limited, Partner: 10, RatePPS: MaxRatePPS, Burst: 1 << 30})
	f := loadFilter(b, spec)
	// other takes the bucket and keeps it busy: its TAT is far ahead.
	holdBucket(b, f, other)
	benchProgram(b, f.objs.BreakwaterXdp, diameterFrom(a.String()), xdpPass)
}

func BenchmarkXDPNotSignaling(b *testing.B) {
	benchFrame(b, v4Frame(unknown4, dst4, ipProtoTCP, tcp(40000, 443, 5)), xdpPass)
}

// With a partner quarantined, every IP packet needs the source (from the
// cache) and a known source's quarantine flag.
func BenchmarkXDPDiameterTCPAllowedQuarantineActive(b *testing.B) {
	benchSpec(b, testSpec(), diameterFrom(partner4), xdpPass)
}

func BenchmarkXDPNotSignalingQuarantineActive(b *testing.B) {
	benchSpec(b, testSpec(), v4Frame(unknown4, dst4, ipProtoTCP, tcp(40000, 443, 5)), xdpPass)
}

// The clock alone: a program that reads bpf_ktime_get_ns and returns
// XDP_PASS. What a packet of a rate-limited source paid for the time
// before the coarse clock (xdp.c: coarse_clock), and still pays on the
// slow path and for sources with a small burst.
func BenchmarkXDPClockOnly(b *testing.B) {
	requireBPF(b)
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:    ebpf.XDP,
		License: "MIT",
		Instructions: asm.Instructions{
			asm.FnKtimeGetNs.Call(),
			asm.LoadImm(asm.R0, xdpPass, asm.DWord),
			asm.Return(),
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	benchProgram(b, p, diameterFrom(partner4), xdpPass)
}

func BenchmarkXDPHarnessBaseline(b *testing.B) {
	p := harnessBaseline(b)
	_, perPacket, err := p.Benchmark(diameterFrom(partner4), b.N, b.ResetTimer)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(perPacket.Nanoseconds()), "ns/pkt")
}
