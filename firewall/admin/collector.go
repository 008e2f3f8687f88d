package admin

import (
	"breakwater/firewall/engine"
	"breakwater/firewall/proxy"
	"breakwater/firewall/rules"
	"breakwater/protocols/view"

	"github.com/prometheus/client_golang/prometheus"
)

// collector turns the engine's and relays' atomic counters into metrics
// at scrape time.
type collector struct {
	version string
	eng     *engine.Engine
	relays  []*proxy.DiameterRelay
	gtp     []*proxy.GTPRelay
	m3ua    []*proxy.M3UARelay
}

func newCollector(version string, eng *engine.Engine, relays []*proxy.DiameterRelay, gtp []*proxy.GTPRelay, m3ua []*proxy.M3UARelay) *collector {
	return &collector{version: version, eng: eng, relays: relays, gtp: gtp, m3ua: m3ua}
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("breakwater_"+name, help, labels, nil)
}

var (
	buildInfo   = desc("build_info", "Breakwater version.", "version")
	policyInfo  = desc("policy_info", "The rule set in force (baseline version + rule-file hash).", "version")
	messages    = desc("messages_total", "Signaling messages judged, by protocol, direction and verdict.", "protocol", "direction", "verdict")
	malformed   = desc("malformed_total", "Messages that could not be parsed completely, by protocol.", "protocol")
	ruleHits    = desc("rule_hits_total", "Decisions and log hits per rule of the rule set in force.", "rule", "category", "action")
	locations   = desc("subscriber_locations", "Subscribers whose location the Cat 3 state holds.")
	pending     = desc("pending_location_updates", "Location updates waiting for their confirming answer.")
	accepted    = desc("diameter_connections_accepted_total", "Peer connections accepted.", "relay")
	refused     = desc("diameter_connections_refused_total", "Peer connections refused at accept: unknown source, quarantined partner, or over limits.max_connections(_per_source).", "relay")
	overLimit   = desc("diameter_connections_over_limit_total", "Peer connections refused for limits.max_connections or max_connections_per_source (also counted in refused).", "relay")
	readStalls  = desc("diameter_read_timeouts_total", "Peer connections closed for not sending a whole message within limits.read_timeout (slowloris, half-open).", "relay")
	pairs       = desc("diameter_connection_pairs", "Peer connections now open (each with its upstream).", "relay")
	upstreamUp  = desc("diameter_upstream_connections_up", "Paired upstream connections now up.", "relay")
	connects    = desc("diameter_upstream_connects_total", "Upstream connections established (initial and reconnects).", "relay")
	failures    = desc("diameter_upstream_failures_total", "Failed upstream connection attempts.", "relay")
	relayed     = desc("diameter_relayed_total", "Messages relayed, by direction.", "relay", "direction")
	answers     = desc("diameter_local_answers_total", "Answers Breakwater gave in a peer's name, by reason.", "relay", "reason")
	blocked     = desc("diameter_blocked_total", "Messages the engine rejected or dropped.", "relay")
	framing     = desc("diameter_framing_errors_total", "Connections closed because their bytes were not Diameter.", "relay")
	oversized   = desc("diameter_oversized_total", "Messages larger than limits.max_message_bytes.", "relay")
	writeStalls = desc("diameter_write_timeouts_total", "Connections closed because the other side stopped reading.", "relay")
	peerResets  = desc("diameter_peer_resets_total", "Peer connections the peer reset or aborted (TCP RST, SCTP ABORT).", "relay")
	sessions    = desc("gtp_sessions", "GTP-C sessions whose owning partner the state holds.")
	gtpIn       = desc("gtp_datagrams_total", "GTP-C datagrams read.", "relay")
	gtpRelayed  = desc("gtp_relayed_total", "GTP-C datagrams relayed, by direction.", "relay", "direction")
	gtpBlocked  = desc("gtp_blocked_total", "GTP-C messages the engine rejected or dropped.", "relay")
	gtpRejected = desc("gtp_rejections_sent_total", "Rejection responses sent.", "relay")
	gtpEcho     = desc("gtp_echo_answered_total", "Echo Requests answered by the relay.", "relay")
	gtpUnmatch  = desc("gtp_unmatched_responses_total", "Responses to no request the relay forwarded.", "relay")
	gtpUnroute  = desc("gtp_unroutable_requests_total", "Home requests for a TEID the relay never handed out (or no longer holds).", "relay")
	gtpRestarts = desc("gtp_upstream_restarts_total", "Changes of the upstream node's restart counter (Recovery), passed on to partners.", "relay")
	gtpEvicted  = desc("gtp_tunnels_evicted_total", "Partner control endpoints dropped from a full TEID table before their idle time (raise gtp_state.max_sessions).", "relay")
	gtpRetrans  = desc("gtp_retransmissions_total", "Requests forwarded again under the same relay sequence number.", "relay")
	gtpRewrite  = desc("gtp_rewrite_failures_total", "Messages whose endpoint address family the relay has no address for.", "relay")

	m3uaAccepted   = desc("m3ua_associations_accepted_total", "Partner associations accepted.", "relay")
	m3uaRefused    = desc("m3ua_associations_refused_total", "Partner associations refused at accept: unknown source, quarantined partner, or over limits.max_connections(_per_source).", "relay")
	m3uaOverLimit  = desc("m3ua_associations_over_limit_total", "Partner associations refused for limits.max_connections or max_connections_per_source (also counted in refused).", "relay")
	m3uaReadStalls = desc("m3ua_read_timeouts_total", "Partner associations closed for not sending a whole message within limits.read_timeout.", "relay")
	m3uaPairs      = desc("m3ua_association_pairs", "Partner associations now open (each with its upstream).", "relay")
	m3uaUp         = desc("m3ua_upstream_associations_up", "Paired upstream associations now up.", "relay")
	m3uaUpFail     = desc("m3ua_upstream_failures_total", "Upstream associations that could not be opened (the partner's was closed).", "relay")
	m3uaUpLost     = desc("m3ua_upstream_lost_total", "Upstream associations that failed while paired (the partner's was closed).", "relay")
	m3uaRelayed    = desc("m3ua_data_relayed_total", "M3UA DATA messages relayed, by direction (each segment of a segmented message counts).", "relay", "direction")
	m3uaBlocked    = desc("m3ua_data_blocked_total", "M3UA DATA messages the engine rejected or dropped, by direction.", "relay", "direction")
	m3uaAnswers    = desc("m3ua_answers_total", "Answers sent to rejected requests, by kind.", "relay", "kind")
	m3uaUnanswered = desc("m3ua_rejections_unanswered_total", "Rejected requests dropped because they could not be answered as reject_with asks.", "relay")
	m3uaMgmt       = desc("m3ua_management_relayed_total", "M3UA messages other than DATA relayed unchanged, by direction and kind.", "relay", "direction", "kind")
	m3uaDecode     = desc("m3ua_decode_errors_total", "DATA messages that did not decode completely (judged as malformed).", "relay")
	m3uaHeld       = desc("m3ua_reassembly_pending", "Segmented SCCP messages held until complete.", "relay")
	m3uaEvicted    = desc("m3ua_reassembly_evicted_total", "Segmented messages dropped before they were complete (timeout, capacity).", "relay")
	m3uaFraming    = desc("m3ua_framing_errors_total", "Associations closed because their bytes were not M3UA (TCP).", "relay")
	m3uaOversized  = desc("m3ua_oversized_total", "Messages larger than limits.max_message_bytes, dropped.", "relay")
	m3uaStalls     = desc("m3ua_write_timeouts_total", "Pairs closed because a side stopped reading.", "relay")
	m3uaResets     = desc("m3ua_peer_resets_total", "Partner associations the partner aborted or reset (SCTP ABORT, TCP RST).", "relay")
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{buildInfo, policyInfo, messages, malformed, ruleHits, locations, pending,
		accepted, refused, overLimit, readStalls, pairs, upstreamUp, connects, failures, relayed, answers, blocked, framing, oversized, writeStalls, peerResets,
		sessions, gtpIn, gtpRelayed, gtpBlocked, gtpRejected, gtpEcho, gtpUnmatch, gtpUnroute, gtpRetrans, gtpRewrite, gtpRestarts, gtpEvicted,
		m3uaAccepted, m3uaRefused, m3uaOverLimit, m3uaReadStalls, m3uaPairs, m3uaUp, m3uaUpFail, m3uaUpLost, m3uaRelayed, m3uaBlocked, m3uaAnswers,
		m3uaUnanswered, m3uaMgmt, m3uaDecode, m3uaHeld, m3uaEvicted, m3uaFraming, m3uaOversized, m3uaStalls, m3uaResets} {
		ch <- d
	}
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v int64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	gauge(ch, buildInfo, 1, c.version)
	if c.eng == nil {
		return
	}
	p := c.eng.Policy()
	gauge(ch, policyInfo, 1, p.Version())
	st := &c.eng.Stats
	for proto := view.ProtoUnknown; proto <= view.MAP; proto++ {
		for d, dir := range engine.Directions {
			for a, act := range engine.Actions {
				if n := st.ByKind[proto][d][a].Load(); n > 0 {
					counter(ch, messages, n, proto.String(), dir, act.String())
				}
			}
		}
		if proto != view.ProtoUnknown {
			counter(ch, malformed, st.MalformedBy[proto].Load(), proto.String())
		}
	}
	for _, r := range p.Rules.Rules {
		counter(ch, ruleHits, p.Rules.Hits(r), r.ID, string(r.Category), r.Action.String())
	}
	def := rules.DefaultRule
	counter(ch, ruleHits, p.Rules.Hits(def), def.ID, string(def.Category), def.Action.String())
	locs, pend := c.eng.State().Len()
	gauge(ch, locations, int64(locs))
	gauge(ch, pending, int64(pend))
	gauge(ch, sessions, int64(c.eng.State().Sessions()))
	for _, r := range c.gtp {
		n, s := r.Name(), &r.Stats
		counter(ch, gtpIn, s.Received.Load(), n)
		counter(ch, gtpRelayed, s.ToUpstream.Load(), n, "to_upstream")
		counter(ch, gtpRelayed, s.ToPartner.Load(), n, "to_partner")
		counter(ch, gtpBlocked, s.Blocked.Load(), n)
		counter(ch, gtpRejected, s.Rejected.Load(), n)
		counter(ch, gtpEcho, s.EchoAnswered.Load(), n)
		counter(ch, gtpUnmatch, s.Unmatched.Load(), n)
		counter(ch, gtpUnroute, s.Unroutable.Load(), n)
		counter(ch, gtpRetrans, s.Retransmissions.Load(), n)
		counter(ch, gtpRewrite, s.RewriteFailures.Load(), n)
		counter(ch, gtpRestarts, s.UpstreamRestarts.Load(), n)
		counter(ch, gtpEvicted, s.TunnelsEvicted.Load(), n)
	}
	for _, r := range c.relays {
		n, s := r.Name(), &r.Stats
		counter(ch, accepted, s.Accepted.Load(), n)
		counter(ch, refused, s.Refused.Load(), n)
		counter(ch, overLimit, s.OverLimit.Load(), n)
		counter(ch, readStalls, s.ReadTimeouts.Load(), n)
		gauge(ch, pairs, s.ActivePairs.Load(), n)
		gauge(ch, upstreamUp, s.UpstreamUp.Load(), n)
		counter(ch, connects, s.UpstreamConnects.Load(), n)
		counter(ch, failures, s.UpstreamFailures.Load(), n)
		counter(ch, relayed, s.ToUpstream.Load(), n, "to_upstream")
		counter(ch, relayed, s.ToPeer.Load(), n, "to_peer")
		for i, reason := range proxy.AnswerReasons {
			counter(ch, answers, s.LocalAnswers[i].Load(), n, reason)
		}
		counter(ch, blocked, s.Blocked.Load(), n)
		counter(ch, framing, s.FramingErrors.Load(), n)
		counter(ch, oversized, s.Oversized.Load(), n)
		counter(ch, writeStalls, s.WriteTimeouts.Load(), n)
		counter(ch, peerResets, s.PeerResets.Load(), n)
	}
	for _, r := range c.m3ua {
		n, s := r.Name(), &r.Stats
		counter(ch, m3uaAccepted, s.Accepted.Load(), n)
		counter(ch, m3uaRefused, s.Refused.Load(), n)
		counter(ch, m3uaOverLimit, s.OverLimit.Load(), n)
		counter(ch, m3uaReadStalls, s.ReadTimeouts.Load(), n)
		gauge(ch, m3uaPairs, s.ActivePairs.Load(), n)
		gauge(ch, m3uaUp, s.UpstreamUp.Load(), n)
		counter(ch, m3uaUpFail, s.UpstreamFailures.Load(), n)
		counter(ch, m3uaUpLost, s.UpstreamLost.Load(), n)
		for d, dir := range proxy.M3UADirections {
			counter(ch, m3uaRelayed, s.Relayed[d].Load(), n, dir)
			counter(ch, m3uaBlocked, s.Blocked[d].Load(), n, dir)
			for k, kind := range proxy.M3UAManagementKinds {
				if v := s.Management[d][k].Load(); v > 0 {
					counter(ch, m3uaMgmt, v, n, dir, kind)
				}
			}
		}
		for k, kind := range proxy.M3UAAnswerKinds {
			counter(ch, m3uaAnswers, s.Answers[k].Load(), n, kind)
		}
		counter(ch, m3uaUnanswered, s.Unanswered.Load(), n)
		counter(ch, m3uaDecode, s.DecodeErrors.Load(), n)
		gauge(ch, m3uaHeld, s.HeldMessages.Load(), n)
		counter(ch, m3uaEvicted, s.HeldEvicted.Load(), n)
		counter(ch, m3uaFraming, s.FramingErrors.Load(), n)
		counter(ch, m3uaOversized, s.Oversized.Load(), n)
		counter(ch, m3uaStalls, s.WriteTimeouts.Load(), n)
		counter(ch, m3uaResets, s.PeerResets.Load(), n)
	}
}
