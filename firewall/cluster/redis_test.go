package cluster

import (
	"testing"
	"time"

	"breakwater/internal/redistest"
)

func startRedis(t testing.TB) *redistest.Server { return redistest.Start(t) }

// waitFor polls cond every 10 ms for up to limit.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}
