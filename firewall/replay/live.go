package replay

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"breakwater/firewall/network"
	"breakwater/firewall/transport"
	"breakwater/internal/diampeer"
	"breakwater/protocols/capture"
	"breakwater/protocols/diameter"
	"breakwater/protocols/gtp"
	"breakwater/protocols/view"
)

// Live replay sends a capture's signaling requests to a running
// Breakwater (or any peer) as a partner would — in capture order, with
// the capture's timing when paced — and reports what came back, so that a
// lab can test a deployed instance with real traffic. Diameter goes over
// the target's transport (tcp:// or sctp://) on one connection that makes
// its own capabilities exchange in the first request's Origin-Host/Realm
// (the capture's CER, DWR and DPR are not sent), M3UA DATA (SS7 MAP) over
// tcp:// or sctp:// as an ASP brought up and active first, GTP-C over
// udp://. Requests from the home network's
// addresses (when a network is given) are not sent: they are the other
// side's.

// LiveOptions configure a live replay.
type LiveOptions struct {
	To    transport.Address // the target
	From  []netip.Addr      // local source addresses (a partner's), none: the kernel's choice
	Pace  bool              // keep the capture's inter-message timing
	Wait  time.Duration     // how long each request waits for its answer (default 3 s)
	Home  *network.Network  // when set, requests sent from home addresses are skipped
	Out   io.Writer         // the report
	Limit int               // send at most this many requests (0: all)
	// M3UA sends the capture's M3UA DATA messages (SS7) instead of
	// Diameter over a tcp:// or sctp:// target.
	M3UA bool
}

// LiveResult counts one operation's requests and answers.
type LiveResult struct {
	Op       string
	Sent     int
	Answered int
	Results  map[string]int // Result-Code, GTP cause, or the TCAP answer ("End", "ReturnError 21", "Abort", "UDTS") → count
}

// LiveSummary is what a live replay did.
type LiveSummary struct {
	Sent, Answered, Skipped int
	// Disconnects counts connections the target closed (the sender
	// reconnects and goes on).
	Disconnects int
	Ops         map[string]*LiveResult
	// Capture is what the capture reader did (packets, fragments
	// ignored, problems, ...).
	Capture capture.Stats
}

func (s *LiveSummary) add(op string, rc string, answered bool) {
	r := s.Ops[op]
	if r == nil {
		r = &LiveResult{Op: op, Results: map[string]int{}}
		s.Ops[op] = r
	}
	r.Sent++
	s.Sent++
	if answered {
		r.Answered++
		s.Answered++
		r.Results[rc]++
	}
}

// Live sends the requests of the capture at path to opts.To.
func Live(ctx context.Context, path string, opts LiveOptions) (*LiveSummary, error) {
	if opts.Wait <= 0 {
		opts.Wait = 3 * time.Second
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dia := diameter.Framer(1 << 20)
	tcpFramer := func(src, dst netip.AddrPort) capture.Framer {
		if src.Port() == PortDiameter || dst.Port() == PortDiameter {
			return dia
		}
		return nil
	}
	// Fragments of datagrams no sender wants (GTP-U above all) are dropped
	// unreassembled, as in the offline replay.
	rd, err := capture.NewReader(f, capture.Options{TCPFramer: tcpFramer,
		WantDatagram: func(t capture.Transport, src, dst netip.AddrPort) bool { return wantsDatagram(tcpFramer, t, src, dst) }})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var send sender
	switch opts.To.Kind {
	case transport.TCP, transport.SCTP:
		if opts.M3UA || opts.To.Port == PortM3UA {
			send = &m3uaSender{opts: &opts}
		} else {
			send = &diameterSender{opts: &opts}
		}
	case transport.UDP:
		send = &gtpSender{opts: &opts}
	default:
		return nil, fmt.Errorf("--to %s: use tcp:// or sctp:// (Diameter, or M3UA on port 2905 or with --m3ua) or udp:// (GTP-C)", opts.To)
	}
	defer send.close()
	sum := &LiveSummary{Ops: map[string]*LiveResult{}}
	var first time.Time
	start := time.Now()
	for opts.Limit == 0 || sum.Sent < opts.Limit {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		cm, err := rd.Next()
		if err != nil {
			var p *capture.Problem
			if errors.As(err, &p) {
				continue
			}
			if err == io.EOF {
				break
			}
			return sum, err
		}
		proto := classify(&cm)
		if !send.wants(proto, cm.Data) {
			continue
		}
		if opts.Home != nil {
			if m := opts.Home.SenderOf(cm.Src.Addr()); m != nil && m.Home {
				sum.Skipped++
				continue
			}
		}
		if opts.Pace {
			if first.IsZero() {
				first = cm.Time
			}
			if d := cm.Time.Sub(first) - time.Since(start); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return sum, ctx.Err()
				}
			}
		}
		op, rc, answered, err := send.send(ctx, cm.Data)
		if err != nil {
			return sum, err
		}
		if op != "" {
			sum.add(op, rc, answered)
		}
	}
	sum.Disconnects = send.reconnects()
	sum.Capture = rd.Stats()
	sum.report(opts.Out, opts.To)
	return sum, nil
}

