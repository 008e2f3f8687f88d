// Command vmtest runs Go test packages inside a throwaway QEMU virtual
// machine booted with Debian 12's stock 6.1 kernel, so that tests needing a
// kernel feature this host lacks (SCTP) run against the real kernel
// implementation.
//
//	go run ./internal/vmtest [flags] [PKG...]
//
// It installs QEMU through apt when missing, fetches the newest
// linux-image-6.1.0-*-amd64-unsigned and busybox-static packages with
// apt-get download into a cache, builds each package's test binary static
// (CGO_ENABLED=0 go test -c), packs them with busybox, the sctp kernel
// module and its dependencies into an initramfs, boots it and reports the
// result of every test binary. See README.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "vmtest: "+format+"\n", a...)
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

type options struct {
	cacheDir    string
	workDir     string
	keep        bool
	run         string
	testArgs    string
	timeout     time.Duration
	testTimeout time.Duration
	mem, smp    int
	accel       string
	kernelPkg   string
	data        listFlag
	bins        listFlag
	env         listFlag
	modules     string
	testdata    bool
	gzip        bool
	shell       bool
	appendArgs  string
	bzImage     bool
	race        bool
}

func main() {
	var o options
	flag.StringVar(&o.cacheDir, "cache", defaultCacheDir(), "cache `dir` for the downloaded kernel and busybox packages")
	flag.StringVar(&o.workDir, "workdir", "", "build the image in this `dir` and keep it (default: a temporary directory, removed afterwards)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (test binaries, initramfs, console.log, run-qemu.sh)")
	flag.StringVar(&o.run, "run", "", "run only tests matching `regexp` (passed as -test.run)")
	flag.StringVar(&o.testArgs, "args", "", "extra space-separated `flags` for every test binary, e.g. \"-test.short -test.count=2\"")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "overall limit from boot to power-off; QEMU is killed after it")
	flag.DurationVar(&o.testTimeout, "test-timeout", 5*time.Minute, "-test.timeout of each test binary (0: none)")
	flag.IntVar(&o.mem, "mem", 1024, "VM memory in `MiB`")
	flag.IntVar(&o.smp, "smp", 2, "VM CPUs")
	flag.StringVar(&o.accel, "accel", "auto", "QEMU accelerator: auto (KVM if /dev/kvm works, else TCG), kvm or tcg")
	flag.StringVar(&o.kernelPkg, "kernel-pkg", "", "kernel `package` to use (default: newest linux-image-6.1.0-*-amd64-unsigned apt knows)")
	flag.Var(&o.bins, "bin", "copy a dynamically linked host executable `PATH` into the VM at the same path, with every shared library ldd lists (repeatable)")
	flag.Var(&o.data, "data", "copy host file or directory `SRC[=DST]` into the VM (repeatable); relative DST is under the module root /src, no DST mirrors SRC's place in the module")
	flag.Var(&o.env, "env", "set `KEY=VALUE` in the tests' environment (repeatable)")
	flag.StringVar(&o.modules, "modules", "", "extra kernel `modules` to load, comma-separated (with their dependencies)")
	flag.BoolVar(&o.testdata, "testdata", true, "copy each package's testdata directory into the VM")
	flag.BoolVar(&o.gzip, "gzip", true, "gzip the initramfs")
	flag.BoolVar(&o.shell, "shell", false, "after the tests, drop into an interactive busybox shell on the console (no timeout)")
	flag.StringVar(&o.appendArgs, "append", "", "extra kernel command line `args`")
	flag.BoolVar(&o.race, "race", false, "build the test binaries with the race detector (cgo, linked statically; needs gcc)")
	flag.BoolVar(&o.bzImage, "bzimage", false, "boot the compressed bzImage instead of the extracted uncompressed kernel (about 6 s slower under TCG)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./internal/vmtest [flags] [PKG...]\n\n"+
			"Runs the tests of each Go package inside a QEMU VM with Debian's 6.1 kernel and\n"+
			"kernel SCTP. Default PKG: ./internal/vmtest/sctpsmoke.\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, o, flag.Args())
	stop()
	if err != nil {
		logf("FAIL: %v", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// goList returns "go list" facts about the packages matching patterns.
type goPkg struct {
	importPath, dir, modDir string
	nTests                  int
}

func goList(patterns []string) ([]goPkg, error) {
	args := append([]string{"list", "-f",
		"{{.ImportPath}}\t{{.Dir}}\t{{with .Module}}{{.Dir}}{{end}}\t{{len .TestGoFiles}}\t{{len .XTestGoFiles}}"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", strings.Join(patterns, " "), err)
	}
	var pkgs []goPkg
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 5 {
			continue
		}
		var a, b int
		fmt.Sscan(f[3], &a)
		fmt.Sscan(f[4], &b)
		pkgs = append(pkgs, goPkg{importPath: f[0], dir: f[1], modDir: f[2], nTests: a + b})
	}
	return pkgs, nil
}

func moduleRoot() (path, dir string, err error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Path}}\t{{.Dir}}").Output()
	if err != nil {
		return "", "", fmt.Errorf("go list -m: %w (run inside the breakwater module)", err)
	}
	path, dir, _ = strings.Cut(strings.TrimSpace(string(out)), "\t")
	return path, dir, nil
}

// buildTests compiles one static test binary per package into dir.
func buildTests(pkgs []goPkg, modDir, dir string, race bool) ([]testBinary, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var bins []testBinary
	used := map[string]bool{}
	for _, p := range pkgs {
		if p.nTests == 0 {
			logf("skipping %s: no test files", p.importPath)
			continue
		}
		rel, err := filepath.Rel(modDir, p.dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("%s is outside the main module", p.importPath)
		}
		name := strings.ReplaceAll(filepath.ToSlash(rel), "/", "-")
		if name == "." {
			name = filepath.Base(modDir)
		}
		for base, i := name, 2; used[name]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		used[name] = true
		out := filepath.Join(dir, name+".test")
		logf("building test binary for %s", p.importPath)
		// The VM has no libc: the binaries must be static.
		args := []string{"test", "-c", "-o", out}
		env := append(os.Environ(), "GOOS=linux", "GOARCH=amd64")
		if race {
			// The race runtime needs cgo; the pure-Go resolver and user
			// lookups keep glibc's NSS out of the static binary.
			args = append(args, "-race", "-tags=netgo,osusergo", "-ldflags=-linkmode=external -extldflags=-static")
			env = append(env, "CGO_ENABLED=1")
		} else {
			env = append(env, "CGO_ENABLED=0")
		}
		cmd := exec.Command("go", append(args, p.importPath)...)
		cmd.Env = env
		cmd.Stdout = os.Stderr
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building the test binary of %s failed: %w", p.importPath, err)
		}
		if _, err := os.Stat(out); err != nil {
			return nil, fmt.Errorf("go test -c %s produced no binary", p.importPath)
		}
		bins = append(bins, testBinary{importPath: p.importPath, name: name, hostPath: out, relDir: filepath.ToSlash(rel)})
	}
	if len(bins) == 0 {
		return nil, errors.New("no package with tests to run")
	}
	return bins, nil
}

