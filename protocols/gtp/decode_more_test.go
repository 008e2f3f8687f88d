package gtp

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"breakwater/internal/fuzzcorpus"
	"breakwater/protocols/view"
)

var (
	mmeIP  = netip.MustParseAddr("198.51.100.7")
	sgw6   = netip.MustParseAddr("2001:db8::10")
	sgsnIP = netip.MustParseAddr("203.0.113.5")
	ggsnIP = netip.MustParseAddr("203.0.113.99")
)

func plmn(mcc, mnc uint16, mncLen uint8) []byte {
	p := view.PLMN{MCC: mcc, MNC: mnc, MNCLen: mncLen}.Encode()
	return p[:]
}

// createSessionResponseV2 answers createSessionV2: on S11 (the SGW's
// sender F-TEID at instance 0, the PGW's at instance 1) or on S5/S8 (the
// PGW's F-TEID at instance 1 only).
func createSessionResponseV2(b *Builder, s8 bool) []byte {
	b.StartV2(33, true, 0x1111, 0x010203).IE(IECause, 0, []byte{CauseV2RequestAccepted, 0})
	if !s8 {
		b.IE(IEFTEID, 0, FTEID(11, 0x5555, sgwIP))
	}
	return b.IE(IEFTEID, 1, FTEID(7, 0x7777, pgwIP)).
		IE(79, 0, []byte{1, 10, 45, 0, 1}). // PAA
		Group(IEBearerContext, 0).
		IE(IEEBI, 0, []byte{5}).IE(IECause, 0, []byte{16, 0}).
		IE(IEFTEID, 0, FTEID(1, 0x8888, sgwIP)).IE(IEFTEID, 2, FTEID(5, 0x9999, pgwIP)).
		End().IE(IERecovery, 0, []byte{9}).Message()
}

// createPDPV1 is a Create PDP Context Request as an SGSN sends it on Gn/Gp,
// IEs in ascending type order.
func createPDPV1(b *Builder) []byte {
	rai := append(plmn(310, 260, 3), 0x12, 0x34, 0x56)
	return b.StartV1(16, 0, 0x4321).
		TV(V1IEIMSI, TBCD("310260123456789")).
		TV(V1IERAI, rai).
		TV(V1IERecovery, []byte{7}).
		TV(V1IESelectionMode, []byte{0xfc}).
		TV(V1IETEIDData, []byte{0, 0, 0x22, 0x22}).
		TV(V1IETEIDControl, []byte{0, 0, 0x11, 0x11}).
		TV(V1IENSAPI, []byte{5}).
		TLV(V1IEEndUserAddress, []byte{0xf1, 0x21}).
		TLV(V1IEAPN, []byte("\x08internet\x03mnc\x03260")).
		TLV(V1IEGSNAddress, sgsnIP.AsSlice()).
		TLV(V1IEGSNAddress, netip.MustParseAddr("203.0.113.6").AsSlice()).
		TLV(V1IEMSISDN, append([]byte{0x91}, TBCD("14155550123")...)).
		TLV(135, []byte{1, 0x23, 0x92, 0x1f}). // QoS Profile
		TLV(V1IERATType, []byte{1}).
		Message()
}

func createPDPResponseV1(b *Builder) []byte {
	return b.StartV1(17, 0x1111, 0x4321).
		TV(V1IECause, []byte{CauseV1RequestAccepted}).
		TV(8, []byte{0}). // Reordering Required
		TV(V1IETEIDData, []byte{0, 0, 0x44, 0x44}).
		TV(V1IETEIDControl, []byte{0, 0, 0x33, 0x33}).
		TV(127, []byte{0, 0, 0, 9}). // Charging ID
		TLV(V1IEEndUserAddress, []byte{0xf1, 0x21, 10, 0, 0, 1}).
		TLV(V1IEGSNAddress, ggsnIP.AsSlice()).
		TLV(V1IEGSNAddress, netip.MustParseAddr("203.0.113.100").AsSlice()).
		TLV(135, []byte{1, 0x23, 0x92, 0x1f}).
		Message()
}

func decodeOK(t *testing.T, raw []byte) *view.Message {
	t.Helper()
	var v view.Message
	n, err := Decode(raw, &v)
	if err != nil || n != len(raw) || v.Malformed != "" {
		t.Fatalf("Decode: n=%d/%d err=%v malformed=%q", n, len(raw), err, v.Malformed)
	}
	return &v
}

func TestDecodeCreateSessionRequestFields(t *testing.T) {
	var b Builder
	v := decodeOK(t, createSessionV2(&b))
	if v.Protocol != view.GTPv2C || v.Code != 32 || v.Op != "CreateSessionRequest" || !v.Request {
		t.Fatalf("header: %v %d %q %v", v.Protocol, v.Code, v.Op, v.Request)
	}
	if v.Transaction != 0x010203 || !v.TEIDPresent || v.TEID != 0 {
		t.Fatalf("transaction %#x TEID %v/%d", v.Transaction, v.TEIDPresent, v.TEID)
	}
	if v.IMSI.String() != "310260000000001" || v.MSISDN.String() != "12065550100" || v.IdentityConflict {
		t.Fatalf("identities %s %s %v", v.IMSI.String(), v.MSISDN.String(), v.IdentityConflict)
	}
	if v.VisitedPLMN != (view.PLMN{MCC: 234, MNC: 15, MNCLen: 2}) || v.RAT != 6 || string(v.APN) != "\x08internet" {
		t.Fatalf("PLMN %+v RAT %d APN %q", v.VisitedPLMN, v.RAT, v.APN)
	}
	// The S11 MME F-TEID (instance 0); not the PGW's (instance 1), not the
	// S5/S8-U one inside the bearer context.
	if v.SenderTEID != 0x1111 || v.SenderAddrs != [2]netip.Addr{sgwIP, {}} || v.ResultCode != 0 {
		t.Fatalf("sender %#x %v cause %d", v.SenderTEID, v.SenderAddrs, v.ResultCode)
	}
}

