//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Mirrors of the program's hashes (xdp.c: source_of and rate_allow), so
// that tests can pick addresses that share a slot. The program reads the
// 16-byte address (IPv4 as ::ffff:a.b.c.d) as four host-order words; BPF
// objects are built little-endian only.
func addrWords(a netip.Addr) (w [4]uint32) {
	b := a.As16()
	for i := range w {
		w[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return w
}

func sourceCacheSlot(a netip.Addr) uint32 {
	w := addrWords(a)
	return ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9e3779b1) >> (32 - 12)
}

func rateBucketIndex(a netip.Addr) uint32 {
	w := addrWords(a)
	return ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x85ebca6b) >> (32 - 16)
}

// collision returns an address of p and another of q (not the same
// address) for which slot gives the same index.
func collision(tb testing.TB, p, q netip.Prefix, slot func(netip.Addr) uint32) (netip.Addr, netip.Addr) {
	tb.Helper()
	seen := map[uint32]netip.Addr{}
	for a, n := p.Addr(), 0; p.Contains(a) && n < 1<<16; a, n = a.Next(), n+1 {
		if _, dup := seen[slot(a)]; !dup {
			seen[slot(a)] = a
		}
	}
	for b, n := q.Addr(), 0; q.Contains(b) && n < 1<<16; b, n = b.Next(), n+1 {
		if a, ok := seen[slot(b)]; ok && a != b {
			return a, b
		}
	}
	tb.Fatalf("no two addresses of %s and %s share a slot", p, q)
	return netip.Addr{}, netip.Addr{}
}

// rateBucketCollision returns two addresses of a rate-limited prefix that
// share a rate bucket: 100.64.0.0/15, or 2001:db8:64::/111 for IPv6. (The
// hash spreads each /16, or IPv6 /112, over distinct buckets.)
func rateBucketCollision(tb testing.TB, v6 bool) (limited netip.Prefix, a, b netip.Addr) {
	tb.Helper()
	if v6 {
		a, b = collision(tb, pfx("2001:db8:64::/112"), pfx("2001:db8:64::1:0/112"), rateBucketIndex)
		return pfx("2001:db8:64::/111"), a, b
	}
	a, b = collision(tb, pfx("100.64.0.0/16"), pfx("100.65.0.0/16"), rateBucketIndex)
	return pfx("100.64.0.0/15"), a, b
}

// holdBucket gives addr's rate bucket to addr with a TAT far in the
// future: a bucket no other address can take over.
func holdBucket(tb testing.TB, f *Filter, addr netip.Addr) {
	tb.Helper()
	v := xdpRateBucket{TatNs: 1 << 62, Addr: addr.As16()}
	if err := f.objs.RateBuckets.Put(rateBucketIndex(addr), &v); err != nil {
		tb.Fatal(err)
	}
}

// signaling is a Diameter/TCP frame from src, over IPv4 or IPv6.
func signaling(src netip.Addr) []byte {
	if src.Is4() {
		return diameterFrom(src.String())
	}
	return v6Frame(src.String(), dst6, ipProtoTCP, tcp(40000, 3868, 5))
}

// TestSourceCacheHitMatchesMiss runs every verdict case on an empty cache
// (a miss: the allowlist trie and the quarantine set decide) and then again
// (a hit: the cached answer decides): same action, same counter.
func TestSourceCacheHitMatchesMiss(t *testing.T) {
	for _, quarantine := range []bool{true, false} {
		t.Run(fmt.Sprintf("quarantine=%v", quarantine), func(t *testing.T) {
			spec := testSpec()
			if !quarantine {
				spec.Quarantined = nil
			}
			f := loadFilter(t, spec)
			for _, tc := range verdictCases() {
				if !quarantine && tc.reason == ReasonQuarantined {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					if err := f.bumpGeneration(); err != nil { // every slot misses
						t.Fatal(err)
					}
					for _, what := range []string{"miss", "hit", "hit again"} {
						expect(t, f, what, tc.frame, tc.action, tc.reason)
					}
				})
			}
		})
	}
}