// parseData turns -data flags into copies; SRC is relative to the current
// directory.
func parseData(specs []string, modDir string) ([]dataSpec, error) {
	var ds []dataSpec
	for _, s := range specs {
		src, dst, _ := strings.Cut(s, "=")
		abs, err := filepath.Abs(src)
		if err != nil {
			return nil, err
		}
		if _, err := os.Lstat(abs); err != nil {
			return nil, fmt.Errorf("-data %s: %w", s, err)
		}
		switch {
		case dst == "":
			if rel, err := filepath.Rel(modDir, abs); err == nil && !strings.HasPrefix(rel, "..") {
				dst = filepath.ToSlash(filepath.Join(vmSrcRoot, rel))
			} else {
				dst = "/data/" + filepath.Base(abs)
			}
		case !strings.HasPrefix(dst, "/"):
			dst = vmSrcRoot + "/" + dst
		}
		ds = append(ds, dataSpec{src: abs, dst: dst})
	}
	return ds, nil
}

// binaryData is the -bin PATH copies: the executable at its own path and
// each shared library `ldd PATH` lists (the dynamic loader included) at the
// path ldd gives, symbolic links resolved to the files they name. The VM
// then runs the host's dynamically linked program (osmo-stp, say) as it
// is.
func binaryData(path string) ([]dataSpec, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("-bin %s: %w", path, err)
	}
	out, err := exec.Command("ldd", real).Output()
	if err != nil {
		return nil, fmt.Errorf("-bin %s: ldd: %w (a static binary needs no -bin: use -data)", path, err)
	}
	ds := []dataSpec{{src: real, dst: abs}}
	for _, line := range strings.Split(string(out), "\n") {
		// "libx.so.1 => /lib/x86_64-linux-gnu/libx.so.1 (0x...)" or
		// "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
		f := strings.Fields(line)
		var lib string
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			lib = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			lib = f[0]
		default:
			continue
		}
		file, err := filepath.EvalSymlinks(lib)
		if err != nil {
			return nil, fmt.Errorf("-bin %s: %s: %w", path, lib, err)
		}
		ds = append(ds, dataSpec{src: file, dst: lib})
	}
	return ds, nil
}

