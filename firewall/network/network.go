// Package network answers "who is this?" for the engine: which network owns
// a source address, an IMSI, a Diameter realm, a PLMN or a global title —
// the home network, one interconnect partner, or nobody. It is built once
// from a validated configuration and then read concurrently without locks
// or allocation.
package network

import (
	"net/netip"
	"sort"

	"breakwater/firewall/config"
	"breakwater/protocols/view"
)

// Member is the home network or one partner.
type Member struct {
	Name   string // "home" for the home network
	Home   bool
	Index  int // position among partners; -1 for home
	PLMNs  []view.PLMN
	Realms []string
	// Addresses are the member's source prefixes (for the XDP allowlist).
	Addresses []netip.Prefix
}

// HasPLMN reports whether p is one of the member's PLMNs.
func (m *Member) HasPLMN(p view.PLMN) bool {
	for _, q := range m.PLMNs {
		if q == p {
			return true
		}
	}
	return false
}

// Network is the compiled "who is who" of one configuration.
type Network struct {
	Home     *Member
	Partners []*Member

	v4     []range4
	v6     []range6
	plmns  map[plmnKey]*Member
	realms map[string]*Member
	gt     digitTrie
}

type range4 struct {
	lo, hi uint32
	m      *Member
}

type range6 struct {
	lo, hi [2]uint64
	m      *Member
}

type plmnKey struct {
	mcc, mnc uint16
	mncLen   uint8
}

// New compiles the configuration's home and partners.
func New(c *config.Config) *Network {
	n := &Network{plmns: map[plmnKey]*Member{}, realms: map[string]*Member{}}
	n.Home = n.add(&c.Home, "home", -1)
	for i := range c.Partners {
		n.Partners = append(n.Partners, n.add(&c.Partners[i].Network, c.Partners[i].Name.Value, i))
	}
	sort.Slice(n.v4, func(i, j int) bool { return n.v4[i].lo < n.v4[j].lo })
	sort.Slice(n.v6, func(i, j int) bool { return less6(n.v6[i].lo, n.v6[j].lo) })
	return n
}

func (n *Network) add(c *config.Network, name string, index int) *Member {
	m := &Member{Name: name, Home: index < 0, Index: index}
	for _, p := range c.PLMNs {
		m.PLMNs = append(m.PLMNs, p.PLMN)
		n.plmns[plmnKey{p.MCC, p.MNC, p.MNCLen}] = m
	}
	for _, r := range c.Realms {
		m.Realms = append(m.Realms, r.Name)
		n.realms[r.Name] = m
	}
	for _, g := range c.GTPrefixes {
		n.gt.insert(g.Digits, m)
	}
	for _, p := range c.Addresses {
		m.Addresses = append(m.Addresses, p.Prefix)
		a := p.Addr()
		if a.Is4() {
			lo := v4(a)
			hi := lo | (1<<(32-p.Bits()) - 1)
			if p.Bits() == 0 {
				hi = ^uint32(0)
			}
			n.v4 = append(n.v4, range4{lo, hi, m})
		} else {
			lo := v6(a)
			hi := lo
			host := 128 - p.Bits()
			switch {
			case host >= 64:
				hi[0] |= mask(host - 64)
				hi[1] = ^uint64(0)
			default:
				hi[1] |= mask(host)
			}
			n.v6 = append(n.v6, range6{lo, hi, m})
		}
	}
	return m
}

func mask(bits int) uint64 {
	if bits >= 64 {
		return ^uint64(0)
	}
	return 1<<bits - 1
}

func v4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func v6(a netip.Addr) [2]uint64 {
	b := a.As16()
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return [2]uint64{hi, lo}
}

func less6(a, b [2]uint64) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

// SenderOf returns the member whose addresses contain a, or nil.
func (n *Network) SenderOf(a netip.Addr) *Member {
	a = a.Unmap()
	if a.Is4() {
		x := v4(a)
		i := sort.Search(len(n.v4), func(i int) bool { return n.v4[i].lo > x }) - 1
		if i >= 0 && x <= n.v4[i].hi {
			return n.v4[i].m
		}
		return nil
	}
	if !a.Is6() {
		return nil
	}
	x := v6(a)
	i := sort.Search(len(n.v6), func(i int) bool { return less6(x, n.v6[i].lo) }) - 1
	if i >= 0 && !less6(n.v6[i].hi, x) {
		return n.v6[i].m
	}
	return nil
}

// IMSIOwner returns the member whose PLMN prefixes the IMSI (a three-digit
// MNC match wins over a two-digit one), or nil.
func (n *Network) IMSIOwner(imsi *view.Digits) *Member {
	b := imsi.Bytes()
	if len(b) < 5 {
		return nil
	}
	mcc := uint16(b[0]-'0')*100 + uint16(b[1]-'0')*10 + uint16(b[2]-'0')
	if len(b) >= 6 {
		mnc3 := uint16(b[3]-'0')*100 + uint16(b[4]-'0')*10 + uint16(b[5]-'0')
		if m := n.plmns[plmnKey{mcc, mnc3, 3}]; m != nil {
			return m
		}
	}
	mnc2 := uint16(b[3]-'0')*10 + uint16(b[4]-'0')
	return n.plmns[plmnKey{mcc, mnc2, 2}]
}

// PLMNOwner returns the member that lists p, or nil.
func (n *Network) PLMNOwner(p view.PLMN) *Member {
	return n.plmns[plmnKey{p.MCC, p.MNC, p.MNCLen}]
}

// RealmOwner returns the member that lists the realm (compared without
// regard to case, as DNS names are), or nil.
func (n *Network) RealmOwner(realm []byte) *Member {
	if len(realm) == 0 || len(realm) > 255 {
		return nil
	}
	var buf [255]byte
	lower := buf[:len(realm)]
	for i, c := range realm {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	return n.realms[string(lower)]
}

// GTOwner returns the member with the longest global-title prefix matching
// the digits, or nil.
func (n *Network) GTOwner(gt *view.Digits) *Member { return n.gt.longest(gt.Bytes()) }

// ByName returns the partner with that name, or nil.
func (n *Network) ByName(name string) *Member {
	if name == "home" {
		return n.Home
	}
	for _, p := range n.Partners {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// digitTrie maps decimal prefixes to members; node 0 is the root.
type digitTrie struct{ nodes []trieNode }

type trieNode struct {
	next [10]int32
	m    *Member
}

func (t *digitTrie) insert(digits string, m *Member) {
	if len(t.nodes) == 0 {
		t.nodes = append(t.nodes, trieNode{})
	}
	cur := 0
	for i := 0; i < len(digits); i++ {
		d := digits[i] - '0'
		nx := t.nodes[cur].next[d]
		if nx == 0 {
			t.nodes = append(t.nodes, trieNode{})
			nx = int32(len(t.nodes) - 1)
			t.nodes[cur].next[d] = nx
		}
		cur = int(nx)
	}
	t.nodes[cur].m = m
}

func (t *digitTrie) longest(digits []byte) *Member {
	if len(t.nodes) == 0 {
		return nil
	}
	var best *Member
	cur := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			break
		}
		nx := t.nodes[cur].next[c-'0']
		if nx == 0 {
			break
		}
		cur = int(nx)
		if t.nodes[cur].m != nil {
			best = t.nodes[cur].m
		}
	}
	return best
}
