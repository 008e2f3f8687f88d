// Package admin serves Breakwater's operations endpoint: health and
// readiness probes and Prometheus metrics. It reads counters the engine
// and the relays keep with atomics, so serving it costs the message path
// nothing.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"breakwater/firewall/audit"
	"breakwater/firewall/engine"
	"breakwater/firewall/partnerstats"
	"breakwater/firewall/proxy"
	"breakwater/firewall/quarantine"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is the admin HTTP endpoint.
type Server struct {
	srv    *http.Server
	ln     net.Listener
	log    *slog.Logger
	ready  func() error
	reg    *prometheus.Registry
	Handle *http.ServeMux
}

// Options describe what the endpoint reports on.
type Options struct {
	Listen    string
	Version   string
	Engine    *engine.Engine
	Relays    []*proxy.DiameterRelay
	GTPRelays []*proxy.GTPRelay
	// M3UARelays are the inline M3UA relays.
	M3UARelays []*proxy.M3UARelay
	// Prefilter: the XDP pre-filter's and user-space rate limit's counters.
	Prefilter Prefilter
	// API, when set, serves the admin API under /api/v1 (JSON).
	API *API
	// Audit and Quarantine are reported in /metrics when set.
	Audit      *audit.Log
	Quarantine *quarantine.Set
	// Partners counts messages per partner, protocol, operation and verdict.
	Partners *partnerstats.Stats
	// Latency holds per-partner processing-time histograms.
	Latency *partnerstats.Latencies
	// Collectors are further metric sources (the cluster link).
	Collectors []prometheus.Collector
	// Ready reports whether Breakwater serves traffic (nil: always ready).
	Ready func() error
	Log   *slog.Logger
}

// New prepares the endpoint; Start begins serving.
func New(o Options) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newCollector(o.Version, o.Engine, o.Relays, o.GTPRelays, o.M3UARelays),
		prefilterCollector{o.Prefilter},
		opsCollector{o.Engine, o.API},
		auditQuarantineCollector{o.Audit, o.Quarantine, o.Partners, o.Latency},
	)
	reg.MustRegister(o.Collectors...)
	mux := http.NewServeMux()
	s := &Server{log: o.Log, ready: o.Ready, reg: reg, Handle: mux}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s.ready != nil {
			if err := s.ready(); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: nil}))
	if o.API != nil && o.Engine != nil {
		o.API.register(mux, s, &o)
	}
	s.srv = &http.Server{Addr: o.Listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return s
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.srv.Addr)
	if err != nil {
		return fmt.Errorf("admin endpoint: %w", err)
	}
	s.ln = ln
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("admin endpoint stopped", "err", err)
		}
	}()
	s.log.Info("admin endpoint listening", "listen", ln.Addr().String())
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops the endpoint.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
