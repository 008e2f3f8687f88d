package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/rules"
	"breakwater/firewall/transport"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/sigtran"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

// m3uaReassembly bounds each direction's SCCP reassembly: the Reassembler
// preallocates MaxPending × MaxMessageBytes, so the default 1024 pending
// messages would cost 4 MiB per association direction, 32 cost 128 KiB.
// 32 incomplete messages at once is far beyond what one partner
// association carries (MAP segments only the largest insertSubscriberData
// and SMS messages).
var m3uaReassembly = sccp.ReassemblyConfig{MaxPending: maxHeldMessages}

// m3uaPair joins one partner association with its own upstream
// association.
type m3uaPair struct {
	r    *M3UARelay
	peer *endpoint
	up   atomic.Pointer[endpoint]
	// life orders "the pair is over" against "the upstream association
	// is published", so that no upstream association outlives its pair.
	life sync.Mutex
	over bool
	// dialogues: the TCAP dialogues crossing the pair, shared by both
	// directions' decoders (a dialogue begun by one side is continued by
	// the other); made by the first reader.
	dialoguesOnce sync.Once
	dialogues     *tcap.Dialogues
}

// m3uaReader is one direction's state: no allocation and no sharing on
// the per-message path.
type m3uaReader struct {
	dir   int // fromPartner or fromHome
	buf   []byte
	msg   view.Message
	judge *engine.Judge
	dec   *sigtran.Decoder
	// Scratch for answers and segment keys.
	data m3ua.Data
	sccp sccp.Message
	tc   tcap.Message
	mb   m3ua.Builder
	sb   sccp.Builder
	tb   tcap.Builder
	held heldStore
}

func (p *m3uaPair) newReader(dir int) *m3uaReader {
	rd := &m3uaReader{
		dir:   dir,
		buf:   make([]byte, 0, p.r.cfg.MaxMessage),
		judge: p.r.eng.NewJudge(),
	}
	p.dialoguesOnce.Do(func() { p.dialogues = tcap.NewDialogues(tcap.DialoguesConfig{}) })
	rd.dec = sigtran.NewDecoder(m3uaReassembly, p.dialogues)
	rd.held.init(&p.r.Stats, sccp.DefaultTimeout)
	return rd
}

// run opens the upstream association and serves the pair until either
// association ends.
func (p *m3uaPair) run() {
	r := p.r
	r.Stats.ActivePairs.Add(1)
	defer r.Stats.ActivePairs.Add(-1)
	log := r.log.With("partner", p.peer.conn.RemoteAddr().String())
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.ConnectTimeout)
	c, err := transport.Dial(ctx, r.cfg.Upstream, r.transportOptions(r.cfg.UpstreamSource))
	cancel()
	if err != nil {
		r.Stats.UpstreamFailures.Add(1)
		log.Warn("upstream unreachable; partner association closed", "upstream", r.cfg.Upstream.String(), "err", err)
		p.peer.conn.Abort()
		return
	}
	up := &endpoint{conn: c}
	p.life.Lock()
	if p.over {
		p.life.Unlock()
		c.Close()
		p.peer.conn.Close()
		return
	}
	p.up.Store(up)
	p.life.Unlock()
	r.Stats.UpstreamUp.Add(1)
	defer r.Stats.UpstreamUp.Add(-1)
	in, out := p.peer.conn.Streams()
	log.Info("partner associated", "transport", p.peer.conn.Kind().String(), "streams_in", in, "streams_out", out,
		"upstream", c.RemoteAddr().String())

	// The upstream association is lost when reading it fails, or writing
	// to it does, while the pair is serving; not when the partner's
	// association fails (a write to the partner failing ends the home
	// loop too: the partner aborted), nor when the pair is being closed
	// on purpose or the watchdog cut the upstream off (a write timeout).
	upstreamLost := func(err error) {
		if p.markOver() && !up.stuck.Load() {
			r.Stats.UpstreamLost.Add(1)
			log.Warn("upstream association lost; closing the partner association so that its ASP fails over", "err", err)
		}
	}
	upDone := make(chan struct{})
	var partnerErr error // the failed write to the partner that ended the pair
	go func() {
		defer close(upDone)
		err := p.loop(up, p.peer, fromHome)
		if !errors.As(err, new(writeError)) {
			upstreamLost(err)
		} else if p.markOver() {
			partnerErr = err // the partner's association failed (an ABORT) while home answered it
		}
		p.closeBoth()
	}()
	err = p.loop(p.peer, up, fromPartner)
	if errors.As(err, new(writeError)) {
		upstreamLost(err)
	}
	p.closeBoth()
	<-upDone
	if partnerErr != nil {
		err = partnerErr // not the read of the association closeBoth closed
	}
	if isReset(err) {
		p.r.Stats.PeerResets.Add(1)
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrClosed) {
		log.Info("partner association ended", "err", err)
	} else {
		log.Info("partner association closed")
	}
}

