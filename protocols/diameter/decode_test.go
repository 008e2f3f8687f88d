package diameter

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"breakwater/protocols/view"
)

// want is what Decode must produce; every field is compared, so a zero
// value means "absent".
type want struct {
	op        string
	req       bool
	app       uint32
	imsi      string
	msisdn    string
	conflict  bool
	plmn      string
	oh, or    string
	dh, dr    string
	rc        uint32
	flags     uint32
	malformed string
	err       error
}

func checkView(t *testing.T, in []byte, v *view.Message, err error, w want) {
	t.Helper()
	if err != w.err {
		t.Errorf("err = %v, want %v", err, w.err)
	}
	if v.Protocol != view.Diameter {
		t.Errorf("Protocol = %v", v.Protocol)
	}
	if len(in) >= HeaderLen {
		code := uint32(in[5])<<16 | uint32(in[6])<<8 | uint32(in[7])
		if v.Code != code || v.Transaction != testTxn {
			t.Errorf("Code = %d (header %d), Transaction = %#x want %#x", v.Code, code, v.Transaction, testTxn)
		}
	}
	if !bytes.Equal(v.Raw, in) || len(v.Raw) > 0 && &v.Raw[0] != &in[0] {
		t.Error("Raw does not alias the input")
	}
	str := func(b []byte) string { return string(b) }
	got := want{
		op: v.Op, req: v.Request, app: v.App,
		imsi: v.IMSI.String(), msisdn: v.MSISDN.String(), conflict: v.IdentityConflict,
		plmn: v.VisitedPLMN.String(),
		oh:   str(v.OriginHost), or: str(v.OriginRealm), dh: str(v.DestHost), dr: str(v.DestRealm),
		rc: v.ResultCode, flags: v.Flags, malformed: v.Malformed, err: err,
	}
	if got != w {
		t.Errorf("Decode =\n\t%+v\nwant\n\t%+v", got, w)
	}
	if !v.CallingGT.IsZero() || !v.CalledGT.IsZero() || !v.Time.IsZero() || v.Src.IsValid() || v.Dst.IsValid() {
		t.Error("Decode set fields that are not Diameter's")
	}
}

// Shorthands for the routing fields of the test vectors.
const (
	s6a = AppS6aS6d
	loc = view.FlagLocationRequest
	sta = view.FlagStateRequest
	mis = view.FlagAppMismatch
)

