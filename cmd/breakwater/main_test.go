package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	labConfig  = "../../testvectors/config.yaml"
	labCapture = "../../testvectors/diameter/scenarios.pcap"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	if code, _, errOut := runCLI(t); code != 2 || !strings.Contains(errOut, "replay") {
		t.Fatalf("no args: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := runCLI(t, "version"); code != 0 || !strings.HasPrefix(out, "breakwater ") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
	if code, _, errOut := runCLI(t, "replay", labCapture); code != 2 || !strings.Contains(errOut, "-c CONFIG is required") {
		t.Fatalf("replay without -c: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "replay", "-c", labConfig, "--format", "xml", labCapture); code != 2 || !strings.Contains(errOut, "unknown format") {
		t.Fatalf("bad format: exit %d, %q", code, errOut)
	}
}

func TestReplayJSONL(t *testing.T) {
	// Flags after the capture work too.
	code, out, errOut := runCLI(t, "replay", "-c", labConfig, labCapture, "--format", "jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 20 {
		t.Fatalf("only %d records", len(lines))
	}
	required := []string{"frame", "time", "proto", "src", "dst", "code", "app", "op", "request", "partner", "verdict", "rule", "category"}
	verdicts := map[string]int{}
	lastFrame := 0.0
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i+1, err, l)
		}
		for _, k := range required {
			if _, ok := rec[k]; !ok {
				t.Fatalf("line %d lacks %q: %s", i+1, k, l)
			}
		}
		if f := rec["frame"].(float64); f < lastFrame {
			t.Fatalf("line %d: frame %v before %v: records must be in capture order", i+1, f, lastFrame)
		} else {
			lastFrame = f
		}
		verdicts[rec["verdict"].(string)]++
		if imsi, ok := rec["imsi"].(string); ok && (len(imsi) != 16 || strings.HasPrefix(imsi, "310260")) {
			t.Fatalf("line %d: IMSI not pseudonymised: %s", i+1, l)
		}
	}
	for _, v := range []string{"allow", "drop", "reject"} {
		if verdicts[v] == 0 {
			t.Errorf("no %s verdict in the lab capture: %v", v, verdicts)
		}
	}
	if !strings.Contains(errOut, "signaling messages") {
		t.Errorf("JSONL summary missing from stderr: %q", errOut)
	}
}

func TestReplayRevealAndTable(t *testing.T) {
	code, out, errOut := runCLI(t, "replay", "-c", labConfig, "--reveal", labCapture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"FRAME", "VERDICT", "RULE", "310260", "DIA-C2-IDR-LOCATION", "PROTOCOL", "ALLOW"} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q", want)
		}
	}
}

func TestReplayMissingCapture(t *testing.T) {
	code, _, errOut := runCLI(t, "replay", "-c", labConfig, "/nonexistent.pcap")
	if code != 1 || !strings.Contains(errOut, "nonexistent.pcap") {
		t.Fatalf("exit %d, %q", code, errOut)
	}
}

func TestRulesCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("disable: [DIA-C3-NOT-SERVING]\nrules:\n  - id: X\n    match: 'op == \"IDR\"'\n    action: log\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rules:\n  - id: X\n    match: 'op == 3'\n    action: drop\n  - id: Y\n    match: 'true'\n    action: explode\n"), 0o644)
	if code, out, errOut := runCLI(t, "rules", "check", good); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("good file: exit %d %q %q", code, out, errOut)
	}
	code, _, errOut := runCLI(t, "rules", "check", bad)
	if code != 1 {
		t.Fatalf("bad file: exit %d", code)
	}
	for _, want := range []string{bad + ":3:", bad + ":7:", "explode"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("errors %q lack %q", errOut, want)
		}
	}
}

func TestRulesListAndVars(t *testing.T) {
	code, out, _ := runCLI(t, "rules", "list")
	if code != 0 || !strings.Contains(out, "DIA-C2-IDR-LOCATION") || !strings.Contains(out, "default") {
		t.Fatalf("rules list: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "rules", "vars")
	if code != 0 || !strings.Contains(out, "home_imsi") || !strings.Contains(out, "avp(") {
		t.Fatalf("rules vars: exit %d\n%s", code, out)
	}
}

func TestConfigCheck(t *testing.T) {
	if code, out, errOut := runCLI(t, "config", "check", "-c", labConfig); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("lab config: exit %d %q %q", code, out, errOut)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("home:\n  plmns: [\"310260\"]\nparnters: []\n"), 0o644)
	code, _, errOut := runCLI(t, "config", "check", "-c", bad)
	if code != 1 || !strings.Contains(errOut, bad+":3:1:") || !strings.Contains(errOut, `did you mean "partners"`) {
		t.Fatalf("bad config: exit %d %q", code, errOut)
	}
}

// The example deployment (deploy/) is a valid configuration with a valid
// rule file, and its systemd unit runs this command.
func TestDeployExample(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"config", "check", "-c", "../../deploy/breakwater.yaml"}, &out, &errOut); code != 0 {
		t.Fatalf("config check: %d %s", code, errOut.String())
	}
	if code := run([]string{"rules", "check", "../../deploy/rules.yaml"}, &out, &errOut); code != 0 {
		t.Fatalf("rules check: %d %s", code, errOut.String())
	}
	unit, err := os.ReadFile("../../deploy/breakwater.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ExecStart=/usr/local/bin/breakwater run -c /etc/breakwater/breakwater.yaml", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}
