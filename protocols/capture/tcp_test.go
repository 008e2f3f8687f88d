package capture

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

const (
	cliPort = 40000
	srvPort = 5000
	cliISN  = 1000
	srvISN  = 9000
)

// c2s and s2c build client->server and server->client segments.
func c2s(seq, ack uint32, flags byte, payload []byte) []byte {
	return eth(etherIPv4, ipv4(ip4A, ip4B, protoTCP, tcp(cliPort, srvPort, seq, ack, flags, payload)))
}

func s2c(seq, ack uint32, flags byte, payload []byte) []byte {
	return eth(etherIPv4, ipv4(ip4B, ip4A, protoTCP, tcp(srvPort, cliPort, seq, ack, flags, payload)))
}

func handshake() [][]byte {
	return [][]byte{
		c2s(cliISN, 0, tcpSYN, nil),
		s2c(srvISN, cliISN+1, tcpSYN|tcpACK, nil),
		c2s(cliISN+1, srvISN+1, tcpACK, nil),
	}
}

func tcpFile(pkts ...[]byte) []byte { return fileOf(linkEthernet, pkts...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func sizes(res *result) []int {
	var out []int
	for _, m := range res.msgs {
		out = append(out, len(m.Data))
	}
	return out
}

func wantSizes(t *testing.T, res *result, want ...int) {
	t.Helper()
	got := sizes(res)
	if len(got) != len(want) {
		logProblems(t, res)
		t.Fatalf("message sizes %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			logProblems(t, res)
			t.Fatalf("message sizes %v, want %v", got, want)
		}
	}
}

var toyOpts = Options{TCPFramer: allTCP}

func TestTCPOneMessagePerSegment(t *testing.T) {
	m1, m2, m3 := toyMsg(10, 'a'), toyMsg(20, 'b'), toyMsg(30, 'c')
	c := uint32(cliISN + 1)
	s := uint32(srvISN + 1)
	pkts := append(handshake(),
		c2s(c, s, tcpACK|0x08, m1),
		s2c(s, c+10, tcpACK|0x08, m2),
		c2s(c+10, s+20, tcpACK|0x08, m3),
	)
	res := collect(t, tcpFile(pkts...), toyOpts)
	wantSizes(t, res, 10, 20, 30)
	if len(res.probs) != 0 {
		t.Fatal(res.probs)
	}
	cli, srv := netip.AddrPortFrom(ip4A, cliPort), netip.AddrPortFrom(ip4B, srvPort)
	if res.msgs[0].Src != cli || res.msgs[0].Dst != srv || res.msgs[1].Src != srv || res.msgs[1].Dst != cli {
		t.Fatalf("endpoints %v->%v, %v->%v", res.msgs[0].Src, res.msgs[0].Dst, res.msgs[1].Src, res.msgs[1].Dst)
	}
	if res.msgs[0].Frame != 4 || res.msgs[2].Frame != 6 || res.msgs[0].Transport != TransportTCP || res.msgs[0].PPID != 0 {
		t.Fatalf("%+v", res.msgs[0])
	}
	if !bytes.Equal(res.msgs[2].Data, m3) {
		t.Fatal("data mismatch")
	}
}

func TestTCPManyMessagesPerSegment(t *testing.T) {
	payload := cat(toyMsg(5, 'a'), toyMsg(6, 'b'), toyMsg(7, 'c'), toyMsg(8, 'd')[:4])
	rest := toyMsg(8, 'd')[4:]
	c := uint32(cliISN + 1)
	res := collect(t, tcpFile(append(handshake(),
		c2s(c, srvISN+1, tcpACK, payload),
		c2s(c+uint32(len(payload)), srvISN+1, tcpACK, cat(rest, toyMsg(3, 'e'))))...), toyOpts)
	wantSizes(t, res, 5, 6, 7, 8, 3)
	for i, f := range []int{4, 4, 4, 5, 5} {
		if res.msgs[i].Frame != f {
			t.Fatalf("msg %d frame %d, want %d", i, res.msgs[i].Frame, f)
		}
	}
	if string(res.msgs[3].Data) != string(toyMsg(8, 'd')) {
		t.Fatalf("%q", res.msgs[3].Data)
	}
}

func TestTCPMessageAcrossSegments(t *testing.T) {
	big := toyMsg(3000, 'z')
	c := uint32(cliISN + 1)
	var pkts [][]byte
	pkts = append(pkts, handshake()...)
	for off := 0; off < len(big); off += 700 {
		end := min(off+700, len(big))
		pkts = append(pkts, c2s(c+uint32(off), srvISN+1, tcpACK, big[off:end]))
	}
	res := collect(t, tcpFile(pkts...), toyOpts)
	wantSizes(t, res, 3000)
	if !bytes.Equal(res.msgs[0].Data, big) || res.msgs[0].Frame != len(pkts) {
		t.Fatal("bad reassembly")
	}
}

func TestTCPOutOfOrder(t *testing.T) {
	data := cat(toyMsg(100, 'a'), toyMsg(100, 'b'), toyMsg(100, 'c'))
	c := uint32(cliISN + 1)
	seg := func(i int) []byte { return c2s(c+uint32(i*75), srvISN+1, tcpACK, data[i*75:(i+1)*75]) }
	res := collect(t, tcpFile(append(handshake(), seg(0), seg(2), seg(3), seg(1))...), toyOpts)
	wantSizes(t, res, 100, 100, 100)
	if !bytes.Equal(cat(res.msgs[0].Data, res.msgs[1].Data, res.msgs[2].Data), data) {
		t.Fatal("data mismatch")
	}
	if res.msgs[0].Frame != 7 || res.stats.TCPOutOfOrder != 2 {
		t.Fatalf("frame %d stats %+v", res.msgs[0].Frame, res.stats)
	}
}

func TestTCPRetransmissionAndOverlap(t *testing.T) {
	data := cat(toyMsg(50, 'a'), toyMsg(50, 'b'), toyMsg(50, 'c'))
	c := uint32(cliISN + 1)
	res := collect(t, tcpFile(append(handshake(),
		c2s(c, srvISN+1, tcpACK, data[:60]),
		c2s(c, srvISN+1, tcpACK, data[:60]),       // full retransmission
		c2s(c+40, srvISN+1, tcpACK, data[40:120]), // overlaps 20 bytes
		c2s(c+120, srvISN+1, tcpACK, data[120:]),
		c2s(c+100, srvISN+1, tcpACK, data[100:]), // late overlap, nothing new
	)...), toyOpts)
	wantSizes(t, res, 50, 50, 50)
	if res.stats.TCPRetransmissions != 2 || res.stats.TCPOverlapBytes != 20 {
		t.Fatalf("stats %+v", res.stats)
	}
}

func TestTCPOverlapFirstWins(t *testing.T) {
	// A parked segment and a later one that overlaps it with other bytes:
	// the bytes first seen for a sequence number are kept.
	good := cat(toyMsg(40, 'a'), toyMsg(40, 'b'))
	evil := bytes.Repeat([]byte{'X'}, 40)
	c := uint32(cliISN + 1)
	res := collect(t, tcpFile(append(handshake(),
		c2s(c+40, srvISN+1, tcpACK, good[40:]),
		c2s(c+20, srvISN+1, tcpACK, evil), // overlaps the parked one
		c2s(c, srvISN+1, tcpACK, good[:40]),
	)...), toyOpts)
	wantSizes(t, res, 40, 40)
	// c+20..c+40 were first seen in the 'X' segment, c+40..c+80 in the
	// first parked one: neither is replaced by later bytes.
	want := cat(good[:20], evil[:20], good[40:])
	if got := cat(res.msgs[0].Data, res.msgs[1].Data); !bytes.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestTCPMidStreamStart(t *testing.T) {
	msg := toyMsg(60, 'm')
	t.Run("at a boundary", func(t *testing.T) {
		res := collect(t, tcpFile(
			c2s(500000, 7, tcpACK, msg),
			s2c(7, 500060, tcpACK, toyMsg(4, 'r')),
			c2s(500060, 11, tcpACK, msg)), toyOpts)
		wantSizes(t, res, 60, 4, 60)
	})
	t.Run("inside a message", func(t *testing.T) {
		res := collect(t, tcpFile(
			c2s(500000, 7, tcpACK, msg[30:]), // tail of a message: not a header
			c2s(500030, 7, tcpACK, msg),
			c2s(500090, 7, tcpACK, msg)), toyOpts)
		wantSizes(t, res, 60, 60)
		if len(res.probs) != 1 || res.probs[0].Frame != 1 || !strings.Contains(res.probs[0].Reason, "framing error") {
			t.Fatalf("problems %v", res.probs)
		}
	})
}

func TestTCPFramingErrorResync(t *testing.T) {
	c := uint32(cliISN + 1)
	garbage := []byte("\x00\x09Xgarbage!")
	res := collect(t, tcpFile(append(handshake(),
		c2s(c, srvISN+1, tcpACK, cat(toyMsg(10, 'a'), garbage, toyMsg(10, 'b'))),
		c2s(c+30, srvISN+1, tcpACK, toyMsg(12, 'c')),
		c2s(c+42, srvISN+1, tcpACK, toyMsg(13, 'd')),
	)...), toyOpts)
	// 'a' is framed, the rest of that segment is discarded, framing restarts
	// with the next segment.
	wantSizes(t, res, 10, 12, 13)
	if len(res.probs) != 1 || res.probs[0].Layer != "tcp" || res.probs[0].Frame != 4 {
		t.Fatalf("problems %v", res.probs)
	}
	t.Log(res.probs[0])

	bad := func(b []byte) (int, error) { return len(b) + 1, nil }
	res = collect(t, tcpFile(c2s(1, 1, tcpACK, []byte("abc"))), Options{TCPFramer: func(_, _ netip.AddrPort) Framer { return bad }})
	if len(res.msgs) != 0 || len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "framer returned length 4") {
		t.Fatalf("problems %v", res.probs)
	}
}

func TestTCPCloseAndReset(t *testing.T) {
	c, s := uint32(cliISN+1), uint32(srvISN+1)
	t.Run("FIN both ways removes the flow", func(t *testing.T) {
		pkts := append(handshake(),
			c2s(c, s, tcpACK, toyMsg(10, 'a')),
			c2s(c+10, s, tcpACK|tcpFIN, nil),
			s2c(s, c+11, tcpACK|tcpFIN, toyMsg(5, 'b')),
			c2s(c+11, s+6, tcpACK, nil))
		r := mustReader(t, tcpFile(pkts...), toyOpts)
		n := drain(t, r)
		if n != 2 || r.tcp.flows.len() != 0 || r.tcp.bytes != 0 {
			t.Fatalf("%d msgs, %d flows, %d bytes", n, r.tcp.flows.len(), r.tcp.bytes)
		}
	})
	t.Run("FIN with incomplete message", func(t *testing.T) {
		res := collect(t, tcpFile(append(handshake(),
			c2s(c, s, tcpACK, toyMsg(10, 'a')[:6]),
			c2s(c+6, s, tcpACK|tcpFIN, nil),
			s2c(s, c+7, tcpACK|tcpFIN, nil))...), toyOpts)
		if len(res.msgs) != 0 || len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "connection closed with 6 buffered bytes") {
			t.Fatalf("msgs %v problems %v", sizes(res), res.probs)
		}
	})
	t.Run("RST drops buffered bytes", func(t *testing.T) {
		res := collect(t, tcpFile(append(handshake(),
			c2s(c, s, tcpACK, toyMsg(10, 'a')[:6]),
			s2c(s, c+6, tcpRST|tcpACK, nil),
			c2s(c+6, s, tcpACK, toyMsg(10, 'a')[6:]))...), toyOpts)
		if len(res.msgs) != 0 || len(res.probs) < 1 || !strings.Contains(res.probs[0].Reason, "connection reset") {
			t.Fatalf("msgs %v problems %v", sizes(res), res.probs)
		}
	})
	t.Run("new SYN on the same ports", func(t *testing.T) {
		res := collect(t, tcpFile(append(handshake(),
			c2s(c, s, tcpACK, toyMsg(10, 'a')[:6]),
			c2s(777, 0, tcpSYN, nil),
			c2s(778, 0, tcpACK, toyMsg(10, 'b')))...), toyOpts)
		wantSizes(t, res, 10)
		if res.msgs[0].Data[5] != 'b' || len(res.probs) != 1 {
			t.Fatalf("problems %v", res.probs)
		}
	})
}

func TestTCPGaps(t *testing.T) {
	c, s := uint32(cliISN+1), uint32(srvISN+1)
	m := func(b byte) []byte { return toyMsg(20, b) }
	t.Run("acknowledged hole is skipped", func(t *testing.T) {
		res := collect(t, tcpFile(append(handshake(),
			c2s(c, s, tcpACK, m('a')),
			// c+20..c+40 ('b') never captured
			c2s(c+40, s, tcpACK, m('c')),
			s2c(s, c+60, tcpACK, nil), // the server has everything
			c2s(c+60, s, tcpACK, m('d')))...), toyOpts)
		wantSizes(t, res, 20, 20, 20)
		if res.msgs[1].Data[5] != 'c' || res.msgs[1].Frame != 6 || res.stats.TCPGaps != 1 {
			t.Fatalf("msgs %+v stats %+v", res.msgs, res.stats)
		}
		if len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "20 bytes before seq") {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("ack seen before the segment after the hole", func(t *testing.T) {
		res := collect(t, tcpFile(append(handshake(),
			c2s(c, s, tcpACK, m('a')),
			s2c(s, c+40, tcpACK, nil),
			c2s(c+40, s, tcpACK, m('c')))...), toyOpts)
		wantSizes(t, res, 20, 20)
	})
	t.Run("unacknowledged hole waits for the retransmission", func(t *testing.T) {
		res := collect(t, tcpFile(append(handshake(),
			c2s(c+20, s, tcpACK, m('b')),
			s2c(s, c, tcpACK, nil),
			c2s(c, s, tcpACK, m('a')))...), toyOpts)
		wantSizes(t, res, 20, 20)
		if len(res.probs) != 0 {
			t.Fatal(res.probs)
		}
	})
	t.Run("hole at the end of the capture", func(t *testing.T) {
		res := collect(t, tcpFile(append(handshake(),
			c2s(c, s, tcpACK, m('a')[:10]),
			c2s(c+20, s, tcpACK, m('b')),
			c2s(c+40, s, tcpACK, m('c')),
			udpPacket4("unrelated"))...), toyOpts)
		wantSizes(t, res, 9, 20, 20) // udp, then the flush
		if res.msgs[1].Frame != 6 || res.msgs[1].Data[5] != 'b' {
			t.Fatalf("%+v", res.msgs[1])
		}
		if len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "10 buffered bytes") {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("incomplete at the end", func(t *testing.T) {
		res := collect(t, tcpFile(append(handshake(), c2s(c, s, tcpACK, m('a')[:10]))...), toyOpts)
		if len(res.msgs) != 0 || len(res.probs) != 1 || res.probs[0].Frame != 4 || !strings.Contains(res.probs[0].Reason, "capture ended") {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("truncated segment leaves a hole", func(t *testing.T) {
		seg := c2s(c+20, s, tcpACK, m('b'))
		p := newPcap(linkEthernet)
		for _, h := range handshake() {
			p.add(h)
		}
		p.add(c2s(c, s, tcpACK, m('a')))
		p.addAt(baseTime.Add(1e9), seg[:len(seg)-5], len(seg))
		p.add(c2s(c+40, s, tcpACK, m('c')))
		p.add(s2c(s, c+60, tcpACK, nil))
		res := collect(t, p.bytes(), toyOpts)
		wantSizes(t, res, 20, 20)
		if res.problemsAt("tcp") != 2 {
			t.Fatalf("problems %v", res.probs)
		}
	})
}

func TestTCPSequenceWrap(t *testing.T) {
	start := uint32(0xffffffff - 30)
	data := cat(toyMsg(40, 'a'), toyMsg(40, 'b'))
	res := collect(t, tcpFile(
		c2s(start-1, 0, tcpSYN, nil),
		c2s(start+50, 1, tcpACK, data[50:]),
		c2s(start, 1, tcpACK, data[:50])), toyOpts)
	wantSizes(t, res, 40, 40)
}

func TestTCPFlowSelection(t *testing.T) {
	pkt := c2s(1, 1, tcpACK, toyMsg(10, 'a'))
	res := collect(t, tcpFile(pkt), Options{})
	if len(res.msgs) != 0 || res.stats.TCPIgnored != 1 {
		t.Fatalf("nil TCPFramer: %+v", res.stats)
	}
	var calls []string
	sel := func(src, dst netip.AddrPort) Framer {
		calls = append(calls, src.String()+">"+dst.String())
		if dst.Port() == srvPort {
			return lenFramer // only the client->server direction
		}
		return nil
	}
	res = collect(t, tcpFile(pkt, s2c(1, 11, tcpACK, toyMsg(10, 'b')), c2s(11, 11, tcpACK, toyMsg(10, 'c'))), Options{TCPFramer: sel})
	wantSizes(t, res, 10, 10)
	if len(calls) != 2 || calls[0] != "10.0.0.1:40000>10.0.0.2:5000" || calls[1] != "10.0.0.2:5000>10.0.0.1:40000" {
		t.Fatalf("TCPFramer calls %v", calls)
	}
}

func TestTCPOverIPv6AndSLL(t *testing.T) {
	seg := tcp(3868, 50000, 1, 1, tcpACK, cat(diameterMsg(100, 280), diameterMsg(64, 280)))
	res := collect(t, fileOf(linkSLL, sll(etherIPv6, ipv6(ip6A, ip6B, protoTCP, seg))), Options{TCPFramer: diameterTCPFramer})
	wantSizes(t, res, 100, 64)
	if res.msgs[0].Src != netip.AddrPortFrom(ip6A, 3868) {
		t.Fatal(res.msgs[0].Src)
	}
}

func TestTCPHeaderProblems(t *testing.T) {
	short := eth(etherIPv4, ipv4(ip4A, ip4B, protoTCP, make([]byte, 10)))
	badOff := tcp(1, 2, 3, 4, tcpACK, nil)
	badOff[12] = 3 << 4
	bigOff := tcp(1, 2, 3, 4, tcpACK, nil)
	bigOff[12] = 15 << 4
	res := collect(t, fileOf(linkEthernet, short,
		eth(etherIPv4, ipv4(ip4A, ip4B, protoTCP, badOff)),
		eth(etherIPv4, ipv4(ip4A, ip4B, protoTCP, bigOff))), toyOpts)
	if res.problemsAt("tcp") != 3 {
		t.Fatalf("problems %v", res.probs)
	}
}
