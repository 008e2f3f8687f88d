package config

import (
	"fmt"

	"breakwater/firewall/transport"
	"sort"

	"breakwater/internal/strictyaml"
)

// owner names a network in messages: "home" or `partner "uk"`.
func ownerName(partner int, c *Config) string {
	if partner < 0 {
		return "home"
	}
	return fmt.Sprintf("partner %q", c.Partners[partner].Name.Value)
}

// validate checks what one value alone cannot: that every sender, PLMN,
// realm and global-title prefix belongs to exactly one network.
func (c *Config) validate() strictyaml.Errors {
	var errs strictyaml.Errors
	fail := func(p Pos, format string, args ...any) {
		errs = append(errs, &strictyaml.Error{File: c.Path, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
	}
	if len(c.Home.PLMNs) == 0 {
		fail(Pos{1, 1}, "home.plmns: list at least one home PLMN (MCC+MNC); IMSIs starting with it are home subscribers")
	}

	type owned[T any] struct {
		val   T
		owner int // -1 home, else partner index
		pos   Pos
	}
	var prefixes []owned[Prefix]
	plmns := map[string]owned[PLMN]{}
	realms := map[string]owned[Realm]{}
	gts := map[string]owned[GTPrefix]{}
	names := map[string]Pos{}

	add := func(owner int, n *Network) {
		for _, p := range n.Addresses {
			for _, q := range prefixes {
				if q.val.Overlaps(p.Prefix) {
					fail(p.Pos, "address %s of %s overlaps %s of %s (line %d): every source address must identify one sender",
						p.Prefix, ownerName(owner, c), q.val.Prefix, ownerName(q.owner, c), q.pos.Line)
				}
			}
			prefixes = append(prefixes, owned[Prefix]{p, owner, p.Pos})
		}
		for _, p := range n.PLMNs {
			k := p.String()
			if q, dup := plmns[k]; dup {
				fail(p.Pos, "PLMN %s of %s is already listed for %s (line %d)", k, ownerName(owner, c), ownerName(q.owner, c), q.pos.Line)
				continue
			}
			plmns[k] = owned[PLMN]{p, owner, p.Pos}
		}
		for _, r := range n.Realms {
			if q, dup := realms[r.Name]; dup {
				fail(r.Pos, "realm %s of %s is already listed for %s (line %d)", r.Name, ownerName(owner, c), ownerName(q.owner, c), q.pos.Line)
				continue
			}
			realms[r.Name] = owned[Realm]{r, owner, r.Pos}
		}
		for _, g := range n.GTPrefixes {
			if q, dup := gts[g.Digits]; dup {
				fail(g.Pos, "global-title prefix %s of %s is already listed for %s (line %d)", g.Digits, ownerName(owner, c), ownerName(q.owner, c), q.pos.Line)
				continue
			}
			gts[g.Digits] = owned[GTPrefix]{g, owner, g.Pos}
		}
	}
	add(-1, &c.Home)
	for i := range c.Partners {
		p := &c.Partners[i]
		if prev, dup := names[p.Name.Value]; dup {
			fail(p.Name.Pos, "partner name %q is already used at line %d", p.Name.Value, prev.Line)
		}
		names[p.Name.Value] = p.Name.Pos
		if len(p.Addresses) == 0 {
			fail(p.Name.Pos, "partner %q has no addresses: a sender is identified by its source address first, so list the prefixes its signaling nodes use", p.Name.Value)
		}
		if len(p.PLMNs) == 0 {
			fail(p.Name.Pos, "partner %q has no plmns: list its MCC+MNC so that its own subscribers can be told from home subscribers", p.Name.Value)
		}
		add(i, &p.Network)
	}
	if c.GTPState.ReplayMemory < c.GTPState.RetransmitWindow {
		fail(Pos{1, 1}, "gtp_state.replay_memory (%s) must be at least gtp_state.retransmit_window (%s)", c.GTPState.ReplayMemory, c.GTPState.RetransmitWindow)
	}
	if st := &c.State; st.Backend.Value == StateRedis {
		if len(st.Redis.Addrs) == 0 {
			fail(st.Backend.Pos, "state.backend is redis but state.redis.addrs is empty: list the Redis server (host:port), the Cluster nodes, or the sentinels")
		}
		if t := st.Redis.TLS; (t.CertFile == "") != (t.KeyFile == "") || (t.CAFile == "" && t.CertFile != "") {
			fail(st.Backend.Pos, "state.redis.tls: give ca_file to use TLS, and cert_file with key_file (both or neither)")
		}
		if st.Redis.SentinelMaster == "" && len(st.Redis.Addrs) > 1 && st.Redis.DB != 0 {
			fail(st.Backend.Pos, "state.redis.db is %d but several addrs make a Redis Cluster, which has only database 0", st.Redis.DB)
		}
	}
	relays := map[string]Pos{}
	listens := map[string]Pos{}
	for _, d := range c.Diameter {
		if prev, dup := relays[d.Name.Value]; dup {
			fail(d.Name.Pos, "relay name %q is already used at line %d", d.Name.Value, prev.Line)
		}
		relays[d.Name.Value] = d.Name.Pos
		if prev, dup := listens[d.Listen.String()]; dup {
			fail(d.Listen.Pos, "listen address %s is already used at line %d", d.Listen, prev.Line)
		}
		listens[d.Listen.String()] = d.Listen.Pos
		if d.UpstreamSource.Set && d.UpstreamSource.Kind != d.Upstream.Kind {
			fail(d.UpstreamSource.Pos, "upstream_source is %s but upstream is %s", d.UpstreamSource.Kind, d.Upstream.Kind)
		}
		if d.OriginHost == "" || d.OriginRealm == "" {
			fail(d.Name.Pos, "relay %q: set origin_host and origin_realm (or home.realms): local answers need a Diameter identity", d.Name.Value)
		}
		if d.Listen.Kind == transport.UDP || d.Upstream.Kind == transport.UDP {
			fail(d.Listen.Pos, "relay %q: Diameter runs over sctp:// or tcp://, not udp://", d.Name.Value)
		}
	}
	for _, g := range c.GTP {
		if prev, dup := relays[g.Name.Value]; dup {
			fail(g.Name.Pos, "relay name %q is already used at line %d", g.Name.Value, prev.Line)
		}
		relays[g.Name.Value] = g.Name.Pos
		for _, e := range []Endpoint{g.Listen, g.Upstream, g.UpstreamSource} {
			if e.Set && (e.Kind != transport.UDP || len(e.IPs) != 1) {
				fail(e.Pos, "relay %q: GTP-C endpoints are udp://IP:PORT", g.Name.Value)
			}
		}
		if g.Listen.Set && g.Listen.Kind == transport.UDP && g.Listen.IPs[0].IsUnspecified() {
			fail(g.Listen.Pos, "relay %q: listen on a specific address: it is announced to partners as the home side's GTP-C endpoint", g.Name.Value)
		}
		if g.UpstreamSource.Set && g.UpstreamSource.Kind == transport.UDP && g.UpstreamSource.IPs[0].IsUnspecified() {
			fail(g.UpstreamSource.Pos, "relay %q: upstream_source must be a specific address: it is announced to home nodes", g.Name.Value)
		}
		if prev, dup := listens[g.Listen.String()]; dup {
			fail(g.Listen.Pos, "listen address %s is already used at line %d", g.Listen, prev.Line)
		}
		listens[g.Listen.String()] = g.Listen.Pos
	}
	for _, m := range c.M3UA {
		if prev, dup := relays[m.Name.Value]; dup {
			fail(m.Name.Pos, "relay name %q is already used at line %d", m.Name.Value, prev.Line)
		}
		relays[m.Name.Value] = m.Name.Pos
		for _, e := range []Endpoint{m.Listen, m.Upstream, m.UpstreamSource} {
			if e.Set && e.Kind == transport.UDP {
				fail(e.Pos, "relay %q: M3UA runs over sctp:// (or tcp:// in a lab), not udp://", m.Name.Value)
			}
		}
		if m.UpstreamSource.Set && m.UpstreamSource.Kind != m.Upstream.Kind {
			fail(m.UpstreamSource.Pos, "upstream_source is %s but upstream is %s", m.UpstreamSource.Kind, m.Upstream.Kind)
		}
		if prev, dup := listens[m.Listen.String()]; dup {
			fail(m.Listen.Pos, "listen address %s is already used at line %d", m.Listen, prev.Line)
		}
		listens[m.Listen.String()] = m.Listen.Pos
	}
	if l := c.Admin.Listen; c.Admin.Enabled() && c.Admin.TokenFile == "" && !l.Loopback() {
		fail(l.Pos, "admin.listen %s is not a loopback address: set admin.token_file (a file holding the bearer token the admin API will require), or listen on 127.0.0.1", l.Value)
	}
	if c.Audit.Path != "" && !c.Audit.ClearIdentities && c.Privacy.PseudonymKeyFile == "" {
		fail(Pos{1, 1}, "audit.path is set but privacy.pseudonym_key_file is not: the audit log's pseudonyms would change at every restart; set the key file (or, knowingly, audit.clear_identities: true)")
	}
	ifaces := map[string]Pos{}
	for _, i := range c.XDP.Interfaces {
		if prev, dup := ifaces[i.Value]; dup {
			fail(i.Pos, "xdp.interfaces: %s is already listed at line %d", i.Value, prev.Line)
		}
		ifaces[i.Value] = i.Pos
	}
	for _, p := range c.Partners {
		if r := p.RateLimit; r.PacketsPerSecond == 0 && r.Burst != 0 {
			fail(p.Name.Pos, "partner %q: rate_limit.burst without packets_per_second: set the sustained rate too", p.Name.Value)
		}
	}
	// Report in file order, as strictyaml.Errors promises.
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Col < errs[j].Col
	})
	return errs
}
