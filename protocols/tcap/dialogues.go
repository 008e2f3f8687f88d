package tcap

import (
	"sync"
	"time"
)

// Dialogues remembers the application-context name of open TCAP
// dialogues, so that the messages after a dialogue's first exchange —
// which carry no dialogue portion (Q.771 §3.2.2: the context is fixed by
// the AARQ of the Begin and confirmed by the AARE of the first answer) —
// can be read in that context. Without it, an operation smuggled into a
// Continue escapes the check that it belongs to the dialogue's context,
// and a CAMEL (CAP) dialogue's later messages look like MAP.
//
// A dialogue is known by the transaction ids of its two ends, each owned
// by a node: the initiator's (the OTID of its Begin, the DTID of the
// answers it receives) and the responder's (the OTID of its first
// Continue). The caller names the nodes (Observe's from and to: a hash of
// the SCCP address, the same for a node whether it sends or receives), so
// that two nodes that happen to pick the same id do not collide.
//
// The table is bounded: a fixed number of slots, probed in a short window,
// each entry forgotten IdleTimeout after its dialogue was last seen. When
// every slot of a window is live, the least recently seen entry is
// evicted (counted by Evictions): its dialogue's later messages are then
// read as they would be without the table — the check is lost, never a
// legitimate message. Safe for concurrent use: both directions of one
// association share a table, since a dialogue begun in one is continued
// in the other.
type Dialogues struct {
	mu        sync.Mutex
	slots     []dialogueSlot
	mask      uint64
	idle      int64 // IdleTimeout in ns
	evictions uint64
}

// MaxACN is how many octets of an application-context name the table
// keeps. MAP and CAP names have 7; a longer name is kept truncated, which
// still tells it from every MAP and CAP name (they are compared by length
// first).
const MaxACN = 16

// DialoguesConfig bounds a Dialogues table. Zero fields take the defaults.
type DialoguesConfig struct {
	// Max is the number of entries (two per dialogue), rounded up to a
	// power of two; default 16384.
	Max int
	// IdleTimeout is how long an entry lives after its dialogue's last
	// message; default 60 s. MAP dialogues last well under a second, and
	// a dialogue whose End was never seen must not pin its slot.
	IdleTimeout time.Duration
}

// Defaults of DialoguesConfig.
const (
	DefaultMaxDialogues     = 16384
	DefaultDialogueIdle     = 60 * time.Second
	dialogueWindow          = 8 // slots probed per key
	maxDialogueTableEntries = 1 << 22
)

type dialogueSlot struct {
	key  uint64 // 0: free
	peer uint64 // the key of the dialogue's other end, 0 until known
	seen int64  // unix ns of the dialogue's last message
	n    uint8  // len(acn) kept; 0: the dialogue has no context name
	// ended: an End or Abort was seen. The entry stays (a refused End
	// never reached the other side, whose dialogue goes on) but is the
	// first to give way.
	ended bool
	acn   [MaxACN]byte
}

// NewDialogues returns a table bounded by cfg.
func NewDialogues(cfg DialoguesConfig) *Dialogues {
	n := cfg.Max
	if n <= 0 {
		n = DefaultMaxDialogues
	}
	n = min(n, maxDialogueTableEntries)
	size := dialogueWindow
	for size < n {
		size <<= 1
	}
	idle := cfg.IdleTimeout
	if idle <= 0 {
		idle = DefaultDialogueIdle
	}
	return &Dialogues{slots: make([]dialogueSlot, size), mask: uint64(size - 1), idle: int64(idle)}
}

// Evictions is the number of live entries evicted to make room so far.
func (t *Dialogues) Evictions() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.evictions
}

