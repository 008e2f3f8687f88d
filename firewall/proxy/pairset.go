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
	"breakwater/firewall/ratelimit"
	"breakwater/firewall/transport"
)

// relayPair is one partner connection joined to its own upstream
// connection, as the Diameter and M3UA relays make them.
type relayPair interface {
	comparable
	// run serves the pair until either side ends.
	run()
	// checkStuck disconnects a side that has not taken a message for
	// timeout nanoseconds.
	checkStuck(now, timeout int64)
	// peerAddr is the partner side's address; closeBoth takes the pair
	// down (a quarantine).
	peerAddr() netip.Addr
	closeBoth()
}

// pairSet is what the connection-oriented relays share: a listener whose
// peers from configured networks each get a pair, the set of live pairs,
// the watchdog over them, and the wait for them at shutdown. What a pair
// does, and how it is taken down, is the relay's.
type pairSet[P relayPair] struct {
	log               *slog.Logger
	eng               *engine.Engine
	accepted, refused *atomic.Uint64
	overLimit         *atomic.Uint64 // refusals over maxConns or maxPerSource
	peerNoun          string         // "connection", "association": for logs
	newPair           func(transport.Conn) P
	writeTimeout      time.Duration
	// maxConns and maxPerSource bound the pairs at once, in all and per
	// peer source address (0: no limit).
	maxConns, maxPerSource int
	// limiter rate-limits partners in user space (nil: unlimited, or the
	// XDP pre-filter does it).
	limiter *ratelimit.Limiter
	// quarantined says whether a partner is isolated (nil: never): its
	// peers are refused, and CloseQuarantined closes its pairs.
	quarantined func(partner string) bool

	ln       transport.Listener
	mu       sync.Mutex
	pairs    map[P]struct{}
	closing  atomic.Bool
	wg       sync.WaitGroup // accept loop, watchdog and pairs
	stopTick chan struct{}
	stopOnce sync.Once
	// perSource counts the pairs by peer source address (under mu).
	perSource map[netip.Addr]int
	// The accept loop's refusal log budget: a flood of refused peers must
	// not flood the log.
	refusedWindow              int64
	refusedLines, refusedQuiet int
}

func (s *pairSet[P]) init(log *slog.Logger, eng *engine.Engine, accepted, refused, overLimit *atomic.Uint64, peerNoun string,
	writeTimeout time.Duration, newPair func(transport.Conn) P) {
	s.log, s.eng, s.accepted, s.refused, s.overLimit, s.peerNoun = log, eng, accepted, refused, overLimit, peerNoun
	s.writeTimeout, s.newPair = writeTimeout, newPair
	s.pairs = map[P]struct{}{}
	s.perSource = map[netip.Addr]int{}
	s.stopTick = make(chan struct{})
}

// throttle holds the reader of a stream from src until src may send
// another message under its partner's rate_limit. Not reading makes the
// sender's transport back off (its window fills), as when the XDP
// pre-filter drops its packets — but nothing accepted is lost. It returns
// at once without a limiter or a limit, and at shutdown.
func (s *pairSet[P]) throttle(src netip.Addr) {
	if s.limiter == nil {
		return
	}
	sender := s.eng.Policy().Net.SenderOf(src)
	if sender == nil || sender.RatePPS == 0 {
		return
	}
	counted := false
	for {
		w := s.limiter.Take(src, time.Now(), sender.RatePPS, sender.RateBurst)
		if w == 0 {
			return
		}
		if !counted {
			s.limiter.Throttled.Add(1)
			counted = true
		}
		t := time.NewTimer(w)
		select {
		case <-t.C:
		case <-s.stopTick:
			t.Stop()
			return
		}
	}
}

// CloseQuarantined closes the pairs of the partners quarantined now and
// returns how many. The quarantine's change notification calls it, so
// that a partner's associations go down as soon as it is isolated, and
// reconnecting is refused at accept.
func (s *pairSet[P]) CloseQuarantined() int {
	if s.quarantined == nil {
		return 0
	}
	net := s.eng.Policy().Net
	var victims []P
	s.mu.Lock()
	for p := range s.pairs {
		if m := net.SenderOf(p.peerAddr()); m != nil && !m.Home && s.quarantined(m.Name) {
			victims = append(victims, p)
		}
	}
	s.mu.Unlock()
	for _, p := range victims {
		s.log.Warn(s.peerNoun+" of a quarantined partner closed", "remote", p.peerAddr().String())
		p.closeBoth()
	}
	return len(victims)
}

