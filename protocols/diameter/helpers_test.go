package diameter

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Test vectors shared by the parse, decode, oracle, fuzz and benchmark tests.
// Every message is built with Builder (or, for malformations, by hand from
// rawAVP/withBody) so that each test states exactly which bytes it feeds in.

const (
	testIMSI   = "001010123456789"
	testIMSI2  = "001010987654321"
	testIMPI   = testIMSI + "@ims.mnc001.mcc001.3gppnetwork.org"
	testMSISDN = "12065550100"
	testHbH    = 0x11223344
	testE2E    = 0x55667788
	testTxn    = uint64(testE2E)<<32 | testHbH

	mmeHost  = "mme1.epc.example.net"
	mmeRealm = "epc.example.net"
	hssHost  = "hss1.epc.example.net"
	hssRealm = "hss.example.net"
)

// plmn00101 is Visited-PLMN-Id MCC 001 MNC 01 (TS 24.008 §10.5.1.3).
var plmn00101 = []byte{0x00, 0xf1, 0x10}

// msisdnTBCD is testMSISDN in TBCD with the 0xF filler.
var msisdnTBCD = []byte{0x21, 0x60, 0x55, 0x05, 0x01, 0xf0}

// Further AVP codes used only by the test vectors (3GPP TS 29.272, 29.328,
// 29.229, 29.212; RFC 6733, RFC 4006).
const (
	avpProxyInfo            = 284
	avpProxyHost            = 280
	avpProxyState           = 33
	avpFailedAVP            = 279
	avpAuthSessionState     = 277
	avpOriginStateID        = 278
	avpErrorMessage         = 281
	avpHostIPAddress        = 257
	avpProductName          = 269
	avpFirmwareRevision     = 267
	avpSupportedVendorID    = 265
	avpServiceSelection     = 493
	avpCCRequestType        = 416
	avpCCRequestNumber      = 415
	avpFramedIPAddress      = 8
	avpMaxReqBandwidthDL    = 515
	avpMaxReqBandwidthUL    = 516
	avpServerName           = 602
	avpSIPNumberAuthItems   = 607
	avpSIPAuthScheme        = 608
	avpSIPAuthDataItem      = 612
	avpSupportedFeatures    = 628
	avpFeatureListID        = 629
	avpFeatureList          = 630
	avpIPCANType            = 1027
	avpQoSClassIdentifier   = 1028
	avpRATType              = 1032
	avpAllocRetPriority     = 1034
	avpPriorityLevel        = 1046
	avpPreemptionCap        = 1047
	avpPreemptionVuln       = 1048
	avpSubscriptionData     = 1400
	avpTerminalInformation  = 1401
	avpIMEI                 = 1402
	avpSoftwareVersion      = 1403
	avpReqEUTRANAuthInfo    = 1408
	avpNumberOfReqVectors   = 1410
	avpImmediateResponse    = 1412
	avpNetworkAccessMode    = 1417
	avpDSRFlags             = 1421
	avpContextIdentifier    = 1423
	avpSubscriberStatus     = 1424
	avpAccessRestriction    = 1426
	avpAllAPNConfigIncluded = 1428
	avpAPNConfigProfile     = 1429
	avpAPNConfiguration     = 1430
	avpEPSSubscribedQoS     = 1431
	avpAMBR                 = 1435
	avpNORFlags             = 1443
	avpPDNType              = 1456
	avpPeriodicRAUTAUTimer  = 1619
	avpPURFlags             = 1635
)

// message builds a message and returns a private copy of its bytes.
func message(flags uint8, code, app uint32, body func(b *Builder)) []byte {
	var b Builder
	b.Start(flags, code, app, testHbH, testE2E)
	if body != nil {
		body(&b)
	}
	return append([]byte(nil), b.Message()...)
}

func request(code, app uint32, body func(b *Builder)) []byte {
	return message(FlagRequest|FlagProxiable, code, app, body)
}

