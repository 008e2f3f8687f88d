// Package audit writes the firewall's audit log: one JSON line per blocked
// message (or per message, with Config.All) saying when, from which partner,
// what operation, which rule decided and what the verdict was.
//
// # Privacy
//
// The audit log is kept for months and read by more people than the
// firewall's operators (fraud teams, regulators, partners in a dispute), so
// by default it names no subscriber. IMSIs and MSISDNs are replaced by
// pseudonyms: the first 64 bits (16 hex digits) of HMAC-SHA-256 over the
// identity's kind and digits, keyed with the operator's secret key file
// (package pseudonym). The same subscriber gets the same pseudonym in every
// line, on every node sharing the key and across restarts, so an attack on
// one subscriber can still be followed; without the key the pseudonym cannot
// be reversed, even by hashing the whole (small) IMSI space. 64 bits keep
// lines short while leaving accidental collisions negligible among the
// billions of identities an operator sees (and a collision merges two
// subscribers in an analysis; it discloses nothing). Rotating the key
// unlinks old pseudonyms from new ones.
//
// Clear identities are written only with Config.ClearIdentities, an explicit
// switch for operators whose law or procedures require them; a line then
// holds the clear identity and never its pseudonym, so the two cannot be
// joined to de-pseudonymise other logs written under the same key.
//
// SCCP global titles (calling_gt, called_gt) are written in clear: they are
// the E.164 addresses of network nodes (HLRs, MSCs, SMSCs, the attacker's
// GT), not of subscribers, and they are what an operator blocks and reports
// to the GSMA. Other numbers a message may carry that can be a person's
// (forwarded-to numbers, for instance) are not written at all.
//
// # Never blocking
//
// Record runs on the message path, in every relay goroutine. It copies what
// the line needs into a fixed-size entry and offers it to a bounded queue
// without waiting: when the queue is full (the disk is slower than the
// attack) the record is counted in Stats.Dropped and the message goes on.
// One writer goroutine formats, hashes, batches and writes; a slow, full or
// failing disk therefore costs audit lines, all of them counted, and never
// signaling traffic. Record allocates nothing.
package audit

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/network"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

// Defaults for zero Config fields.
const (
	DefaultMaxBytes = 100 << 20
	DefaultKeep     = 5
	DefaultQueueLen = 1 << 16
	// MaxQueueLen bounds the queue's memory: an entry is about 300 bytes,
	// so the default queue takes about 20 MB and the largest about 300 MB.
	MaxQueueLen = 1 << 20
	// MaxKeep bounds the rename chain run on every rotation.
	MaxKeep = 1000
	// MinMaxBytes is the smallest MaxBytes accepted: a few lines. A size
	// given in the wrong unit ("100" meaning megabytes) would otherwise
	// rotate at every line and keep only the last Keep lines.
	MinMaxBytes = 4096
)

// DrainTimeout is how long Close keeps writing queued records before it
// counts the rest as dropped: long enough for a healthy disk to take a full
// queue, short enough not to hold up a shutdown or restart.
const DrainTimeout = 5 * time.Second

// Config configures a Log.
type Config struct {
	// Path is the file appended to; it is created with mode 0600 if absent
	// (its directory must exist). A path that is not a regular file
	// (/dev/stdout, a FIFO) is written but never rotated; a FIFO must have
	// a reader, or opening it waits for one. One Log per file: two writers
	// would rotate each other's lines away.
	Path string
	// All records every message, not only blocked ones.
	All bool
	// ClearIdentities writes IMSIs and MSISDNs in clear instead of as
	// pseudonyms (never both).
	ClearIdentities bool
	// MaxBytes rotates the file before a line would take it past this size
	// (0: DefaultMaxBytes; at least MinMaxBytes). A single line longer
	// than MaxBytes is written to a file of its own.
	MaxBytes int64
	// Keep is how many rotated files are kept, Path.1 (newest) to Path.Keep
	// (0: DefaultKeep).
	Keep int
	// QueueLen is how many records may wait for the writer (0:
	// DefaultQueueLen). Its memory is allocated at Open.
	QueueLen int
	// Hasher pseudonymises identities; required unless ClearIdentities.
	// Open clones it, so the caller may go on using it.
	Hasher *pseudonym.Hasher
	// Log receives write, rotation and reopen errors, at most one line a
	// second (nil: slog.Default()).
	Log *slog.Logger
}

// Stats are the log's counters since Open. Every record offered to Record
// that Wants ends up in exactly one of Written, Dropped and Lost (or is
// still queued, QueueDepth).
type Stats struct {
	// Written: records whose line is in the file.
	Written uint64
	// Dropped: records refused because the queue was full, offered after
	// Close, or still queued when Close gave up draining.
	Dropped uint64
	// Lost: records taken from the queue but not written because the file
	// could not be written, opened or rotated (disk full, permissions).
	Lost uint64
	// WriteErrors counts failed file operations (a write, open, rotation,
	// truncation or close), not records.
	WriteErrors uint64
	// Rotations counts completed size rotations.
	Rotations uint64
	// QueueDepth is how many records wait for the writer now.
	QueueDepth int
}

