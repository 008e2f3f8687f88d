package proxy

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"breakwater/firewall/ratelimit"
	"breakwater/firewall/transport"
	"breakwater/protocols/gtp"
	"breakwater/protocols/view"
)

// The GTP test network on loopback: the home PGW at 127.0.0.1, the UK
// partner's SGW at 127.0.0.2 and the German partner's at 127.0.0.4, both on
// port 2123 as GTP-C requires; Breakwater faces partners at 127.0.10.1 and
// home at 127.0.10.2.
const gtpConfigYAML = `
home:
  plmns: ["310260"]
  addresses: ["127.0.0.1/32"]
partners:
  - name: uk
    plmns: ["23415"]
    addresses: ["127.0.0.2/32"]
  - name: de
    plmns: ["26201"]
    addresses: ["127.0.0.4/32"]
velocity:
  max_subscribers: 4096
gtp_state:
  max_sessions: 4096
`

var (
	pgwAddr   = netip.MustParseAddr("127.0.0.1")
	sgwAddr   = netip.MustParseAddr("127.0.0.2")
	deSGWAddr = netip.MustParseAddr("127.0.0.4")
	bwPartner = netip.MustParseAddr("127.0.10.1")
	bwHome    = netip.MustParseAddr("127.0.10.2")
)

type gtpHarness struct {
	t     *testing.T
	relay *GTPRelay
	pgw   *udpPeer
	sgw   *udpPeer
	deSGW *udpPeer
}

// udpPeer is a GTP-C node bound on loopback.
type udpPeer struct {
	c   *net.UDPConn
	buf []byte
}

func newUDPPeer(t *testing.T, addr netip.AddrPort) *udpPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpPeer{c: c, buf: make([]byte, 1<<16)}
}

func (p *udpPeer) send(t *testing.T, b []byte, to netip.AddrPort) {
	t.Helper()
	if _, err := p.c.WriteToUDPAddrPort(b, to); err != nil {
		t.Fatal(err)
	}
}

// recv waits for a datagram; ok is false after the timeout.
func (p *udpPeer) recv(timeout time.Duration) ([]byte, netip.AddrPort, bool) {
	p.c.SetReadDeadline(time.Now().Add(timeout))
	n, from, err := p.c.ReadFromUDPAddrPort(p.buf)
	if err != nil {
		return nil, netip.AddrPort{}, false
	}
	return append([]byte(nil), p.buf[:n]...), from, true
}

func newGTPHarness(t *testing.T) *gtpHarness { return newGTPHarnessWith(t, gtpConfigYAML, nil) }

// newGTPHarnessWith is newGTPHarness with another configuration and a
// user-space rate limiter.
func newGTPHarnessWith(t *testing.T, yaml string, limiter *ratelimit.Limiter) *gtpHarness {
	t.Helper()
	eng := newTestEngine(t, yaml)
	h := &gtpHarness{t: t}
	h.pgw = newUDPPeer(t, netip.AddrPortFrom(pgwAddr, 0))
	h.sgw = newUDPPeer(t, netip.AddrPortFrom(sgwAddr, 2123))
	h.deSGW = newUDPPeer(t, netip.AddrPortFrom(deSGWAddr, 2123))
	listen := transport.Address{Kind: transport.UDP, IPs: []netip.Addr{bwPartner}, Port: 2123}
	home := transport.Address{Kind: transport.UDP, IPs: []netip.Addr{bwHome}, Port: 2123}
	up := h.pgw.c.LocalAddr().(*net.UDPAddr).AddrPort()
	h.relay = NewGTPRelay(GTPConfig{
		Name: "s8", Listen: listen, UpstreamSource: home,
		Upstream:      transport.Address{Kind: transport.UDP, IPs: []netip.Addr{up.Addr()}, Port: up.Port()},
		RejectCauseV2: 94, RejectCauseV1: 199, RequestTimeout: 5 * time.Second, MaxMessage: 1 << 16,
		Limiter: limiter,
	}, eng, testLogger(t))
	if err := h.relay.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.relay.Shutdown(context.Background()) })
	return h
}

