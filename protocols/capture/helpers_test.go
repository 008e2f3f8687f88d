package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// This file holds helpers that build captures byte by byte, and a collector
// that reads a capture fully.

func pcapDir() string { return filepath.Join("..", "..", "..", "shared", "pcaps") }

var errNotDiameter = errors.New("not a Diameter header")

// diameterFramer frames Diameter: version 1, 24-bit length >= 20.
func diameterFramer(b []byte) (int, error) {
	if len(b) < 4 {
		return 0, nil
	}
	if b[0] != 1 {
		return 0, errNotDiameter
	}
	n := int(binary.BigEndian.Uint32(b) & 0xffffff)
	if n < 20 {
		return 0, errNotDiameter
	}
	if n > len(b) {
		return 0, nil
	}
	return n, nil
}

func diameterTCPFramer(src, dst netip.AddrPort) Framer {
	if src.Port() == 3868 || dst.Port() == 3868 {
		return diameterFramer
	}
	return nil
}

// lenFramer frames a toy protocol: 2-byte big-endian total length (>= 3),
// then a byte that must be 'M'.
// signalingDatagrams wants fragmented datagrams as the replay does: all
// SCTP, and TCP and UDP to or from the Diameter and GTP-C ports.
func signalingDatagrams(t Transport, src, dst netip.AddrPort) bool {
	if t == TransportSCTP {
		return true
	}
	for _, p := range []uint16{3868, 2123, 3386} {
		if src.Port() == p || dst.Port() == p {
			return true
		}
	}
	return false
}

func lenFramer(b []byte) (int, error) {
	if len(b) < 3 {
		return 0, nil
	}
	n := int(binary.BigEndian.Uint16(b))
	if n < 3 || b[2] != 'M' {
		return 0, errors.New("bad toy header")
	}
	if n > len(b) {
		return 0, nil
	}
	return n, nil
}

func allTCP(src, dst netip.AddrPort) Framer { return lenFramer }

// toyMsg builds a toy-protocol message of total length n (>= 3).
func toyMsg(n int, fill byte) []byte {
	b := bytes.Repeat([]byte{fill}, n)
	binary.BigEndian.PutUint16(b, uint16(n))
	b[2] = 'M'
	return b
}

// diameterMsg builds a Diameter-looking message of total length n.
func diameterMsg(n int, code uint32) []byte {
	b := make([]byte, n)
	binary.BigEndian.PutUint32(b, uint32(n))
	b[0] = 1
	binary.BigEndian.PutUint32(b[4:], code)
	return b
}

// ---- capture files ----

var baseTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

type pcapBuilder struct {
	buf   bytes.Buffer
	order binary.ByteOrder
	nano  bool
	ts    time.Time
}

// newPcap starts a little-endian microsecond pcap file of link type lt.
func newPcap(lt uint32) *pcapBuilder {
	return newPcapVariant(lt, binary.LittleEndian, false)
}

func newPcapVariant(lt uint32, order binary.ByteOrder, nano bool) *pcapBuilder {
	p := &pcapBuilder{order: order, nano: nano, ts: baseTime}
	var h [24]byte
	magic := uint32(magicPcapMicro)
	if nano {
		magic = magicPcapNano
	}
	order.PutUint32(h[0:], magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], 262144)
	order.PutUint32(h[20:], lt)
	p.buf.Write(h[:])
	return p
}

// add appends a record 1ms after the previous one.
func (p *pcapBuilder) add(pkt []byte) *pcapBuilder {
	p.ts = p.ts.Add(time.Millisecond)
	return p.addAt(p.ts, pkt, len(pkt))
}

// addAt appends a record with timestamp ts and original length orig.
func (p *pcapBuilder) addAt(ts time.Time, pkt []byte, orig int) *pcapBuilder {
	var h [16]byte
	sub := ts.Nanosecond() / 1000
	if p.nano {
		sub = ts.Nanosecond()
	}
	p.order.PutUint32(h[0:], uint32(ts.Unix()))
	p.order.PutUint32(h[4:], uint32(sub))
	p.order.PutUint32(h[8:], uint32(len(pkt)))
	p.order.PutUint32(h[12:], uint32(orig))
	p.buf.Write(h[:])
	p.buf.Write(pkt)
	return p
}

