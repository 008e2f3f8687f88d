package loadgen

import (
	"math/bits"
	"time"
)

// Histogram counts latencies in log-linear buckets: 64 buckets per power
// of two of nanoseconds, so any quantile it reports is within 1.6% of the
// true value, in a fixed 32 KiB whatever the number of samples. Recording
// is an array increment (no allocation, no sorting at the end).
type Histogram struct {
	counts [histExp * histSub]uint64
	n      uint64
	max    time.Duration
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histExp     = 64 - histSubBits + 1
)

func histIndex(ns uint64) int {
	if ns < histSub {
		return int(ns) // exact below 64 ns
	}
	e := bits.Len64(ns) - histSubBits // ≥ 1
	return e*histSub + int(ns>>(e-1)&(histSub-1))
}

// histLow is the smallest value of bucket i.
func histLow(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	e, m := i/histSub, uint64(i%histSub)
	return (histSub | m) << (e - 1)
}

// Record adds one latency (negative ones count as 0).
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.n++
	h.max = max(h.max, d)
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest sample.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the q-quantile (0 < q <= 1): the lower bound of the
// bucket holding the ceil(q·n)-th smallest sample, 0 without samples.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(histLow(i)), h.max)
		}
	}
	return h.max
}