// report prints a table of what was sent and answered.
func (s *LiveSummary) report(w io.Writer, to transport.Address) {
	fmt.Fprintf(w, "sent %d requests to %s: %d answered, %d without answer", s.Sent, to, s.Answered, s.Sent-s.Answered)
	if s.Skipped > 0 {
		fmt.Fprintf(w, " (%d requests from home addresses not sent)", s.Skipped)
	}
	fmt.Fprintln(w)
	if s.Disconnects > 0 {
		fmt.Fprintf(w, "the target closed the connection %d times (reconnected each time)\n", s.Disconnects)
	}
	ops := make([]*LiveResult, 0, len(s.Ops))
	for _, r := range s.Ops {
		ops = append(ops, r)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Op < ops[j].Op })
	fmt.Fprintf(w, "%-28s %6s %8s  %s\n", "operation", "sent", "answered", "results")
	for _, r := range ops {
		codes := make([]string, 0, len(r.Results))
		for c := range r.Results {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		var parts []string
		for _, c := range codes {
			parts = append(parts, fmt.Sprintf("%s×%d", c, r.Results[c]))
		}
		fmt.Fprintf(w, "%-28s %6d %8d  %s\n", r.Op, r.Sent, r.Answered, strings.Join(parts, " "))
	}
}

// sender sends one protocol's requests and waits for their answers.
type sender interface {
	wants(p view.Protocol, b []byte) bool
	// send sends one request (op "" : not sent) and returns its answer's
	// result code.
	send(ctx context.Context, b []byte) (op string, result string, answered bool, err error)
	// reconnects is how many times the target closed the connection.
	reconnects() int
	close()
}

// diameterSender keeps one connection, opened at the first request.
type diameterSender struct {
	opts        *LiveOptions
	c           *diampeer.Client
	b           diameter.Builder
	disconnects int
}

func (d *diameterSender) wants(p view.Protocol, b []byte) bool {
	h, err := diameter.ParseHeader(b)
	if p != view.Diameter || err != nil || !h.IsRequest() {
		return false
	}
	// The live connection does its own capabilities exchange, watchdog
	// and disconnection: the capture's would confuse it.
	switch h.Code {
	case diameter.CmdCapabilitiesExchange, diameter.CmdDeviceWatchdog, diameter.CmdDisconnectPeer:
		return false
	}
	return true
}

