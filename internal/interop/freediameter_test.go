// Package interop runs Breakwater's inline Diameter relay against real
// Diameter implementations. These tests put Debian's freeDiameter
// (freeDiameterd 1.2.1) behind Breakwater as the home DEA:
//
//	partner MME (127.0.0.2) → Breakwater relay → freeDiameterd → home HSS
//
// over TCP on loopback. See README.md.
package interop

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"breakwater/firewall/proxy"
	"breakwater/internal/diampeer"
	"breakwater/protocols/diameter"
)

// TestFreeDiameterCapabilitiesExchange: the partner's CER crosses
// Breakwater unchanged and freeDiameter itself answers it.
func TestFreeDiameterCapabilitiesExchange(t *testing.T) {
	t.Parallel()
	tp := newTopology(t)
	_, cea := tp.partner()
	v := decode(t, cea)
	if v.Op != "CEA" || v.ResultCode != diameter.ResultSuccess {
		t.Fatalf("got %s result %d, want CEA 2001", v.Op, v.ResultCode)
	}
	if string(v.OriginHost) != deaID.Host || string(v.OriginRealm) != deaID.Realm {
		t.Fatalf("CEA from %s/%s, want freeDiameter's identity %s/%s", v.OriginHost, v.OriginRealm, deaID.Host, deaID.Realm)
	}
	if p := avpStrings(cea, 269, 0); len(p) != 1 || p[0] != "freeDiameter" {
		t.Fatalf("Product-Name %q, want freeDiameter's", p)
	}
	// freeDiameter relays (no NoRelay, no local application), so it
	// advertises the Relay application.
	if apps := applications(cea); !slices.Contains(apps, diameter.AppRelay) {
		t.Fatalf("CEA advertises applications %v, want Relay (0xffffffff)", apps)
	}
	// freeDiameter saw the partner itself, not Breakwater: it got the CER
	// as sent (same length), created the peer from its Origin-Host, and
	// acl_wl accepted it.
	tp.fd.waitLog(t, answerTimeout, rcvFrom("<unknown peer>"), msgID(0, diameter.CmdCapabilitiesExchange, "R---"), "len:"+strconv.Itoa(len(tp.cer)))
	if len(tp.fd.logLines("-> 'STATE_OPEN'", mmeID.Host)) == 0 {
		t.Fatal("freeDiameter did not open a peer for the partner's identity")
	}
	for i := range tp.relay.Stats.LocalAnswers {
		if n := tp.relay.Stats.LocalAnswers[i].Load(); n != 0 {
			t.Fatalf("Breakwater answered %d requests itself (%s)", n, proxy.AnswerReasons[i])
		}
	}
}