func gtpDecode(t *testing.T, b []byte) view.Message {
	t.Helper()
	var v view.Message
	if _, err := gtp.Decode(b, &v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

func servingNetwork(plmn string) []byte {
	p, _ := view.ParsePLMN(plmn)
	b := p.Encode()
	return b[:]
}

func createSession(b *gtp.Builder, seq uint32, sgwTEID uint32, from netip.Addr, plmn string) []byte {
	return createSessionFor(b, "310260000000001", seq, sgwTEID, from, plmn)
}

func createSessionFor(b *gtp.Builder, imsi string, seq uint32, sgwTEID uint32, from netip.Addr, plmn string) []byte {
	return b.StartV2(32, true, 0, seq).
		IE(gtp.IEIMSI, 0, gtp.TBCD(imsi)).
		IE(gtp.IERATType, 0, []byte{6}).
		IE(gtp.IEServingNetwork, 0, servingNetwork(plmn)).
		IE(gtp.IEFTEID, 0, gtp.FTEID(6, sgwTEID, from)).
		IE(gtp.IEAPN, 0, []byte("\x08internet")).
		Group(gtp.IEBearerContext, 0).IE(gtp.IEEBI, 0, []byte{5}).IE(gtp.IEFTEID, 2, gtp.FTEID(4, 0x9999, from)).End().
		Message()
}

func TestGTPSessionThroughRelay(t *testing.T) {
	h := newGTPHarness(t)
	var b gtp.Builder
	bwP := netip.AddrPortFrom(bwPartner, 2123)

	// 1. The UK SGW opens a session for a home subscriber.
	h.sgw.send(t, createSession(&b, 100, 0x1111, sgwAddr, "23415"), bwP)
	req, from, ok := h.pgw.recv(2 * time.Second)
	if !ok {
		t.Fatal("the PGW got no Create Session Request")
	}
	v := gtpDecode(t, req)
	if from.Addr() != bwHome || v.Op != "CreateSessionRequest" || v.Transaction == 100 {
		t.Fatalf("PGW got %s seq %d from %v", v.Op, v.Transaction, from)
	}
	// The relay stands in for the SGW's endpoint with a TEID of its own.
	relayTEID := v.SenderTEID
	if v.SenderAddrs[0] != bwHome || relayTEID == 0 || relayTEID == 0x1111 {
		t.Fatalf("sender F-TEID %v/%x: the relay must announce itself with its own TEID", v.SenderAddrs, v.SenderTEID)
	}
	if !containsAddr(req, sgwAddr) {
		t.Fatal("the user-plane F-TEID lost the SGW's address")
	}
	// 2. The PGW accepts, announcing its own control endpoint.
	resp := b.StartV2(33, true, relayTEID, uint32(v.Transaction)).
		IE(gtp.IECause, 0, []byte{16, 0}).
		IE(gtp.IEFTEID, 0, gtp.FTEID(7, 0x2222, pgwAddr)).Message()
	h.pgw.send(t, resp, from)
	got, from, ok := h.sgw.recv(2 * time.Second)
	if !ok {
		t.Fatal("the SGW got no Create Session Response")
	}
	v = gtpDecode(t, got)
	if from != bwP || v.Op != "CreateSessionResponse" || v.Transaction != 100 || v.ResultCode != 16 || v.TEID != 0x1111 {
		t.Fatalf("SGW got %s seq %d cause %d from %v", v.Op, v.Transaction, v.ResultCode, from)
	}
	if v.SenderAddrs[0] != bwPartner || v.SenderTEID != 0x2222 {
		t.Fatalf("PGW F-TEID %v/%x: the relay must announce itself to the partner", v.SenderAddrs, v.SenderTEID)
	}
	if n := h.relay.eng.State().Sessions(); n != 1 {
		t.Fatalf("%d sessions recorded, want 1", n)
	}

	// 3. The SGW modifies its own session: allowed.
	mbr := b.StartV2(34, true, 0x2222, 101).IE(gtp.IERATType, 0, []byte{6}).Message()
	h.sgw.send(t, mbr, bwP)
	req, from, ok = h.pgw.recv(2 * time.Second)
	if !ok || gtpDecode(t, req).Op != "ModifyBearerRequest" || gtpDecode(t, req).TEID != 0x2222 {
		t.Fatal("the PGW did not get the partner's Modify Bearer Request")
	}
	h.pgw.send(t, b.StartV2(35, true, relayTEID, uint32(gtpDecode(t, req).Transaction)).IE(gtp.IECause, 0, []byte{16, 0}).Message(), from)
	if got, _, ok := h.sgw.recv(2 * time.Second); !ok || gtpDecode(t, got).Transaction != 101 || gtpDecode(t, got).TEID != 0x1111 {
		t.Fatal("the SGW did not get its Modify Bearer Response")
	}

	// 4. The German partner tries to modify that session: rejected with
	// Context Not Found, and the PGW never sees it.
	h.deSGW.send(t, b.StartV2(34, true, 0x2222, 7).IE(gtp.IERATType, 0, []byte{6}).Message(), bwP)
	got, _, ok = h.deSGW.recv(2 * time.Second)
	if !ok {
		t.Fatal("no rejection for the hijack attempt")
	}
	if v := gtpDecode(t, got); v.Op != "ModifyBearerResponse" || v.ResultCode != 64 || v.Transaction != 7 {
		t.Fatalf("hijack answered with %s cause %d seq %d", v.Op, v.ResultCode, v.Transaction)
	}
	if _, _, ok := h.pgw.recv(200 * time.Millisecond); ok {
		t.Fatal("the hijacking Modify Bearer reached the PGW")
	}

	// 5. The PGW starts a dedicated bearer: the request reaches the SGW
	// that announced TEID 0x1111 (the PGW knows it by the relay's TEID),
	// and its response returns to the PGW.
	cbr := b.StartV2(95, true, relayTEID, 5000).Group(gtp.IEBearerContext, 0).IE(gtp.IEEBI, 0, []byte{0}).End().Message()
	h.pgw.send(t, cbr, netip.AddrPortFrom(bwHome, 2123))
	got, from, ok = h.sgw.recv(2 * time.Second)
	if !ok || gtpDecode(t, got).Op != "CreateBearerRequest" || gtpDecode(t, got).TEID != 0x1111 {
		t.Fatal("the SGW did not get the PGW's Create Bearer Request")
	}
	h.sgw.send(t, b.StartV2(96, true, 0x2222, uint32(gtpDecode(t, got).Transaction)).IE(gtp.IECause, 0, []byte{16, 0}).Message(), from)
	if got, _, ok := h.pgw.recv(2 * time.Second); !ok || gtpDecode(t, got).Op != "CreateBearerResponse" || gtpDecode(t, got).Transaction != 5000 {
		t.Fatal("the PGW did not get its Create Bearer Response with its own sequence number")
	}

	// 6. A context-theft Context Request never reaches home.
	h.sgw.send(t, b.StartV2(130, true, 0, 102).IE(gtp.IEIMSI, 0, gtp.TBCD("310260000000001")).Message(), bwP)
	if got, _, ok := h.sgw.recv(2 * time.Second); !ok || gtpDecode(t, got).Op != "ContextResponse" || gtpDecode(t, got).ResultCode != 94 {
		t.Fatal("Context Request not rejected with cause 94")
	}
	if _, _, ok := h.pgw.recv(200 * time.Millisecond); ok {
		t.Fatal("the Context Request reached the PGW")
	}

	// 7. Echo is answered by the relay itself.
	h.sgw.send(t, b.StartV2(1, false, 0, 103).IE(gtp.IERecovery, 0, []byte{1}).Message(), bwP)
	if got, _, ok := h.sgw.recv(2 * time.Second); !ok || gtpDecode(t, got).Op != "EchoResponse" {
		t.Fatal("no Echo Response")
	}
	// The relay counts an answer after sending it: the peer may read it
	// first.
	st := &h.relay.Stats
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		if st.Blocked.Load() == 2 && st.Rejected.Load() == 2 && st.EchoAnswered.Load() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked %d rejected %d echo %d", st.Blocked.Load(), st.Rejected.Load(), st.EchoAnswered.Load())
		}
	}
}

