// Package quarantine isolates interconnect partners.
//
// Attacks on a mobile core usually arrive through an interconnect partner
// whose own network, or whose hub, has been compromised. Rules block the
// individual probes, but an operator under attack wants to cut the partner
// off entirely, in seconds, and without a configuration reload. A Set is
// the list of partners so cut off.
//
// # What quarantine means
//
// A quarantined partner exchanges no signaling with the home network. The
// Set only decides; the callers enforce:
//
//   - the relays ask Quarantined for every message and drop everything to
//     or from a quarantined partner in user space;
//   - the XDP pre-filter, when attached, subscribes with OnChange and puts
//     the partner in its kernel set, so its packets are dropped before they
//     reach user space at all;
//   - the relays also subscribe and close the partner's existing
//     associations, so that nothing already established keeps flowing.
//
// The home network ("home") can never be quarantined: that would cut the
// operator off from its own core.
//
// # Persistence
//
// With Config.StateFile set, every change is written to a small JSON file
// (atomically: temporary file, fsync, rename) and New restores it, so a
// partner quarantined during an attack stays quarantined across restarts.
// Entries that expired while Breakwater was down are not restored. A state
// file that cannot be parsed stops New with an error rather than being
// ignored: starting with an empty set would silently re-admit a partner the
// operator isolated.
//
// # Automatic quarantine
//
// With Config.Threshold > 0, the relays report every verdict with Observe.
// When one partner has had Threshold messages blocked by category 1 or 2
// rules (messages that are never legitimate from the interconnect, or not
// from that partner) within the sliding Config.Window, the partner is
// quarantined for Config.Duration and an alert is logged at Warn level.
// Category 3 rules (location plausibility) never count: they misfire on
// legitimate roaming often enough that they must not isolate a partner.
//
// An entry's Until is honoured by Quarantined the moment it passes; Expire
// (run periodically by Run) removes expired entries from the state file and
// tells the subscribers.
package quarantine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/rules"
)

// Home is the name of the home network, which cannot be quarantined.
const Home = "home"

// MaxThreshold bounds Config.Threshold. The sliding window keeps the time
// of each of the last Threshold probes per partner (8 bytes each), so the
// bound keeps a partner's window under 512 KiB.
const MaxThreshold = 1 << 16

// DefaultExpireEvery is how often Run expires entries when not told.
const DefaultExpireEvery = time.Second

// maxTracked bounds how many partners Observe keeps a window for. Partner
// names come from the configuration, so this is never reached in a correct
// deployment; it stops a caller that passes arbitrary names (a bug) from
// growing memory without limit.
const maxTracked = 4096

// latestUntil bounds Entry.Until so that it fits the hot path's
// nanosecond representation (int64 nanoseconds reach 2262).
var latestUntil = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// forever is the snapshot's Until for a quarantine until lifted.
const forever = math.MaxInt64

var (
	// ErrHome is returned for an attempt to quarantine the home network.
	ErrHome = errors.New(`quarantine: "home" is the home network and cannot be quarantined (that would cut the operator off from its own core); name an interconnect partner`)
	// ErrNotQuarantined is wrapped by Lift for a partner with no entry.
	ErrNotQuarantined = errors.New("not quarantined")
	// ErrClosed is returned by changes made after Close.
	ErrClosed = errors.New("quarantine: the set is closed (Breakwater is shutting down); retry after the restart")
)

// Config configures a Set.
type Config struct {
	// StateFile is the JSON file the set survives restarts in; "" keeps
	// the set in memory only. Its directory must exist.
	StateFile string
	// Threshold blocked category 1/2 probes from one partner within Window
	// quarantine it automatically for Duration. 0 turns automatic
	// quarantine off.
	Threshold int
	Window    time.Duration
	Duration  time.Duration
	// Now is the clock; nil means time.Now. Tests inject one.
	Now func() time.Time
	// Log receives alerts and changes; nil discards them.
	Log *slog.Logger
}

// Entry is one quarantined partner.
type Entry struct {
	Partner string    `json:"partner"`
	Since   time.Time `json:"since"`
	// Until is when the quarantine ends by itself; zero: until lifted.
	Until time.Time `json:"until,omitzero"`
	// Reason is "manual: <who/why>" or "automatic: N category 1/2 probes
	// in W (last rule X)".
	Reason string `json:"reason"`
}

