package bpf

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestValidate(t *testing.T) {
	p := netip.MustParsePrefix
	cases := []struct {
		name string
		spec Spec
		want string // substring of the error; "" = valid
	}{
		{"empty", Spec{}, ""},
		{"defaults", Spec{Ports: DefaultPorts(), Sources: []Source{{Prefix: p("192.0.2.0/24"), Partner: 1}}}, ""},
		{"no prefix", Spec{Sources: []Source{{Partner: 1}}}, "Sources[0]: no valid prefix"},
		{"partner 0", Spec{Sources: []Source{{Prefix: p("192.0.2.0/24")}}}, "partner id 0 is reserved"},
		{"burst without rate", Spec{Sources: []Source{{Prefix: p("192.0.2.0/24"), Partner: 1, Burst: 5}}}, "Burst 5 without RatePPS"},
		{"rate too high", Spec{Sources: []Source{{Prefix: p("192.0.2.0/24"), Partner: 1, RatePPS: MaxRatePPS + 1}}}, "RatePPS 1000000001 is above"},
		{"same prefix, other partner", Spec{Sources: []Source{{Prefix: p("192.0.2.0/24"), Partner: 1}, {Prefix: p("192.0.2.9/24"), Partner: 2}}}, "Sources[1] (192.0.2.9/24): Sources[0] covers the same prefix 192.0.2.0/24"},
		{"same prefix, same settings", Spec{Sources: []Source{{Prefix: p("192.0.2.0/24"), Partner: 1}, {Prefix: p("192.0.2.0/24"), Partner: 1}}}, ""},
		{"mapped and plain IPv4 collide", Spec{Sources: []Source{{Prefix: p("::ffff:192.0.2.0/120"), Partner: 1}, {Prefix: p("192.0.2.0/24"), Partner: 2}}}, "covers the same prefix"},
		{"port 0", Spec{Ports: []Port{{Number: 0, Proto: ProtoTCP, Class: ClassDiameter}}}, "port 0"},
		{"bad proto", Spec{Ports: []Port{{Number: 1, Proto: 1, Class: ClassDiameter}}}, "protocol 1: use ProtoSCTP"},
		{"Diameter over UDP", Spec{Ports: []Port{{Number: 3868, Proto: ProtoUDP, Class: ClassDiameter}}}, "diameter does not run over UDP"},
		{"GTP-C over TCP", Spec{Ports: []Port{{Number: 2123, Proto: ProtoTCP, Class: ClassGTPC}}}, "GTP-C runs over UDP"},
		{"no class", Spec{Ports: []Port{{Number: 2123, Proto: ProtoUDP}}}, "class 0: use ClassDiameter"},
		{"two classes on one port", Spec{Ports: []Port{{Number: 3868, Proto: ProtoTCP, Class: ClassDiameter}, {Number: 3868, Proto: ProtoTCP, Class: ClassM3UA}}}, "already listed as diameter"},
		{"quarantine 0", Spec{Quarantined: []uint32{0}}, "Quarantined[0]: partner id 0"},
		{"bad type verdict", func() Spec { var s Spec; s.GTPv2Types[130] = 3; return s }(), "GTPv2Types[130] = 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate: %v, want an error containing %q", err, tc.want)
			}
		})
	}

	var nilSpec *Spec
	if err := nilSpec.Validate(); err == nil {
		t.Error("nil Spec validated")
	}
	// Every problem is reported, not only the first.
	s := Spec{Sources: []Source{{Prefix: p("192.0.2.0/24")}}, Ports: []Port{{Number: 0, Proto: ProtoTCP, Class: ClassDiameter}}}
	if err := s.Validate(); err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("two problems: %v", err)
	}
}

func TestCompileNormalises(t *testing.T) {
	s := Spec{Sources: []Source{
		{Prefix: netip.MustParsePrefix("192.0.2.77/24"), Partner: 1, RatePPS: 100},
		{Prefix: netip.MustParsePrefix("::ffff:198.51.100.0/120"), Partner: 2, Home: true, InterPLMNMobility: true},
		{Prefix: netip.MustParsePrefix("2001:db8::/32"), Partner: 3},
	}}
	c, err := s.compile()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.v4) != 2 || len(c.v6) != 1 {
		t.Fatalf("%d IPv4 and %d IPv6 sources", len(c.v4), len(c.v6))
	}
	if got := c.v4[0]; got.prefix.String() != "192.0.2.0/24" || got.burst != 100 {
		t.Errorf("masked prefix and default burst: %+v", got)
	}
	if got := c.v4[1]; got.prefix.String() != "198.51.100.0/24" || got.flags != sourceHome|sourceMobility {
		t.Errorf("unmapped prefix and flags: %+v", got)
	}
}

