package diameter

// Oracle tests: the parser is compared with three independent Diameter
// implementations — github.com/fiorix/go-diameter (encoder and decoder),
// Scapy's contrib layer (encoder) and Wireshark's dissector via tshark
// (decoder). Scapy and tshark are optional: their tests skip when absent.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
	"github.com/fiorix/go-diameter/v4/diam/dict"

	"breakwater/protocols/view"
)

// ---------------------------------------------------------------------------
// go-diameter

// gdAVP is a terse go-diameter AVP constructor.
func gdAVP(code uint32, vendor uint32, data datatype.Type) *diam.AVP {
	return diam.NewAVP(code, avp.Mbit, vendor, data)
}

func gdGroup(code, vendor uint32, avps ...*diam.AVP) *diam.AVP {
	return diam.NewAVP(code, avp.Mbit, vendor, &diam.GroupedAVP{AVP: avps})
}

// goDiameterMessages builds varied messages with go-diameter's encoder.
func goDiameterMessages(t *testing.T) map[string][]byte {
	t.Helper()
	u32 := func(v uint32) datatype.Type { return datatype.Unsigned32(v) }
	enum := func(v int32) datatype.Type { return datatype.Enumerated(v) }
	id := func(s string) datatype.Type { return datatype.DiameterIdentity(s) }
	utf := func(s string) datatype.Type { return datatype.UTF8String(s) }
	oct := func(b []byte) datatype.Type { return datatype.OctetString(b) }
	routing := func(m *diam.Message, session string) {
		m.AddAVP(gdAVP(AVPSessionID, 0, utf(session)))
		m.AddAVP(gdAVP(AVPOriginHost, 0, id(mmeHost)))
		m.AddAVP(gdAVP(AVPOriginRealm, 0, id(mmeRealm)))
		m.AddAVP(gdAVP(AVPDestinationRealm, 0, id(hssRealm)))
	}
	msgs := map[string]*diam.Message{}

	m := diam.NewRequest(CmdCapabilitiesExchange, AppBase, dict.Default)
	m.AddAVP(gdAVP(AVPOriginHost, 0, id(mmeHost)))
	m.AddAVP(gdAVP(AVPOriginRealm, 0, id(mmeRealm)))
	m.AddAVP(gdAVP(avpHostIPAddress, 0, datatype.Address(net.ParseIP("192.0.2.10").To4())))
	m.AddAVP(gdAVP(avpHostIPAddress, 0, datatype.Address(net.ParseIP("2001:db8::10"))))
	m.AddAVP(gdAVP(AVPVendorID, 0, u32(Vendor3GPP)))
	m.AddAVP(diam.NewAVP(avpProductName, 0, 0, utf("go-diameter")))
	m.AddAVP(gdAVP(AVPAuthApplicationID, 0, u32(AppS6aS6d)))
	m.AddAVP(gdAVP(AVPAcctApplicationID, 0, u32(AppBaseAccounting)))
	m.AddAVP(gdGroup(AVPVendorSpecificApplicationID, 0,
		gdAVP(AVPVendorID, 0, u32(Vendor3GPP)), gdAVP(AVPAuthApplicationID, 0, u32(AppGx))))
	msgs["CER"] = m

	m = diam.NewRequest(CmdDeviceWatchdog, AppBase, dict.Default)
	m.AddAVP(gdAVP(AVPOriginHost, 0, id(mmeHost)))
	m.AddAVP(gdAVP(AVPOriginRealm, 0, id(mmeRealm)))
	m.AddAVP(gdAVP(avpOriginStateID, 0, u32(1700000000)))
	msgs["DWR"] = m

	m = diam.NewRequest(CmdUpdateLocation, AppS6aS6d, dict.Default)
	routing(m, mmeHost+";1;ulr")
	m.AddAVP(gdAVP(avpAuthSessionState, 0, enum(1)))
	m.AddAVP(gdAVP(AVPUserName, 0, utf(testIMSI)))
	m.AddAVP(diam.NewAVP(avpSupportedFeatures, 0, Vendor3GPP, &diam.GroupedAVP{AVP: []*diam.AVP{
		gdAVP(AVPVendorID, 0, u32(Vendor3GPP)),
		diam.NewAVP(avpFeatureListID, avp.Vbit, Vendor3GPP, u32(1)),
		diam.NewAVP(avpFeatureList, avp.Vbit, Vendor3GPP, u32(0x1c000607)),
	}}))
	m.AddAVP(gdGroup(avpTerminalInformation, Vendor3GPP,
		gdAVP(avpIMEI, Vendor3GPP, utf("35145120840121")), gdAVP(avpSoftwareVersion, Vendor3GPP, utf("01"))))
	m.AddAVP(gdAVP(avpRATType, Vendor3GPP, enum(1004)))
	m.AddAVP(gdAVP(AVPULRFlags, Vendor3GPP, u32(0x22)))
	m.AddAVP(gdAVP(AVPVisitedPLMNID, Vendor3GPP, oct(plmn00101)))
	msgs["ULR"] = m

	m = diam.NewRequest(CmdAuthenticationInfo, AppS6aS6d, dict.Default)
	routing(m, mmeHost+";1;air")
	m.AddAVP(gdAVP(AVPUserName, 0, utf(testIMSI)))
	m.AddAVP(gdAVP(AVPVisitedPLMNID, Vendor3GPP, oct([]byte{0x32, 0xf4, 0x51})))
	m.AddAVP(gdGroup(avpReqEUTRANAuthInfo, Vendor3GPP,
		gdAVP(avpNumberOfReqVectors, Vendor3GPP, u32(3)), gdAVP(avpImmediateResponse, Vendor3GPP, u32(1))))
	msgs["AIR"] = m

	arp := gdGroup(avpAllocRetPriority, Vendor3GPP,
		gdAVP(avpPriorityLevel, Vendor3GPP, u32(8)), gdAVP(avpPreemptionCap, Vendor3GPP, enum(1)), gdAVP(avpPreemptionVuln, Vendor3GPP, enum(0)))
	m = diam.NewRequest(CmdInsertSubscriberData, AppS6aS6d, dict.Default)
	routing(m, hssHost+";1;idr")
	m.AddAVP(gdAVP(AVPDestinationHost, 0, id(mmeHost)))
	m.AddAVP(gdAVP(AVPUserName, 0, utf(testIMSI)))
	m.AddAVP(gdGroup(avpSubscriptionData, Vendor3GPP,
		gdAVP(AVPMSISDN, Vendor3GPP, oct(msisdnTBCD)),
		gdAVP(avpSubscriberStatus, Vendor3GPP, enum(0)),
		gdGroup(avpAPNConfigProfile, Vendor3GPP,
			gdAVP(avpContextIdentifier, Vendor3GPP, u32(1)),
			gdAVP(avpAllAPNConfigIncluded, Vendor3GPP, enum(0)),
			gdGroup(avpAPNConfiguration, Vendor3GPP,
				gdAVP(avpContextIdentifier, Vendor3GPP, u32(1)),
				gdAVP(avpServiceSelection, 0, utf("internet")),
				gdGroup(avpEPSSubscribedQoS, Vendor3GPP, gdAVP(avpQoSClassIdentifier, Vendor3GPP, enum(9)), arp))),
	))
	m.AddAVP(gdAVP(AVPIDRFlags, Vendor3GPP, u32(0x18)))
	msgs["IDR"] = m

	m = diam.NewRequest(CmdCancelLocation, AppS6aS6d, dict.Default)
	routing(m, hssHost+";1;clr")
	m.AddAVP(gdAVP(AVPUserName, 0, utf(testIMSI)))
	m.AddAVP(gdAVP(AVPCancellationType, Vendor3GPP, enum(2)))
	msgs["CLR"] = m

	m = diam.NewMessage(CmdUpdateLocation, 0, AppS6aS6d, testHbH, testE2E, dict.Default)
	m.AddAVP(gdAVP(AVPSessionID, 0, utf(mmeHost+";1;ulr")))
	m.AddAVP(gdAVP(AVPOriginHost, 0, id(hssHost)))
	m.AddAVP(gdAVP(AVPOriginRealm, 0, id(hssRealm)))
	m.AddAVP(gdGroup(AVPExperimentalResult, 0, gdAVP(AVPVendorID, 0, u32(Vendor3GPP)), gdAVP(AVPExperimentalResultCode, 0, u32(5420))))
	msgs["ULA"] = m

	m = diam.NewRequest(CmdCreditControl, AppGx, dict.Default)
	routing(m, "pgw;1;ccr")
	m.AddAVP(gdAVP(AVPAuthApplicationID, 0, u32(AppGx)))
	m.AddAVP(gdAVP(avpCCRequestType, 0, enum(1)))
	m.AddAVP(gdAVP(avpCCRequestNumber, 0, u32(0)))
	m.AddAVP(gdGroup(AVPSubscriptionID, 0, gdAVP(AVPSubscriptionIDType, 0, enum(1)), gdAVP(AVPSubscriptionIDData, 0, utf(testIMSI))))
	m.AddAVP(gdGroup(AVPSubscriptionID, 0, gdAVP(AVPSubscriptionIDType, 0, enum(0)), gdAVP(AVPSubscriptionIDData, 0, utf(testMSISDN))))
	m.AddAVP(gdAVP(avpFramedIPAddress, 0, oct([]byte{10, 45, 0, 2})))
	m.AddAVP(gdGroup(1016, Vendor3GPP, // QoS-Information
		gdAVP(avpQoSClassIdentifier, Vendor3GPP, enum(9)),
		gdAVP(avpMaxReqBandwidthUL, Vendor3GPP, u32(64000)),
		gdAVP(avpMaxReqBandwidthDL, Vendor3GPP, u32(128000))))
	m.AddAVP(gdAVP(55, 0, datatype.Time(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)))) // Event-Timestamp
	msgs["Gx CCR"] = m

	m = diam.NewRequest(CmdCreditControl, AppCreditControl, dict.Default)
	routing(m, "pgw;1;gy")
	m.AddAVP(gdAVP(AVPAuthApplicationID, 0, u32(AppCreditControl)))
	m.AddAVP(gdAVP(461, 0, utf("32251@3gpp.org"))) // Service-Context-Id
	m.AddAVP(gdAVP(avpCCRequestType, 0, enum(2)))
	m.AddAVP(gdAVP(avpCCRequestNumber, 0, u32(1)))
	m.AddAVP(gdGroup(456, 0, // Multiple-Services-Credit-Control
		gdGroup(437, 0, gdAVP(421, 0, datatype.Unsigned64(1<<40))), // Requested-Service-Unit{CC-Total-Octets}
		gdAVP(432, 0, u32(7)))) // Rating-Group
	msgs["Gy CCR"] = m

	m = diam.NewRequest(CmdAA, AppRx, dict.Default)
	routing(m, "pcscf;1;aar")
	m.AddAVP(gdAVP(AVPAuthApplicationID, 0, u32(AppRx)))
	m.AddAVP(gdGroup(517, Vendor3GPP, // Media-Component-Description
		gdAVP(518, Vendor3GPP, u32(1)), // Media-Component-Number
		gdGroup(519, Vendor3GPP, // Media-Sub-Component
			gdAVP(509, Vendor3GPP, u32(1)), // Flow-Number
			gdAVP(507, Vendor3GPP, datatype.IPFilterRule("permit out 17 from 10.45.0.2 5000 to 192.0.2.1 6000"))),
		gdAVP(520, Vendor3GPP, enum(0)))) // Media-Type AUDIO
	msgs["Rx AAR"] = m

	m = diam.NewMessage(CmdUpdateLocation, diam.ErrorFlag|diam.ProxiableFlag, AppS6aS6d, testHbH, testE2E, dict.Default)
	m.AddAVP(gdAVP(AVPSessionID, 0, utf(mmeHost+";1;ulr")))
	m.AddAVP(gdAVP(AVPOriginHost, 0, id(hssHost)))
	m.AddAVP(gdAVP(AVPOriginRealm, 0, id(hssRealm)))
	m.AddAVP(gdAVP(AVPResultCode, 0, u32(5014)))
	m.AddAVP(gdGroup(avpFailedAVP, 0, gdAVP(AVPUserName, 0, utf("x"))))
	m.AddAVP(gdAVP(avpErrorMessage, 0, utf("invalid AVP length")))
	msgs["ULA error"] = m

	out := map[string][]byte{}
	for name, m := range msgs {
		b, err := m.Serialize()
		if err != nil {
			t.Fatalf("%s: go-diameter Serialize: %v", name, err)
		}
		out[name] = b
	}
	return out
}

