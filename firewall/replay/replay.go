// Package replay runs captures through the firewall engine for the lab:
// capture file → transport messages → protocol parser → the same engine the
// inline proxy uses → one record per signaling message.
package replay

import (
	"breakwater/protocols/sccp"
	"breakwater/protocols/sigtran"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/rules"
	"breakwater/protocols/capture"
	"breakwater/protocols/diameter"
	"breakwater/protocols/gtp"
	"breakwater/protocols/view"
	"net/netip"
)

// Well-known signaling ports and SCTP payload protocol identifiers.
const (
	PortDiameter = 3868
	PPIDDiameter = 46 // RFC 6733 / IANA; 47 is Diameter over DTLS
	PortGTPC     = 2123
	PortM3UA     = 2905
	PPIDM3UA     = 3    // RFC 4666
	PortGTPv0    = 3386 // GTPv0 and GTP' (charging); GTPv1-C is also seen here
)

// Options controls a replay.
type Options struct {
	Format Format
	// Reveal prints clear IMSIs and MSISDNs instead of pseudonyms.
	Reveal bool
	// Pseudonyms hashes identities when Reveal is off.
	Pseudonyms *pseudonym.Hasher
	// Out receives records (and, in table format, the summary).
	Out io.Writer
	// Diag receives problems and, in JSONL format, the summary; it also
	// shows progress when Progress is set.
	Diag     io.Writer
	Progress bool
	// MaxMessage bounds message size (bytes).
	MaxMessage int
}

// Summary totals a replay.
type Summary struct {
	Files, Packets, Messages, Problems int
	// Verdicts counts messages per protocol and action.
	Verdicts map[view.Protocol]map[rules.Action]int
	// Rules counts decisions per rule id; RuleInfo describes each.
	Rules    map[string]int
	RuleInfo map[string]*rules.Rule
	// ProblemLayers counts capture problems per layer.
	ProblemLayers map[string]int
	Malformed     int
	Elapsed       time.Duration
}

func newSummary() *Summary {
	return &Summary{
		Verdicts:      map[view.Protocol]map[rules.Action]int{},
		Rules:         map[string]int{},
		RuleInfo:      map[string]*rules.Rule{},
		ProblemLayers: map[string]int{},
	}
}

func (s *Summary) count(m *view.Message, v *engine.Verdict) {
	s.Messages++
	byAction := s.Verdicts[m.Protocol]
	if byAction == nil {
		byAction = map[rules.Action]int{}
		s.Verdicts[m.Protocol] = byAction
	}
	byAction[v.Action]++
	if m.Malformed != "" {
		s.Malformed++
	}
	s.Rules[v.Rule.ID]++
	s.RuleInfo[v.Rule.ID] = v.Rule
}

// TopRules returns rule ids by decreasing count.
func (s *Summary) TopRules() []string {
	ids := make([]string, 0, len(s.Rules))
	for id := range s.Rules {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if s.Rules[ids[i]] != s.Rules[ids[j]] {
			return s.Rules[ids[i]] > s.Rules[ids[j]]
		}
		return ids[i] < ids[j]
	})
	return ids
}

// Replayer feeds captures through one engine. It keeps one message view
// and one output buffer, so steady-state replay allocates nothing per
// message.
type Replayer struct {
	eng       *engine.Engine
	judge     *engine.Judge
	opts      Options
	out       sink
	sum       *Summary
	msg       view.Message
	extra     view.Message                     // the further Invokes of a TCAP message
	ss7       *sigtran.Decoder                 // M3UA/SCCP/TCAP/MAP, with SCCP reassembly
	onFrame   func(frame int, m *view.Message) // tests: the record's frame
	verdict   engine.Verdict                   // lives here, not on the stack: sinks take its address
	framer    capture.Framer
	gtpFramer capture.Framer
	onEvent   func(m *view.Message, v *engine.Verdict) // for tests and live uses
}

// New prepares a replay with engine e.
func New(e *engine.Engine, o Options) (*Replayer, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Diag == nil {
		o.Diag = io.Discard
	}
	if o.MaxMessage <= 0 {
		o.MaxMessage = e.Policy().Config.Limits.MaxMessageBytes
	}
	if !o.Reveal && o.Pseudonyms == nil {
		o.Pseudonyms = pseudonym.NewRandom()
	}
	r := &Replayer{eng: e, judge: e.NewJudge(), opts: o, sum: newSummary(), framer: diameter.Framer(o.MaxMessage),
		ss7: sigtran.NewDecoder(sccp.ReassemblyConfig{}, nil),
		gtpFramer: func(b []byte) (int, error) {
			n, err := gtp.FrameLength(b)
			if err != nil || n > len(b) {
				return 0, err
			}
			return n, nil
		}}
	switch o.Format {
	case FormatJSONL:
		r.out = newJSONSink(o)
	case FormatTable:
		r.out = newTableSink(o)
	case FormatNone:
		r.out = summarySink{bufio.NewWriter(o.Out)}
	default:
		return nil, fmt.Errorf("unknown output format %d", o.Format)
	}
	return r, nil
}

// OnVerdict registers a callback for every judged message (tests, benches).
func (r *Replayer) OnVerdict(f func(m *view.Message, v *engine.Verdict)) { r.onEvent = f }

// Summary returns the totals so far.
func (r *Replayer) Summary() *Summary { return r.sum }

// Files replays each capture in order and then writes the summary.
func (r *Replayer) Files(paths ...string) (*Summary, error) {
	start := time.Now()
	for _, p := range paths {
		if err := r.File(p); err != nil {
			return r.sum, err
		}
	}
	r.sum.Elapsed = time.Since(start)
	r.out.summary(r.sum)
	return r.sum, r.out.flush()
}

