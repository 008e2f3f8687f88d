package bertest

import (
	"bytes"
	"testing"
)

func TestEncodings(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want []byte
	}{
		{"short", TLV(0x04, []byte{1, 2}), []byte{0x04, 2, 1, 2}},
		{"parts", TLV(0x30, []byte{1}, []byte{2, 3}), []byte{0x30, 3, 1, 2, 3}},
		{"0x81", TLV(0x04, make([]byte, 200))[:3], []byte{0x04, 0x81, 200}},
		{"0x82", TLV(0x04, make([]byte, 300))[:4], []byte{0x04, 0x82, 0x01, 0x2c}},
		{"tag", TLVTag([]byte{0xbf, 0x20}, []byte{5}), []byte{0xbf, 0x20, 1, 5}},
		{"tbcd odd", TBCD("12345"), []byte{0x21, 0x43, 0xf5}},
		{"isdn", ISDN("4477"), []byte{0x91, 0x44, 0x77}},
		{"e212", E212("310"), []byte{0x96, 0x13, 0xf0}},
	} {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s: % x, want % x", c.name, c.got, c.want)
		}
	}
}
