package capture

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// wantGTPC wants fragmented datagrams to or from the GTP-C port only.
func wantGTPC(t Transport, src, dst netip.AddrPort) bool {
	return src.Port() == 2123 || dst.Port() == 2123
}

// fragmentsOf splits an IPv4 payload of protocol proto into fragments of
// size bytes.
func fragmentsOf(proto uint8, id uint16, payload []byte, size int) [][]byte {
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		out = append(out, eth(etherIPv4, ipv4x(ip4A, ip4B, proto, v4opts{id: id, off: off, more: end < len(payload)}, payload[off:end])))
	}
	return out
}

// TestIgnoredFragments checks that a fragmented datagram the caller does
// not want is not reassembled, and that it cannot be turned into a wanted
// one by a later fragment rewriting its header.
func TestIgnoredFragments(t *testing.T) {
	body := []byte(strings.Repeat("0123456789abcdef", 20))
	gtpu := udp(2152, 2152, body) // 328 bytes: not wanted
	fr := fragments4(77, gtpu, 80)
	gtpc := udp(2123, 2123, body) // wanted
	want := fragments4(78, gtpc, 80)
	opts := Options{WantDatagram: wantGTPC}

	t.Run("in order", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, append(append([][]byte{}, fr...), want...)...), opts)
		logProblems(t, res)
		if len(res.probs) != 0 || len(res.msgs) != 1 || !bytes.Equal(res.msgs[0].Data, body) || res.msgs[0].Dst.Port() != 2123 {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
		st := res.stats
		if st.IPFragments != 10 || st.IPFragIgnored != 5 || st.IPIgnored != 1 || st.IPReassembled != 1 || st.IPFragDropped != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("no buffering", func(t *testing.T) {
		r := mustReader(t, fileOf(linkEthernet, fr[0], fr[1], udpPacket4("x"), fr[2]), opts)
		if m, err := r.Next(); err != nil || string(m.Data) != "x" {
			t.Fatalf("%q %v", m.Data, err)
		}
		if r.frag.sets.len() != 1 || r.frag.bytes != 0 {
			t.Fatalf("%d sets, %d bytes buffered", r.frag.sets.len(), r.frag.bytes)
		}
		drain(t, r)
		// A fragment buffered before the first is released by it.
		r = mustReader(t, fileOf(linkEthernet, fr[2], fr[0], udpPacket4("x"), fr[1]), opts)
		if m, err := r.Next(); err != nil || string(m.Data) != "x" {
			t.Fatalf("%q %v", m.Data, err)
		}
		if r.frag.sets.len() != 1 || r.frag.bytes != 0 || r.stats.IPFragIgnored != 1 {
			t.Fatalf("%d sets, %d bytes buffered, %d ignored", r.frag.sets.len(), r.frag.bytes, r.stats.IPFragIgnored)
		}
		drain(t, r)
	})
	t.Run("without WantDatagram", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, fr...), Options{})
		if len(res.msgs) != 1 || res.stats.IPFragIgnored != 0 || res.stats.IPReassembled != 1 {
			t.Fatalf("msgs %d stats %+v", len(res.msgs), res.stats)
		}
	})
	t.Run("out of order", func(t *testing.T) {
		// Fragments before the first are buffered; from the first on the
		// datagram is ignored.
		res := collect(t, fileOf(linkEthernet, fr[4], fr[2], fr[0], fr[3], fr[1]), opts)
		logProblems(t, res)
		if len(res.probs) != 0 || len(res.msgs) != 0 {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
		if st := res.stats; st.IPFragIgnored != 3 || st.IPIgnored != 1 || st.IPReassembled != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("out of order conflict before the first", func(t *testing.T) {
		// Today's checks apply to the fragments buffered before the first.
		evil := bytes.Clone(gtpu[0:80])
		evil[70] ^= 0xff
		early := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 77, off: 0, more: true}, evil))
		dup := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 77, off: 64, more: true}, gtpu[64:80]))
		res := collect(t, fileOf(linkEthernet, dup, early, fr[1], fr[2], fr[3], fr[4]), opts)
		if len(res.msgs) != 0 || len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "different bytes") {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
	})
	t.Run("duplicate first fragment", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, fr[0], fr[1], fr[0], fr[2], fr[3], fr[4]), opts)
		if len(res.probs) != 0 || len(res.msgs) != 0 || res.stats.IPIgnored != 1 {
			t.Fatalf("msgs %d problems %v stats %+v", len(res.msgs), res.probs, res.stats)
		}
	})
	// A second first fragment naming a wanted port: a host that keeps the
	// last copy would deliver GTP-C. Whichever comes first, the datagram
	// is poisoned and reported.
	evil := bytes.Clone(gtpc[0:80])
	evilFirst := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 77, off: 0, more: true}, evil))
	for name, pkts := range map[string][][]byte{
		"header rewritten after":           {fr[0], fr[1], evilFirst, fr[2], fr[3], fr[4]},
		"header rewritten after, complete": {fr[0], fr[1], fr[2], fr[3], evilFirst, fr[4]},
		"header rewritten before":          {evilFirst, fr[1], fr[0], fr[2], fr[3], fr[4]},
	} {
		t.Run(name, func(t *testing.T) {
			res := collect(t, fileOf(linkEthernet, pkts...), opts)
			if len(res.msgs) != 0 || len(res.probs) != 1 || res.probs[0].Layer != "ipv4" ||
				!strings.Contains(res.probs[0].Reason, "overlaps earlier data with different bytes") {
				t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
			}
			if res.stats.IPFragDropped == 0 || res.stats.IPIgnored != 0 {
				t.Fatalf("stats %+v", res.stats)
			}
		})
	}
	t.Run("header overlapped from offset 8", func(t *testing.T) {
		bad := bytes.Clone(gtpu[8:40])
		bad[0] ^= 1
		pkt := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 77, off: 8, more: true}, bad))
		res := collect(t, fileOf(linkEthernet, fr[0], pkt, fr[1], fr[2], fr[3], fr[4]), opts)
		if len(res.msgs) != 0 || len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "different bytes") {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
	})
	t.Run("consistency checks kept", func(t *testing.T) {
		last := eth(etherIPv4, ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 77, off: 240}, gtpu[240:248]))
		res := collect(t, fileOf(linkEthernet, fr[0], fr[1], fr[4], last), opts)
		if len(res.probs) != 1 || !strings.Contains(res.probs[0].Reason, "disagree") {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("incomplete and timed out", func(t *testing.T) {
		p := newPcap(linkEthernet)
		p.addAt(baseTime, fr[0], len(fr[0]))
		p.addAt(baseTime.Add(time.Second), fr[1], len(fr[1]))
		p.addAt(baseTime.Add(40*time.Second), fr[2], len(fr[2]))
		p.addAt(baseTime.Add(41*time.Second), want[0], len(want[0]))
		res := collect(t, p.bytes(), Options{WantDatagram: wantGTPC, ReassemblyTimeout: 30 * time.Second})
		if len(res.probs) != 3 || !strings.Contains(res.probs[0].Reason, "(160 bytes received) timed out") || res.probs[0].Frame != 2 ||
			!strings.Contains(res.probs[1].Reason, "(80 bytes received) at the end") ||
			!strings.Contains(res.probs[2].Reason, "at the end") {
			t.Fatalf("problems %v", res.probs)
		}
	})
	t.Run("table bound", func(t *testing.T) {
		var pkts [][]byte
		for id := range 10 {
			pkts = append(pkts, fragments4(uint16(id), gtpu, 80)[0])
		}
		r := mustReader(t, fileOf(linkEthernet, pkts...), Options{WantDatagram: wantGTPC, MaxFlows: 4})
		evicted, ended := 0, 0
		for {
			_, err := r.Next()
			if err != nil {
				p, ok := err.(*Problem)
				if !ok {
					break
				}
				switch {
				case strings.Contains(p.Reason, "evicted: more than 4 fragment sets"):
					evicted++
				case strings.Contains(p.Reason, "at the end"):
					ended++
				default:
					t.Fatal(p)
				}
			}
			if r.frag.sets.len() > 4 || r.frag.bytes != 0 {
				t.Fatalf("%d sets, %d bytes", r.frag.sets.len(), r.frag.bytes)
			}
		}
		if evicted != 6 || ended != 4 || r.stats.Evictions != 6 || r.stats.IPFragIgnored != 10 {
			t.Fatalf("evicted %d, ended %d, stats %+v", evicted, ended, r.stats.Stats)
		}
	})
	t.Run("transports", func(t *testing.T) {
		var asked []string
		o := Options{WantDatagram: func(tr Transport, src, dst netip.AddrPort) bool {
			asked = append(asked, fmt.Sprintf("%v %v %v", tr, src, dst))
			return false
		}, TCPFramer: allTCP}
		seg := tcp(40000, 3868, 100, 0, tcpACK, toyMsg(300, 'a'))
		sc := sctp(2905, 2906, 1, dataChunk(fB|fE, 1, 0, 0, 3, toyMsg(200, 'b')))
		icmp := bytes.Repeat([]byte{8}, 200)
		var pkts [][]byte
		pkts = append(pkts, fragmentsOf(protoTCP, 1, seg, 104)...)
		pkts = append(pkts, fragmentsOf(protoSCTP, 2, sc, 104)...)
		pkts = append(pkts, fragmentsOf(1, 3, icmp, 104)...)
		res := collect(t, fileOf(linkEthernet, pkts...), o)
		want := []string{"tcp 10.0.0.1:40000 10.0.0.2:3868", "sctp 10.0.0.1:2905 10.0.0.2:2906"}
		if len(res.msgs) != 0 || len(res.probs) != 0 || fmt.Sprint(asked) != fmt.Sprint(want) || res.stats.IPIgnored != 3 ||
			res.stats.OtherProtocol != 0 || res.stats.TCPIgnored != 0 {
			t.Fatalf("msgs %d problems %v asked %q stats %+v", len(res.msgs), res.probs, asked, res.stats)
		}
	})
}