func TestParseMode(t *testing.T) {
	for s, want := range map[string]Mode{"native": ModeNative, "generic": ModeGeneric} {
		if m, err := ParseMode(s); err != nil || m != want || m.String() != s {
			t.Errorf("ParseMode(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseMode("offload"); err == nil {
		t.Error("ParseMode accepted offload")
	}
}

func TestDecodeEvent(t *testing.T) {
	b := make([]byte, eventSize)
	b[0] = 7
	copy(b[8:], []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9})
	b[24] = 5
	b[28], b[29] = 0x1c, 0x0f // 3868 little-endian
	b[30] = byte(ReasonUnknownSource)
	b[31] = byte(ProtoTCP)
	b[34] = 4
	b[35] = byte(ClassDiameter)
	ev, ok := decodeEvent(b)
	if !ok || ev.Source.String() != "192.0.2.9" || ev.Partner != 5 || ev.DestPort != 3868 || ev.Reason != ReasonUnknownSource || ev.Proto != ProtoTCP || ev.Class != ClassDiameter || ev.Time != 7 {
		t.Errorf("decodeEvent = %+v, %v", ev, ok)
	}
	if _, ok := decodeEvent(b[:eventSize-1]); ok {
		t.Error("decodeEvent accepted a short record")
	}
}

// TestBuildersAgreeWithGopacket decodes the test frames with gopacket, an
// independent parser, so that a wrong builder cannot make a wrong verdict
// look right.
func TestBuildersAgreeWithGopacket(t *testing.T) {
	tcp6 := tcp(40000, 3868, 5)
	cases := []struct {
		name  string
		frame []byte
		want  []gopacket.LayerType
	}{
		{"IPv4 TCP", v4Frame("192.0.2.5", "192.0.2.1", ipProtoTCP, tcp(40000, 3868, 8)), []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeTCP}},
		{"IPv4 options", ether(etherIPv4, ipv4("192.0.2.5", "192.0.2.1", ipProtoTCP, tcp(1, 3868, 5), 1, 1, 1, 0)), []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeTCP}},
		{"IPv4 SCTP", v4Frame("192.0.2.5", "192.0.2.1", ipProtoSCTP, sctp(2905, 2905)), []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv4, layers.LayerTypeSCTP, layers.LayerTypeSCTPInit}},
		{"QinQ IPv6 UDP", ether(etherIPv6, ipv6("2001:db8::1", "2001:db8::2", ipProtoUDP, udp(2123, 2123, gtpV2(32, true, false, imsiIE))), tpidQinQ, tpid8021Q), []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeDot1Q, layers.LayerTypeDot1Q, layers.LayerTypeIPv6, layers.LayerTypeUDP}},
		{"IPv6 HBH DestOpts", v6Frame("2001:db8::1", "2001:db8::2", ipHopByHop, ext6(ipDestOpts, 1, ext6(ipProtoTCP, 2, tcp6))), []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv6, layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Destination, layers.LayerTypeTCP}},
		{"IPv6 Fragment", v6Frame("2001:db8::1", "2001:db8::2", ipFragment, frag6(ipProtoTCP, 0, true, tcp6)), []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeIPv6, layers.LayerTypeIPv6Fragment}},
		{"ARP", arpFrame(), []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeARP}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pkt := gopacket.NewPacket(tc.frame, layers.LayerTypeEthernet, gopacket.Default)
			if el := pkt.ErrorLayer(); el != nil {
				t.Fatalf("gopacket: %v", el.Error())
			}
			var got []gopacket.LayerType
			for _, l := range pkt.Layers() {
				got = append(got, l.LayerType())
			}
			if len(got) < len(tc.want) {
				t.Fatalf("layers %v, want %v", got, tc.want)
			}
			for i, lt := range tc.want {
				if got[i] != lt {
					t.Fatalf("layers %v, want %v", got, tc.want)
				}
			}
		})
	}

	// The GTP builders against gopacket's GTPv2 decoder.
	g := gopacket.NewPacket(gtpV2(32, true, false, imsiIE), layers.LayerTypeGTPv2, gopacket.Default)
	if el := g.ErrorLayer(); el != nil {
		t.Fatalf("gopacket GTPv2: %v", el.Error())
	}
	if v2, ok := g.Layer(layers.LayerTypeGTPv2).(*layers.GTPv2); !ok || v2.MessageType != 32 || !v2.TEIDflag || v2.SequenceNumber != 42 || int(v2.MessageLength) != 8+len(imsiIE) {
		t.Errorf("GTPv2 as gopacket reads it: %+v", g.Layer(layers.LayerTypeGTPv2))
	}
	g = gopacket.NewPacket(gtpV1(16, imsiIE), layers.LayerTypeGTPv1U, gopacket.Default)
	if v1, ok := g.Layer(layers.LayerTypeGTPv1U).(*layers.GTPv1U); !ok || v1.MessageType != 16 || v1.Version != 1 || v1.ProtocolType != 1 || !v1.SequenceNumberFlag || int(v1.MessageLength) != 4+len(imsiIE) {
		t.Errorf("GTPv1 as gopacket reads it: %+v", g.Layer(layers.LayerTypeGTPv1U))
	}
}
