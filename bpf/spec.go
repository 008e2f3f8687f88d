package bpf

import (
	"errors"
	"fmt"
	"net/netip"
)

// Proto is an L4 protocol, by its IANA protocol number.
type Proto uint8

const (
	ProtoTCP  Proto = 6
	ProtoUDP  Proto = 17
	ProtoSCTP Proto = 132
)

func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoSCTP:
		return "sctp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// Class is the signaling protocol a port carries. The numbers are the
// kernel's (enum proto_class in xdp.c).
type Class uint8

const (
	ClassDiameter Class = 1
	ClassM3UA     Class = 2
	ClassGTPC     Class = 3 // GTP-C header and message type checks run in XDP
)

func (c Class) String() string {
	switch c {
	case 0:
		return "none"
	case ClassDiameter:
		return "diameter"
	case ClassM3UA:
		return "m3ua"
	case ClassGTPC:
		return "gtp-c"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// TypeVerdict is what the GTP-C message type tables say about one message
// type (enum type_verdict in xdp.c).
type TypeVerdict uint8

const (
	TypePass               TypeVerdict = 0 // let user space judge it
	TypeDrop               TypeVerdict = 1 // GSMA category 1: never from a partner
	TypeDropUnlessMobility TypeVerdict = 2 // relocation: only from partners with InterPLMNMobility
)

func (v TypeVerdict) String() string {
	switch v {
	case TypePass:
		return "pass"
	case TypeDrop:
		return "drop"
	case TypeDropUnlessMobility:
		return "drop-unless-mobility"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// Source is one allowlist entry: a prefix, who owns it and how fast it may
// send. The longest matching prefix decides, so a home /28 inside a
// partner's /24 takes precedence for its addresses.
type Source struct {
	Prefix netip.Prefix
	// Partner identifies the owner (nonzero; 0 is reserved). Quarantine is
	// by partner: quarantining one id drops every prefix that carries it.
	Partner uint32
	// Home marks home network nodes: their GTP-C messages skip the type
	// tables. Home nodes that reach the signaling ports must be listed too,
	// or their traffic is dropped as unknown_source.
	Home bool
	// InterPLMNMobility lets TypeDropUnlessMobility message types through
	// (forward relocation between the partner's and the home network).
	InterPLMNMobility bool
	// RatePPS is the packet rate each source address in the prefix may send
	// to the signaling ports, 0 for unlimited; Burst is how many packets an
	// idle address may send back to back (0: one second's worth, RatePPS).
	// Every packet counts (TCP acknowledgements, SCTP SACKs and heartbeats
	// too), so leave room above the message rate.
	RatePPS, Burst uint32
}

// Port is a destination port that carries signaling to Breakwater.
type Port struct {
	Number uint16
	Proto  Proto
	Class  Class
}

// DefaultPorts are the registered signaling ports: Diameter 3868 over SCTP
// and TCP, M3UA 2905 over SCTP (and TCP, used in labs) and GTP-C 2123 over
// UDP.
func DefaultPorts() []Port {
	return []Port{
		{Number: 3868, Proto: ProtoSCTP, Class: ClassDiameter},
		{Number: 3868, Proto: ProtoTCP, Class: ClassDiameter},
		{Number: 2905, Proto: ProtoSCTP, Class: ClassM3UA},
		{Number: 2905, Proto: ProtoTCP, Class: ClassM3UA},
		{Number: 2123, Proto: ProtoUDP, Class: ClassGTPC},
	}
}

// Spec is everything the pre-filter enforces, as plain data the caller
// fills from its configuration. The zero Spec passes every packet (no
// signaling ports).
type Spec struct {
	Sources []Source
	Ports   []Port
	// Quarantined partner ids: every packet from their prefixes is dropped,
	// whatever the port. Update replaces the whole set with this one.
	Quarantined []uint32
	// GTPv1Types and GTPv2Types hold the verdict per message type for
	// GTP-C from sources that are not Home.
	GTPv1Types, GTPv2Types [256]TypeVerdict
	// SampleEvery sends one drop in every SampleEvery (per CPU) to Events;
	// 0 sends none.
	SampleEvery uint32
}

// Limits of what the kernel tables hold.
const (
	MaxSources     = 1 << 18       // per address family
	MaxQuarantined = 16384         // quarantine map entries (xdp.c)
	MaxRatePPS     = 1_000_000_000 // one packet per nanosecond
)

// Validate reports every problem in s, each naming the entry and what to
// change; nil means Load and Update will accept s.
func (s *Spec) Validate() error {
	_, err := s.compile()
	return err
}

// compiled is a validated Spec in the kernel's terms.
type compiled struct {
	v4, v6      []compiledSource
	ports       map[uint16][3]Class // by slot: SCTP, TCP, UDP (enum l4_slot)
	quarantined map[uint32]struct{}
	gtpV1       [256]TypeVerdict
	gtpV2       [256]TypeVerdict
	sampleEvery uint32
}

type compiledSource struct {
	prefix         netip.Prefix // masked; IPv4 unmapped
	partner, flags uint32
	ratePPS, burst uint32
	index          int // in Spec.Sources, for messages
}

// Flags in the kernel's struct source.
const (
	sourceHome     = 1 << 0
	sourceMobility = 1 << 1
)

// Kernel port-table slots (enum l4_slot in xdp.c).
func protoSlot(p Proto) (int, bool) {
	switch p {
	case ProtoSCTP:
		return 0, true
	case ProtoTCP:
		return 1, true
	case ProtoUDP:
		return 2, true
	}
	return 0, false
}

func (s *Spec) compile() (*compiled, error) {
	if s == nil {
		return nil, errors.New("bpf: nil Spec: pass &bpf.Spec{} to pass everything")
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("bpf: "+format, args...))
	}
	c := &compiled{
		ports:       make(map[uint16][3]Class, len(s.Ports)),
		quarantined: make(map[uint32]struct{}, len(s.Quarantined)),
		gtpV1:       s.GTPv1Types,
		gtpV2:       s.GTPv2Types,
		sampleEvery: s.SampleEvery,
	}

	seen := make(map[netip.Prefix]compiledSource, len(s.Sources))
	for i, src := range s.Sources {
		where := fmt.Sprintf("Sources[%d] (%s)", i, src.Prefix)
		if !src.Prefix.IsValid() {
			bad("Sources[%d]: no valid prefix: set Prefix, e.g. netip.MustParsePrefix(\"192.0.2.0/24\")", i)
			continue
		}
		p := src.Prefix.Masked()
		// An IPv4-mapped IPv6 prefix names IPv4 sources: IPv4 packets are
		// looked up in the IPv4 trie.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if src.Partner == 0 {
			bad("%s: partner id 0 is reserved (it means \"no partner\" in events): give the source its partner's nonzero id", where)
		}
		if src.RatePPS > MaxRatePPS {
			bad("%s: RatePPS %d is above %d: use 0 for unlimited", where, src.RatePPS, MaxRatePPS)
		}
		if src.RatePPS == 0 && src.Burst != 0 {
			bad("%s: Burst %d without RatePPS (0 = unlimited): set RatePPS or leave Burst 0", where, src.Burst)
		}
		cs := compiledSource{prefix: p, partner: src.Partner, ratePPS: src.RatePPS, burst: src.Burst, index: i}
		if cs.ratePPS > 0 && cs.burst == 0 {
			cs.burst = cs.ratePPS // one second's worth
		}
		if src.Home {
			cs.flags |= sourceHome
		}
		if src.InterPLMNMobility {
			cs.flags |= sourceMobility
		}
		if prev, dup := seen[p]; dup {
			if prev.partner != cs.partner || prev.flags != cs.flags || prev.ratePPS != cs.ratePPS || prev.burst != cs.burst {
				bad("%s: Sources[%d] covers the same prefix %s with other settings: keep one of them", where, prev.index, p)
			}
			continue
		}
		seen[p] = cs
		if p.Addr().Is4() {
			c.v4 = append(c.v4, cs)
		} else {
			c.v6 = append(c.v6, cs)
		}
	}
	if len(c.v4) > MaxSources || len(c.v6) > MaxSources {
		bad("%d IPv4 and %d IPv6 source prefixes: at most %d per family; aggregate prefixes", len(c.v4), len(c.v6), MaxSources)
	}

	for i, p := range s.Ports {
		where := fmt.Sprintf("Ports[%d] (%d/%s)", i, p.Number, p.Proto)
		slot, ok := protoSlot(p.Proto)
		if !ok {
			bad("%s: protocol %d: use ProtoSCTP, ProtoTCP or ProtoUDP", where, uint8(p.Proto))
			continue
		}
		if p.Number == 0 {
			bad("%s: port 0: give the port the listener uses", where)
			continue
		}
		switch p.Class {
		case ClassDiameter, ClassM3UA:
			if p.Proto == ProtoUDP {
				bad("%s: %s does not run over UDP: use ProtoSCTP or ProtoTCP", where, p.Class)
				continue
			}
		case ClassGTPC:
			if p.Proto != ProtoUDP {
				bad("%s: GTP-C runs over UDP: use ProtoUDP", where)
				continue
			}
		default:
			bad("%s: class %d: use ClassDiameter, ClassM3UA or ClassGTPC", where, uint8(p.Class))
			continue
		}
		classes := c.ports[p.Number]
		if prev := classes[slot]; prev != 0 && prev != p.Class {
			bad("%s: port already listed as %s: keep one class per port and protocol", where, prev)
			continue
		}
		classes[slot] = p.Class
		c.ports[p.Number] = classes
	}

	for i, id := range s.Quarantined {
		if id == 0 {
			bad("Quarantined[%d]: partner id 0 is reserved: list nonzero partner ids", i)
			continue
		}
		c.quarantined[id] = struct{}{}
	}
	if len(c.quarantined) > MaxQuarantined {
		bad("%d quarantined partners: at most %d", len(c.quarantined), MaxQuarantined)
	}

	for t, v := range s.GTPv1Types {
		if v > TypeDropUnlessMobility {
			bad("GTPv1Types[%d] = %d: use TypePass, TypeDrop or TypeDropUnlessMobility", t, v)
		}
	}
	for t, v := range s.GTPv2Types {
		if v > TypeDropUnlessMobility {
			bad("GTPv2Types[%d] = %d: use TypePass, TypeDrop or TypeDropUnlessMobility", t, v)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}
