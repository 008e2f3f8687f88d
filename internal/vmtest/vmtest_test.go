package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type newcEntry struct {
	name        string
	mode        uint32
	rdevMaj     uint32
	rdevMin     uint32
	data        string
	headerStart int
}

// readNewc is an independent newc reader for the tests.
func readNewc(t *testing.T, b []byte) []newcEntry {
	t.Helper()
	var es []newcEntry
	off := 0
	align := func() {
		if r := off % 4; r != 0 {
			off += 4 - r
		}
	}
	for {
		if off+110 > len(b) {
			t.Fatalf("truncated header at %d", off)
		}
		h := b[off : off+110]
		if string(h[:6]) != "070701" {
			t.Fatalf("bad magic %q at %d", h[:6], off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("field %d at %d: %v", i, off, err)
			}
			return uint32(v)
		}
		e := newcEntry{mode: field(1), rdevMaj: field(9), rdevMin: field(10), headerStart: off}
		size, nameSize := int(field(6)), int(field(11))
		if field(2) != 0 || field(3) != 0 || field(5) != 0 {
			t.Errorf("uid/gid/mtime not zero at %d", off)
		}
		off += 110
		e.name = string(b[off : off+nameSize-1])
		if b[off+nameSize-1] != 0 {
			t.Fatalf("name of %q not NUL-terminated", e.name)
		}
		off += nameSize
		align()
		e.data = string(b[off : off+size])
		off += size
		align()
		if e.name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return es
		}
		es = append(es, e)
	}
}

