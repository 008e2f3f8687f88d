package ber

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParse reads one TLV per case. The encodings follow X.690 §8.1
// (identifier octets §8.1.2, length octets §8.1.3, end-of-contents §8.1.5).
func TestParse(t *testing.T) {
	cases := []struct {
		name        string
		in          string
		class       Class
		constructed bool
		indefinite  bool
		tag         uint32
		value       string
		rawLen      int
		err         error
	}{
		// §8.1.2.2: bits 8-7 class, bit 6 constructed, bits 5-1 tag < 31.
		{"integer short", "02 01 05", ClassUniversal, false, false, 2, "05", 3, nil},
		{"context 3 constructed", "a3 03 04 01 99", ClassContext, true, false, 3, "040199", 5, nil},
		{"application 2 (TC-BEGIN)", "62 00", ClassApplication, true, false, 2, "", 2, nil},
		{"private 30 primitive", "de 00", ClassPrivate, false, false, 30, "", 2, nil},
		// §8.1.2.4: tag ≥ 31 in subsequent octets, base 128.
		{"high tag 31", "9f 1f 00", ClassContext, false, false, 31, "", 3, nil},
		{"high tag 34 (ISD sgsn-Number)", "9f 22 02 91 12", ClassContext, false, false, 34, "9112", 5, nil},
		{"high tag 200 two octets", "bf 81 48 00", ClassContext, true, false, 200, "", 4, nil},
		{"high tag 2^28-1", "9f ff ff ff 7f 00", ClassContext, false, false, MaxTag, "", 6, nil},
		{"high tag five subsequent octets", "9f 81 80 80 80 00 00", 0, false, false, 0, "", 0, ErrTagTooLong},
		{"high tag leading 0x80", "9f 80 22 00", 0, false, false, 0, "", 0, ErrTagEncoding},
		{"high tag that fits low form", "9f 05 00", 0, false, false, 0, "", 0, ErrTagEncoding},
		{"high tag truncated", "9f 81", 0, false, false, 0, "", 0, ErrTruncated},
		// §8.1.3.4 short form, §8.1.3.5 long form; non-minimal long form accepted.
		{"long form 1 octet", "04 81 03 01 02 03", ClassUniversal, false, false, 4, "010203", 6, nil},
		{"long form non-minimal", "04 82 00 02 aa bb", ClassUniversal, false, false, 4, "aabb", 6, nil},
		{"long form 4 octets", "04 84 00 00 00 01 ff", ClassUniversal, false, false, 4, "ff", 7, nil},
		{"long form 5 octets", "04 85 00 00 00 00 01 ff", 0, false, false, 0, "", 0, ErrLengthTooLong},
		{"length 0xff reserved", "04 ff", 0, false, false, 0, "", 0, ErrLengthReserved},
		{"length beyond data", "04 05 01 02", 0, false, false, 0, "", 0, ErrTruncated},
		{"long length beyond data", "04 84 ff ff ff ff 00", 0, false, false, 0, "", 0, ErrTruncated},
		{"long length octets missing", "04 82 00", 0, false, false, 0, "", 0, ErrTruncated},
		{"no length octet", "04", 0, false, false, 0, "", 0, ErrTruncated},
		// §8.1.3.6: indefinite form, constructed only, ended by 00 00.
		{"indefinite", "30 80 02 01 01 00 00", ClassUniversal, true, true, 16, "020101", 7, nil},
		{"indefinite nested", "30 80 a1 80 05 00 00 00 04 00 00 00", ClassUniversal, true, true, 16, "a1800500000004 00", 12, nil},
		{"indefinite with definite child holding zeros", "30 80 04 02 00 00 00 00", ClassUniversal, true, true, 16, "04020000", 8, nil},
		{"indefinite primitive", "04 80 00 00", 0, false, false, 0, "", 0, ErrIndefinitePrimitive},
		{"indefinite without EOC", "30 80 02 01 01", 0, false, false, 0, "", 0, ErrMissingEOC},
		{"indefinite half EOC", "30 80 02 01 01 00", 0, false, false, 0, "", 0, ErrMissingEOC},
		{"indefinite empty input after header", "30 80", 0, false, false, 0, "", 0, ErrMissingEOC},
		{"indefinite bad child", "30 80 04 05 00 00", 0, false, false, 0, "", 0, ErrTruncated},
		{"indefinite EOC with length", "30 80 00 01 00 00 00", 0, false, false, 0, "", 0, ErrReservedTag},
		// §8.1.5: end-of-contents is only valid closing an indefinite length.
		{"stray EOC", "00 00", 0, false, false, 0, "", 0, ErrUnexpectedEOC},
		{"universal 0 with contents", "00 01 00", 0, false, false, 0, "", 0, ErrReservedTag},
		{"universal 0 constructed", "20 00", 0, false, false, 0, "", 0, ErrReservedTag},
		{"empty", "", 0, false, false, 0, "", 0, ErrTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := unhex(t, c.in)
			tlv, err := Parse(in)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if err != nil {
				return
			}
			if tlv.Class != c.class || tlv.Constructed != c.constructed || tlv.Indefinite() != c.indefinite || tlv.Tag != c.tag {
				t.Errorf("got %v/%v/%v/%d, want %v/%v/%v/%d", tlv.Class, tlv.Constructed, tlv.Indefinite(), tlv.Tag,
					c.class, c.constructed, c.indefinite, c.tag)
			}
			if !bytes.Equal(tlv.Value, unhex(t, c.value)) {
				t.Errorf("value % x, want %s", tlv.Value, c.value)
			}
			if len(tlv.Raw) != c.rawLen || !bytes.Equal(tlv.Raw, in[:c.rawLen]) {
				t.Errorf("raw % x, want %d octets", tlv.Raw, c.rawLen)
			}
			if cap(tlv.Value) != len(tlv.Value) || cap(tlv.Raw) != len(tlv.Raw) {
				t.Error("Value/Raw capacity reaches past the TLV (an append would overwrite the message)")
			}
		})
	}
}

