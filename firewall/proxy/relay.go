package proxy

import (
	"breakwater/protocols/view"
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/ratelimit"
	"breakwater/firewall/transport"
	"breakwater/protocols/diameter"
)

// Config is one Diameter relay's settings (from config.DiameterRelay).
type Config struct {
	Name             string
	Listen           transport.Address
	Upstream         transport.Address
	UpstreamSource   []netip.Addr
	Streams          uint16
	ConnectTimeout   time.Duration
	WriteTimeout     time.Duration
	MaxMessage       int
	RejectResultCode uint32
	// OriginHost and OriginRealm sign answers given in the upstream's name
	// before the upstream has sent its CEA.
	OriginHost, OriginRealm string
	// Limiter, when set, applies the partners' rate_limit in user space
	// (when no XDP pre-filter does).
	Limiter *ratelimit.Limiter
	// Observe, when set, sees every message the relay judges, with its
	// verdict (the audit log, the automatic quarantine). It runs on the
	// message path and must not block.
	Observe Observer
	// Quarantined, when set, says whether a partner is isolated: its
	// connections are refused (CloseQuarantined closes open ones).
	Quarantined func(partner string) bool
	// ReadTimeout disconnects a peer that sends no whole first message
	// within it of connecting, or takes longer to send a later one once
	// begun (0: no limit).
	ReadTimeout time.Duration
	// MaxConns and MaxConnsPerSource bound the peer connections served at
	// once, in all and from one source address (0: no limit).
	MaxConns, MaxConnsPerSource int
}

// Observer sees a judged message and its verdict; relay is the relay's
// name. m is valid only during the call. The verdict comes by value: a
// pointer handed to a function value would move every verdict to the
// heap.
type Observer func(relay string, m *view.Message, v engine.Verdict)

// DiameterRelay accepts Diameter connections and relays them upstream
// through the engine.
type DiameterRelay struct {
	cfg   Config
	eng   *engine.Engine
	log   *slog.Logger
	Stats RelayStats
	block *blockLog
	pairSet[*pair]
}

// diameterFramer cuts Diameter messages out of TCP streams.
func diameterFramer() transport.Framer {
	return transport.Framer{HeaderLen: 4, Length: func(h []byte) (int, error) { return diameter.FrameLength(h, 0) }}
}

func (r *DiameterRelay) transportOptions(local []netip.Addr) transport.Options {
	return transport.Options{
		Framer:         diameterFramer(),
		MaxMessage:     r.cfg.MaxMessage,
		Streams:        r.cfg.Streams,
		Local:          local,
		ConnectTimeout: r.cfg.ConnectTimeout,
	}
}

// NewDiameterRelay prepares a relay; Start opens its listener.
func NewDiameterRelay(cfg Config, eng *engine.Engine, log *slog.Logger) *DiameterRelay {
	l := log.With("relay", cfg.Name)
	r := &DiameterRelay{cfg: cfg, eng: eng, log: l, block: &blockLog{log: l, perSecond: 20}}
	r.pairSet.init(l, eng, &r.Stats.Accepted, &r.Stats.Refused, &r.Stats.OverLimit, "connection", cfg.WriteTimeout,
		func(c transport.Conn) *pair { return newPair(r, c) })
	r.maxConns, r.maxPerSource = cfg.MaxConns, cfg.MaxConnsPerSource
	r.limiter, r.quarantined = cfg.Limiter, cfg.Quarantined
	return r
}

// Name is the relay's configured name.
func (r *DiameterRelay) Name() string { return r.cfg.Name }

// Addr is the bound listen address (its port is known after Start).
func (r *DiameterRelay) Addr() transport.Address { return r.ln.Addr() }

// Start listens and serves in the background.
func (r *DiameterRelay) Start() error {
	opts := r.transportOptions(nil)
	opts.MessageTimeout = r.cfg.ReadTimeout // peers only: the upstream is not timed
	ln, err := r.pairSet.start(r.cfg.Listen, opts)
	if err != nil {
		return err
	}
	r.log.Info("diameter relay listening", "listen", ln.Addr().String(), "upstream", r.cfg.Upstream.String())
	return nil
}

// Shutdown stops accepting, stops taking new requests, waits (until ctx
// ends) for in-flight requests to be answered, sends each side a DPR and
// closes every connection.
func (r *DiameterRelay) Shutdown(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range r.stopAccepting() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.shutdown(ctx)
		}()
	}
	wg.Wait()
	return r.wait(ctx, "diameter relay "+r.cfg.Name+": connections still open at the shutdown deadline")
}