// markOver marks the pair over and reports whether it was not already.
func (p *m3uaPair) markOver() bool {
	p.life.Lock()
	defer p.life.Unlock()
	first := !p.over
	p.over = true
	return first
}

// writeError is a failed write to the other side of a loop: the
// association written to failed, not the one read.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// toFailed marks err, from a write to the other side, as a writeError.
func toFailed(err error) error {
	if err == nil {
		return nil
	}
	return writeError{err}
}

// closeBoth ends both associations (SCTP SHUTDOWN; queued data is still
// delivered).
func (p *m3uaPair) closeBoth() {
	p.life.Lock()
	p.over = true
	p.life.Unlock()
	p.peer.conn.Close()
	if up := p.up.Load(); up != nil {
		up.conn.Close()
	}
}

func (p *m3uaPair) checkStuck(now, limit int64) {
	if p.peer.checkStuck(now, limit) || p.up.Load().checkStuck(now, limit) {
		p.r.Stats.WriteTimeouts.Add(1)
		p.r.log.Warn("a side stopped reading; pair closed", "partner", p.peer.conn.RemoteAddr().String())
		p.closeBoth()
	}
}

// loop reads from until its association ends, relaying to the other side.
func (p *m3uaPair) loop(from, to *endpoint, dir int) error {
	st := &p.r.Stats
	rd := p.newReader(dir)
	defer rd.held.clear()
	for {
		m, err := from.conn.ReadMessage(rd.buf)
		if err == nil && dir == fromPartner {
			p.r.throttle(from.conn.RemoteAddr().Addr())
		}
		switch {
		case errors.Is(err, transport.ErrTooLarge):
			st.Oversized.Add(1) // dropped; the association stays up
			continue
		case errors.Is(err, transport.ErrFraming):
			st.FramingErrors.Add(1)
			p.r.log.Warn("bytes that are not M3UA; pair closed", "from", from.conn.RemoteAddr().String())
			return err
		case errors.Is(err, transport.ErrReadTimeout):
			st.ReadTimeouts.Add(1)
			p.r.log.Warn("no whole message within read_timeout; pair closed", "from", from.conn.RemoteAddr().String())
			return err
		case err != nil:
			return err
		}
		if err := p.handle(rd, from, to, m); err != nil {
			return err
		}
	}
}

// handle decodes, judges and relays (or blocks) one message. A returned
// error (a failed write) ends the pair: a writeError when the write to to
// failed, a plain one when the answer to from did.
func (p *m3uaPair) handle(rd *m3uaReader, from, to *endpoint, m transport.Message) error {
	st := &p.r.Stats
	now := time.Now()
	v := &rd.msg
	res, derr := rd.dec.Decode(now, m.Data, v)
	switch res {
	case sigtran.Management:
		st.Management[rd.dir][mgmtKindIndex(m.Data[2], m.Data[3])].Add(1)
		return toFailed(writeOnStream(to, m))
	case sigtran.Pending:
		rd.hold(now, m)
		return nil
	}
	if derr != nil {
		st.DecodeErrors.Add(1)
	}
	verdict, invoke := p.judge(rd, from, to, now)
	if p.r.cfg.Observe != nil {
		p.r.cfg.Observe(p.r.cfg.Name, v, verdict)
	}
	held := -1
	if rd.held.n > 0 {
		rd.held.sweep(now.UnixNano())
		held = rd.heldFor(m.Data)
	}
	if verdict.Action == rules.Allow {
		if held >= 0 {
			if err := rd.forwardHeld(held, to); err != nil {
				return toFailed(err)
			}
		}
		if err := writeOnStream(to, m); err != nil {
			return toFailed(err)
		}
		st.Relayed[rd.dir].Add(1)
		return nil
	}
	st.Blocked[rd.dir].Add(1)
	p.r.block.record(v, &verdict)
	var err error
	if verdict.Action == rules.Reject {
		err = p.answer(rd, from, m, &verdict, invoke, held)
	}
	if held >= 0 {
		rd.held.release(held)
	}
	return err
}

