package quarantine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"breakwater/firewall/rules"
)

// clock is an injectable clock; reading it does not allocate.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// change is one OnChange call.
type change struct{ Added, Removed []string }

// recorder subscribes to a Set and keeps the calls.
type recorder struct {
	mu    sync.Mutex
	calls []change
}

func (r *recorder) fn(added, removed []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, change{clone(added), clone(removed)})
}

func (r *recorder) take() []change {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

func clone(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

func newSet(t *testing.T, cfg Config) *Set {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func autoConfig(c *clock) Config {
	return Config{Threshold: 5, Window: time.Minute, Duration: time.Hour, Now: c.Now}
}

func TestManualQuarantineLiftExpiry(t *testing.T) {
	c := newClock()
	s := newSet(t, Config{Now: c.Now})

	if err := s.Quarantine("uk-partner", time.Time{}, "noc: SRI-for-SM flood"); err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine("de-partner", c.Now().Add(10*time.Minute), "noc"); err != nil {
		t.Fatal(err)
	}
	if !s.Quarantined("uk-partner") || !s.Quarantined("de-partner") {
		t.Fatal("quarantined partners not reported")
	}
	if s.Quarantined("fr-partner") {
		t.Fatal("fr-partner reported quarantined")
	}
	if s.Active() != 2 {
		t.Fatalf("Active = %d, want 2", s.Active())
	}
	l := s.List()
	if len(l) != 2 || l[0].Partner != "de-partner" || l[1].Partner != "uk-partner" {
		t.Fatalf("List not sorted by partner: %+v", l)
	}
	if l[1].Reason != "manual: noc: SRI-for-SM flood" || !l[1].Until.IsZero() || !l[1].Since.Equal(c.Now()) {
		t.Fatalf("uk-partner entry %+v", l[1])
	}

	// One nanosecond before Until: still in force; at Until: not, even
	// though Expire has not run yet.
	c.Advance(10*time.Minute - 1)
	if !s.Quarantined("de-partner") {
		t.Fatal("de-partner released before its Until")
	}
	c.Advance(1)
	if s.Quarantined("de-partner") {
		t.Fatal("de-partner still quarantined at its Until")
	}
	if s.Active() != 1 || len(s.List()) != 1 {
		t.Fatalf("after Until: Active %d, List %+v", s.Active(), s.List())
	}
	if got := s.Expire(); !reflect.DeepEqual(got, []string{"de-partner"}) {
		t.Fatalf("Expire = %v, want [de-partner]", got)
	}
	if got := s.Expire(); got != nil {
		t.Fatalf("second Expire = %v, want nothing", got)
	}

	if err := s.Lift("uk-partner"); err != nil {
		t.Fatal(err)
	}
	if s.Quarantined("uk-partner") || s.Active() != 0 {
		t.Fatal("uk-partner still quarantined after Lift")
	}
	err := s.Lift("uk-partner")
	if !errors.Is(err, ErrNotQuarantined) || !strings.Contains(err.Error(), `"uk-partner"`) {
		t.Fatalf("lifting a free partner: %v, want ErrNotQuarantined naming it", err)
	}
	want := Stats{Manual: 2, Lifted: 1, Expired: 1}
	if st := s.Stats(); st != want {
		t.Fatalf("Stats = %+v, want %+v", st, want)
	}
}

// Quarantining again replaces the entry: an operator turns a timed
// quarantine into an indefinite one.
func TestQuarantineReplaces(t *testing.T) {
	c := newClock()
	s := newSet(t, Config{Now: c.Now})
	var r recorder
	s.OnChange(r.fn)
	if err := s.Quarantine("uk-partner", c.Now().Add(time.Minute), "first"); err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine("uk-partner", time.Time{}, "manual: second"); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	if !s.Quarantined("uk-partner") || s.Expire() != nil {
		t.Fatal("replaced entry kept the first Until")
	}
	if l := s.List(); len(l) != 1 || l[0].Reason != "manual: second" {
		t.Fatalf("List = %+v", l)
	}
	// One "added": the partner was in the subscribers' set already.
	if got := r.take(); !reflect.DeepEqual(got, []change{{Added: []string{"uk-partner"}}}) {
		t.Fatalf("changes %+v", got)
	}
}

func TestRefused(t *testing.T) {
	c := newClock()
	s := newSet(t, Config{Now: c.Now})
	if err := s.Quarantine("home", time.Time{}, "x"); !errors.Is(err, ErrHome) {
		t.Fatalf("quarantining home: %v, want ErrHome", err)
	}
	if s.Quarantined("home") {
		t.Fatal("home quarantined")
	}
	for _, name := range []string{"", "uk partner", "uk/partner", strings.Repeat("x", 65)} {
		if err := s.Quarantine(name, time.Time{}, "x"); err == nil || !strings.Contains(err.Error(), "partner name") {
			t.Errorf("name %q: %v, want a partner name error", name, err)
		}
	}
	if err := s.Quarantine("uk-partner", c.Now(), "x"); err == nil || !strings.Contains(err.Error(), "not in the future") {
		t.Errorf("Until now: %v, want refused", err)
	}
	if err := s.Quarantine("uk-partner", c.Now().AddDate(500, 0, 0), "x"); err == nil {
		t.Error("Until in 500 years accepted")
	}
	if s.Active() != 0 || s.Stats().Manual != 0 {
		t.Fatalf("refused requests changed the set: %+v", s.List())
	}
}

func TestConfigRefused(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Threshold: -1}, "negative"},
		{Config{Threshold: 5, Duration: time.Hour}, "Window"},
		{Config{Threshold: 5, Window: time.Minute}, "Duration"},
		{Config{Threshold: MaxThreshold + 1, Window: time.Minute, Duration: time.Hour}, "maximum"},
		{Config{StateFile: filepath.Join(dir, "missing", "q.json")}, "create the directory"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error mentioning %q", tc.cfg, err, tc.want)
		}
	}
}

