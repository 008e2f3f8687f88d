package cluster

import (
	"context"

	"github.com/redis/go-redis/v9"

	"breakwater/firewall/state"
)

// A local miss is looked up in Redis behind the message's back: the
// message is judged with what the node knows (it never waits on the
// network), and the entry, if another node wrote it, is in the local
// store for the next message. Normally the channel has delivered every
// entry already; misses find something only for entries this node
// evicted (its capacity is smaller than the shared set) or missed while
// it was cut off.

// fetchQueue bounds the misses waiting to be looked up; beyond it they
// are counted and skipped (a flood of unknown subscribers costs Redis at
// most what the fetcher can do).
const fetchQueue = 1024

type fetchReq struct {
	key     uint64
	session bool
}

func (n *Node) miss(r fetchReq) {
	if !n.up.Load() {
		return
	}
	select {
	case n.fetch <- r:
	default:
		n.Stats.FetchDropped.Add(1)
	}
}

// fetcher looks misses up in batches, one pipelined round trip each.
func (n *Node) fetcher(ctx context.Context) {
	reqs := make([]fetchReq, 0, 256)
	cmds := make([]*redis.StringCmd, 0, 256)
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-n.fetch:
			reqs = append(reqs[:0], r)
		}
	more:
		for len(reqs) < cap(reqs) {
			select {
			case r := <-n.fetch:
				reqs = append(reqs, r)
			default:
				break more
			}
		}
		cctx, cancel := n.cmdCtx(ctx)
		pipe := n.rdb.Pipeline()
		cmds = cmds[:0]
		for _, r := range reqs {
			k := n.locKey(r.key)
			if r.session {
				k = n.sesKey(r.key)
			}
			cmds = append(cmds, pipe.Get(cctx, k))
		}
		pipe.Exec(cctx) // absent keys are redis.Nil, errors per command: both skipped
		cancel()
		for i, c := range cmds {
			v, err := c.Bytes()
			if err != nil {
				continue
			}
			var merged bool
			if reqs[i].session {
				key, s, rest, err := state.DecodeSession(v)
				merged = err == nil && len(rest) == 0 && key == reqs[i].key && n.local.MergeSession(key, s)
			} else {
				imsi, l, rest, err := state.DecodeLocation(v)
				merged = err == nil && len(rest) == 0 && imsi == reqs[i].key && n.local.MergeLocation(imsi, l)
			}
			if merged {
				n.Stats.Fetched.Add(1)
			}
		}
	}
}
