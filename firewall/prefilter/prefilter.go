// Package prefilter joins the XDP pre-filter (package bpf) to the
// configuration and the rules: it compiles the policy into the kernel's
// tables — the home network's and partners' prefixes, the relays' ports,
// the partners' rate limits and the GTP-C message types the category 1
// rules refuse whatever the message says — attaches the program to the
// configured interfaces, and recompiles the tables when the policy
// changes. The bpf package knows nothing of rules; the engine nothing of
// XDP.
package prefilter

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"breakwater/bpf"
	"breakwater/firewall/baseline"
	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/firewall/network"
	"breakwater/firewall/rules"
	"breakwater/firewall/transport"
	"breakwater/protocols/view"
)

// PartnerID is the id the kernel tables know a network by: 1 for the home
// network, 2 + its index for a partner (0 is reserved: no owner).
func PartnerID(m *network.Member) uint32 {
	if m.Home {
		return 1
	}
	return uint32(m.Index) + 2
}

// Ports are the signaling ports of the configured relays' listeners: what
// partners send to. Traffic to other ports is not the pre-filter's
// business (it passes).
func Ports(cfg *config.Config) []bpf.Port {
	var out []bpf.Port
	add := func(a transport.Address, c bpf.Class) {
		p := bpf.Port{Number: a.Port, Class: c}
		switch a.Kind {
		case transport.TCP:
			p.Proto = bpf.ProtoTCP
		case transport.SCTP:
			p.Proto = bpf.ProtoSCTP
		case transport.UDP:
			p.Proto = bpf.ProtoUDP
		}
		for _, q := range out {
			if q == p {
				return
			}
		}
		out = append(out, p)
	}
	for _, d := range cfg.Diameter {
		add(d.Listen.Address, bpf.ClassDiameter)
	}
	for _, m := range cfg.M3UA {
		add(m.Listen.Address, bpf.ClassM3UA)
	}
	for _, g := range cfg.GTP {
		add(g.Listen.Address, bpf.ClassGTPC)
	}
	return out
}

// Spec compiles p into the pre-filter's tables, with the given ports and
// quarantined partners (by name; names p does not know are ignored).
// notes say what the kernel will not do and why (for the log).
func Spec(p *engine.Policy, ports []bpf.Port, quarantined []string, sampleEvery uint32) (spec *bpf.Spec, notes []string) {
	spec = &bpf.Spec{Ports: ports, SampleEvery: sampleEvery}
	for _, name := range quarantined {
		if m := p.Net.ByName(name); m != nil && !m.Home {
			spec.Quarantined = append(spec.Quarantined, PartnerID(m))
		}
	}
	members := append([]*network.Member{p.Net.Home}, p.Net.Partners...)
	for _, m := range members {
		for _, pfx := range m.Addresses {
			spec.Sources = append(spec.Sources, bpf.Source{
				Prefix: pfx, Partner: PartnerID(m), Home: m.Home, InterPLMNMobility: m.InterPLMNMobility,
				RatePPS: m.RatePPS, Burst: m.RateBurst,
			})
		}
	}
	if r := allowsGTP(p.Rules); r != nil {
		notes = append(notes, fmt.Sprintf("GTP-C message types are left to user space: rule %s (%s) may allow what the category 1 type rules refuse", r.ID, r.Origin))
		return spec, notes
	}
	for t := range 256 {
		spec.GTPv1Types[t] = typeVerdict(p.Rules, baseline.GTPTypeRule(1, uint8(t)))
		spec.GTPv2Types[t] = typeVerdict(p.Rules, baseline.GTPTypeRule(2, uint8(t)))
	}
	return spec, notes
}

// typeVerdict is the kernel's verdict for a type the rule id refuses —
// when the rule set in force still refuses it (a rule file may disable or
// soften a baseline rule).
func typeVerdict(set *rules.Set, id string) bpf.TypeVerdict {
	if id == "" {
		return bpf.TypePass
	}
	r := set.Find(id)
	if r == nil || (r.Action != rules.Drop && r.Action != rules.Reject) {
		return bpf.TypePass
	}
	if id == "GTP-C1-V1-RELOCATION" || id == "GTP-C1-V2-RELOCATION" {
		return bpf.TypeDropUnlessMobility
	}
	return bpf.TypeDrop
}

// allowsGTP returns a rule from the rule file that could allow a GTP-C
// message before the baseline judges it, or nil. Such a rule may let
// through a type the kernel would drop, so the kernel then leaves types
// alone.
func allowsGTP(set *rules.Set) *rules.Rule {
	for _, r := range set.Rules {
		if r.Origin != "baseline" && r.Action == rules.Allow && (r.AppliesTo(view.GTPv1C) || r.AppliesTo(view.GTPv2C)) {
			return r
		}
	}
	return nil
}

