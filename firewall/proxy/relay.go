package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/engine"
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
}

// DiameterRelay accepts Diameter connections and relays them upstream
// through the engine.
type DiameterRelay struct {
	cfg   Config
	eng   *engine.Engine
	log   *slog.Logger
	ln    transport.Listener
	Stats RelayStats
	block *blockLog

	mu       sync.Mutex
	pairs    map[*pair]struct{}
	closing  atomic.Bool
	wg       sync.WaitGroup // accept loop, watchdog and pairs
	stopTick chan struct{}
	stopOnce sync.Once
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
	return &DiameterRelay{
		cfg: cfg, eng: eng,
		log:      l,
		block:    &blockLog{log: l, perSecond: 20},
		pairs:    map[*pair]struct{}{},
		stopTick: make(chan struct{}),
	}
}

// Name is the relay's configured name.
func (r *DiameterRelay) Name() string { return r.cfg.Name }

// Addr is the bound listen address (its port is known after Start).
func (r *DiameterRelay) Addr() transport.Address { return r.ln.Addr() }

// Start listens and serves in the background.
func (r *DiameterRelay) Start() error {
	ln, err := transport.Listen(r.cfg.Listen, r.transportOptions(nil))
	if err != nil {
		return err
	}
	r.ln = ln
	r.log.Info("diameter relay listening", "listen", ln.Addr().String(), "upstream", r.cfg.Upstream.String())
	r.wg.Add(2)
	go r.acceptLoop()
	go r.watchdog()
	return nil
}

func (r *DiameterRelay) acceptLoop() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if r.closing.Load() {
				return
			}
			r.log.Warn("accept failed", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		// A peer nobody configured is refused before it costs anything:
		// every message from it would be dropped as SRC-UNKNOWN anyway.
		if r.eng.Policy().Net.SenderOf(c.RemoteAddr().Addr()) == nil {
			r.Stats.Refused.Add(1)
			r.log.Warn("refused connection from an unknown source", "remote", c.RemoteAddr().String())
			c.Abort()
			continue
		}
		r.Stats.Accepted.Add(1)
		p := newPair(r, c)
		r.mu.Lock()
		if r.closing.Load() {
			r.mu.Unlock()
			c.Abort()
			return
		}
		r.pairs[p] = struct{}{}
		r.wg.Add(1)
		r.mu.Unlock()
		go func() {
			defer r.wg.Done()
			p.run()
			r.mu.Lock()
			delete(r.pairs, p)
			r.mu.Unlock()
		}()
	}
}

// watchdog disconnects a side that has not taken a message for
// write_timeout, so that one stuck peer holds no more than its own pair.
func (r *DiameterRelay) watchdog() {
	defer r.wg.Done()
	every := min(max(r.cfg.WriteTimeout/4, 50*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.stopTick:
			return
		case now := <-t.C:
			r.mu.Lock()
			for p := range r.pairs {
				p.checkStuck(now.UnixNano(), int64(r.cfg.WriteTimeout))
			}
			r.mu.Unlock()
		}
	}
}

// Shutdown stops accepting, stops taking new requests, waits (until ctx
// ends) for in-flight requests to be answered, sends each side a DPR and
// closes every connection.
func (r *DiameterRelay) Shutdown(ctx context.Context) error {
	r.closing.Store(true)
	if r.ln != nil {
		r.ln.Close()
	}
	r.mu.Lock()
	pairs := make([]*pair, 0, len(r.pairs))
	for p := range r.pairs {
		pairs = append(pairs, p)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.shutdown(ctx)
		}()
	}
	wg.Wait()
	r.stopOnce.Do(func() { close(r.stopTick) })
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("diameter relay " + r.cfg.Name + ": connections still open at the shutdown deadline")
	}
}
