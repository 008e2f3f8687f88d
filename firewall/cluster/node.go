package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"breakwater/firewall/quarantine"
	"breakwater/firewall/ratelimit"
	"breakwater/firewall/state"
)

// Options configures a Node.
type Options struct {
	// Addrs, SentinelMaster, Username, Password and DB locate Redis: one
	// address for a single server, several for a Redis Cluster, or the
	// sentinels when SentinelMaster is set.
	Addrs          []string
	SentinelMaster string
	Username       string
	Password       string
	DB             int
	// Prefix begins every key and the channel name.
	Prefix string
	// Name identifies this node to the others; default the host name.
	Name string
	// TLS, when set, is used for every connection to Redis.
	TLS *tls.Config
	// Timeout bounds each Redis command.
	Timeout time.Duration
	// Queue bounds the changes waiting to be written.
	Queue int
	// LocationTTL and SessionTTL are the keys' lifetimes (as in memory).
	LocationTTL, SessionTTL time.Duration
	// MaxLocations and MaxSessions bound what a reconcile reads back.
	MaxLocations, MaxSessions int
	Log                       *slog.Logger
}

// Node is this Breakwater node's part of the cluster. It is the engine's
// state.Store: reads are served by the local replica, changes are
// applied locally and queued for the others.
type Node struct {
	opt   Options
	rdb   redis.UniversalClient
	local *state.Memory
	log   *slog.Logger

	channel, qkey string

	queue chan change   // the message path's changes, for the writer
	fetch chan fetchReq // local misses to look up in Redis (fetch.go)

	// backlog holds changes the writer could not deliver while Redis
	// was unreachable; bounded by Queue, oldest dropped first.
	bmu     sync.Mutex
	backlog []change

	up        atomic.Bool
	resync    atomic.Bool  // (re)subscribed since the last reconcile
	downSince atomic.Int64 // unix ns when Redis was last lost; 0: never
	version   atomic.Pointer[string]

	qset    atomic.Pointer[quarantine.Set]
	limiter atomic.Pointer[ratelimit.Limiter]

	pmu   sync.Mutex
	peers map[string]peer

	stop   context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool

	Stats Stats
}

type peer struct {
	version string
	seen    time.Time
}

// Stats counts the node's cluster traffic.
type Stats struct {
	Written       atomic.Uint64 // changes written to Redis
	WriteErrors   atomic.Uint64 // failed pipeline executions
	Dropped       atomic.Uint64 // changes lost: queue or backlog full
	Published     atomic.Uint64 // messages sent on the channel
	Received      atomic.Uint64 // records from other nodes applied
	Stale         atomic.Uint64 // records from other nodes older than what this node knew
	BadMessages   atomic.Uint64 // channel messages refused as malformed
	Reconciles    atomic.Uint64 // full re-reads after (re)connecting
	Reconciled    atomic.Uint64 // entries learned by those re-reads
	Disconnects   atomic.Uint64 // times Redis became unreachable
	RateShared    atomic.Uint64 // rate-limit charges sent
	RateCharged   atomic.Uint64 // rate-limit charges received and applied
	QuarantineIn  atomic.Uint64 // quarantine changes applied from other nodes
	QuarantineOut atomic.Uint64 // quarantine changes sent
	Fetched       atomic.Uint64 // local misses found in Redis
	FetchDropped  atomic.Uint64 // local misses not looked up: the fetch queue was full
}

type changeKind uint8

const (
	chLocation changeKind = iota + 1
	chSession
	chSessionDelete
	chQuarantine
	chLift
)

// change is one state change waiting for the writer. Fixed size, no
// pointers but the partner names the message path already holds, so
// queueing one does not allocate.
type change struct {
	kind  changeKind
	key   uint64
	loc   state.Location
	ses   state.Session
	entry quarantine.Entry
}

// Timing of the background work.
const (
	healthEvery = 250 * time.Millisecond
	helloEvery  = time.Second
	rateEvery   = 100 * time.Millisecond
	peerGone    = 5 * time.Second
	// liftKeep is how long a lift's tombstone is kept: a node apart for
	// longer than this re-sends a quarantine lifted meanwhile.
	liftKeep = 30 * 24 * time.Hour
)

// New connects a node (without waiting for Redis: a node starts and
// filters with its local state even when Redis is down) around local,
// which keeps serving every read.
func New(o Options, local *state.Memory) (*Node, error) {
	if len(o.Addrs) == 0 {
		return nil, errors.New("cluster: no Redis addresses (state.redis.addrs)")
	}
	if o.Name == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "node-" + strconv.Itoa(os.Getpid())
		}
		o.Name = h
	}
	if o.Timeout <= 0 {
		o.Timeout = 500 * time.Millisecond
	}
	if o.Queue <= 0 {
		o.Queue = 1 << 16
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	loggerOnce.Do(func() { redis.SetLogger(redisLog{o.Log}) })
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:        o.Addrs,
		MasterName:   o.SentinelMaster,
		Username:     o.Username,
		Password:     o.Password,
		TLSConfig:    o.TLS,
		DB:           o.DB,
		DialTimeout:  o.Timeout,
		ReadTimeout:  o.Timeout,
		WriteTimeout: o.Timeout,
		MaxRetries:   1,
		// A node must not pile up connections while Redis is down.
		PoolSize: 4,
	})
	n := &Node{
		opt: o, rdb: rdb, local: local, log: o.Log.With("node", o.Name),
		channel: o.Prefix + "events", qkey: o.Prefix + "quarantine",
		queue: make(chan change, o.Queue),
		fetch: make(chan fetchReq, fetchQueue),
		peers: map[string]peer{},
	}
	v := ""
	n.version.Store(&v)
	return n, nil
}