// dialogueKey is a transaction id as owned by a node; never 0.
func dialogueKey(node uint64, tid uint32) uint64 {
	k := (node ^ uint64(tid)*0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
	k ^= k >> 31
	return k | 1
}

// Observe updates the table with message m, sent by node from to node to,
// and returns the application-context name of its dialogue when m has
// none of its own: n octets copied into acn, n == 0 when m carries its
// own name or its dialogue is unknown (or has no name: MAP v1).
//
//   - Begin: remembers the name of its AARQ under (from, OTID); a Begin
//     without one forgets whatever a reused id held.
//   - Continue: finds the dialogue under (to, DTID) and files it also
//     under (from, OTID), the responder's id the initiator answers to;
//     the responder's first answer (its AARE) may confirm or lower the
//     name, and a dialogue portion in any later Continue is overridden
//     by the remembered name.
//   - End and Abort: return the name and mark both ends ended (kept until
//     they give way or expire: an End the firewall refuses never ends the
//     dialogue at the other side).
//
// Observe never allocates.
func (t *Dialogues) Observe(now time.Time, from, to uint64, m *Message, acn *[MaxACN]byte) (n int) {
	ns := now.UnixNano()
	own := m.Dialogue.ACN
	t.mu.Lock()
	defer t.mu.Unlock()
	switch m.Type {
	case Begin:
		if !m.HasOTID {
			return 0
		}
		s := t.put(dialogueKey(from, m.OTID), ns)
		s.peer = 0
		s.n = uint8(copy(s.acn[:], own))
		return 0
	case Continue:
		if !m.HasDTID || !m.HasOTID {
			return 0
		}
		mine := dialogueKey(to, m.DTID)
		s := t.get(mine, ns)
		if s == nil && own == nil {
			return 0 // a dialogue begun before the table saw it
		}
		// The context is fixed by the Begin and may be confirmed (or
		// lowered) only by the responder's first answer, the one carrying
		// the AARE (Q.774 §3.2.2). A dialogue portion in any later
		// Continue does not change it: the remembered name is returned,
		// so the message is judged against the dialogue's real context.
		established := s != nil && s.peer != 0
		var name [MaxACN]byte
		var k int
		if own != nil && !established {
			k = copy(name[:], own)
		} else {
			name, k = s.acn, int(s.n)
		}
		theirs := dialogueKey(from, m.OTID)
		if s == nil {
			s = t.put(mine, ns)
		}
		s.peer, s.seen, s.acn, s.n = theirs, ns, name, uint8(k)
		r := t.put(theirs, ns)
		r.peer, r.acn, r.n = mine, name, uint8(k)
		if own != nil && !established {
			return 0
		}
		*acn = name
		return k
	case End, Abort:
		if !m.HasDTID {
			return 0
		}
		s := t.get(dialogueKey(to, m.DTID), ns)
		if s == nil {
			return 0
		}
		// Both ends are marked ended, not forgotten: the End may be
		// refused by the firewall and never reach the other side, whose
		// later messages must still be read in the dialogue's context.
		s.ended = true
		if s.peer != 0 {
			if p := t.get(s.peer, ns); p != nil {
				p.ended = true
			}
		}
		if own != nil && s.peer == 0 {
			return 0 // the responder's AARE in an End or Abort
		}
		*acn = s.acn
		return int(s.n)
	}
	return 0
}

// get returns the live entry for key, or nil.
func (t *Dialogues) get(key uint64, now int64) *dialogueSlot {
	for i := range uint64(dialogueWindow) {
		s := &t.slots[(key+i)&t.mask]
		if s.key == key {
			if now-s.seen > t.idle {
				*s = dialogueSlot{}
				return nil
			}
			return s
		}
	}
	return nil
}

// put returns the entry for key, creating it (in a free or expired slot,
// else in place of the window's least recently seen entry) when absent.
// The entry's seen time is now; its other fields are the caller's.
func (t *Dialogues) put(key uint64, now int64) *dialogueSlot {
	var free, oldest *dialogueSlot
	for i := range uint64(dialogueWindow) {
		s := &t.slots[(key+i)&t.mask]
		switch {
		case s.key == key:
			s.seen = now
			return s
		case free == nil && (s.key == 0 || now-s.seen > t.idle):
			free = s
		case s.key != 0 && (oldest == nil || s.ended && !oldest.ended || s.ended == oldest.ended && s.seen < oldest.seen):
			oldest = s // ended dialogues first, then the least recently seen
		}
	}
	if free == nil {
		free = oldest
		if !oldest.ended {
			t.evictions++
		}
	}
	*free = dialogueSlot{key: key, seen: now}
	return free
}
