package sccp

// MaxDigits is the longest global title Digits holds. E.164 numbers, E.212
// IMSIs and E.214 mobile global titles have at most 15 digits; 32 leaves
// room for national formats while bounding the decoded address, and so the
// reassembly key, to a fixed size.
const MaxDigits = 32

// MaxAddressLen is the longest address parameter Parse accepts: address
// indicator, point code, SSN, three octets of global title header and
// MaxDigits signals.
const MaxAddressLen = 1 + 2 + 1 + 3 + MaxDigits/2

// Global title indicators (Q.713 §3.4.1): which fields the global title
// has before its address signals.
const (
	GTINone       uint8 = 0 // no global title
	GTINAI        uint8 = 1 // odd/even + nature of address indicator
	GTITT         uint8 = 2 // translation type
	GTITTNPES     uint8 = 3 // translation type, numbering plan, encoding scheme
	GTITTNPESNAI  uint8 = 4 // translation type, numbering plan, encoding scheme, nature of address
	gtiLastParsed       = GTITTNPESNAI
)

// Encoding schemes (Q.713 §3.4.2.3.3).
const (
	ESUnknown  uint8 = 0
	ESBCDOdd   uint8 = 1
	ESBCDEven  uint8 = 2
	ESNational uint8 = 3
)

// Nature of address indicators (Q.713 §3.4.2.3.1) and numbering plans
// (§3.4.2.3.3) seen on the interconnect.
const (
	NAIUnknown       uint8 = 0
	NAISubscriber    uint8 = 1
	NAINational      uint8 = 3 // national significant number
	NAIInternational uint8 = 4

	NPUnknown  uint8 = 0
	NPISDN     uint8 = 1 // E.164
	NPGeneric  uint8 = 2
	NPData     uint8 = 3 // X.121
	NPTelex    uint8 = 4
	NPMaritime uint8 = 5
	NPLandMob  uint8 = 6 // E.212
	NPISDNMob  uint8 = 7 // E.214
	NPPrivate  uint8 = 14
)

// Address is a called or calling party address (Q.713 §3.4), ITU format.
type Address struct {
	// Raw is the parameter value as received (aliases the message): the
	// reassembly key, and what a relay copies unchanged.
	Raw []byte
	// National is bit 8 of the address indicator, "reserved for national
	// use": an address coded to a national standard (ANSI orders and sizes
	// the fields differently), not expected on an international interface.
	National bool
	// RouteOnSSN is the routing indicator: true routes on DPC and SSN,
	// false on the global title.
	RouteOnSSN bool
	GTI        uint8 // global title indicator, 0-4 (others are refused)
	HasPC      bool
	HasSSN     bool
	PC         uint16 // 14-bit ITU point code (when HasPC)
	SSN        uint8  // subsystem number (when HasSSN); see SSNName
	GT         GlobalTitle
}

// GlobalTitle is the global title of an address (GTI 1-4).
type GlobalTitle struct {
	TT  uint8 // translation type (GTI 2, 3, 4)
	NP  uint8 // numbering plan (GTI 3, 4)
	ES  uint8 // encoding scheme (GTI 3, 4)
	NAI uint8 // nature of address indicator (GTI 1, 4)
	// Odd is set when the number of address signals is odd: from the
	// odd/even bit (GTI 1) or the encoding scheme (GTI 3, 4); GTI 2 has
	// neither and is taken as even.
	Odd bool
	// Signals are the address signal octets as received (aliasing the
	// message), also when they are not BCD.
	Signals []byte
	bcd     bool
}

// IsBCD reports whether the signals are BCD (GTI 1 and 2 always; GTI 3
// and 4 with ES 1 or 2), so that Digits decodes them.
func (g *GlobalTitle) IsBCD() bool { return g.bcd }

// Digits decodes the address signals when they are BCD (empty otherwise).
// Parsing only checks their count: most readers (the firewall's view)
// decode the octets themselves, once.
func (g *GlobalTitle) Digits() Digits {
	var d Digits
	if g.bcd {
		d.setBCD(g.Signals, g.Odd)
	}
	return d
}

