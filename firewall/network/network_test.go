package network

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"breakwater/firewall/config"
	"breakwater/protocols/view"
)

func parse(t testing.TB, doc string) *Network {
	t.Helper()
	c, err := config.Parse("bw.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return New(c)
}

// The home network and its neighbours sit next to each other in address
// space so that every range edge is also another range's edge.
const edges = `
home:
  plmns: ["310260", "00101"]
  realms: ["epc.mnc260.mcc310.3gppnetwork.org"]
  gt_prefixes: ["1206"]
  addresses:
    - 10.10.0.0/16
    - 198.51.100.7
    - 2001:db8:10::/48
    - 2001:db8:ffff::1
partners:
  - name: uk-partner
    plmns: ["23415"]
    realms: ["epc.mnc015.mcc234.3gppnetwork.org"]
    gt_prefixes: ["447785"]
    addresses:
      - 192.0.2.0/24
      - 10.11.0.0/16
      - 2001:db8:11::/48
      - 198.51.100.8
  - name: edges
    plmns: ["31026", "234015"]
    realms: ["Edge.Example"]
    gt_prefixes: ["44", "4477"]
    addresses:
      - 0.0.0.0/32
      - 255.255.255.255/32
      - "::/128"
      - ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
      - 2001:db8:30::/63
      - 2001:db8:40::/65
      - 2001:db8:50::/64
      - 10.9.255.255
`

func name(m *Member) string {
	if m == nil {
		return ""
	}
	return m.Name
}

func TestSenderOf(t *testing.T) {
	n := parse(t, edges)
	tests := []struct {
		addr string
		want string
	}{
		// IPv4 /16 edges, with neighbours on both sides.
		{"10.9.255.254", ""},
		{"10.9.255.255", "edges"},
		{"10.10.0.0", "home"},
		{"10.10.0.1", "home"},
		{"10.10.128.77", "home"},
		{"10.10.255.255", "home"},
		{"10.11.0.0", "uk-partner"},
		{"10.11.255.255", "uk-partner"},
		{"10.12.0.0", ""},
		// /24.
		{"192.0.1.255", ""},
		{"192.0.2.0", "uk-partner"},
		{"192.0.2.255", "uk-partner"},
		{"192.0.3.0", ""},
		// Adjacent /32 hosts of different members.
		{"198.51.100.6", ""},
		{"198.51.100.7", "home"},
		{"198.51.100.8", "uk-partner"},
		{"198.51.100.9", ""},
		// The ends of IPv4 space.
		{"0.0.0.0", "edges"},
		{"0.0.0.1", ""},
		{"255.255.255.254", ""},
		{"255.255.255.255", "edges"},
		// IPv4-mapped IPv6 is looked up as IPv4.
		{"::ffff:10.10.0.0", "home"},
		{"::ffff:10.11.0.0", "uk-partner"},
		{"::ffff:10.12.0.0", ""},
		{"::ffff:0.0.0.0", "edges"},
		{"::ffff:255.255.255.255", "edges"},
		// IPv6 /48 edges.
		{"2001:db8:f:ffff:ffff:ffff:ffff:ffff", ""},
		{"2001:db8:10::", "home"},
		{"2001:db8:10:ffff:ffff:ffff:ffff:ffff", "home"},
		{"2001:db8:11::", "uk-partner"},
		{"2001:db8:11:ffff:ffff:ffff:ffff:ffff", "uk-partner"},
		{"2001:db8:12::", ""},
		// /128 host.
		{"2001:db8:ffff::", ""},
		{"2001:db8:ffff::1", "home"},
		{"2001:db8:ffff::2", ""},
		// Prefixes whose host part crosses the 64-bit word boundary.
		{"2001:db8:2f:ffff:ffff:ffff:ffff:ffff", ""},
		{"2001:db8:30::", "edges"},
		{"2001:db8:30:0:ffff:ffff:ffff:ffff", "edges"},
		{"2001:db8:30:1::", "edges"},
		{"2001:db8:30:1:ffff:ffff:ffff:ffff", "edges"},
		{"2001:db8:30:2::", ""},
		{"2001:db8:3f:ffff:ffff:ffff:ffff:ffff", ""},
		{"2001:db8:40::", "edges"},
		{"2001:db8:40::7fff:ffff:ffff:ffff", "edges"},
		{"2001:db8:40::8000:0:0:0", ""},
		{"2001:db8:4f:ffff:ffff:ffff:ffff:ffff", ""},
		{"2001:db8:50::", "edges"},
		{"2001:db8:50::ffff:ffff:ffff:ffff", "edges"},
		{"2001:db8:50:1::", ""},
		// The ends of IPv6 space.
		{"::", "edges"},
		{"::1", ""},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", ""},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "edges"},
		// Zones do not matter.
		{"2001:db8:10::1%eth0", "home"},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if got := name(n.SenderOf(a)); got != tt.want {
			t.Errorf("SenderOf(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
	if got := n.SenderOf(netip.Addr{}); got != nil {
		t.Errorf("SenderOf(zero Addr) = %q, want nil", got.Name)
	}
}

func TestSenderOfWholeSpace(t *testing.T) {
	n := parse(t, "home:\n  plmns: [\"310260\"]\n  addresses: [0.0.0.0/0, \"::/0\"]\n")
	for _, s := range []string{"0.0.0.0", "127.0.0.1", "255.255.255.255", "::", "::1", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:1.2.3.4"} {
		if got := name(n.SenderOf(netip.MustParseAddr(s))); got != "home" {
			t.Errorf("SenderOf(%s) = %q, want home", s, got)
		}
	}
	if n.SenderOf(netip.Addr{}) != nil {
		t.Error("SenderOf(zero Addr) != nil")
	}

	// IPv4 only: IPv6 addresses belong to nobody.
	n = parse(t, "home:\n  plmns: [\"310260\"]\n  addresses: [0.0.0.0/0]\n")
	if got := n.SenderOf(netip.MustParseAddr("2001:db8::1")); got != nil {
		t.Errorf("IPv6 address matched an IPv4-only network: %q", got.Name)
	}
	if got := name(n.SenderOf(netip.MustParseAddr("::ffff:8.8.8.8"))); got != "home" {
		t.Errorf("mapped address = %q, want home", got)
	}

	// IPv4-mapped prefixes in the configuration become IPv4 prefixes.
	n = parse(t, "home:\n  plmns: [\"310260\"]\n  addresses: [\"::ffff:10.0.0.0/104\"]\n")
	for s, want := range map[string]string{"10.0.0.0": "home", "10.255.255.255": "home", "11.0.0.0": "", "9.255.255.255": "", "200.1.1.1": "", "::ffff:10.1.1.1": "home"} {
		if got := name(n.SenderOf(netip.MustParseAddr(s))); got != want {
			t.Errorf("mapped config: SenderOf(%s) = %q, want %q", s, got, want)
		}
	}
}

func TestSenderOfEmpty(t *testing.T) {
	n := parse(t, "home:\n  plmns: [\"310260\"]\n")
	for _, s := range []string{"0.0.0.0", "10.0.0.1", "::", "2001:db8::1"} {
		if got := n.SenderOf(netip.MustParseAddr(s)); got != nil {
			t.Errorf("SenderOf(%s) = %q in a network without addresses", s, got.Name)
		}
	}
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func randomAddr(r *rand.Rand, v6 bool) netip.Addr {
	if !v6 {
		var b [4]byte
		x := r.Uint32()
		if r.IntN(2) == 0 {
			x = 10<<24 | x&0x00ff_ffff // crowd 10.0.0.0/8 so prefixes nest and touch
		}
		b[0], b[1], b[2], b[3] = byte(x>>24), byte(x>>16), byte(x>>8), byte(x)
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if r.IntN(2) == 0 {
		// Crowd 2001:db8::/32, with few distinct values around bit 64.
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		b[4], b[5] = 0, byte(r.IntN(4))
		b[7] &= 0x3
		b[8] &= 0x81
	}
	return netip.AddrFrom16(b)
}

// TestSenderOfRandom compares SenderOf with a linear scan over many random,
// non-overlapping prefixes, querying every range edge and random addresses.
func TestSenderOfRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := &config.Config{Partners: make([]config.Partner, 7)}
	nets := []*config.Network{&c.Home}
	for i := range c.Partners {
		c.Partners[i].Name.Value = fmt.Sprintf("p%d", i)
		nets = append(nets, &c.Partners[i].Network)
	}
	type owned struct {
		p     netip.Prefix
		owner string
	}
	var all []owned
	for len(all) < 400 {
		v6 := r.IntN(2) == 0
		var bits int
		switch {
		case r.IntN(40) == 0:
			bits = 0 // rare very short prefixes
		case v6:
			bits = 16 + r.IntN(113)
		default:
			bits = 8 + r.IntN(25)
		}
		if !v6 {
			bits = min(bits, 32)
		}
		if bits == 0 {
			bits = 1 + r.IntN(4)
		}
		p := netip.PrefixFrom(randomAddr(r, v6), bits).Masked()
		clash := false
		for _, o := range all {
			if o.p.Overlaps(p) {
				clash = true
				break
			}
		}
		if clash {
			continue
		}
		k := r.IntN(len(nets))
		nets[k].Addresses = append(nets[k].Addresses, config.Prefix{Prefix: p})
		owner := "home"
		if k > 0 {
			owner = c.Partners[k-1].Name.Value
		}
		all = append(all, owned{p, owner})
	}
	n := New(c)

	reference := func(a netip.Addr) string {
		a = a.Unmap()
		for _, o := range all {
			if o.p.Contains(a) {
				return o.owner
			}
		}
		return ""
	}
	var queries []netip.Addr
	for _, o := range all {
		first, last := o.p.Addr(), lastAddr(o.p)
		queries = append(queries, first, last, first.Prev(), last.Next())
	}
	for range 20000 {
		queries = append(queries, randomAddr(r, r.IntN(2) == 0))
	}
	checked := 0
	for _, a := range queries {
		if !a.IsValid() { // Prev of 0.0.0.0, Next of the last address
			continue
		}
		want := reference(a)
		if got := name(n.SenderOf(a)); got != want {
			t.Fatalf("SenderOf(%s) = %q, reference says %q", a, got, want)
		}
		if a.Is4() {
			m := netip.AddrFrom16(a.As16())
			if got := name(n.SenderOf(m)); got != want {
				t.Fatalf("SenderOf(%s) = %q, reference says %q", m, got, want)
			}
		}
		checked++
	}
	if checked < 20000 {
		t.Fatalf("only %d queries checked", checked)
	}
}

func digits(t testing.TB, s string) *view.Digits {
	t.Helper()
	var d view.Digits
	if s != "" && !d.SetASCII([]byte(s)) {
		t.Fatalf("bad digits %q", s)
	}
	return &d
}

func TestIMSIOwner(t *testing.T) {
	n := parse(t, edges)
	tests := []struct {
		imsi, want string
	}{
		{"310260123456789", "home"},       // 3-digit MNC 260
		{"310260", "home"},                // exactly the PLMN
		{"310261123456789", "edges"},      // 2-digit MNC 26, then subscriber digits
		{"310269999999999", "edges"},      //
		{"31026", "edges"},                // five digits: only the 2-digit form applies
		{"310250123456789", ""},           // neither 31025 nor 310250
		{"234150123456789", "uk-partner"}, // 23415 + "0…" with no 234150 listed
		{"234151234567890", "uk-partner"},
		{"234015123456789", "edges"}, // 3-digit MNC 015 ≠ 2-digit MNC 01(5…)
		{"234010123456789", ""},
		{"001010000000001", "home"}, // leading zeros
		{"00101", "home"},
		{"010010000000001", ""},
		{"3102", ""},
		{"", ""},
		{"9", ""},
	}
	for _, tt := range tests {
		if got := name(n.IMSIOwner(digits(t, tt.imsi))); got != tt.want {
			t.Errorf("IMSIOwner(%q) = %q, want %q", tt.imsi, got, tt.want)
		}
	}
}

func TestIMSIOwnerAmbiguity(t *testing.T) {
	// 31026 (2-digit MNC) and 310260 (3-digit MNC) belong to different
	// networks; the 3-digit match wins whichever side lists which.
	for _, tc := range []struct{ home, partner string }{{"310260", "31026"}, {"31026", "310260"}} {
		n := parse(t, fmt.Sprintf("home:\n  plmns: [%q]\npartners:\n  - name: p\n    plmns: [%q]\n    addresses: [192.0.2.1]\n", tc.home, tc.partner))
		owner3, owner2 := "home", "p"
		if len(tc.home) == 5 {
			owner3, owner2 = "p", "home"
		}
		for imsi, want := range map[string]string{
			"310260000000001": owner3,
			"310260":          owner3,
			"310261000000001": owner2,
			"310269":          owner2,
			"31026":           owner2,
		} {
			if got := name(n.IMSIOwner(digits(t, imsi))); got != want {
				t.Errorf("home %s, partner %s: IMSIOwner(%s) = %q, want %q", tc.home, tc.partner, imsi, got, want)
			}
		}
	}
}

func TestPLMNOwner(t *testing.T) {
	n := parse(t, edges)
	plmn := func(s string) view.PLMN {
		p, err := view.ParsePLMN(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		p    view.PLMN
		want string
	}{
		{plmn("310260"), "home"},
		{plmn("31026"), "edges"},
		{plmn("310026"), ""},
		{plmn("23415"), "uk-partner"},
		{plmn("234015"), "edges"},
		{plmn("23401"), ""},
		{plmn("00101"), "home"},
		{plmn("001001"), ""},
		{view.PLMN{}, ""},
	}
	for _, tt := range tests {
		if got := name(n.PLMNOwner(tt.p)); got != tt.want {
			t.Errorf("PLMNOwner(%v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestRealmOwner(t *testing.T) {
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63)
	if len(long) != 255 {
		t.Fatalf("len(long) = %d", len(long))
	}
	n := parse(t, edges+"  - name: longrealm\n    plmns: [\"99999\"]\n    realms: [\""+strings.ToUpper(long)+"\"]\n    addresses: [203.0.113.1]\n")
	tests := []struct {
		realm, want string
	}{
		{"epc.mnc260.mcc310.3gppnetwork.org", "home"},
		{"EPC.MNC260.MCC310.3GPPNETWORK.ORG", "home"},
		{"Epc.Mnc260.mcc310.3gppNetwork.Org", "home"},
		{"epc.mnc015.mcc234.3gppnetwork.org", "uk-partner"},
		{"edge.example", "edges"}, // configured as "Edge.Example"
		{"EDGE.EXAMPLE", "edges"},
		{"edge.example.", ""},
		{"epc.mnc260.mcc310.3gppnetwork.or", ""},
		{"xepc.mnc260.mcc310.3gppnetwork.org", ""},
		{"", ""},
		{long, "longrealm"},
		{strings.ToUpper(long), "longrealm"},
		{long + "d", ""},                 // 256 bytes: over the DNS limit
		{strings.Repeat("x", 10000), ""}, // much longer
		{"edge\xc4.example", ""},         // non-ASCII
		{"edge.example\x00", ""},         // trailing NUL
		{strings.Repeat("A", 255), ""},   // 255 bytes, not configured
	}
	for _, tt := range tests {
		if got := name(n.RealmOwner([]byte(tt.realm))); got != tt.want {
			t.Errorf("RealmOwner(%.40q…) = %q, want %q", tt.realm, got, tt.want)
		}
	}
	// The caller's bytes are not modified.
	in := []byte("EPC.MNC260.MCC310.3GPPNETWORK.ORG")
	n.RealmOwner(in)
	if string(in) != "EPC.MNC260.MCC310.3GPPNETWORK.ORG" {
		t.Errorf("RealmOwner modified its input: %q", in)
	}
	if n.RealmOwner(nil) != nil {
		t.Error("RealmOwner(nil) != nil")
	}
}

func TestGTOwner(t *testing.T) {
	n := parse(t, edges)
	tests := []struct {
		gt, want string
	}{
		{"447785123456", "uk-partner"}, // longest: 447785
		{"447785", "uk-partner"},
		{"44778", "edges"}, // 4477
		{"447786000000", "edges"},
		{"4477", "edges"},
		{"447", "edges"}, // 44
		{"44", "edges"},
		{"4412345", "edges"},
		{"4", ""},
		{"45", ""},
		{"12065551234", "home"},
		{"1206", "home"},
		{"120", ""},
		{"1207", ""},
		{"", ""},
		{"000000000000000000000000", ""},
	}
	for _, tt := range tests {
		if got := name(n.GTOwner(digits(t, tt.gt))); got != tt.want {
			t.Errorf("GTOwner(%q) = %q, want %q", tt.gt, got, tt.want)
		}
	}
	// No global titles configured at all.
	empty := parse(t, "home:\n  plmns: [\"310260\"]\n")
	if got := empty.GTOwner(digits(t, "447785")); got != nil {
		t.Errorf("GTOwner without prefixes = %q", got.Name)
	}
}

func TestMembers(t *testing.T) {
	n := parse(t, edges)
	if n.Home == nil || n.Home.Name != "home" || !n.Home.Home || n.Home.Index != -1 {
		t.Fatalf("Home = %+v", n.Home)
	}
	if len(n.Partners) != 2 {
		t.Fatalf("%d partners", len(n.Partners))
	}
	for i, want := range []string{"uk-partner", "edges"} {
		p := n.Partners[i]
		if p.Name != want || p.Home || p.Index != i {
			t.Errorf("partner %d = %+v", i, p)
		}
		if n.ByName(want) != p {
			t.Errorf("ByName(%q) is not partner %d", want, i)
		}
	}
	if n.ByName("home") != n.Home {
		t.Error("ByName(home) is not Home")
	}
	for _, s := range []string{"", "Home", "uk", "UK-PARTNER"} {
		if m := n.ByName(s); m != nil {
			t.Errorf("ByName(%q) = %q", s, m.Name)
		}
	}
	edges := n.Partners[1]
	if got := fmt.Sprint(edges.Realms); got != "[edge.example]" {
		t.Errorf("Realms = %s (kept lower case)", got)
	}
	if len(edges.Addresses) != 8 || edges.Addresses[3] != netip.MustParsePrefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128") {
		t.Errorf("Addresses = %v", edges.Addresses)
	}
	p31026, _ := view.ParsePLMN("31026")
	p310260, _ := view.ParsePLMN("310260")
	if !edges.HasPLMN(p31026) || edges.HasPLMN(p310260) || !n.Home.HasPLMN(p310260) || n.Home.HasPLMN(view.PLMN{}) {
		t.Error("HasPLMN mismatch")
	}
}

var sink *Member

func TestLookupsDoNotAllocate(t *testing.T) {
	n := parse(t, edges)
	addrs := []netip.Addr{
		netip.MustParseAddr("10.10.1.1"),
		netip.MustParseAddr("::ffff:10.11.1.1"),
		netip.MustParseAddr("2001:db8:30:1::5"),
		netip.MustParseAddr("203.0.113.9"),
	}
	imsis := []*view.Digits{digits(t, "310260123456789"), digits(t, "310261123456789"), digits(t, "999990000000000")}
	realms := [][]byte{[]byte("EPC.mnc260.mcc310.3gppnetwork.org"), []byte("unknown.example"), []byte(strings.Repeat("a", 300))}
	gts := []*view.Digits{digits(t, "447785123"), digits(t, "4478"), digits(t, "99")}

	tests := []struct {
		name string
		f    func()
	}{
		{"SenderOf", func() {
			for _, a := range addrs {
				sink = n.SenderOf(a)
			}
		}},
		{"IMSIOwner", func() {
			for _, d := range imsis {
				sink = n.IMSIOwner(d)
			}
		}},
		{"RealmOwner", func() {
			for _, r := range realms {
				sink = n.RealmOwner(r)
			}
		}},
		{"GTOwner", func() {
			for _, d := range gts {
				sink = n.GTOwner(d)
			}
		}},
		{"PLMNOwner", func() { sink = n.PLMNOwner(view.PLMN{MCC: 310, MNC: 260, MNCLen: 3}) }},
	}
	for _, tt := range tests {
		if allocs := testing.AllocsPerRun(200, tt.f); allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, allocs)
		}
	}
}

func BenchmarkSenderOf(b *testing.B) {
	n := parse(b, edges)
	a := netip.MustParseAddr("2001:db8:30:1::5")
	b.ReportAllocs()
	for b.Loop() {
		sink = n.SenderOf(a)
	}
}

func BenchmarkIMSIOwner(b *testing.B) {
	n := parse(b, edges)
	d := digits(b, "310260123456789")
	b.ReportAllocs()
	for b.Loop() {
		sink = n.IMSIOwner(d)
	}
}
