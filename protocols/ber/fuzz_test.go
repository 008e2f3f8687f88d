package ber

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"breakwater/internal/fuzzcorpus"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzBER/crafted_* from craftedSeeds")

const corpusDir = "testdata/fuzz/FuzzBER"

// craftedSeeds are the hand-built seeds: every header path and every
// error of the reader, indefinite nesting at and over the limit, and the
// value helpers' edge cases. Each is committed as
// testdata/fuzz/FuzzBER/crafted_<name>.
func craftedSeeds() map[string][]byte {
	h := func(s string) []byte {
		b, err := hexDecode(s)
		if err != nil {
			panic(err)
		}
		return b
	}
	nest := func(n int) []byte {
		return append(bytes.Repeat([]byte{0x30, 0x80}, n), bytes.Repeat([]byte{0, 0}, n)...)
	}
	return map[string][]byte{
		"integers":             h("020105 0201d7 02020080 0a0102 020800000000000000ff"),
		"high_tags":            h("9f2202 9112 bf814800 9fffffff7f00"),
		"high_tag_too_long":    h("9f8180808000 00"),
		"high_tag_non_minimal": h("9f8022 00"),
		"long_lengths":         h("048103010203 04820002aabb 048400000001ff"),
		"length_5_octets":      h("04850000000001ff"),
		"length_reserved":      h("04ff"),
		"length_beyond":        h("04050102"),
		"indefinite":           h("3080020101 0000 a180a1800500000000000400"),
		"indefinite_primitive": h("04800000"),
		"missing_eoc":          h("3080020101"),
		"stray_eoc":            h("0000"),
		"eoc_with_length":      h("3080000100 0000"),
		"nest_at_limit":        nest(MaxDepth),
		"nest_over_limit":      nest(MaxDepth + 1),
		"oids":                 h("06070011860501010106070400000100010306062a864886f70d 0602 0086 0603008001"),
		"bool_null":            h("0101ff 010200 0500 050100"),
		"constructed_string":   h("240304 01aa"),
		"sequence_definite":    h("300a 8001 01 a105 0403 112233"),
	}
}

func hexDecode(s string) ([]byte, error) {
	s = strings.ReplaceAll(s, " ", "")
	out := make([]byte, 0, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		v, err := strconv.ParseUint(s[i:i+2], 16, 8)
		if err != nil {
			return nil, err
		}
		out = append(out, byte(v))
	}
	if len(s)%2 != 0 {
		return nil, errors.New("odd hex length")
	}
	return out, nil
}

// TestCraftedCorpus keeps the committed crafted seeds in step with
// craftedSeeds (regenerate with -update-corpus).
func TestCraftedCorpus(t *testing.T) {
	seeds := craftedSeeds()
	if *updateCorpus {
		old, _ := filepath.Glob(filepath.Join(corpusDir, "crafted_*"))
		for _, f := range old {
			os.Remove(f)
		}
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			if err := os.WriteFile(filepath.Join(corpusDir, "crafted_"+name), fuzzcorpus.Format(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "crafted_*"))
	if len(files) != len(seeds) {
		t.Errorf("%d crafted_* files for %d seeds (go test -run TestCraftedCorpus -update-corpus)", len(files), len(seeds))
	}
	for name, b := range seeds {
		f := filepath.Join(corpusDir, "crafted_"+name)
		if got := fuzzcorpus.Read(t, f); !bytes.Equal(got, b) {
			t.Errorf("%s differs from craftedSeeds (go test -run TestCraftedCorpus -update-corpus)", f)
		}
	}
}

// checkBER is FuzzBER's property check.
//
//   - Reading never panics and every TLV lies inside its container;
//   - a TLV read again from its own Raw is the same TLV, and re-encoding
//     it with a definite length reads back to the same class, form, tag
//     and contents (an independent encoder for the header);
//   - walking everything, descending into constructed values up to
//     MaxDepth+2 levels, decodes at most (MaxDepth+2) headers per input
//     octet pair: the linear bound.
func checkBER(t *testing.T, b []byte) {
	total := 0
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		r := NewReader(b)
		consumed := 0
		for tlv, ok := r.Next(); ok; tlv, ok = r.Next() {
			if len(tlv.Raw) == 0 || len(tlv.Raw) > len(b)-consumed || &tlv.Raw[0] != &b[consumed] {
				t.Fatalf("Raw of %d octets at %d of %d", len(tlv.Raw), consumed, len(b))
			}
			if len(tlv.Value) > len(tlv.Raw) {
				t.Fatal("Value longer than Raw")
			}
			if tlv.Indefinite() && !tlv.Constructed {
				t.Fatal("indefinite primitive")
			}
			if tlv.Tag > MaxTag {
				t.Fatalf("tag %d", tlv.Tag)
			}
			again, err := Parse(tlv.Raw)
			if err != nil || again.Tag != tlv.Tag || again.Class != tlv.Class || len(again.Raw) != len(tlv.Raw) ||
				!bytes.Equal(again.Value, tlv.Value) {
				t.Fatalf("reparse of Raw differs: %v", err)
			}
			enc := encode(tlv)
			back, err := Parse(enc)
			if err != nil || len(back.Raw) != len(enc) || back.Tag != tlv.Tag || back.Class != tlv.Class ||
				back.Constructed != tlv.Constructed || !bytes.Equal(back.Value, tlv.Value) {
				t.Fatalf("re-encoded % x reads back as %+v, %v", enc, back, err)
			}
			tlv.Int()
			tlv.Bool()
			tlv.Null()
			if oid, err := tlv.OID(); err == nil {
				if s := AppendOID(nil, oid); len(s) == 0 || s[0] == '<' {
					t.Fatalf("valid OID % x renders %q", oid, s)
				}
			}
			consumed += len(tlv.Raw)
			if tlv.Constructed && depth < MaxDepth+2 {
				walk(tlv.Value, depth+1)
			}
		}
		if r.Err() == nil && consumed != len(b) {
			t.Fatalf("consumed %d of %d without an error", consumed, len(b))
		}
		total += r.Work()
	}
	walk(b, 0)
	if limit := (MaxDepth + 3) * (len(b)/2 + 1); total > limit {
		t.Fatalf("%d header reads for %d octets (limit %d)", total, len(b), limit)
	}
}

