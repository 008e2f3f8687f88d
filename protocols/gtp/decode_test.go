package gtp

import (
	"net/netip"
	"testing"

	"breakwater/protocols/view"
)

var (
	sgwIP = netip.MustParseAddr("192.0.2.10")
	pgwIP = netip.MustParseAddr("10.10.1.1")
)

func createSessionV2(b *Builder) []byte {
	ss := view.PLMN{MCC: 234, MNC: 15, MNCLen: 2}.Encode()
	return b.StartV2(32, true, 0, 0x010203).
		IE(IEIMSI, 0, TBCD("310260000000001")).
		IE(IEMSISDN, 0, TBCD("12065550100")).
		IE(IERATType, 0, []byte{6}).
		IE(IEServingNetwork, 0, ss[:]).
		IE(IEFTEID, 0, FTEID(6, 0x1111, sgwIP)).
		IE(IEFTEID, 1, FTEID(7, 0, pgwIP)).
		IE(IEAPN, 0, []byte("\x08internet")).
		Group(IEBearerContext, 0).IE(IEEBI, 0, []byte{5}).IE(IEFTEID, 2, FTEID(4, 0x2222, sgwIP)).End().
		Message()
}

func TestDecodeCreateSessionV2(t *testing.T) {
	var b Builder
	raw := createSessionV2(&b)
	var v view.Message
	n, err := Decode(raw, &v)
	if err != nil || n != len(raw) || v.Malformed != "" {
		t.Fatalf("n=%d err=%v malformed=%q", n, err, v.Malformed)
	}
	if v.Protocol != view.GTPv2C || v.Op != "CreateSessionRequest" || !v.Request || v.Transaction != 0x010203 || !v.TEIDPresent || v.TEID != 0 {
		t.Fatalf("header %+v", v)
	}
	if v.IMSI.String() != "310260000000001" || v.MSISDN.String() != "12065550100" || v.VisitedPLMN.String() != "23415" || v.RAT != 6 {
		t.Fatalf("identities %q %q %q rat %d", v.IMSI.String(), v.MSISDN.String(), v.VisitedPLMN.String(), v.RAT)
	}
	if v.SenderTEID != 0x1111 || v.SenderAddrs[0] != sgwIP || v.SenderAddrs[1].IsValid() {
		t.Fatalf("sender F-TEID %x %v", v.SenderTEID, v.SenderAddrs)
	}
	if n := testing.AllocsPerRun(100, func() { Decode(raw, &v) }); n != 0 {
		t.Fatalf("%v allocations per decode", n)
	}
}

func TestRejectV2AndV1(t *testing.T) {
	var b, r Builder
	resp, ok := r.Reject(createSessionV2(&b), CauseV2RequestRejected)
	if !ok {
		t.Fatal("no response built")
	}
	var v view.Message
	if _, err := Decode(resp, &v); err != nil || v.Op != "CreateSessionResponse" || v.ResultCode != 94 || v.TEID != 0x1111 || v.Transaction != 0x010203 {
		t.Fatalf("v2 reject %+v %v", v, err)
	}
	req := b.StartV1(50, 0, 77).TV(V1IEIMSI, TBCD("3102600000000010")[:8]).TV(V1IETEIDControl, []byte{0, 0, 0x33, 0x33}).Message()
	resp, ok = r.Reject(req, CauseV1NoResources)
	if !ok {
		t.Fatal("no v1 response")
	}
	if _, err := Decode(resp, &v); err != nil || v.Op != "SGSNContextResponse" || v.ResultCode != 199 || v.TEID != 0x3333 || v.Transaction != 77 {
		t.Fatalf("v1 reject %+v %v", v, err)
	}
}

