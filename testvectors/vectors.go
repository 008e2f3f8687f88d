// Package testvectors holds Breakwater's crafted signaling test vectors:
// attack and benign scenarios written as YAML (diameter/scenarios.yaml,
// gtp/scenarios.yaml), each message with the verdict and rule the firewall
// must reach, and the code that turns them into wire bytes (Step.Encode)
// and into a capture (WritePcap) that `breakwater replay` and tshark read.
//
// The scenario file is the single source of truth: the tests judge every
// step with a fresh engine, replay the generated capture through
// firewall/replay, check tshark's dissection against the manifest and keep
// the committed capture and README table in sync with the YAML. Run
// `go run ./testvectors/gen` after editing it.
package testvectors

//go:generate go run ./gen

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"breakwater/firewall/baseline"
	"breakwater/internal/strictyaml"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"

	"go.yaml.in/yaml/v3"
)

// Defaults of the scenario file's optional top-level keys.
var (
	// DefaultBaseTime is when scenario 0 starts.
	DefaultBaseTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// DefaultSpacing separates the start of consecutive scenarios, so that
	// one capture holding them all yields the same verdicts as replaying
	// each alone (no scenario's state is still pending when the next starts).
	DefaultSpacing = 48 * time.Hour
)

// Transport is how a node pair's messages travel.
type Transport string

// Transports a node may use.
const (
	SCTP Transport = "sctp" // one DATA chunk per message, PPID 46
	TCP  Transport = "tcp"  // one segment per message after a handshake
	UDP  Transport = "udp"  // one datagram per GTP-C message (piggybacked ones share it)
)

// Verdicts a step may expect (rules.Action names).
const (
	VerdictAllow  = "allow"
	VerdictDrop   = "drop"
	VerdictReject = "reject"
)

// DefaultRule is the id of the engine's "nothing matched: allow" decision.
const DefaultRule = "default"

// File is one loaded scenario file.
type File struct {
	Path string
	// Title names the file's protocol in tables ("GTP-C"); by default the
	// name of the file's directory.
	Title string
	// Config is the firewall configuration the scenarios are judged with,
	// resolved against the file's directory ("" when not given).
	Config    string
	BaseTime  time.Time
	Spacing   time.Duration
	Nodes     []*Node // in file order
	Scenarios []*Scenario

	nodes map[string]*Node
	conns map[connKey]*conn
}

// Node is a named signaling endpoint (an MME, an HSS, a PGW, an attacker).
type Node struct {
	Name string
	// Addr is the node's address and listening port. Over SCTP and TCP, a
	// node that opens an association or connection sends from an
	// ephemeral port instead (see Step.Src); over UDP every message goes
	// from one node's port to the other's (GTP-C: 2123 on both sides).
	Addr        netip.AddrPort
	Transport   Transport
	Description string
	Line        int
	// SS7 identity of a node that sends or receives MAP (SIGTRAN, M3UA
	// over SCTP): its SCCP global title (E.164 digits), subsystem number
	// (6 HLR, 7 VLR, 8 MSC, 145 GMLC, 147 gsmSCF, 149 SGSN) and 14-bit ITU
	// signalling point code; the defaults of its messages' SCCP addresses
	// and M3UA routing label.
	GT  string
	SSN uint8
	PC  uint16
	// hasPC: pc was given (MAP nodes must have one).
	hasPC bool
}

// Scenario is an ordered exchange of messages with a purpose: an attack
// or a benign flow.
type Scenario struct {
	Index       int // position in the file, from 0
	Name        string
	Summary     string // one line, for tables
	Description string
	// KnownBug, when set, says why the engine is currently expected to
	// disagree with this scenario's expectations (a reported bug).
	KnownBug string
	Steps    []*Step
	Line     int
	file     *File
}

// Start is when the scenario's first offset counts from.
func (s *Scenario) Start() time.Time {
	return s.file.BaseTime.Add(time.Duration(s.Index) * s.file.Spacing)
}

// Step is one message of a scenario with its expected verdict.
type Step struct {
	Scenario *Scenario
	Index    int // position in the scenario, from 0
	Line     int
	col      int
	At       time.Duration // offset from the scenario start
	From, To *Node
	// Message is the step's Diameter message, GTP its GTP-C message, MAP
	// its SS7 message: exactly one is set.
	Message *Message
	GTP     *GTPMessage
	MAP     *MAPMessage
	Expect  Expect
	Reason  string
	// Hostile, when set, says why tshark is expected to complain about
	// the step's packets (a deliberately hostile encoding whose
	// complaint is the point); TestTsharkClean excuses those frames and
	// no others (besides the MALFORMED vectors).
	Hostile string
}

