package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// fuzzLinks are the link types FuzzReader wraps its input in; the last one
// is unsupported on purpose.
var fuzzLinks = []uint32{linkEthernet, linkSLL, linkSLL2, linkNull, linkLoop, linkRaw, linkRawBSD, linkRawOBSD, linkIPv4, linkIPv6, 147}

// FuzzReader modes: for mode m and n = len(fuzzLinks),
//   - m < n: data is a list of packets (2-byte big-endian length, bytes),
//     written as well-formed pcap records of link type fuzzLinks[m];
//   - n <= m < 2n: data is the body of a pcap file (record headers included)
//     of link type fuzzLinks[m-n];
//   - otherwise: data is a whole pcapng file.
const (
	fuzzModePackets = 0
	fuzzModeBody    = 1
	fuzzModePcapng  = 2
)

func fuzzMode(kind int, link int) uint8 {
	n := len(fuzzLinks)
	switch kind {
	case fuzzModePackets:
		return uint8(link)
	case fuzzModeBody:
		return uint8(n + link)
	}
	return uint8(2 * n)
}

func fuzzFile(mode uint8, data []byte) []byte {
	n := len(fuzzLinks)
	switch m := int(mode); {
	case m < n:
		p := newPcap(fuzzLinks[m])
		for len(data) >= 2 {
			l := min(int(binary.BigEndian.Uint16(data)), len(data)-2)
			p.add(data[2 : 2+l])
			data = data[2+l:]
		}
		return p.bytes()
	case m < 2*n:
		return append(newPcap(fuzzLinks[m-n]).bytes(), data...)
	}
	return data
}

// packetList encodes packets for the packets mode.
func packetList(pkts ...[]byte) []byte {
	var b []byte
	for _, p := range pkts {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, p...)
	}
	return b
}

// wrapLink puts an IP packet inside the link layer lt.
func wrapLink(lt uint32, ip []byte) []byte {
	v6 := len(ip) > 0 && ip[0]>>4 == 6
	et, fam := uint16(etherIPv4), uint32(afInet)
	if v6 {
		et, fam = etherIPv6, afInet6Darwin
	}
	switch lt {
	case linkEthernet:
		return eth(et, ip, etherQinQ, etherVLAN)
	case linkSLL:
		return sll(et, ip)
	case linkSLL2:
		return sll2(et, ip)
	case linkNull:
		return null(fam, binary.LittleEndian, ip)
	case linkLoop:
		return null(fam, binary.BigEndian, ip)
	}
	return ip
}

// fuzzSeedPackets are small crafted IP packets covering every decoder.
func fuzzSeedPackets() [][][]byte {
	u4 := ipv4(ip4A, ip4B, protoUDP, udp(1, 2, []byte("udp")))
	dg := udp(1000, 2000, bytes.Repeat([]byte("frag"), 8))
	f1 := ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 7, more: true}, dg[:24])
	f2 := ipv4x(ip4A, ip4B, protoUDP, v4opts{id: 7, off: 24}, dg[24:])
	part := udp(5, 6, bytes.Repeat([]byte("six"), 10))
	g1 := ipv6(ip6A, ip6B, ipv6Fragment, frag6(protoUDP, 0, true, 9, part[:16]))
	g2 := ipv6(ip6A, ip6B, ipv6HopByHop, ext6(ipv6Fragment, 1, frag6(protoUDP, 16, false, 9, part[16:])))
	sc := sctp(3868, 3868, 5, sackChunk(),
		dataChunk(fB|fE, 1, 0, 0, 46, diameterMsg(20, 280)),
		dataChunk(fB, 2, 1, 0, 3, []byte("m3ua-begin")),
		dataChunk(fE, 3, 1, 0, 3, []byte("m3ua-end")),
		idataChunk(fB|fE, 4, 2, 1, 18, []byte("idata")))
	s4 := ipv4(ip4A, ip4B, protoSCTP, sc)
	tc := func(seq uint32, flags byte, p []byte) []byte {
		return ipv4(ip4A, ip4B, protoTCP, tcp(40000, 3868, seq, 1, flags, p))
	}
	tr := func(seq uint32, flags byte, p []byte) []byte {
		return ipv4(ip4B, ip4A, protoTCP, tcp(3868, 40000, 1, seq, flags, p))
	}
	d := cat(diameterMsg(24, 257), diameterMsg(28, 280))
	t6 := ipv6(ip6A, ip6B, protoTCP, tcp(7, 8, 100, 1, tcpACK, cat(toyMsg(5, 'x'), toyMsg(6, 'y'))))
	return [][][]byte{
		{u4, ipv6(ip6A, ip6B, protoUDP, udp(3, 4, []byte("udp6")))},
		{f2, f1, g2, g1},
		{s4, ipv6(ip6A, ip6B, protoSCTP, sc)},
		{tc(9, tcpSYN, nil), tc(10+24, tcpACK, d[24:]), tc(10, tcpACK, d[:24]), tr(62, tcpACK|tcpFIN, nil), tc(62, tcpFIN|tcpACK, nil)},
		{tc(10, tcpACK, d[3:]), tc(62, tcpACK, d), tr(200, tcpRST, nil), t6},
	}
}

