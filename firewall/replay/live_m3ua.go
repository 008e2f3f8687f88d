package replay

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"breakwater/firewall/transport"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/sigtran"
	"breakwater/protocols/view"
)

// m3uaSender is an ASP: it brings itself up and active (ASP Up, ASP
// Active) on one association, then sends the capture's M3UA DATA messages
// unchanged; a TC-BEGIN waits for the message that answers its
// transaction (TC-END, TC-CONTINUE or TC-ABORT with that DTID, or an SCCP
// UDTS returning it).
type m3uaSender struct {
	opts *LiveOptions
	c    transport.Conn
	in   chan []byte // DATA messages from the target
	dec  *sigtran.Decoder
	ans  *sigtran.Decoder
	v, w view.Message
	sm   sccp.Message
	data m3ua.Data
}

// tcapBegin is the TCAP Begin message type (Q.773).
const tcapBegin = 0x62

func (s *m3uaSender) wants(p view.Protocol, b []byte) bool {
	h, err := m3ua.ParseHeader(b)
	return p == view.MAP && err == nil && h.Kind() == m3ua.KindDATA
}

func (s *m3uaSender) connect(ctx context.Context) error {
	opts := transport.Options{Local: s.opts.From, ConnectTimeout: max(s.opts.Wait, 5*time.Second), Framer: transport.Framer{HeaderLen: m3ua.HeaderLen,
		Length: func(h []byte) (int, error) {
			n, ok := m3ua.StreamLength(h)
			if !ok {
				return 0, transport.ErrFraming
			}
			return n, nil
		}}}
	c, err := transport.Dial(ctx, s.opts.To, opts)
	if err != nil {
		return fmt.Errorf("associating with %s: %w", s.opts.To, err)
	}
	s.c, s.in = c, make(chan []byte, 64)
	s.dec, s.ans = sigtran.NewDecoder(sccp.ReassemblyConfig{}, nil), sigtran.NewDecoder(sccp.ReassemblyConfig{}, nil)
	acks := make(chan m3ua.Kind, 4)
	go func() {
		defer close(s.in)
		buf := make([]byte, 0, 1<<16)
		for {
			m, err := c.ReadMessage(buf)
			if err != nil {
				return
			}
			h, err := m3ua.ParseHeader(m.Data)
			switch {
			case err != nil:
			case h.Kind() == m3ua.KindDATA:
				select {
				case s.in <- append([]byte(nil), m.Data...):
				default: // nobody waits for it
				}
			case h.Kind() == m3ua.KindASPUPAck || h.Kind() == m3ua.KindASPACAck:
				select {
				case acks <- h.Kind():
				default:
				}
			}
		}
	}()
	// The association's set-up waits longer than an answer: the target
	// may be opening its own association toward the home STP first.
	setup := max(s.opts.Wait, 5*time.Second)
	var b m3ua.Builder
	for _, step := range []struct {
		msg []byte
		ack m3ua.Kind
	}{
		{bytes.Clone(b.Start(m3ua.KindASPUP).Message()), m3ua.KindASPUPAck}, // the builder reuses its buffer
		{bytes.Clone(b.Start(m3ua.KindASPAC).Uint32(m3ua.TagTrafficModeType, 2).Message()), m3ua.KindASPACAck},
	} {
		if err := c.WriteMessage(transport.Message{Data: step.msg, Stream: 0, PPID: m3ua.PPID}); err != nil {
			return err
		}
		select {
		case k := <-acks:
			if k != step.ack {
				return fmt.Errorf("%s answered %s, want %s", s.opts.To, k, step.ack)
			}
		case <-time.After(setup):
			return fmt.Errorf("%s did not acknowledge with %s within %s: is the source a configured partner, and the home STP up?", s.opts.To, step.ack, setup)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *m3uaSender) send(ctx context.Context, b []byte) (string, string, bool, error) {
	if s.c == nil {
		if err := s.connect(ctx); err != nil {
			return "", "", false, err
		}
	}
	res, _ := s.dec.Decode(time.Time{}, b, &s.v)
	op := s.v.Op
	if res == sigtran.Pending {
		op = "XUDT segment"
	} else if op == "" {
		op = fmt.Sprintf("TCAP %#x code %d", s.v.TCAPType, s.v.Code)
	}
	begin, tid := res == sigtran.Message && s.v.TCAPType == tcapBegin, s.v.Transaction
	if err := s.c.WriteMessage(transport.Message{Data: b, Stream: 1, PPID: m3ua.PPID}); err != nil {
		return op, "", false, fmt.Errorf("%s: %w (the target closed the association)", op, err)
	}
	if !begin {
		return op, "", false, nil // no answer expected of its own
	}
	deadline := time.After(s.opts.Wait)
	for {
		select {
		case a, ok := <-s.in:
			if !ok {
				return op, "", false, fmt.Errorf("%s: the target closed the association", op)
			}
			if r, ok := s.answers(a, tid); ok {
				return op, r, true, nil
			}
		case <-deadline:
			return op, "", false, nil
		case <-ctx.Done():
			return op, "", false, ctx.Err()
		}
	}
}

// answers reports whether DATA message a answers transaction tid, and
// how.
func (s *m3uaSender) answers(a []byte, tid uint64) (string, bool) {
	if m3ua.ParseData(a, &s.data) == nil && sccp.Parse(s.data.UserData, &s.sm) == nil && s.sm.Type.Service() {
		return "UDTS", true // returned as undeliverable (Breakwater's udts answer, or the network's)
	}
	res, _ := s.ans.Decode(time.Time{}, a, &s.w)
	if res != sigtran.Message || s.w.Transaction != tid {
		return "", false
	}
	switch s.w.TCAPType {
	case 0x64, 0x65: // End, Continue
		if s.w.ResultCode != 0 {
			return fmt.Sprintf("ReturnError %d", s.w.ResultCode), true
		}
		if s.w.TCAPType == 0x65 {
			return "Continue", true
		}
		return "End", true
	case 0x67:
		return "Abort", true
	}
	return "", false
}

func (s *m3uaSender) reconnects() int { return 0 }

func (s *m3uaSender) close() {
	if s.c != nil {
		s.c.Close()
	}
}
