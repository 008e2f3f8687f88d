package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"breakwater/internal/diampeer"
	"breakwater/protocols/diameter"
)

// TestMain lets the test binary act as the breakwater command, so that
// signal handling is tested on a real process.
func TestMain(m *testing.M) {
	if os.Getenv("BREAKWATER_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const inlineConfig = `
home:
  plmns: ["310260"]
  realms: ["epc.mnc260.mcc310.3gppnetwork.org"]
  addresses: ["127.0.0.1/32"]
partners:
  - name: uk
    plmns: ["23415"]
    realms: ["epc.mnc015.mcc234.3gppnetwork.org"]
    addresses: ["127.0.0.2/32"]
velocity:
  max_subscribers: 4096
diameter:
  - name: uk-dea
    listen: tcp://127.0.0.1:%d
    upstream: %s
admin:
  listen: 127.0.0.1:%d
shutdown_timeout: 3s
`

func writeInlineConfig(t *testing.T, upstream string, port, adminPort int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "breakwater.yaml")
	if err := os.WriteFile(p, []byte(fmt.Sprintf(inlineConfig, port, upstream, adminPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	hssID = diampeer.Identity{Host: "hss.epc.mnc260.mcc310.3gppnetwork.org", Realm: "epc.mnc260.mcc310.3gppnetwork.org"}
	mmeID = diampeer.Identity{Host: "mme.epc.mnc015.mcc234.3gppnetwork.org", Realm: "epc.mnc015.mcc234.3gppnetwork.org"}
)

func TestServeRelaysAndReports(t *testing.T) {
	hss, err := diampeer.Listen("tcp://127.0.0.1:0", hssID)
	if err != nil {
		t.Fatal(err)
	}
	defer hss.Close()
	cfg := writeInlineConfig(t, hss.Addr().String(), 0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *running, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), started) }()
	var rn *running
	select {
	case rn = <-started:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	mme, err := diampeer.Dial(context.Background(), rn.relays[0].Addr().String(), mmeID, "127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	var b diameter.Builder
	if _, err := mme.Do(mme.CER(&b, diameter.AppS6aS6d), 0, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	ulr, err := mme.Do(mme.S6a(&b, diameter.CmdUpdateLocation, "310260000000001", hssID.Realm, "23415"), 0, 3*time.Second)
	if err != nil || diampeer.ResultCode(ulr) != 2001 {
		t.Fatalf("ULR: %v", err)
	}
	idr, err := mme.Do(mme.S6a(&b, diameter.CmdInsertSubscriberData, "310260000000001", hssID.Realm, ""), 0, 3*time.Second)
	if err != nil || diampeer.ResultCode(idr) != 5012 {
		t.Fatalf("IDR: %v", err)
	}
	base := "http://" + rn.admin.Addr().String()
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `breakwater_rule_hits_total{action="reject",category="2",rule="DIA-C2-IDR-LOCATION"} 1`,
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %d, missing %q in:\n%s", path, resp.StatusCode, want, body)
		}
		if path == "/metrics" {
			for _, m := range []string{
				`breakwater_messages_total{direction="inbound",protocol="diameter",verdict="allow"} 2`,
				`breakwater_diameter_local_answers_total{reason="rejected",relay="uk-dea"} 1`,
				`breakwater_diameter_connection_pairs{relay="uk-dea"} 1`,
				`breakwater_policy_info{version="gsma-baseline-1"} 1`,
			} {
				if !strings.Contains(string(body), m) {
					t.Errorf("metrics lack %s", m)
				}
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case <-mme.Closed():
	case <-time.After(3 * time.Second):
		t.Fatal("partner connection open after shutdown")
	}
}

func TestServeReportsBadListen(t *testing.T) {
	// 192.0.2.1 (TEST-NET-1) is not an address of this host.
	cfg := writeInlineConfig(t, "tcp://127.0.0.1:1", 0, 0)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(data, []byte("listen: tcp://127.0.0.1:0"), []byte("listen: tcp://192.0.2.1:3868"), 1), 0o644)
	err := serve(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), cfg+":") || !strings.Contains(err.Error(), `relay "uk-dea"`) {
		t.Fatalf("binding an address this host lacks: %v", err)
	}
}

// TestRunStopsOnSIGTERM runs the real command in a process and stops it
// with SIGTERM: it must exit 0 after a graceful shutdown.
func TestRunStopsOnSIGTERM(t *testing.T) {
	hss, err := diampeer.Listen("tcp://127.0.0.1:0", hssID)
	if err != nil {
		t.Fatal(err)
	}
	defer hss.Close()
	cfg := writeInlineConfig(t, hss.Addr().String(), 0, 0)
	cmd := exec.Command(os.Args[0], "run", "-c", cfg, "--log-format", "json")
	cmd.Env = append(os.Environ(), "BREAKWATER_TEST_MAIN=1")
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "breakwater running") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
