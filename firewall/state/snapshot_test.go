package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/protocols/view"
)

func snapshotStore() *Memory {
	return NewMemory(MemoryOptions{MaxLocations: 1024, LocationTTL: time.Hour, MaxPending: 64, PendingTTL: time.Second,
		MaxSessions: 1024, SessionTTL: time.Hour, MaxSequences: 64, ReplayMemory: time.Second})
}

func TestSnapshotRoundTrip(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := snapshotStore()
	uk := view.PLMN{MCC: 234, MNC: 15, MNCLen: 2}
	us := view.PLMN{MCC: 310, MNC: 260, MNCLen: 3}
	m.SetLocation(1, Location{PLMN: uk, Partner: "uk", Time: now.Add(-time.Minute)})
	m.SetLocation(2, Location{PLMN: us, Partner: "us", Time: now.Add(-2 * time.Hour)}) // expired: not saved
	m.SetLocation(3, Location{PLMN: us, Partner: strings.Repeat("p", 40), Time: now})
	m.SetSession(77, Session{Partner: "uk", IMSI: 1, Created: now.Add(-time.Second)})
	path := filepath.Join(t.TempDir(), "state.snap")
	n, err := m.SaveSnapshot(path, now)
	if err != nil || n != 3 {
		t.Fatalf("SaveSnapshot = %d, %v; want 3 entries", n, err)
	}

	r := snapshotStore()
	// A newer fact already known is kept over the snapshot's.
	r.SetLocation(3, Location{PLMN: uk, Partner: "uk", Time: now.Add(time.Second)})
	n, err = r.LoadSnapshot(path, now)
	if err != nil || n != 2 {
		t.Fatalf("LoadSnapshot = %d, %v; want 2 restored", n, err)
	}
	if l, ok := r.Location(1, now); !ok || l.PLMN != uk || l.Partner != "uk" || !l.Time.Equal(now.Add(-time.Minute)) {
		t.Fatalf("location 1 = %+v, %v", l, ok)
	}
	if _, ok := r.Location(2, now); ok {
		t.Fatal("expired location restored")
	}
	if l, _ := r.Location(3, now); l.Partner != "uk" {
		t.Fatalf("snapshot overwrote a newer location: %+v", l)
	}
	if s, ok := r.Session(77, now); !ok || s.Partner != "uk" || s.IMSI != 1 {
		t.Fatalf("session = %+v, %v", s, ok)
	}
	// Loaded an hour later, everything has expired.
	if n, err := snapshotStore().LoadSnapshot(path, now.Add(2*time.Hour)); err != nil || n != 0 {
		t.Fatalf("late load = %d, %v", n, err)
	}
}

func TestSnapshotRefusesDamage(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := snapshotStore()
	for i := uint64(0); i < 10; i++ {
		m.SetLocation(i, Location{PLMN: view.PLMN{MCC: 234, MNC: 15, MNCLen: 2}, Partner: "uk", Time: now})
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "state.snap")
	if _, err := m.SaveSnapshot(path, now); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	if _, err := snapshotStore().LoadSnapshot(filepath.Join(dir, "none"), now); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("missing file: %v", err)
	}
	for name, data := range map[string][]byte{
		"truncated":    good[:len(good)-7],
		"bit flip":     flip(good, len(good)/2),
		"wrong magic":  append([]byte("XXXXXXXX"), good[8:]...),
		"empty":        {},
		"only a magic": []byte(snapshotMagic),
	} {
		p := filepath.Join(dir, "bad")
		os.WriteFile(p, data, 0o600)
		r := snapshotStore()
		n, err := r.LoadSnapshot(p, now)
		if err == nil || n != 0 || !strings.Contains(err.Error(), "the file is ignored") {
			t.Errorf("%s: LoadSnapshot = %d, %v", name, n, err)
		}
		if l, _ := r.Len(); l != 0 {
			t.Errorf("%s: %d locations restored from a damaged file", name, l)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x10
	return c
}

func TestSnapshotUnwritableDirectory(t *testing.T) {
	_, err := snapshotStore().SaveSnapshot(filepath.Join(t.TempDir(), "missing", "state.snap"), time.Now())
	if err == nil || !strings.Contains(err.Error(), "directory must exist") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzSnapshot feeds arbitrary bytes to the snapshot reader: it must
// refuse or restore, never panic, and never restore more records than
// the file holds.
func FuzzSnapshot(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	m := snapshotStore()
	m.SetLocation(5, Location{PLMN: view.PLMN{MCC: 1, MNC: 1, MNCLen: 2}, Partner: "a", Time: now})
	m.SetSession(6, Session{Partner: "b", IMSI: 5, Created: now})
	path := filepath.Join(f.TempDir(), "s")
	if _, err := m.SaveSnapshot(path, now); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add([]byte(snapshotMagic + "\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := snapshotStore()
		n, err := r.restore("fuzz", data, now)
		if err != nil && n != 0 {
			t.Fatalf("restored %d entries and failed", n)
		}
		if n > len(data)/3 {
			t.Fatalf("restored %d entries from %d bytes", n, len(data))
		}
	})
}
