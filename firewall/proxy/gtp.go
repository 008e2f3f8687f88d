package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/ratelimit"
	"breakwater/firewall/rules"
	"breakwater/firewall/transport"
	"breakwater/protocols/gtp"
	"breakwater/protocols/view"
)

// # GTP-C: a proxy that both sides talk to
//
// GTP-C runs over UDP between nodes that address each other by the
// control-plane endpoints they announce in their messages (F-TEID, GSN
// Address): a home PGW sends its next requests to the address the
// partner's SGW announced, not to the packet's source. To stay in the path
// of every message of a session, the relay announces itself on each side:
// it rewrites the sender's control-plane address to its own address facing
// the receiver (TEIDs are untouched), and it renumbers requests into its
// own sequence space so that responses come back to it and can be matched
// to the original sender. Toward home it also stands in for the partner's
// control-plane TEIDs (see teidMap): home nodes see one peer, the relay,
// and the TEIDs it hands out are unique even when two partner nodes chose
// the same one. User-plane F-TEIDs are not touched: user traffic does not
// cross Breakwater.
//
// Path management is per hop: the relay answers Echo itself, with a
// restart counter per side, and writes that counter into the Recovery IEs
// it relays, since a peer seeing two counters from one address would take
// it for a restart and delete every session with it (TS 23.007). The
// home-facing counter never changes while the relay runs; the
// partner-facing one moves when the upstream node's Recovery does, so
// partners learn of a home restart as they would without the relay. A
// partner node's restart is not passed on (home would delete every
// partner's sessions); its stale sessions at home end by their own
// Delete requests or timers.

// GTPConfig is one GTP-C relay's settings (from config.GTPRelay).
type GTPConfig struct {
	Name           string
	Listen         transport.Address // partner-facing socket
	Upstream       transport.Address // home PGW/GGSN
	UpstreamSource transport.Address // home-facing socket; Kind 0: the listen socket serves both sides
	RejectCauseV2  uint8
	RejectCauseV1  uint8
	RequestTimeout time.Duration
	MaxMessage     int
	// MaxTunnels sizes the table of partner control-plane endpoints the
	// relay stands in for; TunnelIdle is how long an unused one is kept.
	MaxTunnels int
	TunnelIdle time.Duration
	// Limiter, when set, applies the partners' rate_limit in user space
	// (when no XDP pre-filter does): datagrams over the limit are dropped.
	Limiter *ratelimit.Limiter
	// Observe, when set, sees every message the relay judges, with its
	// verdict (the audit log, the automatic quarantine). It runs on the
	// message path and must not block.
	Observe Observer
	// Quarantined, when set, says whether a partner is isolated: its
	// datagrams are dropped unread (counted in Stats.Quarantined).
	Quarantined func(partner string) bool
}

// GTPStats counts what a GTP relay did. Fields are updated atomically.
type GTPStats struct {
	Received         atomic.Uint64 // datagrams read
	ToUpstream       atomic.Uint64 // messages relayed toward home
	ToPartner        atomic.Uint64 // messages relayed toward partners
	Blocked          atomic.Uint64 // rejected or dropped by the engine
	Rejected         atomic.Uint64 // rejection responses sent
	EchoAnswered     atomic.Uint64
	Unmatched        atomic.Uint64 // responses to no request the relay forwarded
	Unroutable       atomic.Uint64 // home requests for a TEID the relay never handed out
	UpstreamRestarts atomic.Uint64 // changes of the upstream node's restart counter
	TunnelsEvicted   atomic.Uint64 // partner endpoints dropped from a full TEID table before their idle time
	RewriteFailures  atomic.Uint64 // endpoints of an address family the relay has no address for
	Retransmissions  atomic.Uint64 // requests forwarded again under the same relay sequence number
	RateLimited      atomic.Uint64 // datagrams dropped over their partner's rate_limit
	Quarantined      atomic.Uint64 // datagrams dropped from quarantined partners
}