func answer(code, app uint32, body func(b *Builder)) []byte {
	return message(FlagProxiable, code, app, body)
}

const mand = AVPFlagMandatory

// head writes the routing AVPs every request carries.
func head(b *Builder, session string) {
	b.String(AVPSessionID, 0, mand, session)
	b.Uint32(avpAuthSessionState, 0, mand, 1) // NO_STATE_MAINTAINED
	b.String(AVPOriginHost, 0, mand, mmeHost)
	b.String(AVPOriginRealm, 0, mand, mmeRealm)
}

func supportedFeatures(b *Builder) {
	b.Group(avpSupportedFeatures, Vendor3GPP, 0)
	b.Uint32(AVPVendorID, 0, mand, Vendor3GPP)
	b.Uint32(avpFeatureListID, Vendor3GPP, 0, 1)
	b.Uint32(avpFeatureList, Vendor3GPP, 0, 0x1c000607)
	b.End()
}

// s6aULR is a realistic Update-Location-Request of about 300 bytes without
// Subscription-Data (and, as on first contact, without Destination-Host).
func s6aULR() []byte {
	return request(CmdUpdateLocation, AppS6aS6d, func(b *Builder) {
		head(b, mmeHost+";1;1")
		b.String(AVPDestinationRealm, 0, mand, hssRealm)
		b.String(AVPUserName, 0, mand, testIMSI)
		supportedFeatures(b)
		b.Group(avpTerminalInformation, Vendor3GPP, mand)
		b.String(avpIMEI, Vendor3GPP, mand, "35145120840121")
		b.String(avpSoftwareVersion, Vendor3GPP, mand, "00")
		b.End()
		b.Uint32(avpRATType, Vendor3GPP, mand, 1004) // EUTRAN
		b.Uint32(AVPULRFlags, Vendor3GPP, mand, 0x22)
		b.Bytes(AVPVisitedPLMNID, Vendor3GPP, mand, plmn00101)
	})
}

func s6aAIR() []byte {
	return request(CmdAuthenticationInfo, AppS6aS6d, func(b *Builder) {
		head(b, mmeHost+";1700000000;2")
		b.String(AVPDestinationRealm, 0, mand, hssRealm)
		b.String(AVPUserName, 0, mand, testIMSI)
		b.Bytes(AVPVisitedPLMNID, Vendor3GPP, mand, plmn00101)
		b.Group(avpReqEUTRANAuthInfo, Vendor3GPP, mand)
		b.Uint32(avpNumberOfReqVectors, Vendor3GPP, mand, 1)
		b.Uint32(avpImmediateResponse, Vendor3GPP, mand, 0)
		b.End()
	})
}

func s6aPUR() []byte {
	return request(CmdPurgeUE, AppS6aS6d, func(b *Builder) {
		head(b, mmeHost+";1700000000;3")
		b.String(AVPDestinationRealm, 0, mand, hssRealm)
		b.String(AVPUserName, 0, mand, testIMSI)
		b.Uint32(avpPURFlags, Vendor3GPP, mand, 1)
	})
}

func s6aNOR() []byte {
	return request(CmdNotify, AppS6aS6d, func(b *Builder) {
		head(b, mmeHost+";1700000000;4")
		b.String(AVPDestinationRealm, 0, mand, hssRealm)
		b.String(AVPUserName, 0, mand, testIMSI)
		b.Uint32(avpNORFlags, Vendor3GPP, mand, 1)
	})
}

