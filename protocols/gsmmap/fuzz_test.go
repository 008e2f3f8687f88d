package gsmmap

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"breakwater/internal/fuzzcorpus"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

var updateCorpus = flag.Bool("update-corpus", false,
	"rewrite testdata/fuzz/FuzzMAP/crafted_* from decodeCases, and the real_* seeds of FuzzMAP, FuzzTCAP and FuzzBER from the captures")

const corpusDir = "testdata/fuzz/FuzzMAP"

// Where the real seeds go: this package's corpus and those of the layers
// below, which read the same TCAP octets.
var realSeedDirs = []string{corpusDir, "../tcap/testdata/fuzz/FuzzTCAP", "../ber/testdata/fuzz/FuzzBER"}

// realSeedSources names the captured TCAP messages committed as real_*
// seeds (frames: nil for all of them).
var realSeedSources = []struct {
	file, short string
	labelLen    int
	frames      []int
}{
	{"map_timkam_updateLocation_invoke.pcap", "timkam_updatelocation_invoke", 4, nil},
	{"map_timkam_test_cgGT_in_end_of_msg.pcap", "timkam_cggt_in_end_of_msg", 4, nil},
	{"map_timkam_test_continue.pcap", "timkam_continue", 4, nil},
	{"map_timkam_test_could_not_find_comp.pcap", "timkam_could_not_find_comp", 4, nil},
	{"map_timkam_test_long_length_continue2.pcap", "timkam_long_length_continue2", 4, nil},
	{"map_timkam_test_long_length_in_dialogue.pcap", "timkam_long_length_in_dialogue", 4, nil},
	{"map_timkam_test_op_code.pcap", "timkam_op_code", 4, nil},
	{"map_timkam_test_payload_data.pcap", "timkam_payload_data", 4, nil},
	{"map_timkam_test_special.pcap", "timkam_special", 4, nil},
	{"map_timkam_test_unknown_tcap_tag.pcap", "timkam_unknown_tcap_tag", 4, nil},
	{"ss7_arkime_m3ua_m2ua_camel_isup_synthetic.pcap", "arkime_camel", 4, []int{5, 20}},
	{"ss7_ossie_japan_tcap_over_m2pa.pcap", "ossie_japan", 5, nil},
}

func seedName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.Trim(b.String(), "_")
}

// craftedSeeds are the rows of decodeCases: every operation the firewall
// reads, results, errors, smuggling shapes and malformed arguments.
func craftedSeeds() map[string][]byte {
	s := map[string][]byte{}
	for _, c := range decodeCases() {
		s[seedName(c.name)] = c.in
	}
	return s
}

