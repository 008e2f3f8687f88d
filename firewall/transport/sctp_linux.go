//go:build linux

package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/ishidawataru/sctp"
)

// Kernel constants (linux/sctp.h, RFC 6458).
const (
	solSCTP     = 132 // IPPROTO_SCTP as a socket option level
	cmsgSndRcv  = 1   // SCTP_SNDRCV
	msgEOR      = 0x80
	msgNotify   = 0x8000 // MSG_NOTIFICATION
	sndrcvLen   = 32     // sizeof(struct sctp_sndrcvinfo)
	cmsgHdrLen  = 16     // sizeof(struct cmsghdr) on 64-bit Linux
	cmsgSpace   = cmsgHdrLen + sndrcvLen
	initTimeout = 1000 // ms, first INIT retransmission timeout bound
)

func toSCTPAddr(ips []netip.Addr, port uint16) *sctp.SCTPAddr {
	a := &sctp.SCTPAddr{Port: int(port)}
	for _, ip := range ips {
		a.IPAddrs = append(a.IPAddrs, net.IPAddr{IP: ip.AsSlice()})
	}
	return a
}

func mapErr(err error) error {
	if errors.Is(err, syscall.EPROTONOSUPPORT) || errors.Is(err, syscall.ESOCKTNOSUPPORT) {
		return ErrUnsupported
	}
	return err
}

// sctpListener accepts through Go's poller: Linux does not wake a thread
// blocked in accept() on an SCTP socket when the socket is closed, so a
// blocking accept could never be stopped.
type sctpListener struct {
	f        *os.File
	rc       syscall.RawConn
	addr     Address
	opts     Options
	acceptFn func(fd uintptr) bool
	nfd      int
	aerr     error
}

func listenSCTP(a Address, o Options) (Listener, error) {
	ln, err := sctp.ListenSCTPExt("sctp", toSCTPAddr(a.IPs, a.Port),
		sctp.InitMsg{NumOstreams: o.Streams, MaxInstreams: o.Streams})
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", a, mapErr(err))
	}
	raw, err := ln.SyscallConn()
	if err != nil {
		ln.Close()
		return nil, err
	}
	var fd int
	raw.Control(func(f uintptr) { fd = int(f) })
	// The port the kernel chose (for port 0) comes from getsockname: the
	// library's address list is not reliable for multi-homed sockets.
	bound := a
	switch sa, _ := syscall.Getsockname(fd); sa := sa.(type) {
	case *syscall.SockaddrInet4:
		bound.Port = uint16(sa.Port)
	case *syscall.SockaddrInet6:
		bound.Port = uint16(sa.Port)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		ln.Close()
		return nil, err
	}
	l := &sctpListener{f: os.NewFile(uintptr(fd), "sctp-listener"), addr: bound, opts: o}
	if l.rc, err = l.f.SyscallConn(); err != nil {
		l.f.Close()
		return nil, err
	}
	l.acceptFn = l.accept
	return l, nil
}

func (l *sctpListener) accept(fd uintptr) bool {
	for {
		nfd, _, err := syscall.Accept4(int(fd), syscall.SOCK_CLOEXEC)
		switch err {
		case nil:
			l.nfd, l.aerr = nfd, nil
			return true
		case syscall.EINTR, syscall.ECONNABORTED:
			continue
		case syscall.EAGAIN:
			return false
		}
		l.nfd, l.aerr = -1, err
		return true
	}
}

// Accept waits for the next association; Close ends the wait.
func (l *sctpListener) Accept() (Conn, error) {
	if err := l.rc.Read(l.acceptFn); err != nil {
		return nil, err
	}
	if l.aerr != nil {
		return nil, l.aerr
	}
	return newSCTPConn(sctp.NewSCTPConn(l.nfd, nil), l.opts)
}

func (l *sctpListener) Close() error  { return l.f.Close() }
func (l *sctpListener) Addr() Address { return l.addr }

