package prefilter

import (
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"breakwater/bpf"
	"breakwater/firewall/config"
	"breakwater/firewall/engine"
)

const testConfig = `
home:
  plmns: ["310260"]
  realms: ["epc.mnc260.mcc310.3gppnetwork.org"]
  addresses: ["10.10.0.0/16", "2001:db8:a::/48"]
partners:
  - name: uk
    plmns: ["23415"]
    addresses: ["192.0.2.0/24"]
    rate_limit: {packets_per_second: 500, burst: 50}
  - name: de
    plmns: ["26201"]
    addresses: ["198.51.100.0/24"]
    inter_plmn_mobility: true
diameter:
  - {name: dea, listen: "tcp://127.0.0.1:3868", upstream: "tcp://10.10.1.1:3868"}
  - {name: dea-sctp, listen: "sctp://127.0.0.1:3868", upstream: "sctp://10.10.1.1:3868"}
m3ua:
  - {name: stp, listen: "sctp://127.0.0.1:2905", upstream: "sctp://10.10.1.2:2905"}
gtp:
  - {name: s8, listen: "udp://127.0.0.1:2123", upstream: "udp://10.10.1.3:2123"}
`

func policy(t *testing.T, cfgText, rulesText string) (*config.Config, *engine.Policy) {
	t.Helper()
	dir := t.TempDir()
	if rulesText != "" {
		os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rulesText), 0o644)
		cfgText += "rules: rules.yaml\n"
	}
	path := filepath.Join(dir, "bw.yaml")
	os.WriteFile(path, []byte(cfgText), 0o644)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.NewPolicy(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, p
}

// The tables say what the configuration and the rules say: every home and
// partner prefix with its owner, flags and rate; the relays' ports; the
// GTP-C types the category 1 rules refuse.
func TestSpecFromPolicy(t *testing.T) {
	cfg, p := policy(t, testConfig, "")
	spec, notes := Spec(p, Ports(cfg), []string{"de", "nosuch"}, 10)
	if len(notes) != 0 {
		t.Errorf("notes %v", notes)
	}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	want := map[string]bpf.Source{
		"10.10.0.0/16":    {Partner: 1, Home: true},
		"2001:db8:a::/48": {Partner: 1, Home: true},
		"192.0.2.0/24":    {Partner: 2, RatePPS: 500, Burst: 50},
		"198.51.100.0/24": {Partner: 3, InterPLMNMobility: true},
	}
	if len(spec.Sources) != len(want) {
		t.Fatalf("%d sources: %+v", len(spec.Sources), spec.Sources)
	}
	for _, s := range spec.Sources {
		w, ok := want[s.Prefix.String()]
		w.Prefix = netip.MustParsePrefix(s.Prefix.String())
		if !ok || s != w {
			t.Errorf("source %+v, want %+v", s, w)
		}
	}
	ports := map[bpf.Port]bool{}
	for _, p := range spec.Ports {
		ports[p] = true
	}
	for _, p := range []bpf.Port{
		{Number: 3868, Proto: bpf.ProtoTCP, Class: bpf.ClassDiameter}, {Number: 3868, Proto: bpf.ProtoSCTP, Class: bpf.ClassDiameter},
		{Number: 2905, Proto: bpf.ProtoSCTP, Class: bpf.ClassM3UA}, {Number: 2123, Proto: bpf.ProtoUDP, Class: bpf.ClassGTPC},
	} {
		if !ports[p] {
			t.Errorf("port %+v missing from %+v", p, spec.Ports)
		}
	}
	if len(spec.Ports) != 4 || spec.SampleEvery != 10 || len(spec.Quarantined) != 1 || spec.Quarantined[0] != 3 {
		t.Errorf("ports %d sample %d quarantined %v", len(spec.Ports), spec.SampleEvery, spec.Quarantined)
	}
	for _, c := range []struct {
		v2   bool
		typ  int
		want bpf.TypeVerdict
	}{
		{true, 32, bpf.TypePass},                // Create Session Request
		{true, 36, bpf.TypePass},                // Delete Session Request
		{true, 1, bpf.TypePass},                 // Echo Request
		{true, 130, bpf.TypeDrop},               // Context Request
		{true, 176, bpf.TypeDrop},               // Downlink Data Notification
		{true, 133, bpf.TypeDropUnlessMobility}, // Forward Relocation Request
		{true, 250, bpf.TypeDrop},               // unlisted
		{false, 16, bpf.TypePass},               // Create PDP Context Request
		{false, 50, bpf.TypeDrop},               // SGSN Context Request
		{false, 53, bpf.TypeDropUnlessMobility}, // Forward Relocation Request
	} {
		got := spec.GTPv1Types[c.typ]
		if c.v2 {
			got = spec.GTPv2Types[c.typ]
		}
		if got != c.want {
			t.Errorf("GTPv2 %v type %d: %v, want %v", c.v2, c.typ, got, c.want)
		}
	}
}