// activeAt reports whether the entry is in force at now. It agrees with
// the snapshot test in Quarantined: Until is stored without a monotonic
// reading, so both compare wall-clock nanoseconds.
func (e Entry) activeAt(now time.Time) bool {
	return e.Until.IsZero() || now.UnixNano() < e.Until.UnixNano()
}

// Stats counts changes since New.
type Stats struct {
	Automatic uint64 // automatic quarantines
	Manual    uint64 // successful Quarantine calls
	Lifted    uint64 // successful Lift calls
	Expired   uint64 // entries removed by Expire after their Until
}

// event is one change to deliver to the subscribers that existed when it
// happened (subs is a copy-on-write slice, so capturing it is free).
type event struct {
	added, removed []string
	subs           []func(added, removed []string)
}

// Set is the quarantine list. It is safe for concurrent use; Quarantined
// and Observe are meant to be called for every message.
type Set struct {
	path      string
	threshold int
	window    int64 // nanoseconds
	duration  time.Duration
	now       func() time.Time
	log       *slog.Logger
	// epoch anchors the window timestamps: time.Now values carry a
	// monotonic reading, so now.Sub(epoch) is immune to wall-clock steps
	// (NTP, operator) that could otherwise bunch or spread probes.
	epoch time.Time

	// snap maps each entry's partner to its Until in Unix nanoseconds
	// (forever: until lifted). It is immutable once published and replaced
	// on every change, so Quarantined reads it without a lock.
	snap atomic.Pointer[map[string]int64]

	mu      sync.Mutex // guards entries, subs, gen, closed
	entries map[string]Entry
	subs    []func(added, removed []string)
	gen     uint64 // bumped by every change to entries
	closed  bool

	fmu      sync.Mutex // serialises state-file writes
	savedGen uint64     // gen of the last state written; under fmu

	nmu         sync.Mutex // guards queue, dispatching
	queue       []event
	dispatching bool

	// windows maps a partner to its probe window; copy-on-write like snap
	// (a partner is added once, on its first blocked probe), so the
	// blocked path only takes the partner's own lock.
	windows    atomic.Pointer[map[string]*window]
	wmu        sync.Mutex // serialises additions to windows
	overflowed atomic.Bool

	isClosed atomic.Bool
	done     chan struct{}
	bg       sync.WaitGroup // automatic quarantines still persisting/notifying

	automatic, manual, lifted, expired atomic.Uint64

	// replicator, when set, is told of the changes made on this node
	// (replica.go).
	replicator atomic.Pointer[func(e Entry, lifted bool)]
}

// New returns a Set restored from cfg.StateFile when that file exists.
func New(cfg Config) (*Set, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	s := &Set{
		path:      cfg.StateFile,
		threshold: cfg.Threshold,
		window:    int64(cfg.Window),
		duration:  cfg.Duration,
		now:       cfg.Now,
		log:       cfg.Log,
		entries:   map[string]Entry{},
		done:      make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.epoch = s.now()
	s.windows.Store(&map[string]*window{})
	if s.path != "" {
		entries, dropped, err := load(s.path, s.epoch)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			s.entries[e.Partner] = e
		}
		removeStaleTemps(s.path, s.log)
		if len(entries) > 0 || dropped > 0 {
			s.log.Info("quarantine: state restored", "file", s.path,
				"quarantined", len(entries), "expired_while_down", dropped)
		}
	}
	s.publishLocked()
	return s, nil
}

