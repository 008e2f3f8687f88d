package loadgen

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"breakwater/internal/diampeer"
	"breakwater/protocols/diameter"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	rng := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 100000 {
		d := time.Duration(rng.ExpFloat64() * float64(50*time.Microsecond))
		all = append(all, d)
		h.Record(d)
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := all[int(q*float64(len(all)))-1]
		got := h.Quantile(q)
		if got > want || float64(want-got) > 0.016*float64(want)+1 {
			t.Errorf("q%v: %v, exact %v (more than 1.6%% off)", q, got, want)
		}
	}
	if h.Count() != 100000 || h.Max() != all[len(all)-1] {
		t.Errorf("count %d max %v", h.Count(), h.Max())
	}
	for _, ns := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 40, 1<<63 - 1} {
		if lo := histLow(histIndex(ns)); lo > ns || histIndex(lo) != histIndex(ns) {
			t.Errorf("%d: bucket %d starts at %d", ns, histIndex(ns), lo)
		}
	}
}

var home = diampeer.Identity{Host: "hss.epc.mnc260.mcc310.3gppnetwork.org", Realm: "epc.mnc260.mcc310.3gppnetwork.org"}

func mix() []Request {
	build := func(code uint32) func(c *diampeer.Client, b *diameter.Builder) []byte {
		return func(c *diampeer.Client, b *diameter.Builder) []byte {
			return c.S6a(b, code, "310260000000001", home.Realm, "23415")
		}
	}
	return []Request{{"AIR", 3, build(diameter.CmdAuthenticationInfo)}, {"ULR", 1, build(diameter.CmdUpdateLocation)}}
}

func TestClosedLoop(t *testing.T) {
	srv, err := diampeer.Listen("tcp://127.0.0.1:0", home)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var marks []bool
	var servedAtMark int64
	res, err := Run(context.Background(), Options{Target: srv.Addr().String(), Conns: 2, Window: 4,
		Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond, Mix: mix(),
		Mark: func(begin bool) {
			marks = append(marks, begin)
			if begin {
				servedAtMark = srv.Count()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	// The counters are read before the latency measurement starts (the
	// reading must not stall measured requests) and after it ends, and
	// the answers between the readings are counted apart.
	if len(marks) != 2 || !marks[0] || marks[1] {
		t.Fatalf("Mark calls %v, want [true false]", marks)
	}
	if servedAtMark == 0 || res.Marked <= res.Answered || res.Marked > res.Total {
		t.Fatalf("served before the first mark %d; answers marked %d, measured %d, total %d", servedAtMark, res.Marked, res.Answered, res.Total)
	}
	if res.Answered == 0 || res.Answered > res.Sent+8 || res.ByResult[diameter.ResultSuccess] != res.Answered {
		t.Fatalf("sent %d answered %d by result %v", res.Sent, res.Answered, res.ByResult)
	}
	if res.Latency.Count() != res.Answered || res.Latency.Quantile(0.5) <= 0 {
		t.Fatalf("latency samples %d, median %v", res.Latency.Count(), res.Latency.Quantile(0.5))
	}
	if srv.Count() < int64(res.Answered) {
		t.Fatalf("server counted %d, generator %d answers", srv.Count(), res.Answered)
	}
	// The requests follow the mix: AIR three times as often as ULR.
	n := map[string]int{}
	for _, op := range srv.Ops() {
		n[op]++
	}
	if n["ULR"] == 0 || n["AIR"] < 2*n["ULR"] || n["AIR"] > 4*n["ULR"] {
		t.Fatalf("the server got %v, want AIR:ULR near 3:1", n)
	}
}

// TestOpenLoopRate: an open-loop run never sends faster than asked (the
// schedule is the ceiling), and a fast responder keeps up with a modest
// rate.
func TestOpenLoopRate(t *testing.T) {
	srv, err := diampeer.Listen("tcp://127.0.0.1:0", home)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const rate = 2000.0
	res, err := Run(context.Background(), Options{Target: srv.Addr().String(), Conns: 2, Window: 64, Rate: rate,
		Warmup: 50 * time.Millisecond, Duration: 500 * time.Millisecond, Mix: mix()})
	if err != nil {
		t.Fatal(err)
	}
	if most := rate*res.Elapsed.Seconds()*1.02 + 4; float64(res.Sent) > most {
		t.Fatalf("sent %d in %v: faster than %v/s", res.Sent, res.Elapsed, rate)
	}
	if res.Answered < res.Sent/3 {
		t.Fatalf("sent %d, answered %d", res.Sent, res.Answered)
	}
}

func TestEmptyMix(t *testing.T) {
	if _, err := Run(context.Background(), Options{Target: "tcp://127.0.0.1:1"}); err == nil {
		t.Fatal("no error for an empty mix")
	}
}