func TestClassify(t *testing.T) {
	cases := map[byte]Kind{0x48: KindV2, 0x58: KindV2, 0x40: KindV2, 0x32: KindV1, 0x30: KindV1, 0x1e: KindV0, 0x0e: KindPrime, 0x2e: KindPrime, 0x4e: KindPrime, 0xff: KindUnknown}
	for first, want := range cases {
		if got := Classify([]byte{first}); got != want {
			t.Errorf("%#x: %v, want %v", first, got, want)
		}
	}
}

func TestRewrite(t *testing.T) {
	var b Builder
	raw := append([]byte(nil), createSessionV2(&b)...)
	bw4 := netip.MustParseAddr("10.10.0.5")
	if n, err := RewriteControlAddress(raw, bw4, netip.Addr{}); n != 1 || err != nil {
		t.Fatalf("rewrote %d: %v", n, err)
	}
	if !SetSequence(raw, 0x0a0b0c) {
		t.Fatal("SetSequence")
	}
	var v view.Message
	if _, err := Decode(raw, &v); err != nil || v.SenderAddrs[0] != bw4 || v.Transaction != 0x0a0b0c || v.SenderTEID != 0x1111 {
		t.Fatalf("after rewrite: %+v %v", v, err)
	}
	// The user-plane F-TEID in the bearer context keeps the SGW's address.
	if !bytesContain(raw, sgwIP.AsSlice()) {
		t.Fatal("user-plane address rewritten too")
	}
	if _, err := RewriteControlAddress(raw, netip.Addr{}, netip.MustParseAddr("2001:db8::1")); err != ErrAddressFamily {
		t.Fatalf("v4 endpoint with only a v6 replacement: %v", err)
	}
	echo := b.StartV2(1, false, 0, 9).IE(IERecovery, 0, []byte{3}).Message()
	var r Builder
	resp, ok := r.EchoResponse(echo, 7)
	if _, err := Decode(resp, &v); !ok || err != nil || v.Op != "EchoResponse" || v.Transaction != 9 {
		t.Fatalf("echo response %+v %v", v, err)
	}
}

func bytesContain(b, sub []byte) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return true
		}
	}
	return false
}

// A Create Session Response naming the PGW's S5/S8 control endpoint twice
// (instance 0 and instance 1, same interface type) must name one endpoint:
// otherwise a check could see one and the SGW use the other. On S11 the two
// instances are different nodes' endpoints and both are fine.
func TestCreateSessionResponsePGWFTEIDs(t *testing.T) {
	partner := netip.MustParseAddr("192.0.2.60")
	other := netip.MustParseAddr("100.64.0.66")
	sgw := netip.MustParseAddr("10.10.4.20")
	var b Builder
	for _, tc := range []struct {
		name      string
		i0, i1    []byte
		malformed bool
		sender    netip.Addr
	}{
		{"S8 same endpoint", FTEID(7, 0x25, partner), FTEID(7, 0x25, partner), false, partner},
		{"S8 other address", FTEID(7, 0x25, partner), FTEID(7, 0x25, other), true, partner},
		{"S8 other TEID", FTEID(7, 0x25, partner), FTEID(7, 0x26, partner), true, partner},
		{"S8 instance 1 only", nil, FTEID(7, 0x25, other), false, other},
		{"S11 SGW and PGW", FTEID(11, 0x11, sgw), FTEID(7, 0x25, other), false, sgw},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bb := b.StartV2(33, true, 1, 1).IE(IECause, 0, []byte{16, 0})
			if tc.i0 != nil {
				bb = bb.IE(IEFTEID, 0, tc.i0)
			}
			msg := bb.IE(IEFTEID, 1, tc.i1).Message()
			var v view.Message
			if _, err := Decode(msg, &v); err != nil {
				t.Fatal(err)
			}
			if (v.Malformed != "") != tc.malformed {
				t.Fatalf("malformed %q, want %v", v.Malformed, tc.malformed)
			}
			if !tc.malformed && v.SenderAddrs[0] != tc.sender {
				t.Fatalf("sender %v, want %v", v.SenderAddrs[0], tc.sender)
			}
		})
	}
}
