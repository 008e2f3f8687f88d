package proxy

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"breakwater/firewall/engine"
	"breakwater/protocols/view"
)

// blockLog writes one line per blocked message, at most perSecond lines a
// second, so that an attack flood cannot flood the log too; how many lines
// were held back is said on the next line written. (The audit log, not
// this, is the complete record.)
type blockLog struct {
	log        *slog.Logger
	perSecond  int
	clock      func() time.Time // time.Now when nil (tests set their own)
	mu         sync.Mutex
	window     int64 // unix second of the current window
	written    int
	suppressed int
}

func (b *blockLog) record(m *view.Message, v *engine.Verdict) {
	// Checked first: at a level above Info the line costs nothing, not even
	// the attribute slice, and does not use up the second's budget.
	if !b.log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	clock := b.clock
	if clock == nil {
		clock = time.Now
	}
	now := clock().Unix()
	b.mu.Lock()
	if now != b.window {
		b.window, b.written = now, 0
	}
	if b.written >= b.perSecond {
		b.suppressed++
		b.mu.Unlock()
		return
	}
	b.written++
	held := b.suppressed
	b.suppressed = 0
	b.mu.Unlock()
	attrs := []any{"verdict", v.Action.String(), "rule", v.Rule.ID, "category", string(v.Rule.Category),
		"op", m.Op, "code", m.Code, "app", m.App, "direction", v.Direction(), "partner", v.Partner(), "src", m.Src.String()}
	if m.Malformed != "" {
		attrs = append(attrs, "malformed", m.Malformed)
	}
	if held > 0 {
		attrs = append(attrs, "lines_held_back", held)
	}
	b.log.Info("blocked", attrs...)
}
