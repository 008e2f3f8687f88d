package diameter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestParseHeader(t *testing.T) {
	valid := s6aULR()
	cases := []struct {
		name string
		in   []byte
		err  error
	}{
		{"empty", nil, ErrShort},
		{"19 bytes", valid[:19], ErrShort},
		{"exactly a header", withBody(FlagRequest, CmdDeviceWatchdog, 0, nil), nil},
		{"whole message", valid, nil},
		{"header of a truncated message", valid[:20], nil}, // ParseHeader looks at the header only
		{"version 0", patch(valid, 0, 0), ErrVersion},
		{"version 2", patch(valid, 0, 2), ErrVersion},
		{"length 0", setLength(valid, 0), ErrLength},
		{"length 16", setLength(valid, 16), ErrLength},
		{"length 19", setLength(valid, 19), ErrLength},
		{"length 22", setLength(valid, 22), ErrLength},
		{"length 23", setLength(valid, len(valid)-1), ErrLength},
		{"E bit on request", patch(valid, 4, FlagRequest|FlagError), ErrErrorRequest},
		{"E bit on answer", patch(valid, 4, FlagError|FlagProxiable), nil},
		{"all flags but E on request", patch(valid, 4, FlagRequest|FlagProxiable|FlagRetransmitted), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := ParseHeader(c.in)
			if err != c.err {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if len(c.in) < HeaderLen {
				if h != (Header{}) {
					t.Errorf("short input gave header %+v", h)
				}
				return
			}
			// Whatever the verdict, the fields are read as they stand.
			want := Header{
				Version:  c.in[0],
				Length:   uint32(c.in[1])<<16 | uint32(c.in[2])<<8 | uint32(c.in[3]),
				Flags:    c.in[4],
				Code:     uint32(c.in[5])<<16 | uint32(c.in[6])<<8 | uint32(c.in[7]),
				AppID:    binary.BigEndian.Uint32(c.in[8:]),
				HopByHop: testHbH,
				EndToEnd: testE2E,
			}
			if h != want {
				t.Errorf("header = %+v, want %+v", h, want)
			}
		})
	}
}

func TestHeaderFields(t *testing.T) {
	b := message(FlagRequest|FlagProxiable|FlagRetransmitted, CmdLCSRoutingInfo, AppSLh, func(b *Builder) {
		b.String(AVPOriginHost, 0, mand, "gmlc.example.net")
	})
	h, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Version: 1, Length: uint32(len(b)), Flags: 0xd0, Code: 8388622, AppID: AppSLh, HopByHop: testHbH, EndToEnd: testE2E}
	if h != want {
		t.Fatalf("header = %+v, want %+v", h, want)
	}
	if !h.IsRequest() {
		t.Error("IsRequest false with R set")
	}
	h.Flags = FlagProxiable
	if h.IsRequest() {
		t.Error("IsRequest true without R")
	}
}

// brokenGroup wraps inner as the data of a grouped AVP of the given code
// whose own header is correct; the message is sound except for inner.
func brokenGroup(code, vendor uint32, inner []byte) []byte {
	flags := mand
	if vendor != 0 {
		flags |= AVPFlagVendor
	}
	return withBody(FlagRequest, CmdCreditControl, AppGx, cat(
		rawAVP(AVPOriginHost, mand, 0, -1, []byte("pgw.example.net"), true),
		rawAVP(code, flags, vendor, -1, inner, true),
	))
}

