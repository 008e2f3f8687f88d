package proxy

import "sync/atomic"

// tracker remembers the hop-by-hop identifiers of requests relayed in one
// direction and not answered yet, so that a shutdown can wait for them. It
// is a fixed, lock-free open-addressing set: one goroutine adds (the
// reader of the requesting side), another removes (the reader of the
// answering side). When a neighbourhood is full the request is simply not
// tracked: the tracker bounds a graceful wait, it never decides delivery.
type tracker struct {
	slots [trackerSlots]atomic.Uint64
	n     atomic.Int64
}

const (
	trackerSlots = 4096
	trackerProbe = 16
	present      = 1 << 32 // marks a used slot (hop-by-hop ids may be 0)
)

func (t *tracker) slot(hbh uint32) int { return int((hbh * 0x9E3779B1) >> 20) }

func (t *tracker) add(hbh uint32) {
	v := uint64(hbh) | present
	start := t.slot(hbh)
	for i := 0; i < trackerProbe; i++ {
		if t.slots[(start+i)%trackerSlots].CompareAndSwap(0, v) {
			t.n.Add(1)
			return
		}
	}
}

func (t *tracker) remove(hbh uint32) {
	v := uint64(hbh) | present
	start := t.slot(hbh)
	for i := 0; i < trackerProbe; i++ {
		if t.slots[(start+i)%trackerSlots].CompareAndSwap(v, 0) {
			t.n.Add(-1)
			return
		}
	}
}

func (t *tracker) len() int { return int(t.n.Load()) }