func dialSCTP(ctx context.Context, a Address, o Options) (Conn, error) {
	var local *sctp.SCTPAddr
	if len(o.Local) > 0 {
		local = toSCTPAddr(o.Local, 0)
	}
	// The kernel's connect blocks until the association is up or INIT
	// retransmissions run out; bound them so Dial ends near the timeout.
	attempts := max(1, int(o.ConnectTimeout/(time.Duration(initTimeout)*time.Millisecond)))
	init := sctp.InitMsg{NumOstreams: o.Streams, MaxInstreams: o.Streams,
		MaxAttempts: uint16(min(attempts, 8)), MaxInitTimeout: initTimeout}
	type result struct {
		c   *sctp.SCTPConn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := sctp.DialSCTPExt("sctp", local, toSCTPAddr(a.IPs, a.Port), init)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("connect %s: %w", a, mapErr(r.err))
		}
		return newSCTPConn(r.c, o)
	case <-ctx.Done():
		go func() { // reap the association if it comes up after all
			if r := <-done; r.err == nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// sctpConn drives a one-to-one SCTP socket through Go's poller. Read and
// write state (message headers, control buffers, the callbacks handed to
// the poller) live in the struct so that no call allocates.
type sctpConn struct {
	f  *os.File
	rc syscall.RawConn

	// Read side: one reader at a time.
	rmsg   syscall.Msghdr
	riov   syscall.Iovec
	roob   [64]byte
	rn     int
	rflags int
	rerr   error
	readFn func(fd uintptr) bool

	// Write side: serialised by wmu.
	wmu     sync.Mutex
	wmsg    syscall.Msghdr
	wiov    syscall.Iovec
	woob    [cmsgSpace]byte
	wn      int
	werr    error
	writeFn func(fd uintptr) bool

	local   netip.AddrPort
	remotes []netip.AddrPort
	in, out uint16

	// closed: Close or Abort was called; reads and writes then fail with
	// net.ErrClosed, as on TCP (the poller's own error would be
	// "use of closed file", which callers cannot recognise).
	closed atomic.Bool

	// timeout is Options.MessageTimeout; started: the first message has
	// been read; armed: a read deadline is set. SCTP delivers whole
	// messages, so only the first one (due within timeout of the first
	// read) and the rest of one too large for the buffer need a deadline.
	timeout        time.Duration
	started, armed bool
}

func newSCTPConn(c *sctp.SCTPConn, o Options) (Conn, error) {
	// Ask for the stream and PPID of every message (SCTP_SNDRCV cmsg).
	if err := c.SubscribeEvents(sctp.SCTP_EVENT_DATA_IO); err != nil {
		c.Close()
		return nil, fmt.Errorf("sctp: subscribing to data I/O events: %w", err)
	}
	s := &sctpConn{}
	if st, err := c.GetStatus(); err == nil {
		s.in, s.out = st.Instreams, st.Ostreams
	}
	if la, err := c.SCTPLocalAddr(0); err == nil {
		if ap := firstAddrPort(la); ap.IsValid() {
			s.local = ap
		}
	}
	if ra, err := c.SCTPRemoteAddr(0); err == nil {
		for _, ip := range ra.IPAddrs {
			if addr, ok := netip.AddrFromSlice(ip.IP); ok {
				s.remotes = append(s.remotes, netip.AddrPortFrom(addr.Unmap(), uint16(ra.Port)))
			}
		}
	}
	var fd int
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	raw.Control(func(f uintptr) { fd = int(f) })
	// Signaling is request/answer: send each message at once instead of
	// holding small ones back until earlier data is acknowledged (which,
	// with delayed SACKs, stalls pipelined requests by 200 ms).
	if err := syscall.SetsockoptInt(fd, solSCTP, sctp.SCTP_NODELAY, 1); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("sctp: SCTP_NODELAY: %w", err)
	}
	// From here the socket belongs to an *os.File in non-blocking mode:
	// the poller wakes the reader, deadlines work, and Close unblocks it.
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	s.f = os.NewFile(uintptr(fd), "sctp")
	if s.rc, err = s.f.SyscallConn(); err != nil {
		s.f.Close()
		return nil, err
	}
	s.rmsg.Iov = &s.riov
	s.rmsg.Iovlen = 1
	s.rmsg.Control = &s.roob[0]
	s.wmsg.Iov = &s.wiov
	s.wmsg.Iovlen = 1
	s.wmsg.Control = &s.woob[0]
	s.wmsg.SetControllen(cmsgSpace)
	binary.NativeEndian.PutUint64(s.woob[0:], cmsgSpace) // cmsg_len
	binary.NativeEndian.PutUint32(s.woob[8:], solSCTP)   // cmsg_level
	binary.NativeEndian.PutUint32(s.woob[12:], cmsgSndRcv)
	s.readFn = s.recv
	s.writeFn = s.send
	s.timeout = o.MessageTimeout
	return s, nil
}

func firstAddrPort(a *sctp.SCTPAddr) netip.AddrPort {
	if a == nil || len(a.IPAddrs) == 0 {
		return netip.AddrPort{}
	}
	addr, _ := netip.AddrFromSlice(a.IPAddrs[0].IP)
	return netip.AddrPortFrom(addr.Unmap(), uint16(a.Port))
}

// recv is called by the poller with the socket; it returns false to wait
// for readiness.
func (s *sctpConn) recv(fd uintptr) bool {
	for {
		s.rmsg.SetControllen(len(s.roob))
		s.rmsg.Flags = 0
		n, _, errno := syscall.Syscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&s.rmsg)), 0)
		switch errno {
		case 0:
			s.rn, s.rflags, s.rerr = int(n), int(s.rmsg.Flags), nil
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		s.rn, s.rerr = 0, errno
		return true
	}
}

