package gtp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// v1Hdr builds a GTPv1 header: flags, type, TEID; the length field counts
// everything after the first 8 octets (optional part, extension headers,
// IEs), given as rest.
func v1Hdr(flags, typ uint8, teid uint32, rest ...byte) []byte {
	b := []byte{flags, typ, 0, 0}
	b = binary.BigEndian.AppendUint32(b, teid)
	b = append(b, rest...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)-8))
	return b
}

// v2Hdr builds a GTPv2 header with the length field covering rest.
func v2Hdr(flags, typ uint8, teid uint32, seq uint32, rest ...byte) []byte {
	b := []byte{flags, typ, 0, 0}
	if flags&0x08 != 0 {
		b = binary.BigEndian.AppendUint32(b, teid)
	}
	b = append(b, byte(seq>>16), byte(seq>>8), byte(seq), 0)
	b = append(b, rest...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)-4))
	return b
}

// withLength overwrites the length field.
func withLength(b []byte, l uint16) []byte {
	b = append([]byte(nil), b...)
	binary.BigEndian.PutUint16(b[2:], l)
	return b
}

func TestParseHeader(t *testing.T) {
	imsiTV := append([]byte{V1IEIMSI}, TBCD("2620100000000011")...)
	extChain := func(n int) []byte {
		// n extension headers of 4 octets each: length 1, two content
		// octets, next type (0 after the last).
		var b []byte
		for i := 0; i < n; i++ {
			next := byte(0x40)
			if i == n-1 {
				next = 0
			}
			b = append(b, 1, 0xaa, 0xbb, next)
		}
		return b
	}
	type want struct {
		err         error
		version     uint8
		typ         uint8
		length      int
		teid        uint32
		teidPresent bool
		seq         uint32
		seqPresent  bool
		piggyback   bool
		ieStart     int
	}
	cases := []struct {
		name string
		b    []byte
		want want
	}{
		// GTPv1: the mandatory 8 octets, then 4 optional ones if E, S or PN.
		{"v1 no optional part", v1Hdr(0x30, 1, 0x01020304),
			want{nil, 1, 1, 8, 0x01020304, true, 0, false, false, 8}},
		{"v1 S", v1Hdr(0x32, 16, 0, 0x12, 0x34, 0, 0),
			want{nil, 1, 16, 12, 0, true, 0x1234, true, false, 12}},
		{"v1 S with IEs", v1Hdr(0x32, 16, 7, append([]byte{0, 9, 0, 0}, imsiTV...)...),
			want{nil, 1, 16, 21, 7, true, 9, true, false, 12}},
		{"v1 PN only: sequence field present, not flagged", v1Hdr(0x31, 16, 0, 0, 5, 0x77, 0),
			want{nil, 1, 16, 12, 0, true, 5, false, false, 12}},
		{"v1 spare bit 4 ignored", v1Hdr(0x3a, 1, 0, 0, 1, 0, 0),
			want{nil, 1, 1, 12, 0, true, 1, true, false, 12}},
		{"v1 E+S one extension header", v1Hdr(0x36, 16, 0, append([]byte{0, 2, 0, 0xc0}, extChain(1)...)...),
			want{nil, 1, 16, 16, 0, true, 2, true, false, 16}},
		{"v1 E two-header chain, second 8 octets", v1Hdr(0x36, 16, 0, 0, 3, 0, 0x40, 1, 0, 0, 0x20, 2, 1, 2, 3, 4, 5, 6, 0),
			want{nil, 1, 16, 24, 0, true, 3, true, false, 24}},
		{"v1 E 16 headers (the most)", v1Hdr(0x36, 16, 0, append([]byte{0, 4, 0, 0x40}, extChain(16)...)...),
			want{nil, 1, 16, 12 + 64, 0, true, 4, true, false, 12 + 64}},
		{"v1 E 17 headers", v1Hdr(0x36, 16, 0, append([]byte{0, 4, 0, 0x40}, extChain(17)...)...),
			want{err: ErrExtension, version: 1, typ: 16, length: 12 + 68, teidPresent: true, seq: 4, seqPresent: true, ieStart: 12}},
		{"v1 E zero-length extension header", v1Hdr(0x34, 16, 0, 0, 0, 0, 0x40, 0, 0, 0, 0),
			want{err: ErrExtension, version: 1, typ: 16, length: 16, teidPresent: true, ieStart: 12}},
		{"v1 E extension header beyond the length", v1Hdr(0x34, 16, 0, 0, 0, 0, 0x40, 2, 0, 0, 0),
			want{err: ErrExtension, version: 1, typ: 16, length: 16, teidPresent: true, ieStart: 12}},
		{"v1 E next type but no room left", v1Hdr(0x34, 16, 0, 0, 0, 0, 0x40),
			want{err: ErrExtension, version: 1, typ: 16, length: 12, teidPresent: true, ieStart: 12}},
		{"v1 E chain runs past the length into trailing bytes", append(v1Hdr(0x34, 16, 0, 0, 0, 0, 0x40), 1, 0, 0, 0),
			want{err: ErrExtension, version: 1, typ: 16, length: 12, teidPresent: true, ieStart: 12}},
		{"v1 S but length field too small for the optional part", withLength(v1Hdr(0x32, 1, 0, 0, 1, 0, 0), 2),
			want{err: ErrLength, version: 1, typ: 1, length: 10, teidPresent: true, ieStart: 8}},
		{"v1 length beyond the datagram", withLength(v1Hdr(0x32, 1, 0, 0, 1, 0, 0), 5),
			want{err: ErrLength, version: 1, typ: 1, length: 13, teidPresent: true, ieStart: 8}},
		{"v1 trailing bytes are not the header's business", append(v1Hdr(0x32, 2, 0, 0, 1, 0, 0), 0xde, 0xad),
			want{nil, 1, 2, 12, 0, true, 1, true, false, 12}},
		{"v1 7 octets", []byte{0x32, 1, 0, 4, 0, 0, 0}, want{err: ErrShort, version: 1}},

		// GTPv2: TEID when T; P and MP flags; spare bits ignored.
		{"v2 with TEID", v2Hdr(0x48, 32, 0xdeadbeef, 0xabcdef),
			want{nil, 2, 32, 12, 0xdeadbeef, true, 0xabcdef, true, false, 12}},
		{"v2 without TEID", v2Hdr(0x40, 1, 0, 0x000102, 3, 0, 1, 0, 7),
			want{nil, 2, 1, 13, 0, false, 0x102, true, false, 8}},
		{"v2 P flag", v2Hdr(0x58, 33, 1, 2),
			want{nil, 2, 33, 12, 1, true, 2, true, true, 12}},
		{"v2 MP flag: priority in the spare octet", append(v2Hdr(0x4c, 34, 5, 0x0a0b0c)[:11], 0xa0),
			want{nil, 2, 34, 12, 5, true, 0x0a0b0c, true, false, 12}},
		{"v2 spare bits 2-1 set (ignored)", v2Hdr(0x4b, 34, 5, 6),
			want{nil, 2, 34, 12, 5, true, 6, true, false, 12}},
		{"v2 sequence is 24 bits", v2Hdr(0x48, 36, 0, 0xffffff),
			want{nil, 2, 36, 12, 0, true, 0xffffff, true, false, 12}},
		{"v2 7 octets", []byte{0x48, 32, 0, 3, 0, 0, 0}, want{err: ErrShort, version: 2}},
		{"v2 T but 11 octets", []byte{0x48, 32, 0, 7, 0, 0, 0, 1, 0, 0, 1}, want{err: ErrShort, version: 2, typ: 32, length: 11, teidPresent: true}},
		{"v2 length shorter than its header (T)", withLength(v2Hdr(0x48, 32, 1, 2), 4),
			want{err: ErrLength, version: 2, typ: 32, length: 8, teid: 1, teidPresent: true, seq: 2, seqPresent: true, ieStart: 12}},
		{"v2 length shorter than its header (no T)", withLength(v2Hdr(0x40, 1, 0, 2), 3),
			want{err: ErrLength, version: 2, typ: 1, length: 7, seq: 2, seqPresent: true, ieStart: 8}},
		{"v2 length beyond the datagram", withLength(v2Hdr(0x48, 32, 1, 2), 9),
			want{err: ErrLength, version: 2, typ: 32, length: 13, teid: 1, teidPresent: true, seq: 2, seqPresent: true, ieStart: 12}},
		{"v2 length 0xffff", withLength(v2Hdr(0x48, 32, 1, 2), 0xffff),
			want{err: ErrLength, version: 2, typ: 32, length: 0xffff + 4, teid: 1, teidPresent: true, seq: 2, seqPresent: true, ieStart: 12}},
		{"v2 trailing bytes (piggyback or garbage) allowed", append(v2Hdr(0x48, 33, 1, 2), 1, 2, 3),
			want{nil, 2, 33, 12, 1, true, 2, true, false, 12}},

		// Neither: refused with the version found.
		{"empty", nil, want{err: ErrShort}},
		{"GTPv0", v1Hdr(0x1e, 16, 0, make([]byte, 12)...), want{err: ErrVersion, version: 0}},
		{"GTP' v0", v1Hdr(0x0e, 240, 0), want{err: ErrVersion, version: 0}},
		{"GTP' v1", v1Hdr(0x2e, 240, 0), want{err: ErrVersion, version: 1}},
		{"version 3", v1Hdr(0x70, 1, 0), want{err: ErrVersion, version: 3}},
		{"version 7", v1Hdr(0xf0, 1, 0), want{err: ErrVersion, version: 7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := ParseHeader(c.b)
			if !errors.Is(err, c.want.err) {
				t.Fatalf("err %v, want %v", err, c.want.err)
			}
			got := want{err, h.Version, h.Type, h.Length, h.TEID, h.TEIDPresent, h.Sequence, h.SeqPresent, h.Piggyback, h.ieStart}
			if got != c.want {
				t.Fatalf("\n got %+v\nwant %+v", got, c.want)
			}
			if err == nil && (h.Length > len(c.b) || h.ieStart > h.Length) {
				t.Fatalf("length %d, IEs at %d, datagram %d", h.Length, h.ieStart, len(c.b))
			}
		})
	}
}

