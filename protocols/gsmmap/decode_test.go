package gsmmap

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"breakwater/protocols/ber"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

// expect is what a decoded view must hold; zero fields must be zero.
type expect struct {
	op                 string
	code               uint32
	request            bool
	imsi, msisdn       string
	msc, vlr, sgsn     string
	hlr, scf, smsc     string
	ftn                string
	plmn               string
	flags              uint32
	result             uint32
	ac, acVersion      uint8
	invokes            uint8
	malformed          string
	conflict           bool
	tcapType           uint8
	transaction        uint64
	noTransactionCheck bool
}

func (e expect) check(v *view.Message) []string {
	var bad []string
	cmp := func(name, got, want string) {
		if got != want {
			bad = append(bad, fmt.Sprintf("%s %q, want %q", name, got, want))
		}
	}
	cmp("Op", v.Op, e.op)
	cmp("IMSI", v.IMSI.String(), e.imsi)
	cmp("MSISDN", v.MSISDN.String(), e.msisdn)
	cmp("MSCNumber", v.MSCNumber.String(), e.msc)
	cmp("VLRNumber", v.VLRNumber.String(), e.vlr)
	cmp("SGSNNumber", v.SGSNNumber.String(), e.sgsn)
	cmp("HLRNumber", v.HLRNumber.String(), e.hlr)
	cmp("GsmSCF", v.GsmSCF.String(), e.scf)
	cmp("SMSC", v.SMSC.String(), e.smsc)
	cmp("ForwardedTo", v.ForwardedTo.String(), e.ftn)
	cmp("VisitedPLMN", v.VisitedPLMN.String(), e.plmn)
	cmp("Malformed", v.Malformed, e.malformed)
	if v.Protocol != view.MAP {
		bad = append(bad, "Protocol "+v.Protocol.String())
	}
	if v.Code != e.code || v.Request != e.request || v.Flags != e.flags || v.ResultCode != e.result ||
		v.AppContext != e.ac || v.AppContextVersion != e.acVersion || v.IdentityConflict != e.conflict {
		bad = append(bad, fmt.Sprintf("code %d request %v flags %#x result %d ac %d.%d conflict %v; want %d %v %#x %d %d.%d %v",
			v.Code, v.Request, v.Flags, v.ResultCode, v.AppContext, v.AppContextVersion, v.IdentityConflict,
			e.code, e.request, e.flags, e.result, e.ac, e.acVersion, e.conflict))
	}
	if e.invokes != 0 && v.Invokes != e.invokes {
		bad = append(bad, fmt.Sprintf("Invokes %d, want %d", v.Invokes, e.invokes))
	}
	if e.tcapType != 0 && v.TCAPType != e.tcapType {
		bad = append(bad, fmt.Sprintf("TCAPType %#x, want %#x", v.TCAPType, e.tcapType))
	}
	if !e.noTransactionCheck && e.transaction != 0 && v.Transaction != e.transaction {
		bad = append(bad, fmt.Sprintf("Transaction %#x, want %#x", v.Transaction, e.transaction))
	}
	return bad
}

// Digits used throughout.
const (
	imsiHome  = "234150123456789"
	imsiOther = "310260000000001"
	msisdnA   = "447700900123"
	mscA      = "447700000001"
	vlrA      = "447700000002"
	sgsnA     = "447700000003"
	hlrA      = "447700000004"
	scfA      = "8613800000005"
	smscA     = "447700000006"
	ftnA      = "8613900000007"
)

const (
	loc   = view.FlagLocationRequest
	state = view.FlagStateRequest
	redir = view.FlagRedirect
	mism  = view.FlagAppMismatch
)

type decodeCase struct {
	name string
	in   []byte
	want expect
	err  error
}

