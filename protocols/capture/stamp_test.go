package capture

import (
	"math"
	"testing"
	"time"
)

// The Reader's stamps must order, shift and convert exactly as the
// time.Time values they stand for, over the range time.Time represents
// (a file's timestamps beyond it wrapped around in time.Time; stamps
// stay in order there too).
func TestStampMatchesTime(t *testing.T) {
	const edge = 1 << 60
	secs := []int64{-edge, -62135596800, -1, 0, 1, 1700000000, 1<<33 + 7, edge}
	nsecs := []int64{0, 1, 999_999_999, 1_000_000_000, 1_073_741_823, 5_000_000_001}
	var all []stamp
	for _, s := range secs {
		for _, n := range nsecs {
			st := newStamp(s, n)
			if st.nsec < 0 || st.nsec >= 1e9 {
				t.Fatalf("newStamp(%d, %d) = %+v: not normalised", s, n, st)
			}
			if got, want := st.time(), time.Unix(s, n).UTC(); !got.Equal(want) {
				t.Errorf("newStamp(%d, %d).time() = %v, want %v", s, n, got, want)
			}
			all = append(all, st)
		}
	}
	for _, a := range all {
		for _, b := range all {
			if a.after(b) != a.time().After(b.time()) || a.before(b) != a.time().Before(b.time()) {
				t.Errorf("%+v vs %+v: after %v before %v, time says %v %v", a, b, a.after(b), a.before(b), a.time().After(b.time()), a.time().Before(b.time()))
			}
		}
	}
	for _, d := range []time.Duration{0, time.Nanosecond, 30 * time.Second, 1500 * time.Millisecond, math.MaxInt64} {
		s := newStamp(1700000000, 250)
		if got, want := s.minus(d).time(), s.time().Add(-d); d < 1<<62 && !got.Equal(want) {
			t.Errorf("minus(%v) = %v, want %v", d, got, want)
		}
		if low := newStamp(math.MinInt64+1, 0).minus(d); low.after(newStamp(math.MinInt64+1, 0)) {
			t.Errorf("minus(%v) near the bottom wrapped around to %+v", d, low)
		}
	}
	if top := newStamp(math.MaxInt64, 2e9); top.sec != math.MaxInt64 || top.nsec != 0 {
		t.Errorf("newStamp at the top wrapped around: %+v", top)
	}
	if !noStamp.time().IsZero() || !noStamp.before(newStamp(math.MinInt64+1, 0)) {
		t.Error("noStamp is not time.Time{} or not before everything")
	}
}
