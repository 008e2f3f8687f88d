package tcap

import (
	"encoding/hex"
	"strings"
	"testing"

	"breakwater/internal/bertest"
)

// hx decodes hex with spaces; it panics on bad input (test tables only).
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\n", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// tl encodes one TLV with a one-octet identifier and a minimal definite
// length around the concatenated parts.
var tl = bertest.TLV

// tlIndef encodes a constructed TLV with the indefinite length.
func tlIndef(id byte, parts ...[]byte) []byte {
	out := []byte{id, 0x80}
	for _, p := range parts {
		out = append(out, p...)
	}
	return append(out, 0, 0)
}

// Building blocks of the tables, each with its ASN.1 (Q.773).
var (
	// dialoguePortion ::= [APPLICATION 11] EXTERNAL { direct-reference
	// dialogue-as-id, single-ASN1-type [0] DialoguePDU }.
	dialogue = func(pdu []byte) []byte {
		return tl(0x6b, tl(0x28, tl(0x06, DialogueAsID), tl(0xa0, pdu)))
	}
	uniDialogue = func(pdu []byte) []byte {
		return tl(0x6b, tl(0x28, tl(0x06, UniDialogueAsID), tl(0xa0, pdu)))
	}
	// AARQ-apdu ::= [APPLICATION 0] { protocol-version [0] BIT STRING
	// {version1(0)}, application-context-name [1] OID, user-information
	// [30] OPTIONAL }.
	aarq = func(acn []byte, extra ...[]byte) []byte {
		return tl(0x60, append([][]byte{hx("80 02 07 80"), tl(0xa1, tl(0x06, acn))}, extra...)...)
	}
	// AARE-apdu ::= [APPLICATION 1] { protocol-version, acn [1], result
	// [2] INTEGER, result-source-diagnostic [3] CHOICE { user [1]
	// INTEGER, provider [2] INTEGER } }.
	aare = func(acn []byte, result byte) []byte {
		return tl(0x61, hx("80 02 07 80"), tl(0xa1, tl(0x06, acn)), tl(0xa2, tl(0x02, []byte{result})),
			tl(0xa3, tl(0xa1, tl(0x02, []byte{0}))))
	}
	// ABRT-apdu ::= [APPLICATION 4] { abort-source [0] IMPLICIT INTEGER }.
	abrt = func(source byte) []byte { return tl(0x64, tl(0x80, []byte{source})) }

	// map-ac networkLocUp (1) version3 (3): 0.4.0.0.1.0.1.3.
	acnNetworkLocUpV3 = hx("04 00 00 01 00 01 03")
	// map-ac anyTimeInfoEnquiry (29) version3 (3).
	acnATIV3 = hx("04 00 00 01 00 1d 03")

	otid = func(b ...byte) []byte { return tl(0x48, b) }
	dtid = func(b ...byte) []byte { return tl(0x49, b) }

	// Invoke ::= [1] { invokeID INTEGER, opcode local INTEGER, parameter }.
	invoke = func(id, op byte, param []byte) []byte {
		return tl(0xa1, tl(0x02, []byte{id}), tl(0x02, []byte{op}), param)
	}
	components = func(cs ...[]byte) []byte { return tl(0x6c, cs...) }
)

// realUL is the TC-BEGIN of map_timkam_updateLocation_invoke.pcap (frame
// 1, the TCAP octets after SCCP): an updateLocation Invoke in
// networkLocUpContext-v3, OTID 25c60f.
var realUL = hx(`62 5d 48 03 25 c6 0f 6b 1e 28 1c 06 07 00 11 86 05 01 01 01 a0 11 60 0f 80 02 07 80
a1 09 06 07 04 00 00 01 00 01 03 6c 36 a1 34 02 01 01 02 01 02 30 2c 04 08 54 04 60 01 07 31
04 f5 81 06 91 68 31 52 14 93 04 06 91 68 31 52 14 93 8a 04 05 3b 46 00 a6 0a 80 02 06 c0 84 00
85 02 06 c0`)

func mustParse(t *testing.T, b []byte) *Message {
	t.Helper()
	var m Message
	if err := Parse(b, &m); err != nil {
		t.Fatalf("Parse(% x): %v", b, err)
	}
	return &m
}

func allComponents(t *testing.T, m *Message) []Component {
	t.Helper()
	var out []Component
	it := m.Components()
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		out = append(out, c)
	}
	if it.Err() != nil {
		t.Fatalf("components: %v", it.Err())
	}
	return out
}
