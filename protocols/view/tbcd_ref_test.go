package view

import (
	"math/rand/v2"
	"testing"
)

// setTBCDReference is the straightforward digit-by-digit decoding that
// SetTBCD's table must agree with.
func setTBCDReference(d *Digits, b []byte) bool {
	d.n, d.key = 0, 0
	if len(b) == 0 || len(b) > MaxDigits/2 {
		return false
	}
	n, key := 0, uint64(1)
	for i, x := range b {
		lo, hi := x&0x0f, x>>4
		if lo > 9 {
			return false
		}
		d.b[n] = '0' + lo
		key = key*10 + uint64(lo)
		n++
		if hi > 9 {
			if hi != 0x0f || i != len(b)-1 {
				return false
			}
			break
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

// SetTBCD agrees with the reference on random and on every one- and
// two-octet input: same validity, digits and key.
func TestSetTBCDMatchesReference(t *testing.T) {
	check := func(b []byte) {
		var got, want Digits
		okGot, okWant := got.SetTBCD(b), setTBCDReference(&want, b)
		if okGot != okWant || string(got.Bytes()) != string(want.Bytes()) || got.key != want.key {
			t.Fatalf("% x: got %v %q %d, reference %v %q %d", b, okGot, got.Bytes(), got.key, okWant, want.Bytes(), want.key)
		}
	}
	for x := range 256 {
		check([]byte{byte(x)})
		for y := range 256 {
			check([]byte{byte(x), byte(y)})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := make([]byte, r.IntN(MaxDigits/2+3))
		for i := range b {
			b[i] = byte(r.IntN(256))
			if r.IntN(4) != 0 { // mostly valid digits
				b[i] = byte(r.IntN(10) | r.IntN(10)<<4)
			}
		}
		if len(b) > 0 && r.IntN(2) == 0 {
			b[len(b)-1] |= 0xf0
		}
		check(b)
	}
}

// SetBCD (SCCP global titles) agrees with decoding the signals one by one
// and keeping them only when all are decimal; the filler of an odd count
// is ignored whatever it holds.
func TestSetBCD(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		b := make([]byte, r.IntN(MaxDigits/2+3))
		for i := range b {
			b[i] = byte(r.IntN(10) | r.IntN(10)<<4)
			if r.IntN(20) == 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		odd := r.IntN(2) == 0
		var want []byte
		for i, x := range b {
			want = append(want, '0'+x&0x0f)
			if !(odd && i == len(b)-1) {
				want = append(want, '0'+x>>4)
			}
		}
		wantOK := len(b) > 0 && len(b) <= MaxDigits/2
		for _, c := range want {
			wantOK = wantOK && c >= '0' && c <= '9'
		}
		var d, ref Digits
		ok := d.SetBCD(b, odd)
		if ok != wantOK || ok && (string(d.Bytes()) != string(want) || !ref.SetASCII(want) || d.key != ref.key) {
			t.Fatalf("% x odd %v: %v %q, want %v %q", b, odd, ok, d.Bytes(), wantOK, want)
		}
	}
}
