package gtp

import "encoding/binary"

// MaxDepth bounds GTPv2 grouped IE nesting (TS 29.274 nests at most
// three levels: e.g. Bearer Context inside Overload Control Information
// does not exceed it).
const MaxDepth = 4

// IE is one information element; Value aliases the message.
type IE struct {
	Type     uint8
	Instance uint8 // GTPv2 only
	Value    []byte
}

// V2IEs iterates over GTPv2 IEs (type, 2-octet length, instance, value).
type V2IEs struct {
	b   []byte
	err error
}

// Next returns the next IE, or false at the end or on an error (Err).
func (it *V2IEs) Next() (IE, bool) {
	b := it.b
	if len(b) < 4 {
		return it.stop()
	}
	l := int(b[1])<<8 | int(b[2])
	if 4+l > len(b) {
		return it.stop()
	}
	it.b = b[4+l:]
	return IE{Type: b[0], Instance: b[3] & 0x0f, Value: b[4 : 4+l : 4+l]}, true
}

// stop ends the iteration: cleanly at the end of the IEs, with ErrIE on
// a truncated one.
func (it *V2IEs) stop() (IE, bool) {
	if len(it.b) != 0 {
		it.err = ErrIE
	}
	it.b = nil
	return IE{}, false
}

// Err is the error that ended the iteration, or nil.
func (it *V2IEs) Err() error { return it.err }

// Grouped iterates over the IEs inside a GTPv2 grouped IE.
func (ie IE) Grouped() V2IEs { return V2IEs{b: ie.Value} }

// validateV2 checks a sequence of GTPv2 IEs, descending into grouped IEs.
func validateV2(b []byte, depth int) error {
	if depth > MaxDepth {
		return ErrDepth
	}
	for len(b) >= 4 { // V2IEs.Next written out, as in decodeV2
		l := int(b[1])<<8 | int(b[2])
		if 4+l > len(b) {
			return ErrIE
		}
		if groupedV2(b[0]) {
			if err := validateV2(b[4:4+l], depth+1); err != nil {
				return err
			}
		}
		b = b[4+l:]
	}
	if len(b) != 0 {
		return ErrIE
	}
	return nil
}

// V1IEs iterates over GTPv1 IEs: TV IEs (type < 128) have lengths fixed
// by the specification, TLV IEs a 2-octet length (but the Extension
// Header Type List, a 1-octet one).
type V1IEs struct {
	b    []byte
	err  error
	last uint8
}

// Next returns the next IE, or false at the end or on an error (Err).
func (it *V1IEs) Next() (IE, bool) {
	if len(it.b) == 0 {
		return IE{}, false
	}
	t := it.b[0]
	var hdr, l int
	if t < 128 {
		l = tvLength[t]
		if l == 0 {
			it.err, it.b = ErrUnknownTVIE, nil
			return IE{}, false
		}
		hdr = 1
	} else if t == v1IEExtHeaderTypeList {
		// The one TLV IE with a 1-octet length (TS 29.060 §7.7.40).
		if len(it.b) < 2 {
			it.err, it.b = ErrIE, nil
			return IE{}, false
		}
		hdr, l = 2, int(it.b[1])
	} else {
		if len(it.b) < 3 {
			it.err, it.b = ErrIE, nil
			return IE{}, false
		}
		hdr, l = 3, int(binary.BigEndian.Uint16(it.b[1:]))
	}
	if hdr+l > len(it.b) {
		it.err, it.b = ErrIE, nil
		return IE{}, false
	}
	// TS 29.060 §7.7: IEs appear in ascending type order (repeats allowed).
	if t < it.last {
		it.err, it.b = ErrIEOrder, nil
		return IE{}, false
	}
	it.last = t
	ie := IE{Type: t, Value: it.b[hdr : hdr+l : hdr+l]}
	it.b = it.b[hdr+l:]
	return ie, true
}

// Err is the error that ended the iteration, or nil.
func (it *V1IEs) Err() error { return it.err }

// tvLength gives the value length of GTPv1 TV IEs (TS 29.060 §7.7); 0
// marks a type that is not a TV IE.
var tvLength = [128]int{
	1: 1, 2: 8, 3: 6, 4: 4, 5: 4, 8: 1, 9: 28, 11: 1, 12: 3, 13: 1, 14: 1, 15: 1,
	16: 4, 17: 4, 18: 5, 19: 1, 20: 1, 21: 1, 22: 9, 23: 1, 24: 1, 25: 2, 26: 2,
	27: 2, 28: 2, 29: 1, 127: 4,
}

// v1IEExtHeaderTypeList is the Extension Header Type List IE (TS 29.060
// §7.7.40, in Supported Extension Headers Notification): type, 1-octet
// length, list.
const v1IEExtHeaderTypeList = 141

// NewV2IEs iterates over GTPv2 IEs in b.
func NewV2IEs(b []byte) V2IEs { return V2IEs{b: b} }

// NewV1IEs iterates over GTPv1 IEs in b.
func NewV1IEs(b []byte) V1IEs { return V1IEs{b: b} }
