package capture

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestMaxMessage(t *testing.T) {
	opts := Options{MaxMessage: 100, TCPFramer: allTCP}
	t.Run("udp", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, udpPacket4(strings.Repeat("x", 101)), udpPacket4(strings.Repeat("y", 100))), opts)
		wantSizes(t, res, 100)
		if res.problemsAt("udp") != 1 {
			t.Fatal(res.probs)
		}
	})
	t.Run("sctp", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, sctpPkt(1, dataChunk(fB|fE, 1, 0, 0, 0, make([]byte, 101)), dataChunk(fB|fE, 2, 0, 0, 0, make([]byte, 100)))), opts)
		wantSizes(t, res, 100)
		if res.problemsAt("sctp") != 1 {
			t.Fatal(res.probs)
		}
	})
	t.Run("tcp complete but too large is skipped", func(t *testing.T) {
		res := collect(t, tcpFile(c2s(1, 1, tcpACK, cat(toyMsg(150, 'a'), toyMsg(50, 'b')))), opts)
		wantSizes(t, res, 50)
		if res.problemsAt("tcp") != 1 {
			t.Fatal(res.probs)
		}
	})
	t.Run("tcp incomplete and too large resyncs", func(t *testing.T) {
		big := toyMsg(500, 'a')
		res := collect(t, tcpFile(
			c2s(1, 1, tcpACK, big[:60]),
			c2s(61, 1, tcpACK, big[60:120]),   // 120 buffered, still incomplete: dropped
			c2s(121, 1, tcpACK, big[120:180]), // resync here: not a header
			c2s(181, 1, tcpACK, toyMsg(20, 'c'))), opts)
		wantSizes(t, res, 20)
		if res.problemsAt("tcp") != 2 {
			t.Fatal(res.probs)
		}
	})
}

func TestMaxFlowsEvictsOldest(t *testing.T) {
	t.Run("tcp", func(t *testing.T) {
		var pkts [][]byte
		for i := range 3 {
			pkts = append(pkts, eth(etherIPv4, ipv4(ip4A, ip4B, protoTCP, tcp(uint16(40000+i), srvPort, 1, 1, tcpACK, toyMsg(10, 'a')[:5]))))
		}
		res := collect(t, tcpFile(pkts...), Options{MaxFlows: 2, TCPFramer: allTCP})
		if res.stats.Evictions != 1 || len(res.probs) != 3 || !strings.Contains(res.probs[0].Reason, "evicted") {
			t.Fatalf("evictions %d problems %v", res.stats.Evictions, res.probs)
		}
	})
	t.Run("ip fragment sets", func(t *testing.T) {
		var pkts [][]byte
		for id := range uint16(3) {
			pkts = append(pkts, eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: id, more: true}, make([]byte, 64))))
		}
		res := collect(t, fileOf(linkEthernet, pkts...), Options{MaxFlows: 2})
		if res.stats.Evictions != 1 || len(res.probs) != 3 || !strings.Contains(res.probs[0].Reason, "evicted") || res.probs[0].Frame != 1 {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("sctp reassembly", func(t *testing.T) {
		var pkts [][]byte
		for i := range uint32(3) {
			pkts = append(pkts, sctpPkt(1, dataChunk(fB, 10*i, 0, 0, 0, []byte("part"))))
		}
		res := collect(t, fileOf(linkEthernet, pkts...), Options{MaxFlows: 2})
		if res.stats.Evictions != 1 || len(res.probs) != 3 || !strings.Contains(res.probs[0].Reason, "evicted") {
			t.Fatalf("problems %v", res.probs)
		}
	})
}

func TestMaxBuffered(t *testing.T) {
	t.Run("tcp", testMaxBufferedTCP)
	t.Run("sctp", func(t *testing.T) {
		var pkts [][]byte
		for i := range uint32(10) {
			// A run (B) and a parked fragment (E before its M) per message.
			pkts = append(pkts, sctpPkt(1, dataChunk(fB, 100*i, 0, 0, 0, make([]byte, 1000)), dataChunk(fE, 100*i+2, 0, 0, 0, make([]byte, 1000))))
		}
		r := mustReader(t, fileOf(linkEthernet, pkts...), Options{MaxBuffered: 6000})
		probs := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if r.sctp.bytes > 6000 {
				t.Fatalf("%d bytes buffered", r.sctp.bytes)
			}
			if err != nil {
				probs++
			}
		}
		if st := r.Stats(); st.Evictions == 0 || probs != 20 {
			t.Fatalf("evictions %d, problems %d", st.Evictions, probs)
		}
	})
	t.Run("ip", func(t *testing.T) {
		var pkts [][]byte
		for id := range uint16(10) {
			pkts = append(pkts, eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: id, off: 8000, more: true}, make([]byte, 8))))
		}
		r := mustReader(t, fileOf(linkEthernet, pkts...), Options{MaxBuffered: 40000})
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if r.frag.bytes > 40000 {
				t.Fatalf("%d bytes buffered", r.frag.bytes)
			}
		}
		if st := r.Stats(); st.Evictions == 0 {
			t.Fatal("nothing evicted")
		}
	})
}

