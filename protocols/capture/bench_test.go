package capture

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReplayMessages reads the largest Diameter capture from memory and
// reports messages per second and allocations.
func BenchmarkReplayMessages(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(pcapDir(), "magma_gx_gy_combined_04_32ue.pcapng"))
	if err != nil {
		b.Skip("capture not available:", err)
	}
	benchReader(b, data, Options{TCPFramer: diameterTCPFramer})
}

// BenchmarkReplayMessagesBytes is BenchmarkReplayMessages with the file
// handed over as a byte slice (NewReaderBytes): no copy of the file.
func BenchmarkReplayMessagesBytes(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(pcapDir(), "magma_gx_gy_combined_04_32ue.pcapng"))
	if err != nil {
		b.Skip("capture not available:", err)
	}
	benchReader(b, data, Options{TCPFramer: diameterTCPFramer}, true)
}

// BenchmarkReplayMessagesSignaling is BenchmarkReplayMessagesBytes with
// the reader told, as the replay tells it, that only fragmented datagrams
// of the signaling ports are wanted: the fragments of the rest (GTP-U) are
// dropped without reassembly.
func BenchmarkReplayMessagesSignaling(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(pcapDir(), "magma_gx_gy_combined_04_32ue.pcapng"))
	if err != nil {
		b.Skip("capture not available:", err)
	}
	benchReader(b, data, Options{TCPFramer: diameterTCPFramer, WantDatagram: signalingDatagrams}, true)
}

// benchReader reads data to the end b.N times and reports messages/s.
func benchReader(b *testing.B, data []byte, opts Options, inMemory ...bool) {
	msgs := 0
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var r *Reader
		var err error
		if len(inMemory) > 0 && inMemory[0] {
			r, err = NewReaderBytes(data, opts)
		} else {
			r, err = NewReader(bytes.NewReader(data), opts)
		}
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err != nil {
				if err == io.EOF {
					break
				}
				if _, ok := err.(*Problem); ok {
					continue
				}
				b.Fatal(err)
			}
			msgs++
		}
	}
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(msgs)/float64(b.N), "msgs/op")
}

// BenchmarkSmallMessages reads a synthetic capture of small messages (32-byte
// UDP datagrams, SCTP packets bundling four 32-byte DATA chunks, TCP segments
// with four 30-byte framed messages): the per-message cost without the
// memory traffic of large packets.
func BenchmarkSmallMessages(b *testing.B) {
	benchReader(b, smallMessagesCapture(5000), Options{TCPFramer: allTCP})
}