func TestDecode(t *testing.T) {
	// mmeReq are the fields of an S6a request from the MME with
	// Destination-Realm only; hssReq of one from the HSS.
	mmeReq := func(op string) want {
		return want{op: op, req: true, app: s6a, imsi: testIMSI, oh: mmeHost, or: mmeRealm, dr: hssRealm}
	}
	hssReq := func(op string) want {
		return want{op: op, req: true, app: s6a, imsi: testIMSI, oh: hssHost, or: hssRealm, dh: mmeHost, dr: mmeRealm}
	}
	with := func(w want, f func(*want)) want { f(&w); return w }
	udrWant := func(flags uint32) want {
		return want{op: "UDR", req: true, app: AppSh, msisdn: testMSISDN, oh: "as01.ims.example.net", or: "ims.example.net", dr: hssRealm, flags: flags}
	}
	// s6aWith is an S6a ULR from the MME whose body is given.
	s6aWith := func(body func(b *Builder)) []byte {
		return request(CmdUpdateLocation, s6a, func(b *Builder) {
			head(b, "s;1")
			body(b)
		})
	}
	ulrBase := mmeReq("ULR")
	ulrBase.dr = ""
	ulrBase.imsi = ""
	userName := func(s string) func(*Builder) {
		return func(b *Builder) { b.String(AVPUserName, 0, mand, s) }
	}
	udrIdentity := func(inner func(b *Builder)) []byte {
		return request(CmdUserData, AppSh, func(b *Builder) {
			b.String(AVPOriginHost, 0, mand, "as01.ims.example.net")
			b.Group(AVPUserIdentity, Vendor3GPP, mand)
			inner(b)
			b.End()
			b.Uint32(AVPDataReference, Vendor3GPP, mand, 17) // MSISDN
		})
	}
	udrIdentityWant := func(msisdn string) want {
		return want{op: "UDR", req: true, app: AppSh, msisdn: msisdn, oh: "as01.ims.example.net"}
	}
	ccr := func(body func(b *Builder)) []byte {
		return request(CmdCreditControl, AppGx, body)
	}

	cases := []struct {
		name string
		in   []byte
		want want
	}{
		// S6a requests.
		{"S6a ULR", s6aULR(), with(mmeReq("ULR"), func(w *want) { w.plmn = "00101" })},
		{"S6a AIR", s6aAIR(), with(mmeReq("AIR"), func(w *want) { w.plmn = "00101" })},
		{"S6a PUR", s6aPUR(), mmeReq("PUR")},
		{"S6a NOR", s6aNOR(), mmeReq("NOR")},
		{"S6a IDR no IDR-Flags", s6aIDR(-1), hssReq("IDR")},
		{"S6a IDR flags 0", s6aIDR(0), hssReq("IDR")},
		{"S6a IDR UE-reachability and T-ADS only", s6aIDR(3), hssReq("IDR")},
		{"S6a IDR EPS location", s6aIDR(8), with(hssReq("IDR"), func(w *want) { w.flags = loc })},
		{"S6a IDR current location", s6aIDR(16), with(hssReq("IDR"), func(w *want) { w.flags = loc })},
		{"S6a IDR EPS user state", s6aIDR(4), with(hssReq("IDR"), func(w *want) { w.flags = sta })},
		{"S6a IDR all three", s6aIDR(0x1c), with(hssReq("IDR"), func(w *want) { w.flags = loc | sta })},
		{"S6a IDR high bits only", s6aIDR(0xffffffe3), hssReq("IDR")},
		{"S6a CLR", s6aCLR(), hssReq("CLR")},
		{"S6a DSR", s6aDSR(), hssReq("DSR")},
		{"S6a RSR without User-Name", s6aRSR(), with(hssReq("RSR"), func(w *want) { w.imsi = "" })},

		// Sh.
		{"Sh UDR location", shUDR(14), udrWant(loc)},
		{"Sh UDR user state", shUDR(15), udrWant(sta)},
		{"Sh UDR repository data", shUDR(0), udrWant(0)},
		{"Sh UDR location and state", shUDR(0, 14, 15), udrWant(loc | sta)},
		{"Sh UDR MSISDN identity", udrIdentity(func(b *Builder) { b.Bytes(AVPMSISDN, Vendor3GPP, mand, msisdnTBCD) }), udrIdentityWant(testMSISDN)},
		{"Sh UDR sip user=phone identity", udrIdentity(func(b *Builder) {
			b.String(AVPPublicIdentity, Vendor3GPP, mand, "sip:+"+testMSISDN+"@ims.example.net;user=phone")
		}), udrIdentityWant(testMSISDN)},
		{"Sh UDR sip identity without digits", udrIdentity(func(b *Builder) {
			b.String(AVPPublicIdentity, Vendor3GPP, mand, "sip:alice@ims.example.net")
		}), udrIdentityWant("")},
		{"Sh UDR tel identity with separators", udrIdentity(func(b *Builder) {
			b.String(AVPPublicIdentity, Vendor3GPP, mand, "tel:+1-206-555-0100")
		}), udrIdentityWant(testMSISDN)},
		{"Sh UDR MSISDN and tel agree", udrIdentity(func(b *Builder) {
			b.Bytes(AVPMSISDN, Vendor3GPP, mand, msisdnTBCD)
			b.String(AVPPublicIdentity, Vendor3GPP, mand, "tel:+"+testMSISDN)
		}), udrIdentityWant(testMSISDN)},
		{"Sh UDR MSISDN and tel disagree", udrIdentity(func(b *Builder) {
			b.Bytes(AVPMSISDN, Vendor3GPP, mand, msisdnTBCD)
			b.String(AVPPublicIdentity, Vendor3GPP, mand, "tel:+12065550199")
		}), with(udrIdentityWant(testMSISDN), func(w *want) { w.conflict = true })},
		{"Sh UDR MSISDN not TBCD", udrIdentity(func(b *Builder) { b.Bytes(AVPMSISDN, Vendor3GPP, mand, []byte{0x21, 0xa3}) }),
			with(udrIdentityWant(""), func(w *want) { w.malformed = reasonBadMSISDN })},

		// Gx and Cx.
		{"Gx CCR IMSI and E.164", gxCCR(), want{op: "CCR", req: true, app: AppGx, imsi: testIMSI, msisdn: testMSISDN,
			oh: "pgw01.example.net", or: "example.net", dr: "pcrf.example.net"}},
		{"Cx MAR IMPI", cxMAR(), want{op: "MAR", req: true, app: AppCx, imsi: testIMSI,
			oh: "scscf.ims.example.net", or: "ims.example.net", dr: "ims.mnc001.mcc001.3gppnetwork.org"}},
		{"Cx non-IMSI IMPI", request(CmdUserAuthorization, AppCx, userName("alice@ims.example.net")),
			want{op: "UAR", req: true, app: AppCx}},

		// Answers.
		{"S6a ULA success", s6aULA(), want{op: "ULA", app: s6a, oh: hssHost, or: hssRealm, rc: ResultSuccess}},
		{"S6a AIA user unknown", s6aAIAUnknown(), want{op: "AIA", app: s6a, oh: hssHost, or: hssRealm, rc: 5001}},
		{"Result-Code then Experimental-Result", answer(CmdUpdateLocation, s6a, func(b *Builder) {
			b.Uint32(AVPResultCode, 0, mand, 3002)
			b.Group(AVPExperimentalResult, 0, mand).Uint32(AVPExperimentalResultCode, 0, mand, 5420).End()
		}), want{op: "ULA", app: s6a, rc: 3002}},
		{"Experimental-Result then Result-Code", answer(CmdUpdateLocation, s6a, func(b *Builder) {
			b.Group(AVPExperimentalResult, 0, mand).Uint32(AVPExperimentalResultCode, 0, mand, 5420).End()
			b.Uint32(AVPResultCode, 0, mand, 3002)
		}), want{op: "ULA", app: s6a, rc: 3002}},
		{"E bit answer", message(FlagError|FlagProxiable, CmdUpdateLocation, s6a, func(b *Builder) {
			b.Uint32(AVPResultCode, 0, mand, 3002)
		}), want{op: "ULA", app: s6a, rc: 3002}},
		{"Result-Code of 3 bytes", answer(CmdUpdateLocation, s6a, func(b *Builder) {
			b.Bytes(AVPResultCode, 0, mand, []byte{0, 7, 0xd1})
		}), want{op: "ULA", app: s6a, malformed: reasonBadResult}},

		// Duplicates and contradictions.
		{"two identical User-Name", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.String(AVPUserName, 0, mand, testIMSI)
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.conflict = true })},
		{"two different User-Name", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.String(AVPUserName, 0, mand, testIMSI2)
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.conflict = true })},
		{"User-Name and Subscription-Id IMSI differ", ccr(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			subscriptionID(b, SubscriptionIDIMSI, testIMSI2)
		}), want{op: "CCR", req: true, app: AppGx, imsi: testIMSI, conflict: true}},
		{"Subscription-Id IMSI then different User-Name", ccr(func(b *Builder) {
			subscriptionID(b, SubscriptionIDIMSI, testIMSI2)
			b.String(AVPUserName, 0, mand, testIMSI)
		}), want{op: "CCR", req: true, app: AppGx, imsi: testIMSI2, conflict: true}},
		{"User-Name and Subscription-Id IMSI agree", ccr(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			subscriptionID(b, SubscriptionIDIMSI, testIMSI)
		}), want{op: "CCR", req: true, app: AppGx, imsi: testIMSI}},
		{"two different E.164", ccr(func(b *Builder) {
			subscriptionID(b, SubscriptionIDE164, testMSISDN)
			subscriptionID(b, SubscriptionIDE164, "+12065550199")
		}), want{op: "CCR", req: true, app: AppGx, msisdn: testMSISDN, conflict: true}},
		{"Subscription-Id of other types", ccr(func(b *Builder) {
			subscriptionID(b, 2, "sip:alice@example.net") // END_USER_SIP_URI
			subscriptionID(b, 3, testIMSI)                // END_USER_NAI
		}), want{op: "CCR", req: true, app: AppGx}},
		{"Subscription-Id without type", ccr(func(b *Builder) {
			b.Group(AVPSubscriptionID, 0, mand).String(AVPSubscriptionIDData, 0, mand, testIMSI).End()
		}), want{op: "CCR", req: true, app: AppGx}},
		{"two Origin-Host", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.String(AVPOriginHost, 0, mand, "evil.example.net")
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.malformed = reasonDupOriginHost })},
		{"two Origin-Realm", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.String(AVPOriginRealm, 0, mand, "evil.example.net")
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.malformed = reasonDupOriginRealm })},
		{"two Destination-Host", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.String(AVPDestinationHost, 0, mand, hssHost)
			b.String(AVPDestinationHost, 0, mand, "hss02.example.net")
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.dh = hssHost; w.malformed = reasonDupDestHost })},
		{"two Destination-Realm", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.String(AVPDestinationRealm, 0, mand, hssRealm)
			b.String(AVPDestinationRealm, 0, mand, hssRealm)
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.dr = hssRealm; w.malformed = reasonDupDestRealm })},
		{"two Visited-PLMN-Id", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.Bytes(AVPVisitedPLMNID, Vendor3GPP, mand, plmn00101)
			b.Bytes(AVPVisitedPLMNID, Vendor3GPP, mand, []byte{0x32, 0xf4, 0x51})
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.plmn = "00101"; w.malformed = reasonDupVisited })},
		{"Visited-PLMN-Id of 4 bytes", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.Bytes(AVPVisitedPLMNID, Vendor3GPP, mand, []byte{0x00, 0xf1, 0x10, 0})
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.malformed = reasonBadVisited })},
		{"Visited-PLMN-Id with a hex nibble", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.Bytes(AVPVisitedPLMNID, Vendor3GPP, mand, []byte{0x0a, 0xf1, 0x10})
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI; w.malformed = reasonBadVisited })},
		{"first malformation wins", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, "not-an-imsi")
			b.Bytes(AVPVisitedPLMNID, Vendor3GPP, mand, []byte{0xff, 0xff, 0xff})
			b.String(AVPOriginHost, 0, mand, mmeHost)
		}), with(ulrBase, func(w *want) { w.malformed = reasonBadVisited })},
		{"S6a User-Name not digits", s6aWith(userName("00101012345678x")), with(ulrBase, func(w *want) { w.malformed = reasonBadIMSI })},
		{"S6a User-Name empty", s6aWith(userName("")), with(ulrBase, func(w *want) { w.malformed = reasonBadIMSI })},
		{"S6a User-Name 5 digits", s6aWith(userName("00101")), with(ulrBase, func(w *want) { w.malformed = reasonBadIMSI })},
		{"S6a User-Name 16 digits", s6aWith(userName("0010101234567890")), with(ulrBase, func(w *want) { w.malformed = reasonBadIMSI })},
		{"S6a User-Name 6 digits", s6aWith(userName("001010")), with(ulrBase, func(w *want) { w.imsi = "001010" })},
		{"Gx User-Name not digits is fine", ccr(userName("alice")), want{op: "CCR", req: true, app: AppGx}},
		{"User-Name with vendor 3GPP is another AVP", s6aWith(func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.String(AVPUserName, Vendor3GPP, mand, testIMSI2)
		}), with(ulrBase, func(w *want) { w.imsi = testIMSI })},

		// Application declared in the body.
		{"Auth-Application-Id matches", s6aWith(func(b *Builder) {
			b.Uint32(AVPAuthApplicationID, 0, mand, s6a)
		}), ulrBase},
		{"header S6a, Auth-Application-Id Sh", s6aWith(func(b *Builder) {
			b.Uint32(AVPAuthApplicationID, 0, mand, AppSh)
		}), with(ulrBase, func(w *want) { w.flags = mis })},
		{"header S6a, Acct-Application-Id Gx", s6aWith(func(b *Builder) {
			b.Uint32(AVPAcctApplicationID, 0, mand, AppGx)
		}), with(ulrBase, func(w *want) { w.flags = mis })},
		{"header S6a, Vendor-Specific-Application-Id Sh", s6aWith(func(b *Builder) {
			b.Group(AVPVendorSpecificApplicationID, 0, mand)
			b.Uint32(AVPVendorID, 0, mand, Vendor3GPP)
			b.Uint32(AVPAuthApplicationID, 0, mand, AppSh)
			b.End()
		}), with(ulrBase, func(w *want) { w.flags = mis })},
		{"S6a and Sh both declared", s6aWith(func(b *Builder) {
			b.Uint32(AVPAuthApplicationID, 0, mand, s6a)
			b.Uint32(AVPAuthApplicationID, 0, mand, AppSh)
		}), with(ulrBase, func(w *want) { w.flags = mis })},
		{"Auth-Application-Id not Unsigned32 is malformed", s6aWith(func(b *Builder) {
			b.Bytes(AVPAuthApplicationID, 0, mand, []byte{1, 0, 0, 0, 0x11})
		}), with(ulrBase, func(w *want) { w.malformed = reasonBadUnsigned32 })},
		{"IDR-Flags of 8 octets is malformed", s6aWith(func(b *Builder) {
			b.Bytes(AVPIDRFlags, Vendor3GPP, mand, []byte{0, 0, 0, 0, 0, 0, 0, 0x18})
		}), with(ulrBase, func(w *want) { w.malformed = reasonBadUnsigned32 })},
		{"Auth-Application-Id 0 in an S6a message is a mismatch", s6aWith(func(b *Builder) {
			b.Uint32(AVPAuthApplicationID, 0, mand, 0)
		}), with(ulrBase, func(w *want) { w.flags = mis })},
		{"CER advertising many applications", cer(), want{op: "CER", req: true, oh: mmeHost, or: mmeRealm}},
		{"CEA advertising many applications", answer(CmdCapabilitiesExchange, AppBase, func(b *Builder) {
			b.Uint32(AVPResultCode, 0, mand, ResultSuccess)
			b.Uint32(AVPAuthApplicationID, 0, mand, AppRelay)
			b.Uint32(AVPAuthApplicationID, 0, mand, AppSh)
		}), want{op: "CEA", rc: ResultSuccess}},
		{"DWR", dwr(), want{op: "DWR", req: true, oh: mmeHost, or: mmeRealm}},

		// Structural errors: the header is still reported.
		{"truncated ULR", s6aULR()[:100], want{op: "ULR", req: true, app: s6a, malformed: ErrTruncated.Error(), err: ErrTruncated}},
		{"CCR with a broken Subscription-Id", brokenGroup(AVPSubscriptionID, 0, []byte{1, 2, 3, 4}),
			want{op: "CCR", req: true, app: AppGx, malformed: ErrGrouped.Error(), err: ErrGrouped}},
		{"too deep", nested(MaxDepth + 1), want{op: "ULR", req: true, app: s6a, malformed: ErrDepth.Error(), err: ErrDepth}},
		{"E bit request", patch(s6aULR(), 4, FlagRequest|FlagError),
			want{op: "ULR", req: true, app: s6a, malformed: ErrErrorRequest.Error(), err: ErrErrorRequest}},

		// Unknown command.
		{"unknown command", request(999, 77, userName(testIMSI)), want{req: true, app: 77, imsi: testIMSI}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v view.Message
			err := Decode(c.in, &v)
			checkView(t, c.in, &v, err, c.want)
		})
	}
}

