package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"breakwater/firewall/quarantine"
	"breakwater/firewall/state"
)

// The nodes' messages on the Redis channel. One message carries a batch
// of records from one node:
//
//	"BW" | version 1 | node name (u8 length, bytes) | records...
//	record: kind u8 | length u16 | body
//
// Integers are big-endian. Every length is checked before use, so a
// message from a misbehaving client on the same Redis is refused, never
// a crash (FuzzDecodeBatch).

const wireVersion = 1

const (
	recLocation      = 1 // state.AppendLocation
	recSession       = 2 // state.AppendSession
	recSessionDelete = 3 // key u64
	recQuarantine    = 4 // partner, since i64, until i64 (0: until lifted), reason
	recLift          = 5 // partner, since i64 of the entry lifted
	recHello         = 6 // policy version string: "I am here and run this"
	recRateCharge    = 7 // address (16 bytes, IPv4 mapped), tokens u32
)

// maxBatch bounds one message: big enough for hundreds of records, small
// enough that a receiver never buffers much.
const maxBatch = 64 << 10

var errBadMessage = errors.New("not a Breakwater cluster message")

type batch struct {
	b []byte
}

func (w *batch) reset(node string) {
	w.b = append(w.b[:0], 'B', 'W', wireVersion)
	w.b = state.AppendShortString(w.b, node)
}

func (w *batch) full() bool { return len(w.b) > maxBatch-1024 }

// record appends one record whose body body() appends.
func (w *batch) record(kind byte, body func([]byte) []byte) {
	start := len(w.b)
	w.b = append(w.b, kind, 0, 0)
	w.b = body(w.b)
	binary.BigEndian.PutUint16(w.b[start+1:], uint16(len(w.b)-start-3))
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.BigEndian.AppendUint64(b, 0)
	}
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
}

func readTime(b []byte) (time.Time, []byte, error) {
	if len(b) < 8 {
		return time.Time{}, nil, fmt.Errorf("time: %w", state.ErrShort)
	}
	ns := int64(binary.BigEndian.Uint64(b))
	if ns == 0 {
		return time.Time{}, b[8:], nil
	}
	return time.Unix(0, ns), b[8:], nil
}

func appendEntry(b []byte, e quarantine.Entry) []byte {
	b = state.AppendShortString(b, e.Partner)
	b = appendTime(b, e.Since)
	b = appendTime(b, e.Until)
	return state.AppendShortString(b, e.Reason)
}

func readEntry(b []byte) (e quarantine.Entry, err error) {
	if e.Partner, b, err = state.ReadShortString(b); err != nil {
		return e, err
	}
	if e.Since, b, err = readTime(b); err != nil {
		return e, err
	}
	if e.Until, b, err = readTime(b); err != nil {
		return e, err
	}
	if e.Reason, b, err = state.ReadShortString(b); err != nil {
		return e, err
	}
	if len(b) != 0 {
		return e, errors.New("quarantine entry: trailing bytes")
	}
	return e, nil
}

// decodeBatch splits a message into its sender and records, calling fn
// for each record with its kind and body. It stops at the first bad
// record, reporting an error (records before it have been delivered).
func decodeBatch(msg []byte, fn func(node string, kind byte, body []byte) error) error {
	if len(msg) < 3 || msg[0] != 'B' || msg[1] != 'W' {
		return errBadMessage
	}
	if msg[2] != wireVersion {
		return fmt.Errorf("cluster message version %d, this node speaks %d: upgrade every node to the same Breakwater", msg[2], wireVersion)
	}
	node, b, err := state.ReadShortString(msg[3:])
	if err != nil {
		return err
	}
	for len(b) > 0 {
		if len(b) < 3 {
			return fmt.Errorf("record header: %w", state.ErrShort)
		}
		kind, n := b[0], int(binary.BigEndian.Uint16(b[1:]))
		if len(b) < 3+n {
			return fmt.Errorf("record of %d bytes: %w", n, state.ErrShort)
		}
		if err := fn(node, kind, b[3:3+n]); err != nil {
			return err
		}
		b = b[3+n:]
	}
	return nil
}

func appendAddr(b []byte, a netip.Addr) []byte {
	x := a.As16()
	return append(b, x[:]...)
}

func readAddr(b []byte) (netip.Addr, []byte, error) {
	if len(b) < 16 {
		return netip.Addr{}, nil, fmt.Errorf("address: %w", state.ErrShort)
	}
	return netip.AddrFrom16([16]byte(b[:16])).Unmap(), b[16:], nil
}
