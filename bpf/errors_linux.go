//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// minKernel is the oldest kernel the program verifies on: BPF timers (the
// rate limiter's coarse clock) came with 5.15; BPF atomics
// (compare-and-swap in the rate limiter) with 5.12; ring buffers with 5.8.
const minKernel = "Linux 5.15"

// probeKernel names the first missing kernel feature, so that an old kernel
// gets "lacks BPF ring buffers" rather than a map creation EINVAL.
func probeKernel() error {
	probes := []struct {
		what  string
		probe func() error
	}{
		{"XDP programs", func() error { return features.HaveProgramType(ebpf.XDP) }},
		{"LPM trie maps", func() error { return features.HaveMapType(ebpf.LPMTrie) }},
		{"map-in-map (array of maps)", func() error { return features.HaveMapType(ebpf.ArrayOfMaps) }},
		{"LRU hash maps", func() error { return features.HaveMapType(ebpf.LRUHash) }},
		{"per-CPU arrays", func() error { return features.HaveMapType(ebpf.PerCPUArray) }},
		{"BPF ring buffers", func() error { return features.HaveMapType(ebpf.RingBuf) }},
		{"the BPF v3 instruction set", features.HaveV3ISA},
		{"BPF timers", func() error { return features.HaveProgramHelper(ebpf.XDP, asm.FnTimerInit) }},
	}
	for _, p := range probes {
		err := p.probe()
		if err == nil {
			continue
		}
		if errors.Is(err, ebpf.ErrNotSupported) {
			return fmt.Errorf("bpf: kernel %s lacks %s; the XDP pre-filter needs %s or later: %w", release(), p.what, minKernel, err)
		}
		return explain("probe the kernel for "+p.what, err)
	}
	return nil
}

// explain turns a failed bpf(2) call into an error that says what to do.
func explain(what string, err error) error {
	var ve *ebpf.VerifierError
	switch {
	case errors.As(err, &ve):
		// Before EACCES: the verifier reports refusals with it too.
		return fmt.Errorf("bpf: %s: the kernel's verifier refused the program (kernel %s; %s or later is needed): %w", what, release(), minKernel, err)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("bpf: %s: %w: run as root, or grant CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8); in a container, also allow bpf(2) in the seccomp profile", what, err)
	case errors.Is(err, ebpf.ErrNotSupported), errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("bpf: %s: %w: kernel %s is too old or built without BPF (needs %s or later, CONFIG_BPF_SYSCALL)", what, err, release(), minKernel)
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("bpf: %s: %w: kernel %s rejected a map or program definition (needs %s or later)", what, err, release(), minKernel)
	case errors.Is(err, unix.ENOMEM):
		return fmt.Errorf("bpf: %s: %w: out of kernel memory for BPF maps (check the cgroup memory limit, or RLIMIT_MEMLOCK before Linux 5.11)", what, err)
	}
	return fmt.Errorf("bpf: %s: %w", what, err)
}

// busy reports an interface that already has an XDP program.
func busy(err error) bool {
	return errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST)
}

func explainAttach(ifname string, err error) error {
	if busy(err) {
		return fmt.Errorf("bpf: attach XDP to %q: %w: the interface already has an XDP program (ip link show dev %s); remove it (ip link set dev %s xdp off) or stop the other pre-filter", ifname, err, ifname, ifname)
	}
	return explain(fmt.Sprintf("attach XDP to %q", ifname), err)
}

// release is the running kernel's version, for error messages.
func release() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "(unknown version)"
	}
	return unix.ByteSliceToString(u.Release[:])
}
