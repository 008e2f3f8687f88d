package admin

import (
	"breakwater/firewall/audit"
	"breakwater/firewall/engine"
	"breakwater/firewall/partnerstats"
	"breakwater/firewall/quarantine"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	policyLoaded = desc("policy_loaded_timestamp_seconds", "When the policy in force was loaded (start-up or reload), Unix time.", "version")
	reloads      = desc("policy_reloads_total", "Reloads of the configuration and rule files: put in force (ok) or refused (failed; the running policy stayed).", "result")
)

// opsCollector reports the policy's reload state.
type opsCollector struct {
	eng *engine.Engine
	api *API
}

func (c opsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- policyLoaded
	ch <- reloads
}

func (c opsCollector) Collect(ch chan<- prometheus.Metric) {
	if c.eng == nil {
		return
	}
	p := c.eng.Policy()
	ch <- prometheus.MustNewConstMetric(policyLoaded, prometheus.GaugeValue, float64(p.Loaded.UnixNano())/1e9, p.Version())
	if c.api != nil && c.api.Reloads != nil {
		counter(ch, reloads, c.api.Reloads.OK.Load(), "ok")
		counter(ch, reloads, c.api.Reloads.Failed.Load(), "failed")
	}
}

var (
	auditRecords    = desc("audit_records_total", "Audit records: written, dropped (queue full: the message path never waits) or lost (taken but not written: disk full, rotation failure).", "result")
	auditErrors     = desc("audit_write_errors_total", "Failed writes, opens and rotations of the audit log.")
	auditRotations  = desc("audit_rotations_total", "Audit log rotations.")
	auditQueue      = desc("audit_queue_depth", "Audit records waiting to be written.")
	quarantinedNow  = desc("quarantined_partners", "Partners quarantined now.")
	quarantineCount = desc("quarantine_changes_total", "Quarantines begun (manual, automatic) and ended (lifted, expired).", "kind")
	partnerQuar     = desc("partner_quarantined", "1 for each quarantined partner.", "partner")
	partnerLatency  = desc("partner_processing_seconds", "Time from a message's arrival to its verdict (what Breakwater adds before relaying or refusing it), per sending partner.", "partner")
	partnerMsgs     = desc("partner_messages_total", "Messages judged by the relays, per sending partner (home, unknown), protocol, operation and verdict.", "partner", "protocol", "op", "verdict")
)

// auditQuarantineCollector reports the audit log's and the quarantine's
// counters.
type auditQuarantineCollector struct {
	audit      *audit.Log
	quarantine *quarantine.Set
	partners   *partnerstats.Stats
	latency    *partnerstats.Latencies
}

func (c auditQuarantineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{auditRecords, auditErrors, auditRotations, auditQueue, quarantinedNow, quarantineCount, partnerQuar, partnerMsgs, partnerLatency} {
		ch <- d
	}
}

func (c auditQuarantineCollector) Collect(ch chan<- prometheus.Metric) {
	if c.audit != nil {
		st := c.audit.Stats()
		counter(ch, auditRecords, st.Written, "written")
		counter(ch, auditRecords, st.Dropped, "dropped")
		counter(ch, auditRecords, st.Lost, "lost")
		counter(ch, auditErrors, st.WriteErrors)
		counter(ch, auditRotations, st.Rotations)
		gauge(ch, auditQueue, int64(st.QueueDepth))
	}
	if c.latency != nil {
		for _, h := range c.latency.Snapshot() {
			ch <- prometheus.MustNewConstHistogram(partnerLatency, h.Count, h.Sum, h.Buckets, h.Partner)
		}
	}
	if c.partners != nil {
		for _, x := range c.partners.Snapshot() {
			counter(ch, partnerMsgs, x.Count, x.Partner, x.Protocol, x.Op, x.Verdict)
		}
	}
	if q := c.quarantine; q != nil {
		gauge(ch, quarantinedNow, int64(q.Active()))
		st := q.Stats()
		counter(ch, quarantineCount, st.Manual, "manual")
		counter(ch, quarantineCount, st.Automatic, "automatic")
		counter(ch, quarantineCount, st.Lifted, "lifted")
		counter(ch, quarantineCount, st.Expired, "expired")
		for _, e := range q.List() {
			gauge(ch, partnerQuar, 1, e.Partner)
		}
	}
}
