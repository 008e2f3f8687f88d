package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"breakwater/protocols/view"
)

// The binary form of locations and sessions, shared by the snapshot file
// and the Redis backend (keys' values and replication messages):
//
//	location: IMSI u64 | MCC u16 | MNC u16 | MNC length u8 | time i64 (unix ns) | partner
//	session:  key u64 | IMSI u64 | created i64 (unix ns) | partner
//	partner:  a short string
//	short string: length u8 | bytes (at most MaxPartnerLen)
//
// All integers are big-endian. Decoders check every length before use.

// MaxPartnerLen bounds a partner name in the binary form (configuration
// names are far shorter).
const MaxPartnerLen = 255

// ErrShort is wrapped by decoders given a truncated record.
var ErrShort = errors.New("record truncated")

const (
	locationFixed = 8 + 2 + 2 + 1 + 8
	sessionFixed  = 8 + 8 + 8
)

// AppendLocation appends the binary form of imsi's location to b.
func AppendLocation(b []byte, imsi uint64, l Location) []byte {
	b = binary.BigEndian.AppendUint64(b, imsi)
	b = binary.BigEndian.AppendUint16(b, l.PLMN.MCC)
	b = binary.BigEndian.AppendUint16(b, l.PLMN.MNC)
	b = append(b, l.PLMN.MNCLen)
	b = binary.BigEndian.AppendUint64(b, uint64(l.Time.UnixNano()))
	return AppendShortString(b, l.Partner)
}

// DecodeLocation reads one location from the front of b and returns the
// rest. The partner name is copied (b may be reused).
func DecodeLocation(b []byte) (imsi uint64, l Location, rest []byte, err error) {
	if len(b) < locationFixed {
		return 0, l, nil, fmt.Errorf("location: %w (%d bytes, need %d)", ErrShort, len(b), locationFixed)
	}
	imsi = binary.BigEndian.Uint64(b)
	l.PLMN = view.PLMN{MCC: binary.BigEndian.Uint16(b[8:]), MNC: binary.BigEndian.Uint16(b[10:]), MNCLen: b[12]}
	l.Time = time.Unix(0, int64(binary.BigEndian.Uint64(b[13:])))
	l.Partner, rest, err = ReadShortString(b[locationFixed:])
	return imsi, l, rest, err
}

// AppendSession appends the binary form of a session to b.
func AppendSession(b []byte, key uint64, s Session) []byte {
	b = binary.BigEndian.AppendUint64(b, key)
	b = binary.BigEndian.AppendUint64(b, s.IMSI)
	b = binary.BigEndian.AppendUint64(b, uint64(s.Created.UnixNano()))
	return AppendShortString(b, s.Partner)
}

// DecodeSession reads one session from the front of b and returns the rest.
func DecodeSession(b []byte) (key uint64, s Session, rest []byte, err error) {
	if len(b) < sessionFixed {
		return 0, s, nil, fmt.Errorf("session: %w (%d bytes, need %d)", ErrShort, len(b), sessionFixed)
	}
	key = binary.BigEndian.Uint64(b)
	s.IMSI = binary.BigEndian.Uint64(b[8:])
	s.Created = time.Unix(0, int64(binary.BigEndian.Uint64(b[16:])))
	s.Partner, rest, err = ReadShortString(b[sessionFixed:])
	return key, s, rest, err
}

// AppendShortString appends s in the binary form's string encoding (a
// length byte, then the bytes), cut to MaxPartnerLen bytes.
func AppendShortString(b []byte, s string) []byte {
	if len(s) > MaxPartnerLen {
		s = s[:MaxPartnerLen]
	}
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// ReadShortString reads a string AppendShortString wrote from the front
// of b and returns the rest; the string is a copy.
func ReadShortString(b []byte) (string, []byte, error) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return "", nil, fmt.Errorf("string: %w", ErrShort)
	}
	n := int(b[0])
	return string(b[1 : 1+n]), b[1+n:], nil
}