// GTPRelay is an inline GTP-C relay.
type GTPRelay struct {
	cfg   GTPConfig
	eng   *engine.Engine
	log   *slog.Logger
	block *blockLog
	Stats GTPStats
	// Restart counters announced toward home and toward partners.
	homeRestart    uint8
	partnerRestart atomic.Uint32
	upstreamSeen   atomic.Uint32 // the upstream's counter + 1; 0: not seen yet

	partnerSide, homeSide *net.UDPConn
	upstream              netip.AddrPort
	// Addresses announced in rewritten control-plane endpoints: toward
	// home (partners' stand-in) and toward partners (home's stand-in).
	homeFacing, partnerFacing [2]netip.Addr // [v4, v6]

	toHome, toPartner seqTable // requests in flight in each direction
	teids             *teidMap

	closing atomic.Bool
	wg      sync.WaitGroup
}

// NewGTPRelay prepares a relay; Start opens its sockets.
func NewGTPRelay(cfg GTPConfig, eng *engine.Engine, log *slog.Logger) *GTPRelay {
	l := log.With("relay", cfg.Name)
	if cfg.MaxTunnels <= 0 {
		cfg.MaxTunnels = 1 << 16
	}
	if cfg.TunnelIdle <= 0 {
		cfg.TunnelIdle = 7 * 24 * time.Hour
	}
	r := &GTPRelay{cfg: cfg, eng: eng, log: l, block: &blockLog{log: l, perSecond: 20},
		homeRestart: uint8(time.Now().Unix()), teids: newTEIDMap(cfg.MaxTunnels, int64(cfg.TunnelIdle))}
	r.partnerRestart.Store(uint32(r.homeRestart))
	return r
}

// Name is the relay's configured name.
func (r *GTPRelay) Name() string { return r.cfg.Name }

// Addr is the partner-facing address (its port is known after Start).
func (r *GTPRelay) Addr() netip.AddrPort { return r.partnerSide.LocalAddr().(*net.UDPAddr).AddrPort() }

// HomeAddr is the home-facing address.
func (r *GTPRelay) HomeAddr() netip.AddrPort { return r.homeSide.LocalAddr().(*net.UDPAddr).AddrPort() }

func family(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// Start binds the sockets and serves in the background.
func (r *GTPRelay) Start() error {
	var err error
	if r.partnerSide, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(r.cfg.Listen.AddrPort())); err != nil {
		return err
	}
	r.homeSide = r.partnerSide
	if r.cfg.UpstreamSource.Kind != 0 {
		if r.homeSide, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(r.cfg.UpstreamSource.AddrPort())); err != nil {
			r.partnerSide.Close()
			return err
		}
	}
	r.upstream = r.cfg.Upstream.AddrPort()
	p, h := r.Addr().Addr(), r.HomeAddr().Addr()
	r.partnerFacing[family(p)] = p
	r.homeFacing[family(h)] = h
	r.toHome.init(r.cfg.RequestTimeout)
	r.toPartner.init(r.cfg.RequestTimeout)
	r.log.Info("gtp relay listening", "listen", r.Addr().String(), "home_side", r.HomeAddr().String(), "upstream", r.upstream.String())
	r.wg.Add(1)
	go r.readLoop(r.partnerSide)
	if r.homeSide != r.partnerSide {
		r.wg.Add(1)
		go r.readLoop(r.homeSide)
	}
	return nil
}

// Shutdown closes the sockets. GTP-C over UDP has no connection to take
// down: in-flight requests are retransmitted by their senders.
func (r *GTPRelay) Shutdown(ctx context.Context) error {
	r.closing.Store(true)
	r.partnerSide.Close()
	if r.homeSide != r.partnerSide {
		r.homeSide.Close()
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("gtp relay " + r.cfg.Name + ": readers still running at the shutdown deadline")
	}
}

// gtpReader is one socket reader's own state: nothing on the message path
// is shared with the other reader but the sequence and route tables.
type gtpReader struct {
	buf   []byte
	msg   view.Message
	judge *engine.Judge
	b     gtp.Builder
}

func (r *GTPRelay) readLoop(c *net.UDPConn) {
	defer r.wg.Done()
	rd := &gtpReader{buf: make([]byte, r.cfg.MaxMessage), judge: r.eng.NewJudge()}
	for {
		n, src, err := c.ReadFromUDPAddrPort(rd.buf)
		if err != nil {
			if r.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			r.log.Warn("read failed", "err", err)
			continue
		}
		r.Stats.Received.Add(1)
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		r.datagram(rd, rd.buf[:n], src)
	}
}

