package engine

import (
	"net/netip"
	"testing"
	"time"

	"breakwater/firewall/rules"
	"breakwater/protocols/gtp"
	"breakwater/protocols/view"
)

func judgeGTP(t *testing.T, e *Engine, raw []byte, src, dst netip.AddrPort, at time.Time) Verdict {
	t.Helper()
	var m view.Message
	if _, err := gtp.Decode(raw, &m); err != nil {
		t.Fatalf("decode: %v", err)
	}
	m.Time, m.Src, m.Dst = at, src, dst
	return e.Judge(&m)
}

var (
	ukSGW   = netip.MustParseAddrPort("192.0.2.10:2123")
	auSGW   = netip.MustParseAddrPort("203.0.113.10:2123")
	homePGW = netip.MustParseAddrPort("10.10.1.1:2123")
)

// createSessionResponse is the home PGW's accepted answer to seq, naming
// its control-plane F-TEID teid.
func createSessionResponse(b *gtp.Builder, peerTEID, teid, seq uint32) []byte {
	return b.StartV2(33, true, peerTEID, seq).
		IE(gtp.IECause, 0, []byte{16, 0}).
		IE(gtp.IEFTEID, 1, gtp.FTEID(7, teid, homePGW.Addr())).
		Message()
}

// TestGTPSessionWithoutPendingRequest: the session belongs to the partner
// the home PGW answers, whether or not the Create Session request is still
// remembered (a full pending table forgets the oldest): forgetting it must
// not make the owner's later Modify Bearer and Delete Session look like
// hijacks, while another partner is still refused.
func TestGTPSessionWithoutPendingRequest(t *testing.T) {
	e := newEngine(t, "")
	var b gtp.Builder
	// No Create Session was judged: the answer alone.
	if v := judgeGTP(t, e, createSessionResponse(&b, 0x1111, 0x7001, 40), homePGW, ukSGW, t0); v.Action != rules.Allow {
		t.Fatalf("response: %s", v.Describe())
	}
	mbr := b.StartV2(34, true, 0x7001, 41).IE(gtp.IERATType, 0, []byte{6}).Message()
	if v := judgeGTP(t, e, mbr, ukSGW, homePGW, t0.Add(time.Second)); v.Action != rules.Allow {
		t.Fatalf("the owner's Modify Bearer: %s", v.Describe())
	}
	mbr = b.StartV2(34, true, 0x7001, 42).IE(gtp.IERATType, 0, []byte{6}).Message()
	if v := judgeGTP(t, e, mbr, auSGW, homePGW, t0.Add(2*time.Second)); v.Rule.ID != "GTP-C2-V2-TEID-UNKNOWN" {
		t.Fatalf("another partner's Modify Bearer: %s", v.Describe())
	}
}

// TestGTPSequencePerEndpoint: sequence numbers are per GTP-C endpoint
// (address and port), so the same number from another port of the same
// node, after the retransmission window, is a new request, not a replay;
// from the same port it is a replay.
func TestGTPSequencePerEndpoint(t *testing.T) {
	e := newEngine(t, "")
	var b gtp.Builder
	echoLike := func(seq uint32) []byte { // Modify Bearer on an owned session
		return b.StartV2(34, true, 0x7001, seq).IE(gtp.IERATType, 0, []byte{6}).Message()
	}
	judgeGTP(t, e, createSessionResponse(&b, 0x1111, 0x7001, 1), homePGW, ukSGW, t0)
	other := netip.AddrPortFrom(ukSGW.Addr(), 32123)
	if v := judgeGTP(t, e, echoLike(77), ukSGW, homePGW, t0.Add(time.Second)); v.Action != rules.Allow {
		t.Fatalf("first: %s", v.Describe())
	}
	later := t0.Add(45 * time.Second) // past the retransmission window, within the replay memory
	if v := judgeGTP(t, e, echoLike(77), other, homePGW, later); v.Action != rules.Allow {
		t.Fatalf("the same number from another port: %s", v.Describe())
	}
	if v := judgeGTP(t, e, echoLike(77), ukSGW, homePGW, later); v.Rule.ID != "GTP-C2-SEQUENCE-REPLAY" {
		t.Fatalf("the same number from the same port: %s", v.Describe())
	}
}

// TestGTPSessionDeleted: the owner's Delete Session, accepted by the home
// PGW, ends the session: a later Modify Bearer naming that TEID is
// refused, and the session table shrinks. A refused deletion keeps it.
func TestGTPSessionDeleted(t *testing.T) {
	e := newEngine(t, "")
	var b gtp.Builder
	judgeGTP(t, e, createSessionResponse(&b, 0x1111, 0x7001, 1), homePGW, ukSGW, t0)
	judgeGTP(t, e, createSessionResponse(&b, 0x2222, 0x7002, 2), homePGW, ukSGW, t0)
	if n := e.State().Sessions(); n != 2 {
		t.Fatalf("%d sessions", n)
	}
	del := func(teid, seq uint32) []byte { return b.StartV2(36, true, teid, seq).Message() }
	delResp := func(peer, seq uint32, cause byte) []byte {
		return b.StartV2(37, true, peer, seq).IE(gtp.IECause, 0, []byte{cause, 0}).Message()
	}
	// Refused by the PGW (cause 73, no resources): the session stays.
	if v := judgeGTP(t, e, del(0x7002, 10), ukSGW, homePGW, t0.Add(time.Second)); v.Action != rules.Allow {
		t.Fatalf("the owner's Delete Session: %s", v.Describe())
	}
	judgeGTP(t, e, delResp(0x2222, 10, 73), homePGW, ukSGW, t0.Add(time.Second))
	if n := e.State().Sessions(); n != 2 {
		t.Fatalf("a refused deletion removed the session (%d left)", n)
	}
	// Accepted: gone.
	judgeGTP(t, e, del(0x7001, 11), ukSGW, homePGW, t0.Add(2*time.Second))
	judgeGTP(t, e, delResp(0x1111, 11, 16), homePGW, ukSGW, t0.Add(2*time.Second))
	if n := e.State().Sessions(); n != 1 {
		t.Fatalf("%d sessions after the deletion, want 1", n)
	}
	mbr := b.StartV2(34, true, 0x7001, 12).IE(gtp.IERATType, 0, []byte{6}).Message()
	if v := judgeGTP(t, e, mbr, ukSGW, homePGW, t0.Add(3*time.Second)); v.Rule == nil || v.Rule.ID != "GTP-C2-V2-TEID-UNKNOWN" {
		t.Fatalf("Modify Bearer on the deleted session: %s", v.Describe())
	}
	// The other session is still the owner's.
	mbr = b.StartV2(34, true, 0x7002, 13).IE(gtp.IERATType, 0, []byte{6}).Message()
	if v := judgeGTP(t, e, mbr, ukSGW, homePGW, t0.Add(3*time.Second)); v.Action != rules.Allow {
		t.Fatalf("Modify Bearer on the remaining session: %s", v.Describe())
	}
}
