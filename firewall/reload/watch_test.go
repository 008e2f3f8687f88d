package reload

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// waitCount waits (bounded) until n reaches want.
func waitCount(t *testing.T, n *atomic.Int64, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d changes reported, want %d", n.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// In-place writes, an editor's write-temp-and-rename, and delete +
// recreate are each reported; a burst is one report; other files in the
// directory are not.
func TestWatcherSeesEditorSaves(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "breakwater.yaml")
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(cfg, []byte("a"), 0o644)
	os.WriteFile(rules, []byte("a"), 0o644)
	w, err := New([]string{cfg, rules}, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	go w.Run(ctx, func() { n.Add(1) }, nil)
	time.Sleep(50 * time.Millisecond) // let Run start reading events

	os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("x"), 0o644)
	// In place, several writes in a burst: one reload.
	for i := range 5 {
		os.WriteFile(cfg, []byte{byte(i)}, 0o644)
	}
	waitCount(t, &n, 1)
	time.Sleep(200 * time.Millisecond)
	if n.Load() != 1 {
		t.Fatalf("a burst of writes (and an unrelated file) gave %d reloads, want 1", n.Load())
	}
	// vim/emacs style: write a temporary file, rename it over the rules.
	tmp := filepath.Join(dir, ".rules.yaml.swp")
	os.WriteFile(tmp, []byte("b"), 0o644)
	if err := os.Rename(tmp, rules); err != nil {
		t.Fatal(err)
	}
	waitCount(t, &n, 2)
	// Delete and recreate (the delete may be reported on its own).
	os.Remove(rules)
	time.Sleep(100 * time.Millisecond)
	before := n.Load()
	os.WriteFile(rules, []byte("c"), 0o644)
	waitCount(t, &n, before+1)
	// The watch still works after the rename replaced the inode.
	time.Sleep(100 * time.Millisecond)
	before = n.Load()
	os.WriteFile(rules, []byte("d"), 0o644)
	waitCount(t, &n, before+1)
}

func TestWatcherMissingDirectory(t *testing.T) {
	if _, err := New([]string{filepath.Join(t.TempDir(), "nosuch", "x.yaml")}, 0); err == nil {
		t.Fatal("watching a file in a missing directory succeeded")
	}
}
