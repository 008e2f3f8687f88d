package quarantine

import (
	"sync"
	"testing"
	"time"
)

func TestReplicaApplyAndRemove(t *testing.T) {
	s := newSet(t, Config{})
	var mu sync.Mutex
	var sent []string
	s.SetReplicator(func(e Entry, lifted bool) {
		mu.Lock()
		defer mu.Unlock()
		if lifted {
			sent = append(sent, "lift "+e.Partner)
		} else {
			sent = append(sent, "quarantine "+e.Partner)
		}
	})
	now := time.Now().Round(0)
	remote := Entry{Partner: "uk", Since: now.Add(-time.Minute), Reason: "manual: on node b"}
	if changed, err := s.Apply(remote); !changed || err != nil {
		t.Fatalf("Apply = %v, %v", changed, err)
	}
	if !s.Quarantined("uk") {
		t.Fatal("applied entry not in force")
	}
	// The same entry again, or an older one, changes nothing.
	if changed, _ := s.Apply(remote); changed {
		t.Fatal("the same entry applied twice")
	}
	older := remote
	older.Since = now.Add(-time.Hour)
	older.Reason = "older"
	if changed, _ := s.Apply(older); changed {
		t.Fatal("an older decision replaced a newer one")
	}
	// An expired entry is ignored.
	if changed, _ := s.Apply(Entry{Partner: "de", Since: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour)}); changed || s.Quarantined("de") {
		t.Fatal("an expired entry was applied")
	}
	// A lift of an older entry keeps the newer one; a lift of this one removes it.
	if changed, _ := s.Remove("uk", now.Add(-time.Hour)); changed || !s.Quarantined("uk") {
		t.Fatal("a lift of an older entry removed a newer quarantine")
	}
	if changed, _ := s.Remove("uk", remote.Since); !changed || s.Quarantined("uk") {
		t.Fatal("the lift did not remove the entry it lifted")
	}
	if changed, err := s.Remove("uk", remote.Since); changed || err != nil {
		t.Fatalf("removing an absent entry: %v, %v", changed, err)
	}
	// Only local changes reach the replicator.
	mu.Lock()
	if len(sent) != 0 {
		t.Fatalf("changes from other nodes were replicated back: %v", sent)
	}
	mu.Unlock()
	s.Quarantine("us", time.Time{}, "local")
	s.Lift("us")
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 2 || sent[0] != "quarantine us" || sent[1] != "lift us" {
		t.Fatalf("replicated %v", sent)
	}
}
