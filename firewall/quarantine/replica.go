package quarantine

import (
	"time"
)

// Several Breakwater nodes share one quarantine list (firewall/cluster):
// each node tells the others of the changes made on it, and applies
// theirs. The two directions are kept apart so that a change never
// echoes back: SetReplicator sees only changes made here (by hand or
// automatically); Apply and Remove, which carry the other nodes'
// changes, are not shown to it. Expiry needs no sharing: every node
// ends an entry at its Until by itself.

// SetReplicator makes fn hear of every quarantine and lift made on this
// node, after it is in force. fn is called on the changing goroutine —
// possibly a relay in the middle of a message — so it must not block.
func (s *Set) SetReplicator(fn func(e Entry, lifted bool)) {
	if fn == nil {
		s.replicator.Store(nil)
		return
	}
	s.replicator.Store(&fn)
}

func (s *Set) replicate(e Entry, lifted bool) {
	if fn := s.replicator.Load(); fn != nil {
		(*fn)(e, lifted)
	}
}

// Apply puts in force an entry made on another node. An entry already
// held for the partner that began at the same time or later wins (the
// newest decision stands); an entry whose Until has passed is ignored.
// It reports whether the set changed. Subscribers are told as for any
// change, and the state file is written.
func (s *Set) Apply(e Entry) (bool, error) {
	if err := CheckPartner(e.Partner); err != nil {
		return false, err
	}
	now := s.now()
	e.Since, e.Until = e.Since.Round(0), e.Until.Round(0)
	if !e.activeAt(now) {
		return false, nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false, ErrClosed
	}
	old, had := s.entries[e.Partner]
	if had && old.activeAt(now) && !old.Since.Before(e.Since) {
		s.mu.Unlock()
		return false, nil
	}
	s.entries[e.Partner] = e
	s.changedLocked()
	s.enqueueAddedLocked(e.Partner, old, had, now)
	s.mu.Unlock()
	s.log.Info("quarantine: partner quarantined by another node", "partner", e.Partner, "until", untilAttr(e.Until), "reason", e.Reason)
	err := s.persist()
	s.dispatch()
	return true, err
}

// Remove lifts partner's quarantine because another node lifted it; an
// entry that began after since (a newer decision, made here or elsewhere)
// is kept. Removing a partner without an entry is no change.
func (s *Set) Remove(partner string, since time.Time) (bool, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false, ErrClosed
	}
	e, ok := s.entries[partner]
	if !ok || e.Since.After(since) {
		s.mu.Unlock()
		return false, nil
	}
	delete(s.entries, partner)
	s.changedLocked()
	s.enqueueLocked(nil, []string{partner}, s.subs)
	s.mu.Unlock()
	s.log.Info("quarantine: lifted by another node", "partner", partner, "was", e.Reason)
	err := s.persist()
	s.dispatch()
	return true, err
}

// Entry returns partner's entry, if it has one in force.
func (s *Set) Entry(partner string) (Entry, bool) {
	now := s.now()
	s.mu.Lock()
	e, ok := s.entries[partner]
	s.mu.Unlock()
	return e, ok && e.activeAt(now)
}