// Prefilter is the pre-filter attached to the configured interfaces.
type Prefilter struct {
	f           *bpf.Filter
	log         *slog.Logger
	ports       []bpf.Port
	sampleEvery uint32
	mu          sync.Mutex
	quarantined []string // partner names
	attached    []Attachment
	policy      atomic.Pointer[engine.Policy] // names partners in the drop log
	cancel      context.CancelFunc
	done        chan struct{}
}

// Attachment is one interface the program runs on, and in which mode.
type Attachment struct{ Interface, Mode string }

// Start loads the pre-filter with p's tables and attaches it to the
// interfaces cfg.XDP lists. When this process or kernel cannot run XDP it
// returns nil and why (the caller says so in one line and keeps the
// checks in user space); an interface that cannot be attached is a
// configuration error, returned as err with its file:line.
func Start(cfg *config.Config, p *engine.Policy, quarantined []string, log *slog.Logger) (pf *Prefilter, unavailable, err error) {
	spec, notes := Spec(p, Ports(cfg), quarantined, cfg.XDP.SampleDrops)
	f, err := bpf.Load(spec)
	if err != nil {
		return nil, err, nil
	}
	mode, err := bpf.ParseMode(cfg.XDP.Mode.Value)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s:%d: xdp.mode: %w", cfg.Path, cfg.XDP.Mode.Line, err)
	}
	pf = &Prefilter{f: f, log: log, ports: spec.Ports, sampleEvery: spec.SampleEvery, done: make(chan struct{})}
	pf.policy.Store(p)
	pf.quarantined = append([]string(nil), quarantined...)
	for _, i := range cfg.XDP.Interfaces {
		used, err := f.Attach(i.Value, mode)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s:%d: xdp.interfaces: %w", cfg.Path, i.Line, err)
		}
		if used != mode {
			log.Warn("XDP native mode unavailable on this interface; running in generic mode", "interface", i.Value)
		}
		pf.attached = append(pf.attached, Attachment{Interface: i.Value, Mode: used.String()})
	}
	for _, n := range notes {
		log.Info("XDP pre-filter: " + n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pf.cancel = cancel
	go func() {
		defer close(pf.done)
		if spec.SampleEvery == 0 {
			<-ctx.Done()
			return
		}
		// Sampled drops: what the kernel shed, for the operator's log.
		f.Events(ctx, func(e bpf.Event) {
			log.Info("xdp dropped", "reason", e.Reason.String(), "src", e.Source.String(), "partner", pf.partnerName(e.Partner),
				"port", e.DestPort, "proto", e.Proto.String(), "gtp_version", e.GTPVersion, "gtp_type", e.GTPType)
		})
	}()
	return pf, nil, nil
}

func (pf *Prefilter) partnerName(id uint32) string {
	p := pf.policy.Load()
	switch {
	case id == 0:
		return ""
	case id == 1:
		return "home"
	case int(id-2) < len(p.Net.Partners):
		return p.Net.Partners[id-2].Name
	}
	return fmt.Sprint(id)
}

// Attached lists where the program runs.
func (pf *Prefilter) Attached() []Attachment { return pf.attached }

// Counters are the kernel's packet counters by reason.
func (pf *Prefilter) Counters() (map[string]uint64, error) { return pf.f.Counters() }

// Update recompiles the tables for policy p and swaps them in atomically:
// no detach, no packet judged by half a table.
func (pf *Prefilter) Update(p *engine.Policy) error {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	spec, notes := Spec(p, pf.ports, pf.quarantined, pf.sampleEvery)
	for _, n := range notes {
		pf.log.Info("XDP pre-filter: " + n)
	}
	if err := pf.f.Update(spec); err != nil {
		return err
	}
	pf.policy.Store(p)
	return nil
}

// SetQuarantined makes the kernel drop every packet of exactly these
// partners (by name), from now on and across Updates.
func (pf *Prefilter) SetQuarantined(names []string) error {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	pf.quarantined = append([]string(nil), names...)
	spec, _ := Spec(pf.policy.Load(), pf.ports, pf.quarantined, pf.sampleEvery)
	return pf.f.Update(spec)
}

// Close detaches the program everywhere and frees its maps.
func (pf *Prefilter) Close() error {
	pf.cancel()
	err := pf.f.Close()
	<-pf.done
	return err
}