func TestDecodeCreateSessionResponseFields(t *testing.T) {
	var b Builder
	v := decodeOK(t, createSessionResponseV2(&b, false))
	if v.Op != "CreateSessionResponse" || v.Request || v.TEID != 0x1111 || v.Transaction != 0x010203 || v.ResultCode != 16 {
		t.Fatalf("header/cause %q %v %#x %#x %d", v.Op, v.Request, v.TEID, v.Transaction, v.ResultCode)
	}
	if v.SenderTEID != 0x5555 || v.SenderAddrs[0] != sgwIP || v.SenderAddrs[1].IsValid() {
		t.Fatalf("S11: sender %#x %v, want the SGW's instance-0 F-TEID", v.SenderTEID, v.SenderAddrs)
	}
	if !v.IMSI.IsZero() || !v.VisitedPLMN.IsZero() || v.RAT != 0 {
		t.Fatal("fields the response does not carry")
	}
	// On S5/S8 the PGW announces itself only at instance 1.
	v = decodeOK(t, createSessionResponseV2(&b, true))
	if v.SenderTEID != 0x7777 || v.SenderAddrs[0] != pgwIP {
		t.Fatalf("S5/S8: sender %#x %v, want the PGW's instance-1 F-TEID", v.SenderTEID, v.SenderAddrs)
	}
	// Two instance-1 F-TEIDs and nothing at instance 0: which is the PGW?
	raw := b.StartV2(33, true, 1, 2).IE(IECause, 0, []byte{16, 0}).
		IE(IEFTEID, 1, FTEID(7, 1, pgwIP)).IE(IEFTEID, 1, FTEID(7, 2, sgwIP)).Message()
	var m view.Message
	if _, err := Decode(raw, &m); err != nil || m.Malformed != reasonDupSenderTEID || m.SenderTEID != 0 {
		t.Fatalf("two PGW F-TEIDs: %v %q %#x", err, m.Malformed, m.SenderTEID)
	}
	// Instance 1 is the PGW's only in a Create Session Response.
	raw = b.StartV2(34, true, 1, 2).IE(IEFTEID, 1, FTEID(7, 1, pgwIP)).Message()
	if v := decodeOK(t, raw); v.SenderTEID != 0 || v.SenderAddrs[0].IsValid() {
		t.Fatalf("instance 1 of a Modify Bearer Request taken: %#x", v.SenderTEID)
	}
	// A bad instance-1 F-TEID is malformed when it is the one used.
	raw = b.StartV2(33, true, 1, 2).IE(IECause, 0, []byte{16, 0}).IE(IEFTEID, 1, []byte{0x87, 0, 0, 0, 1}).Message()
	if _, err := Decode(raw, &m); err != nil || m.Malformed != reasonBadFTEID {
		t.Fatalf("short PGW F-TEID: %v %q", err, m.Malformed)
	}
}

func TestDecodeCreatePDPContextFields(t *testing.T) {
	var b Builder
	v := decodeOK(t, createPDPV1(&b))
	if v.Protocol != view.GTPv1C || v.Code != 16 || v.Op != "CreatePDPContextRequest" || !v.Request || v.Transaction != 0x4321 || !v.TEIDPresent || v.TEID != 0 {
		t.Fatalf("header %v %d %q %v %#x %d", v.Protocol, v.Code, v.Op, v.Request, v.Transaction, v.TEID)
	}
	if v.IMSI.String() != "310260123456789" || v.MSISDN.String() != "14155550123" || v.IdentityConflict {
		t.Fatalf("identities %s %s", v.IMSI.String(), v.MSISDN.String())
	}
	if v.VisitedPLMN != (view.PLMN{MCC: 310, MNC: 260, MNCLen: 3}) || v.RAT != 1 || string(v.APN) != "\x08internet\x03mnc\x03260" {
		t.Fatalf("PLMN %+v RAT %d APN %q", v.VisitedPLMN, v.RAT, v.APN)
	}
	// TEID Control Plane and the first GSN Address (signalling), not the
	// second (user traffic) nor TEID Data I.
	if v.SenderTEID != 0x1111 || v.SenderAddrs != [2]netip.Addr{sgsnIP, {}} {
		t.Fatalf("sender %#x %v", v.SenderTEID, v.SenderAddrs)
	}

	v = decodeOK(t, createPDPResponseV1(&b))
	if v.Op != "CreatePDPContextResponse" || v.Request || v.TEID != 0x1111 || v.Transaction != 0x4321 || v.ResultCode != 128 {
		t.Fatalf("response %q %v %#x %#x %d", v.Op, v.Request, v.TEID, v.Transaction, v.ResultCode)
	}
	if v.SenderTEID != 0x3333 || v.SenderAddrs != [2]netip.Addr{ggsnIP, {}} {
		t.Fatalf("GGSN sender %#x %v", v.SenderTEID, v.SenderAddrs)
	}

	// An IPv6 GSN Address.
	raw := b.StartV1(18, 9, 1).TV(V1IETEIDControl, []byte{0, 0, 0, 5}).TLV(V1IEGSNAddress, sgw6.AsSlice()).Message()
	if v := decodeOK(t, raw); v.SenderAddrs != [2]netip.Addr{{}, sgw6} || v.SenderTEID != 5 {
		t.Fatalf("v6 GSN address %v", v.SenderAddrs)
	}
}

