package proxy

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/ratelimit"
	"breakwater/firewall/transport"
	"breakwater/protocols/m3ua"
)

// # M3UA: a transparent relay per association
//
// Every association a partner (an ASP, or the partner's SG acting as one
// toward home) opens to an M3UARelay is paired with its own association to
// the upstream, the home STP/SG, opened from upstream_source. Messages are
// relayed unchanged in both directions, on the stream they came on and with
// their PPID: the home STP keeps seeing the partner's ASP, with its ASP
// identifier, routing contexts and point codes (only from Breakwater's
// upstream_source addresses, which the STP must accept for it).
//
// ASP state management (ASPSM: ASP Up/Down, BEAT and their Acks; ASPTM: ASP
// Active/Inactive and their Acks), MGMT (ERR, NTFY), SSNM (DUNA, DAVA,
// DAUD, SCON, DUPU, DRST) and RKM pass through unchanged and are counted
// per kind. Breakwater does not terminate them, because:
//
//   - the home STP stays the one authority on ASP state, routing contexts,
//     traffic modes and point-code availability; a second M3UA state
//     machine in the path could disagree with it (an ASP Breakwater thinks
//     active that the STP took out of service, say) and would have to be
//     configured with every routing key the STP already has;
//   - Breakwater stays invisible at the M3UA layer: no ASP identifier,
//     routing context or point code of its own, no routing keys to
//     provision, and the partner's ASP fails over exactly as it would
//     toward the STP itself.
//
// DATA is decoded (M3UA, SCCP with XUDT reassembly, TCAP, MAP) and judged
// in both directions: inbound from the partner, and outbound from home,
// where the engine learns locations from the home HLR's results. A TCAP
// message with several Invokes is judged once per Invoke and blocked if
// any one is (a filter judging only the first would let the others
// through). An allowed message is relayed byte for byte.
//
// Segmented SCCP messages (XUDT with a segmentation parameter) are judged
// once complete: each segment's raw M3UA message is held (bounded, per
// association direction) until the reassembled message is judged, then all
// of them are forwarded in arrival order if it is allowed, or all dropped if
// not. Forwarding segments as they came would let the receiver reassemble
// a message the firewall never judged. A message whose held segments were
// evicted (more than 32 incomplete messages at once, or older than the
// reassembly timeout) is judged when complete, but only its last segment
// can be forwarded: the receiver then discards it, as it does any message
// missing segments.
//
// A blocked DATA message is dropped, or, when its rule says reject,
// answered toward its sender as reject_with says (see m3ua_answer.go).
//
// Associations: if the upstream association cannot be opened within
// connect_timeout, or fails later, the partner association is closed too,
// so the partner's ASP sees the failure and fails over as it would with
// its STP gone. Breakwater does not reconnect behind the partner's back:
// a new upstream association starts in ASP-DOWN at the STP while the
// partner believes itself ASP-ACTIVE, and replaying ASP Up/Active would be
// the second state machine this design avoids. Shutdown closes both
// associations of every pair (SCTP SHUTDOWN, no M3UA ASP Down: that is
// the ASP's own decision, and the STP treats the lost association as ASP
// Down anyway).

// M3UAConfig is one M3UA relay's settings (from config.M3UARelay).
type M3UAConfig struct {
	Name           string
	Listen         transport.Address
	Upstream       transport.Address
	UpstreamSource []netip.Addr
	Streams        uint16
	ConnectTimeout time.Duration
	WriteTimeout   time.Duration
	MaxMessage     int
	// RejectWith is how rejected requests are answered.
	RejectWith RejectMode
	// RejectErrorCode is the MAP error code of return-error answers whose
	// rule gives no result code in 1..255 (default 21 facilityNotSupported).
	RejectErrorCode uint8
	// UDTSCause is the SCCP return cause of udts answers.
	UDTSCause uint8
	// Limiter, when set, applies the partners' rate_limit in user space
	// (when no XDP pre-filter does).
	Limiter *ratelimit.Limiter
	// Observe, when set, sees every message the relay judges, with its
	// verdict (the audit log, the automatic quarantine). It runs on the
	// message path and must not block.
	Observe Observer
	// Quarantined, when set, says whether a partner is isolated: its
	// associations are refused (CloseQuarantined closes open ones).
	Quarantined func(partner string) bool
	// ReadTimeout closes a pair whose partner sends no whole first
	// message within it of the upstream association coming up, or takes
	// longer to send a later one once begun (0: no limit).
	ReadTimeout time.Duration
	// MaxConns and MaxConnsPerSource bound the partner associations
	// served at once, in all and from one source address (0: no limit).
	MaxConns, MaxConnsPerSource int
}