func TestParse(t *testing.T) {
	ulr := s6aULR()
	originHost := rawAVP(AVPOriginHost, mand, 0, -1, []byte("a.example"), true)
	userName := rawAVP(AVPUserName, mand, 0, -1, []byte(testIMSI), true)
	subType := rawAVP(AVPSubscriptionIDType, mand, 0, -1, u32(SubscriptionIDIMSI), true)

	cases := []struct {
		name string
		in   []byte
		err  error
	}{
		// Valid messages.
		{"S6a ULR", ulr, nil},
		{"S6a AIR", s6aAIR(), nil},
		{"S6a IDR with Subscription-Data", s6aIDR(8), nil},
		{"S6a ULA", s6aULA(), nil},
		{"S6a AIA Experimental-Result", s6aAIAUnknown(), nil},
		{"Sh UDR", shUDR(14), nil},
		{"Gx CCR", gxCCR(), nil},
		{"Cx MAR", cxMAR(), nil},
		{"CER", cer(), nil},
		{"DWR", dwr(), nil},
		{"header only", withBody(FlagRequest, CmdDeviceWatchdog, 0, nil), nil},
		{"AVP with empty data", withBody(0, CmdDeviceWatchdog, 0, rawAVP(AVPOriginHost, mand, 0, -1, nil, true)), nil},
		{"vendor AVP with empty data", withBody(0, CmdDeviceWatchdog, 0, rawAVP(AVPMSISDN, AVPFlagVendor, Vendor3GPP, -1, nil, true)), nil},
		{"unknown AVP with AVP-like garbage", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d,
			rawAVP(9999, 0, 0, -1, []byte{0, 0, 0, 1, 0, 0, 0, 99}, true)), nil},
		{"grouped code under another vendor is opaque", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d,
			rawAVP(AVPSubscriptionID, mand|AVPFlagVendor, 9, -1, []byte{1, 2, 3}, true)), nil},
		{"empty grouped AVP", brokenGroup(AVPSubscriptionID, 0, nil), nil},
		{"MaxDepth nested grouped AVPs", nested(MaxDepth), nil},

		// Framing.
		{"empty", nil, ErrShort},
		{"short header", ulr[:HeaderLen-1], ErrShort},
		{"bad version", patch(ulr, 0, 2), ErrVersion},
		{"length below 20", setLength(ulr, 12), ErrLength},
		{"length not a multiple of 4", setLength(ulr, len(ulr)-2), ErrLength},
		{"E bit on request", patch(ulr, 4, FlagRequest|FlagError), ErrErrorRequest},
		{"truncated", ulr[:len(ulr)-4], ErrTruncated},
		{"truncated to the header", ulr[:HeaderLen], ErrTruncated},
		{"length beyond buffer", setLength(ulr, len(ulr)+4), ErrTruncated},
		{"trailing bytes", append(append([]byte(nil), ulr...), 0, 0, 0, 0), ErrTrailing},
		{"two messages", cat(ulr, ulr), ErrTrailing},

		// Top-level AVPs.
		{"AVP header truncated", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d, cat(originHost, []byte{0, 0, 0, 1})), ErrAVPHeader},
		{"vendor AVP header truncated", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d,
			cat(originHost, []byte{0, 0, 5, 0x7f, 0xc0, 0, 0, 15})), ErrAVPHeader},
		{"AVP length 0", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d, rawAVP(AVPUserName, mand, 0, 0, []byte(testIMSI), true)), ErrAVPLength},
		{"AVP length 7", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d, rawAVP(AVPUserName, mand, 0, 7, []byte(testIMSI), true)), ErrAVPLength},
		{"vendor AVP length 8", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d,
			rawAVP(AVPVisitedPLMNID, mand|AVPFlagVendor, Vendor3GPP, 8, []byte{0, 0, 0, 0}, true)), ErrAVPLength},
		{"vendor AVP length 11", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d,
			rawAVP(AVPVisitedPLMNID, mand|AVPFlagVendor, Vendor3GPP, 11, plmn00101, true)), ErrAVPLength},
		{"AVP beyond the message", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d,
			cat(userName, rawAVP(AVPOriginHost, mand, 0, 64, []byte("a.example"), true))), ErrAVPLength},
		{"AVP length 0xffffff", withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d,
			rawAVP(AVPOriginHost, mand, 0, 0xffffff, []byte("a.example"), true)), ErrAVPLength},

		// Grouped AVPs.
		{"Subscription-Id with inner length 4", brokenGroup(AVPSubscriptionID, 0,
			cat(subType, rawAVP(AVPSubscriptionIDData, mand, 0, 4, []byte(testIMSI), true))), ErrGrouped},
		{"Subscription-Id with inner AVP beyond the group", brokenGroup(AVPSubscriptionID, 0,
			cat(subType, rawAVP(AVPSubscriptionIDData, mand, 0, 40, []byte(testIMSI), true))), ErrGrouped},
		{"Subscription-Id with a truncated inner header", brokenGroup(AVPSubscriptionID, 0,
			cat(subType, []byte{0, 0, 1, 0xbc})), ErrGrouped},
		{"Subscription-Id missing the last padding", brokenGroup(AVPSubscriptionID, 0,
			cat(subType, rawAVP(AVPSubscriptionIDData, mand, 0, -1, []byte(testIMSI), false))), ErrGrouped},
		{"Experimental-Result with a vendor inner AVP too short", brokenGroup(AVPExperimentalResult, 0,
			cat(rawAVP(AVPVendorID, mand, 0, -1, u32(Vendor3GPP), true),
				rawAVP(AVPExperimentalResultCode, mand|AVPFlagVendor, 0, 8, u32(5001), true))), ErrGrouped},
		{"Experimental-Result holding 4 bytes", brokenGroup(AVPExperimentalResult, 0, u32(5001)), ErrGrouped},
		{"Vendor-Specific-Application-Id broken", brokenGroup(AVPVendorSpecificApplicationID, 0,
			rawAVP(AVPAuthApplicationID, mand, 0, 3, u32(AppS6aS6d), true)), ErrGrouped},
		{"3GPP Supported-Features broken", brokenGroup(avpSupportedFeatures, Vendor3GPP,
			rawAVP(avpFeatureListID, AVPFlagVendor, Vendor3GPP, 100, u32(1), true)), ErrGrouped},
		{"broken AVP deep inside Subscription-Data", brokenGroup(avpSubscriptionData, Vendor3GPP,
			rawAVP(avpAPNConfigProfile, mand|AVPFlagVendor, Vendor3GPP, -1,
				rawAVP(avpAPNConfiguration, mand|AVPFlagVendor, Vendor3GPP, -1,
					rawAVP(avpEPSSubscribedQoS, mand|AVPFlagVendor, Vendor3GPP, -1,
						[]byte{0, 0, 4, 4, 0xc0, 0, 0, 9}, true), true), true)), ErrGrouped},
		{"nesting deeper than MaxDepth", nested(MaxDepth + 1), ErrDepth},
		{"nesting far deeper than MaxDepth", nested(4 * MaxDepth), ErrDepth},

		// Failed-AVP is opaque: its broken content is what it reports.
		{"Failed-AVP with a broken inner AVP", answer(CmdUpdateLocation, AppS6aS6d, func(b *Builder) {
			answerHead(b, "s;1")
			b.Uint32(AVPResultCode, 0, mand, 5014) // DIAMETER_INVALID_AVP_LENGTH
			b.Bytes(avpFailedAVP, 0, mand, rawAVP(AVPUserName, mand, 0, 200, []byte("x"), true))
		}), nil},
		{"Failed-AVP with a truncated inner header", answer(CmdUpdateLocation, AppS6aS6d, func(b *Builder) {
			answerHead(b, "s;1")
			b.Uint32(AVPResultCode, 0, mand, 5014)
			b.Bytes(avpFailedAVP, 0, mand, []byte{0, 0, 1})
		}), nil},
		{"Failed-AVP holding a too-deep group", answer(CmdUpdateLocation, AppS6aS6d, func(b *Builder) {
			answerHead(b, "s;1")
			b.Uint32(AVPResultCode, 0, mand, 5014)
			b.Bytes(avpFailedAVP, 0, mand, nested(MaxDepth + 1)[HeaderLen:])
		}), nil},
		{"Failed-AVP itself too long", withBody(0, CmdUpdateLocation, AppS6aS6d,
			rawAVP(avpFailedAVP, mand, 0, 64, rawAVP(AVPUserName, mand, 0, -1, []byte("x"), true), true)), ErrAVPLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse(c.in)
			if err != c.err {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			h, herr := ParseHeader(c.in)
			if herr == nil && m.Header != h {
				t.Errorf("Message.Header = %+v, ParseHeader = %+v", m.Header, h)
			}
			if err != nil {
				if m.Bytes() != nil {
					t.Errorf("failed Parse kept the bytes")
				}
				it := m.AVPs()
				if _, ok := it.Next(); ok {
					t.Errorf("failed Parse iterates")
				}
				return
			}
			if int(m.Length) != len(c.in) || !bytes.Equal(m.Bytes(), c.in) {
				t.Errorf("Length %d, Bytes %d, input %d", m.Length, len(m.Bytes()), len(c.in))
			}
		})
	}
}

