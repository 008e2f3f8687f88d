package sccp

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"breakwater/protocols/m3ua"
	"breakwater/protocols/m3ua/m3uatest"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz: crafted_* from the code, real_* from the captures")

// craftedSCCP are the hand-made FuzzSCCP seeds, with the error Parse
// gives each.
func craftedSCCP() map[string]struct {
	b   []byte
	err error
} {
	type seed = struct {
		b   []byte
		err error
	}
	out := map[string]seed{
		"crafted_overlap_data_calling": {func() []byte { b := bytes.Clone(udtVector); b[4] = 6; return b }(), ErrOverlap},
		"crafted_pointer_zero":         {func() []byte { b := bytes.Clone(udtVector); b[2] = 0; return b }(), ErrPointer},
		"crafted_optional_unended":     {tmsg{typ: TypeXUDT, hop: 1, called: pcssn(1, 6), calling: pcssn(2, 7), data: []byte{1}, opt: hx("12 01 05")}.encode(), ErrOptional},
		"crafted_GTI_5":                {tmsg{typ: TypeUDT, called: hx("16 06 00 11 04 44 07"), calling: pcssn(2, 7), data: []byte{1}}.encode(), ErrGTI},
		"crafted_34_digits":            {tmsg{typ: TypeUDT, called: gt4(6, strings.Repeat("1", 34)), calling: pcssn(2, 7), data: []byte{1}}.encode(), ErrDigits},
		"crafted_class_2":              {func() []byte { b := bytes.Clone(udtVector); b[1] = 2; return b }(), ErrClass},
		"crafted_LUDT_long_pointer":    {func() []byte { b := bytes.Clone(ludtVector); b[4] = 1; return b }(), ErrPointer},
		"crafted_unknown_type":         {hx("15 00 03 05 07 01 00 01 00 01 00"), ErrUnknownType},
	}
	for name, b := range oracleMessages() {
		out["crafted_"+strings.NewReplacer(" ", "_", ",", "").Replace(name)] = seed{b, nil}
	}
	return out
}

// realSCCP are the SCCP messages carried by M3UA in the public captures.
func realSCCP(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	seen := map[string]bool{}
	for _, path := range captures(t) {
		frames, err := m3uatest.ReadPcap(path)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(path), ".pcap")
		for _, f := range frames {
			for i, b := range f.Messages {
				var d m3ua.Data
				if m3ua.ParseData(b, &d) != nil || d.SI != m3ua.SISCCP || seen[string(d.UserData)] {
					continue
				}
				seen[string(d.UserData)] = true
				out[fmt.Sprintf("real_%s_%d_%d", base, f.Number, i)] = d.UserData
			}
		}
	}
	return out
}

// reassemblyScripts are FuzzReassembler seeds (see runScript).
func reassemblyScripts() map[string][]byte {
	step := func(calling int, first bool, rem int, opc int, lref int, flags byte, advance int, data string) []byte {
		b0 := byte(calling&3) | byte(rem&15)<<3 | byte(opc&1)<<7
		if first {
			b0 |= 4
		}
		b1 := byte(lref&3) | flags | byte(advance&3)<<6
		return append([]byte{b0, b1, byte(len(data))}, data...)
	}
	return map[string][]byte{
		"crafted_in_order": cat(step(0, true, 2, 0, 0, 0, 0, "aa"), step(0, false, 1, 0, 0, 0, 0, "bb"), step(0, false, 0, 0, 0, 0, 0, "cc")),
		"crafted_reverse":  cat(step(1, false, 0, 0, 1, 0, 0, "c"), step(1, false, 1, 0, 1, 0, 0, "b"), step(1, true, 2, 0, 1, 0, 0, "a")),
		"crafted_conflict": cat(step(0, true, 1, 0, 0, 0, 0, "aa"), step(0, true, 1, 0, 0, 0, 0, "aa"), step(0, false, 0, 0, 0, 0, 0, "x"), step(0, false, 0, 0, 0, 0, 0, "y")),
		"crafted_restart":  cat(step(0, true, 2, 0, 0, 0, 0, "aa"), step(0, true, 1, 0, 0, 0, 0, "zz"), step(0, false, 0, 0, 0, 0, 0, "y")),
		"crafted_flood": cat(step(0, true, 3, 0, 0, 0, 0, "1"), step(1, true, 3, 0, 0, 0, 0, "2"), step(2, true, 3, 0, 0, 0, 0, "3"),
			step(3, true, 3, 0, 0, 0, 0, "4"), step(0, true, 3, 1, 0, 0, 0, "5"), step(0, false, 2, 0, 0, 0, 0, "6")),
		"crafted_timeout":      cat(step(0, true, 1, 0, 0, 0, 0, "a"), step(0, false, 0, 0, 0, 0, 3, "b"), step(0, true, 1, 0, 0, 0, 0, "a")),
		"crafted_inconsistent": cat(step(0, true, 1, 0, 0, 0, 0, "a"), step(0, false, 0, 0, 0, 0x04, 0, "b"), step(0, true, 1, 0, 0, 0, 0, "a"), step(0, false, 0, 0, 0, 0x08, 0, "b"), step(0, false, 0, 0, 0, 0x10, 0, "b")),
		"crafted_too_large":    cat(step(0, true, 1, 0, 0, 0, 0, strings.Repeat("a", 47)), step(0, false, 0, 0, 0, 0, 0, strings.Repeat("b", 47)), step(0, false, 0, 0, 0, 0, 0, strings.Repeat("b", 47)), step(0, false, 1, 0, 0, 0, 0, strings.Repeat("c", 47))),
		"crafted_too_many":     cat(step(0, true, 12, 0, 0, 0, 0, "a"), step(0, false, 11, 0, 0, 0, 0, "a"), step(0, false, 10, 0, 0, 0x20, 0, "a")),
	}
}

