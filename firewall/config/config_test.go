package config

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"breakwater/internal/strictyaml"
	"breakwater/protocols/view"
)

func plmn(mcc, mnc uint16, n uint8) view.PLMN { return view.PLMN{MCC: mcc, MNC: mnc, MNCLen: n} }

func TestLoadValid(t *testing.T) {
	path := filepath.Join("testdata", "valid.yaml")
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Path != path {
		t.Errorf("Path = %q, want %q", c.Path, path)
	}

	wantHome := Network{
		PLMNs:      []PLMN{{plmn(310, 260, 3), Pos{2, 11}}},
		Realms:     []Realm{{"epc.mnc260.mcc310.3gppnetwork.org", Pos{3, 12}}},
		GTPrefixes: []GTPrefix{{"1206", Pos{4, 17}}},
		Addresses: []Prefix{
			{netip.MustParsePrefix("10.10.0.0/16"), Pos{5, 15}},
			{netip.MustParsePrefix("2001:db8:10::/48"), Pos{5, 31}},
		},
	}
	if !reflect.DeepEqual(c.Home, wantHome) {
		t.Errorf("Home =\n%+v\nwant\n%+v", c.Home, wantHome)
	}
	wantPartners := []Partner{{
		Name: Name{"uk-partner", Pos{7, 11}},
		Network: Network{
			PLMNs:      []PLMN{{plmn(234, 15, 2), Pos{8, 13}}},
			Realms:     []Realm{{"epc.mnc015.mcc234.3gppnetwork.org", Pos{9, 14}}},
			GTPrefixes: []GTPrefix{{"447785", Pos{10, 19}}},
			Addresses:  []Prefix{{netip.MustParsePrefix("192.0.2.0/24"), Pos{11, 17}}},
		},
	}}
	if !reflect.DeepEqual(c.Partners, wantPartners) {
		t.Errorf("Partners =\n%+v\nwant\n%+v", c.Partners, wantPartners)
	}
	if c.Partners[0].Name.String() != "uk-partner" || c.Home.PLMNs[0].String() != "310260" || c.Partners[0].PLMNs[0].String() != "23415" {
		t.Errorf("String forms: %v %v %v", c.Partners[0].Name, c.Home.PLMNs[0], c.Partners[0].PLMNs[0])
	}

	// Defaults for everything not written.
	wantVelocity := Velocity{
		MaxSpeedKmh:    DefaultMaxSpeedKmh,
		LocationTTL:    DefaultLocationTTL,
		MaxSubscribers: DefaultMaxSubscribers,
		AnswerTimeout:  DefaultAnswerTimeout,
	}
	if c.Velocity != wantVelocity {
		t.Errorf("Velocity = %+v, want defaults %+v", c.Velocity, wantVelocity)
	}
	if c.Limits.MaxMessageBytes != DefaultMaxMessageBytes {
		t.Errorf("MaxMessageBytes = %d, want %d", c.Limits.MaxMessageBytes, DefaultMaxMessageBytes)
	}
	if c.Privacy.PseudonymKeyFile != "" || c.PseudonymKeyPath() != "" {
		t.Errorf("pseudonym key = %q / %q, want none", c.Privacy.PseudonymKeyFile, c.PseudonymKeyPath())
	}
	if c.Rules != "rules.yaml" {
		t.Errorf("Rules = %q", c.Rules)
	}
	if got, want := c.RulesPath(), filepath.Join("testdata", "rules.yaml"); got != want {
		t.Errorf("RulesPath = %q, want %q", got, want)
	}
}