// TestClassifyAndParseHeaderAgree walks every first octet: what Classify
// calls GTPv1 or GTPv2 ParseHeader reads, and what it calls GTPv0 or GTP'
// ParseHeader refuses, except a version-2 octet with spare bits set, which
// ParseHeader reads as GTPv2-C (spare bits are ignored) and only a
// receiver on port 3386 calls GTP'.
func TestClassifyAndParseHeaderAgree(t *testing.T) {
	for first := 0; first < 256; first++ {
		b := make([]byte, 16)
		b[0], b[1], b[3] = byte(first), 1, 8
		if first>>5 == 2 {
			b[3] = 4 // v2 length counts from octet 5
			if first&0x08 != 0 {
				b[3] = 8
			}
		}
		_, err := ParseHeader(b)
		k := Classify(b)
		switch {
		case k == KindV1 || k == KindV2:
			if err != nil {
				t.Errorf("%#02x: Classify %v but ParseHeader %v", first, k, err)
			}
		case k == KindPrime && first>>5 == 2:
			if err != nil || first&0x03 == 0 {
				t.Errorf("%#02x: GTP' v2 octet: ParseHeader %v", first, err)
			}
		default:
			if err != ErrVersion {
				t.Errorf("%#02x: Classify %v but ParseHeader %v", first, k, err)
			}
		}
	}
}

