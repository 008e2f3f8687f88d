package diameter

import (
	"testing"

	"breakwater/protocols/view"
)

func TestAnswer(t *testing.T) {
	var req, ans Builder
	raw := req.Start(FlagRequest|FlagProxiable, CmdInsertSubscriberData, AppS6aS6d, 0x11, 0x22).
		String(AVPSessionID, 0, AVPFlagMandatory, "mme.example;1;2").
		String(AVPOriginHost, 0, AVPFlagMandatory, "hss.partner").
		String(AVPUserName, 0, AVPFlagMandatory, "310260000000001").
		Message()
	for _, c := range []struct {
		result uint32
		eBit   bool
	}{{ResultUnableToComply, false}, {ResultUnableToDeliver, true}} {
		out, ok := ans.Answer(raw, c.result, "hss.home", "home.realm")
		if !ok {
			t.Fatal("request not answered")
		}
		var v view.Message
		if err := Decode(out, &v); err != nil || v.Request || v.Code != CmdInsertSubscriberData || v.App != AppS6aS6d {
			t.Fatalf("answer %+v: %v", v, err)
		}
		if v.Transaction != uint64(0x22)<<32|0x11 || v.ResultCode != c.result || string(v.OriginHost) != "hss.home" || string(v.OriginRealm) != "home.realm" {
			t.Fatalf("answer fields %+v", v)
		}
		if (out[4]&FlagError != 0) != c.eBit || out[4]&FlagProxiable == 0 {
			t.Fatalf("result %d: flags %#x", c.result, out[4])
		}
		if sid, n := FindAVP(out, AVPSessionID, 0); n != 1 || string(sid.Data) != "mme.example;1;2" {
			t.Fatalf("Session-Id %q", sid.Data)
		}
	}
	// Answers and garbage are not answered.
	if _, ok := ans.Answer(raw[:10], 5012, "h", "r"); ok {
		t.Fatal("answered a 10-byte fragment")
	}
	a, _ := ans.Answer(raw, 5012, "h", "r")
	a = append([]byte(nil), a...)
	if _, ok := ans.Answer(a, 5012, "h", "r"); ok {
		t.Fatal("answered an answer")
	}
	// No allocation once the builder has grown.
	if n := testing.AllocsPerRun(100, func() { ans.Answer(raw, 5012, "hss.home", "home.realm") }); n != 0 {
		t.Fatalf("%v allocations per answer", n)
	}
	dpr := ans.DisconnectPeer(1, 2, "bw", "home.realm")
	var v view.Message
	if err := Decode(dpr, &v); err != nil || v.Op != "DPR" {
		t.Fatalf("DPR: %+v %v", v, err)
	}
}
