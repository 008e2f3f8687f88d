package proxy

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/transport"
	"breakwater/internal/bertest"
	"breakwater/internal/ss7test"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/tcap"
)

// The SS7 test network on loopback: the home STP (a test SG with an HLR
// behind it) on 127.0.0.1, the UK partner's SG associating from 127.0.0.2,
// an unknown one from 127.0.0.9.
const m3uaTestConfig = `
home:
  plmns: ["310260"]
  gt_prefixes: ["1206"]
  addresses: ["127.0.0.1/32"]
partners:
  - name: uk
    plmns: ["23415"]
    gt_prefixes: ["447785"]
    addresses: ["127.0.0.2/32", "127.0.0.3/32"]
velocity:
  max_subscribers: 4096
`

const (
	partnerPC = 0x1001 // the partner SG's point code
	homePC    = 0x0101 // the home STP's
	testRC    = 7      // routing context of the partner's AS at the STP
	testSLS   = 5
)

var (
	hlrGT    = sccp.AppendGTAddress(nil, 6, 0, sccp.NPISDN, sccp.NAIInternational, "12065550001")
	vlrGT    = sccp.AppendGTAddress(nil, 7, 0, sccp.NPISDN, sccp.NAIInternational, "447785000011")
	acnLocUp = []byte{0x04, 0x00, 0x00, 0x01, 0x00, 1, 3}  // networkLocUpContext-v3
	acnATI   = []byte{0x04, 0x00, 0x00, 0x01, 0x00, 29, 3} // anyTimeInfoEnquiryContext-v3
	otid     = []byte{0x11, 0x22, 0x33, 0x44}
)

// BER, TBCD and address encoders for the test messages.
var (
	tl   = bertest.TLV
	tbcd = bertest.TBCD
	isdn = bertest.ISDN
)

// MAP arguments (TS 29.002, implicit tags).
var (
	// UpdateLocationArg ::= SEQUENCE { imsi, msc-Number [1], vlr-Number }
	argUL = tl(0x30, tl(0x04, tbcd(homeIMSI)), tl(0x81, isdn("447785000010")), tl(0x04, isdn("447785000011")))
	// AnyTimeInterrogationArg ::= SEQUENCE { subscriberIdentity [0] { imsi
	// [0] }, requestedInfo [1] { locationInformation [0] NULL },
	// gsmSCF-Address [3] }
	argATI = tl(0x30, tl(0xa0, tl(0x80, tbcd(homeIMSI))), tl(0xa1, tl(0x80)), tl(0x83, isdn("447785000099")))
)

const (
	opUpdateLocation = 2
	opATI            = 71
)

// beginUL and beginATI are the partner's TC-BEGINs.
func beginUL() []byte {
	var b tcap.Builder
	return bytes.Clone(b.Start(tcap.Begin).OTID(otid).AARQ(acnLocUp, nil).Components().Invoke(1, opUpdateLocation, argUL).Message())
}

func beginATI() []byte {
	var b tcap.Builder
	return bytes.Clone(b.Start(tcap.Begin).OTID(otid).AARQ(acnATI, nil).Components().Invoke(1, opATI, argATI).Message())
}

// partnerData wraps TCAP in a UDT from the partner's VLR to the home HLR
// (class 0, return option as asked) in M3UA DATA.
func partnerData(tc []byte, returnOnError bool) []byte {
	return dataPC(tc, returnOnError, partnerPC, homePC, testRC)
}

// dataPC is partnerData with other point codes and routing context.
func dataPC(tc []byte, returnOnError bool, opc, dpc, rc uint32) []byte {
	var sb sccp.Builder
	class := uint8(0x00)
	if returnOnError {
		class = 0x80
	}
	u, err := sb.UDT(class, hlrGT, vlrGT, tc)
	if err != nil {
		panic(err)
	}
	var mb m3ua.Builder
	d := m3ua.Data{RoutingContext: m3ua.Some(rc), ProtocolData: m3ua.ProtocolData{
		OPC: opc, DPC: dpc, SI: m3ua.SISCCP, NI: m3ua.NIInternational, SLS: testSLS, UserData: u}}
	return bytes.Clone(mb.Data(&d))
}

// sgMsg is a message the test SG received.
type sgMsg struct {
	conn   int
	stream uint16
	ppid   uint32
	data   []byte
}

// testSG is the home STP/SG: it acknowledges ASP Up, ASP Active and BEAT,
// and the HLR behind it answers updateLocation with a TC-END carrying the
// HLR number. Answering allocates nothing (for the allocation test).
type testSG struct {
	ln     transport.Listener
	record atomic.Bool
	count  atomic.Int64
	mu     sync.Mutex
	conns  []transport.Conn
	got    []sgMsg
	wg     sync.WaitGroup
}

func newTestSG(t testing.TB, url string) *testSG {
	t.Helper()
	a, err := transport.ParseAddress(url)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := transport.Listen(a, transport.Options{Framer: M3UAFramer(), Streams: 8})
	if err != nil {
		t.Fatal(err)
	}
	s := &testSG{ln: ln}
	s.record.Store(true)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			id := len(s.conns)
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c, id) }()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *testSG) addr() transport.Address { return s.ln.Addr() }

// closeConns ends every association (the STP going away).
func (s *testSG) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

func (s *testSG) close() {
	s.ln.Close()
	s.closeConns()
	s.wg.Wait()
}

func (s *testSG) received() []sgMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sgMsg(nil), s.got...)
}

