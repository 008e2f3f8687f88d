// Package state holds what the firewall remembers between messages: where
// each home subscriber was last seen (for Cat 3 location plausibility) and
// the requests whose answers will confirm a location update.
//
// Time is the message clock (capture timestamps in replay, arrival time in
// the proxy), never the wall clock, so replays are deterministic.
//
// The in-memory store is bounded: each table has a fixed capacity, the
// oldest entries are evicted first, and entries expire after a TTL.
package state

import (
	"net/netip"
	"time"

	"breakwater/protocols/view"
)

// NodeKey identifies something of one node: a GTP-C session by the home
// node's address and its TEID, a request by the sender's address and its
// sequence number. (FNV-1a of the address, mixed with the number.)
func NodeKey(addr netip.Addr, n uint32) uint64 {
	a := addr.Unmap().As16()
	h := uint64(14695981039346656037)
	for _, b := range a {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return h ^ uint64(n)*0x9E3779B97F4A7C15
}

// Location is where a subscriber was last seen.
type Location struct {
	PLMN    view.PLMN // the network it registered in
	Partner string    // the partner that reported it; "home" for the home network
	Time    time.Time // when (message clock)
}

// Pending is a location update waiting for its successful answer.
type Pending struct {
	IMSI     uint64 // view.Digits.Uint64 key
	Location Location
}

// Session is a GTP-C session on the home side (a home PGW/GGSN TEID) and
// the partner that created it.
type Session struct {
	Partner string
	IMSI    uint64
	Created time.Time
}

// Store is the state the engine reads and writes. Implementations must be
// safe for concurrent use and must not allocate per call in steady state.
type Store interface {
	// Location returns the last known location of a subscriber, if it is
	// younger than the store's TTL at time now.
	Location(imsi uint64, now time.Time) (Location, bool)
	// SetLocation records where a subscriber is.
	SetLocation(imsi uint64, loc Location)
	// AddPending remembers a request until its answer arrives or it expires.
	AddPending(key uint64, p Pending)
	// TakePending removes and returns the request with that key, if it has
	// not expired at time now.
	TakePending(key uint64, now time.Time) (Pending, bool)
	// SetSession records who created a session; Session looks it up (if
	// younger than the session TTL at time now); DeleteSession forgets it.
	SetSession(key uint64, s Session)
	Session(key uint64, now time.Time) (Session, bool)
	DeleteSession(key uint64)
	// FirstSeen records a request's sequence key and returns when the same
	// key was first seen, if it was (within the replay memory).
	FirstSeen(key uint64, now time.Time) (time.Time, bool)
	// Len reports the number of stored locations and pending requests.
	Len() (locations, pending int)
	// Sessions reports the number of stored GTP sessions.
	Sessions() int
}