// RejectMode is how an M3UA relay answers a rejected request.
type RejectMode uint8

const (
	RejectTCAPAbort   RejectMode = iota // TC-ABORT: U-ABORT with ABRT, or P-ABORT resourceLimitation
	RejectReturnError                   // TC-END with a ReturnError (and an AARE when the Begin had an AARQ)
	RejectUDTS                          // SCCP UDTS/XUDTS returning the message, when it asked to be returned
	RejectDrop                          // nothing
)

// ParseRejectMode reads a reject_with value.
func ParseRejectMode(s string) (RejectMode, bool) {
	switch s {
	case "tcap-abort", "":
		return RejectTCAPAbort, true
	case "return-error":
		return RejectReturnError, true
	case "udts":
		return RejectUDTS, true
	case "drop":
		return RejectDrop, true
	}
	return 0, false
}

// Answers Breakwater sends for rejected requests, by kind.
const (
	m3uaAnswerUAbort      = iota // TC-ABORT with an ABRT dialogue portion
	m3uaAnswerPAbort             // TC-ABORT with P-AbortCause resourceLimitation
	m3uaAnswerReturnError        // TC-END with a ReturnError
	m3uaAnswerUDTS               // SCCP UDTS or XUDTS
	numM3UAAnswers
)

// M3UAAnswerKinds names the answer kinds in counter order.
var M3UAAnswerKinds = [numM3UAAnswers]string{"tcap_u_abort", "tcap_p_abort", "return_error", "udts"}

// Directions of M3UA traffic, for counters.
const (
	fromPartner = 0 // toward the upstream
	fromHome    = 1 // toward the partner
)

// M3UADirections names the counter directions: where the message went.
var M3UADirections = [2]string{"to_upstream", "to_partner"}

// M3UA management kinds counted per kind; index 0 is every other class or
// type (unknown classes, other adaptation layers' classes).
var m3uaMgmtKinds = [...]m3ua.Kind{
	0,
	m3ua.KindERR, m3ua.KindNTFY,
	m3ua.KindDUNA, m3ua.KindDAVA, m3ua.KindDAUD, m3ua.KindSCON, m3ua.KindDUPU, m3ua.KindDRST,
	m3ua.KindASPUP, m3ua.KindASPDN, m3ua.KindBEAT, m3ua.KindASPUPAck, m3ua.KindASPDNAck, m3ua.KindBEATAck,
	m3ua.KindASPAC, m3ua.KindASPIA, m3ua.KindASPACAck, m3ua.KindASPIAAck,
	m3ua.KindREGREQ, m3ua.KindREGRSP, m3ua.KindDEREGREQ, m3ua.KindDEREGRSP,
}

const numMgmtKinds = len(m3uaMgmtKinds)

// M3UAManagementKinds names the management counters: "ASPUP", "BEAT_ACK",
// ..., and "other".
var M3UAManagementKinds = func() (n [numMgmtKinds]string) {
	n[0] = "other"
	for i, k := range m3uaMgmtKinds[1:] {
		n[i+1] = k.String()
	}
	return n
}()

// mgmtIndex maps class and type to the counter index (0: other).
var mgmtIndex = func() (t [16][8]uint8) {
	for i, k := range m3uaMgmtKinds[1:] {
		t[k.Class()][k.Type()] = uint8(i + 1)
	}
	return t
}()

func mgmtKindIndex(class, typ uint8) int {
	if class < 16 && typ < 8 {
		return int(mgmtIndex[class][typ])
	}
	return 0
}

// M3UAStats counts what an M3UA relay did. Fields are updated atomically.
type M3UAStats struct {
	Accepted, Refused       atomic.Uint64 // partner associations accepted / refused (unknown source, quarantined, over a limit)
	OverLimit               atomic.Uint64 // refused over max_connections or max_connections_per_source
	ReadTimeouts            atomic.Uint64 // pairs closed because the partner sent no whole message in read_timeout
	ActivePairs, UpstreamUp atomic.Int64  // pairs now / of which the upstream association is up
	UpstreamFailures        atomic.Uint64 // upstream associations that could not be opened
	UpstreamLost            atomic.Uint64 // upstream associations that failed while paired (the partner's was closed)
	FramingErrors           atomic.Uint64 // associations closed for bytes that are not M3UA (TCP)
	Oversized               atomic.Uint64 // messages larger than limits.max_message_bytes, dropped
	WriteTimeouts           atomic.Uint64 // pairs closed because a side stopped reading
	PeerResets              atomic.Uint64 // partner associations aborted or reset (SCTP ABORT, TCP RST)
	// Relayed counts DATA messages relayed per direction (segments of a
	// segmented message each count), Blocked the DATA messages blocked
	// (dropped or rejected) by the sending side.
	Relayed, Blocked [2]atomic.Uint64
	// Answers counts answers to rejected requests by kind; Unanswered
	// counts rejections that could not be answered as reject_with asks
	// (no TCAP transaction to answer, no return option for udts) and were
	// dropped instead.
	Answers    [numM3UAAnswers]atomic.Uint64
	Unanswered atomic.Uint64
	// Management counts non-DATA messages relayed, by direction and kind.
	Management [2][numMgmtKinds]atomic.Uint64
	// DecodeErrors counts DATA messages that did not decode completely
	// (they are judged as malformed).
	DecodeErrors atomic.Uint64
	// HeldMessages is how many segmented messages are waiting for their
	// remaining segments; HeldEvicted counts those dropped before they
	// were complete (timeout, capacity).
	HeldMessages atomic.Int64
	HeldEvicted  atomic.Uint64
}