// TestSourceCacheAllowlistChange: a source the cache knows is judged by the
// new allowlist from the very next packet after Update returns, both ways,
// IPv4 and IPv6.
func TestSourceCacheAllowlistChange(t *testing.T) {
	f := loadFilter(t, testSpec())
	warm := func(what string, frame []byte, action uint32, reason Reason) {
		t.Helper()
		for i := range 3 {
			expect(t, f, fmt.Sprintf("%s %d", what, i), frame, action, reason)
		}
	}
	warm("partner IPv4 before", diameterFrom(partner4), xdpPass, ReasonPassed)
	warm("partner IPv6 before", signaling(netip.MustParseAddr(partner6)), xdpPass, ReasonPassed)
	warm("unknown IPv4 before", diameterFrom(unknown4), xdpDrop, ReasonUnknownSource)
	warm("unknown IPv6 before", signaling(netip.MustParseAddr(unknown6)), xdpDrop, ReasonUnknownSource)

	// Swap: the partners' prefixes go, the unknown addresses come in.
	next := testSpec()
	next.Sources = []Source{
		{Prefix: pfx(unknown4 + "/32"), Partner: 50},
		{Prefix: pfx(unknown6 + "/128"), Partner: 51},
		{Prefix: pfx("203.0.113.128/25"), Partner: 40},
	}
	if err := f.Update(next); err != nil {
		t.Fatal(err)
	}
	expect(t, f, "partner IPv4 removed", diameterFrom(partner4), xdpDrop, ReasonUnknownSource)
	expect(t, f, "partner IPv6 removed", signaling(netip.MustParseAddr(partner6)), xdpDrop, ReasonUnknownSource)
	expect(t, f, "unknown IPv4 added", diameterFrom(unknown4), xdpPass, ReasonPassed)
	expect(t, f, "unknown IPv6 added", signaling(netip.MustParseAddr(unknown6)), xdpPass, ReasonPassed)

	// A changed entry (same prefix, now Home) changes the GTP verdict.
	gtpCat1 := gtpFrame(unknown4, gtpV2(130, true, false, imsiIE))
	warm("partner 50 GTPv2 Context Request", gtpCat1, xdpDrop, ReasonGTPCat1)
	next.Sources[0].Home = true
	if err := f.Update(next); err != nil {
		t.Fatal(err)
	}
	expect(t, f, "partner 50 now home", gtpCat1, xdpPass, ReasonPassed)
}

// TestSourceCacheQuarantineChange: quarantining and lifting take effect on
// the very next packet from a source the cache knows, with and without
// other partners quarantined, on signaling and other ports.
func TestSourceCacheQuarantineChange(t *testing.T) {
	for _, others := range []bool{true, false} {
		t.Run(fmt.Sprintf("others quarantined=%v", others), func(t *testing.T) {
			spec := testSpec()
			if !others {
				spec.Quarantined = nil
			}
			f := loadFilter(t, spec)
			ssh := v4Frame(partner4, dst4, ipProtoTCP, tcp(1, 22, 5))
			diam6 := signaling(netip.MustParseAddr(partner6))
			for i := range 3 {
				expect(t, f, fmt.Sprintf("before %d", i), diameterFrom(partner4), xdpPass, ReasonPassed)
				expect(t, f, fmt.Sprintf("before, SSH %d", i), ssh, xdpPass, ReasonNotSignaling)
				expect(t, f, fmt.Sprintf("before, IPv6 %d", i), diam6, xdpPass, ReasonPassed)
			}
			if err := f.Quarantine(10, true); err != nil {
				t.Fatal(err)
			}
			expect(t, f, "quarantined", diameterFrom(partner4), xdpDrop, ReasonQuarantined)
			expect(t, f, "quarantined, SSH", ssh, xdpDrop, ReasonQuarantined)
			expect(t, f, "other partner's IPv6", diam6, xdpPass, ReasonPassed)
			if err := f.Quarantine(11, true); err != nil {
				t.Fatal(err)
			}
			expect(t, f, "IPv6 partner quarantined", diam6, xdpDrop, ReasonQuarantined)
			if err := f.Quarantine(10, false); err != nil {
				t.Fatal(err)
			}
			expect(t, f, "lifted", diameterFrom(partner4), xdpPass, ReasonPassed)
			expect(t, f, "lifted, SSH", ssh, xdpPass, ReasonNotSignaling)
			if err := f.Quarantine(11, false); err != nil {
				t.Fatal(err)
			}
			expect(t, f, "IPv6 partner lifted", diam6, xdpPass, ReasonPassed)

			// Through Update too.
			spec.Quarantined = append(spec.Quarantined, 10)
			if err := f.Update(spec); err != nil {
				t.Fatal(err)
			}
			expect(t, f, "quarantined by Update", diameterFrom(partner4), xdpDrop, ReasonQuarantined)
			spec.Quarantined = spec.Quarantined[:len(spec.Quarantined)-1]
			if err := f.Update(spec); err != nil {
				t.Fatal(err)
			}
			expect(t, f, "lifted by Update", diameterFrom(partner4), xdpPass, ReasonPassed)
		})
	}
}

