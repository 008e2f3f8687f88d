package m3ua

// Independent oracles: go-m3ua (an encoder and a decoder written by
// others) and tshark's M3UA dissector, on crafted messages and on the
// public captures.

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"breakwater/protocols/m3ua/m3uatest"

	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

func mustMarshal(t *testing.T, m messages.M3UA) []byte {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatalf("go-m3ua marshal %T: %v", m, err)
	}
	return b
}

// goM3UAMessages are messages of every kind go-m3ua encodes, with
// parameters in every shape (user data of 0-5 octets for the padding).
func goM3UAMessages(t *testing.T) map[string][]byte {
	apcs := params.NewAffectedPointCode(0x001234, 0x03000500)
	rcs := params.NewRoutingContext(10, 11)
	info := params.NewInfoString("breakwater")
	out := map[string][]byte{
		"DUNA":       mustMarshal(t, messages.NewDestinationUnavailable(params.NewNetworkAppearance(1), rcs, apcs, info)),
		"DAVA":       mustMarshal(t, messages.NewDestinationAvailable(nil, params.NewRoutingContext(7), apcs, nil)),
		"DAUD":       mustMarshal(t, messages.NewDestinationStateAudit(params.NewNetworkAppearance(2), nil, apcs, info)),
		"DRST":       mustMarshal(t, messages.NewDestinationRestricted(nil, nil, params.NewAffectedPointCode(77), nil)),
		"SCON":       mustMarshal(t, messages.NewSignallingCongestion(nil, rcs, params.NewAffectedPointCode(1), params.NewConcernedDestination(4848), params.NewCongestionIndications(2), info)),
		"DUPU":       mustMarshal(t, messages.NewDestinationUserPartUnavailable(nil, rcs, params.NewAffectedPointCode(2487), params.NewUserCause(5, 2), nil)),
		"ASPUP":      mustMarshal(t, messages.NewAspUp(params.NewAspIdentifier(99), info)),
		"ASPUP_ACK":  mustMarshal(t, messages.NewAspUpAck(params.NewAspIdentifier(99), nil)),
		"ASPDN":      mustMarshal(t, messages.NewAspDown(info)),
		"ASPDN_ACK":  mustMarshal(t, messages.NewAspDownAck(nil)),
		"BEAT":       mustMarshal(t, messages.NewHeartbeat(params.NewHeartbeatData([]byte("ping!")))),
		"BEAT_ACK":   mustMarshal(t, messages.NewHeartbeatAck(params.NewHeartbeatData([]byte("ping!")))),
		"ASPAC":      mustMarshal(t, messages.NewAspActive(params.NewTrafficModeType(params.TrafficModeLoadshare), rcs, nil)),
		"ASPAC_ACK":  mustMarshal(t, messages.NewAspActiveAck(params.NewTrafficModeType(params.TrafficModeOverride), params.NewRoutingContext(3001), info)),
		"ASPIA":      mustMarshal(t, messages.NewAspInactive(rcs, nil)),
		"ASPIA_ACK":  mustMarshal(t, messages.NewAspInactiveAck(rcs, info)),
		"NTFY":       mustMarshal(t, messages.NewNotify(params.NewStatus(params.AsStateActive), params.NewAspIdentifier(99), rcs, info)),
		"ERR":        mustMarshal(t, messages.NewError(params.NewErrorCode(0x19), rcs, params.NewNetworkAppearance(3), apcs, params.NewDiagnosticInformation([]byte{1, 2, 3}))),
		"DATA-no-NA": mustMarshal(t, messages.NewData(nil, params.NewRoutingContext(3001), params.NewProtocolData(1, 2, 5, 0, 0, 0, []byte{0x01, 0x10}), nil)),
	}
	for n := 0; n <= 5; n++ {
		ud := bytes.Repeat([]byte{0xa5}, n)
		out[fmt.Sprintf("DATA-%d", n)] = mustMarshal(t, messages.NewData(params.NewNetworkAppearance(6),
			params.NewRoutingContext(3001), params.NewProtocolData(2487, 4848, 3, 2, 1, uint8(n), ud), params.NewCorrelationID(uint32(n))))
	}
	return out
}

