package replay

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/protocols/view"
)

// sharedPcaps is the folder of public captures beside the project.
var sharedPcaps = filepath.Join("..", "..", "..", "shared", "pcaps")

// everythingHome treats every address as the home network, so that each
// message is judged (the verdicts do not matter here, only that every
// message is seen).
const everythingHome = `
home:
  plmns: ["00101"]
  addresses: ["0.0.0.0/0", "::/0"]
velocity:
  max_subscribers: 4096
`

func newTestEngine(t testing.TB, cfgYAML string) *engine.Engine {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.NewPolicy(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	return engine.New(p, engine.NewMemoryState(cfg))
}

type opKey struct {
	code    uint32
	request bool
}

// tsharkDiameter counts Diameter messages per (command code, R flag) as
// tshark dissects them with default preferences.
func tsharkDiameter(t *testing.T, path string) map[opKey]int {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "diameter",
		"-T", "fields", "-E", "occurrence=a", "-e", "diameter.cmd.code", "-e", "diameter.flags.request").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	counts := map[opKey]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 2 {
			t.Fatalf("tshark line %q", line)
		}
		codes, reqs := strings.Split(cols[0], ","), strings.Split(cols[1], ",")
		if len(codes) != len(reqs) {
			t.Fatalf("tshark line %q: %d codes, %d flags", line, len(codes), len(reqs))
		}
		for i := range codes {
			var code uint32
			fmt.Sscan(codes[i], &code)
			counts[opKey{code, reqs[i] == "1" || reqs[i] == "True"}]++
		}
	}
	return counts
}

func format(m map[opKey]int) string {
	var lines []string
	for k, n := range m {
		lines = append(lines, fmt.Sprintf("%d/%v:%d", k.code, k.request, n))
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

// TestReplayMatchesTshark checks that replay reports every Diameter message
// tshark dissects in the public captures: same count per command code and
// request flag.
func TestReplayMatchesTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark); it is the independent oracle for this test")
	}
	files, _ := filepath.Glob(filepath.Join(sharedPcaps, "*.pcap*"))
	more, _ := filepath.Glob(filepath.Join(sharedPcaps, "*.cap"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Skipf("no captures in %s", sharedPcaps)
	}
	var total atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d Diameter messages across %d captures agree with tshark", total.Load(), len(files))
		if total.Load() == 0 {
			t.Error("no Diameter message found in the shared captures")
		}
	})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			want := tsharkDiameter(t, f)
			e := newTestEngine(t, everythingHome)
			var diag bytes.Buffer
			r, err := New(e, Options{Format: FormatNone, Reveal: true, Diag: &diag})
			if err != nil {
				t.Fatal(err)
			}
			got := map[opKey]int{}
			r.OnVerdict(func(m *view.Message, _ *engine.Verdict) {
				if m.Protocol == view.Diameter {
					got[opKey{m.Code, m.Request}]++
				}
			})
			if _, err := r.Files(f); err != nil {
				t.Fatalf("replay: %v", err)
			}
			if format(got) != format(want) {
				t.Errorf("per code/request counts differ\n replay: %s\n tshark: %s", format(got), format(want))
			}
			for _, n := range got {
				total.Add(int64(n))
			}
		})
	}
}

type gtpKey struct {
	version uint8
	typ     uint32
}

// tsharkGTP counts GTP-C messages per (version, message type) as tshark
// dissects them: every GTPv2 message (piggybacked ones included), and
// GTPv1 messages with the GTP protocol type on the GTP-C ports, minus the
// user-plane types.
func tsharkGTP(t *testing.T, path string) map[gtpKey]int {
	t.Helper()
	counts := map[gtpKey]int{}
	out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "gtpv2",
		"-T", "fields", "-E", "occurrence=a", "-e", "gtpv2.message_type").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	for _, line := range strings.Fields(string(out)) {
		for _, v := range strings.Split(line, ",") {
			var typ uint32
			fmt.Sscan(v, &typ)
			counts[gtpKey{2, typ}]++
		}
	}
	out, err = exec.Command("tshark", "-n", "-r", path, "-Y",
		"gtp && gtp.flags.version == 1 && gtp.flags.payload == 1 && (udp.port == 2123 || udp.port == 3386) && gtp.message != 26 && gtp.message != 254 && gtp.message != 255",
		"-T", "fields", "-E", "occurrence=a", "-e", "gtp.message").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	for _, line := range strings.Fields(string(out)) {
		for _, v := range strings.Split(line, ",") {
			var typ uint32
			fmt.Sscan(v, &typ)
			counts[gtpKey{1, typ}]++
		}
	}
	return counts
}