func TestPersistenceAcrossNew(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "quarantine.json")
	s, err := New(Config{StateFile: path, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t0 := c.Now()
	must(t, s.Quarantine("uk-partner", time.Time{}, "noc"))
	must(t, s.Quarantine("de-partner", t0.Add(time.Hour), "noc"))
	must(t, s.Quarantine("fr-partner", t0.Add(10*time.Minute), "noc"))
	must(t, s.Quarantine("it-partner", time.Time{}, "noc"))
	must(t, s.Lift("it-partner"))
	must(t, s.Close())

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	var raw map[string]any
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &raw); err != nil || raw["version"] != float64(1) {
		t.Fatalf("state file %s: %v, version %v", data, err, raw["version"])
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}

	// Restart 30 minutes later: fr-partner expired while down.
	c.Advance(30 * time.Minute)
	s2 := newSet(t, Config{StateFile: path, Now: c.Now})
	l := s2.List()
	want := []Entry{
		{Partner: "de-partner", Since: t0, Until: t0.Add(time.Hour), Reason: "manual: noc"},
		{Partner: "uk-partner", Since: t0, Reason: "manual: noc"},
	}
	if len(l) != len(want) {
		t.Fatalf("restored %+v, want %+v", l, want)
	}
	for i := range want {
		if l[i].Partner != want[i].Partner || !l[i].Since.Equal(want[i].Since) || !l[i].Until.Equal(want[i].Until) || l[i].Reason != want[i].Reason {
			t.Fatalf("restored entry %d %+v, want %+v", i, l[i], want[i])
		}
	}
	// Not restored at all, rather than restored and filtered: there is
	// nothing for Expire to remove and tell the subscribers.
	if got := s2.Expire(); got != nil {
		t.Fatalf("expired entries were restored: Expire removed %v", got)
	}
	if !s2.Quarantined("uk-partner") || !s2.Quarantined("de-partner") || s2.Quarantined("fr-partner") || s2.Quarantined("it-partner") {
		t.Fatal("restored set answers wrongly")
	}
	// The restored Until still ends the quarantine.
	c.Advance(30 * time.Minute)
	if s2.Quarantined("de-partner") {
		t.Fatal("restored de-partner outlived its Until")
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"truncated", `{"version":1,"entries":[{"partner":"uk`, "corrupt"},
		{"empty", ``, "corrupt"},
		{"trailing", `{"version":1,"entries":[]} {}`, "corrupt"},
		{"unknown field", `{"version":1,"entries":[],"extra":1}`, "corrupt"},
		{"home", `{"version":1,"entries":[{"partner":"home","since":"2025-03-01T12:00:00Z","reason":"x"}]}`, "corrupt"},
		{"duplicate", `{"version":1,"entries":[{"partner":"a","since":"2025-03-01T12:00:00Z","reason":"x"},{"partner":"a","since":"2025-03-01T12:00:00Z","reason":"x"}]}`, "twice"},
		{"version", `{"version":2,"entries":[]}`, "version 2"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := New(Config{StateFile: path})
		if err == nil {
			t.Errorf("%s: New accepted the file", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) || !strings.Contains(msg, "move it away") && !strings.Contains(msg, "move the file away") {
			t.Errorf("%s: error %q should name the file, say %q and what to do", tc.name, msg, tc.want)
		}
	}
}

// A failed write leaves the quarantine in force and says so; a later
// successful write (here Close) catches up.
func TestPersistFailureKeepsQuarantine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	must(t, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "q.json")
	s, err := New(Config{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.RemoveAll(dir))
	err = s.Quarantine("uk-partner", time.Time{}, "noc")
	if err == nil || !strings.Contains(err.Error(), "quarantined now") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Quarantine with the directory gone: %v", err)
	}
	if !s.Quarantined("uk-partner") {
		t.Fatal("a failed write undid the quarantine")
	}
	must(t, os.Mkdir(dir, 0o700))
	must(t, s.Close())
	s2, err := New(Config{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Quarantined("uk-partner") {
		t.Fatal("Close did not write the state a failed write missed")
	}
}

func TestStaleTempRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.json")
	stale := filepath.Join(dir, ".q.json.tmp-123")
	other := filepath.Join(dir, ".other.tmp-1")
	must(t, os.WriteFile(stale, []byte("{"), 0o600))
	must(t, os.WriteFile(other, []byte("{"), 0o600))
	newSet(t, Config{StateFile: path})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file not removed: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("another file removed: %v", err)
	}
}

