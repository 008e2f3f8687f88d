package proxy

import (
	"sync/atomic"
	"time"

	"breakwater/firewall/transport"
)

// endpoint is one side's connection with the bookkeeping the watchdog
// needs: when the write in progress (if any) started.
type endpoint struct {
	conn      transport.Conn
	busySince atomic.Int64 // unix ns; 0 when no write is in progress
	stuck     atomic.Bool
}

func (e *endpoint) write(m transport.Message) error {
	e.busySince.Store(time.Now().UnixNano())
	err := e.conn.WriteMessage(m)
	e.busySince.Store(0)
	return err
}

// checkStuck aborts the connection when a write has been blocked longer
// than limit, which unblocks the writer with an error.
func (e *endpoint) checkStuck(now, limit int64) bool {
	if e == nil {
		return false
	}
	if since := e.busySince.Load(); since != 0 && now-since > limit && !e.stuck.Swap(true) {
		e.conn.Abort()
		return true
	}
	return false
}
