//go:build !linux

package loadgen

import "time"

// pacer waits with time.Sleep where there is no timerfd.
type pacer struct{}

func newPacer() *pacer                 { return &pacer{} }
func (p *pacer) sleep(d time.Duration) { time.Sleep(d) }
func (p *pacer) close()                {}