func TestGTPRetransmissionKeepsRelayNumber(t *testing.T) {
	h := newGTPHarness(t)
	var b gtp.Builder
	bwP := netip.AddrPortFrom(bwPartner, 2123)
	csr := append([]byte(nil), createSession(&b, 200, 0x3333, sgwAddr, "23415")...)
	h.sgw.send(t, csr, bwP)
	first, _, ok := h.pgw.recv(2 * time.Second)
	if !ok {
		t.Fatal("no request")
	}
	h.sgw.send(t, csr, bwP) // the SGW's timer fired: same request again
	second, _, ok := h.pgw.recv(2 * time.Second)
	if !ok {
		t.Fatal("retransmission not relayed")
	}
	if gtpDecode(t, first).Transaction != gtpDecode(t, second).Transaction {
		t.Fatal("a retransmission got a new relay sequence number: the PGW would see two requests")
	}
	if h.relay.Stats.Retransmissions.Load() != 1 {
		t.Fatalf("retransmissions %d", h.relay.Stats.Retransmissions.Load())
	}
}

// TestGTPRateLimitInUserSpace: without the XDP pre-filter, a partner's
// rate_limit drops the datagrams over its burst (Echo Requests here, which
// the relay would otherwise answer) and counts them; the other partner,
// without a limit, is untouched.
func TestGTPRateLimitInUserSpace(t *testing.T) {
	yaml := strings.Replace(gtpConfigYAML, `addresses: ["127.0.0.2/32"]`,
		`addresses: ["127.0.0.2/32"]
    rate_limit: {packets_per_second: 1, burst: 3}`, 1)
	lim := ratelimit.New(64)
	h := newGTPHarnessWith(t, yaml, lim)
	bwP := netip.AddrPortFrom(bwPartner, 2123)
	echo := func(seq uint16) []byte { return []byte{0x40, 1, 0, 4, 0, byte(seq >> 8), byte(seq), 0} }
	start := time.Now()
	for i := range 10 {
		h.sgw.send(t, echo(uint16(i)), bwP)
		h.deSGW.send(t, echo(uint16(i)), bwP)
	}
	sending := time.Since(start)
	answered := map[*udpPeer]int{}
	for _, p := range []*udpPeer{h.sgw, h.deSGW} {
		for {
			if _, _, ok := p.recv(300 * time.Millisecond); !ok {
				break
			}
			answered[p]++
		}
	}
	// 3 from the burst, plus one per second the sending took (a slow
	// machine earns tokens while it sends), plus one for a second boundary.
	if n, most := answered[h.sgw], 4+int(sending/time.Second); n < 3 || n > most {
		t.Errorf("uk (1/s, burst 3): %d of 10 Echo Requests answered in %v, want 3 to %d", n, sending, most)
	}
	if n := answered[h.deSGW]; n != 10 {
		t.Errorf("de (no limit): %d of 10 answered", n)
	}
	if d := h.relay.Stats.RateLimited.Load(); d != uint64(10-answered[h.sgw]) || lim.Dropped.Load() != d {
		t.Errorf("rate-limited %d, limiter dropped %d; want %d", d, lim.Dropped.Load(), 10-answered[h.sgw])
	}
}

