package replay

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"breakwater/firewall/pseudonym"
)

func replayerForTest(t *testing.T, out io.Writer) *Replayer {
	t.Helper()
	r, err := New(newTestEngine(t, everythingHome), Options{Format: FormatJSONL, Out: out, Pseudonyms: pseudonym.New([]byte("mmap-test-key-0123456789"))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A file replayed through its mapping gives what the same bytes give
// from memory, and is unmapped afterwards (the next file can be replayed).
func TestFileMappedMatchesBytes(t *testing.T) {
	path := filepath.Join("..", "..", "testvectors", "diameter", "scenarios.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fromFile, fromBytes bytes.Buffer
	rf := replayerForTest(t, &fromFile)
	if _, err := rf.Files(path, path); err != nil {
		t.Fatal(err)
	}
	rb := replayerForTest(t, &fromBytes)
	for range 2 {
		if err := rb.Bytes(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := rb.out.flush(); err != nil {
		t.Fatal(err)
	}
	if fromFile.Len() == 0 || fromFile.String() != fromBytes.String() {
		t.Fatalf("mapped replay gave %d bytes of output, from memory %d, or they differ", fromFile.Len(), fromBytes.Len())
	}
	if rf.mapped {
		t.Error("the replayer still marks a mapping")
	}
}

// A capture cut short by another program while mapped faults when read
// past its new end: the replay reports it as an error, it does not crash.
func TestMappedFileCutShort(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join("..", "..", "testvectors", "diameter", "scenarios.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sequential := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "cut.pcap")
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		data, unmap, ok := mapFile(f, int64(len(orig)))
		if !ok {
			t.Fatal("the capture could not be mapped")
		}
		if err := os.Truncate(path, 8192); err != nil {
			t.Fatal(err)
		}
		r := replayerForTest(t, io.Discard)
		r.sequential = sequential
		err = r.replayMapped(data)
		unmap()
		f.Close()
		if err == nil || !strings.Contains(err.Error(), "cut short") {
			t.Fatalf("sequential %v: replaying a truncated mapping: %v, want a cut-short error", sequential, err)
		}
		if r.mapped {
			t.Error("the replayer still marks a mapping")
		}
	}
}
