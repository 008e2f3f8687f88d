package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/rules"
	"breakwater/firewall/transport"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// PPID 46 is Diameter over SCTP (IANA); local answers and DPRs use it.
const ppidDiameter = 46

// identity is a Diameter peer's name as seen in its CER or CEA.
type identity struct{ host, realm string }

// pair joins one accepted connection (the peer) with its own upstream
// connection.
type pair struct {
	r    *DiameterRelay
	peer *endpoint
	up   atomic.Pointer[endpoint] // nil while the upstream is down

	upDown chan struct{} // the upstream reader ended (capacity 1)
	done   chan struct{} // the pair is over
	wg     sync.WaitGroup
	// life orders "the pair ends" against "a new upstream connection is
	// published", so that no upstream connection outlives its pair.
	life  sync.Mutex
	ended bool

	cerMu sync.Mutex
	cer   []byte // the peer's CER, replayed when the upstream reconnects
	// cerSent: the CER has gone to an upstream connection, so a later
	// connection needs it replayed (a first connection gets it from the
	// peer itself).
	cerSent atomic.Bool

	peerID, upstreamID atomic.Pointer[identity]

	// Requests relayed and not yet answered: toward the upstream with
	// what answering them in its name takes (see inflight).
	toUpstream inflight
	toPeer     tracker

	// peerWriteErr is the first failed write to the peer, after which its
	// connection is closed (peerFailed): why the pair ended, rather than
	// the reader's "closed".
	peerWriteErr atomic.Pointer[error]

	draining atomic.Bool
	// over: the Diameter peer relation ended on purpose (a relayed DPR, or
	// a refused capabilities exchange): when the upstream closes, the pair
	// ends instead of reconnecting.
	over atomic.Bool
	// Our own DPRs during shutdown, by side, and their answers.
	dprPeer, dprUp         atomic.Uint64 // hop-by-hop | present, 0 when none
	dpaFromPeer, dpaFromUp chan struct{}
}

func newPair(r *DiameterRelay, c transport.Conn) *pair {
	return &pair{
		r:           r,
		peer:        &endpoint{conn: c},
		upDown:      make(chan struct{}, 1),
		done:        make(chan struct{}),
		dpaFromPeer: make(chan struct{}, 1),
		dpaFromUp:   make(chan struct{}, 1),
	}
}

func (p *pair) checkStuck(now, limit int64) {
	if p.peer.checkStuck(now, limit) {
		p.r.Stats.WriteTimeouts.Add(1)
		p.r.log.Warn("peer stopped reading; disconnected", "remote", p.peer.conn.RemoteAddr().String())
	}
	if p.up.Load().checkStuck(now, limit) {
		p.r.Stats.WriteTimeouts.Add(1)
		p.r.log.Warn("upstream stopped reading; reconnecting", "upstream", p.r.cfg.Upstream.String())
	}
}

// run serves the pair until the peer goes away.
func (p *pair) run() {
	r := p.r
	r.Stats.ActivePairs.Add(1)
	log := r.log.With("peer", p.peer.conn.RemoteAddr().String())
	log.Info("peer connected", "transport", p.peer.conn.Kind().String())
	p.wg.Add(1)
	go p.supervise()
	err := p.peerLoop()
	if errors.Is(err, net.ErrClosed) {
		if werr := p.peerWriteErr.Load(); werr != nil {
			err = *werr // the connection failed under a write (the peer aborted)
		}
	}
	p.life.Lock()
	p.ended = true
	close(p.done)
	up := p.up.Swap(nil)
	p.life.Unlock()
	if up != nil {
		up.conn.Close()
		r.Stats.UpstreamUp.Add(-1)
	}
	p.peer.conn.Close()
	p.wg.Wait()
	r.Stats.ActivePairs.Add(-1)
	if isReset(err) {
		r.Stats.PeerResets.Add(1)
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrClosed) {
		log.Info("peer connection ended", "err", err)
	} else {
		log.Info("peer disconnected")
	}
}

// reader is the per-goroutine state of one direction: no allocation and
// no sharing on the per-message path.
type reader struct {
	buf   []byte
	msg   view.Message
	judge *engine.Judge
	b     diameter.Builder
}

func (p *pair) newReader() *reader {
	return &reader{buf: make([]byte, 0, p.r.cfg.MaxMessage), judge: p.r.eng.NewJudge()}
}