// parseAddress decodes an address parameter value (Q.713 §3.4.1-3.4.2):
// address indicator, then point code, SSN and global title in that order,
// each present as the indicator says. The global title takes the rest of
// the parameter, so an address without one must end after its SSN.
func parseAddress(b []byte, a *Address) error {
	if len(b) == 0 || len(b) > MaxAddressLen {
		return ErrAddress
	}
	ai := b[0]
	a.Raw = b
	a.National = ai&0x80 != 0
	a.RouteOnSSN = ai&0x40 != 0
	a.GTI = ai >> 2 & 0x0f
	a.HasSSN = ai&0x02 != 0
	a.HasPC = ai&0x01 != 0
	off := 1
	if a.HasPC {
		if len(b) < off+2 {
			return ErrAddress
		}
		// Point code: least significant octet first, 14 bits, the top two
		// bits spare (Q.713 §3.4.2.1).
		a.PC = (uint16(b[off]) | uint16(b[off+1])<<8) & 0x3fff
		off += 2
	}
	if a.HasSSN {
		if len(b) < off+1 {
			return ErrAddress
		}
		a.SSN = b[off]
		off++
	}
	if a.GTI == GTINone {
		if off != len(b) {
			return ErrAddress
		}
		return nil
	}
	if a.GTI > gtiLastParsed {
		// Spare, national and extension indicators: the global title's
		// format is unknown, so nothing after the indicator can be read.
		return ErrGTI
	}
	return parseGT(b[off:], a.GTI, &a.GT)
}

func parseGT(b []byte, gti uint8, g *GlobalTitle) error {
	hdr := [...]int{GTINAI: 1, GTITT: 1, GTITTNPES: 2, GTITTNPESNAI: 3}[gti]
	if len(b) <= hdr { // a global title without address signals routes nowhere
		return ErrDigits
	}
	g.bcd = true
	switch gti {
	case GTINAI: // Q.713 §3.4.2.3.1
		g.Odd = b[0]&0x80 != 0
		g.NAI = b[0] & 0x7f
	case GTITT: // §3.4.2.3.2
		g.TT = b[0]
	case GTITTNPES, GTITTNPESNAI: // §3.4.2.3.3, §3.4.2.3.4
		g.TT = b[0]
		g.NP, g.ES = b[1]>>4, b[1]&0x0f
		switch g.ES {
		case ESBCDOdd:
			g.Odd = true
		case ESBCDEven:
		default:
			g.bcd = false
		}
		if gti == GTITTNPESNAI {
			g.NAI = b[2] & 0x7f
		}
	}
	g.Signals = b[hdr:len(b):len(b)]
	if !g.bcd {
		return nil
	}
	if n := 2*len(g.Signals) - b2i(g.Odd); n <= 0 || n > MaxDigits {
		return ErrDigits
	}
	return nil
}

// Digits is a global title's address signals, stored inline (no
// allocation): '0'-'9' for the digits and 'A'-'F' for the other codes
// (Q.713 §3.4.2.3.1: 1011 code 11, 1100 code 12, 1111 ST; the rest spare),
// so that nothing is lost and non-decimal titles can be told apart.
type Digits struct {
	b [MaxDigits]byte
	n uint8
}

const hexDigits = "0123456789ABCDEF"

// bcdPairs holds, for every octet, its two signals in order (bits 4-1
// first): one load and one store per octet.
var bcdPairs = func() (t [256][2]byte) {
	for x := range t {
		t[x] = [2]byte{hexDigits[x&0x0f], hexDigits[x>>4]}
	}
	return t
}()

// setBCD decodes address signals: two per octet, the first in bits 4-1.
// With an odd count the last octet's bits 8-5 are filler (0000 by Q.713,
// not checked: every reader ignores them).
func (d *Digits) setBCD(b []byte, odd bool) bool {
	n := 2 * len(b)
	if odd {
		n--
	}
	if n <= 0 || n > MaxDigits {
		d.n = 0
		return false
	}
	// Two signals per octet; with an odd count the filler lands in
	// d.b[n] (n ≤ 31 then, so inside d.b) and is cleared, so that equal
	// digits make equal values.
	dst := d.b[: 2*len(b) : 2*len(b)]
	for i, x := range b {
		*(*[2]byte)(dst[2*i:]) = bcdPairs[x]
	}
	if odd {
		dst[n] = 0
	}
	d.n = uint8(n)
	return true
}

// Bytes returns the digits as ASCII; the slice aliases d.
func (d *Digits) Bytes() []byte { return d.b[:d.n] }

// String returns the digits (allocates; for output, not the hot path).
func (d Digits) String() string { return string(d.b[:d.n]) }

// Len is the number of digits.
func (d *Digits) Len() int { return int(d.n) }

// IsZero reports whether there are no digits.
func (d *Digits) IsZero() bool { return d.n == 0 }

// Decimal reports whether every signal is a digit 0-9 (so that the digits
// are an E.164, E.212 or E.214 number).
func (d *Digits) Decimal() bool {
	for _, c := range d.b[:d.n] {
		if c > '9' {
			return false
		}
	}
	return d.n > 0
}

// HasPrefix reports whether the digits start with p.
func (d *Digits) HasPrefix(p string) bool {
	return len(p) <= int(d.n) && string(d.b[:len(p)]) == p
}

// Equal reports whether d and o hold the same digits.
func (d *Digits) Equal(o *Digits) bool {
	return d.n == o.n && string(d.b[:d.n]) == string(o.b[:o.n])
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
