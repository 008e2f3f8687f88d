package state

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"breakwater/protocols/view"
)

// t0 is a message-clock instant far from the wall clock, so that nothing
// here can depend on time.Now.
var t0 = time.Date(2041, 3, 4, 5, 6, 7, 0, time.UTC)

var _ Store = (*Memory)(nil) // Memory implements Store

func loc(partner string, at time.Time) Location {
	return Location{PLMN: view.PLMN{MCC: 234, MNC: 15, MNCLen: 2}, Partner: partner, Time: at}
}

// keysInShard returns n distinct keys that all land in shard i.
func keysInShard(i, n int) []uint64 {
	var keys []uint64
	for k := uint64(1); len(keys) < n; k++ {
		if shardOf(k) == i {
			keys = append(keys, k)
		}
	}
	return keys
}

// checkInvariants verifies the bookkeeping of every shard of a table: at
// most perShard live entries, each live entry's ring slot inside the
// occupied window and holding its key.
func checkInvariants[V any](t *testing.T, tb *table[V], perShard int) {
	t.Helper()
	for i := range tb.shards {
		s := &tb.shards[i]
		s.mu.Lock()
		if len(s.m) > perShard {
			t.Errorf("shard %d holds %d entries, capacity %d", i, len(s.m), perShard)
		}
		if s.n < 0 || s.n > len(s.ring) || s.head < 0 || s.head >= len(s.ring) {
			t.Errorf("shard %d: head %d, n %d, ring %d", i, s.head, s.n, len(s.ring))
		}
		for k, e := range s.m {
			off := (e.slot - s.head + len(s.ring)) % len(s.ring)
			if e.slot < 0 || e.slot >= len(s.ring) || off >= s.n || s.ring[e.slot] != k {
				t.Errorf("shard %d: key %d has slot %d outside the window or holding another key", i, k, e.slot)
				break
			}
		}
		s.mu.Unlock()
	}
}

func TestLocationPutGetExpiry(t *testing.T) {
	ttl := time.Hour
	m := NewMemory(MemoryOptions{MaxLocations: 1024, LocationTTL: ttl, MaxPending: 1024, PendingTTL: time.Minute})

	if _, ok := m.Location(1, t0); ok {
		t.Fatal("empty store found a location")
	}
	want := loc("uk-partner", t0)
	m.SetLocation(1, want)
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"same instant", t0, true},
		{"message clock behind the write", t0.Add(-time.Hour), true},
		{"just before the TTL", t0.Add(ttl - time.Nanosecond), true},
		{"exactly the TTL", t0.Add(ttl), true},
		{"past the TTL", t0.Add(ttl + time.Nanosecond), false},
		{"after expiry it is gone", t0, false},
	}
	for _, tt := range tests {
		got, ok := m.Location(1, tt.now)
		if ok != tt.ok {
			t.Fatalf("%s: ok = %v, want %v", tt.name, ok, tt.ok)
		}
		// The time comes back as the same instant (the table holds Unix
		// nanoseconds), not necessarily in the same time zone.
		if ok && (got.PLMN != want.PLMN || got.Partner != want.Partner || !got.Time.Equal(want.Time)) {
			t.Fatalf("%s: got %+v, want %+v", tt.name, got, want)
		}
		if !ok && got != (Location{}) {
			t.Fatalf("%s: miss returned %+v, want the zero Location", tt.name, got)
		}
	}
	if l, _ := m.Len(); l != 0 {
		t.Errorf("expired location still counted: Len = %d", l)
	}

	// Rewriting refreshes both the value and the write time.
	m.SetLocation(2, loc("a", t0))
	m.SetLocation(2, loc("b", t0.Add(50*time.Minute)))
	if got, ok := m.Location(2, t0.Add(100*time.Minute)); !ok || got.Partner != "b" {
		t.Errorf("rewritten location = %+v, %v; want partner b, still valid", got, ok)
	}
	// Reading does not remove.
	if _, ok := m.Location(2, t0.Add(100*time.Minute)); !ok {
		t.Error("second read missed")
	}
	// Other keys are independent.
	if _, ok := m.Location(3, t0); ok {
		t.Error("unknown key found")
	}
}

func TestNoTTLNeverExpires(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxLocations: 64, MaxPending: 64})
	m.SetLocation(7, loc("home", t0))
	m.AddPending(7, Pending{IMSI: 7, Location: loc("home", t0)})
	far := t0.Add(100 * 365 * 24 * time.Hour)
	if _, ok := m.Location(7, far); !ok {
		t.Error("location expired without a TTL")
	}
	if _, ok := m.TakePending(7, far); !ok {
		t.Error("pending request expired without a TTL")
	}
}