// send writes a message to the i-th association (home → partner).
func (s *testSG) send(i int, m transport.Message) error {
	s.mu.Lock()
	c := s.conns[i]
	s.mu.Unlock()
	return c.WriteMessage(m)
}

func (s *testSG) serve(c transport.Conn, id int) {
	buf := make([]byte, 0, 1<<16)
	var sg ss7test.HomeSG
	for {
		m, err := c.ReadMessage(buf)
		if err != nil {
			return
		}
		s.count.Add(1)
		if s.record.Load() {
			s.mu.Lock()
			s.got = append(s.got, sgMsg{conn: id, stream: m.Stream, ppid: m.PPID, data: bytes.Clone(m.Data)})
			s.mu.Unlock()
		}
		out := sg.Answer(m.Data)
		if out == nil {
			continue
		}
		if c.WriteMessage(transport.Message{Data: out, Stream: m.Stream, PPID: m3ua.PPID}) != nil {
			return
		}
	}
}

type m3uaHarness struct {
	t     testing.TB
	sg    *testSG
	relay *M3UARelay
	eng   *engine.Engine
	cfg   M3UAConfig
	log   *slog.Logger // the relay's log; testLogger when nil
}

// newM3UAHarness starts a home SG and a relay in front of it, both on
// scheme ("tcp" or "sctp").
func newM3UAHarness(t testing.TB, scheme string, tweak func(*M3UAConfig)) *m3uaHarness {
	t.Helper()
	sg := newTestSG(t, scheme+"://127.0.0.1:0")
	h := &m3uaHarness{t: t, sg: sg}
	h.start(sg.addr(), scheme, tweak)
	return h
}

func (h *m3uaHarness) start(upstream transport.Address, scheme string, tweak func(*M3UAConfig)) {
	t := h.t
	h.eng = newTestEngine(t, m3uaTestConfig)
	listen, _ := transport.ParseAddress(scheme + "://127.0.0.1:0")
	h.cfg = M3UAConfig{
		Name: "test", Listen: listen, Upstream: upstream, Streams: 8,
		ConnectTimeout: time.Second, WriteTimeout: 2 * time.Second, MaxMessage: 4096,
		UpstreamSource: []netip.Addr{netip.MustParseAddr("127.0.0.1")},
	}
	if tweak != nil {
		tweak(&h.cfg)
	}
	log := h.log
	if log == nil {
		log = testLogger(t)
	}
	h.relay = NewM3UARelay(h.cfg, h.eng, log)
	if err := h.relay.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.relay.Shutdown(ctx)
	})
}

// asp is the partner's side of an association through the relay.
type asp struct {
	t   testing.TB
	c   transport.Conn
	buf []byte
}

func (h *m3uaHarness) dial(from string) (*asp, error) {
	c, err := transport.Dial(context.Background(), h.relay.Addr(), transport.Options{
		Framer: M3UAFramer(), Streams: 8, Local: []netip.Addr{netip.MustParseAddr(from)}, ConnectTimeout: 3 * time.Second})
	if err != nil {
		return nil, err
	}
	h.t.Cleanup(func() { c.Close() })
	return &asp{t: h.t, c: c, buf: make([]byte, 0, 1<<16)}, nil
}

