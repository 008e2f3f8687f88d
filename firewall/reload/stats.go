package reload

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats records the outcome of reloads, for /metrics and the admin API.
type Stats struct {
	OK, Failed atomic.Uint64
	mu         sync.Mutex
	lastErr    string
	lastErrAt  time.Time
}

// Fail records a refused reload.
func (s *Stats) Fail(err error, at time.Time) {
	s.Failed.Add(1)
	s.mu.Lock()
	s.lastErr, s.lastErrAt = err.Error(), at
	s.mu.Unlock()
}

// Succeed records a reload put in force.
func (s *Stats) Succeed() { s.OK.Add(1) }

// LastError is the last refused reload's error and when it happened
// ("" when none was refused).
func (s *Stats) LastError() (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr, s.lastErrAt
}
