package replay

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"breakwater/firewall/pseudonym"
	"breakwater/protocols/view"
)

// TestReplayModesAgree replays every capture at hand four ways — streamed
// or from memory, on one goroutine or pipelined on two — and checks that
// the records, the problems and the totals are the same byte for byte.
func TestReplayModesAgree(t *testing.T) {
	var files []string
	for _, pat := range []string{
		filepath.Join(sharedPcaps, "*.pcap*"), filepath.Join(sharedPcaps, "*.cap"),
		filepath.Join("..", "..", "testvectors", "*", "*.pcap"),
	} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no captures")
	}
	cfg, err := os.ReadFile(filepath.Join("..", "..", "testvectors", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			type result struct {
				out, diag string
				sum       string
			}
			run := func(sequential, inMemory bool) result {
				var out, diag bytes.Buffer
				r, err := New(newTestEngine(t, string(cfg)), Options{Format: FormatJSONL, Out: &out, Diag: &diag,
					Pseudonyms: pseudonym.New([]byte("modes-key-0123456789"))})
				if err != nil {
					t.Fatal(err)
				}
				r.sequential = sequential
				var frames []int
				r.onFrame = func(f int, _ *view.Message) { frames = append(frames, f) }
				// Twice: the second replay reuses batches and buffers.
				for range 2 {
					if inMemory {
						err = r.Bytes(data)
					} else {
						err = r.Reader(bytes.NewReader(data))
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				r.out.flush()
				s := r.Summary()
				sum := fmt.Sprintf("%d %d %d %d %v %v %v %v", s.Packets, s.Messages, s.Problems, s.Malformed,
					s.Verdicts, s.Rules, s.ProblemLayers, frames)
				if len(s.RuleInfo) != len(s.Rules) {
					t.Fatalf("RuleInfo %d entries, Rules %d", len(s.RuleInfo), len(s.Rules))
				}
				for id, rule := range s.RuleInfo {
					if rule.ID != id {
						t.Fatalf("RuleInfo[%q] is rule %q", id, rule.ID)
					}
				}
				return result{out.String(), diag.String(), sum}
			}
			want := run(true, false)
			for _, mode := range []struct{ sequential, inMemory bool }{{false, false}, {true, true}, {false, true}} {
				got := run(mode.sequential, mode.inMemory)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%+v differs from a sequential streamed replay:\nsum  %s\nwant %s\nout %d bytes, want %d; diag %d bytes, want %d",
						mode, got.sum, want.sum, len(got.out), len(want.out), len(got.diag), len(want.diag))
				}
			}
		})
	}
}

// TestReplayReaderPanicReachesCaller checks that a panic while reading the
// capture (here in a TCP framer) is raised in the caller's goroutine, as
// without the pipeline, and that the Replayer still works afterwards.
func TestReplayReaderPanicReachesCaller(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedPcaps, "diameter_ndpi_tcp_gy_ccr.pcap"))
	if err != nil {
		t.Skipf("capture not available: %v", err)
	}
	r, err := New(newTestEngine(t, everythingHome), Options{Format: FormatNone})
	if err != nil {
		t.Fatal(err)
	}
	framer := r.framer
	r.framer = func(b []byte) (int, error) { panic("framer bug") }
	func() {
		defer func() {
			if p := recover(); p != "framer bug" {
				t.Fatalf("recovered %v", p)
			}
		}()
		r.Bytes(data)
		t.Fatal("no panic")
	}()
	r.framer = framer
	before := r.Summary().Messages
	if err := r.Bytes(data); err != nil || r.Summary().Messages-before != 6 {
		t.Fatalf("after the panic: %v, %d messages", err, r.Summary().Messages-before)
	}
}
