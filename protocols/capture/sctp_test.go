package capture

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// sctpPkt wraps SCTP chunks A:2905 -> B:2905 in Ethernet/IPv4.
func sctpPkt(vtag uint32, chunks ...[]byte) []byte {
	return eth(etherIPv4, ipv4(ip4A, ip4B, protoSCTP, sctp(2905, 2905, vtag, chunks...)))
}

func sctpPktRev(vtag uint32, chunks ...[]byte) []byte {
	return eth(etherIPv4, ipv4(ip4B, ip4A, protoSCTP, sctp(2905, 2905, vtag, chunks...)))
}

func TestSCTPBundling(t *testing.T) {
	heartbeat := chunk(4, 0, []byte{0, 1, 0, 8, 1, 2, 3, 4})
	pkt := sctpPkt(7,
		sackChunk(),
		dataChunk(fB|fE, 10, 1, 0, 3, []byte("one")),
		heartbeat,
		dataChunk(fB|fE|fU, 11, 2, 0, 46, []byte("two")),
		idataChunk(fB|fE, 12, 3, 0, 18, []byte("three")),
		chunk(0x82, 0, []byte{9, 9, 9, 9}), // unknown, "skip" action bits
		dataChunk(fB|fE, 13, 4, 1, 0, []byte("four")),
	)
	res := collect(t, fileOf(linkEthernet, pkt, sctpPkt(7, dataChunk(fB|fE, 14, 0, 0, 3, []byte("five")))), Options{})
	logProblems(t, res)
	if got := strings.Join(res.data(), ","); got != "one,two,three,four,five" {
		t.Fatalf("got %q", got)
	}
	for i, want := range []struct {
		frame  int
		ppid   uint32
		stream uint16
	}{{1, 3, 1}, {1, 46, 2}, {1, 18, 3}, {1, 0, 4}, {2, 3, 0}} {
		m := res.msgs[i]
		if m.Frame != want.frame || m.PPID != want.ppid || m.Stream != want.stream || m.Transport != TransportSCTP {
			t.Errorf("msg %d: %+v", i, m)
		}
	}
	if res.stats.SCTPChunks != 8 || res.stats.SCTPDataChunks != 5 || res.stats.SCTPMessages != 5 {
		t.Fatalf("stats %+v", res.stats)
	}
}

func TestSCTPFragmentedMessages(t *testing.T) {
	msg := []byte(strings.Repeat("abcdefghij", 10))
	b, m, e := msg[:30], msg[30:70], msg[70:]
	frB := dataChunk(fB, 100, 5, 9, 46, b)
	frM := dataChunk(0, 101, 5, 9, 46, m)
	frE := dataChunk(fE, 102, 5, 9, 46, e)
	check := func(t *testing.T, res *result, frame int) {
		t.Helper()
		logProblems(t, res)
		if len(res.msgs) != 1 || !bytes.Equal(res.msgs[0].Data, msg) || res.msgs[0].PPID != 46 || res.msgs[0].Stream != 5 || res.msgs[0].Frame != frame {
			t.Fatalf("got %+v", res.msgs)
		}
		if len(res.probs) != 0 || res.stats.SCTPReassembled != 1 {
			t.Fatalf("problems %v stats %+v", res.probs, res.stats)
		}
	}
	t.Run("one packet", func(t *testing.T) {
		check(t, collect(t, fileOf(linkEthernet, sctpPkt(1, frB, frM, frE)), Options{}), 1)
	})
	t.Run("across packets", func(t *testing.T) {
		check(t, collect(t, fileOf(linkEthernet, sctpPkt(1, frB), sctpPkt(1, sackChunk(), frM), sctpPkt(1, frE)), Options{}), 3)
	})
	t.Run("out of order E M B", func(t *testing.T) {
		check(t, collect(t, fileOf(linkEthernet, sctpPkt(1, frE), sctpPkt(1, frM), sctpPkt(1, frB)), Options{}), 3)
	})
	t.Run("out of order M E B", func(t *testing.T) {
		check(t, collect(t, fileOf(linkEthernet, sctpPkt(1, frM, frE), sctpPkt(1, frB)), Options{}), 2)
	})
	t.Run("retransmitted fragments", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, sctpPkt(1, frB), sctpPkt(1, frB), sctpPkt(1, frM), sctpPkt(1, frB, frM), sctpPkt(1, frE), sctpPkt(1, frE)), Options{})
		check(t, res, 5)
		if res.stats.SCTPRetransmissions != 4 {
			t.Fatalf("retransmissions %d", res.stats.SCTPRetransmissions)
		}
	})
	t.Run("unordered", func(t *testing.T) {
		uB := dataChunk(fB|fU, 100, 5, 0, 46, b)
		uM := dataChunk(fU, 101, 5, 0, 46, m)
		uE := dataChunk(fE|fU, 102, 5, 0, 46, e)
		check(t, collect(t, fileOf(linkEthernet, sctpPkt(1, uM), sctpPkt(1, uB, uE)), Options{}), 2)
	})
	t.Run("other messages in between", func(t *testing.T) {
		x := dataChunk(fB|fE, 200, 1, 0, 3, []byte("x"))
		res := collect(t, fileOf(linkEthernet, sctpPkt(1, frB), sctpPktRev(2, x), sctpPkt(1, frM, frE)), Options{})
		if got := strings.Join(res.data(), "|"); got != "x|"+string(msg) {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("incomplete", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, sctpPkt(1, frB, frE)), Options{})
		if len(res.msgs) != 0 || res.problemsAt("sctp") != 2 { // the run and the parked E
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		p := newPcap(linkEthernet)
		p.addTime(baseTime, sctpPkt(1, frB))
		p.addTime(baseTime.Add(time.Minute), sctpPkt(1, dataChunk(fB|fE, 500, 0, 0, 0, []byte("later"))))
		p.addTime(baseTime.Add(time.Minute), sctpPkt(1, frM, frE))
		res := collect(t, p.bytes(), Options{ReassemblyTimeout: 10 * time.Second})
		if got := strings.Join(res.data(), ","); got != "later" {
			t.Fatalf("got %q", got)
		}
		if len(res.probs) == 0 || !strings.Contains(res.probs[0].Reason, "timed out") || res.probs[0].Frame != 1 {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("too large", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, sctpPkt(1, frB, frM, frE), sctpPkt(1, dataChunk(fB|fE, 103, 5, 10, 46, []byte("small")))), Options{MaxMessage: 50})
		if got := strings.Join(res.data(), ","); got != "small" || len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "MaxMessage") {
			t.Fatalf("got %q problems %v", got, res.probs)
		}
	})
}

