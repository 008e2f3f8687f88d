package tcap

import (
	"bytes"
	"unsafe"

	"breakwater/protocols/ber"
)

// dialogueMemo remembers the last dialogue portion a Message parsed, byte
// for byte, with what parsing it gave. A peer's TCAP implementation sends
// the same dialogue portion for every dialogue of one application context
// (same EXTERNAL, same AARQ with the same context name and version), so on
// an interconnect link most portions repeat the previous one exactly, and
// re-reading one costs as much as the rest of the TCAP message. The result
// depends only on the bytes and the message type, so a repeat takes it
// from the memo: there is nothing a sender can poison. Portions with a
// user-information field that varies (identities in a MAP-OpenInfo) simply
// miss.
type dialogueMemo struct {
	n           int // length of the remembered portion; 0: none
	mt          MessageType
	raw         [maxMemoDialogue]byte
	err         error
	d           Dialogue // its slices' data pointers are offsets into raw (see rebase)
	pv, acn, ui slicePos
}

// maxMemoDialogue bounds the portions remembered: an AARQ/AARE with a
// MAP context and no user information takes 40 to 60 octets.
const maxMemoDialogue = 96

// slicePos is where a slice of the portion lies in it.
type slicePos struct {
	off, n int
	ok     bool // the slice was non-nil
}

// dialogue parses the dialogue portion e into m.Dialogue, from the memo
// when e repeats the last one.
func (m *Message) dialogue(e *ber.TLV) error {
	raw := e.Raw
	mm := &m.memo
	if mm.n == len(raw) && mm.mt == m.Type && len(raw) > 0 && bytes.Equal(mm.raw[:mm.n], raw) {
		m.Dialogue = mm.d
		m.Dialogue.ProtocolVersion = mm.pv.in(raw)
		m.Dialogue.ACN = mm.acn.in(raw)
		m.Dialogue.UserInfo = mm.ui.in(raw)
		return mm.err
	}
	err := parseDialogue(e, m.Type, &m.Dialogue)
	if err != nil {
		m.Dialogue = Dialogue{} // only what was read correctly stays
	}
	mm.n = 0
	if len(raw) > maxMemoDialogue {
		return err
	}
	d := &m.Dialogue
	var ok bool
	if mm.pv, ok = posIn(raw, d.ProtocolVersion); !ok {
		return err
	}
	if mm.acn, ok = posIn(raw, d.ACN); !ok {
		return err
	}
	if mm.ui, ok = posIn(raw, d.UserInfo); !ok {
		return err
	}
	mm.n, mm.mt, mm.err, mm.d = copy(mm.raw[:], raw), m.Type, err, *d
	mm.d.ProtocolVersion, mm.d.ACN, mm.d.UserInfo = nil, nil, nil
	return err
}

// posIn finds s within raw (s is a sub-slice of it, as parseDialogue's
// slices are); ok is false if it is not.
func posIn(raw, s []byte) (slicePos, bool) {
	if s == nil {
		return slicePos{}, true
	}
	if len(raw) == 0 {
		return slicePos{}, false
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(raw))))
	if off < 0 || off > len(raw) || len(s) > len(raw)-off {
		return slicePos{}, false
	}
	return slicePos{off: off, n: len(s), ok: true}, true
}

// in is the slice at p within raw (nil for a nil slice), capped at its
// length like the parser's own slices.
func (p slicePos) in(raw []byte) []byte {
	if !p.ok {
		return nil
	}
	return raw[p.off : p.off+p.n : p.off+p.n]
}
