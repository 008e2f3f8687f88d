package m3ua

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"breakwater/protocols/m3ua/m3uatest"

	"github.com/wmnsk/go-m3ua/messages/params"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzM3UA: crafted_* from the code, real_* from the captures")

const corpusDir = "testdata/fuzz/FuzzM3UA"

// craftedSeeds are the hand-made seeds committed as crafted_* files, with
// the error Parse gives each.
func craftedSeeds() map[string]struct {
	b   []byte
	err error
} {
	type seed = struct {
		b   []byte
		err error
	}
	var b Builder
	c := func(m []byte) []byte { return bytes.Clone(m) }
	beat := c(b.Start(KindBEAT).Param(TagHeartbeatData, []byte("heartbeat")).Message())
	return map[string]seed{
		"crafted_DATA":                 {dataMsg, nil},
		"crafted_DATA_minimal":         {dataMinimal, nil},
		"crafted_DATA_cut":             {dataMsg[:len(dataMsg)-8-3], ErrLength},
		"crafted_DATA_unpadded":        {c(b.Start(KindDATA).Raw(dataMsg[24 : 24+17]).Message()), nil},
		"crafted_DATA_two_PD":          {c(b.Start(KindDATA).Raw(dataMinimal[8:]).Raw(dataMinimal[8:]).Message()), nil},
		"crafted_DATA_OPC_32bit":       {c(b.Start(KindDATA).Raw(hx("02 10 00 10 ff ff ff ff 00 00 00 02 03 00 00 00")).Message()), nil},
		"crafted_DUNA":                 {c(b.DUNA(Some(1), []uint32{2, 3}, []uint32{0x01000100, 4848}, []byte("gone"))), nil},
		"crafted_DAVA":                 {c(b.DAVA(Opt32{}, nil, []uint32{4848}, nil)), nil},
		"crafted_DUPU":                 {c(b.Start(KindDUPU).List(TagAffectedPointCode, []uint32{2487}).Uint32(TagUserCause, 1<<16|3).Message()), nil},
		"crafted_SCON":                 {c(b.Start(KindSCON).List(TagAffectedPointCode, []uint32{1}).Uint32(TagConcernedDestination, 7).Uint32(TagCongestionIndications, 3).Message()), nil},
		"crafted_BEAT":                 {beat, nil},
		"crafted_ASPUP_ACK":            {c(b.AspUpAck(Some(42), []byte("hi"))), nil},
		"crafted_ASPAC_ACK":            {c(b.AspActiveAck(Some(TrafficModeLoadshare), []uint32{3001, 3002}, nil)), nil},
		"crafted_NTFY":                 {c(b.Notify(StatusTypeASStateChange, StatusASActive, Some(5), []uint32{1}, nil)), nil},
		"crafted_ERR":                  {c(b.Error(ErrCodeUnexpectedParameter, []uint32{1}, Some(2), []uint32{3}, dataMinimal)), nil},
		"crafted_version_2":            {hx("02 00 03 06 00 00 00 08"), ErrVersion},
		"crafted_length_short":         {hx("01 00 03 06 00 00 00 04"), ErrLength},
		"crafted_trailing":             {hx("01 00 03 06 00 00 00 08 00 00 00 00"), ErrTrailing},
		"crafted_param_length_3":       {hx("01 00 03 03 00 00 00 0c 00 09 00 03"), ErrParam},
		"crafted_last_param_unpadded":  {hx("01 00 03 03 00 00 00 0d 00 09 00 05 61"), nil},
		"crafted_inner_param_unpadded": {hx("01 00 03 03 00 00 00 15 00 09 00 05 61 00 11 00 08 00 00 00 01"), ErrParam},
		"crafted_unknown_class":        {hx("01 00 07 01 00 00 00 08"), nil},
	}
}

// realSeeds are the M3UA messages of the public captures, deduplicated,
// named real_<capture>_<frame>_<index>.
func realSeeds(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	seen := map[string]bool{}
	for _, path := range captures(t) {
		frames, err := m3uatest.ReadPcap(path)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(path), ".pcap")
		for _, f := range frames {
			for i, m := range f.Messages {
				if seen[string(m)] {
					continue
				}
				seen[string(m)] = true
				out[fmt.Sprintf("real_%s_%d_%d", base, f.Number, i)] = m
			}
		}
	}
	return out
}

// corpus reads the committed seeds whose names start with prefix.
func corpus(t *testing.T, prefix string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(corpusDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 3)
		if len(lines) < 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a fuzz seed", e.Name())
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = []byte(s)
	}
	return out
}

