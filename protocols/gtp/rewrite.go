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
	var h Header
	err := parseHeader(b, &h)
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
	var h Header
	err := parseHeader(b, &h)
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
// control-plane endpoint with v4 or v6 (by family, same length, so in
// place), leaving TEIDs alone: RewriteSender(b, v4, v6, 0, 0).
func RewriteControlAddress(b []byte, v4, v6 netip.Addr) (int, error) {
	return RewriteSender(b, v4, v6, 0, 0)
}

// RewriteSender announces a proxy as the sender's control-plane endpoint.
// It rewrites, in place, the F-TEIDs that name the sender's GTP-C
// endpoint — instance 0 of a GTP-C interface type, and in a Create
// Session Response the PGW's instance 1 as well — or, in GTPv1, the first
// GSN Address and the TEID Control Plane: each address gets v4 or v6 by
// family, and when newTEID is not 0 a TEID equal to oldTEID becomes
// newTEID (the proxy's own TEID standing for the sender's). It returns how
// many addresses it rewrote; ErrAddressFamily when an address has no
// replacement (the message is then partly rewritten and must not be sent).
func RewriteSender(b []byte, v4, v6 netip.Addr, oldTEID, newTEID uint32) (int, error) {
	var h Header
	err := parseHeader(b, &h)
	if err != nil {
		return 0, err
	}
	body := b[h.ieStart:h.Length]
	n := 0
	if h.Version == 2 {
		it := V2IEs{b: body}
		for ie, ok := it.Next(); ok; ie, ok = it.Next() {
			if ie.Type != IEFTEID || len(ie.Value) < 5 {
				continue
			}
			sender := ie.Instance == 0 && controlInterface(ie.Value[0]&0x3f) ||
				ie.Instance == 1 && h.Type == msgCreateSessionResponse
			if !sender {
				continue
			}
			val := ie.Value // aliases b: writes go to the message
			if newTEID != 0 && binary.BigEndian.Uint32(val[1:]) == oldTEID {
				binary.BigEndian.PutUint32(val[1:], newTEID)
			}
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
		}
		return n, it.Err()
	}
	it := V1IEs{b: body}
	gsn := false
	for ie, ok := it.Next(); ok; ie, ok = it.Next() {
		switch {
		case ie.Type == V1IETEIDControl && len(ie.Value) == 4:
			if newTEID != 0 && binary.BigEndian.Uint32(ie.Value) == oldTEID {
				binary.BigEndian.PutUint32(ie.Value, newTEID)
			}
		case ie.Type == V1IEGSNAddress && !gsn:
			gsn = true // only the first GSN Address is the signalling one
			switch len(ie.Value) {
			case 4:
				if !v4.Is4() {
					return n, ErrAddressFamily
				}
				a := v4.As4()
				copy(ie.Value, a[:])
			case 16:
				if !v6.Is6() {
					return n, ErrAddressFamily
				}
				a := v6.As16()
				copy(ie.Value, a[:])
			default:
				return n, ErrIE
			}
			n++
		}
	}
	return n, it.Err()
}

// SetRecovery rewrites the restart counter of the message's Recovery IE
// (TS 29.274 §8.5, TS 29.060 §7.7.11) and returns the one it replaced. A
// proxy that answers Echo itself must announce one restart counter per
// side, also in the Recovery IEs it relays: a peer that sees two counters
// from one address takes the difference for a restart and deletes every
// session with that address (TS 23.007).
func SetRecovery(b []byte, restart uint8) (old uint8, found bool) {
	var h Header
	err := parseHeader(b, &h)
	if err != nil {
		return 0, false
	}
	body := b[h.ieStart:h.Length]
	if h.Version == 2 {
		it := V2IEs{b: body}
		for ie, ok := it.Next(); ok; ie, ok = it.Next() {
			if ie.Type == IERecovery && ie.Instance == 0 && len(ie.Value) >= 1 {
				old, ie.Value[0] = ie.Value[0], restart
				return old, true
			}
		}
		return 0, false
	}
	it := V1IEs{b: body}
	for ie, ok := it.Next(); ok; ie, ok = it.Next() {
		if ie.Type == V1IERecovery && len(ie.Value) == 1 {
			old, ie.Value[0] = ie.Value[0], restart
			return old, true
		}
	}
	return 0, false
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