// File replays one capture file.
func (r *Replayer) File(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var src io.Reader = f
	var prog *progress
	if r.opts.Progress {
		if st, err := f.Stat(); err == nil && st.Size() > 0 {
			prog = newProgress(r.opts.Diag, path, st.Size())
			src = prog.reader(f)
			defer prog.done()
		}
	}
	if err := r.Reader(src); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r.sum.Files++
	return nil
}

// Reader replays one capture stream.
func (r *Replayer) Reader(src io.Reader) error {
	rd, err := capture.NewReader(src, capture.Options{
		TCPFramer:  r.tcpFramer,
		MaxMessage: r.opts.MaxMessage,
	})
	if err != nil {
		return err
	}
	defer func() { r.sum.Packets += int(rd.Stats().Packets) }()
	for {
		cm, err := rd.Next()
		if err != nil {
			var p *capture.Problem
			if errors.As(err, &p) {
				r.sum.Problems++
				r.sum.ProblemLayers[p.Layer]++
				fmt.Fprintf(r.opts.Diag, "problem: %v\n", p)
				continue
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
		r.message(&cm)
	}
}

// tcpFramer reassembles TCP flows that touch the Diameter port, and the
// (rare, non-standard) GTP-C over TCP.
func (r *Replayer) tcpFramer(src, dst netip.AddrPort) capture.Framer {
	switch {
	case src.Port() == PortDiameter || dst.Port() == PortDiameter:
		return r.framer
	case src.Port() == PortGTPC || dst.Port() == PortGTPC:
		return r.gtpFramer
	}
	return nil
}

// classify names the signaling protocol a transport message carries.
func classify(cm *capture.Message) view.Protocol {
	diaPort := cm.Src.Port() == PortDiameter || cm.Dst.Port() == PortDiameter
	switch cm.Transport {
	case capture.TransportSCTP:
		if cm.PPID == PPIDDiameter || (cm.PPID == 0 && diaPort) {
			return view.Diameter
		}
		if cm.PPID == PPIDM3UA || (cm.PPID == 0 && (cm.Src.Port() == PortM3UA || cm.Dst.Port() == PortM3UA)) {
			return view.MAP
		}
	case capture.TransportTCP:
		if diaPort {
			return view.Diameter
		}
		if cm.Src.Port() == PortGTPC || cm.Dst.Port() == PortGTPC {
			return gtpKind(cm.Data, false)
		}
	case capture.TransportUDP:
		switch {
		case cm.Src.Port() == PortGTPC || cm.Dst.Port() == PortGTPC:
			return gtpKind(cm.Data, false)
		case cm.Src.Port() == PortGTPv0 || cm.Dst.Port() == PortGTPv0:
			return gtpKind(cm.Data, true)
		}
	}
	return view.ProtoUnknown
}

// gtpKind accepts GTPv2-C and control-plane GTPv1; GTPv0, GTP' and
// user-plane GTPv1 messages are not GTP-C. On port 3386, shared with GTP',
// a version-2 octet with spare bits set is GTP'; on 2123 it is GTPv2-C
// whose sender did not clear its spare bits.
func gtpKind(b []byte, port3386 bool) view.Protocol {
	kind := gtp.Classify(b)
	if !port3386 && kind == gtp.KindPrime && len(b) > 0 && b[0]>>5 == 2 {
		kind = gtp.KindV2
	}
	switch kind {
	case gtp.KindV2:
		return view.GTPv2C
	case gtp.KindV1:
		if len(b) > 1 && gtp.ControlPlane(1, b[1]) {
			return view.GTPv1C
		}
	}
	return view.ProtoUnknown
}

func (r *Replayer) message(cm *capture.Message) {
	switch classify(cm) {
	case view.Diameter:
		diameter.Decode(cm.Data, &r.msg)
		r.judgeOne(cm)
	case view.MAP:
		r.m3ua(cm)
	case view.GTPv1C, view.GTPv2C:
		// A GTPv2 datagram may carry piggybacked messages: each is one record.
		data := cm.Data
		for len(data) > 0 {
			n, err := gtp.Decode(data, &r.msg)
			r.judgeOne(cm)
			if err != nil || n == 0 || !gtp.HasPiggyback(data) {
				return
			}
			data = data[n:]
		}
	}
}

// m3ua decodes an M3UA message: one record per SS7 message (M3UA
// management and SCCP segments awaiting the rest make none). A TCAP
// message with several Invokes is judged as the relay judges it
// (engine.JudgeInvokes) and recorded once, with the first Invoke's
// operation and the deciding verdict.
func (r *Replayer) m3ua(cm *capture.Message) {
	res, _ := r.ss7.Decode(cm.Time, cm.Data, &r.msg)
	if res != sigtran.Message {
		return
	}
	m := &r.msg
	m.Time, m.Src, m.Dst = cm.Time, cm.Src, cm.Dst
	r.verdict, _ = r.judge.JudgeInvokes(m, r.ss7, &r.extra)
	r.record(cm)
}

// judgeOne judges the message decoded into r.msg and records it.
func (r *Replayer) judgeOne(cm *capture.Message) {
	m := &r.msg
	m.Time, m.Src, m.Dst = cm.Time, cm.Src, cm.Dst
	r.verdict = r.judge.Judge(m)
	r.record(cm)
}

// record counts and writes the verdict on r.msg.
func (r *Replayer) record(cm *capture.Message) {
	m := &r.msg
	v := &r.verdict
	r.sum.count(m, v)
	r.out.record(cm.Frame, m, v)
	if r.onFrame != nil {
		r.onFrame(cm.Frame, m)
	}
	if r.onEvent != nil {
		r.onEvent(m, v)
	}
}