func corpusFiles(t *testing.T, dir, prefix string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 3)
		if len(lines) < 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a fuzz seed", e.Name())
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = []byte(s)
	}
	return out
}

func writeSeed(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCorpus keeps the committed crafted seeds identical to the code that
// builds them (run with -update-corpus after changing it) and checks what
// each is there for.
func TestCorpus(t *testing.T) {
	const sccpDir, reasmDir = "testdata/fuzz/FuzzSCCP", "testdata/fuzz/FuzzReassembler"
	seeds := craftedSCCP()
	scripts := reassemblyScripts()
	if *updateCorpus {
		for name, s := range seeds {
			writeSeed(t, sccpDir, name, s.b)
		}
		for name, b := range realSCCP(t) {
			writeSeed(t, sccpDir, name, b)
		}
		for name, b := range scripts {
			writeSeed(t, reasmDir, name, b)
		}
	}
	files := corpusFiles(t, sccpDir, "crafted_")
	for name, s := range seeds {
		if got, ok := files[name]; !ok || !bytes.Equal(got, s.b) {
			t.Errorf("%s is missing or stale; run go test -run TestCorpus -update-corpus", name)
		}
		var m Message
		if err := Parse(s.b, &m); err != s.err {
			t.Errorf("%s: Parse err = %v, want %v", name, err, s.err)
		}
	}
	if len(files) != len(seeds) {
		t.Errorf("%d crafted files for %d seeds", len(files), len(seeds))
	}
	real := corpusFiles(t, sccpDir, "real_")
	if len(real) < 15 {
		t.Errorf("only %d real seeds", len(real))
	}
	for name, b := range real {
		var m Message
		if err := Parse(b, &m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	sf := corpusFiles(t, reasmDir, "crafted_")
	for name, b := range scripts {
		if got, ok := sf[name]; !ok || !bytes.Equal(got, b) {
			t.Errorf("%s is missing or stale; run go test -run TestCorpus -update-corpus", name)
		}
		runScript(t, b)
	}
}

// within reports whether s lies inside b.
func within(s, b []byte) bool {
	if len(s) == 0 {
		return true
	}
	p, base := uintptr(unsafe.Pointer(unsafe.SliceData(s))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= base && p+uintptr(len(s)) <= base+uintptr(len(b))
}

func disjoint(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa+uintptr(len(a)) <= pb || pb+uintptr(len(b)) <= pa
}

// FuzzSCCP checks that no input panics Parse or ParseSCMG, that what Parse
// accepts is consistent (every slice inside the input, the parameters
// disjoint, digits matching their signals), and that an accepted
// connectionless message survives re-encoding.
func FuzzSCCP(f *testing.F) {
	for _, s := range craftedSCCP() {
		f.Add(s.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := Parse(b, &m); err != nil || !m.Type.Connectionless() {
			return
		}
		if !within(m.Called.Raw, b) || !within(m.Calling.Raw, b) || !within(m.Data, b) {
			t.Fatal("slice outside the input")
		}
		if !disjoint(m.Called.Raw, m.Calling.Raw) || !disjoint(m.Called.Raw, m.Data) || !disjoint(m.Calling.Raw, m.Data) {
			t.Fatal("parameters overlap")
		}
		if m.Class() > 1 && !m.Type.Service() {
			t.Fatal("class above 1 accepted")
		}
		for _, a := range []*Address{&m.Called, &m.Calling} {
			if len(a.Raw) > MaxAddressLen || a.GTI > GTITTNPESNAI {
				t.Fatalf("address %x accepted", a.Raw)
			}
			if g := &a.GT; a.GTI != GTINone && g.IsBCD() {
				n := 2 * len(g.Signals)
				if g.Odd {
					n--
				}
				if d := g.Digits(); d.Len() != n || n == 0 {
					t.Fatalf("%d digits from %d signal octets (odd %v)", d.Len(), len(g.Signals), g.Odd)
				}
			}
		}
		if m.IsSCMG() {
			_, _ = ParseSCMG(m.Data)
		}
		var opt []byte
		if m.HasSegmentation {
			s := m.Segmentation
			o := seg(s.First, s.Class, s.Remaining, s.LocalRef)
			opt = o[:len(o)-1]
		}
		if m.HasImportance {
			opt = append(opt, ParamImportance, 1, m.Importance)
		}
		if opt != nil {
			opt = append(opt, 0)
		}
		first := m.ProtocolClass
		if m.Type.Service() {
			first = m.ReturnCause
		}
		re := tmsg{typ: m.Type, first: first, hop: m.HopCounter, called: m.Called.Raw, calling: m.Calling.Raw, data: m.Data, opt: opt}.encode()
		var m2 Message
		if err := Parse(re, &m2); err != nil {
			t.Fatalf("re-encoded message: %v", err)
		}
		if addrString(&m.Called) != addrString(&m2.Called) || addrString(&m.Calling) != addrString(&m2.Calling) ||
			!bytes.Equal(m.Data, m2.Data) || m.Segmentation != m2.Segmentation || m.HasImportance != m2.HasImportance ||
			m.Importance != m2.Importance || m.HopCounter != m2.HopCounter || m.ProtocolClass != m2.ProtocolClass || m.ReturnCause != m2.ReturnCause {
			t.Fatalf("round trip differs:\n%+v\n%+v", m, m2)
		}
	})
}

// --- FuzzReassembler --------------------------------------------------------

// refEntry and refModel restate the Reassembler's policy with maps and
// slices, no preallocation or hashing: the fuzzer checks that the real one,
// with its slab, hash table and age list, behaves identically.
type refEntry struct {
	born   time.Duration
	total  int
	class  uint8
	typ    MessageType
	called string
	slots  map[int][]byte
	used   int
}

type refModel struct {
	cfg     ReassemblyConfig
	entries map[string]*refEntry
	order   []string // oldest first
}

func (r *refModel) remove(k string) {
	delete(r.entries, k)
	for i, o := range r.order {
		if o == k {
			r.order = append(r.order[:i], r.order[i+1:]...)
			return
		}
	}
}

func (r *refModel) add(now time.Duration, opc uint32, m *Message) ([]byte, Status, error) {
	if !m.HasSegmentation {
		return m.Data, StatusUnsegmented, nil
	}
	for len(r.order) > 0 && now-r.entries[r.order[0]].born > r.cfg.Timeout {
		r.remove(r.order[0])
	}
	s := m.Segmentation
	if s.First && s.Remaining == 0 {
		return m.Data, StatusComplete, nil
	}
	rem := int(s.Remaining)
	k := fmt.Sprintf("%x/%d/%d", m.Calling.Raw, s.LocalRef, opc)
	e := r.entries[k]
	if s.First && rem >= r.cfg.MaxSegments || !s.First && rem+2 > r.cfg.MaxSegments {
		if e != nil {
			r.remove(k)
		}
		return nil, 0, ErrTooManySegments
	}
	fresh := func() *refEntry {
		return &refEntry{born: now, class: s.Class, typ: m.Type, called: string(m.Called.Raw), slots: map[int][]byte{}}
	}
	switch {
	case e == nil:
		if len(r.order) == r.cfg.MaxPending {
			r.remove(r.order[0])
		}
		e = fresh()
		r.entries[k] = e
		r.order = append(r.order, k)
	case s.First && e.total != 0 && !(e.total == rem+1 && bytes.Equal(e.slots[rem], m.Data)):
		r.remove(k)
		e = fresh()
		r.entries[k] = e
		r.order = append(r.order, k)
	case e.typ != m.Type || e.class != s.Class || e.called != string(m.Called.Raw):
		r.remove(k)
		return nil, 0, ErrSegment
	}
	if s.First {
		if e.total == 0 {
			for q := range e.slots {
				if q >= rem {
					r.remove(k)
					return nil, 0, ErrSegment
				}
			}
		}
		e.total = rem + 1
	} else if e.total != 0 && rem+1 >= e.total {
		r.remove(k)
		return nil, 0, ErrSegment
	}
	if old, ok := e.slots[rem]; ok {
		if bytes.Equal(old, m.Data) {
			return nil, StatusDuplicate, nil
		}
		r.remove(k)
		return nil, 0, ErrSegmentConflict
	}
	if e.used+len(m.Data) > r.cfg.MaxMessageBytes {
		r.remove(k)
		return nil, 0, ErrReassemblyTooLarge
	}
	e.slots[rem] = bytes.Clone(m.Data)
	e.used += len(m.Data)
	if e.total == 0 || len(e.slots) != e.total {
		return nil, StatusPending, nil
	}
	var out []byte
	for q := e.total - 1; q >= 0; q-- {
		out = append(out, e.slots[q]...)
	}
	r.remove(k)
	return out, StatusComplete, nil
}

// runScript feeds a script to a Reassembler and to the reference model and
// compares every answer. Each step is three octets and data:
//
//	octet 0: bits 1-2 calling address (of 4), bit 3 first, bits 4-7
//	         remaining, bit 8 OPC (of 2)
//	octet 1: bits 1-2 local reference (of 4), bit 3 another called
//	         address, bit 4 class 0, bit 5 XUDTS, bit 6 unsegmented,
//	         bits 7-8 time advance (0, 1 s, 5 s, 11 s)
//	octet 2: data length (mod 48), then the data
func runScript(t *testing.T, b []byte) {
	cfg := ReassemblyConfig{MaxPending: 4, MaxMessageBytes: 96, MaxSegments: 12, Timeout: 10 * time.Second}
	r := NewReassembler(cfg)
	ref := &refModel{cfg: r.Config(), entries: map[string]*refEntry{}}
	callings := [4][]byte{gt4(7, "4477"), gt4(7, "4478"), pcssn(1, 7), gt4(8, "4477")}
	calleds := [2][]byte{gt4(6, "491"), gt4(6, "492")}
	advances := [4]time.Duration{0, time.Second, 5 * time.Second, 11 * time.Second}
	var now time.Duration
	for step := 0; len(b) >= 3; step++ {
		c0, c1, n := b[0], b[1], int(b[2])%48
		b = b[3:]
		n = min(n, len(b))
		data := b[:n:n]
		b = b[n:]
		now += advances[c1>>6]
		m := &Message{Type: TypeXUDT, Data: data, HasSegmentation: c1&0x20 == 0,
			Segmentation: Segmentation{First: c0&4 != 0, Class: 1, Remaining: c0 >> 3 & 15, LocalRef: uint32(c1 & 3)}}
		m.Calling.Raw = callings[c0&3]
		m.Called.Raw = calleds[c1>>2&1]
		if c1&0x08 != 0 {
			m.Segmentation.Class = 0
		}
		if c1&0x10 != 0 {
			m.Type = TypeXUDTS
		}
		opc := uint32(c0 >> 7)
		got, gs, gerr := r.Add(t0.Add(now), opc, m)
		want, ws, werr := ref.add(now, opc, m)
		if gs != ws || gerr != werr || !bytes.Equal(got, want) {
			t.Fatalf("step %d: got %d %v %q, reference %d %v %q", step, gs, gerr, got, ws, werr, want)
		}
		if len(got) > cfg.MaxMessageBytes && gs != StatusUnsegmented && !(m.Segmentation.First && m.Segmentation.Remaining == 0) {
			t.Fatalf("step %d: %d octets reassembled", step, len(got))
		}
		if r.Pending() != len(ref.entries) {
			t.Fatalf("step %d: %d pending, reference %d", step, r.Pending(), len(ref.entries))
		}
		checkInvariants(t, r)
	}
}

// FuzzReassembler drives the Reassembler with arbitrary segment sequences
// (see runScript) and compares it with the reference model.
func FuzzReassembler(f *testing.F) {
	for _, s := range reassemblyScripts() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { runScript(t, b) })
}
