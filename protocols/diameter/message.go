package diameter

// Message is a structurally validated Diameter message: the header is
// checked, the length matches, and every AVP (and every grouped AVP the
// dictionaries know, to MaxDepth) is well formed. It aliases the bytes it
// was parsed from.
type Message struct {
	Header
	raw []byte
}

// Parse validates b as exactly one Diameter message. It never allocates.
// On error the returned Message still carries whatever header fields could
// be read, so that a malformed message can be reported by name.
func Parse(b []byte) (Message, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return Message{Header: h}, err
	}
	switch {
	case int(h.Length) > len(b):
		return Message{Header: h}, ErrTruncated
	case int(h.Length) < len(b):
		return Message{Header: h}, ErrTrailing
	}
	if err := validate(b[HeaderLen:], 0); err != nil {
		return Message{Header: h}, err
	}
	return Message{Header: h, raw: b}, nil
}

// Bytes returns the whole message.
func (m *Message) Bytes() []byte { return m.raw }

// AVPs iterates over the top-level AVPs.
func (m *Message) AVPs() AVPs {
	if len(m.raw) < HeaderLen {
		return AVPs{}
	}
	return AVPs{b: m.raw[HeaderLen:]}
}

// Find returns the first top-level AVP with the given code and vendor and
// how many such AVPs the message holds.
func (m *Message) Find(code, vendor uint32) (first AVP, count int) {
	return FindAVP(m.raw, code, vendor)
}

// FindAVP is Find on raw message bytes (as kept in view.Message.Raw). It
// stops quietly at a malformed AVP, so it is safe on any input.
func FindAVP(msg []byte, code, vendor uint32) (first AVP, count int) {
	if len(msg) < HeaderLen {
		return AVP{}, 0
	}
	it := NewAVPs(msg[HeaderLen:])
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		if a.Code == code && a.Vendor == vendor {
			if count == 0 {
				first = a
			}
			count++
		}
	}
	return first, count
}

// FindPath descends through grouped AVPs: FindPath(AVPKey(297,0),
// AVPKey(298,0)) finds Experimental-Result-Code inside Experimental-Result.
// It returns the first match at each level.
func (m *Message) FindPath(path ...avpKey) (AVP, bool) {
	it := m.AVPs()
	var found AVP
	for i, k := range path {
		ok := false
		for a, more := it.Next(); more; a, more = it.Next() {
			if a.Code == k.code && a.Vendor == k.vendor {
				found, ok = a, true
				break
			}
		}
		if !ok {
			return AVP{}, false
		}
		if i < len(path)-1 {
			it = found.Grouped()
		}
	}
	return found, len(path) > 0
}

// AVPKey names an AVP by code and vendor for FindPath.
func AVPKey(code, vendor uint32) avpKey { return avpKey{code, vendor} }