// M3UARelay accepts M3UA associations from partners and relays them to
// the home STP/SG through the engine.
type M3UARelay struct {
	cfg   M3UAConfig
	eng   *engine.Engine
	log   *slog.Logger
	Stats M3UAStats
	block *blockLog

	ctx    context.Context // ends at Shutdown: cancels upstream connects
	cancel context.CancelFunc

	pairSet[*m3uaPair]
}

// m3uaFramer cuts M3UA messages out of TCP streams by the common header's
// 32-bit length (octets 4-7). M3UA over TCP is not standard (RFC 4666
// runs over SCTP): it is for labs and tests.
func m3uaFramer() transport.Framer {
	return transport.Framer{HeaderLen: m3ua.HeaderLen, Length: func(h []byte) (int, error) {
		n, ok := m3ua.StreamLength(h)
		if !ok {
			return 0, transport.ErrFraming
		}
		return n, nil
	}}
}

// M3UAFramer is the framer of M3UA over TCP, for test peers.
func M3UAFramer() transport.Framer { return m3uaFramer() }

func (r *M3UARelay) transportOptions(local []netip.Addr) transport.Options {
	return transport.Options{
		Framer:         m3uaFramer(),
		MaxMessage:     r.cfg.MaxMessage,
		Streams:        r.cfg.Streams,
		Local:          local,
		ConnectTimeout: r.cfg.ConnectTimeout,
	}
}

// NewM3UARelay prepares a relay; Start opens its listener.
func NewM3UARelay(cfg M3UAConfig, eng *engine.Engine, log *slog.Logger) *M3UARelay {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = 1 << 16
	}
	if cfg.RejectErrorCode == 0 {
		cfg.RejectErrorCode = 21
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	l := log.With("relay", cfg.Name)
	ctx, cancel := context.WithCancel(context.Background())
	r := &M3UARelay{cfg: cfg, eng: eng, log: l, block: &blockLog{log: l, perSecond: 20}, ctx: ctx, cancel: cancel}
	r.pairSet.init(l, eng, &r.Stats.Accepted, &r.Stats.Refused, &r.Stats.OverLimit, "association", cfg.WriteTimeout,
		func(c transport.Conn) *m3uaPair { return &m3uaPair{r: r, peer: &endpoint{conn: c}} })
	r.maxConns, r.maxPerSource = cfg.MaxConns, cfg.MaxConnsPerSource
	r.limiter, r.quarantined = cfg.Limiter, cfg.Quarantined
	return r
}

// Name is the relay's configured name.
func (r *M3UARelay) Name() string { return r.cfg.Name }

// Addr is the bound listen address (its port is known after Start).
func (r *M3UARelay) Addr() transport.Address { return r.ln.Addr() }

// Start listens and serves in the background.
func (r *M3UARelay) Start() error {
	opts := r.transportOptions(nil)
	opts.MessageTimeout = r.cfg.ReadTimeout // partners only: the upstream is not timed
	ln, err := r.pairSet.start(r.cfg.Listen, opts)
	if err != nil {
		return err
	}
	r.log.Info("m3ua relay listening", "listen", ln.Addr().String(), "upstream", r.cfg.Upstream.String())
	return nil
}

// Shutdown stops accepting and closes every pair's associations (SCTP
// SHUTDOWN: data already queued is delivered), then waits for the pairs to
// end or ctx to.
func (r *M3UARelay) Shutdown(ctx context.Context) error {
	pairs := r.stopAccepting()
	r.cancel()
	for _, p := range pairs {
		p.closeBoth()
	}
	return r.wait(ctx, "m3ua relay "+r.cfg.Name+": associations still open at the shutdown deadline")
}
