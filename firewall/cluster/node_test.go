package cluster

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/firewall/quarantine"
	"breakwater/firewall/ratelimit"
	"breakwater/firewall/state"
	"breakwater/internal/redistest"
	"breakwater/protocols/view"
)

var (
	uk = view.PLMN{MCC: 234, MNC: 15, MNCLen: 2}
	us = view.PLMN{MCC: 310, MNC: 260, MNCLen: 3}
)

func memory() *state.Memory {
	return state.NewMemory(state.MemoryOptions{MaxLocations: 1 << 12, LocationTTL: time.Hour, MaxPending: 1024,
		PendingTTL: 10 * time.Second, MaxSessions: 1 << 12, SessionTTL: time.Hour, MaxSequences: 1024, ReplayMemory: time.Minute})
}

// logBuffer collects a node's log for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newNode starts a node named name on Redis r.
func newNode(t testing.TB, r *redistest.Server, name string) (*Node, *logBuffer) {
	t.Helper()
	lb := &logBuffer{}
	n, err := New(Options{Addrs: []string{r.Addr()}, Prefix: "bwtest:", Name: name, Timeout: 300 * time.Millisecond,
		LocationTTL: time.Hour, SessionTTL: time.Hour, Log: slog.New(slog.NewTextHandler(lb, nil))}, memory())
	if err != nil {
		t.Fatal(err)
	}
	n.Start()
	t.Cleanup(func() { n.Close() })
	waitFor(t, 5*time.Second, name+" to reach Redis", n.Up)
	return n, lb
}

func TestLocationAndSessionShared(t *testing.T) {
	r := startRedis(t)
	a, _ := newNode(t, r, "a")
	b, _ := newNode(t, r, "b")
	now := time.Now()
	a.SetLocation(1234, state.Location{PLMN: uk, Partner: "uk", Time: now})
	took := waitFor(t, 2*time.Second, "b to learn a's location", func() bool {
		l, ok := b.Location(1234, now)
		return ok && l.PLMN == uk && l.Partner == "uk"
	})
	t.Logf("location reached the other node in %v", took)
	// An older update from b does not overwrite a's newer one anywhere.
	b.SetLocation(1234, state.Location{PLMN: us, Partner: "us", Time: now.Add(-time.Minute)})
	a.SetLocation(99, state.Location{PLMN: us, Partner: "us", Time: now}) // a marker after it
	waitFor(t, 2*time.Second, "b to learn the marker", func() bool { _, ok := b.Location(99, now); return ok })
	if l, _ := a.Location(1234, now); l.Partner != "uk" {
		t.Fatalf("an older location from b replaced a's: %+v", l)
	}
	if a.Stats.Stale.Load() == 0 {
		t.Fatal("the stale update was not counted")
	}

	a.SetSession(77, state.Session{Partner: "uk", IMSI: 1234, Created: now})
	waitFor(t, 2*time.Second, "b to learn the session", func() bool { s, ok := b.Session(77, now); return ok && s.Partner == "uk" })
	b.DeleteSession(77)
	waitFor(t, 2*time.Second, "a to forget the session", func() bool { _, ok := a.Session(77, now); return !ok })
	// Pending requests stay on their node.
	a.AddPending(5, state.Pending{IMSI: 1})
	if _, ok := b.TakePending(5, now); ok {
		t.Fatal("a pending request crossed nodes")
	}
}

func TestLateNodeReadsBack(t *testing.T) {
	r := startRedis(t)
	a, _ := newNode(t, r, "a")
	now := time.Now()
	for i := uint64(0); i < 300; i++ {
		a.SetLocation(i, state.Location{PLMN: uk, Partner: "uk", Time: now})
	}
	a.SetSession(8, state.Session{Partner: "uk", IMSI: 8, Created: now})
	waitFor(t, 5*time.Second, "a's writes", func() bool { return a.Stats.Written.Load() >= 301 })
	c, _ := newNode(t, r, "c") // joins after the fact: reads the keys back
	for i := uint64(0); i < 300; i++ {
		if _, ok := c.Location(i, now); !ok {
			t.Fatalf("late node lacks location %d (reconciled %d)", i, c.Stats.Reconciled.Load())
		}
	}
	if _, ok := c.Session(8, now); !ok {
		t.Fatal("late node lacks the session")
	}
}