// Log is the audit log. Record, Wants and Stats are safe for concurrent use.
// A nil *Log records nothing, so a relay can hold one whether or not the
// audit log is configured.
type Log struct {
	all   bool
	q     chan entry
	done  chan struct{} // closed by Close: drain and stop
	exit  chan struct{} // closed by the writer when it has stopped
	w     writer
	hooks hooks

	closed   atomic.Bool // Close has begun: Record counts instead of queueing
	stopped  atomic.Bool // the writer has returned: whatever is queued stays there
	deadline time.Time   // set by Close before done is closed; read by the writer after

	written, dropped, lost, writeErrors, rotations atomic.Uint64

	closeOnce sync.Once
	closeErr  error
}

// hooks let tests stall the writer and control its clock. Open uses none.
type hooks struct {
	// take, when set, is called by the writer with every entry it takes
	// from the queue, before formatting it.
	take func()
	// now replaces time.Now for the writer's flush, reopen and log-rate
	// decisions (not for Close's deadline).
	now func() time.Time
	// drainTimeout replaces DrainTimeout.
	drainTimeout time.Duration
}

// digits is a copy of a view.Digits without its numeric key: 25 bytes
// instead of 40, for four identities in every queued entry.
type digits struct {
	n uint8
	b [view.MaxDigits]byte
}

func (d *digits) set(v *view.Digits) { d.n = uint8(copy(d.b[:], v.Bytes())) }

func (d *digits) bytes() []byte { return d.b[:d.n] }

// entry is one record on its way to the writer. It holds no reference to
// the caller's message buffer: byte fields are copied into arrays, and the
// strings and pointers it keeps are immutable (static operation names,
// policy objects that are replaced, never changed).
type entry struct {
	t         time.Time
	relay     string
	op        string
	malformed string
	sender    *network.Member
	receiver  *network.Member
	rule      *rules.Rule
	policy    *engine.Policy
	src, dst  netip.AddrPort
	tx        uint64
	code      uint32
	app       uint32
	result    uint32
	proto     view.Protocol
	action    rules.Action
	request   bool

	imsi, msisdn, calling, called digits
}

// Open opens (or creates) cfg.Path for appending and starts the writer.
func Open(cfg Config) (*Log, error) { return open(cfg, hooks{}) }