func (h *m3uaHarness) partner() *asp {
	h.t.Helper()
	a, err := h.dial("127.0.0.2")
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (a *asp) send(data []byte, stream uint16) {
	a.t.Helper()
	if err := a.c.WriteMessage(transport.Message{Data: data, Stream: stream, PPID: m3ua.PPID}); err != nil {
		a.t.Fatal(err)
	}
}

// recv returns the next message (a copy), failing after 5 s.
func (a *asp) recv() transport.Message {
	a.t.Helper()
	a.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer a.c.SetReadDeadline(time.Time{})
	m, err := a.c.ReadMessage(a.buf)
	if err != nil {
		a.t.Fatalf("partner read: %v", err)
	}
	m.Data = bytes.Clone(m.Data)
	return m
}

func (a *asp) expect(kind m3ua.Kind) transport.Message {
	a.t.Helper()
	m := a.recv()
	if h, err := m3ua.ParseHeader(m.Data); err != nil || h.Kind() != kind {
		a.t.Fatalf("partner got %s (%v), want %s", h.Kind(), err, kind)
	}
	return m
}

// up brings the partner's ASP up and active through the relay.
func (a *asp) up() {
	a.t.Helper()
	var b m3ua.Builder
	a.send(bytes.Clone(b.Start(m3ua.KindASPUP).Message()), 0)
	a.expect(m3ua.KindASPUPAck)
	a.send(bytes.Clone(b.Start(m3ua.KindASPAC).Uint32(m3ua.TagTrafficModeType, 2).List(m3ua.TagRoutingContext, []uint32{testRC}).Message()), 0)
	ack := a.expect(m3ua.KindASPACAck)
	msg, _ := m3ua.Parse(ack.Data)
	if p, ok := msg.Find(m3ua.TagRoutingContext); !ok || len(p.Value) != 4 || p.Value[3] != testRC {
		a.t.Fatalf("ASP Active Ack without the routing context: %x", ack.Data)
	}
}

// beat sends a BEAT and waits for its Ack: everything the relay sent the
// partner before it has arrived by then.
func (a *asp) beat(stream uint16) {
	a.t.Helper()
	var b m3ua.Builder
	beat := bytes.Clone(b.Start(m3ua.KindBEAT).Bytes(m3ua.TagHeartbeatData, []byte("ping")).Message())
	a.send(beat, stream)
	ack := a.expect(m3ua.KindBEATAck)
	if !bytes.Equal(ack.Data[8:], beat[8:]) {
		a.t.Fatalf("BEAT Ack %x does not echo %x", ack.Data, beat)
	}
}

// decodedAnswer is an answer Breakwater sent the partner, decoded.
type decodedAnswer struct {
	data m3ua.Data
	sccp sccp.Message
	tcap tcap.Message
	comp tcap.Component
}

func decodeAnswer(t testing.TB, m transport.Message) *decodedAnswer {
	t.Helper()
	a := &decodedAnswer{}
	if err := m3ua.ParseData(m.Data, &a.data); err != nil {
		t.Fatalf("answer: %v (%x)", err, m.Data)
	}
	if err := sccp.Parse(a.data.UserData, &a.sccp); err != nil {
		t.Fatalf("answer SCCP: %v", err)
	}
	d := &a.data
	if d.OPC != homePC || d.DPC != partnerPC || d.SI != m3ua.SISCCP || d.NI != m3ua.NIInternational || d.SLS != testSLS ||
		!d.RoutingContext.Present || d.RoutingContext.Value != testRC {
		t.Errorf("answer M3UA DATA %+v: want point codes swapped, same NI, SLS, routing context", d.ProtocolData)
	}
	if a.sccp.Type.Service() {
		return a
	}
	if !bytes.Equal(a.sccp.Called.Raw, vlrGT) || !bytes.Equal(a.sccp.Calling.Raw, hlrGT) {
		t.Errorf("answer SCCP addresses %x → %x, want swapped", a.sccp.Calling.Raw, a.sccp.Called.Raw)
	}
	if err := tcap.Parse(a.sccp.Data, &a.tcap); err != nil {
		t.Fatalf("answer TCAP: %v (%x)", err, a.sccp.Data)
	}
	if !bytes.Equal(a.tcap.DTIDBytes, otid) {
		t.Errorf("answer DTID %x, want the partner's OTID %x", a.tcap.DTIDBytes, otid)
	}
	it := a.tcap.Components()
	it.Read(&a.comp)
	return a
}

func TestM3UARelayAllowedAndManagement(t *testing.T) {
	h := newM3UAHarness(t, "tcp", nil)
	p := h.partner()
	p.up()
	p.beat(0)

	// An allowed updateLocation reaches home byte for byte, and the HLR's
	// answer comes back unchanged.
	ul := partnerData(beginUL(), true)
	p.send(ul, 1)
	ans := p.recv()
	got := h.sg.received()
	var data []sgMsg
	for _, m := range got {
		if k, _ := m3ua.ParseHeader(m.data); k.Kind() == m3ua.KindDATA {
			data = append(data, m)
		}
	}
	if len(data) != 1 || !bytes.Equal(data[0].data, ul) {
		t.Fatalf("home received %d DATA messages; want the updateLocation unchanged", len(data))
	}
	a := decodeAnswer(t, ans)
	if a.tcap.Type != tcap.End || a.comp.Type != tcap.ReturnResultLast || a.comp.Op.Local != opUpdateLocation || a.tcap.Dialogue.Kind != tcap.AARE {
		t.Fatalf("answer %+v %+v", a.tcap, a.comp)
	}

	// SSNM from the partner and MGMT from home pass through unchanged.
	var b m3ua.Builder
	duna := bytes.Clone(b.DUNA(m3ua.Opt32{}, []uint32{testRC}, []uint32{partnerPC + 1}, nil))
	p.send(duna, 0)
	ntfy := bytes.Clone(b.Notify(1, 3, m3ua.Opt32{}, []uint32{testRC}, nil))
	waitFor(t, "the DUNA to reach home", func() bool { return len(h.sg.received()) == len(got)+1 })
	if last := h.sg.received()[len(got)]; !bytes.Equal(last.data, duna) || last.stream != 0 {
		t.Fatalf("home got %x on stream %d, want the DUNA", last.data, last.stream)
	}
	if err := h.sg.send(0, transport.Message{Data: ntfy, PPID: m3ua.PPID}); err != nil {
		t.Fatal(err)
	}
	if m := p.expect(m3ua.KindNTFY); !bytes.Equal(m.Data, ntfy) {
		t.Fatalf("NTFY %x, want %x", m.Data, ntfy)
	}

	st := &h.relay.Stats
	mg := func(dir int, k m3ua.Kind) uint64 {
		return st.Management[dir][mgmtKindIndex(k.Class(), k.Type())].Load()
	}
	if mg(fromPartner, m3ua.KindASPUP) != 1 || mg(fromHome, m3ua.KindASPUPAck) != 1 || mg(fromPartner, m3ua.KindASPAC) != 1 ||
		mg(fromHome, m3ua.KindASPACAck) != 1 || mg(fromPartner, m3ua.KindBEAT) != 1 || mg(fromHome, m3ua.KindBEATAck) != 1 ||
		mg(fromPartner, m3ua.KindDUNA) != 1 || mg(fromHome, m3ua.KindNTFY) != 1 {
		t.Errorf("management counters wrong")
	}
	if st.Relayed[fromPartner].Load() != 1 || st.Relayed[fromHome].Load() != 1 || st.Blocked[fromPartner].Load() != 0 {
		t.Errorf("relayed %d/%d blocked %d", st.Relayed[fromPartner].Load(), st.Relayed[fromHome].Load(), st.Blocked[fromPartner].Load())
	}
	if st.Accepted.Load() != 1 || st.ActivePairs.Load() != 1 || st.UpstreamUp.Load() != 1 {
		t.Errorf("accepted %d pairs %d up %d", st.Accepted.Load(), st.ActivePairs.Load(), st.UpstreamUp.Load())
	}
	if M3UAManagementKinds[mgmtKindIndex(m3ua.ClassASPSM, 4)] != "ASPUP_ACK" || M3UAManagementKinds[mgmtKindIndex(9, 7)] != "other" {
		t.Errorf("management kind names %v", M3UAManagementKinds)
	}
}

// TestM3UARejectModes: anyTimeInterrogation from a partner (FS.11
// category 1) never reaches home and is answered as reject_with says.
func TestM3UARejectModes(t *testing.T) {
	for _, c := range []struct {
		mode       RejectMode
		returnOpt  bool
		answerKind int // -1: no answer
		check      func(t *testing.T, a *decodedAnswer, sent []byte)
	}{
		{RejectTCAPAbort, true, m3uaAnswerUAbort, func(t *testing.T, a *decodedAnswer, _ []byte) {
			if a.tcap.Type != tcap.Abort || a.tcap.Dialogue.Kind != tcap.ABRT || a.tcap.Dialogue.AbortSource != tcap.AbortSourceUser {
				t.Errorf("abort %+v", a.tcap)
			}
		}},
		{RejectReturnError, true, m3uaAnswerReturnError, func(t *testing.T, a *decodedAnswer, _ []byte) {
			if a.tcap.Type != tcap.End || a.comp.Type != tcap.ReturnError || a.comp.InvokeID != 1 || a.comp.Error.Local != 21 {
				t.Errorf("end %+v component %+v", a.tcap, a.comp)
			}
			if d := a.tcap.Dialogue; d.Kind != tcap.AARE || !bytes.Equal(d.ACN, acnATI) || d.Result != 0 {
				t.Errorf("dialogue %+v, want an AARE accepting the ATI context", d)
			}
		}},
		{RejectUDTS, true, m3uaAnswerUDTS, func(t *testing.T, a *decodedAnswer, sent []byte) {
			var orig m3ua.Data
			var s sccp.Message
			m3ua.ParseData(sent, &orig)
			sccp.Parse(orig.UserData, &s)
			if a.sccp.Type != sccp.TypeUDTS || a.sccp.ReturnCause != sccp.CauseNoTranslationNature ||
				!bytes.Equal(a.sccp.Called.Raw, vlrGT) || !bytes.Equal(a.sccp.Calling.Raw, hlrGT) || !bytes.Equal(a.sccp.Data, s.Data) {
				t.Errorf("UDTS %+v", a.sccp)
			}
		}},
		{RejectUDTS, false, -1, nil}, // no return option: a real SCCP would discard it silently
		{RejectDrop, true, -1, nil},
	} {
		name := []string{"tcap-abort", "return-error", "udts", "drop"}[c.mode]
		if !c.returnOpt {
			name += "-no-return-option"
		}
		t.Run(name, func(t *testing.T) {
			h := newM3UAHarness(t, "tcp", func(cfg *M3UAConfig) { cfg.RejectWith = c.mode })
			p := h.partner()
			p.up()
			before := len(h.sg.received())
			ati := partnerData(beginATI(), c.returnOpt)
			p.send(ati, 2)
			if c.answerKind >= 0 {
				a := decodeAnswer(t, p.recv())
				c.check(t, a, ati)
			}
			p.beat(0) // no answer came before the BEAT Ack
			for _, m := range h.sg.received()[before:] {
				if k, _ := m3ua.ParseHeader(m.data); k.Kind() == m3ua.KindDATA {
					t.Fatal("the ATI reached home")
				}
			}
			st := &h.relay.Stats
			if st.Blocked[fromPartner].Load() != 1 || st.Relayed[fromPartner].Load() != 0 {
				t.Errorf("blocked %d relayed %d", st.Blocked[fromPartner].Load(), st.Relayed[fromPartner].Load())
			}
			for k := range st.Answers {
				want := uint64(0)
				if k == c.answerKind {
					want = 1
				}
				if st.Answers[k].Load() != want {
					t.Errorf("answers %s = %d, want %d", M3UAAnswerKinds[k], st.Answers[k].Load(), want)
				}
			}
			if want := uint64(map[bool]int{true: 1, false: 0}[c.mode == RejectUDTS && !c.returnOpt]); st.Unanswered.Load() != want {
				t.Errorf("unanswered %d, want %d", st.Unanswered.Load(), want)
			}
		})
	}
}

// TestM3UAMultiInvokeBlocked: a TC-BEGIN whose first Invoke is a
// legitimate updateLocation and whose second is an ATI is blocked, and
// the ReturnError names the second Invoke. Without a dialogue portion
// (MAP v1 style) the tcap-abort answer is a P-Abort.
func TestM3UAMultiInvokeBlocked(t *testing.T) {
	var b tcap.Builder
	two := bytes.Clone(b.Start(tcap.Begin).OTID(otid).Components().
		Invoke(1, opUpdateLocation, argUL).Invoke(2, opATI, argATI).Message())
	for _, mode := range []RejectMode{RejectReturnError, RejectTCAPAbort} {
		h := newM3UAHarness(t, "tcp", func(cfg *M3UAConfig) { cfg.RejectWith = mode; cfg.RejectErrorCode = 34 })
		p := h.partner()
		p.up()
		p.send(partnerData(two, true), 3)
		a := decodeAnswer(t, p.recv())
		switch mode {
		case RejectReturnError:
			if a.tcap.Type != tcap.End || a.comp.Type != tcap.ReturnError || a.comp.InvokeID != 2 || a.comp.Error.Local != 34 ||
				a.tcap.Dialogue.Kind != tcap.DialogueNone {
				t.Errorf("answer %+v %+v: want a ReturnError 34 for invoke 2, no dialogue portion", a.tcap, a.comp)
			}
		case RejectTCAPAbort:
			if a.tcap.Type != tcap.Abort || !a.tcap.HasPAbort || a.tcap.PAbortCause != tcap.PAbortResourceLimitation {
				t.Errorf("answer %+v: want a P-Abort resourceLimitation", a.tcap)
			}
		}
		p.beat(0)
		if n := h.relay.Stats.Relayed[fromPartner].Load(); n != 0 {
			t.Fatalf("%d DATA relayed", n)
		}
	}
}

// TestM3UADialogueContextAcrossDirections: the two directions of a pair
// share the TCAP dialogues they see. The home VLR opens a networkLocUp
// dialogue toward the partner's HLR; the partner's Continues carry no
// dialogue portion after the AARE, yet one smuggling registerSS (not a
// networkLocUp operation) into the dialogue is blocked, while
// insertSubscriberData, which belongs to it, is relayed.
func TestM3UADialogueContextAcrossDirections(t *testing.T) {
	h := newM3UAHarness(t, "tcp", func(cfg *M3UAConfig) { cfg.RejectWith = RejectDrop })
	p := h.partner()
	p.up()
	homeTID, partnerTID := []byte{0xa0, 0, 0, 1}, []byte{0xb0, 0, 0, 2}
	// From home (the SG's association): the home node is vlrGT's peer
	// hlrGT here; only the two ends' addresses matter to the dialogue.
	fromHome := func(tc []byte) []byte {
		var sb sccp.Builder
		u, err := sb.UDT(0x80, vlrGT, hlrGT, tc)
		if err != nil {
			t.Fatal(err)
		}
		var mb m3ua.Builder
		return bytes.Clone(mb.Data(&m3ua.Data{RoutingContext: m3ua.Some(testRC), ProtocolData: m3ua.ProtocolData{
			OPC: homePC, DPC: partnerPC, SI: m3ua.SISCCP, NI: m3ua.NIInternational, SLS: testSLS, UserData: u}}))
	}
	var b tcap.Builder
	ulPartnerSub := tl(0x30, tl(0x04, tbcd("234150000000077")), tl(0x81, isdn("12065550003")), tl(0x04, isdn("12065550002")))
	begin := bytes.Clone(b.Start(tcap.Begin).OTID(homeTID).AARQ(acnLocUp, nil).Components().Invoke(1, opUpdateLocation, ulPartnerSub).Message())
	if err := h.sg.send(0, transport.Message{Data: fromHome(begin), Stream: 1, PPID: m3ua.PPID}); err != nil {
		t.Fatal(err)
	}
	var d m3ua.Data
	var sm sccp.Message
	var tm tcap.Message
	if m := p.recv(); m3ua.ParseData(m.Data, &d) != nil || sccp.Parse(d.UserData, &sm) != nil ||
		tcap.Parse(sm.Data, &tm) != nil || tm.Type != tcap.Begin || !bytes.Equal(tm.OTIDBytes, homeTID) {
		t.Fatalf("partner got %x, want the home Begin", m.Data)
	}

	const opISD, opRegisterSS = 7, 10
	isd := tl(0x30) // InsertSubscriberDataArg: every element optional
	regSS := tl(0x30, tl(0x04, []byte{0x21}), tl(0x84, isdn("881600000066")))
	aare := bytes.Clone(b.Start(tcap.Continue).OTID(partnerTID).DTID(homeTID).AARE(acnLocUp, nil, 0, 0).
		Components().Invoke(1, opISD, isd).Message())
	inContext := bytes.Clone(b.Start(tcap.Continue).OTID(partnerTID).DTID(homeTID).Components().Invoke(2, opISD, isd).Message())
	smuggled := bytes.Clone(b.Start(tcap.Continue).OTID(partnerTID).DTID(homeTID).Components().Invoke(3, opRegisterSS, regSS).Message())
	st := &h.relay.Stats
	for i, c := range []struct {
		name    string
		tc      []byte
		blocked bool
	}{{"AARE with insertSubscriberData", aare, false}, {"insertSubscriberData", inContext, false}, {"registerSS", smuggled, true}} {
		p.send(partnerData(c.tc, false), 1)
		waitFor(t, c.name+" judged", func() bool { return st.Relayed[fromPartner].Load()+st.Blocked[fromPartner].Load() == uint64(i+1) })
		if got := st.Blocked[fromPartner].Load() == 1; got != c.blocked {
			t.Fatalf("%s: blocked %v, want %v", c.name, got, c.blocked)
		}
	}
}

func TestM3UAUnknownSourceRefused(t *testing.T) {
	h := newM3UAHarness(t, "tcp", nil)
	if a, err := h.dial("127.0.0.9"); err == nil {
		a.c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := a.c.ReadMessage(a.buf); err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("association from an unknown source kept open: %v", err)
		}
	}
	waitFor(t, "the refusal to be counted", func() bool { return h.relay.Stats.Refused.Load() == 1 })
	h.sg.mu.Lock()
	n := len(h.sg.conns)
	h.sg.mu.Unlock()
	if n != 0 {
		t.Fatalf("home got %d associations for a refused partner", n)
	}
}

