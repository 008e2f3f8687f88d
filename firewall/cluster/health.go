package cluster

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"breakwater/firewall/quarantine"
	"breakwater/firewall/state"
)

// health pings Redis and tracks whether it is reachable. Losing it is
// said once; regaining it (or reaching it for the first time) triggers a
// reconcile.
func (n *Node) health(ctx context.Context) {
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	first := true
	for {
		cctx, cancel := n.cmdCtx(ctx)
		err := n.rdb.Ping(cctx).Err()
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil && !n.up.Load():
			n.log.Info("cluster: Redis reachable; reconciling state", "addrs", n.opt.Addrs)
			n.resync.Store(false)
			if rerr := n.reconcile(ctx); rerr != nil {
				n.log.Warn("cluster: reconcile failed; retrying", "err", rerr.Error())
				break
			}
			n.up.Store(true)
			// What was queued during the reconcile went to the backlog.
			if err := n.flushBacklog(ctx); err != nil {
				n.markDown(err)
			}
		case err == nil && n.resync.Load():
			// Subscribed again after the reconcile above (the channel
			// reconnects on its own): read once more what may have been
			// published in between.
			n.resync.Store(false)
			if rerr := n.reconcile(ctx); rerr != nil {
				n.resync.Store(true)
				n.log.Warn("cluster: reconcile after resubscribing failed; retrying", "err", rerr.Error())
			}
		case err != nil && (n.up.Load() || first):
			n.markDown(err)
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// markDown records that Redis is unreachable (once per outage).
func (n *Node) markDown(err error) {
	if n.up.Swap(false) || n.downSince.Load() == 0 {
		n.downSince.Store(time.Now().UnixNano())
		n.Stats.Disconnects.Add(1)
		n.log.Warn("cluster: Redis unreachable; filtering with this node's state until it returns", "addrs", n.opt.Addrs, "err", err.Error())
	}
}

// reconcile brings this node and Redis together after (re)connecting:
// it writes the changes made meanwhile, reads back the shared locations
// and sessions (newest wins), and merges the quarantine lists.
func (n *Node) reconcile(ctx context.Context) error {
	n.Stats.Reconciles.Add(1)
	if err := n.flushBacklog(ctx); err != nil {
		return err
	}
	if err := n.readBack(ctx, "loc:", n.opt.MaxLocations, func(v []byte) bool {
		imsi, loc, rest, err := state.DecodeLocation(v)
		return err == nil && len(rest) == 0 && n.local.MergeLocation(imsi, loc)
	}); err != nil {
		return err
	}
	if err := n.readBack(ctx, "ses:", n.opt.MaxSessions, func(v []byte) bool {
		key, s, rest, err := state.DecodeSession(v)
		return err == nil && len(rest) == 0 && n.local.MergeSession(key, s)
	}); err != nil {
		return err
	}
	return n.reconcileQuarantine(ctx)
}

// readBack scans the keys under prefix+kind (on every master of a Redis
// Cluster), reading at most limit values, and gives each to merge.
func (n *Node) readBack(ctx context.Context, kind string, limit int, merge func([]byte) bool) error {
	if limit <= 0 {
		limit = 1 << 20
	}
	// ForEachMaster scans the masters concurrently.
	var read atomic.Int64
	scan := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for read.Load() < int64(limit) {
			sctx, cancel := n.cmdCtx(ctx)
			keys, next, err := c.Scan(sctx, cursor, n.opt.Prefix+kind+"*", 512).Result()
			cancel()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				gctx, cancel := n.cmdCtx(ctx)
				pipe := c.Pipeline()
				cmds := make([]*redis.StringCmd, len(keys))
				for i, k := range keys {
					cmds[i] = pipe.Get(gctx, k)
				}
				pipe.Exec(gctx) // a key expired meanwhile is redis.Nil: skipped below
				cancel()
				for _, cmd := range cmds {
					v, err := cmd.Bytes()
					if err != nil {
						continue
					}
					read.Add(1)
					if merge(v) {
						n.Stats.Reconciled.Add(1)
					}
				}
			}
			cursor = next
			if cursor == 0 {
				return nil
			}
		}
		return nil
	}
	if cc, ok := n.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, n.rdb)
}

// reconcileQuarantine merges this node's quarantine list with the shared
// one: entries decided elsewhere are applied here. An entry held here but
// not shared was either lifted elsewhere while this node was apart — a
// lift leaves a tombstone key (liftKeep) naming the entry it ended, and
// then it is lifted here too — or never reached Redis, or Redis lost it
// (a restart without persistence): then it is sent again. Without a
// tombstone the quarantine stays: isolating a partner wrongly for a while
// is the lesser harm.
func (n *Node) reconcileQuarantine(ctx context.Context) error {
	qs := n.qset.Load()
	if qs == nil {
		return nil
	}
	cctx, cancel := n.cmdCtx(ctx)
	all, err := n.rdb.HGetAll(cctx, n.qkey).Result()
	cancel()
	if err != nil {
		return err
	}
	now := time.Now()
	remote := make(map[string]quarantine.Entry, len(all))
	var stale []string
	for p, v := range all {
		e, err := readEntry([]byte(v))
		if err != nil || e.Partner != p || (!e.Until.IsZero() && !now.Before(e.Until)) {
			stale = append(stale, p)
			continue
		}
		remote[p] = e
		if changed, _ := qs.Apply(e); changed {
			n.Stats.QuarantineIn.Add(1)
		}
	}
	if len(stale) > 0 {
		cctx, cancel := n.cmdCtx(ctx)
		n.rdb.HDel(cctx, n.qkey, stale...)
		cancel()
	}
	for _, e := range qs.List() {
		r, shared := remote[e.Partner]
		if shared && !r.Since.Before(e.Since) {
			continue // the shared entry is this one, or newer (applied above)
		}
		if !shared {
			cctx, cancel := n.cmdCtx(ctx)
			v, err := n.rdb.Get(cctx, n.liftKey(e.Partner)).Bytes()
			cancel()
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			if t, terr := readEntry(v); err == nil && terr == nil && t.Partner == e.Partner && !t.Since.Before(e.Since) {
				// Lifted elsewhere while this node was apart.
				if changed, _ := qs.Remove(e.Partner, e.Since); changed {
					n.Stats.QuarantineIn.Add(1)
				}
				continue
			}
		}
		n.enqueue(change{kind: chQuarantine, entry: e})
	}
	return nil
}

// flushBacklog writes the changes kept while Redis was unreachable.
func (n *Node) flushBacklog(ctx context.Context) error {
	n.bmu.Lock()
	backlog := n.backlog
	n.backlog = nil
	n.bmu.Unlock()
	var wb batch
	for len(backlog) > 0 {
		k := min(len(backlog), maxPipeline)
		if err := n.write(ctx, backlog[:k], &wb); err != nil {
			n.toBacklog(backlog)
			return err
		}
		backlog = backlog[k:]
	}
	return nil
}