func TestDecodeFTEIDForms(t *testing.T) {
	var b Builder
	cases := []struct {
		name      string
		fteid     []byte
		inst      uint8
		teid      uint32
		addrs     [2]netip.Addr
		malformed string
	}{
		{"IPv4", FTEID(10, 1, mmeIP), 0, 1, [2]netip.Addr{mmeIP, {}}, ""},
		{"IPv6", FTEID(10, 2, sgw6), 0, 2, [2]netip.Addr{{}, sgw6}, ""},
		{"both", FTEID(10, 3, mmeIP, sgw6), 0, 3, [2]netip.Addr{mmeIP, sgw6}, ""},
		{"no address", []byte{10, 0, 0, 0, 4}, 0, 4, [2]netip.Addr{}, ""},
		{"v4 flag, no address", []byte{0x80 | 10, 0, 0, 0, 4}, 0, 0, [2]netip.Addr{}, reasonBadFTEID},
		{"both flags, only v4", append([]byte{0xc0 | 10, 0, 0, 0, 4}, mmeIP.AsSlice()...), 0, 0, [2]netip.Addr{}, reasonBadFTEID},
		{"extra octet", append(FTEID(10, 5, mmeIP), 0), 0, 0, [2]netip.Addr{}, reasonBadFTEID},
		{"4 octets", []byte{10, 0, 0, 0}, 0, 0, [2]netip.Addr{}, reasonBadFTEID},
		{"empty", nil, 0, 0, [2]netip.Addr{}, reasonBadFTEID},
		{"user plane (S1-U eNodeB) is not the sender", FTEID(0, 6, mmeIP), 0, 0, [2]netip.Addr{}, ""},
		{"user plane (S5/S8-U SGW)", FTEID(4, 6, mmeIP), 0, 0, [2]netip.Addr{}, ""},
		{"PMIPv6 is not GTP-C", FTEID(8, 6, mmeIP), 0, 0, [2]netip.Addr{}, ""},
		{"instance 1 ignored", FTEID(10, 7, mmeIP), 1, 0, [2]netip.Addr{}, ""},
		{"instance 2 ignored even when broken", []byte{0xff}, 2, 0, [2]netip.Addr{}, ""},
		{"S2b ePDG", FTEID(30, 8, sgw6), 0, 8, [2]netip.Addr{{}, sgw6}, ""},
		{"N26 AMF", FTEID(40, 9, mmeIP), 0, 9, [2]netip.Addr{mmeIP, {}}, ""},
	}
	for _, c := range cases {
		raw := b.StartV2(32, true, 0, 1).IE(IEFTEID, c.inst, c.fteid).Message()
		var v view.Message
		if _, err := Decode(raw, &v); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if v.SenderTEID != c.teid || v.SenderAddrs != c.addrs || v.Malformed != c.malformed {
			t.Errorf("%s: %#x %v %q, want %#x %v %q", c.name, v.SenderTEID, v.SenderAddrs, v.Malformed, c.teid, c.addrs, c.malformed)
		}
	}
	// A user-plane F-TEID before the control-plane one does not count as a duplicate.
	raw := b.StartV2(34, true, 9, 1).IE(IEFTEID, 0, FTEID(1, 1, pgwIP)).IE(IEFTEID, 0, FTEID(6, 2, sgwIP)).Message()
	if v := decodeOK(t, raw); v.SenderTEID != 2 || v.SenderAddrs[0] != sgwIP {
		t.Fatalf("control F-TEID after a user-plane one: %#x %v", v.SenderTEID, v.SenderAddrs)
	}
	// Two control-plane F-TEIDs at instance 0.
	raw = b.StartV2(34, true, 9, 1).IE(IEFTEID, 0, FTEID(6, 1, pgwIP)).IE(IEFTEID, 0, FTEID(6, 2, sgwIP)).Message()
	var v view.Message
	if _, err := Decode(raw, &v); err != nil || v.Malformed != reasonDupSenderTEID || v.SenderTEID != 1 {
		t.Fatalf("two sender F-TEIDs: %v %q %#x", err, v.Malformed, v.SenderTEID)
	}
}

