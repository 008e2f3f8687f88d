//go:build linux

package proxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// A test-only XDP program that stalls SCTP traffic on demand, to make
// head-of-line loss and silent peer crashes deterministic: while the flag
// (slot 0 of its array map) is set, it drops the IPv4 SCTP packets with a
// given source or destination port that carry a DATA chunk on a given
// stream (or a chunk of another given type: an ABORT), and counts them
// (slot 1). The sender's SCTP retransmits the DATA dropped once the flag
// is cleared, as it would after real loss. It is assembled here
// instruction by instruction, so it needs neither clang nor a generated
// object, and it runs in generic mode on lo, where frames carry a zeroed
// Ethernet header.

const (
	stallFlagSlot  = 0
	stallDropsSlot = 1

	xdpDrop = 1
	xdpPass = 2

	// stallMaxChunks bounds the chunk walk: a SACK (or a few other
	// control chunks) can be bundled before the DATA chunk.
	stallMaxChunks = 4
	// stallMaxOffset bounds a chunk's offset in the frame, which keeps
	// the packet pointer arithmetic verifiable; our messages are small.
	stallMaxOffset = 2048
)

// SCTP chunk types.
const (
	chunkDATA  = 0
	chunkABORT = 6
)

// stallSpec says which packets to drop while the flag is set.
type stallSpec struct {
	port uint16 // SCTP port to match
	src  bool   // match the source port (else the destination port)
	// chunk is the chunk type to match (chunkDATA by default), stream
	// the stream a DATA chunk must be on.
	chunk  uint8
	stream uint16
}

// stallInstructions assembles the program for spec; m is its map.
func stallInstructions(spec stallSpec, m *ebpf.Map) asm.Instructions {
	be16 := func(v uint16) int32 { return int32(bits.ReverseBytes16(v)) } // a big-endian u16 as a little-endian load sees it
	portOff := int16(14 + 20 + 2)                                         // Ethernet, IPv4 without options, then SCTP source port, destination port
	if spec.src {
		portOff = 14 + 20
	}
	lookup := func(slot int32) asm.Instructions { // R0 = &map[slot] or nil; clobbers R1-R5
		return asm.Instructions{
			asm.StoreImm(asm.R10, -4, int64(slot), asm.Word),
			asm.LoadMapPtr(asm.R1, m.FD()),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.FnMapLookupElem.Call(),
		}
	}
	var ins asm.Instructions
	ins = append(ins, asm.Mov.Reg(asm.R6, asm.R1)) // R6: the xdp_md context
	ins = append(ins, lookup(stallFlagSlot)...)
	ins = append(ins,
		asm.JEq.Imm(asm.R0, 0, "pass"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "pass"),
		asm.LoadMem(asm.R2, asm.R6, 0, asm.Word), // R2: data
		asm.LoadMem(asm.R3, asm.R6, 4, asm.Word), // R3: data_end
		// Ethernet + IPv4 (no options) + the SCTP common header.
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 14+20+12),
		asm.JGT.Reg(asm.R4, asm.R3, "pass"),
		asm.LoadMem(asm.R4, asm.R2, 12, asm.Half),
		asm.JNE.Imm(asm.R4, be16(0x0800), "pass"),
		asm.LoadMem(asm.R4, asm.R2, 14, asm.Byte),
		asm.JNE.Imm(asm.R4, 0x45, "pass"),
		asm.LoadMem(asm.R4, asm.R2, 14+9, asm.Byte),
		asm.JNE.Imm(asm.R4, 132, "pass"), // IPPROTO_SCTP
		asm.LoadMem(asm.R4, asm.R2, portOff, asm.Half),
		asm.JNE.Imm(asm.R4, be16(spec.port), "pass"),
	)
	ins = append(ins, asm.Mov.Imm(asm.R7, 14+20+12)) // R7: offset of the chunk
	for i := 0; i < stallMaxChunks; i++ {
		next := fmt.Sprintf("length%d", i)
		ins = append(ins,
			asm.JGT.Imm(asm.R7, stallMaxOffset, "pass"),
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Reg(asm.R4, asm.R7), // R4: the chunk
			asm.Mov.Reg(asm.R5, asm.R4),
			asm.Add.Imm(asm.R5, 4), // type, flags, length
			asm.JGT.Reg(asm.R5, asm.R3, "pass"),
			asm.LoadMem(asm.R5, asm.R4, 0, asm.Byte),
			asm.JNE.Imm(asm.R5, int32(spec.chunk), next),
		)
		if spec.chunk == chunkDATA {
			ins = append(ins,
				asm.Mov.Reg(asm.R5, asm.R4),
				asm.Add.Imm(asm.R5, 12), // and TSN, stream
				asm.JGT.Reg(asm.R5, asm.R3, "pass"),
				asm.LoadMem(asm.R5, asm.R4, 8, asm.Half),
				asm.JEq.Imm(asm.R5, be16(spec.stream), "drop"),
			)
		} else {
			ins = append(ins, asm.Ja.Label("drop"))
		}
		ins = append(ins,
			asm.LoadMem(asm.R5, asm.R4, 2, asm.Half).WithSymbol(next),
			asm.HostTo(asm.BE, asm.R5, asm.Half),
			asm.JLT.Imm(asm.R5, 4, "pass"), // malformed: leave it to the kernel
			asm.Add.Imm(asm.R5, 3),
			asm.And.Imm(asm.R5, 0xfffc), // chunks are padded to 4 bytes
			asm.Add.Reg(asm.R7, asm.R5),
		)
	}
	ins = append(ins, asm.Ja.Label("pass"))
	drop := lookup(stallDropsSlot)
	drop[0] = drop[0].WithSymbol("drop")
	ins = append(ins, drop...)
	ins = append(ins,
		asm.JEq.Imm(asm.R0, 0, "dropped"),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, xdpDrop).WithSymbol("dropped"),
		asm.Return(),
		asm.Mov.Imm(asm.R0, xdpPass).WithSymbol("pass"),
		asm.Return(),
	)
	return ins
}