// Expect is the verdict a step must receive.
type Expect struct {
	Verdict string // allow, drop or reject
	Rule    string // baseline rule id or "default"
	// Malformed is part of the parser's reason (view.Message.Malformed)
	// that a MALFORMED step must produce, so that a vector cannot pass by
	// being malformed in some other, unintended way. Required exactly when
	// Rule is MALFORMED.
	Malformed string
}

// Message is a Diameter message resolved from its declarative form.
type Message struct {
	Flags    uint8
	Code     uint32
	App      uint32
	HopByHop uint32
	EndToEnd uint32
	AVPs     []*AVP
	// Header overrides for malformed vectors (nil: the encoder's value).
	Version *uint8
	Length  *uint32
	// Append is added after the encoded message (trailing garbage).
	Append []byte

	autoIDs bool // hbh and e2e were not written
}

// Request reports whether the R bit is set.
func (m *Message) Request() bool { return m.Flags&diameter.FlagRequest != 0 }

// Op is the command's short name ("ULR"), or the code in decimal.
func (m *Message) Op() string {
	if n := diameter.OpName(m.Code, m.Request()); n != "" {
		return n
	}
	return strconv.FormatUint(uint64(m.Code), 10)
}

// AVP is one attribute of a Message: a dictionary AVP (leaf or grouped) or
// raw bytes for malformed vectors.
type AVP struct {
	Name   string // dictionary name; "" for raw bytes
	Code   uint32
	Vendor uint32
	Flags  uint8  // without the V bit, which the encoder sets for vendor AVPs
	Type   string // dictionary type name
	Data   []byte // encoded value of a leaf AVP
	Group  []*AVP // members of a grouped AVP
	Raw    []byte // verbatim bytes (raw_avp, raw)
}

// Protocol is the step's signaling protocol.
func (s *Step) Protocol() view.Protocol {
	switch {
	case s.GTP != nil:
		return s.GTP.Protocol()
	case s.MAP != nil:
		return view.MAP
	}
	return view.Diameter
}

// Request reports whether the step's message is a request (GTP: a request
// or notification), as view.Message.Request.
func (s *Step) Request() bool {
	switch {
	case s.GTP != nil:
		return s.GTP.Request()
	case s.MAP != nil:
		return s.MAP.Request()
	}
	return s.Message.Request()
}

// Op is the message's short name: "ULR", "CreateSessionRequest".
func (s *Step) Op() string {
	switch {
	case s.GTP != nil:
		return s.GTP.Op()
	case s.MAP != nil:
		return s.MAP.Op()
	}
	return s.Message.Op()
}

// Label names the message in tables: the Diameter command ("ULR"), the
// GTP version and type ("v2 CreateSessionRequest"), or the MAP operations
// ("updateLocation", "sendRoutingInfoForSM+anyTimeInterrogation",
// "updateLocation result").
func (s *Step) Label() string {
	switch {
	case s.GTP != nil:
		return fmt.Sprintf("v%d %s", s.GTP.Version, s.GTP.Op())
	case s.MAP != nil:
		return s.MAP.Op()
	}
	return s.Message.Op()
}

// Time is when the step's message is sent.
func (s *Step) Time() time.Time { return s.Scenario.Start().Add(s.At) }

// Malformed reports whether the step is a deliberately malformed vector,
// that is one whose expected rule is MALFORMED.
func (s *Step) Malformed() bool { return s.Expect.Rule == "MALFORMED" }

// ID names the step in messages: "scenario#3 (line 120)".
func (s *Step) ID() string {
	return fmt.Sprintf("%s#%d (%s:%d)", s.Scenario.Name, s.Index+1, filepath.Base(s.Scenario.file.Path), s.Line)
}

// Src is the address and port the message is sent from on the wire.
func (s *Step) Src() netip.AddrPort { return s.endpoint(s.From) }

// Dst is the address and port the message is sent to on the wire.
func (s *Step) Dst() netip.AddrPort { return s.endpoint(s.To) }

func (s *Step) endpoint(n *Node) netip.AddrPort {
	c := s.Scenario.file.conns[pairOf(s.From, s.To)]
	if n == c.init && c.transport != UDP {
		return netip.AddrPortFrom(n.Addr.Addr(), c.initPort)
	}
	return n.Addr
}