func testMaxBufferedTCP(t *testing.T) {
	var pkts [][]byte
	for i := range 8 {
		pkts = append(pkts, eth(etherIPv4, ipv4(ip4A, ip4B, protoTCP, tcp(uint16(40000+i), srvPort, 1, 1, tcpACK, toyMsg(3000, 'a')[:2000]))))
	}
	r := mustReader(t, tcpFile(pkts...), Options{MaxBuffered: 8192, TCPFramer: allTCP})
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if r.tcp.bytes > 8192+4096 {
			t.Fatalf("%d bytes buffered", r.tcp.bytes)
		}
	}
	if r.Stats().Evictions == 0 {
		t.Fatal("nothing evicted")
	}
}

// TestHostileOrderingIsNotQuadratic feeds worst-case orderings: tiny TCP
// segments in reverse order, many SCTP fragments in reverse order, many tiny
// IP fragments. Each must finish quickly and within the bounds.
func TestHostileOrderingIsNotQuadratic(t *testing.T) {
	const n = 20000
	tcpPkts := [][]byte{c2s(999, 0, tcpSYN, nil)}
	var sctpPkts, ipPkts [][]byte
	for i := n - 1; i >= 0; i-- {
		tcpPkts = append(tcpPkts, c2s(uint32(1000+i), 1, tcpACK, []byte{byte(i)}))
		flags := byte(0)
		if i == 0 {
			flags = fB
		} else if i == n-1 {
			flags = fE
		}
		sctpPkts = append(sctpPkts, sctpPkt(1, dataChunk(flags, uint32(i), 0, 0, 0, []byte{byte(i)})))
		ipPkts = append(ipPkts, eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 1, off: (i % 8000) * 8, more: true}, make([]byte, 8))))
	}
	for name, pkts := range map[string][][]byte{"tcp": tcpPkts, "sctp": sctpPkts, "ip": ipPkts} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			res := collect(t, fileOf(linkEthernet, pkts...), Options{TCPFramer: allTCP})
			if d := time.Since(start); d > 20*time.Second {
				t.Fatalf("took %v", d)
			}
			t.Logf("%d messages, %d problems, stats %+v", len(res.msgs), len(res.probs), res.stats)
		})
	}
}

// TestSteadyStateDoesNotAllocate checks that reading more messages does not
// allocate more: allocations are per reader, not per packet or message.
func TestSteadyStateDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	small, big := smallMessagesCapture(200), smallMessagesCapture(2000)
	allocs := func(file []byte) float64 {
		return testing.AllocsPerRun(5, func() {
			r, _ := NewReader(bytes.NewReader(file), Options{TCPFramer: allTCP})
			for {
				if _, err := r.Next(); err != nil {
					if _, ok := err.(*Problem); !ok {
						return
					}
				}
			}
		})
	}
	a, b := allocs(small), allocs(big)
	t.Logf("allocations per read: %v for 200 rounds, %v for 2000 rounds", a, b)
	if b > a+10 {
		t.Fatalf("allocations grow with the capture: %v -> %v", a, b)
	}
}

// smallMessagesCapture builds rounds of small messages of every kind: a UDP
// datagram, an SCTP packet with a SACK and four DATA chunks (one fragmented
// message in two of them), and a TCP segment with four framed messages.
func smallMessagesCapture(rounds int) []byte {
	p := newPcap(linkEthernet)
	tsn := uint32(1)
	seq := uint32(1)
	payload := cat(toyMsg(30, 'a'), toyMsg(30, 'b'), toyMsg(30, 'c'), toyMsg(30, 'd'))
	for range rounds {
		p.add(udpPacket4("small-udp-message-of-32-bytes..."))
		p.add(sctpPkt(1, sackChunk(),
			dataChunk(fB|fE, tsn, 0, 0, 46, make([]byte, 32)),
			dataChunk(fB|fE, tsn+1, 1, 0, 46, make([]byte, 32)),
			dataChunk(fB, tsn+2, 2, 0, 46, make([]byte, 32)),
			dataChunk(fE, tsn+3, 2, 0, 46, make([]byte, 32))))
		tsn += 4
		p.add(c2s(seq, 1, tcpACK, payload))
		seq += uint32(len(payload))
	}
	return p.bytes()
}
