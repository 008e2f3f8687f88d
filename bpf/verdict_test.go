//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

type verdictCase struct {
	name   string
	frame  []byte
	action uint32
	reason Reason
}

// set returns a copy of b with b[off] = v.
func set(b []byte, off int, v byte) []byte {
	c := append([]byte{}, b...)
	c[off] = v
	return c
}

// set16 returns a copy of b with the big-endian uint16 at off replaced.
func set16(b []byte, off int, v uint16) []byte {
	c := append([]byte{}, b...)
	binary.BigEndian.PutUint16(c[off:], v)
	return c
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func gtpFrame(src string, gtp []byte) []byte {
	return v4Frame(src, dst4, ipProtoUDP, udp(40000, 2123, gtp))
}

func verdictCases() []verdictCase {
	diam4 := func(src string) []byte { return v4Frame(src, dst4, ipProtoTCP, tcp(40000, 3868, 5)) }
	diam6 := func(src string) []byte { return v6Frame(src, dst6, ipProtoTCP, tcp(40000, 3868, 5)) }
	createSession := gtpV2(32, true, false, imsiIE)
	const ip = 14 // IP header offset in an untagged frame

	// A GTPv2 echo request (no TEID, 8 octets) is so short that Ethernet
	// pads the frame: the UDP and IP lengths, not the frame, bound it.
	echo := gtpFrame(partner4, gtpV2(1, false, false, nil))
	padded := append(append([]byte{}, echo...), make([]byte, 60-len(echo))...)

	// IPv6 extension header chains before TCP/3868.
	tcp6 := tcp(40000, 3868, 5)
	fullChain := ext6(ipDestOpts, 1, ext6(ipRouting, 2, ext6(ipDestOpts, 1, ext6(ipProtoTCP, 1, tcp6))))
	tooLong := ext6(ipDestOpts, 1, ext6(ipRouting, 1, ext6(ipDestOpts, 1, ext6(ipDestOpts, 1, ext6(ipProtoTCP, 1, tcp6)))))

	return []verdictCase{
		// Not IP, or not signaling: passed.
		{"ARP", arpFrame(), xdpPass, ReasonNotSignaling},
		{"unknown IPv4 source to SSH", v4Frame(unknown4, dst4, ipProtoTCP, tcp(40000, 22, 5)), xdpPass, ReasonNotSignaling},
		{"unknown IPv4 source ICMP", v4Frame(unknown4, dst4, 1, []byte{8, 0, 0, 0, 0, 1, 0, 1}), xdpPass, ReasonNotSignaling},
		{"UDP to 3868 (Diameter is SCTP/TCP only)", v4Frame(unknown4, dst4, ipProtoUDP, udp(1, 3868, []byte("x"))), xdpPass, ReasonNotSignaling},
		{"TCP to 2123 (GTP-C is UDP only)", v4Frame(unknown4, dst4, ipProtoTCP, tcp(40000, 2123, 5)), xdpPass, ReasonNotSignaling},
		{"IPv6 No Next Header", v6Frame(unknown6, dst6, ipNoNext, nil), xdpPass, ReasonNotSignaling},
		{"IPv6 AH is not inspected", v6Frame(unknown6, dst6, 51, make([]byte, 24)), xdpPass, ReasonNotSignaling},
		{"third VLAN tag", ether(etherIPv4, ipv4(unknown4, dst4, ipProtoTCP, tcp(1, 3868, 5)), tpidQinQ, tpid8021Q, tpid8021Q), xdpPass, ReasonNotSignaling},
		{"truncated VLAN tag", ether(etherIPv4, nil, tpid8021Q)[:16], xdpPass, ReasonNotSignaling},

		// Allowed partners.
		{"partner IPv4 Diameter/TCP", diam4(partner4), xdpPass, ReasonPassed},
		{"partner IPv4 Diameter/SCTP", v4Frame(partner4, dst4, ipProtoSCTP, sctp(3868, 3868)), xdpPass, ReasonPassed},
		{"partner IPv4 M3UA/SCTP", v4Frame(partner4, dst4, ipProtoSCTP, sctp(2905, 2905)), xdpPass, ReasonPassed},
		{"partner IPv4 with IP options", ether(etherIPv4, ipv4(partner4, dst4, ipProtoTCP, tcp(1, 3868, 5), 1, 1, 1, 0)), xdpPass, ReasonPassed},
		{"partner TCP with options", v4Frame(partner4, dst4, ipProtoTCP, tcp(40000, 3868, 8)), xdpPass, ReasonPassed},
		{"partner IPv6 Diameter/TCP", diam6(partner6), xdpPass, ReasonPassed},
		{"partner IPv6 M3UA/SCTP", v6Frame(partner6, dst6, ipProtoSCTP, sctp(2905, 2905)), xdpPass, ReasonPassed},
		{"partner IPv6 GTPv2 Create Session", v6Frame(partner6, dst6, ipProtoUDP, udp(2123, 2123, createSession)), xdpPass, ReasonPassed},
		{"partner IPv6 behind HBH, DestOpts, Routing, DestOpts", v6Frame(partner6, dst6, ipHopByHop, fullChain), xdpPass, ReasonPassed},
		{"partner behind 802.1Q", ether(etherIPv4, ipv4(partner4, dst4, ipProtoTCP, tcp(1, 3868, 5)), tpid8021Q), xdpPass, ReasonPassed},
		{"partner IPv6 behind QinQ", ether(etherIPv6, ipv6(partner6, dst6, ipProtoTCP, tcp(1, 3868, 5)), tpidQinQ, tpid8021Q), xdpPass, ReasonPassed},
		{"partner behind 802.1Q in 802.1Q", ether(etherIPv4, ipv4(partner4, dst4, ipProtoTCP, tcp(1, 3868, 5)), tpid8021Q, tpid8021Q), xdpPass, ReasonPassed},

		// Unknown sources to signaling ports: dropped.
		{"unknown IPv4 Diameter/TCP", diam4(unknown4), xdpDrop, ReasonUnknownSource},
		{"unknown IPv4 GTP-C", gtpFrame(unknown4, createSession), xdpDrop, ReasonUnknownSource},
		{"unknown IPv6 M3UA/SCTP", v6Frame(unknown6, dst6, ipProtoSCTP, sctp(2905, 2905)), xdpDrop, ReasonUnknownSource},
		{"unknown IPv6 behind extension headers", v6Frame(unknown6, dst6, ipHopByHop, fullChain), xdpDrop, ReasonUnknownSource},
		{"unknown behind QinQ", ether(etherIPv4, ipv4(unknown4, dst4, ipProtoTCP, tcp(1, 3868, 5)), tpidQinQ, tpid8021Q), xdpDrop, ReasonUnknownSource},
		{"IPv4-mapped IPv6 source is not the IPv4 partner", diam6("::ffff:192.0.2.5"), xdpDrop, ReasonUnknownSource},

		// Quarantine: every packet of the partner.
		{"quarantined Diameter/TCP", diam4(quarantine4), xdpDrop, ReasonQuarantined},
		{"quarantined to SSH", v4Frame(quarantine4, dst4, ipProtoTCP, tcp(1, 22, 5)), xdpDrop, ReasonQuarantined},
		{"quarantined ICMP", v4Frame(quarantine4, dst4, 1, []byte{8, 0, 0, 0, 0, 1, 0, 1}), xdpDrop, ReasonQuarantined},
		{"quarantined IPv6 DNS", v6Frame(quarantine6, dst6, ipProtoUDP, udp(1, 53, []byte("q"))), xdpDrop, ReasonQuarantined},
		{"quarantined IPv4 fragment", set(diam4(quarantine4), ip+6, 0x20), xdpDrop, ReasonQuarantined},

		// Fragments: passed whoever sends them.
		{"IPv4 first fragment (MF)", set(diam4(unknown4), ip+6, 0x20), xdpPass, ReasonFragmentPassed},
		{"IPv4 later fragment (offset)", set16(diam4(unknown4), ip+6, 185), xdpPass, ReasonFragmentPassed},
		{"IPv6 Fragment header", v6Frame(unknown6, dst6, ipFragment, frag6(ipProtoTCP, 0, true, tcp6)), xdpPass, ReasonFragmentPassed},
		{"IPv6 Fragment after Hop-by-Hop", v6Frame(unknown6, dst6, ipHopByHop, ext6(ipFragment, 1, frag6(ipProtoUDP, 10, false, []byte("tail")))), xdpPass, ReasonFragmentPassed},

		// GTP-C message types.
		{"GTPv2 Create Session", gtpFrame(partner4, createSession), xdpPass, ReasonPassed},
		{"GTPv2 echo in a padded frame", padded, xdpPass, ReasonPassed},
		{"GTPv2 Context Request (cat 1)", gtpFrame(partner4, gtpV2(130, true, false, imsiIE)), xdpDrop, ReasonGTPCat1},
		{"GTPv2 Forward Relocation, no mobility agreement", gtpFrame(partner4, gtpV2(133, true, false, imsiIE)), xdpDrop, ReasonGTPCat1},
		{"GTPv2 Forward Relocation, mobility agreement", gtpFrame(mobility4, gtpV2(133, true, false, imsiIE)), xdpPass, ReasonPassed},
		{"GTPv2 Context Request from home", gtpFrame(home4, gtpV2(130, true, false, imsiIE)), xdpPass, ReasonPassed},
		{"GTPv1 Create PDP Context", gtpFrame(partner4, gtpV1(16, imsiIE)), xdpPass, ReasonPassed},
		{"GTPv1 SGSN Context Request (cat 1)", gtpFrame(partner4, gtpV1(50, imsiIE)), xdpDrop, ReasonGTPCat1},
		{"GTPv1 Forward Relocation, no mobility agreement", gtpFrame(partner4, gtpV1(53, imsiIE)), xdpDrop, ReasonGTPCat1},
		{"GTPv1 Forward Relocation, mobility agreement", gtpFrame(mobility4, gtpV1(53, imsiIE)), xdpPass, ReasonPassed},
		{"GTPv2 piggybacked Create Bearer", gtpFrame(partner4, cat(gtpV2(33, true, true, imsiIE), gtpV2(95, true, false, nil))), xdpPass, ReasonPassed},
		{"GTPv2 piggybacked Context Request (cat 1)", gtpFrame(partner4, cat(gtpV2(33, true, true, imsiIE), gtpV2(130, true, false, nil))), xdpDrop, ReasonGTPCat1},
		{"GTPv2 trailing bytes without P flag", gtpFrame(partner4, cat(createSession, []byte{0, 0, 0, 0})), xdpPass, ReasonPassed},

		// GTP-C headers that cannot be judged.
		{"GTPv0", gtpFrame(partner4, set(gtpV1(16, nil), 0, 0x12)), xdpDrop, ReasonGTPMalformed},
		{"GTP' (version 1, protocol type 0)", gtpFrame(partner4, set(gtpV1(16, nil), 0, 0x22)), xdpDrop, ReasonGTPMalformed},
		{"GTP version 3", gtpFrame(partner4, set(createSession, 0, 0x68)), xdpDrop, ReasonGTPMalformed},
		{"GTP malformed from home too", gtpFrame(home4, set(createSession, 0, 0x68)), xdpDrop, ReasonGTPMalformed},
		{"GTP shorter than a header", gtpFrame(partner4, []byte{0x48, 32, 0, 1, 0}), xdpDrop, ReasonGTPMalformed},
		{"empty UDP payload", gtpFrame(partner4, nil), xdpDrop, ReasonGTPMalformed},
		{"GTPv2 T flag without room for the TEID", gtpFrame(partner4, []byte{0x48, 32, 0, 4, 0, 0, 0, 0}), xdpDrop, ReasonGTPMalformed},
		{"GTPv2 length shorter than its header", gtpFrame(partner4, []byte{0x48, 32, 0, 4, 0, 0, 0, 1, 0, 0, 1, 0}), xdpDrop, ReasonGTPMalformed},
		{"GTPv2 length beyond the datagram", gtpFrame(partner4, set16(createSession, 2, uint16(len(createSession)))), xdpDrop, ReasonGTPMalformed},
		{"GTPv1 length beyond the datagram", gtpFrame(partner4, set16(gtpV1(16, imsiIE), 2, uint16(len(imsiIE)+5))), xdpDrop, ReasonGTPMalformed},
		{"GTPv1 S flag without the optional octets", gtpFrame(partner4, []byte{0x32, 16, 0, 0, 0, 0, 0, 1}), xdpDrop, ReasonGTPMalformed},
		{"GTPv2 P flag with nothing after", gtpFrame(partner4, gtpV2(33, true, true, imsiIE)), xdpDrop, ReasonGTPMalformed},
		{"GTPv2 P flag with GTPv1 after", gtpFrame(partner4, cat(gtpV2(33, true, true, imsiIE), gtpV1(16, nil))), xdpDrop, ReasonGTPMalformed},
		{"GTPv2 piggybacked length beyond the datagram", gtpFrame(partner4, cat(gtpV2(33, true, true, imsiIE), set16(gtpV2(95, true, false, nil), 2, 40))), xdpDrop, ReasonGTPMalformed},

		// Broken IP headers: dropped (the kernel would discard them too).
		{"IPv4 header cut short", ether(etherIPv4, ipv4(partner4, dst4, ipProtoTCP, nil)[:12]), xdpDrop, ReasonMalformed},
		{"IPv4 IHL 4", set(diam4(partner4), ip, 0x44), xdpDrop, ReasonMalformed},
		{"IPv4 version 6 under EtherType IPv4", set(diam4(partner4), ip, 0x65), xdpDrop, ReasonMalformed},
		{"IPv4 total length beyond the frame", set16(diam4(partner4), ip+2, 20+20+1), xdpDrop, ReasonMalformed},
		{"IPv4 total length below the header", set16(diam4(partner4), ip+2, 16), xdpDrop, ReasonMalformed},
		{"IPv6 header cut short", ether(etherIPv6, ipv6(partner6, dst6, ipProtoTCP, nil)[:30]), xdpDrop, ReasonMalformed},
		{"IPv6 payload length beyond the frame", set16(diam6(partner6), ip+4, 21), xdpDrop, ReasonMalformed},
		{"IPv6 version 4 under EtherType IPv6", set(diam6(partner6), ip, 0x45), xdpDrop, ReasonMalformed},
		{"IPv6 five extension headers", v6Frame(partner6, dst6, ipHopByHop, tooLong), xdpDrop, ReasonMalformed},
		{"IPv6 Hop-by-Hop not first", v6Frame(partner6, dst6, ipDestOpts, ext6(ipHopByHop, 1, ext6(ipProtoTCP, 1, tcp6))), xdpDrop, ReasonMalformed},
		{"IPv6 extension header beyond the payload", v6Frame(partner6, dst6, ipDestOpts, set(ext6(ipProtoTCP, 1, nil), 1, 3)), xdpDrop, ReasonMalformed},

		// Broken L4 headers.
		{"L4 without ports", v4Frame(partner4, dst4, ipProtoUDP, []byte{0x9c, 0x40}), xdpDrop, ReasonMalformed},
		{"UDP to 2123 cut short", v4Frame(partner4, dst4, ipProtoUDP, udp(40000, 2123, nil)[:6]), xdpDrop, ReasonMalformed},
		{"UDP length beyond the IP payload", v4Frame(partner4, dst4, ipProtoUDP, set16(udp(40000, 2123, createSession), 4, uint16(8+len(createSession)+1))), xdpDrop, ReasonMalformed},
		{"UDP length below its header", v4Frame(partner4, dst4, ipProtoUDP, set16(udp(40000, 2123, createSession), 4, 7)), xdpDrop, ReasonMalformed},
		{"TCP to 3868 cut short", v4Frame(partner4, dst4, ipProtoTCP, tcp(40000, 3868, 5)[:12]), xdpDrop, ReasonMalformed},
		{"TCP data offset 4", v4Frame(partner4, dst4, ipProtoTCP, tcp(40000, 3868, 4)), xdpDrop, ReasonMalformed},
		{"TCP data offset beyond the segment", v4Frame(partner4, dst4, ipProtoTCP, set(tcp(40000, 3868, 5), 12, 0xf0)), xdpDrop, ReasonMalformed},
		{"SCTP to 3868 cut short", v4Frame(partner4, dst4, ipProtoSCTP, sctp(3868, 3868)[:8]), xdpDrop, ReasonMalformed},
		{"IPv6 TCP to 3868 cut short", v6Frame(partner6, dst6, ipProtoTCP, tcp(40000, 3868, 5)[:19]), xdpDrop, ReasonMalformed},
		{"truncated TCP to a non-signaling port", v4Frame(unknown4, dst4, ipProtoTCP, tcp(40000, 22, 5)[:10]), xdpPass, ReasonNotSignaling},
	}
}

// TestVerdicts runs every verdict path through the kernel program and
// checks both the XDP action and that exactly the expected counter moved.
// It runs twice: with a partner quarantined, and with nobody quarantined,
// where the program skips the lookups only quarantine needs (the cases
// about quarantine are left out there).
func TestVerdicts(t *testing.T) {
	for _, quarantine := range []bool{true, false} {
		t.Run(fmt.Sprintf("quarantine=%v", quarantine), func(t *testing.T) {
			spec := testSpec()
			if !quarantine {
				spec.Quarantined = nil
			}
			f := loadFilter(t, spec)
			for _, tc := range verdictCases() {
				if !quarantine && tc.reason == ReasonQuarantined {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					before := counters(t, f)
					if got := run(t, f, tc.frame); got != tc.action {
						t.Errorf("XDP action %d, want %d", got, tc.action)
					}
					want := map[string]uint64{tc.reason.String(): 1}
					if got := delta(before, counters(t, f)); fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("counters moved %v, want %v", got, want)
					}
				})
			}
		})
	}
}

// TestHostileFrames feeds every prefix of every test frame, and random
// bytes behind each EtherType, through the program: whatever arrives, the
// answer is pass or drop, never XDP_ABORTED (a program error).
func TestHostileFrames(t *testing.T) {
	f := loadFilter(t, testSpec())
	check := func(frame []byte) {
		if got := run(t, f, frame); got != xdpPass && got != xdpDrop {
			t.Fatalf("XDP action %d for % x", got, frame)
		}
	}
	for _, tc := range verdictCases() {
		for n := 14; n <= len(tc.frame); n++ {
			check(tc.frame[:n])
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		n := 14 + rng.IntN(200)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		ethertypes := []uint16{etherIPv4, etherIPv6, tpid8021Q, tpidQinQ}
		binary.BigEndian.PutUint16(b[12:], ethertypes[i%len(ethertypes)])
		if n > 14 && i%2 == 0 { // plausible version nibble
			b[14] = b[14]&0x0f | 0x40
			if i%4 == 0 {
				b[14] = b[14]&0x0f | 0x60
			}
		}
		check(b)
	}
}
