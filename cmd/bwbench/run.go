package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"breakwater/internal/diampeer"
	"breakwater/internal/loadgen"
	"breakwater/protocols/diameter"
)

// partnerID is the load generator's identity: the UK partner's MME, from
// 127.0.0.2 (a partner address in Breakwater's configuration).
var partnerID = diampeer.Identity{Host: "mme.epc.mnc015.mcc234.3gppnetwork.org", Realm: "epc.mnc015.mcc234.3gppnetwork.org"}

const partnerSource = "127.0.0.2"

// s6aMix is the request mix: what an MME of a roaming partner sends to a
// home HSS (authentication vectors most, then location updates,
// notifications and purges) plus probes the firewall must block (IDR, the
// location request an HSS sends, never a partner).
func s6aMix(probes float64) []loadgen.Request {
	n := 0
	build := func(code uint32, plmn string) func(c *diampeer.Client, b *diameter.Builder) []byte {
		return func(c *diampeer.Client, b *diameter.Builder) []byte {
			n++ // a different home subscriber per prebuilt request
			return c.S6a(b, code, fmt.Sprintf("3102600%08d", n), homeID.Realm, plmn)
		}
	}
	return []loadgen.Request{
		{Name: "AIR", Weight: 50, Build: build(diameter.CmdAuthenticationInfo, "23415")},
		{Name: "ULR", Weight: 20, Build: build(diameter.CmdUpdateLocation, "23415")},
		{Name: "NOR", Weight: 15, Build: build(diameter.CmdNotify, "")},
		{Name: "PUR", Weight: 5, Build: build(diameter.CmdPurgeUE, "")},
		// The others weigh 90: probes take that share of the whole.
		{Name: "IDR (blocked probe)", Weight: int(math.Round(90 * probes / (1 - probes))), Build: build(diameter.CmdInsertSubscriberData, "")},
	}
}

// setup is one way of reaching the responder.
type setup struct {
	Name   string `json:"name"`
	target string
	node   *proc // the process in the middle (the responder for direct)
	alloc  func() (allocCount, bool)
}

// allocCount is a Go process's allocation counters.
type allocCount struct{ bytes, objects uint64 }

// sample is one measurement of one setup.
type sample struct {
	res      *loadgen.Result
	cpu      time.Duration
	alloc    allocCount
	hasAlloc bool
}

// point aggregates the samples of one setup at one offered load.
type point struct {
	Offered   float64 `json:"offered_per_s"` // 0: closed loop, as fast as possible
	Rate      float64 `json:"answers_per_s"`
	P50       float64 `json:"p50_us"`
	P99       float64 `json:"p99_us"`
	P999      float64 `json:"p999_us"`
	AddedP50  float64 `json:"added_p50_us"` // over direct at the same offered load
	AddedP99  float64 `json:"added_p99_us"`
	AddedP999 float64 `json:"added_p999_us"`
	CPU       float64 `json:"cpu_us_per_msg"`      // the middle node's CPU time per answer
	Alloc     float64 `json:"alloc_bytes_per_msg"` // the middle node's bytes allocated per answer; -1: not measurable
	Allocs    float64 `json:"allocs_per_msg"`      // and objects allocated per answer
	Blocked   float64 `json:"blocked_share"`       // answers with a Result-Code other than 2001
	Answered  uint64  `json:"answered"`
	// RoundP99 is each round's own p99. Rounds run the set-ups back to
	// back, so the difference of two set-ups' p99 within a round is less
	// exposed to the machine's slow drifts than the pooled figures are.
	RoundP99  []float64 `json:"round_p99_us"`
	hist      loadgen.Histogram
	cpuSum    time.Duration
	allocSum  allocCount
	allocKnow bool
	elapsed   time.Duration
	other     uint64
	marked    uint64 // answers between the marks
}

type report struct {
	Time    time.Time           `json:"time"`
	Machine string              `json:"machine"`
	Options map[string]any      `json:"options"`
	Setups  []string            `json:"setups"`
	Max     map[string]*point   `json:"max"`    // closed loop
	Loads   []float64           `json:"loads"`  // offered rates
	Points  map[string][]*point `json:"points"` // per setup, per load
	Ratios  map[string]float64  `json:"ratios"`
	Missing []string            `json:"missing,omitempty"`
}