// peerLoop reads the peer until its connection ends.
func (p *pair) peerLoop() error {
	rd := p.newReader()
	for {
		m, err := p.peer.conn.ReadMessage(rd.buf)
		if err == nil {
			p.r.throttle(p.peer.conn.RemoteAddr().Addr())
		}
		switch {
		case errors.Is(err, transport.ErrTooLarge):
			p.r.Stats.Oversized.Add(1)
			p.answerPeer(rd, m, p.r.cfg.RejectResultCode, answerOversized)
			continue
		case errors.Is(err, transport.ErrFraming):
			p.r.Stats.FramingErrors.Add(1)
			p.r.log.Warn("peer sent bytes that are not Diameter; disconnected", "remote", p.peer.conn.RemoteAddr().String())
			return err
		case errors.Is(err, transport.ErrReadTimeout):
			p.r.Stats.ReadTimeouts.Add(1)
			p.r.log.Warn("peer sent no whole message within read_timeout; disconnected", "remote", p.peer.conn.RemoteAddr().String())
			return err
		case err != nil:
			return err
		}
		if err := p.fromPeer(rd, m); err != nil {
			return err
		}
	}
}

// fromPeer judges one message from the peer and carries out the verdict.
// A returned error ends the pair.
func (p *pair) fromPeer(rd *reader, m transport.Message) error {
	v := &rd.msg
	diameter.Decode(m.Data, v)
	v.Time, v.Src, v.Dst = time.Now(), p.peer.conn.RemoteAddr(), p.r.cfg.Upstream.AddrPort()
	verdict := rd.judge.Judge(v)
	if p.r.cfg.Observe != nil {
		p.r.cfg.Observe(p.r.cfg.Name, v, verdict)
	}
	switch verdict.Action {
	case rules.Reject:
		p.r.Stats.Blocked.Add(1)
		p.r.block.record(v, &verdict)
		p.answerPeer(rd, m, p.resultCode(&verdict), answerRejected)
		if v.Code == diameter.CmdCapabilitiesExchange {
			return errors.New("capabilities exchange rejected by rule " + verdict.Rule.ID)
		}
		return nil
	case rules.Drop:
		p.r.Stats.Blocked.Add(1)
		p.r.block.record(v, &verdict)
		return nil
	}
	return p.forwardToUpstream(rd, m)
}

func (p *pair) resultCode(v *engine.Verdict) uint32 {
	if v.ResultCode != 0 {
		return v.ResultCode
	}
	return p.r.cfg.RejectResultCode
}

// forwardToUpstream relays an allowed peer message, or stands in for the
// upstream when it cannot take it.
func (p *pair) forwardToUpstream(rd *reader, m transport.Message) error {
	v := &rd.msg
	hbh := uint32(v.Transaction)
	if !v.Request && v.Code == diameter.CmdDisconnectPeer && p.dprPeer.Load() == uint64(hbh)|present {
		signal(p.dpaFromPeer) // the answer to our own shutdown DPR
		return nil
	}
	if v.Request && p.draining.Load() {
		p.answerPeer(rd, m, diameter.ResultUnableToDeliver, answerUnavailable)
		return nil
	}
	if v.Request && v.Code == diameter.CmdCapabilitiesExchange {
		p.rememberCER(m.Data, v)
	}
	up := p.up.Load()
	if up == nil && v.Request && v.Code == diameter.CmdCapabilitiesExchange {
		up = p.waitUpstream()
		if up == nil {
			return errors.New("upstream " + p.r.cfg.Upstream.String() + " unreachable during the capabilities exchange")
		}
	}
	if up == nil {
		return p.standInForUpstream(rd, m)
	}
	if v.Request {
		p.toUpstream.add(up, m, hbh, v.Time.UnixNano())
	} else {
		p.toPeer.remove(hbh)
	}
	if err := up.write(m); err != nil {
		p.upstreamFailed(up, err) // answers it, unless it never got in toUpstream
		if v.Request && p.toUpstream.remove(hbh) {
			p.answerPeer(rd, m, diameter.ResultUnableToDeliver, answerUnavailable)
		}
		return nil
	}
	if v.Request && v.Code == diameter.CmdCapabilitiesExchange {
		p.cerSent.Store(true)
	}
	if v.Request && v.Code == diameter.CmdDisconnectPeer {
		p.over.Store(true)
	}
	p.r.Stats.ToUpstream.Add(1)
	return nil
}

// standInForUpstream answers what the peer sends while the upstream is
// down: watchdogs are answered so that the peer keeps the connection,
// requests get 3002 so that it can try another route, a DPR is
// acknowledged and ends the pair.
func (p *pair) standInForUpstream(rd *reader, m transport.Message) error {
	v := &rd.msg
	if !v.Request {
		return nil // an answer to an upstream request that can no longer be delivered
	}
	switch v.Code {
	case diameter.CmdDeviceWatchdog:
		p.answerPeer(rd, m, diameter.ResultSuccess, answerWatchdog)
	case diameter.CmdDisconnectPeer:
		p.answerPeer(rd, m, diameter.ResultSuccess, answerDisconnect)
		return io.EOF
	default:
		p.answerPeer(rd, m, diameter.ResultUnableToDeliver, answerUnavailable)
	}
	return nil
}