// TestM3UAUpstreamLossClosesPartner: when the home STP's association
// fails, the partner's is closed so that its ASP fails over.
func TestM3UAUpstreamLossClosesPartner(t *testing.T) {
	h := newM3UAHarness(t, "tcp", nil)
	p := h.partner()
	p.up()
	h.sg.closeConns()
	p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := p.c.ReadMessage(p.buf); err == nil {
		t.Fatal("partner association still open after the upstream failed")
	} else if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Fatalf("partner association not closed: %v", err)
	}
	waitFor(t, "the pair to end", func() bool { return h.relay.Stats.ActivePairs.Load() == 0 })
	if st := &h.relay.Stats; st.UpstreamLost.Load() != 1 || st.UpstreamUp.Load() != 0 {
		t.Fatalf("upstream lost %d up %d", st.UpstreamLost.Load(), st.UpstreamUp.Load())
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func TestM3UAUpstreamUnreachable(t *testing.T) {
	dead, _ := transport.ParseAddress("tcp://127.0.0.1:1")
	h := &m3uaHarness{t: t}
	h.start(dead, "tcp", func(c *M3UAConfig) { c.ConnectTimeout = 300 * time.Millisecond })
	if p, err := h.dial("127.0.0.2"); err == nil { // or the reset came before the dial returned
		p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := p.c.ReadMessage(p.buf); err == nil || isTimeout(err) {
			t.Fatalf("partner association kept without a home side: %v", err)
		}
	}
	waitFor(t, "the failure to be counted", func() bool { return h.relay.Stats.UpstreamFailures.Load() == 1 })
	if h.relay.Stats.UpstreamFailures.Load() != 1 {
		t.Fatalf("upstream failures %d", h.relay.Stats.UpstreamFailures.Load())
	}
}

// segments splits tc into XUDT segments (M3UA DATA each) of at most size
// octets of data.
func segments(tc []byte, size int, ref uint32, returnOpt bool) [][]byte {
	var out [][]byte
	n := (len(tc) + size - 1) / size
	var sb sccp.Builder
	var mb m3ua.Builder
	class := uint8(0x01)
	if returnOpt {
		class |= 0x80
	}
	for i := 0; i < n; i++ {
		part := tc[i*size : min(len(tc), (i+1)*size)]
		seg := &sccp.Segmentation{First: i == 0, Class: 1, Remaining: uint8(n - 1 - i), LocalRef: ref}
		x, err := sb.XUDT(class, 15, hlrGT, vlrGT, part, seg)
		if err != nil {
			panic(err)
		}
		d := m3ua.Data{RoutingContext: m3ua.Some(testRC), ProtocolData: m3ua.ProtocolData{
			OPC: partnerPC, DPC: homePC, SI: m3ua.SISCCP, NI: m3ua.NIInternational, SLS: testSLS, UserData: x}}
		out = append(out, bytes.Clone(mb.Data(&d)))
	}
	return out
}

// TestM3UASegmented: an XUDT-segmented message is judged once complete;
// its segments reach home only when it is allowed, all of them, unchanged
// and in order; a blocked one's segments never do.
func TestM3UASegmented(t *testing.T) {
	h := newM3UAHarness(t, "tcp", func(c *M3UAConfig) { c.RejectWith = RejectUDTS })
	p := h.partner()
	p.up()
	before := len(h.sg.received())
	segs := segments(beginUL(), 20, 0x010203, true)
	if len(segs) < 3 {
		t.Fatalf("%d segments", len(segs))
	}
	for i, s := range segs {
		p.send(s, 4)
		if i < len(segs)-1 {
			p.beat(0) // nothing reached home yet
			if h.relay.Stats.HeldMessages.Load() != 1 {
				t.Fatalf("held messages %d after segment %d", h.relay.Stats.HeldMessages.Load(), i)
			}
		}
	}
	// Relayed counts what the relay wrote; the SG records it a moment later.
	var data [][]byte
	waitFor(t, "the segments to reach home", func() bool {
		data = data[:0]
		for _, m := range h.sg.received()[before:] {
			if k, _ := m3ua.ParseHeader(m.data); k.Kind() == m3ua.KindDATA {
				data = append(data, m.data)
			}
		}
		return len(data) >= len(segs) && h.relay.Stats.Relayed[fromPartner].Load() == uint64(len(segs))
	})
	for _, m := range h.sg.received()[before:] {
		if k, _ := m3ua.ParseHeader(m.data); k.Kind() == m3ua.KindDATA && m.stream != 4 && h.cfg.Listen.Kind == transport.SCTP {
			t.Errorf("segment on stream %d", m.stream)
		}
	}
	if len(data) != len(segs) {
		t.Fatalf("home got %d segments, want %d", len(data), len(segs))
	}
	for i := range segs {
		if !bytes.Equal(data[i], segs[i]) {
			t.Fatalf("segment %d changed", i)
		}
	}
	if h.relay.Stats.HeldMessages.Load() != 0 {
		t.Fatalf("held messages %d", h.relay.Stats.HeldMessages.Load())
	}

	// A segmented ATI: nothing reaches home; the XUDTS returns the first
	// segment.
	before = len(h.sg.received())
	segs = segments(beginATI(), 20, 0x040506, true)
	for _, s := range segs {
		p.send(s, 5)
	}
	a := decodeAnswer(t, p.recv())
	var first m3ua.Data
	var fs sccp.Message
	m3ua.ParseData(segs[0], &first)
	sccp.Parse(first.UserData, &fs)
	if a.sccp.Type != sccp.TypeXUDTS || !a.sccp.HasSegmentation || !a.sccp.Segmentation.First || a.sccp.Segmentation.LocalRef != 0x040506 ||
		!bytes.Equal(a.sccp.Data, fs.Data) || !bytes.Equal(a.sccp.Called.Raw, vlrGT) {
		t.Fatalf("XUDTS %+v", a.sccp)
	}
	p.beat(0)
	for _, m := range h.sg.received()[before:] {
		if k, _ := m3ua.ParseHeader(m.data); k.Kind() == m3ua.KindDATA {
			t.Fatal("a segment of the blocked ATI reached home")
		}
	}
	if h.relay.Stats.HeldMessages.Load() != 0 || h.relay.Stats.Blocked[fromPartner].Load() != 1 {
		t.Fatalf("held %d blocked %d", h.relay.Stats.HeldMessages.Load(), h.relay.Stats.Blocked[fromPartner].Load())
	}
}

// TestM3UARelayNoAllocationPerMessage measures every allocation in the
// process while DATA crosses the relay: an updateLocation relayed and
// answered by the home HLR, and an ATI answered by Breakwater. The test SG
// and partner allocate nothing per message either.
func TestM3UARelayNoAllocationPerMessage(t *testing.T) {
	quietLogs(t)
	for _, mode := range []RejectMode{RejectTCAPAbort, RejectReturnError, RejectUDTS} {
		h := newM3UAHarness(t, "tcp", func(c *M3UAConfig) { c.RejectWith = mode })
		p := h.partner()
		p.up()
		h.sg.record.Store(false)
		ul, ati := partnerData(beginUL(), true), partnerData(beginATI(), true)
		roundTrip := func(m []byte) {
			if err := p.c.WriteMessage(transport.Message{Data: m, Stream: 1, PPID: m3ua.PPID}); err != nil {
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
			t.Errorf("relayed updateLocation and its result: %v allocations per round trip", n)
		}
		if n := testing.AllocsPerRun(300, func() { roundTrip(ati) }); n != 0 {
			t.Errorf("ATI answered (%d): %v allocations per round trip", mode, n)
		}
	}
}

// sinkConn is a transport.Conn that takes every message and reads
// nothing: for measuring the relay's own per-message work.
type sinkConn struct {
	remote netip.AddrPort
	out    uint16
	n      atomic.Int64
	last   transport.Message
}

func (s *sinkConn) ReadMessage([]byte) (transport.Message, error) {
	return transport.Message{}, errors.New("sink")
}
func (s *sinkConn) WriteMessage(m transport.Message) error {
	s.n.Add(1)
	s.last = m
	return nil
}
func (s *sinkConn) SetReadDeadline(time.Time) error  { return nil }
func (s *sinkConn) SetWriteDeadline(time.Time) error { return nil }
func (s *sinkConn) Close() error                     { return nil }
func (s *sinkConn) Abort() error                     { return nil }
func (s *sinkConn) Kind() transport.Kind             { return transport.SCTP }
func (s *sinkConn) LocalAddr() netip.AddrPort        { return s.remote }
func (s *sinkConn) RemoteAddr() netip.AddrPort       { return s.remote }
func (s *sinkConn) RemoteAddrs() []netip.AddrPort    { return []netip.AddrPort{s.remote} }
func (s *sinkConn) Streams() (in, out uint16)        { return s.out, s.out }

func TestWriteOnStream(t *testing.T) {
	for _, c := range []struct{ out, in, want uint16 }{
		{8, 0, 0}, {8, 7, 7}, {8, 8, 1}, {8, 9, 2}, {4, 3, 3}, {4, 4, 1}, {4, 10, 1}, {2, 5, 1}, {1, 5, 0}, {0, 9, 9},
	} {
		s := &sinkConn{out: c.out}
		writeOnStream(&endpoint{conn: s}, transport.Message{Data: []byte{1}, Stream: c.in})
		if s.last.Stream != c.want {
			t.Errorf("%d outbound streams: stream %d sent on %d, want %d", c.out, c.in, s.last.Stream, c.want)
		}
	}
}

// TestM3UAFramingError: bytes that are not M3UA over TCP close that pair.
func TestM3UAFramingError(t *testing.T) {
	h := newM3UAHarness(t, "tcp", nil)
	p := h.partner()
	p.send([]byte("GET / HTTP/1.1\r\n\r\n"), 0)
	p.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := p.c.ReadMessage(p.buf); err == nil || isTimeout(err) {
		t.Fatalf("association kept after garbage: %v", err)
	}
	waitFor(t, "the framing error to be counted", func() bool { return h.relay.Stats.FramingErrors.Load() == 1 })
}

// BenchmarkM3UAHandle measures the relay's work per DATA message without
// sockets: decode, judge (every Invoke), and relay or answer.
func BenchmarkM3UAHandle(b *testing.B) {
	for _, c := range []struct {
		name string
		mode RejectMode
		msg  []byte
	}{
		{"updateLocation-allowed", RejectTCAPAbort, partnerData(beginUL(), true)},
		{"ATI-tcap-abort", RejectTCAPAbort, partnerData(beginATI(), true)},
		{"ATI-return-error", RejectReturnError, partnerData(beginATI(), true)},
		{"ATI-udts", RejectUDTS, partnerData(beginATI(), true)},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := &m3uaHarness{t: b}
			dead, _ := transport.ParseAddress("tcp://127.0.0.1:1")
			h.start(dead, "tcp", func(cfg *M3UAConfig) { cfg.RejectWith = c.mode })
			peer := &sinkConn{remote: netip.MustParseAddrPort("127.0.0.2:2905"), out: 8}
			home := &sinkConn{remote: netip.MustParseAddrPort("127.0.0.1:2905"), out: 8}
			p := &m3uaPair{r: h.relay, peer: &endpoint{conn: peer}}
			up := &endpoint{conn: home}
			rd := p.newReader(fromPartner)
			m := transport.Message{Data: c.msg, Stream: 1, PPID: m3ua.PPID}
			h.relay.block.perSecond = 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := p.handle(rd, p.peer, up, m); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if peer.n.Load()+home.n.Load() != int64(b.N) {
				b.Fatalf("%d messages out for %d in", peer.n.Load()+home.n.Load(), b.N)
			}
		})
	}
}