func TestAutomaticAtThreshold(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	cfg := autoConfig(c)
	cfg.Log = slog.New(slog.NewTextHandler(&logs, nil))
	s := newSet(t, cfg)
	var r recorder
	s.OnChange(r.fn)
	rule := &rules.Rule{ID: "map-sri-sm-foreign", Category: rules.Cat2}

	// Five probes within 59 seconds: the fifth quarantines.
	for i := range 4 {
		s.ObserveRule("uk-partner", rule, true)
		if s.Quarantined("uk-partner") {
			t.Fatalf("quarantined after %d probes, threshold 5", i+1)
		}
		c.Advance(14 * time.Second)
	}
	c.Advance(3 * time.Second) // 59s after the first
	s.ObserveRule("uk-partner", rule, true)
	if !s.Quarantined("uk-partner") {
		t.Fatal("not quarantined at the 5th probe within the window")
	}
	s.bg.Wait() // the notification is delivered off the caller's goroutine

	l := s.List()
	if len(l) != 1 {
		t.Fatalf("List = %+v", l)
	}
	e := l[0]
	wantReason := "automatic: 5 category 1/2 probes in 1m0s (last rule map-sri-sm-foreign)"
	if e.Reason != wantReason || !e.Since.Equal(c.Now()) || !e.Until.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("entry %+v, want reason %q and an hour from now", e, wantReason)
	}
	if got := r.take(); !reflect.DeepEqual(got, []change{{Added: []string{"uk-partner"}}}) {
		t.Fatalf("changes %+v", got)
	}
	if st := s.Stats(); st.Automatic != 1 || st.Manual != 0 {
		t.Fatalf("Stats %+v", st)
	}
	out := logs.String()
	for _, want := range []string{"level=WARN", "partner=uk-partner", "count=5", "window=1m0s", "last_rule=map-sri-sm-foreign"} {
		if !strings.Contains(out, want) {
			t.Errorf("alert log lacks %q:\n%s", want, out)
		}
	}

	// Probes while quarantined change nothing.
	for range 20 {
		s.Observe("uk-partner", rules.Cat1, true)
	}
	if l2 := s.List(); len(l2) != 1 || !l2[0].Until.Equal(e.Until) || s.Stats().Automatic != 1 {
		t.Fatalf("probes during the quarantine changed it: %+v", l2)
	}

	// It lasts Duration.
	c.Advance(time.Hour)
	if s.Quarantined("uk-partner") {
		t.Fatal("still quarantined after Duration")
	}
	if got := s.Expire(); !reflect.DeepEqual(got, []string{"uk-partner"}) {
		t.Fatalf("Expire = %v", got)
	}
	if got := r.take(); !reflect.DeepEqual(got, []change{{Removed: []string{"uk-partner"}}}) {
		t.Fatalf("changes %+v", got)
	}
}

