package replay

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"breakwater/firewall/pseudonym"
	"breakwater/protocols/capture"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// benchCapture is the largest Diameter capture in the shared folder.
var benchCapture = filepath.Join(sharedPcaps, "magma_gx_gy_combined_04_32ue.pcapng")

// BenchmarkReplay measures whole-pipeline replay from memory: capture
// decoding and reassembly, Diameter parsing, judging, and output, on the
// largest public capture (mostly GTP-U with Diameter between it).
func BenchmarkReplay(b *testing.B) {
	data, err := os.ReadFile(benchCapture)
	if err != nil {
		b.Skipf("capture not available: %v", err)
	}
	benchReplay(b, data, everythingHome)
}

// BenchmarkReplayStream is BenchmarkReplay/none reading the capture through
// an io.Reader (Replayer.Reader) instead of from memory (Replayer.Bytes).
func BenchmarkReplayStream(b *testing.B) {
	data, err := os.ReadFile(benchCapture)
	if err != nil {
		b.Skipf("capture not available: %v", err)
	}
	r := benchReplayer(b, everythingHome, FormatNone)
	replayLoop(b, r, len(data), func() error { return r.Reader(bytes.NewReader(data)) })
}

// BenchmarkReplayVectors replays the crafted capture, where every packet is
// Diameter: the per-message cost of the whole pipeline.
func BenchmarkReplayVectors(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testvectors", "diameter", "scenarios.pcap"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join("..", "..", "testvectors", "config.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	benchReplay(b, data, string(cfg))
}

// BenchmarkReplayVectorsGTP replays the crafted GTP-C capture (S8 and Gp
// sessions, attacks, a few Diameter messages): the per-message cost of the
// whole pipeline for a GTP-C mix.
func BenchmarkReplayVectorsGTP(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testvectors", "gtp", "scenarios.pcap"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join("..", "..", "testvectors", "config.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	benchReplay(b, data, string(cfg))
}

func benchReplay(b *testing.B, data []byte, cfgYAML string) {
	for _, f := range []struct {
		name   string
		format Format
	}{{"none", FormatNone}, {"jsonl", FormatJSONL}, {"table", FormatTable}} {
		b.Run(f.name, func(b *testing.B) {
			r := benchReplayer(b, cfgYAML, f.format)
			replayLoop(b, r, len(data), func() error { return r.Bytes(data) })
		})
	}
}

// TestReplaySteadyStateAllocations replays the same capture repeatedly and
// checks that allocations do not grow with the number of messages: what a
// replay allocates is per file (reader set-up), not per message.
func TestReplaySteadyStateAllocations(t *testing.T) {
	data, err := os.ReadFile(benchCapture)
	if err != nil {
		t.Skipf("capture not available: %v", err)
	}
	for _, mode := range []string{"stream", "memory", "sequential"} {
		t.Run(mode, func(t *testing.T) {
			e := newTestEngine(t, everythingHome)
			r, err := New(e, Options{Format: FormatJSONL, Out: io.Discard, Pseudonyms: pseudonym.New([]byte("bench-key-0123456789"))})
			if err != nil {
				t.Fatal(err)
			}
			r.sequential = mode == "sequential"
			replay := func() {
				if mode == "stream" {
					r.Reader(bytes.NewReader(data))
				} else {
					r.Bytes(data)
				}
			}
			replay() // warm up tables and buffers
			before := r.Summary().Messages
			allocs := testing.AllocsPerRun(3, replay)
			perFile := r.Summary().Messages - before
			msgs := float64(perFile) / 4 // AllocsPerRun runs once more as warm-up
			t.Logf("%.0f allocations per replay of %.0f messages (%.3f per message)", allocs, msgs, allocs/msgs)
			if allocs/msgs > 0.1 {
				t.Errorf("%.0f allocations for %.0f messages: replay allocates per message", allocs, msgs)
			}
		})
	}
}

// BenchmarkReplaySequential is BenchmarkReplay/none on one goroutine: the
// cost of the whole pipeline on one core.
func BenchmarkReplaySequential(b *testing.B) {
	data, err := os.ReadFile(benchCapture)
	if err != nil {
		b.Skipf("capture not available: %v", err)
	}
	r := benchReplayer(b, everythingHome, FormatNone)
	r.sequential = true
	replayLoop(b, r, len(data), func() error { return r.Bytes(data) })
}

// BenchmarkReplayDiameterDecode decodes the Diameter messages of the
// BenchmarkReplay capture, taken out of it beforehand: the cost of
// diameter.Decode alone on real Gx/Gy traffic (33 AVPs a message, a third
// of them nested), for comparison with the whole pipeline.
func BenchmarkReplayDiameterDecode(b *testing.B) {
	data, err := os.ReadFile(benchCapture)
	if err != nil {
		b.Skipf("capture not available: %v", err)
	}
	rd, err := capture.NewReaderBytes(data, capture.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var msgs [][]byte
	for {
		m, err := rd.Next()
		var p *capture.Problem
		if errors.As(err, &p) {
			continue
		}
		if err != nil {
			break
		}
		if m.PPID == PPIDDiameter {
			msgs = append(msgs, m.Data)
		}
	}
	if len(msgs) == 0 {
		b.Fatal("no Diameter message in the capture")
	}
	var v view.Message
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			if diameter.Decode(m, &v) != nil {
				b.Fatalf("a message does not decode: %s", v.Malformed)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs)), "ns/msg")
}

// benchReplayer is a Replayer writing format to nowhere.
func benchReplayer(b *testing.B, cfgYAML string, format Format) *Replayer {
	r, err := New(newTestEngine(b, cfgYAML), Options{Format: format, Out: io.Discard, Pseudonyms: pseudonym.New([]byte("bench-key-0123456789"))})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// replayLoop runs replay (of a capture of size bytes) b.N times and
// reports the messages replayed per second and per run.
func replayLoop(b *testing.B, r *Replayer, size int, replay func() error) {
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		if err := replay(); err != nil {
			b.Fatal(err)
		}
	}
	msgs := float64(r.Summary().Messages)
	b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(msgs/float64(b.N), "msgs/op")
}