func writeSeed(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(corpusDir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
	if err := os.WriteFile(filepath.Join(corpusDir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCorpus keeps the committed crafted seeds identical to the code that
// builds them (run with -update-corpus after changing it), checks the error
// each one is there for, and that every real seed parses.
func TestCorpus(t *testing.T) {
	seeds := craftedSeeds()
	if *updateCorpus {
		for name, s := range seeds {
			writeSeed(t, name, s.b)
		}
		for name, b := range realSeeds(t) {
			writeSeed(t, name, b)
		}
	}
	files := corpus(t, "crafted_")
	for name, s := range seeds {
		got, ok := files[name]
		if !ok {
			t.Errorf("%s is not committed; run go test -run TestCorpus -update-corpus", name)
			continue
		}
		if !bytes.Equal(got, s.b) {
			t.Errorf("%s differs from the code that builds it; run with -update-corpus", name)
		}
		if _, err := Parse(s.b); err != s.err {
			t.Errorf("%s: Parse err = %v, want %v", name, err, s.err)
		}
	}
	for name := range files {
		if _, ok := seeds[name]; !ok {
			t.Errorf("%s is committed but no longer built", name)
		}
	}
	real := corpus(t, "real_")
	if len(real) < 20 {
		t.Errorf("only %d real seeds", len(real))
	}
	for name, b := range real {
		if _, err := Parse(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzM3UA checks that no input panics Parse, Data or SSNM, that what they
// accept is consistent (lengths, aliasing, go-m3ua's reading of the same
// parameters) and that accepted DATA and BEAT messages survive a round
// trip through the Builder.
func FuzzM3UA(f *testing.F) {
	for _, s := range craftedSeeds() {
		f.Add(s.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var one Data
		oneErr := ParseData(b, &one)
		m, err := Parse(b)
		if err != nil {
			if oneErr == nil {
				t.Fatalf("ParseData accepts what Parse refuses: %v", err)
			}
			return
		}
		if int(m.Length) != len(b) || m.Length < HeaderLen || m.Version != Version {
			t.Fatalf("accepted header %+v for %d octets", m.Header, len(b))
		}
		if m.Unpadded != (len(b)%4 != 0) {
			t.Fatalf("Unpadded %v for length %d", m.Unpadded, len(b))
		}
		ps, err := params.ParseMultiParams(b[HeaderLen:])
		if err != nil {
			t.Fatalf("go-m3ua refuses what Parse accepts: %v", err)
		}
		it := m.Params()
		i := 0
		for p, ok := it.Next(); ok; p, ok = it.Next() {
			if i >= len(ps) || p.Tag != ps[i].Tag || !bytes.Equal(p.Value, ps[i].Data) {
				t.Fatalf("parameter %d differs from go-m3ua's", i)
			}
			if cap(p.Value) != len(p.Value) {
				t.Fatal("parameter value capacity reaches past it")
			}
			i++
		}
		if it.Err() != nil || i != len(ps) {
			t.Fatalf("iteration: %v, %d of %d", it.Err(), i, len(ps))
		}
		var bld Builder
		var d Data
		dataErr := m.Data(&d)
		if (dataErr == nil) != (oneErr == nil) || dataErr == nil && !equalData(&d, &one) {
			t.Fatalf("ParseData %v, Parse and Data %v", oneErr, dataErr)
		}
		if dataErr == nil {
			if d.OPC > MaxPointCode || d.DPC > MaxPointCode {
				t.Fatal("point code beyond 24 bits accepted")
			}
			var back Data
			if err := ParseData(bld.Data(&d), &back); err != nil || !equalData(&d, &back) {
				t.Fatalf("DATA round trip: %v", err)
			}
		}
		var s SSNM
		if m.SSNM(&s) == nil && (s.AffectedPointCodes.Len() == 0 || len(s.AffectedPointCodes)%4 != 0) {
			t.Fatal("SSNM without affected point codes accepted")
		}
		if m.Kind() == KindBEAT {
			ack, err := Parse(bld.BeatAck(&m))
			if err != nil || ack.Kind() != KindBEATAck {
				t.Fatalf("BEAT ACK: %v", err)
			}
			a, o := ack.Params(), m.Params()
			for p, ok := o.Next(); ok; p, ok = o.Next() {
				q, _ := a.Next()
				if q.Tag != p.Tag || !bytes.Equal(q.Value, p.Value) {
					t.Fatal("BEAT ACK does not echo the BEAT")
				}
			}
		}
	})
}
