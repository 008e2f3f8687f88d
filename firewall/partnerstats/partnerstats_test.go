package partnerstats

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

func TestCountAndSnapshot(t *testing.T) {
	s := New()
	uk, de := "uk", "de"
	s.Count(uk, view.Diameter, 316, Request, "ULR", rules.Allow)
	s.Count(uk, view.Diameter, 316, Request, "ULR", rules.Allow)
	s.Count(uk, view.Diameter, 319, Request, "IDR", rules.Reject)
	s.Count(uk, view.Diameter, 316, 0, "ULA", rules.Allow) // the answer: its own series
	s.Count(de, view.MAP, 200, Request, "", rules.Drop)
	s.Count(de, view.MAP, 71, Request, "x", rules.Log) // not a verdict: ignored
	// A reload gives partners new name strings: the same series.
	uk2 := string([]byte("uk"))
	s.Count(uk2, view.Diameter, 316, Request, "ULR", rules.Allow)
	got := fmt.Sprint(s.Snapshot())
	want := "[{de map unknown drop 1} {uk diameter IDR reject 1} {uk diameter ULA allow 1} {uk diameter ULR allow 3}]"
	if got != want {
		t.Fatalf("snapshot %s, want %s", got, want)
	}
}

func TestConcurrentAndBounded(t *testing.T) {
	s := New()
	var wg sync.WaitGroup
	partners := []string{"p0", "p1"}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3000 {
				s.Count(partners[g%2], view.GTPv2C, uint32(i%7), Request, fmt.Sprint("op", i%7), rules.Allow)
			}
		}()
	}
	wg.Wait()
	var total uint64
	for _, x := range s.Snapshot() {
		total += x.Count
	}
	if total != 8*3000 || len(s.Snapshot()) != 14 {
		t.Fatalf("total %d over %d series", total, len(s.Snapshot()))
	}
	// A flood of distinct operation names cannot grow the table past
	// MaxSeries: the rest lands in "other".
	s.limit = 64
	attacker := "attacker"
	for i := range 200 {
		s.Count(attacker, view.Diameter, uint32(1000+i), Request, "op", rules.Drop)
	}
	if s.n > s.limit+1 {
		t.Fatalf("%d series", s.n)
	}
	other := uint64(0)
	for _, x := range s.Snapshot() {
		if x.Op == "other" {
			other += x.Count
		}
	}
	if other < 100 {
		t.Fatalf("%d messages under other", other)
	}
}

func TestCountAllocatesNothing(t *testing.T) {
	s := New()
	uk := "uk"
	s.Count(uk, view.Diameter, 316, Request, "ULR", rules.Allow)
	if n := testing.AllocsPerRun(1000, func() { s.Count(uk, view.Diameter, 316, Request, "ULR", rules.Reject) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func BenchmarkCount(b *testing.B) {
	s := New()
	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprint("p", i)
		s.Count(names[i], view.Diameter, 316, Request, "ULR", rules.Allow)
	}
	for b.Loop() {
		s.Count(names[7], view.Diameter, 316, Request, "ULR", rules.Allow)
	}
}

func TestLatencies(t *testing.T) {
	l := NewLatencies()
	uk := "uk"
	l.Observe(uk, 3*time.Microsecond)
	l.Observe(uk, 40*time.Microsecond)
	l.Observe(uk, time.Second) // beyond the last bound: +Inf only
	l.Observe(string([]byte("uk")), time.Microsecond)
	s := l.Snapshot()
	if len(s) != 1 || s[0].Partner != "uk" || s[0].Count != 4 {
		t.Fatalf("%+v", s)
	}
	h := s[0]
	if h.Buckets[2e-6] != 1 || h.Buckets[5e-6] != 2 || h.Buckets[50e-6] != 3 || h.Buckets[0.1] != 3 {
		t.Fatalf("buckets %v", h.Buckets)
	}
	if h.Sum < 1.0000 || h.Sum > 1.0001 {
		t.Fatalf("sum %v", h.Sum)
	}
	if n := testing.AllocsPerRun(1000, func() { l.Observe(uk, 7*time.Microsecond) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
