package replay

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"breakwater/firewall/pseudonym"
	"breakwater/protocols/capture"
	"breakwater/protocols/view"
)

// TestReplayModesAgree replays every capture at hand four ways — streamed
// or from memory, on one goroutine or pipelined on two — and checks that
// the records, the problems and the totals are the same byte for byte;
// and the same again with every fragmented datagram reassembled, even
// those wantDatagram lets the reader skip.
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
			run := func(sequential, inMemory, reassembleAll bool) result {
				var out, diag bytes.Buffer
				r, err := New(newTestEngine(t, string(cfg)), Options{Format: FormatJSONL, Out: &out, Diag: &diag,
					Pseudonyms: pseudonym.New([]byte("modes-key-0123456789"))})
				if err != nil {
					t.Fatal(err)
				}
				r.sequential = sequential
				r.reassembleAll = reassembleAll
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
			want := run(true, false, false)
			for _, mode := range []struct{ sequential, inMemory, reassembleAll bool }{
				{false, false, false}, {true, true, false}, {false, true, false}, {true, false, true}, {false, true, true},
			} {
				got := run(mode.sequential, mode.inMemory, mode.reassembleAll)
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

// TestWantDatagramCoversClassify checks that the capture reader is told to
// reassemble every fragmented datagram classify could find signaling in.
func TestWantDatagramCoversClassify(t *testing.T) {
	r, err := New(newTestEngine(t, everythingHome), Options{Format: FormatNone})
	if err != nil {
		t.Fatal(err)
	}
	payloads := [][]byte{
		nil,
		{0x48, 32, 0, 8, 0, 0, 0, 1, 0, 0, 1, 0}, // GTPv2-C Create Session Request
		{0x58, 32, 0, 8, 0, 0, 0, 1, 0, 0, 1, 0}, // the same with spare bits set
		{0x32, 16, 0, 4, 0, 0, 0, 1, 0, 1, 0, 0}, // GTPv1-C Create PDP Context Request
		{0x30, 255, 0, 4, 0, 0, 0, 1},            // GTPv1-U G-PDU
		{1, 0, 0, 20, 0x80, 0, 1, 16, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}, // Diameter
	}
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	classified := 0
	for _, tr := range []capture.Transport{capture.TransportUDP, capture.TransportTCP, capture.TransportSCTP} {
		for port := range 65536 {
			for _, other := range []uint16{40000, uint16(port)} {
				src, dst := netip.AddrPortFrom(a, other), netip.AddrPortFrom(b, uint16(port))
				for _, ppid := range []uint32{0, PPIDM3UA, PPIDDiameter, 47} {
					for _, data := range payloads {
						for _, m := range []capture.Message{
							{Transport: tr, Src: src, Dst: dst, PPID: ppid, Data: data},
							{Transport: tr, Src: dst, Dst: src, PPID: ppid, Data: data},
						} {
							if classify(&m) == view.ProtoUnknown {
								continue
							}
							classified++
							if !r.wantDatagram(m.Transport, m.Src, m.Dst) {
								t.Fatalf("%v %v -> %v PPID %d is classified %v but not wanted", tr, m.Src, m.Dst, ppid, classify(&m))
							}
						}
					}
				}
			}
		}
	}
	if classified == 0 {
		t.Fatal("nothing classified")
	}
	// GTP-U is what the skipping is for.
	if r.wantDatagram(capture.TransportUDP, netip.AddrPortFrom(a, 2152), netip.AddrPortFrom(b, 2152)) {
		t.Fatal("GTP-U wanted")
	}
}