func TestDecodeConflictsAndMalformed(t *testing.T) {
	var b Builder
	sn := plmn(234, 15, 2)
	rai := append(plmn(234, 15, 2), 0, 1, 2)
	imsiV1 := TBCD("234150000000001")
	cases := []struct {
		name      string
		raw       []byte
		conflict  bool
		malformed string
		check     func(*view.Message) bool
	}{
		{"v2 same IMSI twice", clone(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, TBCD("234150000000001")).IE(IEIMSI, 0, TBCD("234150000000001")).Message()),
			true, "", func(v *view.Message) bool { return v.IMSI.String() == "234150000000001" }},
		{"v2 two different IMSIs", clone(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, TBCD("234150000000001")).IE(IEIMSI, 0, TBCD("310260000000002")).Message()),
			true, "", func(v *view.Message) bool { return v.IMSI.String() == "234150000000001" }},
		{"v2 IMSI at instance 1 is not an IMSI", clone(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, TBCD("234150000000001")).IE(IEIMSI, 1, TBCD("310260000000002")).Message()),
			false, "", func(v *view.Message) bool { return v.IMSI.String() == "234150000000001" }},
		{"v2 two MSISDNs", clone(b.StartV2(32, true, 0, 1).IE(IEMSISDN, 0, TBCD("4420")).IE(IEMSISDN, 0, TBCD("4421")).Message()),
			true, "", func(v *view.Message) bool { return v.MSISDN.String() == "4420" }},
		{"v1 two IMSIs", clone(b.StartV1(16, 0, 1).TV(V1IEIMSI, imsiV1).TV(V1IEIMSI, TBCD("234150000000002")).Message()),
			true, "", nil},
		{"v2 duplicate Serving Network", clone(b.StartV2(32, true, 0, 1).IE(IEServingNetwork, 0, sn).IE(IEServingNetwork, 0, sn).Message()),
			false, reasonDupServing, func(v *view.Message) bool { return v.VisitedPLMN.String() == "23415" }},
		{"v2 Serving Network of 4 octets", clone(b.StartV2(32, true, 0, 1).IE(IEServingNetwork, 0, append(sn, 0)).Message()),
			false, reasonBadServing, func(v *view.Message) bool { return v.VisitedPLMN.IsZero() }},
		{"v2 Serving Network MCC nibble 0xa", clone(b.StartV2(32, true, 0, 1).IE(IEServingNetwork, 0, []byte{0x3a, 0xf2, 0x51}).Message()),
			false, reasonBadServing, nil},
		{"v1 duplicate RAI", clone(b.StartV1(16, 0, 1).TV(V1IERAI, rai).TV(V1IERAI, rai).Message()),
			false, reasonDupRAI, func(v *view.Message) bool { return v.VisitedPLMN.String() == "23415" }},
		{"v1 RAI with a bad PLMN", clone(b.StartV1(16, 0, 1).TV(V1IERAI, []byte{0xff, 0xff, 0xff, 0, 1, 2}).Message()),
			false, reasonBadRAI, nil},
		{"v2 IMSI nibble 0xa", clone(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, []byte{0x32, 0x54, 0xa6, 0x11, 0x11, 0x11, 0x11, 0xf1}).Message()),
			false, reasonBadIMSI, func(v *view.Message) bool { return v.IMSI.IsZero() }},
		{"v2 IMSI filler in the middle", clone(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, []byte{0x32, 0xf4, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11}).Message()),
			false, reasonBadIMSI, nil},
		{"v2 IMSI of 5 digits", clone(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, TBCD("23415")).Message()),
			false, reasonBadIMSI, nil},
		{"v2 IMSI of 16 digits", clone(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, TBCD("2341500000000001")).Message()),
			false, reasonBadIMSI, nil},
		{"v2 empty IMSI", clone(b.StartV2(32, true, 0, 1).IE(IEIMSI, 0, nil).Message()),
			false, reasonBadIMSI, nil},
		{"v1 IMSI all filler", clone(b.StartV1(16, 0, 1).TV(V1IEIMSI, bytes.Repeat([]byte{0xff}, 8)).Message()),
			false, reasonBadIMSI, nil},
		{"v2 MSISDN nibble 0xb", clone(b.StartV2(32, true, 0, 1).IE(IEMSISDN, 0, []byte{0x44, 0xb1}).Message()),
			false, reasonBadMSISDN, nil},
		{"v1 MSISDN of only the nature octet", clone(b.StartV1(16, 0, 1).TLV(V1IEMSISDN, []byte{0x91}).Message()),
			false, reasonBadMSISDN, nil},
		{"v2 empty Cause", clone(b.StartV2(33, true, 1, 1).IE(IECause, 0, nil).Message()),
			false, reasonBadCause, nil},
		{"v1 GSN Address of 5 octets", clone(b.StartV1(16, 0, 1).TLV(V1IEGSNAddress, []byte{1, 2, 3, 4, 5}).Message()),
			false, reasonBadGSNAddress, nil},
		{"v1 second GSN Address may be anything", clone(b.StartV1(16, 0, 1).TLV(V1IEGSNAddress, sgsnIP.AsSlice()).TLV(V1IEGSNAddress, []byte{1}).Message()),
			false, "", func(v *view.Message) bool { return v.SenderAddrs[0] == sgsnIP }},
		{"v1 two TEID Control Plane", clone(b.StartV1(16, 0, 1).TV(V1IETEIDControl, []byte{0, 0, 0, 1}).TV(V1IETEIDControl, []byte{0, 0, 0, 2}).Message()),
			false, reasonDupSenderTEID, func(v *view.Message) bool { return v.SenderTEID == 1 }},
	}
	for _, c := range cases {
		var v view.Message
		n, err := Decode(c.raw, &v)
		if err != nil || n != len(c.raw) {
			t.Errorf("%s: n=%d err=%v", c.name, n, err)
			continue
		}
		if v.IdentityConflict != c.conflict || v.Malformed != c.malformed {
			t.Errorf("%s: conflict %v malformed %q, want %v %q", c.name, v.IdentityConflict, v.Malformed, c.conflict, c.malformed)
		}
		if c.check != nil && !c.check(&v) {
			t.Errorf("%s: fields %+v", c.name, v)
		}
	}
}

