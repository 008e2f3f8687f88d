package audit

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"syscall"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/pseudonym"
)

const (
	// flushBytes is the batch size: large enough that a flood is written
	// in few system calls, small enough to be written in well under a
	// millisecond.
	flushBytes = 64 << 10
	// flushEvery bounds how long a line waits in the batch while records
	// keep arriving (when the queue empties the batch is written at once).
	flushEvery = 100 * time.Millisecond
	// checkEvery is how often the writer checks that Path still names
	// its file, so that an external logrotate (rename and "create") or an
	// operator's rm is followed within a second.
	checkEvery = time.Second
	// logEvery limits error lines: a full disk fails every batch, and the
	// operator needs to learn that once, not thousands of times.
	logEvery = time.Second
	// rotateRetry spaces rotation attempts after one failed, instead of
	// retrying (and failing) for every line written meanwhile.
	rotateRetry = time.Second
)

var newline = []byte{'\n'}

// writer is the state of the writer goroutine; only it touches these
// fields (Close reads closeErr after the goroutine has exited).
type writer struct {
	l        *Log
	path     string
	maxBytes int64
	keep     int
	clear    bool
	hasher   *pseudonym.Hasher
	log      *slog.Logger
	now      func() time.Time

	f           *os.File // nil after a failure: reopened by the next batch
	fi          os.FileInfo
	regular     bool  // f is a regular file: rotated, truncated, checked
	size        int64 // bytes in f as far as the writer knows
	needNewline bool  // f ends in a partial line: start with a newline

	buf     []byte // the batch: complete lines
	nbuf    int    // records in buf
	scratch []byte // formatting room for addresses

	lastFlush   time.Time
	lastCheck   time.Time
	rotateAfter time.Time

	policy  *engine.Policy // policy of the last entry and its version
	version string

	lastLog    time.Time
	suppressed int  // error lines not logged since lastLog
	failing    bool // an error happened since the last successful write
	closeErr   error
}

// run is the writer goroutine.
func (l *Log) run() {
	defer close(l.exit)
	w := &l.w
	for {
		select {
		case e := <-l.q:
			w.take(&e)
			if len(l.q) == 0 || w.now().Sub(w.lastFlush) >= flushEvery {
				w.flush()
			}
		case <-l.done:
			w.drain()
			return
		}
	}
}

// drain writes what is queued until Close's deadline, counts the rest as
// dropped, and closes the file.
func (w *writer) drain() {
	l := w.l
	for time.Now().Before(l.deadline) {
		select {
		case e := <-l.q:
			w.take(&e)
			continue
		default:
		}
		break
	}
	w.flush()
	for {
		select {
		case <-l.q:
			l.dropped.Add(1)
			continue
		default:
		}
		break
	}
	if w.f != nil {
		var err error
		if w.regular {
			// What the audit log holds should survive the power cut
			// that may follow a shutdown.
			err = w.f.Sync()
		}
		if cerr := w.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			w.closeErr = fmt.Errorf("audit log: closing %s: %w; the last lines may be missing", w.path, err)
			l.writeErrors.Add(1)
		}
		w.f = nil
	}
	l.stopped.Store(true)
}

// take formats one entry into the batch, rotating first when the line
// would take the file past maxBytes.
func (w *writer) take(e *entry) {
	if h := w.l.hooks.take; h != nil {
		h()
	}
	start := len(w.buf)
	w.buf = w.appendLine(w.buf, e)
	w.nbuf++
	if w.f != nil && w.regular && w.size+int64(len(w.buf)) > w.maxBytes && w.size+int64(start) > 0 &&
		!w.now().Before(w.rotateAfter) {
		w.writeOut(w.buf[:start], w.nbuf-1)
		w.rotate()
		w.buf = w.buf[:copy(w.buf, w.buf[start:])]
		w.nbuf = 1
	}
	if len(w.buf) >= flushBytes {
		w.flush()
	}
}

// flush writes the batch.
func (w *writer) flush() {
	w.writeOut(w.buf, w.nbuf)
	w.buf, w.nbuf = w.buf[:0], 0
	w.lastFlush = w.now()
}