func TestLoadFull(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantVelocity := Velocity{MaxSpeedKmh: 900.5, LocationTTL: 24 * time.Hour, MaxSubscribers: 5000, AnswerTimeout: 2 * time.Second}
	if c.Velocity != wantVelocity {
		t.Errorf("Velocity = %+v, want %+v", c.Velocity, wantVelocity)
	}
	if c.Limits.MaxMessageBytes != 4096 {
		t.Errorf("MaxMessageBytes = %d", c.Limits.MaxMessageBytes)
	}
	if !c.Admin.Enabled() || c.Admin.Listen.Value != DefaultAdminListen {
		t.Errorf("admin listen %q: want the loopback default", c.Admin.Listen.Value)
	}
	if off, err := Parse("off.yaml", []byte(base+"admin:\n  listen: \"off\"\n")); err != nil || off.Admin.Enabled() {
		t.Errorf("admin.listen off: %v %+v", err, off)
	}
	if r := c.Partners[0].RateLimit; r.PacketsPerSecond != 2000 || r.Burst != 2000 {
		t.Errorf("uk rate limit %+v: want 2000/s, burst defaulting to one second's worth", r)
	}
	if r := c.Partners[1].RateLimit; r.PacketsPerSecond != 0 || r.Burst != 0 {
		t.Errorf("de rate limit %+v: want none", r)
	}
	if x := c.XDP; len(x.Interfaces) != 2 || x.Interfaces[1].Value != "ens2f0.100" || x.Mode.Value != XDPGeneric ||
		x.SampleDrops != 100 || !x.Enabled() {
		t.Errorf("xdp %+v", x)
	}
	if got := c.RulesPath(); got != "/etc/breakwater/rules.yaml" {
		t.Errorf("RulesPath = %q", got)
	}
	if got, want := c.PseudonymKeyPath(), filepath.Join("testdata", "keys", "pseudonym.key"); got != want {
		t.Errorf("PseudonymKeyPath = %q, want %q", got, want)
	}
	if got := c.Home.PLMNs; len(got) != 2 || got[0].PLMN != plmn(310, 260, 3) || got[1].PLMN != plmn(310, 26, 2) {
		t.Errorf("home PLMNs = %+v (310260 and 31026 are different PLMNs)", got)
	}
	if got := c.Home.Realms[0].Name; got != "epc.mnc260.mcc310.3gppnetwork.org" {
		t.Errorf("realm = %q, want lower case", got)
	}
	var addrs []string
	for _, a := range c.Home.Addresses {
		addrs = append(addrs, a.Prefix.String())
	}
	// Single addresses become host prefixes; IPv4-mapped prefixes are unmapped.
	wantAddrs := []string{"10.10.0.0/16", "2001:db8:10::/48", "198.51.100.7/32", "2001:db8:ffff::1/128", "203.0.113.0/24"}
	if !reflect.DeepEqual(addrs, wantAddrs) {
		t.Errorf("home addresses = %v, want %v", addrs, wantAddrs)
	}
	if len(c.Partners) != 2 || c.Partners[1].Name.Value != "de_partner.2" || c.Partners[1].PLMNs[0].PLMN != plmn(262, 2, 2) {
		t.Errorf("partners = %+v", c.Partners)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	c, err := Load(path)
	if c != nil || err == nil {
		t.Fatalf("Load(missing) = %v, %v", c, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "reading configuration") || !strings.Contains(msg, path) {
		t.Errorf("error %q should say what was being read and name the file", msg)
	}
}

func TestLoadDirectory(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "reading configuration") {
		t.Errorf("Load(dir) error = %v", err)
	}
}

func TestResolvePaths(t *testing.T) {
	tests := []struct {
		cfgPath, rules, key string
		wantRules, wantKey  string
	}{
		{"/etc/bw/bw.yaml", "rules.yaml", "k.key", "/etc/bw/rules.yaml", "/etc/bw/k.key"},
		{"/etc/bw/bw.yaml", "/srv/rules.yaml", "/srv/k.key", "/srv/rules.yaml", "/srv/k.key"},
		{"/etc/bw/bw.yaml", "../shared/rules.yaml", "", "/etc/shared/rules.yaml", ""},
		{"/etc/bw/bw.yaml", "", "", "", ""},
		{"bw.yaml", "rules.yaml", "k.key", "rules.yaml", "k.key"},
		{"conf/bw.yaml", "sub/rules.yaml", "./k.key", "conf/sub/rules.yaml", "conf/k.key"},
	}
	for _, tt := range tests {
		c := &Config{Path: tt.cfgPath, Rules: tt.rules, Privacy: Privacy{PseudonymKeyFile: tt.key}}
		if got := c.RulesPath(); got != tt.wantRules {
			t.Errorf("RulesPath(%q in %q) = %q, want %q", tt.rules, tt.cfgPath, got, tt.wantRules)
		}
		if got := c.PseudonymKeyPath(); got != tt.wantKey {
			t.Errorf("PseudonymKeyPath(%q in %q) = %q, want %q", tt.key, tt.cfgPath, got, tt.wantKey)
		}
	}

	// The same through Parse: the path given to Parse is the base.
	c, err := Parse("/opt/bw/conf.yaml", []byte("home:\n  plmns: [\"310260\"]\nrules: r/main.yaml\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RulesPath(); got != "/opt/bw/r/main.yaml" {
		t.Errorf("RulesPath = %q", got)
	}
}

const base = `home:
  plmns: ["310260"]
  realms: ["epc.mnc260.mcc310.3gppnetwork.org"]
  gt_prefixes: ["1206"]
  addresses: ["10.10.0.0/16", "2001:db8:10::/48"]
partners:
  - name: uk-partner
    plmns: ["23415"]
    realms: ["epc.mnc015.mcc234.3gppnetwork.org"]
    gt_prefixes: ["447785"]
    addresses: ["192.0.2.0/24"]
rules: rules.yaml
`

// edit returns base with line n (1-based) replaced by repl, which may hold
// several lines.
func edit(n int, repl string) string {
	lines := strings.Split(base, "\n")
	lines[n-1] = repl
	return strings.Join(lines, "\n")
}

// withSecondPartner appends a second partner to base as lines 12..16.
func withSecondPartner(name, plmns, addresses string) string {
	return edit(11, `    addresses: ["192.0.2.0/24"]
  - name: `+name+`
    plmns: `+plmns+`
    realms: ["epc.mnc002.mcc262.3gppnetwork.org"]
    gt_prefixes: ["49172"]
    addresses: `+addresses)
}

func TestBaseIsTestdata(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != base {
		t.Fatal("testdata/valid.yaml and base differ; the line numbers below assume they match")
	}
	if _, err := Parse("bw.yaml", []byte(withSecondPartner("de", `["26202"]`, `["198.51.100.0/24"]`))); err != nil {
		t.Fatalf("second partner variant should be valid: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want holds "LINE:COL: substring" for each error, in order.
		want []string
	}{
		// Addresses.
		{"overlap home and partner", edit(11, `    addresses: ["10.10.5.0/24"]`),
			[]string{`11:17: address 10.10.5.0/24 of partner "uk-partner" overlaps 10.10.0.0/16 of home (line 5): every source address must identify one sender`}},
		{"overlap home and partner single address", edit(11, `    addresses: ["192.0.2.0/24", "10.10.255.255"]`),
			[]string{`11:33: address 10.10.255.255/32 of partner "uk-partner" overlaps 10.10.0.0/16 of home (line 5)`}},
		{"overlap home and partner IPv6", edit(11, `    addresses: ["2001:db8:10:ff::/64"]`),
			[]string{`11:17: address 2001:db8:10:ff::/64 of partner "uk-partner" overlaps 2001:db8:10::/48 of home (line 5)`}},
		{"overlap between two partners IPv4", withSecondPartner("de", `["26202"]`, `["192.0.2.128/25"]`),
			[]string{`16:17: address 192.0.2.128/25 of partner "de" overlaps 192.0.2.0/24 of partner "uk-partner" (line 11)`}},
		{"overlap between two partners IPv6", edit(11, `    addresses: ["2001:db8:20::/48"]
  - name: de
    plmns: ["26202"]
    addresses: ["2001:db8::/32"]`),
			[]string{`14:17: address 2001:db8::/32 of partner "de" overlaps 2001:db8:10::/48 of home (line 5)`,
				`14:17: address 2001:db8::/32 of partner "de" overlaps 2001:db8:20::/48 of partner "uk-partner" (line 11)`}},
		{"overlap within one network", edit(5, `  addresses: ["10.10.0.0/16", "10.10.1.1"]`),
			[]string{`5:31: address 10.10.1.1/32 of home overlaps 10.10.0.0/16 of home (line 5)`}},
		{"duplicate address", edit(11, `    addresses: ["192.0.2.0/24", "192.0.2.0/24"]`),
			[]string{`11:33: address 192.0.2.0/24 of partner "uk-partner" overlaps 192.0.2.0/24 of partner "uk-partner" (line 11)`}},
		{"IPv4-mapped prefix overlaps IPv4 prefix", edit(11, `    addresses: ["::ffff:10.10.7.0/120"]`),
			[]string{`11:17: address 10.10.7.0/24 of partner "uk-partner" overlaps 10.10.0.0/16 of home (line 5)`}},
		{"IPv4-mapped address overlaps IPv4 prefix", edit(11, `    addresses: ["::ffff:10.10.7.1"]`),
			[]string{`11:17: address 10.10.7.1/32 of partner "uk-partner" overlaps 10.10.0.0/16 of home (line 5)`}},
		{"IPv4-mapped prefix with host bits", edit(11, `    addresses: ["::ffff:192.0.2.1/120"]`),
			[]string{`11:17: partners[0].addresses[0]: "::ffff:192.0.2.1/120" has host bits set; did you mean "::ffff:192.0.2.0/120"?`}},
		{"IPv4 host bits set", edit(11, `    addresses: ["192.0.2.1/24"]`),
			[]string{`11:17: partners[0].addresses[0]: "192.0.2.1/24" has host bits set; did you mean "192.0.2.0/24"?`}},
		{"IPv6 host bits set", edit(5, `  addresses: ["10.10.0.0/16", "2001:db8:10::1/48"]`),
			[]string{`5:31: home.addresses[1]: "2001:db8:10::1/48" has host bits set; did you mean "2001:db8:10::/48"?`}},
		{"bad prefix length", edit(11, `    addresses: ["192.0.2.0/33"]`),
			[]string{`11:17: partners[0].addresses[0]: "192.0.2.0/33" is not an IP prefix`}},
		{"not an address", edit(11, `    addresses: [gateway.example.net]`),
			[]string{`11:17: partners[0].addresses[0]: "gateway.example.net" is not an IP address or prefix`}},
		{"addresses not a list", edit(11, `    addresses: 192.0.2.0/24`),
			[]string{`11:16: partners[0].addresses: expected a list, found "192.0.2.0/24"`}},
		{"address is a mapping", edit(11, `    addresses: [{ip: 192.0.2.0/24}]`),
			[]string{`11:17: partners[0].addresses[0]: expected an IP prefix such as "192.0.2.0/24" or an address`}},

		// PLMNs.
		{"duplicate PLMN across partners", withSecondPartner("de", `["26202", "23415"]`, `["198.51.100.0/24"]`),
			[]string{`13:22: PLMN 23415 of partner "de" is already listed for partner "uk-partner" (line 8)`}},
		{"duplicate PLMN home and partner", edit(8, `    plmns: ["310260"]`),
			[]string{`8:13: PLMN 310260 of partner "uk-partner" is already listed for home (line 2)`}},
		{"PLMN too short", edit(8, `    plmns: ["3102"]`),
			[]string{`8:13: partners[0].plmns[0]: "3102": a PLMN is MCC+MNC: 5 or 6 digits, e.g. "310260" or "23415"`}},
		{"PLMN too long", edit(2, `  plmns: ["3102601"]`),
			[]string{`2:11: home.plmns[0]: "3102601": a PLMN is MCC+MNC: 5 or 6 digits`}},
		{"PLMN with a letter", edit(8, `    plmns: ["31026a"]`),
			[]string{`8:13: partners[0].plmns[0]: "31026a": a PLMN has only decimal digits`}},
		{"PLMN empty", edit(8, `    plmns: [~]`),
			[]string{`8:13: partners[0].plmns[0]: expected a PLMN (MCC+MNC digits), e.g. "310260"`}},
		{"PLMNs not a list", edit(8, `    plmns: 23415`),
			[]string{`8:12: partners[0].plmns: expected a list, found "23415"`}},

		// Realms.
		{"bad realm underscore", edit(9, `    realms: ["epc_mnc015.3gppnetwork.org"]`),
			[]string{`9:14: partners[0].realms[0]: "epc_mnc015.3gppnetwork.org" is not a realm: use DNS labels of letters, digits and '-' separated by dots`}},
		{"bad realm empty label", edit(9, `    realms: ["epc..org"]`),
			[]string{`9:14: partners[0].realms[0]: "epc..org" is not a realm`}},
		{"bad realm trailing dot", edit(9, `    realms: ["epc.org."]`),
			[]string{`9:14: partners[0].realms[0]: "epc.org." is not a realm`}},
		{"bad realm empty", edit(9, `    realms: [""]`),
			[]string{`9:14: partners[0].realms[0]: "" is not a realm`}},
		{"bad realm label too long", edit(9, `    realms: ["`+strings.Repeat("a", 64)+`.org"]`),
			[]string{`9:14: partners[0].realms[0]: "` + strings.Repeat("a", 64) + `.org" is not a realm`}},
		{"bad realm too long", edit(9, `    realms: ["`+strings.Repeat("abcdefg.", 32)+`org"]`),
			[]string{`9:14: partners[0].realms[0]:`, `at most 255 characters`}},
		{"duplicate realm ignoring case", edit(9, `    realms: ["EPC.MNC260.MCC310.3GPPNETWORK.ORG"]`),
			[]string{`9:14: realm epc.mnc260.mcc310.3gppnetwork.org of partner "uk-partner" is already listed for home (line 3)`}},

		// Global titles.
		{"GT prefix with plus", edit(10, `    gt_prefixes: ["+447785"]`),
			[]string{`10:19: partners[0].gt_prefixes[0]: "+447785" is not a global-title prefix: 1 to 15 decimal digits, no '+'`}},
		{"GT prefix unquoted with plus", edit(10, `    gt_prefixes: [+447785]`),
			[]string{`10:19: partners[0].gt_prefixes[0]: "+447785" is not a global-title prefix`}},
		{"GT prefix too long", edit(10, `    gt_prefixes: ["4477851234567890"]`),
			[]string{`10:19: partners[0].gt_prefixes[0]: "4477851234567890" is not a global-title prefix`}},
		{"GT prefix empty", edit(10, `    gt_prefixes: [""]`),
			[]string{`10:19: partners[0].gt_prefixes[0]: "" is not a global-title prefix`}},
		{"duplicate GT prefix", edit(10, `    gt_prefixes: ["447785", "1206"]`),
			[]string{`10:29: global-title prefix 1206 of partner "uk-partner" is already listed for home (line 4)`}},

		// Partners.
		{"bad partner name", edit(7, `  - name: uk partner`),
			[]string{`7:11: partners[0].name: partner name "uk partner" may only use letters, digits, '-', '_' and '.'`}},
		{"empty partner name", edit(7, `  - name: ""`),
			[]string{`7:11: partners[0].name: partner name must be 1 to 64 characters`}},
		{"long partner name", edit(7, `  - name: `+strings.Repeat("p", 65)),
			[]string{`7:11: partners[0].name: partner name must be 1 to 64 characters`}},
		{"partner named home", edit(7, `  - name: home`),
			[]string{`7:11: partners[0].name: partner name "home" is reserved for the home network`}},
		{"partner without name", edit(7, `  - plmns: ["23409"]`),
			[]string{`7:5: partners[0]: missing required key "name"`, `8:5: partners[0]: key "plmns" repeated (first at line 7)`}},
		{"duplicate partner names", withSecondPartner("uk-partner", `["26202"]`, `["198.51.100.0/24"]`),
			[]string{`12:11: partner name "uk-partner" is already used at line 7`}},
		{"partner without addresses", edit(11, ``),
			[]string{`7:11: partner "uk-partner" has no addresses: a sender is identified by its source address first`}},
		{"partner with empty address list", edit(11, `    addresses: []`),
			[]string{`7:11: partner "uk-partner" has no addresses`}},
		{"partner without plmns", edit(8, ``),
			[]string{`7:11: partner "uk-partner" has no plmns: list its MCC+MNC`}},
		{"partners not a list", "home:\n  plmns: [\"310260\"]\npartners:\n  uk: {}\n",
			[]string{`4:3: partners: expected a list, found a mapping`}},

		// Home.
		{"home without plmns", edit(2, ``),
			[]string{`1:1: home.plmns: list at least one home PLMN (MCC+MNC)`}},
		{"missing home", "rules: rules.yaml\n",
			[]string{`1:1: top level: missing required key "home"`}},
		{"empty file", "",
			[]string{`1:1: top level: missing required key "home"`}},

		// Keys.
		{"unknown key parnters", edit(6, `parnters:`),
			[]string{`6:1: top level: unknown key "parnters"; did you mean "partners"? (known keys: home, partners, rules, velocity, gtp_state, privacy, limits, diameter, gtp, m3ua, admin, xdp, quarantine, audit, state, shutdown_timeout)`}},
		{"unknown key in partner", edit(10, `    gt_prefix: ["447785"]`),
			[]string{`10:5: partners[0]: unknown key "gt_prefix"; did you mean "gt_prefixes"? (known keys: name, plmns, realms, gt_prefixes, addresses, inter_plmn_mobility, rate_limit)`}},
		{"duplicate key", base + "rules: other.yaml\n",
			[]string{`13:1: top level: key "rules" repeated (first at line 12); keep one`}},
		{"Path is not a key", base + "Path: x\n",
			[]string{`13:1: top level: unknown key "Path"`}},

		// Velocity, privacy and limits.
		{"max_speed_kmh below min", base + "velocity:\n  max_speed_kmh: 0.5\n",
			[]string{`14:18: velocity.max_speed_kmh: 0.5 is below the minimum 1`}},
		{"max_speed_kmh above max", base + "velocity:\n  max_speed_kmh: 100001\n",
			[]string{`14:18: velocity.max_speed_kmh: 100001 is above the maximum 100000`}},
		{"max_speed_kmh not a number", base + "velocity:\n  max_speed_kmh: fast\n",
			[]string{`14:18: velocity.max_speed_kmh: expected a number, found "fast"`}},
		{"location_ttl below min", base + "velocity:\n  location_ttl: 10s\n",
			[]string{`14:17: velocity.location_ttl: 10s is below the minimum 1m0s`}},
		{"location_ttl without unit", base + "velocity:\n  location_ttl: 3600\n",
			[]string{`14:17: velocity.location_ttl: "3600" is not a duration`}},
		{"answer_timeout above max", base + "velocity:\n  answer_timeout: 11m\n",
			[]string{`14:19: velocity.answer_timeout: 11m0s is above the maximum 10m0s`}},
		{"max_subscribers zero", base + "velocity:\n  max_subscribers: 0\n",
			[]string{`14:20: velocity.max_subscribers: 0 is below the minimum 1`}},
		{"max_message_bytes too big", base + "limits:\n  max_message_bytes: 16777216\n",
			[]string{`14:22: limits.max_message_bytes: 16777216 is above the maximum 16777215`}},
		{"max_message_bytes too small", base + "limits:\n  max_message_bytes: 63\n",
			[]string{`14:22: limits.max_message_bytes: 63 is below the minimum 64`}},
		{"velocity not a mapping", base + "velocity: 1000\n",
			[]string{`13:11: velocity: expected a mapping of keys, found "1000"`}},
		{"admin API open to the network without a token", base + "admin:\n  listen: 0.0.0.0:9090\n",
			[]string{`14:11: admin.listen 0.0.0.0:9090 is not a loopback address: set admin.token_file`}},
		{"admin listen not host:port", base + "admin:\n  listen: 9090\n",
			[]string{`14:11: admin.listen: "9090": address 9090: missing port in address`}},
		{"bad state backend", base + "state:\n  backend: etcd\n",
			[]string{`14:12: state.backend: "etcd": use memory (this node alone) or redis (state shared between nodes)`}},
		{"redis without addresses", base + "state:\n  backend: redis\n",
			[]string{`14:12: state.backend is redis but state.redis.addrs is empty`}},
		{"redis client certificate without key", base + "state:\n  backend: redis\n  redis:\n    addrs: [\"127.0.0.1:6379\"]\n    tls:\n      ca_file: ca.pem\n      cert_file: c.pem\n",
			[]string{`14:12: state.redis.tls: give ca_file to use TLS, and cert_file with key_file (both or neither)`}},
		{"redis address without port", base + "state:\n  backend: redis\n  redis:\n    addrs: [redis.local]\n",
			[]string{`16:13: state.redis.addrs[0]: "redis.local": address redis.local: missing port in address`}},
		{"bad xdp mode", base + "xdp:\n  interfaces: [eth1]\n  mode: driver\n",
			[]string{`15:9: xdp.mode: "driver": use native, generic or off`}},
		{"bad interface name", base + "xdp:\n  interfaces: [eth1, \"a/b\"]\n",
			[]string{`14:22: xdp.interfaces[1]: "a/b" is not an interface name`}},
		{"interface listed twice", base + "xdp:\n  interfaces: [eth1, eth1]\n",
			[]string{`14:22: xdp.interfaces: eth1 is already listed at line 14`}},
		{"unknown privacy key", base + "privacy:\n  pseudonym_keyfile: k\n",
			[]string{`14:3: privacy: unknown key "pseudonym_keyfile"; did you mean "pseudonym_key_file"? (known keys: pseudonym_key_file)`}},

		// Several problems at once come back in file order.
		{"several errors in file order", withSecondPartner("uk-partner", `["23415"]`, `["192.0.2.0/25"]`),
			[]string{
				`12:11: partner name "uk-partner" is already used at line 7`,
				`13:13: PLMN 23415 of partner "uk-partner" is already listed for partner "uk-partner" (line 8)`,
				`16:17: address 192.0.2.0/25 of partner "uk-partner" overlaps 192.0.2.0/24`,
			}},
		{"validation errors in file order, not discovery order", strings.Replace(edit(8, `    plmns: ["310260"]`), `["192.0.2.0/24"]`, `["10.10.5.0/24"]`, 1),
			[]string{
				`8:13: PLMN 310260 of partner "uk-partner" is already listed for home (line 2)`,
				`11:17: address 10.10.5.0/24 of partner "uk-partner" overlaps 10.10.0.0/16 of home (line 5)`,
			}},
		{"home errors and partner errors in file order", strings.Replace(edit(2, ``), `["192.0.2.0/24"]`, `["10.10.5.0/24"]`, 1),
			[]string{
				`1:1: home.plmns: list at least one home PLMN`,
				`11:17: address 10.10.5.0/24 of partner "uk-partner" overlaps 10.10.0.0/16 of home (line 5)`,
			}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("conf/bw.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want errors %q", c, tt.want)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			var es strictyaml.Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T %v is not strictyaml.Errors", err, err)
			}
			lines := strings.Split(err.Error(), "\n")
			// A single expected error may be split into position+message and
			// a further substring; see "bad realm too long".
			want := tt.want
			if len(want) == 2 && !startsWithPos(want[1]) {
				want = []string{want[0]}
				if !strings.Contains(err.Error(), tt.want[1]) {
					t.Errorf("error %q does not contain %q", err, tt.want[1])
				}
			}
			if len(lines) != len(want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(want), err)
			}
			for i, w := range want {
				pos, msg, _ := strings.Cut(w, " ")
				prefix := "conf/bw.yaml:" + pos + " "
				if !strings.HasPrefix(lines[i], prefix) || !strings.Contains(lines[i], msg) {
					t.Errorf("error %d = %q\nwant prefix %q and %q", i, lines[i], prefix, msg)
				}
			}
		})
	}
}