func newQuarantine(t testing.TB) *quarantine.Set {
	qs, err := quarantine.New(quarantine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { qs.Close() })
	return qs
}

// sharedQuarantine is a quarantine set node n shares with the others.
func sharedQuarantine(t testing.TB, n *Node) *quarantine.Set {
	qs := newQuarantine(t)
	n.ShareQuarantine(qs)
	return qs
}

func TestQuarantineWithinOneSecond(t *testing.T) {
	r := startRedis(t)
	a, _ := newNode(t, r, "a")
	b, _ := newNode(t, r, "b")
	qa, qb := sharedQuarantine(t, a), sharedQuarantine(t, b)
	if err := qa.Quarantine("uk", time.Time{}, "probe storm"); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, time.Second, "node b to drop partner uk", func() bool { return qb.Quarantined("uk") })
	t.Logf("quarantine reached the other node in %v", took)
	e, _ := qb.Entry("uk")
	if !strings.Contains(e.Reason, "probe storm") {
		t.Fatalf("entry on b: %+v", e)
	}
	// Lifted on b: lifted on a, and nothing echoes it back.
	if err := qb.Lift("uk"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, "node a to lift uk", func() bool { return !qa.Quarantined("uk") })
	time.Sleep(300 * time.Millisecond)
	if qa.Quarantined("uk") || qb.Quarantined("uk") {
		t.Fatal("the quarantine came back after the lift")
	}
	// A third node starting now learns nothing stale from the hash.
	c, _ := newNode(t, r, "c")
	qc := sharedQuarantine(t, c)
	qa.Quarantine("us", time.Now().Add(time.Hour), "second")
	waitFor(t, time.Second, "node c to drop partner us", func() bool { return qc.Quarantined("us") })
	if qc.Quarantined("uk") {
		t.Fatal("node c quarantined a lifted partner")
	}
}

func TestRedisOutage(t *testing.T) {
	r := startRedis(t)
	a, alog := newNode(t, r, "a")
	b, _ := newNode(t, r, "b")
	qa, qb := sharedQuarantine(t, a), sharedQuarantine(t, b)
	now := time.Now()

	r.Stop()
	waitFor(t, 3*time.Second, "a to notice the outage", func() bool { return !a.Up() })
	// Both keep working from their own state, without blocking.
	start := time.Now()
	for i := uint64(0); i < 1000; i++ {
		a.SetLocation(i, state.Location{PLMN: uk, Partner: "uk", Time: now})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("1000 writes took %v while Redis was down: the message path waited", d)
	}
	if _, ok := a.Location(5, now); !ok {
		t.Fatal("a forgot its own location while Redis was down")
	}
	qa.Quarantine("gb", time.Time{}, "during the outage")
	if !strings.Contains(alog.String(), "Redis unreachable") {
		t.Fatalf("the outage was not logged:\n%s", alog.String())
	}

	r.Restart() // empty: everything shared must come from the nodes
	waitFor(t, 5*time.Second, "both nodes back", func() bool { return a.Up() && b.Up() })
	waitFor(t, 5*time.Second, "b to learn what a learned during the outage", func() bool {
		_, ok := b.Location(999, now)
		return ok
	})
	waitFor(t, 2*time.Second, "b to quarantine gb", func() bool { return qb.Quarantined("gb") })
	// New traffic after the outage is shared as before.
	a.SetLocation(5000, state.Location{PLMN: us, Partner: "us", Time: time.Now()})
	waitFor(t, 2*time.Second, "b to learn a new location", func() bool { _, ok := b.Location(5000, time.Now()); return ok })
	if a.Stats.Disconnects.Load() == 0 || a.Stats.Reconciles.Load() < 2 {
		t.Fatalf("disconnects %d reconciles %d", a.Stats.Disconnects.Load(), a.Stats.Reconciles.Load())
	}
}