func checkConfig(cfg *Config) error {
	if cfg.StateFile != "" {
		if err := checkStateDir(cfg.StateFile); err != nil {
			return err
		}
	}
	switch {
	case cfg.Threshold < 0:
		return fmt.Errorf("quarantine: Threshold %d is negative; give the number of blocked probes that quarantines a partner, or 0 to turn automatic quarantine off", cfg.Threshold)
	case cfg.Threshold == 0:
		return nil
	case cfg.Threshold > MaxThreshold:
		return fmt.Errorf("quarantine: Threshold %d is above the maximum %d; lower it (a partner sending that many blocked probes is better caught with a shorter Window)", cfg.Threshold, MaxThreshold)
	case cfg.Window <= 0:
		return fmt.Errorf("quarantine: Threshold %d needs a positive Window to count probes in (got %v); set Window, or Threshold 0 to turn automatic quarantine off", cfg.Threshold, cfg.Window)
	case cfg.Duration <= 0:
		// An automatic quarantine until lifted would let one false
		// positive isolate a partner indefinitely; the operator can still
		// make any quarantine indefinite by hand.
		return fmt.Errorf("quarantine: Threshold %d needs a positive Duration for automatic quarantines (got %v); set Duration, or Threshold 0 to turn automatic quarantine off", cfg.Threshold, cfg.Duration)
	}
	return nil
}

// CheckPartner reports whether name can be quarantined: the same rule as
// partner names in the configuration, and not the home network.
func CheckPartner(name string) error {
	if name == Home {
		return ErrHome
	}
	if len(name) == 0 || len(name) > 64 {
		return fmt.Errorf("quarantine: partner name %q must be 1 to 64 characters; give the name from the configuration's partners list", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("quarantine: partner name %q may only use letters, digits, '-', '_' and '.'; give the name from the configuration's partners list", name)
		}
	}
	return nil
}

// Quarantine cuts partner off until until (zero: until lifted). reason says
// who asked and why; it is recorded as "manual: <reason>". Quarantining a
// partner that already is replaces its entry (new Until and reason), which
// is how an operator extends, shortens or makes permanent an automatic
// quarantine.
//
// The quarantine is in force when Quarantine returns, even when it also
// returns an error about the state file: isolating the partner matters
// more than remembering it. Subscribers are told before Quarantine returns
// unless another change is being delivered concurrently, in which case that
// delivery includes this one.
func (s *Set) Quarantine(partner string, until time.Time, reason string) error {
	if err := CheckPartner(partner); err != nil {
		return err
	}
	now := s.now()
	until = until.Round(0) // no monotonic reading: Until is wall-clock time
	if !until.IsZero() && !until.After(now) {
		return fmt.Errorf("quarantine: end %s for partner %q is not in the future (now %s); give a later time, or none for a quarantine until lifted",
			until.Format(time.RFC3339), partner, now.Format(time.RFC3339))
	}
	if until.After(latestUntil) {
		return fmt.Errorf("quarantine: end %s for partner %q is too far away; give no end for a quarantine until lifted", until.Format(time.RFC3339), partner)
	}
	e := Entry{Partner: partner, Since: now.Round(0), Until: until, Reason: manualReason(reason)}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	old, had := s.entries[partner]
	s.entries[partner] = e
	s.changedLocked()
	s.enqueueAddedLocked(partner, old, had, now)
	s.mu.Unlock()

	s.manual.Add(1)
	s.log.Info("quarantine: partner quarantined", "partner", partner, "until", untilAttr(until), "reason", e.Reason)
	s.replicate(e, false)
	err := s.persist()
	s.dispatch()
	if err != nil {
		return fmt.Errorf("quarantine: partner %q is quarantined now, but will not be after a restart: %w", partner, err)
	}
	return nil
}

func manualReason(reason string) string {
	r := strings.TrimSpace(reason)
	switch {
	case r == "":
		return "manual"
	case strings.HasPrefix(r, "manual:"):
		return r
	}
	return "manual: " + r
}

func untilAttr(until time.Time) string {
	if until.IsZero() {
		return "lifted"
	}
	return until.Format(time.RFC3339)
}

// Lift ends partner's quarantine. Lifting a partner that has no entry is an
// error wrapping ErrNotQuarantined: the operator most likely mistyped the
// name and should not be told the partner is free when another one is
// still cut off. Callers that want idempotence test errors.Is. An entry
// that expired but was not yet removed by Expire is lifted without error.
func (s *Set) Lift(partner string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	e, ok := s.entries[partner]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("quarantine: cannot lift partner %q: %w; check the name against the quarantine list", partner, ErrNotQuarantined)
	}
	delete(s.entries, partner)
	s.changedLocked()
	s.enqueueLocked(nil, []string{partner}, s.subs)
	s.mu.Unlock()

	s.lifted.Add(1)
	s.log.Info("quarantine: lifted", "partner", partner, "was", e.Reason)
	s.replicate(e, true)
	err := s.persist()
	s.dispatch()
	if err != nil {
		return fmt.Errorf("quarantine: partner %q is no longer quarantined, but would be again after a restart: %w", partner, err)
	}
	return nil
}

