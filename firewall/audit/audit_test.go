package audit

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"breakwater/firewall/engine"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

func TestBlockedOnly(t *testing.T) {
	l := openTest(t, Config{}, hooks{})
	if l.Wants(verdict(rules.Allow)) {
		t.Error("Wants an allowed message without All")
	}
	for _, a := range []rules.Action{rules.Drop, rules.Reject, 0} {
		if !l.Wants(&engine.Verdict{Action: a}) {
			t.Errorf("does not want action %v", a)
		}
	}
	l.Record(diameterMsg(t, 1), verdict(rules.Allow), "dra")
	l.Record(diameterMsg(t, 2), verdict(rules.Drop), "dra")
	l.Record(diameterMsg(t, 3), verdict(rules.Allow), "dra")
	l.Record(diameterMsg(t, 4), verdict(rules.Reject), "dra")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, l.Path())
	var got []string
	for _, m := range lines {
		got = append(got, fmt.Sprint(m["transaction"], " ", m["verdict"]))
	}
	if want := []string{"2 drop", "4 reject"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("lines %v, want %v", got, want)
	}
	if s := l.Stats(); s.Written != 2 || s.Dropped != 0 || s.Lost != 0 || s.WriteErrors != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestAll(t *testing.T) {
	l := openTest(t, Config{All: true}, hooks{})
	if !l.Wants(verdict(rules.Allow)) {
		t.Error("does not want an allowed message with All")
	}
	for i, a := range []rules.Action{rules.Allow, rules.Drop, rules.Allow, rules.Reject} {
		l.Record(diameterMsg(t, uint64(i)), verdict(a), "dra")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range readLines(t, l.Path()) {
		got = append(got, fmt.Sprint(m["verdict"], "/", m["rule"]))
	}
	want := []string{"allow/default", "drop/dia.cat1.idr-location", "allow/default", "reject/map.cat2.ati"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("lines %v, want %v", got, want)
	}
}

// TestPseudonyms checks that identities are written only as pseudonyms by
// default: stable under one key, different under another, and the clear
// digits nowhere in the file.
func TestPseudonyms(t *testing.T) {
	write := func(key string) (lines []map[string]any, raw []byte) {
		l := openTest(t, Config{Hasher: pseudonym.New([]byte(key))}, hooks{})
		l.Record(diameterMsg(t, 1), verdict(rules.Drop), "dra")
		l.Record(diameterMsg(t, 2), verdict(rules.Drop), "dra")
		other := diameterMsg(t, 3)
		setDigits(t, &other.IMSI, "262017777999999")
		l.Record(other, verdict(rules.Drop), "dra")
		l.Record(mapMsg(t), verdict(rules.Reject), "stp")
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(l.Path())
		if err != nil {
			t.Fatal(err)
		}
		return decodeLines(t, l.Path(), raw), raw
	}
	a, rawA := write(testKey)
	b, rawB := write("a different key, 32 bytes long!!")

	for _, raw := range [][]byte{rawA, rawB} {
		for _, id := range []string{testIMSI, testMSISDN, "262017777999999"} {
			if bytes.Contains(raw, []byte(id)) {
				t.Fatalf("clear identity %s in the file:\n%s", id, raw)
			}
		}
	}
	for _, m := range append(a, b...) {
		if _, ok := m["imsi"]; ok {
			t.Fatalf("clear imsi field without ClearIdentities: %v", m)
		}
		if _, ok := m["msisdn"]; ok {
			t.Fatalf("clear msisdn field without ClearIdentities: %v", m)
		}
	}
	h := pseudonym.New([]byte(testKey))
	wantIMSI, wantMSISDN := h.String("imsi", []byte(testIMSI)), h.String("msisdn", []byte(testMSISDN))
	if a[0]["imsi_pseudonym"] != wantIMSI || a[0]["msisdn_pseudonym"] != wantMSISDN {
		t.Fatalf("pseudonyms %v %v, want %s %s", a[0]["imsi_pseudonym"], a[0]["msisdn_pseudonym"], wantIMSI, wantMSISDN)
	}
	if a[1]["imsi_pseudonym"] != a[0]["imsi_pseudonym"] {
		t.Fatal("same IMSI, same key, different pseudonyms")
	}
	if a[2]["imsi_pseudonym"] == a[0]["imsi_pseudonym"] {
		t.Fatal("different IMSIs share a pseudonym")
	}
	if a[3]["msisdn_pseudonym"] != wantMSISDN {
		t.Fatal("the MSISDN of a MAP message has another pseudonym than in Diameter")
	}
	if _, ok := a[3]["imsi_pseudonym"]; ok {
		t.Fatal("pseudonym written for an absent IMSI")
	}
	if b[0]["imsi_pseudonym"] == a[0]["imsi_pseudonym"] || b[0]["msisdn_pseudonym"] == a[0]["msisdn_pseudonym"] {
		t.Fatal("different keys give the same pseudonym")
	}
	for _, p := range []any{a[0]["imsi_pseudonym"], b[0]["msisdn_pseudonym"]} {
		if s, _ := p.(string); len(s) != 16 || strings.Trim(s, "0123456789abcdef") != "" {
			t.Fatalf("pseudonym %v is not 16 hex digits", p)
		}
	}
}

// TestHasherCloned: the log clones the caller's Hasher, so the caller can
// keep using it from its own goroutine (-race would see sharing).
func TestHasherCloned(t *testing.T) {
	h := pseudonym.New([]byte(testKey))
	l := openTest(t, Config{Hasher: h}, hooks{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 200 {
			h.String("imsi", []byte(testIMSI))
		}
	})
	for i := range 200 {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestClearIdentities(t *testing.T) {
	l := openTest(t, Config{ClearIdentities: true}, hooks{})
	l.Record(diameterMsg(t, 1), verdict(rules.Drop), "dra")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, l.Path())
	if len(lines) != 1 {
		t.Fatalf("%d lines", len(lines))
	}
	m := lines[0]
	if m["imsi"] != testIMSI || m["msisdn"] != testMSISDN {
		t.Fatalf("clear identities missing: %v", m)
	}
	for _, k := range []string{"imsi_pseudonym", "msisdn_pseudonym"} {
		if _, ok := m[k]; ok {
			t.Fatalf("%s written next to the clear identity: %v", k, m)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	h := pseudonym.New([]byte(testKey))
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no path", Config{Hasher: h}, "no path"},
		{"no key", Config{Path: filepath.Join(dir, "a")}, "pseudonym key"},
		{"no directory", Config{Path: filepath.Join(dir, "missing", "a"), Hasher: h}, "create its directory"},
		{"directory", Config{Path: dir, Hasher: h}, "cannot open"},
		{"negative size", Config{Path: filepath.Join(dir, "a"), Hasher: h, MaxBytes: -1}, "too small"},
		{"size in the wrong unit", Config{Path: filepath.Join(dir, "a"), Hasher: h, MaxBytes: 100}, "at least 4096"},
		{"keep", Config{Path: filepath.Join(dir, "a"), Hasher: h, Keep: -1}, "keep"},
		{"queue", Config{Path: filepath.Join(dir, "a"), Hasher: h, QueueLen: MaxQueueLen + 1}, "queue length"},
	} {
		l, err := Open(c.cfg)
		if err == nil {
			l.Close()
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
	}
	if _, err := Open(Config{Path: filepath.Join(dir, "a")}); !errors.Is(err, pseudonym.ErrNoKey) {
		t.Errorf("missing key error %v does not wrap pseudonym.ErrNoKey", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Error("a rejected configuration created the file")
	}
}

func TestFileMode(t *testing.T) {
	l := openTest(t, Config{}, hooks{})
	fi, err := os.Stat(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("audit log created with mode %v, want no access for others", fi.Mode().Perm())
	}
}

// TestNilSafety: odd inputs must neither panic nor write garbage.
func TestNilSafety(t *testing.T) {
	var none *Log
	none.Record(diameterMsg(t, 1), verdict(rules.Drop), "dra")
	if none.Wants(verdict(rules.Drop)) || none.Stats() != (Stats{}) || none.Close() != nil || none.Path() != "" {
		t.Fatal("nil Log is not inert")
	}

	l := openTest(t, Config{}, hooks{})
	l.Record(nil, verdict(rules.Drop), "dra")
	l.Record(diameterMsg(t, 1), nil, "dra")
	// A zero verdict (no rule, no sender, a policy without rules) and a
	// message without time or addresses.
	l.Record(&view.Message{}, &engine.Verdict{Policy: &engine.Policy{}}, "")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, l.Path())
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1", len(lines))
	}
	m := lines[0]
	if m["verdict"] != "unknown" || m["rule"] != "" || m["policy"] != "" || m["partner"] != "unknown" || m["direction"] != "unknown" {
		t.Fatalf("zero verdict line: %v", m)
	}
	if _, ok := m["src"]; ok {
		t.Fatalf("src written for an unknown address: %v", m)
	}
	ts, err := time.Parse(time.RFC3339Nano, m["time"].(string))
	if err != nil || ts.Year() < 2020 {
		t.Fatalf("a message without time got time %v (%v), want the time it was recorded", m["time"], err)
	}
}

// TestQueueFull stalls the writer, fills the queue and checks that Record
// still returns, counting what it cannot queue, and that what was queued
// is written once the writer moves again.
func TestQueueFull(t *testing.T) {
	var g gate
	g.shut()
	l := openTest(t, Config{QueueLen: 4}, hooks{take: g.hook})
	l.Record(diameterMsg(t, 0), verdict(rules.Drop), "dra")
	waitFor(t, "the writer to stall on the first record", func() bool { return g.waiting.Load() == 1 })

	returned := make(chan struct{})
	go func() {
		for i := 1; i < 10; i++ {
			l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
		}
		close(returned)
	}()
	// A blocking Record never returns while the gate is shut: the wait
	// below would time out and fail.
	waitFor(t, "Record to return with the writer stalled", func() bool {
		select {
		case <-returned:
			return true
		default:
			return false
		}
	})
	if s := l.Stats(); s.Dropped != 5 || s.QueueDepth != 4 || s.Written != 0 {
		t.Fatalf("stats with a stalled writer: %+v, want 5 dropped, 4 queued", s)
	}
	g.open()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s := l.Stats()
	if s.Written != 5 || s.Dropped != 5 || s.QueueDepth != 0 {
		t.Fatalf("stats after close: %+v, want 5 written, 5 dropped", s)
	}
	if n := len(readLines(t, l.Path())); n != 5 {
		t.Fatalf("%d lines, want 5", n)
	}
	// After Close, records are counted, not queued.
	l.Record(diameterMsg(t, 11), verdict(rules.Drop), "dra")
	if s := l.Stats(); s.Dropped != 6 {
		t.Fatalf("record after Close: %+v", s)
	}
}

// TestCloseDrains: what is queued when Close is called is written.
func TestCloseDrains(t *testing.T) {
	var g gate
	g.shut()
	l := openTest(t, Config{QueueLen: 1000}, hooks{take: g.hook})
	for i := range 500 {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	g.open()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.Written != 500 || s.Dropped != 0 || s.Lost != 0 {
		t.Fatalf("stats %+v, want 500 written", s)
	}
	lines := readLines(t, l.Path())
	if len(lines) != 500 || lines[499]["transaction"].(fmt.Stringer).String() != "499" {
		t.Fatalf("%d lines, last %v", len(lines), lines[len(lines)-1])
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestCloseGivesUp: a writer that cannot finish (stuck) does not hold
// Close for ever; what it could not write is accounted for.
func TestCloseGivesUp(t *testing.T) {
	var g gate
	g.shut()
	l := openTest(t, Config{QueueLen: 100}, hooks{take: g.hook, drainTimeout: time.Millisecond})
	for i := range 50 {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	err := l.Close()
	if err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("Close with a stuck writer: %v", err)
	}
	g.open()
	waitFor(t, "the writer to stop", func() bool { return l.stopped.Load() })
	s := l.Stats()
	if accounted(s) != 50 || s.QueueDepth != 0 || s.Dropped == 0 {
		t.Fatalf("stats %+v: want all 50 records accounted for, some dropped", s)
	}
	if n := uint64(len(readLines(t, l.Path()))); n != s.Written {
		t.Fatalf("%d lines, %d counted as written", n, s.Written)
	}
}

// TestConcurrent records from 8 goroutines through a small queue (so that
// some records are dropped) and checks that every record is accounted for
// and every line is whole.
func TestConcurrent(t *testing.T) {
	l := openTest(t, Config{All: true, QueueLen: 256}, hooks{})
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			m := diameterMsg(t, 0)
			actions := []rules.Action{rules.Allow, rules.Drop, rules.Reject}
			for i := range each {
				m.Transaction = uint64(w*each + i)
				l.Record(m, verdict(actions[i%3]), "dra")
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s := l.Stats()
	if accounted(s) != workers*each || s.Lost != 0 || s.WriteErrors != 0 {
		t.Fatalf("stats %+v: want %d records accounted for, none lost", s, workers*each)
	}
	lines := readLines(t, l.Path())
	if uint64(len(lines)) != s.Written {
		t.Fatalf("%d lines, %d counted as written", len(lines), s.Written)
	}
	seen := map[string]bool{}
	for _, m := range lines {
		tx := m["transaction"].(fmt.Stringer).String()
		if seen[tx] {
			t.Fatalf("transaction %s written twice", tx)
		}
		seen[tx] = true
	}
}

// TestRecordDoesNotAllocate measures Record on its three paths: queued,
// refused (queue full) and not wanted.
func TestRecordDoesNotAllocate(t *testing.T) {
	var g gate
	g.shut()
	l := openTest(t, Config{QueueLen: 1024}, hooks{take: g.hook})
	defer g.open()
	m := diameterMsg(t, 1)
	v, allow := verdict(rules.Drop), verdict(rules.Allow)
	if n := testing.AllocsPerRun(500, func() { l.Record(m, v, "dra") }); n != 0 {
		t.Errorf("queued Record allocates %v times", n)
	}
	if l.Stats().Dropped != 0 {
		t.Fatal("the queued path dropped records; the measurement is wrong")
	}
	for l.Stats().Dropped == 0 {
		l.Record(m, v, "dra")
	}
	if n := testing.AllocsPerRun(500, func() { l.Record(m, v, "dra") }); n != 0 {
		t.Errorf("Record on a full queue allocates %v times", n)
	}
	if n := testing.AllocsPerRun(500, func() { l.Record(m, allow, "dra") }); n != 0 {
		t.Errorf("Record of an unwanted message allocates %v times", n)
	}
}

// TestRecordCopies: the entry must not alias the caller's message, which
// is reused for the next message as soon as Record returns.
func TestRecordCopies(t *testing.T) {
	var g gate
	g.shut()
	l := openTest(t, Config{ClearIdentities: true}, hooks{take: g.hook})
	m := diameterMsg(t, 1)
	l.Record(m, verdict(rules.Drop), "dra")
	m.Reset()
	setDigits(t, &m.IMSI, "999999999999999")
	g.open()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, l.Path())
	if len(lines) != 1 || lines[0]["imsi"] != testIMSI {
		t.Fatalf("line changed with the reused message: %v", lines)
	}
}

func TestRotation(t *testing.T) {
	const maxBytes, keep, records = MinMaxBytes, 3, 60
	l := openTest(t, Config{MaxBytes: maxBytes, Keep: keep}, hooks{})
	for i := range records {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s := l.Stats()
	if s.Written != records || s.Rotations < keep+1 || s.WriteErrors != 0 {
		t.Fatalf("stats %+v: want %d written, more than %d rotations", s, records, keep)
	}
	if _, err := os.Stat(l.Path() + fmt.Sprint(".", keep+1)); !os.IsNotExist(err) {
		t.Fatalf("more than %d rotated files kept (%v)", keep, err)
	}
	// Oldest first: path.3, path.2, path.1, path. Transactions must
	// increase without gaps through them and end with the last record.
	var txs []int
	for i := keep; i >= 0; i-- {
		p := l.Path()
		if i > 0 {
			p += fmt.Sprint(".", i)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > maxBytes {
			t.Fatalf("%s has %d bytes, more than the maximum %d", p, fi.Size(), maxBytes)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s has mode %v", p, fi.Mode().Perm())
		}
		lines := readLines(t, p)
		if len(lines) == 0 {
			t.Fatalf("%s is empty", p)
		}
		for _, m := range lines {
			var tx int
			fmt.Sscan(m["transaction"].(fmt.Stringer).String(), &tx)
			txs = append(txs, tx)
		}
	}
	for i := 1; i < len(txs); i++ {
		if txs[i] != txs[i-1]+1 {
			t.Fatalf("transactions across the rotated files are not consecutive: %v", txs)
		}
	}
	if txs[len(txs)-1] != records-1 {
		t.Fatalf("the newest record is not last in %s: %v", l.Path(), txs)
	}
}

// TestRotationFails: when the rename chain cannot be completed, nothing
// is overwritten or lost, the file grows on, the error is logged once, and
// rotation is retried later.
func TestRotationFails(t *testing.T) {
	c := newClock()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	// The chain starts by renaming path.2 onto path.3, here a non-empty
	// directory: it fails, and path.1 must then not be renamed onto path.2.
	if err := os.MkdirAll(filepath.Join(path+".3", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	for i, s := range []string{"", "{\"old\":1}\n", "{\"old\":2}\n"} {
		if i > 0 {
			if err := os.WriteFile(fmt.Sprint(path, ".", i), []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	logs := &captureHandler{}
	// 20 lines take the file past MinMaxBytes about half way.
	l := openTest(t, Config{Path: path, MaxBytes: MinMaxBytes, Keep: 3, Log: slog.New(logs)}, hooks{now: c.now})
	for i := range 20 {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	waitFor(t, "20 records", func() bool { return accounted(l.Stats()) == 20 })
	s := l.Stats()
	if s.Written != 20 || s.Rotations != 0 || s.WriteErrors != 1 {
		t.Fatalf("stats %+v: want 20 written, no rotation, one error (retried only after a second)", s)
	}
	if n := logs.count(slog.LevelError); n != 1 {
		t.Fatalf("%d error lines logged, want 1", n)
	}
	if r, _ := logs.last(slog.LevelError); !strings.Contains(r.Message, "cannot rotate "+path) {
		t.Fatalf("error line %q does not say what failed where", r.Message)
	}
	for i, want := range []string{"", "{\"old\":1}\n", "{\"old\":2}\n"} {
		if i > 0 {
			if b, _ := os.ReadFile(fmt.Sprint(path, ".", i)); string(b) != want {
				t.Fatalf("%s.%d was overwritten: %q", path, i, b)
			}
		}
	}
	if n := len(readLines(t, path)); n != 20 {
		t.Fatalf("%d lines in %s, want 20", n, path)
	}
	if fi, _ := os.Stat(path); fi.Size() <= MinMaxBytes {
		t.Fatalf("%s has %d bytes: the test did not reach the rotation", path, fi.Size())
	}

	if err := os.RemoveAll(path + ".3"); err != nil {
		t.Fatal(err)
	}
	c.advance(2 * rotateRetry)
	l.Record(diameterMsg(t, 20), verdict(rules.Drop), "dra")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.Rotations != 1 || s.Written != 21 {
		t.Fatalf("stats after the obstacle went: %+v, want one rotation", s)
	}
	for _, f := range []struct {
		suffix string
		lines  int
	}{{"", 1}, {".1", 20}, {".2", 1}, {".3", 1}} {
		if n := len(readLines(t, path+f.suffix)); n != f.lines {
			t.Fatalf("%d lines in %s%s, want %d", n, path, f.suffix, f.lines)
		}
	}
	if b, _ := os.ReadFile(path + ".3"); string(b) != "{\"old\":2}\n" {
		t.Fatalf("%s.3 holds %q, want the oldest file", path, b)
	}
}

// TestExternalRotation: when someone else renames or removes the file, the
// writer notices within checkEvery and writes to a new file at Path.
func TestExternalRotation(t *testing.T) {
	c := newClock()
	l := openTest(t, Config{}, hooks{now: c.now})
	l.Record(diameterMsg(t, 1), verdict(rules.Drop), "dra")
	waitFor(t, "the first line", func() bool { return l.Stats().Written == 1 })
	if err := os.Rename(l.Path(), l.Path()+".old"); err != nil {
		t.Fatal(err)
	}
	c.advance(2 * checkEvery)
	l.Record(diameterMsg(t, 2), verdict(rules.Drop), "dra")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(readLines(t, l.Path()+".old")); n != 1 {
		t.Fatalf("%d lines in the renamed file, want 1", n)
	}
	lines := readLines(t, l.Path())
	if len(lines) != 1 || lines[0]["transaction"].(fmt.Stringer).String() != "2" {
		t.Fatalf("new file: %v", lines)
	}
}

// TestPartialLineAtOpen: a file ending in a partial line (a crash during
// a write) gets a newline before the first new line, which stays whole.
func TestPartialLineAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte("{\"whole\":1}\n{\"cut\":"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := openTest(t, Config{Path: path}, hooks{})
	l.Record(diameterMsg(t, 1), verdict(rules.Drop), "dra")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	parts := strings.SplitN(string(b), "\n", 3)
	if len(parts) != 3 || parts[1] != "{\"cut\":" {
		t.Fatalf("file:\n%s", b)
	}
	decodeLines(t, path, []byte(parts[2]))
}

// TestDeviceFull writes to /dev/full (every write fails with ENOSPC): the
// errors are counted and logged once a second, the records counted as
// lost, and Record keeps returning. A path that is not a regular file is
// never rotated.
func TestDeviceFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full:", err)
	}
	c := newClock()
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.Symlink("/dev/full", path); err != nil {
		t.Fatal(err)
	}
	logs := &captureHandler{}
	l := openTest(t, Config{Path: path, MaxBytes: MinMaxBytes, Log: slog.New(logs)}, hooks{now: c.now})
	for i := range 20 {
		l.Record(diameterMsg(t, uint64(i)), verdict(rules.Drop), "dra")
	}
	waitFor(t, "20 records", func() bool { return accounted(l.Stats()) == 20 })
	s := l.Stats()
	if s.Lost != 20 || s.Written != 0 || s.WriteErrors == 0 || s.Rotations != 0 {
		t.Fatalf("stats %+v: want 20 lost, errors counted, no rotation", s)
	}
	if n := logs.count(slog.LevelError); n != 1 {
		t.Fatalf("%d error lines in the same second, want 1", n)
	}
	r, _ := logs.last(slog.LevelError)
	if !strings.Contains(r.Message, path) || !strings.Contains(r.Message, "free space") {
		t.Fatalf("error line does not say where and what to do: %q", r.Message)
	}

	c.advance(2 * logEvery)
	l.Record(diameterMsg(t, 20), verdict(rules.Drop), "dra")
	waitFor(t, "21 records", func() bool { return accounted(l.Stats()) == 21 })
	if n := logs.count(slog.LevelError); n != 2 {
		t.Fatalf("%d error lines after a second, want 2", n)
	}
	r, _ = logs.last(slog.LevelError)
	if v, ok := attr(r, "errors_not_logged"); !ok || v.Int64() != int64(l.Stats().WriteErrors)-2 {
		t.Fatalf("second error line does not count the errors not logged: %v (%d errors)", v, l.Stats().WriteErrors)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was rotated away: %v %v", fi, err)
	}
}

// TestEntrySize guards the queue's memory as documented at MaxQueueLen
// (about 300 bytes an entry, 20 MB for the default queue).
func TestEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(entry{}); n > 320 {
		t.Fatalf("an entry takes %d bytes; update the memory figures at MaxQueueLen", n)
	} else {
		t.Logf("entry: %d bytes, default queue: %.1f MB", n, float64(n)*DefaultQueueLen/1e6)
	}
}
