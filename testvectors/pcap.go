package testvectors

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/netip"
	"strconv"
	"time"
)

// Capture format constants.
const (
	pcapMagicMicro = 0xa1b2c3d4
	linkEthernet   = 1
	pcapSnapLen    = 262144

	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd

	protoTCP  = 6
	protoUDP  = 17
	protoSCTP = 132

	// PPIDDiameter is the SCTP payload protocol identifier of Diameter
	// (RFC 6733, IANA).
	PPIDDiameter = 46

	tcpFlagSYN = 0x02
	tcpFlagPSH = 0x08
	tcpFlagACK = 0x10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WritePcap writes the steps' messages, in the order given, as a classic
// pcap file (LINKTYPE_ETHERNET, microsecond timestamps). Each message is
// one packet: over SCTP one DATA chunk (PPID 46 on stream 0 for Diameter;
// PPID 3 on stream 1 for M3UA, one chunk per M3UA message, so an SS7
// message segmented into XUDTs takes one packet per segment) of the
// association between the two nodes, over TCP one segment of their connection, which is opened
// with a SYN, SYN-ACK, ACK handshake before its first message, over UDP
// (GTP-C) one datagram, which also carries the GTPv2 messages piggybacked
// on it (those steps must follow their carrier in steps). Ports,
// verification tags and initial sequence numbers are derived from the node
// names, so the output is deterministic.
func WritePcap(w io.Writer, steps ...*Step) error {
	_, err := writePcap(w, steps)
	return err
}

// frameSpan is the frames (from 1) that carry a step: one, or the
// segments of a segmented SS7 message (the message is complete in Last).
type frameSpan struct{ First, Last int }

// writePcap also returns the frames of each step's message.
func writePcap(w io.Writer, steps []*Step) ([]frameSpan, error) {
	pw := &pcapWriter{w: w, flows: map[*conn]*flow{}}
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], pcapMagicMicro)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], pcapSnapLen)
	binary.LittleEndian.PutUint32(hdr[20:], linkEthernet)
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	frames := make([]frameSpan, 0, len(steps))
	for i, st := range steps {
		if st.GTP != nil && st.GTP.Piggyback {
			// Written with its carrier, which must precede it.
			if i == 0 || steps[i-1].Scenario != st.Scenario || steps[i-1].Index != st.Index-1 {
				return nil, fmt.Errorf("%s: a piggybacked message must follow the message it travels with", st.ID())
			}
			frames = append(frames, frameSpan{pw.frame, pw.frame})
			continue
		}
		packets, err := st.Packets()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.ID(), err)
		}
		first := 0
		for _, data := range packets {
			if err := pw.message(st, data); err != nil {
				return nil, err
			}
			if first == 0 {
				first = pw.frame // after a TCP handshake's packets
			}
		}
		frames = append(frames, frameSpan{first, pw.frame})
	}
	return frames, nil
}

// flow is the per-capture state of one node pair; index 0 of each array is
// the initiator-to-responder direction.
type flow struct {
	c      *conn
	opened bool
	vtag   [2]uint32 // SCTP verification tag carried by packets of each direction
	tsn    [2]uint32 // next SCTP TSN
	ssn    [2]uint16 // next SCTP stream sequence number (of the pair's one stream)
	seq    [2]uint32 // next TCP sequence number
	ipid   [2]uint16
}

type pcapWriter struct {
	w     io.Writer
	flows map[*conn]*flow
	last  time.Time
	frame int
}

func (pw *pcapWriter) flow(c *conn) *flow {
	if f := pw.flows[c]; f != nil {
		return f
	}
	f := &flow{c: c}
	for d := range 2 {
		ds := strconv.Itoa(d)
		f.vtag[d] = max(hash32("vtag", c.init.Name, c.resp.Name, ds), 1)
		f.tsn[d] = hash32("tsn", c.init.Name, c.resp.Name, ds)
		f.seq[d] = hash32("isn", c.init.Name, c.resp.Name, ds)
		f.ipid[d] = uint16(hash32("ipid", c.init.Name, c.resp.Name, ds))
	}
	pw.flows[c] = f
	return f
}

