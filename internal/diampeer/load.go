package diampeer

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"breakwater/firewall/transport"
	"breakwater/protocols/diameter"
)

// LoadOptions describe a load run: Conns connections, each keeping Window
// requests outstanding (1 = strict request/answer), for Duration.
type LoadOptions struct {
	Target   string // transport URL
	From     string // local source IP ("" lets the kernel choose)
	Conns    int
	Window   int
	Duration time.Duration
	// Request builds the request each connection repeats (its hop-by-hop
	// and end-to-end identifiers are rewritten per send).
	Request func(c *Client, b *diameter.Builder) []byte
}

// LoadResult summarises a run.
type LoadResult struct {
	Answers   int
	Elapsed   time.Duration
	Latencies []time.Duration // sorted
}

// Rate is answers per second.
func (r *LoadResult) Rate() float64 { return float64(r.Answers) / r.Elapsed.Seconds() }

// Percentile returns the q-quantile latency (0 < q <= 1).
func (r *LoadResult) Percentile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.Latencies)))) - 1
	return r.Latencies[max(0, min(i, len(r.Latencies)-1))]
}

func (r *LoadResult) String() string {
	return fmt.Sprintf("%d answers in %.1fs: %.0f/s, latency p50 %v p99 %v p99.9 %v",
		r.Answers, r.Elapsed.Seconds(), r.Rate(),
		r.Percentile(0.50).Round(time.Microsecond), r.Percentile(0.99).Round(time.Microsecond), r.Percentile(0.999).Round(time.Microsecond))
}

// Load runs a closed-loop load: every connection sends its next request as
// soon as an answer frees a window slot. Latency is request write to
// answer read, per request.
func Load(ctx context.Context, o LoadOptions) (*LoadResult, error) {
	o.Conns, o.Window = max(o.Conns, 1), max(o.Window, 1)
	a, err := transport.ParseAddress(o.Target)
	if err != nil {
		return nil, err
	}
	var local []string
	if o.From != "" {
		local = append(local, o.From)
	}
	type worker struct {
		conn transport.Conn
		req  []byte
		lat  []time.Duration
		err  error
	}
	ws := make([]*worker, o.Conns)
	for i := range ws {
		c, err := transport.Dial(ctx, a, Options(local...))
		if err != nil {
			return nil, err
		}
		defer c.Close()
		cl := &Client{ID: Identity{Host: "load.epc.mnc015.mcc234.3gppnetwork.org", Realm: "epc.mnc015.mcc234.3gppnetwork.org"}}
		var b diameter.Builder
		if err := c.WriteMessage(transport.Message{Data: cl.CER(&b, diameter.AppS6aS6d), PPID: 46}); err != nil {
			return nil, err
		}
		buf := make([]byte, 0, 1<<16)
		if _, err := c.ReadMessage(buf); err != nil {
			return nil, fmt.Errorf("CER on connection %d: %w", i, err)
		}
		ws[i] = &worker{conn: c, req: append([]byte(nil), o.Request(cl, &b)...), lat: make([]time.Duration, 0, 1<<16)}
	}
	start := time.Now()
	deadline := start.Add(o.Duration)
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := make([]time.Time, o.Window)
			var seq uint32
			send := func() error {
				binary.BigEndian.PutUint32(w.req[12:], seq)
				binary.BigEndian.PutUint32(w.req[16:], seq)
				sent[int(seq)%o.Window] = time.Now()
				seq++
				return w.conn.WriteMessage(transport.Message{Data: w.req, PPID: 46})
			}
			for i := 0; i < o.Window; i++ {
				if w.err = send(); w.err != nil {
					return
				}
			}
			buf := make([]byte, 0, 1<<16)
			for {
				m, err := w.conn.ReadMessage(buf)
				if err != nil {
					w.err = err
					return
				}
				now := time.Now()
				if len(m.Data) >= diameter.HeaderLen && m.Data[4]&diameter.FlagRequest == 0 {
					hbh := binary.BigEndian.Uint32(m.Data[12:])
					w.lat = append(w.lat, now.Sub(sent[int(hbh)%o.Window]))
				}
				if now.After(deadline) {
					return
				}
				if w.err = send(); w.err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	res := &LoadResult{Elapsed: time.Since(start)}
	for _, w := range ws {
		if w.err != nil {
			return nil, w.err
		}
		res.Latencies = append(res.Latencies, w.lat...)
	}
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	res.Answers = len(res.Latencies)
	return res, nil
}
