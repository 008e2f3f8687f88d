package testvectors

import (
	"bytes"
	"hash/crc32"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The capture decodes with gopacket, independently of tshark: every
// message is exactly one packet carrying the encoded message, SCTP DATA
// chunks are complete (B|E), PPID 46, with consecutive TSNs and SSNs per
// direction and a valid CRC32c; TCP flows open with a three-way handshake,
// sequence and acknowledgement numbers follow the bytes sent and checksums
// are valid.
func TestPcapStructure(t *testing.T) {
	f, _ := vectors(t)
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
	for i, st := range f.Steps() {
		stepAt[frames[i]] = st
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
		if el := pkt.ErrorLayer(); el != nil {
			t.Fatalf("frame %d: %v", frame, el.Error())
		}
		var src, dst netip.Addr
		var netLayer gopacket.NetworkLayer
		if ip4, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			src, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip4.DstIP.To4())
			netLayer = ip4
		} else if ip6, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			src, _ = netip.AddrFromSlice(ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(ip6.DstIP)
			netLayer = ip6
		} else {
			t.Fatalf("frame %d is not IP", frame)
		}
		st := stepAt[frame]
		var want []byte
		if st != nil {
			if want, err = st.Encode(); err != nil {
				t.Fatal(err)
			}
		}

		switch {
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
			if !d.BeginFragment || !d.EndFragment || d.Unordered || d.PayloadProtocol != PPIDDiameter {
				t.Errorf("frame %d: DATA chunk flags/PPID wrong: %+v", frame, d)
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
			t.Fatalf("frame %d is neither SCTP nor TCP", frame)
		}
		if st != nil && !ci.Timestamp.Equal(st.Time()) {
			t.Errorf("frame %d (%s): timestamp %s, want %s", frame, st.ID(), ci.Timestamp, st.Time())
		}
	}
	if frame != frames[len(frames)-1] {
		t.Errorf("capture has %d frames, the last message is frame %d", frame, frames[len(frames)-1])
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
}