func TestRateLimitShared(t *testing.T) {
	r := startRedis(t)
	a, _ := newNode(t, r, "a")
	b, _ := newNode(t, r, "b")
	la, lb := ratelimit.New(64), ratelimit.New(64)
	a.ShareRateLimits(la)
	b.ShareRateLimits(lb)
	src := netip.MustParseAddr("198.51.100.7")
	now := time.Now()
	// The source opens a bucket on b, then spends its whole burst on a.
	if lb.Take(src, now, 1, 10) != 0 {
		t.Fatal("first take refused")
	}
	for i := 0; i < 9; i++ {
		if la.Take(src, now, 1, 10) != 0 {
			t.Fatalf("take %d on a refused", i)
		}
	}
	waitFor(t, 2*time.Second, "b to be charged a's tokens", func() bool { return b.Stats.RateCharged.Load() > 0 })
	if w := lb.Take(src, now, 1, 10); w == 0 {
		t.Fatal("b let the source exceed its limit across the nodes")
	}
}

func TestPolicyMismatchAnnounced(t *testing.T) {
	r := startRedis(t)
	a, alog := newNode(t, r, "a")
	b, _ := newNode(t, r, "b")
	a.SetPolicyVersion("v1")
	b.SetPolicyVersion("v2")
	waitFor(t, 3*time.Second, "a to hear b", func() bool { return a.Peers()["b"] == "v2" })
	waitFor(t, 3*time.Second, "the mismatch to be logged", func() bool { return strings.Contains(alog.String(), "other rules") })
	b.SetPolicyVersion("v1")
	waitFor(t, 3*time.Second, "b's new version", func() bool { return a.Peers()["b"] == "v1" })
}

