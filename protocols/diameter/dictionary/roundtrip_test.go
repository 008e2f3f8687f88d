package dictionary

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
	"github.com/fiorix/go-diameter/v4/diam/dict"
)

// tAVP describes an AVP to encode by name; children make it Grouped.
type tAVP struct {
	name     string
	vendor   uint32
	data     datatype.Type
	children []tAVP
}

func leaf(name string, vendor uint32, data datatype.Type) tAVP {
	return tAVP{name: name, vendor: vendor, data: data}
}

func group(name string, vendor uint32, children ...tAVP) tAVP {
	return tAVP{name: name, vendor: vendor, children: children}
}

// build encodes a tAVP using the dictionary for code and flags.
func build(t *testing.T, p *dict.Parser, app uint32, a tAVP) *diam.AVP {
	t.Helper()
	d, err := p.FindAVPWithVendor(app, a.name, a.vendor)
	if err != nil {
		t.Fatalf("app %d: %s: %v", app, a.name, err)
	}
	if d.VendorID != a.vendor {
		t.Fatalf("app %d: %s resolves to vendor %d, want %d", app, a.name, d.VendorID, a.vendor)
	}
	var flags uint8
	if strings.Contains(d.Must, "M") {
		flags |= avp.Mbit
	}
	data := a.data
	if len(a.children) > 0 {
		if d.Data.TypeName != "Grouped" {
			t.Fatalf("%s is %s, not Grouped", a.name, d.Data.TypeName)
		}
		g := &diam.GroupedAVP{}
		for _, c := range a.children {
			g.AddAVP(build(t, p, app, c))
		}
		data = g
	}
	return diam.NewAVP(d.Code, flags, a.vendor, data)
}

// verify checks that want is present in got (by code and vendor) with equal
// data, recursing into grouped AVPs, and that every decoded AVP has the
// dictionary type (no Unknown AVPs).
func verify(t *testing.T, p *dict.Parser, app uint32, path string, got []*diam.AVP, want []tAVP) {
	t.Helper()
	for _, g := range got {
		d, err := p.FindAVPByCode(app, g.Code, g.VendorID)
		if err != nil {
			t.Errorf("%s: decoded unknown AVP %d/%d", path, g.Code, g.VendorID)
			continue
		}
		wantType := d.Data.Type
		if wantType == datatype.GroupedType {
			wantType = diam.GroupedAVPType
		}
		if g.Data.Type() != wantType {
			t.Errorf("%s/%s: decoded type %d, dictionary type %s", path, d.Name, g.Data.Type(), d.Data.TypeName)
		}
	}
	for _, w := range want {
		d, err := p.FindAVPWithVendor(app, w.name, w.vendor)
		if err != nil {
			t.Errorf("%s/%s: %v", path, w.name, err)
			continue
		}
		var match []*diam.AVP
		for _, g := range got {
			if g.Code == d.Code && g.VendorID == w.vendor {
				match = append(match, g)
			}
		}
		if len(match) == 0 {
			t.Errorf("%s/%s: not found after decoding", path, w.name)
			continue
		}
		if len(w.children) > 0 {
			ga, ok := match[0].Data.(*diam.GroupedAVP)
			if !ok {
				t.Errorf("%s/%s: decoded as %T, want grouped", path, w.name, match[0].Data)
				continue
			}
			verify(t, p, app, path+"/"+w.name, ga.AVP, w.children)
			continue
		}
		found := false
		for _, m := range match {
			if m.Data.Type() == w.data.Type() && bytes.Equal(m.Data.Serialize(), w.data.Serialize()) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s/%s = %#v, want %#v", path, w.name, match[0].Data, w.data)
		}
	}
}

func base(app uint32) []tAVP {
	return []tAVP{
		leaf("Session-Id", 0, datatype.UTF8String("bw.example.org;1;42")),
		leaf("Origin-Host", 0, datatype.DiameterIdentity("mme01.epc.mnc001.mcc001.3gppnetwork.org")),
		leaf("Origin-Realm", 0, datatype.DiameterIdentity("epc.mnc001.mcc001.3gppnetwork.org")),
		leaf("Destination-Realm", 0, datatype.DiameterIdentity("ims.mnc002.mcc002.3gppnetwork.org")),
		group("Vendor-Specific-Application-Id", 0,
			leaf("Vendor-Id", 0, datatype.Unsigned32(vendor3GPP)),
			leaf("Auth-Application-Id", 0, datatype.Unsigned32(app))),
		leaf("Auth-Session-State", 0, datatype.Enumerated(1)),
	}
}