func TestIgnoredFragmentsIPv6(t *testing.T) {
	body := []byte(strings.Repeat("IPv6-fragment-", 30))
	part := ext6(protoUDP, 1, udp(2152, 2152, body)) // UDP after a destination options header
	frags := func(part []byte, nh0 uint8) [][]byte {
		var fr [][]byte
		for off := 0; off < len(part); off += 96 {
			end := min(off+96, len(part))
			nh := nh0
			if off != 0 {
				nh = 59
			}
			fr = append(fr, eth(etherIPv6, ipv6(ip6A, ip6B, ipv6Fragment, frag6(nh, off, end < len(part), 0xabcdef, part[off:end]))))
		}
		return fr
	}
	fr := frags(part, ipv6DestOpts)
	opts := Options{WantDatagram: wantGTPC}
	t.Run("ignored", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, fr...), opts)
		if len(res.msgs) != 0 || len(res.probs) != 0 || res.stats.IPIgnored != 1 || res.stats.IPFragIgnored != uint64(len(fr)) {
			t.Fatalf("msgs %d problems %v stats %+v", len(res.msgs), res.probs, res.stats)
		}
	})
	t.Run("wanted", func(t *testing.T) {
		res := collect(t, fileOf(linkEthernet, frags(ext6(protoUDP, 1, udp(2152, 2123, body)), ipv6DestOpts)...), opts)
		if len(res.msgs) != 1 || !bytes.Equal(res.msgs[0].Data, body) || res.stats.IPFragIgnored != 0 {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
	})
	t.Run("ports beyond the kept head", func(t *testing.T) {
		long := ext6(protoUDP, 8, udp(2152, 2152, body)) // ports at 64..68
		res := collect(t, fileOf(linkEthernet, frags(long, ipv6DestOpts)...), opts)
		if len(res.msgs) != 1 || res.stats.IPFragIgnored != 0 {
			t.Fatalf("msgs %d stats %+v", len(res.msgs), res.stats)
		}
	})
	t.Run("header rewritten", func(t *testing.T) {
		evil := frags(ext6(protoUDP, 1, udp(2152, 2123, body)), ipv6DestOpts)[0]
		res := collect(t, fileOf(linkEthernet, fr[0], evil, fr[1], fr[2]), opts)
		if len(res.msgs) != 0 || res.problemsAt("ipv6") != 1 || !strings.Contains(res.probs[0].Reason, "different bytes") {
			t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
		}
	})
	t.Run("next header rewritten", func(t *testing.T) {
		// The same bytes read as UDP rather than options: other ports.
		evil := frags(part, protoUDP)[0]
		for _, o := range []Options{opts, {}} {
			res := collect(t, fileOf(linkEthernet, fr[0], evil, fr[1], fr[2]), o)
			if len(res.msgs) != 0 || res.problemsAt("ipv6") != 1 || !strings.Contains(res.probs[0].Reason, "different next header") {
				t.Fatalf("msgs %d problems %v", len(res.msgs), res.probs)
			}
		}
	})
}
