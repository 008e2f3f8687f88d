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
	if len(b) == 0 || len(b) > MaxDigits/2 {
		return false
	}
	// One table lookup per octet: both digits, their value and whether
	// the octet is valid here; the key advances two digits at a time (its
	// value wraps past keyDigits and is then discarded).
	key := uint64(1)
	last := len(b) - 1
	for i, x := range b[:last] {
		e := tbcdOctets[x]
		if e.kind != tbcdTwo {
			return false // a filler or a non-digit before the last octet
		}
		d.b[2*i], d.b[2*i+1] = e.lo, e.hi
		key = key*100 + uint64(e.val)
	}
	n := 2 * last
	switch e := tbcdOctets[b[last]]; e.kind {
	case tbcdTwo:
		d.b[n], d.b[n+1] = e.lo, e.hi
		key = key*100 + uint64(e.val)
		n += 2
	case tbcdOne:
		d.b[n] = e.lo
		key = key*10 + uint64(e.val)
		n++
	default:
		return false
	}
	d.n = uint8(n)
	if n <= keyDigits {
		d.key = key
	}
	return true
}

// SetBCD decodes decimal address signals two per octet, the first in the
// low nibble, n = 2*len(b) (minus one when odd: the last octet's high
// nibble is then filler and ignored) — SCCP global titles (Q.713
// §3.4.2.3) — and reports whether they are all decimal digits. On
// failure d is cleared.
func (d *Digits) SetBCD(b []byte, odd bool) bool {
	d.n, d.key = 0, 0
	if len(b) == 0 || len(b) > MaxDigits/2 {
		return false
	}
	key := uint64(1)
	last := len(b) - 1
	for i, x := range b[:last] {
		e := tbcdOctets[x]
		if e.kind != tbcdTwo {
			return false
		}
		d.b[2*i], d.b[2*i+1] = e.lo, e.hi
		key = key*100 + uint64(e.val)
	}
	n := 2 * last
	x := b[last]
	if odd {
		x |= 0xf0 // the filler, whatever it holds
	}
	switch e := tbcdOctets[x]; {
	case !odd && e.kind == tbcdTwo:
		d.b[n], d.b[n+1] = e.lo, e.hi
		key = key*100 + uint64(e.val)
		n += 2
	case odd && e.kind == tbcdOne:
		d.b[n] = e.lo
		key = key*10 + uint64(e.val)
		n++
	default:
		return false
	}
	d.n = uint8(n)
	if n <= keyDigits {
		d.key = key
	}
	return true
}

// Kinds of TBCD octet.
const (
	tbcdBad = iota // a nibble above 9 (other than the final filler)
	tbcdTwo        // two digits
	tbcdOne        // one digit and the 0xF filler
)

// tbcdOctets describes every octet value: its ASCII digits (low nibble
// first), their value as a number (lo*10+hi, or lo) and kind.
var tbcdOctets = func() (t [256]struct{ lo, hi, val, kind uint8 }) {
	for x := range 256 {
		lo, hi := uint8(x&0x0f), uint8(x>>4)
		e := &t[x]
		switch {
		case lo > 9:
			e.kind = tbcdBad
		case hi <= 9:
			e.lo, e.hi, e.val, e.kind = '0'+lo, '0'+hi, lo*10+hi, tbcdTwo
		case hi == 0x0f:
			e.lo, e.val, e.kind = '0'+lo, lo, tbcdOne
		}
	}
	return t
}()

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
