package proxy

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/firewall/transport"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/tcap"
)

// osmo-stp (Debian's osmo-stp, libosmo-sigtran) as the home STP behind the
// M3UA relay. It needs kernel SCTP, so it runs in the VM harness with its
// binary and shared libraries copied in (see README, Testing):
//
//	BREAKWATER_OSMO_STP=/usr/bin/osmo-stp inside the VM
//
// Topology, all on loopback inside the VM:
//
//	partner ASP 127.0.0.2 → Breakwater 127.0.0.1:X → (from 127.0.0.4) osmo-stp 127.0.0.1:2905
//	home ASP (the HLR) 127.0.0.5 → osmo-stp
//
// osmo-stp routes DATA by destination point code: the partner's AS has
// point code 0.2.1 (17) and routing context 7, the home HLR's AS 0.1.5
// (13) and routing context 8.

const osmoSTPConfig = `log stderr
 logging filter all 1
 logging color 0
 logging print category 1
 logging level set-all notice
line vty
 bind 127.0.0.1 4239
cs7 instance 0
 point-code 0.0.1
 asp asp-partner 0 2905 m3ua
  remote-ip 127.0.0.4
  role sg
  sctp-role server
 asp asp-home 0 2905 m3ua
  remote-ip 127.0.0.5
  role sg
  sctp-role server
 as as-partner m3ua
  asp asp-partner
  routing-key 7 0.2.1
 as as-home m3ua
  asp asp-home
  routing-key 8 0.1.5
 route-table system
  update route 0.2.1 7.255.7 linkset as-partner
  update route 0.1.5 7.255.7 linkset as-home
 listen m3ua 2905
  local-ip 127.0.0.1
  accept-asp-connections pre-configured
`

const (
	stpPartnerPC = 17 // 0.2.1
	stpHomePC    = 13 // 0.1.5
	stpPartnerRC = 7
	stpHomeRC    = 8
)

// aspUp runs ASP Up and ASP Active for routing context rc on c, skipping
// the Notify messages an SG sends on state changes.
func aspUp(t *testing.T, c transport.Conn, rc uint32) {
	t.Helper()
	var b m3ua.Builder
	buf := make([]byte, 0, 1<<16)
	next := func(want m3ua.Kind) {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		defer c.SetReadDeadline(time.Time{})
		for {
			m, err := c.ReadMessage(buf)
			if err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			h, _ := m3ua.ParseHeader(m.Data)
			if h.Kind() == want {
				return
			}
			if h.Kind() != m3ua.KindNTFY {
				t.Fatalf("got %s waiting for %s: %x", h.Kind(), want, m.Data)
			}
		}
	}
	if err := c.WriteMessage(transport.Message{Data: b.Start(m3ua.KindASPUP).Message(), PPID: m3ua.PPID}); err != nil {
		t.Fatal(err)
	}
	next(m3ua.KindASPUPAck)
	if err := c.WriteMessage(transport.Message{Data: b.Start(m3ua.KindASPAC).Uint32(m3ua.TagTrafficModeType, 2).
		List(m3ua.TagRoutingContext, []uint32{rc}).Message(), PPID: m3ua.PPID}); err != nil {
		t.Fatal(err)
	}
	next(m3ua.KindASPACAck)
}