func TestCraftedCorpus(t *testing.T) {
	seeds := craftedSeeds()
	if *updateCorpus {
		old, _ := filepath.Glob(filepath.Join(corpusDir, "crafted_*"))
		for _, f := range old {
			os.Remove(f)
		}
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			if err := os.WriteFile(filepath.Join(corpusDir, "crafted_"+name), fuzzcorpus.Format(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "crafted_*"))
	if len(files) != len(seeds) {
		t.Errorf("%d crafted_* files for %d seeds (go test -run TestCraftedCorpus -update-corpus)", len(files), len(seeds))
	}
	for name, b := range seeds {
		f := filepath.Join(corpusDir, "crafted_"+name)
		if got := fuzzcorpus.Read(t, f); !bytes.Equal(got, b) {
			t.Errorf("%s differs from decodeCases (go test -run TestCraftedCorpus -update-corpus)", f)
		}
	}
}

// TestRealSeeds checks the committed real_* seeds of the three packages
// against the captures they were cut from (skipped when the captures are
// absent), and writes them with -update-corpus.
func TestRealSeeds(t *testing.T) {
	want := map[string][]byte{}
	for _, src := range realSeedSources {
		path := filepath.Join(pcapDir, src.file)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s absent", path)
		}
		for _, m := range captureTCAP(t, path, src.labelLen) {
			if src.frames == nil || slices.Contains(src.frames, m.frame) {
				want[fmt.Sprintf("real_%s_f%d", src.short, m.frame)] = m.tcap
			}
		}
	}
	if len(want) < 12 {
		t.Fatalf("%d real seeds", len(want))
	}
	for _, dir := range realSeedDirs {
		if *updateCorpus {
			old, _ := filepath.Glob(filepath.Join(dir, "real_*"))
			for _, f := range old {
				os.Remove(f)
			}
			for name, b := range want {
				if err := os.WriteFile(filepath.Join(dir, name), fuzzcorpus.Format(b), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		files, _ := filepath.Glob(filepath.Join(dir, "real_*"))
		if len(files) != len(want) {
			t.Errorf("%s: %d real_* files, %d from the captures (-update-corpus)", dir, len(files), len(want))
		}
		for name, b := range want {
			if got := fuzzcorpus.Read(t, filepath.Join(dir, name)); !bytes.Equal(got, b) {
				t.Errorf("%s/%s differs from the capture", dir, name)
			}
		}
	}
}

func TestCorpusShape(t *testing.T) {
	seeds := fuzzcorpus.Load(t, corpusDir)
	real := 0
	for name, b := range seeds {
		if len(b) >= 2048 {
			t.Errorf("%s: %d bytes (keep seeds under 2 KB)", name, len(b))
		}
		if strings.HasPrefix(name, "real_") {
			real++
		}
	}
	if len(seeds) < 60 || real < 12 {
		t.Errorf("%d seeds, %d from captures", len(seeds), real)
	}
	readme, err := os.ReadFile("testdata/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range seeds {
		if strings.HasPrefix(name, "real_") && !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("%s: provenance missing from testdata/README.md", name)
		}
	}
}

// checkDecode is FuzzMAP's property check: DecodeBytes never panics, an
// error is always recorded in Malformed, every view field stays within
// its invariants, and decoding is a pure function of the bytes (a second
// decode into a dirty view gives the same view).
func checkDecode(t *testing.T, b []byte) {
	var v view.Message
	err := DecodeBytes(b, &v)
	if err != nil && v.Malformed == "" {
		t.Fatalf("error %v but Malformed empty", err)
	}
	if v.Protocol != view.MAP {
		t.Fatalf("protocol %v", v.Protocol)
	}
	if n := v.IMSI.Len(); n != 0 && (n < 6 || n > 15) {
		t.Fatalf("IMSI of %d digits", n)
	}
	if v.Invokes > v.Components || v.Request != (v.Invokes > 0) && err == nil {
		t.Fatalf("invokes %d components %d request %v", v.Invokes, v.Components, v.Request)
	}
	if v.Flags&view.FlagCAMEL != 0 && v.Flags&view.FlagForeignContext != 0 {
		t.Fatalf("flags %#x: CAMEL and foreign at once", v.Flags)
	}
	if v.Flags&view.FlagCAMEL != 0 && v.Op != "" && v.Op != CAPOpName(int64(v.Code)) {
		t.Fatalf("Op %q for CAP code %d", v.Op, v.Code)
	}
	if v.Flags&(view.FlagCAMEL|view.FlagForeignContext) == 0 && v.Op != "" && v.Op != OpName(int64(v.Code)) && v.Op != "forwardSM" {
		t.Fatalf("Op %q for code %d", v.Op, v.Code)
	}
	if v.Code > 255 || v.ResultCode > 255 {
		t.Fatalf("code %d result %d", v.Code, v.ResultCode)
	}
	if v.TCAPType != 0 && tcap.MessageType(v.TCAPType).String() == "" {
		t.Fatalf("TCAP type %#x", v.TCAPType)
	}
	if len(v.Raw) > len(b) || len(v.Raw) > 0 && &v.Raw[0] != &b[0] {
		t.Fatal("Raw does not alias the input")
	}
	if v.Flags&^(view.FlagLocationRequest|view.FlagStateRequest|view.FlagAppMismatch|view.FlagRedirect|view.FlagCAMEL|view.FlagForeignContext) != 0 {
		t.Fatalf("flags %#x", v.Flags)
	}
	if v.Flags&view.FlagRedirect != 0 && v.Code != OpInsertSubscriberData && v.Code != OpRegisterSS &&
		v.Code != OpActivateSS && v.Code != OpAnyTimeModification {
		t.Fatalf("redirect flag on %d", v.Code)
	}
	dirty := v
	dirty.IMSI.SetASCII([]byte("999999999"))
	dirty.Flags = 0xff
	err2 := DecodeBytes(b, &dirty)
	if !reflect.DeepEqual(v, dirty) || (err == nil) != (err2 == nil) {
		t.Fatal("decoding into a used view differs")
	}
}

func FuzzMAP(f *testing.F) {
	for _, b := range craftedSeeds() {
		f.Add(b)
	}
	f.Fuzz(checkDecode)
}

func TestCorpusProperties(t *testing.T) {
	for name, b := range fuzzcorpus.Load(t, corpusDir) {
		t.Run(name, func(t *testing.T) {
			for i := 0; i <= len(b); i++ {
				checkDecode(t, b[:i])
			}
		})
	}
}

// TestDecodeAllocatesNothing decodes every seed, broken ones included.
func TestDecodeAllocatesNothing(t *testing.T) {
	seeds := fuzzcorpus.Load(t, corpusDir)
	names := make([]string, 0, len(seeds))
	for n := range seeds {
		names = append(names, n)
	}
	slices.Sort(names)
	var v view.Message
	for _, name := range names {
		b := seeds[name]
		if a := testing.AllocsPerRun(50, func() { DecodeBytes(b, &v) }); a != 0 {
			t.Errorf("%s: %v allocations", name, a)
		}
	}
}