// TestErrorsDistinct guards the contract that every error is a distinct
// static value callers can compare with ==.
func TestErrorsDistinct(t *testing.T) {
	all := []error{ErrShort, ErrVersion, ErrLength, ErrTooLarge, ErrTruncated, ErrTrailing,
		ErrErrorRequest, ErrAVPHeader, ErrAVPLength, ErrDepth, ErrGrouped}
	seen := map[string]bool{}
	for _, e := range all {
		if e == nil || seen[e.Error()] {
			t.Fatalf("error %v is nil or not distinct", e)
		}
		seen[e.Error()] = true
		for _, o := range all {
			if o != e && errors.Is(e, o) {
				t.Errorf("%v wraps %v", e, o)
			}
		}
	}
}

func TestDepthBoundary(t *testing.T) {
	for levels := 0; levels <= MaxDepth+2; levels++ {
		_, err := Parse(nested(levels))
		want := error(nil)
		if levels > MaxDepth {
			want = ErrDepth
		}
		if err != want {
			t.Errorf("%d levels: err = %v, want %v", levels, err, want)
		}
	}
	// The limit applies to a group nested in a broken group too: ErrDepth
	// is reported as such, not hidden as ErrGrouped.
	deep := nested(MaxDepth + 1)
	b := withBody(FlagRequest, CmdUpdateLocation, AppS6aS6d, rawAVP(AVPSubscriptionID, mand, 0, -1, deep[HeaderLen:], true))
	if _, err := Parse(b); err != ErrDepth {
		t.Errorf("deep group inside Subscription-Id: err = %v, want ErrDepth", err)
	}
}