// The window is (now−Window, now]: five probes spanning exactly Window do
// not quarantine; spanning Window−1ns they do.
func TestWindowBoundary(t *testing.T) {
	for _, tc := range []struct {
		span time.Duration
		want bool
	}{{time.Minute, false}, {time.Minute - 1, true}} {
		c := newClock()
		s := newSet(t, autoConfig(c))
		for i := range 5 {
			if i == 4 {
				c.Advance(tc.span - 3*(tc.span/4))
			} else if i > 0 {
				c.Advance(tc.span / 4)
			}
			s.Observe("uk-partner", rules.Cat1, true)
		}
		if got := s.Quarantined("uk-partner"); got != tc.want {
			t.Errorf("5 probes over %v: quarantined %v, want %v", tc.span, got, tc.want)
		}
	}
}

// Probes spread beyond the window never add up, however many there are.
func TestSpreadBeyondWindow(t *testing.T) {
	c := newClock()
	s := newSet(t, autoConfig(c))
	for i := range 1000 {
		s.Observe("uk-partner", rules.Cat1, true)
		if s.Quarantined("uk-partner") {
			t.Fatalf("quarantined at probe %d, one every 15s with 5 per minute needed", i+1)
		}
		c.Advance(15 * time.Second)
	}
	// Now a burst: the last probe above plus four more within the minute.
	c.Advance(-15*time.Second + time.Second)
	for range 4 {
		s.Observe("uk-partner", rules.Cat1, true)
	}
	if !s.Quarantined("uk-partner") {
		t.Fatal("a burst after the slow probes did not quarantine: the window does not slide")
	}
}

func TestNotCounted(t *testing.T) {
	c := newClock()
	s := newSet(t, autoConfig(c))
	cat3 := &rules.Rule{ID: "velocity", Category: rules.Cat3}
	allowedCat1 := &rules.Rule{ID: "x", Category: rules.Cat1}
	for range 100 {
		s.Observe("uk-partner", rules.Cat3, true)
		s.ObserveRule("uk-partner", cat3, true)
		s.Observe("uk-partner", rules.Cat1, false)
		s.ObserveRule("uk-partner", allowedCat1, false)
		s.Observe("uk-partner", rules.Malformed, true)
		s.Observe("uk-partner", rules.Source, true)
		s.Observe("uk-partner", rules.Other, true)
		s.Observe("uk-partner", rules.None, true)
		s.ObserveRule("uk-partner", nil, true)
		s.Observe("home", rules.Cat1, true)
		s.Observe("", rules.Cat1, true)
	}
	if s.Active() != 0 || s.Quarantined("home") || s.Quarantined("uk-partner") {
		t.Fatalf("uncounted verdicts quarantined: %+v", s.List())
	}
	// And the uncounted verdicts left no partial count behind: four real
	// probes still do not reach the threshold.
	for range 4 {
		s.Observe("uk-partner", rules.Cat2, true)
	}
	if s.Quarantined("uk-partner") {
		t.Fatal("uncounted verdicts were counted")
	}
	if n := len(*s.windows.Load()); n != 1 {
		t.Fatalf("%d windows, want 1 (uk-partner only)", n)
	}
}

func TestAutomaticOff(t *testing.T) {
	c := newClock()
	s := newSet(t, Config{Now: c.Now})
	for range 1000 {
		s.Observe("uk-partner", rules.Cat1, true)
	}
	if s.Active() != 0 {
		t.Fatal("Threshold 0 quarantined")
	}
}