func TestDecodeStructuralErrorKeepsHeaderOnly(t *testing.T) {
	var b Builder
	raw := b.StartV2(32, true, 7, 99).IE(IEIMSI, 0, TBCD("234150000000001")).Raw([]byte{IEAPN, 0, 9, 0, 'x'}).Message()
	var v view.Message
	n, err := Decode(raw, &v)
	if err != ErrIE || n != len(raw) || v.Malformed != ErrIE.Error() {
		t.Fatalf("n=%d err=%v malformed %q", n, err, v.Malformed)
	}
	if v.Op != "CreateSessionRequest" || v.Transaction != 99 || v.TEID != 7 || v.Protocol != view.GTPv2C || !v.IMSI.IsZero() {
		t.Fatalf("kept %+v", v)
	}
	// v1 order error.
	raw = b.StartV1(16, 3, 4).TV(V1IETEIDControl, []byte{0, 0, 0, 1}).TV(V1IEIMSI, TBCD("2341500000000001")).Message()
	if _, err := Decode(raw, &v); err != ErrIEOrder || v.Malformed != ErrIEOrder.Error() || v.SenderTEID != 0 || v.Op != "CreatePDPContextRequest" {
		t.Fatalf("v1 order: %v %+v", err, v)
	}
	// Header errors return 0 and keep what the header said.
	if n, err := Decode(withLength(raw, 200), &v); n != 0 || err != ErrLength || v.Protocol != view.GTPv1C || v.Malformed == "" {
		t.Fatalf("header error: %d %v %+v", n, err, v)
	}
	if n, err := Decode([]byte{0x2e, 240, 0, 0}, &v); n != 0 || err != ErrVersion || v.Protocol != view.ProtoUnknown || v.Op != "" {
		t.Fatalf("GTP': %d %v %+v", n, err, v)
	}
	// Too deep.
	b.StartV2(32, true, 0, 1)
	for i := 0; i <= MaxDepth; i++ {
		b.Group(IEBearerContext, 0)
	}
	if _, err := Decode(b.Message(), &v); err != ErrDepth {
		t.Fatalf("nesting: %v", err)
	}
}

// decodeAll decodes a datagram the way replay does: one message, then any
// piggybacked one.
func decodeAll(b []byte) ([]view.Message, []error) {
	var out []view.Message
	var errs []error
	for len(b) > 0 {
		var v view.Message
		n, err := Decode(b, &v)
		out, errs = append(out, v), append(errs, err)
		if err != nil || n == 0 || !HasPiggyback(b) {
			break
		}
		b = b[n:]
	}
	return out, errs
}

func TestPiggyback(t *testing.T) {
	var b Builder
	csr := append([]byte(nil), createSessionResponseV2(&b, true)...)
	csr[0] |= 0x10 // P
	cbr := b.StartV2(95, true, 0x1111, 0x800001).IE(IEEBI, 0, []byte{5}).
		Group(IEBearerContext, 0).IE(IEEBI, 0, []byte{0}).IE(IEFTEID, 1, FTEID(5, 0xaaaa, pgwIP)).End().Message()
	dgram := cat(csr, cbr)
	if !HasPiggyback(dgram) {
		t.Fatal("HasPiggyback false")
	}
	msgs, errs := decodeAll(dgram)
	if len(msgs) != 2 || errs[0] != nil || errs[1] != nil {
		t.Fatalf("%d messages, %v", len(msgs), errs)
	}
	if msgs[0].Op != "CreateSessionResponse" || msgs[0].Malformed != "" || len(msgs[0].Raw) != len(csr) || msgs[0].SenderTEID != 0x7777 || msgs[0].ResultCode != 16 {
		t.Fatalf("first: %+v", msgs[0])
	}
	if msgs[1].Op != "CreateBearerRequest" || msgs[1].Malformed != "" || msgs[1].Transaction != 0x800001 || msgs[1].TEID != 0x1111 || !bytes.Equal(msgs[1].Raw, cbr) {
		t.Fatalf("second: %+v", msgs[1])
	}
	n, _ := Decode(dgram, &view.Message{})
	if n != len(csr) {
		t.Fatalf("Decode returned %d, want the first message's %d", n, len(csr))
	}

	// P flag with garbage after: the first is malformed, no second.
	for _, tail := range [][]byte{nil, {1, 2, 3}, make([]byte, 8), {0x48, 95, 0, 20, 0, 0, 0, 0}, {0x30, 16, 0, 0, 0, 0, 0, 0}} {
		d := cat(csr, tail)
		if HasPiggyback(d) {
			t.Errorf("tail %x: HasPiggyback", tail)
		}
		msgs, errs := decodeAll(d)
		if len(msgs) != 1 || errs[0] != nil || msgs[0].Malformed != reasonBadPiggyback {
			t.Errorf("tail %x: %d messages, %v, %q", tail, len(msgs), errs, msgs[0].Malformed)
		}
	}
	// Trailing bytes without P.
	plain := createSessionResponseV2(&b, true)
	for _, tail := range [][]byte{{0}, cbr} {
		var v view.Message
		d := cat(plain, tail)
		n, err := Decode(d, &v)
		if err != nil || n != len(plain) || v.Malformed != reasonTrailing || HasPiggyback(d) {
			t.Errorf("trailing %d: n=%d %v %q", len(tail), n, err, v.Malformed)
		}
		if v.SenderTEID != 0x7777 {
			t.Errorf("trailing bytes lost the fields")
		}
	}
	v1 := cat(createPDPV1(&b), []byte{0})
	var v view.Message
	if _, err := Decode(v1, &v); err != nil || v.Malformed != reasonTrailing || HasPiggyback(v1) {
		t.Errorf("v1 trailing: %v %q", err, v.Malformed)
	}
	// A first message too short for its own header cannot carry another:
	// Decode refuses it (n = 0), so HasPiggyback must not invite a loop.
	short := cat([]byte{0x58, 33, 0, 2, 0, 0}, cbr)
	if n, err := Decode(short, &v); n != 0 || err == nil {
		t.Fatalf("short first message: %d %v", n, err)
	}
	if HasPiggyback(short) {
		t.Fatal("HasPiggyback on a message Decode refuses")
	}
	if msgs, _ := decodeAll(short); len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
}

