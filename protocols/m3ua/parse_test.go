package m3ua

import (
	"bytes"
	"testing"
)

func TestParseHeaderAndParams(t *testing.T) {
	tests := []struct {
		name     string
		b        []byte
		err      error
		kind     Kind
		tags     []uint16
		unpadded bool
	}{
		{"DATA", dataMsg, nil, KindDATA, []uint16{TagNetworkAppearance, TagRoutingContext, TagProtocolData, TagCorrelationID}, false},
		{"header only (BEAT ACK without data)", hx("01 00 03 06 00 00 00 08"), nil, KindBEATAck, nil, false},
		// §3.1.1: version 1 only.
		{"version 2", hx("02 00 03 06 00 00 00 08"), ErrVersion, KindBEATAck, nil, false},
		{"short", hx("01 00 03 06 00 00 00"), ErrShort, 0, nil, false},
		{"empty", nil, ErrShort, 0, nil, false},
		// §3.1: the length includes the header.
		{"length below header", hx("01 00 03 06 00 00 00 04"), ErrLength, KindBEATAck, nil, false},
		{"length beyond buffer", hx("01 00 03 06 00 00 00 0c 00 09"), ErrLength, KindBEATAck, nil, false},
		{"length 2^32-1", hx("01 00 03 06 ff ff ff ff"), ErrLength, KindBEATAck, nil, false},
		{"trailing octets", hx("01 00 03 06 00 00 00 08 00 00 00 00"), ErrTrailing, KindBEATAck, nil, false},
		// §3.2: parameter length includes tag and length, excludes padding.
		{"empty parameter value", hx("01 00 03 03 00 00 00 0c 00 09 00 04"), nil, KindBEAT, []uint16{TagHeartbeatData}, false},
		{"parameter length 3", hx("01 00 03 03 00 00 00 0c 00 09 00 03"), ErrParam, KindBEAT, nil, false},
		{"parameter length 0", hx("01 00 03 03 00 00 00 0c 00 09 00 00"), ErrParam, KindBEAT, nil, false},
		{"parameter beyond message", hx("01 00 03 03 00 00 00 0c 00 09 00 09"), ErrParam, KindBEAT, nil, false},
		{"parameter header cut", hx("01 00 03 03 00 00 00 0a 00 09"), ErrParam, KindBEAT, nil, false},
		{"padding present", hx("01 00 03 03 00 00 00 10 00 09 00 05 61 00 00 00"), nil, KindBEAT, []uint16{TagHeartbeatData}, false},
		// The sender must pad (§3.2); a last parameter without padding is
		// tolerated, and so is cut padding.
		{"last parameter unpadded", hx("01 00 03 03 00 00 00 0d 00 09 00 05 61"), nil, KindBEAT, []uint16{TagHeartbeatData}, true},
		{"last parameter half padded", hx("01 00 03 03 00 00 00 0e 00 09 00 05 61 00"), nil, KindBEAT, []uint16{TagHeartbeatData}, true},
		// Missing padding in the middle misaligns the next parameter: the
		// iterator reads "08 00 00 00" (length 0) and stops.
		{"inner parameter unpadded", hx("01 00 03 03 00 00 00 15 00 09 00 05 61 00 11 00 08 00 00 00 01"), ErrParam, KindBEAT, nil, false},
		// Unknown classes and types parse; naming them is the caller's job.
		{"SUA class", hx("01 00 07 01 00 00 00 08"), nil, KindOf(ClassCL, 1), nil, false},
		{"undefined type", hx("01 00 01 02 00 00 00 08"), nil, KindOf(ClassTransfer, 2), nil, false},
		{"reserved octet ignored", hx("01 ff 03 06 00 00 00 08"), nil, KindBEATAck, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.b)
			if err != tc.err {
				t.Fatalf("Parse err = %v, want %v", err, tc.err)
			}
			if tc.kind != 0 && m.Kind() != tc.kind {
				t.Errorf("kind = %#x, want %#x", m.Kind(), tc.kind)
			}
			if err != nil {
				return
			}
			var tags []uint16
			it := m.Params()
			for p, ok := it.Next(); ok; p, ok = it.Next() {
				tags = append(tags, p.Tag)
			}
			if it.Err() != nil {
				t.Fatalf("iteration: %v", it.Err())
			}
			if !equalU16(tags, tc.tags) {
				t.Errorf("tags %v, want %v", tags, tc.tags)
			}
			if m.Unpadded != tc.unpadded {
				t.Errorf("Unpadded = %v", m.Unpadded)
			}
		})
	}
}