func TestPending(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxLocations: 64, LocationTTL: time.Hour, MaxPending: 64, PendingTTL: 30 * time.Second})
	p := Pending{IMSI: 310260123456789, Location: loc("uk-partner", t0)}
	m.AddPending(42, p)
	if l, n := m.Len(); l != 0 || n != 1 {
		t.Fatalf("Len = %d, %d; want 0, 1", l, n)
	}
	got, ok := m.TakePending(42, t0.Add(30*time.Second))
	if !ok || got != p {
		t.Fatalf("TakePending = %+v, %v; want %+v", got, ok, p)
	}
	if got, ok := m.TakePending(42, t0); ok || got != (Pending{}) {
		t.Fatalf("second TakePending = %+v, %v; want a miss", got, ok)
	}
	if _, n := m.Len(); n != 0 {
		t.Fatalf("taken request still counted: %d", n)
	}

	// An expired request is not returned, and is dropped.
	m.AddPending(43, p)
	if _, ok := m.TakePending(43, t0.Add(31*time.Second)); ok {
		t.Fatal("expired request returned")
	}
	if _, ok := m.TakePending(43, t0); ok {
		t.Fatal("expired request returned on a later try")
	}

	// Pending requests and locations are separate tables.
	m.AddPending(44, p)
	if _, ok := m.Location(44, t0); ok {
		t.Error("a pending key shows up as a location")
	}
	m.SetLocation(45, loc("home", t0))
	if _, ok := m.TakePending(45, t0); ok {
		t.Error("a location key shows up as a pending request")
	}
	// Re-adding a taken key works.
	m.AddPending(42, p)
	if _, ok := m.TakePending(42, t0); !ok {
		t.Error("re-added request missing")
	}
}

func TestCapacityBound(t *testing.T) {
	tests := []struct {
		capacity int
		want     int // the table's real capacity: whole entries per shard, at least one
	}{
		{0, 16},
		{1, 16},
		{15, 16},
		{16, 16},
		{17, 16},
		{100, 96},
		{1000, 992},
		{1024, 1024},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.capacity), func(t *testing.T) {
			if tt.capacity >= shards && tt.want > tt.capacity {
				t.Fatalf("bad test: %d > %d", tt.want, tt.capacity)
			}
			m := NewMemory(MemoryOptions{MaxLocations: tt.capacity, LocationTTL: time.Hour, MaxPending: tt.capacity, PendingTTL: time.Minute})
			per := tt.want / shards
			r := rand.New(rand.NewPCG(3, uint64(tt.capacity)))
			for i := range 8 * tt.want {
				// A mix of sequential IMSIs, random keys and rewrites.
				var k uint64
				switch i % 3 {
				case 0:
					k = 310260000000000 + uint64(i)
				case 1:
					k = r.Uint64()
				default:
					k = 310260000000000 + uint64(r.IntN(i+1))
				}
				at := t0.Add(time.Duration(i) * time.Millisecond)
				m.SetLocation(k, loc("home", at))
				m.AddPending(k, Pending{IMSI: k, Location: loc("home", at)})
				if l, p := m.Len(); l > tt.want || p > m.pending.capacity() {
					t.Fatalf("after %d inserts Len = %d, %d; capacity %d, %d", i+1, l, p, tt.want, m.pending.capacity())
				}
				if i%max(97, tt.want/2) == 0 {
					checkInvariants(t, m.locations, per)
				}
			}
			checkInvariants(t, m.locations, per)
			// Enough distinct keys went in to fill every shard.
			if l, _ := m.Len(); l != tt.want {
				t.Errorf("Len = %d; want the table full at %d", l, tt.want)
			}
			if m.pending.capacity() < tt.capacity {
				t.Errorf("pending capacity %d below the %d asked for", m.pending.capacity(), tt.capacity)
			}
		})
	}
}