func TestReject(t *testing.T) {
	var b, r Builder
	// Every request type of both versions gets its response type.
	for _, version := range []uint8{1, 2} {
		for typ := 0; typ < 256; typ++ {
			var req []byte
			if version == 2 {
				req = b.StartV2(uint8(typ), true, 5, 0x0a0b0c).IE(IEFTEID, 0, FTEID(6, 0xc0ffee, sgwIP)).Message()
			} else {
				req = b.StartV1(uint8(typ), 5, 0x0b0c).TV(V1IETEIDControl, []byte{0, 0xc0, 0xff, 0xee}).Message()
			}
			want, answered := uint8(typ+1), TypeRole(version, uint8(typ)) == RoleRequest && typ != 1
			if version == 1 && typ == 55 {
				want = 59
			}
			if version == 1 && typ == 58 {
				want = 60
			}
			resp, ok := r.Reject(req, 99)
			if ok != answered {
				t.Errorf("v%d %s (%d): answered %v, want %v", version, TypeName(version, uint8(typ)), typ, ok, answered)
				continue
			}
			if !ok {
				continue
			}
			v := decodeOK(t, resp)
			if v.Code != uint32(want) || TypeRole(version, want) != RoleResponse || v.ResultCode != 99 || v.TEID != 0xc0ffee || !v.TEIDPresent {
				t.Errorf("v%d %s: response %s cause %d TEID %#x", version, TypeName(version, uint8(typ)), v.Op, v.ResultCode, v.TEID)
			}
			if version == 2 && v.Transaction != 0x0a0b0c || version == 1 && v.Transaction != 0x0b0c {
				t.Errorf("v%d %d: sequence %#x", version, typ, v.Transaction)
			}
			if strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(v.Op, "Response"), "Acknowledge"), "Ack") == "" {
				t.Errorf("response name %q", v.Op)
			}
		}
	}
	// No sender F-TEID: TEID 0. A user-plane F-TEID does not count.
	req := b.StartV2(34, true, 5, 1).IE(IEFTEID, 0, FTEID(1, 0x1234, sgwIP)).Message()
	resp, ok := r.Reject(req, CauseV2ContextNotFound)
	if v := decodeOK(t, resp); !ok || v.TEID != 0 || v.ResultCode != 64 || v.Op != "ModifyBearerResponse" {
		t.Fatalf("no sender: %v %+v", ok, v)
	}
	// Responses, notifications, Echo, GTP', broken headers: nothing to send.
	for _, req := range [][]byte{
		createSessionResponseV2(&b, false),
		b.StartV2(1, false, 0, 1).IE(IERecovery, 0, []byte{1}).Message(),
		b.StartV1(1, 0, 1).Message(),
		b.StartV2(64, true, 1, 1).Message(), // Modify Bearer Command
		b.StartV1(26, 1, 1).Message(),       // Error Indication
		b.StartV1(31, 0, 1).TLV(141, []byte{0x40}).Message(),
		{0x2e, 240, 0, 0, 0, 0},
		{0x48, 32, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		if _, ok := r.Reject(req, 99); ok {
			t.Errorf("rejected %x", req[:2])
		}
	}
	// Create PDP Context: GTPv1 cause, TEID from TEID Control Plane.
	resp, ok = r.Reject(createPDPV1(&b), CauseV1NoResources)
	if v := decodeOK(t, resp); !ok || v.Op != "CreatePDPContextResponse" || v.TEID != 0x1111 || v.ResultCode != 199 || v.Transaction != 0x4321 {
		t.Fatalf("v1 create: %+v", v)
	}
}