func TestDecodeShort(t *testing.T) {
	for _, in := range [][]byte{nil, {1, 0, 0}, s6aULR()[:HeaderLen-1]} {
		var v view.Message
		v.Op = "stale"
		err := Decode(in, &v)
		if err != ErrShort || v.Malformed != ErrShort.Error() || v.Protocol != view.Diameter || v.Op != "" || v.Transaction != 0 {
			t.Errorf("Decode(% x) = %v, %+v", in, err, v)
		}
	}
}

// TestDecodeResets checks that a reused view carries nothing over.
func TestDecodeResets(t *testing.T) {
	var v view.Message
	if err := Decode(s6aIDR(0x1c), &v); err != nil || v.Flags != loc|sta {
		t.Fatal(err, v.Flags)
	}
	v.Time = time.Unix(1, 0)
	v.Src = netip.MustParseAddrPort("192.0.2.1:3868")
	v.IdentityConflict = true
	v.Malformed = "stale"
	v.CallingGT.SetASCII([]byte("1234"))
	in := s6aULA()
	err := Decode(in, &v)
	checkView(t, in, &v, err, want{op: "ULA", app: s6a, oh: hssHost, or: hssRealm, rc: ResultSuccess})
}

// TestDecodeTransaction pins the Transaction layout End-to-End<<32 | Hop-by-Hop.
func TestDecodeTransaction(t *testing.T) {
	var b Builder
	in := b.Start(FlagRequest, CmdUpdateLocation, s6a, 0xdeadbeef, 0x01020304).Message()
	var v view.Message
	if err := Decode(in, &v); err != nil {
		t.Fatal(err)
	}
	if v.Transaction != 0x01020304deadbeef {
		t.Fatalf("Transaction = %#x", v.Transaction)
	}
}