// goParams decodes a message's parameters with go-m3ua.
func goParams(t *testing.T, b []byte) (class, typ uint8, ps []*params.Param) {
	t.Helper()
	h, err := messages.ParseHeader(b)
	if err != nil {
		t.Fatalf("go-m3ua header: %v", err)
	}
	ps, err = params.ParseMultiParams(h.Payload)
	if err != nil {
		t.Fatalf("go-m3ua params: %v", err)
	}
	return h.Class, h.Type, ps
}

// compareParams checks our Parse against go-m3ua's decoding.
func compareParams(t *testing.T, b []byte) Message {
	t.Helper()
	m, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	class, typ, ps := goParams(t, b)
	if m.Class != class || m.Type != typ {
		t.Errorf("class/type %d/%d, go-m3ua %d/%d", m.Class, m.Type, class, typ)
	}
	it := m.Params()
	i := 0
	for p, ok := it.Next(); ok; p, ok = it.Next() {
		if i >= len(ps) {
			t.Fatalf("more parameters than go-m3ua's %d", len(ps))
		}
		if p.Tag != ps[i].Tag || !bytes.Equal(p.Value, ps[i].Data) {
			t.Errorf("parameter %d: %#x %x, go-m3ua %#x %x", i, p.Tag, p.Value, ps[i].Tag, ps[i].Data)
		}
		i++
	}
	if i != len(ps) {
		t.Errorf("%d parameters, go-m3ua %d", i, len(ps))
	}
	return m
}

// compareData checks Data against go-m3ua's DATA decoding.
func compareData(t *testing.T, m *Message, b []byte) {
	t.Helper()
	var d Data
	if err := m.Data(&d); err != nil {
		t.Fatalf("Data: %v", err)
	}
	gm, err := messages.ParseData(b)
	if err != nil {
		t.Fatalf("go-m3ua: %v", err)
	}
	pd, err := gm.ProtocolData.ProtocolData()
	if err != nil {
		t.Fatalf("go-m3ua protocol data: %v", err)
	}
	want := Data{ProtocolData: ProtocolData{OPC: pd.OriginatingPointCode, DPC: pd.DestinationPointCode,
		SI: pd.ServiceIndicator, NI: pd.NetworkIndicator, MP: pd.MessagePriority, SLS: pd.SignalingLinkSelection, UserData: pd.Data}}
	if p := gm.NetworkAppearance; p != nil {
		want.NetworkAppearance = Some(p.NetworkAppearance())
	}
	if p := gm.RoutingContext; p != nil {
		want.RoutingContext = Some(p.RoutingContext())
	}
	if p := gm.CorrelationID; p != nil {
		want.CorrelationID = Some(p.CorrelationID())
	}
	if !equalData(&d, &want) {
		t.Errorf("Data %+v\n go-m3ua %+v", d, want)
	}
}

func TestOracleGoM3UAEncodes(t *testing.T) {
	msgs := goM3UAMessages(t)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range msgs {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Run(name, func(t *testing.T) {
			b := msgs[name]
			m := compareParams(t, b)
			if got, want := m.Kind().String(), strings.Split(name, "-")[0]; got != want {
				t.Errorf("kind %q", got)
			}
			switch m.Class {
			case ClassTransfer:
				compareData(t, &m, b)
			case ClassSSNM:
				var s SSNM
				if err := m.SSNM(&s); err != nil {
					t.Fatalf("SSNM: %v", err)
				}
			}
		})
	}
}