// TestSourceCacheCollisions: two sources that share a cache slot evict
// each other, and each is judged as itself every time.
func TestSourceCacheCollisions(t *testing.T) {
	known4, stranger4 := collision(t, pfx("192.0.2.0/25"), pfx("198.18.0.0/16"), sourceCacheSlot)
	partner, quarantined := collision(t, pfx("2001:db8:10::/112"), pfx("2001:db8:40::/112"), sourceCacheSlot)
	known6, stranger6 := collision(t, pfx("2001:db8:10::/112"), pfx("2001:db8:ffff::/112"), sourceCacheSlot)
	mobility, noMobility := collision(t, pfx("203.0.113.0/25"), pfx("2001:db8:10::/112"), sourceCacheSlot)
	mapped := netip.AddrFrom16(netip.MustParseAddr(partner4).As16()) // ::ffff:192.0.2.5, same bytes as the IPv4 partner
	// The IPv6 partner with one bit flipped in each of its first two
	// words: the same slot, the same last 8 bytes, outside the allowlist.
	halfway := netip.MustParseAddr("2001:db9:10:1::5")
	if sourceCacheSlot(mapped) != sourceCacheSlot(netip.MustParseAddr(partner4)) {
		t.Fatal("an IPv4 address and its IPv4-mapped IPv6 form should share a slot")
	}

	f := loadFilter(t, testSpec())
	relocation := func(src netip.Addr) []byte {
		if src.Is4() {
			return gtpFrame(src.String(), gtpV2(133, true, false, imsiIE))
		}
		return v6Frame(src.String(), dst6, ipProtoUDP, udp(2123, 2123, gtpV2(133, true, false, imsiIE)))
	}
	pairs := []struct {
		name         string
		a, b         []byte
		actA, actB   uint32
		whyA, whyB   Reason
		addrA, addrB netip.Addr
	}{
		{"known and unknown IPv4", signaling(known4), signaling(stranger4), xdpPass, xdpDrop, ReasonPassed, ReasonUnknownSource, known4, stranger4},
		{"partner and quarantined partner", signaling(partner), signaling(quarantined), xdpPass, xdpDrop, ReasonPassed, ReasonQuarantined, partner, quarantined},
		{"known and unknown IPv6", signaling(known6), signaling(stranger6), xdpPass, xdpDrop, ReasonPassed, ReasonUnknownSource, known6, stranger6},
		{"mobility flag", relocation(mobility), relocation(noMobility), xdpPass, xdpDrop, ReasonPassed, ReasonGTPCat1, mobility, noMobility},
		{"IPv4 and IPv4-mapped IPv6", diameterFrom(partner4), signaling(mapped), xdpPass, xdpDrop, ReasonPassed, ReasonUnknownSource, netip.MustParseAddr(partner4), mapped},
		{"IPv6 differing in the first half only", signaling(netip.MustParseAddr(partner6)), signaling(halfway), xdpPass, xdpDrop, ReasonPassed, ReasonUnknownSource, netip.MustParseAddr(partner6), halfway},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			if sourceCacheSlot(p.addrA) != sourceCacheSlot(p.addrB) {
				t.Fatalf("%s and %s do not share a slot", p.addrA, p.addrB)
			}
			for i := range 3 {
				expect(t, f, fmt.Sprintf("%s, round %d", p.addrA, i), p.a, p.actA, p.whyA)
				expect(t, f, fmt.Sprintf("%s again, round %d", p.addrA, i), p.a, p.actA, p.whyA)
				expect(t, f, fmt.Sprintf("%s, round %d", p.addrB, i), p.b, p.actB, p.whyB)
			}
		})
	}
}

