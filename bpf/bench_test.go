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
// BenchmarkXDPHarnessBaseline measures an empty XDP program the same way:
// the test-run loop's own cost per packet, to subtract from the others.
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
	ret, perPacket, err := f.objs.BreakwaterXdp.Benchmark(frame, b.N, b.ResetTimer)
	if err != nil {
		b.Fatal(err)
	}
	if ret != want {
		b.Fatalf("XDP action %d, want %d", ret, want)
	}
	b.ReportMetric(float64(perPacket.Nanoseconds()), "ns/pkt")
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

// With a rate limit: the LRU lookup and the compare-and-swap.
func BenchmarkXDPDiameterRateLimitedSource(b *testing.B) {
	benchFrame(b, diameterFrom("192.0.2.160"), xdpPass)
}

func BenchmarkXDPNotSignaling(b *testing.B) {
	benchFrame(b, v4Frame(unknown4, dst4, ipProtoTCP, tcp(40000, 443, 5)), xdpPass)
}

// With a partner quarantined, every IP packet needs the allowlist lookup
// (and a known source the quarantine lookup).
func BenchmarkXDPDiameterTCPAllowedQuarantineActive(b *testing.B) {
	benchSpec(b, testSpec(), diameterFrom(partner4), xdpPass)
}

func BenchmarkXDPNotSignalingQuarantineActive(b *testing.B) {
	benchSpec(b, testSpec(), v4Frame(unknown4, dst4, ipProtoTCP, tcp(40000, 443, 5)), xdpPass)
}

func BenchmarkXDPHarnessBaseline(b *testing.B) {
	requireBPF(b)
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.XDP,
		License:      "MIT",
		Instructions: asm.Instructions{asm.LoadImm(asm.R0, xdpPass, asm.DWord), asm.Return()},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	_, perPacket, err := p.Benchmark(diameterFrom(partner4), b.N, b.ResetTimer)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(perPacket.Nanoseconds()), "ns/pkt")
}