func TestReader(t *testing.T) {
	// Three TLVs, the second indefinite; then a truncated one.
	in := unhex(t, "02 01 07  30 80 04 01 aa 00 00  81 02 91 21  04 03 01")
	r := NewReader(in)
	var tags []uint32
	for tlv, ok := r.Next(); ok; tlv, ok = r.Next() {
		tags = append(tags, tlv.Tag)
	}
	if len(tags) != 3 || tags[0] != 2 || tags[1] != 16 || tags[2] != 1 {
		t.Fatalf("tags %v", tags)
	}
	if r.Err() != ErrTruncated || r.Len() != 0 {
		t.Fatalf("err %v len %d", r.Err(), r.Len())
	}
	if _, ok := r.Next(); ok {
		t.Fatal("Next after an error")
	}
	var zero Reader
	if _, ok := zero.Next(); ok || zero.Err() != nil {
		t.Fatal("zero Reader not empty")
	}
	// Children of an indefinite value exclude its end-of-contents.
	seq, _ := Parse(unhex(t, "30 80 04 01 aa 05 00 00 00"))
	ch := seq.Children()
	n := 0
	for _, ok := ch.Next(); ok; _, ok = ch.Next() {
		n++
	}
	if n != 2 || ch.Err() != nil {
		t.Fatalf("%d children, %v", n, ch.Err())
	}
}

