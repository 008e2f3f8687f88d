package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"breakwater/firewall/state"
)

// subscriber applies the other nodes' messages. The client resubscribes
// by itself after a connection loss; what was published while this node
// was not subscribed is recovered by a reconcile after each
// (re)subscription: a change's key is written before it is published, in
// the same pipeline, so reading the keys once subscribed misses nothing.
func (n *Node) subscriber(ctx context.Context) {
	ps := n.rdb.Subscribe(ctx, n.channel)
	defer ps.Close()
	ch := ps.ChannelWithSubscriptions(redis.WithChannelSize(1024))
	for {
		select {
		case <-ctx.Done():
			return
		case v, ok := <-ch:
			if !ok {
				return
			}
			m, isMsg := v.(*redis.Message)
			if !isMsg {
				if sub, ok := v.(*redis.Subscription); ok && sub.Kind == "subscribe" {
					n.resync.Store(true) // health reconciles
				}
				continue
			}
			if err := n.apply([]byte(m.Payload), time.Now()); err != nil {
				n.Stats.BadMessages.Add(1)
				n.log.Warn("cluster: message on the channel refused", "channel", n.channel, "err", err.Error())
			}
		}
	}
}

// apply applies one message from another node; its own are ignored.
func (n *Node) apply(msg []byte, now time.Time) error {
	return decodeBatch(msg, func(from string, kind byte, body []byte) error {
		if from == n.opt.Name {
			return nil
		}
		return n.applyRecord(from, kind, body, now)
	})
}

func (n *Node) applyRecord(from string, kind byte, body []byte, now time.Time) error {
	switch kind {
	case recLocation:
		imsi, loc, rest, err := state.DecodeLocation(body)
		if err != nil || len(rest) != 0 {
			return fmt.Errorf("location from %s: %v", from, errOr(err, "trailing bytes"))
		}
		n.count(n.local.MergeLocation(imsi, loc))
	case recSession:
		key, s, rest, err := state.DecodeSession(body)
		if err != nil || len(rest) != 0 {
			return fmt.Errorf("session from %s: %v", from, errOr(err, "trailing bytes"))
		}
		n.count(n.local.MergeSession(key, s))
	case recSessionDelete:
		if len(body) != 8 {
			return fmt.Errorf("session delete from %s: %d bytes, want 8", from, len(body))
		}
		n.local.DeleteSession(binary.BigEndian.Uint64(body))
		n.Stats.Received.Add(1)
	case recQuarantine, recLift:
		e, err := readEntry(body)
		if err != nil {
			return fmt.Errorf("quarantine change from %s: %v", from, err)
		}
		qs := n.qset.Load()
		if qs == nil {
			return nil
		}
		var changed bool
		if kind == recQuarantine {
			changed, err = qs.Apply(e)
		} else {
			changed, err = qs.Remove(e.Partner, e.Since)
		}
		if changed {
			n.Stats.QuarantineIn.Add(1)
		}
		if err != nil {
			n.log.Warn("cluster: quarantine change from another node", "from", from, "partner", e.Partner, "err", err.Error())
		}
	case recHello:
		v, rest, err := state.ReadShortString(body)
		if err != nil || len(rest) != 0 {
			return fmt.Errorf("hello from %s: %v", from, errOr(err, "trailing bytes"))
		}
		n.hello(from, v, now)
	case recRateCharge:
		a, rest, err := readAddr(body)
		if err != nil || len(rest) != 4 {
			return fmt.Errorf("rate charge from %s: %v", from, errOr(err, "wrong length"))
		}
		if l := n.limiter.Load(); l != nil {
			l.Charge(a, binary.BigEndian.Uint32(rest))
			n.Stats.RateCharged.Add(1)
		}
	default:
		// A newer node's record: skipped, so that nodes can be upgraded
		// one at a time.
	}
	return nil
}

func (n *Node) count(applied bool) {
	if applied {
		n.Stats.Received.Add(1)
	} else {
		n.Stats.Stale.Add(1)
	}
}

func errOr(err error, why string) error {
	if err != nil {
		return err
	}
	return errors.New(why)
}

// hello records a peer's announcement and says when its rules differ.
func (n *Node) hello(from, version string, now time.Time) {
	n.pmu.Lock()
	old, known := n.peers[from]
	n.peers[from] = peer{version: version, seen: now}
	n.pmu.Unlock()
	if !known {
		n.log.Info("cluster: node joined", "peer", from, "policy", version)
	}
	mine := *n.version.Load()
	if version != mine && mine != "" && (!known || old.version != version) {
		n.log.Warn("cluster: a node enforces other rules than this one; deploy the same configuration and rule file on every node",
			"peer", from, "peer_policy", version, "policy", mine)
	}
}

// Peers returns the other nodes heard from recently, with their policy
// versions.
func (n *Node) Peers() map[string]string {
	n.pmu.Lock()
	defer n.pmu.Unlock()
	out := make(map[string]string, len(n.peers))
	for k, p := range n.peers {
		out[k] = p.version
	}
	return out
}
