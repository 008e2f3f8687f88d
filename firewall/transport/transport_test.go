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
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseAddress(t *testing.T) {
	cases := []struct {
		in   string
		want string
		err  string
	}{
		{"tcp://127.0.0.1:3868", "tcp://127.0.0.1:3868", ""},
		{"sctp://10.0.0.1:3868", "sctp://10.0.0.1:3868", ""},
		{"sctp://10.0.0.1/10.0.0.2:3868", "sctp://10.0.0.1/10.0.0.2:3868", ""},
		{"sctp://[2001:db8::1]/[2001:db8::2]:2905", "sctp://[2001:db8::1]/[2001:db8::2]:2905", ""},
		{"sctp://[2001:db8::1]/10.0.0.1:2905", "sctp://[2001:db8::1]/10.0.0.1:2905", ""},
		{"tcp://[::1]:0", "tcp://[::1]:0", ""},
		{"sctp://10.0.0.1/[2001:db8::1]:1", "", "IPv6 address first"},
		{"tcp://10.0.0.1/10.0.0.2:3868", "", "one address"},
		{"quic://10.0.0.1:3868", "", "unknown transport"},
		{"udp://10.0.0.1:2123", "udp://10.0.0.1:2123", ""},
		{"udp://10.0.0.1/10.0.0.2:2123", "", "one address"},
		{"10.0.0.1:3868", "", "write the transport first"},
		{"tcp://10.0.0.1", "", "missing :PORT"},
		{"tcp://10.0.0.1:70000", "", "port"},
		{"tcp://hss.example:3868", "", "not an IP address"},
	}
	for _, c := range cases {
		a, err := ParseAddress(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || a.String() != c.want {
			t.Errorf("%s: %v %v, want %s", c.in, a, err, c.want)
		}
	}
}

// lengthFramer frames 4-byte big-endian length-prefixed test messages.
var lengthFramer = Framer{HeaderLen: 4, Length: func(h []byte) (int, error) {
	n := int(binary.BigEndian.Uint32(h))
	if n < 4 || n > 1<<24 {
		return 0, errors.New("bad length")
	}
	return n, nil
}}

func frame(payload string) []byte {
	b := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	copy(b[4:], payload)
	return b
}

func TestTCPFraming(t *testing.T) {
	a, _ := ParseAddress("tcp://127.0.0.1:0")
	ln, err := Listen(a, Options{Framer: lengthFramer, MaxMessage: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The client writes raw bytes so that messages arrive split and merged.
	raw, err := net.Dial("tcp", ln.Addr().AddrPort().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var stream []byte
	stream = append(stream, frame("one")...)
	stream = append(stream, frame("two")...)
	stream = append(stream, frame(strings.Repeat("x", 100))...) // over MaxMessage
	stream = append(stream, frame("three")...)
	go func() {
		for i := 0; i < len(stream); i += 5 { // 5-byte dribbles
			raw.Write(stream[i:min(i+5, len(stream))])
			time.Sleep(time.Millisecond)
		}
	}()
	buf := make([]byte, 0, 64)
	for _, want := range []string{"one", "two", "", "three"} {
		m, err := srv.ReadMessage(buf)
		if want == "" {
			if !errors.Is(err, ErrTooLarge) || len(m.Data) != 64 {
				t.Fatalf("oversized message: %d bytes, %v", len(m.Data), err)
			}
			continue
		}
		if err != nil || string(m.Data[4:]) != want {
			t.Fatalf("got %q %v, want %q", m.Data, err, want)
		}
	}
	// Garbage framing is fatal for the stream.
	raw.Write([]byte{0, 0, 0, 1})
	if _, err := srv.ReadMessage(buf); !errors.Is(err, ErrFraming) {
		t.Fatalf("garbage: %v, want ErrFraming", err)
	}
}

func TestTCPConcurrentWritersDoNotInterleave(t *testing.T) {
	a, _ := ParseAddress("tcp://127.0.0.1:0")
	ln, err := Listen(a, Options{Framer: lengthFramer, MaxMessage: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cli, err := Dial(context.Background(), ln.Addr(), Options{Framer: lengthFramer})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			msg := frame(strings.Repeat(string(rune('a'+w)), 3000))
			for i := 0; i < each; i++ {
				if err := cli.WriteMessage(Message{Data: msg}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	buf := make([]byte, 0, 1<<16)
	for i := 0; i < writers*each; i++ {
		m, err := srv.ReadMessage(buf)
		if err != nil {
			t.Fatal(err)
		}
		body := m.Data[4:]
		if len(body) != 3000 || strings.Count(string(body), string(body[0])) != 3000 {
			t.Fatalf("message %d mixes writers", i)
		}
	}
	wg.Wait()
	if srv.RemoteAddr() != cli.LocalAddr() || srv.Kind() != TCP {
		t.Fatalf("addresses %v %v", srv.RemoteAddr(), cli.LocalAddr())
	}
}

func TestTCPReadNoAllocation(t *testing.T) {
	a, _ := ParseAddress("tcp://127.0.0.1:0")
	ln, _ := Listen(a, Options{Framer: lengthFramer, MaxMessage: 1 << 12})
	defer ln.Close()
	cli, _ := Dial(context.Background(), ln.Addr(), Options{Framer: lengthFramer})
	defer cli.Close()
	srv, _ := ln.Accept()
	defer srv.Close()
	msg := Message{Data: frame("ping")}
	buf := make([]byte, 0, 1<<12)
	if n := testing.AllocsPerRun(200, func() {
		cli.WriteMessage(msg)
		srv.ReadMessage(buf)
	}); n != 0 {
		t.Fatalf("%v allocations per message", n)
	}
}

// sctpAvailable reports whether the kernel speaks SCTP; tests needing it
// skip here and run in the VM harness (make test-sctp).
func sctpAvailable(t *testing.T) {
	t.Helper()
	a, _ := ParseAddress("sctp://127.0.0.1:0")
	ln, err := Listen(a, Options{})
	if errors.Is(err, ErrUnsupported) {
		if os.Getenv("BREAKWATER_VMTEST") == "1" {
			t.Fatal("no kernel SCTP inside the VM harness")
		}
		t.Skip("kernel without SCTP: runs in the VM harness (make test-sctp)")
	}
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}

func TestSCTPStreamsAndPPID(t *testing.T) {
	sctpAvailable(t)
	a, _ := ParseAddress("sctp://127.0.0.1:0")
	ln, err := Listen(a, Options{Streams: 8, MaxMessage: 1 << 12})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cli, err := Dial(context.Background(), ln.Addr(), Options{Streams: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if in, out := cli.Streams(); in != 8 || out != 8 {
		t.Fatalf("negotiated streams %d/%d, want 8/8", in, out)
	}
	buf := make([]byte, 0, 1<<12)
	for stream := uint16(0); stream < 8; stream++ {
		want := Message{Data: []byte(fmt.Sprintf("message on stream %d", stream)), Stream: stream, PPID: 46}
		if err := cli.WriteMessage(want); err != nil {
			t.Fatal(err)
		}
		got, err := srv.ReadMessage(buf)
		if err != nil || string(got.Data) != string(want.Data) || got.Stream != stream || got.PPID != 46 {
			t.Fatalf("stream %d: got %q stream %d ppid %d err %v", stream, got.Data, got.Stream, got.PPID, err)
		}
		// and back, with another PPID
		if err := srv.WriteMessage(Message{Data: got.Data, Stream: got.Stream, PPID: 3}); err != nil {
			t.Fatal(err)
		}
		back, err := cli.ReadMessage(buf)
		if err != nil || back.Stream != stream || back.PPID != 3 {
			t.Fatalf("echo on stream %d: stream %d ppid %d err %v", stream, back.Stream, back.PPID, err)
		}
	}
	// An oversized message is cut and the association stays usable.
	if err := cli.WriteMessage(Message{Data: make([]byte, 9000), PPID: 46}); err != nil {
		t.Fatal(err)
	}
	if m, err := srv.ReadMessage(buf); !errors.Is(err, ErrTooLarge) || len(m.Data) != 1<<12 {
		t.Fatalf("oversized: %d bytes %v", len(m.Data), err)
	}
	cli.WriteMessage(Message{Data: []byte("after"), PPID: 46})
	if m, err := srv.ReadMessage(buf); err != nil || string(m.Data) != "after" {
		t.Fatalf("after oversized: %q %v", m.Data, err)
	}
	// No allocation per message either way.
	msg := Message{Data: []byte("ping"), Stream: 3, PPID: 46}
	if n := testing.AllocsPerRun(200, func() {
		cli.WriteMessage(msg)
		srv.ReadMessage(buf)
	}); n != 0 {
		t.Errorf("%v allocations per SCTP message", n)
	}
	// Close ends the association gracefully: the peer reads EOF.
	cli.Close()
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := srv.ReadMessage(buf); err != io.EOF {
		t.Fatalf("after close: %v, want EOF", err)
	}
}

func TestSCTPMultiHomed(t *testing.T) {
	sctpAvailable(t)
	a, err := ParseAddress("sctp://127.0.0.1/127.1.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(a, Options{})
	if err != nil {
		if os.Getenv("BREAKWATER_VMTEST") == "1" {
			t.Fatalf("multi-homed listen inside the VM harness: %v", err)
		}
		t.Skipf("second loopback address unavailable: %v", err)
	}
	defer ln.Close()
	cli, err := Dial(context.Background(), ln.Addr(), Options{Local: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.1.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if len(cli.RemoteAddrs()) < 2 || len(srv.RemoteAddrs()) < 2 {
		t.Fatalf("peer addresses: client sees %v, server sees %v; want two each", cli.RemoteAddrs(), srv.RemoteAddrs())
	}
	buf := make([]byte, 0, 1<<12)
	cli.WriteMessage(Message{Data: []byte("hello"), Stream: 1, PPID: 46})
	if m, err := srv.ReadMessage(buf); err != nil || string(m.Data) != "hello" {
		t.Fatalf("%q %v", m.Data, err)
	}
}

func TestSCTPUnsupportedIsReported(t *testing.T) {
	a, _ := ParseAddress("sctp://127.0.0.1:0")
	ln, err := Listen(a, Options{})
	if err == nil {
		ln.Close()
		t.Skip("this kernel has SCTP")
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err %v, want ErrUnsupported", err)
	}
}
