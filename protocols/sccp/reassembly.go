package sccp

import (
	"bytes"
	"errors"
	"hash/maphash"
	"time"
)

// ReassemblyConfig bounds a Reassembler. Zero fields take the defaults.
type ReassemblyConfig struct {
	// MaxPending is how many messages may be half-reassembled at once
	// (default 1024). When a new message needs a place and none is free,
	// the oldest pending message is evicted.
	MaxPending int
	// MaxMessageBytes bounds one reassembled message's user data (default
	// 4096: sixteen XUDT segments carry less; at most 65535).
	MaxMessageBytes int
	// MaxSegments bounds the segments of one message, 2-16 (default 16,
	// the most the 4-bit remaining-segments count can announce).
	MaxSegments int
	// Timeout is how long after its first-received segment a message may
	// stay incomplete (default 10 s, the short end of Q.714's
	// T(reassembly)).
	Timeout time.Duration
}

// Defaults of ReassemblyConfig.
const (
	DefaultMaxPending      = 1024
	DefaultMaxMessageBytes = 4096
	DefaultTimeout         = 10 * time.Second
	maxSegments            = 16
)

// Status says what Add did with a segment.
type Status uint8

const (
	// StatusUnsegmented: the message has no segmentation parameter; the
	// returned data is its own.
	StatusUnsegmented Status = iota
	// StatusPending: the segment is stored; the message is incomplete.
	StatusPending
	// StatusComplete: the message is complete; the returned data is its
	// user data. A single segment (first, none remaining) completes at once.
	StatusComplete
	// StatusDuplicate: an identical copy of a stored segment, ignored.
	StatusDuplicate
)

// Reassembly errors. After ErrSegment, ErrSegmentConflict and
// ErrReassemblyTooLarge the pending message the segment belonged to has
// been discarded.
var (
	ErrSegment            = errors.New("sccp: segment inconsistent with its message (remaining count, class, type or called address)")
	ErrSegmentConflict    = errors.New("sccp: segment differs from an earlier copy of the same segment")
	ErrReassemblyTooLarge = errors.New("sccp: reassembled message larger than MaxMessageBytes")
	ErrTooManySegments    = errors.New("sccp: more segments announced than MaxSegments")
)

// ReassemblyStats counts what a Reassembler did, for metrics.
type ReassemblyStats struct {
	Completed  uint64 // messages reassembled
	Duplicates uint64 // identical segments ignored
	Restarted  uint64 // pending messages replaced by a new first segment under the same key
	Discarded  uint64 // pending messages dropped for an inconsistent, conflicting or oversized segment
	Refused    uint64 // segments refused outright (too many segments)
	Expired    uint64 // pending messages dropped after Timeout
	Evicted    uint64 // pending messages dropped to make room (oldest first)
}

// Reassembler reassembles segmented connectionless messages (Q.714
// §4.1.1.2: XUDT, XUDTS, LUDT and LUDTS with a segmentation parameter).
// It is not safe for concurrent use.
//
// Policy:
//
//   - Key. Segments belong together when they share calling party address
//     (as encoded), segmentation local reference and MTP originating point
//     code, as at the receiving node. They must also agree on message
//     type, called party address and the segmentation class bit; a segment
//     that does not discards the pending message (ErrSegment): a firewall
//     must not inspect one message and let the receiver assemble another.
//   - Order. A segment's place is fixed by its remaining-segments count
//     (the first segment, F bit set, announces the total), so segments are
//     accepted in any order, including before the first; whatever the most
//     permissive receiver could assemble, the firewall sees. A count
//     impossible for the total (a non-first segment with as many remaining
//     as the first, or more) is ErrSegment.
//   - Duplicates and overlaps. A second copy of a stored segment is
//     ignored when identical (StatusDuplicate) and discards the message when
//     not (ErrSegmentConflict): readers keeping the first or the last copy
//     would differ. A new first segment that differs from the stored first
//     starts a new message under the key (the sender reused the reference
//     after losing one), counted as Restarted.
//   - Memory. Storage is allocated once by NewReassembler: MaxPending slots
//     of MaxMessageBytes each, plus a fixed hash table. A message whose
//     segments exceed MaxMessageBytes is discarded; when all slots are busy
//     the oldest pending message is evicted, so a flood of half-finished
//     messages costs the flood its own oldest members and memory never
//     grows. Messages older than Timeout are expired lazily by Add (and by
//     Expire). Time is the caller's clock (capture time in replay).
//   - Output. The reassembled user data returned by Add aliases the
//     Reassembler and is valid until the next call.
type Reassembler struct {
	cfg     ReassemblyConfig
	timeout int64
	seed    maphash.Seed
	entries []rentry
	slab    []byte  // entry i owns slab[i*MaxMessageBytes:][:MaxMessageBytes]
	table   []int32 // open addressing, linear probing: entry index + 1, 0 empty
	free    []int32 // stack of free entry indexes
	oldest  int32   // age list (by first-received segment): head
	newest  int32   // tail
	out     []byte  // assembly buffer for segments stored out of order
	stats   ReassemblyStats
}

