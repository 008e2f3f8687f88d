package proxy

import (
	"time"

	"breakwater/firewall/transport"
	"breakwater/protocols/sccp"
)

// Bounds of the segments one association direction holds while their
// message is reassembled and judged.
const (
	maxHeldMessages = 32         // incomplete messages at once (as the reassembler's MaxPending)
	maxHeldSegments = 16         // per message: the most a segmentation parameter announces
	maxHeldBytes    = 16 << 10   // per message: 16 XUDT segments in M3UA DATA need about 6 KiB
	heldSweepEvery  = int64(1e9) // expiry is checked at most once a second
)

// heldKey identifies a segmented message as the SCCP reassembler does:
// MTP originating point code, segmentation local reference and calling
// party address as encoded (see sccp.Reassembler).
type heldKey struct {
	opc, ref uint32
	n        uint8
	calling  [sccp.MaxAddressLen]byte
}

type heldSeg struct {
	off, n int
	stream uint16
	ppid   uint32
}

type heldMsg struct {
	used  bool
	first bool // a first segment is held
	key   heldKey
	born  int64
	buf   []byte // the raw M3UA messages, back to back (grown once, reused)
	segs  [maxHeldSegments]heldSeg
	nseg  int
}

// heldStore holds the raw segments of incomplete messages in fixed slots:
// at most maxHeldMessages at once, the oldest evicted to make room, each
// dropped after the reassembly timeout. Buffers grow on first use and are
// reused, so holding allocates nothing in steady state.
type heldStore struct {
	msgs      [maxHeldMessages]heldMsg
	n         int
	timeout   int64
	lastSweep int64
	stats     *M3UAStats
}

func (s *heldStore) init(st *M3UAStats, timeout time.Duration) {
	s.stats, s.timeout = st, int64(timeout)
}

func (s *heldStore) find(k heldKey) int {
	if s.n == 0 {
		return -1
	}
	for i := range s.msgs {
		if s.msgs[i].used && s.msgs[i].key == k {
			return i
		}
	}
	return -1
}

// add holds segment m of the message k.
func (s *heldStore) add(now int64, k heldKey, first bool, m transport.Message) {
	s.sweep(now)
	i := s.find(k)
	if i >= 0 && first && s.msgs[i].first {
		// A new first segment under the same key: the sender started the
		// message again (the reassembler restarts too).
		s.evict(i)
		i = -1
	}
	if i < 0 {
		i = s.slot()
		h := &s.msgs[i]
		h.used, h.first, h.key, h.born, h.buf, h.nseg = true, false, k, now, h.buf[:0], 0
		s.n++
		s.stats.HeldMessages.Add(1)
	}
	h := &s.msgs[i]
	if h.nseg == maxHeldSegments || len(h.buf)+len(m.Data) > maxHeldBytes {
		return // only duplicates get here: the reassembler refuses more
	}
	h.first = h.first || first
	h.segs[h.nseg] = heldSeg{off: len(h.buf), n: len(m.Data), stream: m.Stream, ppid: m.PPID}
	h.nseg++
	h.buf = append(h.buf, m.Data...)
}

// slot returns a free slot, evicting the oldest message when none is.
func (s *heldStore) slot() int {
	oldest := -1
	for i := range s.msgs {
		if !s.msgs[i].used {
			return i
		}
		if oldest < 0 || s.msgs[i].born < s.msgs[oldest].born {
			oldest = i
		}
	}
	s.evict(oldest)
	return oldest
}

// sweep expires old messages, at most once every heldSweepEvery.
func (s *heldStore) sweep(now int64) {
	if now-s.lastSweep > heldSweepEvery {
		s.lastSweep = now
		s.expire(now)
	}
}

func (s *heldStore) expire(now int64) {
	for i := range s.msgs {
		if s.msgs[i].used && now-s.msgs[i].born > s.timeout {
			s.evict(i)
		}
	}
}

func (s *heldStore) evict(i int) {
	s.release(i)
	s.stats.HeldEvicted.Add(1)
}

// release frees slot i (its segments were forwarded or dropped).
func (s *heldStore) release(i int) {
	if !s.msgs[i].used {
		return
	}
	s.msgs[i].used = false
	s.n--
	s.stats.HeldMessages.Add(-1)
}

// clear releases everything (the association ended).
func (s *heldStore) clear() {
	for i := range s.msgs {
		s.release(i)
	}
}