func TestFrameLength(t *testing.T) {
	ulr := s6aULR()
	cases := []struct {
		name   string
		in     []byte
		maxLen int
		n      int
		err    error
	}{
		{"empty", nil, 0, 0, nil},
		{"3 bytes", ulr[:3], 0, 0, nil},
		{"4 bytes", ulr[:4], 0, len(ulr), nil},
		{"header", ulr[:HeaderLen], 0, len(ulr), nil},
		{"whole", ulr, 0, len(ulr), nil},
		{"whole plus more", cat(ulr, ulr[:7]), 0, len(ulr), nil},
		{"at maxLen", ulr, len(ulr), len(ulr), nil},
		{"above maxLen", ulr, len(ulr) - 4, 0, ErrTooLarge},
		{"bad version", patch(ulr[:4], 0, 0), 0, 0, ErrVersion},
		{"length 16", setLength(ulr[:4], 16), 0, 0, ErrLength},
		{"length 21", setLength(ulr[:4], 21), 0, 0, ErrLength},
		{"length 0xfffffc unlimited", setLength(ulr[:4], 0xfffffc), 0, 0xfffffc, nil},
		{"length 0xfffffc limited", setLength(ulr[:4], 0xfffffc), 1 << 16, 0, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := FrameLength(c.in, c.maxLen)
			if n != c.n || err != c.err {
				t.Fatalf("FrameLength = %d, %v; want %d, %v", n, err, c.n, c.err)
			}
		})
	}
}

func TestFramer(t *testing.T) {
	ulr, dw := s6aULR(), dwr()
	stream := cat(ulr, dw, ulr[:30])
	frame := Framer(4096)
	cases := []struct {
		name string
		in   []byte
		n    int
		err  error
	}{
		{"nothing", nil, 0, nil},
		{"partial header", ulr[:3], 0, nil},
		{"header only", ulr[:HeaderLen], 0, nil},
		{"one byte short", ulr[:len(ulr)-1], 0, nil},
		{"exact", ulr, len(ulr), nil},
		{"stream", stream, len(ulr), nil},
		{"garbage", []byte("GET / HTTP/1.1\r\n"), 0, ErrVersion},
		{"bad length", setLength(ulr, 18), 0, ErrLength},
		{"too large", setLength(ulr[:8], 8192), 0, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := frame(c.in)
			if n != c.n || err != c.err {
				t.Fatalf("Framer = %d, %v; want %d, %v", n, err, c.n, c.err)
			}
		})
	}

	// Framing a byte stream fed one byte at a time yields each message
	// exactly when its last byte arrives.
	var got [][]byte
	var buf []byte
	for _, c := range cat(ulr, dw, ulr) {
		buf = append(buf, c)
		n, err := frame(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			if _, err := Parse(buf[:n]); err != nil {
				t.Fatalf("framed message does not parse: %v", err)
			}
			got = append(got, append([]byte(nil), buf[:n]...))
			buf = buf[n:]
		}
	}
	if len(got) != 3 || len(buf) != 0 || !bytes.Equal(got[0], ulr) || !bytes.Equal(got[1], dw) || !bytes.Equal(got[2], ulr) {
		t.Fatalf("framed %d messages, %d bytes left", len(got), len(buf))
	}
}

