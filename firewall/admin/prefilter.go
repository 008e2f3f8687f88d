package admin

import (
	"breakwater/firewall/ratelimit"

	"github.com/prometheus/client_golang/prometheus"
)

// Prefilter is what /metrics shows of the shedding done before the
// engine: the XDP pre-filter in the kernel, or the user-space rate limit
// that stands in for it.
type Prefilter struct {
	// XDP returns the pre-filter's packet counters by reason (nil: not
	// attached).
	XDP func() (map[string]uint64, error)
	// Attached lists the interfaces and modes the pre-filter runs on.
	Attached []Attachment
	// Limiter is the user-space rate limiter (nil: none).
	Limiter *ratelimit.Limiter
}

// Attachment is one interface the XDP program is attached to.
type Attachment struct{ Interface, Mode string }

var (
	xdpPackets  = desc("xdp_packets_total", "Packets the XDP pre-filter saw, by verdict reason (passed, unknown_source, quarantined, rate_limited, gtp_cat1, ...).", "reason")
	xdpAttached = desc("xdp_attached", "Interfaces the XDP pre-filter is attached to, with the mode in use.", "interface", "mode")
	rateLimited = desc("rate_limited_total", "Messages over their partner's rate_limit in user space: stream reads delayed (throttled) or datagrams dropped.", "action")
)

type prefilterCollector struct{ p Prefilter }

func (c prefilterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- xdpPackets
	ch <- xdpAttached
	ch <- rateLimited
}

func (c prefilterCollector) Collect(ch chan<- prometheus.Metric) {
	for _, a := range c.p.Attached {
		gauge(ch, xdpAttached, 1, a.Interface, a.Mode)
	}
	if c.p.XDP != nil {
		if counts, err := c.p.XDP(); err == nil {
			for reason, n := range counts {
				counter(ch, xdpPackets, n, reason)
			}
		}
	}
	if l := c.p.Limiter; l != nil {
		counter(ch, rateLimited, l.Throttled.Load(), "throttled")
		counter(ch, rateLimited, l.Dropped.Load(), "dropped")
	}
}
