package gtp

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// The functions here change a message in place, for a GTP-C proxy that
// stands between two networks: it renumbers requests in its own sequence
// space and announces its own address as the control-plane endpoint, so
// that both sides send their next messages through it.

// SetSequence rewrites the sequence number of the message at b.
func SetSequence(b []byte, seq uint32) bool {
	h, err := ParseHeader(b)
	if err != nil || !h.SeqPresent {
		return false
	}
	if h.Version == 2 {
		off := 4
		if h.TEIDPresent {
			off = 8
		}
		b[off], b[off+1], b[off+2] = byte(seq>>16), byte(seq>>8), byte(seq)
		return true
	}
	binary.BigEndian.PutUint16(b[8:], uint16(seq))
	return true
}

// SetTEID rewrites the header TEID (v1 always has one; v2 when T is set).
func SetTEID(b []byte, teid uint32) bool {
	h, err := ParseHeader(b)
	if err != nil || !h.TEIDPresent {
		return false
	}
	binary.BigEndian.PutUint32(b[4:], teid)
	return true
}

// ErrAddressFamily: the message announces an address of a family the
// proxy has no address for, so it cannot stand in for it.
var ErrAddressFamily = errors.New("gtp: control-plane address of a family the proxy has no address for")

// RewriteControlAddress replaces the addresses of the sender's
// control-plane endpoint — the GTPv2 F-TEID of a GTP-C interface at
// instance 0, or the first GSN Address of a GTPv1 message — with v4 or v6
// (by family, same length, so in place). It returns how many addresses it
// rewrote; ErrAddressFamily when an address has no replacement.
func RewriteControlAddress(b []byte, v4, v6 netip.Addr) (int, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return 0, err
	}
	body := b[h.ieStart:h.Length]
	n := 0
	if h.Version == 2 {
		it := V2IEs{b: body}
		for ie, ok := it.Next(); ok; ie, ok = it.Next() {
			if ie.Type != IEFTEID || ie.Instance != 0 || len(ie.Value) < 5 || !controlInterface(ie.Value[0]&0x3f) {
				continue
			}
			val := ie.Value // aliases b: writes go to the message
			off := 5
			if val[0]&0x80 != 0 {
				if !v4.Is4() || len(val) < off+4 {
					return n, ErrAddressFamily
				}
				a := v4.As4()
				copy(val[off:], a[:])
				off += 4
				n++
			}
			if val[0]&0x40 != 0 {
				if !v6.Is6() || len(val) < off+16 {
					return n, ErrAddressFamily
				}
				a := v6.As16()
				copy(val[off:], a[:])
				n++
			}
			return n, nil
		}
		return n, it.Err()
	}
	it := V1IEs{b: body}
	for ie, ok := it.Next(); ok; ie, ok = it.Next() {
		if ie.Type != V1IEGSNAddress {
			continue
		}
		switch len(ie.Value) {
		case 4:
			if !v4.Is4() {
				return 0, ErrAddressFamily
			}
			a := v4.As4()
			copy(ie.Value, a[:])
		case 16:
			if !v6.Is6() {
				return 0, ErrAddressFamily
			}
			a := v6.As16()
			copy(ie.Value, a[:])
		default:
			return 0, ErrIE
		}
		return 1, nil // only the first GSN Address is the signalling one
	}
	return 0, it.Err()
}

// EchoResponse encodes the answer to an Echo Request with the proxy's own
// restart counter (Recovery).
func (b *Builder) EchoResponse(req []byte, restart uint8) ([]byte, bool) {
	h, err := ParseHeader(req)
	if err != nil || h.Type != 1 {
		return nil, false
	}
	if h.Version == 2 {
		return b.StartV2(2, false, 0, h.Sequence).IE(IERecovery, 0, []byte{restart}).Message(), true
	}
	return b.StartV1(2, 0, uint16(h.Sequence)).TV(V1IERecovery, []byte{restart}).Message(), true
}
