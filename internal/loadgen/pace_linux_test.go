package loadgen

import (
	"testing"
	"time"
)

// The pacer must use the timerfd (the point of it) and never return
// early; how late it returns is for the harness to show, not for a test.
func TestPacerWaits(t *testing.T) {
	p := newPacer()
	defer p.close()
	if p.f == nil {
		t.Fatal("no timerfd: the pacer fell back to time.Sleep")
	}
	for _, d := range []time.Duration{0, -time.Millisecond, 50 * time.Microsecond, 300 * time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		p.sleep(d)
		if got := time.Since(start); got < d {
			t.Errorf("sleep(%v) returned after %v", d, got)
		}
	}
}