func runMain(args []string) error {
	fs := flag.NewFlagSet("bwbench", flag.ExitOnError)
	duration := fs.Duration("duration", 3*time.Second, "measurement time per run")
	warmup := fs.Duration("warmup", 500*time.Millisecond, "warm-up before each measurement")
	rounds := fs.Int("rounds", 3, "interleaved rounds (each setup once per round, order rotating)")
	conns := fs.Int("conns", 4, "partner connections")
	window := fs.Int("window", 16, "requests outstanding per connection in the closed-loop (maximum rate) runs")
	loads := fs.String("loads", "0.25,0.5,0.75", "offered loads, as fractions of the do-nothing relay's maximum rate")
	out := fs.String("out", "bench-results", "directory for results.json and results.png")
	bw := fs.String("breakwater", "bin/breakwater", "the breakwater binary")
	fd := fs.String("freediameter", "/usr/bin/freeDiameterd", "freeDiameterd (skipped if missing)")
	only := fs.String("setups", "direct,relay,breakwater,freediameter", "setups to run")
	tr := fs.String("transport", "tcp", "tcp (loopback) or sctp (kernel SCTP: in the VM harness, make test-sctp)")
	probes := fs.Float64("probes", 0.1, "share of the load that is location probes Breakwater blocks and answers itself (0 to 0.5)")
	profile := fs.String("profile", "", "`DIR` for CPU profiles of the relay and Breakwater over the whole invocation (relay.pprof, breakwater.pprof: go tool pprof)")
	pin := fs.String("pin", "", "`OWN/MIDDLE` CPU lists (taskset -c syntax): the load generator and responder run on OWN, the node in the middle (relay, Breakwater, freeDiameter) on MIDDLE, e.g. 0/1")
	fs.Parse(args)
	if *probes < 0 || *probes > 0.5 {
		return fmt.Errorf("-probes %v: give a share from 0 to 0.5", *probes)
	}
	if *pin != "" {
		own, middle, ok := strings.Cut(*pin, "/")
		if !ok || own == "" || middle == "" {
			return fmt.Errorf("-pin %q: write OWN/MIDDLE, e.g. 0/1", *pin)
		}
		if os.Getenv("BWBENCH_PINNED") == "" {
			// Re-run under taskset: every thread of this process (and the
			// responder it starts) on OWN.
			ts, err := exec.LookPath("taskset")
			if err != nil {
				return fmt.Errorf("-pin needs taskset (util-linux): %w", err)
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			return syscall.Exec(ts, append([]string{"taskset", "-c", own, self}, os.Args[1:]...), append(os.Environ(), "BWBENCH_PINNED=1"))
		}
		middleCPUs = middle
	}
	switch *tr {
	case "tcp", "sctp":
		scheme = *tr
	default:
		return fmt.Errorf("-transport %q: use tcp or sctp", *tr)
	}
	if abs, err := filepath.Abs(*bw); err == nil {
		*bw = abs // the nodes run in a temporary directory
	}

	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return err
		}
		if abs, err := filepath.Abs(*profile); err == nil {
			*profile = abs
		}
	}
	var fracs []float64
	for _, f := range strings.Split(*loads, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 || v > 2 {
			return fmt.Errorf("-loads: %q is not a fraction in (0, 2]", f)
		}
		fracs = append(fracs, v)
	}
	work, err := os.MkdirTemp("", "bwbench-")
	if err != nil {
		return err
	}
	defer func() {
		if keep := os.Getenv("BWBENCH_KEEP"); keep == "" {
			os.RemoveAll(work)
		} else {
			fmt.Fprintln(os.Stderr, "bwbench: logs kept in", work)
		}
	}()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var procs []*proc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		want[strings.TrimSpace(s)] = true
	}
	rep := &report{Time: time.Now().UTC(), Machine: machine(), Max: map[string]*point{}, Points: map[string][]*point{}, Ratios: map[string]float64{},
		Options: map[string]any{"duration": duration.String(), "warmup": warmup.String(), "rounds": *rounds, "conns": *conns, "window": *window, "transport": scheme + " (loopback)", "pin": *pin, "probes": *probes}}

	hssPort, hssStats := freePort(), freePort()
	resp, err := start(work, "responder", self, "responder", "-listen", url(hssPort), "-stats", hostPort(hssStats))
	if err != nil {
		return err
	}
	procs = append(procs, resp)
	var setups []*setup
	if want["direct"] {
		setups = append(setups, &setup{Name: "direct", target: url(hssPort), node: resp, alloc: statsAlloc(hssStats)})
	}
	if want["relay"] {
		port, stats := freePort(), freePort()
		args := []string{"relay", "-listen", url(port), "-upstream", url(hssPort), "-stats", hostPort(stats)}
		if *profile != "" {
			args = append(args, "-cpuprofile", filepath.Join(*profile, "relay.pprof"))
		}
		p, err := start(work, "relay", self, args...)
		if err != nil {
			return err
		}
		procs = append(procs, p)
		setups = append(setups, &setup{Name: "relay", target: url(port), node: p, alloc: statsAlloc(stats)})
	}
	if want["breakwater"] {
		port, admin := freePort(), freePort()
		cfg := filepath.Join(work, "breakwater.yaml")
		if err := os.WriteFile(cfg, []byte(breakwaterConfig(port, hssPort, admin)), 0o644); err != nil {
			return err
		}
		args := []string{"run", "-c", cfg}
		if *profile != "" {
			args = append(args, "-cpuprofile", filepath.Join(*profile, "breakwater.pprof"))
		}
		p, err := start(work, "breakwater", *bw, args...)
		if err != nil {
			return fmt.Errorf("%w (build it with make build, or pass -breakwater)", err)
		}
		procs = append(procs, p)
		setups = append(setups, &setup{Name: "breakwater", target: url(port), node: p, alloc: metricsAlloc(admin)})
	}
	if want["freediameter"] {
		if scheme != "tcp" {
			rep.Missing = append(rep.Missing, "freediameter: configured over TCP only in this harness")
		} else if _, err := os.Stat(*fd); err != nil {
			rep.Missing = append(rep.Missing, "freediameter: "+err.Error())
		} else {
			port := freePort()
			p, err := startFreeDiameter(work, *fd, port, hssPort)
			if err != nil {
				return err
			}
			procs = append(procs, p)
			setups = append(setups, &setup{Name: "freediameter", target: url(port), node: p, alloc: func() (allocCount, bool) { return allocCount{}, false }})
		}
	}
	for _, s := range setups {
		if err := waitServing(s.target, 20*time.Second); err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		rep.Setups = append(rep.Setups, s.Name)
	}

	measure := func(s *setup, rate float64) (sample, error) {
		// The node's CPU time and allocations are read when the measured
		// interval begins and ends: connection set-up and warm-up are
		// not charged to the measured answers.
		var cpu0, cpu1 time.Duration
		var alloc0, alloc1 allocCount
		var ok0, ok1 bool
		// Reading the counters allocates in the node too (a /metrics
		// scrape): two readings back to back at the start measure one
		// reading, which is taken off the interval's count.
		var probe allocCount
		mark := func(begin bool) {
			if begin {
				cpu0 = s.node.cpu()
				first, okf := s.alloc()
				alloc0, ok0 = s.alloc()
				ok0 = ok0 && okf
				probe = allocCount{alloc0.bytes - first.bytes, alloc0.objects - first.objects}
				return
			}
			cpu1 = s.node.cpu()
			alloc1, ok1 = s.alloc()
		}
		o := loadgen.Options{Target: s.target, From: partnerSource, ID: partnerID, Conns: *conns, Window: *window,
			Rate: rate, Warmup: *warmup, Duration: *duration, Mix: s6aMix(*probes), Mark: mark}
		if rate > 0 {
			o.Window = 256 // open loop: the rate sets the pace, not the window
		}
		res, err := loadgen.Run(context.Background(), o)
		if err != nil {
			return sample{}, fmt.Errorf("%s: %w", s.Name, err)
		}
		smp := sample{res: res, cpu: cpu1 - cpu0}
		if ok0 && ok1 {
			sub := func(a, b, c uint64) uint64 { return max(a-b, c) - c } // a-b-c, at least 0
			smp.alloc = allocCount{sub(alloc1.bytes, alloc0.bytes, probe.bytes), sub(alloc1.objects, alloc0.objects, probe.objects)}
			smp.hasAlloc = true
		}
		return smp, nil
	}
	runLevel := func(rate float64, label string) (map[string]*point, error) {
		pts := map[string]*point{}
		for r := 0; r < *rounds; r++ {
			for i := range setups {
				s := setups[(i+r)%len(setups)]
				smp, err := measure(s, rate)
				if err != nil {
					return nil, err
				}
				p := pts[s.Name]
				if p == nil {
					p = &point{Offered: rate, allocKnow: true}
					pts[s.Name] = p
				}
				p.add(smp)
				fmt.Fprintf(os.Stderr, "%-13s %-12s round %d: %s\n", label, s.Name, r+1, smp.res)
			}
		}
		direct := pts["direct"]
		for _, p := range pts {
			p.finish(direct)
		}
		return pts, nil
	}

	maxPts, err := runLevel(0, "max")
	if err != nil {
		return err
	}
	rep.Max = maxPts
	for _, su := range setups {
		if p := maxPts[su.Name]; p == nil || p.Answered == 0 {
			return fmt.Errorf("%s answered nothing in the maximum-rate run: lengthen -warmup and -duration (a slow or emulated machine); its log ends:\n%s",
				su.Name, su.node.tail(20))
		}
	}
	base := maxPts["relay"]
	if base == nil {
		base = maxPts[setups[0].Name]
	}
	for _, f := range fracs {
		rate := f * base.Rate
		rep.Loads = append(rep.Loads, rate)
		pts, err := runLevel(rate, fmt.Sprintf("%.0f%% (%.0f/s)", 100*f, rate))
		if err != nil {
			return err
		}
		for _, s := range setups {
			rep.Points[s.Name] = append(rep.Points[s.Name], pts[s.Name])
		}
	}
	if b, r := rep.Max["breakwater"], rep.Max["relay"]; b != nil && r != nil {
		rep.Ratios["breakwater_over_relay_throughput"] = b.Rate / r.Rate
	}
	if b, f := rep.Max["breakwater"], rep.Max["freediameter"]; b != nil && f != nil {
		rep.Ratios["breakwater_over_freediameter_throughput"] = b.Rate / f.Rate
	}
	if bs, rs := rep.Points["breakwater"], rep.Points["relay"]; len(bs) > 0 && len(rs) > 0 {
		for i, f := range fracs {
			if f == 0.5 {
				rep.Ratios["breakwater_p99_over_relay_us_at_50pct"] = bs[i].P99 - rs[i].P99
				rep.Ratios["breakwater_p99_over_relay_us_at_50pct_median_of_rounds"] = medianDiff(bs[i].RoundP99, rs[i].RoundP99)
				if lo, hi, ok := medianDiffCI(bs[i].RoundP99, rs[i].RoundP99); ok {
					rep.Ratios["breakwater_p99_over_relay_us_at_50pct_ci95_low"] = lo
					rep.Ratios["breakwater_p99_over_relay_us_at_50pct_ci95_high"] = hi
				}
			}
		}
	}

	printReport(os.Stdout, rep)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(*out, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := plotReport(rep, filepath.Join(*out, "results.png")); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(*out, "results.json"), filepath.Join(*out, "results.png"))
	return nil
}

