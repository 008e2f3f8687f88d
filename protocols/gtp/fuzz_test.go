package gtp

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"breakwater/internal/fuzzcorpus"
	"breakwater/protocols/view"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzDecode/crafted_* from craftedSeeds")

const corpusDir = "testdata/fuzz/FuzzDecode"

// craftedSeeds are the hand-built seeds: every header path, every IE
// error, every reason Decode calls a message malformed. Each is committed
// as testdata/fuzz/FuzzDecode/crafted_<name>.
func craftedSeeds() map[string][]byte {
	var b Builder
	cp := func(m []byte) []byte { return append([]byte(nil), m...) }
	s := map[string][]byte{}
	s["v2_create_session_request"] = cp(createSessionV2(&b))
	s["v2_create_session_response_s11"] = cp(createSessionResponseV2(&b, false))
	s["v2_create_session_response_s8"] = cp(createSessionResponseV2(&b, true))
	csr := cp(createSessionResponseV2(&b, true))
	csr[0] |= 0x10
	cbr := cp(b.StartV2(95, true, 0x1111, 0x800001).IE(IEEBI, 0, []byte{5}).
		Group(IEBearerContext, 0).IE(IEEBI, 0, []byte{0}).IE(IEFTEID, 1, FTEID(5, 0xaaaa, pgwIP)).End().Message())
	s["v2_piggyback_csresp_cbreq"] = cat(csr, cbr)
	s["v2_piggyback_garbage"] = cat(csr, []byte{0x48, 95, 0, 40, 1, 2})
	s["v2_piggyback_short_first"] = cat([]byte{0x58, 33, 0, 2, 0, 0}, cbr)
	s["v2_trailing_no_p"] = cat(cbr, []byte{0})
	b.StartV2(32, true, 0, 1)
	for i := 0; i <= MaxDepth; i++ {
		b.Group(IEBearerContext, 0)
	}
	s["v2_nesting_over_maxdepth"] = cp(b.Message())
	s["v2_two_imsis"] = cp(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, TBCD("234150000000001")).IE(IEIMSI, 0, TBCD("310260000000002")).Message())
	s["v2_two_serving_networks"] = cp(b.StartV2(32, true, 0, 1).IE(IEServingNetwork, 0, plmn(234, 15, 2)).IE(IEServingNetwork, 0, plmn(310, 260, 3)).Message())
	s["v2_fteid_both_flags_v4_only"] = cp(b.StartV2(32, true, 0, 1).IE(IEFTEID, 0, append([]byte{0xca, 0, 0, 0, 4}, mmeIP.AsSlice()...)).Message())
	s["v2_fteid_v4_v6"] = cp(b.StartV2(34, true, 7, 1).IE(IEFTEID, 0, FTEID(6, 3, sgwIP, sgw6)).Message())
	s["v2_imsi_bad_tbcd"] = cp(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, []byte{0x32, 0x54, 0xa6, 0x11, 0x11, 0x11, 0x11, 0xf1}).Message())
	s["v2_echo_no_teid"] = cp(b.StartV2(1, false, 0, 0x102030).IE(IERecovery, 0, []byte{4}).Message())
	s["v2_mp_flag"] = []byte{0x4c, 34, 0, 8, 0, 0, 0, 1, 0, 0, 9, 0xb0}
	s["v2_ie_truncated"] = cp(b.StartV2(36, true, 1, 1).Raw([]byte{IECause, 0, 6, 0, 16}).Message())
	s["v1_create_pdp_request"] = cp(createPDPV1(&b))
	s["v1_create_pdp_response"] = cp(createPDPResponseV1(&b))
	s["v1_ext_header_chain"] = v1Hdr(0x36, 1, 0, 0, 3, 0, 0x40, 1, 0, 0, 0x20, 2, 1, 2, 3, 4, 5, 6, 0)
	s["v1_ext_header_zero_length"] = v1Hdr(0x34, 16, 0, 0, 0, 0, 0x40, 0, 0, 0, 0)
	s["v1_ext_header_type_list"] = cp(b.StartV1(31, 0, 7).Raw([]byte{141, 2, 0x40, 0xc0}).Message())
	s["v1_descending_order"] = cp(b.StartV1(16, 0, 1).TV(V1IETEIDControl, []byte{0, 0, 0, 1}).TV(V1IEIMSI, TBCD("2341500000000001")).Message())
	s["v1_unknown_tv"] = cp(b.StartV1(16, 0, 1).Raw([]byte{6, 1, 2, 3, 4}).Message())
	s["v1_teid_data_ii"] = cp(b.StartV1(18, 1, 1).TV(18, []byte{5, 0, 0, 0, 1}).TV(V1IENSAPI, []byte{5}).Message())
	s["v1_gsn_address_v6"] = cp(b.StartV1(18, 9, 1).TV(V1IETEIDControl, []byte{0, 0, 0, 5}).TLV(V1IEGSNAddress, sgw6.AsSlice()).Message())
	s["gtp_prime_v2"] = []byte{0x4e, 240, 0, 4, 0, 1, 0xf1, 0, 0, 0}
	s["gtpv0"] = v1Hdr(0x1e, 16, 0, make([]byte, 12)...)
	return s
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