func TestSCTPIData(t *testing.T) {
	// Two messages interleaved on different streams, as I-DATA allows.
	a0 := idataChunk(fB, 1, 1, 7, 46, []byte("AAAA"))
	b0 := idataChunk(fB, 2, 2, 3, 18, []byte("BBBB"))
	a1 := idataChunk(0, 3, 1, 7, 1, []byte("aaaa"))
	b1 := idataChunk(fE, 4, 2, 3, 1, []byte("bbbb"))
	a2 := idataChunk(fE, 5, 1, 7, 2, []byte("!"))
	res := collect(t, fileOf(linkEthernet, sctpPkt(9, a0, b0), sctpPkt(9, a2, a1, b1)), Options{})
	logProblems(t, res)
	if got := strings.Join(res.data(), ","); got != "AAAAaaaa!,BBBBbbbb" {
		t.Fatalf("got %q", got)
	}
	if res.msgs[0].PPID != 46 || res.msgs[0].Stream != 1 || res.msgs[1].PPID != 18 || res.msgs[1].Stream != 2 {
		t.Fatalf("%+v", res.msgs)
	}
	// A retransmitted I-DATA fragment (same TSN) is ignored.
	res = collect(t, fileOf(linkEthernet, sctpPkt(9, a0), sctpPkt(9, a0, a1), sctpPkt(9, a2)), Options{})
	if got := strings.Join(res.data(), ","); got != "AAAAaaaa!" || res.stats.SCTPRetransmissions != 1 {
		t.Fatalf("got %q, %d retransmissions", got, res.stats.SCTPRetransmissions)
	}
}

func TestSCTPRetransmissions(t *testing.T) {
	d := func(tsn uint32, s string) []byte { return dataChunk(fB|fE, tsn, 0, 0, 3, []byte(s)) }
	res := collect(t, fileOf(linkEthernet,
		sctpPkt(5, d(1, "a"), d(2, "b")),
		sctpPkt(5, d(2, "b")), // retransmission
		sctpPkt(5, d(4, "d")),
		sctpPkt(5, d(3, "c")), // late but new
		sctpPkt(5, d(1, "a"), d(5, "e")),
		sctpPktRev(6, d(1, "reverse direction has its own TSNs")),
		sctpPkt(77, d(1, "another association")),
	), Options{})
	if got := strings.Join(res.data(), ","); got != "a,b,d,c,e,reverse direction has its own TSNs,another association" {
		t.Fatalf("got %q", got)
	}
	if res.stats.SCTPRetransmissions != 2 {
		t.Fatalf("retransmissions %d", res.stats.SCTPRetransmissions)
	}
	// TSN serial arithmetic across the wrap, and far-old TSNs.
	res = collect(t, fileOf(linkEthernet,
		sctpPkt(5, d(0xfffffffe, "w1"), d(0xffffffff, "w2"), d(0, "w3"), d(1, "w4")),
		sctpPkt(5, d(0xffffffff, "dup")),
		sctpPkt(5, d(5000, "jump")),
		sctpPkt(5, d(2, "too old")),
	), Options{})
	if got := strings.Join(res.data(), ","); got != "w1,w2,w3,w4,jump" {
		t.Fatalf("got %q", got)
	}
}