// Quarantined reports whether partner's traffic must be dropped. It is
// called for every message: it takes no lock and does not allocate, and
// it reads the clock only for a partner that has an entry.
func (s *Set) Quarantined(partner string) bool {
	until, ok := (*s.snap.Load())[partner]
	if !ok {
		return false
	}
	return until == forever || s.now().UnixNano() < until
}

// quarantinedAt is Quarantined with the clock already read.
func (s *Set) quarantinedAt(partner string, now time.Time) bool {
	until, ok := (*s.snap.Load())[partner]
	return ok && (until == forever || now.UnixNano() < until)
}

// List returns the entries in force, sorted by partner.
func (s *Set) List() []Entry {
	now := s.now()
	s.mu.Lock()
	out := make([]Entry, 0, len(s.entries))
	for _, e := range s.entries {
		if e.activeAt(now) {
			out = append(out, e)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Partner, b.Partner) })
	return out
}

// Active returns how many partners are quarantined now.
func (s *Set) Active() int {
	m := *s.snap.Load()
	if len(m) == 0 {
		return 0
	}
	now := s.now().UnixNano()
	n := 0
	for _, until := range m {
		if until == forever || now < until {
			n++
		}
	}
	return n
}

// Stats returns the change counters.
func (s *Set) Stats() Stats {
	return Stats{
		Automatic: s.automatic.Load(),
		Manual:    s.manual.Load(),
		Lifted:    s.lifted.Load(),
		Expired:   s.expired.Load(),
	}
}

// OnChange subscribes fn to changes: added lists partners newly
// quarantined, removed those lifted or expired, each sorted. Calls are made
// outside the Set's locks, one at a time and in the order of the changes,
// so fn may call the Set (a change it makes is delivered after the current
// one). fn must not keep or modify the slices, and should return quickly:
// changes queue behind it. A panic in fn is logged, not propagated.
//
// If partners are already quarantined (restored from the state file), fn
// is first called with them as added, so a subscriber that registers after
// New starts from the complete set. Every partner alternates between added
// and removed: a subscriber can keep a plain set.
func (s *Set) OnChange(fn func(added, removed []string)) {
	if fn == nil {
		return
	}
	s.mu.Lock()
	// A new slice rather than append: queued events hold the old one.
	subs := make([]func(added, removed []string), len(s.subs), len(s.subs)+1)
	copy(subs, s.subs)
	s.subs = append(subs, fn)
	if len(s.entries) > 0 {
		s.enqueueLocked(slices.Sorted(maps.Keys(s.entries)), nil, s.subs[len(s.subs)-1:])
	}
	s.mu.Unlock()
	s.dispatch()
}

// Expire removes the entries whose Until has passed, persists the set and
// tells the subscribers; it returns the partners removed, sorted. Until is
// already honoured by Quarantined; Expire is what frees the partner in the
// XDP set and the state file, so it should run every second or so (Run).
func (s *Set) Expire() []string {
	now := s.now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	var removed []string
	for p, e := range s.entries {
		if !e.activeAt(now) {
			removed = append(removed, p)
		}
	}
	if len(removed) == 0 {
		s.mu.Unlock()
		return nil
	}
	slices.Sort(removed)
	reasons := make([]string, len(removed))
	for i, p := range removed {
		reasons[i] = s.entries[p].Reason
		delete(s.entries, p)
	}
	s.changedLocked()
	s.enqueueLocked(nil, removed, s.subs)
	s.mu.Unlock()

	s.expired.Add(uint64(len(removed)))
	for i, p := range removed {
		s.log.Info("quarantine: expired", "partner", p, "was", reasons[i])
	}
	if err := s.persist(); err != nil {
		s.log.Error("quarantine: expired partners are free now but would be quarantined again after a restart", "partners", removed, "err", err)
	}
	s.dispatch()
	return removed
}