// rkey is calling address length and octets, local reference and OPC.
type rkey [1 + MaxAddressLen + 3 + 4]byte

type segSlot struct{ off, n uint16 }

type rentry struct {
	key        rkey
	hash       uint64
	born       int64
	used       int    // octets of the slab slot in use
	have       uint16 // bit r: the segment with r remaining is stored
	total      uint8  // segments in the message, known from the first; 0 before
	class      uint8
	typ        MessageType
	calledN    uint8
	called     [MaxAddressLen]byte
	slots      [maxSegments]segSlot // by remaining count
	prev, next int32
}

// NewReassembler allocates a Reassembler and all the memory it will use.
func NewReassembler(cfg ReassemblyConfig) *Reassembler {
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	cfg.MaxMessageBytes = min(cfg.MaxMessageBytes, 65535)
	if cfg.MaxSegments <= 0 || cfg.MaxSegments > maxSegments {
		cfg.MaxSegments = maxSegments
	}
	cfg.MaxSegments = max(cfg.MaxSegments, 2)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	size := 1
	for size < 2*cfg.MaxPending { // load factor at most 1/2
		size <<= 1
	}
	r := &Reassembler{
		cfg:     cfg,
		timeout: int64(cfg.Timeout),
		seed:    maphash.MakeSeed(),
		entries: make([]rentry, cfg.MaxPending),
		slab:    make([]byte, cfg.MaxPending*cfg.MaxMessageBytes),
		table:   make([]int32, size),
		free:    make([]int32, cfg.MaxPending),
		out:     make([]byte, cfg.MaxMessageBytes),
		oldest:  -1,
		newest:  -1,
	}
	for i := range r.free {
		r.free[i] = int32(cfg.MaxPending - 1 - i)
	}
	return r
}

// Config returns the effective configuration (defaults applied).
func (r *Reassembler) Config() ReassemblyConfig { return r.cfg }

// Stats returns the counters.
func (r *Reassembler) Stats() ReassemblyStats { return r.stats }

// Pending is the number of incomplete messages held.
func (r *Reassembler) Pending() int { return len(r.entries) - len(r.free) }

// Add takes one decoded message m whose MTP originating point code is opc,
// received at now. Messages without a segmentation parameter pass through
// (StatusUnsegmented, m.Data). See the type's documentation for the policy.
func (r *Reassembler) Add(now time.Time, opc uint32, m *Message) ([]byte, Status, error) {
	if !m.HasSegmentation {
		return m.Data, StatusUnsegmented, nil
	}
	t := now.UnixNano()
	r.Expire(now)
	s := m.Segmentation
	if s.First && s.Remaining == 0 {
		return m.Data, StatusComplete, nil
	}
	var k rkey
	if len(m.Calling.Raw) > MaxAddressLen || len(m.Called.Raw) > MaxAddressLen {
		return nil, 0, ErrSegment // Parse never yields such addresses
	}
	k[0] = uint8(len(m.Calling.Raw))
	copy(k[1:], m.Calling.Raw)
	o := 1 + MaxAddressLen
	k[o], k[o+1], k[o+2] = byte(s.LocalRef), byte(s.LocalRef>>8), byte(s.LocalRef>>16)
	k[o+3], k[o+4], k[o+5], k[o+6] = byte(opc), byte(opc>>8), byte(opc>>16), byte(opc>>24)
	h := maphash.Bytes(r.seed, k[:])

	idx := r.find(&k, h)
	tooMany := s.First && int(s.Remaining) >= r.cfg.MaxSegments || !s.First && int(s.Remaining)+2 > r.cfg.MaxSegments
	if tooMany {
		if idx >= 0 {
			r.drop(idx)
			r.stats.Discarded++
		}
		r.stats.Refused++
		return nil, 0, ErrTooManySegments
	}
	var e *rentry
	switch {
	case idx < 0:
		idx = r.alloc()
		e = &r.entries[idx]
		r.start(e, &k, h, t, m)
		r.link(idx)
		r.insert(idx)
	default:
		e = &r.entries[idx]
		if s.First && e.total != 0 && !(e.total == s.Remaining+1 && r.same(idx, e.slots[s.Remaining], m.Data)) {
			r.stats.Restarted++
			r.unlink(idx)
			r.start(e, &k, h, t, m)
			r.link(idx)
		} else if e.typ != m.Type || e.class != s.Class || !bytes.Equal(e.called[:e.calledN], m.Called.Raw) {
			r.drop(idx)
			r.stats.Discarded++
			return nil, 0, ErrSegment
		}
	}

	rem := s.Remaining
	if s.First {
		if e.total == 0 && e.have>>rem != 0 { // stored segments claim at least as many remaining
			r.drop(idx)
			r.stats.Discarded++
			return nil, 0, ErrSegment
		}
		e.total = rem + 1
	} else if e.total != 0 && rem+1 >= e.total {
		r.drop(idx)
		r.stats.Discarded++
		return nil, 0, ErrSegment
	}
	if e.have&(1<<rem) != 0 {
		if r.same(idx, e.slots[rem], m.Data) {
			r.stats.Duplicates++
			return nil, StatusDuplicate, nil
		}
		r.drop(idx)
		r.stats.Discarded++
		return nil, 0, ErrSegmentConflict
	}
	if e.used+len(m.Data) > r.cfg.MaxMessageBytes {
		r.drop(idx)
		r.stats.Discarded++
		return nil, 0, ErrReassemblyTooLarge
	}
	base := int(idx) * r.cfg.MaxMessageBytes
	copy(r.slab[base+e.used:], m.Data)
	e.slots[rem] = segSlot{uint16(e.used), uint16(len(m.Data))}
	e.used += len(m.Data)
	e.have |= 1 << rem
	if e.total == 0 || e.have != 1<<e.total-1 {
		return nil, StatusPending, nil
	}

	// Complete: positions 0..total-1 hold remaining counts total-1..0.
	// Segments that arrived in order are contiguous in the slot already.
	out := r.slab[base : base+e.used]
	off := 0
	for rc := int(e.total) - 1; rc >= 0; rc-- {
		if int(e.slots[rc].off) != off {
			out = r.out[:0]
			for rc := int(e.total) - 1; rc >= 0; rc-- {
				sl := e.slots[rc]
				out = append(out, r.slab[base+int(sl.off):][:sl.n]...)
			}
			break
		}
		off += int(e.slots[rc].n)
	}
	r.drop(idx)
	r.stats.Completed++
	return out, StatusComplete, nil
}