// TestRateSharedBucket: two rate-limited addresses with the same bucket in
// rate_buckets each keep their own rate, while one holds the bucket and
// the other's state is in rate_limits, and across the bucket changing
// hands when its holder goes idle. One packet a second, burst 2: slow
// enough for a loaded machine or an emulated VM to keep up.
func TestRateSharedBucket(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("IPv6=%v", v6), func(t *testing.T) {
			t.Parallel()
			limited, a, b := rateBucketCollision(t, v6)
			spec := testSpec()
			spec.Sources = append(spec.Sources, Source{Prefix: limited, Partner: 60, RatePPS: 1, Burst: 2})
			f := loadFilter(t, spec)

			// a takes the bucket, b's state goes to rate_limits.
			for _, src := range []netip.Addr{a, b, a, b} {
				expect(t, f, src.String()+" burst", signaling(src), xdpPass, ReasonPassed)
			}
			for _, src := range []netip.Addr{a, b} {
				expect(t, f, src.String()+" over", signaling(src), xdpDrop, ReasonRateLimited)
				expect(t, f, src.String()+" over again", signaling(src), xdpDrop, ReasonRateLimited)
			}
			if got := rateBucketOwner(t, f, a); got != a {
				t.Errorf("the bucket holds %s, want %s", got, a)
			}

			// Both buckets full again: the bucket is idle, so it changes
			// hands to whichever address comes first (b); each again has
			// a burst of 2, a's state now in rate_limits.
			time.Sleep(2200 * time.Millisecond)
			for _, src := range []netip.Addr{b, a, b, a} {
				expect(t, f, src.String()+" burst after idle", signaling(src), xdpPass, ReasonPassed)
			}
			for _, src := range []netip.Addr{a, b} {
				expect(t, f, src.String()+" over after idle", signaling(src), xdpDrop, ReasonRateLimited)
			}
			if got := rateBucketOwner(t, f, a); got != b {
				t.Errorf("after idle, the bucket holds %s, want %s", got, b)
			}

			// A second on: one packet each.
			time.Sleep(1100 * time.Millisecond)
			for _, src := range []netip.Addr{a, b} {
				expect(t, f, src.String()+" a second on", signaling(src), xdpPass, ReasonPassed)
				expect(t, f, src.String()+" a second on, again", signaling(src), xdpDrop, ReasonRateLimited)
			}
		})
	}
}

// TestRateStateMovesWithAddress: an address whose state is in rate_limits
// (its bucket was held) and over its limit takes the bucket when the
// holder goes idle, and is still over its limit there; the previous holder
// starts afresh in rate_limits.
func TestRateStateMovesWithAddress(t *testing.T) {
	a, b := collision(t, pfx("100.64.0.0/16"), pfx("100.65.0.0/16"), rateBucketIndex)
	spec := testSpec()
	spec.Sources = append(spec.Sources,
		// idle 100 ms after a packet: long enough that two test runs in a
		// row stay within it on a slow (emulated) machine
		Source{Prefix: pfx("100.64.0.0/16"), Partner: 60, RatePPS: 10, Burst: 1},
		Source{Prefix: pfx("100.65.0.0/16"), Partner: 61, RatePPS: 1, Burst: 2},
	)
	f := loadFilter(t, spec)
	expect(t, f, "a takes the bucket", signaling(a), xdpPass, ReasonPassed)
	expect(t, f, "b in rate_limits", signaling(b), xdpPass, ReasonPassed)
	expect(t, f, "b in rate_limits, burst", signaling(b), xdpPass, ReasonPassed)
	time.Sleep(300 * time.Millisecond) // a's bucket idle, b still most of a second over
	expect(t, f, "b takes the bucket, over its limit", signaling(b), xdpDrop, ReasonRateLimited)
	expect(t, f, "b in the bucket, over its limit", signaling(b), xdpDrop, ReasonRateLimited)
	expect(t, f, "a afresh in rate_limits", signaling(a), xdpPass, ReasonPassed)
	expect(t, f, "a in rate_limits, over", signaling(a), xdpDrop, ReasonRateLimited)
	if got := rateBucketOwner(t, f, b); got != b {
		t.Errorf("the bucket holds %s, want %s", got, b)
	}
}

