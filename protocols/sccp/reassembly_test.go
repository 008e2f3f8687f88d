package sccp

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// segment builds a decoded XUDT segment from calling GT digits, local
// reference, first bit, remaining count and data (through the encoder and
// Parse, as a caller would have it).
func segment(t testing.TB, calling string, lref uint32, first bool, rem uint8, data []byte) *Message {
	t.Helper()
	b := tmsg{typ: TypeXUDT, first: 1, hop: 10, called: gt4(6, "447785000001"), calling: gt4(7, calling), data: data, opt: seg(first, 1, rem, lref)}.encode()
	m := new(Message)
	if err := Parse(b, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkInvariants verifies the Reassembler's internal structures: every
// pending entry is in the table and the age list exactly once, and the
// free stack holds the rest.
func checkInvariants(t testing.TB, r *Reassembler) {
	t.Helper()
	inTable := 0
	for _, v := range r.table {
		if v != 0 {
			inTable++
			e := &r.entries[v-1]
			if got := r.find(&e.key, e.hash); got != v-1 {
				t.Fatalf("entry %d not found by its key (got %d)", v-1, got)
			}
		}
	}
	inList := 0
	prev := int32(-1)
	for i := r.oldest; i >= 0; i = r.entries[i].next {
		if r.entries[i].prev != prev {
			t.Fatalf("age list broken at %d", i)
		}
		prev = i
		inList++
		if inList > len(r.entries) {
			t.Fatal("age list loops")
		}
	}
	if prev != r.newest {
		t.Fatal("age list tail wrong")
	}
	if inTable != r.Pending() || inList != r.Pending() || r.Pending() > r.cfg.MaxPending {
		t.Fatalf("table %d, list %d, pending %d", inTable, inList, r.Pending())
	}
}

type step struct {
	m      *Message
	opc    uint32
	at     time.Duration
	status Status
	err    error
	data   string // expected data when complete
}

func run(t *testing.T, r *Reassembler, steps []step) {
	t.Helper()
	for i, s := range steps {
		data, st, err := r.Add(t0.Add(s.at), s.opc, s.m)
		if err != s.err || st != s.status {
			t.Fatalf("step %d: status %d err %v, want %d %v", i, st, err, s.status, s.err)
		}
		if st == StatusComplete && string(data) != s.data {
			t.Fatalf("step %d: data %q, want %q", i, data, s.data)
		}
		checkInvariants(t, r)
	}
}

func TestReassembler(t *testing.T) {
	A, B := "447785000001", "491720000002"
	p := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name  string
		cfg   ReassemblyConfig
		steps func(t *testing.T) []step
		after func(t *testing.T, r *Reassembler)
	}{
		{"in order", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 2, p("aa")), status: StatusPending},
				{m: segment(t, A, 1, false, 1, p("bbb")), status: StatusPending},
				{m: segment(t, A, 1, false, 0, p("c")), status: StatusComplete, data: "aabbbc"},
			}
		}, func(t *testing.T, r *Reassembler) {
			if s := r.Stats(); s.Completed != 1 || r.Pending() != 0 {
				t.Errorf("%+v", s)
			}
		}},
		{"reverse order", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, false, 0, p("c")), status: StatusPending},
				{m: segment(t, A, 1, false, 1, p("bbb")), status: StatusPending},
				{m: segment(t, A, 1, true, 2, p("aa")), status: StatusComplete, data: "aabbbc"},
			}
		}, nil},
		{"first in the middle", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, false, 1, p("bbb")), status: StatusPending},
				{m: segment(t, A, 1, true, 2, p("aa")), status: StatusPending},
				{m: segment(t, A, 1, false, 0, p("c")), status: StatusComplete, data: "aabbbc"},
			}
		}, nil},
		{"duplicates ignored", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 1, p("aa")), status: StatusPending},
				{m: segment(t, A, 1, true, 1, p("aa")), status: StatusDuplicate},
				{m: segment(t, A, 1, false, 0, p("c")), status: StatusComplete, data: "aac"},
			}
		}, func(t *testing.T, r *Reassembler) {
			if r.Stats().Duplicates != 1 {
				t.Errorf("%+v", r.Stats())
			}
		}},
		{"conflicting copy discards", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 2, p("aa")), status: StatusPending},
				{m: segment(t, A, 1, false, 1, p("bb")), status: StatusPending},
				{m: segment(t, A, 1, false, 1, p("BB")), err: ErrSegmentConflict},
				// The message is gone: the last segment starts a new one.
				{m: segment(t, A, 1, false, 0, p("c")), status: StatusPending},
			}
		}, func(t *testing.T, r *Reassembler) {
			if r.Stats().Discarded != 1 || r.Pending() != 1 {
				t.Errorf("%+v", r.Stats())
			}
		}},
		{"new first restarts", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 2, p("aa")), status: StatusPending},
				{m: segment(t, A, 1, false, 1, p("bb")), status: StatusPending},
				{m: segment(t, A, 1, true, 1, p("xx")), status: StatusPending},
				{m: segment(t, A, 1, false, 0, p("y")), status: StatusComplete, data: "xxy"},
			}
		}, func(t *testing.T, r *Reassembler) {
			if r.Stats().Restarted != 1 {
				t.Errorf("%+v", r.Stats())
			}
		}},
		{"non-first with as many remaining as the first", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 2, p("aa")), status: StatusPending},
				{m: segment(t, A, 1, false, 2, p("bb")), err: ErrSegment},
			}
		}, nil},
		{"first announcing fewer than stored", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, false, 3, p("bb")), status: StatusPending},
				{m: segment(t, A, 1, true, 2, p("aa")), err: ErrSegment},
			}
		}, nil},
		{"different called address", ReassemblyConfig{}, func(t *testing.T) []step {
			other := segment(t, A, 1, false, 0, p("c"))
			other.Called.Raw = gt4(6, "447785999999")
			return []step{
				{m: segment(t, A, 1, true, 1, p("aa")), status: StatusPending},
				{m: other, err: ErrSegment},
			}
		}, nil},
		{"different segmentation class", ReassemblyConfig{}, func(t *testing.T) []step {
			other := segment(t, A, 1, false, 0, p("c"))
			other.Segmentation.Class = 0
			return []step{
				{m: segment(t, A, 1, true, 1, p("aa")), status: StatusPending},
				{m: other, err: ErrSegment},
			}
		}, nil},
		{"XUDTS among XUDT", ReassemblyConfig{}, func(t *testing.T) []step {
			other := segment(t, A, 1, false, 0, p("c"))
			other.Type = TypeXUDTS
			return []step{
				{m: segment(t, A, 1, true, 1, p("aa")), status: StatusPending},
				{m: other, err: ErrSegment},
			}
		}, nil},
		{"keys: OPC, reference and calling address", ReassemblyConfig{}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 1, p("a1")), opc: 1, status: StatusPending},
				{m: segment(t, A, 1, true, 1, p("a2")), opc: 2, status: StatusPending},
				{m: segment(t, A, 2, true, 1, p("a3")), opc: 1, status: StatusPending},
				{m: segment(t, B, 1, true, 1, p("a4")), opc: 1, status: StatusPending},
				{m: segment(t, B, 1, false, 0, p("z")), opc: 1, status: StatusComplete, data: "a4z"},
				{m: segment(t, A, 2, false, 0, p("z")), opc: 1, status: StatusComplete, data: "a3z"},
				{m: segment(t, A, 1, false, 0, p("z")), opc: 2, status: StatusComplete, data: "a2z"},
				{m: segment(t, A, 1, false, 0, p("z")), opc: 1, status: StatusComplete, data: "a1z"},
			}
		}, nil},
		{"too many segments", ReassemblyConfig{MaxSegments: 4}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 4, p("a")), err: ErrTooManySegments},
				{m: segment(t, A, 1, false, 3, p("a")), err: ErrTooManySegments},
				{m: segment(t, A, 1, true, 3, p("a")), status: StatusPending},
				{m: segment(t, A, 1, false, 3, p("b")), err: ErrTooManySegments},
			}
		}, func(t *testing.T, r *Reassembler) {
			if s := r.Stats(); s.Refused != 3 || s.Discarded != 1 || r.Pending() != 0 {
				t.Errorf("%+v", s)
			}
		}},
		{"too large", ReassemblyConfig{MaxMessageBytes: 100}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 1, bytes.Repeat(p("a"), 60)), status: StatusPending},
				{m: segment(t, A, 1, false, 0, bytes.Repeat(p("b"), 41)), err: ErrReassemblyTooLarge},
				{m: segment(t, A, 2, true, 1, bytes.Repeat(p("a"), 60)), status: StatusPending},
				{m: segment(t, A, 2, false, 0, bytes.Repeat(p("b"), 40)), status: StatusComplete, data: string(bytes.Repeat(p("a"), 60)) + string(bytes.Repeat(p("b"), 40))},
			}
		}, nil},
		{"timeout", ReassemblyConfig{Timeout: 10 * time.Second}, func(t *testing.T) []step {
			return []step{
				{m: segment(t, A, 1, true, 1, p("a")), status: StatusPending},
				{m: segment(t, A, 2, true, 1, p("b")), at: 5 * time.Second, status: StatusPending},
				{m: segment(t, A, 1, false, 0, p("z")), at: 10*time.Second + 1, status: StatusPending},
				{m: segment(t, A, 2, false, 0, p("z")), at: 15 * time.Second, status: StatusComplete, data: "bz"},
			}
		}, func(t *testing.T, r *Reassembler) {
			if s := r.Stats(); s.Expired != 1 || r.Pending() != 1 {
				t.Errorf("%+v pending %d", s, r.Pending())
			}
			r.Expire(t0.Add(time.Minute))
			if r.Pending() != 0 || r.Stats().Expired != 2 {
				t.Errorf("after Expire: %d pending", r.Pending())
			}
		}},
		{"unsegmented and single segment pass through", ReassemblyConfig{}, func(t *testing.T) []step {
			plain := segment(t, A, 1, true, 0, p("whole"))
			plain.HasSegmentation = false
			return []step{
				{m: plain, status: StatusUnsegmented, data: "whole"},
				{m: segment(t, A, 1, true, 0, p("single")), status: StatusComplete, data: "single"},
			}
		}, func(t *testing.T, r *Reassembler) {
			if r.Pending() != 0 {
				t.Error(r.Pending())
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReassembler(tc.cfg)
			run(t, r, tc.steps(t))
			if tc.after != nil {
				tc.after(t, r)
			}
		})
	}
}

