package cluster

import (
	"context"
	"encoding/binary"
	"net/netip"
	"time"

	"breakwater/firewall/state"
)

// periodic sends the rate-limit charges every rateEvery and the hello
// every helloEvery, and forgets peers not heard from for peerGone.
func (n *Node) periodic(ctx context.Context) {
	t := time.NewTicker(rateEvery)
	defer t.Stop()
	var wb batch
	type charge struct {
		src    netip.Addr
		tokens uint32
	}
	var charges []charge
	lastHello := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !n.up.Load() {
				continue
			}
			n.bmu.Lock()
			late := len(n.backlog) > 0 // queued in the instant Redis returned
			n.bmu.Unlock()
			if late {
				if err := n.flushBacklog(ctx); err != nil {
					n.markDown(err)
					continue
				}
			}
			wb.reset(n.opt.Name)
			records := 0
			if now.Sub(lastHello) >= helloEvery {
				lastHello = now
				v := *n.version.Load()
				wb.record(recHello, func(b []byte) []byte { return state.AppendShortString(b, v) })
				records++
				n.prunePeers(now)
			}
			if l := n.limiter.Load(); l != nil {
				// Collected first: Drain holds the limiter's locks.
				charges = charges[:0]
				l.Drain(func(src netip.Addr, tokens uint32) { charges = append(charges, charge{src, tokens}) })
				for _, c := range charges {
					if wb.full() {
						n.publish(ctx, wb.b)
						wb.reset(n.opt.Name)
					}
					wb.record(recRateCharge, func(b []byte) []byte {
						return binary.BigEndian.AppendUint32(appendAddr(b, c.src), c.tokens)
					})
					records++
					n.Stats.RateShared.Add(1)
				}
			}
			if records > 0 {
				n.publish(ctx, wb.b)
			}
		}
	}
}

func (n *Node) publish(ctx context.Context, msg []byte) {
	cctx, cancel := n.cmdCtx(ctx)
	defer cancel()
	if err := n.rdb.Publish(cctx, n.channel, msg).Err(); err != nil {
		n.Stats.WriteErrors.Add(1)
		return
	}
	n.Stats.Published.Add(1)
}

func (n *Node) prunePeers(now time.Time) {
	n.pmu.Lock()
	defer n.pmu.Unlock()
	for name, p := range n.peers {
		if now.Sub(p.seen) > peerGone {
			delete(n.peers, name)
			n.log.Info("cluster: node gone (no hello)", "peer", name)
		}
	}
}