// start listens and serves in the background.
func (s *pairSet[P]) start(listen transport.Address, opts transport.Options) (transport.Listener, error) {
	ln, err := transport.Listen(listen, opts)
	if err != nil {
		return nil, err
	}
	s.ln = ln
	s.wg.Add(2)
	go s.acceptLoop()
	go s.watchdog()
	return ln, nil
}

func (s *pairSet[P]) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return
			}
			s.log.Warn("accept failed", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		// A peer nobody configured is refused before it costs an
		// upstream connection: everything it sent would be SRC-UNKNOWN.
		src := c.RemoteAddr().Addr()
		sender := s.eng.Policy().Net.SenderOf(src)
		if sender == nil {
			s.refuse(c, "refused "+s.peerNoun+" from an unknown source")
			continue
		}
		if s.quarantined != nil && !sender.Home && s.quarantined(sender.Name) {
			s.refuse(c, "refused "+s.peerNoun+" from a quarantined partner", "partner", sender.Name)
			continue
		}
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			c.Abort()
			return
		}
		if s.maxConns > 0 && len(s.pairs) >= s.maxConns || s.maxPerSource > 0 && s.perSource[src] >= s.maxPerSource {
			s.mu.Unlock()
			s.overLimit.Add(1)
			s.refuse(c, "refused "+s.peerNoun+" over limits.max_connections or max_connections_per_source", "partner", sender.Name)
			continue
		}
		p := s.newPair(c)
		s.pairs[p] = struct{}{}
		s.perSource[src]++
		s.wg.Add(1)
		s.mu.Unlock()
		s.accepted.Add(1)
		go func() {
			defer s.wg.Done()
			p.run()
			s.mu.Lock()
			delete(s.pairs, p)
			if s.perSource[src]--; s.perSource[src] == 0 {
				delete(s.perSource, src)
			}
			s.mu.Unlock()
		}()
	}
}

// refuse turns a peer away at accept (TCP RST, SCTP ABORT), counts it and
// logs it, at most 10 lines a second: how many were not logged is said on
// the next line. Only the accept loop calls it.
func (s *pairSet[P]) refuse(c transport.Conn, msg string, attrs ...any) {
	s.refused.Add(1)
	remote := c.RemoteAddr()
	c.Abort()
	if now := time.Now().Unix(); now != s.refusedWindow {
		s.refusedWindow, s.refusedLines = now, 0
	}
	if s.refusedLines >= 10 {
		s.refusedQuiet++
		return
	}
	s.refusedLines++
	attrs = append(attrs, "remote", remote.String())
	if s.refusedQuiet > 0 {
		attrs = append(attrs, "refusals_not_logged", s.refusedQuiet)
		s.refusedQuiet = 0
	}
	s.log.Warn(msg, attrs...)
}

// watchdog disconnects a side that has not taken a message for
// write_timeout, so that one stuck peer holds no more than its own pair.
func (s *pairSet[P]) watchdog() {
	defer s.wg.Done()
	every := min(max(s.writeTimeout/4, 50*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stopTick:
			return
		case now := <-t.C:
			s.mu.Lock()
			for p := range s.pairs {
				p.checkStuck(now.UnixNano(), int64(s.writeTimeout))
			}
			s.mu.Unlock()
		}
	}
}

// stopAccepting closes the listener and returns the pairs alive then, for
// the relay to take down its own way.
func (s *pairSet[P]) stopAccepting() []P {
	s.closing.Store(true)
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pairs := make([]P, 0, len(s.pairs))
	for p := range s.pairs {
		pairs = append(pairs, p)
	}
	return pairs
}

// wait stops the watchdog and waits for the accept loop and every pair to
// end, or for ctx to; then it reports stillOpen.
func (s *pairSet[P]) wait(ctx context.Context, stillOpen string) error {
	s.stopOnce.Do(func() { close(s.stopTick) })
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New(stillOpen)
	}
}