// Run calls Expire every interval (DefaultExpireEvery when every ≤ 0)
// until ctx ends or the Set is closed.
func (s *Set) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultExpireEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.Expire()
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

// Close waits for automatic quarantines still being written and delivered
// and makes a last attempt to write the state file if an earlier write
// failed. Later changes return ErrClosed; Quarantined keeps answering.
func (s *Set) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.isClosed.Store(true)
	close(s.done)
	s.mu.Unlock()
	s.bg.Wait()
	s.dispatch()
	return s.persist()
}

// changedLocked publishes entries to the hot path and marks the state file
// out of date. Called with mu held (or before the Set is shared).
func (s *Set) changedLocked() {
	s.gen++
	s.publishLocked()
}

func (s *Set) publishLocked() {
	m := make(map[string]int64, len(s.entries))
	for p, e := range s.entries {
		if e.Until.IsZero() {
			m[p] = forever
		} else {
			m[p] = e.Until.UnixNano()
		}
	}
	s.snap.Store(&m)
}

// persist writes the current entries unless a write at least as recent
// already succeeded. Writers take the newest state under fmu, so the file
// never goes back to an older state even when writes race.
func (s *Set) persist() error {
	if s.path == "" {
		return nil
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.mu.Lock()
	gen := s.gen
	entries := slices.Collect(maps.Values(s.entries))
	s.mu.Unlock()
	if gen <= s.savedGen {
		return nil
	}
	slices.SortFunc(entries, func(a, b Entry) int { return cmp.Compare(a.Partner, b.Partner) })
	if err := save(s.path, entries); err != nil {
		return err
	}
	s.savedGen = gen
	return nil
}

// enqueueLocked queues a change for subs. Taking nmu inside mu fixes the
// queue order to the order of the changes.
func (s *Set) enqueueLocked(added, removed []string, subs []func(added, removed []string)) {
	if len(subs) == 0 {
		return
	}
	s.nmu.Lock()
	s.queue = append(s.queue, event{added: added, removed: removed, subs: subs})
	s.nmu.Unlock()
}

// dispatch delivers queued changes unless another goroutine already is;
// that one then delivers ours too. One deliverer at a time keeps the
// subscribers' calls ordered without holding a lock while calling them.
func (s *Set) dispatch() {
	s.nmu.Lock()
	if s.dispatching {
		s.nmu.Unlock()
		return
	}
	s.dispatching = true
	for len(s.queue) > 0 {
		ev := s.queue[0]
		s.queue[0] = event{}
		s.queue = s.queue[1:]
		s.nmu.Unlock()
		for _, fn := range ev.subs {
			s.call(fn, ev)
		}
		s.nmu.Lock()
	}
	s.queue = nil // release the drained backing array
	s.dispatching = false
	s.nmu.Unlock()
}

func (s *Set) call(fn func(added, removed []string), ev event) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("quarantine: change subscriber panicked; it missed this change and may be out of step with the quarantine list",
				"panic", fmt.Sprint(r), "added", ev.added, "removed", ev.removed)
		}
	}()
	fn(ev.added, ev.removed)
}

// Observe counts one verdict against partner (the message's sender) for
// automatic quarantine: only blocked verdicts of category 1 and 2 rules
// count, and never for the home network. It is called for every message:
// the common, not-blocked case returns after a few comparisons, and the
// blocked case does not allocate once the partner's window exists.
//
// partner must be the sender of the message (the verdict's Sender.Name
// when Sender is not Home), not the receiver of an outbound message, or
// the home network's own mistakes would quarantine its partners.
func (s *Set) Observe(partner string, cat rules.Category, blocked bool) {
	if !blocked || s.threshold == 0 || (cat != rules.Cat1 && cat != rules.Cat2) {
		return
	}
	s.observe(partner, "")
}

// ObserveRule is Observe for a verdict's rule; the rule's ID is named in
// the automatic quarantine's reason and alert.
func (s *Set) ObserveRule(partner string, r *rules.Rule, blocked bool) {
	if !blocked || s.threshold == 0 || r == nil || (r.Category != rules.Cat1 && r.Category != rules.Cat2) {
		return
	}
	s.observe(partner, r.ID)
}