// endpoint is one side of a packet.
type endpoint struct {
	addr netip.AddrPort
	mac  [6]byte
}

func endpointOf(n *Node, port uint16) endpoint {
	e := endpoint{addr: netip.AddrPortFrom(n.Addr.Addr(), port)}
	h := hash32("mac", n.Name)
	e.mac = [6]byte{0x02, 0x00, byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
	return e
}

func (pw *pcapWriter) message(st *Step, data []byte) error {
	c := st.Scenario.file.conns[pairOf(st.From, st.To)]
	f := pw.flow(c)
	ends := [2]endpoint{endpointOf(c.init, c.initPort), endpointOf(c.resp, c.resp.Addr.Port())}
	d := 0
	if st.From != c.init {
		d = 1
	}
	src, dst := ends[d], ends[1-d]
	ts := st.Time()
	switch c.transport {
	case UDP:
		return pw.packet(ts, src, dst, protoUDP, udpDatagram(src.addr, dst.addr, data), &f.ipid[d])
	case TCP:
		if !f.opened {
			f.opened = true
			i, r := ends[0], ends[1]
			steps := []struct {
				from, to endpoint
				dir      int
				flags    byte
				seq, ack uint32
			}{
				{i, r, 0, tcpFlagSYN, f.seq[0], 0},
				{r, i, 1, tcpFlagSYN | tcpFlagACK, f.seq[1], f.seq[0] + 1},
				{i, r, 0, tcpFlagACK, f.seq[0] + 1, f.seq[1] + 1},
			}
			f.seq[0]++
			f.seq[1]++
			for k, s := range steps {
				seg := tcpSegment(s.from.addr, s.to.addr, s.seq, s.ack, s.flags, nil)
				at := ts.Add(-time.Duration(len(steps)-k) * time.Millisecond)
				if err := pw.packet(at, s.from, s.to, protoTCP, seg, &f.ipid[s.dir]); err != nil {
					return err
				}
			}
		}
		seg := tcpSegment(src.addr, dst.addr, f.seq[d], f.seq[1-d], tcpFlagPSH|tcpFlagACK, data)
		f.seq[d] += uint32(len(data))
		return pw.packet(ts, src, dst, protoTCP, seg, &f.ipid[d])
	default:
		stream, ppid := uint16(0), uint32(PPIDDiameter)
		if st.MAP != nil {
			stream, ppid = m3uaStream, PPIDM3UA
		}
		pkt := sctpData(src.addr.Port(), dst.addr.Port(), f.vtag[d], f.tsn[d], stream, f.ssn[d], ppid, data)
		f.tsn[d]++
		f.ssn[d]++
		return pw.packet(ts, src, dst, protoSCTP, pkt, &f.ipid[d])
	}
}

// packet wraps a transport payload in IP and Ethernet and writes the
// record. Timestamps never go backwards: a handshake due before the
// previous packet is written at its time.
func (pw *pcapWriter) packet(ts time.Time, src, dst endpoint, proto byte, l4 []byte, ipid *uint16) error {
	if ts.Before(pw.last) {
		ts = pw.last
	}
	pw.last = ts
	var frame []byte
	frame = append(frame, dst.mac[:]...)
	frame = append(frame, src.mac[:]...)
	s, d := src.addr.Addr(), dst.addr.Addr()
	if s.Is4() {
		frame = binary.BigEndian.AppendUint16(frame, etherIPv4)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		binary.BigEndian.PutUint16(ip[4:], *ipid)
		*ipid++
		binary.BigEndian.PutUint16(ip[6:], 0x4000) // don't fragment
		ip[8] = 64
		ip[9] = proto
		sa, da := s.As4(), d.As4()
		copy(ip[12:], sa[:])
		copy(ip[16:], da[:])
		binary.BigEndian.PutUint16(ip[10:], ^onesSum(0, ip))
		frame = append(frame, ip...)
	} else {
		frame = binary.BigEndian.AppendUint16(frame, etherIPv6)
		ip := make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(l4)))
		ip[6] = proto
		ip[7] = 64
		sa, da := s.As16(), d.As16()
		copy(ip[8:], sa[:])
		copy(ip[24:], da[:])
		frame = append(frame, ip...)
	}
	frame = append(frame, l4...)

	rec := make([]byte, 16, 16+len(frame))
	us := ts.UnixMicro()
	binary.LittleEndian.PutUint32(rec[0:], uint32(us/1e6))
	binary.LittleEndian.PutUint32(rec[4:], uint32(us%1e6))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
	rec = append(rec, frame...)
	pw.frame++
	_, err := pw.w.Write(rec)
	return err
}