// encode re-encodes a TLV's header with a definite length (minimal form).
func encode(t TLV) []byte {
	var out []byte
	id := byte(t.Class) << 6
	if t.Constructed {
		id |= 0x20
	}
	if t.Tag < 31 {
		out = append(out, id|byte(t.Tag))
	} else {
		out = append(out, id|0x1f)
		var groups []byte
		for v := t.Tag; ; v >>= 7 {
			groups = append(groups, byte(v&0x7f))
			if v < 0x80 {
				break
			}
		}
		for i := len(groups) - 1; i >= 0; i-- {
			g := groups[i]
			if i > 0 {
				g |= 0x80
			}
			out = append(out, g)
		}
	}
	l := len(t.Value)
	switch {
	case l < 0x80:
		out = append(out, byte(l))
	case l < 0x100:
		out = append(out, 0x81, byte(l))
	case l < 0x10000:
		out = append(out, 0x82, byte(l>>8), byte(l))
	default:
		out = append(out, 0x84, byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
	}
	return append(out, t.Value...)
}

func FuzzBER(f *testing.F) {
	for _, b := range craftedSeeds() {
		f.Add(b)
	}
	f.Fuzz(checkBER)
}

// TestCorpusProperties runs the fuzz property over the committed seeds and
// every prefix of each (truncation is the commonest damage).
func TestCorpusProperties(t *testing.T) {
	for name, b := range fuzzcorpus.Load(t, corpusDir) {
		t.Run(name, func(t *testing.T) {
			for i := 0; i <= len(b); i++ {
				checkBER(t, b[:i])
			}
		})
	}
}

// TestAllocatesNothing walks every seed, helpers included.
func TestAllocatesNothing(t *testing.T) {
	seeds := fuzzcorpus.Load(t, corpusDir)
	names := make([]string, 0, len(seeds))
	for n := range seeds {
		names = append(names, n)
	}
	slices.Sort(names)
	var walk func(b []byte, depth int) int
	walk = func(b []byte, depth int) int {
		n := 0
		r := NewReader(b)
		for tlv, ok := r.Next(); ok; tlv, ok = r.Next() {
			tlv.Int()
			tlv.Bool()
			tlv.Null()
			tlv.OID()
			tlv.Octets()
			n++
			if tlv.Constructed && depth < MaxDepth {
				n += walk(tlv.Value, depth+1)
			}
		}
		_ = r.Err()
		return n
	}
	for _, name := range names {
		b := seeds[name]
		if a := testing.AllocsPerRun(50, func() { walk(b, 0) }); a != 0 {
			t.Errorf("%s: %v allocations", name, a)
		}
	}
}