// Expire drops pending messages whose first segment arrived more than
// Timeout before now. Add calls it; call it when idle to release them
// sooner.
func (r *Reassembler) Expire(now time.Time) {
	t := now.UnixNano()
	for r.oldest >= 0 && t-r.entries[r.oldest].born > r.timeout {
		r.drop(r.oldest)
		r.stats.Expired++
	}
}

// same reports whether the stored segment sl equals data.
func (r *Reassembler) same(idx int32, sl segSlot, data []byte) bool {
	base := int(idx)*r.cfg.MaxMessageBytes + int(sl.off)
	return bytes.Equal(r.slab[base:base+int(sl.n)], data)
}

// start (re)initialises e for the message m belongs to.
func (r *Reassembler) start(e *rentry, k *rkey, h uint64, t int64, m *Message) {
	*e = rentry{key: *k, hash: h, born: t, class: m.Segmentation.Class, typ: m.Type, prev: -1, next: -1}
	e.calledN = uint8(copy(e.called[:], m.Called.Raw))
}

// alloc takes a free entry, evicting the oldest pending message if none is
// free.
func (r *Reassembler) alloc() int32 {
	if len(r.free) == 0 {
		r.drop(r.oldest)
		r.stats.Evicted++
	}
	idx := r.free[len(r.free)-1]
	r.free = r.free[:len(r.free)-1]
	return idx
}

// drop removes a pending message entirely.
func (r *Reassembler) drop(idx int32) {
	r.remove(idx)
	r.unlink(idx)
	r.free = append(r.free, idx)
}

func (r *Reassembler) link(idx int32) {
	e := &r.entries[idx]
	e.prev, e.next = r.newest, -1
	if r.newest >= 0 {
		r.entries[r.newest].next = idx
	} else {
		r.oldest = idx
	}
	r.newest = idx
}

func (r *Reassembler) unlink(idx int32) {
	e := &r.entries[idx]
	if e.prev >= 0 {
		r.entries[e.prev].next = e.next
	} else {
		r.oldest = e.next
	}
	if e.next >= 0 {
		r.entries[e.next].prev = e.prev
	} else {
		r.newest = e.prev
	}
	e.prev, e.next = -1, -1
}

func (r *Reassembler) find(k *rkey, h uint64) int32 {
	mask := len(r.table) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		v := r.table[i]
		if v == 0 {
			return -1
		}
		if e := &r.entries[v-1]; e.hash == h && e.key == *k {
			return v - 1
		}
	}
}

func (r *Reassembler) insert(idx int32) {
	mask := len(r.table) - 1
	i := int(r.entries[idx].hash) & mask
	for r.table[i] != 0 {
		i = (i + 1) & mask
	}
	r.table[i] = idx + 1
}

// remove deletes idx from the table with backward-shift deletion, which
// keeps every probe sequence intact without tombstones (so the table never
// degrades, however many messages come and go).
func (r *Reassembler) remove(idx int32) {
	mask := len(r.table) - 1
	i := int(r.entries[idx].hash) & mask
	for r.table[i] != idx+1 {
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		v := r.table[j]
		if v == 0 {
			break
		}
		home := int(r.entries[v-1].hash) & mask
		// v may fill the hole at i unless its home lies cyclically in (i, j].
		if i <= j && i < home && home <= j || i > j && (i < home || home <= j) {
			continue
		}
		r.table[i] = v
		i = j
	}
	r.table[i] = 0
}