func TestOpNames(t *testing.T) {
	cases := []struct {
		code     uint32
		req, ans string
	}{
		{CmdCapabilitiesExchange, "CER", "CEA"},
		{CmdDeviceWatchdog, "DWR", "DWA"},
		{CmdCreditControl, "CCR", "CCA"},
		{CmdMultimediaAuth, "MAR", "MAA"},
		{CmdUserData, "UDR", "UDA"},
		{CmdUpdateLocation, "ULR", "ULA"},
		{CmdCancelLocation, "CLR", "CLA"},
		{CmdAuthenticationInfo, "AIR", "AIA"},
		{CmdInsertSubscriberData, "IDR", "IDA"},
		{CmdDeleteSubscriberData, "DSR", "DSA"},
		{CmdPurgeUE, "PUR", "PUA"},
		{CmdReset, "RSR", "RSA"},
		{CmdNotify, "NOR", "NOA"},
		{CmdProvideLocation, "PLR", "PLA"},
		{CmdLCSRoutingInfo, "RIR", "RIA"},
		{0, "", ""},
		{1 << 23, "", ""},
	}
	for _, c := range cases {
		if got := OpName(c.code, true); got != c.req {
			t.Errorf("OpName(%d, true) = %q, want %q", c.code, got, c.req)
		}
		if got := OpName(c.code, false); got != c.ans {
			t.Errorf("OpName(%d, false) = %q, want %q", c.code, got, c.ans)
		}
	}
	// OpCode inverts OpName, except that "PUR"/"PUA" name both Sh
	// Profile-Update (307) and S6a Purge-UE (321).
	for code := range commands {
		for _, req := range []bool{true, false} {
			name := OpName(code, req)
			gotCode, gotReq, ok := OpCode(name)
			if !ok || gotReq != req || OpName(gotCode, gotReq) != name {
				t.Errorf("OpCode(%q) = %d, %v, %v", name, gotCode, gotReq, ok)
			}
			if gotCode != code && name != "PUR" && name != "PUA" {
				t.Errorf("OpCode(%q) = %d, want %d", name, gotCode, code)
			}
		}
	}
	// The ambiguous names resolve the same way every time (rule
	// compilation must be reproducible), to S6a Purge-UE.
	for range 200 {
		if c, req, _ := OpCode("PUR"); c != CmdPurgeUE || !req {
			t.Fatalf("OpCode(\"PUR\") = %d, %v; want %d", c, req, CmdPurgeUE)
		}
		if c, req, _ := OpCode("PUA"); c != CmdPurgeUE || req {
			t.Fatalf("OpCode(\"PUA\") = %d, %v; want %d", c, req, CmdPurgeUE)
		}
	}
	if _, _, ok := OpCode("XYZ"); ok {
		t.Error("OpCode accepted an unknown name")
	}
	if AppName(AppS6aS6d) != "S6a" || AppName(AppSh) != "Sh" || AppName(12345) != "" {
		t.Error("AppName wrong")
	}
	for id, name := range applications {
		if got, ok := AppID(name); !ok || got != id {
			t.Errorf("AppID(%q) = %d, %v", name, got, ok)
		}
	}
	if _, ok := AppID("s6a"); ok {
		t.Error("AppID is not case-sensitive")
	}
}

