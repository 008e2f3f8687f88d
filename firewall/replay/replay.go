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
	"runtime"
	"runtime/debug"
	"sort"
	"time"
	"unsafe"

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

	pending map[countKey]*counter // counts not yet in the maps above
	last    *counter
}

func newSummary() *Summary {
	return &Summary{
		Verdicts:      map[view.Protocol]map[rules.Action]int{},
		Rules:         map[string]int{},
		RuleInfo:      map[string]*rules.Rule{},
		ProblemLayers: map[string]int{},
	}
}

// count adds one judged message. The per-protocol, per-action and per-rule
// counts are kept in a small table keyed by rule pointer, which is cheaper
// per message than three string-keyed maps; fold moves them into the maps.
func (s *Summary) count(m *view.Message, v *engine.Verdict) {
	s.Messages++
	if m.Malformed != "" {
		s.Malformed++
	}
	k := countKey{proto: m.Protocol, action: v.Action, rule: v.Rule}
	c := s.last
	if c == nil || c.key != k {
		if s.pending == nil {
			s.pending = map[countKey]*counter{}
		}
		if c = s.pending[k]; c == nil {
			c = &counter{key: k}
			s.pending[k] = c
		}
		s.last = c
	}
	c.n++
	c.seen = s.Messages
}

type countKey struct {
	proto  view.Protocol
	action rules.Action
	rule   *rules.Rule
}

type counter struct {
	key  countKey
	n    int
	seen int // Messages when last counted: orders RuleInfo updates
}

// fold moves the pending counts into Verdicts, Rules and RuleInfo, in the
// order they were last counted, so RuleInfo keeps the last rule seen for an
// id as if every message had been counted into the maps directly.
func (s *Summary) fold() {
	if len(s.pending) == 0 {
		return
	}
	cs := make([]*counter, 0, len(s.pending))
	for _, c := range s.pending {
		if c.n > 0 {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].seen < cs[j].seen })
	for _, c := range cs {
		byAction := s.Verdicts[c.key.proto]
		if byAction == nil {
			byAction = map[rules.Action]int{}
			s.Verdicts[c.key.proto] = byAction
		}
		byAction[c.key.action] += c.n
		s.Rules[c.key.rule.ID] += c.n
		s.RuleInfo[c.key.rule.ID] = c.key.rule
		c.n = 0
	}
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

	sequential    bool        // tests: never read in a goroutine of its own
	reassembleAll bool        // tests: reassemble even the datagrams wantDatagram skips
	batches       chan *batch // free batches, kept between files
	fileBuf       []byte      // File reads captures into it
	mapped        bool        // the capture replayed is a file's mapping (replayMapped)
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

// File replays one capture file. Files up to maxInMemory bytes are mapped
// (read, where they cannot be) and replayed from memory (see Bytes and
// replayMapped); larger ones, and any file when progress is shown, are
// streamed.
func (r *Replayer) File(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var src io.Reader = f
	var prog *progress
	st, serr := f.Stat()
	if r.opts.Progress {
		if serr == nil && st.Size() > 0 {
			prog = newProgress(r.opts.Diag, path, st.Size())
			src = prog.reader(f)
			defer prog.done()
		}
	} else if serr == nil && st.Mode().IsRegular() && st.Size() > 0 && st.Size() <= maxInMemory {
		if data, unmap, ok := mapFile(f, st.Size()); ok {
			// A file that grew since Stat is streamed whole instead.
			var one [1]byte
			if extra, _ := f.ReadAt(one[:], st.Size()); extra == 0 {
				err := r.replayMapped(data)
				unmap() // nothing refers to a file's bytes once its replay has returned
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				r.sum.Files++
				return nil
			}
			unmap()
			return r.stream(path, src)
		}
		// One buffer serves file after file: nothing refers to a file's
		// bytes once its replay has returned.
		if int64(cap(r.fileBuf)) < st.Size() {
			r.fileBuf = make([]byte, st.Size())
		}
		data := r.fileBuf[:st.Size()]
		n, err := io.ReadFull(f, data)
		if err != nil && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("%s: %w", path, err)
		}
		// A file that grew since Stat is read to its end by streaming the rest.
		if err == nil {
			var one [1]byte
			if extra, _ := f.Read(one[:]); extra == 0 {
				if err := r.Bytes(data[:n]); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				r.sum.Files++
				return nil
			}
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return r.stream(path, src)
}

// stream replays the capture file path as it is read from src.
func (r *Replayer) stream(path string, src io.Reader) error {
	if err := r.Reader(src); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r.sum.Files++
	return nil
}

// replayMapped replays a capture file mapped into memory (Bytes). Should
// another program cut the file short meanwhile, its pages past the new end
// fault (SIGBUS): with SetPanicOnFault, in this goroutine and in the
// pipeline's reading one, that is a panic, reported here as an error
// instead of a crash. Any other panic is raised again.
func (r *Replayer) replayMapped(data []byte) (err error) {
	r.mapped = true
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		r.mapped = false
		p := recover()
		if p == nil {
			return
		}
		if f, ok := p.(interface{ Addr() uintptr }); ok {
			start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
			if a := f.Addr(); a >= start && a < start+uintptr(len(data)) {
				err = fmt.Errorf("the file was cut short while it was being replayed (its byte %d could no longer be read)", a-start)
				return
			}
		}
		panic(p)
	}()
	return r.Bytes(data)
}

