package capture

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestIPv4OptionsAndLengths(t *testing.T) {
	opts := []byte{0x07, 7, 4, 0, 0, 0, 0, 0x01} // record route + NOP: IHL 7
	withOpts := ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 9, options: opts}, udp(1, 2, []byte("opts")))
	padded := append(ipv4(ip4A, ip4B, protoUDP, udp(1, 2, []byte("pad"))), 0xee, 0xee, 0xee, 0xee)
	tso := ipv4x(ip4A, ip4B, protoUDP, v4opts{total: -1}, udp(1, 2, []byte("tso")))
	tso[2], tso[3] = 0, 0 // length left to the NIC
	file := newPcap(linkEthernet).
		add(eth(etherIPv4, withOpts)).
		add(eth(etherIPv4, padded)). // Ethernet trailer must not reach UDP
		add(eth(etherIPv4, tso)).
		bytes()
	res := collect(t, file, Options{})
	logProblems(t, res)
	if got := strings.Join(res.data(), ","); got != "opts,pad,tso" || len(res.probs) != 0 {
		t.Fatalf("got %q problems %v", got, res.probs)
	}
}

func TestIPv4HeaderProblems(t *testing.T) {
	good := ipv4(ip4A, ip4B, protoUDP, udp(1, 2, []byte("x")))
	mut := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	cases := map[string][]byte{
		"short":                good[:12],
		"ihl below 5":          mut(func(b []byte) { b[0] = 0x44 }),
		"ihl beyond capture":   mut(func(b []byte) { b[0] = 0x4f }),
		"total below header":   mut(func(b []byte) { b[2], b[3] = 0, 10 }),
		"udp length too large": eth(etherIPv4, ipv4(ip4A, ip4B, protoUDP, []byte{0, 1, 0, 2, 0, 99, 0, 0, 'x'}))[14:],
		"udp length too small": eth(etherIPv4, ipv4(ip4A, ip4B, protoUDP, []byte{0, 1, 0, 2, 0, 4, 0, 0}))[14:],
	}
	for name, pkt := range cases {
		t.Run(name, func(t *testing.T) {
			res := collect(t, newPcap(linkIPv4).add(pkt).bytes(), Options{})
			if len(res.msgs) != 0 || len(res.probs) != 1 {
				t.Fatalf("msgs %q problems %v", res.data(), res.probs)
			}
			t.Log(res.probs[0])
		})
	}
}

func TestSnaplenTruncation(t *testing.T) {
	full := udpPacket4(strings.Repeat("z", 100))
	cut := full[:60]
	res := collect(t, newPcap(linkEthernet).addAt(baseTime, cut, len(full)).bytes(), Options{})
	if len(res.msgs) != 0 || res.problemsAt("udp") != 1 || !strings.Contains(res.probs[0].Reason, "truncated by the capture") {
		t.Fatalf("msgs %q problems %v", res.data(), res.probs)
	}
}

// fragments4 splits a UDP datagram into IPv4 fragments of size bytes.
func fragments4(id uint16, payload []byte, size int) [][]byte {
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		out = append(out, eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: id, off: off, more: end < len(payload)}, payload[off:end])))
	}
	return out
}

func fileOf(link uint32, pkts ...[]byte) []byte {
	p := newPcap(link)
	for _, pkt := range pkts {
		p.add(pkt)
	}
	return p.bytes()
}