// datagram handles one datagram: each message in it (GTPv2 may piggyback
// a second) is judged; all must be allowed for the datagram to go on.
func (r *GTPRelay) datagram(rd *gtpReader, d []byte, src netip.AddrPort) {
	sender := r.eng.Policy().Net.SenderOf(src.Addr())
	fromHome := sender != nil && sender.Home
	now := time.Now()
	v := &rd.msg
	if q := r.cfg.Quarantined; q != nil && sender != nil && !sender.Home && q(sender.Name) {
		r.Stats.Quarantined.Add(1)
		return
	}
	if lim := r.cfg.Limiter; lim != nil && sender != nil && sender.RatePPS != 0 &&
		lim.Take(src.Addr(), now, sender.RatePPS, sender.RateBurst) != 0 {
		lim.Dropped.Add(1)
		r.Stats.RateLimited.Add(1)
		return
	}

	// Echo is path management between Breakwater and that peer.
	if len(d) > 1 && d[1] == 1 {
		restart := uint8(r.partnerRestart.Load())
		if fromHome {
			restart = r.homeRestart
		}
		if resp, ok := rd.b.EchoResponse(d, restart); ok {
			if sender != nil { // never answer an unknown source
				r.socketFor(fromHome).WriteToUDPAddrPort(resp, src)
				r.Stats.EchoAnswered.Add(1)
			}
			return
		}
	}
	if len(d) > 1 && d[1] == 2 {
		return // an Echo Response to nothing the relay sent
	}

	// First pass: give responses back their original sequence number
	// (so that the engine matches them with the requests it judged), and
	// judge every message of the datagram before changing anything else.
	var dst netip.AddrPort
	off := 0
	for off < len(d) {
		part := d[off:]
		to, ok := r.restoreResponse(part, fromHome)
		if !ok {
			return
		}
		if fromHome {
			// Home addresses partner sessions by the relay's TEIDs.
			node, ok := r.restoreTEID(part, now)
			if !ok {
				return
			}
			if node.IsValid() && !to.IsValid() {
				to = node // a request: to the node behind the TEID
			}
		}
		n, _ := gtp.Decode(part, v)
		v.Time, v.Src = now, src
		if v.Request && !fromHome {
			to = r.upstream
		}
		if !to.IsValid() {
			if v.Request {
				r.Stats.Unroutable.Add(1)
			}
			return
		}
		dst, v.Dst = to, to
		verdict := rd.judge.Judge(v)
		if r.cfg.Observe != nil {
			r.cfg.Observe(r.cfg.Name, v, verdict)
		}
		if verdict.Action != rules.Allow {
			r.Stats.Blocked.Add(1)
			r.block.record(v, &verdict)
			if verdict.Action == rules.Reject {
				r.reject(rd, part, v, &verdict, src, fromHome)
			}
			return
		}
		if n == 0 || !gtp.HasPiggyback(part) {
			break
		}
		off += n
	}
	// Second pass: renumber requests and announce the relay as endpoint.
	for off = 0; off < len(d); {
		part := d[off:]
		n, err := gtp.Decode(part, v)
		if err != nil || !r.rewrite(part, v, src, fromHome, now) {
			return
		}
		if n == 0 || !gtp.HasPiggyback(part) {
			break
		}
		off += n
	}
	if _, err := r.socketFor(!fromHome).WriteToUDPAddrPort(d, dst); err != nil {
		r.log.Warn("send failed", "to", dst.String(), "err", err)
		return
	}
	if fromHome {
		r.Stats.ToPartner.Add(1)
	} else {
		r.Stats.ToUpstream.Add(1)
	}
}

// socketFor returns the socket facing home (true) or the partners.
func (r *GTPRelay) socketFor(home bool) *net.UDPConn {
	if home {
		return r.homeSide
	}
	return r.partnerSide
}

