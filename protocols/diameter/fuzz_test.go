package diameter

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"breakwater/protocols/view"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the crafted_* files of testdata/fuzz/FuzzParse")

// craftedSeeds are the hand-made seeds committed to testdata as crafted_*
// files, with the error Parse must give them.
func craftedSeeds() map[string]struct {
	b   []byte
	err error
} {
	type seed = struct {
		b   []byte
		err error
	}
	ulr := s6aULR()
	subType := rawAVP(AVPSubscriptionIDType, mand, 0, -1, u32(SubscriptionIDIMSI), true)
	return map[string]seed{
		"crafted_valid_ULR":                  {ulr, nil},
		"crafted_valid_IDR_location":         {s6aIDR(0x1c), nil},
		"crafted_valid_UDR_location":         {shUDR(14, 15), nil},
		"crafted_valid_Gx_CCR":               {gxCCR(), nil},
		"crafted_valid_Cx_MAR":               {cxMAR(), nil},
		"crafted_valid_AIA_experimental":     {s6aAIAUnknown(), nil},
		"crafted_valid_max_depth":            {nested(MaxDepth), nil},
		"crafted_too_deep":                   {nested(MaxDepth + 1), ErrDepth},
		"crafted_truncated":                  {ulr[:len(ulr)/2], ErrTruncated},
		"crafted_trailing":                   {cat(ulr, []byte{0, 0, 0, 0}), ErrTrailing},
		"crafted_E_bit_request":              {patch(ulr, 4, FlagRequest|FlagError), ErrErrorRequest},
		"crafted_vendor_AVP_length_8":        {withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d, rawAVP(AVPVisitedPLMNID, mand|AVPFlagVendor, Vendor3GPP, 8, plmn00101, true)), ErrAVPLength},
		"crafted_subscription_id_no_padding": {brokenGroup(AVPSubscriptionID, 0, cat(subType, rawAVP(AVPSubscriptionIDData, mand, 0, -1, []byte(testIMSI), false))), ErrGrouped},
		"crafted_experimental_result_short":  {brokenGroup(AVPExperimentalResult, 0, u32(5001)), ErrGrouped},
		"crafted_failed_avp_broken_inside":   {withBody(0, CmdUpdateLocation, AppS6aS6d, cat(rawAVP(AVPResultCode, mand, 0, -1, u32(5014), true), rawAVP(avpFailedAVP, mand, 0, -1, rawAVP(AVPUserName, mand, 0, 200, []byte("x"), true), true))), nil},
		"crafted_decode_dup_origin_realm":    {request(CmdUpdateLocation, AppS6aS6d, func(b *Builder) { head(b, "s;1"); b.String(AVPOriginRealm, 0, mand, "evil.example.net") }), nil},
		"crafted_decode_app_mismatch":        {request(CmdUpdateLocation, AppS6aS6d, func(b *Builder) { b.Uint32(AVPAuthApplicationID, 0, mand, AppSh) }), nil},
		"crafted_decode_two_imsis": {request(CmdCreditControl, AppGx, func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			subscriptionID(b, SubscriptionIDIMSI, testIMSI2)
		}), nil},
		"crafted_header_only":                  {withBody(FlagRequest, CmdDeviceWatchdog, 0, nil), nil},
		"crafted_short":                        {ulr[:HeaderLen-1], ErrShort},
		"crafted_vendor_bit_vendor_zero_avp":   {withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d, rawAVP(AVPUserName, mand|AVPFlagVendor, 0, -1, []byte(testIMSI), true)), nil},
		"crafted_grouped_unknown_vendor_bytes": {withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d, rawAVP(avpSubscriptionData, mand|AVPFlagVendor, 9, -1, []byte{1, 2, 3, 4, 5}, true)), nil},
	}
}