func fuzzPcapng(t testing.TB, pkts ...[]byte) []byte {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkType(linkSLL2), SnapLength: 65535})
	for i, p := range pkts {
		iface, pkt := 0, wrapLink(linkEthernet, p)
		if i%2 == 1 {
			iface, pkt = id, wrapLink(linkSLL2, p)
		}
		ci := gopacket.CaptureInfo{Timestamp: baseTime.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(pkt), Length: len(pkt), InterfaceIndex: iface}
		if err := w.WritePacket(ci, pkt); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

func fuzzFramer(src, dst netip.AddrPort) Framer {
	switch (src.Port() + dst.Port()) % 3 {
	case 0:
		return nil
	case 1:
		return lenFramer
	}
	return diameterFramer
}

func FuzzReader(f *testing.F) {
	for _, pkts := range fuzzSeedPackets() {
		for li, lt := range fuzzLinks {
			var wrapped [][]byte
			for _, p := range pkts {
				wrapped = append(wrapped, wrapLink(lt, p))
			}
			f.Add(fuzzMode(fuzzModePackets, li), packetList(wrapped...))
			f.Add(fuzzMode(fuzzModeBody, li), fuzzFile(fuzzMode(fuzzModePackets, li), packetList(wrapped...))[24:])
		}
		f.Add(fuzzMode(fuzzModePcapng, 0), fuzzPcapng(f, pkts...))
	}
	// Small real captures, when present.
	ents, _ := os.ReadDir(pcapDir())
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || info.Size() > 16<<10 || filepath.Ext(e.Name()) == ".md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(pcapDir(), e.Name()))
		if err != nil || len(b) < 24 {
			continue
		}
		if binary.BigEndian.Uint32(b) == magicPcapng {
			f.Add(fuzzMode(fuzzModePcapng, 0), b)
			continue
		}
		if binary.LittleEndian.Uint32(b) != magicPcapMicro {
			continue
		}
		for li, lt := range fuzzLinks {
			if lt == binary.LittleEndian.Uint32(b[20:]) {
				f.Add(fuzzMode(fuzzModeBody, li), b[24:])
			}
		}
	}

	f.Fuzz(func(t *testing.T, mode uint8, data []byte) {
		file := fuzzFile(mode, data)
		opts := Options{
			TCPFramer:         fuzzFramer,
			MaxMessage:        4096,
			MaxFlows:          8,
			MaxBuffered:       16 << 10,
			ReassemblyTimeout: time.Second,
		}
		if !fuzzRead(t, file, opts) {
			return
		}
		// Read from memory, the file gives the same messages and problems,
		// and the messages said to lie in the file stay valid.
		compareReaders(t, file, opts)
		// The same with fragmented datagrams skipped by their ports.
		opts.WantDatagram = fuzzWant
		fuzzRead(t, file, opts)
		compareReaders(t, file, opts)
		// Within bounds that evict nothing, skipping loses only messages
		// that are not wanted.
		compareWanted(t, file)
	})
}

// fuzzWant wants fragmented datagrams as fuzzFramer frames TCP, and some
// UDP and SCTP by ports.
func fuzzWant(tr Transport, src, dst netip.AddrPort) bool {
	sum := src.Port() + dst.Port()
	switch tr {
	case TransportTCP:
		return sum%3 != 0
	case TransportUDP:
		return sum%2 == 0
	}
	return sum%5 != 0
}