// writeOut writes b, n complete lines, to the file, opening it if needed.
// Lines that cannot be written are counted as lost; they are not kept for
// a retry, since a disk that stays full would otherwise hold the writer
// (and behind it the queue) forever.
func (w *writer) writeOut(b []byte, n int) {
	if n == 0 {
		return
	}
	w.checkPath()
	if w.f == nil {
		if err := w.open(); err != nil {
			w.fail(err)
			w.l.lost.Add(uint64(n))
			return
		}
	}
	if w.needNewline {
		if _, err := w.f.Write(newline); err != nil {
			w.writeFailed(err)
			w.l.lost.Add(uint64(n))
			return
		}
		w.size++
		w.needNewline = false
	}
	k, err := w.f.Write(b)
	if err == nil {
		w.size += int64(k)
		w.l.written.Add(uint64(n))
		w.recovered()
		return
	}
	// Part of the batch may have been written (a disk filling up): the
	// complete lines count as written; a partial line is cut off again,
	// so that the file stays one valid JSON document per line.
	complete := bytes.LastIndexByte(b[:k], '\n') + 1
	done := bytes.Count(b[:complete], newline)
	w.size += int64(complete)
	if k > complete {
		w.cutPartial(k - complete)
	}
	// The error is counted before the records: whoever sees every record
	// accounted for also sees why some were lost.
	w.writeFailed(err)
	w.l.written.Add(uint64(done))
	w.l.lost.Add(uint64(n - done))
}

// cutPartial removes the partial line of tail bytes the last write left at
// the end of the file, or failing that makes the next write start on a new
// line (the partial line is then lost, but the lines after it are valid).
func (w *writer) cutPartial(tail int) {
	if w.regular {
		// The file's own size, not w.size: it is right even if someone
		// else appended meanwhile.
		if fi, err := w.f.Stat(); err == nil {
			end := fi.Size() - int64(tail)
			if end >= 0 && w.f.Truncate(end) == nil {
				w.size = end
				return
			}
		}
	}
	w.size += int64(tail)
	w.needNewline = true
}

// writeFailed handles a failed write. The file stays open when the disk is
// full (reopening frees nothing, and the next batch may find room);
// otherwise it is closed, and the next batch opens the path afresh.
func (w *writer) writeFailed(err error) {
	w.fail(fmt.Errorf("audit log: cannot write %s: %w; %s", w.path, err, hint(err)))
	if !isNoSpace(err) {
		w.closeFile()
	}
}

// checkPath reopens the file when Path no longer names it (renamed or
// removed by someone else), at most once per checkEvery.
func (w *writer) checkPath() {
	if w.f == nil || !w.regular {
		return
	}
	now := w.now()
	if now.Sub(w.lastCheck) < checkEvery {
		return
	}
	w.lastCheck = now
	fi, err := os.Stat(w.path)
	if err == nil && os.SameFile(fi, w.fi) {
		return
	}
	w.closeFile()
	if err := w.open(); err != nil {
		w.fail(err)
	}
}

// open opens Path for appending, creating it with mode 0600.
func (w *writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: cannot open %s: %w; %s", w.path, err, hint(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit log: cannot stat %s: %w; %s", w.path, err, hint(err))
	}
	w.f, w.fi, w.regular = f, fi, fi.Mode().IsRegular()
	w.size, w.needNewline = 0, false
	if w.regular {
		w.size = fi.Size()
		// A crash in the middle of a write leaves a partial line; the
		// first new line must not be glued to it.
		w.needNewline = w.size > 0 && !endsWithNewline(w.path, w.size)
	}
	return nil
}

// endsWithNewline reports whether the file's last byte (of size bytes) is
// a newline. When it cannot tell, it says yes: an empty line is not valid
// JSON either, and a line glued to a partial one is no worse.
func endsWithNewline(path string, size int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], size-1); err != nil {
		return true
	}
	return b[0] == '\n'
}