// subscriptionData writes a Subscription-Data with one APN configuration:
// five levels of grouping, as real HSSes send.
func subscriptionData(b *Builder) {
	apn := func(id uint32, name string, qci uint32) {
		b.Group(avpAPNConfiguration, Vendor3GPP, mand)
		b.Uint32(avpContextIdentifier, Vendor3GPP, mand, id)
		b.Uint32(avpPDNType, Vendor3GPP, mand, 0)
		b.String(avpServiceSelection, 0, mand, name)
		b.Group(avpEPSSubscribedQoS, Vendor3GPP, mand)
		b.Uint32(avpQoSClassIdentifier, Vendor3GPP, mand, qci)
		b.Group(avpAllocRetPriority, Vendor3GPP, mand)
		b.Uint32(avpPriorityLevel, Vendor3GPP, mand, 8)
		b.Uint32(avpPreemptionCap, Vendor3GPP, mand, 1)
		b.Uint32(avpPreemptionVuln, Vendor3GPP, mand, 0)
		b.End()
		b.End()
		b.Group(avpAMBR, Vendor3GPP, mand)
		b.Uint32(avpMaxReqBandwidthUL, Vendor3GPP, mand, 100000000)
		b.Uint32(avpMaxReqBandwidthDL, Vendor3GPP, mand, 200000000)
		b.End()
		b.End()
	}
	b.Group(avpSubscriptionData, Vendor3GPP, mand)
	b.Bytes(AVPMSISDN, Vendor3GPP, mand, msisdnTBCD)
	b.Uint32(avpSubscriberStatus, Vendor3GPP, mand, 0)
	b.Uint32(avpNetworkAccessMode, Vendor3GPP, mand, 2)
	b.Uint32(avpAccessRestriction, Vendor3GPP, mand, 0)
	b.Group(avpAMBR, Vendor3GPP, mand)
	b.Uint32(avpMaxReqBandwidthUL, Vendor3GPP, mand, 100000000)
	b.Uint32(avpMaxReqBandwidthDL, Vendor3GPP, mand, 200000000)
	b.End()
	b.Group(avpAPNConfigProfile, Vendor3GPP, mand)
	b.Uint32(avpContextIdentifier, Vendor3GPP, mand, 1)
	b.Uint32(avpAllAPNConfigIncluded, Vendor3GPP, mand, 0)
	apn(1, "internet", 9)
	b.End()
	b.Uint32(avpPeriodicRAUTAUTimer, Vendor3GPP, mand, 720)
	b.End()
}

// s6aIDR is an Insert-Subscriber-Data-Request with a grouped
// Subscription-Data of about 600 bytes; idrFlags < 0 omits IDR-Flags.
func s6aIDR(idrFlags int64) []byte {
	return request(CmdInsertSubscriberData, AppS6aS6d, func(b *Builder) {
		b.String(AVPSessionID, 0, mand, hssHost+";1;5")
		b.Uint32(avpAuthSessionState, 0, mand, 1)
		b.String(AVPOriginHost, 0, mand, hssHost)
		b.String(AVPOriginRealm, 0, mand, hssRealm)
		b.String(AVPDestinationHost, 0, mand, mmeHost)
		b.String(AVPDestinationRealm, 0, mand, mmeRealm)
		b.String(AVPUserName, 0, mand, testIMSI)
		supportedFeatures(b)
		subscriptionData(b)
		if idrFlags >= 0 {
			b.Uint32(AVPIDRFlags, Vendor3GPP, mand, uint32(idrFlags))
		}
	})
}

func s6aCLR() []byte {
	return request(CmdCancelLocation, AppS6aS6d, func(b *Builder) {
		b.String(AVPSessionID, 0, mand, hssHost+";1700000000;6")
		b.Uint32(avpAuthSessionState, 0, mand, 1)
		b.String(AVPOriginHost, 0, mand, hssHost)
		b.String(AVPOriginRealm, 0, mand, hssRealm)
		b.String(AVPDestinationHost, 0, mand, mmeHost)
		b.String(AVPDestinationRealm, 0, mand, mmeRealm)
		b.String(AVPUserName, 0, mand, testIMSI)
		b.Uint32(AVPCancellationType, Vendor3GPP, mand, 0) // MME_UPDATE_PROCEDURE
	})
}