// fuzzRead reads file to the end checking the invariants of every call;
// false if it is not a capture file.
func fuzzRead(t *testing.T, file []byte, opts Options) bool {
	r, err := NewReader(bytes.NewReader(file), opts)
	if err != nil {
		return false
	}
	// Each call returns a message or a problem, and the number of
	// either is bounded by the input size: a hang is a bug.
	limit := 16*len(file) + 1000
	for i := 0; ; i++ {
		if i > limit {
			t.Fatalf("Next still returning after %d calls for a %d-byte file", i, len(file))
		}
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if p, ok := err.(*Problem); ok {
			if p.Frame < 0 || p.Frame > r.frame || p.Layer == "" || p.Reason == "" || p.Layer == "unknown" {
				t.Fatalf("bad problem %+v (frame %d)", p, r.frame)
			}
			continue
		}
		if err != nil {
			if _, again := r.Next(); again != err {
				t.Fatalf("fatal error not sticky: %v then %v", err, again)
			}
			break
		}
		if len(m.Data) > opts.MaxMessage || m.Frame < 1 || m.Frame > r.frame ||
			m.Transport < TransportUDP || m.Transport > TransportSCTP || !m.Src.IsValid() || !m.Dst.IsValid() {
			t.Fatalf("bad message %+v (frame %d)", m, r.frame)
		}
		if r.frag.sets.len() > opts.MaxFlows || r.tcp.flows.len() > opts.MaxFlows ||
			r.sctp.runs.len() > opts.MaxFlows || r.sctp.parked.len() > opts.MaxFlows || r.sctp.dirs.len() > opts.MaxFlows {
			t.Fatal("a table outgrew MaxFlows")
		}
		// One state item may exceed the budget on its own (a datagram
		// or message being built), never more.
		const slack = 2 * 65536
		if r.frag.bytes > opts.MaxBuffered+slack || r.sctp.bytes > opts.MaxBuffered+slack || r.tcp.bytes > opts.MaxBuffered+slack {
			t.Fatalf("buffers over budget: frag %d sctp %d tcp %d", r.frag.bytes, r.sctp.bytes, r.tcp.bytes)
		}
	}
	// At the end of the capture every reassembly buffer is released.
	if r.err == io.EOF && (r.frag.bytes != 0 || r.sctp.bytes != 0 || r.tcp.bytes != 0 ||
		r.sctp.runs.len() != 0 || r.sctp.parked.len() != 0 || r.frag.sets.len() != 0) {
		t.Fatalf("state left after EOF: frag %d/%d sctp %d/%d/%d tcp %d", r.frag.sets.len(), r.frag.bytes,
			r.sctp.runs.len(), r.sctp.parked.len(), r.sctp.bytes, r.tcp.bytes)
	}
	return true
}

// compareWanted reads file with and without Options.WantDatagram (fuzzWant),
// with bounds the fuzzer cannot reach: the messages read with it must be
// those read without it, less only some of transports and ports fuzzWant
// does not want.
func compareWanted(t *testing.T, file []byte) {
	all, wanted := Options{TCPFramer: fuzzFramer, ReassemblyTimeout: time.Second}, Options{TCPFramer: fuzzFramer, ReassemblyTimeout: time.Second, WantDatagram: fuzzWant}
	ra, errA := NewReader(bytes.NewReader(file), all)
	rw, errW := NewReader(bytes.NewReader(file), wanted)
	if errA != nil || errW != nil {
		return
	}
	a, w := readAll(t, ra, file), readAll(t, rw, file)
	i := 0
	for _, ev := range a {
		if ev.prob != "" {
			continue
		}
		for i < len(w) && w[i].prob != "" {
			i++
		}
		if i < len(w) && reflect.DeepEqual(w[i], ev) {
			i++
			continue
		}
		if ev.err != "" || fuzzWant(ev.msg.Transport, ev.msg.Src, ev.msg.Dst) {
			t.Fatalf("read with WantDatagram, %+v is missing", ev)
		}
	}
	for ; i < len(w); i++ {
		if w[i].prob == "" {
			t.Fatalf("read with WantDatagram, %+v is extra", w[i])
		}
	}
}