// Transport is how the step's message travels.
func (s *Step) Transport() Transport { return s.Scenario.file.conns[pairOf(s.From, s.To)].transport }

// Steps returns every step of every scenario in file order.
func (f *File) Steps() []*Step {
	var out []*Step
	for _, sc := range f.Scenarios {
		out = append(out, sc.Steps...)
	}
	return out
}

// Node returns the node with that name, or nil.
func (f *File) Node(name string) *Node { return f.nodes[name] }

// Scenario returns the scenario with that name, or nil.
func (f *File) Scenario(name string) *Scenario {
	for _, s := range f.Scenarios {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Error is one problem at one place of a scenario file; Errors lists every
// problem of a file in file order. They are the configuration loader's
// types, so every file Breakwater reads reports problems the same way.
type (
	Error  = strictyaml.Error
	Errors = strictyaml.Errors
)

// Load reads and validates a scenario file. Every problem (unknown or
// duplicate keys, unknown nodes, AVPs, rules, bad values) is reported as
// "file:line:col: ..."; a file is either entirely valid or rejected.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Load on bytes; path is used in messages and to resolve the
// configuration path.
func Parse(path string, data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	l := &loader{path: path, f: &File{
		Path: path, BaseTime: DefaultBaseTime, Spacing: DefaultSpacing,
		nodes: map[string]*Node{}, conns: map[connKey]*conn{},
	}}
	l.rules = map[string]bool{DefaultRule: true}
	for _, r := range baseline.Rules() {
		l.rules[r.ID] = true
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Errors{{File: path, Line: 1, Col: 1, Msg: "empty scenario file"}}
	}
	l.file(doc.Content[0])
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	l.connections()
	return l.f, nil
}

// maxErrors keeps a badly broken file from producing pages of output.
const maxErrors = 25

type loader struct {
	path  string
	f     *File
	errs  Errors
	rules map[string]bool
}

func (l *loader) fail(n *yaml.Node, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		return
	}
	l.errs = append(l.errs, &Error{File: l.path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows YAML aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fields walks a mapping: set is called for each key in file order.
// Unknown and duplicate keys are errors, as are missing required ones.
func (l *loader) fields(n *yaml.Node, what string, known, required []string, set func(key string, k, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		l.fail(n, "%s: expected a mapping with keys %s", what, strings.Join(known, ", "))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			l.fail(k, "%s: keys must be plain words", what)
			continue
		}
		if seen[k.Value] {
			l.fail(k, "%s: duplicate key %q", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if !contains(known, k.Value) {
			l.fail(k, "%s: unknown key %q (known keys: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		set(k.Value, k, v)
	}
	ok := true
	for _, r := range required {
		if !seen[r] {
			l.fail(n, "%s: missing required key %q", what, r)
			ok = false
		}
	}
	return ok
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *loader) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.fail(n, "%s: expected a string", what)
		return "", false
	}
	return n.Value, true
}

func (l *loader) text(n *yaml.Node, what string) string {
	s, ok := l.str(n, what)
	if ok && strings.TrimSpace(s) == "" {
		l.fail(n, "%s: must not be empty", what)
	}
	return strings.TrimSpace(s)
}

// uint reads an unsigned integer (decimal, 0x hex, 0o octal, 0b binary)
// of at most bits bits.
func (l *loader) uint(n *yaml.Node, what string, bits int) (uint64, bool) {
	if n.Kind != yaml.ScalarNode {
		l.fail(n, "%s: expected an unsigned integer", what)
		return 0, false
	}
	v, err := strconv.ParseUint(n.Value, 0, bits)
	if err != nil {
		l.fail(n, "%s: %q is not an unsigned integer of at most %d bits", what, n.Value, bits)
		return 0, false
	}
	return v, true
}

func (l *loader) bool(n *yaml.Node, what string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return n.Value == "true", true
	}
	l.fail(n, "%s: expected true or false", what)
	return false, false
}

// duration reads a Go duration ("0s", "90m", "1h30m", "250ms").
func (l *loader) duration(n *yaml.Node, what string) (time.Duration, bool) {
	if n.Kind == yaml.ScalarNode {
		if d, err := time.ParseDuration(n.Value); err == nil && d >= 0 {
			return d, true
		}
	}
	l.fail(n, "%s: expected a non-negative duration such as \"0s\", \"10m\" or \"30h\"", what)
	return 0, false
}

func (l *loader) file(root *yaml.Node) {
	root = resolve(root)
	var scenarios *yaml.Node
	l.fields(root, "scenario file", []string{"title", "config", "base_time", "spacing", "nodes", "scenarios"}, []string{"nodes", "scenarios"},
		func(key string, k, v *yaml.Node) {
			switch key {
			case "config":
				if s, ok := l.str(v, "config"); ok {
					if !filepath.IsAbs(s) {
						s = filepath.Join(filepath.Dir(l.path), s)
					}
					l.f.Config = s
				}
			case "title":
				l.f.Title = l.text(v, "title")
			case "base_time":
				s, _ := l.str(v, "base_time")
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					l.fail(v, "base_time: expected an RFC 3339 time such as 2026-01-01T00:00:00Z")
				}
				l.f.BaseTime = t.UTC()
			case "spacing":
				if d, ok := l.duration(v, "spacing"); ok {
					l.f.Spacing = d
				}
			case "nodes":
				l.nodes(v)
			case "scenarios":
				scenarios = v
			}
		})
	if scenarios != nil {
		// Nodes first, wherever they are written, so steps can name them.
		l.scenarios(scenarios)
	}
	if l.f.Title == "" {
		l.f.Title = filepath.Base(filepath.Dir(l.path))
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func (l *loader) nodes(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		l.fail(n, "nodes: expected a mapping of node name to address")
		return
	}
	byAddr := map[netip.AddrPort]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		name := k.Value
		if !nameRE.MatchString(name) {
			l.fail(k, "node name %q: use lower-case letters, digits and '-'", name)
			continue
		}
		if l.f.nodes[name] != nil {
			l.fail(k, "node %q is defined twice", name)
			continue
		}
		node := &Node{Name: name, Transport: SCTP, Line: k.Line}
		var addr *yaml.Node
		if v.Kind == yaml.ScalarNode {
			addr = v
		} else {
			l.fields(v, "node "+name, []string{"addr", "transport", "description", "gt", "ssn", "pc"}, []string{"addr"}, func(key string, _, v *yaml.Node) {
				switch key {
				case "gt":
					s, _ := l.str(v, "gt")
					if _, err := bcdSignals(s); err != nil || s == "" || len(s) > 15 {
						l.fail(v, "gt: %q is not an E.164 number of 1 to 15 digits", s)
					}
					node.GT = s
				case "ssn":
					x, ok := l.uint(v, "ssn", 8)
					if ok && (x == 0 || x == 1) {
						l.fail(v, "ssn: 0 is no subsystem and 1 is SCCP management")
					}
					node.SSN = uint8(x)
				case "pc":
					node.PC, node.hasPC = l.pointCode(v)
				case "addr":
					addr = v
				case "transport":
					s, _ := l.str(v, "transport")
					switch Transport(s) {
					case SCTP, TCP, UDP:
						node.Transport = Transport(s)
					default:
						l.fail(v, "transport: use sctp, tcp (Diameter) or udp (GTP-C)")
					}
				case "description":
					node.Description = l.text(v, "description")
				}
			})
		}
		if addr == nil {
			continue
		}
		s, _ := l.str(addr, "address")
		ap, err := netip.ParseAddrPort(s)
		if err != nil || ap.Port() == 0 {
			l.fail(addr, "node %s: %q is not IP:port (write IPv6 as \"[2001:db8::1]:3868\")", name, s)
			continue
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		if prev, dup := byAddr[ap]; dup {
			l.fail(addr, "node %s: address %s is already node %s", name, ap, prev)
			continue
		}
		byAddr[ap] = name
		node.Addr = ap
		l.f.nodes[name] = node
		l.f.Nodes = append(l.f.Nodes, node)
	}
}

func (l *loader) scenarios(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.fail(n, "scenarios: expected a non-empty list")
		return
	}
	names := map[string]int{}
	for _, item := range n.Content {
		sc := &Scenario{Index: len(l.f.Scenarios), Line: item.Line, file: l.f}
		var steps *yaml.Node
		l.fields(item, "scenario", []string{"name", "summary", "description", "known_bug", "steps"},
			[]string{"name", "summary", "description", "steps"},
			func(key string, k, v *yaml.Node) {
				switch key {
				case "name":
					sc.Name, _ = l.str(v, "name")
					if !nameRE.MatchString(sc.Name) {
						l.fail(v, "scenario name %q: use lower-case letters, digits and '-'", sc.Name)
					} else if line, dup := names[sc.Name]; dup {
						l.fail(v, "scenario name %q is already used at line %d", sc.Name, line)
					}
					names[sc.Name] = v.Line
				case "summary":
					sc.Summary = l.text(v, "summary")
					if strings.ContainsAny(sc.Summary, "\n|") {
						l.fail(v, "summary: one line without '|' (it goes into a Markdown table)")
					}
				case "description":
					sc.Description = l.text(v, "description")
				case "known_bug":
					sc.KnownBug = l.text(v, "known_bug")
				case "steps":
					steps = v
				}
			})
		l.f.Scenarios = append(l.f.Scenarios, sc)
		if steps == nil {
			continue
		}
		if steps.Kind != yaml.SequenceNode || len(steps.Content) == 0 {
			l.fail(steps, "steps: expected a non-empty list")
			continue
		}
		for _, sn := range steps.Content {
			if st := l.step(sc, resolve(sn)); st != nil {
				sc.Steps = append(sc.Steps, st)
			}
		}
		l.pairAnswers(sc)
		l.pairGTP(sc)
		l.linkPiggyback(sc)
		l.pairMAP(sc)
	}
}

func (l *loader) step(sc *Scenario, n *yaml.Node) *Step {
	st := &Step{Scenario: sc, Index: len(sc.Steps), Line: n.Line, col: n.Column}
	var msg, gtpMsg, mapMsg *yaml.Node
	ok := l.fields(n, "step", []string{"at", "from", "to", "diameter", "gtp", "map", "expect", "reason", "hostile"},
		[]string{"at", "from", "to", "expect", "reason"},
		func(key string, k, v *yaml.Node) {
			switch key {
			case "at":
				st.At, _ = l.duration(v, "at")
				if len(sc.Steps) > 0 && st.At < sc.Steps[len(sc.Steps)-1].At {
					l.fail(v, "at: steps must be in time order (previous step is at %s)", sc.Steps[len(sc.Steps)-1].At)
				}
				if st.At >= l.f.Spacing {
					l.fail(v, "at: %s is not before the next scenario starts (spacing %s)", st.At, l.f.Spacing)
				}
			case "from", "to":
				name, _ := l.str(v, key)
				node := l.f.nodes[name]
				if node == nil {
					l.fail(v, "%s: no node %q in nodes", key, name)
				}
				if key == "from" {
					st.From = node
				} else {
					st.To = node
				}
			case "diameter":
				msg = v
			case "gtp":
				gtpMsg = v
			case "map":
				mapMsg = v
			case "hostile":
				st.Hostile = l.text(v, "hostile")
			case "expect":
				l.expect(st, v)
			case "reason":
				st.Reason = l.text(v, "reason")
			}
		})
	if given := btoi(msg != nil) + btoi(gtpMsg != nil) + btoi(mapMsg != nil); ok && given != 1 {
		l.fail(n, "step: give exactly one message: diameter:, gtp: or map:")
		return nil
	}
	if !ok {
		return nil
	}
	if st.From != nil && st.To != nil {
		udp := st.From.Transport == UDP || st.To.Transport == UDP
		switch {
		case st.From == st.To:
			l.fail(n, "step: from and to are the same node")
		case st.From.Addr.Addr().Is4() != st.To.Addr.Addr().Is4():
			l.fail(n, "step: %s and %s use different IP versions", st.From.Name, st.To.Name)
		case gtpMsg != nil && (st.From.Transport != UDP || st.To.Transport != UDP):
			l.fail(n, "step: GTP-C travels over UDP: give %s and %s transport: udp", st.From.Name, st.To.Name)
		case msg != nil && udp:
			l.fail(n, "step: Diameter travels over SCTP or TCP, and %s or %s is a UDP node", st.From.Name, st.To.Name)
		case mapMsg != nil && (st.From.Transport != SCTP || st.To.Transport != SCTP):
			l.fail(n, "step: MAP travels over M3UA on SCTP: %s and %s must be sctp nodes", st.From.Name, st.To.Name)
		case mapMsg != nil:
			for _, nd := range []*Node{st.From, st.To} {
				if nd.GT == "" || nd.SSN == 0 || !nd.hasPC {
					l.fail(n, "step: node %s (line %d) sends or receives MAP: give it gt, ssn and pc", nd.Name, nd.Line)
				}
			}
		}
	}
	if mapMsg != nil {
		st.MAP = l.mapMessage(mapMsg, st)
		if st.MAP == nil {
			return nil
		}
		return st
	}
	if gtpMsg != nil {
		st.GTP = l.gtpMessage(gtpMsg, st)
		if st.GTP == nil {
			return nil
		}
		return st
	}
	st.Message = l.message(msg, st)
	if st.Message != nil && st.From != nil && st.To != nil && (st.From.Transport == TCP || st.To.Transport == TCP) {
		// A TCP stream is framed by the Diameter length: a wrong length or
		// trailing bytes would desynchronise every later message of the
		// connection, in tshark and in the firewall alike.
		if st.Message.Version != nil || st.Message.Length != nil || st.Message.Append != nil {
			l.fail(msg, "diameter: version, length and append overrides break TCP framing; send this vector over SCTP")
		}
	}
	return st
}

func (l *loader) expect(st *Step, n *yaml.Node) {
	ok := l.fields(n, "expect", []string{"verdict", "rule", "malformed"}, []string{"verdict", "rule"}, func(key string, k, v *yaml.Node) {
		s, _ := l.str(v, key)
		switch key {
		case "malformed":
			st.Expect.Malformed = l.text(v, "malformed")
		case "verdict":
			switch s {
			case VerdictAllow, VerdictDrop, VerdictReject:
				st.Expect.Verdict = s
			default:
				l.fail(v, "verdict: use allow, drop or reject")
			}
		case "rule":
			if !l.rules[s] {
				l.fail(v, "rule: %q is neither a baseline rule id nor %q", s, DefaultRule)
			}
			st.Expect.Rule = s
		}
	})
	switch {
	case !ok:
	case st.Expect.Rule == "MALFORMED" && st.Expect.Malformed == "":
		l.fail(n, "expect: a MALFORMED step names the parser's reason: add malformed: \"...\" (part of the reason)")
	case st.Expect.Rule != "MALFORMED" && st.Expect.Malformed != "":
		l.fail(n, "expect: malformed is only for steps whose rule is MALFORMED")
	}
}

// pairAnswers gives answers without explicit hbh/e2e the transaction ids
// of the latest unanswered request of the same command that went the
// opposite way, as a real peer would.
func (l *loader) pairAnswers(sc *Scenario) {
	answered := map[*Step]bool{}
	for i, st := range sc.Steps {
		m := st.Message
		if m == nil || m.Request() || !m.autoIDs {
			continue
		}
		found := false
		for j := i - 1; j >= 0; j-- {
			q := sc.Steps[j]
			if q.Message != nil && q.Message.Request() && !answered[q] && q.Message.Code == m.Code &&
				q.Message.App == m.App && q.From == st.To && q.To == st.From {
				m.HopByHop, m.EndToEnd = q.Message.HopByHop, q.Message.EndToEnd
				answered[q] = true
				found = true
				break
			}
		}
		if !found {
			l.errs = append(l.errs, &Error{File: l.path, Line: st.Line, Col: st.col,
				Msg: "answer without an earlier unanswered request of the same command in the other direction: give hbh and e2e"})
		}
	}
}

// connKey identifies an unordered node pair.
type connKey struct{ a, b string }

func pairOf(x, y *Node) connKey {
	if x.Name < y.Name {
		return connKey{x.Name, y.Name}
	}
	return connKey{y.Name, x.Name}
}

// conn is the association or connection between two nodes: the node that
// sends first opens it from an ephemeral port; the other listens on its
// configured port.
type conn struct {
	init, resp *Node
	initPort   uint16
	transport  Transport
}

func (l *loader) connections() {
	for _, st := range l.f.Steps() {
		k := pairOf(st.From, st.To)
		if l.f.conns[k] != nil {
			continue
		}
		c := &conn{init: st.From, resp: st.To, transport: SCTP}
		switch {
		case st.From.Transport == UDP || st.To.Transport == UDP:
			// GTP-C nodes send from and to their configured ports.
			c.transport, c.initPort = UDP, st.From.Addr.Port()
			l.f.conns[k] = c
			continue
		case st.From.Transport == TCP || st.To.Transport == TCP:
			c.transport = TCP
		}
		// Linux's default ephemeral range, 32768-60999.
		c.initPort = uint16(32768 + hash32("port", st.From.Name, st.To.Name)%28232)
		l.f.conns[k] = c
	}
}

// hash32 derives stable per-pair values (ports, tags, initial sequence
// numbers) so that the generated capture is byte-for-byte reproducible.
func hash32(parts ...string) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum32()
}