// sctpData builds an SCTP packet holding one complete, ordered DATA chunk
// (RFC 9260 §3.3.1) with its CRC32c checksum (Appendix A).
func sctpData(sport, dport uint16, vtag, tsn uint32, stream, ssn uint16, ppid uint32, data []byte) []byte {
	p := make([]byte, 12, 12+16+len(data)+3)
	binary.BigEndian.PutUint16(p[0:], sport)
	binary.BigEndian.PutUint16(p[2:], dport)
	binary.BigEndian.PutUint32(p[4:], vtag)
	p = append(p, 0, 0x03) // DATA, flags B|E (unfragmented)
	p = binary.BigEndian.AppendUint16(p, uint16(16+len(data)))
	p = binary.BigEndian.AppendUint32(p, tsn)
	p = binary.BigEndian.AppendUint16(p, stream)
	p = binary.BigEndian.AppendUint16(p, ssn)
	p = binary.BigEndian.AppendUint32(p, ppid)
	p = append(p, data...)
	for len(p)%4 != 0 {
		p = append(p, 0)
	}
	// The CRC32c goes on the wire least significant byte first.
	binary.LittleEndian.PutUint32(p[8:], crc32.Checksum(p, castagnoli))
	return p
}

// udpDatagram builds a UDP datagram with its checksum (mandatory over
// IPv6, RFC 8200 §8.1; computed over IPv4 too).
func udpDatagram(src, dst netip.AddrPort, data []byte) []byte {
	u := make([]byte, 8, 8+len(data))
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(data)))
	u = append(u, data...)
	sum := ^onesSum(onesSum(0, pseudoHeader(src.Addr(), dst.Addr(), protoUDP, len(u))), u)
	if sum == 0 {
		sum = 0xffff // 0 means "no checksum" (RFC 768)
	}
	binary.BigEndian.PutUint16(u[6:], sum)
	return u
}

// pseudoHeader is the IPv4 (RFC 793) or IPv6 (RFC 8200 §8.1) pseudo-header
// of the TCP and UDP checksums.
func pseudoHeader(s, d netip.Addr, proto byte, length int) []byte {
	var p []byte
	if s.Is4() {
		sa, da := s.As4(), d.As4()
		p = append(append(p, sa[:]...), da[:]...)
		p = append(p, 0, proto)
		return binary.BigEndian.AppendUint16(p, uint16(length))
	}
	sa, da := s.As16(), d.As16()
	p = append(append(p, sa[:]...), da[:]...)
	p = binary.BigEndian.AppendUint32(p, uint32(length))
	return append(p, 0, 0, 0, proto)
}

// tcpSegment builds a TCP segment without options and with its checksum.
func tcpSegment(src, dst netip.AddrPort, seq, ack uint32, flags byte, data []byte) []byte {
	t := make([]byte, 20, 20+len(data))
	binary.BigEndian.PutUint16(t[0:], src.Port())
	binary.BigEndian.PutUint16(t[2:], dst.Port())
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12] = 5 << 4
	t[13] = flags
	binary.BigEndian.PutUint16(t[14:], 65535)
	t = append(t, data...)

	pseudo := pseudoHeader(src.Addr(), dst.Addr(), protoTCP, len(t))
	binary.BigEndian.PutUint16(t[16:], ^onesSum(onesSum(0, pseudo), t))
	return t
}

// onesSum adds b to the one's-complement sum (RFC 1071), folded to 16 bits.
func onesSum(sum uint16, b []byte) uint16 {
	s := uint32(sum)
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