// decodeCases are MAP messages built from the TS 29.002 ASN.1 quoted with
// each (IMPLICIT TAGS). The oracle test feeds the well-formed ones to
// tshark too.
func decodeCases() []decodeCase {
	// UpdateLocationArg ::= SEQUENCE { imsi IMSI, msc-Number [1], vlr-Number, lmsi [10], ..., vlr-Capability [6] ... }
	ul := tl(seqID, tl(octets, tbcd(imsiHome)), tl(ctx(1), isdn(mscA)), tl(octets, isdn(vlrA)), tl(ctx(10), hx("01020304")),
		tl(ctxC(6), tl(ctx(0), hx("06 c0"))))
	// SubscriberData: provisionedSS [7] { forwardingInfo [0] { ss-Code cfu
	// (21), forwardingFeatureList { { teleservice [3] 10, ss-Status [4]
	// 07, forwardedToNumber [5] } } } }
	provisionedCF := tl(ctxC(7), tl(ctxC(0), tl(octets, []byte{0x21}), tl(seqID, tl(seqID, tl(ctx(3), []byte{0x10}),
		tl(ctx(4), []byte{0x07}), tl(ctx(5), isdn(ftnA))))))
	// vlrCamelSubscriptionInfo [13] { o-CSI [0] { { { collectedInfo(2),
	// serviceKey 7, gsmSCF-Address [0], defaultCallHandling [1] } } } }
	oCSI := tl(ctxC(13), tl(ctxC(0), tl(seqID, tl(seqID, tl(enum, []byte{2}), tl(integ, []byte{7}), tl(ctx(0), isdn(scfA)),
		tl(ctx(1), []byte{0})))))
	// sgsn-CAMEL-SubscriptionInfo [17] { gprs-CSI [0] { gprs-CamelTDPDataList [0] { { [0] attach(1), [1] 9, gsmSCF [2], [3] 0 } } } }
	gprsCSI := tl(ctxC(17), tl(ctxC(0), tl(ctxC(0), tl(seqID, tl(ctx(0), []byte{1}), tl(ctx(1), []byte{9}),
		tl(ctx(2), isdn(scfA)), tl(ctx(3), []byte{0})))))
	// RequestedInfo ::= SEQUENCE { locationInformation [0] NULL, subscriberState [1] NULL, ..., currentLocation [3], imei [6] }
	reqLocState := tl(ctxC(2), tl(ctx(0)), tl(ctx(1)))
	psi := func(req []byte) []byte { return tl(seqID, tl(ctx(0), tbcd(imsiHome)), req) }
	// AnyTimeInterrogationArg ::= SEQUENCE { subscriberIdentity [0] CHOICE { imsi [0], msisdn [1] }, requestedInfo [1], gsmSCF-Address [3] }
	ati := func(id, req []byte) []byte {
		return tl(seqID, tl(ctxC(0), id), tl(ctxC(1), req), tl(ctx(3), isdn(scfA)))
	}
	// MO-ForwardSM-Arg ::= SEQUENCE { sm-RP-DA [4] serviceCentreAddressDA, sm-RP-OA [2] msisdn, sm-RP-UI, extensionContainer, ..., imsi }
	moSM := tl(seqID, tl(ctx(4), isdn(smscA)), tl(ctx(2), isdn(msisdnA)), tl(octets, hx("01 00 0b 81 44 77 00 90 01 32 00 00 01 61")),
		tl(octets, tbcd(imsiHome)))
	// MT-ForwardSM-Arg ::= SEQUENCE { sm-RP-DA [0] imsi, sm-RP-OA [4] serviceCentreAddressOA, sm-RP-UI, moreMessagesToSend NULL }
	mtSM := tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(ctx(4), isdn(smscA)), tl(octets, hx("04 0b 91 44 77 00 90 01 32 00 00 11 30 10 51 00 00 00 01 61")), tl(null))
	mapOpenIMSI := mapOpen(e212(imsiHome), isdn(vlrA))

	beginT := uint8(tcap.Begin)
	cases := []decodeCase{
		{"updateLocation v3", beginInvoke(ACNetworkLocUp, OpUpdateLocation, ul),
			expect{op: "updateLocation", code: 2, request: true, imsi: imsiHome, msc: mscA, vlr: vlrA, ac: 1, acVersion: 3, invokes: 1, tcapType: beginT, transaction: 0x0102}, nil},
		{"updateLocation v1 (roamingNumber locationInfo)", begin(7, nil, invoke(1, OpUpdateLocation,
			tl(seqID, tl(octets, tbcd(imsiHome)), tl(ctx(0), isdn(mscA)), tl(octets, isdn(vlrA))))),
			expect{op: "updateLocation", code: 2, request: true, imsi: imsiHome, vlr: vlrA, transaction: 7}, nil},
		{"updateGprsLocation", beginInvoke(ACGprsLocationUpdate, OpUpdateGprsLocation,
			tl(seqID, tl(octets, tbcd(imsiHome)), tl(octets, isdn(sgsnA)), tl(octets, hx("04 c0 a8 00 01")))),
			expect{op: "updateGprsLocation", code: 23, request: true, imsi: imsiHome, sgsn: sgsnA, ac: 32, acVersion: 3}, nil},
		// CancelLocationArg ::= [3] SEQUENCE { identity, cancellationType, ..., newMSC-Number [3], newVLR-Number [4] }
		{"cancelLocation v3", beginInvoke(ACLocationCancellation, OpCancelLocation,
			tl(ctxC(3), tl(octets, tbcd(imsiHome)), tl(enum, []byte{0}), tl(ctx(3), isdn(mscA)), tl(ctx(4), isdn(vlrA)))),
			expect{op: "cancelLocation", code: 3, request: true, imsi: imsiHome, msc: mscA, vlr: vlrA, ac: 2, acVersion: 3}, nil},
		{"cancelLocation v2 imsi-WithLMSI", begin(9, aarq(acn(ACLocationCancellation, 2)), invoke(1, OpCancelLocation,
			tl(seqID, tl(octets, tbcd(imsiHome)), tl(octets, hx("01020304"))))),
			expect{op: "cancelLocation", code: 3, request: true, imsi: imsiHome, ac: 2, acVersion: 2}, nil},
		{"cancelLocation v2 bare IMSI", begin(9, aarq(acn(ACLocationCancellation, 2)), invoke(1, OpCancelLocation, tl(octets, tbcd(imsiHome)))),
			expect{op: "cancelLocation", code: 3, request: true, imsi: imsiHome, ac: 2, acVersion: 2}, nil},
		{"insertSubscriberData forwarding and CAMEL", beginInvoke(ACSubscriberDataMngt, OpInsertSubscriberData,
			tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(ctx(1), isdn(msisdnA)), tl(ctx(2), []byte{0x0a}), provisionedCF, oCSI)),
			expect{op: "insertSubscriberData", code: 7, request: true, imsi: imsiHome, msisdn: msisdnA, ftn: ftnA, scf: scfA,
				flags: redir, ac: 16, acVersion: 3}, nil},
		{"insertSubscriberData GPRS-CSI and sgsn-Number [34]", beginInvoke(ACSubscriberDataMngt, OpInsertSubscriberData,
			tl(seqID, tl(ctx(1), isdn(msisdnA)), gprsCSI, tl([]byte{0x9f, 0x22}, isdn(sgsnA)))),
			expect{op: "insertSubscriberData", code: 7, request: true, msisdn: msisdnA, scf: scfA, sgsn: sgsnA, flags: redir, ac: 16, acVersion: 3}, nil},
		{"insertSubscriberData plain", beginInvoke(ACSubscriberDataMngt, OpInsertSubscriberData,
			tl(seqID, tl(ctx(1), isdn(msisdnA)), tl(ctx(2), []byte{0x0a}), tl(ctx(3), []byte{0}))),
			expect{op: "insertSubscriberData", code: 7, request: true, msisdn: msisdnA, ac: 16, acVersion: 3}, nil},
		// DeleteSubscriberDataArg ::= SEQUENCE { imsi [0], basicServiceList [1], ss-List [2], ... }
		{"deleteSubscriberData", beginInvoke(ACSubscriberDataMngt, OpDeleteSubscriberData,
			tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(ctxC(2), tl(octets, []byte{0x21})))),
			expect{op: "deleteSubscriberData", code: 8, request: true, imsi: imsiHome, ac: 16, acVersion: 3}, nil},
		// ProvideSubscriberInfoArg ::= SEQUENCE { imsi [0], lmsi [1], requestedInfo [2], ... }
		{"provideSubscriberInfo location and state", beginInvoke(ACSubscriberInfoEnquiry, OpProvideSubscriberInfo, psi(reqLocState)),
			expect{op: "provideSubscriberInfo", code: 70, request: true, imsi: imsiHome, flags: loc | state, ac: 28, acVersion: 3}, nil},
		{"provideSubscriberInfo imei only", beginInvoke(ACSubscriberInfoEnquiry, OpProvideSubscriberInfo, psi(tl(ctxC(2), tl(ctx(6))))),
			expect{op: "provideSubscriberInfo", code: 70, request: true, imsi: imsiHome, ac: 28, acVersion: 3}, nil},
		{"anyTimeInterrogation by MSISDN", beginInvoke(ACAnyTimeInfoEnquiry, OpAnyTimeInterrogation,
			ati(tl(ctx(1), isdn(msisdnA)), cat(tl(ctx(0)), tl(ctx(1)), tl(ctx(3))))),
			expect{op: "anyTimeInterrogation", code: 71, request: true, msisdn: msisdnA, scf: scfA, flags: loc | state, ac: 29, acVersion: 3}, nil},
		{"anyTimeInterrogation by IMSI, state only", beginInvoke(ACAnyTimeInfoEnquiry, OpAnyTimeInterrogation,
			ati(tl(ctx(0), tbcd(imsiHome)), tl(ctx(1)))),
			expect{op: "anyTimeInterrogation", code: 71, request: true, imsi: imsiHome, scf: scfA, flags: state, ac: 29, acVersion: 3}, nil},
		// AnyTimeSubscriptionInterrogationArg ::= SEQUENCE { subscriberIdentity [0], requestedSubscriptionInfo [1], gsmSCF-Address [2] }
		{"anyTimeSubscriptionInterrogation", beginInvoke(ACAnyTimeInfoHandling, OpAnyTimeSubscriptionInterrogation,
			tl(seqID, tl(ctxC(0), tl(ctx(1), isdn(msisdnA))), tl(ctxC(1), tl(ctx(2))), tl(ctx(2), isdn(scfA)))),
			expect{op: "anyTimeSubscriptionInterrogation", code: 62, request: true, msisdn: msisdnA, scf: scfA, ac: 43, acVersion: 3}, nil},
		// AnyTimeModificationArg ::= SEQUENCE { subscriberIdentity [0], gsmSCF-Address [1], modificationRequestFor-CF-Info [2] { ss-Code [0], ..., forwardedToNumber [3] } }
		{"anyTimeModification call forwarding", beginInvoke(ACAnyTimeInfoHandling, OpAnyTimeModification,
			tl(seqID, tl(ctxC(0), tl(ctx(0), tbcd(imsiHome))), tl(ctx(1), isdn(scfA)),
				tl(ctxC(2), tl(ctx(0), []byte{0x21}), tl(ctx(2), []byte{0x05}), tl(ctx(3), isdn(ftnA))))),
			expect{op: "anyTimeModification", code: 65, request: true, imsi: imsiHome, scf: scfA, ftn: ftnA, flags: redir, ac: 43, acVersion: 3}, nil},
		// modificationRequestFor-CSI [4] { requestedCamel-SubscriptionInfo [0] o-CSI, modifyCSI-State [2] activate }
		{"anyTimeModification activating O-CSI", beginInvoke(ACAnyTimeInfoHandling, OpAnyTimeModification,
			tl(seqID, tl(ctxC(0), tl(ctx(1), isdn(msisdnA))), tl(ctx(1), isdn(scfA)), tl(ctxC(4), tl(ctx(0), []byte{0}), tl(ctx(2), []byte{1})))),
			expect{op: "anyTimeModification", code: 65, request: true, msisdn: msisdnA, scf: scfA, flags: redir, ac: 43, acVersion: 3}, nil},
		{"anyTimeModification deactivating O-CSI", beginInvoke(ACAnyTimeInfoHandling, OpAnyTimeModification,
			tl(seqID, tl(ctxC(0), tl(ctx(1), isdn(msisdnA))), tl(ctx(1), isdn(scfA)), tl(ctxC(4), tl(ctx(0), []byte{0}), tl(ctx(2), []byte{0})))),
			expect{op: "anyTimeModification", code: 65, request: true, msisdn: msisdnA, scf: scfA, ac: 43, acVersion: 3}, nil},
		// ProvideRoamingNumberArg ::= SEQUENCE { imsi [0], msc-Number [1], msisdn [2], ..., gmsc-Address [8] }
		{"provideRoamingNumber", beginInvoke(ACRoamingNumberEnquiry, OpProvideRoamingNumber,
			tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(ctx(1), isdn(mscA)), tl(ctx(2), isdn(msisdnA)), tl(ctx(8), isdn(hlrA)))),
			expect{op: "provideRoamingNumber", code: 4, request: true, imsi: imsiHome, msc: mscA, msisdn: msisdnA, ac: 3, acVersion: 3}, nil},
		// SendRoutingInfoArg ::= SEQUENCE { msisdn [0], ..., interrogationType [3], ..., gmsc-OrGsmSCF-Address [6] }
		{"sendRoutingInfo", beginInvoke(ACLocationInfoRetrieval, OpSendRoutingInfo,
			tl(seqID, tl(ctx(0), isdn(msisdnA)), tl(ctx(3), []byte{0}), tl(ctx(6), isdn(mscA)))),
			expect{op: "sendRoutingInfo", code: 22, request: true, msisdn: msisdnA, msc: mscA, ac: 5, acVersion: 3}, nil},
		// RoutingInfoForSM-Arg ::= SEQUENCE { msisdn [0], sm-RP-PRI [1] BOOLEAN, serviceCentreAddress [2], ... }
		{"sendRoutingInfoForSM", beginInvoke(ACShortMsgGateway, OpSendRoutingInfoForSM,
			tl(seqID, tl(ctx(0), isdn(msisdnA)), tl(ctx(1), []byte{0xff}), tl(ctx(2), isdn(smscA)))),
			expect{op: "sendRoutingInfoForSM", code: 45, request: true, msisdn: msisdnA, smsc: smscA, ac: 20, acVersion: 3}, nil},
		// SendRoutingInfoForGprsArg ::= SEQUENCE { imsi [0], ggsn-Address [1], ggsn-Number [2] }
		{"sendRoutingInfoForGprs", beginInvoke(ACGprsLocationInfoRetrieval, OpSendRoutingInfoForGprs,
			tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(ctx(2), isdn(hlrA)))),
			expect{op: "sendRoutingInfoForGprs", code: 24, request: true, imsi: imsiHome, ac: 33, acVersion: 3}, nil},
		// RoutingInfoForLCS-Arg ::= SEQUENCE { mlcNumber [0], targetMS [1] SubscriberIdentity }
		{"sendRoutingInfoForLCS", beginInvoke(ACLocationSvcGateway, OpSendRoutingInfoForLCS,
			tl(seqID, tl(ctx(0), isdn(scfA)), tl(ctxC(1), tl(ctx(1), isdn(msisdnA))))),
			expect{op: "sendRoutingInfoForLCS", code: 85, request: true, msisdn: msisdnA, ac: 37, acVersion: 3}, nil},
		// ProvideSubscriberLocation-Arg ::= SEQUENCE { locationType { locationEstimateType [0] currentLocation }, mlc-Number, ..., imsi [2], msisdn [3] }
		{"provideSubscriberLocation", beginInvoke(ACLocationSvcEnquiry, OpProvideSubscriberLocation,
			tl(seqID, tl(seqID, tl(ctx(0), []byte{0})), tl(octets, isdn(scfA)), tl(ctx(2), tbcd(imsiHome)), tl(ctx(3), isdn(msisdnA)))),
			expect{op: "provideSubscriberLocation", code: 83, request: true, imsi: imsiHome, msisdn: msisdnA, flags: loc, ac: 38, acVersion: 3}, nil},
		// SubscriberLocationReport-Arg ::= SEQUENCE { lcs-Event, lcs-ClientID { lcsClientType [0] }, lcsLocationInfo { networkNode-Number, ..., gprsNodeIndicator [2] }, msisdn [0], imsi [1] }
		{"subscriberLocationReport from an SGSN", beginInvoke(ACLocationSvcEnquiry, OpSubscriberLocationReport,
			tl(seqID, tl(enum, []byte{0}), tl(seqID, tl(ctx(0), []byte{0})), tl(seqID, tl(octets, isdn(sgsnA)), tl(ctx(2))),
				tl(ctx(0), isdn(msisdnA)), tl(ctx(1), tbcd(imsiHome)))),
			expect{op: "subscriberLocationReport", code: 86, request: true, imsi: imsiHome, msisdn: msisdnA, sgsn: sgsnA, ac: 38, acVersion: 3}, nil},
		// SendAuthenticationInfoArg ::= SEQUENCE { imsi [0], numberOfRequestedVectors, ..., requestingNodeType [3], requestingPLMN-Id [4] }
		{"sendAuthenticationInfo v3", beginInvoke(ACInfoRetrieval, OpSendAuthenticationInfo,
			tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(integ, []byte{1}), tl(ctx(3), []byte{0}), tl(ctx(4), hx("32 f4 51")))),
			expect{op: "sendAuthenticationInfo", code: 56, request: true, imsi: imsiHome, plmn: "23415", ac: 14, acVersion: 3}, nil},
		{"sendAuthenticationInfo v2 (bare IMSI)", begin(3, aarq(acn(ACInfoRetrieval, 2)), invoke(1, OpSendAuthenticationInfo, tl(octets, tbcd(imsiHome)))),
			expect{op: "sendAuthenticationInfo", code: 56, request: true, imsi: imsiHome, ac: 14, acVersion: 2}, nil},
		// sendIMSI: ARGUMENT ISDN-AddressString (the MSISDN)
		{"sendIMSI", begin(3, aarq(acn(ACImsiRetrieval, 2)), invoke(1, OpSendIMSI, tl(octets, isdn(msisdnA)))),
			expect{op: "sendIMSI", code: 58, request: true, msisdn: msisdnA, ac: 26, acVersion: 2}, nil},
		// SendIdentificationArg ::= SEQUENCE { tmsi, numberOfRequestedVectors, ..., msc-Number, ..., newVLR-Number [3] }
		{"sendIdentification v3", beginInvoke(ACInterVlrInfoRetrieval, OpSendIdentification,
			tl(seqID, tl(octets, hx("01020304")), tl(integ, []byte{1}), tl(octets, isdn(mscA)), tl(ctx(3), isdn(vlrA)))),
			expect{op: "sendIdentification", code: 55, request: true, msc: mscA, vlr: vlrA, ac: 15, acVersion: 3}, nil},
		{"sendIdentification v2 (bare TMSI)", begin(3, aarq(acn(ACInterVlrInfoRetrieval, 2)), invoke(1, OpSendIdentification, tl(octets, hx("01020304")))),
			expect{op: "sendIdentification", code: 55, request: true, ac: 15, acVersion: 2}, nil},
		// PurgeMS-Arg ::= [3] SEQUENCE { imsi, vlr-Number [0], sgsn-Number [1] }
		{"purgeMS v3", beginInvoke(ACMsPurging, OpPurgeMS, tl(ctxC(3), tl(octets, tbcd(imsiHome)), tl(ctx(0), isdn(vlrA)))),
			expect{op: "purgeMS", code: 67, request: true, imsi: imsiHome, vlr: vlrA, ac: 27, acVersion: 3}, nil},
		{"purgeMS v2", begin(3, aarq(acn(ACMsPurging, 2)), invoke(1, OpPurgeMS, tl(seqID, tl(octets, tbcd(imsiHome)), tl(octets, isdn(vlrA))))),
			expect{op: "purgeMS", code: 67, request: true, imsi: imsiHome, vlr: vlrA, ac: 27, acVersion: 2}, nil},
		// ResetArg ::= SEQUENCE { sendingNodenumber CHOICE { hlr-Number, css-Number [1] }, hlr-List }
		{"reset", begin(3, aarq(acn(ACReset, 2)), invoke(1, OpReset, tl(seqID, tl(octets, isdn(hlrA)), tl(seqID, tl(octets, tbcd("23415")))))),
			expect{op: "reset", code: 37, request: true, hlr: hlrA, ac: 10, acVersion: 2}, nil},
		{"reset v1 (networkResource first)", begin(3, nil, invoke(1, OpReset, tl(seqID, tl(enum, []byte{2}), tl(octets, isdn(hlrA))))),
			expect{op: "reset", code: 37, request: true, hlr: hlrA, transaction: 3}, nil},
		{"mo-ForwardSM", beginInvoke(ACShortMsgMORelay, OpMOForwardSM, moSM),
			expect{op: "mo-ForwardSM", code: 46, request: true, imsi: imsiHome, msisdn: msisdnA, smsc: smscA, ac: 21, acVersion: 3}, nil},
		{"mt-ForwardSM", beginInvoke(ACShortMsgMTRelay, OpMTForwardSM, mtSM),
			expect{op: "mt-ForwardSM", code: 44, request: true, imsi: imsiHome, smsc: smscA, ac: 25, acVersion: 3}, nil},
		{"forwardSM v2 (MT direction)", begin(3, aarq(acn(ACShortMsgMTRelay, 2)), invoke(1, OpMOForwardSM, mtSM)),
			expect{op: "forwardSM", code: 46, request: true, imsi: imsiHome, smsc: smscA, ac: 25, acVersion: 2}, nil},
		// ReportSM-DeliveryStatusArg ::= SEQUENCE { msisdn, serviceCentreAddress, sm-DeliveryOutcome, ... }
		{"reportSM-DeliveryStatus", beginInvoke(ACShortMsgGateway, OpReportSMDeliveryStatus,
			tl(seqID, tl(octets, isdn(msisdnA)), tl(octets, isdn(smscA)), tl(enum, []byte{1}))),
			expect{op: "reportSM-DeliveryStatus", code: 47, request: true, msisdn: msisdnA, smsc: smscA, ac: 20, acVersion: 3}, nil},
		// RegisterSS-Arg ::= SEQUENCE { ss-Code, basicService (teleservice [3]), forwardedToNumber [4], ... }
		{"registerSS call forwarding", begin(3, aarq(acn(ACNetworkFunctionalSs, 2), mapOpenIMSI), invoke(1, OpRegisterSS,
			tl(seqID, tl(octets, []byte{0x21}), tl(ctx(3), []byte{0x11}), tl(ctx(4), isdn(ftnA))))),
			expect{op: "registerSS", code: 10, request: true, imsi: imsiHome, ftn: ftnA, flags: redir, ac: 18, acVersion: 2}, nil},
		// SS-ForBS-Code ::= SEQUENCE { ss-Code, basicService, ... }
		{"activateSS CFB", begin(3, aarq(acn(ACNetworkFunctionalSs, 2), mapOpenIMSI), invoke(1, OpActivateSS, tl(seqID, tl(octets, []byte{0x29})))),
			expect{op: "activateSS", code: 12, request: true, imsi: imsiHome, flags: redir, ac: 18, acVersion: 2}, nil},
		{"activateSS CLIR", begin(3, aarq(acn(ACNetworkFunctionalSs, 2)), invoke(1, OpActivateSS, tl(seqID, tl(octets, []byte{0x12})))),
			expect{op: "activateSS", code: 12, request: true, ac: 18, acVersion: 2}, nil},
		{"eraseSS", begin(3, aarq(acn(ACNetworkFunctionalSs, 2), mapOpenIMSI), invoke(1, OpEraseSS, tl(seqID, tl(octets, []byte{0x21})))),
			expect{op: "eraseSS", code: 11, request: true, imsi: imsiHome, ac: 18, acVersion: 2}, nil},
		// USSD-Arg ::= SEQUENCE { ussd-DataCodingScheme, ussd-String, ..., alertingPattern, msisdn [0] }
		{"processUnstructuredSS-Request", begin(3, aarq(acn(ACNetworkUnstructuredSs, 2), mapOpen(e212(imsiHome), isdn(msisdnA))),
			invoke(1, OpProcessUnstructuredSSRequest, tl(seqID, tl(octets, []byte{0x0f}), tl(octets, hx("aa 18 0c 36 02")), tl(ctx(0), isdn(msisdnA))))),
			expect{op: "processUnstructuredSS-Request", code: 59, request: true, imsi: imsiHome, msisdn: msisdnA, ac: 19, acVersion: 2}, nil},
		// RestoreDataArg ::= SEQUENCE { imsi, lmsi, ... }
		{"restoreData", beginInvoke(ACNetworkLocUp, OpRestoreData, tl(seqID, tl(octets, tbcd(imsiHome)), tl(octets, hx("01020304")))),
			expect{op: "restoreData", code: 57, request: true, imsi: imsiHome, ac: 1, acVersion: 3}, nil},
		// SendParametersArg (MAP v1) ::= SEQUENCE { subscriberId CHOICE { imsi [0], tmsi [1] }, requestParameterList }
		{"sendParameters v1", begin(3, nil, invoke(1, OpSendParameters, tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(seqID, tl(enum, []byte{0}))))),
			expect{op: "sendParameters", code: 9, request: true, imsi: imsiHome, transaction: 3}, nil},
		// ActivateTraceModeArg ::= SEQUENCE { imsi [0], traceReference [1], traceType [2], omc-Id [3] }
		{"activateTraceMode", beginInvoke(ACTracing, OpActivateTraceMode,
			tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(ctx(1), []byte{1}), tl(ctx(2), []byte{0x11}))),
			expect{op: "activateTraceMode", code: 50, request: true, imsi: imsiHome, ac: 17, acVersion: 3}, nil},

		// Results and errors: what an answer reveals.
		{"updateLocation result (hlr-Number)", end(0x0102, aare(acn(ACNetworkLocUp, 3)), result(1, OpUpdateLocation, tl(seqID, tl(octets, isdn(hlrA))))),
			expect{op: "updateLocation", code: 2, hlr: hlrA, ac: 1, acVersion: 3, tcapType: uint8(tcap.End), transaction: 0x0102}, nil},
		// RoutingInfoForSM-Res ::= SEQUENCE { imsi, locationInfoWithLMSI [0] { networkNode-Number [1], ... } }
		{"sendRoutingInfoForSM result", end(5, aare(acn(ACShortMsgGateway, 3)), result(1, OpSendRoutingInfoForSM,
			tl(seqID, tl(octets, tbcd(imsiHome)), tl(ctxC(0), tl(ctx(1), isdn(mscA)))))),
			expect{op: "sendRoutingInfoForSM", code: 45, imsi: imsiHome, msc: mscA, ac: 20, acVersion: 3}, nil},
		// ProvideSubscriberInfoRes ::= SEQUENCE { subscriberInfo { locationInformation [0] { ageOfLocationInformation, vlr-number [1], ..., msc-Number [6] } } }
		{"provideSubscriberInfo result (location)", end(5, aare(acn(ACSubscriberInfoEnquiry, 3)), result(1, OpProvideSubscriberInfo,
			tl(seqID, tl(seqID, tl(ctxC(0), tl(integ, []byte{5}), tl(ctx(1), isdn(vlrA)), tl(ctx(6), isdn(mscA))))))),
			expect{op: "provideSubscriberInfo", code: 70, vlr: vlrA, msc: mscA, ac: 28, acVersion: 3}, nil},
		{"sendIMSI result", end(5, nil, result(1, OpSendIMSI, tl(octets, tbcd(imsiHome)))),
			expect{op: "sendIMSI", code: 58, imsi: imsiHome}, nil},
		{"returnError unknownSubscriber", end(5, nil, tl(0xa3, hx("02 01 01 02 01 01"))),
			expect{result: 1}, nil},

		// Smuggling and consistency.
		{"two invokes: ATI then updateLocation", begin(4, aarq(acn(ACAnyTimeInfoEnquiry, 3)),
			invoke(1, OpAnyTimeInterrogation, ati(tl(ctx(0), tbcd(imsiHome)), tl(ctx(0)))), invoke(2, OpUpdateLocation, ul)),
			expect{op: "anyTimeInterrogation", code: 71, request: true, imsi: imsiHome, scf: scfA, flags: loc | mism, ac: 29, acVersion: 3, invokes: 2}, nil},
		{"ATI in networkLocUp context", begin(4, aarq(acn(ACNetworkLocUp, 3)),
			invoke(1, OpAnyTimeInterrogation, ati(tl(ctx(0), tbcd(imsiHome)), tl(ctx(0))))),
			expect{op: "anyTimeInterrogation", code: 71, request: true, imsi: imsiHome, scf: scfA, flags: loc | mism, ac: 1, acVersion: 3}, nil},
		{"dialogue IMSI differs from argument IMSI", begin(3, aarq(acn(ACNetworkUnstructuredSs, 2), mapOpen(e212(imsiOther), nil)),
			invoke(1, OpProcessUnstructuredSSRequest, tl(seqID, tl(octets, []byte{0x0f}), tl(octets, hx("aa 18")), tl(ctx(0), isdn(msisdnA))))),
			expect{op: "processUnstructuredSS-Request", code: 59, request: true, imsi: imsiOther, msisdn: msisdnA, ac: 19, acVersion: 2}, nil},
		{"CAMEL context: not read as MAP", begin(4, aarq(acn(50, 1)), invoke(1, 0, tl(seqID, tl(ctx(0), []byte{1})))),
			expect{op: "initialDP", request: true, flags: view.FlagCAMEL, ac: 50, acVersion: 1}, nil},
		{"CAMEL phase 4 context", begin(4, aarq(hx("04 00 00 01 16 03 04")), invoke(1, 24, nil)),
			expect{op: "eventReportBCSM", code: 24, request: true, flags: view.FlagCAMEL}, nil},
		{"unassigned context in MAP's arc", begin(4, aarq(acn(99, 3)), invoke(1, OpUpdateLocation, nil)),
			expect{code: 2, request: true, flags: view.FlagForeignContext, ac: 99, acVersion: 3}, nil},
		{"context outside MAP's and CAP's arcs", begin(4, aarq(hx("2a 86 48")), invoke(1, OpAnyTimeInterrogation, nil)),
			expect{code: 71, request: true, flags: view.FlagForeignContext}, nil},
		{"abort", tl(0x67, tl(0x49, hx("00 00 00 09")), hx("4a 01 01")),
			expect{tcapType: uint8(tcap.Abort), transaction: 9}, nil},
		{"indefinite-length argument", beginInvoke(ACNetworkLocUp, OpUpdateLocation,
			cat(hx("30 80"), tl(octets, tbcd(imsiHome)), tl(ctx(1), isdn(mscA)), tl(octets, isdn(vlrA)), hx("00 00"))),
			expect{op: "updateLocation", code: 2, request: true, imsi: imsiHome, msc: mscA, vlr: vlrA, ac: 1, acVersion: 3}, nil},

		// Malformed MAP (well-formed BER).
		{"updateLocation argument not a SEQUENCE", beginInvoke(ACNetworkLocUp, OpUpdateLocation, tl(octets, tbcd(imsiHome))),
			expect{op: "updateLocation", code: 2, request: true, ac: 1, acVersion: 3, malformed: reasonArgType}, nil},
		{"updateLocation without IMSI", beginInvoke(ACNetworkLocUp, OpUpdateLocation, tl(seqID, tl(ctx(1), isdn(mscA)), tl(octets, isdn(vlrA)))),
			expect{op: "updateLocation", code: 2, request: true, msc: mscA, vlr: vlrA, ac: 1, acVersion: 3, malformed: reasonMissing}, nil},
		{"updateLocation msc-Number after vlr-Number", beginInvoke(ACNetworkLocUp, OpUpdateLocation,
			tl(seqID, tl(octets, tbcd(imsiHome)), tl(octets, isdn(vlrA)), tl(ctx(1), isdn(mscA)))),
			expect{op: "updateLocation", code: 2, request: true, imsi: imsiHome, vlr: vlrA, ac: 1, acVersion: 3, malformed: reasonOrder}, nil},
		{"PSI with two IMSIs", beginInvoke(ACSubscriberInfoEnquiry, OpProvideSubscriberInfo,
			tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(ctx(0), tbcd(imsiOther)), reqLocState)),
			expect{op: "provideSubscriberInfo", code: 70, request: true, imsi: imsiHome, flags: loc | state, ac: 28, acVersion: 3, malformed: reasonOrder}, nil},
		{"ATI identity CHOICE with two alternatives", beginInvoke(ACAnyTimeInfoEnquiry, OpAnyTimeInterrogation,
			ati(cat(tl(ctx(0), tbcd(imsiHome)), tl(ctx(1), isdn(msisdnA))), tl(ctx(0)))),
			expect{op: "anyTimeInterrogation", code: 71, request: true, imsi: imsiHome, scf: scfA, flags: loc, ac: 29, acVersion: 3, malformed: reasonChoice}, nil},
		{"IMSI with a letter", beginInvoke(ACSubscriberInfoEnquiry, OpProvideSubscriberInfo, tl(seqID, tl(ctx(0), hx("32 54 a1 00 00 00 00 f1")), reqLocState)),
			expect{op: "provideSubscriberInfo", code: 70, request: true, flags: loc | state, ac: 28, acVersion: 3, malformed: reasonIMSI}, nil},
		{"IMSI of 5 digits", beginInvoke(ACSubscriberInfoEnquiry, OpProvideSubscriberInfo, tl(seqID, tl(ctx(0), tbcd("23415")), reqLocState)),
			expect{op: "provideSubscriberInfo", code: 70, request: true, flags: loc | state, ac: 28, acVersion: 3, malformed: reasonIMSI}, nil},
		{"requestedInfo primitive", beginInvoke(ACSubscriberInfoEnquiry, OpProvideSubscriberInfo, tl(seqID, tl(ctx(0), tbcd(imsiHome)), tl(ctx(2)))),
			expect{op: "provideSubscriberInfo", code: 70, request: true, imsi: imsiHome, ac: 28, acVersion: 3, malformed: reasonForm}, nil},
		{"global operation code", begin(3, nil, tl(0xa1, hx("02 01 01 06 03 04 00 00"))),
			expect{request: true, malformed: reasonGlobalOp}, nil},
		{"operation code 300", begin(3, nil, tl(0xa1, hx("02 01 01 02 02 01 2c"))),
			expect{request: true, malformed: reasonOpRange}, nil},
		{"MSISDN without digits", beginInvoke(ACLocationInfoRetrieval, OpSendRoutingInfo, tl(seqID, tl(ctx(0), []byte{0x91}), tl(ctx(3), []byte{0}), tl(ctx(6), isdn(mscA)))),
			expect{op: "sendRoutingInfo", code: 22, request: true, msc: mscA, ac: 5, acVersion: 3, malformed: reasonMSISDN}, nil},

		// BER errors inside the argument (TCAP only checks the outer TLV).
		{"truncated element inside the argument", beginInvoke(ACNetworkLocUp, OpUpdateLocation, tl(seqID, hx("04 09 32 54"))),
			expect{op: "updateLocation", code: 2, request: true, ac: 1, acVersion: 3, malformed: ber.ErrTruncated.Error()}, ber.ErrTruncated},
		{"TCAP error", hx("62 05 48 01 07 6c 00 00"),
			expect{tcapType: uint8(tcap.Begin), malformed: tcap.ErrTrailing.Error(), noTransactionCheck: true}, tcap.ErrTrailing},
	}
	return cases
}

