package engine

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"breakwater/firewall/cluster"
	"breakwater/internal/redistest"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// BenchmarkStateBackend compares the per-message cost of the embedded
// store with the Redis-shared one (firewall/cluster) on the path that
// writes shared state: a partner's ULR and the home HSS's successful ULA,
// which records the subscriber's location (and, with Redis, queues it for
// the other nodes). Each iteration is one ULR and one ULA for one of 4,096
// subscribers. A real redis-server is started (skipped without one).
func BenchmarkStateBackend(b *testing.B) {
	var bld diameter.Builder
	const subs = 4096
	ulrs := make([][]byte, subs)
	ulas := make([][]byte, subs)
	for i := range subs {
		e2e := uint32(i + 1)
		ulrs[i] = append([]byte(nil), s6aRequest(&bld, diameter.CmdUpdateLocation, fmt.Sprintf("310260%09d", i), ukRealm, "23415", e2e)...)
		ulas[i] = append([]byte(nil), answer(&bld, diameter.CmdUpdateLocation, diameter.ResultSuccess, e2e)...)
	}
	run := func(b *testing.B, e *Engine) {
		j := e.NewJudge()
		var m view.Message
		at := t0
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			k := i % subs
			i++
			at = at.Add(time.Microsecond)
			diameter.Decode(ulrs[k], &m)
			m.Time, m.Src, m.Dst = at, ukMME, homeHSS
			j.Judge(&m)
			diameter.Decode(ulas[k], &m)
			m.Time, m.Src, m.Dst = at, homeHSS, ukMME
			j.Judge(&m)
		}
	}
	b.Run("memory", func(b *testing.B) {
		run(b, newEngine(b, ""))
	})
	b.Run("redis", func(b *testing.B) {
		r := redistest.Start(b)
		e := newEngine(b, "")
		cfg := e.Policy().Config
		n, err := cluster.New(cluster.Options{Addrs: []string{r.Addr()}, Prefix: "bench:", Name: "bench",
			LocationTTL: cfg.Velocity.LocationTTL, SessionTTL: cfg.GTPState.SessionTTL, Log: slog.New(slog.DiscardHandler)},
			NewMemoryState(cfg))
		if err != nil {
			b.Fatal(err)
		}
		n.Start()
		defer n.Close()
		deadline := time.Now().Add(5 * time.Second)
		for !n.Up() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !n.Up() {
			b.Fatal("Redis not reachable")
		}
		run(b, New(e.Policy(), n))
		b.ReportMetric(float64(n.Stats.Dropped.Load())/float64(b.N), "unshared/op")
	})
}