// TestReassemblerSixteenShuffled reassembles the largest message (16
// segments) in every kind of order.
func TestReassemblerSixteenShuffled(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{})
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		var want []byte
		segs := make([]*Message, 16)
		for pos := 0; pos < 16; pos++ {
			d := bytes.Repeat([]byte{byte('a' + pos)}, 1+rng.IntN(200))
			want = append(want, d...)
			segs[pos] = segment(t, "4477", uint32(round), pos == 0, uint8(15-pos), d)
		}
		rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
		for i, m := range segs {
			data, st, err := r.Add(t0, 7, m)
			if err != nil || (i < 15) != (st == StatusPending) {
				t.Fatalf("round %d segment %d: %d %v", round, i, st, err)
			}
			if i == 15 && !bytes.Equal(data, want) {
				t.Fatalf("round %d: reassembled %d octets differ", round, len(data))
			}
		}
	}
	checkInvariants(t, r)
}

// TestReassemblerFlood fills the table with half-finished messages from
// many keys: memory stays at its preallocated size, the oldest messages go
// first, the table stays consistent through heavy churn, and a legitimate
// message sent in the middle of the flood still completes.
func TestReassemblerFlood(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{MaxPending: 64, MaxMessageBytes: 512})
	slab, entries := len(r.slab), len(r.entries)
	at := time.Duration(0)
	for i := 0; i < 20000; i++ {
		at += time.Millisecond
		m := segment(t, fmt.Sprintf("%012d", i%997), uint32(i), true, uint8(1+i%15), []byte("attack"))
		if _, st, err := r.Add(t0.Add(at), uint32(i%3), m); err != nil || st != StatusPending {
			t.Fatalf("flood %d: %d %v", i, st, err)
		}
		if i%1000 == 500 {
			// A legitimate two-segment message inside the flood.
			_, st1, _ := r.Add(t0.Add(at), 9, segment(t, "1", 1, true, 1, []byte("he")))
			d, st2, err := r.Add(t0.Add(at), 9, segment(t, "1", 1, false, 0, []byte("llo")))
			if st1 != StatusPending || st2 != StatusComplete || string(d) != "hello" || err != nil {
				t.Fatalf("legitimate message lost: %d %d %v", st1, st2, err)
			}
		}
		if i%997 == 0 {
			checkInvariants(t, r)
		}
	}
	checkInvariants(t, r)
	if r.Pending() != 64 || len(r.slab) != slab || len(r.entries) != entries {
		t.Errorf("pending %d, slab %d", r.Pending(), len(r.slab))
	}
	if s := r.Stats(); s.Evicted < 19000 {
		t.Errorf("%+v", s)
	}
	// The newest 64 survive; the oldest are gone.
	if r.find(&r.entries[r.newest].key, r.entries[r.newest].hash) < 0 {
		t.Error("newest message lost")
	}
}