// TestFreeDiameterWatchdogBothWays: DWR/DWA run end to end in both
// directions, and freeDiameter keeps the connection.
func TestFreeDiameterWatchdogBothWays(t *testing.T) {
	t.Parallel()
	tp := newTopology(t)
	mme, _ := tp.partner()
	var b diameter.Builder

	// Partner → freeDiameter.
	dwr := mme.DWR(&b)
	dwa, err := mme.Do(dwr, 0, answerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	v := decode(t, dwa)
	if v.Op != "DWA" || v.ResultCode != diameter.ResultSuccess || string(v.OriginHost) != deaID.Host || v.Transaction != decode(t, dwr).Transaction {
		t.Fatalf("DWA %s result %d from %s", v.Op, v.ResultCode, v.OriginHost)
	}
	if got := tp.localAnswers("watchdog"); got != 0 {
		t.Fatalf("Breakwater answered %d watchdogs itself", got)
	}

	// freeDiameter → partner: after Tw (6 s ± 2 s) of silence freeDiameter
	// sends its own DWR; the partner answers it through Breakwater.
	var fdDWR []byte
	deadline := time.Now().Add(watchdogWait)
	for fdDWR == nil {
		for _, r := range mme.Requests() {
			if decode(t, r).Op == "DWR" {
				fdDWR = r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no DWR from freeDiameter within %v; partner got %d requests", watchdogWait, len(mme.Requests()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if w := decode(t, fdDWR); string(w.OriginHost) != deaID.Host {
		t.Fatalf("DWR from %s, want %s", w.OriginHost, deaID.Host)
	}
	// freeDiameter received the partner's DWA (its log records every
	// message received, by peer).
	tp.fd.waitLog(t, answerTimeout, rcvFrom(mmeID.Host), msgID(0, diameter.CmdDeviceWatchdog, "----"))

	// The connection stays up: no DPR, no close, and it still carries
	// traffic.
	for _, r := range mme.Requests() {
		if op := decode(t, r).Op; op != "DWR" {
			t.Fatalf("partner got %s from freeDiameter", op)
		}
	}
	select {
	case <-mme.Closed():
		t.Fatal("connection closed after the watchdog exchange")
	default:
	}
	if ans, err := mme.Do(mme.DWR(&b), 0, answerTimeout); err != nil || diampeer.ResultCode(ans) != diameter.ResultSuccess {
		t.Fatalf("DWR after freeDiameter's watchdog: %v", err)
	}
	if lines := tp.fd.logLines(mmeID.Host, "/"+strconv.Itoa(int(diameter.CmdDisconnectPeer))+" "); len(lines) != 0 {
		t.Fatalf("freeDiameter disconnected the partner: %q", lines)
	}
	// Still OPEN: no move to SUSPECT (unanswered watchdog) or CLOSED.
	if lines := tp.fd.logLines("'STATE_OPEN'\t->", mmeID.Host); len(lines) != 0 {
		t.Fatalf("freeDiameter's peer state for the partner changed: %q", lines)
	}
	if tp.relay.Stats.UpstreamConnects.Load() != 1 {
		t.Fatalf("%d upstream connections, want 1", tp.relay.Stats.UpstreamConnects.Load())
	}
}

// TestFreeDiameterRelaysULR: a legitimate ULR for a home subscriber goes
// partner → Breakwater → freeDiameter → HSS and the ULA comes back.
func TestFreeDiameterRelaysULR(t *testing.T) {
	t.Parallel()
	tp := newTopology(t)
	mme, _ := tp.partner()
	var b diameter.Builder

	ulr := append([]byte(nil), mme.S6a(&b, diameter.CmdUpdateLocation, homeIMSI, homeRealm, "23415")...)
	sent := header(t, ulr)
	ula, err := mme.Do(ulr, 0, answerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	got := header(t, ula)
	v := decode(t, ula)
	if v.Op != "ULA" || v.ResultCode != diameter.ResultSuccess {
		t.Fatalf("got %s result %d, want ULA 2001", v.Op, v.ResultCode)
	}
	if got.HopByHop != sent.HopByHop || got.EndToEnd != sent.EndToEnd {
		t.Fatalf("ULA ids %#x/%#x, want the ULR's %#x/%#x", got.HopByHop, got.EndToEnd, sent.HopByHop, sent.EndToEnd)
	}
	if string(v.OriginHost) != hssID.Host {
		t.Fatalf("ULA from %s, want the HSS %s", v.OriginHost, hssID.Host)
	}

	// The HSS got the ULR from freeDiameter, which relayed it: it added a
	// Route-Record naming the peer it came from (the partner) and gave it
	// its own hop-by-hop id; the end-to-end id is the partner's.
	var atHSS []byte
	for _, r := range tp.hss.received() {
		if decode(t, r).Op == "ULR" {
			atHSS = r
		}
	}
	if atHSS == nil {
		t.Fatalf("the HSS never got the ULR: %v", tp.hss.ops())
	}
	if rr := avpStrings(atHSS, diameter.AVPRouteRecord, 0); !slices.Equal(rr, []string{mmeID.Host}) {
		t.Fatalf("Route-Record at the HSS %q, want [%s] added by freeDiameter", rr, mmeID.Host)
	}
	h := header(t, atHSS)
	if h.EndToEnd != sent.EndToEnd {
		t.Fatalf("end-to-end id at the HSS %#x, want %#x", h.EndToEnd, sent.EndToEnd)
	}
	if oh := avpStrings(atHSS, diameter.AVPOriginHost, 0); !slices.Equal(oh, []string{mmeID.Host}) {
		t.Fatalf("Origin-Host at the HSS %q", oh)
	}
	if imsi := avpStrings(atHSS, diameter.AVPUserName, 0); !slices.Equal(imsi, []string{homeIMSI}) {
		t.Fatalf("User-Name at the HSS %q", imsi)
	}
	// freeDiameter's log agrees: it forwarded the partner's ULR to the HSS.
	ulrID := msgID(diameter.AppS6aS6d, diameter.CmdUpdateLocation, "RP--")
	tp.fd.waitLog(t, answerTimeout, rcvFrom(mmeID.Host), ulrID)
	tp.fd.waitLog(t, answerTimeout, "FORWARDING: ", ulrID)
	tp.fd.waitLog(t, answerTimeout, sndTo(hssID.Host), ulrID)
	if tp.relay.Stats.Blocked.Load() != 0 {
		t.Fatalf("Breakwater blocked %d messages", tp.relay.Stats.Blocked.Load())
	}
}

// TestFreeDiameterProbingIDRRejected: a location-probing IDR for a home
// subscriber is answered by Breakwater in freeDiameter's name and never
// reaches freeDiameter.
func TestFreeDiameterProbingIDRRejected(t *testing.T) {
	t.Parallel()
	tp := newTopology(t)
	mme, _ := tp.partner()
	var b diameter.Builder

	idr := append([]byte(nil), mme.S6a(&b, diameter.CmdInsertSubscriberData, homeIMSI, homeRealm, "")...)
	sent := header(t, idr)
	ida, err := mme.Do(idr, 0, answerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	got := header(t, ida)
	v := decode(t, ida)
	if v.Op != "IDA" || v.ResultCode != 5012 {
		t.Fatalf("got %s result %d, want IDA 5012", v.Op, v.ResultCode)
	}
	// Signed with the identity Breakwater learned from freeDiameter's CEA,
	// not its configured fallback.
	if string(v.OriginHost) != deaID.Host || string(v.OriginRealm) != deaID.Realm {
		t.Fatalf("IDA from %s/%s, want freeDiameter's %s/%s", v.OriginHost, v.OriginRealm, deaID.Host, deaID.Realm)
	}
	if got.HopByHop != sent.HopByHop || got.EndToEnd != sent.EndToEnd {
		t.Fatalf("IDA ids %#x/%#x, want %#x/%#x", got.HopByHop, got.EndToEnd, sent.HopByHop, sent.EndToEnd)
	}

	// A legitimate request afterwards on the same connection proves
	// freeDiameter processed everything Breakwater sent it before.
	ans, err := mme.Do(mme.S6a(&b, diameter.CmdAuthenticationInfo, homeIMSI, homeRealm, "23415"), 0, answerTimeout)
	if err != nil || diampeer.ResultCode(ans) != diameter.ResultSuccess {
		t.Fatalf("AIR after the IDR: %v", err)
	}
	if ops := tp.hss.ops(); slices.Contains(ops, "IDR") || !slices.Contains(ops, "AIR") {
		t.Fatalf("the HSS saw %v, want the AIR and no IDR", ops)
	}
	// freeDiameter logged the AIR, so the log covers everything it got
	// from the partner up to then, and the IDR is not in it.
	tp.fd.waitLog(t, answerTimeout, rcvFrom(mmeID.Host), msgID(diameter.AppS6aS6d, diameter.CmdAuthenticationInfo, "RP--"))
	if lines := tp.fd.logLines("/" + strconv.Itoa(int(diameter.CmdInsertSubscriberData)) + " f:"); len(lines) != 0 {
		t.Fatalf("freeDiameter saw the IDR: %q", lines)
	}
	if tp.relay.Stats.Blocked.Load() != 1 || tp.localAnswers("rejected") != 1 {
		t.Fatalf("blocked %d, rejected answers %d", tp.relay.Stats.Blocked.Load(), tp.localAnswers("rejected"))
	}
}

// TestFreeDiameterGracefulShutdown: Breakwater's shutdown sends
// freeDiameter a DPR in the partner's name and freeDiameter answers it.
func TestFreeDiameterGracefulShutdown(t *testing.T) {
	t.Parallel()
	tp := newTopology(t)
	mme, _ := tp.partner()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := tp.relay.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// The relay waits up to 2 s for each DPA and then closes anyway; a
	// quick return means both DPAs (freeDiameter's and the partner's)
	// arrived.
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("Shutdown took %v: a DPA was not received", d)
	}
	tp.fd.waitLog(t, answerTimeout, rcvFrom(mmeID.Host), msgID(0, diameter.CmdDisconnectPeer, "R---"))
	tp.fd.waitLog(t, answerTimeout, "Peer '"+mmeID.Host+"' sent a DPR with cause: REBOOTING")
	tp.fd.waitLog(t, answerTimeout, sndTo(mmeID.Host), "'Disconnect-Peer-Answer'"+msgID(0, diameter.CmdDisconnectPeer, "----"))

	// The partner was told too, in freeDiameter's name.
	var dpr bool
	for _, r := range mme.Requests() {
		if v := decode(t, r); v.Op == "DPR" && string(v.OriginHost) == deaID.Host {
			dpr = true
		}
	}
	if !dpr {
		t.Fatal("the partner got no DPR in freeDiameter's name")
	}
	select {
	case <-mme.Closed():
	case <-time.After(answerTimeout):
		t.Fatal("partner connection still open after the shutdown")
	}
	// freeDiameter treated it as an orderly disconnection, not a failure.
	tp.fd.waitLog(t, answerTimeout, mmeID.Host+": Going to ZOMBIE state")
	for _, bad := range []string{"CONNECT FAILED to " + mmeID.Host, "DROPPED"} {
		if lines := tp.fd.logLines(bad); len(lines) != 0 {
			t.Fatalf("freeDiameter logged a failure: %q", lines)
		}
	}
}

// TestFreeDiameterRejectsUnknownPartner: a partner node freeDiameter does
// not know (not in acl_wl) gets freeDiameter's own refusal, and the
// connection ends, exactly as without Breakwater.
func TestFreeDiameterRejectsUnknownPartner(t *testing.T) {
	t.Parallel()
	tp := newTopology(t)
	rogue := diampeer.Identity{Host: "rogue." + ukRealm, Realm: ukRealm}
	c := tp.dial(rogue)
	var b diameter.Builder
	cea, err := c.Do(c.CER(&b, diameter.AppS6aS6d), 0, answerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	v := decode(t, cea)
	if v.Op != "CEA" || v.ResultCode != 3010 || string(v.OriginHost) != deaID.Host { // DIAMETER_UNKNOWN_PEER
		t.Fatalf("got %s result %d from %s, want freeDiameter's CEA 3010", v.Op, v.ResultCode, v.OriginHost)
	}
	select {
	case <-c.Closed():
	case <-time.After(answerTimeout):
		t.Fatal("connection still open after a refused capabilities exchange")
	}
	tp.fd.waitLog(t, answerTimeout, "Rejected CER from peer '"+rogue.Host+"'")
	time.Sleep(300 * time.Millisecond) // let freeDiameter's log catch up
	if n := len(tp.fd.logLines("Rejected CER from peer '" + rogue.Host + "'")); n != 1 {
		t.Fatalf("freeDiameter refused the partner's CER %d times, want 1: "+
			"the relay must end the pair after a refused capabilities exchange, not reconnect and replay it", n)
	}
}

// TestFreeDiameterInitiatedDPR: freeDiameter shutting down sends the
// partner a DPR through Breakwater; the partner's DPA reaches it, and the
// partner's connection should then end as freeDiameter's does.
func TestFreeDiameterInitiatedDPR(t *testing.T) {
	t.Parallel()
	tp := newTopology(t)
	mme, _ := tp.partner()

	go tp.fd.stop() // SIGTERM: freeDiameter sends DPR (REBOOTING) to its peers
	var dpr []byte
	deadline := time.Now().Add(answerTimeout)
	for dpr == nil {
		for _, r := range mme.Requests() {
			if decode(t, r).Op == "DPR" {
				dpr = r
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the partner got no DPR from freeDiameter")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v := decode(t, dpr); string(v.OriginHost) != deaID.Host {
		t.Fatalf("DPR from %s, want %s", v.OriginHost, deaID.Host)
	}
	// The partner's DPA went back to freeDiameter.
	tp.fd.waitLog(t, answerTimeout, rcvFrom(mmeID.Host), msgID(0, diameter.CmdDisconnectPeer, "----"))
	<-tp.fd.done

	// freeDiameter has closed its connection after the DPA (RFC 6733
	// §5.4); Breakwater should close the partner's in turn.
	select {
	case <-mme.Closed():
		return
	case <-time.After(3 * time.Second):
	}
	var b diameter.Builder
	detail := "no answer to a DWR"
	if ans, err := mme.Do(mme.DWR(&b), 0, answerTimeout); err == nil {
		v := decode(t, ans)
		detail = v.Op + " " + strconv.Itoa(int(v.ResultCode)) + " from " + string(v.OriginHost) + " to a DWR"
	}
	t.Fatalf("after freeDiameter's DPR/DPA and close, the partner's connection stays open "+
		"(3 s later it still gets %s although freeDiameter has exited): the relay must end the pair, not reconnect", detail)
}