func startsWithPos(s string) bool {
	pos, _, _ := strings.Cut(s, " ")
	return strings.Count(pos, ":") == 2 && pos[0] >= '0' && pos[0] <= '9'
}

func TestUnquotedPLMNs(t *testing.T) {
	// YAML would read 012345 as a number; strictyaml hands over the text as
	// written, so unquoted PLMNs keep their leading zeros and digit count.
	tests := []struct {
		in   string
		want view.PLMN
	}{
		{"310260", plmn(310, 260, 3)},
		{"012345", plmn(12, 345, 3)},
		{"00101", plmn(1, 1, 2)},
		{"23415", plmn(234, 15, 2)},
		{`"001010"`, plmn(1, 10, 3)},
	}
	for _, tt := range tests {
		c, err := Parse("bw.yaml", []byte("home:\n  plmns: ["+tt.in+"]\n"))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got := c.Home.PLMNs[0].PLMN; got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.in, got, tt.want)
		}
	}
	// Forms that are not digits as written are rejected, not reinterpreted.
	for _, in := range []string{"0x1F", "31_026", "3.1026e5", "-31026"} {
		_, err := Parse("bw.yaml", []byte("home:\n  plmns: ["+in+"]\n"))
		if err == nil || !strings.HasPrefix(err.Error(), "bw.yaml:2:11: home.plmns[0]: ") {
			t.Errorf("%s: error = %v, want one at bw.yaml:2:11", in, err)
		}
	}
}

