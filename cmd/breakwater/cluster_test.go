package main

// Two Breakwater nodes sharing state through a real redis-server: a
// subscriber's location update crosses node A and the location probe
// node B; a quarantine is issued on A; Redis dies and comes back in the
// middle.

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"breakwater/internal/diampeer"
	"breakwater/internal/redistest"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

func clusterSection(redisAddr, node string) string {
	return fmt.Sprintf("state:\n  backend: redis\n  redis:\n    addrs: [%q]\n    node: %s\n    key_prefix: \"bwtest:\"\n    timeout: 300ms\n", redisAddr, node)
}

// ulr sends a ULR for imsi from partner p's MME and returns the result code.
func ulr(t testing.TB, c *diampeer.Client, p labPartner, imsi string) uint32 {
	t.Helper()
	var b diameter.Builder
	ans, err := c.Do(c.S6a(&b, diameter.CmdUpdateLocation, imsi, hssID.Realm, p.plmn), 0, 5*time.Second)
	if err != nil {
		t.Fatalf("%s ULR for %s: %v", p.name, imsi, err)
	}
	return diampeer.ResultCode(ans)
}

// knows reports whether the node's engine knows where imsi is.
func knows(rn *running, imsi string) bool {
	var d view.Digits
	d.SetASCII([]byte(imsi))
	key, _ := d.Uint64()
	_, ok := rn.eng.State().Location(key, time.Now())
	return ok
}