func TestClassifyTable(t *testing.T) {
	cases := []struct {
		first byte
		want  Kind
		why   string
	}{
		{0x1e, KindV0, "GTPv0 (version 0, PT 1, spare 111, SNN 0)"},
		{0x10, KindV0, "GTPv0, spare bits clear"},
		{0x0e, KindPrime, "GTP' v0, 20-octet header"},
		{0x0f, KindPrime, "GTP' v0, 6-octet header bit"},
		{0x2e, KindPrime, "GTP' v1 (PT 0)"},
		{0x20, KindPrime, "version 1, PT 0"},
		{0x4e, KindPrime, "GTP' v2: spare bits 4-2 are ones"},
		{0x4f, KindPrime, "GTP' v2, header length bit"},
		{0x42, KindPrime, "version 2 with spare bit 2"},
		{0x41, KindPrime, "version 2 with spare bit 1"},
		{0x48, KindV2, "GTPv2-C with TEID"},
		{0x4c, KindV2, "GTPv2-C with TEID and message priority"},
		{0x44, KindV2, "GTPv2-C with message priority only"},
		{0x40, KindV2, "GTPv2-C without TEID (Echo)"},
		{0x58, KindV2, "GTPv2-C piggybacking"},
		{0x5c, KindV2, "GTPv2-C P, T and MP"},
		{0x30, KindV1, "GTPv1, no optional fields"},
		{0x32, KindV1, "GTPv1-C with S"},
		{0x36, KindV1, "GTPv1 with E and S"},
		{0x3f, KindV1, "GTPv1 with every flag"},
		{0x60, KindUnknown, "version 3"},
		{0xe0, KindUnknown, "version 7"},
	}
	for _, c := range cases {
		if got := Classify([]byte{c.first, 1, 0, 0}); got != c.want {
			t.Errorf("%#02x (%s): %v, want %v", c.first, c.why, got, c.want)
		}
	}
	if Classify(nil) != KindUnknown {
		t.Error("empty datagram classified")
	}
}

