package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/network"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

// Test identities: distinctive digit strings that appear in no other
// field, so that finding them in a file means an identity leaked.
const (
	testIMSI   = "262017777123456"
	testMSISDN = "491709876543"
	testKey    = "0123456789abcdef0123456789abcdef"
)

var (
	ruleDefault = &rules.Rule{ID: "default", Category: rules.None, Action: rules.Allow}
	ruleDrop    = &rules.Rule{ID: "dia.cat1.idr-location", Category: rules.Cat1, Action: rules.Drop}
	ruleReject  = &rules.Rule{ID: "map.cat2.ati", Category: rules.Cat2, Action: rules.Reject}
	partnerA    = &network.Member{Name: "partner-a", Index: 0}
	homeNet     = &network.Member{Name: "home", Home: true, Index: -1}
	testPolicy  = &engine.Policy{Rules: &rules.Set{Version: "base.1+rules.abc"}}
	msgTime     = time.Date(2025, 3, 4, 5, 6, 7, 89, time.FixedZone("CET", 3600))
)

func setDigits(t testing.TB, d *view.Digits, s string) {
	t.Helper()
	if !d.SetASCII([]byte(s)) {
		t.Fatalf("bad test digits %q", s)
	}
}

// diameterMsg is an inbound Diameter IDR carrying both identities; seq
// becomes its transaction id (and nanoseconds of its time), so tests can
// tell lines apart and order them.
func diameterMsg(t testing.TB, seq uint64) *view.Message {
	m := &view.Message{
		Protocol:    view.Diameter,
		Request:     true,
		App:         16777251,
		Code:        319,
		Op:          "IDR",
		Transaction: seq,
		Time:        msgTime.Add(time.Duration(seq)),
		Src:         netip.MustParseAddrPort("192.0.2.10:3868"),
		Dst:         netip.MustParseAddrPort("198.51.100.20:3868"),
	}
	setDigits(t, &m.IMSI, testIMSI)
	setDigits(t, &m.MSISDN, testMSISDN)
	return m
}

// mapMsg is a MAP anyTimeInterrogation with global titles.
func mapMsg(t testing.TB) *view.Message {
	m := &view.Message{
		Protocol:    view.MAP,
		Request:     true,
		Code:        71,
		Op:          "anyTimeInterrogation",
		Transaction: 0xdeadbeef,
		Time:        msgTime,
		Src:         netip.MustParseAddrPort("[::ffff:192.0.2.30]:2905"),
		Dst:         netip.MustParseAddrPort("[2001:db8::1]:2905"),
		TCAPType:    0x62,
	}
	setDigits(t, &m.MSISDN, testMSISDN)
	setDigits(t, &m.CallingGT, "447700900123")
	setDigits(t, &m.CalledGT, "491700000001")
	return m
}

func verdict(a rules.Action) *engine.Verdict {
	r := ruleDefault
	switch a {
	case rules.Drop:
		r = ruleDrop
	case rules.Reject:
		r = ruleReject
	}
	return &engine.Verdict{Action: a, Rule: r, Sender: partnerA, Receiver: homeNet, Policy: testPolicy}
}

// openTest opens a log in a fresh directory (unless cfg.Path is set) with
// the test key, a discarding logger and the given hooks, and closes it at
// the end of the test.
func openTest(t testing.TB, cfg Config, h hooks) *Log {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "audit.log")
	}
	if cfg.Hasher == nil && !cfg.ClearIdentities {
		cfg.Hasher = pseudonym.New([]byte(testKey))
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	l, err := open(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// readLines decodes every line of path as a JSON object, failing the test
// on any line that is not one.
func readLines(t testing.TB, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeLines(t, path, b)
}

func decodeLines(t testing.TB, name string, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%s line %d is not a JSON object: %v\n%s", name, n, err, sc.Bytes())
		}
		if d.More() {
			t.Fatalf("%s line %d has data after the object:\n%s", name, n, sc.Bytes())
		}
		out = append(out, m)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", name)
	}
	return out
}

// waitFor polls cond until it holds. The deadline only turns a hang into
// a failure; nothing is asserted about how long it took.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// gate stalls the writer: while shut, the writer's take hook waits.
type gate struct {
	mu      sync.Mutex
	ch      chan struct{} // nil: open
	waiting atomic.Int32  // writers inside the hook
}

func (g *gate) shut() {
	g.mu.Lock()
	g.ch = make(chan struct{})
	g.mu.Unlock()
}

func (g *gate) open() {
	g.mu.Lock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
	g.mu.Unlock()
}

func (g *gate) hook() {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	if ch != nil {
		g.waiting.Add(1)
		<-ch
		g.waiting.Add(-1)
	}
}

// clock is a writer clock that moves only when told to, so that flush,
// path-check and log-rate decisions do not depend on how fast the test
// machine is.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// captureHandler keeps log records for inspection.
type captureHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

// count returns how many records of the level were logged.
func (h *captureHandler) count(level slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.recs {
		if r.Level == level {
			n++
		}
	}
	return n
}

// last returns the last record of the level.
func (h *captureHandler) last(level slog.Level) (slog.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.recs) - 1; i >= 0; i-- {
		if h.recs[i].Level == level {
			return h.recs[i], true
		}
	}
	return slog.Record{}, false
}

func attr(r slog.Record, key string) (slog.Value, bool) {
	var v slog.Value
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, found = a.Value, true
			return false
		}
		return true
	})
	return v, found
}

// accounted is the number of records the log has settled one way or the
// other.
func accounted(s Stats) uint64 { return s.Written + s.Dropped + s.Lost }
