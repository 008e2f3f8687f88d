package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func TestLinkTypes(t *testing.T) {
	u4 := ipv4(ip4A, ip4B, protoUDP, udp(1000, 2000, []byte("v4")))
	u6 := ipv6(ip6A, ip6B, protoUDP, udp(1000, 2000, []byte("v6")))
	le, be := binary.LittleEndian, binary.BigEndian
	cases := []struct {
		name string
		link uint32
		pkt  []byte
		want string
	}{
		{"ethernet", linkEthernet, eth(etherIPv4, u4), "v4"},
		{"ethernet ipv6", linkEthernet, eth(etherIPv6, u6), "v6"},
		{"802.1Q", linkEthernet, eth(etherIPv4, u4, etherVLAN), "v4"},
		{"QinQ 88a8", linkEthernet, eth(etherIPv6, u6, etherQinQ, etherVLAN), "v6"},
		{"QinQ 9100", linkEthernet, eth(etherIPv4, u4, etherQinQOld1, etherVLAN), "v4"},
		{"stacked tags", linkEthernet, eth(etherIPv4, u4, etherQinQ, etherQinQOld1, etherVLAN, etherVLAN), "v4"},
		{"802.3 SNAP", linkEthernet, eth(uint16(8+len(u4)), append([]byte{0xaa, 0xaa, 3, 0, 0, 0, 8, 0}, u4...)), "v4"},
		{"MPLS", linkEthernet, eth(etherMPLS, append([]byte{0, 1, 0, 64, 0, 2, 1, 64}, u4...)), "v4"},
		{"PPPoE", linkEthernet, eth(etherPPPoE, append([]byte{0x11, 0, 0, 1, 0, 0, 0, 0x57}, u6...)), "v6"},
		{"SLL", linkSLL, sll(etherIPv4, u4), "v4"},
		{"SLL vlan", linkSLL, sll(etherVLAN, append([]byte{0, 5, 0x86, 0xdd}, u6...)), "v6"},
		{"SLL2", linkSLL2, sll2(etherIPv6, u6), "v6"},
		{"NULL LE inet", linkNull, null(afInet, le, u4), "v4"},
		{"NULL BE inet", linkNull, null(afInet, be, u4), "v4"},
		{"NULL inet6 NetBSD", linkNull, null(afInet6NetBSD, le, u6), "v6"},
		{"NULL inet6 FreeBSD", linkNull, null(afInet6FreeBSD, be, u6), "v6"},
		{"NULL inet6 Darwin", linkNull, null(afInet6Darwin, le, u6), "v6"},
		{"LOOP", linkLoop, null(afInet, be, u4), "v4"},
		{"LOOP inet6", linkLoop, null(afInet6Darwin, be, u6), "v6"},
		{"RAW 101 v4", linkRaw, u4, "v4"},
		{"RAW 101 v6", linkRaw, u6, "v6"},
		{"RAW 12", linkRawBSD, u4, "v4"},
		{"RAW 14", linkRawOBSD, u6, "v6"},
		{"IPv4 228", linkIPv4, u4, "v4"},
		{"IPv6 229", linkIPv6, u6, "v6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := collect(t, newPcap(c.link).add(c.pkt).bytes(), Options{})
			logProblems(t, res)
			if len(res.msgs) != 1 || string(res.msgs[0].Data) != c.want {
				t.Fatalf("got %q, want [%q]", res.data(), c.want)
			}
			m := res.msgs[0]
			if m.Frame != 1 || m.Transport != TransportUDP || m.Src.Port() != 1000 || m.Dst.Port() != 2000 {
				t.Fatalf("bad metadata %+v", m)
			}
			wantSrc := ip4A
			if c.want == "v6" {
				wantSrc = ip6A
			}
			if m.Src.Addr() != wantSrc {
				t.Fatalf("src %v, want %v", m.Src.Addr(), wantSrc)
			}
		})
	}
}

func TestNonIPFramesAreCountedNotReported(t *testing.T) {
	file := newPcap(linkEthernet).
		add(eth(0x0806, make([]byte, 28))).               // ARP
		add(eth(0x88cc, make([]byte, 30))).               // LLDP
		add(eth(100, []byte{0x42, 0x42, 3, 1, 2, 3, 4})). // 802.3 STP
		add(udpPacket4("after")).bytes()
	res := collect(t, file, Options{})
	if len(res.probs) != 0 || len(res.msgs) != 1 || res.stats.NonIP != 3 {
		t.Fatalf("problems %v msgs %q nonIP %d", res.probs, res.data(), res.stats.NonIP)
	}
}

