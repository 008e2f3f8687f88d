//go:build linux

package sctpsmoke

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ishidawataru/sctp"
)

const (
	ppidDiameter = 46 // IANA SCTP payload protocol identifier of Diameter
	nStreams     = 4
	ioTimeout    = 20 * time.Second // per blocking call; generous for TCG

	// linuxEstablished is SCTP_ESTABLISHED of Linux's enum sctp_sstat_state
	// (SCTP_STATUS sstat_state). The library's sctp.SCTP_ESTABLISHED (5)
	// follows another numbering and does not match what Linux reports.
	linuxEstablished = 4
)

var (
	loopback = net.IPv4(127, 0, 0, 1)
	altAddr  = net.IPv4(127, 1, 0, 1) // added to lo by the vmtest /init
)

// requireSCTP skips the test when the kernel has no SCTP, except inside
// the vmtest VM (BREAKWATER_VMTEST=1), where that is a failure.
func requireSCTP(t *testing.T) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, syscall.IPPROTO_SCTP)
	if err == nil {
		syscall.Close(fd)
		return
	}
	if os.Getenv("BREAKWATER_VMTEST") == "1" {
		t.Fatalf("kernel SCTP is not available inside the vmtest VM: socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP): %v", err)
	}
	if errors.Is(err, syscall.EPROTONOSUPPORT) {
		t.Skipf("this kernel has no SCTP (socket: %v); `make test-sctp` runs this test in a VM with kernel SCTP", err)
	}
	t.Fatalf("socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP): %v", err)
}

// setTimeouts bounds every blocking accept/recv/send on the socket: the
// library's sockets are blocking and ignore deadlines.
func setTimeouts(rc interface {
	SyscallConn() (syscall.RawConn, error)
}) error {
	raw, err := rc.SyscallConn()
	if err != nil {
		return err
	}
	tv := syscall.NsecToTimeval(ioTimeout.Nanoseconds())
	var serr error
	if err := raw.Control(func(fd uintptr) {
		if serr = syscall.SetsockoptTimeval(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); serr == nil {
			serr = syscall.SetsockoptTimeval(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("setting socket timeouts: %w", serr)
	}
	return nil
}

func sctpAddr(port int, ips ...net.IP) *sctp.SCTPAddr {
	a := &sctp.SCTPAddr{Port: port}
	for _, ip := range ips {
		a.IPAddrs = append(a.IPAddrs, net.IPAddr{IP: ip})
	}
	return a
}

func addrIPs(a net.Addr) []string {
	sa, ok := a.(*sctp.SCTPAddr)
	if !ok || sa == nil {
		return nil
	}
	var ips []string
	for _, ip := range sa.IPAddrs {
		ips = append(ips, ip.IP.String())
	}
	slices.Sort(ips)
	return ips
}

// received is one message as the server saw it.
type received struct {
	stream  uint16
	ppid    uint32
	payload string
}

// echoServer accepts one association, reads n messages and echoes each on
// the stream and with the PPID it came with. The peer addresses of the
// accepted association are sent on peers first.
func echoServer(ln *sctp.SCTPListener, n int) (<-chan received, <-chan []string, <-chan error) {
	recv := make(chan received, n)
	peers := make(chan []string, 1)
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			c, err := ln.AcceptSCTP()
			if err != nil {
				return fmt.Errorf("accept: %w", err)
			}
			defer c.Close()
			if err := setTimeouts(c); err != nil {
				return fmt.Errorf("server: %w", err)
			}
			if err := c.SubscribeEvents(sctp.SCTP_EVENT_DATA_IO); err != nil {
				return fmt.Errorf("server: subscribing to data I/O events: %w", err)
			}
			peers <- addrIPs(c.RemoteAddr())
			buf := make([]byte, 64<<10)
			for i := 0; i < n; i++ {
				m, info, err := c.SCTPRead(buf)
				if err != nil {
					return fmt.Errorf("server: read %d: %w", i, err)
				}
				if info == nil {
					return fmt.Errorf("server: read %d: no sctp_sndrcvinfo ancillary data", i)
				}
				recv <- received{info.Stream, info.PPID, string(buf[:m])}
				if _, err := c.SCTPWrite(buf[:m], &sctp.SndRcvInfo{Stream: info.Stream, PPID: info.PPID}); err != nil {
					return fmt.Errorf("server: echo %d: %w", i, err)
				}
			}
			return nil
		}()
	}()
	return recv, peers, done
}

// roundTrip sends payload on stream with the Diameter PPID and checks the
// server and the echo both carry the same stream, PPID and payload.
func roundTrip(t *testing.T, c *sctp.SCTPConn, recv <-chan received, stream uint16, payload string) {
	t.Helper()
	if _, err := c.SCTPWrite([]byte(payload), &sctp.SndRcvInfo{Stream: stream, PPID: ppidDiameter}); err != nil {
		t.Fatalf("client: write on stream %d: %v", stream, err)
	}
	select {
	case r := <-recv:
		if r.stream != stream || r.ppid != ppidDiameter || r.payload != payload {
			t.Fatalf("server got stream %d ppid %d %q, want stream %d ppid %d %q", r.stream, r.ppid, r.payload, stream, ppidDiameter, payload)
		}
	case <-time.After(ioTimeout):
		t.Fatalf("server did not receive the message on stream %d", stream)
	}
	buf := make([]byte, 64<<10)
	n, info, err := c.SCTPRead(buf)
	if err != nil {
		t.Fatalf("client: reading the echo of stream %d: %v", stream, err)
	}
	if info == nil {
		t.Fatalf("client: echo of stream %d came without sctp_sndrcvinfo", stream)
	}
	if info.Stream != stream || info.PPID != ppidDiameter || string(buf[:n]) != payload {
		t.Fatalf("echo: stream %d ppid %d %q, want stream %d ppid %d %q", info.Stream, info.PPID, buf[:n], stream, ppidDiameter, payload)
	}
}

func waitServer(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * ioTimeout):
		t.Fatal("server goroutine did not finish")
	}
}

