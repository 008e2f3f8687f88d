package state

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"
)

// A snapshot keeps what a node learned — subscriber locations and GTP
// sessions — across a restart. Pending requests and sequence numbers
// are not kept: they live for seconds, shorter than a restart.
//
// File layout: the magic "BWSNAP01", then records, each a kind byte, a
// u16 length and the record (codec.go); then the kind byte 0 and a
// CRC-32C of everything before it. A file that fails the check is
// refused as a whole: half a snapshot would be silently wrong.

const snapshotMagic = "BWSNAP01"

const (
	recEnd      = 0
	recLocation = 1
	recSession  = 2
)

// maxRecord bounds one record (a partner name of 255 bytes fits easily).
const maxRecord = 1024

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SaveSnapshot writes the store's locations and sessions valid at now to
// path, atomically: a temporary file in the same directory, synced, then
// renamed over path. It returns how many entries it wrote.
func (m *Memory) SaveSnapshot(path string, now time.Time) (n int, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, fmt.Errorf("state snapshot: %w (the directory must exist and be writable)", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	crc := crc32.New(castagnoli)
	w := bufio.NewWriterSize(io.MultiWriter(f, crc), 64<<10)
	w.WriteString(snapshotMagic)
	var rec []byte
	put := func(kind byte) {
		w.WriteByte(kind)
		var l [2]byte
		binary.BigEndian.PutUint16(l[:], uint16(len(rec)))
		w.Write(l[:])
		w.Write(rec)
		n++
	}
	m.EachLocation(now, func(imsi uint64, loc Location) {
		rec = AppendLocation(rec[:0], imsi, loc)
		put(recLocation)
	})
	m.EachSession(now, func(key uint64, s Session) {
		rec = AppendSession(rec[:0], key, s)
		put(recSession)
	})
	w.WriteByte(recEnd)
	if err = w.Flush(); err != nil {
		return 0, fmt.Errorf("state snapshot %s: %w", path, err)
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc.Sum32())
	if _, err = f.Write(sum[:]); err != nil {
		return 0, fmt.Errorf("state snapshot %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return 0, fmt.Errorf("state snapshot %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return 0, fmt.Errorf("state snapshot %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return 0, fmt.Errorf("state snapshot %s: %w", path, err)
	}
	return n, nil
}

// ErrNoSnapshot is wrapped by LoadSnapshot when the file does not exist
// (the first start).
var ErrNoSnapshot = errors.New("no snapshot yet")

// LoadSnapshot restores the entries of a snapshot that are still valid at
// now (each table's TTL), keeping any newer entry the store already
// holds. The whole file is checked before anything is restored. It
// returns how many entries it restored.
func (m *Memory) LoadSnapshot(path string, now time.Time) (int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("state snapshot %s: %w", path, ErrNoSnapshot)
	}
	if err != nil {
		return 0, fmt.Errorf("state snapshot: %w", err)
	}
	return m.restore(path, data, now)
}

// restore is LoadSnapshot on the file's bytes (path names it in errors).
func (m *Memory) restore(path string, data []byte, now time.Time) (int, error) {
	bad := func(why string) error {
		return fmt.Errorf("state snapshot %s: %s; the file is ignored (delete it, or restore a backup)", path, why)
	}
	if len(data) < len(snapshotMagic)+1+4 || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return 0, bad("not a Breakwater state snapshot (wrong magic)")
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return 0, bad("checksum mismatch (truncated or corrupted)")
	}
	// Two passes: validate everything, then restore.
	for pass := 0; pass < 2; pass++ {
		b := body[len(snapshotMagic):]
		n := 0
		for {
			if len(b) < 1 {
				return 0, bad("no end record")
			}
			kind := b[0]
			if kind == recEnd {
				if len(b) != 1 {
					return 0, bad("data after the end record")
				}
				break
			}
			if len(b) < 3 {
				return 0, bad("truncated record header")
			}
			l := int(binary.BigEndian.Uint16(b[1:]))
			if l > maxRecord || len(b) < 3+l {
				return 0, bad(fmt.Sprintf("record of %d bytes at offset %d does not fit", l, len(data)-4-len(b)))
			}
			rec := b[3 : 3+l]
			b = b[3+l:]
			switch kind {
			case recLocation:
				imsi, loc, rest, err := DecodeLocation(rec)
				if err != nil || len(rest) != 0 {
					return 0, bad(fmt.Sprintf("bad location record: %v", err))
				}
				if pass == 1 && m.locations.fresh(loc.Time, now) && m.MergeLocation(imsi, loc) {
					n++
				}
			case recSession:
				key, s, rest, err := DecodeSession(rec)
				if err != nil || len(rest) != 0 {
					return 0, bad(fmt.Sprintf("bad session record: %v", err))
				}
				if pass == 1 && m.sessions.fresh(s.Created, now) && m.MergeSession(key, s) {
					n++
				}
			default:
				return 0, bad(fmt.Sprintf("unknown record kind %d", kind))
			}
		}
		if pass == 1 {
			return n, nil
		}
	}
	return 0, nil
}

// fresh reports whether an entry written at "at" is still valid at now.
func (t *table[V]) fresh(at, now time.Time) bool {
	return t.ttl <= 0 || now.UnixNano()-at.UnixNano() <= int64(t.ttl)
}
