package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"
)

type tcpListener struct {
	ln   *net.TCPListener
	addr Address
	opts Options
}

func listenTCP(a Address, o Options) (Listener, error) {
	if o.Framer.Length == nil {
		return nil, fmt.Errorf("transport: TCP needs a Framer")
	}
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(a.AddrPort()))
	if err != nil {
		return nil, err
	}
	bound := a
	bound.Port = uint16(ln.Addr().(*net.TCPAddr).Port)
	return &tcpListener{ln: ln, addr: bound, opts: o}, nil
}

func (l *tcpListener) Accept() (Conn, error) {
	c, err := l.ln.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return newTCPConn(c, l.opts), nil
}

func (l *tcpListener) Close() error  { return l.ln.Close() }
func (l *tcpListener) Addr() Address { return l.addr }

func dialTCP(ctx context.Context, a Address, o Options) (Conn, error) {
	if o.Framer.Length == nil {
		return nil, fmt.Errorf("transport: TCP needs a Framer")
	}
	d := net.Dialer{Timeout: o.ConnectTimeout}
	if len(o.Local) > 0 {
		d.LocalAddr = &net.TCPAddr{IP: o.Local[0].AsSlice()}
	}
	c, err := d.DialContext(ctx, "tcp", a.AddrPort().String())
	if err != nil {
		return nil, err
	}
	return newTCPConn(c.(*net.TCPConn), o), nil
}

// tcpConn frames a TCP byte stream into messages.
type tcpConn struct {
	c      *net.TCPConn
	r      *bufio.Reader // made by the first ReadMessage
	opts   Options
	local  netip.AddrPort
	remote netip.AddrPort
	// With a MessageTimeout: started is set once the first message has
	// been read, armed while a read deadline is set.
	started, armed bool
}

func newTCPConn(c *net.TCPConn, o Options) *tcpConn {
	c.SetNoDelay(true) // signaling is request/answer: latency over batching
	return &tcpConn{
		c:      c,
		opts:   o,
		local:  c.LocalAddr().(*net.TCPAddr).AddrPort(),
		remote: c.RemoteAddr().(*net.TCPAddr).AddrPort(),
	}
}

// ReadMessage reads the next message. With a MessageTimeout, the first
// message is due within MessageTimeout of the first call; after it,
// waiting for a message's first byte is not bounded, but from then on
// the message has MessageTimeout to arrive whole. A deadline is set only
// when the message is not already in the buffer, so a peer that sends
// whole messages costs no timer.
func (t *tcpConn) ReadMessage(buf []byte) (Message, error) {
	if t.r == nil {
		// On first use: a connection refused at accept never costs it.
		t.r = bufio.NewReaderSize(t.c, 64<<10)
	}
	if t.opts.MessageTimeout <= 0 {
		return t.readMessage(buf)
	}
	switch {
	case !t.started && !t.armed:
		t.c.SetReadDeadline(time.Now().Add(t.opts.MessageTimeout))
		t.armed = true
	case t.started && !t.whole():
		if t.r.Buffered() == 0 {
			if _, err := t.r.Peek(1); err != nil {
				return Message{}, err
			}
		}
		if !t.whole() {
			t.c.SetReadDeadline(time.Now().Add(t.opts.MessageTimeout))
			t.armed = true
		}
	}
	m, err := t.readMessage(buf)
	switch {
	case err == nil || err == ErrTooLarge:
		t.started = true
		if t.armed {
			t.c.SetReadDeadline(time.Time{})
			t.armed = false
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = ErrReadTimeout
	}
	return m, err
}

// whole reports whether the next message is entirely in the read buffer
// (or its header already fails to frame).
func (t *tcpConn) whole() bool {
	f := t.opts.Framer
	n := t.r.Buffered()
	if n < f.HeaderLen {
		return false
	}
	hdr, _ := t.r.Peek(f.HeaderLen)
	l, err := f.Length(hdr)
	return err != nil || l <= n
}

func (t *tcpConn) readMessage(buf []byte) (Message, error) {
	f := t.opts.Framer
	hdr, err := t.r.Peek(f.HeaderLen)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, err
	}
	n, err := f.Length(hdr)
	if err != nil || n < f.HeaderLen {
		return Message{}, ErrFraming
	}
	buf = buf[:cap(buf)]
	if n > t.opts.MaxMessage || n > len(buf) {
		// Keep the first bytes for the caller's answer, skip the rest
		// so that the stream stays framed.
		keep := min(len(buf), t.opts.MaxMessage, n)
		if _, err := io.ReadFull(t.r, buf[:keep]); err != nil {
			return Message{}, err
		}
		if _, err := t.r.Discard(n - keep); err != nil {
			return Message{}, err
		}
		return Message{Data: buf[:keep]}, ErrTooLarge
	}
	if _, err := io.ReadFull(t.r, buf[:n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, err
	}
	return Message{Data: buf[:n]}, nil
}

// WriteMessage writes the whole message in one call; net.Conn serialises
// concurrent writers, so messages never interleave.
func (t *tcpConn) WriteMessage(m Message) error {
	_, err := t.c.Write(m.Data)
	return err
}

func (t *tcpConn) SetReadDeadline(d time.Time) error  { return t.c.SetReadDeadline(d) }
func (t *tcpConn) SetWriteDeadline(d time.Time) error { return t.c.SetWriteDeadline(d) }
func (t *tcpConn) Close() error                       { return t.c.Close() }
func (t *tcpConn) Abort() error {
	t.c.SetLinger(0)
	return t.c.Close()
}
func (t *tcpConn) Kind() Kind                    { return TCP }
func (t *tcpConn) LocalAddr() netip.AddrPort     { return t.local }
func (t *tcpConn) RemoteAddr() netip.AddrPort    { return t.remote }
func (t *tcpConn) RemoteAddrs() []netip.AddrPort { return []netip.AddrPort{t.remote} }
func (t *tcpConn) Streams() (in, out uint16)     { return 1, 1 }