func TestSCTPM3UAOsmoSTP(t *testing.T) {
	bin := os.Getenv("BREAKWATER_OSMO_STP")
	if bin == "" {
		t.Skip("BREAKWATER_OSMO_STP not set: this runs in the VM harness with osmo-stp copied in (README, Testing)")
	}
	requireSCTP(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "osmo-stp.cfg")
	if err := os.WriteFile(cfgPath, []byte(osmoSTPConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	var stpLog bytes.Buffer
	var logMu sync.Mutex
	cmd := exec.Command(bin, "-c", cfgPath)
	cmd.Dir = dir
	cmd.Stdout = writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return stpLog.Write(p) })
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			logMu.Lock()
			t.Logf("osmo-stp log:\n%s", stpLog.String())
			logMu.Unlock()
		}
	}()
	stp, _ := transport.ParseAddress("sctp://127.0.0.1:2905")
	dial := func(from string) transport.Conn {
		t.Helper()
		var err error
		for i := 0; i < 50; i++ {
			var c transport.Conn
			c, err = transport.Dial(context.Background(), stp, transport.Options{Streams: 8, ConnectTimeout: 2 * time.Second,
				Local: []netip.Addr{netip.MustParseAddr(from)}})
			if err == nil {
				return c
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("osmo-stp does not accept associations: %v", err)
		return nil
	}

	// The home HLR's ASP, directly at osmo-stp.
	home := dial("127.0.0.5")
	defer home.Close()
	aspUp(t, home, stpHomeRC)
	hlr := &testSG{}
	hlr.record.Store(true)
	hlr.wg.Add(1)
	go func() { defer hlr.wg.Done(); hlr.serve(home, 0) }()

	// Breakwater in front of osmo-stp, its upstream associations from
	// 127.0.0.4 (osmo-stp's asp-partner).
	h := &m3uaHarness{t: t, eng: newTestEngine(t, strings.Replace(m3uaTestConfig, `addresses: ["127.0.0.1/32"]`, `addresses: ["127.0.0.1/32", "127.0.0.5/32"]`, 1))}
	listen, _ := transport.ParseAddress("sctp://127.0.0.1:0")
	h.cfg = M3UAConfig{Name: "osmo", Listen: listen, Upstream: stp, Streams: 8, ConnectTimeout: 3 * time.Second,
		WriteTimeout: 3 * time.Second, MaxMessage: 4096, RejectWith: RejectReturnError,
		UpstreamSource: []netip.Addr{netip.MustParseAddr("127.0.0.4")}}
	h.relay = NewM3UARelay(h.cfg, h.eng, testLogger(t))
	if err := h.relay.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.relay.Shutdown(ctx)
	}()
	p := h.partner()
	aspUp(t, p.c, stpPartnerRC) // ASP Up / Active answered by osmo-stp through Breakwater

	recvData := func() transport.Message {
		t.Helper()
		for {
			m := p.recv()
			if k, _ := m3ua.ParseHeader(m.Data); k.Kind() == m3ua.KindDATA {
				return m
			}
		}
	}

	// updateLocation: partner → Breakwater → osmo-stp → HLR, and back.
	ul := dataPC(beginUL(), true, stpPartnerPC, stpHomePC, stpPartnerRC)
	p.send(ul, 1)
	ans := recvData()
	var d m3ua.Data
	var s sccp.Message
	var tc tcap.Message
	if m3ua.ParseData(ans.Data, &d) != nil || sccp.Parse(d.UserData, &s) != nil || tcap.Parse(s.Data, &tc) != nil {
		t.Fatalf("answer %x", ans.Data)
	}
	if tc.Type != tcap.End || !bytes.Equal(tc.DTIDBytes, otid) || d.OPC != stpHomePC || d.DPC != stpPartnerPC {
		t.Fatalf("answer through osmo-stp: %+v %+v", d.ProtocolData, tc)
	}
	var sent m3ua.Data
	m3ua.ParseData(ul, &sent)
	var got []sgMsg
	for _, m := range hlr.received() {
		if k, _ := m3ua.ParseHeader(m.data); k.Kind() == m3ua.KindDATA {
			got = append(got, m)
		}
	}
	if len(got) != 1 {
		t.Fatalf("the HLR got %d DATA messages", len(got))
	}
	var at m3ua.Data
	if m3ua.ParseData(got[0].data, &at) != nil || !bytes.Equal(at.UserData, sent.UserData) || at.OPC != stpPartnerPC || at.DPC != stpHomePC {
		t.Fatalf("the HLR got %+v, want the partner's SCCP message unchanged", at.ProtocolData)
	}

	// anyTimeInterrogation: answered by Breakwater, never routed by osmo-stp.
	p.send(dataPC(beginATI(), true, stpPartnerPC, stpHomePC, stpPartnerRC), 2)
	rej := recvData()
	if m3ua.ParseData(rej.Data, &d) != nil || sccp.Parse(d.UserData, &s) != nil || tcap.Parse(s.Data, &tc) != nil {
		t.Fatalf("rejection %x", rej.Data)
	}
	var c tcap.Component
	it := tc.Components()
	it.Read(&c)
	if tc.Type != tcap.End || c.Type != tcap.ReturnError || c.Error.Local != 21 || d.OPC != stpHomePC || d.DPC != stpPartnerPC ||
		!d.RoutingContext.Present || d.RoutingContext.Value != stpPartnerRC {
		t.Fatalf("rejection %+v %+v %+v", d, tc, c)
	}
	p.beat(0) // BEAT answered by osmo-stp through Breakwater
	data := 0
	for _, m := range hlr.received() {
		if k, _ := m3ua.ParseHeader(m.data); k.Kind() == m3ua.KindDATA {
			data++
		}
	}
	if data != 1 {
		t.Fatal("the ATI reached the HLR")
	}
	st := &h.relay.Stats
	mg := func(dir int, k m3ua.Kind) uint64 {
		return st.Management[dir][mgmtKindIndex(k.Class(), k.Type())].Load()
	}
	if mg(fromPartner, m3ua.KindASPUP) != 1 || mg(fromHome, m3ua.KindASPUPAck) != 1 || mg(fromHome, m3ua.KindASPACAck) != 1 ||
		st.Relayed[fromPartner].Load() != 1 || st.Relayed[fromHome].Load() != 1 || st.Answers[m3uaAnswerReturnError].Load() != 1 {
		t.Fatalf("relay counters: relayed %d/%d answers %d", st.Relayed[fromPartner].Load(), st.Relayed[fromHome].Load(),
			st.Answers[m3uaAnswerReturnError].Load())
	}
	t.Logf("osmo-stp: ASP Up/Active, BEAT and an updateLocation through Breakwater; ATI rejected (%d NTFY to the partner)",
		mg(fromHome, m3ua.KindNTFY))
	home.Close()
	hlr.wg.Wait()
}