func TestCorpusShape(t *testing.T) {
	seeds := fuzzcorpus.Load(t, corpusDir)
	real := 0
	for name, b := range seeds {
		if len(b) >= 2048 {
			t.Errorf("%s: %d bytes (keep seeds under 2 KB)", name, len(b))
		}
		if strings.HasPrefix(name, "real_") {
			real++
		}
	}
	if len(seeds) < 20 || real < 10 {
		t.Errorf("%d seeds, %d from captures", len(seeds), real)
	}
	readme, err := os.ReadFile("testdata/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range seeds {
		if strings.HasPrefix(name, "real_") && !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("%s: provenance missing from testdata/README.md", name)
		}
	}
}

// checkDecode is FuzzDecode's property check: Decode never panics, never
// claims more than it was given, and only a message it decoded lets the
// piggyback loop advance; the IE walkers, Reject and FrameLength agree with
// it on the same bytes.
func checkDecode(t *testing.T, b []byte) {
	var v view.Message
	rest := b
	for i := 0; ; i++ {
		n, err := Decode(rest, &v)
		if n < 0 || n > len(rest) {
			t.Fatalf("message %d: Decode returned %d of %d bytes", i, n, len(rest))
		}
		if err != nil && v.Malformed == "" {
			t.Fatalf("message %d: error %v but Malformed empty", i, err)
		}
		if err == nil {
			if n < 8 || len(v.Raw) != n || &v.Raw[0] != &rest[0] {
				t.Fatalf("message %d: n=%d raw %d", i, n, len(v.Raw))
			}
			if v.Protocol != view.GTPv1C && v.Protocol != view.GTPv2C {
				t.Fatalf("decoded protocol %v", v.Protocol)
			}
		}
		checkView(t, &v)
		if !HasPiggyback(rest) {
			break
		}
		if v.Malformed == reasonBadPiggyback || v.Malformed == reasonTrailing {
			t.Fatalf("message %d: HasPiggyback but %q", i, v.Malformed)
		}
		if n == 0 {
			t.Fatalf("message %d: HasPiggyback but Decode consumed nothing (%v)", i, err)
		}
		rest = rest[n:]
		if i > len(b)/8 {
			t.Fatalf("%d piggybacked messages in %d bytes", i, len(b))
		}
	}

	h, err := ParseHeader(b)
	if err != nil {
		return
	}
	if n, ferr := FrameLength(b); ferr != nil || n != h.Length {
		t.Fatalf("FrameLength %d %v, header %d", n, ferr, h.Length)
	}
	body := b[h.ieStart:h.Length]
	if h.Version == 2 {
		walkV2(t, body, 0)
	} else {
		it := NewV1IEs(body)
		last := -1
		for ie, ok := it.Next(); ok; ie, ok = it.Next() {
			if int(ie.Type) < last {
				t.Fatal("V1IEs out of order")
			}
			last = int(ie.Type)
		}
	}
	var r Builder
	if resp, ok := r.Reject(b, 1); ok {
		var rv view.Message
		if n, err := Decode(resp, &rv); err != nil || n != len(resp) || rv.Malformed != "" || rv.Request {
			t.Fatalf("Reject built a response Decode reads as %v %q", err, rv.Malformed)
		}
	}
}

func walkV2(t *testing.T, b []byte, depth int) {
	if depth > MaxDepth+2 {
		return
	}
	it := NewV2IEs(b)
	for ie, ok := it.Next(); ok; ie, ok = it.Next() {
		if len(ie.Value) > len(b) {
			t.Fatal("IE longer than its container")
		}
		if groupedV2(ie.Type) {
			walkV2(t, ie.Value, depth+1)
		}
	}
}

