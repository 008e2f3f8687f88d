package quarantine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// stateVersion is the state file format; a file of another version is
// refused rather than guessed at.
const stateVersion = 1

// stateFile is the JSON form of the state file:
//
//	{"version":1,"entries":[{"partner":"uk-partner","since":"…","until":"…","reason":"…"}]}
//
// "until" is absent for a quarantine until lifted.
type stateFile struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// load reads the state file at path. A missing file is an empty set (first
// start); entries whose Until is not after now are dropped and counted.
func load(path string, now time.Time) (entries []Entry, dropped int, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("quarantine: cannot read state file %s: %w; fix its permissions or choose another state file path", path, err)
	}
	var st stateFile
	if err := decodeState(data, &st); err != nil {
		return nil, 0, corrupt(path, err)
	}
	if st.Version != stateVersion {
		return nil, 0, fmt.Errorf("quarantine: state file %s has format version %d, this release reads version %d; run the release that wrote it, or move the file away (the quarantine list then starts empty: quarantine the partners again)",
			path, st.Version, stateVersion)
	}
	seen := make(map[string]bool, len(st.Entries))
	for i, e := range st.Entries {
		if err := CheckPartner(e.Partner); err != nil {
			return nil, 0, corrupt(path, fmt.Errorf("entry %d: %w", i+1, err))
		}
		if seen[e.Partner] {
			return nil, 0, corrupt(path, fmt.Errorf("entry %d: partner %q appears twice", i+1, e.Partner))
		}
		seen[e.Partner] = true
		if e.Until.After(latestUntil) {
			return nil, 0, corrupt(path, fmt.Errorf("entry %d: partner %q: until %s is out of range", i+1, e.Partner, e.Until.Format(time.RFC3339)))
		}
		if !e.activeAt(now) {
			dropped++
			continue
		}
		entries = append(entries, e)
	}
	return entries, dropped, nil
}

// decodeState is strict: a truncated, concatenated or hand-mangled file is
// reported, not half-read.
func decodeState(data []byte, st *stateFile) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("the file is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(st); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

func corrupt(path string, err error) error {
	return fmt.Errorf("quarantine: state file %s is corrupt: %v. Breakwater does not start with an unknown quarantine list; restore the file from a backup, or move it away (the list then starts empty: quarantine the partners again)", path, err)
}

// save replaces the state file atomically: a reader (or a restart after a
// crash) sees the old file or the new one, never a mix. The data is
// fsynced before the rename and the directory after it, so the rename
// itself survives a power cut.
func save(path string, entries []Entry) (err error) {
	if entries == nil {
		entries = []Entry{} // "entries":[] rather than null
	}
	data, err := json.MarshalIndent(stateFile{Version: stateVersion, Entries: entries}, "", "  ")
	if err != nil {
		return fmt.Errorf("writing state file %s: %w", path, err)
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing state file %s: %w; check the directory exists, is writable and has space", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp already uses 0600; explicit, because the file names the
	// partners under suspicion and the reasons operators gave.
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("writing state file %s: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("writing state file %s: %w; check the file system has space", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing state file %s: flushing to disk: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing state file %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing state file %s: %w; check the directory is writable", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		// Best effort: the new file is in place either way; without the
		// directory fsync only a power cut right now could undo it.
		d.Sync()
		d.Close()
	}
	return nil
}

// removeStaleTemps deletes temporary files a crash in the middle of save
// left behind; they are never read, only clutter.
func removeStaleTemps(path string, log *slog.Logger) {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+".tmp-"
	des, _ := os.ReadDir(dir) // unreadable: save reports the directory's problem
	for _, de := range des {
		if de.IsDir() || !strings.HasPrefix(de.Name(), prefix) {
			continue
		}
		n := filepath.Join(dir, de.Name())
		if err := os.Remove(n); err != nil {
			log.Warn("quarantine: cannot remove a stale temporary state file; remove it by hand", "file", n, "err", err)
		}
	}
}

func dirExists(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}
