package proxy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"breakwater/firewall/transport"
	"breakwater/internal/diampeer"
	"breakwater/internal/sctptest"
	"breakwater/protocols/diameter"
)

// These tests need kernel SCTP. On a host without it they skip; `make
// test-sctp` runs them in a VM whose kernel has the sctp module.

func requireSCTP(t *testing.T) { t.Helper(); sctptest.Require(t) }

// newSCTPHarness runs the home HSS and Breakwater over SCTP; Breakwater
// listens multi-homed on two loopback addresses.
func newSCTPHarness(t *testing.T) *harness {
	requireSCTP(t)
	hss, err := diampeer.Listen("sctp://127.0.0.1:0", hssID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hss.Close() })
	h := &harness{t: t, hss: hss}
	h.start(hss.Addr(), func(c *Config) {
		c.Listen, _ = transport.ParseAddress("sctp://127.0.0.1/127.1.0.1:0")
		c.Streams = 8
	})
	return h
}

func TestSCTPRelayPreservesStreamsAndPPID(t *testing.T) {
	h := newSCTPHarness(t)
	mme := h.partner("127.0.0.2")
	if in, out := mme.Conn().Streams(); in != 8 || out != 8 {
		t.Fatalf("partner association has %d/%d streams, want 8/8", in, out)
	}
	var b diameter.Builder
	for stream := uint16(0); stream < 8; stream++ {
		imsi := fmt.Sprintf("3102600000000%02d", stream)
		ans, err := mme.Do(mme.S6a(&b, diameter.CmdUpdateLocation, imsi, homeRealm, "23415"), stream, 5*time.Second)
		if err != nil || diampeer.ResultCode(ans) != 2001 {
			t.Fatalf("stream %d: %v", stream, err)
		}
	}
	// The HSS saw each ULR on the stream the partner used, with PPID 46.
	var seen [8]bool
	for _, r := range h.hss.Received() {
		v := decode(t, r.Raw)
		if v.Op != "ULR" {
			continue
		}
		if r.PPID != 46 {
			t.Fatalf("ULR arrived with PPID %d", r.PPID)
		}
		want := uint16(v.IMSI.Bytes()[v.IMSI.Len()-1] - '0')
		if r.Stream != want {
			t.Fatalf("ULR for %s arrived on stream %d, want %d", v.IMSI.String(), r.Stream, want)
		}
		seen[r.Stream] = true
	}
	for s, ok := range seen {
		if !ok {
			t.Fatalf("no ULR on stream %d", s)
		}
	}
	// Rejections are answered on the request's stream too.
	ans, err := mme.Do(mme.S6a(&b, diameter.CmdInsertSubscriberData, homeIMSI, homeRealm, ""), 5, 5*time.Second)
	if err != nil || diampeer.ResultCode(ans) != 5012 {
		t.Fatalf("IDR over SCTP: %v", err)
	}
}

func TestSCTPMultiHomedPartner(t *testing.T) {
	h := newSCTPHarness(t)
	// The partner's association uses two local addresses and reaches
	// Breakwater's two listening addresses.
	c, err := diampeer.Dial(context.Background(), h.relay.Addr().String(), mmeID, "127.0.0.2", "127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := len(c.Conn().RemoteAddrs()); n != 2 {
		t.Fatalf("partner sees %d Breakwater addresses (%v), want 2", n, c.Conn().RemoteAddrs())
	}
	var b diameter.Builder
	if ans, err := c.Do(c.CER(&b, diameter.AppS6aS6d), 0, 5*time.Second); err != nil || diampeer.ResultCode(ans) != 2001 {
		t.Fatalf("CER: %v", err)
	}
	if ans, err := c.Do(c.S6a(&b, diameter.CmdUpdateLocation, homeIMSI, homeRealm, "23415"), 2, 5*time.Second); err != nil || diampeer.ResultCode(ans) != 2001 {
		t.Fatalf("ULR: %v", err)
	}
}

func TestSCTPUpstreamRestart(t *testing.T) {
	h := newSCTPHarness(t)
	mme := h.partner("127.0.0.2")
	var b diameter.Builder
	addr := h.hss.Addr()
	h.hss.Close()
	waitFor(t, "the upstream association to be gone", func() bool { return h.relay.Stats.UpstreamUp.Load() == 0 })
	ans, err := mme.Do(mme.S6a(&b, diameter.CmdUpdateLocation, homeIMSI, homeRealm, "23415"), 1, 5*time.Second)
	if err != nil || diampeer.ResultCode(ans) != diameter.ResultUnableToDeliver {
		t.Fatalf("while home is down: %v", err)
	}
	hss2, err := diampeer.Listen(addr.String(), hssID)
	if err != nil {
		t.Fatal(err)
	}
	defer hss2.Close()
	waitFor(t, "the upstream association to come back", func() bool { return h.relay.Stats.UpstreamUp.Load() == 1 })
	ans, err = mme.Do(mme.S6a(&b, diameter.CmdUpdateLocation, homeIMSI, homeRealm, "23415"), 1, 5*time.Second)
	if err != nil || diampeer.ResultCode(ans) != 2001 {
		t.Fatalf("after restart: %v", err)
	}
}

func TestSCTPRelayNoAllocation(t *testing.T) {
	quietLogs(t)
	h := newSCTPHarness(t)
	h.hss.Record.Store(false)
	c, err := transport.Dial(context.Background(), h.relay.Addr(), diampeer.Options("127.0.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var b diameter.Builder
	cl := &diampeer.Client{ID: mmeID}
	buf := make([]byte, 0, 1<<16)
	roundTrip := func(req []byte) {
		if err := c.WriteMessage(transport.Message{Data: req, Stream: 3, PPID: 46}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadMessage(buf); err != nil {
			t.Fatal(err)
		}
	}
	roundTrip(append([]byte(nil), cl.CER(&b, diameter.AppS6aS6d)...))
	air := append([]byte(nil), cl.S6a(&b, diameter.CmdAuthenticationInfo, homeIMSI, homeRealm, "23415")...)
	for i := 0; i < 100; i++ {
		roundTrip(air)
	}
	if n := testing.AllocsPerRun(300, func() { roundTrip(air) }); n != 0 {
		t.Errorf("relaying over SCTP: %v allocations per round trip", n)
	}
}