func TestGTPv1PDPContextThroughRelay(t *testing.T) {
	h := newGTPHarness(t)
	var b gtp.Builder
	bwP := netip.AddrPortFrom(bwPartner, 2123)
	rai := append(servingNetwork("23415"), 0x00, 0x01, 0x01)
	cpdp := b.StartV1(16, 0, 300).
		TV(gtp.V1IEIMSI, gtp.TBCD("310260000000001")).
		TV(gtp.V1IERAI, rai).
		TV(gtp.V1IESelectionMode, []byte{0xfc}).
		TV(gtp.V1IETEIDData, []byte{0, 0, 0x44, 0x44}).
		TV(gtp.V1IETEIDControl, []byte{0, 0, 0x55, 0x55}).
		TV(gtp.V1IENSAPI, []byte{5}).
		TLV(gtp.V1IEAPN, []byte("\x08internet")).
		TLV(gtp.V1IEGSNAddress, sgwAddr.AsSlice()).
		TLV(gtp.V1IEGSNAddress, sgwAddr.AsSlice()).
		Message()
	h.sgw.send(t, cpdp, bwP)
	req, from, ok := h.pgw.recv(2 * time.Second)
	if !ok {
		t.Fatal("the GGSN got no Create PDP Context Request")
	}
	v := gtpDecode(t, req)
	if v.SenderAddrs[0] != bwHome || v.SenderTEID == 0x5555 || v.SenderTEID == 0 {
		t.Fatalf("signalling GSN address %v TEID %x: the relay must announce itself with its own TEID", v.SenderAddrs, v.SenderTEID)
	}
	if !containsBytes(req, []byte{0x10, 0, 0, 0x44, 0x44}) {
		t.Fatal("the user-plane TEID Data I must be relayed unchanged")
	}
	if !containsAddr(req[len(req)-4:], sgwAddr) {
		t.Fatal("the user-traffic GSN address must keep the SGSN's address")
	}
	resp := b.StartV1(17, v.SenderTEID, uint16(v.Transaction)).
		TV(gtp.V1IECause, []byte{128}).
		TV(gtp.V1IETEIDControl, []byte{0, 0, 0x66, 0x66}).
		TLV(gtp.V1IEGSNAddress, pgwAddr.AsSlice()).
		TLV(gtp.V1IEGSNAddress, pgwAddr.AsSlice()).Message()
	h.pgw.send(t, resp, from)
	got, _, ok := h.sgw.recv(2 * time.Second)
	if !ok {
		t.Fatal("the SGSN got no response")
	}
	if v := gtpDecode(t, got); v.ResultCode != 128 || v.Transaction != 300 || v.SenderAddrs[0] != bwPartner || v.TEID != 0x5555 {
		t.Fatalf("response %+v", v)
	}
	// SGSN Context Request (context theft) is rejected with the v1 cause.
	h.sgw.send(t, b.StartV1(50, 0, 301).TV(gtp.V1IEIMSI, gtp.TBCD("310260000000001")).Message(), bwP)
	if got, _, ok := h.sgw.recv(2 * time.Second); !ok || gtpDecode(t, got).ResultCode != 199 {
		t.Fatal("SGSN Context Request not rejected with cause 199")
	}
}