func TestFrameLength(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		n    int
		err  error
	}{
		{"empty", nil, 0, nil},
		{"3 octets: need more", []byte{0x48, 32, 0}, 0, nil},
		{"v2 length+4", []byte{0x48, 32, 0x01, 0x00}, 260, nil},
		{"v2 without the rest yet", []byte{0x40, 1, 0, 9, 0, 0}, 13, nil},
		{"v1 length+8", []byte{0x32, 16, 0x00, 0x10}, 24, nil},
		{"v1 maximum", []byte{0x32, 16, 0xff, 0xff}, 0xffff + 8, nil},
		{"GTPv0", []byte{0x1e, 16, 0, 20}, 0, ErrVersion},
		{"GTP' v1", []byte{0x2e, 240, 0, 20}, 0, ErrVersion},
		{"version 3", []byte{0x60, 1, 0, 4}, 0, ErrVersion},
	}
	for _, c := range cases {
		n, err := FrameLength(c.b)
		if n != c.n || err != c.err {
			t.Errorf("%s: %d %v, want %d %v", c.name, n, err, c.n, c.err)
		}
	}
	// FrameLength agrees with ParseHeader on whole messages.
	var b Builder
	csr := append([]byte(nil), createSessionV2(&b)...)
	for _, m := range [][]byte{csr, b.StartV1(16, 0, 1).TV(V1IEIMSI, TBCD("2620100000000011")).Message()} {
		n, err := FrameLength(m)
		h, herr := ParseHeader(m)
		if err != nil || herr != nil || n != h.Length || n != len(m) {
			t.Errorf("FrameLength %d %v, ParseHeader %d %v, message %d", n, err, h.Length, herr, len(m))
		}
	}
}