// compareWithGoDiameter decodes b with go-diameter and compares header and
// AVPs, descending into the grouped AVPs both sides know.
func compareWithGoDiameter(t *testing.T, b []byte) {
	t.Helper()
	m, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	gm, err := diam.ReadMessage(bytes.NewReader(b), dict.Default)
	if err != nil {
		t.Fatalf("go-diameter ReadMessage: %v", err)
	}
	gh := gm.Header
	if m.Version != gh.Version || m.Length != gh.MessageLength || m.Flags != gh.CommandFlags ||
		m.Code != gh.CommandCode || m.AppID != gh.ApplicationID || m.HopByHop != gh.HopByHopID || m.EndToEnd != gh.EndToEndID {
		t.Errorf("header %+v, go-diameter %+v", m.Header, *gh)
	}
	compareAVPs(t, "", m.AVPs(), gm.AVP)
}

func compareAVPs(t *testing.T, path string, it AVPs, theirs []*diam.AVP) {
	t.Helper()
	i := 0
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		if i >= len(theirs) {
			t.Errorf("%s: extra AVP %d", path, a.Code)
			return
		}
		g := theirs[i]
		where := fmt.Sprintf("%s/%d", path, a.Code)
		hdr := 8
		if a.Flags&AVPFlagVendor != 0 {
			hdr = 12
		}
		if a.Code != g.Code || a.Flags != g.Flags || a.Vendor != g.VendorID || hdr+len(a.Data) != g.Length {
			t.Errorf("%s: AVP %d/%#x/%d len %d, go-diameter %d/%#x/%d len %d",
				where, a.Code, a.Flags, a.Vendor, hdr+len(a.Data), g.Code, g.Flags, g.VendorID, g.Length)
		}
		if !bytes.Equal(a.Data, g.Data.Serialize()) {
			t.Errorf("%s: data % x, go-diameter % x", where, a.Data, g.Data.Serialize())
		}
		if grp, ok := g.Data.(*diam.GroupedAVP); ok {
			compareAVPs(t, where, a.Grouped(), grp.AVP)
		}
		i++
	}
	if it.Err() != nil {
		t.Errorf("%s: %v", path, it.Err())
	}
	if i != len(theirs) {
		t.Errorf("%s: %d AVPs, go-diameter %d", path, i, len(theirs))
	}
}

