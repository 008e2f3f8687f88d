package testvectors

import (
	"bytes"
	"hash/crc32"
	"net/netip"
	"testing"

	"breakwater/firewall/config"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The capture decodes with gopacket, independently of tshark: every
// message is exactly one packet carrying the encoded message (a UDP
// datagram also the GTPv2 messages piggybacked on it; an SS7 message one
// packet per M3UA DATA message, so per XUDT segment), SCTP DATA chunks
// are complete (B|E), PPID 46 on stream 0 (Diameter) or PPID 3 on stream
// 1 (M3UA), with consecutive TSNs and SSNs per direction and a valid
// CRC32c; TCP flows open with a three-way handshake,
// sequence and acknowledgement numbers follow the bytes sent and checksums
// are valid; UDP datagrams go between GTP-C ports with valid checksums;
// IPv4 header checksums are valid.
func TestPcapStructure(t *testing.T) {
	forSuites(t, testPcapStructure)
}

func testPcapStructure(t *testing.T, _ *suite, f *File, _ *config.Config) {
	var buf bytes.Buffer
	frames, err := writePcap(&buf, f.Steps())
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("link type %v, want Ethernet", r.LinkType())
	}
	stepAt := map[int]*Step{}
	packetAt := map[int][]byte{} // the payload each frame must carry
	for i, st := range f.Steps() {
		if stepAt[frames[i].Last] != nil { // a piggybacked message shares its carrier's frame
			continue
		}
		packets, err := st.Packets()
		if err != nil {
			t.Fatal(err)
		}
		if len(packets) != frames[i].Last-frames[i].First+1 {
			t.Fatalf("%s: %d packets in frames %d-%d", st.ID(), len(packets), frames[i].First, frames[i].Last)
		}
		for k, p := range packets {
			stepAt[frames[i].First+k] = st
			packetAt[frames[i].First+k] = p
		}
	}

	type dirKey struct{ src, dst netip.AddrPort }
	nextTSN := map[dirKey]uint32{}
	nextSSN := map[dirKey]uint16{}
	nextSeq := map[dirKey]uint32{}
	handshake := map[dirKey]int{} // packets of the handshake seen, per initiator direction
	frame := 0
	var last int64
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		frame++
		if us := ci.Timestamp.UnixMicro(); us < last {
			t.Errorf("frame %d goes back in time", frame)
		} else {
			last = us
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil && !gtpDecodeFailure(pkt) {
			t.Fatalf("frame %d: %v", frame, el.Error())
		}
		var src, dst netip.Addr
		var netLayer gopacket.NetworkLayer
		if ip4, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			src, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip4.DstIP.To4())
			netLayer = ip4
			if sum := onesSum(0, ip4.Contents); sum != 0xffff {
				t.Errorf("frame %d: IPv4 header checksum %04x is wrong", frame, ip4.Checksum)
			}
		} else if ip6, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			src, _ = netip.AddrFromSlice(ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(ip6.DstIP)
			netLayer = ip6
		} else {
			t.Fatalf("frame %d is not IP", frame)
		}
		st := stepAt[frame]
		want := packetAt[frame]

		switch {
		case pkt.Layer(layers.LayerTypeUDP) != nil:
			udp := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
			if st == nil || st.GTP == nil {
				t.Fatalf("frame %d: UDP datagram without a GTP step", frame)
			}
			if err := udp.SetNetworkLayerForChecksum(netLayer); err != nil {
				t.Fatal(err)
			}
			// gopacket computes the checksum when it serialises a copy.
			re := *udp
			sb := gopacket.NewSerializeBuffer()
			if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{ComputeChecksums: true}, &re, gopacket.Payload(udp.Payload)); err != nil {
				t.Fatal(err)
			}
			if re.Checksum != udp.Checksum || udp.Checksum == 0 {
				t.Errorf("frame %d: UDP checksum %04x, want %04x", frame, udp.Checksum, re.Checksum)
			}
			if int(udp.Length) != 8+len(udp.Payload) {
				t.Errorf("frame %d: UDP length %d for %d payload bytes", frame, udp.Length, len(udp.Payload))
			}
			if !bytes.Equal(udp.Payload, want) {
				t.Errorf("frame %d (%s): UDP payload differs from the encoded datagram", frame, st.ID())
			}
			if udp.SrcPort != 2123 && udp.DstPort != 2123 {
				t.Errorf("frame %d (%s): a GTP-C datagram must touch port 2123", frame, st.ID())
			}
			checkEndpoints(t, frame, st, netip.AddrPortFrom(src, uint16(udp.SrcPort)), netip.AddrPortFrom(dst, uint16(udp.DstPort)))
		case pkt.Layer(layers.LayerTypeSCTP) != nil:
			sctp := pkt.Layer(layers.LayerTypeSCTP).(*layers.SCTP)
			k := dirKey{netip.AddrPortFrom(src, uint16(sctp.SrcPort)), netip.AddrPortFrom(dst, uint16(sctp.DstPort))}
			raw := append([]byte(nil), sctp.Contents...)
			raw = append(raw, sctp.Payload...)
			sum := crc32.Checksum(append(append(append([]byte(nil), raw[:8]...), 0, 0, 0, 0), raw[12:]...), crc32.MakeTable(crc32.Castagnoli))
			if got := uint32(raw[8]) | uint32(raw[9])<<8 | uint32(raw[10])<<16 | uint32(raw[11])<<24; got != sum {
				t.Errorf("frame %d: SCTP checksum %08x, want %08x", frame, got, sum)
			}
			d, ok := pkt.Layer(layers.LayerTypeSCTPData).(*layers.SCTPData)
			if !ok || st == nil {
				t.Fatalf("frame %d: SCTP packet without a DATA chunk or a step", frame)
			}
			ppid, stream := layers.SCTPPayloadProtocol(PPIDDiameter), uint16(0)
			if st.MAP != nil {
				ppid, stream = PPIDM3UA, m3uaStream
			}
			if !d.BeginFragment || !d.EndFragment || d.Unordered || d.PayloadProtocol != ppid || d.StreamId != stream {
				t.Errorf("frame %d: DATA chunk flags/PPID/stream wrong: %+v", frame, d)
			}
			if n, seen := nextTSN[k]; seen && (d.TSN != n || d.StreamSequence != nextSSN[k]) {
				t.Errorf("frame %d: TSN %d SSN %d, want %d %d", frame, d.TSN, d.StreamSequence, n, nextSSN[k])
			}
			nextTSN[k], nextSSN[k] = d.TSN+1, d.StreamSequence+1
			if !bytes.Equal(d.Payload, want) {
				t.Errorf("frame %d (%s): DATA payload differs from the encoded message", frame, st.ID())
			}
			checkEndpoints(t, frame, st, k.src, k.dst)
		case pkt.Layer(layers.LayerTypeTCP) != nil:
			tcp := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if err := tcp.SetNetworkLayerForChecksum(netLayer); err != nil {
				t.Fatal(err)
			}
			// Summed with the checksum field in place, a valid segment folds to 0.
			if sum, err := tcp.ComputeChecksum(); err != nil || sum != 0 {
				t.Errorf("frame %d: TCP checksum %04x is wrong (residue %04x, %v)", frame, tcp.Checksum, sum, err)
			}
			k := dirKey{netip.AddrPortFrom(src, uint16(tcp.SrcPort)), netip.AddrPortFrom(dst, uint16(tcp.DstPort))}
			rev := dirKey{k.dst, k.src}
			switch {
			case tcp.SYN && !tcp.ACK:
				handshake[k] = 1
				nextSeq[k] = tcp.Seq + 1
			case tcp.SYN && tcp.ACK:
				if handshake[rev] != 1 || tcp.Ack != nextSeq[rev] {
					t.Errorf("frame %d: SYN-ACK does not answer a SYN", frame)
				}
				handshake[rev] = 2
				nextSeq[k] = tcp.Seq + 1
			case len(tcp.Payload) == 0:
				if handshake[k] != 2 || tcp.Seq != nextSeq[k] || tcp.Ack != nextSeq[rev] {
					t.Errorf("frame %d: bad handshake ACK", frame)
				}
				handshake[k] = 3
			default:
				if st == nil {
					t.Fatalf("frame %d: TCP data without a step", frame)
				}
				if handshake[k] != 3 && handshake[rev] != 3 {
					t.Errorf("frame %d: data before the handshake completed", frame)
				}
				if tcp.Seq != nextSeq[k] || tcp.Ack != nextSeq[rev] || !tcp.PSH || !tcp.ACK {
					t.Errorf("frame %d: seq %d ack %d, want %d %d", frame, tcp.Seq, tcp.Ack, nextSeq[k], nextSeq[rev])
				}
				nextSeq[k] = tcp.Seq + uint32(len(tcp.Payload))
				if !bytes.Equal(tcp.Payload, want) {
					t.Errorf("frame %d (%s): TCP payload differs from the encoded message", frame, st.ID())
				}
				checkEndpoints(t, frame, st, k.src, k.dst)
			}
		default:
			t.Fatalf("frame %d is neither SCTP, TCP nor UDP", frame)
		}
		if st != nil && !ci.Timestamp.Equal(st.Time()) {
			t.Errorf("frame %d (%s): timestamp %s, want %s", frame, st.ID(), ci.Timestamp, st.Time())
		}
	}
	if frame != frames[len(frames)-1].Last {
		t.Errorf("capture has %d frames, the last message is frame %d", frame, frames[len(frames)-1].Last)
	}
}