// BenchmarkM3UAHandleSegmented: a 3-segment XUDT updateLocation held,
// judged once complete and relayed (per message, all segments).
func BenchmarkM3UAHandleSegmented(b *testing.B) {
	h := &m3uaHarness{t: b}
	dead, _ := transport.ParseAddress("tcp://127.0.0.1:1")
	h.start(dead, "tcp", nil)
	peer := &sinkConn{remote: netip.MustParseAddrPort("127.0.0.2:2905"), out: 8}
	home := &sinkConn{remote: netip.MustParseAddrPort("127.0.0.1:2905"), out: 8}
	p := &m3uaPair{r: h.relay, peer: &endpoint{conn: peer}}
	up := &endpoint{conn: home}
	rd := p.newReader(fromPartner)
	ul := beginUL()
	segs := segments(ul, (len(ul)+2)/3, 1, true)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, s := range segs {
			if err := p.handle(rd, p.peer, up, transport.Message{Data: s, Stream: 1, PPID: m3ua.PPID}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if home.n.Load() != int64(b.N*len(segs)) {
		b.Fatalf("%d segments relayed for %d messages of %d", home.n.Load(), b.N, len(segs))
	}
}

// BenchmarkM3UARoundTrip: a partner's updateLocation through the relay to
// the home HLR and back, over TCP loopback.
func BenchmarkM3UARoundTrip(b *testing.B) {
	h := newM3UAHarness(b, "tcp", nil)
	p := h.partner()
	p.up()
	h.sg.record.Store(false)
	ul := partnerData(beginUL(), true)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := p.c.WriteMessage(transport.Message{Data: ul, Stream: 1, PPID: m3ua.PPID}); err != nil {
			b.Fatal(err)
		}
		if _, err := p.c.ReadMessage(p.buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHeldStoreBounds: the held segments stay within their bounds, and the
// gauge follows them.
func TestHeldStoreBounds(t *testing.T) {
	var st M3UAStats
	var s heldStore
	s.init(&st, 10*time.Second)
	key := func(ref uint32) heldKey {
		return heldKey{opc: 1, ref: ref, n: 1, calling: [sccp.MaxAddressLen]byte{0x42}}
	}
	seg := transport.Message{Data: make([]byte, 100), Stream: 3, PPID: 3}
	now := int64(1e12)
	for ref := uint32(0); ref < maxHeldMessages+5; ref++ {
		s.add(now+int64(ref), key(ref), true, seg)
	}
	if s.n != maxHeldMessages || st.HeldMessages.Load() != maxHeldMessages || st.HeldEvicted.Load() != 5 {
		t.Fatalf("held %d (gauge %d), evicted %d", s.n, st.HeldMessages.Load(), st.HeldEvicted.Load())
	}
	if s.find(key(0)) >= 0 || s.find(key(maxHeldMessages+4)) < 0 {
		t.Fatal("not the oldest evicted")
	}
	// A new first segment under a held key starts the message again.
	i := s.find(key(10))
	s.add(now+100, key(10), false, seg)
	if s.msgs[i].nseg != 2 {
		t.Fatalf("%d segments", s.msgs[i].nseg)
	}
	s.add(now+101, key(10), true, seg)
	if j := s.find(key(10)); j < 0 || s.msgs[j].nseg != 1 || st.HeldEvicted.Load() != 6 {
		t.Fatalf("restart: %d segments, evicted %d", s.msgs[j].nseg, st.HeldEvicted.Load())
	}
	// More segments than a message can have are not held.
	for range 2 * maxHeldSegments {
		s.add(now+102, key(11), false, seg)
	}
	if n := s.msgs[s.find(key(11))].nseg; n != maxHeldSegments {
		t.Fatalf("%d segments held", n)
	}
	// Everything expires after the timeout.
	s.add(now+int64(11*time.Second), key(1000), true, seg)
	if s.n != 1 || st.HeldMessages.Load() != 1 {
		t.Fatalf("after the timeout: held %d (gauge %d)", s.n, st.HeldMessages.Load())
	}
	s.clear()
	if s.n != 0 || st.HeldMessages.Load() != 0 {
		t.Fatalf("after clear: held %d (gauge %d)", s.n, st.HeldMessages.Load())
	}
}
