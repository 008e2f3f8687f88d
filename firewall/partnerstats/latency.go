package partnerstats

import (
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// LatencyBuckets are the upper bounds of the processing-time histogram:
// from a message's arrival to its verdict, the time Breakwater adds
// before relaying (or refusing) it.
var LatencyBuckets = []time.Duration{
	2 * time.Microsecond, 5 * time.Microsecond, 10 * time.Microsecond, 20 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 200 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 5 * time.Millisecond,
	20 * time.Millisecond, 100 * time.Millisecond,
}

// histogram is one partner's: counts per bucket (the last one +Inf), and
// the sum in nanoseconds.
type histogram struct {
	partner string
	counts  [16]atomic.Uint64
	sum     atomic.Uint64
}

// Latencies keeps a processing-time histogram per partner, with the same
// growth rules as Stats.
type Latencies struct {
	seed maphash.Seed
	m    atomic.Pointer[map[uint64]*histogram] // by a hash of the partner's name
	mu   sync.Mutex
}

// NewLatencies returns empty histograms.
func NewLatencies() *Latencies {
	l := &Latencies{seed: maphash.MakeSeed()}
	m := map[uint64]*histogram{}
	l.m.Store(&m)
	return l
}

// Observe records one message's processing time for partner. It does not
// allocate once the partner has a histogram.
func (l *Latencies) Observe(partner string, d time.Duration) {
	k := maphash.String(l.seed, partner)
	h := (*l.m.Load())[k]
	if h == nil {
		h = l.add(k, partner)
	}
	i := sort.Search(len(LatencyBuckets), func(i int) bool { return d <= LatencyBuckets[i] })
	h.counts[i].Add(1)
	h.sum.Add(uint64(max(d, 0)))
}

func (l *Latencies) add(k uint64, partner string) *histogram {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := *l.m.Load()
	if h := old[k]; h != nil {
		return h
	}
	if len(old) >= MaxSeries { // partner names come from policies: bounded
		for _, h := range old {
			return h
		}
	}
	m := make(map[uint64]*histogram, len(old)+1)
	for kk, v := range old {
		m[kk] = v
	}
	h := &histogram{partner: partner}
	m[k] = h
	l.m.Store(&m)
	return h
}

// Histogram is one partner's processing times for /metrics: cumulative
// counts per bucket bound (seconds), total count and sum (seconds).
type Histogram struct {
	Partner string
	Buckets map[float64]uint64
	Count   uint64
	Sum     float64
}

// Snapshot merges the histograms by partner name.
func (l *Latencies) Snapshot() []Histogram {
	by := map[string]*[17]uint64{} // buckets..., sum ns
	for _, h := range *l.m.Load() {
		t := by[h.partner]
		if t == nil {
			t = &[17]uint64{}
			by[h.partner] = t
		}
		for i := range len(LatencyBuckets) + 1 {
			t[i] += h.counts[i].Load()
		}
		t[16] += h.sum.Load()
	}
	out := make([]Histogram, 0, len(by))
	for p, t := range by {
		hs := Histogram{Partner: p, Buckets: map[float64]uint64{}, Sum: float64(t[16]) / 1e9}
		var cum uint64
		for i, b := range LatencyBuckets {
			cum += t[i]
			hs.Buckets[b.Seconds()] = cum
		}
		hs.Count = cum + t[len(LatencyBuckets)]
		out = append(out, hs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partner < out[j].Partner })
	return out
}