func TestOracleGoDiameterEncodes(t *testing.T) {
	msgs := goDiameterMessages(t)
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			b := msgs[name]
			compareWithGoDiameter(t, b)
			var v view.Message
			if err := Decode(b, &v); err != nil || v.Malformed != "" || v.IdentityConflict || v.Flags&view.FlagAppMismatch != 0 {
				t.Fatalf("Decode: %v %+v", err, v)
			}
			switch name {
			case "ULR", "AIR", "IDR", "CLR":
				if v.IMSI.String() != testIMSI {
					t.Errorf("IMSI %q", v.IMSI.String())
				}
			case "Gx CCR":
				if v.IMSI.String() != testIMSI || v.MSISDN.String() != testMSISDN {
					t.Errorf("IMSI %q MSISDN %q", v.IMSI.String(), v.MSISDN.String())
				}
			case "ULA":
				if v.ResultCode != 5420 {
					t.Errorf("ResultCode %d", v.ResultCode)
				}
			case "ULA error":
				if v.ResultCode != 5014 || v.Request {
					t.Errorf("ResultCode %d Request %v", v.ResultCode, v.Request)
				}
			}
			if name == "IDR" && v.Flags != view.FlagLocationRequest {
				t.Errorf("IDR flags %#x", v.Flags)
			}
		})
	}
}