func TestTypeTables(t *testing.T) {
	spot := []struct {
		version, typ uint8
		name         string
		role         Role
	}{
		// TS 29.274 table 6.1-1.
		{2, 1, "EchoRequest", RoleRequest},
		{2, 2, "EchoResponse", RoleResponse},
		{2, 3, "VersionNotSupportedIndication", RoleNotification},
		{2, 32, "CreateSessionRequest", RoleRequest},
		{2, 33, "CreateSessionResponse", RoleResponse},
		{2, 36, "DeleteSessionRequest", RoleRequest},
		{2, 64, "ModifyBearerCommand", RoleNotification},
		{2, 65, "ModifyBearerFailureIndication", RoleResponse},
		{2, 95, "CreateBearerRequest", RoleRequest},
		{2, 128, "IdentificationRequest", RoleRequest},
		{2, 130, "ContextRequest", RoleRequest},
		{2, 132, "ContextAcknowledge", RoleResponse},
		{2, 141, "ConfigurationTransferTunnel", RoleNotification},
		{2, 149, "DetachNotification", RoleRequest},
		{2, 170, "ReleaseAccessBearersRequest", RoleRequest},
		{2, 176, "DownlinkDataNotification", RoleRequest},
		{2, 211, "ModifyAccessBearersRequest", RoleRequest},
		{2, 236, "MBMSSessionStopResponse", RoleResponse},
		{2, 0, "", RoleUnknown},
		{2, 4, "", RoleUnknown}, // S101
		{2, 42, "", RoleUnknown},
		{2, 178, "", RoleUnknown},
		{2, 255, "", RoleUnknown},
		// TS 29.060 table 1.
		{1, 1, "EchoRequest", RoleRequest},
		{1, 16, "CreatePDPContextRequest", RoleRequest},
		{1, 17, "CreatePDPContextResponse", RoleResponse},
		{1, 20, "DeletePDPContextRequest", RoleRequest},
		{1, 26, "ErrorIndication", RoleNotification},
		{1, 31, "SupportedExtensionHeadersNotification", RoleNotification},
		{1, 32, "SendRoutingInfoForGPRSRequest", RoleRequest},
		{1, 48, "IdentificationRequest", RoleRequest},
		{1, 50, "SGSNContextRequest", RoleRequest},
		{1, 52, "SGSNContextAcknowledge", RoleResponse},
		{1, 55, "ForwardRelocationComplete", RoleRequest},
		{1, 59, "ForwardRelocationCompleteAcknowledge", RoleResponse},
		{1, 60, "ForwardSRNSContextAcknowledge", RoleResponse},
		{1, 240, "DataRecordTransferRequest", RoleRequest},
		{1, 254, "EndMarker", RoleNotification},
		{1, 255, "GPDU", RoleNotification},
		{1, 8, "", RoleUnknown},
		{1, 130, "", RoleUnknown},
	}
	for _, s := range spot {
		if n, r := TypeName(s.version, s.typ), TypeRole(s.version, s.typ); n != s.name || r != s.role {
			t.Errorf("v%d %d: %q %v, want %q %v", s.version, s.typ, n, r, s.name, s.role)
		}
	}
	for _, version := range []uint8{1, 2} {
		seen := map[string]bool{}
		for typ := 0; typ < 256; typ++ {
			name := TypeName(version, uint8(typ))
			if (name == "") != (TypeRole(version, uint8(typ)) == RoleUnknown) {
				t.Errorf("v%d %d: name %q but role %v", version, typ, name, TypeRole(version, uint8(typ)))
			}
			if name == "" {
				continue
			}
			if seen[name] {
				t.Errorf("v%d: %s twice", version, name)
			}
			seen[name] = true
			if back, ok := TypeByName(version, name); !ok || back != uint8(typ) {
				t.Errorf("v%d TypeByName(%s) = %d %v", version, name, back, ok)
			}
			// Names say what they are.
			role := TypeRole(version, uint8(typ))
			if strings.HasSuffix(name, "Request") && role != RoleRequest || strings.HasSuffix(name, "Response") && role != RoleResponse {
				t.Errorf("v%d %s: role %v", version, name, role)
			}
		}
	}
	if _, ok := TypeByName(2, ""); ok {
		t.Error("empty name found")
	}
	if ControlPlane(1, 255) || ControlPlane(1, 254) || ControlPlane(1, 26) || !ControlPlane(1, 16) || !ControlPlane(2, 255) {
		t.Error("ControlPlane")
	}
}