// answerPeer answers a peer request in the upstream's name.
func (p *pair) answerPeer(rd *reader, m transport.Message, result uint32, reason int) {
	id := p.upstreamIdentity()
	ans, ok := rd.b.Answer(m.Data, result, id.host, id.realm)
	if !ok {
		return
	}
	p.r.Stats.LocalAnswers[reason].Add(1)
	if err := p.peer.write(transport.Message{Data: ans, Stream: m.Stream, PPID: ppidOf(m)}); err != nil {
		p.peerFailed(err)
	}
}

// peerFailed closes the peer's connection after a write to it failed;
// its reader then ends the pair, and run logs err as the reason.
func (p *pair) peerFailed(err error) {
	if err != nil && !errors.Is(err, net.ErrClosed) {
		p.peerWriteErr.CompareAndSwap(nil, &err)
	}
	p.peer.conn.Close()
}

// answerUpstream answers an upstream request in the peer's name.
func (p *pair) answerUpstream(rd *reader, up *endpoint, m transport.Message, result uint32, reason int) {
	id := p.peerIdentity()
	ans, ok := rd.b.Answer(m.Data, result, id.host, id.realm)
	if !ok {
		return
	}
	p.r.Stats.LocalAnswers[reason].Add(1)
	if err := up.write(transport.Message{Data: ans, Stream: m.Stream, PPID: ppidOf(m)}); err != nil {
		p.upstreamFailed(up, err)
	}
}

func ppidOf(m transport.Message) uint32 {
	if m.PPID != 0 {
		return m.PPID
	}
	return ppidDiameter
}

func (p *pair) upstreamIdentity() identity {
	if id := p.upstreamID.Load(); id != nil {
		return *id
	}
	return identity{p.r.cfg.OriginHost, p.r.cfg.OriginRealm}
}

func (p *pair) peerIdentity() identity {
	if id := p.peerID.Load(); id != nil {
		return *id
	}
	return identity{p.r.cfg.OriginHost, p.r.cfg.OriginRealm}
}

// rememberCER keeps the peer's CER (and its identity) for replay to a
// reconnected upstream. It runs once per connection, off the hot path.
func (p *pair) rememberCER(raw []byte, v *view.Message) {
	p.cerMu.Lock()
	p.cer = append(p.cer[:0], raw...)
	p.cerMu.Unlock()
	p.peerID.Store(&identity{string(v.OriginHost), string(v.OriginRealm)})
}

// cerToReplay returns a copy of the peer's CER if an earlier upstream
// connection carried it, or nil.
func (p *pair) cerToReplay() []byte {
	if !p.cerSent.Load() {
		return nil
	}
	p.cerMu.Lock()
	defer p.cerMu.Unlock()
	return append([]byte(nil), p.cer...)
}

