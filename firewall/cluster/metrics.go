package cluster

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	mUp          = desc("state_redis_up", "1 when this node reaches Redis; 0 while it filters with its own state alone.")
	mWritten     = desc("state_redis_writes_total", "State changes written to Redis.")
	mWriteErrors = desc("state_redis_write_errors_total", "Failed writes to Redis (the changes are kept and retried when it returns).")
	mDropped     = desc("state_redis_dropped_total", "State changes never shared: the queue or the outage backlog (state.redis.queue) was full.")
	mPublished   = desc("state_redis_published_total", "Messages this node sent to the others.")
	mReceived    = desc("state_redis_received_total", "Locations, sessions and deletions from other nodes applied here.")
	mStale       = desc("state_redis_stale_total", "Updates from other nodes older than what this node knew (ignored).")
	mBad         = desc("state_redis_bad_messages_total", "Messages on the channel refused as malformed.")
	mReconciles  = desc("state_redis_reconciles_total", "Full re-reads of the shared state after (re)connecting.")
	mReconciled  = desc("state_redis_reconciled_total", "Entries learned by those re-reads.")
	mDisconnects = desc("state_redis_disconnects_total", "Times Redis became unreachable.")
	mRateShared  = desc("cluster_rate_charges_sent_total", "Rate-limit charges sent to the other nodes.")
	mRateApplied = desc("cluster_rate_charges_received_total", "Rate-limit charges from other nodes applied here.")
	mQIn         = desc("cluster_quarantine_received_total", "Quarantine changes from other nodes applied here.")
	mQOut        = desc("cluster_quarantine_sent_total", "Quarantine changes sent to the other nodes.")
	mFetched     = desc("state_redis_fetched_total", "Entries missing locally and found in Redis (looked up after the message that missed them).")
	mFetchDrop   = desc("state_redis_fetch_dropped_total", "Local misses not looked up in Redis: the fetch queue was full.")
	mPeers       = desc("cluster_peers", "Other nodes heard from in the last 5 seconds.")
	mMismatch    = desc("cluster_policy_mismatch", "Other nodes announcing a policy version different from this node's.")
)

func desc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("breakwater_"+name, help, nil, nil)
}

// Describe and Collect make the node a Prometheus collector.
func (n *Node) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mUp, mWritten, mWriteErrors, mDropped, mPublished, mReceived, mStale, mBad,
		mReconciles, mReconciled, mDisconnects, mRateShared, mRateApplied, mQIn, mQOut, mFetched, mFetchDrop, mPeers, mMismatch} {
		ch <- d
	}
}

func (n *Node) Collect(ch chan<- prometheus.Metric) {
	up := 0.0
	if n.up.Load() {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(mUp, prometheus.GaugeValue, up)
	s := &n.Stats
	for _, c := range []struct {
		d *prometheus.Desc
		v uint64
	}{
		{mWritten, s.Written.Load()}, {mWriteErrors, s.WriteErrors.Load()}, {mDropped, s.Dropped.Load()},
		{mPublished, s.Published.Load()}, {mReceived, s.Received.Load()}, {mStale, s.Stale.Load()},
		{mBad, s.BadMessages.Load()}, {mReconciles, s.Reconciles.Load()}, {mReconciled, s.Reconciled.Load()},
		{mDisconnects, s.Disconnects.Load()}, {mRateShared, s.RateShared.Load()}, {mRateApplied, s.RateCharged.Load()},
		{mQIn, s.QuarantineIn.Load()}, {mQOut, s.QuarantineOut.Load()},
		{mFetched, s.Fetched.Load()}, {mFetchDrop, s.FetchDropped.Load()},
	} {
		ch <- prometheus.MustNewConstMetric(c.d, prometheus.CounterValue, float64(c.v))
	}
	mine := *n.version.Load()
	peers, mismatch := 0, 0
	for _, v := range n.Peers() {
		peers++
		if v != mine {
			mismatch++
		}
	}
	ch <- prometheus.MustNewConstMetric(mPeers, prometheus.GaugeValue, float64(peers))
	ch <- prometheus.MustNewConstMetric(mMismatch, prometheus.GaugeValue, float64(mismatch))
}