func formatGTP(m map[gtpKey]int) string {
	var lines []string
	for k, n := range m {
		lines = append(lines, fmt.Sprintf("v%d/%d:%d", k.version, k.typ, n))
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

// TestReplayMatchesTsharkGTP checks that replay reports every GTP-C
// message tshark dissects in the public captures, per version and type,
// over IPv4 and IPv6, UDP and TCP, piggybacked messages included; GTPv0
// and GTP' are not GTP-C.
func TestReplayMatchesTsharkGTP(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark); it is the independent oracle for this test")
	}
	files, _ := filepath.Glob(filepath.Join(sharedPcaps, "*.pcap*"))
	if len(files) == 0 {
		t.Skipf("no captures in %s", sharedPcaps)
	}
	var total atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d GTP-C messages across %d captures agree with tshark", total.Load(), len(files))
		if total.Load() == 0 {
			t.Error("no GTP-C message found in the shared captures")
		}
	})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			want := tsharkGTP(t, f)
			e := newTestEngine(t, everythingHome)
			r, err := New(e, Options{Format: FormatNone, Reveal: true, Diag: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			got := map[gtpKey]int{}
			r.OnVerdict(func(m *view.Message, _ *engine.Verdict) {
				switch m.Protocol {
				case view.GTPv1C:
					got[gtpKey{1, m.Code}]++
				case view.GTPv2C:
					got[gtpKey{2, m.Code}]++
				}
			})
			if _, err := r.Files(f); err != nil {
				t.Fatalf("replay: %v", err)
			}
			if formatGTP(got) != formatGTP(want) {
				t.Errorf("per version/type counts differ\n replay: %s\n tshark: %s", formatGTP(got), formatGTP(want))
			}
			for _, n := range got {
				total.Add(int64(n))
			}
		})
	}
}

// tsnBehind: captures where a DATA chunk's TSN precedes one already seen in
// its direction (the capture starts mid-association and a packet arrives
// late); the capture front end takes such a chunk for a retransmission.
var tsnBehind = map[string]int{"ss7_sridhar_m3ua_h248_truncated_2.pcap": 1}

// TestReplayMatchesTsharkMAP checks replay against tshark on the public
// SS7 captures: one record per M3UA DATA message tshark dissects (SCCP or
// another user part, broken ones included), and for every TCAP message
// replay could read, the operation code tshark shows first in that frame
// (the first Invoke's, or the result's when there is no Invoke).
func TestReplayMatchesTsharkMAP(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark); it is the independent oracle for this test")
	}
	var files []string
	for _, g := range []string{"map_*.pcap", "ss7_*.pcap"} {
		m, _ := filepath.Glob(filepath.Join(sharedPcaps, g))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no SS7 captures in %s", sharedPcaps)
	}
	var total, opcodes atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d M3UA DATA messages (%d operation codes) across %d captures agree with tshark", total.Load(), opcodes.Load(), len(files))
		if total.Load() == 0 || opcodes.Load() == 0 {
			t.Error("no MAP message found in the shared captures")
		}
	})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			// M3UA DATA messages, each SCTP DATA chunk once (a chunk
			// repeated with its TSN is a retransmission, which replay
			// suppresses), and the first operation code of frames with
			// one DATA message.
			out, err := exec.Command("tshark", "-n", "-r", f, "-Y", "m3ua.message_class == 1 && m3ua.message_type == 1",
				"-T", "fields", "-E", "occurrence=a", "-E", "separator=/t",
				"-e", "frame.number", "-e", "ip.src", "-e", "ip.dst", "-e", "sctp.srcport", "-e", "sctp.dstport",
				"-e", "sctp.verification_tag", "-e", "sctp.data_tsn_raw", "-e", "m3ua.message_type", "-e", "gsm_old.localValue").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			want := 0
			seen := map[string]bool{}
			firstOp := map[int]string{} // frame with one DATA message → tshark's first operation code
			for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
				cols := strings.Split(line, "\t")
				if len(cols) < 9 {
					continue
				}
				key := strings.Join(cols[1:7], "|")
				if seen[key] {
					continue
				}
				seen[key] = true
				datas := strings.Count(cols[7], "1") // message types of the frame's M3UA messages (DATA is 1)
				want += datas
				var frame int
				fmt.Sscan(cols[0], &frame)
				if datas == 1 && cols[8] != "" {
					firstOp[frame] = strings.Split(cols[8], ",")[0]
				}
			}
			want -= tsnBehind[filepath.Base(f)]
			e := newTestEngine(t, everythingHome)
			r, err := New(e, Options{Format: FormatNone, Reveal: true, Diag: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			var mismatches []string
			r.OnVerdict(func(m *view.Message, _ *engine.Verdict) {
				if m.Protocol != view.MAP && m.Protocol != view.ProtoUnknown {
					return
				}
				got++
			})
			r.onFrame = func(n int, m *view.Message) {
				if m.Protocol != view.MAP || m.Malformed != "" || m.Op == "" {
					return
				}
				if op, ok := firstOp[n]; ok {
					opcodes.Add(1)
					if op != fmt.Sprint(m.Code) {
						mismatches = append(mismatches, fmt.Sprintf("frame %d: replay %s (%d), tshark %s", n, m.Op, m.Code, op))
					}
				}
			}
			if _, err := r.Files(f); err != nil {
				t.Fatalf("replay: %v", err)
			}
			if got != want {
				t.Errorf("replay recorded %d M3UA DATA messages, tshark dissects %d", got, want)
			}
			for _, s := range mismatches {
				t.Error(s)
			}
			total.Add(int64(got))
		})
	}
}