// restoreResponse gives a response the sequence number of the request it
// answers (the relay forwarded that request under its own number) and
// returns where the response goes. Requests and unparseable messages pass
// unchanged (the engine judges them); a response to nothing the relay
// forwarded is dropped.
func (r *GTPRelay) restoreResponse(part []byte, fromHome bool) (netip.AddrPort, bool) {
	h, err := gtp.ParseHeader(part)
	if err != nil || gtp.TypeRole(h.Version, h.Type) != gtp.RoleResponse {
		return netip.AddrPort{}, true
	}
	tab := &r.toHome // a home response answers a partner's request
	if !fromHome {
		tab = &r.toPartner
	}
	o, ok := tab.peek(h.Version, h.Sequence)
	if !ok {
		r.Stats.Unmatched.Add(1)
		return netip.AddrPort{}, false
	}
	gtp.SetSequence(part, o.seq)
	return o.from, true
}

// restoreTEID gives a message from home the partner's TEID in place of
// the relay's and returns the partner node it belongs to (no address when
// the header has no TEID or TEID 0). A TEID the relay never handed out, or
// no longer holds, cannot be delivered: false.
func (r *GTPRelay) restoreTEID(part []byte, now time.Time) (netip.AddrPort, bool) {
	h, err := gtp.ParseHeader(part)
	if err != nil || !h.TEIDPresent || h.TEID == 0 {
		return netip.AddrPort{}, true
	}
	k, ok := r.teids.get(h.TEID, now.UnixNano())
	if !ok {
		if gtp.TypeRole(h.Version, h.Type) == gtp.RoleRequest {
			r.Stats.Unroutable.Add(1)
		} else {
			r.Stats.Unmatched.Add(1)
		}
		return netip.AddrPort{}, false
	}
	gtp.SetTEID(part, k.teid)
	return k.node, true
}

// rewrite renumbers one judged message and announces the relay as its
// sender's control-plane endpoint (with a TEID of the relay's toward home)
// and restart counter.
func (r *GTPRelay) rewrite(part []byte, v *view.Message, src netip.AddrPort, fromHome bool, now time.Time) bool {
	version := gtpVersion(v)
	facing := r.homeFacing // a partner's message goes home
	if fromHome {
		facing = r.partnerFacing
	}
	var local uint32
	if !fromHome && v.SenderTEID != 0 {
		// Home will address this partner session by the relay's TEID;
		// the relay sends home's messages for it to the endpoint the
		// partner announced.
		for _, a := range v.SenderAddrs {
			if a.IsValid() {
				var evicted bool
				local, evicted = r.teids.put(teidKey{netip.AddrPortFrom(a, 2123), v.SenderTEID}, now.UnixNano())
				if evicted {
					r.Stats.TunnelsEvicted.Add(1)
				}
				break
			}
		}
	}
	if v.Request {
		tab := &r.toHome
		if fromHome {
			tab = &r.toPartner
		}
		seq, retransmit := tab.assign(version, src, uint32(v.Transaction), v.Code)
		if retransmit {
			r.Stats.Retransmissions.Add(1)
		}
		gtp.SetSequence(part, seq)
	}
	if hasSenderEndpoint(v) {
		if _, err := gtp.RewriteSender(part, facing[0], facing[1], v.SenderTEID, local); err != nil {
			r.Stats.RewriteFailures.Add(1)
			r.log.Warn("cannot announce the relay as endpoint: no address of that family", "src", src.String(), "op", v.Op)
			return false
		}
	}
	if fromHome {
		old, ok := gtp.SetRecovery(part, uint8(r.partnerRestart.Load()))
		if ok && src.Addr() == r.upstream.Addr() && r.upstreamRecovery(old) {
			gtp.SetRecovery(part, uint8(r.partnerRestart.Load()))
		}
	} else {
		gtp.SetRecovery(part, r.homeRestart)
	}
	return true
}

// upstreamRecovery notes the upstream node's restart counter and reports
// whether it changed: then the node restarted and lost its sessions, and the relay's
// partner-facing counter moves on so that partners learn it. Only the
// upstream's own messages count: other home nodes behind the relay have
// counters of their own.
func (r *GTPRelay) upstreamRecovery(c uint8) (restarted bool) {
	prev := r.upstreamSeen.Swap(uint32(c) + 1)
	if prev == 0 || prev == uint32(c)+1 {
		return false
	}
	n := uint8(r.partnerRestart.Add(1))
	r.Stats.UpstreamRestarts.Add(1)
	r.log.Warn("upstream restarted: announcing a new restart counter to partners",
		"upstream", r.upstream.String(), "recovery", c, "partner_restart", n)
	return true
}

