package differential

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"breakwater/internal/fuzzcorpus"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Defaults of a run; BREAKWATER_DIFF_MUTANTS and BREAKWATER_DIFF_SEED
// override them.
const (
	defaultMutants = 1500 // per protocol
	defaultSeed    = 1
	maxMutant      = 8 << 10
)

func mutantCount(t *testing.T) int {
	if s := os.Getenv("BREAKWATER_DIFF_MUTANTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			t.Fatalf("BREAKWATER_DIFF_MUTANTS=%q", s)
		}
		return n
	}
	if testing.Short() {
		return defaultMutants / 3
	}
	return defaultMutants
}

func mutatorSeed(t *testing.T) uint64 {
	if s := os.Getenv("BREAKWATER_DIFF_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("BREAKWATER_DIFF_SEED=%q", s)
		}
		return n
	}
	return defaultSeed
}

// needTshark returns tshark's path, or skips the test.
func needTshark(t *testing.T) string {
	p, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (apt-get install tshark): it is the independent oracle of the differential test")
	}
	return p
}

// repoRoot is the module root, two levels up from this package.
var repoRoot = filepath.Join("..", "..")

// corpusSeeds returns the committed seeds of a fuzz corpus, in name order.
func corpusSeeds(t *testing.T, dir string) [][]byte {
	t.Helper()
	m := fuzzcorpus.Load(t, filepath.Join(repoRoot, dir))
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([][]byte, 0, len(names))
	for _, n := range names {
		out = append(out, m[n])
	}
	return out
}

// --- captures ----------------------------------------------------------

type transport int

const (
	overTCP transport = iota
	overUDP
)

// writeCapture writes one Ethernet/IPv4 packet per payload, each from its
// own source address (so that no two share a TCP connection or a GTP
// conversation): over TCP one PSH|ACK segment from port 40000 to port,
// over UDP one datagram from port to port. Checksums are correct.
func writeCapture(t *testing.T, path string, tr transport, port uint16, payloads [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, p := range payloads {
		n := i + 1
		src := net.IPv4(10, byte(n>>16), byte(n>>8), byte(n))
		dst := net.IPv4(192, 0, 2, 1)
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
			EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: uint16(n), Flags: layers.IPv4DontFragment, SrcIP: src, DstIP: dst}
		sb := gopacket.NewSerializeBuffer()
		var err error
		switch tr {
		case overTCP:
			ip.Protocol = layers.IPProtocolTCP
			tcp := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(port), Seq: 1, Ack: 1, PSH: true, ACK: true, Window: 65535}
			tcp.SetNetworkLayerForChecksum(ip)
			err = gopacket.SerializeLayers(sb, opts, eth, ip, tcp, gopacket.Payload(p))
		case overUDP:
			ip.Protocol = layers.IPProtocolUDP
			udp := &layers.UDP{SrcPort: layers.UDPPort(port), DstPort: layers.UDPPort(port)}
			udp.SetNetworkLayerForChecksum(ip)
			err = gopacket.SerializeLayers(sb, opts, eth, ip, udp, gopacket.Payload(p))
		}
		if err != nil {
			t.Fatal(err)
		}
		data := sb.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// keep copies a capture into $BREAKWATER_DIFF_KEEP, when set, to look at
// a disagreement with tshark -V or Wireshark.
func keep(t *testing.T, path string) {
	dir := os.Getenv("BREAKWATER_DIFF_KEEP")
	if dir == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// --- tshark ------------------------------------------------------------

// Fields every dissection asks for, after the protocol's own. A dissector
// exception ("Malformed Packet") is an expert error too; _ws.malformed is
// not asked for because tshark 4.0 sets it for every expert item of the
// Malformed group, notes ("Padding is non-zero") and warnings included.
var commonFields = []string{"_ws.expert.severity", "_ws.expert.message"}

// Expert severities (epan/proto.h PI_ERROR).
const severityError = 0x00800000

// aggregator separates the occurrences of a field (tshark -E aggregator):
// a character no dissector prints.
const aggregator = "\x1f"

// dissection is tshark's reading of one frame: every occurrence of every
// field asked for.
type dissection struct {
	frame  int
	fields map[string][]string
}

func (d *dissection) all(f string) []string { return d.fields[f] }

func (d *dissection) has(f string) bool { return len(d.fields[f]) > 0 }

// nums reads every occurrence of a numeric field.
func (d *dissection) nums(t *testing.T, f string) []uint64 {
	var out []uint64
	for _, s := range d.fields[f] {
		out = append(out, num(t, s))
	}
	return out
}

func num(t *testing.T, s string) uint64 {
	switch s {
	case "True":
		return 1
	case "False":
		return 0
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		i, err2 := strconv.ParseInt(s, 0, 64)
		if err2 != nil {
			t.Fatalf("tshark printed %q for a number", s)
		}
		return uint64(i)
	}
	return n
}

// malformed reports whether tshark found the frame malformed (an exception
// in a dissector) and lists its expert errors.
func (d *dissection) malformed() (bool, []string) {
	var errs []string
	sev, msg := d.fields["_ws.expert.severity"], d.fields["_ws.expert.message"]
	for i, s := range sev {
		if n, err := strconv.ParseUint(s, 0, 32); err == nil && n >= severityError && i < len(msg) {
			errs = append(errs, msg[i])
		}
	}
	return len(errs) > 0, errs
}

// runTshark dissects path, a capture of frames frames, with default
// preferences and returns one dissection per frame, in frame order.
func runTshark(t *testing.T, tshark, path string, frames int, fields []string) []dissection {
	t.Helper()
	fields = append(append([]string{"frame.number"}, fields...), commonFields...)
	args := []string{"-n", "-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=" + aggregator,
		"-E", "separator=/t", "-E", "quote=n"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir()) // no user preferences
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	var ds []dissection
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) != len(fields) {
			t.Fatalf("tshark printed %d columns for %d fields: %q", len(cols), len(fields), line)
		}
		d := dissection{fields: map[string][]string{}}
		for i, f := range fields {
			if cols[i] != "" {
				d.fields[f] = strings.Split(cols[i], aggregator)
			}
		}
		d.frame = int(num(t, cols[0]))
		if d.frame != len(ds)+1 {
			t.Fatalf("tshark frame %d after %d", d.frame, len(ds))
		}
		ds = append(ds, d)
	}
	if len(ds) != frames {
		t.Fatalf("tshark read %d frames of %d", len(ds), frames)
	}
	return ds
}

