package gsmmap

import (
	"encoding/hex"
	"strings"

	"breakwater/internal/bertest"
)

// hx decodes hex with spaces (test tables only).
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// tl encodes a TLV: id is the identifier octet (an int) or octets, the
// length is minimal.
func tl(id any, parts ...[]byte) []byte {
	switch id := id.(type) {
	case int:
		return bertest.TLV(byte(id), parts...)
	case []byte:
		return bertest.TLVTag(id, parts...)
	}
	panic("tl: the identifier is an int or a []byte")
}

// TBCD digits, ISDN-AddressString (international, E.164) and an
// AddressString with the land-mobile numbering plan (an IMSI).
var (
	tbcd = bertest.TBCD
	isdn = bertest.ISDN
	e212 = bertest.E212
)

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Identifier octets used by the tables (MAP uses IMPLICIT TAGS: [n]
// primitive is 0x80|n, [n] constructed 0xA0|n; n ≥ 31 takes 0x9F/0xBF
// and a second octet).
const (
	octets = 0x04
	seqID  = 0x30
	enum   = 0x0a
	integ  = 0x02
	null   = 0x05
)

func ctx(n int) int  { return 0x80 | n }
func ctxC(n int) int { return 0xa0 | n }

// TCAP framing (Q.773).
var dialogueAsID = hx("00 11 86 05 01 01 01")

func acn(ac, version byte) []byte { return []byte{0x04, 0x00, 0x00, 0x01, 0x00, ac, version} }

// aarq is a dialogue portion with an AARQ for application context acn
// and optional MAP user-information.
func aarq(acn []byte, userInfo ...[]byte) []byte {
	pdu := [][]byte{hx("80 02 07 80"), tl(0xa1, tl(0x06, acn))}
	if len(userInfo) > 0 {
		pdu = append(pdu, tl(0xbe, userInfo...))
	}
	return tl(0x6b, tl(0x28, tl(0x06, dialogueAsID), tl(0xa0, tl(0x60, pdu...))))
}

// aare is a dialogue portion accepting application context acn.
func aare(acn []byte) []byte {
	return tl(0x6b, tl(0x28, tl(0x06, dialogueAsID), tl(0xa0, tl(0x61, hx("80 02 07 80"), tl(0xa1, tl(0x06, acn)),
		hx("a2 03 02 01 00 a3 05 a1 03 02 01 00")))))
}

// mapOpen is MAP user-information: EXTERNAL { map-DialogueAS, [0] {
// map-open [0] { destinationReference [0], originationReference [1] } } }.
func mapOpen(dest, orig []byte) []byte {
	var refs [][]byte
	if dest != nil {
		refs = append(refs, tl(0x80, dest))
	}
	if orig != nil {
		refs = append(refs, tl(0x81, orig))
	}
	return tl(0x28, tl(0x06, mapDialogueAS), tl(0xa0, tl(0xa0, refs...)))
}

func invoke(id, op byte, param []byte) []byte {
	return tl(0xa1, tl(integ, []byte{id}), tl(integ, []byte{op}), param)
}

func result(id, op byte, param []byte) []byte {
	return tl(0xa2, tl(integ, []byte{id}), tl(seqID, tl(integ, []byte{op}), param))
}

func begin(otid uint32, dialogue []byte, comps ...[]byte) []byte {
	return tl(0x62, tl(0x48, []byte{byte(otid >> 24), byte(otid >> 16), byte(otid >> 8), byte(otid)}), dialogue,
		tl(0x6c, comps...))
}

func end(dtid uint32, dialogue []byte, comps ...[]byte) []byte {
	return tl(0x64, tl(0x49, []byte{byte(dtid >> 24), byte(dtid >> 16), byte(dtid >> 8), byte(dtid)}), dialogue,
		tl(0x6c, comps...))
}

// beginInvoke is the commonest shape: a TC-BEGIN with an AARQ for
// application context ac version 3 and one Invoke.
func beginInvoke(ac byte, op byte, param []byte) []byte {
	return begin(0x0102, aarq(acn(ac, 3)), invoke(1, op, param))
}
