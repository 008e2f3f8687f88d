package main

import (
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"breakwater/internal/sctptest"
)

// TestMain lets the test binary be the harness's child nodes too, as the
// bwbench binary is (the harness runs os.Executable()).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "responder" || os.Args[1] == "relay") {
		var err error
		if os.Args[1] == "responder" {
			err = responderMain(os.Args[2:])
		} else {
			err = relayMain(os.Args[2:])
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestHarnessRuns runs the whole harness briefly: every setup answers,
// Breakwater blocks the probes and answers them itself, and the JSON and
// PNG are written.
func TestHarnessRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Breakwater, freeDiameter and load for several seconds")
	}
	if os.Getenv("BREAKWATER_VMTEST") == "1" {
		t.Skip("in the VM harness the SCTP variant runs (TestHarnessRunsSCTP)")
	}
	setups := "direct,relay,breakwater"
	if _, err := os.Stat("/usr/bin/freeDiameterd"); err == nil {
		setups += ",freediameter"
	}
	checkHarness(t, "tcp", setups, 3, "300ms", "100ms")
}

// TestHarnessRunsSCTP is the same over kernel SCTP: `make bench-sctp`
// runs it in the VM harness, which copies in a static breakwater binary
// and names it in BWBENCH_BREAKWATER. It is not part of make test: under
// software emulation the nodes are slow enough that a run may see SCTP
// receive-window stalls, which say nothing about Breakwater.
func TestHarnessRunsSCTP(t *testing.T) {
	if os.Getenv("BWBENCH_SCTP") != "1" {
		t.Skip("run by make bench-sctp")
	}
	sctptest.Require(t)
	// Longer runs: under emulation a run's first answers take a while.
	checkHarness(t, "sctp", "direct,relay,breakwater", 3, "3s", "2s", strings.Fields(os.Getenv("BWBENCH_SCTP_ARGS"))...)
}

// breakwaterBinary is BWBENCH_BREAKWATER, or breakwater built for the test.
func breakwaterBinary(t *testing.T) string {
	if bw := os.Getenv("BWBENCH_BREAKWATER"); bw != "" {
		return bw
	}
	bw := filepath.Join(t.TempDir(), "breakwater")
	if out, err := exec.Command("go", "build", "-o", bw, "../breakwater").CombinedOutput(); err != nil {
		t.Fatalf("building breakwater: %v\n%s", err, out)
	}
	return bw
}

// checkHarness runs the harness briefly over the transport and checks
// its report: at least minSetups setups answered.
func checkHarness(t *testing.T, tr, setups string, minSetups int, duration, warmup string, extra ...string) {
	bw := breakwaterBinary(t)
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"-duration", duration, "-warmup", warmup, "-rounds", "1", "-conns", "2",
		"-loads", "0.3", "-breakwater", bw, "-setups", setups, "-out", out, "-transport", tr}
	if err := runMain(append(args, extra...)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Options["transport"] != tr+" (loopback)" {
		t.Fatalf("report's transport %v, want %s", rep.Options["transport"], tr)
	}
	if len(rep.Setups) < minSetups || len(rep.Loads) != 1 {
		t.Fatalf("setups %v loads %v", rep.Setups, rep.Loads)
	}
	for _, s := range rep.Setups {
		m := rep.Max[s]
		if m == nil || m.Answered == 0 || m.Rate <= 0 || m.P99 <= 0 {
			t.Fatalf("%s: max %+v", s, m)
		}
		if pts := rep.Points[s]; len(pts) != 1 || pts[0].Answered == 0 {
			t.Fatalf("%s: points %+v", s, pts)
		}
	}
	// The responder answers every request 2001; Breakwater rejects the
	// IDR probes (a tenth of the mix) itself.
	if bl := rep.Max["breakwater"].Blocked; bl < 0.05 || bl > 0.15 {
		t.Errorf("breakwater answered %.0f%% with a refusal, want about 10%%", 100*bl)
	}
	if bl := rep.Max["relay"].Blocked; bl != 0 {
		t.Errorf("the do-nothing relay's answers: %.0f%% not 2001", 100*bl)
	}
	if a := rep.Max["breakwater"].Alloc; a < 0 {
		t.Errorf("Breakwater's allocations were not measured")
	}
	f, err := os.Open(filepath.Join(out, "results.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 500 {
		t.Fatalf("results.png: %v", err)
	}
}

func TestMedianDiff(t *testing.T) {
	for _, c := range []struct {
		a, b []float64
		want float64
	}{
		{nil, nil, 0},
		{[]float64{5}, []float64{2}, 3},
		{[]float64{10, 1, 7}, []float64{0, 0, 0}, 7},
		{[]float64{4, 9, 1, 100}, []float64{1, 1, 1, 1}, 5.5}, // differences 3, 8, 0, 99
		{[]float64{1, 2, 3}, []float64{1}, 0},                 // rounds of b missing: only the first pairs
	} {
		if got := medianDiff(c.a, c.b); got != c.want {
			t.Errorf("medianDiff(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestMedianDiffCI(t *testing.T) {
	seq := func(n int) []float64 { // differences 1..n against zeros
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(n - i)
		}
		return a
	}
	zeros := make([]float64, 20)
	// Binomial(n, ½) tables: n=6 → k=1; n=15 → k=4; n=20 → k=6.
	for _, c := range []struct {
		n      int
		lo, hi float64
	}{{6, 1, 6}, {15, 4, 12}, {20, 6, 15}} {
		lo, hi, ok := medianDiffCI(seq(c.n), zeros[:c.n])
		if !ok || lo != c.lo || hi != c.hi {
			t.Errorf("n=%d: [%v, %v] %v, want [%v, %v]", c.n, lo, hi, ok, c.lo, c.hi)
		}
	}
	if _, _, ok := medianDiffCI(seq(5), zeros[:5]); ok {
		t.Error("an interval from 5 rounds, which cannot give 95%")
	}
}
