package proxy

import (
	"bytes"
	"testing"

	"breakwater/firewall/transport"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/tcap"
)

// M3UA over kernel SCTP: these run in the VM harness (make test-sctp) and
// skip on hosts without SCTP.

func TestSCTPM3UARelay(t *testing.T) {
	requireSCTP(t)
	h := newM3UAHarness(t, "sctp", func(c *M3UAConfig) { c.RejectWith = RejectReturnError })
	p := h.partner()
	if in, out := p.c.Streams(); in != 8 || out != 8 {
		t.Fatalf("partner association has %d/%d streams, want 8/8", in, out)
	}
	p.up()

	// An allowed updateLocation on stream 3 reaches home on stream 3 with
	// PPID 3, byte for byte; the HLR's answer comes back the same way.
	ul := partnerData(beginUL(), true)
	p.send(ul, 3)
	ans := p.recv()
	if ans.Stream != 3 || ans.PPID != m3ua.PPID {
		t.Fatalf("answer on stream %d PPID %d, want 3 and 3", ans.Stream, ans.PPID)
	}
	if a := decodeAnswer(t, ans); a.tcap.Type != tcap.End || a.comp.Type != tcap.ReturnResultLast {
		t.Fatalf("answer %+v", a.tcap)
	}
	var seen bool
	for _, m := range h.sg.received() {
		if m.ppid != m3ua.PPID {
			t.Errorf("home got a message with PPID %d", m.ppid)
		}
		k, _ := m3ua.ParseHeader(m.data)
		switch k.Kind() {
		case m3ua.KindASPUP, m3ua.KindASPAC:
			if m.stream != 0 {
				t.Errorf("%s on stream %d, want 0", k.Kind(), m.stream)
			}
		case m3ua.KindDATA:
			if m.stream != 3 || !bytes.Equal(m.data, ul) {
				t.Errorf("DATA on stream %d (changed: %v)", m.stream, !bytes.Equal(m.data, ul))
			}
			seen = true
		}
	}
	if !seen {
		t.Fatal("the updateLocation did not reach home")
	}

	// Each stream is kept.
	for s := uint16(1); s < 8; s++ {
		p.send(ul, s)
		if m := p.recv(); m.Stream != s {
			t.Fatalf("sent on stream %d, answer on %d", s, m.Stream)
		}
	}

	// A blocked ATI on stream 5 is answered on stream 5 with PPID 3.
	before := len(h.sg.received())
	p.send(partnerData(beginATI(), true), 5)
	m := p.recv()
	if m.Stream != 5 || m.PPID != m3ua.PPID {
		t.Fatalf("rejection on stream %d PPID %d, want 5 and 3", m.Stream, m.PPID)
	}
	if a := decodeAnswer(t, m); a.tcap.Type != tcap.End || a.comp.Type != tcap.ReturnError || a.comp.Error.Local != 21 || a.comp.InvokeID != 1 {
		t.Fatalf("rejection %+v %+v", a.tcap, a.comp)
	}
	p.beat(0)
	for _, m := range h.sg.received()[before:] {
		if k, _ := m3ua.ParseHeader(m.data); k.Kind() == m3ua.KindDATA {
			t.Fatal("the ATI reached home")
		}
	}
	if h.relay.Stats.Answers[m3uaAnswerReturnError].Load() != 1 {
		t.Fatalf("answers %d", h.relay.Stats.Answers[m3uaAnswerReturnError].Load())
	}

	// The upstream association fails: the partner's is closed.
	h.sg.closeConns()
	if _, err := p.c.ReadMessage(p.buf); err == nil {
		t.Fatal("partner association still open after the upstream failed")
	}
	waitFor(t, "the pair to end", func() bool { return h.relay.Stats.ActivePairs.Load() == 0 })
}

func TestSCTPM3UARelayNoAllocation(t *testing.T) {
	quietLogs(t)
	requireSCTP(t)
	h := newM3UAHarness(t, "sctp", nil)
	p := h.partner()
	p.up()
	h.sg.record.Store(false)
	ul, ati := partnerData(beginUL(), true), partnerData(beginATI(), true)
	roundTrip := func(m []byte) {
		if err := p.c.WriteMessage(transport.Message{Data: m, Stream: 2, PPID: m3ua.PPID}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.c.ReadMessage(p.buf); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		roundTrip(ul)
		roundTrip(ati)
	}
	if n := testing.AllocsPerRun(300, func() { roundTrip(ul) }); n != 0 {
		t.Errorf("relayed updateLocation over SCTP: %v allocations per round trip", n)
	}
	if n := testing.AllocsPerRun(300, func() { roundTrip(ati) }); n != 0 {
		t.Errorf("ATI answered over SCTP: %v allocations per round trip", n)
	}
}
