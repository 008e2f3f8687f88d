package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// kvmUsable reports whether the CPU advertises hardware virtualization
// (vmx or svm) and /dev/kvm can be opened and speaks the stable KVM API
// (version 12). Even that is no proof that a VM will run (on some nested
// hosts QEMU aborts setting MSRs or the guest never starts), so a KVM boot
// that does not reach /init in time is retried with TCG. Breakwater's
// development and CI machines have a /dev/kvm but no vmx flag, and QEMU
// aborts there: they use TCG.
func kvmUsable() bool {
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil || !reVirtFlag.Match(cpuinfo) {
		return false
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	const kvmGetAPIVersion = 0xAE00
	v, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), kvmGetAPIVersion, 0)
	return errno == 0 && v == 12
}

// accelPlan returns the accelerators to try in order for the -accel flag.
func accelPlan(mode string) ([]string, error) {
	switch mode {
	case "auto":
		if kvmUsable() {
			return []string{"kvm", "tcg"}, nil
		}
		return []string{"tcg"}, nil
	case "kvm", "tcg":
		return []string{mode}, nil
	}
	return nil, fmt.Errorf("-accel %q: want auto, kvm or tcg", mode)
}

// binResult is what the console said about one test binary.
type binResult struct {
	name                    string
	begun, ended            bool
	exit                    int
	passed, failed, skipped int // top-level tests
	start, stop             float64
	// failures holds, for each failed test, the console lines it printed
	// (at most maxFailLines, the last ones), so the summary at the end of a
	// long console log still says why, where CI shows only the tail.
	failures []string
	recent   []string // lines since the last "=== RUN" of this binary
}

// maxFailLines bounds the context kept per failed test.
const maxFailLines = 40

// consoleState follows the serial console line by line.
type consoleState struct {
	mu        sync.Mutex
	t0        time.Time
	initAt    time.Duration
	kernelRel string
	setupFail string
	panicLine string
	done      bool
	current   *binResult
	results   map[string]*binResult
}

var (
	reEnd      = regexp.MustCompile(`=== VMTEST END (\S+) EXIT (\d+)(?: START (\S+) STOP (\S+))?`)
	reBegin    = regexp.MustCompile(`=== VMTEST BEGIN (\S+)`)
	reInit     = regexp.MustCompile(`=== VMTEST INIT kernel (\S+)`)
	reResult   = regexp.MustCompile(`^--- (PASS|FAIL|SKIP): `)
	reVirtFlag = regexp.MustCompile(`(?m)^flags\s*:.*\b(vmx|svm)\b`)
	// Terminal control sequences SeaBIOS and QEMU write to the console.
	reEscape = regexp.MustCompile(`\x1b(?:\[[0-9;?]*[A-Za-z]|[A-Za-z])`)
)

func newConsoleState(kernelRel string, names []string) *consoleState {
	s := &consoleState{results: map[string]*binResult{}, t0: time.Now(), kernelRel: kernelRel}
	for _, n := range names {
		s.results[n] = &binResult{name: n}
	}
	return s
}

func (s *consoleState) initSeen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initAt != 0
}

func (s *consoleState) line(l string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := strings.Index(l, "Kernel panic - not syncing"); i >= 0 && s.panicLine == "" {
		s.panicLine = strings.TrimSpace(l[i:])
	}
	i := strings.Index(l, "=== VMTEST ")
	if i < 0 {
		if s.current != nil {
			s.current.note(l)
			if m := reResult.FindStringSubmatch(l); m != nil {
				switch m[1] {
				case "PASS":
					s.current.passed++
				case "FAIL":
					s.current.failed++
				case "SKIP":
					s.current.skipped++
				}
			}
		}
		return
	}
	mk := l[i:]
	switch {
	case strings.HasPrefix(mk, markInit):
		s.initAt = time.Since(s.t0)
		if m := reInit.FindStringSubmatch(mk); m != nil {
			s.kernelRel = m[1]
		}
	case strings.HasPrefix(mk, markFail):
		if s.setupFail == "" {
			s.setupFail = strings.TrimSpace(strings.TrimPrefix(mk, markFail))
		}
	case strings.HasPrefix(mk, markBegin):
		if m := reBegin.FindStringSubmatch(mk); m != nil {
			r := s.results[m[1]]
			if r == nil {
				r = &binResult{name: m[1]}
				s.results[m[1]] = r
			}
			r.begun = true
			s.current = r
		}
	case strings.HasPrefix(mk, markEnd):
		if m := reEnd.FindStringSubmatch(mk); m != nil {
			if r := s.results[m[1]]; r != nil {
				r.ended = true
				r.exit, _ = strconv.Atoi(m[2])
				r.start, _ = strconv.ParseFloat(m[3], 64)
				r.stop, _ = strconv.ParseFloat(m[4], 64)
			}
		}
		s.current = nil
	case strings.HasPrefix(mk, markDone):
		s.done = true
	}
}