func TestBadMessagesRefused(t *testing.T) {
	r := startRedis(t)
	a, _ := newNode(t, r, "a")
	var wb batch
	wb.reset("mallory")
	wb.record(recLocation, func(b []byte) []byte { return append(b, 1, 2, 3) })
	for _, m := range [][]byte{[]byte("hello"), {'B', 'W', 9, 0}, wb.b} {
		if err := a.rdb.Publish(t.Context(), a.channel, m).Err(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 2*time.Second, "three refusals", func() bool { return a.Stats.BadMessages.Load() == 3 })
}

// FuzzApply feeds arbitrary channel messages to a node: refused or
// applied, never a panic.
func FuzzApply(f *testing.F) {
	var wb batch
	wb.reset("peer")
	wb.record(recLocation, func(b []byte) []byte {
		return state.AppendLocation(b, 1, state.Location{PLMN: uk, Partner: "uk", Time: time.Unix(1e9, 0)})
	})
	wb.record(recSession, func(b []byte) []byte { return state.AppendSession(b, 2, state.Session{Partner: "uk"}) })
	wb.record(recSessionDelete, func(b []byte) []byte { return binary.BigEndian.AppendUint64(b, 2) })
	wb.record(recQuarantine, func(b []byte) []byte {
		return appendEntry(b, quarantine.Entry{Partner: "uk", Since: time.Unix(1e9, 0)})
	})
	wb.record(recLift, func(b []byte) []byte {
		return appendEntry(b, quarantine.Entry{Partner: "uk", Since: time.Unix(1e9, 0)})
	})
	wb.record(recHello, func(b []byte) []byte { return state.AppendShortString(b, "v1") })
	wb.record(recRateCharge, func(b []byte) []byte {
		return append(appendAddr(b, netip.MustParseAddr("192.0.2.1")), 0, 0, 0, 5)
	})
	f.Add(wb.b)
	f.Add([]byte("BW\x01\x00"))
	n, _ := New(Options{Addrs: []string{"127.0.0.1:1"}, Name: "me"}, memory())
	qs, _ := quarantine.New(quarantine.Config{})
	n.qset.Store(qs)
	n.limiter.Store(ratelimit.New(16))
	f.Fuzz(func(t *testing.T, msg []byte) {
		n.apply(msg, time.Unix(1e9, 0))
	})
}

func TestMissLookedUpBehindTheMessage(t *testing.T) {
	r := startRedis(t)
	b, _ := newNode(t, r, "b")
	now := time.Now()
	// Written by a node whose message b never got (only the key exists).
	if err := b.rdb.Set(t.Context(), b.locKey(4242), state.AppendLocation(nil, 4242, state.Location{PLMN: uk, Partner: "uk", Time: now}), time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.rdb.Set(t.Context(), b.sesKey(77), state.AppendSession(nil, 77, state.Session{Partner: "uk", IMSI: 4242, Created: now}), time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Location(4242, now); ok {
		t.Fatal("the first lookup found what only Redis has: it waited on the network")
	}
	b.Session(77, now)
	waitFor(t, 2*time.Second, "the miss to be looked up", func() bool {
		l, ok := b.local.Location(4242, now)
		return ok && l.Partner == "uk"
	})
	waitFor(t, 2*time.Second, "the session miss to be looked up", func() bool { _, ok := b.local.Session(77, now); return ok })
	if b.Stats.Fetched.Load() != 2 {
		t.Fatalf("fetched %d", b.Stats.Fetched.Load())
	}
	// A key holding something else under the wrong subscriber is not merged.
	b.rdb.Set(t.Context(), b.locKey(5), state.AppendLocation(nil, 6, state.Location{PLMN: uk, Partner: "uk", Time: now}), time.Hour)
	b.Location(5, now)
	time.Sleep(200 * time.Millisecond)
	if _, ok := b.local.Location(5, now); ok {
		t.Fatal("a mismatched key was merged")
	}
}

// TestQuarantineSurvivesRedisLoss: Redis restarts empty (no persistence):
// the nodes' quarantines are shared again, not taken for lifts. A lift
// made while a node was away is applied when it returns (tombstone).
func TestQuarantineSurvivesRedisLoss(t *testing.T) {
	r := startRedis(t)
	a, _ := newNode(t, r, "a")
	b, _ := newNode(t, r, "b")
	qa, qb := sharedQuarantine(t, a), sharedQuarantine(t, b)
	qa.Quarantine("uk", time.Time{}, "before the loss")
	waitFor(t, time.Second, "b to quarantine uk", func() bool { return qb.Quarantined("uk") })
	r.Restart()
	waitFor(t, 5*time.Second, "both back", func() bool { return a.Up() && b.Up() })
	waitFor(t, 3*time.Second, "the quarantine to be shared again", func() bool {
		return a.rdb.HExists(t.Context(), a.qkey, "uk").Val()
	})
	if !qa.Quarantined("uk") || !qb.Quarantined("uk") {
		t.Fatal("Redis losing its data lifted a quarantine")
	}

	// Node c held uk too, was away while b lifted it, and comes back.
	qc := newQuarantine(t)
	e, _ := qa.Entry("uk")
	qc.Apply(e)
	if err := qb.Lift("uk"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, "a to lift uk", func() bool { return !qa.Quarantined("uk") })
	c, _ := newNode(t, r, "c")
	c.ShareQuarantine(qc)
	c.reconcile(t.Context()) // as after connecting, now that the set is linked
	if qc.Quarantined("uk") {
		t.Fatal("a node back from away kept a quarantine lifted meanwhile")
	}
	time.Sleep(300 * time.Millisecond)
	if qa.Quarantined("uk") || qb.Quarantined("uk") {
		t.Fatal("the returning node resurrected a lifted quarantine")
	}
}