func TestClusterSharesState(t *testing.T) {
	redis := redistest.Start(t)
	hss := homeHSS(t)
	hss.Record.Store(false)
	rnA, logsA, _ := startServeLogged(t, writeFaultConfig(t, diameterSection(hss.Addr().String())+clusterSection(redis.Addr(), "node-a")), nil)
	rnB, logsB, _ := startServeLogged(t, writeFaultConfig(t, diameterSection(hss.Addr().String())+clusterSection(redis.Addr(), "node-b")), nil)
	waitFor(t, 5*time.Second, "both nodes to reach Redis", func() bool { return rnA.state.node.Up() && rnB.state.node.Up() })
	ukA := dialPartner(t, rnA.relays[0].Addr().String(), ukLab)
	deB := dialPartner(t, rnB.relays[0].Addr().String(), deLab)

	// 1. The subscriber registers in the UK through node A; a moment later
	// Germany claims it through node B: impossible travel, refused by B.
	const imsi1 = "310260000000101"
	if rc := ulr(t, ukA, ukLab, imsi1); rc != diameter.ResultSuccess {
		t.Fatalf("UK ULR through A: %d", rc)
	}
	waitFor(t, time.Second, "node B to learn the location", func() bool { return knows(rnB, imsi1) })
	if rc := ulr(t, deB, deLab, imsi1); rc == diameter.ResultSuccess {
		t.Fatal("node B allowed an impossible-travel ULR for a subscriber node A had placed in the UK")
	}
	// Control: a subscriber B has never heard of is allowed from Germany.
	if rc := ulr(t, deB, deLab, "310260000000199"); rc != diameter.ResultSuccess {
		t.Fatalf("control ULR through B: %d", rc)
	}

	// 2. Redis dies. Both nodes go on filtering with what they know and
	// say so; nothing waits on Redis.
	redis.Stop()
	waitFor(t, 3*time.Second, "both nodes to notice", func() bool {
		return metric(t, rnA, "breakwater_state_redis_up") == 0 && metric(t, rnB, "breakwater_state_redis_up") == 0
	})
	const imsi2 = "310260000000102"
	start := time.Now()
	if rc := ulr(t, ukA, ukLab, imsi2); rc != diameter.ResultSuccess {
		t.Fatalf("UK ULR through A during the outage: %d", rc)
	}
	if rc := ulr(t, deB, deLab, imsi1); rc == diameter.ResultSuccess {
		t.Fatal("during the outage node B forgot what it knew")
	}
	t.Logf("two round trips during the outage: %v", time.Since(start))
	for _, l := range []*syncBuffer{logsA, logsB} {
		if !strings.Contains(l.String(), "Redis unreachable") {
			t.Fatal("the outage is not logged")
		}
	}

	// 3. Redis returns, empty. What A learned during the outage reaches B,
	// and new traffic is judged as before.
	redis.Restart()
	waitFor(t, 5*time.Second, "both nodes back", func() bool { return rnA.state.node.Up() && rnB.state.node.Up() })
	waitFor(t, 2*time.Second, "node B to learn the outage's location", func() bool { return knows(rnB, imsi2) })
	if rc := ulr(t, deB, deLab, imsi2); rc == diameter.ResultSuccess {
		t.Fatal("after Redis returned, node B allowed impossible travel learned by A during the outage")
	}
	const imsi3 = "310260000000103"
	if rc := ulr(t, ukA, ukLab, imsi3); rc != diameter.ResultSuccess {
		t.Fatalf("UK ULR through A after the outage: %d", rc)
	}
	waitFor(t, time.Second, "node B to learn the new location", func() bool { return knows(rnB, imsi3) })
	if rc := ulr(t, deB, deLab, imsi3); rc == diameter.ResultSuccess {
		t.Fatal("after the outage node B allowed impossible travel")
	}

	// 4. The operator quarantines Germany on node A: within a second node
	// B drops it too and closes its association.
	resp, err := http.Post("http://"+rnA.admin.Addr().String()+"/api/v1/quarantine/de?reason=test", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("quarantine on A: %s", resp.Status)
	}
	issued := time.Now()
	waitFor(t, time.Second, "node B to quarantine de", func() bool { return rnB.quarantine.Quarantined("de") })
	t.Logf("quarantine issued on A in force on B after %v", time.Since(issued))
	// Its association is closed (by the quarantine's subscribers, just
	// after the entry is in force): probes go unanswered.
	var b diameter.Builder
	waitFor(t, time.Second, "node B to close the quarantined partner's connection", func() bool {
		_, err := deB.Do(deB.S6a(&b, diameter.CmdInsertSubscriberData, "310260000000104", hssID.Realm, ""), 0, 200*time.Millisecond)
		return err != nil
	})
	waitFor(t, 3*time.Second, "node B to count node A as its peer (hello every second)", func() bool {
		return metric(t, rnB, "breakwater_cluster_peers") == 1
	})
	resp, err = http.Get("http://" + rnB.admin.Addr().String() + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		State struct {
			Backend string
			Node    string
			RedisUp bool `json:"redis_up"`
			Peers   map[string]string
		}
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.State.Backend != "redis" || st.State.Node != "node-b" || !st.State.RedisUp || st.State.Peers["node-a"] == "" {
		t.Errorf("status of node B: %+v", st.State)
	}
	if v := metric(t, rnB, "breakwater_cluster_policy_mismatch"); v != 0 {
		t.Errorf("policy mismatch %v between nodes with the same configuration", v)
	}
}

// TestSnapshotAcrossRestart: with state.snapshot_file, a node restarted
// still knows where the subscribers it saw are.
func TestSnapshotAcrossRestart(t *testing.T) {
	hss := homeHSS(t)
	hss.Record.Store(false)
	dir := t.TempDir()
	cfg := writeFaultConfig(t, diameterSection(hss.Addr().String())+
		fmt.Sprintf("state:\n  snapshot_file: %s/state.snap\n  snapshot_every: 1h\n", dir))
	rn, _, stop := startServeLogged(t, cfg, nil)
	uk := dialPartner(t, rn.relays[0].Addr().String(), ukLab)
	const imsi = "310260000000111"
	if rc := ulr(t, uk, ukLab, imsi); rc != diameter.ResultSuccess {
		t.Fatalf("ULR: %d", rc)
	}
	if err := stop(); err != nil { // the snapshot is written at shutdown
		t.Fatal(err)
	}
	rn2, logs, _ := startServeLogged(t, cfg, nil)
	if !knows(rn2, imsi) {
		t.Fatalf("the restarted node forgot the subscriber's location; log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "state restored from snapshot") {
		t.Fatal("the restore is not logged")
	}
	// And the restored location is enforced: Germany, a moment later, is refused.
	de := dialPartner(t, rn2.relays[0].Addr().String(), deLab)
	if rc := ulr(t, de, deLab, imsi); rc == diameter.ResultSuccess {
		t.Fatal("impossible travel allowed after a restart with a snapshot")
	}
}

// TestClusterPasswordFile: state.redis.password_file is read (first line)
// and used; a missing file stops the start with the file and line.
func TestClusterPasswordFile(t *testing.T) {
	redis := redistest.Start(t, "--requirepass", "pw-from-file")
	hss := homeHSS(t)
	dir := t.TempDir()
	pw := dir + "/redis.pass"
	os.WriteFile(pw, []byte("pw-from-file\n"), 0o600)
	section := clusterSection(redis.Addr(), "node-p") + "    password_file: " + pw + "\n"
	rn, _, _ := startServeLogged(t, writeFaultConfig(t, diameterSection(hss.Addr().String())+section), nil)
	waitFor(t, 5*time.Second, "the node to reach Redis with the password", rn.state.node.Up)

	cfg := writeFaultConfig(t, diameterSection(hss.Addr().String())+clusterSection(redis.Addr(), "node-q")+"    password_file: "+dir+"/missing\n")
	err := serve(t.Context(), cfg, slog.New(slog.DiscardHandler), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "state.redis.password_file") || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("start with a missing password file: %v", err)
	}
}

// TestClusterTLS: state.redis.tls.ca_file makes the node speak TLS to
// Redis; a CA file that holds no certificate stops the start.
func TestClusterTLS(t *testing.T) {
	f := redistest.NewTLSFiles(t)
	redis := redistest.StartTLS(t, f)
	hss := homeHSS(t)
	section := clusterSection(redis.Addr(), "node-t") + "    tls:\n      ca_file: " + f.CA + "\n"
	rn, _, _ := startServeLogged(t, writeFaultConfig(t, diameterSection(hss.Addr().String())+section), nil)
	waitFor(t, 5*time.Second, "the node to reach Redis over TLS", rn.state.node.Up)

	bad := t.TempDir() + "/empty.pem"
	os.WriteFile(bad, []byte("not a certificate\n"), 0o600)
	cfg := writeFaultConfig(t, diameterSection(hss.Addr().String())+clusterSection(redis.Addr(), "node-u")+"    tls:\n      ca_file: "+bad+"\n")
	err := serve(t.Context(), cfg, slog.New(slog.DiscardHandler), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "state.redis.tls") || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("start with a CA file without certificates: %v", err)
	}
}