func TestGTPRelayNoAllocation(t *testing.T) {
	quietLogs(t)
	h := newGTPHarness(t)
	var b gtp.Builder
	bwP := netip.AddrPortFrom(bwPartner, 2123)
	h.sgw.send(t, createSession(&b, 1, 0x7777, sgwAddr, "23415"), bwP)
	req, from, _ := h.pgw.recv(2 * time.Second)
	relayTEID := gtpDecode(t, req).SenderTEID
	h.pgw.send(t, b.StartV2(33, true, relayTEID, uint32(gtpDecode(t, req).Transaction)).
		IE(gtp.IECause, 0, []byte{16, 0}).IE(gtp.IEFTEID, 0, gtp.FTEID(7, 0x8888, pgwAddr)).Message(), from)
	h.sgw.recv(2 * time.Second)
	mbr := append([]byte(nil), b.StartV2(34, true, 0x8888, 2).IE(gtp.IERATType, 0, []byte{6}).Message()...)
	mba := append([]byte(nil), b.StartV2(35, true, relayTEID, 0).IE(gtp.IECause, 0, []byte{16, 0}).Message()...)
	buf := make([]byte, 1<<16)
	seq := uint32(10)
	roundTrip := func() {
		seq++
		gtp.SetSequence(mbr, seq)
		h.sgw.c.WriteToUDPAddrPort(mbr, bwP)
		n, from, err := h.pgw.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		copy(mba[8:11], buf[8:11]) // answer with the relay's number
		_ = n
		h.pgw.c.WriteToUDPAddrPort(mba, from)
		if _, _, err := h.sgw.c.ReadFromUDPAddrPort(buf); err != nil {
			t.Fatal(err)
		}
	}
	// A lost datagram fails the test rather than hanging it.
	h.sgw.c.SetReadDeadline(time.Now().Add(time.Minute))
	h.pgw.c.SetReadDeadline(time.Now().Add(time.Minute))
	for i := 0; i < 100; i++ {
		roundTrip()
	}
	if n := testing.AllocsPerRun(300, roundTrip); n != 0 {
		t.Errorf("relaying a GTP-C request and its response: %v allocations", n)
	}
}