// maxInMemory is the largest capture file File reads whole into memory.
const maxInMemory = 256 << 20

// Reader replays one capture stream.
func (r *Replayer) Reader(src io.Reader) error {
	rd, err := capture.NewReader(src, r.captureOptions())
	if err != nil {
		return err
	}
	return r.run(rd)
}

// Bytes replays one capture file held in memory, without copying it. data
// must not be modified during the call.
func (r *Replayer) Bytes(data []byte) error {
	rd, err := capture.NewReaderBytes(data, r.captureOptions())
	if err != nil {
		return err
	}
	return r.run(rd)
}

func (r *Replayer) captureOptions() capture.Options {
	o := capture.Options{TCPFramer: r.tcpFramer, WantDatagram: r.wantDatagram, MaxMessage: r.opts.MaxMessage}
	if r.reassembleAll {
		o.WantDatagram = nil
	}
	return o
}

// run replays the messages of rd. With more than one processor, reading
// the capture (file format, IP, SCTP and TCP reassembly) runs in a goroutine
// of its own, one batch ahead of decoding and judging; the messages are
// judged in capture order either way, so the verdicts are the same.
func (r *Replayer) run(rd *capture.Reader) error {
	defer r.sum.fold()
	if r.sequential || runtime.GOMAXPROCS(0) < 2 {
		return r.runSequential(rd)
	}
	return r.runPipelined(rd)
}