// inVM reports whether the test runs in the SCTP VM harness, where
// everything it needs must work.
func inVM() bool { return os.Getenv("BREAKWATER_VMTEST") == "1" }

// stall is a loaded stall program (attached to lo by attachStall).
type stall struct {
	t    testing.TB
	m    *ebpf.Map
	prog *ebpf.Program
}

// loadStall loads the program for spec, or skips the test when the kernel
// does not let us load BPF programs (outside the VM).
func loadStall(t testing.TB, spec stallSpec) *stall {
	t.Helper()
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "stall", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	if err != nil {
		if inVM() {
			t.Fatalf("stall map: %v", err)
		}
		t.Skipf("no BPF: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name: "stall", Type: ebpf.XDP, License: "MIT", Instructions: stallInstructions(spec, m),
	})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("stall program: %+v", ve)
		}
		if inVM() {
			t.Fatalf("stall program: %v", err)
		}
		t.Skipf("no BPF: %v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return &stall{t: t, m: m, prog: prog}
}

// attachStall loads the program for spec and attaches it to lo (generic
// XDP) until the test ends. The flag starts cleared.
func attachStall(t testing.TB, spec stallSpec) *stall {
	t.Helper()
	s := loadStall(t, spec)
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: s.prog, Interface: lo.Index, Flags: link.XDPGenericMode})
	if err != nil {
		t.Fatalf("attaching the stall program to lo: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return s
}

// set raises or clears the flag.
func (s *stall) set(on bool) {
	s.t.Helper()
	v := uint64(0)
	if on {
		v = 1
	}
	if err := s.m.Put(uint32(stallFlagSlot), v); err != nil {
		s.t.Fatalf("stall flag: %v", err)
	}
}

// dropped is how many packets the program has dropped.
func (s *stall) dropped() uint64 {
	s.t.Helper()
	var v uint64
	if err := s.m.Lookup(uint32(stallDropsSlot), &v); err != nil {
		s.t.Fatalf("stall counter: %v", err)
	}
	return v
}

// run runs the program on one frame (BPF_PROG_TEST_RUN).
func (s *stall) run(frame []byte) uint32 {
	s.t.Helper()
	ret, err := s.prog.Run(&ebpf.RunOptions{Data: frame})
	if err != nil {
		s.t.Fatalf("running the stall program: %v", err)
	}
	return ret
}

// sctpFrame builds a loopback frame (zero MACs, IPv4 without options)
// carrying an SCTP packet from port sport to dport with chunks.
func sctpFrame(sport, dport uint16, chunks ...[]byte) []byte {
	f := make([]byte, 14, 128)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	var payload []byte
	for _, c := range chunks {
		payload = append(payload, c...)
		for len(payload)%4 != 0 {
			payload = append(payload, 0)
		}
	}
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, 132
	binary.BigEndian.PutUint16(ip[2:], uint16(20+12+len(payload)))
	copy(ip[12:], []byte{127, 0, 0, 2})
	copy(ip[16:], []byte{127, 0, 0, 1})
	sh := make([]byte, 12)
	binary.BigEndian.PutUint16(sh[0:], sport)
	binary.BigEndian.PutUint16(sh[2:], dport)
	f = append(f, ip...)
	f = append(f, sh...)
	return append(f, payload...)
}

// dataChunk is a DATA chunk on stream with n bytes of user data.
func dataChunk(stream uint16, n int) []byte {
	c := make([]byte, 16+n)
	binary.BigEndian.PutUint16(c[2:], uint16(len(c)))
	binary.BigEndian.PutUint32(c[4:], 1000) // TSN
	binary.BigEndian.PutUint16(c[8:], stream)
	binary.BigEndian.PutUint32(c[12:], 46)
	return c
}

// sackChunk is a SACK with one gap block, controlChunk any other chunk.
func sackChunk() []byte {
	c := make([]byte, 20)
	c[0] = 3
	binary.BigEndian.PutUint16(c[2:], 20)
	binary.BigEndian.PutUint16(c[14:], 1)
	return c
}

func controlChunk(typ byte, n int) []byte {
	c := make([]byte, 4+n)
	c[0] = typ
	binary.BigEndian.PutUint16(c[2:], uint16(len(c)))
	return c
}

// TestStallProgram checks the stall program itself on crafted frames (it
// needs BPF but not SCTP, so it runs wherever BPF does).
func TestStallProgram(t *testing.T) {
	s := loadStall(t, stallSpec{port: 3868, stream: 3})
	const other = 40000
	cases := []struct {
		name  string
		frame []byte
		drop  bool
	}{
		{"DATA on the stream", sctpFrame(other, 3868, dataChunk(3, 100)), true},
		{"DATA on another stream", sctpFrame(other, 3868, dataChunk(2, 100)), false},
		{"SACK then DATA on the stream", sctpFrame(other, 3868, sackChunk(), dataChunk(3, 7)), true},
		{"SACK, HEARTBEAT-ACK, odd-sized chunk, then DATA", sctpFrame(other, 3868, sackChunk(), controlChunk(5, 13), controlChunk(0xc0, 1), dataChunk(3, 1)), true},
		{"DATA on the stream after four chunks", sctpFrame(other, 3868, sackChunk(), controlChunk(5, 8), controlChunk(5, 8), controlChunk(5, 8), dataChunk(3, 1)), false},
		{"DATA on other streams, then on the stream", sctpFrame(other, 3868, dataChunk(1, 3), dataChunk(3, 3)), true},
		{"SACK only", sctpFrame(other, 3868, sackChunk()), false},
		{"to another port", sctpFrame(other, 3869, dataChunk(3, 100)), false},
		{"from the port", sctpFrame(3868, other, dataChunk(3, 100)), false},
		{"truncated chunk", sctpFrame(other, 3868, sackChunk())[:14+20+12+20+6], false},
		{"zero chunk length", sctpFrame(other, 3868, controlChunk(5, 0)[:2], make([]byte, 10)), false},
	}
	check := func(flag bool) {
		for _, c := range cases {
			before := s.dropped()
			want := uint32(xdpPass)
			if flag && c.drop {
				want = xdpDrop
			}
			if got := s.run(c.frame); got != want {
				t.Errorf("flag %v, %s: verdict %d, want %d", flag, c.name, got, want)
			}
			if n := s.dropped() - before; n != uint64(want&1) {
				t.Errorf("flag %v, %s: counter went up by %d", flag, c.name, n)
			}
		}
	}
	check(false)
	s.set(true)
	check(true)
	s.set(false)
	check(false)

	// Source-port matching.
	src := loadStall(t, stallSpec{port: 3868, src: true, stream: 5})
	src.set(true)
	if src.run(sctpFrame(3868, other, sackChunk(), dataChunk(5, 4))) != xdpDrop || src.run(sctpFrame(other, 3868, dataChunk(5, 4))) != xdpPass {
		t.Error("source-port stall")
	}
	// Swallowing ABORTs (a bare one is 4 bytes), and nothing else.
	abort := loadStall(t, stallSpec{port: 40000, src: true, chunk: chunkABORT})
	abort.set(true)
	for _, c := range []struct {
		name  string
		frame []byte
		want  uint32
	}{
		{"ABORT", sctpFrame(40000, 3868, controlChunk(chunkABORT, 0)), xdpDrop},
		{"ABORT with a cause", sctpFrame(40000, 3868, controlChunk(chunkABORT, 8)), xdpDrop},
		{"SACK, ABORT", sctpFrame(40000, 3868, sackChunk(), controlChunk(chunkABORT, 0)), xdpDrop},
		{"ABORT from another port", sctpFrame(40001, 3868, controlChunk(chunkABORT, 0)), xdpPass},
		{"INIT", sctpFrame(40000, 3868, controlChunk(1, 16)), xdpPass},
		{"DATA", sctpFrame(40000, 3868, dataChunk(0, 16)), xdpPass},
		{"SHUTDOWN", sctpFrame(40000, 3868, controlChunk(7, 4)), xdpPass},
	} {
		if got := abort.run(c.frame); got != c.want {
			t.Errorf("ABORT stall, %s: verdict %d, want %d", c.name, got, c.want)
		}
	}
	if n := abort.dropped(); n != 3 {
		t.Errorf("ABORT stall: %d drops counted, want 3", n)
	}
}