func (s *Set) observe(partner, rule string) {
	if partner == "" || partner == Home || s.isClosed.Load() {
		return
	}
	now := s.now()
	// Probes from a partner already cut off (in flight, or counted by a
	// relay before it learnt) must neither extend nor replace its
	// quarantine, in particular not shorten an indefinite manual one.
	if s.quarantinedAt(partner, now) {
		return
	}
	w := s.windowOf(partner)
	if w == nil {
		return
	}
	count, last, trigger := w.add(int64(now.Sub(s.epoch)), s.window, rule)
	if trigger {
		s.autoQuarantine(partner, count, last, now)
	}
}

// windowOf returns partner's window, creating it on its first blocked
// probe.
func (s *Set) windowOf(partner string) *window {
	if w := (*s.windows.Load())[partner]; w != nil {
		return w
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	old := *s.windows.Load()
	if w := old[partner]; w != nil {
		return w
	}
	if len(old) >= maxTracked {
		if s.overflowed.CompareAndSwap(false, true) {
			s.log.Error("quarantine: too many distinct partner names observed; probes from new names are not counted for automatic quarantine. Observe must be given configured partner names",
				"limit", maxTracked, "name", partner)
		}
		return nil
	}
	w := newWindow(s.threshold)
	m := make(map[string]*window, len(old)+1)
	maps.Copy(m, old)
	// The caller's string may alias a reused buffer; the key must not.
	m[strings.Clone(partner)] = w
	s.windows.Store(&m)
	return w
}

// autoQuarantine quarantines partner for the configured Duration. The
// entry is in force before it returns; writing the state file and telling
// the subscribers happen on another goroutine, because the caller is a
// relay in the middle of a message and a subscriber may be that relay
// closing its own associations.
func (s *Set) autoQuarantine(partner string, count int, rule string, now time.Time) {
	if rule == "" {
		rule = "unknown"
	}
	win := time.Duration(s.window)
	since := now.Round(0)
	e := Entry{
		Partner: partner,
		Since:   since,
		Until:   since.Add(s.duration),
		Reason:  fmt.Sprintf("automatic: %d category 1/2 probes in %v (last rule %s)", count, win, rule),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if old, had := s.entries[partner]; had && old.activeAt(now) {
		// Quarantined concurrently (by hand or by another relay).
		s.mu.Unlock()
		return
	}
	old, had := s.entries[partner]
	s.entries[partner] = e
	s.changedLocked()
	s.enqueueAddedLocked(partner, old, had, now)
	// Under mu, so that Close (which sets closed under mu) cannot be
	// waiting on bg already.
	s.bg.Add(1)
	s.mu.Unlock()

	s.automatic.Add(1)
	s.log.Warn("quarantine: partner quarantined automatically",
		"partner", partner, "count", count, "window", win, "last_rule", rule,
		"until", e.Until.Format(time.RFC3339))
	s.replicate(e, false)
	go func() {
		defer s.bg.Done()
		if err := s.persist(); err != nil {
			s.log.Error("quarantine: automatic quarantine is in force but will not survive a restart", "partner", partner, "err", err)
		}
		s.dispatch()
	}()
}

// checkStateDir fails early, at startup, when the state file could never
// be written, instead of at the first quarantine during an attack.
func checkStateDir(path string) error {
	dir := filepath.Dir(path)
	if err := dirExists(dir); err != nil {
		return fmt.Errorf("quarantine: state file %s: %w; create the directory or choose another state file path", path, err)
	}
	return nil
}

// enqueueAddedLocked tells subscribers that partner is quarantined (again).
// Subscribers keep a set: a partner whose entry is still in force needs
// no second "added"; one whose entry had expired but was not yet removed
// may have reconnected in between (Quarantined was already false), so it
// is reported removed and added again — the relays then close what it
// opened.
func (s *Set) enqueueAddedLocked(partner string, old Entry, had bool, now time.Time) {
	switch {
	case !had:
		s.enqueueLocked([]string{partner}, nil, s.subs)
	case !old.activeAt(now):
		s.enqueueLocked(nil, []string{partner}, s.subs)
		s.enqueueLocked([]string{partner}, nil, s.subs)
	}
}
