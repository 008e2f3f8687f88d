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
	"encoding/binary"
	"net/netip"
	"time"

	"breakwater/protocols/view"
)

// SeqKey keys something numbered in sequence by one peer — a request by
// its sequence number or transaction id — for the short-lived tables
// (pending requests, seen sequence numbers): base must be well mixed and
// differ per peer (and whatever else tells numbering spaces apart); the
// number is added, so a peer's consecutive numbers get neighbouring
// buckets (see assocTable.bucket).
func SeqKey(base uint64, n uint64) uint64 { return base + n }

// NodeKey identifies something of one node: a GTP-C session by the home
// node's address and its TEID, a request by the sender's address and its
// sequence number. (A mix of the address, xored with the number times
// an odd constant.)
func NodeKey(addr netip.Addr, n uint32) uint64 {
	var h uint64
	if addr.Is4() || addr.Is4In6() {
		// One multiply-xorshift round over the 32 bits (the common case:
		// most GTP-C and SIGTRAN peers are IPv4); an IPv4-mapped IPv6
		// address is the same node as its IPv4 form.
		a := addr.As4()
		h = (uint64(binary.BigEndian.Uint32(a[:])) ^ 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
		h = (h ^ h>>31) * 0x94D049BB133111EB
	} else {
		// Two rounds over the address's two halves: as well spread as
		// byte-wise FNV for table indexing, at a fraction of its 16
		// dependent multiplications.
		a := addr.As16()
		h = (binary.BigEndian.Uint64(a[:8]) ^ 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
		h = (h ^ h>>31 ^ binary.BigEndian.Uint64(a[8:])) * 0x94D049BB133111EB
	}
	h ^= h >> 29
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
	// Session is the session key a pending GTP-C Delete Session (Delete
	// PDP Context) request names: forgotten when the home node accepts.
	Session uint64
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
