package proxy

import (
	"errors"
	"sync/atomic"
	"syscall"
)

// Local answer reasons, for counters and logs.
const (
	answerRejected    = iota // the engine rejected the request
	answerUnavailable        // the other side is down or shutting down (3002)
	answerWatchdog           // DWA given while the upstream is down
	answerDisconnect         // DPA given while the upstream is down
	answerOversized          // the request exceeded the maximum size
	numAnswerReasons
)

// AnswerReasons names the local-answer reasons in counter order.
var AnswerReasons = [numAnswerReasons]string{"rejected", "unavailable", "watchdog", "disconnect", "oversized"}

// isReset reports an error of a connection the peer reset or aborted
// (TCP RST, SCTP ABORT: the kernel says ECONNRESET, or EPIPE on a write).
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// RelayStats counts what a relay did. Fields are updated atomically.
type RelayStats struct {
	Accepted, Refused        atomic.Uint64 // connections accepted / refused (unknown source, quarantined, over a limit)
	OverLimit                atomic.Uint64 // refused over max_connections or max_connections_per_source
	ActivePairs, UpstreamUp  atomic.Int64  // connection pairs now / of which the upstream is up
	UpstreamConnects         atomic.Uint64 // successful upstream connections
	UpstreamFailures         atomic.Uint64 // failed upstream connection attempts
	FramingErrors, Oversized atomic.Uint64
	WriteTimeouts            atomic.Uint64 // peers disconnected for not reading
	ReadTimeouts             atomic.Uint64 // peers disconnected for sending no whole message in read_timeout
	PeerResets               atomic.Uint64 // peer connections reset or aborted (TCP RST, SCTP ABORT)
	ToUpstream, ToPeer       atomic.Uint64 // messages relayed in each direction
	LocalAnswers             [numAnswerReasons]atomic.Uint64
	Blocked                  atomic.Uint64 // messages rejected or dropped by the engine
}
