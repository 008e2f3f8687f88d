package gtp

import (
	"testing"

	"breakwater/protocols/view"
)

// benchCreateSession is a Create Session Request as an MME sends it on
// S11 (~200 octets): IMSI, MSISDN, MEI, ULI, Serving Network, RAT, two
// F-TEIDs, APN, selection mode, PDN type, PAA, AMBR, and a Bearer Context
// with EBI and bearer QoS.
func benchCreateSession() []byte {
	var b Builder
	sn := plmn(310, 260, 3)
	uli := append(append([]byte{0x18}, sn...), 0x00, 0x01) // TAI
	uli = append(append(uli, sn...), 0x01, 0x23, 0x45, 0x67)
	return clone(b.StartV2(32, true, 0, 0x0abcde).
		IE(IEIMSI, 0, TBCD("310260123456789")).
		IE(IEMSISDN, 0, TBCD("14155550123")).
		IE(75, 0, TBCD("3588110500000000")). // MEI
		IE(IEULI, 0, uli).
		IE(IEServingNetwork, 0, sn).
		IE(IERATType, 0, []byte{6}).
		IE(IEIndication, 0, []byte{0, 0x08, 0, 0}).
		IE(IEFTEID, 0, FTEID(10, 0x1234, mmeIP)).
		IE(IEFTEID, 1, FTEID(7, 0, pgwIP)).
		IE(IEAPN, 0, []byte("\x08internet\x06mnc260\x06mcc310\x04gprs")).
		IE(IESelectionMode, 0, []byte{0}).
		IE(99, 0, []byte{1}).                            // PDN Type
		IE(79, 0, []byte{1, 0, 0, 0, 0}).                // PAA
		IE(72, 0, []byte{0, 0, 3, 0xe8, 0, 0, 7, 0xd0}). // AMBR
		Group(IEBearerContext, 0).
		IE(IEEBI, 0, []byte{5}).
		IE(80, 0, []byte{0x49, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}). // Bearer QoS
		End().
		IE(IERecovery, 0, []byte{3}).
		Message())
}

func benchModifyBearer() []byte {
	var b Builder
	return clone(b.StartV2(34, true, 0x4321, 0x000100).
		IE(IEFTEID, 0, FTEID(10, 0x2468, mmeIP)).
		Group(IEBearerContext, 0).IE(IEEBI, 0, []byte{5}).IE(IEFTEID, 0, FTEID(0, 0x1, sgwIP)).End().
		Message())
}

func benchDecode(b *testing.B, raw []byte) {
	var v view.Message
	if _, err := Decode(raw, &v); err != nil || v.Malformed != "" {
		b.Fatalf("%v %q", err, v.Malformed)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		Decode(raw, &v)
	}
}

func BenchmarkDecode(b *testing.B) {
	b.Run("v2CreateSessionRequest", func(b *testing.B) {
		raw := benchCreateSession()
		if len(raw) < 180 || len(raw) > 240 {
			b.Fatalf("%d octets", len(raw))
		}
		benchDecode(b, raw)
	})
	b.Run("v2ModifyBearerRequest", func(b *testing.B) { benchDecode(b, benchModifyBearer()) })
	b.Run("v1CreatePDPContextRequest", func(b *testing.B) {
		var bld Builder
		benchDecode(b, clone(createPDPV1(&bld)))
	})
}