// Partners are counted separately, and an automatic quarantine resets the
// partner's window: after it ends, the partner starts from zero.
func TestWindowPerPartnerAndReset(t *testing.T) {
	c := newClock()
	s := newSet(t, autoConfig(c))
	for range 4 {
		s.Observe("uk-partner", rules.Cat1, true)
		s.Observe("de-partner", rules.Cat1, true)
	}
	if s.Active() != 0 {
		t.Fatal("partners' probes added up")
	}
	s.Observe("uk-partner", rules.Cat1, true)
	if !s.Quarantined("uk-partner") || s.Quarantined("de-partner") {
		t.Fatalf("List %+v, want uk-partner only", s.List())
	}
	s.bg.Wait()
	must(t, s.Lift("uk-partner"))
	for range 4 {
		s.Observe("uk-partner", rules.Cat1, true)
	}
	if s.Quarantined("uk-partner") {
		t.Fatal("window not reset by the automatic quarantine")
	}
	s.Observe("uk-partner", rules.Cat1, true)
	if !s.Quarantined("uk-partner") {
		t.Fatal("fifth probe after the reset did not quarantine")
	}
}

// An automatic quarantine neither shortens nor replaces a manual one.
func TestAutomaticRespectsManual(t *testing.T) {
	c := newClock()
	s := newSet(t, autoConfig(c))
	must(t, s.Quarantine("uk-partner", time.Time{}, "noc"))
	for range 50 {
		s.Observe("uk-partner", rules.Cat1, true)
	}
	s.bg.Wait()
	if l := s.List(); len(l) != 1 || !l[0].Until.IsZero() || l[0].Reason != "manual: noc" || s.Stats().Automatic != 0 {
		t.Fatalf("List %+v, Stats %+v", l, s.Stats())
	}
}

func TestAutomaticPersists(t *testing.T) {
	c := newClock()
	cfg := autoConfig(c)
	cfg.StateFile = filepath.Join(t.TempDir(), "q.json")
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		s.Observe("uk-partner", rules.Cat1, true)
	}
	must(t, s.Close()) // waits for the write
	s2 := newSet(t, cfg)
	if l := s2.List(); len(l) != 1 || l[0].Partner != "uk-partner" || !strings.HasPrefix(l[0].Reason, "automatic: ") {
		t.Fatalf("restored %+v", l)
	}
}

func TestOnChange(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "q.json")
	s0 := newSet(t, Config{StateFile: path, Now: c.Now})
	must(t, s0.Quarantine("uk-partner", time.Time{}, "noc"))
	must(t, s0.Quarantine("de-partner", time.Time{}, "noc"))

	s := newSet(t, Config{StateFile: path, Now: c.Now})
	var r1, r2 recorder
	s.OnChange(r1.fn)
	// A late subscriber starts from the restored set.
	if got := r1.take(); !reflect.DeepEqual(got, []change{{Added: []string{"de-partner", "uk-partner"}}}) {
		t.Fatalf("first call %+v, want the restored partners", got)
	}
	must(t, s.Quarantine("fr-partner", c.Now().Add(time.Minute), "noc"))
	must(t, s.Quarantine("it-partner", c.Now().Add(time.Minute), "noc"))
	s.OnChange(r2.fn)
	must(t, s.Lift("uk-partner"))
	c.Advance(time.Minute)
	if got := s.Expire(); !reflect.DeepEqual(got, []string{"fr-partner", "it-partner"}) {
		t.Fatalf("Expire = %v", got)
	}
	want1 := []change{
		{Added: []string{"fr-partner"}},
		{Added: []string{"it-partner"}},
		{Removed: []string{"uk-partner"}},
		{Removed: []string{"fr-partner", "it-partner"}},
	}
	if got := r1.take(); !reflect.DeepEqual(got, want1) {
		t.Fatalf("subscriber 1 got %+v, want %+v", got, want1)
	}
	want2 := []change{
		{Added: []string{"de-partner", "fr-partner", "it-partner", "uk-partner"}},
		{Removed: []string{"uk-partner"}},
		{Removed: []string{"fr-partner", "it-partner"}},
	}
	if got := r2.take(); !reflect.DeepEqual(got, want2) {
		t.Fatalf("subscriber 2 got %+v, want %+v", got, want2)
	}
}