func TestDecodeTable(t *testing.T) {
	for _, c := range decodeCases() {
		t.Run(c.name, func(t *testing.T) {
			var v view.Message
			err := DecodeBytes(c.in, &v)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if bad := c.want.check(&v); len(bad) > 0 {
				t.Errorf("%s\n%s", c.name, strings.Join(bad, "\n"))
			}
		})
	}
}

func TestConflictingDialogueIMSI(t *testing.T) {
	// The USSD argument has no IMSI; an IMSI in both the dialogue and the
	// argument (mo-ForwardSM's imsi) that differ is a conflict.
	msg := begin(3, aarq(acn(ACShortMsgMORelay, 3), mapOpen(e212(imsiOther), nil)), invoke(1, OpMOForwardSM,
		tl(seqID, tl(ctx(4), isdn(smscA)), tl(ctx(2), isdn(msisdnA)), tl(octets, hx("01")), tl(octets, tbcd(imsiHome)))))
	var v view.Message
	if err := DecodeBytes(msg, &v); err != nil || !v.IdentityConflict || v.IMSI.String() != imsiOther {
		t.Fatalf("err %v conflict %v imsi %s", err, v.IdentityConflict, v.IMSI.String())
	}
	// The same IMSI twice (dialogue and argument) is not.
	msg = begin(3, aarq(acn(ACShortMsgMORelay, 3), mapOpen(e212(imsiHome), nil)), invoke(1, OpMOForwardSM,
		tl(seqID, tl(ctx(4), isdn(smscA)), tl(ctx(2), isdn(msisdnA)), tl(octets, hx("01")), tl(octets, tbcd(imsiHome)))))
	if err := DecodeBytes(msg, &v); err != nil || v.IdentityConflict || v.IMSI.String() != imsiHome {
		t.Fatalf("err %v conflict %v imsi %s", err, v.IdentityConflict, v.IMSI.String())
	}
}