// TestCraftedCorpus keeps the committed crafted seeds identical to what the
// code above builds (run with -update-corpus after changing them) and
// checks the error each one is there to exercise.
func TestCraftedCorpus(t *testing.T) {
	seeds := craftedSeeds()
	if *updateCorpus {
		for name, s := range seeds {
			data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.b)
			if err := os.WriteFile(filepath.Join(corpusDir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files := corpus(t, "crafted_")
	for name, s := range seeds {
		got, ok := files[name]
		if !ok {
			t.Errorf("%s is not committed; run go test -run TestCraftedCorpus -update-corpus", name)
			continue
		}
		if !bytes.Equal(got, s.b) {
			t.Errorf("%s differs from the code that builds it; run with -update-corpus", name)
		}
		if _, err := Parse(s.b); err != s.err {
			t.Errorf("%s: Parse err = %v, want %v", name, err, s.err)
		}
	}
	for name := range files {
		if _, ok := seeds[name]; !ok {
			t.Errorf("%s is committed but no longer built", name)
		}
	}
}

// realOps are the decoded essentials of the committed real captures.
var realOps = map[string]struct {
	op, imsi, msisdn, plmn string
	rc                     uint32
}{
	"real_Accounting_ACR_arkime":     {op: "ACR"},
	"real_Base_CEA_arkime":           {op: "CEA", rc: 2001},
	"real_Base_CEA_pypacker":         {op: "CEA", rc: 2001},
	"real_Base_CER_arkime":           {op: "CER"},
	"real_Base_DPR_open5gs":          {op: "DPR"},
	"real_Base_DWA_magma":            {op: "DWA", rc: 2001},
	"real_Base_DWR_magma":            {op: "DWR"},
	"real_Cx_LIR_open5gs":            {op: "LIR"},
	"real_Cx_MAR_open5gs":            {op: "MAR", imsi: "001011234567895"},
	"real_Cx_SAR_open5gs":            {op: "SAR", imsi: "001011234567895"},
	"real_Cx_UAA_open5gs":            {op: "UAA", rc: 2001},
	"real_Gx_CCA_magma":              {op: "CCA", rc: 2001},
	"real_Gx_CCR_magma":              {op: "CCR", imsi: "999991234567810"},
	"real_Gx_CCR_magma_subscription": {op: "CCR", imsi: "999991234567810", msisdn: "1234567810"},
	"real_Gy_CCA_magma":              {op: "CCA", rc: 2001},
	"real_Gy_CCR_magma":              {op: "CCR", imsi: "999991234567810", msisdn: "1234567810"},
	"real_Gy_CCR_ndpi":               {op: "CCR", msisdn: "919080000016"},
	"real_Rx_AAR_open5gs":            {op: "AAR"}, // its 16-digit "IMSI" is not one
	"real_Rx_STR_open5gs":            {op: "STR"},
	"real_S6a_AIA_magma":             {op: "AIA", rc: 2001},
	"real_S6a_AIR_magma":             {op: "AIR", imsi: "999991234567810", plmn: "00101"},
	"real_S6a_PUA_magma":             {op: "PUA", rc: 2001},
	"real_S6a_PUR_magma":             {op: "PUR", imsi: "999991234567825"},
	"real_S6a_ULA_magma":             {op: "ULA", rc: 2001},
	"real_S6a_ULR_arkime":            {op: "ULR", imsi: "310260123456789"},
	"real_S6a_ULR_magma":             {op: "ULR", imsi: "999991234567820", plmn: "00101"},
}

// TestRealCaptures decodes the Diameter messages taken from public captures
// (see testdata/README.md).
func TestRealCaptures(t *testing.T) {
	files := corpus(t, "real_")
	if len(files) != len(realOps) {
		t.Errorf("%d real_ files, %d expectations", len(files), len(realOps))
	}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			w, ok := realOps[name]
			if !ok {
				t.Fatal("no expectation")
			}
			if len(b) >= 2048 {
				t.Errorf("%d bytes; keep committed seeds small", len(b))
			}
			var v view.Message
			if err := Decode(b, &v); err != nil {
				t.Fatal(err)
			}
			app := strings.Split(name, "_")[1]
			if AppName(v.App) != app || v.Op != w.op || v.IMSI.String() != w.imsi || v.MSISDN.String() != w.msisdn ||
				v.VisitedPLMN.String() != w.plmn || v.ResultCode != w.rc || v.Malformed != "" || v.IdentityConflict || v.Flags != 0 {
				t.Errorf("Decode: app %s op %s imsi %q msisdn %q plmn %q rc %d malformed %q conflict %v flags %#x; want %s %+v",
					AppName(v.App), v.Op, v.IMSI.String(), v.MSISDN.String(), v.VisitedPLMN.String(), v.ResultCode,
					v.Malformed, v.IdentityConflict, v.Flags, app, w)
			}
			if len(v.OriginHost) == 0 || len(v.OriginRealm) == 0 {
				t.Error("no Origin-Host/Realm")
			}
		})
	}
}