func TestAVPIterator(t *testing.T) {
	b := request(CmdUpdateLocation, AppS6aS6d, func(b *Builder) {
		b.String(AVPSessionID, 0, mand, "abc")   // 3 bytes: 1 byte padding
		b.Uint32(AVPAuthApplicationID, 0, 0, 16) // no padding
		b.Bytes(AVPVisitedPLMNID, Vendor3GPP, mand|AVPFlagProtected, plmn00101)
		b.Group(AVPExperimentalResult, 0, mand)
		b.Uint32(AVPVendorID, 0, mand, Vendor3GPP)
		b.Uint32(AVPExperimentalResultCode, 0, mand, 5420)
		b.End()
		b.String(AVPUserName, 0, mand, "")
		b.String(AVPSessionID, 0, mand, "second")
	})
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []AVP{
		{AVPSessionID, mand, 0, []byte("abc")},
		{AVPAuthApplicationID, 0, 0, u32(16)},
		{AVPVisitedPLMNID, AVPFlagVendor | mand | AVPFlagProtected, Vendor3GPP, plmn00101},
		{AVPExperimentalResult, mand, 0, cat(rawAVP(AVPVendorID, mand, 0, -1, u32(Vendor3GPP), true),
			rawAVP(AVPExperimentalResultCode, mand, 0, -1, u32(5420), true))},
		{AVPUserName, mand, 0, []byte{}},
		{AVPSessionID, mand, 0, []byte("second")},
	}
	it := m.AVPs()
	i := 0
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		if i >= len(want) {
			t.Fatalf("extra AVP %+v", a)
		}
		w := want[i]
		if a.Code != w.Code || a.Flags != w.Flags || a.Vendor != w.Vendor || !bytes.Equal(a.Data, w.Data) {
			t.Errorf("AVP %d = %d/%#x/%d % x, want %d/%#x/%d % x", i, a.Code, a.Flags, a.Vendor, a.Data, w.Code, w.Flags, w.Vendor, w.Data)
		}
		if cap(a.Data) != len(a.Data) {
			t.Errorf("AVP %d: Data has room (cap %d > len %d) to reach the next AVP", i, cap(a.Data), len(a.Data))
		}
		i++
	}
	if it.Err() != nil || i != len(want) {
		t.Fatalf("iterated %d AVPs, err %v", i, it.Err())
	}
	if _, ok := it.Next(); ok {
		t.Error("Next after the end returned an AVP")
	}

	// Uint32.
	if v, ok := want[1].Uint32(); !ok || v != 16 {
		t.Errorf("Uint32 = %d, %v", v, ok)
	}
	for _, d := range [][]byte{nil, {1, 2, 3}, {1, 2, 3, 4, 5}} {
		if _, ok := (AVP{Data: d}).Uint32(); ok {
			t.Errorf("Uint32 accepted %d bytes", len(d))
		}
	}

	// Grouped walk.
	g := want[3].Grouped()
	var codes []uint32
	for a, ok := g.Next(); ok; a, ok = g.Next() {
		codes = append(codes, a.Code)
	}
	if g.Err() != nil || len(codes) != 2 || codes[0] != AVPVendorID || codes[1] != AVPExperimentalResultCode {
		t.Errorf("Grouped walk = %v, %v", codes, g.Err())
	}

	// Find and FindPath.
	if a, n := m.Find(AVPSessionID, 0); n != 2 || string(a.Data) != "abc" {
		t.Errorf("Find(Session-Id) = %q, %d", a.Data, n)
	}
	if a, n := m.Find(AVPVisitedPLMNID, Vendor3GPP); n != 1 || !bytes.Equal(a.Data, plmn00101) {
		t.Errorf("Find(Visited-PLMN-Id) = % x, %d", a.Data, n)
	}
	if _, n := m.Find(AVPVisitedPLMNID, 0); n != 0 {
		t.Errorf("Find matched the wrong vendor")
	}
	if a, ok := m.FindPath(AVPKey(AVPExperimentalResult, 0), AVPKey(AVPExperimentalResultCode, 0)); !ok || !bytes.Equal(a.Data, u32(5420)) {
		t.Errorf("FindPath = % x, %v", a.Data, ok)
	}
	if _, ok := m.FindPath(AVPKey(AVPExperimentalResult, 0), AVPKey(AVPResultCode, 0)); ok {
		t.Error("FindPath found a missing inner AVP")
	}
	if _, ok := m.FindPath(AVPKey(AVPSubscriptionID, 0)); ok {
		t.Error("FindPath found a missing AVP")
	}
	if _, ok := m.FindPath(); ok {
		t.Error("FindPath() found something")
	}
	var zero Message
	if it := zero.AVPs(); it.Err() != nil {
		t.Error("zero Message iterator has an error")
	} else if _, ok := it.Next(); ok {
		t.Error("zero Message has AVPs")
	}
	if _, n := zero.Find(AVPSessionID, 0); n != 0 {
		t.Error("zero Message finds AVPs")
	}
}