// A subscriber may change the set from its callback (the change is
// delivered after the current one), and a panicking subscriber neither
// stops the others nor later deliveries.
func TestOnChangeReentryAndPanic(t *testing.T) {
	c := newClock()
	s := newSet(t, Config{Now: c.Now})
	s.OnChange(func(added, removed []string) { panic("subscriber bug") })
	var r recorder
	s.OnChange(func(added, removed []string) {
		r.fn(added, removed)
		if len(added) == 1 && added[0] == "uk-partner" {
			if err := s.Quarantine("de-partner", time.Time{}, "follow-up"); err != nil {
				t.Error(err)
			}
		}
	})
	must(t, s.Quarantine("uk-partner", time.Time{}, "noc"))
	must(t, s.Lift("uk-partner"))
	want := []change{
		{Added: []string{"uk-partner"}},
		{Added: []string{"de-partner"}},
		{Removed: []string{"uk-partner"}},
	}
	if got := r.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestRun(t *testing.T) {
	c := newClock()
	s := newSet(t, Config{Now: c.Now})
	removed := make(chan []string, 1)
	s.OnChange(func(_, r []string) {
		if len(r) > 0 {
			removed <- clone(r)
		}
	})
	must(t, s.Quarantine("uk-partner", c.Now().Add(time.Minute), "noc"))
	c.Advance(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, time.Millisecond); close(done) }()
	select {
	case r := <-removed:
		if !reflect.DeepEqual(r, []string{"uk-partner"}) {
			t.Fatalf("Run expired %v", r)
		}
	case <-time.After(10 * time.Second): // liveness guard, not a timing assertion
		t.Fatal("Run did not expire the entry")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
}

func TestClosed(t *testing.T) {
	c := newClock()
	s, err := New(autoConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.Quarantine("uk-partner", time.Time{}, "noc"))
	must(t, s.Close())
	must(t, s.Close())
	if err := s.Quarantine("de-partner", time.Time{}, "noc"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Quarantine after Close: %v", err)
	}
	if err := s.Lift("uk-partner"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Lift after Close: %v", err)
	}
	for range 10 {
		s.Observe("de-partner", rules.Cat1, true)
	}
	if !s.Quarantined("uk-partner") || s.Quarantined("de-partner") {
		t.Fatal("closed set answers wrongly")
	}
	done := make(chan struct{})
	go func() { s.Run(context.Background(), time.Hour); close(done) }()
	<-done // Run returns at once on a closed set; a hang fails the test by timeout
}

// Readers and observers on 8 goroutines while the set changes; run with
// -race. Every observer also checks a partner that is never quarantined.
func TestConcurrent(t *testing.T) {
	c := newClock()
	cfg := autoConfig(c)
	cfg.StateFile = filepath.Join(t.TempDir(), "q.json")
	s := newSet(t, cfg)
	var adds, removes atomic.Int64
	s.OnChange(func(a, r []string) { adds.Add(int64(len(a))); removes.Add(int64(len(r))) })
	partners := []string{"uk-partner", "de-partner", "fr-partner"}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				p := partners[(g+i)%len(partners)]
				s.Quarantined(p)
				s.Observe(p, rules.Cat1, i%3 == 0)
				s.Observe(p, rules.Cat3, true)
				if s.Quarantined("never") {
					wrong.Add(1)
				}
				if i%1024 == 0 {
					c.Advance(time.Second)
				}
			}
		})
	}
	for i := range 60 {
		p := partners[i%len(partners)]
		// Far enough that the observers' clock advances cannot reach it
		// between this line and the next; automatic quarantines (an hour)
		// exercise expiry.
		if err := s.Quarantine(p, c.Now().AddDate(10, 0, 0), "race"); err != nil {
			t.Error(err)
		}
		if !s.Quarantined(p) {
			t.Errorf("%s not quarantined right after Quarantine", p)
		}
		s.List()
		s.Active()
		if i%2 == 0 {
			if err := s.Lift(p); err != nil && !errors.Is(err, ErrNotQuarantined) {
				t.Error(err)
			}
		}
		s.Expire()
	}
	stop.Store(true)
	wg.Wait()
	s.bg.Wait()
	if wrong.Load() != 0 {
		t.Fatal("a partner never quarantined was reported quarantined")
	}
	// Subscribers saw a consistent stream: what is still in their set is
	// what has an entry.
	s.mu.Lock()
	n := int64(len(s.entries))
	s.mu.Unlock()
	if adds.Load()-removes.Load() != n {
		t.Fatalf("subscribers: %d added, %d removed, but %d entries", adds.Load(), removes.Load(), n)
	}
}

