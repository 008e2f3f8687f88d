package admin

import (
	"breakwater/firewall/engine"

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