// TestReassemblerNoAlloc: steady-state reassembly allocates nothing.
func TestReassemblerNoAlloc(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{MaxPending: 8})
	segs := []*Message{
		segment(t, "4477", 1, false, 0, []byte("ccc")),
		segment(t, "4477", 1, false, 1, []byte("bbb")),
		segment(t, "4477", 1, true, 2, []byte("aaa")),
	}
	n := 0
	if a := testing.AllocsPerRun(1000, func() {
		for _, m := range segs {
			if _, _, err := r.Add(t0.Add(time.Duration(n)), 1, m); err != nil {
				panic(err)
			}
			n++
		}
	}); a != 0 {
		t.Errorf("%v allocations per message", a)
	}
}

func BenchmarkReassemble(b *testing.B) {
	r := NewReassembler(ReassemblyConfig{})
	var segs []*Message
	for rem := 3; rem >= 0; rem-- {
		segs = append(segs, segment(b, "447785000001", 1, rem == 3, uint8(rem), bytes.Repeat([]byte{byte(rem)}, 200)))
	}
	b.ReportAllocs()
	b.SetBytes(800)
	for b.Loop() {
		for _, m := range segs {
			if _, _, err := r.Add(t0, 1, m); err != nil {
				b.Fatal(err)
			}
		}
	}
}