func TestIPv4Fragments(t *testing.T) {
	body := []byte(strings.Repeat("0123456789abcdef", 20)) // 320 bytes
	dgram := udp(1000, 2000, body)                         // 328 bytes
	fr := fragments4(77, dgram, 80)                        // 5 fragments
	if len(fr) != 5 {
		t.Fatal(len(fr))
	}
	check := func(t *testing.T, res *result, frame int) {
		t.Helper()
		logProblems(t, res)
		if len(res.msgs) != 1 || !bytes.Equal(res.msgs[0].Data, body) || res.msgs[0].Frame != frame {
			t.Fatalf("got %d msgs (frame %v), problems %v", len(res.msgs), res.msgs, res.probs)
		}
		if res.stats.IPReassembled != 1 {
			t.Fatalf("reassembled %d", res.stats.IPReassembled)
		}
	}
	t.Run("in order", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, fr...), Options{})
		check(t, res, 5)
		if len(res.probs) != 0 {
			t.Fatal(res.probs)
		}
	})
	t.Run("out of order", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, fr[4], fr[2], fr[0], fr[3], fr[1]), Options{})
		check(t, res, 5)
	})
	t.Run("interleaved with another datagram", func(t *testing.T) {
		other := fragments4(78, udp(5, 6, []byte(strings.Repeat("q", 100))), 64)
		res := collect(t, fileOf(linkEthernet, fr[0], other[1], fr[1], fr[2], other[0], fr[3], fr[4]), Options{})
		if len(res.msgs) != 2 || string(res.msgs[0].Data) != strings.Repeat("q", 100) || !bytes.Equal(res.msgs[1].Data, body) {
			t.Fatalf("%q", res.data())
		}
	})
	t.Run("duplicate and identical overlap", func(t *testing.T) {
		overlap := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 77, off: 40, more: true}, dgram[40:120]))
		res := collect(t, fileOf(linkEthernet, fr[0], fr[0], overlap, fr[1], fr[2], fr[3], fr[4]), Options{})
		check(t, res, 7)
		if len(res.probs) != 0 {
			t.Fatal(res.probs)
		}
	})
	t.Run("conflicting overlap", func(t *testing.T) {
		evil := bytes.Clone(dgram[40:120])
		evil[20] ^= 0xff // byte 60: inside the first fragment
		overlap := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 77, off: 40, more: true}, evil))
		res := collect(t, fileOf(linkEthernet, fr[0], overlap, fr[1], fr[2], fr[3], fr[4]), Options{})
		if len(res.msgs) != 0 || len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "different bytes") {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
		if res.stats.IPFragDropped != 5 {
			t.Fatalf("dropped %d", res.stats.IPFragDropped)
		}
	})
	t.Run("incomplete", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, fr[0], fr[1], fr[3], fr[4], udpPacket4("other")), Options{})
		if len(res.msgs) != 1 || len(res.probs) != 1 || res.probs[0].Frame != 4 || !strings.Contains(res.probs[0].Reason, "end of the capture") {
			t.Fatalf("msgs %q problems %v", res.data(), res.probs)
		}
	})
	t.Run("timeout in capture time", func(t *testing.T) {
		p := newPcap(linkEthernet)
		p.addAt(baseTime, fr[0], len(fr[0]))
		p.addAt(baseTime.Add(10*time.Second), fr[1], len(fr[1]))
		p.addAt(baseTime.Add(40*time.Second), udpPacket4("late"), 50)
		p.addAt(baseTime.Add(41*time.Second), fr[2], len(fr[2]))
		res := collect(t, p.bytes(), Options{ReassemblyTimeout: 30 * time.Second})
		if len(res.probs) < 1 || !strings.Contains(res.probs[0].Reason, "timed out") || res.probs[0].Frame != 2 {
			t.Fatalf("problems %v", res.probs)
		}
		if len(res.msgs) != 1 || string(res.msgs[0].Data) != "late" {
			t.Fatalf("msgs %q", res.data())
		}
	})
	t.Run("too large", func(t *testing.T) {
		pod := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 5, off: 65528, more: false}, make([]byte, 16)))
		res := collect(t, fileOf(linkEthernet, pod), Options{})
		if len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "maximum datagram size") {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("odd non-final length", func(t *testing.T) {
		odd := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 5, off: 0, more: true}, make([]byte, 13)))
		res := collect(t, fileOf(linkEthernet, odd), Options{})
		if len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "multiple of 8") {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("fragmented TCP and SCTP", func(t *testing.T) {
		seg := tcp(40000, 3868, 100, 0, tcpACK, diameterMsg(300, 257))
		var pkts [][]byte
		for off := 0; off < len(seg); off += 104 {
			end := min(off+104, len(seg))
			pkts = append(pkts, eth(etherIPv4, ipv4x(ip4A, ip4B, protoTCP, v4opts{id: 3, off: off, more: end < len(seg)}, seg[off:end])))
		}
		sc := sctp(3868, 3868, 1, dataChunk(fB|fE, 1, 0, 0, 46, diameterMsg(200, 280)))
		pkts = append(pkts,
			eth(etherIPv4, ipv4x(ip4A, ip4B, protoSCTP, v4opts{id: 4, off: 0, more: true}, sc[:120])),
			eth(etherIPv4, ipv4x(ip4A, ip4B, protoSCTP, v4opts{id: 4, off: 120}, sc[120:])))
		res := collect(t, fileOf(linkEthernet, pkts...), Options{TCPFramer: diameterTCPFramer})
		logProblems(t, res)
		if len(res.msgs) != 2 || len(res.msgs[0].Data) != 300 || res.msgs[0].Transport != TransportTCP ||
			len(res.msgs[1].Data) != 200 || res.msgs[1].PPID != 46 {
			t.Fatalf("msgs %+v", res.msgs)
		}
	})
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	u := udp(1000, 2000, []byte("deep"))
	chain := ext6(ipv6Routing, 1, ext6(ipv6DestOpts, 2, ext6(protoUDP, 1, u)))
	ah := append([]byte{protoUDP, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, u...) // AH, 16 bytes
	atomic := frag6(protoUDP, 0, false, 99, u)
	cases := []struct {
		name string
		pkt  []byte
		want string // "" means a problem
	}{
		{"hop routing dest", ipv6(ip6A, ip6B, ipv6HopByHop, chain), "deep"},
		{"AH", ipv6(ip6A, ip6B, ipv6AH, ah), "deep"},
		{"atomic fragment", ipv6(ip6A, ip6B, ipv6Fragment, atomic), "deep"},
		{"no next header", ipv6(ip6A, ip6B, 59, nil), "-"},
		{"truncated ext", ipv6(ip6A, ip6B, ipv6HopByHop, ext6(protoUDP, 4, nil)[:12]), ""},
		{"too many", ipv6(ip6A, ip6B, ipv6DestOpts, bytes.Repeat(ext6(ipv6DestOpts, 1, nil), 20)), ""},
		{"short header", ipv6(ip6A, ip6B, protoUDP, u)[:30], ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := collect(t, fileOf(linkIPv6, c.pkt), Options{})
			switch c.want {
			case "":
				if len(res.probs) != 1 || res.probs[0].Layer != "ipv6" {
					t.Fatalf("problems %v msgs %q", res.probs, res.data())
				}
				t.Log(res.probs[0])
			case "-":
				if len(res.probs) != 0 || len(res.msgs) != 0 || res.stats.OtherProtocol != 1 {
					t.Fatalf("problems %v msgs %q", res.probs, res.data())
				}
			default:
				logProblems(t, res)
				if len(res.msgs) != 1 || string(res.msgs[0].Data) != c.want {
					t.Fatalf("msgs %q", res.data())
				}
			}
		})
	}
}