func TestNewcImage(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "bin.test")
	if err := os.WriteFile(host, []byte("ELF-ish test binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "sub", "a.txt"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/a.txt", filepath.Join(tree, "link")); err != nil {
		t.Fatal(err)
	}

	build := func() []byte {
		im := newImage()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(im.addBytes("init", []byte("#!/bin/sh\n"), 0o755))
		must(im.addHostFile("/tests/x.test", host, 0o755))
		must(im.addSymlink("bin/sh", "busybox"))
		must(im.addCharDev("dev/console", 0o600, 5, 1))
		must(im.addHostTree("src/testvectors", tree))
		var buf bytes.Buffer
		must(im.writeNewc(&buf))
		return buf.Bytes()
	}
	b := build()
	if !bytes.Equal(b, build()) {
		t.Fatal("two builds of the same image differ")
	}
	es := readNewc(t, b)
	var names []string
	byName := map[string]newcEntry{}
	for _, e := range es {
		names = append(names, e.name)
		byName[e.name] = e
		if e.headerStart%4 != 0 {
			t.Errorf("%s: header at unaligned offset %d", e.name, e.headerStart)
		}
	}
	want := []string{"bin", "bin/sh", "dev", "dev/console", "init", "src", "src/testvectors",
		"src/testvectors/link", "src/testvectors/sub", "src/testvectors/sub/a.txt", "tests", "tests/x.test"}
	if !slices.Equal(names, want) {
		t.Fatalf("entries\n%q\nwant\n%q", names, want)
	}
	check := func(name string, mode uint32, data string) {
		t.Helper()
		e := byName[name]
		if e.mode != mode || e.data != data {
			t.Errorf("%s: mode %o data %q, want %o %q", name, e.mode, e.data, mode, data)
		}
	}
	check("bin", 0o40755, "")
	check("bin/sh", 0o120777, "busybox")
	check("tests/x.test", 0o100755, "ELF-ish test binary")
	check("src/testvectors/sub/a.txt", 0o100644, "abc")
	check("src/testvectors/link", 0o120777, "sub/a.txt")
	if c := byName["dev/console"]; c.mode != 0o20600 || c.rdevMaj != 5 || c.rdevMin != 1 {
		t.Errorf("dev/console: mode %o rdev %d:%d", c.mode, c.rdevMaj, c.rdevMin)
	}

	// The gzip'd file decompresses to the same archive.
	gz := filepath.Join(dir, "initramfs.cpio.gz")
	im := newImage()
	if err := im.addBytes("init", []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := im.writeFile(gz, true); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if es := readNewc(t, raw); len(es) != 1 || es[0].name != "init" || es[0].data != "x" {
		t.Fatalf("gzip'd image holds %+v", es)
	}
}

func TestImageFileAsDirectory(t *testing.T) {
	im := newImage()
	if err := im.addBytes("a", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := im.addBytes("a/b", nil, 0o644); err == nil {
		t.Fatal("adding a/b under the file a succeeded")
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"-test.run=^Foo$":  `'-test.run=^Foo$'`,
		"it's":             `'it'\''s'`,
		"":                 "''",
		"/src/a-b/c_d.txt": "/src/a-b/c_d.txt",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
		if _, err := exec.LookPath("sh"); err == nil {
			out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(in)).Output()
			if err != nil || string(out) != in {
				t.Errorf("sh printf %s = %q, %v; want %q", shellQuote(in), out, err, in)
			}
		}
	}
}

func TestInitScript(t *testing.T) {
	s := initScript(initOptions{
		modules:  []string{"crc32c_generic", "libcrc32c", "sctp"},
		tests:    []testBinary{{name: "firewall-transport", relDir: "firewall/transport"}},
		testArgs: []string{"-test.run=^TestA|B$"},
		extraEnv: []string{"FOO=a b"},
	})
	for _, want := range []string{
		"#!/bin/sh\n",
		"mount -t devtmpfs devtmpfs /dev",
		"insmod /lib/modules/vmtest/crc32c_generic.ko || fail",
		"ip addr add 127.1.0.1/8 dev lo",
		"export BREAKWATER_VMTEST=1",
		"export FOO='a b'",
		"echo === VMTEST BEGIN firewall-transport",
		"(cd /src/firewall/transport && exec /tests/firewall-transport.test -test.v '-test.run=^TestA|B$') </dev/null 2>&1",
		"echo === VMTEST END firewall-transport EXIT $rc",
		"echo === VMTEST DONE\npoweroff -f",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("init script lacks %q:\n%s", want, s)
		}
	}
	a, b, c := strings.Index(s, "crc32c_generic.ko"), strings.Index(s, "libcrc32c.ko"), strings.Index(s, "sctp.ko")
	if a >= b || b >= c {
		t.Error("modules are not loaded in the given order")
	}
	if strings.Contains(s, "cttyhack") {
		t.Error("shell started without -shell")
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		if out, err := exec.Command(sh, "-n", "-c", s).CombinedOutput(); err != nil {
			t.Errorf("sh -n: %v\n%s", err, out)
		}
	}
}

func TestConsoleState(t *testing.T) {
	st := newConsoleState("6.1.0-0-amd64", []string{"a", "b", "c"})
	for _, l := range []string{
		"SeaBIOS (version x)",
		"Booting from ROM..=== VMTEST INIT kernel 6.1.0-56-amd64 uptime 3.1",
		"=== VMTEST BEGIN a",
		"=== RUN   TestX",
		"--- PASS: TestX (0.01s)",
		"    --- PASS: TestX/sub (0.00s)",
		"--- SKIP: TestY (0.00s)",
		"=== RUN   TestZ",
		"=== RUN   TestZ/sub",
		"    z_test.go:12: answer never came",
		"    --- FAIL: TestZ/sub (0.00s)",
		"--- FAIL: TestZ (0.00s)",
		"FAIL",
		"partial line=== VMTEST END a EXIT 1 START 3.5 STOP 4.0",
		"=== VMTEST BEGIN b",
		"--- PASS: TestB (0.01s)",
		"=== VMTEST END b EXIT 0 START 4.0 STOP 4.5",
		"=== VMTEST BEGIN c",
		"[    5.0] Kernel panic - not syncing: Attempted to kill init!",
	} {
		st.line(l)
	}
	if st.kernelRel != "6.1.0-56-amd64" || st.initAt == 0 {
		t.Errorf("init: kernel %q at %v", st.kernelRel, st.initAt)
	}
	a, b, c := st.results["a"], st.results["b"], st.results["c"]
	if !a.ended || a.exit != 1 || a.passed != 1 || a.skipped != 1 || a.failed != 1 || a.stop-a.start != 0.5 {
		t.Errorf("a: %+v", a)
	}
	if want := "=== RUN   TestZ\n=== RUN   TestZ/sub\n    z_test.go:12: answer never came\n    --- FAIL: TestZ/sub (0.00s)"; len(a.failures) != 1 || a.failures[0] != want {
		t.Errorf("a's failure context: %q, want one: %q", a.failures, want)
	}
	if !b.ended || b.exit != 0 || b.passed != 1 {
		t.Errorf("b: %+v", b)
	}
	if !c.begun || c.ended {
		t.Errorf("c: %+v", c)
	}
	if st.panicLine != "Kernel panic - not syncing: Attempted to kill init!" || st.done {
		t.Errorf("panic %q done %v", st.panicLine, st.done)
	}
	code, err := report(st, []testBinary{{importPath: "x/a", name: "a"}, {importPath: "x/b", name: "b"}, {importPath: "x/c", name: "c"}}, "tcg", false, nil, 0, 0)
	if code == 0 || err == nil || !strings.Contains(err.Error(), "kernel panic") || !strings.Contains(err.Error(), "x/a exited 1") {
		t.Errorf("report: %d %v", code, err)
	}
}