// readOnce receives one piece of a message into p.
func (s *sctpConn) readOnce(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, io.ErrShortBuffer
	}
	s.riov.Base = &p[0]
	s.riov.SetLen(len(p))
	if err := s.rc.Read(s.readFn); err != nil {
		return 0, s.closedErr(err)
	}
	return s.rn, s.rerr
}

// closedErr returns net.ErrClosed for an error of a closed connection.
func (s *sctpConn) closedErr(err error) error {
	if s.closed.Load() {
		return net.ErrClosed
	}
	return err
}

func (s *sctpConn) ReadMessage(buf []byte) (Message, error) {
	if s.timeout > 0 && !s.started && !s.armed {
		s.f.SetReadDeadline(time.Now().Add(s.timeout))
		s.armed = true
	}
	m, err := s.readMessage(buf)
	switch {
	case err == nil || err == ErrTooLarge:
		s.started = true
		if s.armed {
			s.f.SetReadDeadline(time.Time{})
			s.armed = false
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = ErrReadTimeout
	}
	return m, err
}

func (s *sctpConn) readMessage(buf []byte) (Message, error) {
	buf = buf[:cap(buf)]
	for {
		n, err := s.readOnce(buf)
		if err != nil {
			return Message{}, err
		}
		if n == 0 && s.rflags&msgEOR == 0 {
			return Message{}, io.EOF // the peer shut the association down
		}
		if s.rflags&msgNotify != 0 {
			continue // not subscribed to any; skip if the kernel sends one
		}
		var m Message
		if cm := s.roob[:]; binary.NativeEndian.Uint32(cm[8:]) == solSCTP && binary.NativeEndian.Uint32(cm[12:]) == cmsgSndRcv {
			m.Stream = binary.NativeEndian.Uint16(cm[cmsgHdrLen:])
			m.PPID = binary.BigEndian.Uint32(cm[cmsgHdrLen+8:])
		}
		if s.rflags&msgEOR != 0 {
			m.Data = buf[:n]
			return m, nil
		}
		// The message does not fit: keep its beginning, drain the rest
		// (within the message timeout, if any).
		prefix := n
		if s.timeout > 0 && !s.armed {
			s.f.SetReadDeadline(time.Now().Add(s.timeout))
			s.armed = true
		}
		var scratch [4096]byte
		for s.rflags&msgEOR == 0 {
			if _, err := s.readOnce(scratch[:]); err != nil {
				return Message{}, err
			}
		}
		m.Data = buf[:prefix]
		return m, ErrTooLarge
	}
}

func (s *sctpConn) send(fd uintptr) bool {
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&s.wmsg)), syscall.MSG_NOSIGNAL)
		switch errno {
		case 0:
			s.wn, s.werr = int(n), nil
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		s.wn, s.werr = 0, errno
		return true
	}
}

func (s *sctpConn) WriteMessage(m Message) error {
	if len(m.Data) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	info := s.woob[cmsgHdrLen:]
	binary.NativeEndian.PutUint16(info[0:], m.Stream)
	binary.BigEndian.PutUint32(info[8:], m.PPID) // on the wire order, as Wireshark shows it
	s.wiov.Base = &m.Data[0]
	s.wiov.SetLen(len(m.Data))
	err := s.rc.Write(s.writeFn)
	s.wiov.Base = nil // do not keep the caller's buffer alive
	if err != nil {
		return s.closedErr(err)
	}
	if s.werr != nil {
		return s.werr
	}
	if s.wn != len(m.Data) {
		return io.ErrShortWrite
	}
	return nil
}

func (s *sctpConn) SetReadDeadline(d time.Time) error  { return s.f.SetReadDeadline(d) }
func (s *sctpConn) SetWriteDeadline(d time.Time) error { return s.f.SetWriteDeadline(d) }

// Close shuts the association down gracefully: closing a one-to-one SCTP
// socket sends SHUTDOWN after the queued data is delivered.
func (s *sctpConn) Close() error {
	s.closed.Store(true)
	return s.f.Close()
}

// Abort sends ABORT (SO_LINGER with a zero timeout, then close).
func (s *sctpConn) Abort() error {
	s.rc.Control(func(fd uintptr) {
		syscall.SetsockoptLinger(int(fd), syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
	})
	s.closed.Store(true)
	return s.f.Close()
}

func (s *sctpConn) Kind() Kind                { return SCTP }
func (s *sctpConn) LocalAddr() netip.AddrPort { return s.local }
func (s *sctpConn) RemoteAddr() netip.AddrPort {
	if len(s.remotes) == 0 {
		return netip.AddrPort{}
	}
	return s.remotes[0]
}
func (s *sctpConn) RemoteAddrs() []netip.AddrPort { return s.remotes }
func (s *sctpConn) Streams() (in, out uint16)     { return s.in, s.out }