func TestSingleNetworkMayUseWholeSpace(t *testing.T) {
	c, err := Parse("bw.yaml", []byte("home:\n  plmns: [\"310260\"]\n  addresses: [0.0.0.0/0, \"::/0\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Home.Addresses; len(got) != 2 || got[0].Bits() != 0 || !got[0].Addr().Is4() || got[1].Bits() != 0 || !got[1].Addr().Is6() {
		t.Errorf("addresses = %v", got)
	}
	// A mapped ::ffff:0:0/96 is all of IPv4, and so overlaps 0.0.0.0/0.
	_, err = Parse("bw.yaml", []byte("home:\n  plmns: [\"310260\"]\n  addresses: [0.0.0.0/0, \"::ffff:0:0/96\"]\n"))
	if err == nil || !strings.Contains(err.Error(), "bw.yaml:3:26: address 0.0.0.0/0 of home overlaps 0.0.0.0/0 of home") {
		t.Errorf("error = %v", err)
	}
}

func TestM3UARelays(t *testing.T) {
	c, err := Parse("bw.yaml", []byte(base+`m3ua:
  - name: uk-stp
    listen: sctp://192.0.2.10/192.0.2.11:2905
    upstream: sctp://10.10.1.1:2905
  - name: de-stp
    listen: tcp://127.0.0.1:2905
    upstream: tcp://10.10.1.2:2905
    upstream_source: tcp://10.10.0.5:0
    streams: 32
    connect_timeout: 2s
    write_timeout: 3s
    reject_with: udts
    reject_error_code: 34
    udts_cause: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.M3UA) != 2 {
		t.Fatalf("%d relays", len(c.M3UA))
	}
	d := c.M3UA[0]
	if d.Name.Value != "uk-stp" || len(d.Listen.IPs) != 2 || d.Listen.Port != 2905 || d.UpstreamSource.Set ||
		d.Streams != DefaultStreams || d.ConnectTimeout != DefaultConnectTimeout || d.WriteTimeout != DefaultWriteTimeout ||
		d.RejectWith.Value != RejectTCAPAbort || d.RejectErrorCode != DefaultRejectErrorCode || d.UDTSCause != 0 {
		t.Errorf("defaults: %+v", d)
	}
	e := c.M3UA[1]
	if !e.UpstreamSource.Set || e.Streams != 32 || e.ConnectTimeout != 2*time.Second || e.WriteTimeout != 3*time.Second ||
		e.RejectWith.Value != RejectUDTS || e.RejectWith.Line != 24 || e.RejectErrorCode != 34 || e.UDTSCause != 1 {
		t.Errorf("explicit values: %+v", e)
	}
	for _, mode := range []string{"tcap-abort", "return-error", "udts", "drop"} {
		if _, err := Parse("bw.yaml", []byte(base+"m3ua:\n  - name: x\n    listen: tcp://127.0.0.1:2905\n    upstream: tcp://10.10.1.1:2905\n    reject_with: "+mode+"\n")); err != nil {
			t.Errorf("reject_with %s: %v", mode, err)
		}
	}

	relay := func(extra string) string {
		return base + "m3ua:\n  - name: uk-stp\n    listen: sctp://0.0.0.0:2905\n    upstream: sctp://10.10.1.1:2905\n" + extra
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown key", relay("    reject_width: udts\n"),
			`17:5: m3ua[0]: unknown key "reject_width"; did you mean "reject_with"? (known keys: name, listen, upstream, upstream_source, streams, connect_timeout, write_timeout, reject_with, reject_error_code, udts_cause)`},
		{"bad reject_with", relay("    reject_with: tcap-reject\n"),
			`17:18: m3ua[0].reject_with: "tcap-reject": use tcap-abort, return-error, udts or drop`},
		{"error code 0", relay("    reject_error_code: 0\n"), `17:24: m3ua[0].reject_error_code: 0 is below the minimum 1`},
		{"error code 256", relay("    reject_error_code: 256\n"), `17:24: m3ua[0].reject_error_code:`},
		{"spare return cause", relay("    udts_cause: 15\n"), `17:17: m3ua[0].udts_cause: 15 is above the maximum 14`},
		{"no upstream", base + "m3ua:\n  - name: uk-stp\n    listen: sctp://0.0.0.0:2905\n", `14:5: m3ua[0]: missing required key "upstream"`},
		{"udp", relay("    upstream_source: udp://10.10.0.5:0\n"), `17:22: relay "uk-stp": M3UA runs over sctp:// (or tcp:// in a lab), not udp://`},
		{"source kind", relay("    upstream_source: tcp://10.10.0.5:0\n"), `17:22: upstream_source is tcp but upstream is sctp`},
		{"streams", relay("    streams: 0\n"), `17:14: m3ua[0].streams: 0 is below the minimum 1`},
		{"duplicate name", relay("diameter:\n  - name: uk-stp\n    listen: sctp://0.0.0.0:3868\n    upstream: sctp://10.10.1.1:3868\n"),
			`14:11: relay name "uk-stp" is already used at line 18`},
		{"duplicate listen", relay("  - name: other\n    listen: sctp://0.0.0.0:2905\n    upstream: sctp://10.10.1.2:2905\n"),
			`18:13: listen address sctp://0.0.0.0:2905 is already used at line 15`},
	} {
		_, err := Parse("bw.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), "bw.yaml:"+c.want) {
			t.Errorf("%s: error %v\nwant bw.yaml:%s", c.name, err, c.want)
		}
	}
}