// judge judges the decoded message, and each further Invoke of a TCAP
// message that has several: the first blocking verdict decides, and
// invoke is the index of the Invoke it judged.
func (p *m3uaPair) judge(rd *m3uaReader, from, to *endpoint, now time.Time) (verdict engine.Verdict, invoke int) {
	v := &rd.msg
	v.Time, v.Src, v.Dst = now, from.conn.RemoteAddr(), to.conn.RemoteAddr()
	return rd.judge.JudgeInvokes(v, rd.dec, v)
}

// segment parses raw (an M3UA DATA message) into rd.data and rd.sccp and
// returns its segment key; ok is false when it is not a segment.
func (rd *m3uaReader) segment(raw []byte) (k heldKey, first, ok bool) {
	if m3ua.ParseData(raw, &rd.data) != nil || rd.data.SI != m3ua.SISCCP || sccp.Parse(rd.data.UserData, &rd.sccp) != nil ||
		!rd.sccp.HasSegmentation || len(rd.sccp.Calling.Raw) > sccp.MaxAddressLen {
		return k, false, false
	}
	k.opc, k.ref, k.n = rd.data.OPC, rd.sccp.Segmentation.LocalRef, uint8(len(rd.sccp.Calling.Raw))
	copy(k.calling[:], rd.sccp.Calling.Raw)
	return k, rd.sccp.Segmentation.First, true
}

// hold keeps a segment of a message being reassembled.
func (rd *m3uaReader) hold(now time.Time, m transport.Message) {
	k, first, ok := rd.segment(m.Data)
	if !ok {
		return // Pending is only ever a segment
	}
	rd.held.add(now.UnixNano(), k, first, m)
}

// heldFor returns the held-message index of the message raw completes, or
// -1.
func (rd *m3uaReader) heldFor(raw []byte) int {
	k, _, ok := rd.segment(raw)
	if !ok {
		return -1
	}
	return rd.held.find(k)
}

// forwardHeld relays the held segments of message i in arrival order and
// releases them.
func (rd *m3uaReader) forwardHeld(i int, to *endpoint) error {
	h := &rd.held.msgs[i]
	defer rd.held.release(i)
	for _, s := range h.segs[:h.nseg] {
		if err := writeOnStream(to, transport.Message{Data: h.buf[s.off : s.off+s.n], Stream: s.stream, PPID: s.ppid}); err != nil {
			return err
		}
		rd.held.stats.Relayed[rd.dir].Add(1)
	}
	return nil
}

// writeOnStream sends m on its own stream when the receiving association
// has it. When it has fewer outbound streams than the sender used (the two
// associations negotiate their stream counts separately), the stream is
// folded into the ones it has, keeping stream 0 for stream 0 (M3UA's
// management stream) and spreading the others over 1..n-1, so that messages
// of one stream stay in order.
func writeOnStream(to *endpoint, m transport.Message) error {
	if _, out := to.conn.Streams(); out > 0 && m.Stream >= out { // 0: unknown, leave it
		if out == 1 {
			m.Stream = 0
		} else {
			m.Stream = 1 + (m.Stream-1)%(out-1)
		}
	}
	return to.write(m)
}

func (p *m3uaPair) peerAddr() netip.Addr { return p.peer.conn.RemoteAddr().Addr() }