// --- documented differences ---------------------------------------------

// Directions of a validity disagreement.
const (
	// tshark marks the frame malformed (or with an expert error); the
	// parsers accept the message.
	tsharkOnly = "tshark-malformed"
	// The parsers refuse the message; tshark dissects it cleanly.
	oursOnly = "we-refuse"
)

// difference is a documented, intended disagreement between the parsers
// and tshark about whether a message is well-formed.
type difference struct {
	id  string
	dir string // tsharkOnly or oursOnly
	// what the rule is and why it is intended, with its reference
	why, ref string
	// match reports whether a disagreement is this one: ours is the
	// parser's error text ("" when it accepts), experts tshark's expert
	// errors.
	match func(c *clash) bool
}

// clash is one frame whose validity the two sides judge differently.
type clash struct {
	frame   int
	dir     string
	ours    string   // our error ("" for accepted)
	experts []string // tshark's expert errors
	msg     []byte
	// the last protocol tshark dissected in the frame (frame.protocols,
	// when asked for): where an exception was thrown
	lastProto string
}

func (c *clash) String() string {
	h := hex.EncodeToString(c.msg)
	if len(h) > 400 {
		h = h[:400] + "..."
	}
	return fmt.Sprintf("frame %d (%s): ours %q, tshark errors %q (in %s)\n  %s", c.frame, c.dir, c.ours, c.experts, c.lastProto, h)
}

