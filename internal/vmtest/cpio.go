package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// File type bits of a cpio/stat mode.
const (
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeLink = 0o120000
	modeChar = 0o020000
)

// imageEntry is one file, directory, symlink or device node of the
// initramfs. Regular files carry their content either in data or, for large
// files such as test binaries, as a host path read while writing.
type imageEntry struct {
	mode     uint32 // type bits | permission bits
	data     []byte
	hostPath string // content of a regular file, read at write time
	size     int64  // size of hostPath
	target   string // symlink target
	rdevMaj  uint32
	rdevMin  uint32
}

// image is the set of entries of an initramfs, keyed by their path inside
// the VM without a leading slash ("bin/busybox"). It is written as a newc
// ("070701") cpio archive in path order, with every parent directory
// before its children, fixed inode numbers, uid/gid 0 and mtime 0, so the
// same inputs always give byte-identical archives.
type image struct {
	entries map[string]*imageEntry
}

func newImage() *image { return &image{entries: map[string]*imageEntry{}} }

func cleanImagePath(p string) (string, error) {
	c := strings.TrimPrefix(path.Clean("/"+p), "/")
	if c == "" {
		return "", fmt.Errorf("empty path %q in image", p)
	}
	return c, nil
}

// mkdirAll adds dir and all its parents as 0755 directories.
func (im *image) mkdirAll(dir string) error {
	dir, err := cleanImagePath(dir)
	if err != nil {
		return err
	}
	for d := dir; d != "." && d != ""; d = path.Dir(d) {
		if e, ok := im.entries[d]; ok {
			if e.mode&0o170000 != modeDir {
				return fmt.Errorf("image: %s is needed as a directory but is already a file", d)
			}
			continue
		}
		im.entries[d] = &imageEntry{mode: modeDir | 0o755}
	}
	return nil
}

func (im *image) add(p string, e *imageEntry) error {
	p, err := cleanImagePath(p)
	if err != nil {
		return err
	}
	if dir := path.Dir(p); dir != "." {
		if err := im.mkdirAll(dir); err != nil {
			return err
		}
	}
	if old, ok := im.entries[p]; ok && old.mode&0o170000 == modeDir && e.mode&0o170000 == modeDir {
		old.mode = e.mode
		return nil
	}
	im.entries[p] = e
	return nil
}

// addBytes adds a regular file with the given content and permissions.
func (im *image) addBytes(p string, data []byte, perm uint32) error {
	return im.add(p, &imageEntry{mode: modeReg | perm&0o7777, data: data})
}

// addHostFile adds a regular file whose content is read from a host path
// when the archive is written. Permissions are taken from perm.
func (im *image) addHostFile(p, hostPath string, perm uint32) error {
	st, err := os.Stat(hostPath)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", hostPath)
	}
	return im.add(p, &imageEntry{mode: modeReg | perm&0o7777, hostPath: hostPath, size: st.Size()})
}

func (im *image) addSymlink(p, target string) error {
	return im.add(p, &imageEntry{mode: modeLink | 0o777, target: target})
}

func (im *image) addCharDev(p string, perm, major, minor uint32) error {
	return im.add(p, &imageEntry{mode: modeChar | perm&0o7777, rdevMaj: major, rdevMin: minor})
}

// addHostTree copies a host file or directory tree to dst. Regular files
// keep their permission bits (executable or not), symlinks are kept as
// symlinks, anything else (sockets, devices) is an error.
func (im *image) addHostTree(dst, src string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		t, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return im.addSymlink(dst, t)
	case st.Mode().IsRegular():
		return im.addHostFile(dst, src, uint32(st.Mode().Perm()))
	case st.IsDir():
		if err := im.add(dst, &imageEntry{mode: modeDir | uint32(st.Mode().Perm())}); err != nil {
			return err
		}
		ents, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := im.addHostTree(path.Join(dst, e.Name()), src+"/"+e.Name()); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("%s: unsupported file type %v", src, st.Mode().Type())
	}
}

// sortedPaths returns the entry paths in archive order: plain byte order,
// in which a directory always precedes the paths below it.
func (im *image) sortedPaths() []string {
	ps := make([]string, 0, len(im.entries))
	for p := range im.entries {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// writeNewc writes the image as an uncompressed newc cpio archive.
func (im *image) writeNewc(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var off int64
	write := func(b []byte) error {
		n, err := bw.Write(b)
		off += int64(n)
		return err
	}
	pad := func() error {
		if r := off % 4; r != 0 {
			return write(make([]byte, 4-r))
		}
		return nil
	}
	header := func(ino uint32, e *imageEntry, name string, size int64) error {
		nlink := uint32(1)
		if e.mode&0o170000 == modeDir {
			nlink = 2
		}
		h := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, e.mode, 0, 0, nlink, 0, uint32(size), 0, 0, e.rdevMaj, e.rdevMin, len(name)+1, 0)
		if err := write([]byte(h)); err != nil {
			return err
		}
		if err := write(append([]byte(name), 0)); err != nil {
			return err
		}
		return pad()
	}
	for i, p := range im.sortedPaths() {
		e := im.entries[p]
		var size int64
		switch e.mode & 0o170000 {
		case modeReg:
			size = int64(len(e.data))
			if e.hostPath != "" {
				size = e.size
			}
		case modeLink:
			size = int64(len(e.target))
		}
		if size > 0xFFFFFFFF {
			return fmt.Errorf("%s: %d bytes is too large for a newc archive", p, size)
		}
		if err := header(uint32(i+1), e, p, size); err != nil {
			return err
		}
		switch {
		case e.mode&0o170000 == modeLink:
			if err := write([]byte(e.target)); err != nil {
				return err
			}
		case e.hostPath != "":
			f, err := os.Open(e.hostPath)
			if err != nil {
				return err
			}
			n, err := io.Copy(bw, io.LimitReader(f, size))
			f.Close()
			off += n
			if err != nil {
				return err
			}
			if n != size {
				return fmt.Errorf("%s: changed size while writing the image (%d of %d bytes)", e.hostPath, n, size)
			}
		default:
			if err := write(e.data); err != nil {
				return err
			}
		}
		if err := pad(); err != nil {
			return err
		}
	}
	if err := header(0, &imageEntry{}, "TRAILER!!!", 0); err != nil {
		return err
	}
	return bw.Flush()
}

// writeFile writes the archive to file, gzip-compressed when compress is
// set (the gzip header carries no name and no time, so it stays
// deterministic).
func (im *image) writeFile(file string, compress bool) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if compress {
		// BestSpeed: the guest decompresses it under emulation, and a
		// higher level saves little on Go binaries.
		zw, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		w = zw
	}
	err = im.writeNewc(w)
	if zw != nil {
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