func equalU16(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestData(t *testing.T) {
	var d Data
	if err := ParseData(dataMsg, &d); err != nil {
		t.Fatal(err)
	}
	want := Data{NetworkAppearance: Some(6), RoutingContext: Some(3001), CorrelationID: Some(42),
		ProtocolData: ProtocolData{OPC: 2487, DPC: 4848, SI: SISCCP, NI: NINational, MP: 0, SLS: 14, UserData: []byte{0xaa}}}
	if !equalData(&d, &want) {
		t.Errorf("got %+v\nwant %+v", d, want)
	}
	if &d.UserData[0] != &dataMsg[40] {
		t.Error("user data does not alias the message")
	}
	if cap(d.UserData) != 1 {
		t.Error("user data capacity reaches into the padding")
	}
	if err := ParseData(dataMinimal, &d); err != nil || d.OPC != 1 || d.DPC != 2 || len(d.UserData) != 0 || d.RoutingContext.Present {
		t.Errorf("minimal: %+v %v", d, err)
	}
}

func equalData(a, b *Data) bool {
	return a.NetworkAppearance == b.NetworkAppearance && a.RoutingContext == b.RoutingContext &&
		a.CorrelationID == b.CorrelationID && a.OPC == b.OPC && a.DPC == b.DPC && a.SI == b.SI &&
		a.NI == b.NI && a.MP == b.MP && a.SLS == b.SLS && bytes.Equal(a.UserData, b.UserData)
}

func TestDataErrors(t *testing.T) {
	pd := hx("02 10 00 10 | 00 00 00 01 | 00 00 00 02 | 03 00 00 00")
	rc := hx("00 06 00 08 00 00 00 01")
	msg := func(params ...[]byte) []byte {
		var b Builder
		b.Start(KindDATA)
		for _, p := range params {
			b.Raw(p)
		}
		return b.Message()
	}
	tests := []struct {
		name string
		b    []byte
		err  error
	}{
		{"not DATA", hx("01 00 03 06 00 00 00 08"), ErrNotData},
		{"no Protocol Data", msg(rc), ErrMissingParam},
		{"two Protocol Data", msg(pd, pd), ErrDuplicateParam},
		{"two Routing Contexts", msg(rc, pd, rc), ErrDuplicateParam},
		{"Routing Context with two values", msg(hx("00 06 00 0c 00 00 00 01 00 00 00 02"), pd), ErrParamValue},
		{"Network Appearance of 2 octets", msg(hx("02 00 00 06 00 01 00 00"), pd), ErrParamValue},
		{"Protocol Data of 11 octets", msg(hx("02 10 00 0f 00 00 00 01 00 00 00 02 03 00 00 00")), ErrParamValue},
		{"OPC of 25 bits", msg(hx("02 10 00 10 | 01 00 00 00 | 00 00 00 02 | 03 00 00 00")), ErrPointCode},
		{"DPC of 32 bits", msg(hx("02 10 00 10 | 00 00 00 01 | ff ff ff ff | 03 00 00 00")), ErrPointCode},
		{"INFO String", msg(pd, hx("00 04 00 05 61 00 00 00")), ErrUnexpectedParam},
		{"unknown tag", msg(hx("7f ff 00 04"), pd), ErrUnexpectedParam},
		{"24-bit point codes", msg(hx("02 10 00 10 | 00 ff ff ff | 00 ff ff ff | 03 00 00 00")), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			var d Data
			if err := m.Data(&d); err != tc.err {
				t.Errorf("Data err = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestSSNM(t *testing.T) {
	// §3.4.1 DUNA: Network Appearance, Routing Context (two), Affected
	// Point Code (two, the second with mask 3), INFO String.
	duna := hx(`
		01 00 02 01 | 00 00 00 30
		02 00 00 08 | 00 00 00 01
		00 06 00 0c | 00 00 00 0a | 00 00 00 0b
		00 12 00 0c | 00 00 12 34 | 03 00 05 00
		00 04 00 08 | 64 6f 77 6e`)
	m, err := Parse(duna)
	if err != nil {
		t.Fatal(err)
	}
	var s SSNM
	if err := m.SSNM(&s); err != nil {
		t.Fatal(err)
	}
	if s.NetworkAppearance != Some(1) || s.RoutingContexts.Len() != 2 || s.RoutingContexts.At(1) != 11 ||
		s.AffectedPointCodes.Len() != 2 || string(s.Info) != "down" {
		t.Fatalf("%+v", s)
	}
	if mask, pc := SplitAffected(s.AffectedPointCodes.At(1)); mask != 3 || pc != 0x500 {
		t.Errorf("affected %d/%#x", mask, pc)
	}

	var b Builder
	scon := b.Start(KindSCON).List(TagAffectedPointCode, []uint32{100}).Uint32(TagConcernedDestination, 200).
		Uint32(TagCongestionIndications, 2).Message()
	if m, _ = Parse(scon); m.SSNM(&s) != nil || s.ConcernedDestination != Some(200) || s.CongestionLevel != Some(2) {
		t.Errorf("SCON: %+v", s)
	}
	// §3.4.5 DUPU: User/Cause (cause 2 inaccessible, user 5 ISUP).
	dupu := b.Start(KindDUPU).List(TagAffectedPointCode, []uint32{100}).Uint32(TagUserCause, 2<<16|5).Message()
	if m, _ = Parse(dupu); m.SSNM(&s) != nil {
		t.Errorf("DUPU: %v", m.SSNM(&s))
	} else if c, u := UserCause(s.UserCause.Value); c != 2 || u != 5 {
		t.Errorf("DUPU user/cause %d/%d", c, u)
	}

	errs := []struct {
		name string
		b    []byte
		err  error
	}{
		{"DUPU without User/Cause", bytes.Clone(b.Start(KindDUPU).List(TagAffectedPointCode, []uint32{100}).Message()), ErrMissingParam},
		{"DUPU with two point codes", bytes.Clone(b.Start(KindDUPU).List(TagAffectedPointCode, []uint32{1, 2}).Uint32(TagUserCause, 5).Message()), ErrMissingParam},
		{"DAVA without Affected Point Code", bytes.Clone(b.Start(KindDAVA).Uint32(TagRoutingContext, 1).Message()), ErrMissingParam},
		{"DUNA with User/Cause", bytes.Clone(b.Start(KindDUNA).List(TagAffectedPointCode, []uint32{1}).Uint32(TagUserCause, 5).Message()), ErrUnexpectedParam},
		{"DUNA with Congestion Indications", bytes.Clone(b.Start(KindDUNA).List(TagAffectedPointCode, []uint32{1}).Uint32(TagCongestionIndications, 1).Message()), ErrUnexpectedParam},
		{"DAUD with Protocol Data", bytes.Clone(b.Start(KindDAUD).List(TagAffectedPointCode, []uint32{1}).Param(TagProtocolData, make([]byte, 12)).Message()), ErrUnexpectedParam},
		{"two Affected Point Code parameters", bytes.Clone(b.Start(KindDRST).List(TagAffectedPointCode, []uint32{1}).List(TagAffectedPointCode, []uint32{2}).Message()), ErrDuplicateParam},
		{"two INFO Strings", bytes.Clone(b.Start(KindDAVA).List(TagAffectedPointCode, []uint32{1}).Param(TagInfoString, nil).Param(TagInfoString, nil).Message()), ErrDuplicateParam},
		{"Affected Point Code of 6 octets", bytes.Clone(b.Start(KindDAVA).Param(TagAffectedPointCode, make([]byte, 6)).Message()), ErrParamValue},
		{"empty Routing Context", bytes.Clone(b.Start(KindDAVA).List(TagAffectedPointCode, []uint32{1}).Param(TagRoutingContext, nil).Message()), ErrParamValue},
		{"DATA is not SSNM", dataMsg, ErrNotSSNM},
		{"SSNM type 7", bytes.Clone(b.Start(KindOf(ClassSSNM, 7)).List(TagAffectedPointCode, []uint32{1}).Message()), ErrNotSSNM},
	}
	for _, tc := range errs {
		m, err := Parse(tc.b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := m.SSNM(&s); err != tc.err {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
		}
	}
}

func TestNames(t *testing.T) {
	want := map[Kind]string{
		KindERR: "ERR", KindNTFY: "NTFY", KindDATA: "DATA",
		KindDUNA: "DUNA", KindDAVA: "DAVA", KindDAUD: "DAUD", KindSCON: "SCON", KindDUPU: "DUPU", KindDRST: "DRST",
		KindASPUP: "ASPUP", KindASPDN: "ASPDN", KindBEAT: "BEAT", KindASPUPAck: "ASPUP_ACK", KindASPDNAck: "ASPDN_ACK", KindBEATAck: "BEAT_ACK",
		KindASPAC: "ASPAC", KindASPIA: "ASPIA", KindASPACAck: "ASPAC_ACK", KindASPIAAck: "ASPIA_ACK",
		KindREGREQ: "REG_REQ", KindREGRSP: "REG_RSP", KindDEREGREQ: "DEREG_REQ", KindDEREGRSP: "DEREG_RSP",
	}
	named := 0
	for c := 0; c < 256; c++ {
		for ty := 0; ty < 256; ty++ {
			k := KindOf(uint8(c), uint8(ty))
			if got := k.String(); got != want[k] {
				t.Errorf("%#04x: %q, want %q", uint16(k), got, want[k])
			} else if got != "" {
				named++
			}
		}
	}
	if named != 23 {
		t.Errorf("%d named kinds", named)
	}
	// Every class has its RFC 4666 §3.1.2 name; 11 and above are reserved.
	for c, n := range map[uint8]string{0: "MGMT", 1: "Transfer", 2: "SSNM", 3: "ASPSM", 4: "ASPTM", 5: "QPTM", 6: "MAUP", 7: "CL", 8: "CO", 9: "RKM", 10: "IIM", 11: "", 255: ""} {
		if ClassName(c) != n {
			t.Errorf("class %d: %q", c, ClassName(c))
		}
	}
	tags := 0
	for tag := 0; tag < 1<<16; tag++ {
		if TagName(uint16(tag)) != "" {
			tags++
		}
	}
	if tags != 24 || TagName(TagProtocolData) != "Protocol Data" || TagName(0x0201) != "" {
		t.Errorf("%d tag names", tags)
	}
	codes := 0
	for c := uint32(0); c < 64; c++ {
		if ErrorCodeName(c) != "" {
			codes++
		}
	}
	if codes != 18 || ErrorCodeName(ErrCodeInvalidRoutingContext) != "Invalid Routing Context" || ErrorCodeName(2) != "" {
		t.Errorf("%d error code names", codes)
	}
	if StatusName(StatusTypeASStateChange, StatusASActive) != "AS-ACTIVE" || StatusName(StatusTypeOther, StatusASPFailure) != "ASP Failure" || StatusName(3, 1) != "" {
		t.Error("status names")
	}
	if SIName(SISCCP) != "SCCP" || SIName(SIGCP) != "GCP" || SIName(15) != "" || SIName(200) != "" {
		t.Error("SI names")
	}
	if TrafficModeName(TrafficModeLoadshare) != "Loadshare" || TrafficModeName(0) != "" {
		t.Error("traffic mode names")
	}
	if z, a, s, ok := ITUPointCode(2487); !ok || z != 1 || a != 54 || s != 7 {
		t.Errorf("2487 = %d-%d-%d %v", z, a, s, ok)
	}
	if _, _, _, ok := ITUPointCode(1 << 14); ok {
		t.Error("15-bit point code accepted as ITU")
	}
}

// TestRealSeeds pins the decoding of committed real seeds (taken from the
// public captures) to what tshark shows, so that the check runs where
// neither the captures nor tshark are installed.
func TestRealSeeds(t *testing.T) {
	type want struct {
		kind          Kind
		opc, dpc      uint32
		si            uint8
		userDataBytes int
	}
	wants := map[string]want{
		"real_map_timkam_test_cgGT_in_end_of_msg_1_0":         {KindDATA, 2487, 4848, SISCCP, -1},
		"real_map_timkam_test_could_not_find_comp_1_0":        {KindDATA, 4850, 1800, SISCCP, -1},
		"real_map_timkam_updateLocation_invoke_1_0":           {KindDATA, 2071, 1961, SISCCP, -1},
		"real_map_timkam_test_retrans_no_chunk_data_1_0":      {kind: KindBEATAck},
		"real_ss7_arkime_m3ua_m2ua_camel_isup_synthetic_10_0": {KindDATA, 200, 400, SIISUP, -1},
		"real_ss7_arkime_m3ua_m2ua_camel_isup_synthetic_15_0": {KindDATA, 300, 600, SITUP, -1},
		"real_ss7_sridhar_m3ua_h248_truncated_1_1_0":          {KindDATA, 1307690, 1308524, SIGCP, -1},
		"real_ss7_suricata_m3ua_sccp_mgmt_17_0":               {KindDATA, 1110, 2627, SISCCP, 17},
		"real_ss7_suricata_m3ua_sccp_mgmt_5_0":                {kind: KindASPUP},
		"real_ss7_suricata_m3ua_sccp_mgmt_7_1":                {kind: KindNTFY},
		"real_ss7_suricata_m3ua_sccp_mgmt_8_0":                {kind: KindASPACAck},
		"real_ss7_suricata_m3ua_sccp_mgmt_9_0":                {kind: KindDAUD},
		"real_ss7_suricata_m3ua_sccp_mgmt_15_0":               {kind: KindDAVA},
	}
	seeds := corpus(t, "real_")
	for name, w := range wants {
		b, ok := seeds[name]
		if !ok {
			t.Errorf("%s not committed", name)
			continue
		}
		m, err := Parse(b)
		if err != nil || m.Kind() != w.kind {
			t.Errorf("%s: %s %v", name, m.Kind(), err)
			continue
		}
		var d Data
		var s SSNM
		switch {
		case w.kind == KindDATA:
			if err := m.Data(&d); err != nil || d.OPC != w.opc || d.DPC != w.dpc || d.SI != w.si ||
				w.userDataBytes >= 0 && len(d.UserData) != w.userDataBytes {
				t.Errorf("%s: %+v %v", name, d.ProtocolData, err)
			}
		case w.kind.Class() == ClassSSNM:
			if err := m.SSNM(&s); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	// The draft-6 capture carries its payload under a pre-RFC tag: a
	// well-formed M3UA message whose DATA the firewall refuses.
	m, err := Parse(seeds["real_ss7_ossie_isup_over_m3ua_draft6_1_0"])
	var d Data
	if err != nil || m.Data(&d) != ErrUnexpectedParam {
		t.Errorf("draft-6 DATA: %v %v", err, m.Data(&d))
	}
}
