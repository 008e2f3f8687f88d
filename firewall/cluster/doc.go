// Package cluster lets several Breakwater nodes share what they learn
// through Redis, so that a node is not fooled because the state it needs
// was learned by its neighbour: a subscriber's location update may cross
// node A and the location probe node B.
//
// # What is shared
//
//   - Subscriber locations (Cat 2/3 checks) and GTP-C session ownership:
//     written to Redis keys with the same TTL as in memory, and sent to
//     every node on one pub/sub channel.
//   - The quarantine list: a Redis hash, and the channel; a quarantine
//     issued on one node is in force on every node as soon as the message
//     arrives (well under a second on a LAN).
//   - Rate-limit consumption: each node sends, every 100 ms, the tokens
//     each rate-limited source took from it; the others charge them to
//     their own buckets, so a source spreading its traffic over the nodes
//     is held to its limit overall.
//   - Rule versions: every node announces the version of its rule set
//     (the baseline and the rule file's hash) each second; a node running
//     other rules than a peer says so in its log and in /metrics
//     (breakwater_cluster_policy_mismatch). The configuration file itself
//     is not compared: it legitimately differs per node (listen
//     addresses, node name).
//
// Pending requests (waiting for the answer that confirms a location
// update) and GTP-C sequence numbers stay per node: an answer returns on
// the connection its request used, through the same node.
//
// # Consistency model
//
// The per-message path never waits on the network. Every node keeps a
// full local replica (its bounded in-memory store) that serves every
// read; writes go to the replica at once and to Redis asynchronously,
// batched and pipelined by one writer goroutine. A node learns another
// node's change when the change's message arrives: normally within a
// millisecond or two of the message that caused it.
//
// A read that misses locally is looked up in Redis behind the message's
// back (bounded queue, one pipelined round trip per batch): the message
// is judged with what the node knew, and the entry is local for the
// next one. This covers entries the node evicted and changes it missed.
//
// A node may therefore miss, for a while:
//
//   - a change still in flight (the writer batches at most 1 ms, plus one
//     Redis round trip, plus delivery);
//   - changes made while it could not reach Redis, or while another node
//     could not: each node keeps its unsent changes (up to state.redis.queue)
//     and writes them when Redis returns; on reconnecting, a node also
//     re-reads the shared keys (locations and sessions, newest wins) and
//     the quarantine hash;
//   - entries beyond its own capacity (velocity.max_subscribers,
//     gtp_state.max_sessions): the oldest go first, as on a single node.
//
// When Redis is unreachable, nodes keep filtering with what they know,
// say so once in the log and in breakwater_state_redis_up, and reconcile
// when it returns. A lift leaves a tombstone key for 30 days, so that a
// node returning from apart lifts what was lifted meanwhile, while a
// quarantine Redis lost (a restart without persistence) is shared again
// rather than taken for a lift. Conflicts resolve by time: a location or session with
// a later timestamp replaces an earlier one; a quarantine decided later
// replaces an earlier one, and a lift removes only the entry it lifted.
package cluster