func TestAVPIteratorErrors(t *testing.T) {
	good := rawAVP(AVPOriginHost, mand, 0, -1, []byte("host"), true)
	cases := []struct {
		name string
		in   []byte
		n    int // AVPs read before the error
		err  error
	}{
		{"empty", nil, 0, nil},
		{"one", good, 1, nil},
		{"header truncated", cat(good, []byte{0, 0, 1}), 1, ErrAVPHeader},
		{"7 bytes", []byte{0, 0, 1, 8, 0x40, 0, 0, 8}[:7], 0, ErrAVPHeader},
		{"vendor header truncated", []byte{0, 0, 5, 0x7f, 0xc0, 0, 0, 12, 0, 0}, 0, ErrAVPHeader},
		{"length < 8", rawAVP(AVPOriginHost, 0, 0, 5, []byte("abcd"), true), 0, ErrAVPLength},
		{"length < 12 with V bit", rawAVP(AVPMSISDN, AVPFlagVendor, Vendor3GPP, 10, []byte("abcd"), true), 0, ErrAVPLength},
		{"beyond container", cat(good, rawAVP(AVPOriginHost, 0, 0, 13, []byte("ab"), true)), 1, ErrAVPLength},
		{"missing padding at the end", cat(good, rawAVP(AVPOriginHost, 0, 0, -1, []byte("abcde"), false)), 1, ErrAVPLength},
		{"padding present", cat(good, rawAVP(AVPOriginHost, 0, 0, -1, []byte("abcde"), true)), 2, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it := NewAVPs(c.in)
			n := 0
			for _, ok := it.Next(); ok; _, ok = it.Next() {
				n++
			}
			if n != c.n || it.Err() != c.err {
				t.Fatalf("read %d AVPs, err %v; want %d, %v", n, it.Err(), c.n, c.err)
			}
			if _, ok := it.Next(); ok || it.Err() != c.err {
				t.Fatalf("iterator resumed after its end")
			}
		})
	}
}

// TestFailedAVPNotGrouped pins the dictionary exception Parse relies on.
func TestFailedAVPNotGrouped(t *testing.T) {
	if isGrouped(avpFailedAVP, 0) {
		t.Fatal("Failed-AVP is validated as a grouped AVP")
	}
	for _, k := range []avpKey{{AVPSubscriptionID, 0}, {AVPExperimentalResult, 0}, {AVPVendorSpecificApplicationID, 0},
		{avpProxyInfo, 0}, {avpSubscriptionData, Vendor3GPP}, {avpSupportedFeatures, Vendor3GPP}} {
		if !isGrouped(k.code, k.vendor) {
			t.Errorf("%d/%d not known as grouped", k.code, k.vendor)
		}
	}
	for _, k := range []avpKey{{AVPUserName, 0}, {AVPSubscriptionID, Vendor3GPP}, {avpSubscriptionData, 0},
		{8191, Vendor3GPP}, {8192, 0}, {1 << 31, 1 << 31}} {
		if isGrouped(k.code, k.vendor) {
			t.Errorf("%d/%d wrongly known as grouped", k.code, k.vendor)
		}
	}
}

func TestBuilderReuse(t *testing.T) {
	var b Builder
	first := append([]byte(nil), b.Start(FlagRequest, CmdDeviceWatchdog, 0, 1, 2).
		String(AVPOriginHost, 0, mand, "a").Message()...)
	b.Start(0, CmdDeviceWatchdog, 0, 1, 2).Group(AVPExperimentalResult, 0, mand).Uint32(AVPVendorID, 0, mand, 1)
	second := b.Message() // closes the open group
	if _, err := Parse(first); err != nil {
		t.Fatal(err)
	}
	m, err := Parse(second)
	if err != nil {
		t.Fatal(err)
	}
	if m.IsRequest() || len(second) != HeaderLen+8+12 {
		t.Fatalf("reused builder produced % x", second)
	}
	if a, ok := m.FindPath(AVPKey(AVPExperimentalResult, 0), AVPKey(AVPVendorID, 0)); !ok || !bytes.Equal(a.Data, u32(1)) {
		t.Fatalf("group not closed by Message: % x", second)
	}
}