// TestOracleGoM3UAParsesOurs decodes what Builder encodes with go-m3ua.
func TestOracleGoM3UAParsesOurs(t *testing.T) {
	var b Builder
	for n := 0; n <= 5; n++ {
		d := Data{RoutingContext: Some(7), CorrelationID: Some(9), ProtocolData: ProtocolData{OPC: 0xffffff, DPC: 1, SI: 3, NI: 3, MP: 3, SLS: 15, UserData: bytes.Repeat([]byte{byte(n)}, n)}}
		if n%2 == 0 {
			d.NetworkAppearance = Some(uint32(n))
		}
		msg := bytes.Clone(b.Data(&d))
		compareParams(t, msg)
		m, _ := Parse(msg)
		compareData(t, &m, msg)
		var back Data
		if err := m.Data(&back); err != nil || !equalData(&back, &d) {
			t.Errorf("round trip %+v: %+v %v", d, back, err)
		}
	}

	check := func(name string, msg []byte, f func(messages.M3UA) string) {
		t.Run(name, func(t *testing.T) {
			compareParams(t, msg)
			gm, err := messages.Parse(msg)
			if err != nil {
				t.Fatalf("go-m3ua: %v", err)
			}
			if d := f(gm); d != "" {
				t.Error(d)
			}
		})
	}
	check("ASPUP_ACK", bytes.Clone(b.AspUpAck(Some(42), []byte("hi"))), func(m messages.M3UA) string {
		a, ok := m.(*messages.AspUpAck)
		if !ok || a.AspIdentifier.AspIdentifier() != 42 || a.InfoString.InfoString() != "hi" {
			return fmt.Sprintf("%v", m)
		}
		return ""
	})
	check("ASPUP_ACK bare", bytes.Clone(b.AspUpAck(Opt32{}, nil)), func(m messages.M3UA) string {
		if a, ok := m.(*messages.AspUpAck); !ok || a.AspIdentifier != nil || a.MarshalLen() != 8 {
			return fmt.Sprintf("%v", m)
		}
		return ""
	})
	check("ASPAC_ACK", bytes.Clone(b.AspActiveAck(Some(TrafficModeLoadshare), []uint32{3001, 3002}, nil)), func(m messages.M3UA) string {
		a, ok := m.(*messages.AspActiveAck)
		if !ok || a.TrafficModeType.TrafficModeType() != params.TrafficModeLoadshare || !slices.Equal(a.RoutingContext.RoutingContexts(), []uint32{3001, 3002}) {
			return fmt.Sprintf("%v", m)
		}
		return ""
	})
	beat := mustMarshal(t, messages.NewHeartbeat(params.NewHeartbeatData([]byte("abcde"))))
	bm, _ := Parse(beat)
	check("BEAT_ACK", bytes.Clone(b.BeatAck(&bm)), func(m messages.M3UA) string {
		a, ok := m.(*messages.HeartbeatAck)
		if !ok || string(a.HeartbeatData.HeartbeatData()) != "abcde" {
			return fmt.Sprintf("%v", m)
		}
		return ""
	})
	check("NTFY", bytes.Clone(b.Notify(StatusTypeASStateChange, StatusASActive, Some(5), []uint32{1}, []byte("x"))), func(m messages.M3UA) string {
		a, ok := m.(*messages.Notify)
		if !ok || a.Status.Status() != params.AsStateActive || a.AspIdentifier.AspIdentifier() != 5 || a.RoutingContext.RoutingContext() != 1 {
			return fmt.Sprintf("%v", m)
		}
		return ""
	})
	check("ERR", bytes.Clone(b.Error(ErrCodeInvalidRoutingContext, []uint32{9}, Some(4), []uint32{2487}, dataMsg)), func(m messages.M3UA) string {
		a, ok := m.(*messages.Error)
		if !ok || a.ErrorCode.ErrorCode() != 0x19 || a.RoutingContext.RoutingContext() != 9 || a.NetworkAppearance.NetworkAppearance() != 4 ||
			a.AffectedPointCode.AffectedPointCode() != 2487 || !bytes.Equal(a.DiagnosticInformation.DiagnosticInformation(), dataMsg) {
			return fmt.Sprintf("%v", m)
		}
		return ""
	})
	for _, k := range []Kind{KindDUNA, KindDAVA} {
		var msg []byte
		if k == KindDUNA {
			msg = bytes.Clone(b.DUNA(Some(1), []uint32{2}, []uint32{0x01000100, 4848}, []byte("gone")))
		} else {
			msg = bytes.Clone(b.DAVA(Opt32{}, nil, []uint32{4848}, nil))
		}
		check(k.String(), msg, func(m messages.M3UA) string {
			var apc *params.Param
			switch a := m.(type) {
			case *messages.DestinationUnavailable:
				apc = a.AffectedPointCode
				if a.NetworkAppearance.NetworkAppearance() != 1 || a.RoutingContext.RoutingContext() != 2 || a.InfoString.InfoString() != "gone" {
					return fmt.Sprintf("%v", m)
				}
			case *messages.DestinationAvailable:
				apc = a.AffectedPointCode
				if a.NetworkAppearance != nil || a.RoutingContext != nil {
					return fmt.Sprintf("%v", m)
				}
			default:
				return fmt.Sprintf("%T", m)
			}
			if got := apc.AffectedPointCodes(); got[len(got)-1] != 4848 {
				return fmt.Sprint(got)
			}
			return ""
		})
	}
}

