package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
)

func ExampleReader() {
	// A capture with one Diameter message over SCTP and two over TCP in a
	// single segment (built in memory here; normally use Open(path, opts)).
	file := fileOf(linkEthernet,
		sctpPkt(1, sackChunk(), dataChunk(fB|fE, 1, 0, 0, 46, diameterMsg(20, 280))),
		eth(etherIPv4, ipv4(ip4A, ip4B, protoTCP, tcp(50000, 3868, 1, 1, tcpACK,
			append(diameterMsg(24, 257), diameterMsg(28, 272)...)))))

	// Diameter framing for TCP flows on port 3868; other TCP is ignored.
	diameter := func(b []byte) (int, error) {
		if len(b) < 4 {
			return 0, nil
		}
		n := int(binary.BigEndian.Uint32(b) & 0xffffff)
		if b[0] != 1 || n < 20 {
			return 0, errors.New("not a Diameter header")
		}
		if n > len(b) {
			return 0, nil
		}
		return n, nil
	}
	opts := Options{TCPFramer: func(src, dst netip.AddrPort) Framer {
		if src.Port() == 3868 || dst.Port() == 3868 {
			return diameter
		}
		return nil
	}}

	r, err := NewReader(bytes.NewReader(file), opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		var p *Problem
		if errors.As(err, &p) {
			fmt.Println("problem:", p)
			continue
		}
		if err != nil {
			fmt.Println("fatal:", err)
			return
		}
		// m.Data is only valid until the next call to Next.
		fmt.Printf("frame %d %s %v -> %v ppid=%d %d bytes\n", m.Frame, m.Transport, m.Src, m.Dst, m.PPID, len(m.Data))
	}
	// Output:
	// frame 1 sctp 10.0.0.1:2905 -> 10.0.0.2:2905 ppid=46 20 bytes
	// frame 2 tcp 10.0.0.1:50000 -> 10.0.0.2:3868 ppid=0 24 bytes
	// frame 2 tcp 10.0.0.1:50000 -> 10.0.0.2:3868 ppid=0 28 bytes
}