func TestNames(t *testing.T) {
	for code, want := range map[int64]string{2: "updateLocation", 7: "insertSubscriberData", 22: "sendRoutingInfo",
		45: "sendRoutingInfoForSM", 46: "mo-ForwardSM", 44: "mt-ForwardSM", 56: "sendAuthenticationInfo", 58: "sendIMSI",
		62: "anyTimeSubscriptionInterrogation", 65: "anyTimeModification", 67: "purgeMS", 70: "provideSubscriberInfo",
		71: "anyTimeInterrogation", 83: "provideSubscriberLocation", 85: "sendRoutingInfoForLCS", 86: "subscriberLocationReport",
		37: "reset", 9: "sendParameters", 109: "lcs-PeriodicLocationCancellation", 0: "", 1: "", 27: "", 82: "", 90: "", 127: "", -1: ""} {
		if got := OpName(code); got != want {
			t.Errorf("OpName(%d) = %q, want %q", code, got, want)
		}
	}
	for code, want := range map[int64]string{1: "unknownSubscriber", 27: "absentSubscriber", 34: "systemFailure",
		49: "ati-NotAllowed", 72: "ussd-Busy", 41: "", 0: "", 73: ""} {
		if got := ErrorName(code); got != want {
			t.Errorf("ErrorName(%d) = %q, want %q", code, got, want)
		}
	}
	for ac, want := range map[uint8]string{1: "networkLocUpContext", 29: "anyTimeInfoEnquiryContext", 30: "", 47: "vcsgLocationCancellationContext", 48: "", 50: ""} {
		if got := ACName(ac); got != want {
			t.Errorf("ACName(%d) = %q, want %q", ac, got, want)
		}
	}
	if opNameVersion(46, 2) != "forwardSM" || opNameVersion(46, 3) != "mo-ForwardSM" {
		t.Error("forwardSM naming by version")
	}
	// Every operation the firewall decodes has a name, and every context
	// lists only named operations.
	for op := range operations {
		if (operations[op].arg != nil || operations[op].res != nil) && OpName(int64(op)) == "" {
			t.Errorf("operation %d decoded but unnamed", op)
		}
	}
	for ac := range acOps {
		for op := range int64(128) {
			if InContext(uint8(ac), op) && (OpName(op) == "" || ACName(uint8(ac)) == "") {
				t.Errorf("context %d lists %d", ac, op)
			}
		}
	}
}

// TestSchemasBounded: the walker keeps a 64-bit mask of fields seen, and
// schemas must not nest into themselves (the walk's depth is the tables').
func TestSchemasBounded(t *testing.T) {
	seen := map[*schema]bool{}
	var visit func(s *schema, depth int)
	visit = func(s *schema, depth int) {
		if depth > 12 {
			t.Fatal("schemas nest deeper than 12 (a cycle?)")
		}
		if len(s.fields) > 64 {
			t.Fatalf("schema with %d fields", len(s.fields))
		}
		seen[s] = true
		for _, f := range s.fields {
			if f.sub != nil {
				visit(f.sub, depth+1)
			}
			if (f.act == actNest) != (f.sub != nil) {
				t.Fatal("actNest without a schema or a schema without actNest")
			}
		}
	}
	for _, o := range operations {
		for _, f := range append(append([]field{}, o.arg...), o.res...) {
			if f.sub != nil {
				visit(f.sub, 1)
			}
		}
	}
	t.Logf("%d schemas", len(seen))
}