// rateBucketOwner returns the address addr's rate bucket holds.
func rateBucketOwner(tb testing.TB, f *Filter, addr netip.Addr) netip.Addr {
	tb.Helper()
	var v xdpRateBucket
	if err := f.objs.RateBuckets.Lookup(rateBucketIndex(addr), &v); err != nil {
		tb.Fatal(err)
	}
	return netip.AddrFrom16(v.Addr).Unmap()
}

// TestRateSharedBucketConcurrent charges two addresses that share a bucket
// from every CPU at once: however the bucket changes hands between them,
// each gets its burst and no more.
func TestRateSharedBucketConcurrent(t *testing.T) {
	limited, a, b := rateBucketCollision(t, false)
	spec := testSpec()
	spec.Sources = append(spec.Sources, Source{Prefix: limited, Partner: 60, RatePPS: 1, Burst: 50})
	f := loadFilter(t, spec)
	before := counters(t, f)
	start := time.Now()
	var wg sync.WaitGroup
	workers := runtime.NumCPU() * 2
	for w := range workers {
		wg.Go(func() {
			for i := range 100 {
				src := a
				if (w+i)%2 == 1 {
					src = b
				}
				run(t, f, diameterFrom(src.String()))
			}
		})
	}
	wg.Wait()
	d := delta(before, counters(t, f))
	total := uint64(workers * 100)
	// 50 each back to back, plus at most one each per second the test took.
	extra := 2 * uint64(time.Since(start)/time.Second+1)
	if d["passed"] < 100 || d["passed"] > 100+extra || d["passed"]+d["rate_limited"] != total {
		t.Errorf("passed %d, rate_limited %d of %d: want 100 (+%d for elapsed time) passed", d["passed"], d["rate_limited"], total, extra)
	}
}

// TestRateSharedBucketHandOver: two addresses that share a bucket, both
// far over a burst-1 limit, from every CPU at once. With burst 1 a bucket
// is idle exactly when its holder may send again, so the bucket keeps
// changing hands between them; however that races, neither address may
// get more than its rate.
func TestRateSharedBucketHandOver(t *testing.T) {
	const rate = 2000
	limited, a, b := rateBucketCollision(t, false)
	spec := testSpec()
	spec.Sources = append(spec.Sources, Source{Prefix: limited, Partner: 60, RatePPS: rate, Burst: 1})
	f := loadFilter(t, spec)
	frames := [2][]byte{diameterFrom(a.String()), diameterFrom(b.String())}
	before := counters(t, f)
	start := time.Now()
	var wg sync.WaitGroup
	var runs atomic.Uint64
	for w := range runtime.NumCPU() * 2 {
		wg.Go(func() {
			for i := 0; time.Since(start) < 300*time.Millisecond; i++ {
				run(t, f, frames[(w+i)%2])
				runs.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	d := delta(before, counters(t, f))
	// Each address: its burst, then one packet per 1/rate.
	limit := 2 * (1 + uint64(elapsed.Seconds()*rate))
	t.Logf("%d passed, %d rate_limited in %v (at most %d may pass)", d["passed"], d["rate_limited"], elapsed, limit)
	if d["passed"] > limit {
		t.Errorf("%d passed in %v: more than the two addresses' rate allows (%d)", d["passed"], elapsed, limit)
	}
	if d["passed"] < 2 || d["passed"]+d["rate_limited"] != runs.Load() {
		t.Errorf("counters moved %v for %d packets: want passed (both addresses at least once) and rate_limited only", d, runs.Load())
	}
	if owner := rateBucketOwner(t, f, a); owner != a && owner != b {
		t.Errorf("the bucket holds %s, want %s or %s", owner, a, b)
	}
}
