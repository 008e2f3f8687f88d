// Package bertest builds the BER and TBCD encodings of the SS7 tests'
// hand-made messages (TCAP, MAP, the M3UA relay and fault tests). It
// depends on nothing, so the protocol packages' own tests can use it.
package bertest

// TLV encodes one TLV with a one-octet identifier and the minimal definite
// length around the concatenated parts.
func TLV(id byte, parts ...[]byte) []byte { return TLVTag([]byte{id}, parts...) }

// TLVTag is TLV with an identifier of any number of octets.
func TLVTag(tag []byte, parts ...[]byte) []byte {
	var v []byte
	for _, p := range parts {
		v = append(v, p...)
	}
	out := append([]byte(nil), tag...)
	switch l := len(v); {
	case l < 0x80:
		out = append(out, byte(l))
	case l < 0x100:
		out = append(out, 0x81, byte(l))
	default:
		out = append(out, 0x82, byte(l>>8), byte(l))
	}
	return append(out, v...)
}

// TBCD encodes digits low nibble first, with an 0xF filler (TS 29.002
// TBCD-STRING).
func TBCD(d string) []byte {
	var out []byte
	for i := 0; i < len(d); i += 2 {
		lo, hi := d[i]-'0', byte(0xf)
		if i+1 < len(d) {
			hi = d[i+1] - '0'
		}
		out = append(out, hi<<4|lo)
	}
	return out
}

// ISDN is an ISDN-AddressString: international, E.164 (0x91).
func ISDN(d string) []byte { return append([]byte{0x91}, TBCD(d)...) }

// E212 is an AddressString with the land-mobile numbering plan (an IMSI).
func E212(d string) []byte { return append([]byte{0x96}, TBCD(d)...) }