// waitUpstream waits up to the connect timeout for the supervisor to
// bring the upstream up (a CER cannot be answered without it).
func (p *pair) waitUpstream() *endpoint {
	deadline := time.Now().Add(p.r.cfg.ConnectTimeout)
	for time.Now().Before(deadline) {
		if up := p.up.Load(); up != nil {
			return up
		}
		select {
		case <-p.done:
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	return p.up.Load()
}

// upstreamLoop reads the upstream until its connection ends.
func (p *pair) upstreamLoop(up *endpoint) {
	defer p.wg.Done()
	rd := p.newReader()
	var err error
	for {
		var m transport.Message
		m, err = up.conn.ReadMessage(rd.buf)
		if errors.Is(err, transport.ErrTooLarge) {
			p.r.Stats.Oversized.Add(1)
			p.answerUpstream(rd, up, m, p.r.cfg.RejectResultCode, answerOversized)
			continue
		}
		if err != nil {
			if errors.Is(err, transport.ErrFraming) {
				p.r.Stats.FramingErrors.Add(1)
			}
			break
		}
		p.fromUpstream(rd, up, m)
	}
	p.upstreamFailed(up, err)
}

// fromUpstream judges one message from the upstream and carries out the
// verdict.
func (p *pair) fromUpstream(rd *reader, up *endpoint, m transport.Message) {
	v := &rd.msg
	diameter.Decode(m.Data, v)
	v.Time, v.Src, v.Dst = time.Now(), up.conn.RemoteAddr(), p.peer.conn.RemoteAddr()
	verdict := rd.judge.Judge(v)
	if p.r.cfg.Observe != nil {
		p.r.cfg.Observe(p.r.cfg.Name, v, verdict)
	}
	switch verdict.Action {
	case rules.Reject:
		p.r.Stats.Blocked.Add(1)
		p.r.block.record(v, &verdict)
		p.answerUpstream(rd, up, m, p.resultCode(&verdict), answerRejected)
		return
	case rules.Drop:
		p.r.Stats.Blocked.Add(1)
		p.r.block.record(v, &verdict)
		return
	}
	hbh := uint32(v.Transaction)
	if !v.Request {
		if v.Code == diameter.CmdDisconnectPeer && p.dprUp.Load() == uint64(hbh)|present {
			signal(p.dpaFromUp)
			return
		}
		refused := false
		if v.Code == diameter.CmdCapabilitiesExchange {
			if v.ResultCode == diameter.ResultSuccess {
				p.upstreamID.Store(&identity{string(v.OriginHost), string(v.OriginRealm)})
			} else {
				refused = true // the upstream will close; so must the peer
				p.over.Store(true)
			}
		}
		p.toUpstream.remove(hbh)
		if err := p.peer.write(m); err != nil || refused {
			p.peerFailed(err) // the peer's reader then ends the pair
			return
		}
		p.r.Stats.ToPeer.Add(1)
		return
	}
	if p.draining.Load() {
		p.answerUpstream(rd, up, m, diameter.ResultUnableToDeliver, answerUnavailable)
		return
	}
	if v.Code == diameter.CmdDisconnectPeer {
		p.over.Store(true) // the upstream is leaving: do not reconnect behind the peer's back
	}
	p.toPeer.add(hbh)
	if err := p.peer.write(m); err != nil {
		p.peerFailed(err) // the peer is gone: its reader ends the pair
		return
	}
	p.r.Stats.ToPeer.Add(1)
}

// upstreamFailed retires an upstream connection (once) and wakes the
// supervisor to reconnect.
func (p *pair) upstreamFailed(up *endpoint, err error) {
	if !p.up.CompareAndSwap(up, nil) {
		return
	}
	up.conn.Close()
	p.r.Stats.UpstreamUp.Add(-1)
	if p.over.Load() {
		// The peers said goodbye (DPR/DPA) or refused each other (CEA):
		// the peer's connection ends with the upstream's.
		p.peer.conn.Close()
		return
	}
	select {
	case <-p.done:
	default:
		p.r.log.Warn("upstream connection lost", "upstream", p.r.cfg.Upstream.String(), "err", err)
	}
	signal(p.upDown)
	p.answerOutstanding(up)
}

// answerOutstanding answers, in the upstream's name, the requests that
// went out on a failed upstream connection and were not answered: 3002
// DIAMETER_UNABLE_TO_DELIVER, so that the peer sends them another way as
// it does any request while the upstream is down (a DWR gets its DWA).
// Nobody else would: the answer cannot come any more, and the peer's own
// connection is up, so its failover does not start.
func (p *pair) answerOutstanding(up *endpoint) {
	pending := p.toUpstream.take(up)
	if len(pending) == 0 {
		return
	}
	var rb, ab diameter.Builder
	id := p.upstreamIdentity()
	for i := range pending {
		r := &pending[i]
		result, reason := diameter.ResultUnableToDeliver, answerUnavailable
		if r.code == diameter.CmdDeviceWatchdog {
			result, reason = diameter.ResultSuccess, answerWatchdog
		}
		ans, ok := ab.Answer(r.request(&rb), result, id.host, id.realm)
		if !ok {
			continue
		}
		p.r.Stats.LocalAnswers[reason].Add(1)
		if err := p.peer.write(transport.Message{Data: ans, Stream: r.stream, PPID: ppidOf(transport.Message{PPID: r.ppid})}); err != nil {
			p.peerFailed(err)
			return
		}
	}
	p.r.log.Warn("requests outstanding on the lost upstream connection answered with 3002 DIAMETER_UNABLE_TO_DELIVER",
		"upstream", p.r.cfg.Upstream.String(), "requests", len(pending))
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// supervise keeps the upstream connected while the pair lives, with
// exponential backoff between failed attempts.
func (p *pair) supervise() {
	defer p.wg.Done()
	const maxBackoff = 30 * time.Second
	backoff := 100 * time.Millisecond
	failures := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-p.done
		cancel()
	}()
	for {
		if p.up.Load() == nil && !p.draining.Load() {
			up, err := p.connect(ctx)
			if err != nil {
				p.r.Stats.UpstreamFailures.Add(1)
				failures++
				if failures == 1 || failures%10 == 0 {
					p.r.log.Warn("upstream unreachable; retrying", "upstream", p.r.cfg.Upstream.String(), "attempts", failures, "err", err)
				}
				select {
				case <-p.done:
					return
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, maxBackoff)
				continue
			}
			if up == nil {
				return // the upstream refused the replayed capabilities exchange
			}
			failures, backoff = 0, 100*time.Millisecond
			p.life.Lock()
			if p.ended {
				p.life.Unlock()
				up.conn.Close()
				return
			}
			p.r.Stats.UpstreamConnects.Add(1)
			p.r.Stats.UpstreamUp.Add(1)
			p.wg.Add(1)
			p.up.Store(up)
			p.life.Unlock()
			go p.upstreamLoop(up)
		}
		select {
		case <-p.done:
			return
		case <-p.upDown:
		}
	}
}

// connect dials the upstream and, when the peer has already exchanged
// capabilities, replays its CER so that the upstream sees the same peer
// again. It returns (nil, nil) when the upstream refuses that CER: the
// pair then ends, as it would have without Breakwater in the path.
func (p *pair) connect(ctx context.Context) (*endpoint, error) {
	c, err := transport.Dial(ctx, p.r.cfg.Upstream, p.r.transportOptions(p.r.cfg.UpstreamSource))
	if err != nil {
		return nil, err
	}
	up := &endpoint{conn: c}
	cer := p.cerToReplay()
	if cer == nil {
		return up, nil
	}
	if err := up.write(transport.Message{Data: cer, PPID: ppidDiameter}); err != nil {
		c.Close()
		return nil, err
	}
	c.SetReadDeadline(time.Now().Add(p.r.cfg.ConnectTimeout))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 0, p.r.cfg.MaxMessage)
	for {
		m, err := c.ReadMessage(buf)
		if err != nil {
			c.Close()
			return nil, err
		}
		var v view.Message
		if diameter.Decode(m.Data, &v) != nil || v.Request || v.Code != diameter.CmdCapabilitiesExchange {
			continue // nothing else is expected before the CEA
		}
		if v.ResultCode != diameter.ResultSuccess {
			c.Close()
			p.r.log.Warn("upstream refused the replayed capabilities exchange; closing the peer", "result_code", v.ResultCode)
			p.peer.conn.Close()
			return nil, nil
		}
		p.upstreamID.Store(&identity{string(v.OriginHost), string(v.OriginRealm)})
		p.r.log.Info("upstream reconnected; capabilities exchange replayed", "upstream", p.r.cfg.Upstream.String())
		return up, nil
	}
}

// shutdown drains and closes the pair: new requests get 3002, in-flight
// ones are given until ctx ends to be answered, then each side gets a DPR
// in the other side's name and the connections close.
func (p *pair) shutdown(ctx context.Context) {
	p.draining.Store(true)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for p.toUpstream.len() > 0 || p.toPeer.len() > 0 {
		select {
		case <-ctx.Done():
			p.closeBoth()
			return
		case <-p.done:
			return
		case <-t.C:
		}
	}
	var b diameter.Builder
	hbh := uint32(time.Now().UnixNano())
	waits := 0
	if up := p.up.Load(); up != nil {
		id := p.peerIdentity()
		p.dprUp.Store(uint64(hbh) | present)
		if up.write(transport.Message{Data: b.DisconnectPeer(hbh, hbh, id.host, id.realm), PPID: ppidDiameter}) == nil {
			waits++
		}
	}
	id := p.upstreamIdentity()
	p.dprPeer.Store(uint64(hbh+1) | present)
	if p.peer.write(transport.Message{Data: b.DisconnectPeer(hbh+1, hbh+1, id.host, id.realm), PPID: ppidDiameter}) == nil {
		waits++
	}
	wait := time.NewTimer(2 * time.Second) // one bound for both DPAs
	defer wait.Stop()
	for got := 0; got < waits; got++ {
		select {
		case <-p.dpaFromUp:
		case <-p.dpaFromPeer:
		case <-p.done:
			got = waits
		case <-ctx.Done():
			got = waits
		case <-wait.C:
			got = waits
		}
	}
	p.closeBoth()
}

// closeBoth ends both connections on purpose (no reconnect, no warning).
func (p *pair) closeBoth() {
	p.over.Store(true)
	if up := p.up.Swap(nil); up != nil {
		up.conn.Close()
		p.r.Stats.UpstreamUp.Add(-1)
	}
	p.peer.conn.Close()
}

func (p *pair) peerAddr() netip.Addr { return p.peer.conn.RemoteAddr().Addr() }