// TestRealCaptures pins what Decode reads from the GTP-C messages copied
// out of public captures (testdata/README.md).
func TestRealCaptures(t *testing.T) {
	want := map[string]string{
		"real_v2_CreateSessionRequest_ndpi":                          "CreateSessionRequest seq=4936802 imsi=987654112233445 msisdn=896745214365 plmn=987654 rat=6 sender=0x35529204/10.101.0.2",
		"real_v2_CreateSessionResponse_ndpi":                         "CreateSessionResponse seq=4936802 cause=16 sender=0x35529206/10.102.0.2",
		"real_v2_DeleteSessionRequest_ndpi":                          "DeleteSessionRequest seq=4936802",
		"real_v2_DeleteSessionResponse_ndpi":                         "DeleteSessionResponse seq=4936802 cause=16",
		"real_v2_CreateSessionRequest_ngic":                          "CreateSessionRequest seq=22 imsi=011234567891234 msisdn=4039400000 plmn=40505 rat=6 sender=0x7/10.1.10.11",
		"real_v2_ModifyBearerRequest_ngic":                           "ModifyBearerRequest seq=23 plmn=40505 sender=0x7/10.1.10.11",
		"real_v2_BearerResourceCommand_ngic":                         "BearerResourceCommand seq=8388632 rat=6",
		"real_v2_ModifyBearerRequest_pcpp1":                          "ModifyBearerRequest seq=1722947 plmn=46692 rat=6 sender=0xa43ed030/111.71.236.49",
		"real_v2_EchoRequest_piggyback_pcpp2":                        "EchoRequest seq=12345 | CreateSessionResponse seq=67890 imsi=337839439415386",
		"real_v2_DeleteSessionResponse_tcp_pcpp3":                    "DeleteSessionResponse seq=12345 error",
		"real_v2_EchoRequest_pcpp4":                                  "EchoRequest seq=12345 malformed",
		"real_v2_ModifyBearerRequest_pcpp5":                          "ModifyBearerRequest seq=1722947",
		"real_v2_ModifyBearerRequest_pcpp6":                          "ModifyBearerRequest seq=1722947 error",
		"real_v2_CreateSessionRequest_magma_s8":                      "CreateSessionRequest seq=11 imsi=001020000000064 msisdn=0012000 plmn=00101 rat=6 sender=0x1/172.16.1.12",
		"real_v2_CreateSessionResponse_magma_s8":                     "CreateSessionResponse seq=11 cause=16 sender=0x13/172.16.1.2",
		"real_v2_DeleteSessionRequest_magma_s8":                      "DeleteSessionRequest seq=12 sender=0x1/172.16.1.12",
		"real_v2_CreateSessionRequest_magma_nsa":                     "CreateSessionRequest seq=42116 imsi=222010100001140 plmn=22201 rat=6 sender=0x2a100/192.168.61.149",
		"real_v2_ModifyBearerRequest_magma_nsa":                      "ModifyBearerRequest seq=42117",
		"real_v2_ModifyBearerResponse_magma_nsa":                     "ModifyBearerResponse seq=42117 cause=16",
		"real_v2_CreateBearerRequest_open5gs":                        "CreateBearerRequest seq=1",
		"real_v2_CreateBearerResponse_open5gs":                       "CreateBearerResponse seq=10 cause=16",
		"real_v2_UpdateBearerRequest_open5gs":                        "UpdateBearerRequest seq=5",
		"real_v2_DeleteBearerRequest_open5gs":                        "DeleteBearerRequest seq=3",
		"real_v2_DeleteBearerResponse_open5gs":                       "DeleteBearerResponse seq=5 cause=16",
		"real_v2_CreateIndirectDataForwardingTunnelRequest_open5gs":  "CreateIndirectDataForwardingTunnelRequest seq=38",
		"real_v2_CreateIndirectDataForwardingTunnelResponse_open5gs": "CreateIndirectDataForwardingTunnelResponse seq=37 cause=16",
		"real_v2_DeleteIndirectDataForwardingTunnelRequest_open5gs":  "DeleteIndirectDataForwardingTunnelRequest seq=37",
		"real_v2_ReleaseAccessBearersRequest_open5gs":                "ReleaseAccessBearersRequest seq=10",
		"real_v1_EchoRequest_zeek":                                   "EchoRequest seq=3072",
		"real_v1_CreatePDPContextRequest_zeek_prime":                 "CreatePDPContextRequest seq=3073 imsi=240010123456789 msisdn=46702123456 sender=0x1/127.0.0.2",
		"real_v1_CreatePDPContextResponse_zeek_prime":                "CreatePDPContextResponse seq=3073 cause=128 sender=0x1/127.0.0.1",
		"real_v1_CreatePDPContextRequest_zeek":                       "CreatePDPContextRequest seq=4875 imsi=460004100000101 msisdn=8615221000101 plmn=46006 rat=2 sender=0x32f02bf9/192.169.100.1",
		"real_v1_CreatePDPContextResponse_zeek":                      "CreatePDPContextResponse seq=4875 cause=128 sender=0x10000080/10.100.200.34",
		"real_v1_SGSNContextResponse_pcpp":                           "SGSNContextResponse seq=34062 cause=128 sender=0x3aeb040a/192.168.168.245",
		"real_v0_CreatePDPContextRequest_zeek_3386":                  " seq=0 error",
		"real_prime_DataRecordTransferRequest_ndpi":                  " seq=0 error",
		"real_v1_type3_short_ndpi":                                   "VersionNotSupported seq=0 error",
		"real_notgtp_2123_ndpi":                                      "EchoRequest seq=162051 error",
		"real_notgtp_3386_ndpi":                                      " seq=0 error",
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecode", "real_*"))
	if len(files) != len(want) {
		t.Errorf("%d real_* seeds, %d pinned", len(files), len(want))
	}
	for _, f := range files {
		name := filepath.Base(f)
		raw := fuzzcorpus.Read(t, f)
		msgs, errs := decodeAll(raw)
		var parts []string
		for i := range msgs {
			parts = append(parts, summary(&msgs[i], errs[i]))
		}
		if got := strings.Join(parts, " | "); got != want[name] {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want[name])
		}
	}
}

// summary is a one-line account of a decoded message for pinning.
func summary(v *view.Message, err error) string {
	var s strings.Builder
	s.WriteString(v.Op)
	s.WriteString(" seq=")
	s.WriteString(itoa(v.Transaction))
	if !v.IMSI.IsZero() {
		s.WriteString(" imsi=" + v.IMSI.String())
	}
	if !v.MSISDN.IsZero() {
		s.WriteString(" msisdn=" + v.MSISDN.String())
	}
	if !v.VisitedPLMN.IsZero() {
		s.WriteString(" plmn=" + v.VisitedPLMN.String())
	}
	if v.RAT != 0 {
		s.WriteString(" rat=" + itoa(uint64(v.RAT)))
	}
	if v.ResultCode != 0 {
		s.WriteString(" cause=" + itoa(uint64(v.ResultCode)))
	}
	if v.SenderTEID != 0 || v.SenderAddrs[0].IsValid() || v.SenderAddrs[1].IsValid() {
		s.WriteString(" sender=0x" + strings.TrimLeft(hex32(v.SenderTEID), "0"))
		for _, a := range v.SenderAddrs {
			if a.IsValid() {
				s.WriteString("/" + a.String())
			}
		}
	}
	if v.IdentityConflict {
		s.WriteString(" conflict")
	}
	switch {
	case err != nil:
		s.WriteString(" error")
	case v.Malformed != "":
		s.WriteString(" malformed")
	}
	return s.String()
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func hex32(n uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// clone copies a message out of a Builder's buffer.
func clone(m []byte) []byte { return append([]byte(nil), m...) }