// addTime appends a whole record with timestamp ts.
func (p *pcapBuilder) addTime(ts time.Time, pkt []byte) *pcapBuilder {
	return p.addAt(ts, pkt, len(pkt))
}

func (p *pcapBuilder) bytes() []byte { return p.buf.Bytes() }

// ---- link layers ----

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0xa}
	macB = []byte{0x02, 0, 0, 0, 0, 0xb}
)

// eth wraps payload in Ethernet with the given ethertype and VLAN tags
// (each tag is a TPID; VIDs are arbitrary), outermost first.
func eth(etype uint16, payload []byte, tpids ...uint16) []byte {
	b := append(append([]byte{}, macA...), macB...)
	for i, tp := range tpids {
		b = binary.BigEndian.AppendUint16(b, tp)
		b = binary.BigEndian.AppendUint16(b, uint16(100+i))
	}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

func sll(proto uint16, payload []byte) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint16(b[0:], 0) // packet type: to us
	binary.BigEndian.PutUint16(b[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(b[4:], 6) // address length
	copy(b[6:], macA)                    // address
	binary.BigEndian.PutUint16(b[14:], proto)
	return append(b, payload...)
}

func sll2(proto uint16, payload []byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], proto)
	binary.BigEndian.PutUint32(b[4:], 3) // ifindex
	binary.BigEndian.PutUint16(b[8:], 1) // ARPHRD_ETHER
	b[10] = 4                            // outgoing
	b[11] = 6
	copy(b[12:], macA)
	return append(b, payload...)
}

func null(family uint32, order binary.ByteOrder, payload []byte) []byte {
	b := make([]byte, 4, 4+len(payload))
	order.PutUint32(b, family)
	return append(b, payload...)
}

// ---- IP ----

var (
	ip4A = netip.MustParseAddr("10.0.0.1")
	ip4B = netip.MustParseAddr("10.0.0.2")
	ip6A = netip.MustParseAddr("2001:db8::1")
	ip6B = netip.MustParseAddr("2001:db8::2")
)

type v4opts struct {
	id      uint16
	off     int  // bytes, multiple of 8
	more    bool // MF
	options []byte
	total   int // override of the total length field (0: computed)
}

func ipv4(src, dst netip.Addr, proto uint8, payload []byte) []byte {
	return ipv4x(src, dst, proto, v4opts{id: 1}, payload)
}

func ipv4x(src, dst netip.Addr, proto uint8, o v4opts, payload []byte) []byte {
	hl := 20 + len(o.options)
	b := make([]byte, hl, hl+len(payload))
	b[0] = 0x40 | byte(hl/4)
	total := hl + len(payload)
	if o.total != 0 {
		total = o.total
	}
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	binary.BigEndian.PutUint16(b[4:], o.id)
	fo := uint16(o.off / 8)
	if o.more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], fo)
	b[8] = 64
	b[9] = proto
	s, d := src.As4(), dst.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	copy(b[20:], o.options)
	return append(b, payload...)
}