// Name is the node's name in the cluster.
func (n *Node) Name() string { return n.opt.Name }

// Up reports whether Redis answered the last health check.
func (n *Node) Up() bool { return n.up.Load() }

// Start runs the background work: the writer, the subscriber, the health
// check and the periodic announcements. It returns at once.
func (n *Node) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	n.wg.Add(5)
	go func() { defer n.wg.Done(); n.fetcher(ctx) }()
	go func() { defer n.wg.Done(); n.writer(ctx) }()
	go func() { defer n.wg.Done(); n.subscriber(ctx) }()
	go func() { defer n.wg.Done(); n.health(ctx) }()
	go func() { defer n.wg.Done(); n.periodic(ctx) }()
}

// Close stops the background work after writing what is queued (within
// the Redis timeout) and closes the client.
func (n *Node) Close() error {
	if n.closed.Swap(true) {
		return nil
	}
	if n.stop != nil {
		n.stop()
	}
	n.wg.Wait()
	return n.rdb.Close()
}

// SetPolicyVersion tells the others which rules this node enforces.
func (n *Node) SetPolicyVersion(v string) { n.version.Store(&v) }

// ShareQuarantine links the node's quarantine list with the others'.
func (n *Node) ShareQuarantine(s *quarantine.Set) {
	n.qset.Store(s)
	s.SetReplicator(func(e quarantine.Entry, lifted bool) {
		k := chQuarantine
		if lifted {
			k = chLift
		}
		n.enqueue(change{kind: k, entry: e})
	})
}

// ShareRateLimits links the node's user-space rate limiter with the
// others'.
func (n *Node) ShareRateLimits(l *ratelimit.Limiter) { n.limiter.Store(l) }

// enqueue hands a change to the writer without ever blocking: when the
// queue is full (Redis far behind), the change is counted and dropped —
// the local replica has it already.
func (n *Node) enqueue(c change) {
	select {
	case n.queue <- c:
	default:
		n.Stats.Dropped.Add(1)
	}
}

// The state.Store methods. Reads and the per-node tables are local;
// shared changes are applied locally, then queued.

func (n *Node) Location(imsi uint64, now time.Time) (state.Location, bool) {
	l, ok := n.local.Location(imsi, now)
	if !ok {
		n.miss(fetchReq{key: imsi})
	}
	return l, ok
}

func (n *Node) SetLocation(imsi uint64, loc state.Location) {
	n.local.SetLocation(imsi, loc)
	n.enqueue(change{kind: chLocation, key: imsi, loc: loc})
}

func (n *Node) AddPending(key uint64, p state.Pending) { n.local.AddPending(key, p) }

func (n *Node) TakePending(key uint64, now time.Time) (state.Pending, bool) {
	return n.local.TakePending(key, now)
}

func (n *Node) SetSession(key uint64, s state.Session) {
	n.local.SetSession(key, s)
	n.enqueue(change{kind: chSession, key: key, ses: s})
}

func (n *Node) Session(key uint64, now time.Time) (state.Session, bool) {
	s, ok := n.local.Session(key, now)
	if !ok {
		n.miss(fetchReq{key: key, session: true})
	}
	return s, ok
}

func (n *Node) DeleteSession(key uint64) {
	n.local.DeleteSession(key)
	n.enqueue(change{kind: chSessionDelete, key: key})
}

func (n *Node) FirstSeen(key uint64, now time.Time) (time.Time, bool) {
	return n.local.FirstSeen(key, now)
}

func (n *Node) Len() (locations, pending int) { return n.local.Len() }

func (n *Node) Sessions() int { return n.local.Sessions() }

// Local is the node's replica (for snapshots).
func (n *Node) Local() *state.Memory { return n.local }

var _ state.Store = (*Node)(nil)

func (n *Node) locKey(imsi uint64) string {
	return n.opt.Prefix + "loc:" + strconv.FormatUint(imsi, 16)
}
func (n *Node) liftKey(partner string) string { return n.opt.Prefix + "lifted:" + partner }
func (n *Node) sesKey(key uint64) string      { return n.opt.Prefix + "ses:" + strconv.FormatUint(key, 16) }
func (n *Node) cmdCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, n.opt.Timeout)
}

// redisLog sends the Redis client's own messages (sentinel and cluster
// topology changes, reconnections) to the node's log at debug level
// instead of standard error. The client's logger is process-wide: the
// first node's log gets them.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug("redis client: " + fmt.Sprintf(format, v...))
}

var loggerOnce sync.Once