// TestValues checks the content helpers (X.690 §8.2 BOOLEAN, §8.3
// INTEGER, §8.4 ENUMERATED, §8.8 NULL, §8.19 OBJECT IDENTIFIER).
func TestValues(t *testing.T) {
	ints := []struct {
		in   string
		want int64
		err  error
	}{
		{"02 01 00", 0, nil},
		{"02 01 7f", 127, nil},
		{"02 01 80", -128, nil},
		{"02 01 d7", -41, nil}, // the invoke id of map_timkam_test_unknown_tcap_tag
		{"02 02 00 80", 128, nil},
		{"02 02 ff 7f", -129, nil},
		{"0a 01 02", 2, nil},
		{"02 03 00 00 05", 5, nil}, // redundant leading octets accepted
		{"02 08 7f ff ff ff ff ff ff ff", 1<<63 - 1, nil},
		{"02 08 80 00 00 00 00 00 00 00", -1 << 63, nil},
		{"02 09 00 00 00 00 00 00 00 00 01", 0, ErrIntLength},
		{"02 00", 0, ErrIntLength},
		{"22 03 02 01 01", 0, ErrConstructed},
	}
	for _, c := range ints {
		tlv, err := Parse(unhex(t, c.in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := tlv.Int()
		if err != c.err || got != c.want {
			t.Errorf("Int(%s) = %d, %v; want %d, %v", c.in, got, err, c.want, c.err)
		}
	}
	b, _ := Parse(unhex(t, "01 01 ff"))
	if v, err := b.Bool(); !v || err != nil {
		t.Error("BOOLEAN ff")
	}
	b, _ = Parse(unhex(t, "01 02 00 00"))
	if _, err := b.Bool(); err != ErrBoolLength {
		t.Error("BOOLEAN length 2 accepted")
	}
	n, _ := Parse(unhex(t, "05 00"))
	if n.Null() != nil {
		t.Error("NULL refused")
	}
	n, _ = Parse(unhex(t, "05 01 00"))
	if n.Null() != ErrNullLength {
		t.Error("NULL with contents accepted")
	}
	o, _ := Parse(unhex(t, "24 03 04 01 aa"))
	if _, err := o.Octets(); err != ErrConstructed {
		t.Error("constructed OCTET STRING accepted")
	}

	oids := []struct {
		in, want string
		ok       bool
	}{
		{"00 11 86 05 01 01 01", "0.0.17.773.1.1.1", true}, // Q.773 dialogue-as-id
		{"04 00 00 01 00 01 03", "0.4.0.0.1.0.1.3", true},  // networkLocUpContext-v3
		{"2a 86 48 86 f7 0d", "1.2.840.113549", true},
		{"88 37 01", "2.999.1", true},
		{"", "", false},
		{"00 86", "", false},                         // last arc unterminated
		{"00 80 01", "", false},                      // non-minimal arc
		{"81 80 80 80 80 80 80 80 80 01", "", false}, // arc above 2^63
	}
	for _, c := range oids {
		raw := append([]byte{0x06, byte(len(unhex(t, c.in)))}, unhex(t, c.in)...)
		tlv, _ := Parse(raw)
		v, err := tlv.OID()
		if (err == nil) != c.ok {
			t.Errorf("OID(%s) err %v", c.in, err)
			continue
		}
		if c.ok {
			if got := string(AppendOID(nil, v)); got != c.want {
				t.Errorf("AppendOID(%s) = %q, want %q", c.in, got, c.want)
			}
			if !tlv.IsOID(unhex(t, c.in)) {
				t.Errorf("IsOID(%s) false", c.in)
			}
		} else if got := string(AppendOID(nil, unhex(t, c.in))); got != "<bad oid>" {
			t.Errorf("AppendOID of bad %s = %q", c.in, got)
		}
	}
}

// TestDeepIndefiniteRefused: 10,000 nested indefinite lengths are refused
// by the depth limit after a bounded number of header reads, however long
// the input.
func TestDeepIndefiniteRefused(t *testing.T) {
	const levels = 10000
	in := make([]byte, 0, 4*levels)
	for range levels {
		in = append(in, 0x30, 0x80)
	}
	for range levels {
		in = append(in, 0, 0)
	}
	r := NewReader(in)
	if _, ok := r.Next(); ok || r.Err() != ErrDepth {
		t.Fatalf("ok=%v err=%v", ok, r.Err())
	}
	if w := r.Work(); w > MaxDepth+1 {
		t.Fatalf("%d header reads to refuse %d levels (want <= %d)", w, levels, MaxDepth+1)
	}
	// MaxDepth levels inside the outermost one are still read.
	ok := append(bytes.Repeat([]byte{0x30, 0x80}, MaxDepth), bytes.Repeat([]byte{0, 0}, MaxDepth)...)
	if _, err := Parse(ok); err != nil {
		t.Fatalf("%d nested levels: %v", MaxDepth, err)
	}
	over := append(bytes.Repeat([]byte{0x30, 0x80}, MaxDepth+1), bytes.Repeat([]byte{0, 0}, MaxDepth+1)...)
	if _, err := Parse(over); err != ErrDepth {
		t.Fatalf("%d nested levels: %v", MaxDepth+1, err)
	}
}

// TestFlatLinear: a 1 MB indefinite-length SEQUENCE of small elements is
// measured with one header read per element, and reading its elements
// costs one more each: linear, never re-scanning.
func TestFlatLinear(t *testing.T) {
	const elems = 1 << 18 // 4 octets each: 1 MiB
	in := make([]byte, 0, 4*elems+4)
	in = append(in, 0x30, 0x80)
	for i := range elems {
		in = append(in, 0x02, 0x02, byte(i>>8)|0x01, byte(i))
	}
	in = append(in, 0, 0)
	r := NewReader(in)
	seq, ok := r.Next()
	if !ok {
		t.Fatal(r.Err())
	}
	if w := r.Work(); w != elems+1 {
		t.Fatalf("measuring: %d header reads for %d elements", w, elems)
	}
	ch := seq.Children()
	n := 0
	for _, ok := ch.Next(); ok; _, ok = ch.Next() {
		n++
	}
	if n != elems || ch.Err() != nil || ch.Work() != elems {
		t.Fatalf("%d elements, %d reads, %v", n, ch.Work(), ch.Err())
	}
}

// TestNestedWorkBound: a caller that descends into every level of nested
// indefinite values pays at most MaxDepth reads per header.
func TestNestedWorkBound(t *testing.T) {
	// depth levels, each holding `width` INTEGERs and the next level.
	const depth, width = MaxDepth, 1000
	var build func(d int) []byte
	build = func(d int) []byte {
		b := []byte{0x30, 0x80}
		for range width {
			b = append(b, 0x02, 0x01, 0x01)
		}
		if d > 1 {
			b = append(b, build(d-1)...)
		}
		return append(b, 0, 0)
	}
	in := build(depth)
	headers := depth * (width + 1)
	total := 0
	var walk func(b []byte)
	walk = func(b []byte) {
		r := NewReader(b)
		for tlv, ok := r.Next(); ok; tlv, ok = r.Next() {
			if tlv.Constructed {
				walk(tlv.Value)
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		total += r.Work()
	}
	walk(in)
	if total > MaxDepth*headers {
		t.Fatalf("%d header reads for %d headers", total, headers)
	}
	t.Logf("%d header reads for %d headers nested %d deep", total, headers, depth)
}