// ipv6 builds an IPv6 packet; payload starts with the header nh names.
func ipv6(src, dst netip.Addr, nh uint8, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = nh
	b[7] = 64
	s, d := src.As16(), dst.As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

// ext6 builds a hop-by-hop/routing/destination-options header of 8*units bytes.
func ext6(nh uint8, units int, rest []byte) []byte {
	b := make([]byte, 8*units)
	b[0] = nh
	b[1] = byte(units - 1)
	if units > 0 && len(b) >= 4 {
		b[2] = 1 // PadN option covering the rest
		b[3] = byte(len(b) - 4)
	}
	return append(b, rest...)
}

// frag6 builds an IPv6 fragment header followed by data.
func frag6(nh uint8, off int, more bool, id uint32, data []byte) []byte {
	b := make([]byte, 8)
	b[0] = nh
	fo := uint16(off)
	if more {
		fo |= 1
	}
	binary.BigEndian.PutUint16(b[2:], fo)
	binary.BigEndian.PutUint32(b[4:], id)
	return append(b, data...)
}

// ---- transports ----

func udp(sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	return append(b, payload...)
}

func tcp(sport, dport uint16, seq, ack uint32, flags byte, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], seq)
	binary.BigEndian.PutUint32(b[8:], ack)
	b[12] = 5 << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	return append(b, payload...)
}

func sctp(sport, dport uint16, vtag uint32, chunks ...[]byte) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], vtag)
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b
}

// chunk builds a padded SCTP chunk.
func chunk(typ, flags byte, body []byte) []byte {
	b := []byte{typ, flags, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(4+len(body)))
	b = append(b, body...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

const (
	fB = flagBegin
	fE = flagEnd
	fU = flagUnordered
)

func dataChunk(flags byte, tsn uint32, stream, ssn uint16, ppid uint32, data []byte) []byte {
	body := binary.BigEndian.AppendUint32(nil, tsn)
	body = binary.BigEndian.AppendUint16(body, stream)
	body = binary.BigEndian.AppendUint16(body, ssn)
	body = binary.BigEndian.AppendUint32(body, ppid)
	return chunk(chunkData, flags, append(body, data...))
}

func idataChunk(flags byte, tsn uint32, stream uint16, mid, ppidOrFSN uint32, data []byte) []byte {
	body := binary.BigEndian.AppendUint32(nil, tsn)
	body = binary.BigEndian.AppendUint16(body, stream)
	body = binary.BigEndian.AppendUint16(body, 0)
	body = binary.BigEndian.AppendUint32(body, mid)
	body = binary.BigEndian.AppendUint32(body, ppidOrFSN)
	return chunk(chunkIData, flags, append(body, data...))
}

func sackChunk() []byte {
	return chunk(3, 0, []byte{0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0})
}

// ---- reading ----

type result struct {
	msgs  []Message // Data copied
	probs []*Problem
	stats Stats
}

func (res *result) data() []string {
	var out []string
	for _, m := range res.msgs {
		out = append(out, string(m.Data))
	}
	return out
}

func (res *result) problemsAt(layer string) int {
	n := 0
	for _, p := range res.probs {
		if p.Layer == layer {
			n++
		}
	}
	return n
}

// collect reads the capture to the end, failing on a fatal error.
func collect(t testing.TB, file []byte, opts Options) *result {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file), opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	res := &result{}
	for i := 0; ; i++ {
		if i > 1e7 {
			t.Fatal("Next does not terminate")
		}
		m, err := r.Next()
		if err != nil {
			if err == io.EOF {
				break
			}
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("fatal error: %v", err)
			}
			res.probs = append(res.probs, p)
			continue
		}
		m.Data = bytes.Clone(m.Data)
		res.msgs = append(res.msgs, m)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after EOF: %v", err)
	}
	res.stats = r.Stats()
	return res
}

func logProblems(t testing.TB, res *result) {
	t.Helper()
	for _, p := range res.probs {
		t.Log(p)
	}
}

// udpPacket4 is an Ethernet/IPv4/UDP frame A:1000 -> B:2000.
func udpPacket4(payload string) []byte {
	return eth(etherIPv4, ipv4(ip4A, ip4B, protoUDP, udp(1000, 2000, []byte(payload))))
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }

func mustReader(t testing.TB, file []byte, opts Options) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// drain reads r to EOF and returns the number of messages.
func drain(t testing.TB, r *Reader) int {
	t.Helper()
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return n
		}
		if err == nil {
			n++
			continue
		}
		if _, ok := err.(*Problem); !ok {
			t.Fatal(err)
		}
	}
}