func TestReportSuccess(t *testing.T) {
	st := newConsoleState("r", []string{"a"})
	for _, l := range []string{"=== VMTEST INIT kernel r", "=== VMTEST BEGIN a", "--- PASS: T (0s)",
		"=== VMTEST END a EXIT 0 START 1 STOP 2", "=== VMTEST DONE"} {
		st.line(l)
	}
	if code, err := report(st, []testBinary{{importPath: "x/a", name: "a"}}, "tcg", false, nil, 0, 0); code != 0 || err != nil {
		t.Fatalf("report: %d %v", code, err)
	}
	// Without the end marker the run is not a success.
	st.done = false
	if code, _ := report(st, []testBinary{{importPath: "x/a", name: "a"}}, "tcg", false, nil, 0, 0); code == 0 {
		t.Fatal("report without the end marker succeeded")
	}
}

func TestNormModName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/crypto/crc32c_generic.ko":      "crc32c_generic",
		"crc32c-intel.ko.xz":                   "crc32c_intel",
		"/x/net/sctp/sctp.ko.zst":              "sctp",
		"kernel/net/ipv6/ip6_udp_tunnel.ko.gz": "ip6_udp_tunnel",
		"ip6_udp_tunnel":                       "ip6_udp_tunnel",
	} {
		if got := normModName(in); got != want {
			t.Errorf("normModName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExtractVmlinux builds a minimal bzImage around a gzip payload.
func TestExtractVmlinux(t *testing.T) {
	if _, err := exec.LookPath("gzip"); err != nil {
		t.Skip("no gzip")
	}
	elf := append([]byte("\x7fELF"), bytes.Repeat([]byte("kernel"), 1000)...)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(elf)
	zw.Close()
	payload := binary.LittleEndian.AppendUint32(z.Bytes(), uint32(len(elf)))

	const setupSects = 3
	img := make([]byte, (setupSects+1)*512+100)
	img[0x1f1] = setupSects
	copy(img[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(img[0x206:], 0x20f)
	binary.LittleEndian.PutUint32(img[0x248:], 100)
	binary.LittleEndian.PutUint32(img[0x24c:], uint32(len(payload)))
	img = append(img, payload...)
	img = append(img, "trailing setup data"...)

	dir := t.TempDir()
	bz, out := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "vmlinux")
	if err := os.WriteFile(bz, img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := extractVmlinux(bz, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, elf) {
		t.Fatalf("extracted %d bytes (%v), want the %d-byte ELF", len(got), err, len(elf))
	}
	if err := extractVmlinux(out, out+"2"); err == nil {
		t.Fatal("extracting from a non-bzImage succeeded")
	}
}
