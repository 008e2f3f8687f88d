package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Host side: Debian packages through apt, and the package cache.

var aptUpdated bool

// rootCmd prefixes a command with sudo unless we already are root.
func rootCmd(args ...string) *exec.Cmd {
	if os.Geteuid() != 0 {
		args = append([]string{"sudo"}, args...)
	}
	return exec.Command(args[0], args[1:]...)
}

func aptGet(args ...string) error {
	full := append([]string{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q",
		"-o", "DPkg::Lock::Timeout=600"}, args...)
	cmd := rootCmd(full...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	return nil
}

// aptUpdate runs apt-get update at most once per run.
func aptUpdate() error {
	if aptUpdated {
		return nil
	}
	logf("running apt-get update")
	if err := aptGet("update"); err != nil {
		return err
	}
	aptUpdated = true
	clear(knownVersions)
	return nil
}

func aptInstall(pkgs ...string) error {
	logf("installing Debian packages: %s", strings.Join(pkgs, " "))
	if err := aptUpdate(); err != nil {
		return err
	}
	return aptGet(append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...)
}

// ensureCommand installs pkg when cmd is not on PATH.
func ensureCommand(cmd, pkg string) error {
	if _, err := exec.LookPath(cmd); err == nil {
		return nil
	}
	if err := aptInstall(pkg); err != nil {
		return fmt.Errorf("installing %s (for %s): %w", pkg, cmd, err)
	}
	if _, err := exec.LookPath(cmd); err != nil {
		return fmt.Errorf("%s still not found after installing %s", cmd, pkg)
	}
	return nil
}

// ensureHostTools makes sure everything the harness runs on the host is
// installed. dpkg and apt-get are part of every Debian system.
func ensureHostTools() error {
	for _, c := range []string{"apt-get", "apt-cache", "dpkg"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%s not found: the VM test harness needs a Debian (apt) host", c)
		}
	}
	return ensureCommand("qemu-system-x86_64", "qemu-system-x86")
}

// knownVersions memoizes candidate versions between apt-get updates: each
// apt-cache run costs about a second here.
var knownVersions = map[string]string{}

// candidateVersion is the version apt would install for pkg ("" if none).
func candidateVersion(pkg string) (string, error) {
	if v, ok := knownVersions[pkg]; ok {
		return v, nil
	}
	if err := lookupVersions(pkg); err != nil {
		return "", err
	}
	return knownVersions[pkg], nil
}

// lookupVersions asks apt-cache policy for the candidate versions of pkgs
// in one run.
func lookupVersions(pkgs ...string) error {
	out, err := exec.Command("apt-cache", append([]string{"policy"}, pkgs...)...).Output()
	if err != nil {
		return fmt.Errorf("apt-cache policy %s: %w", strings.Join(pkgs, " "), err)
	}
	for _, p := range pkgs {
		knownVersions[p] = ""
	}
	var cur string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := sc.Text()
		if name, ok := strings.CutSuffix(l, ":"); ok && !strings.HasPrefix(l, " ") {
			cur = name
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Candidate:"); ok && cur != "" {
			if v = strings.TrimSpace(v); v != "(none)" {
				knownVersions[cur] = v
			}
		}
	}
	return nil
}

// cache is the on-disk store of extracted Debian packages:
//
//	DIR/pkgs/NAME_VERSION/   the package tree as dpkg -x left it (pruned
//	                         for kernels), with a .complete marker
//	DIR/tmp/                 work space for downloads, renamed into place
type cache struct{ dir string }

func defaultCacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "breakwater-vmtest")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache", "breakwater-vmtest")
	}
	return filepath.Join(os.TempDir(), "breakwater-vmtest")
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9.+_-]`)

func (c *cache) pkgDir(name, version string) string {
	return filepath.Join(c.dir, "pkgs", name+"_"+unsafeChars.ReplaceAllString(version, "_"))
}

func (c *cache) complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".complete"))
	return err == nil
}

// lock takes an exclusive lock on the cache for the lifetime of the
// process step; concurrent runs wait for each other's downloads.
func (c *cache) lock() (unlock func(), err error) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(c.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// fetch returns the extracted tree of name=version, downloading it with
// apt-get download and unpacking it with dpkg -x on first use. prune, when
// set, is called on the extracted tree before it is moved into place.
func (c *cache) fetch(name, version string, prune func(root string) error) (string, error) {
	dir := c.pkgDir(name, version)
	if c.complete(dir) {
		return dir, nil
	}
	tmpRoot := filepath.Join(c.dir, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(tmpRoot, name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)

	logf("downloading %s=%s", name, version)
	args := []string{"-q"}
	if os.Geteuid() == 0 {
		// apt's _apt sandbox user cannot write into a root-owned cache.
		args = append(args, "-o", "APT::Sandbox::User=root")
	}
	args = append(args, "download", name+"="+version)
	cmd := exec.Command("apt-get", args...)
	cmd.Dir = tmp
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("apt-get download %s=%s: %w", name, version, err)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s=%s left %d .deb files", name, version, len(debs))
	}
	root := filepath.Join(tmp, "root")
	if out, err := exec.Command("dpkg", "-x", debs[0], root).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg -x %s: %w\n%s", debs[0], err, out)
	}
	if prune != nil {
		if err := prune(root); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(root, ".complete"), []byte(name+" "+version+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	_ = os.RemoveAll(dir) // an incomplete earlier attempt
	if err := os.Rename(root, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// fetchPackage resolves the candidate version of name and fetches it,
// running apt-get update once if the package lists do not know it or the
// download fails (stale lists).
func (c *cache) fetchPackage(name string, prune func(string) error) (dir, version string, err error) {
	for attempt := 0; attempt < 2; attempt++ {
		version, err = candidateVersion(name)
		if err == nil && version == "" {
			err = fmt.Errorf("apt knows no installable version of %s", name)
		}
		if err == nil {
			if dir, err = c.fetch(name, version, prune); err == nil {
				return dir, version, nil
			}
		}
		if aptUpdated {
			break
		}
		logf("%v; refreshing the package lists", err)
		if uerr := aptUpdate(); uerr != nil {
			return "", "", fmt.Errorf("%v (and apt-get update failed: %v)", err, uerr)
		}
	}
	// Offline fallback: any cached version of the package.
	if d, v := c.newestCached(name); d != "" {
		logf("%v; using cached %s %s", err, name, v)
		return d, v, nil
	}
	return "", "", err
}

// newestCached returns the most recently extracted complete cache entry of
// a package, if any.
func (c *cache) newestCached(name string) (dir, version string) {
	ms, _ := filepath.Glob(filepath.Join(c.dir, "pkgs", name+"_*"))
	var best string
	var bestT int64
	for _, m := range ms {
		st, err := os.Stat(filepath.Join(m, ".complete"))
		if err != nil {
			continue
		}
		if t := st.ModTime().UnixNano(); best == "" || t > bestT {
			best, bestT = m, t
		}
	}
	if best == "" {
		return "", ""
	}
	b, _ := os.ReadFile(filepath.Join(best, ".complete"))
	if f := strings.Fields(string(b)); len(f) == 2 {
		version = f[1]
	}
	return best, version
}

// kernelPkgRE matches the plain (not cloud, not rt) Debian 12 kernel image
// packages; the number is the kernel ABI, bumped by each security update.
var kernelPkgRE = regexp.MustCompile(`^linux-image-6\.1\.0-([0-9]+)-amd64-unsigned$`)

// kernelCandidates lists the kernel image packages apt knows, newest ABI
// first.
func kernelCandidates() ([]string, error) {
	out, err := exec.Command("apt-cache", "pkgnames", "linux-image-6.1.0-").Output()
	if err != nil {
		return nil, fmt.Errorf("apt-cache pkgnames: %w", err)
	}
	type cand struct {
		name string
		abi  int
	}
	var cs []cand
	for _, l := range strings.Split(string(out), "\n") {
		name := strings.TrimSpace(l)
		if m := kernelPkgRE.FindStringSubmatch(name); m != nil {
			abi, _ := strconv.Atoi(m[1])
			cs = append(cs, cand{name, abi})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].abi > cs[j].abi })
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	return names, nil
}

// kernel is an extracted kernel package.
type kernel struct {
	pkg, version string
	release      string // uname -r, e.g. 6.1.0-56-amd64
	vmlinuz      string // bzImage
	vmlinux      string // uncompressed ELF, after ensureVmlinux
	modDir       string // lib/modules/RELEASE
}

// pruneKernel drops everything but the kernel image and the module
// directories the VM can need (net, crypto, lib, arch): the full tree is
// about 400 MB, this is about 50 MB.
func pruneKernel(root string) error {
	mods, _ := filepath.Glob(filepath.Join(root, "lib", "modules", "*", "kernel"))
	if len(mods) != 1 {
		return fmt.Errorf("kernel package: expected one lib/modules/*/kernel, found %d", len(mods))
	}
	ents, err := os.ReadDir(mods[0])
	if err != nil {
		return err
	}
	keep := map[string]bool{"net": true, "crypto": true, "lib": true, "arch": true}
	for _, e := range ents {
		if !keep[e.Name()] {
			if err := os.RemoveAll(filepath.Join(mods[0], e.Name())); err != nil {
				return err
			}
		}
	}
	return os.RemoveAll(filepath.Join(root, "usr"))
}

func openKernel(dir, pkg, version string) (*kernel, error) {
	vms, _ := filepath.Glob(filepath.Join(dir, "boot", "vmlinuz-*"))
	if len(vms) != 1 {
		return nil, fmt.Errorf("%s: expected one boot/vmlinuz-*, found %d", dir, len(vms))
	}
	rel := strings.TrimPrefix(filepath.Base(vms[0]), "vmlinuz-")
	k := &kernel{pkg: pkg, version: version, release: rel, vmlinuz: vms[0],
		modDir: filepath.Join(dir, "lib", "modules", rel)}
	if _, err := os.Stat(k.modDir); err != nil {
		return nil, fmt.Errorf("kernel package %s: %w", pkg, err)
	}
	return k, nil
}

// fetchKernel picks the kernel package (pinned, or the newest ABI apt
// knows) and returns it extracted.
func (c *cache) fetchKernel(pinned string) (*kernel, error) {
	var names []string
	if pinned != "" {
		names = []string{pinned}
	} else {
		var err error
		names, err = kernelCandidates()
		if err == nil && len(names) == 0 {
			logf("apt knows no linux-image-6.1.0-*-amd64-unsigned package; refreshing the package lists")
			if err = aptUpdate(); err == nil {
				names, err = kernelCandidates()
			}
		}
		if err != nil || len(names) == 0 {
			if err == nil {
				err = errors.New("no linux-image-6.1.0-*-amd64-unsigned package in the apt lists")
			}
			if d, v, name := c.newestCachedKernel(); d != "" {
				logf("%v; using cached %s %s", err, name, v)
				return openKernel(d, name, v)
			}
			return nil, err
		}
	}
	// One apt-cache run for the versions of the kernels and busybox; a
	// kernel name apt lists without an installable version is skipped.
	if pinned == "" && lookupVersions(append(names, "busybox-static")...) == nil {
		names = slices.DeleteFunc(names, func(n string) bool { return knownVersions[n] == "" })
		if len(names) == 0 {
			return nil, errors.New("apt has no installable linux-image-6.1.0-*-amd64-unsigned package")
		}
	}
	var errs []error
	for i, name := range names {
		if i == 3 {
			break
		}
		dir, version, err := c.fetchPackage(name, pruneKernel)
		if err == nil {
			return openKernel(dir, name, version)
		}
		errs = append(errs, err)
		logf("kernel package %s unusable: %v", name, err)
	}
	return nil, fmt.Errorf("no kernel package could be fetched: %w", errors.Join(errs...))
}

func (c *cache) newestCachedKernel() (dir, version, name string) {
	ms, _ := filepath.Glob(filepath.Join(c.dir, "pkgs", "linux-image-6.1.0-*-amd64-unsigned_*"))
	bestABI := -1
	for _, m := range ms {
		if !c.complete(m) {
			continue
		}
		n, _, _ := strings.Cut(filepath.Base(m), "_")
		sm := kernelPkgRE.FindStringSubmatch(n)
		if sm == nil {
			continue
		}
		if abi, _ := strconv.Atoi(sm[1]); abi > bestABI {
			bestABI, dir, name = abi, m, n
		}
	}
	if dir != "" {
		b, _ := os.ReadFile(filepath.Join(dir, ".complete"))
		if f := strings.Fields(string(b)); len(f) == 2 {
			version = f[1]
		}
	}
	return dir, version, name
}

// extractVmlinux writes the uncompressed ELF kernel inside a bzImage to
// out. Under TCG the bzImage's own XZ decompressor takes about 6 s; QEMU
// boots the ELF directly through its PVH entry point (CONFIG_PVH) instead.
// The compressed payload is located through the x86 boot protocol header
// (payload_offset and payload_length, protocol 2.08+).
func extractVmlinux(bz, out string) error {
	b, err := os.ReadFile(bz)
	if err != nil {
		return err
	}
	if len(b) < 0x250 || string(b[0x202:0x206]) != "HdrS" {
		return fmt.Errorf("%s: not a bzImage", bz)
	}
	if v := binary.LittleEndian.Uint16(b[0x206:]); v < 0x208 {
		return fmt.Errorf("%s: boot protocol %#x has no payload fields", bz, v)
	}
	setupSects := int(b[0x1f1])
	if setupSects == 0 {
		setupSects = 4
	}
	off := (setupSects+1)*512 + int(binary.LittleEndian.Uint32(b[0x248:]))
	n := int(binary.LittleEndian.Uint32(b[0x24c:]))
	if off < 0 || n <= 0 || off+n > len(b) {
		return fmt.Errorf("%s: payload %d+%d outside the file", bz, off, n)
	}
	// The kernel build appends the uncompressed size (4 bytes, little
	// endian) to the compressed stream.
	payload, size := b[off:off+n-4], binary.LittleEndian.Uint32(b[off+n-4:])
	var cmd *exec.Cmd
	switch {
	case bytes.HasPrefix(payload, []byte("\xfd7zXZ\x00")):
		if err := ensureCommand("xz", "xz-utils"); err != nil {
			return err
		}
		cmd = exec.Command("xz", "-dc")
	case bytes.HasPrefix(payload, []byte("\x1f\x8b")):
		cmd = exec.Command("gzip", "-dc")
	case bytes.HasPrefix(payload, []byte("\x28\xb5\x2f\xfd")):
		if err := ensureCommand("zstd", "zstd"); err != nil {
			return err
		}
		cmd = exec.Command("zstd", "-dcq")
	default:
		return fmt.Errorf("%s: unknown kernel compression % x", bz, payload[:min(6, len(payload))])
	}
	cmd.Stdin = bytes.NewReader(payload)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	elfData, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: decompressing the kernel: %v %s", bz, err, stderr.String())
	}
	if !bytes.HasPrefix(elfData, []byte("\x7fELF")) || len(elfData) != int(size) {
		return fmt.Errorf("%s: the decompressed kernel is not an ELF image of %d bytes", bz, size)
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, elfData, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// ensureVmlinux gives k an uncompressed kernel next to its bzImage,
// extracting it once per cached kernel.
func (k *kernel) ensureVmlinux() error {
	out := filepath.Join(filepath.Dir(k.vmlinuz), "vmlinux-"+k.release)
	if _, err := os.Stat(out); err != nil {
		logf("extracting the uncompressed kernel from %s", filepath.Base(k.vmlinuz))
		if err := extractVmlinux(k.vmlinuz, out); err != nil {
			return err
		}
	}
	k.vmlinux = out
	return nil
}
