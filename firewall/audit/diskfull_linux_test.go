package audit

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"breakwater/firewall/rules"
)

// TestDiskFull runs the log on a real, tiny file system (a 64 KiB tmpfs;
// the test needs CAP_SYS_ADMIN and skips without it) and fills it: writes
// fail with ENOSPC, the batch that no longer fits leaves only whole lines
// behind, Record keeps returning, and once space is freed the log writes
// again and says so.
func TestDiskFull(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root / CAP_SYS_ADMIN): %v", err)
	}
	// Registered before the log's Close, so it runs after it.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})

	c := newClock()
	var g gate
	logs := &captureHandler{}
	path := filepath.Join(dir, "audit.log")
	l := openTest(t, Config{Path: path, Log: slog.New(logs)}, hooks{take: g.hook, now: c.now})

	// One line first: the file then owns a partly used page, which is
	// where the next batch's first lines still fit.
	l.Record(diameterMsg(t, 0), verdict(rules.Drop), "dra")
	waitFor(t, "the first line", func() bool { return l.Stats().Written == 1 })

	filler := filepath.Join(dir, "filler")
	fill(t, filler)

	// A batch of 40 lines (about 18 KiB) written at once.
	g.shut()
	for i := 1; i <= 40; i++ {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	g.open()
	waitFor(t, "41 records", func() bool { return accounted(l.Stats()) == 41 })
	s := l.Stats()
	if s.WriteErrors == 0 || s.Lost == 0 || s.Dropped != 0 {
		t.Fatalf("stats on a full disk: %+v, want errors and lost records", s)
	}
	// The first lines of the batch filled the page the file already had:
	// the write was partial, and its cut-off line must be gone.
	if s.Written < 2 {
		t.Fatalf("stats %+v: no line of the batch was written, so the partial write was not exercised", s)
	}
	t.Logf("full disk: %+v", s)
	if n := uint64(len(readLines(t, path))); n != s.Written {
		t.Fatalf("%d whole lines in the file, %d counted as written", n, s.Written)
	}
	if logs.count(slog.LevelError) != 1 {
		t.Fatalf("%d error lines, want 1", logs.count(slog.LevelError))
	}

	// Still full: more records are lost, counted, and Record returns.
	for i := 41; i <= 50; i++ {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	waitFor(t, "51 records", func() bool { return accounted(l.Stats()) == 51 })
	lostWhileFull := l.Stats().Lost

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// Writing works again less than logEvery after the error line: the
	// rate limit holds the recovery line back, and the next write after
	// the limit says it (it is not lost).
	l.Record(diameterMsg(t, 51), verdict(rules.Drop), "dra")
	waitFor(t, "52 records", func() bool { return accounted(l.Stats()) == 52 })
	if r, ok := logs.last(slog.LevelInfo); ok && r.Message == "audit log: writing again" {
		t.Fatal("recovery logged within logEvery of the error line")
	}
	c.advance(2 * logEvery)
	for i := 52; i <= 60; i++ {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s = l.Stats()
	if s.Lost != lostWhileFull || accounted(s) != 61 {
		t.Fatalf("stats after space was freed: %+v, want the last 10 written", s)
	}
	lines := readLines(t, path)
	if uint64(len(lines)) != s.Written {
		t.Fatalf("%d lines in the file, %d counted as written", len(lines), s.Written)
	}
	if tx := lines[len(lines)-1]["transaction"]; tx == nil || tx.(interface{ String() string }).String() != "60" {
		t.Fatalf("last line %v, want transaction 60", lines[len(lines)-1])
	}
	if r, ok := logs.last(slog.LevelInfo); !ok || r.Message != "audit log: writing again" {
		t.Fatalf("recovery not logged: %v", r.Message)
	}
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1024)
	for range 1 << 10 {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the file system: %v", err)
			}
			return
		}
	}
	t.Fatal("the 64 KiB file system did not fill up")
}
