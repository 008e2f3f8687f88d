package audit

import (
	"runtime"
	"testing"

	"breakwater/firewall/pseudonym"
	"breakwater/firewall/rules"
)

// chunk is how many records the chunked benchmarks queue between drains.
const chunk = 1 << 14

// BenchmarkRecordQueued is the message path's cost when the record is
// queued: Record into a queue with room (the writer held back while the
// clock runs, and let drain with the clock stopped).
func BenchmarkRecordQueued(b *testing.B) {
	var g gate
	l := openTest(b, Config{QueueLen: chunk + 1}, hooks{take: g.hook})
	m, v := diameterMsg(b, 1), verdict(rules.Drop)
	b.ReportAllocs()
	queued, total := 0, uint64(0)
	settle := func() {
		total += uint64(queued)
		queued = 0
		g.open()
		for accounted(l.Stats()) < total {
			runtime.Gosched()
		}
		g.shut()
	}
	g.shut()
	for b.Loop() {
		if queued == chunk {
			b.StopTimer()
			settle()
			b.StartTimer()
		}
		l.Record(m, v, "dra")
		queued++
	}
	b.StopTimer()
	settle()
	g.open()
	if d := l.Stats().Dropped; d != 0 {
		b.Fatalf("%d records dropped: the benchmark measured the wrong path", d)
	}
}

// BenchmarkRecordFull is the cost when the queue is full and the record is
// only counted.
func BenchmarkRecordFull(b *testing.B) {
	var g gate
	g.shut()
	defer g.open()
	l := openTest(b, Config{QueueLen: 16}, hooks{take: g.hook})
	m, v := diameterMsg(b, 1), verdict(rules.Drop)
	for l.Stats().Dropped == 0 {
		l.Record(m, v, "dra")
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Record(m, v, "dra")
	}
}

// BenchmarkRecordParallel records from every P into a running writer
// writing a real file: the queue fills when the writer falls behind, so
// this is the mix of queued and dropped records a flood produces
// (reported as dropped/op).
func BenchmarkRecordParallel(b *testing.B) {
	l := openTest(b, Config{}, hooks{})
	v := verdict(rules.Drop)
	b.ReportAllocs()
	b.ResetTimer() // the queue allocated by Open is not the message path's
	b.RunParallel(func(pb *testing.PB) {
		m := diameterMsg(b, 1)
		for pb.Next() {
			l.Record(m, v, "dra")
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(l.Stats().Dropped)/float64(b.N), "dropped/op")
}

// BenchmarkWriter is the writer's cost per record: format, two
// pseudonyms, and its share of a batched write to a file.
func BenchmarkWriter(b *testing.B) {
	var g gate
	l := openTest(b, Config{QueueLen: chunk}, hooks{take: g.hook})
	m, v := diameterMsg(b, 1), verdict(rules.Drop)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		b.StopTimer()
		g.shut()
		for range n {
			l.Record(m, v, "dra")
		}
		want := uint64(done + n)
		b.StartTimer()
		g.open()
		for accounted(l.Stats()) < want {
			runtime.Gosched()
		}
		done += n
	}
	b.StopTimer()
	if s := l.Stats(); s.Written != uint64(b.N) {
		b.Fatalf("stats %+v, want %d written", s, b.N)
	}
}

// BenchmarkLine is formatting alone (with pseudonyms), without I/O.
func BenchmarkLine(b *testing.B) {
	w := &writer{hasher: pseudonym.New([]byte(testKey)), buf: make([]byte, 0, 4096)}
	var e entry
	e.set(diameterMsg(b, 1), verdict(rules.Drop), "dra")
	b.ReportAllocs()
	for b.Loop() {
		w.buf = w.appendLine(w.buf[:0], &e)
	}
	b.SetBytes(int64(len(w.buf)))
}