var knownErrors = []error{ErrShort, ErrVersion, ErrLength, ErrTruncated, ErrTrailing, ErrErrorRequest,
	ErrAVPHeader, ErrAVPLength, ErrDepth, ErrGrouped}

var knownReasons = []string{"", reasonDupOriginHost, reasonDupOriginRealm, reasonDupDestHost, reasonDupDestRealm,
	reasonDupVisited, reasonBadVisited, reasonBadIMSI, reasonBadMSISDN, reasonBadResult, reasonBadUnsigned32}

// within reports whether s is empty or lies inside b.
func within(b, s []byte) bool {
	if len(s) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(b))
}

// walk iterates over every AVP of it and, recursively, inside every AVP as
// if it were grouped. strict marks containers Parse has validated (the
// body and the known grouped AVPs within MaxDepth): those must iterate to
// a clean end. It returns the number of AVPs seen.
func walk(t *testing.T, it AVPs, depth int, strict bool) int {
	n := 0
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		n++
		if a.Flags&AVPFlagVendor == 0 && a.Vendor != 0 {
			t.Fatalf("AVP %d has vendor %d without the V bit", a.Code, a.Vendor)
		}
		if cap(a.Data) != len(a.Data) {
			t.Fatalf("AVP %d data can reach past its end", a.Code)
		}
		known := strict && isGrouped(a.Code, a.Vendor)
		if known && depth+1 > MaxDepth {
			t.Fatalf("Parse accepted a grouped AVP at depth %d > MaxDepth", depth+1)
		}
		if known || depth < 2*MaxDepth {
			n += walk(t, a.Grouped(), depth+1, known)
		}
	}
	if strict && it.Err() != nil {
		t.Fatalf("validated container at depth %d fails to iterate: %v", depth, it.Err())
	}
	return n
}

// reencode rebuilds b from its parsed header and top-level AVPs with
// Builder, and returns it with the same padding bytes as b's so that the two
// compare equal when the encoding round-trips. ok is false when b cannot be
// reproduced by Builder (a V bit with vendor 0).
func reencode(m *Message) (out []byte, ok bool) {
	b := m.Bytes()
	var bl Builder
	bl.Start(m.Flags, m.Code, m.AppID, m.HopByHop, m.EndToEnd)
	it := m.AVPs()
	off := HeaderLen
	var pads [][2]int
	for a, more := it.Next(); more; a, more = it.Next() {
		if (a.Flags&AVPFlagVendor != 0) != (a.Vendor != 0) {
			return nil, false
		}
		bl.Bytes(a.Code, a.Vendor, a.Flags, a.Data)
		hdr := 8
		if a.Vendor != 0 {
			hdr = 12
		}
		end := off + hdr + len(a.Data)
		pads = append(pads, [2]int{end, (end + 3) &^ 3})
		off = (end + 3) &^ 3
	}
	out = append([]byte(nil), bl.Message()...)
	if len(out) != len(b) {
		return out, true
	}
	out[0] = b[0] // the version is not the Builder's to choose
	for _, p := range pads {
		copy(out[p[0]:p[1]], b[p[0]:p[1]])
	}
	return out, true
}

