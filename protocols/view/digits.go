package view

// MaxDigits is the longest digit string a view holds. E.164 numbers and IMSIs
// have at most 15 digits; SCCP global titles may carry a few more.
const MaxDigits = 24

// Digits is a short decimal digit string (IMSI, MSISDN, global title) stored
// inline so that a view needs no allocation.
type Digits struct {
	b   [MaxDigits]byte
	n   uint8
	key uint64 // Uint64's value, computed while the digits are stored
}

// keyDigits is the longest digit string with an integer key.
const keyDigits = 18

// SetASCII stores s if it is 1..MaxDigits ASCII decimal digits and reports
// whether it did. On failure d is cleared.
func (d *Digits) SetASCII(s []byte) bool {
	d.n, d.key = 0, 0
	if len(s) == 0 || len(s) > MaxDigits {
		return false
	}
	key := uint64(1) // sentinel so that "0012" and "12" differ
	for i, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		d.b[i] = c
		key = key*10 + uint64(c-'0')
	}
	d.n = uint8(len(s))
	if len(s) <= keyDigits {
		d.key = key
	}
	return true
}

// SetTBCD decodes telephony BCD (3GPP TS 29.002 TBCD-STRING: low nibble
// first, 0xF filler in the last high nibble) and reports whether the
// encoding was valid. On failure d is cleared.
func (d *Digits) SetTBCD(b []byte) bool {
	d.n, d.key = 0, 0
	if len(b) == 0 || len(b) > (MaxDigits+1)/2 {
		return false
	}
	// One pass: digits and key together (the key's value wraps past
	// keyDigits and is then discarded).
	n := 0
	key := uint64(1)
	for i, x := range b {
		lo, hi := x&0x0f, x>>4
		if lo > 9 {
			return false
		}
		d.b[n] = '0' + lo
		key = key*10 + uint64(lo)
		n++
		if hi > 9 {
			if hi != 0x0f || i != len(b)-1 { // filler only at the very end
				return false
			}
			break
		}
		if n >= MaxDigits {
			return false
		}
		d.b[n] = '0' + hi
		key = key*10 + uint64(hi)
		n++
	}
	d.n = uint8(n)
	if n <= keyDigits {
		d.key = key
	}
	return true
}

// Bytes returns the digits as ASCII. The slice aliases d.
func (d *Digits) Bytes() []byte { return d.b[:d.n] }

// String returns the digits (allocates; for output, not the hot path).
func (d Digits) String() string { return string(d.b[:d.n]) }

// Len is the number of digits.
func (d *Digits) Len() int { return int(d.n) }

// IsZero reports whether no digits are set.
func (d *Digits) IsZero() bool { return d.n == 0 }

// HasPrefix reports whether the digits start with p.
func (d *Digits) HasPrefix(p string) bool {
	return len(p) <= int(d.n) && string(d.b[:len(p)]) == p
}

// Equal reports whether d and o hold the same digits.
func (d *Digits) Equal(o *Digits) bool {
	return d.n == o.n && string(d.b[:d.n]) == string(o.b[:o.n])
}

// Uint64 packs up to 18 digits into an integer key: a 1 followed by the
// digits, so leading zeros (which matter in IMSIs and GTs) are kept. The
// key is computed when the digits are stored. ok is false for longer
// strings and for empty ones.
func (d *Digits) Uint64() (key uint64, ok bool) {
	return d.key, d.key != 0
}
