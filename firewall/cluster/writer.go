package cluster

import (
	"context"
	"encoding/binary"
	"time"

	"breakwater/firewall/state"
)

// maxPipeline bounds the changes written in one round trip.
const maxPipeline = 1024

// liftScript removes a quarantine entry only if it is still the one the
// node lifted, so that a lift never erases a newer quarantine another
// node decided meanwhile.
// (EVAL, not EVALSHA: in a pipeline a NOSCRIPT answer could not be
// retried, and the script is tiny.)
const liftScript = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`

// writer delivers queued changes: written to their keys and published to
// the other nodes in one pipelined round trip per batch. While Redis is
// down, changes go to the backlog, written when it returns.
func (n *Node) writer(ctx context.Context) {
	var wb batch
	pending := make([]change, 0, maxPipeline)
	for {
		select {
		case <-ctx.Done():
			// Last words: what is queued, within one timeout.
			pending = n.take(pending[:0])
			if len(pending) > 0 && n.up.Load() {
				fctx, cancel := context.WithTimeout(context.Background(), n.opt.Timeout)
				n.write(fctx, pending, &wb)
				cancel()
			}
			return
		case c := <-n.queue:
			pending = append(pending[:0], c)
		}
		pending = n.take(pending)
		if !n.up.Load() {
			n.toBacklog(pending)
			continue
		}
		if err := n.write(ctx, pending, &wb); err != nil {
			n.toBacklog(pending)
			n.markDown(err)
		}
	}
}

// take appends what else is queued, up to one pipeline.
func (n *Node) take(p []change) []change {
	for len(p) < maxPipeline {
		select {
		case c := <-n.queue:
			p = append(p, c)
		default:
			return p
		}
	}
	return p
}

func (n *Node) toBacklog(p []change) {
	n.bmu.Lock()
	defer n.bmu.Unlock()
	n.backlog = append(n.backlog, p...)
	if over := len(n.backlog) - n.opt.Queue; over > 0 {
		n.Stats.Dropped.Add(uint64(over))
		n.backlog = append(n.backlog[:0], n.backlog[over:]...)
	}
}

// write sends changes in one pipeline: each to its key, and all of them,
// in batches, on the channel.
func (n *Node) write(ctx context.Context, changes []change, wb *batch) error {
	ctx, cancel := n.cmdCtx(ctx)
	defer cancel()
	pipe := n.rdb.Pipeline()
	wb.reset(n.opt.Name)
	records := 0
	publish := func() {
		if records > 0 {
			pipe.Publish(ctx, n.channel, append([]byte(nil), wb.b...))
			n.Stats.Published.Add(1)
		}
		wb.reset(n.opt.Name)
		records = 0
	}
	now := time.Now()
	for i := range changes {
		c := &changes[i]
		switch c.kind {
		case chLocation:
			ttl := n.opt.LocationTTL - now.Sub(c.loc.Time)
			if n.opt.LocationTTL > 0 && ttl <= 0 {
				continue // expired before it could be written
			}
			pipe.Set(ctx, n.locKey(c.key), state.AppendLocation(nil, c.key, c.loc), max(ttl, 0))
			wb.record(recLocation, func(b []byte) []byte { return state.AppendLocation(b, c.key, c.loc) })
		case chSession:
			ttl := n.opt.SessionTTL - now.Sub(c.ses.Created)
			if n.opt.SessionTTL > 0 && ttl <= 0 {
				continue
			}
			pipe.Set(ctx, n.sesKey(c.key), state.AppendSession(nil, c.key, c.ses), max(ttl, 0))
			wb.record(recSession, func(b []byte) []byte { return state.AppendSession(b, c.key, c.ses) })
		case chSessionDelete:
			pipe.Del(ctx, n.sesKey(c.key))
			wb.record(recSessionDelete, func(b []byte) []byte { return binary.BigEndian.AppendUint64(b, c.key) })
		case chQuarantine:
			pipe.HSet(ctx, n.qkey, c.entry.Partner, appendEntry(nil, c.entry))
			wb.record(recQuarantine, func(b []byte) []byte { return appendEntry(b, c.entry) })
			n.Stats.QuarantineOut.Add(1)
		case chLift:
			pipe.Eval(ctx, liftScript, []string{n.qkey}, c.entry.Partner, appendEntry(nil, c.entry))
			pipe.Set(ctx, n.liftKey(c.entry.Partner), appendEntry(nil, c.entry), liftKeep)
			wb.record(recLift, func(b []byte) []byte { return appendEntry(b, c.entry) })
			n.Stats.QuarantineOut.Add(1)
		}
		records++
		if wb.full() {
			publish()
		}
	}
	publish()
	_, err := pipe.Exec(ctx)
	if err != nil {
		n.Stats.WriteErrors.Add(1)
		return err
	}
	n.Stats.Written.Add(uint64(len(changes)))
	return nil
}
