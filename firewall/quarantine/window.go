package quarantine

import "sync"

// window is one partner's sliding window of blocked probes. It is exact:
// it keeps the times of the last threshold probes in a ring, and the
// threshold is reached when the oldest of them is less than the window
// old, i.e. threshold probes fell within (now−window, now]. That costs
// 8 bytes per probe of threshold per partner (bounded by MaxThreshold),
// and in exchange a partner is quarantined at exactly the threshold
// probe, never at an approximation of it that an operator would have to
// reason about when tuning. The one inexactness: a probe recorded after a
// later one (concurrent relays) takes the later time, an error of the
// scheduling delay between reading the clock and taking the lock.
type window struct {
	mu    sync.Mutex
	times []int64 // ring of probe times, nanoseconds since the Set's epoch
	next  int     // slot the next probe goes in; once full, the oldest
	n     int     // probes in the ring, up to len(times)
	last  string  // ID of the last rule that counted, for the alert
	// newest is the latest probe time recorded (not reset with the ring,
	// so times stay ordered across a reset).
	newest int64
}

func newWindow(threshold int) *window {
	return &window{times: make([]int64, threshold)}
}

// add records a probe at t. When it is the threshold-th within width, the
// window resets (so a partner released from an automatic quarantine
// starts from zero) and add reports trigger with the count and the last
// rule seen.
func (w *window) add(t, width int64, rule string) (count int, last string, trigger bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if rule != "" {
		w.last = rule
	}
	// Goroutines read the clock before taking the lock, so probes can
	// arrive here nanoseconds out of order; clamping keeps the ring sorted,
	// which the oldest-slot test below relies on.
	if t < w.newest {
		t = w.newest
	}
	w.newest = t
	w.times[w.next] = t
	w.next++
	if w.next == len(w.times) {
		w.next = 0
	}
	if w.n < len(w.times) {
		w.n++
	}
	if w.n < len(w.times) {
		return 0, "", false
	}
	// Full ring: times[next] is the oldest of the last threshold probes.
	if t-w.times[w.next] >= width {
		return 0, "", false
	}
	count, last = w.n, w.last
	w.n, w.next, w.last = 0, 0, ""
	return count, last, true
}
