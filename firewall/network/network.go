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
	// InterPLMNMobility: inter-PLMN handover messages are allowed.
	InterPLMNMobility bool
	// RatePPS and RateBurst: the token bucket each source address of the
	// member gets (partners[].rate_limit); RatePPS 0 is unlimited.
	RatePPS, RateBurst uint32
}

// HasAddress reports whether a lies in one of the member's prefixes.
func (m *Member) HasAddress(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range m.Addresses {
		if p.Contains(a) {
			return true
		}
	}
	return false
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

// HasRealm reports whether realm (any letter case) is one of the member's
// realms. Members list few realms, so a scan beats hashing.
func (m *Member) HasRealm(realm []byte) bool {
	for _, r := range m.Realms {
		if len(r) == len(realm) && (string(realm) == r || equalFoldLower(realm, r)) {
			return true
		}
	}
	return false
}

// equalFoldLower compares b with the lower-case ASCII string lower,
// ignoring the case of b.
func equalFoldLower(b []byte, lower string) bool {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
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

// plmnKey packs MCC, MNC and MNC length into one integer so that map
// lookups use the fast integer path.
type plmnKey uint32

func keyOf(mcc, mnc uint16, mncLen uint8) plmnKey {
	return plmnKey(uint32(mcc)<<12 | uint32(mnc)<<2 | uint32(mncLen&3))
}

// New compiles the configuration's home and partners.
func New(c *config.Config) *Network {
	n := &Network{plmns: map[plmnKey]*Member{}, realms: map[string]*Member{}}
	n.Home = n.add(&c.Home, "home", -1)
	for i := range c.Partners {
		m := n.add(&c.Partners[i].Network, c.Partners[i].Name.Value, i)
		m.InterPLMNMobility = c.Partners[i].InterPLMNMobility
		m.RatePPS, m.RateBurst = c.Partners[i].RateLimit.PacketsPerSecond, c.Partners[i].RateLimit.Burst
		n.Partners = append(n.Partners, m)
	}
	sort.Slice(n.v4, func(i, j int) bool { return n.v4[i].lo < n.v4[j].lo })
	sort.Slice(n.v6, func(i, j int) bool { return less6(n.v6[i].lo, n.v6[j].lo) })
	return n
}

func (n *Network) add(c *config.Network, name string, index int) *Member {
	m := &Member{Name: name, Home: index < 0, Index: index}
	for _, p := range c.PLMNs {
		m.PLMNs = append(m.PLMNs, p.PLMN)
		n.plmns[keyOf(p.MCC, p.MNC, p.MNCLen)] = m
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
		// Binary search for the last range starting at or below x.
		lo, hi := 0, len(n.v4)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if n.v4[mid].lo <= x {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo > 0 && x <= n.v4[lo-1].hi {
			return n.v4[lo-1].m
		}
		return nil
	}
	if !a.Is6() {
		return nil
	}
	x := v6(a)
	lo, hi := 0, len(n.v6)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if !less6(x, n.v6[mid].lo) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo > 0 && !less6(n.v6[lo-1].hi, x) {
		return n.v6[lo-1].m
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
		if m := n.plmns[keyOf(mcc, mnc3, 3)]; m != nil {
			return m
		}
	}
	mnc2 := uint16(b[3]-'0')*10 + uint16(b[4]-'0')
	return n.plmns[keyOf(mcc, mnc2, 2)]
}

// PLMNOwner returns the member that lists p, or nil.
func (n *Network) PLMNOwner(p view.PLMN) *Member {
	return n.plmns[keyOf(p.MCC, p.MNC, p.MNCLen)]
}

// RealmOwner returns the member that lists the realm (compared without
// regard to case, as DNS names are), or nil.
func (n *Network) RealmOwner(realm []byte) *Member {
	if len(realm) == 0 || len(realm) > 255 {
		return nil
	}
	if m, ok := n.realms[string(realm)]; ok { // the usual case: already lower case
		return m
	}
	var buf [255]byte
	lower := buf[:len(realm)]
	changed := false
	for i, c := range realm {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
			changed = true
		}
		lower[i] = c
	}
	if !changed {
		return nil
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
