package proxy

import (
	"math/rand/v2"
	"testing"
	"time"

	"breakwater/firewall/transport"
	"breakwater/protocols/diameter"
)

func inflightRequest(b *diameter.Builder, hbh uint32, sid string) transport.Message {
	b.Start(diameter.FlagRequest|diameter.FlagProxiable, diameter.CmdUpdateLocation, diameter.AppS6aS6d, hbh, hbh^0xffff)
	if sid != "" {
		b.String(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, sid)
	}
	return transport.Message{Data: b.String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, "mme").Message(), Stream: uint16(hbh % 7), PPID: 46}
}

// TestInflightModel drives the table with random adds, removes and takes
// on two connections (small hop-by-hop ranges, so probe chains collide,
// wrap around the table and shift back) and compares it with a map.
func TestInflightModel(t *testing.T) {
	var f inflight
	var b diameter.Builder
	ups := []*endpoint{{}, {}}
	model := map[uint32]*endpoint{}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UnixNano()
	for step := range 200000 {
		hbh := uint32(rng.IntN(3000))
		switch op := rng.IntN(100); {
		case op < 55:
			if _, dup := model[hbh]; dup {
				continue // hop-by-hop identifiers are unique among outstanding requests
			}
			up := ups[rng.IntN(2)]
			f.add(up, inflightRequest(&b, hbh, "s;"+string(rune('a'+hbh%26))), hbh, now)
			model[hbh] = up
		case op < 99:
			_, want := model[hbh]
			if got := f.remove(hbh); got != want {
				t.Fatalf("step %d: remove(%d) = %v, want %v", step, hbh, got, want)
			}
			delete(model, hbh)
		default:
			up := ups[rng.IntN(2)]
			got := map[uint32]bool{}
			for _, r := range f.take(up) {
				if got[r.hbh] || model[r.hbh] != up {
					t.Fatalf("step %d: take returned %d twice or from the wrong connection", step, r.hbh)
				}
				got[r.hbh] = true
				if r.e2e != r.hbh^0xffff || r.code != diameter.CmdUpdateLocation || r.app != diameter.AppS6aS6d ||
					string(r.sid) != "s;"+string(rune('a'+r.hbh%26)) || r.stream != uint16(r.hbh%7) || r.ppid != 46 {
					t.Fatalf("step %d: request %d taken as %+v", step, r.hbh, r)
				}
				delete(model, r.hbh)
			}
			for h, u := range model {
				if u == up {
					t.Fatalf("step %d: take left %d behind", step, h)
				}
			}
		}
		if f.len() != len(model) {
			t.Fatalf("step %d: len %d, model %d", step, f.len(), len(model))
		}
	}
}

// TestInflightAnswer: a taken request rebuilds into one that Answer
// answers with the request's identifiers and Session-Id.
func TestInflightAnswer(t *testing.T) {
	var f inflight
	var b, ab diameter.Builder
	up := &endpoint{}
	f.add(up, inflightRequest(&b, 7, "mme;1;2"), 7, 0)
	f.add(up, inflightRequest(&b, 8, ""), 8, 0)
	taken := f.take(up)
	if len(taken) != 2 || f.len() != 0 {
		t.Fatalf("took %d, %d left", len(taken), f.len())
	}
	for _, r := range taken {
		ans, ok := ab.Answer(r.request(&b), diameter.ResultUnableToDeliver, "hss", "realm")
		if !ok {
			t.Fatal("not answerable")
		}
		v := decode(t, ans)
		sid, n := diameter.FindAVP(ans, diameter.AVPSessionID, 0)
		if v.Request || v.ResultCode != 3002 || ans[4]&diameter.FlagError == 0 || v.Code != diameter.CmdUpdateLocation ||
			uint32(v.Transaction) != r.hbh || (r.hbh == 7) != (n == 1) || n == 1 && string(sid.Data) != "mme;1;2" {
			t.Fatalf("answer %x", ans)
		}
	}
}

// TestInflightBoundsAndStale: the table stops at inflightMaxSlots (three
// quarters full), and reclaims entries the upstream never answered once
// they are stale.
func TestInflightBoundsAndStale(t *testing.T) {
	var f inflight
	var b diameter.Builder
	up := &endpoint{}
	now := int64(1e18)
	for i := range uint32(inflightMaxSlots) {
		f.add(up, inflightRequest(&b, i, "s"), i, now)
	}
	if f.len() != inflightMaxSlots*3/4 || len(f.slots) != inflightMaxSlots {
		t.Fatalf("%d remembered in %d slots", f.len(), len(f.slots))
	}
	later := now + inflightStale + int64(time.Second)
	f.add(up, inflightRequest(&b, 1<<20, "s"), 1<<20, later)
	if f.len() != 1 || !f.remove(1<<20) {
		t.Fatalf("stale entries not reclaimed: %d left", f.len())
	}
}

// TestInflightNoAllocation: once grown, adding and removing allocates
// nothing.
func TestInflightNoAllocation(t *testing.T) {
	var f inflight
	var b diameter.Builder
	up := &endpoint{}
	msgs := make([]transport.Message, 64)
	for i := range msgs {
		m := inflightRequest(&b, uint32(i), "mme.epc.mnc015.mcc234.3gppnetwork.org;1681234567;12345678")
		msgs[i] = transport.Message{Data: append([]byte(nil), m.Data...)}
	}
	hbh := uint32(0)
	round := func() {
		for i := range msgs {
			f.add(up, msgs[i], hbh+uint32(i), 0)
		}
		for i := range msgs {
			f.remove(hbh + uint32(i))
		}
		hbh += uint32(len(msgs))
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(100, round); n != 0 {
		t.Fatalf("%v allocations per 64 requests", n)
	}
}

// TestInflightRepeatedHopByHop: a peer that sends one hop-by-hop id again
// and again (a retransmission, or a hostile peer) keeps one entry for it:
// the probe chain does not grow with the repeats, and removing the id
// empties the table.
func TestInflightRepeatedHopByHop(t *testing.T) {
	var f inflight
	var b diameter.Builder
	up := &endpoint{}
	req := inflightRequest(&b, 42, "mme;1;2")
	for i := range 100000 {
		f.add(up, req, 42, int64(i))
	}
	if n := f.len(); n != 1 {
		t.Fatalf("%d entries for one repeated id", n)
	}
	if !f.remove(42) || f.len() != 0 || f.remove(42) {
		t.Fatal("remove")
	}
}