// A rule file that disables or softens a type rule, or may allow GTP-C
// before the baseline judges it, keeps those types out of the kernel.
func TestSpecFollowsTheRuleFile(t *testing.T) {
	_, p := policy(t, testConfig, "disable: [GTP-C1-V2-INTERNAL]\noverride:\n  - id: GTP-C1-V1-INTERNAL\n    action: log\n")
	spec, _ := Spec(p, nil, nil, 0)
	if spec.GTPv2Types[130] != bpf.TypePass || spec.GTPv1Types[50] != bpf.TypePass {
		t.Errorf("disabled/softened rules still drop in XDP: v2 130 %v, v1 50 %v", spec.GTPv2Types[130], spec.GTPv1Types[50])
	}
	if spec.GTPv2Types[250] != bpf.TypeDrop {
		t.Errorf("GTP-C1-V2-UNLISTED (untouched) no longer drops")
	}
	_, p = policy(t, testConfig, "rules:\n  - id: LAB-ALLOW\n    protocols: [gtpv2c]\n    match: 'imsi startsWith \"31026\"'\n    action: allow\n")
	spec, notes := Spec(p, nil, nil, 0)
	for typ := range 256 {
		if spec.GTPv1Types[typ] != bpf.TypePass || spec.GTPv2Types[typ] != bpf.TypePass {
			t.Fatalf("type %d dropped in XDP although LAB-ALLOW may allow it", typ)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "LAB-ALLOW") {
		t.Errorf("notes %v", notes)
	}
}

// Start attaches to the configured interfaces (a veth pair made for the
// test), Update swaps the tables, Close detaches. Root and BPF only; the
// packet-level verdicts are the bpf package's tests.
func TestStartUpdateClose(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("attaching XDP needs root")
	}
	if err := bpf.Supported(); err != nil {
		t.Skipf("no XDP here: %v", err)
	}
	a, b := "bwpft0", "bwpft1"
	exec.Command("ip", "link", "del", a).Run()
	if out, err := exec.Command("ip", "link", "add", a, "type", "veth", "peer", "name", b).CombinedOutput(); err != nil {
		t.Skipf("cannot create a veth pair: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", a).Run() })
	exec.Command("ip", "link", "set", a, "up").Run()
	exec.Command("ip", "link", "set", b, "up").Run()

	cfg, p := policy(t, testConfig+"xdp:\n  interfaces: ["+a+"]\n  mode: generic\n  sample_drops: 1\n", "")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pf, unavailable, err := Start(cfg, p, nil, log)
	if err != nil || unavailable != nil {
		t.Fatalf("Start: %v / %v", err, unavailable)
	}
	if at := pf.Attached(); len(at) != 1 || at[0].Interface != a || at[0].Mode != "generic" {
		t.Fatalf("attached %+v", at)
	}
	out, _ := exec.Command("ip", "link", "show", a).CombinedOutput()
	if !strings.Contains(string(out), "xdp") {
		t.Fatalf("ip link shows no XDP program on %s:\n%s", a, out)
	}
	counts, err := pf.Counters()
	if err != nil || len(counts) == 0 {
		t.Fatalf("counters %v %v", counts, err)
	}
	_, p2 := policy(t, testConfig, "disable: [GTP-C1-V2-INTERNAL]\n")
	if err := pf.Update(p2); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := pf.SetQuarantined([]string{"uk"}); err != nil {
		t.Fatalf("SetQuarantined: %v", err)
	}
	if err := pf.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	out, _ = exec.Command("ip", "link", "show", a).CombinedOutput()
	if strings.Contains(string(out), "xdp") {
		t.Fatalf("XDP still attached after Close:\n%s", out)
	}

	// An interface that does not exist is a configuration error naming
	// its line.
	cfg, p = policy(t, testConfig+"xdp:\n  interfaces: [bwpf-nosuch]\n", "")
	if _, _, err := Start(cfg, p, nil, log); err == nil || !strings.Contains(err.Error(), "bw.yaml:") {
		t.Fatalf("missing interface: %v", err)
	}
}
