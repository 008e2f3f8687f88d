// Package reload watches the configuration and rule files so that an edit
// puts the new policy in force without a restart. Editors rarely write a
// file in place: they write a temporary file and rename it over the old
// one (or delete and recreate it), which a watch on the file itself would
// lose after the first save. So the watch is on the files' directories,
// filtered by name, and bursts of events (one save is often several) are
// debounced into one reload.
package reload

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long the directory must stay quiet after a
// change before the reload runs.
const DefaultDebounce = 250 * time.Millisecond

// Watcher reports changes to a set of files.
type Watcher struct {
	w        *fsnotify.Watcher
	names    map[string]bool // cleaned absolute paths watched
	debounce time.Duration
}

// New watches files (their directories must exist). debounce 0 takes
// DefaultDebounce.
func New(files []string, debounce time.Duration) (*Watcher, error) {
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching configuration files: %w (raise fs.inotify.max_user_instances, or rely on SIGHUP)", err)
	}
	wt := &Watcher{w: w, names: map[string]bool{}, debounce: debounce}
	dirs := map[string]bool{}
	for _, f := range files {
		if f == "" {
			continue
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			w.Close()
			return nil, err
		}
		wt.names[abs] = true
		dir := filepath.Dir(abs)
		if dirs[dir] {
			continue
		}
		if err := w.Add(dir); err != nil {
			w.Close()
			return nil, fmt.Errorf("watching %s for changes to %s: %w", dir, filepath.Base(abs), err)
		}
		dirs[dir] = true
	}
	return wt, nil
}

// Run calls changed once per burst of changes to the watched files until
// ctx ends, then closes the watcher. Watch errors (an overflowed event
// queue) are reported to failed and treated as a change: a reload that
// finds nothing new is harmless, a missed one is not.
func (wt *Watcher) Run(ctx context.Context, changed func(), failed func(error)) {
	defer wt.w.Close()
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case ev, ok := <-wt.w.Events:
			if !ok {
				return
			}
			if !wt.names[filepath.Clean(ev.Name)] || ev.Op == fsnotify.Chmod {
				continue
			}
		case err, ok := <-wt.w.Errors:
			if !ok {
				return
			}
			if failed != nil {
				failed(err)
			}
		case <-fire:
			fire = nil
			changed()
			continue
		}
		// A change (or an error): (re)arm the debounce timer.
		if timer == nil {
			timer = time.NewTimer(wt.debounce)
		} else {
			timer.Stop()
			timer.Reset(wt.debounce)
		}
		fire = timer.C
	}
}