func TestEvictsLeastRecentlyWritten(t *testing.T) {
	// 64 entries: 4 per shard. All keys below share shard 5.
	m := NewMemory(MemoryOptions{MaxLocations: 64, LocationTTL: time.Hour, MaxPending: 64, PendingTTL: time.Hour})
	k := keysInShard(5, 8)
	has := func(keys ...uint64) []bool {
		var out []bool
		for _, key := range keys {
			_, ok := m.Location(key, t0)
			out = append(out, ok)
		}
		return out
	}
	for _, key := range k[:4] {
		m.SetLocation(key, loc("home", t0))
	}
	// Rewriting k0 makes it the most recent; k1 is now the oldest.
	m.SetLocation(k[0], loc("rewritten", t0))
	m.SetLocation(k[4], loc("home", t0))
	if got := fmt.Sprint(has(k[:5]...)); got != "[true false true true true]" {
		t.Fatalf("after evicting one: present = %s, want k1 evicted", got)
	}
	if l, _ := m.Len(); l != 4 {
		t.Fatalf("Len = %d, want 4", l)
	}
	m.SetLocation(k[5], loc("home", t0))
	if got := fmt.Sprint(has(k[:6]...)); got != "[true false false true true true]" {
		t.Fatalf("after evicting two: present = %s, want k2 evicted next", got)
	}
	if got, _ := m.Location(k[0], t0); got.Partner != "rewritten" {
		t.Errorf("k0 = %+v", got)
	}
	// Other shards are unaffected by this shard filling up.
	other := keysInShard(6, 1)[0]
	m.SetLocation(other, loc("home", t0))
	if _, ok := m.Location(other, t0); !ok {
		t.Error("key in another shard missing")
	}
}

func TestHotKeyDoesNotFlushOthers(t *testing.T) {
	// A key written over and over (a chatty or hostile subscriber) is one
	// entry: it must not push the other subscribers of its shard out.
	m := NewMemory(MemoryOptions{MaxLocations: 64, LocationTTL: time.Hour, MaxPending: 64, PendingTTL: time.Hour})
	k := keysInShard(9, 4)
	for _, key := range k {
		m.SetLocation(key, loc("home", t0))
	}
	for i := range 1000 {
		m.SetLocation(k[0], loc("home", t0.Add(time.Duration(i)*time.Second)))
		for _, key := range k {
			if _, ok := m.Location(key, t0); !ok {
				t.Fatalf("after %d rewrites of k0, key %d was evicted", i+1, key)
			}
		}
	}
	checkInvariants(t, m.locations, 4)

	// Rewrites interleaved with new keys: the entries kept are always the
	// four most recently written distinct keys.
	r := rand.New(rand.NewPCG(5, 6))
	pool := keysInShard(9, 12)
	order := []uint64{k[1], k[2], k[3], k[0]} // distinct keys, most recent last
	for i := range 5000 {
		key := pool[r.IntN(len(pool))]
		m.SetLocation(key, loc("home", t0))
		for j, o := range order {
			if o == key {
				order = append(order[:j], order[j+1:]...)
				break
			}
		}
		order = append(order, key)
		if len(order) > 4 {
			order = order[len(order)-4:]
		}
		for _, want := range order {
			if _, ok := m.Location(want, t0); !ok {
				t.Fatalf("step %d: recently written key %d missing", i, want)
			}
		}
		if l, _ := m.Len(); l != len(order) {
			t.Fatalf("step %d: Len = %d, want %d", i, l, len(order))
		}
	}
	checkInvariants(t, m.locations, 4)
}

func TestExpiredAndTakenEntriesFreeRoom(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxLocations: 64, LocationTTL: time.Minute, MaxPending: 64, PendingTTL: time.Minute})
	k := keysInShard(2, 6)
	for _, key := range k[:4] {
		m.SetLocation(key, loc("home", t0))
	}
	// k0 expires on read.
	if _, ok := m.Location(k[0], t0.Add(2*time.Minute)); ok {
		t.Fatal("expired location returned")
	}
	// One new key fits without evicting anyone live.
	m.SetLocation(k[4], loc("home", t0))
	for _, key := range k[1:5] {
		if _, ok := m.Location(key, t0); !ok {
			t.Errorf("location %d missing", key)
		}
	}
	checkInvariants(t, m.locations, 4)
}