func TestSCTPMalformed(t *testing.T) {
	good := dataChunk(fB|fE, 1, 0, 0, 3, []byte("good"))
	t.Run("truncated chunk keeps earlier chunks", func(t *testing.T) {
		bad := dataChunk(fB|fE, 2, 0, 0, 3, []byte("this one is cut"))
		bad[3] = 200 // claims more than the packet holds
		res := collect(t, fileOf(linkEthernet, sctpPkt(1, sackChunk(), good, bad)), Options{})
		if got := strings.Join(res.data(), ","); got != "good" || len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "exceeds") {
			t.Fatalf("got %q problems %v", got, res.probs)
		}
	})
	t.Run("truncated by snaplen", func(t *testing.T) {
		pkt := sctpPkt(1, good, dataChunk(fB|fE, 2, 0, 0, 3, []byte(strings.Repeat("x", 100))))
		res := collect(t, newPcap(linkEthernet).addAt(baseTime, pkt[:len(pkt)-50], len(pkt)).bytes(), Options{})
		if got := strings.Join(res.data(), ","); got != "good" || len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "truncated by the capture") {
			t.Fatalf("got %q problems %v", got, res.probs)
		}
	})
	t.Run("missing final padding is tolerated", func(t *testing.T) {
		c := dataChunk(fB|fE, 1, 0, 0, 3, []byte("odd"))
		res := collect(t, fileOf(linkEthernet, sctpPkt(1, c[:len(c)-1])), Options{})
		if got := strings.Join(res.data(), ","); got != "odd" || len(res.probs) != 0 {
			t.Fatalf("got %q problems %v", got, res.probs)
		}
	})
	cases := map[string][]byte{
		"short common header": eth(etherIPv4, ipv4(ip4A, ip4B, protoSCTP, []byte{1, 2, 3})),
		"no chunks":           sctpPkt(1),
		"zero chunk length":   sctpPkt(1, []byte{0, 3, 0, 0, 1, 2, 3, 4}),
		"short DATA":          sctpPkt(1, chunk(chunkData, 3, []byte{0, 0, 0, 1})),
		"empty DATA":          sctpPkt(1, dataChunk(fB|fE, 1, 0, 0, 0, nil)),
		"short I-DATA":        sctpPkt(1, chunk(chunkIData, 3, make([]byte, 12))),
		"trailing bytes":      eth(etherIPv4, ipv4(ip4A, ip4B, protoSCTP, append(sctp(1, 2, 3, sackChunk()), 1, 2))),
		"unknown stop chunk":  sctpPkt(1, chunk(0x3f, 0, nil), good),
	}
	for name, pkt := range cases {
		t.Run(name, func(t *testing.T) {
			res := collect(t, fileOf(linkEthernet, pkt), Options{})
			if len(res.msgs) != 0 || len(res.probs) != 1 || res.probs[0].Layer != "sctp" {
				t.Fatalf("msgs %q problems %v", res.data(), res.probs)
			}
			t.Log(res.probs[0])
		})
	}
}

// TestSCTPMultihoming: a retransmission on an alternate path (other
// addresses, same ports and verification tag) is still recognised; with a
// zero tag (never valid on DATA) the addresses tell associations apart.
func TestSCTPMultihoming(t *testing.T) {
	alt := func(vtag uint32, c []byte) []byte {
		return eth(etherIPv4, ipv4(ip4A.Next().Next(), ip4B.Next().Next(), protoSCTP, sctp(2905, 2905, vtag, c)))
	}
	d := dataChunk(fB|fE, 42, 0, 0, 3, []byte("once"))
	res := collect(t, fileOf(linkEthernet, sctpPkt(0x1234, d), alt(0x1234, d)), Options{})
	if got := strings.Join(res.data(), ","); got != "once" || res.stats.SCTPRetransmissions != 1 {
		t.Fatalf("got %q", got)
	}
	res = collect(t, fileOf(linkEthernet, sctpPkt(0, d), alt(0, d)), Options{})
	if got := strings.Join(res.data(), ","); got != "once,once" {
		t.Fatalf("got %q", got)
	}
}

func TestTransportStringAndStats(t *testing.T) {
	for tr, want := range map[Transport]string{TransportUDP: "udp", TransportTCP: "tcp", TransportSCTP: "sctp", 0: "unknown"} {
		if tr.String() != want {
			t.Errorf("%d: %q", tr, tr.String())
		}
	}
	res := collect(t, fileOf(linkEthernet, udpPacket4("u"), sctpPkt(1), []byte{1}), Options{})
	if res.stats.ProblemsByLayer["sctp"] != 1 || res.stats.ProblemsByLayer["ethernet"] != 1 || res.stats.Problems != 2 ||
		res.stats.Messages != 1 || res.stats.UDPMessages != 1 || res.stats.Packets != 3 {
		t.Fatalf("%+v", res.stats)
	}
}