func containsBytes(b, sub []byte) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return true
		}
	}
	return false
}

func containsAddr(b []byte, a netip.Addr) bool {
	s := a.AsSlice()
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == string(s) {
			return true
		}
	}
	return false
}

// Two nodes of partners choose the same control TEID (they allocate
// independently): home addresses each session by the relay's TEID, and
// each home request reaches the node whose session it is.
func TestGTPSameTEIDFromTwoNodes(t *testing.T) {
	h := newGTPHarness(t)
	var b gtp.Builder
	bwP := netip.AddrPortFrom(bwPartner, 2123)
	bwH := netip.AddrPortFrom(bwHome, 2123)
	relayTEIDs := map[string]uint32{}
	for _, n := range []struct {
		name string
		peer *udpPeer
		addr netip.Addr
		plmn string
		imsi string
	}{{"uk", h.sgw, sgwAddr, "23415", "310260000000001"}, {"de", h.deSGW, deSGWAddr, "26201", "310260000000002"}} {
		n.peer.send(t, createSessionFor(&b, n.imsi, 400, 0x1, n.addr, n.plmn), bwP)
		req, from, ok := h.pgw.recv(2 * time.Second)
		if !ok {
			t.Fatalf("%s: no Create Session Request at the PGW", n.name)
		}
		v := gtpDecode(t, req)
		relayTEIDs[n.name] = v.SenderTEID
		h.pgw.send(t, b.StartV2(33, true, v.SenderTEID, uint32(v.Transaction)).
			IE(gtp.IECause, 0, []byte{16, 0}).IE(gtp.IEFTEID, 0, gtp.FTEID(7, 0x100, pgwAddr)).Message(), from)
		if got, _, ok := n.peer.recv(2 * time.Second); !ok || gtpDecode(t, got).TEID != 0x1 {
			t.Fatalf("%s: no Create Session Response with the node's own TEID", n.name)
		}
	}
	if relayTEIDs["uk"] == relayTEIDs["de"] {
		t.Fatalf("both nodes' TEID 1 got relay TEID %x", relayTEIDs["uk"])
	}
	// The same endpoint announced again keeps its relay TEID.
	h.sgw.send(t, createSession(&b, 401, 0x1, sgwAddr, "23415"), bwP)
	if req, _, ok := h.pgw.recv(2 * time.Second); !ok || gtpDecode(t, req).SenderTEID != relayTEIDs["uk"] {
		t.Fatal("a known endpoint got a new relay TEID")
	}
	for _, n := range []struct {
		name string
		peer *udpPeer
	}{{"de", h.deSGW}, {"uk", h.sgw}} {
		h.pgw.send(t, b.StartV2(99, true, relayTEIDs[n.name], 6000).IE(gtp.IEEBI, 0, []byte{5}).Message(), bwH)
		got, _, ok := n.peer.recv(2 * time.Second)
		if !ok {
			t.Fatalf("the PGW's Delete Bearer Request for %s's session did not reach %s's node", n.name, n.name)
		}
		if v := gtpDecode(t, got); v.Op != "DeleteBearerRequest" || v.TEID != 0x1 {
			t.Fatalf("%s got %s for TEID %x", n.name, v.Op, v.TEID)
		}
	}
	// A TEID the relay never handed out goes nowhere.
	h.pgw.send(t, b.StartV2(99, true, 0x1, 6001).IE(gtp.IEEBI, 0, []byte{5}).Message(), bwH)
	for _, p := range []*udpPeer{h.sgw, h.deSGW} {
		if _, _, ok := p.recv(200 * time.Millisecond); ok {
			t.Fatal("a home request for an unknown relay TEID was delivered")
		}
	}
	if n := h.relay.Stats.Unroutable.Load(); n != 1 {
		t.Fatalf("unroutable %d, want 1", n)
	}
}