// onlyExperts reports whether every tshark expert error contains one of ss
// (and there is at least one).
func (c *clash) onlyExperts(ss ...string) bool {
	if len(c.experts) == 0 {
		return false
	}
	for _, e := range c.experts {
		ok := false
		for _, s := range ss {
			if strings.Contains(e, s) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// tally counts agreements and documented differences and fails the test on
// anything else.
type tally struct {
	t        *testing.T
	rules    []difference
	compared int            // messages both sides read, fields compared
	bothOK   int            // frames both accept
	bothBad  int            // frames both refuse or mark
	byRule   map[string]int // documented differences seen
	failures int
	// unexplained disagreements by kind (numbers blanked), with the
	// first frame of each
	kinds map[string][2]int
}

func newTally(t *testing.T, rules []difference) *tally {
	ids := map[string]bool{}
	for _, r := range rules {
		if ids[r.id] || r.why == "" || r.ref == "" || (r.dir != tsharkOnly && r.dir != oursOnly) {
			t.Fatalf("difference %q: duplicate id, or no reason, reference or direction", r.id)
		}
		ids[r.id] = true
	}
	return &tally{t: t, rules: rules, byRule: map[string]int{}, kinds: map[string][2]int{}}
}

const maxReported = 25

// fieldMismatch reports a disagreement on what a message says.
func (ta *tally) fieldMismatch(frame int, msg []byte, format string, args ...any) {
	ta.t.Helper()
	ta.failures++
	if ta.failures <= maxReported {
		h := hex.EncodeToString(msg)
		if len(h) > 400 {
			h = h[:400] + "..."
		}
		ta.t.Errorf("frame %d: %s\n  %s", frame, fmt.Sprintf(format, args...), h)
	}
}

// validity records both sides' judgement of a frame: ourErr is the
// parsers' (nil: every message accepted), d tshark's dissection and saw
// whether tshark dissected the protocol at all (a frame it does not is
// one it refuses).
func (ta *tally) validity(frame int, msg []byte, ourErr error, d *dissection, saw bool) {
	ta.t.Helper()
	bad, experts := d.malformed()
	if !saw {
		bad, experts = true, append(experts, "not dissected")
	}
	ours := ""
	if ourErr != nil {
		ours = ourErr.Error()
	}
	switch {
	case ourErr == nil && !bad:
		ta.bothOK++
		return
	case ourErr != nil && bad:
		ta.bothBad++
		return
	}
	c := &clash{frame: frame, ours: ours, experts: experts, msg: msg, dir: tsharkOnly}
	if p := d.all("frame.protocols"); len(p) > 0 {
		c.lastProto = p[0][strings.LastIndex(p[0], ":")+1:]
	}
	if ourErr != nil {
		c.dir = oursOnly
	}
	for _, r := range ta.rules {
		if r.dir == c.dir && r.match(c) {
			ta.byRule[r.id]++
			return
		}
	}
	ta.failures++
	if ta.failures <= maxReported {
		ta.t.Errorf("unexplained disagreement: %v", c)
	}
	k := digits.ReplaceAllString(fmt.Sprintf("%s: ours %q tshark %q", c.dir, c.ours, c.experts), "N")
	e := ta.kinds[k]
	if e[0] == 0 {
		e[1] = frame
	}
	e[0]++
	ta.kinds[k] = e
}

var digits = regexp.MustCompile(`[0-9]+`)

func (ta *tally) report(name string) {
	ta.t.Helper()
	var ids []string
	for id, n := range ta.byRule {
		ids = append(ids, fmt.Sprintf("%s×%d", id, n))
	}
	sort.Strings(ids)
	ta.t.Logf("%s: %d messages compared field by field; validity: %d both accept, %d both refuse, documented differences %v",
		name, ta.compared, ta.bothOK, ta.bothBad, ids)
	if ta.failures > maxReported {
		ta.t.Errorf("%d disagreements in all (first %d shown)", ta.failures, maxReported)
	}
	if len(ta.kinds) > 0 {
		var ks []string
		for k, e := range ta.kinds {
			ks = append(ks, fmt.Sprintf("%5d× (first frame %d) %s", e[0], e[1], k))
		}
		sort.Strings(ks)
		ta.t.Errorf("unexplained validity disagreements by kind:\n%s", strings.Join(ks, "\n"))
	}
	if ta.compared == 0 {
		ta.t.Error("no message compared")
	}
}