func (d *diameterSender) send(ctx context.Context, b []byte) (string, string, bool, error) {
	var v view.Message
	diameter.Decode(b, &v)
	if d.c == nil {
		id := diampeer.Identity{Host: string(v.OriginHost), Realm: string(v.OriginRealm)}
		if id.Host == "" || id.Realm == "" {
			return "", "", false, nil // cannot introduce itself with this one: wait for a request that can
		}
		var from []string
		for _, a := range d.opts.From {
			from = append(from, a.String())
		}
		c, err := diampeer.Dial(ctx, d.opts.To.String(), id, from...)
		if err != nil {
			return "", "", false, fmt.Errorf("connecting to %s: %w", d.opts.To, err)
		}
		d.c = c
		ans, err := c.Do(c.CER(&d.b, v.App), 0, d.opts.Wait)
		if err != nil || diampeer.ResultCode(ans) != diameter.ResultSuccess {
			return "", "", false, fmt.Errorf("capabilities exchange with %s refused (%v, result %d): is %s a configured partner address?",
				d.opts.To, err, diampeer.ResultCode(ans), strings.Join(from, ","))
		}
	}
	req := append([]byte(nil), b...)
	hbh := d.c.NextHopByHop()
	binary.BigEndian.PutUint32(req[12:16], hbh)
	ans, err := d.c.Do(req, 0, d.opts.Wait)
	op := v.Op
	if op == "" {
		op = fmt.Sprintf("command %d", v.Code)
	}
	switch {
	case errors.Is(err, diampeer.ErrNoAnswer):
		return op, "", false, nil
	case err != nil:
		// The target closed the connection (a malformed message in the
		// capture ends it, as it ends a real partner's): reconnect at
		// the next request.
		d.c.Close()
		d.c = nil
		d.disconnects++
		return op, "", false, nil
	}
	return op, fmt.Sprint(diampeer.ResultCode(ans)), true, nil
}

func (d *diameterSender) reconnects() int { return d.disconnects }

func (d *diameterSender) close() {
	if d.c != nil {
		d.c.Close()
	}
}

// gtpSender sends datagrams from one socket and matches responses by
// sequence number.
type gtpSender struct {
	opts *LiveOptions
	c    *net.UDPConn
	buf  []byte
}

func (g *gtpSender) wants(p view.Protocol, b []byte) bool {
	if p != view.GTPv1C && p != view.GTPv2C {
		return false
	}
	h, err := gtp.ParseHeader(b)
	return err == nil && gtp.TypeRole(h.Version, h.Type) == gtp.RoleRequest
}

func (g *gtpSender) send(ctx context.Context, b []byte) (string, string, bool, error) {
	h, _ := gtp.ParseHeader(b)
	if g.c == nil {
		var laddr *net.UDPAddr
		if len(g.opts.From) > 0 {
			laddr = &net.UDPAddr{IP: g.opts.From[0].AsSlice()}
		}
		c, err := net.ListenUDP("udp", laddr)
		if err != nil {
			return "", "", false, err
		}
		g.c, g.buf = c, make([]byte, 1<<16)
	}
	op := gtp.TypeName(h.Version, h.Type)
	if _, err := g.c.WriteToUDPAddrPort(b, g.opts.To.AddrPort()); err != nil {
		return op, "", false, err
	}
	deadline := time.Now().Add(g.opts.Wait)
	for {
		g.c.SetReadDeadline(deadline)
		n, _, err := g.c.ReadFromUDPAddrPort(g.buf)
		if err != nil {
			return op, "", false, nil // no answer in time
		}
		var v view.Message
		if _, err := gtp.Decode(g.buf[:n], &v); err != nil && v.Protocol == view.ProtoUnknown {
			continue
		}
		rh, err := gtp.ParseHeader(g.buf[:n])
		if err != nil || rh.Sequence != h.Sequence || v.Request {
			continue // an answer to an earlier request, or a request to us
		}
		return op, fmt.Sprintf("cause %d", v.ResultCode), true, nil
	}
}

func (g *gtpSender) reconnects() int { return 0 }

func (g *gtpSender) close() {
	if g.c != nil {
		g.c.Close()
	}
}