// The relay answers Echo with one restart counter per side and writes the
// same counter into the Recovery IEs it relays; when the upstream's
// counter changes, partners see the relay's counter change too.
func TestGTPRecoveryPerSide(t *testing.T) {
	h := newGTPHarness(t)
	var b gtp.Builder
	bwP := netip.AddrPortFrom(bwPartner, 2123)
	bwH := netip.AddrPortFrom(bwHome, 2123)
	recovery := func(m []byte) uint8 {
		t.Helper()
		for i := 8; i+5 <= len(m); i++ { // Recovery IE: 03 0001 00 <counter>
			if m[i] == gtp.IERecovery && m[i+1] == 0 && m[i+2] == 1 && m[i+3] == 0 {
				return m[i+4]
			}
		}
		t.Fatal("no Recovery IE")
		return 0
	}
	echo := func(p *udpPeer, to netip.AddrPort, seq uint32) uint8 {
		t.Helper()
		p.send(t, b.StartV2(1, false, 0, seq).IE(gtp.IERecovery, 0, []byte{9}).Message(), to)
		got, _, ok := p.recv(2 * time.Second)
		if !ok {
			t.Fatal("no Echo Response")
		}
		return recovery(got)
	}
	homeSide := echo(h.pgw, bwH, 1)
	partnerSide := echo(h.sgw, bwP, 2)

	csr := append([]byte(nil), b.StartV2(32, true, 0, 500).
		IE(gtp.IEIMSI, 0, gtp.TBCD("310260000000001")).
		IE(gtp.IERecovery, 0, []byte{200}).
		IE(gtp.IEServingNetwork, 0, servingNetwork("23415")).
		IE(gtp.IEFTEID, 0, gtp.FTEID(6, 0x42, sgwAddr)).Message()...)
	h.sgw.send(t, csr, bwP)
	req, from, ok := h.pgw.recv(2 * time.Second)
	if !ok {
		t.Fatal("no Create Session Request at the PGW")
	}
	if r := recovery(req); r != homeSide {
		t.Fatalf("the PGW sees restart counter %d in the request but %d in Echo", r, homeSide)
	}
	v := gtpDecode(t, req)
	answer := func(seq uint32, counter uint8) uint8 {
		t.Helper()
		h.pgw.send(t, b.StartV2(33, true, v.SenderTEID, seq).IE(gtp.IECause, 0, []byte{16, 0}).
			IE(gtp.IERecovery, 0, []byte{counter}).
			IE(gtp.IEFTEID, 0, gtp.FTEID(7, 0x100, pgwAddr)).Message(), from)
		got, _, ok := h.sgw.recv(2 * time.Second)
		if !ok {
			t.Fatal("no Create Session Response at the SGW")
		}
		return recovery(got)
	}
	if r := answer(uint32(v.Transaction), 7); r != partnerSide {
		t.Fatalf("the SGW sees restart counter %d in the response but %d in Echo", r, partnerSide)
	}
	// The PGW restarts (counter 7 → 8): partners must see a new counter.
	h.sgw.send(t, csr, bwP) // a retransmission: same relay number
	if _, _, ok := h.pgw.recv(2 * time.Second); !ok {
		t.Fatal("retransmission not relayed")
	}
	r := answer(uint32(v.Transaction), 8)
	if r == partnerSide || echo(h.sgw, bwP, 3) != r {
		t.Fatalf("after the upstream restart the partner side announces %d (before %d, Echo %d)", r, partnerSide, echo(h.sgw, bwP, 4))
	}
	if echo(h.pgw, bwH, 5) != homeSide {
		t.Fatal("the home-facing counter changed")
	}
	if n := h.relay.Stats.UpstreamRestarts.Load(); n != 1 {
		t.Fatalf("upstream restarts %d, want 1", n)
	}
}