// TestOracleGoDiameterDecodes feeds go-diameter's decoder the messages our
// Builder makes, plus the real captures.
func TestOracleGoDiameterDecodes(t *testing.T) {
	msgs := map[string][]byte{
		"ULR": s6aULR(), "AIR": s6aAIR(), "PUR": s6aPUR(), "NOR": s6aNOR(), "IDR": s6aIDR(0x1c),
		"CLR": s6aCLR(), "DSR": s6aDSR(), "ULA": s6aULA(), "AIA": s6aAIAUnknown(),
		"Gx CCR": gxCCR(), "CER": cer(), "DWR": dwr(),
	}
	for name, b := range corpus(t, "real_") {
		// go-diameter's default dictionary has no Cx.
		if !strings.Contains(name, "_Cx_") {
			msgs[name] = b
		}
	}
	for name, b := range msgs {
		t.Run(name, func(t *testing.T) { compareWithGoDiameter(t, b) })
	}
}

// TestGroupedTableMatchesDictionary checks the generated table against the
// dictionaries it was generated from: every Grouped AVP go-diameter knows,
// except Failed-AVP, is validated as grouped.
func TestGroupedTableMatchesDictionary(t *testing.T) {
	n := 0
	for _, app := range dict.Default.Apps() {
		for _, a := range app.AVP {
			if a.Data.TypeName != "Grouped" {
				continue
			}
			n++
			if a.Code == avpFailedAVP && a.VendorID == 0 {
				if isGrouped(a.Code, a.VendorID) {
					t.Error("Failed-AVP is in the grouped table")
				}
				continue
			}
			if !isGrouped(a.Code, a.VendorID) {
				t.Errorf("%s (%d, vendor %d) is Grouped in app %d but not in grouped_table.go; run go generate", a.Name, a.Code, a.VendorID, app.ID)
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d grouped AVPs in go-diameter's dictionaries", n)
	}
}

// ---------------------------------------------------------------------------
// Scapy

const scapyScript = `
import sys, logging
logging.getLogger("scapy").setLevel(logging.ERROR)
from scapy.contrib.diameter import DiamReq, DiamAns, AVP
from scapy.all import raw

V = 10415
msgs = {
  "ULR": DiamReq(316, drAppId=16777251, drHbHId=0x11223344, drEtEId=0x55667788, avpList=[
     AVP(263, val="mme.example.net;1;1"),
     AVP(277, val=1),
     AVP(264, val="mme.example.net"),
     AVP(296, val="example.net"),
     AVP(283, val="hss.example.net"),
     AVP(1, val="001010123456789"),
     AVP([1032, V], val=1004),
     AVP([1405, V], val=34),
     AVP([1407, V], val=b"\x00\xf1\x10"),
     AVP([628, V], val=[AVP(266, val=V), AVP([629, V], val=1), AVP([630, V], val=0x1c000607)]),
  ]),
  "AIR": DiamReq(318, drAppId=16777251, drHbHId=0x11223344, drEtEId=0x55667788, avpList=[
     AVP(263, val="mme.example.net;1;2"),
     AVP(264, val="mme.example.net"),
     AVP(296, val="example.net"),
     AVP(1, val="001010123456789"),
     AVP([1407, V], val=b"\x32\xf4\x51"),
     AVP([1408, V], val=[AVP([1410, V], val=1)]),
  ]),
  "IDR": DiamReq(319, drAppId=16777251, drHbHId=0x11223344, drEtEId=0x55667788, avpList=[
     AVP(263, val="hss.example.net;1;3"),
     AVP(264, val="hss.example.net"),
     AVP(296, val="example.net"),
     AVP(1, val="001010123456789"),
     AVP([1490, V], val=8),
  ]),
  "CCR": DiamReq(272, drAppId=16777238, drFlags=0xc0, drHbHId=0x11223344, drEtEId=0x55667788, avpList=[
     AVP(263, val="pgw.example.net;1;4"),
     AVP(258, val=16777238),
     AVP(264, val="pgw.example.net"),
     AVP(296, val="example.net"),
     AVP(416, val=1),
     AVP(415, val=0),
     AVP(443, val=[AVP(450, val=1), AVP(444, val="001010123456789")]),
     AVP(443, val=[AVP(450, val=0), AVP(444, val="12065550100")]),
  ]),
  "UDR": DiamReq(306, drAppId=16777217, drHbHId=0x11223344, drEtEId=0x55667788, avpList=[
     AVP(263, val="as.example.net;1;5"),
     AVP(264, val="as.example.net"),
     AVP(296, val="example.net"),
     AVP([700, V], val=[AVP([601, V], val="tel:+12065550100")]),
     AVP([703, V], val=14),
  ]),
  "AIA": DiamAns(318, drAppId=16777251, drHbHId=0x11223344, drEtEId=0x55667788, avpList=[
     AVP(263, val="mme.example.net;1;2"),
     AVP(264, val="hss.example.net"),
     AVP(296, val="example.net"),
     AVP(297, val=[AVP(266, val=V), AVP(298, val=5001)]),
  ]),
}
for name, p in msgs.items():
    print(name, raw(p).hex())
`

func TestOracleScapy(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import scapy.contrib.diameter").Run(); err != nil {
		t.Skipf("scapy's Diameter layer is not available: %v", err)
	}
	out, err := exec.Command(python, "-c", scapyScript).Output()
	if err != nil {
		t.Fatalf("scapy: %v", err)
	}
	type expect struct {
		op, imsi, msisdn, plmn string
		rc, flags              uint32
		avps                   int
	}
	wants := map[string]expect{
		"ULR": {op: "ULR", imsi: testIMSI, plmn: "00101", avps: 10},
		"AIR": {op: "AIR", imsi: testIMSI, plmn: "23415", avps: 6},
		"IDR": {op: "IDR", imsi: testIMSI, flags: view.FlagLocationRequest, avps: 5},
		"CCR": {op: "CCR", imsi: testIMSI, msisdn: testMSISDN, avps: 8},
		"UDR": {op: "UDR", msisdn: testMSISDN, flags: view.FlagLocationRequest, avps: 5},
		"AIA": {op: "AIA", rc: 5001, avps: 4},
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, hx, ok := strings.Cut(line, " ")
		w, known := wants[name]
		if !ok || !known {
			t.Fatalf("unexpected scapy output %q", line)
		}
		seen++
		t.Run(name, func(t *testing.T) {
			b, err := hex.DecodeString(hx)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v (% x)", err, b)
			}
			n := 0
			it := m.AVPs()
			for _, ok := it.Next(); ok; _, ok = it.Next() {
				n++
			}
			if n != w.avps {
				t.Errorf("%d AVPs, scapy wrote %d", n, w.avps)
			}
			var v view.Message
			if err := Decode(b, &v); err != nil {
				t.Fatal(err)
			}
			if v.Op != w.op || v.IMSI.String() != w.imsi || v.MSISDN.String() != w.msisdn || v.VisitedPLMN.String() != w.plmn ||
				v.ResultCode != w.rc || v.Flags != w.flags || v.Malformed != "" || v.IdentityConflict || v.Transaction != testTxn {
				t.Errorf("Decode = op %s imsi %q msisdn %q plmn %q rc %d flags %#x malformed %q conflict %v txn %#x; want %+v",
					v.Op, v.IMSI.String(), v.MSISDN.String(), v.VisitedPLMN.String(), v.ResultCode, v.Flags, v.Malformed, v.IdentityConflict, v.Transaction, w)
			}
		})
	}
	if seen != len(wants) {
		t.Fatalf("scapy produced %d messages, want %d", seen, len(wants))
	}
}

