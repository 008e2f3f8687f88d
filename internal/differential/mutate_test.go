package differential

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
)

// lengthField is a big-endian length (or pointer) field of size octets at
// off in a message.
type lengthField struct{ off, size int }

// mutator derives mutants from seeds deterministically: the same seed
// value and inputs give the same mutants, in the same order.
type mutator struct {
	r *rand.Rand
	// lengths lists the length fields of a message as its protocol lays
	// them out (best effort on damaged input).
	lengths func(b []byte) []lengthField
}

func newMutator(seed uint64, lengths func([]byte) []lengthField) *mutator {
	return &mutator{r: rand.New(rand.NewPCG(seed, 0x6272656177617465)), lengths: lengths}
}

var interesting = []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0x81, 0x82, 0xfe, 0xff, 0x0f, 0xf0, 0x10, 0x20, 0x40}

// mutants returns n mutants of the seeds, spread evenly over them; each is
// one to three mutations deep.
func (m *mutator) mutants(seeds [][]byte, n int) (out [][]byte, from []int) {
	if len(seeds) == 0 {
		return nil, nil
	}
	for i := range n {
		s := i % len(seeds)
		b := slices.Clone(seeds[s])
		for range 1 + m.r.IntN(3) {
			b = m.mutate(b, seeds)
		}
		if len(b) > maxMutant {
			b = b[:maxMutant]
		}
		out = append(out, b)
		from = append(from, s)
	}
	return out, from
}

func (m *mutator) mutate(b []byte, seeds [][]byte) []byte {
	r := m.r
	switch k := r.IntN(100); {
	case k < 30 && m.lengths != nil: // length-field tweak
		fs := m.lengths(b)
		if len(fs) == 0 {
			break
		}
		f := fs[r.IntN(len(fs))]
		if f.off+f.size > len(b) {
			break
		}
		v := readBE(b[f.off : f.off+f.size])
		deltas := []int64{-1, 1, -2, 2, -4, 4, -8, 8, -16, 16, 3, -3}
		switch c := r.IntN(10); {
		case c < 7:
			v = uint64(int64(v) + deltas[r.IntN(len(deltas))])
		case c == 7:
			v = 0
		case c == 8:
			v = ^uint64(0)
		default:
			v = uint64(r.IntN(256))
		}
		writeBE(b[f.off:f.off+f.size], v)
		return b
	case k < 45: // bit flips
		if len(b) == 0 {
			break
		}
		for range 1 + r.IntN(3) {
			b[r.IntN(len(b))] ^= 1 << r.IntN(8)
		}
		return b
	case k < 60: // byte set
		if len(b) == 0 {
			break
		}
		v := interesting[r.IntN(len(interesting))]
		if r.IntN(3) == 0 {
			v = byte(r.Uint32())
		}
		b[r.IntN(len(b))] = v
		return b
	case k < 72: // truncation
		if len(b) == 0 {
			break
		}
		return b[:r.IntN(len(b))]
	case k < 80: // insertion
		at := r.IntN(len(b) + 1)
		ins := make([]byte, 1+r.IntN(8))
		for i := range ins {
			ins[i] = interesting[r.IntN(len(interesting))]
		}
		return slices.Insert(b, at, ins...)
	case k < 88: // deletion
		if len(b) < 2 {
			break
		}
		at := r.IntN(len(b) - 1)
		n := 1 + r.IntN(min(8, len(b)-at-1))
		return slices.Delete(b, at, at+n)
	case k < 95: // splice: a prefix of this, a suffix of another seed
		o := seeds[r.IntN(len(seeds))]
		i, j := r.IntN(len(b)+1), r.IntN(len(o)+1)
		return append(b[:i:i], o[j:]...)
	default: // concatenation: another whole seed (or part) after this one
		o := seeds[r.IntN(len(seeds))]
		if r.IntN(2) == 0 && len(o) > 0 {
			o = o[:r.IntN(len(o))]
		}
		return append(slices.Clip(b), o...)
	}
	// The chosen mutation did not apply: flip one bit.
	if len(b) > 0 {
		b[r.IntN(len(b))] ^= 1 << r.IntN(8)
	}
	return b
}