func s6aDSR() []byte {
	return request(CmdDeleteSubscriberData, AppS6aS6d, func(b *Builder) {
		b.String(AVPSessionID, 0, mand, hssHost+";1700000000;7")
		b.Uint32(avpAuthSessionState, 0, mand, 1)
		b.String(AVPOriginHost, 0, mand, hssHost)
		b.String(AVPOriginRealm, 0, mand, hssRealm)
		b.String(AVPDestinationHost, 0, mand, mmeHost)
		b.String(AVPDestinationRealm, 0, mand, mmeRealm)
		b.String(AVPUserName, 0, mand, testIMSI)
		b.Uint32(avpDSRFlags, Vendor3GPP, mand, 1)
	})
}

// s6aRSR is a Reset-Request: no User-Name, a list of IMSI prefixes.
func s6aRSR() []byte {
	return request(CmdReset, AppS6aS6d, func(b *Builder) {
		b.String(AVPSessionID, 0, mand, hssHost+";1700000000;8")
		b.Uint32(avpAuthSessionState, 0, mand, 1)
		b.String(AVPOriginHost, 0, mand, hssHost)
		b.String(AVPOriginRealm, 0, mand, hssRealm)
		b.String(AVPDestinationHost, 0, mand, mmeHost)
		b.String(AVPDestinationRealm, 0, mand, mmeRealm)
		b.String(AVPUserID, Vendor3GPP, 0, "0010101")
		b.String(AVPUserID, Vendor3GPP, 0, "0010102")
	})
}

// shUDR is a Sh User-Data-Request for a tel: public identity with the given
// Data-Reference values.
func shUDR(refs ...uint32) []byte {
	return request(CmdUserData, AppSh, func(b *Builder) {
		b.String(AVPSessionID, 0, mand, "as01.ims.example.net;1;9")
		b.Group(AVPVendorSpecificApplicationID, 0, mand)
		b.Uint32(AVPVendorID, 0, mand, Vendor3GPP)
		b.Uint32(AVPAuthApplicationID, 0, mand, AppSh)
		b.End()
		b.Uint32(avpAuthSessionState, 0, mand, 1)
		b.String(AVPOriginHost, 0, mand, "as01.ims.example.net")
		b.String(AVPOriginRealm, 0, mand, "ims.example.net")
		b.String(AVPDestinationRealm, 0, mand, hssRealm)
		b.Group(AVPUserIdentity, Vendor3GPP, mand)
		b.String(AVPPublicIdentity, Vendor3GPP, mand, "tel:+"+testMSISDN)
		b.End()
		for _, r := range refs {
			b.Uint32(AVPDataReference, Vendor3GPP, mand, r)
		}
	})
}

// subscriptionID writes an RFC 4006 Subscription-Id.
func subscriptionID(b *Builder, typ uint32, data string) {
	b.Group(AVPSubscriptionID, 0, mand)
	b.Uint32(AVPSubscriptionIDType, 0, mand, typ)
	b.String(AVPSubscriptionIDData, 0, mand, data)
	b.End()
}

// gxCCR is a Gx CCR-Initial with Subscription-Id IMSI and E.164.
func gxCCR() []byte {
	return request(CmdCreditControl, AppGx, func(b *Builder) {
		b.String(AVPSessionID, 0, mand, "pgw01.example.net;1;10")
		b.Uint32(AVPAuthApplicationID, 0, mand, AppGx)
		b.String(AVPOriginHost, 0, mand, "pgw01.example.net")
		b.String(AVPOriginRealm, 0, mand, "example.net")
		b.String(AVPDestinationRealm, 0, mand, "pcrf.example.net")
		b.Uint32(avpCCRequestType, 0, mand, 1)
		b.Uint32(avpCCRequestNumber, 0, mand, 0)
		subscriptionID(b, SubscriptionIDIMSI, testIMSI)
		subscriptionID(b, SubscriptionIDE164, "+"+testMSISDN)
		b.Bytes(avpFramedIPAddress, 0, mand, []byte{10, 45, 0, 2})
		b.Uint32(avpIPCANType, Vendor3GPP, mand, 5)
		b.Uint32(avpRATType, Vendor3GPP, 0, 1004)
	})
}

