// Package loadgen drives Diameter load at a Diameter node (Breakwater, a
// relay, an HSS) from a partner's side and measures the request→answer
// round trips: the load generator of the benchmark harness (cmd/bwbench).
//
// It runs either closed-loop (Rate 0: every connection keeps Window
// requests outstanding, as fast as the target answers) or open-loop at a
// target rate. Open-loop latency is measured from the moment each request
// was due, not from when it went out, so a target that stalls the
// generator is charged for the wait (no coordinated omission). Requests
// come from a weighted mix (a realistic S6a share plus probes the firewall
// blocks); each connection repeats prebuilt requests with fresh hop-by-hop
// and end-to-end identifiers, so generating load allocates nothing.
package loadgen

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/transport"
	"breakwater/internal/diampeer"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// Request is one kind of request in a mix.
type Request struct {
	Name   string
	Weight int
	// Build returns the request; the generator rewrites its identifiers.
	Build func(c *diampeer.Client, b *diameter.Builder) []byte
}

// Options describe a run.
type Options struct {
	Target string // transport URL of the node under test
	From   string // local source address ("" lets the kernel choose)
	ID     diampeer.Identity
	Conns  int
	// Rate is the total offered load in requests per second; 0 runs
	// closed-loop.
	Rate float64
	// Window bounds the requests outstanding per connection (closed loop:
	// kept full). An open-loop sender that finds it full waits, and the
	// achieved rate falls short of Rate: the target is saturated.
	Window   int
	Warmup   time.Duration // run, then discard, before measuring
	Duration time.Duration
	Mix      []Request
	// Mark, if set, is called near the end of the warm-up (true) and when
	// the measured interval ends (false): where a harness reads the
	// target's CPU time and allocation counters, so that connection
	// set-up is not charged to the messages (Result.Marked counts the
	// answers in between). The first call comes a little before latency
	// is measured because reading a node's counters (a /metrics scrape)
	// takes the node's CPU for a moment: the requests it holds up must
	// not be charged to the node's latency.
	Mark func(begin bool)
}