func readBE(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func writeBE(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

// --- length fields of each protocol --------------------------------------

// diameterLengths: the header's message length and every AVP length, at
// the top level and one grouped level down (RFC 6733 §3, §4.1).
func diameterLengths(b []byte) []lengthField {
	if len(b) < 20 {
		return nil
	}
	fs := []lengthField{{1, 3}}
	var walk func(off, end, depth int)
	walk = func(off, end, depth int) {
		for off+8 <= end {
			l := int(readBE(b[off+5 : off+8]))
			fs = append(fs, lengthField{off + 5, 3})
			hdr := 8
			if b[off+4]&0x80 != 0 {
				hdr = 12
			}
			if l < hdr || off+l > end {
				return
			}
			if depth == 0 && l > hdr+8 {
				walk(off+hdr, off+l, depth+1)
			}
			off += (l + 3) &^ 3
		}
	}
	walk(20, len(b), 0)
	return fs
}

// gtpLengths: the header's length, and for GTPv2 every top-level IE's
// (TS 29.274 §5.1, §8.2); GTPv1 TLV IEs (type >= 128, TS 29.060 §7.7) up
// to the first TV IE, whose length depends on its type.
func gtpLengths(b []byte) []lengthField {
	if len(b) < 8 {
		return nil
	}
	fs := []lengthField{{2, 2}}
	switch b[0] >> 5 {
	case 2:
		off := 8
		if b[0]&0x08 != 0 {
			off = 12
		}
		end := min(len(b), 4+int(binary.BigEndian.Uint16(b[2:])))
		for off+4 <= end {
			fs = append(fs, lengthField{off + 1, 2})
			off += 4 + int(binary.BigEndian.Uint16(b[off+1:]))
		}
	case 1:
		off := 8
		if b[0]&0x07 != 0 {
			off = 12
		}
		for off+3 <= len(b) && b[off] >= 0x80 {
			fs = append(fs, lengthField{off + 1, 2})
			off += 3 + int(binary.BigEndian.Uint16(b[off+1:]))
		}
	}
	return fs
}

// m3uaLengths: the M3UA message length and parameter lengths (RFC 4666
// §3.1, §3.2), and inside Protocol Data the SCCP pointers and length
// indicators (Q.713 §2.3) and the BER lengths of the TCAP message (X.690
// §8.1.3).
func m3uaLengths(b []byte) []lengthField {
	if len(b) < 8 {
		return nil
	}
	fs := []lengthField{{4, 4}}
	for off := 8; off+4 <= len(b); {
		tag, l := binary.BigEndian.Uint16(b[off:]), int(binary.BigEndian.Uint16(b[off+2:]))
		fs = append(fs, lengthField{off + 2, 2})
		if l < 4 || off+l > len(b) {
			break
		}
		if tag == 0x0210 && l > 16 {
			fs = append(fs, sccpLengths(b, off+16, off+l)...)
		}
		off += (l + 3) &^ 3
	}
	return fs
}

func sccpLengths(b []byte, start, end int) []lengthField {
	var fs []lengthField
	var ptrs int
	switch b[start] {
	case 0x09, 0x0a: // UDT, UDTS: three pointers after the class or cause
		ptrs = 3
		start += 2
	case 0x11, 0x12: // XUDT, XUDTS: four, after class/cause and hop counter
		ptrs = 4
		start += 3
	default:
		return nil
	}
	for i := range ptrs {
		p := start + i
		if p >= end {
			return fs
		}
		fs = append(fs, lengthField{p, 1})
		li := p + int(b[p])
		if b[p] == 0 || li >= end {
			continue
		}
		fs = append(fs, lengthField{li, 1})
		if i == 2 && li+1+int(b[li]) <= end { // the user data: TCAP
			fs = append(fs, berLengths(b, li+1, li+1+int(b[li]), 0)...)
		}
	}
	return fs
}

// berLengths lists the length octets of the TLVs in b[start:end],
// descending into constructed ones.
func berLengths(b []byte, start, end, depth int) []lengthField {
	var fs []lengthField
	for off := start; off+2 <= end && depth < 12; {
		constructed := b[off]&0x20 != 0
		p := off + 1
		if b[off]&0x1f == 0x1f {
			for p < end && b[p]&0x80 != 0 {
				p++
			}
			p++
		}
		if p >= end {
			break
		}
		l, hl := int(b[p]), 1
		if l > 0x80 {
			n := l & 0x7f
			if n > 3 || p+1+n > end {
				break
			}
			fs = append(fs, lengthField{p + 1, n})
			l, hl = int(readBE(b[p+1:p+1+n])), 1+n
		} else if l == 0x80 {
			break // indefinite: not walked
		} else {
			fs = append(fs, lengthField{p, 1})
		}
		vs := p + hl
		if vs+l > end {
			break
		}
		if constructed {
			fs = append(fs, berLengths(b, vs, vs+l, depth+1)...)
		}
		off = vs + l
	}
	return fs
}