func (r *Replayer) runSequential(rd *capture.Reader) error {
	defer func() { r.sum.Packets += int(rd.Stats().Packets) }()
	for {
		cm, err := rd.Next()
		if err != nil {
			var p *capture.Problem
			if errors.As(err, &p) {
				r.problem(p)
				continue
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
		if proto := classify(&cm); proto != view.ProtoUnknown {
			r.message(&cm, proto)
		}
	}
}

func (r *Replayer) problem(p *capture.Problem) {
	r.sum.Problems++
	r.sum.ProblemLayers[p.Layer]++
	fmt.Fprintf(r.opts.Diag, "problem: %v\n", p)
}

// A batch carries capture messages (or problems), in order, from the
// reading goroutine to the judging one.
type batch struct {
	items []batchItem
	arena []byte // copies of message data that lives in the reader's buffers
	err   error  // set on the last batch: io.EOF or a fatal error
	// panicked is what the reading goroutine panicked with, if it did.
	panicked any
}

var errReaderPanicked = errors.New("replay: capture reader panicked")

type batchItem struct {
	msg   capture.Message
	proto view.Protocol
	prob  *capture.Problem // not nil: a problem, not a message
}

const (
	batchSize    = 64
	batchesAhead = 3
)

func (r *Replayer) runPipelined(rd *capture.Reader) error {
	if r.batches == nil {
		r.batches = make(chan *batch, batchesAhead+1)
	}
	// All batches are back after a replay, unless it panicked.
	for len(r.batches) < cap(r.batches) {
		r.batches <- &batch{items: make([]batchItem, 0, batchSize)}
	}
	free := r.batches
	full := make(chan *batch, batchesAhead)
	done := make(chan struct{})
	defer close(done)
	mapped := r.mapped
	go func() {
		if mapped {
			debug.SetPanicOnFault(true) // see replayMapped
		}
		var b *batch
		select {
		case b = <-free:
		case <-done:
			return
		}
		defer func() {
			// A panic while reading is raised again in the caller's
			// goroutine, as it would be without the pipeline.
			if p := recover(); p != nil {
				b.panicked, b.err = p, errReaderPanicked
				select {
				case full <- b:
				case <-done:
				}
			}
		}()
		for {
			cm, err := rd.Next()
			switch {
			case err == nil:
				proto := classify(&cm)
				if proto == view.ProtoUnknown {
					continue
				}
				if !rd.InInput(cm.Data) {
					start := len(b.arena)
					b.arena = append(b.arena, cm.Data...)
					cm.Data = b.arena[start:len(b.arena):len(b.arena)]
				}
				b.items = append(b.items, batchItem{msg: cm, proto: proto})
			default:
				var p *capture.Problem
				if errors.As(err, &p) {
					b.items = append(b.items, batchItem{prob: p})
					break
				}
				b.err = err
				select {
				case full <- b:
				case <-done:
				}
				return
			}
			if len(b.items) == batchSize {
				select {
				case full <- b:
				case <-done:
					return
				}
				select {
				case b = <-free:
				case <-done:
					return
				}
			}
		}
	}()
	for b := range full {
		for i := range b.items {
			if it := &b.items[i]; it.prob != nil {
				r.problem(it.prob)
			} else {
				r.message(&it.msg, it.proto)
			}
		}
		err, p := b.err, b.panicked
		b.items, b.arena, b.err, b.panicked = b.items[:0], b.arena[:0], nil, nil
		free <- b
		if p != nil {
			panic(p)
		}
		if err != nil {
			// The reading goroutine has returned: its reader is ours again.
			r.sum.Packets += int(rd.Stats().Packets)
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
	return nil // not reached: the last batch carries an error
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

// wantDatagram tells the capture reader which fragmented IP datagrams are
// worth reassembling: those classify may find signaling in. SCTP is
// classified by payload protocol identifier as well as by port, so all of
// it is wanted; TCP as tcpFramer reassembles it; UDP by the GTP-C ports.
// Anything else (GTP-U above all) is dropped fragment by fragment.
func (r *Replayer) wantDatagram(t capture.Transport, src, dst netip.AddrPort) bool {
	return wantsDatagram(r.tcpFramer, t, src, dst)
}

// wantsDatagram is wantDatagram for a reader framing TCP with tcpFramer
// (the live replay's as well as the Replayer's).
func wantsDatagram(tcpFramer func(src, dst netip.AddrPort) capture.Framer, t capture.Transport, src, dst netip.AddrPort) bool {
	switch t {
	case capture.TransportTCP:
		return tcpFramer(src, dst) != nil || tcpFramer(dst, src) != nil
	case capture.TransportUDP:
		sp, dp := src.Port(), dst.Port()
		return sp == PortGTPC || dp == PortGTPC || sp == PortGTPv0 || dp == PortGTPv0
	}
	return true
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

func (r *Replayer) message(cm *capture.Message, proto view.Protocol) {
	switch proto {
	case view.Diameter:
		diameter.Decode(cm.Data, &r.msg)
		r.judgeOne(cm, &r.msg)
	case view.MAP:
		r.m3ua(cm)
	case view.GTPv1C, view.GTPv2C:
		// A GTPv2 datagram may carry piggybacked messages: each is one record.
		data := cm.Data
		for len(data) > 0 {
			n, err := gtp.Decode(data, &r.msg)
			r.judgeOne(cm, &r.msg)
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
	r.record(cm, m)
}

// judgeOne judges the message decoded into m and records it.
func (r *Replayer) judgeOne(cm *capture.Message, m *view.Message) {
	m.Time, m.Src, m.Dst = cm.Time, cm.Src, cm.Dst
	r.verdict = r.judge.Judge(m)
	r.record(cm, m)
}

// record counts and writes the verdict on m.
func (r *Replayer) record(cm *capture.Message, m *view.Message) {
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