// Result is what a run measured (after the warm-up).
type Result struct {
	Offered  float64 `json:"offered_per_s"` // Options.Rate
	Sent     uint64  `json:"sent"`
	Answered uint64  `json:"answered"`
	// Total counts every answer of the run, warm-up included: what a
	// node's CPU time or allocations over the whole run are divided by.
	Total uint64 `json:"total_answered"`
	// Marked counts the answers between the two Mark calls: what the
	// node's CPU time and allocations read there are divided by.
	Marked  uint64        `json:"marked_answered"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// ByResult counts answers by Result-Code (2001 allowed and answered
	// by home, 5012 rejected by the firewall, ...).
	ByResult map[uint32]uint64 `json:"by_result"`
	Latency  Histogram         `json:"-"`
}

// Rate is the achieved answers per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Answered) / r.Elapsed.Seconds()
}

func (r *Result) String() string {
	return fmt.Sprintf("%d answers in %.1fs: %.0f/s, latency p50 %v p99 %v p99.9 %v",
		r.Answered, r.Elapsed.Seconds(), r.Rate(), r.Latency.Quantile(0.50).Round(time.Microsecond),
		r.Latency.Quantile(0.99).Round(time.Microsecond), r.Latency.Quantile(0.999).Round(time.Microsecond))
}

// runs numbers the runs of this process.
var runs atomic.Int64

// ConnIdentity is the identity of connection i of run number run as id:
// its first label gets a prefix, the rest (the realm) stays.
func ConnIdentity(id diampeer.Identity, run, i int) diampeer.Identity {
	return diampeer.Identity{Host: fmt.Sprintf("r%dc%d-%s", run, i, id.Host), Realm: id.Realm}
}

// diameterPPID is the SCTP payload protocol identifier of Diameter.
const diameterPPID = 46

// markLead is how long before the measured interval Options.Mark is
// first called, at most (half the warm-up if that is shorter).
const markLead = 200 * time.Millisecond

// scheduleLen is the length of each connection's request cycle: weights
// are shares of it.
const scheduleLen = 100

// conn is one connection's state. Its sender and receiver goroutines
// share only atomics: the due time of each outstanding slot and the
// semaphore of free slots.
type conn struct {
	c        transport.Conn
	reqs     [][]byte // the schedule, one prebuilt request per step
	due      []atomic.Int64
	free     chan struct{}
	done     chan struct{} // closed at the end: a sender waiting for a slot gives up
	measure  atomic.Bool   // samples count (after the warm-up)
	marking  atomic.Bool   // answers count toward Marked
	hist     Histogram
	byResult map[uint32]uint64
	sent     atomic.Uint64
	answered uint64
	total    uint64
	marked   uint64
	err      error
}

// Run drives the load and returns what it measured.
func Run(ctx context.Context, o Options) (*Result, error) {
	if len(o.Mix) == 0 {
		return nil, errors.New("loadgen: empty request mix")
	}
	o.Conns, o.Window = max(o.Conns, 1), max(o.Window, 1)
	if o.ID.Host == "" {
		o.ID = diampeer.Identity{Host: "mme.epc.mnc015.mcc234.3gppnetwork.org", Realm: "epc.mnc015.mcc234.3gppnetwork.org"}
	}
	a, err := transport.ParseAddress(o.Target)
	if err != nil {
		return nil, err
	}
	var local []string
	if o.From != "" {
		local = append(local, o.From)
	}
	run := int(runs.Add(1))
	cs := make([]*conn, o.Conns)
	for i := range cs {
		tc, err := transport.Dial(ctx, a, diampeer.Options(local...))
		if err != nil {
			return nil, fmt.Errorf("loadgen: connection %d: %w", i, err)
		}
		defer tc.Close()
		// Each connection is a peer of its own (a Diameter node takes one
		// connection per Origin-Host), new in every run (a node may still
		// be closing the previous run's): r1c0-<host>, r1c1-<host>, ...
		cl := &diampeer.Client{ID: ConnIdentity(o.ID, run, i)}
		var b diameter.Builder
		if err := tc.WriteMessage(transport.Message{Data: cl.CER(&b, diameter.AppS6aS6d), PPID: diameterPPID}); err != nil {
			return nil, err
		}
		buf := make([]byte, 0, 1<<16)
		tc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if m, err := tc.ReadMessage(buf); err != nil || diampeer.ResultCode(m.Data) != diameter.ResultSuccess {
			return nil, fmt.Errorf("loadgen: CER on connection %d: %v (result %d)", i, err, diampeer.ResultCode(m.Data))
		}
		tc.SetReadDeadline(time.Time{})
		// due has room for four windows of identifiers: answers come back
		// out of order (the firewall answers a blocked request at once,
		// before the home side answers earlier ones), so a slot must not
		// be reused while a late answer may still need it.
		c := &conn{c: tc, due: make([]atomic.Int64, 4*o.Window), free: make(chan struct{}, o.Window),
			done: make(chan struct{}), byResult: map[uint32]uint64{}}
		for range o.Window {
			c.free <- struct{}{}
		}
		c.reqs = schedule(o.Mix, cl, &b, uint64(i))
		cs[i] = c
	}

	var interval time.Duration
	if o.Rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(o.Conns) / o.Rate)
	}
	start := time.Now()
	measureFrom := start.Add(o.Warmup)
	stop := measureFrom.Add(o.Duration)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(2)
		// Stagger the connections' schedules across one interval.
		first := start.Add(interval * time.Duration(i) / time.Duration(o.Conns))
		go func() { defer wg.Done(); c.send(ctx, first, interval, stop) }()
		go func() { defer wg.Done(); c.receive() }()
	}
	// The counters are read first, then the node has the rest of the
	// warm-up to catch up with the requests the reading held up.
	time.Sleep(time.Until(measureFrom.Add(-min(o.Warmup/2, markLead))))
	if o.Mark != nil {
		o.Mark(true)
	}
	for _, c := range cs {
		c.marking.Store(true)
	}
	// The warm-up's samples are discarded: measurement starts here.
	time.Sleep(time.Until(measureFrom))
	for _, c := range cs {
		c.measure.Store(true)
	}
	sentAt := make([]uint64, len(cs))
	for i, c := range cs {
		sentAt[i] = c.sent.Load()
	}
	time.Sleep(time.Until(stop))
	elapsed := time.Since(measureFrom)
	for _, c := range cs {
		c.measure.Store(false)
		c.marking.Store(false)
	}
	if o.Mark != nil {
		o.Mark(false)
	}
	// Let answers in flight arrive, then close: the receivers end on the
	// closed connections.
	time.Sleep(50 * time.Millisecond)
	for _, c := range cs {
		close(c.done)
	}
	for _, c := range cs {
		c.c.Close()
	}
	wg.Wait()
	res := &Result{Offered: o.Rate, Elapsed: elapsed, ByResult: map[uint32]uint64{}}
	for i, c := range cs {
		res.Sent += c.sent.Load() - sentAt[i]
		res.Answered += c.answered
		res.Total += c.total
		res.Marked += c.marked
		res.Latency.Merge(&c.hist)
		for k, v := range c.byResult {
			res.ByResult[k] += v
		}
		if c.err != nil {
			// The target closed a connection during the run: what was
			// measured is not a steady state.
			return nil, fmt.Errorf("loadgen: connection %d: %w", i, c.err)
		}
	}
	return res, nil
}

// schedule prebuilds a connection's cycle of requests in the mix's
// proportions, shuffled (deterministically per connection) so that kinds
// interleave.
func schedule(mix []Request, cl *diampeer.Client, b *diameter.Builder, seed uint64) [][]byte {
	total := 0
	for _, r := range mix {
		total += max(r.Weight, 0)
	}
	var out [][]byte
	for _, r := range mix {
		n := max(r.Weight, 0) * scheduleLen / max(total, 1)
		if r.Weight > 0 {
			n = max(n, 1)
		}
		for range n {
			out = append(out, append([]byte(nil), r.Build(cl, b)...))
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// send writes requests: every interval (open loop), or whenever a slot is
// free (closed loop), until stop. The hop-by-hop identifier is the
// request's number; its slot in due is that number modulo the window.
func (c *conn) send(ctx context.Context, next time.Time, interval time.Duration, stop time.Time) {
	window := uint32(len(c.due))
	pace := newPacer()
	defer pace.close()
	for seq := uint32(0); ; seq++ {
		if interval > 0 {
			pace.sleep(time.Until(next))
		}
		select {
		case <-c.free:
		case <-c.done:
			return
		case <-ctx.Done():
			return
		}
		now := time.Now()
		if now.After(stop) || ctx.Err() != nil {
			return
		}
		due := now
		if interval > 0 {
			due = next // charged from when it was due
			next = next.Add(interval)
		}
		req := c.reqs[int(seq)%len(c.reqs)]
		binary.BigEndian.PutUint32(req[12:], seq)
		binary.BigEndian.PutUint32(req[16:], seq)
		c.due[seq%window].Store(due.UnixNano())
		if err := c.c.WriteMessage(transport.Message{Data: req, PPID: diameterPPID}); err != nil {
			return
		}
		c.sent.Add(1)
	}
}

// receive reads answers until the connection closes.
func (c *conn) receive() {
	window := uint32(len(c.due))
	buf := make([]byte, 0, 1<<16)
	var v view.Message
	for {
		m, err := c.c.ReadMessage(buf)
		if err != nil {
			select {
			case <-c.done: // closed at the end of the run
			default:
				c.err = err
			}
			return
		}
		now := time.Now().UnixNano()
		d := m.Data
		if len(d) < diameter.HeaderLen || d[4]&diameter.FlagRequest != 0 {
			continue // a DWR from the other side is not ours to time
		}
		c.total++
		seq := binary.BigEndian.Uint32(d[12:])
		due := c.due[seq%window].Load()
		select {
		case c.free <- struct{}{}:
		default:
		}
		if c.marking.Load() {
			c.marked++
		}
		if !c.measure.Load() {
			continue
		}
		c.answered++
		c.hist.Record(time.Duration(now - due))
		diameter.Decode(d, &v)
		c.byResult[v.ResultCode]++
	}
}
