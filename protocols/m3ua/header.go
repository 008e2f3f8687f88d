package m3ua

import (
	"encoding/binary"
	"errors"
)

// HeaderLen is the length of the common header (RFC 4666 §3.1).
const HeaderLen = 8

// Version is the only M3UA version (RFC 4666 §3.1.1: "1 Release 1.0").
const Version = 1

// PPID is the SCTP payload protocol identifier of M3UA (RFC 4666 §4.1).
const PPID = 3

// Message classes (RFC 4666 §3.1.2). Classes 5-8 and 10 belong to the other
// SIGTRAN adaptation layers (IUA, M2UA, SUA); an M3UA peer answers them
// with Error "Unsupported Message Class".
const (
	ClassMGMT     uint8 = 0  // management: ERR, NTFY
	ClassTransfer uint8 = 1  // DATA
	ClassSSNM     uint8 = 2  // SS7 signalling network management
	ClassASPSM    uint8 = 3  // ASP state maintenance
	ClassASPTM    uint8 = 4  // ASP traffic maintenance
	ClassQPTM     uint8 = 5  // Q.921/Q.931 boundary primitives transport (IUA)
	ClassMAUP     uint8 = 6  // MTP2 user adaptation (M2UA)
	ClassCL       uint8 = 7  // connectionless (SUA)
	ClassCO       uint8 = 8  // connection-oriented (SUA)
	ClassRKM      uint8 = 9  // routing key management
	ClassIIM      uint8 = 10 // interface identifier management (M2UA)
)

// Kind is a message's class and type in one value (class<<8 | type), so
// that one switch names every M3UA message: type numbers repeat across
// classes (type 1 is NTFY, DATA, DUNA, ASPUP, ASPAC and REG REQ).
type Kind uint16

// KindOf combines a class and a type.
func KindOf(class, typ uint8) Kind { return Kind(class)<<8 | Kind(typ) }

// Class is the message class of k.
func (k Kind) Class() uint8 { return uint8(k >> 8) }

// Type is the message type of k within its class.
func (k Kind) Type() uint8 { return uint8(k) }

// The M3UA messages (RFC 4666 §3.1.3).
const (
	KindERR  = Kind(ClassMGMT) << 8   // Error (type 0)
	KindNTFY = Kind(ClassMGMT)<<8 | 1 // Notify

	KindDATA = Kind(ClassTransfer)<<8 | 1 // Payload Data

	KindDUNA = Kind(ClassSSNM)<<8 | 1 // Destination Unavailable
	KindDAVA = Kind(ClassSSNM)<<8 | 2 // Destination Available
	KindDAUD = Kind(ClassSSNM)<<8 | 3 // Destination State Audit
	KindSCON = Kind(ClassSSNM)<<8 | 4 // Signalling Congestion
	KindDUPU = Kind(ClassSSNM)<<8 | 5 // Destination User Part Unavailable
	KindDRST = Kind(ClassSSNM)<<8 | 6 // Destination Restricted

	KindASPUP    = Kind(ClassASPSM)<<8 | 1 // ASP Up
	KindASPDN    = Kind(ClassASPSM)<<8 | 2 // ASP Down
	KindBEAT     = Kind(ClassASPSM)<<8 | 3 // Heartbeat
	KindASPUPAck = Kind(ClassASPSM)<<8 | 4 // ASP Up Acknowledgement
	KindASPDNAck = Kind(ClassASPSM)<<8 | 5 // ASP Down Acknowledgement
	KindBEATAck  = Kind(ClassASPSM)<<8 | 6 // Heartbeat Acknowledgement

	KindASPAC    = Kind(ClassASPTM)<<8 | 1 // ASP Active
	KindASPIA    = Kind(ClassASPTM)<<8 | 2 // ASP Inactive
	KindASPACAck = Kind(ClassASPTM)<<8 | 3 // ASP Active Acknowledgement
	KindASPIAAck = Kind(ClassASPTM)<<8 | 4 // ASP Inactive Acknowledgement

	KindREGREQ   = Kind(ClassRKM)<<8 | 1 // Registration Request
	KindREGRSP   = Kind(ClassRKM)<<8 | 2 // Registration Response
	KindDEREGREQ = Kind(ClassRKM)<<8 | 3 // Deregistration Request
	KindDEREGRSP = Kind(ClassRKM)<<8 | 4 // Deregistration Response
)

// Errors. Static so that reporting them allocates nothing.
var (
	ErrShort    = errors.New("m3ua: shorter than the 8-octet common header")
	ErrVersion  = errors.New("m3ua: version is not 1")
	ErrLength   = errors.New("m3ua: message length below 8 or beyond the buffer")
	ErrTrailing = errors.New("m3ua: bytes after the message length")
	ErrParam    = errors.New("m3ua: parameter truncated, below 4 octets or beyond the message")
)

// Header is the common header.
type Header struct {
	Version  uint8
	Reserved uint8 // "SHOULD be set to all '0's and ignored by the receiver"
	Class    uint8
	Type     uint8
	Length   uint32 // the whole message, header and padding included
}

// Kind is the header's class and type.
func (h *Header) Kind() Kind { return KindOf(h.Class, h.Type) }

// ParseHeader reads the common header at the start of b and checks the
// version and that Length covers at least the header and at most b. b may
// hold more than the message; Parse insists it does not.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, ErrShort
	}
	h := Header{Version: b[0], Reserved: b[1], Class: b[2], Type: b[3], Length: binary.BigEndian.Uint32(b[4:])}
	if h.Version != Version {
		return h, ErrVersion
	}
	if h.Length < HeaderLen || uint64(h.Length) > uint64(len(b)) {
		return h, ErrLength
	}
	return h, nil
}

// MaxStreamMessage bounds the length a stream framer accepts from a
// header: far above any M3UA message, so only a corrupt length trips it.
const MaxStreamMessage = 1 << 24

// StreamLength reads the message length from the common header h (at
// least HeaderLen octets) for cutting M3UA out of a byte stream (M3UA over
// TCP in labs); ok is false when h cannot start an M3UA message.
func StreamLength(h []byte) (n int, ok bool) {
	l := uint32(h[4])<<24 | uint32(h[5])<<16 | uint32(h[6])<<8 | uint32(h[7])
	if h[0] != Version || l < HeaderLen || l > MaxStreamMessage {
		return 0, false
	}
	return int(l), true
}