func TestV1IEs(t *testing.T) {
	imsi := append([]byte{V1IEIMSI}, TBCD("2620100000000011")...)
	gsn := []byte{V1IEGSNAddress, 0, 4, 192, 0, 2, 1}
	cases := []struct {
		name  string
		b     []byte
		types []uint8
		err   error
	}{
		{"empty", nil, nil, nil},
		{"TV then TLV", cat(imsi, []byte{V1IETEIDControl, 0, 0, 0, 1}, gsn), []uint8{2, 17, 133}, nil},
		{"repeated type allowed", cat(gsn, gsn), []uint8{133, 133}, nil},
		{"zero-length TLV", []byte{V1IEAPN, 0, 0}, []uint8{131}, nil},
		{"TV of unknown type", cat(imsi, []byte{6, 1, 2, 3, 4}), []uint8{2}, ErrUnknownTVIE},
		{"TV type 0", []byte{0, 1}, nil, ErrUnknownTVIE},
		{"TV truncated", imsi[:8], nil, ErrIE},
		{"TLV header truncated", []byte{V1IEAPN, 0}, nil, ErrIE},
		{"TLV value truncated", []byte{V1IEAPN, 0, 5, 'a', 'b'}, nil, ErrIE},
		{"TLV length 0xffff", []byte{V1IEAPN, 0xff, 0xff, 'a'}, nil, ErrIE},
		{"descending order", cat([]byte{V1IETEIDControl, 0, 0, 0, 1}, imsi), []uint8{17}, ErrIEOrder},
		{"TLV before TV", cat(gsn, []byte{V1IERecovery, 3}), []uint8{133}, ErrIEOrder},
		{"Private Extension last", cat(imsi, []byte{255, 0, 2, 0, 1}), []uint8{2, 255}, nil},
		// TS 29.060 §7.7.40: the Extension Header Type List's length is one octet.
		{"Extension Header Type List", []byte{141, 2, 0x40, 0xc0}, []uint8{141}, nil},
		{"Extension Header Type List then TLV", []byte{141, 1, 0x40, 255, 0, 0}, []uint8{141, 255}, nil},
		{"Extension Header Type List truncated", []byte{141, 3, 0x40}, nil, ErrIE},
		{"Extension Header Type List without length", []byte{141}, nil, ErrIE},
		{"Charging ID (type 127) is TV", []byte{127, 1, 2, 3, 4}, []uint8{127}, nil},
		{"TEID Data II is 5 octets", []byte{18, 5, 0, 0, 0, 1, 20, 5}, []uint8{18, 20}, nil},
	}
	for _, c := range cases {
		it := NewV1IEs(c.b)
		var types []uint8
		total := 0
		for ie, ok := it.Next(); ok; ie, ok = it.Next() {
			types = append(types, ie.Type)
			if cap(ie.Value) != len(ie.Value) {
				t.Errorf("%s: value capacity %d beyond its length %d", c.name, cap(ie.Value), len(ie.Value))
			}
			total += len(ie.Value)
		}
		if it.Err() != c.err || !bytes.Equal(types, c.types) {
			t.Errorf("%s: types %v err %v, want %v %v", c.name, types, it.Err(), c.types, c.err)
		}
		if _, ok := it.Next(); ok {
			t.Errorf("%s: Next after the end", c.name)
		}
		if got := walkV1(c.b); got != c.err {
			t.Errorf("%s: V1IEs walk %v", c.name, got)
		}
	}
	// Values alias the message.
	it := NewV1IEs(cat(imsi, gsn))
	it.Next()
	ie, _ := it.Next()
	if string(ie.Value) != "\xc0\x00\x02\x01" {
		t.Fatalf("GSN address value %x", ie.Value)
	}
}