func TestConcurrentUse(t *testing.T) {
	const (
		goroutines = 8
		iterations = 3000
		capacity   = 256
	)
	m := NewMemory(MemoryOptions{MaxLocations: capacity, LocationTTL: time.Minute, MaxPending: capacity, PendingTTL: time.Second})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range iterations {
				k := uint64(r.IntN(1000)) // overlapping keys between goroutines
				now := t0.Add(time.Duration(i) * time.Millisecond)
				switch r.IntN(5) {
				case 0:
					m.SetLocation(k, loc("home", now))
				case 1:
					if l, ok := m.Location(k, now); ok && l.Partner != "home" {
						t.Errorf("got foreign location %+v", l)
					}
				case 2:
					m.AddPending(k, Pending{IMSI: k, Location: loc("home", now)})
				case 3:
					if p, ok := m.TakePending(k, now); ok && p.IMSI != k {
						t.Errorf("pending %d holds IMSI %d", k, p.IMSI)
					}
				default:
					if l, p := m.Len(); l > capacity || p > capacity {
						t.Errorf("Len = %d, %d over capacity %d", l, p, capacity)
					}
				}
			}
		}()
	}
	wg.Wait()
	checkInvariants(t, m.locations, capacity/shards)
}

func TestSteadyStateDoesNotAllocate(t *testing.T) {
	const n = 1000
	m := NewMemory(MemoryOptions{MaxLocations: 1 << 14, LocationTTL: time.Hour, MaxPending: 1 << 14, PendingTTL: time.Minute})
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = 310260000000000 + uint64(i)*7919
	}
	l := loc("uk-partner", t0)
	for round := range 3 { // warm-up, including several ring compactions
		for _, k := range keys {
			l.Time = t0.Add(time.Duration(round) * time.Second)
			m.SetLocation(k, l)
		}
	}
	var i int
	var found bool
	tests := []struct {
		name string
		f    func()
	}{
		{"SetLocation", func() {
			m.SetLocation(keys[i%n], l)
			i++
		}},
		{"Location", func() {
			_, found = m.Location(keys[i%n], t0)
			i++
		}},
		{"AddPending+TakePending", func() {
			m.AddPending(keys[i%n], Pending{IMSI: keys[i%n], Location: l})
			_, found = m.TakePending(keys[i%n], t0)
			i++
		}},
	}
	for _, tt := range tests {
		if allocs := testing.AllocsPerRun(5*n, tt.f); allocs != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tt.name, allocs)
		}
	}
	if !found {
		t.Error("lookups missed")
	}
}

func BenchmarkLocation(b *testing.B) {
	m := NewMemory(MemoryOptions{MaxLocations: 1 << 16, LocationTTL: time.Hour, MaxPending: 1024, PendingTTL: time.Minute})
	const n = 1 << 15
	for i := range n {
		m.SetLocation(uint64(i), loc("home", t0))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Location(uint64(i&(n-1)), t0)
		i++
	}
}

func BenchmarkSetLocation(b *testing.B) {
	m := NewMemory(MemoryOptions{MaxLocations: 1 << 16, LocationTTL: time.Hour, MaxPending: 1024, PendingTTL: time.Minute})
	const n = 1 << 15
	l := loc("home", t0)
	for i := range n {
		m.SetLocation(uint64(i), l)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.SetLocation(uint64(i&(n-1)), l)
		i++
	}
}

// TestTablesHoldNoPointers: the location and session tables must stay
// invisible to the garbage collector (see locationRec). A pointer added to
// a record, or a Location stored as it is, fails here.
func TestTablesHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[entry[locationRec]](), reflect.TypeFor[entry[sessionRec]]()} {
		if hasPointers(typ) {
			t.Errorf("%v holds a pointer: the GC would scan every table entry", typ)
		}
	}
	if !hasPointers(reflect.TypeFor[entry[Location]]()) {
		t.Fatal("hasPointers misses the pointers in Location")
	}
}

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// TestPartnerNames: names round-trip through their numbers, and past
// maxPartnerNames a new name is held as unnumberedPartner, which no
// configured partner can be called, never as another partner's name.
func TestPartnerNames(t *testing.T) {
	var p partnerNames
	first, again := p.id("uk-partner"), p.id("uk-partner")
	if p.name(p.id("")) != "" || p.name(first) != "uk-partner" || first != again {
		t.Fatal("names do not round-trip")
	}
	for i := 0; i < maxPartnerNames+10; i++ {
		name := fmt.Sprintf("p%d", i)
		if got := p.name(p.id(name)); got != name && got != unnumberedPartner {
			t.Fatalf("%s came back as %q", name, got)
		}
	}
	if got := p.name(p.id("late-partner")); got != unnumberedPartner {
		t.Fatalf("a name past the limit came back as %q", got)
	}
	if p.name(p.id("uk-partner")) != "uk-partner" {
		t.Fatal("a name numbered before the limit was lost")
	}
	if p.name(12345678) != "" {
		t.Fatal("an unknown number has a name")
	}
}