func hasSenderEndpoint(v *view.Message) bool {
	return v.SenderAddrs[0].IsValid() || v.SenderAddrs[1].IsValid()
}

func gtpVersion(v *view.Message) uint8 {
	if v.Protocol == view.GTPv1C {
		return 1
	}
	return 2
}

// reject answers a blocked request with the rule's cause (or the relay's
// default for the version), with the sender's own sequence number.
func (r *GTPRelay) reject(rd *gtpReader, req []byte, v *view.Message, verdict *engine.Verdict, to netip.AddrPort, fromHome bool) {
	if !v.Request {
		return
	}
	cause := r.cfg.RejectCauseV2
	if v.Protocol == view.GTPv1C {
		cause = r.cfg.RejectCauseV1
	}
	if c := verdict.ResultCode; c > 0 && c < 256 {
		cause = uint8(c)
	}
	resp, ok := rd.b.Reject(req, cause)
	if !ok {
		return
	}
	if _, err := r.socketFor(fromHome).WriteToUDPAddrPort(resp, to); err == nil {
		r.Stats.Rejected.Add(1)
	}
}

// seqTable holds the requests the relay forwarded in one direction under
// its own sequence numbers: origin, original number, when. Fixed arrays,
// no allocation; the two socket readers share it under one short lock.
type seqTable struct {
	mu      sync.Mutex
	ttl     int64
	next    [3]uint32 // per GTP version (1, 2)
	entries [2][1 << 16]seqEntry
	// bySource finds a retransmitted request's relay number again.
	bySource [1 << 16]sourceEntry
}

type seqEntry struct {
	seq  uint32 // the relay's number (v2 numbers exceed the index)
	from netip.AddrPort
	orig uint32
	at   int64
	used bool
}

type sourceEntry struct {
	key uint64
	seq uint32
	at  int64
}

type origin struct {
	from netip.AddrPort
	seq  uint32
}

func (t *seqTable) init(ttl time.Duration) { t.ttl = int64(ttl) }

func seqMask(version uint8) uint32 {
	if version == 1 {
		return 0xffff
	}
	return 0xffffff
}

// assign gives a request the relay's sequence number; a retransmission
// (same sender, number and type within the timeout) gets the same one.
func (t *seqTable) assign(version uint8, from netip.AddrPort, orig uint32, typ uint32) (uint32, bool) {
	now := time.Now().UnixNano()
	key := sourceKey(from, orig, typ, version)
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.bySource[key&0xffff]
	if s.key == key && now-s.at < t.ttl {
		if e := &t.entries[version-1][s.seq&0xffff]; e.used && e.seq == s.seq {
			e.at = now
			return s.seq, true
		}
	}
	t.next[version] = (t.next[version] + 1) & seqMask(version)
	seq := t.next[version]
	t.entries[version-1][seq&0xffff] = seqEntry{seq: seq, from: from, orig: orig, at: now, used: true}
	*s = sourceEntry{key: key, seq: seq, at: now}
	return seq, false
}

// peek finds the request a response answers. Entries are not consumed: a
// response is retransmitted when its request is, so the entry stays until
// it ages out.
func (t *seqTable) peek(version uint8, seq uint32) (origin, bool) {
	now := time.Now().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := &t.entries[version-1][seq&0xffff]
	if !e.used || e.seq != seq || now-e.at > t.ttl {
		return origin{}, false
	}
	return origin{from: e.from, seq: e.orig}, true
}

func sourceKey(from netip.AddrPort, seq, typ uint32, version uint8) uint64 {
	a := from.Addr().As16()
	h := uint64(14695981039346656037)
	for _, b := range a {
		h = (h ^ uint64(b)) * 1099511628211
	}
	h = (h ^ uint64(from.Port())) * 1099511628211
	return (h ^ uint64(seq)<<16 ^ uint64(typ)<<8 ^ uint64(version)) * 0x9E3779B97F4A7C15
}