func checkEndpoints(t *testing.T, frame int, st *Step, src, dst netip.AddrPort) {
	t.Helper()
	if src != st.Src() || dst != st.Dst() {
		t.Errorf("frame %d (%s): %s -> %s, want %s -> %s", frame, st.ID(), src, dst, st.Src(), st.Dst())
	}
	if st.Transport() == TCP && st.Dst().Port() != 3868 && st.Src().Port() != 3868 {
		t.Errorf("frame %d (%s): a TCP flow must touch the Diameter port", frame, st.ID())
	}
	if st.MAP != nil && st.Dst().Port() != 2905 && st.Src().Port() != 2905 {
		t.Errorf("frame %d (%s): an M3UA association must touch port 2905", frame, st.ID())
	}
}

// gtpDecodeFailure reports a decode error confined to the GTP payload of
// a UDP datagram: everything up to and including UDP decoded, and only
// gopacket's GTP decoder (chosen by the port: GTPv2 on 2123) failed, as it
// does on every GTPv1-C message and on the deliberately malformed vectors.
// The payload itself is compared with the encoded datagram below, and
// GTP-C is checked by the parser and tshark; a failure in Ethernet, IP,
// UDP, SCTP (chunks included) or TCP stays fatal.
func gtpDecodeFailure(pkt gopacket.Packet) bool {
	ls := pkt.Layers()
	n := len(ls)
	if n < 2 || ls[n-1].LayerType() != gopacket.LayerTypeDecodeFailure {
		return false
	}
	udp, ok := ls[n-2].(*layers.UDP)
	if !ok {
		return false
	}
	switch udp.NextLayerType() {
	case layers.LayerTypeGTPv2, layers.LayerTypeGTPv1U:
		return true
	}
	return false
}
