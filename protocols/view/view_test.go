package view

import "testing"

func TestDigitsTBCD(t *testing.T) {
	cases := []struct {
		in   []byte
		want string
		ok   bool
	}{
		{[]byte{0x13, 0x00, 0x62, 0x10, 0x32, 0x54, 0x76, 0xf8}, "310026012345678", true},
		{[]byte{0x21, 0x43}, "1234", true},
		{[]byte{0x21, 0xf3}, "123", true},
		{[]byte{0x21, 0xf3, 0x11}, "", false}, // filler before the end
		{[]byte{0x2a}, "", false},             // non-digit low nibble
		{[]byte{0xb1}, "", false},             // non-digit high nibble
		{nil, "", false},
	}
	for _, c := range cases {
		var d Digits
		ok := d.SetTBCD(c.in)
		if ok != c.ok || d.String() != c.want {
			t.Errorf("SetTBCD(% x) = %q,%v want %q,%v", c.in, d.String(), ok, c.want, c.ok)
		}
	}
}

func TestDigitsASCIIAndKey(t *testing.T) {
	var a, b Digits
	if !a.SetASCII([]byte("0012")) || !b.SetASCII([]byte("12")) {
		t.Fatal("SetASCII refused digits")
	}
	ka, _ := a.Uint64()
	kb, _ := b.Uint64()
	if ka == kb {
		t.Fatalf("keys of %q and %q collide", a.String(), b.String())
	}
	if a.SetASCII([]byte("12a")) || a.Len() != 0 {
		t.Fatal("SetASCII accepted a non-digit")
	}
	if !b.HasPrefix("1") || b.HasPrefix("123") {
		t.Fatal("HasPrefix wrong")
	}
}

func TestPLMN(t *testing.T) {
	for _, s := range []string{"310260", "23415", "001001", "90170"} {
		p, err := ParsePLMN(s)
		if err != nil {
			t.Fatal(err)
		}
		enc := p.Encode()
		q, ok := DecodePLMN(enc[:])
		if !ok || q != p || q.String() != s {
			t.Errorf("%s: round trip gave %v %q ok=%v", s, q, q.String(), ok)
		}
	}
	// 3GPP TS 24.008 example: MCC 310 MNC 260 is 13 00 62; MCC 234 MNC 15 is 32 f4 51.
	if p, ok := DecodePLMN([]byte{0x13, 0x00, 0x62}); !ok || p.String() != "310260" {
		t.Errorf("decode 130062 = %q", p.String())
	}
	if p, ok := DecodePLMN([]byte{0x32, 0xf4, 0x51}); !ok || p.String() != "23415" {
		t.Errorf("decode 32f451 = %q", p.String())
	}
	if _, err := ParsePLMN("31026a"); err == nil {
		t.Error("ParsePLMN accepted a letter")
	}
	var imsi Digits
	imsi.SetASCII([]byte("310260123456789"))
	p, _ := ParsePLMN("310260")
	q, _ := ParsePLMN("31026")
	r, _ := ParsePLMN("23415")
	if !p.PrefixOf(&imsi) || !q.PrefixOf(&imsi) || r.PrefixOf(&imsi) {
		t.Error("PrefixOf wrong")
	}
}