// cxMAR is a Cx Multimedia-Auth-Request for an IMS private identity.
func cxMAR() []byte {
	return request(CmdMultimediaAuth, AppCx, func(b *Builder) {
		b.String(AVPSessionID, 0, mand, "scscf.ims.example.net;1;11")
		b.Group(AVPVendorSpecificApplicationID, 0, mand)
		b.Uint32(AVPVendorID, 0, mand, Vendor3GPP)
		b.Uint32(AVPAuthApplicationID, 0, mand, AppCx)
		b.End()
		b.Uint32(avpAuthSessionState, 0, mand, 1)
		b.String(AVPOriginHost, 0, mand, "scscf.ims.example.net")
		b.String(AVPOriginRealm, 0, mand, "ims.example.net")
		b.String(AVPDestinationRealm, 0, mand, "ims.mnc001.mcc001.3gppnetwork.org")
		b.String(AVPUserName, 0, mand, testIMPI)
		b.String(AVPPublicIdentity, Vendor3GPP, mand, "sip:"+testIMSI+"@ims.mnc001.mcc001.3gppnetwork.org")
		b.Uint32(avpSIPNumberAuthItems, Vendor3GPP, mand, 1)
		b.Group(avpSIPAuthDataItem, Vendor3GPP, mand)
		b.String(avpSIPAuthScheme, Vendor3GPP, mand, "Digest-AKAv1-MD5")
		b.End()
		b.String(avpServerName, Vendor3GPP, mand, "sip:scscf.ims.example.net:6060")
	})
}

// answerHead writes the AVPs of an answer from the HSS.
func answerHead(b *Builder, session string) {
	b.String(AVPSessionID, 0, mand, session)
	b.Uint32(avpAuthSessionState, 0, mand, 1)
	b.String(AVPOriginHost, 0, mand, hssHost)
	b.String(AVPOriginRealm, 0, mand, hssRealm)
}

func s6aULA() []byte {
	return answer(CmdUpdateLocation, AppS6aS6d, func(b *Builder) {
		answerHead(b, mmeHost+";1700000000;1;app_s6a")
		b.Uint32(AVPResultCode, 0, mand, ResultSuccess)
		supportedFeatures(b)
		b.Uint32(AVPULRFlags, Vendor3GPP, mand, 1)
	})
}

// s6aAIAUnknown answers with Experimental-Result DIAMETER_ERROR_USER_UNKNOWN.
func s6aAIAUnknown() []byte {
	return answer(CmdAuthenticationInfo, AppS6aS6d, func(b *Builder) {
		answerHead(b, mmeHost+";1700000000;2")
		b.Group(AVPExperimentalResult, 0, mand)
		b.Uint32(AVPVendorID, 0, mand, Vendor3GPP)
		b.Uint32(AVPExperimentalResultCode, 0, mand, 5001)
		b.End()
	})
}

// cer is a Capabilities-Exchange-Request advertising several applications.
func cer() []byte {
	return request(CmdCapabilitiesExchange, AppBase, func(b *Builder) {
		b.String(AVPOriginHost, 0, mand, mmeHost)
		b.String(AVPOriginRealm, 0, mand, mmeRealm)
		b.Bytes(avpHostIPAddress, 0, mand, []byte{0, 1, 192, 0, 2, 10})
		b.Uint32(AVPVendorID, 0, mand, 0)
		b.String(avpProductName, 0, 0, "breakwater-test")
		b.Uint32(avpSupportedVendorID, 0, mand, Vendor3GPP)
		b.Uint32(AVPAuthApplicationID, 0, mand, AppS6aS6d)
		b.Uint32(AVPAuthApplicationID, 0, mand, AppGx)
		b.Uint32(AVPAcctApplicationID, 0, mand, AppBaseAccounting)
		b.Group(AVPVendorSpecificApplicationID, 0, mand)
		b.Uint32(AVPVendorID, 0, mand, Vendor3GPP)
		b.Uint32(AVPAuthApplicationID, 0, mand, AppSh)
		b.End()
		b.Uint32(avpFirmwareRevision, 0, 0, 1)
	})
}