func TestIPv6Fragments(t *testing.T) {
	body := []byte(strings.Repeat("IPv6-fragment-", 30))
	// The fragmentable part starts with a destination options header.
	part := ext6(protoUDP, 1, udp(1000, 2000, body))
	var fr [][]byte
	for off := 0; off < len(part); off += 96 {
		end := min(off+96, len(part))
		nh := uint8(ipv6DestOpts)
		if off != 0 {
			nh = 17 // only the first fragment's value counts
		}
		pkt := ipv6(ip6A, ip6B, ipv6HopByHop, ext6(ipv6Fragment, 1, frag6(nh, off, end < len(part), 0xabcdef, part[off:end])))
		fr = append(fr, eth(etherIPv6, pkt))
	}
	t.Run("in order", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, fr...), Options{})
		logProblems(t, res)
		if len(res.msgs) != 1 || !bytes.Equal(res.msgs[0].Data, body) || res.msgs[0].Src.Addr() != ip6A {
			t.Fatalf("%d msgs", len(res.msgs))
		}
	})
	t.Run("reversed", func(t *testing.T) {
		rev := make([][]byte, len(fr))
		for i := range fr {
			rev[i] = fr[len(fr)-1-i]
		}
		res := collect(t, fileOf(linkEthernet, rev...), Options{})
		if len(res.msgs) != 1 || !bytes.Equal(res.msgs[0].Data, body) || res.msgs[0].Frame != len(fr) {
			t.Fatalf("%d msgs", len(res.msgs))
		}
	})
	t.Run("incomplete", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, fr[1:]...), Options{})
		if len(res.msgs) != 0 || res.problemsAt("ipv6") != 1 {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
	})
	t.Run("overlap conflict", func(t *testing.T) {
		evil := bytes.Clone(part[0:96])
		evil[60] ^= 1
		bad := eth(etherIPv6, ipv6(ip6A, ip6B, ipv6Fragment, frag6(ipv6DestOpts, 0, true, 0xabcdef, evil)))
		res := collect(t, fileOf(linkEthernet, append([][]byte{bad}, fr...)...), Options{})
		if len(res.msgs) != 0 || res.problemsAt("ipv6") != 1 {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
	})
}