func TestNoAllocations(t *testing.T) {
	c := newClock()
	// Window 1s with the clock moving 1s per probe: the ring keeps
	// wrapping and the threshold is never reached.
	s := newSet(t, Config{Threshold: 8, Window: time.Second, Duration: time.Hour, Now: c.Now})
	must(t, s.Quarantine("uk-partner", time.Time{}, "noc"))
	must(t, s.Quarantine("de-partner", c.Now().Add(time.Hour), "noc"))
	rule := &rules.Rule{ID: "r", Category: rules.Cat1}
	for range 20 { // warm-up: the partner's window is created here
		s.ObserveRule("fr-partner", rule, true)
		c.Advance(time.Second)
	}
	for name, f := range map[string]func(){
		"Quarantined hit forever": func() { s.Quarantined("uk-partner") },
		"Quarantined hit timed":   func() { s.Quarantined("de-partner") },
		"Quarantined miss":        func() { s.Quarantined("fr-partner") },
		"Observe not blocked":     func() { s.Observe("fr-partner", rules.Cat1, false) },
		"Observe cat3":            func() { s.Observe("fr-partner", rules.Cat3, true) },
		"Observe blocked below threshold": func() {
			s.Observe("fr-partner", rules.Cat1, true)
			c.Advance(time.Second)
		},
		"ObserveRule blocked below threshold": func() {
			s.ObserveRule("fr-partner", rule, true)
			c.Advance(time.Second)
		},
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
	if s.Quarantined("fr-partner") {
		t.Fatal("the allocation test reached the threshold; it measured the wrong path")
	}
}

func BenchmarkQuarantined(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{"uk-partner", "de-partner", "fr-partner", "it-partner"} {
		if err := s.Quarantine(p, time.Now().Add(time.Hour), "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Quarantined("es-partner")
		}
	})
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Quarantined("de-partner")
		}
	})
	b.Run("hit-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Quarantined("de-partner")
			}
		})
	})
}

func BenchmarkObserve(b *testing.B) {
	// A 1ns window: consecutive probes are never within it, so the
	// blocked path is measured below the threshold, as in steady state.
	s, err := New(Config{Threshold: 1000, Window: time.Nanosecond, Duration: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	defer func() {
		if s.Quarantined("uk-partner") {
			b.Error("the threshold was reached: the benchmark measured the wrong path")
		}
	}()
	b.Run("not-blocked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Observe("uk-partner", rules.Cat1, false)
		}
	})
	b.Run("blocked", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.Observe("uk-partner", rules.Cat1, true)
		}
	})
	b.Run("blocked-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Observe("uk-partner", rules.Cat2, true)
			}
		})
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Probes that arrive while the partner is quarantined (in flight, or from
// a relay that has not learnt yet) do not count towards the next one.
func TestProbesDuringQuarantineNotCounted(t *testing.T) {
	c := newClock()
	s := newSet(t, Config{Threshold: 5, Window: time.Minute, Duration: 10 * time.Second, Now: c.Now})
	for range 5 {
		s.Observe("uk-partner", rules.Cat1, true)
	}
	if !s.Quarantined("uk-partner") {
		t.Fatal("not quarantined")
	}
	for range 4 {
		s.Observe("uk-partner", rules.Cat1, true)
	}
	c.Advance(10 * time.Second)
	s.Observe("uk-partner", rules.Cat1, true)
	if s.Quarantined("uk-partner") {
		t.Fatal("probes made during the quarantine counted towards a second one")
	}
}

// Observers read the clock before taking the window's lock, so a probe
// can be recorded after a later one. A late, stale timestamp must not make
// probes spread over 30ns look like they fell within a 10ns window.
func TestWindowOutOfOrder(t *testing.T) {
	w := newWindow(3)
	for _, ts := range []int64{0, 30, 5} {
		if _, _, trigger := w.add(ts, 10, ""); trigger {
			t.Fatalf("probe at %d triggered: probes at 0, 30 and 5 span 30, window 10", ts)
		}
	}
}