// ---------------------------------------------------------------------------
// tshark

// writePcap writes each message as one TCP segment (Ethernet/IPv4/TCP,
// destination port 3868, a connection per message).
func writePcap(t *testing.T, path string, msgs [][]byte) {
	t.Helper()
	var f bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 262144)
	le.PutUint32(hdr[20:], 1) // LINKTYPE_ETHERNET
	f.Write(hdr)
	src, dst := []byte{192, 0, 2, 1}, []byte{192, 0, 2, 2}
	for i, msg := range msgs {
		tcp := make([]byte, 20, 20+len(msg))
		binary.BigEndian.PutUint16(tcp[0:], uint16(40000+i))
		binary.BigEndian.PutUint16(tcp[2:], 3868)
		binary.BigEndian.PutUint32(tcp[4:], 1) // seq
		binary.BigEndian.PutUint32(tcp[8:], 1) // ack
		tcp[12] = 5 << 4
		tcp[13] = 0x18 // PSH|ACK
		binary.BigEndian.PutUint16(tcp[14:], 65535)
		tcp = append(tcp, msg...)
		pseudo := cat(src, dst, []byte{0, 6, byte(len(tcp) >> 8), byte(len(tcp))}, tcp)
		binary.BigEndian.PutUint16(tcp[16:], inetChecksum(pseudo))

		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
		binary.BigEndian.PutUint16(ip[4:], uint16(i+1))
		ip[6] = 0x40 // DF
		ip[8] = 64
		ip[9] = 6
		copy(ip[12:], src)
		copy(ip[16:], dst)
		binary.BigEndian.PutUint16(ip[10:], inetChecksum(ip))

		eth := []byte{0, 0, 0x5e, 0, 0x53, 2, 0, 0, 0x5e, 0, 0x53, 1, 0x08, 0x00}
		frame := cat(eth, ip, tcp)
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(1700000000+i))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		f.Write(rec)
		f.Write(frame)
	}
	if err := os.WriteFile(path, f.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func inetChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func TestOracleTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	type sample struct {
		name string
		b    []byte
	}
	samples := []sample{
		{"ULR", s6aULR()}, {"AIR", s6aAIR()}, {"PUR", s6aPUR()}, {"NOR", s6aNOR()},
		{"IDR", s6aIDR(8)}, {"CLR", s6aCLR()}, {"DSR", s6aDSR()}, {"RSR", s6aRSR()},
		{"UDR", shUDR(14)}, {"CCR", gxCCR()}, {"MAR", cxMAR()}, {"ULA", s6aULA()},
		{"AIA", s6aAIAUnknown()}, {"CER", cer()}, {"DWR", dwr()},
		{"two User-Name", request(CmdUpdateLocation, AppS6aS6d, func(b *Builder) {
			b.String(AVPUserName, 0, mand, testIMSI)
			b.String(AVPUserName, 0, mand, testIMSI2)
		})},
	}
	real := corpus(t, "real_")
	names := make([]string, 0, len(real))
	for n := range real {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		samples = append(samples, sample{n, real[n]})
	}
	msgs := make([][]byte, len(samples))
	for i, s := range samples {
		msgs[i] = s.b
	}
	pcap := filepath.Join(t.TempDir(), "diameter.pcap")
	writePcap(t, pcap, msgs)

	cmd := exec.Command(tshark, "-n", "-r", pcap, "-T", "fields", "-E", "separator=|",
		"-e", "frame.number", "-e", "diameter.cmd.code", "-e", "diameter.flags.request",
		"-e", "diameter.applicationId", "-e", "diameter.User-Name",
		"-e", "diameter.hopbyhopid", "-e", "diameter.endtoendid", "-e", "diameter.Origin-Host")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no user preferences
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(samples) {
		t.Fatalf("tshark printed %d lines for %d frames:\n%s", len(lines), len(samples), out)
	}
	for i, line := range lines {
		s := samples[i]
		t.Run(s.name, func(t *testing.T) {
			f := strings.Split(line, "|")
			if len(f) != 8 || f[0] != strconv.Itoa(i+1) {
				t.Fatalf("tshark line %q", line)
			}
			var v view.Message
			if err := Decode(s.b, &v); err != nil {
				t.Fatal(err)
			}
			m, _ := Parse(s.b)
			req := f[2] == "1" || strings.EqualFold(f[2], "true")
			if f[1] != strconv.FormatUint(uint64(v.Code), 10) || req != v.Request || f[3] != strconv.FormatUint(uint64(v.App), 10) {
				t.Errorf("tshark code/R/app %s/%s/%s, Decode %d/%v/%d", f[1], f[2], f[3], v.Code, v.Request, v.App)
			}
			if hbh, e2e := parseUint(f[5]), parseUint(f[6]); hbh != m.HopByHop || e2e != m.EndToEnd ||
				v.Transaction != uint64(e2e)<<32|uint64(hbh) {
				t.Errorf("tshark hbh/e2e %s/%s, Transaction %#x", f[5], f[6], v.Transaction)
			}
			// tshark lists every top-level and nested User-Name / Origin-Host;
			// the top-level ones are what Find reports.
			var names []string
			it := m.AVPs()
			for a, ok := it.Next(); ok; a, ok = it.Next() {
				if a.Code == AVPUserName && a.Vendor == 0 {
					names = append(names, string(a.Data))
				}
			}
			if got := strings.Join(names, ","); f[4] != got {
				t.Errorf("tshark User-Name %q, ours %q", f[4], got)
			}
			if len(names) == 1 {
				imsi, _, _ := strings.Cut(names[0], "@")
				if isDigits(imsi) && len(imsi) >= 6 && len(imsi) <= 15 && v.IMSI.String() != imsi {
					t.Errorf("User-Name %q, IMSI %q", names[0], v.IMSI.String())
				}
			}
			if f[7] != string(v.OriginHost) {
				t.Errorf("tshark Origin-Host %q, ours %q", f[7], v.OriginHost)
			}
		})
	}
}

func parseUint(s string) uint32 {
	n, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