func fuzzSeeds() [][]byte {
	var seeds [][]byte
	for _, s := range craftedSeeds() {
		seeds = append(seeds, s.b)
	}
	seeds = append(seeds,
		s6aAIR(), s6aPUR(), s6aNOR(), s6aIDR(-1), s6aCLR(), s6aDSR(), s6aRSR(), s6aULA(), cer(), dwr(),
		nested(4*MaxDepth), []byte{}, []byte{1, 0, 0, 20})
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := slices.Clone(b)
		m, err := Parse(b)
		var v view.Message
		derr := Decode(b, &v)
		if derr != err {
			t.Fatalf("Decode err %v, Parse err %v", derr, err)
		}
		if v.Protocol != view.Diameter || !bytes.Equal(v.Raw, b) {
			t.Fatal("Decode did not record protocol and raw bytes")
		}
		if !bytes.Equal(b, orig) {
			t.Fatal("Parse or Decode wrote to the input")
		}
		h, herr := ParseHeader(b)
		if herr == nil && (h != m.Header || v.Code != h.Code || v.App != h.AppID || v.Request != h.IsRequest() ||
			v.Op != OpName(h.Code, h.IsRequest()) || v.Transaction != uint64(h.EndToEnd)<<32|uint64(h.HopByHop)) {
			t.Fatalf("header %+v, Message %+v, view %+v", h, m.Header, v)
		}
		if err != nil {
			if !slices.Contains(knownErrors, err) {
				t.Fatalf("unexpected error %v", err)
			}
			if v.Malformed != err.Error() || m.Bytes() != nil {
				t.Fatalf("failed Parse: Malformed %q, Bytes %d", v.Malformed, len(m.Bytes()))
			}
			if herr != nil && herr != err {
				t.Fatalf("ParseHeader err %v, Parse err %v", herr, err)
			}
			// Walking the raw body of a message that failed must not
			// panic either (callers may inspect broken messages).
			if len(b) > HeaderLen {
				walk(t, NewAVPs(b[HeaderLen:]), 0, false)
			}
			return
		}

		// The message parsed.
		if int(m.Length) != len(b) || &m.Bytes()[0] != &b[0] || len(m.Bytes()) != len(b) {
			t.Fatalf("Length %d, Bytes %d, input %d", m.Length, len(m.Bytes()), len(b))
		}
		if n, ferr := FrameLength(b, 0); n != len(b) || ferr != nil {
			t.Fatalf("FrameLength = %d, %v", n, ferr)
		}
		if n, ferr := Framer(len(b))(b); n != len(b) || ferr != nil {
			t.Fatalf("Framer = %d, %v", n, ferr)
		}
		if _, terr := Parse(append(slices.Clip(b), 0, 0, 0, 0)); terr != ErrTrailing {
			t.Fatalf("with 4 more bytes: %v", terr)
		}
		if len(b) > HeaderLen {
			if _, terr := Parse(b[:len(b)-4]); terr != ErrTruncated {
				t.Fatalf("4 bytes short: %v", terr)
			}
		}
		walk(t, m.AVPs(), 0, true)
		if re, ok := reencode(&m); ok && !bytes.Equal(re, b) {
			t.Fatalf("re-encoding differs:\n% x\n% x", re, b)
		}
		for _, k := range []uint32{AVPUserName, AVPSessionID, AVPOriginHost} {
			a, n := m.Find(k, 0)
			if (n == 0) != (a.Data == nil && a.Code == 0) {
				t.Fatalf("Find(%d) = %+v, %d", k, a, n)
			}
		}
		m.FindPath(AVPKey(AVPExperimentalResult, 0), AVPKey(AVPExperimentalResultCode, 0))
		m.FindPath(AVPKey(AVPSubscriptionID, 0), AVPKey(AVPSubscriptionIDData, 0))

		// Decode's view.
		if !slices.Contains(knownReasons, v.Malformed) {
			t.Fatalf("unknown Malformed reason %q", v.Malformed)
		}
		if v.Flags&^(view.FlagLocationRequest|view.FlagStateRequest|view.FlagAppMismatch) != 0 {
			t.Fatalf("unknown flags %#x", v.Flags)
		}
		for _, s := range [][]byte{v.OriginHost, v.OriginRealm, v.DestHost, v.DestRealm} {
			if !within(b, s) {
				t.Fatal("a view field does not alias the message")
			}
		}
		if v.IMSI.Len() > view.MaxDigits || v.MSISDN.Len() > view.MaxDigits {
			t.Fatal("identity too long")
		}
		var again view.Message
		_ = Decode(b, &again)
		if !reflect.DeepEqual(v, again) {
			t.Fatal("Decode is not deterministic")
		}
	})
}
