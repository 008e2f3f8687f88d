package sccp

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hx decodes hex written with spaces, newlines and | separators.
func hx(s string) []byte {
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// pcapDir holds the shared public captures (not in the repository).
const pcapDir = "../../../shared/pcaps"

func captures(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"map_timkam_*.pcap", "ss7_*.pcap"} {
		m, _ := filepath.Glob(filepath.Join(pcapDir, pat))
		out = append(out, m...)
	}
	if len(out) == 0 {
		if _, err := os.Stat(pcapDir); err != nil {
			t.Skipf("captures not present: %v", err)
		}
		t.Skip("no SS7 captures in " + pcapDir)
	}
	return out
}

// tmsg is a connectionless message for the test encoder: the mandatory
// variable parameters are laid out in order right after the pointers,
// then the optional part (opt: raw, end octet included; nil for none).
type tmsg struct {
	typ                   MessageType
	first, hop            uint8 // protocol class or return cause; hop counter
	called, calling, data []byte
	opt                   []byte
}

// encode lays the message out as every encoder does.
func (m tmsg) encode() []byte {
	l := layouts[m.typ]
	psize := 1
	if l.long {
		psize = 2
	}
	b := []byte{byte(m.typ), m.first}
	if l.hop {
		b = append(b, m.hop)
	}
	ptrs := len(b)
	n := 3
	if l.opt {
		n = 4
	}
	b = append(b, make([]byte, n*psize)...)
	setPtr := func(i int) {
		pos := ptrs + i*psize
		if psize == 1 {
			b[pos] = byte(len(b) - pos)
			return
		}
		v := len(b) - pos - 1
		b[pos], b[pos+1] = byte(v), byte(v>>8)
	}
	for i, p := range [][]byte{m.called, m.calling, m.data} {
		setPtr(i)
		if l.long && i == 2 {
			b = append(b, byte(len(p)), byte(len(p)>>8))
		} else {
			b = append(b, byte(len(p)))
		}
		b = append(b, p...)
	}
	if l.opt && m.opt != nil {
		setPtr(3)
		b = append(b, m.opt...)
	}
	return b
}

// bcd packs address signals given as hex characters, two per octet, first
// in the low nibble, filler 0 for an odd count.
func bcd(digits string) []byte {
	out := make([]byte, (len(digits)+1)/2)
	for i := 0; i < len(digits); i++ {
		var v byte
		switch c := digits[i]; {
		case c >= '0' && c <= '9':
			v = c - '0'
		default:
			v = c - 'A' + 10
		}
		if i%2 == 0 {
			out[i/2] = v
		} else {
			out[i/2] |= v << 4
		}
	}
	return out
}

// gt4 is an address routed on a GTI 4 global title (TT 0, E.164,
// international) with the SSN.
func gt4(ssn uint8, digits string) []byte {
	es := byte(ESBCDEven)
	if len(digits)%2 == 1 {
		es = ESBCDOdd
	}
	return cat([]byte{0x12, ssn, 0, NPISDN<<4 | es, NAIInternational}, bcd(digits))
}

// pcssn is an address routed on point code and SSN.
func pcssn(pc uint16, ssn uint8) []byte {
	return []byte{0x43, byte(pc), byte(pc >> 8), ssn}
}

// seg is an optional part with a segmentation parameter (and its end).
func seg(first bool, class, remaining uint8, lref uint32) []byte {
	o := class<<6 | remaining
	if first {
		o |= 0x80
	}
	return []byte{ParamSegmentation, 4, o, byte(lref), byte(lref >> 8), byte(lref >> 16), 0}
}

// Hand-encoded messages (Q.713 §4.10, §4.18, §4.20): called party
// 04 43 b7 09 06 is route-on-SSN, PC 2487, SSN 6 (HLR); calling party
// 07 12 07 00 11 04 44 07 is route-on-GT, SSN 7 (VLR), GTI 4 with TT 0,
// NP 1 / ES 1 (BCD odd), NAI 4, digits 447 (filler 0).
var (
	udtVector = hx(`09 00 03 07 0e | 04 43 b7 09 06 | 07 12 07 00 11 04 44 07 | 03 01 02 03`)
	// XUDT: class 1, hop counter 15, segmentation (first, class 1, 3
	// remaining, local reference 12345), importance 5, end.
	xudtVector = hx(`11 01 0f 04 08 0f 12 | 04 43 b7 09 06 | 07 12 07 00 11 04 44 07 | 03 01 02 03 |
		10 04 c3 39 30 00 | 12 01 05 | 00`)
	// LUDT: two-octet pointers counted from their second octet, long data
	// with a two-octet length indicator, no optional part.
	ludtVector = hx(`13 00 0f 07 00 0a 00 10 00 00 00 | 04 43 b7 09 06 | 07 12 07 00 11 04 44 07 | 04 00 01 02 03 04`)
	// UDTS: return cause 1 (no translation for this specific address).
	udtsVector = hx(`0a 01 03 07 0e | 04 43 b7 09 06 | 07 12 07 00 11 04 44 07 | 03 01 02 03`)
)