func run(ctx context.Context, o options, patterns []string) (int, error) {
	modPath, modDir, err := moduleRoot()
	if err != nil {
		return 2, err
	}
	if len(patterns) == 0 {
		patterns = []string{modPath + "/internal/vmtest/sctpsmoke"}
	}
	for _, e := range o.env {
		if !strings.Contains(e, "=") {
			return 2, fmt.Errorf("-env %q: want KEY=VALUE", e)
		}
	}
	data, err := parseData(o.data, modDir)
	if err != nil {
		return 2, err
	}
	for _, b := range o.bins {
		ds, err := binaryData(b)
		if err != nil {
			return 2, err
		}
		data = append(data, ds...)
	}
	accels, err := accelPlan(o.accel)
	if err != nil {
		return 2, err
	}
	var modRoots []string
	modRoots = append(modRoots, defaultModules...)
	for _, m := range strings.Split(o.modules, ",") {
		if m = strings.TrimSpace(m); m != "" {
			modRoots = append(modRoots, m)
		}
	}

	// Work directory.
	work := o.workDir
	if work == "" {
		if work, err = os.MkdirTemp("", "breakwater-vmtest-"); err != nil {
			return 2, err
		}
		if !o.keep {
			defer os.RemoveAll(work)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return 2, err
	}

	pkgs, err := goList(patterns)
	if err != nil {
		return 2, err
	}
	if o.race {
		if err := ensureCommand("gcc", "gcc"); err != nil {
			return 2, err
		}
	}
	// Fetch the VM's parts while the test binaries build.
	vmch := make(chan vmParts, 1)
	go func() { vmch <- fetchVMParts(o, modRoots) }()
	bins, err := buildTests(pkgs, modDir, filepath.Join(work, "tests"), o.race)
	vp := <-vmch
	if err != nil {
		return 2, err
	}
	if vp.err != nil {
		return 2, vp.err
	}
	k, bbDir, mods := vp.k, vp.bbDir, vp.mods
	if o.testdata {
		for _, b := range bins {
			td := filepath.Join(modDir, filepath.FromSlash(b.relDir), "testdata")
			if st, err := os.Stat(td); err == nil && st.IsDir() {
				data = append(data, dataSpec{src: td, dst: vmSrcRoot + "/" + b.relDir + "/testdata"})
			}
		}
	}

	// Image.
	var testArgs []string
	if o.run != "" {
		testArgs = append(testArgs, "-test.run="+o.run)
	}
	if o.testTimeout > 0 {
		testArgs = append(testArgs, "-test.timeout="+o.testTimeout.String())
	}
	testArgs = append(testArgs, strings.Fields(o.testArgs)...)
	im, err := buildImage(filepath.Join(bbDir, "bin", "busybox"), mods, bins, data,
		initOptions{testArgs: testArgs, shell: o.shell, extraEnv: o.env})
	if err != nil {
		return 2, err
	}
	initrd := filepath.Join(work, "initramfs.cpio")
	if o.gzip {
		initrd += ".gz"
	}
	if err := im.writeFile(initrd, o.gzip); err != nil {
		return 2, fmt.Errorf("writing the initramfs: %w", err)
	}
	if st, err := os.Stat(initrd); err == nil {
		names := make([]string, len(mods))
		for i, m := range mods {
			names[i] = m.name
		}
		logf("initramfs %s: %.1f MiB, modules %s", initrd, float64(st.Size())/(1<<20), strings.Join(names, " "))
	}

	// Boot.
	logFile, err := os.Create(filepath.Join(work, "console.log"))
	if err != nil {
		return 2, err
	}
	defer logFile.Close()
	kernelImage := k.vmlinuz
	if k.vmlinux != "" && !o.bzImage {
		kernelImage = k.vmlinux
	}
	vc := vmConfig{kernel: kernelImage, initrd: initrd, memMB: o.mem, smp: o.smp, accel: accels[len(accels)-1],
		appendArgs: o.appendArgs, timeout: o.timeout, interactive: o.shell, log: logFile, stdout: os.Stdout}
	_ = os.WriteFile(filepath.Join(work, "run-qemu.sh"),
		[]byte("#!/bin/sh\n# Boots the test VM interactively (quit: Ctrl-A x).\nexec qemu-system-x86_64 "+shellJoin(qemuArgs(vc))+"\n"), 0o755)
	names := make([]string, len(bins))
	for i, b := range bins {
		names[i] = b.name
	}
	var st *consoleState
	var bootErr error
	for i, accel := range accels {
		vc.accel = accel
		vc.initDeadline, vc.quietStderr = 0, nil
		last := i == len(accels)-1
		var qemuStderr bytes.Buffer
		if !last {
			vc.initDeadline, vc.quietStderr = kvmInitDeadline, &qemuStderr
		}
		st = newConsoleState(k.release, names)
		logf("booting (%s): qemu-system-x86_64 %s", accel, shellJoin(qemuArgs(vc)))
		bootErr = boot(ctx, vc, st)
		if last || st.initSeen() || errors.Is(bootErr, errInterrupted) {
			break
		}
		logf("%s did not boot the VM (%v; %s); retrying with %s",
			accel, bootErr, strings.ReplaceAll(strings.TrimSpace(qemuStderr.String()), "\n", " | "), accels[i+1])
	}
	elapsed := time.Since(st.t0)
	if o.keep || o.workDir != "" {
		logf("work directory kept: %s (console.log, run-qemu.sh)", work)
	}
	return report(st, bins, vc.accel, o.shell, bootErr, elapsed, o.timeout)
}

// kvmInitDeadline is how long a KVM boot may take to reach /init before
// it is given up for TCG; a working KVM gets there in about a second.
const kvmInitDeadline = 30 * time.Second

// vmParts is what the VM is made of, besides the tests.
type vmParts struct {
	k     *kernel
	bbDir string
	mods  []*kmod
	err   error
}

// fetchVMParts installs QEMU if needed and gets the kernel, its modules
// and busybox from the cache or through apt.
func fetchVMParts(o options, modRoots []string) (vp vmParts) {
	if vp.err = ensureHostTools(); vp.err != nil {
		return vp
	}
	c := &cache{dir: o.cacheDir}
	unlock, err := c.lock()
	if err != nil {
		vp.err = fmt.Errorf("locking cache %s: %w", c.dir, err)
		return vp
	}
	defer unlock()
	if vp.k, vp.err = c.fetchKernel(o.kernelPkg); vp.err != nil {
		return vp
	}
	if !o.bzImage {
		if err := vp.k.ensureVmlinux(); err != nil {
			logf("%v; booting the bzImage", err)
		}
	}
	var bbVer string
	if vp.bbDir, bbVer, vp.err = c.fetchPackage("busybox-static", nil); vp.err != nil {
		return vp
	}
	logf("kernel %s %s (%s), busybox-static %s, cache %s", vp.k.pkg, vp.k.version, vp.k.release, bbVer, c.dir)
	vp.mods, vp.err = resolveModules(vp.k.modDir, modRoots)
	return vp
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// report prints the per-package summary and decides the exit status.
func report(st *consoleState, bins []testBinary, accel string, shell bool, bootErr error, elapsed, timeout time.Duration) (int, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	var problems []string
	switch {
	case errors.Is(bootErr, errTimeout):
		problems = append(problems, fmt.Sprintf("timeout: the VM was still running after %v and was killed", timeout))
	case errors.Is(bootErr, errInterrupted):
		problems = append(problems, "interrupted: the VM was killed")
	case bootErr != nil:
		problems = append(problems, bootErr.Error())
	}
	if st.panicLine != "" {
		problems = append(problems, "kernel panic: "+st.panicLine)
	}
	if st.setupFail != "" {
		problems = append(problems, "VM setup failed: "+st.setupFail)
	}
	if st.initAt == 0 && st.panicLine == "" {
		problems = append(problems, "the VM's /init never started (see the console output above)")
	}

	fmt.Println()
	accel = map[string]string{"tcg": "TCG (software emulation)", "kvm": "KVM"}[accel]
	fmt.Printf("vmtest: kernel %s, %s; init reached after %.1fs, power-off after %.1fs\n",
		st.kernelRel, accel, st.initAt.Seconds(), elapsed.Seconds())
	var passed, failed, skipped int
	for _, b := range bins {
		r := st.results[b.name]
		status := "PASS"
		detail := fmt.Sprintf("%d passed, %d failed, %d skipped, %.1fs", r.passed, r.failed, r.skipped, r.stop-r.start)
		switch {
		case !r.begun:
			status, detail = "FAIL", "did not run"
			problems = append(problems, b.importPath+" did not run")
		case !r.ended:
			status, detail = "FAIL", "no exit marker: the test binary or the VM died"
			problems = append(problems, b.importPath+": no exit marker")
		case r.exit != 0:
			status = "FAIL"
			detail = fmt.Sprintf("exit %d; %s", r.exit, detail)
			problems = append(problems, fmt.Sprintf("%s exited %d", b.importPath, r.exit))
		}
		passed += r.passed
		failed += r.failed
		skipped += r.skipped
		fmt.Printf("vmtest: %s  %s  (%s)\n", status, b.importPath, detail)
	}
	if !st.done && len(problems) == 0 {
		problems = append(problems, "the VM powered off without the end marker")
	}
	if len(problems) == 0 && failed > 0 {
		problems = append(problems, fmt.Sprintf("%d tests failed", failed))
	}
	if len(problems) == 0 && passed == 0 && !shell {
		problems = append(problems, "no test passed in the VM (all skipped or none matched)")
	}
	for _, b := range bins {
		for _, f := range st.results[b.name].failures {
			fmt.Printf("vmtest: failure in %s:\n%s\n", b.importPath, f)
		}
	}
	fmt.Printf("vmtest: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if len(problems) > 0 {
		return 1, errors.New(strings.Join(problems, "; "))
	}
	return 0, nil
}