// TestTopReadsOnlyListed keeps topAVPs (the filter Decode applies before
// top) in step with top's switch: every AVP the filter skips must be one
// top would have ignored anyway, whatever its data. A case added to top
// without its entry in topAVPs fails here.
func TestTopReadsOnlyListed(t *testing.T) {
	inner := func(code uint32, data []byte) []byte { // one IETF AVP, padded
		b := []byte{byte(code >> 24), byte(code >> 16), byte(code >> 8), byte(code), 0x40, 0, 0, byte(8 + len(data))}
		b = append(b, data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	datas := [][]byte{
		nil,
		{0xff, 0xff, 0xff, 0xff},
		{0, 0, 0, 1},
		[]byte("001010123456789"),
		[]byte("tel:+12065550100"),
		{0x21, 0x43, 0x65, 0x87},
		{0x32, 0xf4, 0x51},
		append(inner(AVPResultCode, []byte{0, 0, 0x13, 0x88}), inner(AVPSubscriptionIDData, []byte("001010123456789"))...),
		append(inner(AVPSubscriptionIDType, []byte{0, 0, 0, 1}), inner(AVPSubscriptionIDData, []byte("001010123456789"))...),
		inner(AVPAuthApplicationID, []byte{0, 0, 0, 4}),
	}
	listed := map[avpKey]bool{}
	for _, k := range topAVPs {
		listed[k] = true
		if !readsTop(k.code, k.vendor) {
			t.Errorf("readsTop(%d, %d) is false for a listed AVP", k.code, k.vendor)
		}
	}
	for _, vendor := range []uint32{VendorNone, Vendor3GPP, 5535} {
		for code := uint32(0); code < 8192; code++ {
			if readsTop(code, vendor) != listed[avpKey{code, vendor}] {
				t.Fatalf("readsTop(%d, %d) disagrees with topAVPs", code, vendor)
			}
			if listed[avpKey{code, vendor}] {
				continue
			}
			for _, data := range datas {
				var v view.Message
				d := decoder{v: &v, app: AppS6aS6d}
				before := d
				d.top(&AVP{Code: code, Vendor: vendor, Data: data})
				if v.Malformed != "" || v.Flags != 0 || v.ResultCode != 0 || !v.IMSI.IsZero() || !v.MSISDN.IsZero() ||
					!v.VisitedPLMN.IsZero() || v.OriginHost != nil || v.OriginRealm != nil || v.DestHost != nil ||
					v.DestRealm != nil || v.IdentityConflict || d != before {
					t.Fatalf("top reads AVP %d (vendor %d), which topAVPs does not list: add it there", code, vendor)
				}
			}
		}
	}
}