// checkView checks what every decoded view must satisfy.
func checkView(t *testing.T, v *view.Message) {
	if a := v.SenderAddrs[0]; a.IsValid() && !a.Is4() {
		t.Fatalf("SenderAddrs[0] %v", a)
	}
	if a := v.SenderAddrs[1]; a.IsValid() && !a.Is6() {
		t.Fatalf("SenderAddrs[1] %v", a)
	}
	if n := v.IMSI.Len(); n != 0 && (n < 6 || n > 15) {
		t.Fatalf("IMSI of %d digits", n)
	}
	if v.VisitedPLMN.MNCLen != 0 && v.VisitedPLMN.MNCLen != 2 && v.VisitedPLMN.MNCLen != 3 {
		t.Fatalf("PLMN %+v", v.VisitedPLMN)
	}
	if v.Malformed != "" && v.Protocol == view.ProtoUnknown && (v.Op != "" || v.Code != 0) {
		t.Fatalf("non-GTP with op %q", v.Op)
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range craftedSeeds() {
		f.Add(b)
	}
	f.Fuzz(checkDecode)
}

func FuzzParseHeader(f *testing.F) {
	for _, b := range craftedSeeds() {
		f.Add(b)
		if len(b) > 16 {
			f.Add(b[:16])
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x36, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0x40, 1, 0, 0, 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		k := Classify(b)
		if err != nil {
			if err == ErrVersion && (k == KindV1 || k == KindV2) {
				t.Fatalf("Classify %v but ErrVersion", k)
			}
			return
		}
		if h.Version != 1 && h.Version != 2 {
			t.Fatalf("version %d", h.Version)
		}
		if k != KindV1 && k != KindV2 && !(k == KindPrime && h.Version == 2) {
			t.Fatalf("parsed but Classify %v", k)
		}
		min := 8
		if h.Version == 2 && h.TEIDPresent {
			min = 12
		}
		if h.Length < min || h.ieStart < min || h.ieStart > h.Length || h.Length > len(b) {
			t.Fatalf("length %d IEs at %d datagram %d", h.Length, h.ieStart, len(b))
		}
		if h.Version == 1 && (!h.TEIDPresent || h.Piggyback || h.Sequence > 0xffff) {
			t.Fatalf("v1 header %+v", h)
		}
		if h.Version == 2 && (!h.SeqPresent || h.Sequence > 0xffffff) {
			t.Fatalf("v2 header %+v", h)
		}
		if n, err := FrameLength(b); err != nil || n != h.Length {
			t.Fatalf("FrameLength %d %v, header %d", n, err, h.Length)
		}
	})
}

// TestDecodeAllocatesNothing runs Decode (and the piggyback loop, the IE
// walkers and Classify) over every seed, the broken ones included.
func TestDecodeAllocatesNothing(t *testing.T) {
	seeds := fuzzcorpus.Load(t, corpusDir)
	names := make([]string, 0, len(seeds))
	for n := range seeds {
		names = append(names, n)
	}
	slices.Sort(names)
	var v view.Message
	for _, name := range names {
		b := seeds[name]
		allocs := testing.AllocsPerRun(50, func() {
			rest := b
			for {
				n, err := Decode(rest, &v)
				if err != nil || n == 0 || !HasPiggyback(rest) {
					break
				}
				rest = rest[n:]
			}
			Classify(b)
			if h, err := ParseHeader(b); err == nil {
				if h.Version == 2 {
					it := NewV2IEs(b[h.ieStart:h.Length])
					for _, ok := it.Next(); ok; _, ok = it.Next() {
					}
				} else {
					it := NewV1IEs(b[h.ieStart:h.Length])
					for _, ok := it.Next(); ok; _, ok = it.Next() {
					}
				}
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations", name, allocs)
		}
	}
}

// TestCorpusProperties runs the fuzz property over the committed seeds and
// every prefix of each (a truncated datagram is the commonest damage).
func TestCorpusProperties(t *testing.T) {
	for name, b := range fuzzcorpus.Load(t, corpusDir) {
		t.Run(name, func(t *testing.T) {
			for i := 0; i <= len(b); i++ {
				checkDecode(t, b[:i])
			}
		})
	}
}
