//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netns is a network namespace this test created (ip netns add).
type netns string

func ipCmd(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// do runs fn on a thread inside the namespace. Sockets opened by fn stay
// in the namespace when used from other threads later.
func (ns netns) do(fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + string(ns))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", ns, err)
	}
	fnErr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked and dies with the goroutine: it must
		// not run other goroutines in the wrong namespace.
		return errors.Join(fnErr, fmt.Errorf("setns back: %w", err))
	}
	runtime.UnlockOSThread()
	return fnErr
}

// TestEndToEnd attaches the filter to one end of a veth pair inside a
// namespace of its own and sends real UDP (GTP-C) and TCP (Diameter)
// traffic from the other end, from an allowed and an unknown source
// address: the allowed traffic arrives, the unknown does not, and the
// counters say so. After Close, the unknown source gets through, which
// shows Close detached the program.
func TestEndToEnd(t *testing.T) {
	requireBPF(t)
	if _, err := exec.LookPath("ip"); err != nil {
		skipOrFail(t, "the end-to-end test needs iproute2's ip: apt-get install iproute2")
	}
	tag := fmt.Sprintf("bwxdp-%d-%04x", os.Getpid(), rand.Uint32()&0xffff)
	fw, peer := netns(tag+"-fw"), netns(tag+"-peer")
	for _, ns := range []netns{fw, peer} {
		if err := ipCmd("netns", "add", string(ns)); err != nil {
			skipOrFail(t, "cannot create network namespaces here: "+err.Error())
		}
		t.Cleanup(func() {
			if err := ipCmd("netns", "del", string(ns)); err != nil {
				t.Errorf("clean up: %v", err)
			}
		})
	}
	const (
		fwAddr      = "192.0.2.1"
		allowedAddr = "192.0.2.10"
		unknownAddr = "192.0.2.20"
	)
	setup := [][]string{
		{"-n", string(peer), "link", "add", "name", "p0", "type", "veth", "peer", "name", "f0", "netns", string(fw)},
		{"-n", string(peer), "addr", "add", allowedAddr + "/24", "dev", "p0"},
		{"-n", string(peer), "addr", "add", unknownAddr + "/24", "dev", "p0"},
		{"-n", string(fw), "addr", "add", fwAddr + "/24", "dev", "f0"},
		{"-n", string(peer), "link", "set", "p0", "up"},
		{"-n", string(fw), "link", "set", "f0", "up"},
	}
	for _, args := range setup {
		if err := ipCmd(args...); err != nil {
			t.Fatal(err)
		}
	}

	spec := &Spec{
		Sources: []Source{{Prefix: pfx(allowedAddr + "/32"), Partner: 1}},
		Ports:   DefaultPorts(),
	}
	spec.GTPv2Types[130] = TypeDrop
	f, err := Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = f.Close()
		}
	})

	var mode Mode
	var udpLn *net.UDPConn
	var tcpLn *net.TCPListener
	err = fw.do(func() error {
		var err error
		if mode, err = f.Attach("f0", ModeNative); err != nil {
			return err
		}
		if udpLn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(fwAddr), Port: 2123}); err != nil {
			return err
		}
		tcpLn, err = net.ListenTCP("tcp4", &net.TCPAddr{IP: net.ParseIP(fwAddr), Port: 3868})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer udpLn.Close()
	defer tcpLn.Close()
	t.Logf("XDP attached in %s mode", mode)

	// Senders, bound to each source address inside the peer namespace.
	var fromAllowed, fromUnknown *net.UDPConn
	err = peer.do(func() error {
		var err error
		dst := &net.UDPAddr{IP: net.ParseIP(fwAddr), Port: 2123}
		if fromAllowed, err = net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(allowedAddr)}, dst); err != nil {
			return err
		}
		fromUnknown, err = net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(unknownAddr)}, dst)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fromAllowed.Close()
	defer fromUnknown.Close()

	received := make(chan string, 64)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := udpLn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			received <- fmt.Sprintf("%s:%d", from.IP, n)
		}
	}()

	createSession := gtpV2(32, true, false, imsiIE)
	const n = 5
	before := counters(t, f)
	for range n {
		if _, err := fromUnknown.Write(createSession); err != nil {
			t.Fatal(err)
		}
		if _, err := fromAllowed.Write(createSession); err != nil {
			t.Fatal(err)
		}
	}
	// Allowed source, forbidden message type: dropped as gtp_cat1.
	if _, err := fromAllowed.Write(gtpV2(130, true, false, imsiIE)); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s:%d", allowedAddr, len(createSession))
	deadline := time.After(3 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case got := <-received:
			if got != want {
				t.Errorf("received %s, want only %s", got, want)
			}
		case <-deadline:
			t.Fatalf("received %d of %d datagrams from the allowed source", i, n)
		}
	}
	select { // nothing else may arrive
	case got := <-received:
		t.Errorf("unexpected datagram %s", got)
	case <-time.After(300 * time.Millisecond):
	}
	d := delta(before, counters(t, f))
	if d["passed"] != n || d["unknown_source"] != n || d["gtp_cat1"] != 1 {
		t.Errorf("after the UDP exchange counters moved %v, want passed %d, unknown_source %d, gtp_cat1 1", d, n, n)
	}

	// TCP: the allowed source connects; the unknown one's SYNs vanish.
	accepted := make(chan string, 4)
	go func() {
		for {
			c, err := tcpLn.Accept()
			if err != nil {
				return
			}
			accepted <- c.RemoteAddr().String()
			c.Close()
		}
	}()
	dial := func(src string, timeout time.Duration) error {
		return peer.do(func() error {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: timeout}
			c, err := d.Dial("tcp4", fwAddr+":3868")
			if err == nil {
				c.Close()
			}
			return err
		})
	}
	before = counters(t, f)
	if err := dial(allowedAddr, 2*time.Second); err != nil {
		t.Errorf("TCP connect from the allowed source: %v", err)
	} else if got := <-accepted; !strings.HasPrefix(got, allowedAddr+":") {
		t.Errorf("accepted %s", got)
	}
	if err := dial(unknownAddr, 700*time.Millisecond); err == nil {
		t.Error("TCP connect from the unknown source succeeded")
	}
	d = delta(before, counters(t, f))
	if d["passed"] < 2 || d["unknown_source"] < 1 {
		t.Errorf("after the TCP exchange counters moved %v, want passed >= 2 (SYN, ACK), unknown_source >= 1 (SYN)", d)
	}

	// Close detaches: the unknown source now reaches the socket.
	closed = true
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := fromUnknown.Write(createSession); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-received:
		if !strings.HasPrefix(got, unknownAddr+":") {
			t.Errorf("after Close received %s", got)
		}
	case <-time.After(3 * time.Second):
		t.Error("after Close the unknown source's datagram still did not arrive: not detached")
	}
}