// TestOracleGoM3UACaptures compares every M3UA message of the public
// captures with go-m3ua's decoding.
func TestOracleGoM3UACaptures(t *testing.T) {
	n := 0
	for _, path := range captures(t) {
		frames, err := m3uatest.ReadPcap(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frames {
			for i, b := range f.Messages {
				t.Run(fmt.Sprintf("%s/%d.%d", filepath.Base(path), f.Number, i), func(t *testing.T) {
					if _, err := Parse(b); err != nil {
						if f.Incomplete {
							t.Skipf("frame cut short: %v", err)
						}
						t.Fatal(err)
					}
					m := compareParams(t, b)
					var d Data
					if m.Kind() == KindDATA && m.Data(&d) == nil {
						compareData(t, &m, b)
					}
					n++
				})
			}
		}
	}
	t.Logf("%d captured M3UA messages agree with go-m3ua", n)
}

// tsharkView is what tshark shows of one M3UA message, in tshark's terms.
type tsharkView struct {
	Version, Class, Type, Length string
	Tags                         string
	OPC, DPC, SI, NI, MP, SLS    string
	RC, NA, CorrID               string
	APCMask, APC                 string
	StatusType, StatusInfo       string
	ASPID, ErrorCode, TMT        string
	Heartbeat, Info              string
	UserCause, CongestionLevel   string
	ConcernedDPC                 string
}

func tsharkM3UA(p *m3uatest.Field) tsharkView {
	j := func(name string) string { return strings.Join(p.Shows(name), ",") }
	return tsharkView{
		Version: j("m3ua.version"), Class: j("m3ua.message_class"), Type: j("m3ua.message_type"), Length: j("m3ua.message_length"),
		Tags: j("m3ua.parameter_tag"),
		OPC:  j("m3ua.protocol_data_opc"), DPC: j("m3ua.protocol_data_dpc"), SI: j("m3ua.protocol_data_si"),
		NI: j("m3ua.protocol_data_ni"), MP: j("m3ua.protocol_data_mp"), SLS: j("m3ua.protocol_data_sls"),
		RC: j("m3ua.routing_context"), NA: j("m3ua.network_appearance"), CorrID: j("m3ua.correlation_identifier"),
		APCMask: j("m3ua.affected_point_code_mask"), APC: j("m3ua.affected_point_code_pc"),
		StatusType: j("m3ua.status_type"), StatusInfo: j("m3ua.status_info"), ASPID: j("m3ua.asp_identifier"),
		ErrorCode: j("m3ua.error_code"), TMT: j("m3ua.traffic_mode_type"),
		Heartbeat: strings.ReplaceAll(j("m3ua.heartbeat_data"), ":", ""), Info: j("m3ua.info_string"),
		UserCause:       j("m3ua.unavailability_cause") + "/" + j("m3ua.user_identity"),
		CongestionLevel: j("m3ua.congestion_level"), ConcernedDPC: j("m3ua.concerned_dpc"),
	}
}

// ourM3UA renders our decoding the way tshark shows it. With stopAfterPD
// it stops after Protocol Data, as tshark does when the MTP3 user's
// dissector throws (SCCP on empty user data, say): tshark then shows
// nothing of the parameters that follow.
func ourM3UA(t *testing.T, b []byte, stopAfterPD bool) tsharkView {
	m, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	add := func(s *string, v string) {
		if *s != "" {
			*s += ","
		}
		*s += v
	}
	v := tsharkView{Version: u(uint64(m.Version)), Class: u(uint64(m.Class)), Type: u(uint64(m.Type)), Length: u(uint64(m.Length))}
	var causes, users string
	it := m.Params()
	for p, ok := it.Next(); ok; p, ok = it.Next() {
		add(&v.Tags, u(uint64(p.Tag)))
		l, _ := p.List()
		x, _ := p.Uint32()
		switch p.Tag {
		case TagProtocolData:
			var pd ProtocolData
			if parseProtocolData(p.Value, &pd) == nil {
				v.OPC, v.DPC, v.SI = u(uint64(pd.OPC)), u(uint64(pd.DPC)), u(uint64(pd.SI))
				v.NI, v.MP, v.SLS = u(uint64(pd.NI)), u(uint64(pd.MP)), u(uint64(pd.SLS))
			}
			if stopAfterPD {
				v.UserCause = "/"
				return v
			}
		case TagRoutingContext:
			for i := 0; i < l.Len(); i++ {
				add(&v.RC, u(uint64(l.At(i))))
			}
		case TagAffectedPointCode:
			for i := 0; i < l.Len(); i++ {
				mask, pc := SplitAffected(l.At(i))
				add(&v.APCMask, u(uint64(mask)))
				add(&v.APC, u(uint64(pc)))
			}
		case TagNetworkAppearance:
			v.NA = u(uint64(x))
		case TagCorrelationID:
			v.CorrID = u(uint64(x))
		case TagStatus:
			v.StatusType, v.StatusInfo = u(uint64(x>>16)), u(uint64(x&0xffff))
		case TagASPIdentifier:
			v.ASPID = u(uint64(x))
		case TagErrorCode:
			v.ErrorCode = u(uint64(x))
		case TagTrafficModeType:
			v.TMT = u(uint64(x))
		case TagHeartbeatData:
			v.Heartbeat = hex.EncodeToString(p.Value)
		case TagInfoString:
			v.Info = string(p.Value)
		case TagUserCause:
			c, us := UserCause(x)
			causes, users = u(uint64(c)), u(uint64(us))
		case TagCongestionIndications:
			v.CongestionLevel = u(uint64(x & 0xff))
		case TagConcernedDestination:
			v.ConcernedDPC = u(uint64(x & MaxPointCode))
		}
	}
	v.UserCause = causes + "/" + users
	return v
}

// TestOracleTshark compares our decoding of every M3UA message with
// tshark's: the public captures as they are, and the go-m3ua and Builder
// messages written into a capture.
func TestOracleTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	compared := 0
	check := func(t *testing.T, path string, frames []m3uatest.Frame) {
		pkts, err := m3uatest.Tshark(tshark, path)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) != len(frames) {
			t.Fatalf("tshark: %d packets, gopacket %d", len(pkts), len(frames))
		}
		for i, f := range frames {
			protos := pkts[i].Protocols("m3ua")
			if f.Incomplete {
				continue
			}
			if len(protos) != len(f.Messages) {
				t.Errorf("frame %d: tshark %d M3UA messages, we %d", f.Number, len(protos), len(f.Messages))
				continue
			}
			malformed := len(pkts[i].Protocols("_ws.malformed")) > 0
			for k, p := range protos {
				got, want := ourM3UA(t, f.Messages[k], malformed), tsharkM3UA(p)
				if got != want {
					t.Errorf("frame %d message %d\n  ours   %+v\n  tshark %+v", f.Number, k, got, want)
				}
				compared++
			}
		}
	}
	for _, path := range captures(t) {
		frames, err := m3uatest.ReadPcap(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(path), func(t *testing.T) { check(t, path, frames) })
	}
	crafted := goM3UAMessages(t)
	var msgs [][]byte
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range crafted {
			if !yield(k) {
				return
			}
		}
	}) {
		msgs = append(msgs, crafted[name])
	}
	var b Builder
	msgs = append(msgs, dataMsg, dataMinimal,
		bytes.Clone(b.AspUpAck(Some(42), []byte("hi"))),
		bytes.Clone(b.AspActiveAck(Some(TrafficModeBroadcast), []uint32{3001, 3002}, nil)),
		bytes.Clone(b.Notify(StatusTypeOther, StatusASPFailure, Some(5), []uint32{1}, nil)),
		bytes.Clone(b.Error(ErrCodeUnexpectedParameter, nil, Opt32{}, nil, dataMsg)),
		bytes.Clone(b.DUNA(Some(1), []uint32{2}, []uint32{0x01000100, 4848}, []byte("gone"))),
		bytes.Clone(b.DAVA(Opt32{}, nil, []uint32{4848}, nil)),
		bytes.Clone(b.Start(KindDUPU).List(TagAffectedPointCode, []uint32{2487}).Uint32(TagUserCause, 1<<16|3).Message()),
	)
	frames := make([]m3uatest.Frame, len(msgs))
	for i, m := range msgs {
		frames[i] = m3uatest.Frame{Number: i + 1, Messages: [][]byte{m}}
	}
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	if err := m3uatest.WritePcap(path, msgs); err != nil {
		t.Fatal(err)
	}
	t.Run("crafted", func(t *testing.T) { check(t, path, frames) })
	t.Logf("%d M3UA messages agree with tshark", compared)
}