func TestV2IEs(t *testing.T) {
	ie := func(typ, inst uint8, val ...byte) []byte {
		return append([]byte{typ, byte(len(val) >> 8), byte(len(val)), inst}, val...)
	}
	cases := []struct {
		name  string
		b     []byte
		types []uint8
		insts []uint8
		err   error
	}{
		{"empty", nil, nil, nil, nil},
		{"two IEs", cat(ie(1, 0, 1, 2), ie(87, 1, 0x86, 0, 0, 0, 1, 1, 2, 3, 4)), []uint8{1, 87}, []uint8{0, 1}, nil},
		{"any order", cat(ie(87, 0), ie(1, 0)), []uint8{87, 1}, []uint8{0, 0}, nil},
		{"CR and spare bits masked from the instance", ie(3, 0xf2, 9), []uint8{3}, []uint8{2}, nil},
		{"zero length", ie(3, 0), []uint8{3}, []uint8{0}, nil},
		{"header truncated", cat(ie(3, 0, 1), []byte{1, 0, 0}), []uint8{3}, []uint8{0}, ErrIE},
		{"value truncated", ie(1, 0, 1, 2, 3)[:6], nil, nil, ErrIE},
		{"length 0xffff", []byte{1, 0xff, 0xff, 0, 1}, nil, nil, ErrIE},
	}
	for _, c := range cases {
		it := NewV2IEs(c.b)
		var types, insts []uint8
		for e, ok := it.Next(); ok; e, ok = it.Next() {
			types, insts = append(types, e.Type), append(insts, e.Instance)
			if cap(e.Value) != len(e.Value) {
				t.Errorf("%s: value capacity beyond length", c.name)
			}
		}
		if it.Err() != c.err || !bytes.Equal(types, c.types) || !bytes.Equal(insts, c.insts) {
			t.Errorf("%s: %v/%v %v, want %v/%v %v", c.name, types, insts, it.Err(), c.types, c.insts, c.err)
		}
	}
}

func TestV2Grouped(t *testing.T) {
	ie := func(typ uint8, val ...byte) []byte {
		return append([]byte{typ, byte(len(val) >> 8), byte(len(val)), 0}, val...)
	}
	ebi := ie(IEEBI, 5)
	// nest wraps inner in n Bearer Contexts.
	nest := func(n int, inner []byte) []byte {
		for i := 0; i < n; i++ {
			inner = ie(IEBearerContext, inner...)
		}
		return inner
	}
	cases := []struct {
		name string
		b    []byte
		err  error
	}{
		{"flat", cat(ebi, ebi), nil},
		{"empty grouped", ie(IEBearerContext), nil},
		{"one level", nest(1, ebi), nil},
		{"MaxDepth levels", nest(MaxDepth, ebi), nil},
		{"MaxDepth empty levels", nest(MaxDepth, nil), nil},
		{"MaxDepth+1 levels", nest(MaxDepth+1, ebi), ErrDepth},
		{"MaxDepth+1 empty levels", nest(MaxDepth+1, nil), ErrDepth},
		{"mixed grouped types over MaxDepth", ie(109, ie(180, ie(181, ie(191, ie(IEBearerContext, ebi...)...)...)...)...), ErrDepth},
		{"broken inside a group", nest(2, ebi[:4]), ErrIE},
		{"broken after a good group", cat(nest(1, ebi), []byte{1, 0}), ErrIE},
		{"not grouped: contents not read", ie(IEAPN, 0xff, 0xff, 0xff, 0xff, 0xff), nil},
		{"PDN Connection group with garbage", ie(109, 1, 2, 3), ErrIE},
	}
	for _, c := range cases {
		if got := validateV2(c.b, 0); got != c.err {
			t.Errorf("%s: %v, want %v", c.name, got, c.err)
		}
	}
	// Grouped iterates one level down.
	it := NewV2IEs(nest(2, cat(ebi, ebi)))
	outer, _ := it.Next()
	in := outer.Grouped()
	mid, ok := in.Next()
	if !ok || mid.Type != IEBearerContext {
		t.Fatal("no inner bearer context")
	}
	inner := mid.Grouped()
	n := 0
	for e, ok := inner.Next(); ok; e, ok = inner.Next() {
		if e.Type != IEEBI || e.Value[0] != 5 {
			t.Fatalf("inner IE %+v", e)
		}
		n++
	}
	if n != 2 || inner.Err() != nil {
		t.Fatalf("%d inner IEs, %v", n, inner.Err())
	}
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// walkV1 walks GTPv1 IEs to the end and returns what stopped the walk.
func walkV1(b []byte) error {
	it := V1IEs{b: b}
	for _, ok := it.Next(); ok; _, ok = it.Next() {
	}
	return it.Err()
}