func (w *writer) closeFile() {
	if w.f == nil {
		return
	}
	if err := w.f.Close(); err != nil {
		w.fail(fmt.Errorf("audit log: closing %s: %w; lines written just before may be missing", w.path, err))
	}
	w.f, w.fi, w.size, w.needNewline = nil, nil, 0, false
}

// rotate renames Path to Path.1, Path.1 to Path.2 and so on, replacing
// Path.Keep, and opens a new Path. When a rename fails the chain stops
// there (renaming on would overwrite a file not yet moved), the current
// file goes on growing and rotation is retried after rotateRetry.
func (w *writer) rotate() {
	w.closeFile()
	var err error
	for i := w.keep - 1; i >= 1 && err == nil; i-- {
		err = renameIfExists(w.rotated(i), w.rotated(i+1))
	}
	if err == nil {
		err = renameIfExists(w.path, w.rotated(1))
	}
	if err != nil {
		w.fail(fmt.Errorf("audit log: cannot rotate %s: %w; it grows past its maximum size until this is fixed (%s)", w.path, err, hint(err)))
		w.rotateAfter = w.now().Add(rotateRetry)
	} else {
		w.l.rotations.Add(1)
	}
	if err := w.open(); err != nil {
		w.fail(err)
	}
}

func (w *writer) rotated(i int) string { return w.path + "." + strconv.Itoa(i) }

func renameIfExists(from, to string) error {
	if err := os.Rename(from, to); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// fail counts a failed file operation and logs it, at most one line per
// logEvery (saying how many were not logged).
func (w *writer) fail(err error) {
	w.l.writeErrors.Add(1)
	w.failing = true
	if !w.mayLog() {
		return
	}
	w.log.Error(err.Error(), "errors_not_logged", w.suppressed,
		"records_lost_total", w.l.lost.Load(), "write_errors_total", w.l.writeErrors.Load())
	w.suppressed = 0
}

// recovered logs that writing works again after errors. It shares the
// error lines' rate limit, so a disk flapping between full and not full
// cannot flood the log either.
//
// When the limit holds it back, the writer stays "failing" so that a later
// successful write says it: under continuous traffic an error line less
// than logEvery ago would otherwise swallow the recovery line for good.
func (w *writer) recovered() {
	if !w.failing {
		return
	}
	if now := w.now(); !w.lastLog.IsZero() && now.Sub(w.lastLog) < logEvery {
		return // say it at the next write after the limit
	}
	w.failing = false
	w.lastLog = w.now()
	w.log.Info("audit log: writing again", "path", w.path, "errors_not_logged", w.suppressed,
		"records_lost_total", w.l.lost.Load(), "write_errors_total", w.l.writeErrors.Load())
	w.suppressed = 0
}

func (w *writer) mayLog() bool {
	now := w.now()
	if !w.lastLog.IsZero() && now.Sub(w.lastLog) < logEvery {
		w.suppressed++
		return false
	}
	w.lastLog = now
	return true
}

// isNoSpace reports whether err means the file system or the user's quota
// is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// hint says what an operator can do about err.
func hint(err error) string {
	switch {
	case isNoSpace(err):
		return "free space on its file system (or lower the audit log's max size or keep count); lines are counted as lost until then"
	case errors.Is(err, os.ErrPermission):
		return "give the firewall's user write access to the file and its directory"
	case errors.Is(err, os.ErrNotExist):
		return "create its directory"
	}
	return "check the file system (dmesg may say more); lines are counted as lost until a write succeeds"
}

// policyVersion returns p's version, computed once per policy.
func (w *writer) policyVersion(p *engine.Policy) string {
	if p != w.policy {
		w.policy, w.version = p, safeVersion(p)
	}
	return w.version
}

// safeVersion is p.Version(), or "" when p cannot say: a policy assembled
// without a rule set (tests, tools) must not bring down the writer, and
// with it the audit log.
func safeVersion(p *engine.Policy) (v string) {
	if p == nil {
		return ""
	}
	defer func() {
		if recover() != nil {
			v = ""
		}
	}()
	return p.Version()
}