func dwr() []byte {
	return request(CmdDeviceWatchdog, AppBase, func(b *Builder) {
		b.String(AVPOriginHost, 0, mand, mmeHost)
		b.String(AVPOriginRealm, 0, mand, mmeRealm)
		b.Uint32(avpOriginStateID, 0, mand, 1)
	})
}

// nested returns a request whose body holds levels nested Proxy-Info AVPs
// (a grouped AVP known to the dictionary), the innermost one holding a
// Proxy-Host.
func nested(levels int) []byte {
	return request(CmdUpdateLocation, AppS6aS6d, func(b *Builder) {
		b.String(AVPOriginHost, 0, mand, mmeHost)
		for range levels {
			b.Group(avpProxyInfo, 0, mand)
		}
		b.String(avpProxyHost, 0, mand, "proxy.example.net")
		for range levels {
			b.End()
		}
		b.String(AVPOriginRealm, 0, mand, mmeRealm)
	})
}

// rawAVP encodes one AVP by hand. length < 0 means the true length; any
// other value is written as the declared length, true or not. The data is
// padded to 4 bytes when pad is set.
func rawAVP(code uint32, flags uint8, vendor uint32, length int, data []byte, pad bool) []byte {
	hdr := 8
	if flags&AVPFlagVendor != 0 {
		hdr = 12
	}
	if length < 0 {
		length = hdr + len(data)
	}
	b := binary.BigEndian.AppendUint32(nil, code)
	b = append(b, flags, byte(length>>16), byte(length>>8), byte(length))
	if flags&AVPFlagVendor != 0 {
		b = binary.BigEndian.AppendUint32(b, vendor)
	}
	b = append(b, data...)
	for pad && len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// u32 is the 4-byte big-endian encoding of v.
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// withBody is a message with a correct header (length 20+len(body)) around
// the given body bytes.
func withBody(flags uint8, code, app uint32, body []byte) []byte {
	b := make([]byte, HeaderLen, HeaderLen+len(body))
	n := HeaderLen + len(body)
	b[0] = Version
	b[1], b[2], b[3] = byte(n>>16), byte(n>>8), byte(n)
	b[4] = flags
	b[5], b[6], b[7] = byte(code>>16), byte(code>>8), byte(code)
	binary.BigEndian.PutUint32(b[8:], app)
	binary.BigEndian.PutUint32(b[12:], testHbH)
	binary.BigEndian.PutUint32(b[16:], testE2E)
	return append(b, body...)
}

// setLength returns a copy of b with the header's length field set to n.
func setLength(b []byte, n int) []byte {
	c := append([]byte(nil), b...)
	c[1], c[2], c[3] = byte(n>>16), byte(n>>8), byte(n)
	return c
}

// patch returns a copy of b with b[i] = v.
func patch(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[i] = v
	return c
}

// corpusDir holds the committed fuzz corpus (go test fuzz v1 files).
var corpusDir = filepath.Join("testdata", "fuzz", "FuzzParse")

// corpusFile reads one go-fuzz corpus file holding a single []byte value.
func corpusFile(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" ||
		!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
		t.Fatalf("%s: not a single-[]byte go fuzz corpus file", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// corpus returns the committed corpus files whose names start with prefix,
// sorted by name.
func corpus(t testing.TB, prefix string) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(corpusDir, prefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		out[filepath.Base(n)] = corpusFile(t, n)
	}
	return out
}