func TestLinkProblems(t *testing.T) {
	cases := []struct {
		name  string
		link  uint32
		pkt   []byte
		layer string
	}{
		{"short ethernet", linkEthernet, []byte{1, 2, 3}, "ethernet"},
		{"truncated vlan", linkEthernet, eth(etherVLAN, []byte{0, 1}), "ethernet"},
		{"too many tags", linkEthernet, eth(etherIPv4, nil, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN), "ethernet"},
		{"short sll", linkSLL, make([]byte, 10), "sll"},
		{"short sll2", linkSLL2, make([]byte, 19), "sll2"},
		{"short null", linkNull, []byte{2, 0}, "null"},
		{"raw bad version", linkRaw, []byte{0x50, 0, 0, 0}, "link"},
		{"ipv4 link with v6", linkIPv4, ipv6(ip6A, ip6B, protoUDP, udp(1, 2, nil)), "ipv4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := collect(t, newPcap(c.link).add(c.pkt).add(c.pkt).bytes(), Options{})
			if len(res.probs) != 2 || res.probs[0].Layer != c.layer || res.probs[1].Frame != 2 {
				t.Fatalf("problems %v, want two at layer %s", res.probs, c.layer)
			}
			if !strings.Contains(res.probs[0].Error(), "frame 1: "+c.layer+": ") {
				t.Fatalf("Error() = %q", res.probs[0].Error())
			}
		})
	}
}

func TestUnknownLinkTypeReportedOncePerInterface(t *testing.T) {
	file := newPcap(147).add([]byte{1, 2, 3}).add([]byte{4, 5, 6}).add([]byte{7}).bytes()
	res := collect(t, file, Options{})
	if len(res.probs) != 1 || res.probs[0].Layer != "link" || res.stats.UnsupportedLink != 3 || res.stats.Packets != 3 {
		t.Fatalf("problems %v stats %+v", res.probs, res.stats)
	}
}

// TestPcapVariants covers every pcap magic and byte order, nanosecond
// timestamps, old minor versions, Kuznetzov's patched format and gzip.
func TestPcapVariants(t *testing.T) {
	pkt := udpPacket4("hello")
	ts := time.Date(2023, 5, 6, 7, 8, 9, 123456789, time.UTC)
	build := func(order binary.ByteOrder, nano bool) []byte {
		return newPcapVariant(linkEthernet, order, nano).addAt(ts, pkt, len(pkt)).bytes()
	}
	patched := func(order binary.ByteOrder) []byte {
		var b bytes.Buffer
		h := make([]byte, 24)
		order.PutUint32(h[0:], magicPcapPatched)
		order.PutUint16(h[4:], 2)
		order.PutUint16(h[6:], 4)
		order.PutUint32(h[16:], 65535)
		order.PutUint32(h[20:], linkEthernet)
		b.Write(h)
		for range 2 {
			rec := make([]byte, 24)
			order.PutUint32(rec[0:], uint32(ts.Unix()))
			order.PutUint32(rec[4:], uint32(ts.Nanosecond()/1000))
			order.PutUint32(rec[8:], uint32(len(pkt)))
			order.PutUint32(rec[12:], uint32(len(pkt)))
			order.PutUint32(rec[16:], 7) // ifindex
			order.PutUint16(rec[20:], etherIPv4)
			rec[22] = 0 // pkt_type
			b.Write(rec)
			b.Write(pkt)
		}
		return b.Bytes()
	}
	oldMinor := build(binary.LittleEndian, false)
	binary.LittleEndian.PutUint16(oldMinor[6:], 3)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(build(binary.BigEndian, true))
	zw.Close()

	micro := ts.Truncate(time.Microsecond)
	cases := []struct {
		name string
		file []byte
		want time.Time
		n    int
	}{
		{"micro LE", build(binary.LittleEndian, false), micro, 1},
		{"micro BE", build(binary.BigEndian, false), micro, 1},
		{"nano LE", build(binary.LittleEndian, true), ts, 1},
		{"nano BE", build(binary.BigEndian, true), ts, 1},
		{"version 2.3", oldMinor, micro, 1},
		{"patched LE", patched(binary.LittleEndian), micro, 2},
		{"patched BE", patched(binary.BigEndian), micro, 2},
		{"gzip", gz.Bytes(), ts, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := collect(t, c.file, Options{})
			logProblems(t, res)
			if len(res.msgs) != c.n || string(res.msgs[0].Data) != "hello" || !res.msgs[0].Time.Equal(c.want) {
				t.Fatalf("got %d msgs %+v, want time %v", len(res.msgs), res.msgs, c.want)
			}
		})
	}
}