func dial(t *testing.T, network string, raddr *sctp.SCTPAddr) *sctp.SCTPConn {
	t.Helper()
	c, err := sctp.DialSCTPExt(network, nil, raddr, sctp.InitMsg{NumOstreams: nStreams, MaxInstreams: nStreams})
	if err != nil {
		t.Fatalf("dial %v: %v", raddr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := setTimeouts(c); err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := c.SubscribeEvents(sctp.SCTP_EVENT_DATA_IO); err != nil {
		t.Fatalf("client: subscribing to data I/O events: %v", err)
	}
	return c
}

func listen(t *testing.T, network string, laddr *sctp.SCTPAddr) (*sctp.SCTPListener, int) {
	t.Helper()
	ln, err := sctp.ListenSCTPExt(network, laddr, sctp.InitMsg{NumOstreams: nStreams, MaxInstreams: nStreams})
	if err != nil {
		t.Fatalf("listen %v: %v", laddr, err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := setTimeouts(ln); err != nil {
		t.Fatalf("listener: %v", err)
	}
	la, ok := ln.Addr().(*sctp.SCTPAddr)
	if !ok || la == nil || la.Port == 0 {
		t.Fatalf("listener address %v has no port", ln.Addr())
	}
	return ln, la.Port
}

// TestStreamsAndPPID: a one-to-one association with 4 streams each way;
// a message on every stream with PPID 46 arrives on that stream with that
// PPID and comes back the same way.
func TestStreamsAndPPID(t *testing.T) {
	requireSCTP(t)
	ln, port := listen(t, "sctp4", sctpAddr(0, loopback))
	recv, _, done := echoServer(ln, nStreams)
	c := dial(t, "sctp4", sctpAddr(port, loopback))

	st, err := c.GetStatus()
	if err != nil {
		t.Fatalf("SCTP_STATUS: %v", err)
	}
	t.Logf("association %d: state %d, %d outbound / %d inbound streams", st.AssocID, st.State, st.Ostreams, st.Instreams)
	if st.State != linuxEstablished || st.Ostreams != nStreams || st.Instreams != nStreams {
		t.Fatalf("status: state %d, streams out %d in %d; want ESTABLISHED (%d) with %d each way",
			st.State, st.Ostreams, st.Instreams, linuxEstablished, nStreams)
	}
	// A stream beyond the negotiated ones is refused by the kernel.
	if _, err := c.SCTPWrite([]byte("x"), &sctp.SndRcvInfo{Stream: nStreams, PPID: ppidDiameter}); err == nil {
		t.Fatalf("write on stream %d of a %d-stream association succeeded", nStreams, nStreams)
	}
	for s := uint16(0); s < nStreams; s++ {
		roundTrip(t, c, recv, s, fmt.Sprintf("message %d on stream %d", s+1, s))
	}
	waitServer(t, done)
}

// TestMultiHomed: a listener bound to 127.0.0.1 and 127.1.0.1, a client
// connecting to both (sctp_connectx); both ends see the peer's addresses
// and the association carries data over either path as primary.
func TestMultiHomed(t *testing.T) {
	requireSCTP(t)
	ln, port := listen(t, "sctp4", sctpAddr(0, loopback, altAddr))
	want := []string{loopback.String(), altAddr.String()}
	if got := addrIPs(ln.Addr()); !slices.Equal(got, want) {
		t.Fatalf("listener bound to %v, want %v", got, want)
	}
	recv, peers, done := echoServer(ln, 2)
	c := dial(t, "sctp4", sctpAddr(port, loopback, altAddr))

	serverPeers := <-peers
	clientPeers := addrIPs(c.RemoteAddr())
	t.Logf("listener %v; client local %v; client sees peer addresses %v; server sees peer addresses %v",
		ln.Addr(), c.LocalAddr(), clientPeers, serverPeers)
	if !slices.Equal(clientPeers, want) {
		t.Fatalf("client's peer addresses (SCTP_GET_PEER_ADDRS) %v, want %v", clientPeers, want)
	}
	if len(serverPeers) == 0 {
		t.Fatal("server sees no peer address")
	}
	prim, err := c.SCTPGetPrimaryPeerAddr()
	if err != nil {
		t.Fatalf("SCTP_PRIMARY_ADDR: %v", err)
	}
	t.Logf("primary peer address %v", prim)
	roundTrip(t, c, recv, 0, "over the primary path")

	// Make the other address primary and send again.
	other := altAddr
	if len(prim.IPAddrs) == 1 && prim.IPAddrs[0].IP.Equal(altAddr) {
		other = loopback
	}
	if err := setPrimary(c, other, port); err != nil {
		t.Fatalf("setting primary peer address %v: %v", other, err)
	}
	prim, err = c.SCTPGetPrimaryPeerAddr()
	if err != nil {
		t.Fatalf("SCTP_PRIMARY_ADDR: %v", err)
	}
	if len(prim.IPAddrs) != 1 || !prim.IPAddrs[0].IP.Equal(other) {
		t.Fatalf("primary peer address %v after setting it to %v", prim, other)
	}
	t.Logf("primary peer address now %v", prim)
	roundTrip(t, c, recv, 1, "over the other path")
	waitServer(t, done)
}

// setPrimary sets SCTP_PRIMARY_ADDR (struct sctp_prim: a 4-byte
// association id, 0 on a one-to-one socket, then a sockaddr_storage;
// packed) on the client socket.
func setPrimary(c *sctp.SCTPConn, ip net.IP, port int) error {
	var prim [4 + 128]byte
	sa := syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: uint16(port>>8) | uint16(port&0xff)<<8}
	copy(sa.Addr[:], ip.To4())
	copy(prim[4:], (*[unsafe.Sizeof(sa)]byte)(unsafe.Pointer(&sa))[:])
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_SETSOCKOPT, fd, syscall.IPPROTO_SCTP, sctp.SCTP_PRIMARY_ADDR,
			uintptr(unsafe.Pointer(&prim[0])), uintptr(len(prim)), 0)
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// TestIPv6Loopback: the same round trip over [::1], when the VM has IPv6.
func TestIPv6Loopback(t *testing.T) {
	requireSCTP(t)
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	ln, port := listen(t, "sctp6", sctpAddr(0, net.IPv6loopback))
	recv, _, done := echoServer(ln, 1)
	c := dial(t, "sctp6", sctpAddr(port, net.IPv6loopback))
	roundTrip(t, c, recv, 3, "over IPv6")
	waitServer(t, done)
}