func open(cfg Config, h hooks) (*Log, error) {
	if cfg.Path == "" {
		return nil, errors.New("audit log: no path configured; set the audit log file")
	}
	if cfg.MaxBytes < 0 || cfg.MaxBytes > 0 && cfg.MaxBytes < MinMaxBytes {
		return nil, fmt.Errorf("audit log %s: max size %d bytes is too small; give at least %d bytes, or 0 for the default %d", cfg.Path, cfg.MaxBytes, MinMaxBytes, DefaultMaxBytes)
	}
	if cfg.Keep < 0 || cfg.Keep > MaxKeep {
		return nil, fmt.Errorf("audit log %s: keep %d rotated files is out of range; give 1..%d, or 0 for the default %d", cfg.Path, cfg.Keep, MaxKeep, DefaultKeep)
	}
	if cfg.QueueLen < 0 || cfg.QueueLen > MaxQueueLen {
		return nil, fmt.Errorf("audit log %s: queue length %d is out of range; give 1..%d, or 0 for the default %d", cfg.Path, cfg.QueueLen, MaxQueueLen, DefaultQueueLen)
	}
	if !cfg.ClearIdentities && cfg.Hasher == nil {
		return nil, fmt.Errorf("audit log %s: no pseudonym key; configure the pseudonym key file, or enable clear identities explicitly: %w", cfg.Path, pseudonym.ErrNoKey)
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Keep == 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.QueueLen == 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.drainTimeout == 0 {
		h.drainTimeout = DrainTimeout
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", cfg.Path, err)
	}
	l := &Log{
		all:   cfg.All,
		q:     make(chan entry, cfg.QueueLen),
		done:  make(chan struct{}),
		exit:  make(chan struct{}),
		hooks: h,
	}
	l.w = writer{
		l:        l,
		path:     path,
		maxBytes: cfg.MaxBytes,
		keep:     cfg.Keep,
		clear:    cfg.ClearIdentities,
		log:      cfg.Log,
		now:      h.now,
		buf:      make([]byte, 0, flushBytes+4096),
	}
	if !cfg.ClearIdentities {
		l.w.hasher = cfg.Hasher.Clone()
	}
	// Open now so that a wrong path or permission fails the start-up with
	// the reason, instead of surfacing later as a count of lost records.
	if err := l.w.open(); err != nil {
		return nil, err
	}
	if fi, err := l.w.f.Stat(); err == nil && l.w.regular && fi.Mode().Perm()&0o077 != 0 {
		cfg.Log.Warn("audit log is readable or writable by other users; it names partners and rules (and subscribers with clear identities): chmod 600 it",
			"path", path, "mode", fi.Mode().Perm().String())
	}
	l.w.lastFlush = h.now()
	l.w.lastCheck = l.w.lastFlush
	go l.run()
	return l, nil
}

// Wants reports whether a message with verdict v would be recorded: it is
// blocked (anything but an allow, so an unexpected action is recorded
// rather than hidden), or the log records every message. Callers use it to
// skip work for messages the log does not want.
func (l *Log) Wants(v *engine.Verdict) bool {
	return l != nil && v != nil && (l.all || v.Action != rules.Allow)
}

// Record queues an audit line for message m judged v by relay (a static
// name). It never blocks and never allocates: when the queue is full the
// record is counted in Stats.Dropped. m and v are not retained (the rule,
// members and policy v points to are, until the line is written; they are
// never modified). Messages Wants does not want, and nil m or v, are
// ignored.
func (l *Log) Record(m *view.Message, v *engine.Verdict, relay string) {
	if m == nil || !l.Wants(v) {
		return
	}
	// A full queue (or a closed log) is the case that must cost least:
	// it is a flood, and building the entry would be for nothing.
	if l.closed.Load() || len(l.q) == cap(l.q) {
		l.dropped.Add(1)
		return
	}
	var e entry
	e.set(m, v, relay)
	select {
	case l.q <- e:
	default:
		l.dropped.Add(1)
	}
}

// set copies what the line needs from m and v.
func (e *entry) set(m *view.Message, v *engine.Verdict, relay string) {
	e.t = m.Time
	if e.t.IsZero() {
		// The caller should have stamped the message; the time it was
		// judged is the next best thing, and a line without a time is
		// useless in an investigation.
		e.t = time.Now()
	}
	e.relay, e.op, e.malformed = relay, m.Op, m.Malformed
	e.sender, e.receiver, e.rule, e.policy = v.Sender, v.Receiver, v.Rule, v.Policy
	e.src, e.dst = m.Src, m.Dst
	e.tx, e.code, e.app, e.result = m.Transaction, m.Code, m.App, m.ResultCode
	e.proto, e.action, e.request = m.Protocol, v.Action, m.Request
	e.imsi.set(&m.IMSI)
	e.msisdn.set(&m.MSISDN)
	e.calling.set(&m.CallingGT)
	e.called.set(&m.CalledGT)
}

// Stats returns the counters. They are read one by one, so while records
// flow the sums are approximate; after Close they are exact.
func (l *Log) Stats() Stats {
	if l == nil {
		return Stats{}
	}
	s := Stats{
		Written:     l.written.Load(),
		Dropped:     l.dropped.Load(),
		Lost:        l.lost.Load(),
		WriteErrors: l.writeErrors.Load(),
		Rotations:   l.rotations.Load(),
		QueueDepth:  len(l.q),
	}
	if l.stopped.Load() {
		// Nothing will take these any more: a Record that raced with
		// Close queued them after the writer's last look.
		s.Dropped += uint64(s.QueueDepth)
		s.QueueDepth = 0
	}
	return s
}

// Close writes what is queued (for at most DrainTimeout; the rest is
// counted as dropped), syncs and closes the file. Records offered after
// Close are counted as dropped. It returns an error if records could not be
// written or the file not closed cleanly; calling it again returns the same
// error.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.closeOnce.Do(func() {
		before := l.Stats()
		l.closed.Store(true)
		l.deadline = time.Now().Add(l.hooks.drainTimeout)
		close(l.done)
		// The writer enforces the deadline itself; the grace covers a
		// write stuck in the kernel (a hung network file system), which
		// Close must not wait on forever.
		t := time.NewTimer(l.hooks.drainTimeout + time.Second)
		defer t.Stop()
		select {
		case <-l.exit:
		case <-t.C:
			s := l.Stats()
			l.closeErr = fmt.Errorf("audit log %s: the writer did not finish within %v (a write is stuck?); %d records still queued are not written",
				l.w.path, l.hooks.drainTimeout+time.Second, s.QueueDepth)
			return
		}
		s := l.Stats()
		var errs []error
		if n := (s.Dropped - before.Dropped) + (s.Lost - before.Lost); n > 0 {
			errs = append(errs, fmt.Errorf("audit log %s: %d records could not be written while closing (see the write errors logged before)", l.w.path, n))
		}
		if l.w.closeErr != nil {
			errs = append(errs, l.w.closeErr)
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Path returns the absolute path of the log file.
func (l *Log) Path() string {
	if l == nil {
		return ""
	}
	return l.w.path
}