func TestPcapngMixedLinkTypes(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 65535},
		pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sllID, _ := w.AddInterface(pcapgo.NgInterface{Name: "any", LinkType: layers.LinkType(linkSLL2), SnapLength: 65535})
	oddID, _ := w.AddInterface(pcapgo.NgInterface{Name: "odd", LinkType: layers.LinkType(147), SnapLength: 65535})
	rawID, _ := w.AddInterface(pcapgo.NgInterface{Name: "raw", LinkType: layers.LinkType(linkIPv6), SnapLength: 65535})
	write := func(id int, pkt []byte, sec int) {
		ci := gopacket.CaptureInfo{Timestamp: baseTime.Add(time.Duration(sec) * time.Second), CaptureLength: len(pkt), Length: len(pkt), InterfaceIndex: id}
		if err := w.WritePacket(ci, pkt); err != nil {
			t.Fatal(err)
		}
	}
	write(0, udpPacket4("one"), 1)
	write(sllID, sll2(etherIPv4, ipv4(ip4A, ip4B, protoUDP, udp(1, 2, []byte("two")))), 2)
	write(oddID, []byte("garbage"), 3)
	write(oddID, []byte("garbage"), 4)
	write(rawID, ipv6(ip6A, ip6B, protoUDP, udp(1, 2, []byte("three"))), 5)
	w.Flush()

	res := collect(t, buf.Bytes(), Options{})
	if got := strings.Join(res.data(), ","); got != "one,two,three" {
		t.Fatalf("messages %q", got)
	}
	if res.msgs[2].Frame != 5 || !res.msgs[2].Time.Equal(baseTime.Add(5*time.Second)) {
		t.Fatalf("frame/time %d %v", res.msgs[2].Frame, res.msgs[2].Time)
	}
	if len(res.probs) != 1 || res.probs[0].Frame != 3 || !strings.Contains(res.probs[0].Reason, "interface 2") {
		t.Fatalf("problems %v", res.probs)
	}
}

func TestFileErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		file []byte
	}{
		{"empty", nil},
		{"short", []byte{0xd4, 0xc3}},
		{"not a capture", []byte("GET / HTTP/1.1\r\n\r\n........")},
		{"pcap version 1", func() []byte {
			b := newPcap(1).bytes()
			binary.LittleEndian.PutUint16(b[4:], 1)
			return b
		}()},
		{"pcap header cut", newPcap(1).bytes()[:20]},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewReader(bytes.NewReader(c.file), Options{}); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestTruncatedFileIsAProblemNotFatal(t *testing.T) {
	file := newPcap(linkEthernet).add(udpPacket4("first")).add(udpPacket4("second")).bytes()
	res := collect(t, file[:len(file)-3], Options{})
	if len(res.msgs) != 1 || len(res.probs) != 1 || res.probs[0].Layer != "pcap" {
		t.Fatalf("msgs %q problems %v", res.data(), res.probs)
	}
}

func TestCorruptRecordIsFatal(t *testing.T) {
	p := newPcap(linkEthernet).add(udpPacket4("first"))
	var h [16]byte
	binary.LittleEndian.PutUint32(h[8:], 1<<30) // caplen far over the snaplen
	binary.LittleEndian.PutUint32(h[12:], 1<<30)
	p.buf.Write(h[:])
	r, err := NewReader(bytes.NewReader(p.bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := r.Next(); err != nil || string(m.Data) != "first" {
		t.Fatalf("first: %q %v", m.Data, err)
	}
	_, err = r.Next()
	if _, isProblem := err.(*Problem); err == nil || isProblem {
		t.Fatalf("want a fatal error, got %v", err)
	}
	if _, err2 := r.Next(); err2 != err {
		t.Fatalf("fatal error not sticky: %v", err2)
	}
}

func TestOpenAndClose(t *testing.T) {
	path := t.TempDir() + "/x.pcap"
	if err := writeFile(path, newPcap(linkEthernet).add(udpPacket4("x")).bytes()); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Next()
	if err != nil || string(m.Data) != "x" || m.Src != netip.AddrPortFrom(ip4A, 1000) {
		t.Fatalf("%+v %v", m, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path+".missing", Options{}); err == nil {
		t.Fatal("no error for a missing file")
	}
}