// note keeps the console context of the test running now and, when a test
// (or subtest) fails, files that context under the binary's failures.
func (r *binResult) note(l string) {
	t := strings.TrimSpace(l)
	if strings.HasPrefix(t, "=== RUN ") && !strings.Contains(t, "/") {
		r.recent = r.recent[:0]
	}
	if len(r.recent) == maxFailLines {
		copy(r.recent, r.recent[1:])
		r.recent = r.recent[:maxFailLines-1]
	}
	r.recent = append(r.recent, l)
	if strings.HasPrefix(t, "--- FAIL: ") {
		// A parent's FAIL line right after its failed subtest's adds nothing.
		if len(r.recent) > 1 {
			r.failures = append(r.failures, strings.Join(r.recent, "\n"))
		}
		r.recent = r.recent[:0]
	}
}

// lineWriter calls fn for each complete line written to it (without the
// line end and carriage returns).
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.fn(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.fn(strings.TrimRight(string(w.buf), "\r"))
		w.buf = nil
	}
}

// vmConfig is how to boot.
type vmConfig struct {
	kernel, initrd string
	memMB, smp     int
	accel          string // kvm or tcg
	appendArgs     string
	timeout        time.Duration
	initDeadline   time.Duration // 0: none; else kill QEMU if /init has not started by then
	interactive    bool
	quietStderr    *bytes.Buffer // if set, QEMU's stderr goes here instead of being printed
	log            io.Writer     // full console log
	stdout         io.Writer     // where console lines are echoed
}

func qemuArgs(c vmConfig) []string {
	// cryptomgr.notests skips the crypto self-tests (about 0.7 s under TCG).
	cmdline := "console=ttyS0 quiet panic=-1 oops=panic rdinit=/init mitigations=off cryptomgr.notests"
	if c.appendArgs != "" {
		cmdline += " " + c.appendArgs
	}
	return []string{"-machine", "q35", "-cpu", "max", "-accel", c.accel,
		"-m", strconv.Itoa(c.memMB), "-smp", strconv.Itoa(c.smp),
		"-nographic", "-no-reboot", "-nic", "none",
		"-kernel", c.kernel, "-initrd", c.initrd,
		"-append", cmdline}
}

// Errors boot returns when it killed the VM.
var (
	errTimeout     = errors.New("timeout")
	errNoInit      = errors.New("/init did not start in time")
	errInterrupted = errors.New("interrupted")
)

// boot runs QEMU to completion, feeding every console line to st.
func boot(parent context.Context, c vmConfig, st *consoleState) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	if c.timeout > 0 && !c.interactive {
		t := time.AfterFunc(c.timeout, func() { cancel(errTimeout) })
		defer t.Stop()
	}
	if c.initDeadline > 0 {
		t := time.AfterFunc(c.initDeadline, func() {
			if !st.initSeen() {
				cancel(errNoInit)
			}
		})
		defer t.Stop()
	}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", qemuArgs(c)...)
	cmd.WaitDelay = 5 * time.Second
	// Own process group unless interactive: a terminal's Ctrl-C reaches us
	// only, and we kill QEMU.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !c.interactive}
	out := &lineWriter{fn: func(l string) {
		l = reEscape.ReplaceAllString(l, "")
		fmt.Fprintln(c.log, l)
		if !c.interactive {
			fmt.Fprintln(c.stdout, "vm| "+l)
		}
		st.line(l)
	}}
	errw := &lineWriter{fn: func(l string) {
		fmt.Fprintln(c.log, "qemu: "+l)
		if c.quietStderr != nil {
			c.quietStderr.WriteString(l + "\n")
		} else {
			fmt.Fprintln(os.Stderr, "qemu: "+l)
		}
	}}
	if c.interactive {
		cmd.Stdin = os.Stdin
		cmd.Stdout = io.MultiWriter(os.Stdout, out)
	} else {
		cmd.Stdout = out
	}
	cmd.Stderr = errw
	st.t0 = time.Now()
	err := cmd.Run()
	out.flush()
	errw.flush()
	if ctx.Err() != nil {
		if parent.Err() != nil {
			return errInterrupted
		}
		return context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("qemu-system-x86_64: %w", err)
	}
	return nil
}
