package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

type record struct {
	data  string
	ts    time.Time
	link  uint32
	iface int
}

// pcapgoRecords reads a well-formed capture with gopacket's pcapgo, the
// reference for the records the capture package's own reader returns.
func pcapgoRecords(t *testing.T, file []byte) []record {
	t.Helper()
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var linkOf func(ci *gopacket.CaptureInfo) (link uint32, iface int)
	if binary.BigEndian.Uint32(file) == magicPcapng {
		r, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatal(err)
		}
		src = r
		linkOf = func(ci *gopacket.CaptureInfo) (uint32, int) {
			return uint32(ci.AncillaryData[0].(layers.LinkType)), ci.InterfaceIndex
		}
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		src = r
		linkOf = func(*gopacket.CaptureInfo) (uint32, int) { return uint32(r.LinkType()), 0 }
	}
	var recs []record
	for {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatal(err)
		}
		link, iface := linkOf(&ci)
		recs = append(recs, record{string(data), ci.Timestamp, link, iface})
	}
}

func sourceRecords(t *testing.T, src source) []record {
	t.Helper()
	var recs []record
	for {
		data, ts, link, iface, err := src.next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, record{string(data), ts.time(), link, iface})
	}
}

// TestSourceMatchesPcapgo reads every shared capture, and captures written
// by pcapgo, from memory and streamed (also one byte per read), and checks
// every record against pcapgo's.
func TestSourceMatchesPcapgo(t *testing.T) {
	files := map[string][]byte{}
	ents, _ := os.ReadDir(pcapDir())
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(pcapDir(), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	// Nanosecond pcap, and pcapng with several interfaces and resolutions.
	ts := time.Date(2024, 2, 3, 4, 5, 6, 789012345, time.UTC)
	var nano bytes.Buffer
	w := pcapgo.NewWriterNanos(&nano)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	var ng bytes.Buffer
	ngw, err := pcapgo.NewNgWriterInterface(&ng, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535, TimestampResolution: 9},
		pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ngw.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, SnapLength: 65535, TimestampResolution: 3})
	for i := range 50 {
		pkt := udpPacket4(fmt.Sprintf("packet %d %s", i, bytes.Repeat([]byte("x"), i*37)))
		at := ts.Add(time.Duration(i) * 1234567 * time.Nanosecond)
		ci := gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(pkt), Length: len(pkt)}
		w.WritePacket(ci, pkt)
		ngw.WritePacket(ci, pkt)
		ci.InterfaceIndex = raw
		ngw.WritePacket(ci, pkt[14:])
	}
	ngw.Flush()
	files["written nano pcap"] = nano.Bytes()
	files["written pcapng"] = ng.Bytes()
	if len(files) < 3 {
		t.Skip("no shared captures")
	}
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			want := pcapgoRecords(t, file)
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(file)
			zw.Close()
			for _, c := range []struct {
				name string
				rd   io.Reader
				mem  []byte
			}{
				{"memory", nil, file},
				{"stream", bytes.NewReader(file), nil},
				{"one byte per read", iotest.OneByteReader(bytes.NewReader(file)), nil},
				{"gzip in memory", nil, gz.Bytes()},
			} {
				src, err := openSource(c.rd, c.mem)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if got := sourceRecords(t, src); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: %d records differ from pcapgo's %d", c.name, len(got), len(want))
				}
			}
		})
	}
}

// TestReaderBytesMatchesReader checks that NewReaderBytes returns what
// NewReader does, message for message and problem for problem.
func TestReaderBytesMatchesReader(t *testing.T) {
	ents, _ := os.ReadDir(pcapDir())
	n := 0
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".md" {
			continue
		}
		file, err := os.ReadFile(filepath.Join(pcapDir(), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(e.Name(), func(t *testing.T) { compareReaders(t, file, Options{TCPFramer: diameterTCPFramer}) })
	}
	t.Run("small messages", func(t *testing.T) { compareReaders(t, smallMessagesCapture(100), Options{TCPFramer: allTCP}) })
	if n == 0 {
		t.Log("no shared captures")
	}
}

type readEvent struct {
	msg     Message
	data    string
	inInput bool
	prob    string
	err     string
}

// readAll reads r to the end (or a fatal error) and returns everything it
// said. Data is checked to stay valid for as long as InInput promises.
func readAll(t testing.TB, r *Reader, file []byte) []readEvent {
	var evs []readEvent
	var kept []readEvent // messages whose Data lies in the input
	for i := 0; ; i++ {
		if i > 16*len(file)+1000 {
			t.Fatal("Next does not terminate")
		}
		m, err := r.Next()
		if err != nil {
			var p *Problem
			if errors.As(err, &p) {
				evs = append(evs, readEvent{prob: p.Error()})
				continue
			}
			if err != io.EOF {
				evs = append(evs, readEvent{err: err.Error()})
			}
			break
		}
		ev := readEvent{data: string(m.Data), inInput: r.InInput(m.Data)}
		ev.msg, ev.msg.Data = m, nil
		if ev.inInput {
			ev.msg.Data = m.Data
			kept = append(kept, ev)
		}
		evs = append(evs, ev)
	}
	for _, ev := range kept {
		if string(ev.msg.Data) != ev.data {
			t.Fatalf("frame %d: data in the input changed after later calls to Next", ev.msg.Frame)
		}
	}
	for i := range evs {
		evs[i].msg.Data, evs[i].inInput = nil, false
	}
	return evs
}

func compareReaders(t testing.TB, file []byte, opts Options) {
	t.Helper()
	rs, errS := NewReader(bytes.NewReader(file), opts)
	rm, errM := NewReaderBytes(file, opts)
	if (errS == nil) != (errM == nil) || (errS != nil && errS.Error() != errM.Error()) {
		t.Fatalf("NewReader: %v; NewReaderBytes: %v", errS, errM)
	}
	if errS != nil {
		return
	}
	s, m := readAll(t, rs, file), readAll(t, rm, file)
	if !reflect.DeepEqual(s, m) {
		for i := range min(len(s), len(m)) {
			if !reflect.DeepEqual(s[i], m[i]) {
				t.Fatalf("event %d: stream %+v, memory %+v", i, s[i], m[i])
			}
		}
		t.Fatalf("stream: %d events, memory: %d", len(s), len(m))
	}
	if !reflect.DeepEqual(rs.Stats(), rm.Stats()) {
		t.Fatalf("stats: stream %+v, memory %+v", rs.Stats(), rm.Stats())
	}
}