func (p *point) add(s sample) {
	p.hist.Merge(&s.res.Latency)
	p.RoundP99 = append(p.RoundP99, us(s.res.Latency.Quantile(0.99)))
	p.Answered += s.res.Answered
	p.marked += s.res.Marked
	p.elapsed += s.res.Elapsed
	p.cpuSum += s.cpu
	p.allocSum.bytes += s.alloc.bytes
	p.allocSum.objects += s.alloc.objects
	p.allocKnow = p.allocKnow && s.hasAlloc
	p.other += s.res.Answered - s.res.ByResult[diameter.ResultSuccess]
}

// medianDiff is the median over rounds of a[r]-b[r].
func medianDiff(a, b []float64) float64 {
	d := diffs(a, b)
	if len(d) == 0 {
		return 0
	}
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

// diffs is a[r]-b[r] for the rounds both have, sorted.
func diffs(a, b []float64) []float64 {
	var d []float64
	for r := range min(len(a), len(b)) {
		d = append(d, a[r]-b[r])
	}
	slices.Sort(d)
	return d
}

// medianDiffCI is a 95% confidence interval for the median of a[r]-b[r],
// from order statistics alone (the sign test's: no assumption about how
// the machine's noise is distributed): the k-th smallest and k-th
// largest difference, for the largest k with P(Binomial(n, ½) < k) ≤
// 2.5%. It needs at least 6 rounds. This is what says whether a p99
// difference is within what the machine can resolve.
func medianDiffCI(a, b []float64) (lo, hi float64, ok bool) {
	d := diffs(a, b)
	n := len(d)
	k, cum, term := 0, 0.0, math.Pow(0.5, float64(n)) // term: P(X = j)
	for j := 0; j < n; j++ {
		if cum+term > 0.025 {
			break
		}
		cum += term
		k = j + 1
		term = term * float64(n-j) / float64(j+1)
	}
	if k == 0 {
		return 0, 0, false
	}
	return d[k-1], d[n-k], true
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func (p *point) finish(direct *point) {
	if p.elapsed > 0 {
		p.Rate = float64(p.Answered) / p.elapsed.Seconds()
	}
	p.P50, p.P99, p.P999 = us(p.hist.Quantile(0.5)), us(p.hist.Quantile(0.99)), us(p.hist.Quantile(0.999))
	if direct != nil {
		p.AddedP50, p.AddedP99, p.AddedP999 = p.P50-direct.P50, p.P99-direct.P99, p.P999-direct.P999
	}
	if p.marked > 0 {
		// CPU time and allocations were read at the marks, a little
		// wider than the latency measurement.
		p.CPU = us(p.cpuSum) / float64(p.marked)
		p.Alloc = float64(p.allocSum.bytes) / float64(p.marked)
		p.Allocs = float64(p.allocSum.objects) / float64(p.marked)
	}
	if p.Answered > 0 {
		p.Blocked = float64(p.other) / float64(p.Answered)
	}
	if !p.allocKnow {
		p.Alloc, p.Allocs = -1, -1
	}
}

func printReport(w io.Writer, rep *report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\n%s; %v × %s per run, %d connections, S6a mix with 10%% blocked probes\n\n", rep.Machine, rep.Options["rounds"], rep.Options["duration"], rep.Options["conns"])
	fmt.Fprintln(tw, "setup\toffered/s\tanswers/s\tp50 µs\tp99 µs\tp99.9 µs\tadded p99 µs\tCPU µs/msg\tallocs/msg\tB/msg\tnot 2001\t")
	row := func(name string, p *point) {
		if p == nil {
			return
		}
		off := "max"
		if p.Offered > 0 {
			off = fmt.Sprintf("%.0f", p.Offered)
		}
		allocs, alloc := "-", "-"
		if p.Alloc >= 0 {
			allocs, alloc = fmt.Sprintf("%.3f", p.Allocs), fmt.Sprintf("%.1f", p.Alloc)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%+.0f\t%.2f\t%s\t%s\t%.0f%%\t\n", name, off, p.Rate, p.P50, p.P99, p.P999, p.AddedP99, p.CPU, allocs, alloc, 100*p.Blocked)
	}
	for _, s := range rep.Setups {
		row(s, rep.Max[s])
	}
	for i := range rep.Loads {
		fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t\t\t\t")
		for _, s := range rep.Setups {
			if i < len(rep.Points[s]) {
				row(s, rep.Points[s][i])
			}
		}
	}
	tw.Flush()
	keys := make([]string, 0, len(rep.Ratios))
	for k := range rep.Ratios {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w)
	for _, k := range keys {
		fmt.Fprintf(w, "%s: %.2f\n", k, rep.Ratios[k])
	}
	for _, m := range rep.Missing {
		fmt.Fprintf(w, "not run: %s\n", m)
	}
}

// breakwaterConfig is the policy the harness runs: the inline example's
// home and UK partner, the baseline rules, one Diameter relay.
func breakwaterConfig(port, hssPort, admin int) string {
	return fmt.Sprintf(`home:
  plmns: ["310260"]
  realms: [%s]
  addresses: [127.0.0.1/32]
partners:
  - name: uk-partner
    plmns: ["23415"]
    realms: [%s]
    addresses: [127.0.0.2/32]
diameter:
  - name: bench
    listen: %s
    upstream: %s
admin:
  listen: 127.0.0.1:%d
velocity:
  max_subscribers: 65536
`, homeID.Realm, partnerID.Realm, url(port), url(hssPort), admin)
}

// proc is a child process.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func start(dir, name, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	if middleCPUs != "" && name != "responder" {
		cmd = exec.Command("taskset", append([]string{"-c", middleCPUs, bin}, args...)...)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr, p.cmd.Dir = lf, lf, dir
	if err := p.cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { p.cmd.Wait(); lf.Close(); close(p.done) }()
	return p, nil
}

// tail returns the last n lines of the node's log.
func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// cpu is the process's user and system time so far (/proc/PID/stat).
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s) // f[0] is the state, field 3 of stat
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// scheme is the transport between the nodes (-transport).
var scheme = "tcp"

// middleCPUs is where the node in the middle runs (-pin), "" anywhere.
var middleCPUs string

func url(port int) string      { return fmt.Sprintf("%s://127.0.0.1:%d", scheme, port) }
func hostPort(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// waitServing waits until a partner's AIR through target is answered 2001
// (the node and everything behind it are up).
func waitServing(target string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		c, err := diampeer.Dial(context.Background(), target, partnerID, partnerSource)
		if err == nil {
			var b diameter.Builder
			ans, err := c.Do(c.CER(&b, diameter.AppS6aS6d), 0, time.Second)
			if err == nil {
				ans, err = c.Do(c.S6a(&b, diameter.CmdAuthenticationInfo, "310260000000001", homeID.Realm, "23415"), 0, time.Second)
			}
			c.Close()
			if err == nil && diampeer.ResultCode(ans) == diameter.ResultSuccess {
				return nil
			}
			last = fmt.Errorf("AIR: %v (result %d)", err, diampeer.ResultCode(ans))
		} else {
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not serving after %v: %v", timeout, last)
}

// statsAlloc reads a bwbench node's allocation counters.
func statsAlloc(port int) func() (allocCount, bool) {
	return func() (allocCount, bool) {
		b, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/alloc", port))
		if err != nil {
			return allocCount{}, false
		}
		var a allocCount
		_, err = fmt.Sscan(string(b), &a.bytes, &a.objects)
		return a, err == nil
	}
}

// metricsAlloc reads go_memstats_alloc_bytes_total and
// go_memstats_mallocs_total from Breakwater's /metrics.
func metricsAlloc(port int) func() (allocCount, bool) {
	return func() (allocCount, bool) {
		b, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			return allocCount{}, false
		}
		var a allocCount
		found := 0
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			for name, dst := range map[string]*uint64{"go_memstats_alloc_bytes_total ": &a.bytes, "go_memstats_mallocs_total ": &a.objects} {
				if v, ok := strings.CutPrefix(sc.Text(), name); ok {
					f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					if err == nil {
						*dst = uint64(f)
						found++
					}
				}
			}
		}
		return a, found == 2
	}
}

func httpGet(u string) ([]byte, error) {
	c := http.Client{Timeout: 2 * time.Second}
	r, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return nil, errors.New(r.Status)
	}
	return io.ReadAll(r.Body)
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs", cpu, runtime.NumCPU())
}