func ccBase(app uint32) []tAVP {
	return []tAVP{
		leaf("Session-Id", 0, datatype.UTF8String("vpcrf.example.org;7;1")),
		leaf("Auth-Application-Id", 0, datatype.Unsigned32(app)),
		leaf("Origin-Host", 0, datatype.DiameterIdentity("vpcrf.example.org")),
		leaf("Origin-Realm", 0, datatype.DiameterIdentity("example.org")),
		leaf("Destination-Realm", 0, datatype.DiameterIdentity("home.example.net")),
	}
}

func supportedFeatures(list uint32) tAVP {
	return group("Supported-Features", vendor3GPP,
		leaf("Vendor-Id", 0, datatype.Unsigned32(vendor3GPP)),
		leaf("Feature-List-ID", vendor3GPP, datatype.Unsigned32(1)),
		leaf("Feature-List", vendor3GPP, datatype.Unsigned32(list)))
}

func TestRoundTrip(t *testing.T) {
	p := loadedDefault(t)
	ts := datatype.Time(time.Unix(1735689600, 0).UTC())
	imsi := datatype.UTF8String("001010123456789")
	msisdn := datatype.OctetString([]byte{0x19, 0x21, 0x43, 0x65, 0x87, 0xf9})
	cases := []struct {
		name    string
		app     uint32
		code    uint32
		request bool
		avps    []tAVP
	}{
		{"Sh UDR", appSh, 306, true, append(base(appSh),
			supportedFeatures(3),
			group("User-Identity", vendor3GPP,
				leaf("Public-Identity", vendor3GPP, datatype.UTF8String("sip:alice@ims.example.org")),
				leaf("MSISDN", vendor3GPP, msisdn)),
			leaf("Data-Reference", vendor3GPP, datatype.Enumerated(14)),
			leaf("Data-Reference", vendor3GPP, datatype.Enumerated(24)),
			leaf("Requested-Domain", vendor3GPP, datatype.Enumerated(1)),
			leaf("Current-Location", vendor3GPP, datatype.Enumerated(1)),
			leaf("Session-Priority", vendor3GPP, datatype.Enumerated(2)),
			leaf("UDR-Flags", vendor3GPP, datatype.Unsigned32(1)),
			group("Call-Reference-Info", vendor3GPP,
				leaf("Call-Reference-Number", vendor3GPP, datatype.OctetString("ref-1")),
				leaf("AS-Number", vendor3GPP, msisdn)),
		)},
		{"Sh SNA", appSh, 308, false, []tAVP{
			leaf("Session-Id", 0, datatype.UTF8String("hss;1")),
			leaf("Result-Code", 0, datatype.Unsigned32(2001)),
			leaf("Auth-Session-State", 0, datatype.Enumerated(1)),
			leaf("Origin-Host", 0, datatype.DiameterIdentity("hss.example.org")),
			leaf("Origin-Realm", 0, datatype.DiameterIdentity("example.org")),
			leaf("Expiry-Time", vendor3GPP, ts),
			leaf("User-Data", vendor3GPP, datatype.OctetString("<Sh-Data/>")),
			group("Load", 0,
				leaf("Load-Type", 0, datatype.Enumerated(0)),
				leaf("Load-Value", 0, datatype.Unsigned64(50000))),
		}},
		{"Cx MAR", appCx, 303, true, append(base(appCx),
			leaf("User-Name", 0, datatype.UTF8String("alice@ims.example.org")),
			supportedFeatures(1),
			leaf("Public-Identity", vendor3GPP, datatype.UTF8String("sip:alice@ims.example.org")),
			group("SIP-Auth-Data-Item", vendor3GPP,
				leaf("SIP-Authentication-Scheme", vendor3GPP, datatype.UTF8String("Digest-AKAv1-MD5")),
				leaf("SIP-Authorization", vendor3GPP, datatype.OctetString([]byte{1, 2, 3, 4})),
				leaf("Framed-IP-Address", 0, datatype.OctetString([]byte{10, 0, 0, 1}))),
			leaf("SIP-Number-Auth-Items", vendor3GPP, datatype.Unsigned32(1)),
			leaf("Server-Name", vendor3GPP, datatype.UTF8String("sip:scscf.ims.example.org")),
		)},
		{"Cx SAA", appCx, 301, false, []tAVP{
			leaf("Session-Id", 0, datatype.UTF8String("scscf;2")),
			group("Experimental-Result", 0,
				leaf("Vendor-Id", 0, datatype.Unsigned32(vendor3GPP)),
				leaf("Experimental-Result-Code", 0, datatype.Unsigned32(2001))),
			leaf("Auth-Session-State", 0, datatype.Enumerated(1)),
			leaf("Origin-Host", 0, datatype.DiameterIdentity("hss.example.org")),
			leaf("Origin-Realm", 0, datatype.DiameterIdentity("example.org")),
			leaf("User-Data", vendor3GPP, datatype.OctetString("<IMSSubscription/>")),
			group("Charging-Information", vendor3GPP,
				leaf("Primary-Event-Charging-Function-Name", vendor3GPP, datatype.DiameterURI("aaa://ocs.example.org")),
				leaf("Primary-Charging-Collection-Function-Name", vendor3GPP, datatype.DiameterURI("aaa://ccf.example.org"))),
			group("Associated-Identities", vendor3GPP,
				leaf("User-Name", 0, datatype.UTF8String("alice@ims.example.org"))),
			leaf("Priviledged-Sender-Indication", vendor3GPP, datatype.Enumerated(0)),
		}},
		{"SLg PLR", appSLg, 8388620, true, append(base(appSLg),
			leaf("Destination-Host", 0, datatype.DiameterIdentity("mme01.example.org")),
			leaf("SLg-Location-Type", vendor3GPP, datatype.Enumerated(0)),
			leaf("User-Name", 0, imsi),
			leaf("MSISDN", vendor3GPP, msisdn),
			group("LCS-EPS-Client-Name", vendor3GPP,
				leaf("LCS-Name-String", vendor3GPP, datatype.UTF8String("police")),
				leaf("LCS-Format-Indicator", vendor3GPP, datatype.Enumerated(0))),
			leaf("LCS-Client-Type", vendor3GPP, datatype.Enumerated(0)),
			group("LCS-QoS", vendor3GPP,
				leaf("LCS-QoS-Class", vendor3GPP, datatype.Enumerated(1)),
				leaf("Horizontal-Accuracy", vendor3GPP, datatype.Unsigned32(20)),
				leaf("Response-Time", vendor3GPP, datatype.Enumerated(0))),
			leaf("Supported-GAD-Shapes", vendor3GPP, datatype.Unsigned32(0x1ff)),
			leaf("PLR-Flags", vendor3GPP, datatype.Unsigned32(1)),
		)},
		{"SLg LRR", appSLg, 8388621, true, append(base(appSLg),
			leaf("Location-Event", vendor3GPP, datatype.Enumerated(0)),
			leaf("Location-Estimate", vendor3GPP, datatype.OctetString([]byte{0x10, 0x20, 0x30})),
			leaf("ECGI", vendor3GPP, datatype.OctetString([]byte{0x00, 0xf1, 0x10, 0x00, 0x01, 0x02, 0x03})),
			group("Deferred-MT-LR-Data", vendor3GPP,
				leaf("Deferred-Location-Type", vendor3GPP, datatype.Unsigned32(1)),
				leaf("Termination-Cause", vendor3GPP, datatype.Unsigned32(2)),
				group("Serving-Node", vendor3GPP,
					leaf("MME-Name", vendor3GPP, datatype.DiameterIdentity("mme01.example.org")))),
		)},
		{"SLh RIA", appSLh, 8388622, false, []tAVP{
			leaf("Session-Id", 0, datatype.UTF8String("hss;3")),
			leaf("Result-Code", 0, datatype.Unsigned32(2001)),
			leaf("Auth-Session-State", 0, datatype.Enumerated(1)),
			leaf("Origin-Host", 0, datatype.DiameterIdentity("hss.example.org")),
			leaf("Origin-Realm", 0, datatype.DiameterIdentity("example.org")),
			leaf("User-Name", 0, imsi),
			leaf("LMSI", vendor3GPP, datatype.OctetString([]byte{1, 2, 3, 4})),
			group("Serving-Node", vendor3GPP,
				leaf("MME-Name", vendor3GPP, datatype.DiameterIdentity("mme01.example.org")),
				leaf("MME-Realm", vendor3GPP, datatype.DiameterIdentity("example.org")),
				leaf("LCS-Capabilities-Sets", vendor3GPP, datatype.Unsigned32(3))),
			group("Additional-Serving-Node", vendor3GPP,
				leaf("SGSN-Number", vendor3GPP, msisdn)),
			leaf("GMLC-Address", vendor3GPP, datatype.Address(net.ParseIP("192.0.2.10").To4())),
			leaf("PPR-Address", vendor3GPP, datatype.Address(net.ParseIP("2001:db8::1"))),
			leaf("RIA-Flags", vendor3GPP, datatype.Unsigned32(1)),
		}},
		{"SLh RIR", appSLh, 8388622, true, append(base(appSLh),
			leaf("MSISDN", vendor3GPP, msisdn),
			leaf("GMLC-Number", vendor3GPP, msisdn),
			supportedFeatures(1),
		)},
		{"S9 CCR", appS9, 272, true, append(ccBase(appS9),
			leaf("CC-Request-Type", 0, datatype.Enumerated(1)),
			leaf("CC-Request-Number", 0, datatype.Unsigned32(0)),
			group("Subscription-Id", 0,
				leaf("Subscription-Id-Type", 0, datatype.Enumerated(1)),
				leaf("Subscription-Id-Data", 0, imsi)),
			group("Subsession-Enforcement-Info", vendor3GPP,
				leaf("Subsession-Id", vendor3GPP, datatype.Unsigned32(1)),
				leaf("Subsession-Operation", vendor3GPP, datatype.Enumerated(1)),
				group("QoS-Information", vendor3GPP,
					leaf("QoS-Class-Identifier", vendor3GPP, datatype.Enumerated(9)),
					leaf("APN-Aggregate-Max-Bitrate-UL", vendor3GPP, datatype.Unsigned32(1000000)))),
			leaf("Multiple-BBERF-Action", vendor3GPP, datatype.Enumerated(0)),
			leaf("3GPP-SGSN-MCC-MNC", vendor3GPP, datatype.UTF8String("00101")),
			leaf("3GPP2-BSID", 5535, datatype.UTF8String("bsid")),
		)},
		{"S9 RAR", appS9, 258, true, append(ccBase(appS9),
			leaf("Destination-Host", 0, datatype.DiameterIdentity("vpcrf.example.net")),
			leaf("Re-Auth-Request-Type", 0, datatype.Enumerated(0)),
			group("Subsession-Decision-Info", vendor3GPP,
				leaf("Subsession-Id", vendor3GPP, datatype.Unsigned32(1)),
				group("Charging-Rule-Install", vendor3GPP,
					leaf("Charging-Rule-Name", vendor3GPP, datatype.OctetString("rule-1"))),
				leaf("Event-Trigger", vendor3GPP, datatype.Enumerated(13))),
		)},
		{"S9 TER", appS9, 8388656, true, append(ccBase(appS9),
			leaf("Destination-Host", 0, datatype.DiameterIdentity("vpcrf.example.net")),
			leaf("DRA-Binding", vendor3GPP, datatype.Enumerated(0)),
			leaf("UE-Local-IP-Address", vendor3GPP, datatype.Address(net.ParseIP("198.51.100.7").To4())),
		)},
		{"Sy SLR", appSy, 8388635, true, append(ccBase(appSy),
			leaf("SL-Request-Type", vendor3GPP, datatype.Enumerated(0)),
			group("Subscription-Id", 0,
				leaf("Subscription-Id-Type", 0, datatype.Enumerated(1)),
				leaf("Subscription-Id-Data", 0, imsi)),
			leaf("Policy-Counter-Identifier", vendor3GPP, datatype.UTF8String("pc-1")),
		)},
		{"Sy SNR", appSy, 8388636, true, append(ccBase(appSy),
			group("Policy-Counter-Status-Report", vendor3GPP,
				leaf("Policy-Counter-Identifier", vendor3GPP, datatype.UTF8String("pc-1")),
				leaf("Policy-Counter-Status", vendor3GPP, datatype.UTF8String("exhausted")),
				group("Pending-Policy-Counter-Information", vendor3GPP,
					leaf("Policy-Counter-Status", vendor3GPP, datatype.UTF8String("valid")),
					leaf("Pending-Policy-Counter-Change-Time", vendor3GPP, ts))),
			leaf("SN-Request-Type", vendor3GPP, datatype.Unsigned32(0)),
		)},
		{"S6a ULR", appS6a, 316, true, append(base(appS6a),
			leaf("User-Name", 0, imsi),
			leaf("ULR-Flags", vendor3GPP, datatype.Unsigned32(0x22)),
			leaf("Visited-PLMN-Id", vendor3GPP, datatype.OctetString([]byte{0x00, 0xf1, 0x10})),
			group("Equivalent-PLMN-List", vendor3GPP,
				leaf("Visited-PLMN-Id", vendor3GPP, datatype.OctetString([]byte{0x00, 0xf2, 0x20}))),
			leaf("SMS-Register-Request", vendor3GPP, datatype.Enumerated(0)),
			leaf("UE-SRVCC-Capability", vendor3GPP, datatype.Enumerated(1)),
			leaf("Coupled-Node-Diameter-ID", vendor3GPP, datatype.DiameterIdentity("sgsn.example.org")),
			supportedFeatures(0x0fff),
		)},
		{"S6a IDA", appS6a, 319, false, []tAVP{
			leaf("Session-Id", 0, datatype.UTF8String("mme;4")),
			leaf("Result-Code", 0, datatype.Unsigned32(2001)),
			leaf("Auth-Session-State", 0, datatype.Enumerated(1)),
			leaf("Origin-Host", 0, datatype.DiameterIdentity("mme.example.org")),
			leaf("Origin-Realm", 0, datatype.DiameterIdentity("example.org")),
			leaf("IMS-Voice-Over-PS-Sessions-Supported", vendor3GPP, datatype.Enumerated(1)),
			leaf("Last-UE-Activity-Time", vendor3GPP, ts),
			group("EPS-User-State", vendor3GPP,
				group("MME-User-State", vendor3GPP,
					leaf("User-State", vendor3GPP, datatype.Enumerated(1)))),
			group("EPS-Location-Information", vendor3GPP,
				group("MME-Location-Information", vendor3GPP,
					leaf("E-UTRAN-Cell-Global-Identity", vendor3GPP, datatype.OctetString([]byte{0x00, 0xf1, 0x10, 0x01, 0x02, 0x03, 0x04})),
					leaf("Tracking-Area-Identity", vendor3GPP, datatype.OctetString([]byte{0x00, 0xf1, 0x10, 0x00, 0x01})),
					leaf("Age-Of-Location-Information", vendor3GPP, datatype.Unsigned32(5)))),
			group("Local-Time-Zone", vendor3GPP,
				leaf("Time-Zone", vendor3GPP, datatype.UTF8String("+01:00")),
				leaf("Daylight-Saving-Time", vendor3GPP, datatype.Enumerated(0))),
			leaf("IDA-Flags", vendor3GPP, datatype.Unsigned32(1)),
		}},
		{"S6a RSR", appS6a, 322, true, append(base(appS6a),
			leaf("Reset-ID", vendor3GPP, datatype.OctetString([]byte{0xab, 0xcd})),
		)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m *diam.Message
			if tc.request {
				m = diam.NewRequest(tc.code, tc.app, p)
			} else {
				m = diam.NewMessage(tc.code, diam.ProxiableFlag, tc.app, 0, 0, p)
			}
			for _, a := range tc.avps {
				m.AddAVP(build(t, p, tc.app, a))
			}
			raw, err := m.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			got, err := diam.ReadMessage(bytes.NewReader(raw), dict.Default)
			if err != nil {
				t.Fatalf("ReadMessage: %v", err)
			}
			if got.Header.ApplicationID != tc.app || got.Header.CommandCode != tc.code ||
				(got.Header.CommandFlags&diam.RequestFlag != 0) != tc.request {
				t.Fatalf("header = %+v", got.Header)
			}
			verify(t, p, tc.app, tc.name, got.AVP, tc.avps)

			// Lookups by name through the message API use the application
			// scope of the header.
			for _, a := range tc.avps {
				if len(a.children) > 0 {
					if _, err := got.FindAVPsWithPath([]any{a.name, a.children[0].name}, dict.UndefinedVendorID); err != nil {
						t.Errorf("FindAVPsWithPath(%s/%s): %v", a.name, a.children[0].name, err)
					}
					continue
				}
				if _, err := got.FindAVP(a.name, a.vendor); err != nil {
					t.Errorf("FindAVP(%q, %d): %v", a.name, a.vendor, err)
				}
			}
		})
	}
}
