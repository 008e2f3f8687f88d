package tcap

// Builder encodes ITU TCAP messages (Q.773) into a reusable buffer: the
// answers an inline firewall gives in the home network's name when it
// blocks a request (Abort, End with a ReturnError), and test messages.
// Once its buffer has grown to the largest message it allocates nothing.
// A returned message aliases the buffer and is valid until the next Start.
//
// Encoding is BER with definite lengths in their shortest form, as every
// MAP stack sends: each constructed element is opened with a one-octet
// length placeholder and closed by writing its length, moving its contents
// when the length needs the long form.
//
// Usage: Start, then the transaction portion in Q.773 order (OTID, DTID,
// a dialogue portion or a P-Abort cause), then Components and the
// components; Message closes whatever is open.
type Builder struct {
	buf   []byte
	open  [maxOpen]int // offsets of the length placeholders of open elements
	depth int
}

// maxOpen bounds nesting: message, component portion, component, plus the
// dialogue portion's EXTERNAL, encoding, APDU and a field inside it.
const maxOpen = 8

// Q.773 P-AbortCause values.
const (
	PAbortUnrecognizedMessageType     uint8 = 0
	PAbortUnrecognizedTransactionID   uint8 = 1
	PAbortBadlyFormattedTransaction   uint8 = 2
	PAbortIncorrectTransactionPortion uint8 = 3
	PAbortResourceLimitation          uint8 = 4
)

// ABRT abort-source values (Q.773 §4.2.2: ABRT-source).
const (
	AbortSourceUser     uint8 = 0 // dialogue-service-user
	AbortSourceProvider uint8 = 1 // dialogue-service-provider
)

// protocolVersion1 is the contents of protocol-version [0] IMPLICIT BIT
// STRING { version1 (0) }: 7 unused bits, then bit 0 set.
var protocolVersion1 = []byte{0x07, 0x80}

// Start begins a message of type t, discarding the previous one.
func (b *Builder) Start(t MessageType) *Builder {
	b.buf, b.depth = b.buf[:0], 0
	return b.openTag(byte(t))
}

// openTag writes a constructed element's identifier and a placeholder
// length, to be fixed by closeTag.
func (b *Builder) openTag(id byte) *Builder {
	if b.depth == maxOpen {
		panic("tcap: Builder nesting deeper than the messages it builds")
	}
	b.buf = append(b.buf, id, 0)
	b.open[b.depth] = len(b.buf) - 1
	b.depth++
	return b
}

// closeTag writes the length of the innermost open element.
func (b *Builder) closeTag() *Builder {
	b.depth--
	at := b.open[b.depth]
	n := len(b.buf) - at - 1
	if n < 0x80 {
		b.buf[at] = byte(n)
		return b
	}
	extra := 1 // 0x81 n
	if n > 0xff {
		extra = 2 // 0x82 n1 n0 (a TCAP message stays far below 64 KiB)
	}
	b.buf = append(b.buf, make([]byte, extra)...) // grows in place once the buffer is warm
	copy(b.buf[at+1+extra:], b.buf[at+1:len(b.buf)-extra])
	if extra == 1 {
		b.buf[at] = 0x81
		b.buf[at+1] = byte(n)
	} else {
		b.buf[at] = 0x82
		b.buf[at+1], b.buf[at+2] = byte(n>>8), byte(n)
	}
	return b
}

// prim appends a primitive element.
func (b *Builder) prim(id byte, v []byte) *Builder {
	b.buf = appendLen(append(b.buf, id), len(v))
	b.buf = append(b.buf, v...)
	return b
}

func appendLen(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xff:
		return append(dst, 0x81, byte(n))
	}
	return append(dst, 0x82, byte(n>>8), byte(n))
}

// integer appends a universal INTEGER in the shortest two's-complement
// form.
func (b *Builder) integer(v int64) *Builder {
	n := 1
	for n < 8 && (v >= 0 && v>>(8*n-1) != 0 || v < 0 && v>>(8*n-1) != -1) {
		n++
	}
	b.buf = append(b.buf, 0x02, byte(n))
	for i := n - 1; i >= 0; i-- {
		b.buf = append(b.buf, byte(v>>(8*i)))
	}
	return b
}

// OTID appends the originating transaction id ([APPLICATION 8], 1-4
// octets as the peer chose them).
func (b *Builder) OTID(id []byte) *Builder { return b.prim(0x48, id) }

// DTID appends the destination transaction id ([APPLICATION 9]).
func (b *Builder) DTID(id []byte) *Builder { return b.prim(0x49, id) }

// PAbortCause appends a P-AbortCause ([APPLICATION 10] INTEGER).
func (b *Builder) PAbortCause(cause uint8) *Builder {
	return b.prim(0x4a, []byte{cause})
}

// dialogue opens a dialogue portion: [APPLICATION 11] { EXTERNAL {
// direct-reference dialogue-as-id, single-ASN1-type [0] { APDU } } }. The
// caller writes the APDU and closes three levels.
func (b *Builder) dialogue() *Builder {
	b.openTag(0x6b).openTag(0x28)
	b.prim(0x06, DialogueAsID)
	return b.openTag(0xa0)
}

// AARQ appends a dialogue portion with a dialogue request (Begin): the
// protocol version, the application context name (OID contents) and, when
// userInfo is not nil, user-information [30] holding it (the contents of
// the SEQUENCE OF EXTERNAL, e.g. a MAP-OpenInfo).
func (b *Builder) AARQ(acn, userInfo []byte) *Builder {
	b.dialogue().openTag(0x60)
	b.prim(0x80, protocolVersion1)
	b.openTag(0xa1).prim(0x06, acn).closeTag()
	if userInfo != nil {
		b.prim(0xbe, userInfo)
	}
	return b.closeTag().closeTag().closeTag().closeTag()
}

// AARE appends a dialogue portion with a dialogue response (the first
// Continue, an End, or an Abort refusing the dialogue): application
// context name, result (0 accepted, 1 reject-permanent) and the
// result-source-diagnostic from the dialogue-service-user (0 null, 1 no
// reason given, 2 application-context-name-not-supported). version is the
// protocol-version contents to send (the AARQ's, echoed) or nil for none.
func (b *Builder) AARE(acn, version []byte, result, diagnostic uint8) *Builder {
	b.dialogue().openTag(0x61)
	if version != nil {
		b.prim(0x80, version)
	}
	b.openTag(0xa1).prim(0x06, acn).closeTag()
	b.openTag(0xa2).integer(int64(result)).closeTag()
	// result-source-diagnostic [3] CHOICE { dialogue-service-user [1]
	// INTEGER { null (0), no-reason-given (1), acn-not-supported (2) } }
	b.openTag(0xa3).openTag(0xa1).integer(int64(diagnostic)).closeTag().closeTag()
	return b.closeTag().closeTag().closeTag().closeTag()
}

// ABRT appends a dialogue portion with a dialogue abort (Abort, user
// abort): abort-source [0] IMPLICIT ABRT-source.
func (b *Builder) ABRT(source uint8) *Builder {
	b.dialogue().openTag(0x64).prim(0x80, []byte{source})
	return b.closeTag().closeTag().closeTag().closeTag()
}

// Components opens the component portion ([APPLICATION 12]); Message
// closes it.
func (b *Builder) Components() *Builder { return b.openTag(0x6c) }

// Invoke appends an Invoke with a local operation code; param is the
// argument's whole TLV, or nil for none.
func (b *Builder) Invoke(invokeID int32, op int64, param []byte) *Builder {
	b.openTag(byte(Invoke)).integer(int64(invokeID)).integer(op)
	b.buf = append(b.buf, param...)
	return b.closeTag()
}

// ReturnResultLast appends a ReturnResultLast carrying the operation code
// and its result (the result's whole TLV); with a nil result, the
// component holds the invoke id alone.
func (b *Builder) ReturnResultLast(invokeID int32, op int64, result []byte) *Builder {
	b.openTag(byte(ReturnResultLast)).integer(int64(invokeID))
	if result != nil {
		b.openTag(0x30).integer(op)
		b.buf = append(b.buf, result...)
		b.closeTag()
	}
	return b.closeTag()
}

// ReturnError appends a ReturnError with a local error code and an
// optional parameter TLV.
func (b *Builder) ReturnError(invokeID int32, code int64, param []byte) *Builder {
	b.openTag(byte(ReturnError)).integer(int64(invokeID)).integer(code)
	b.buf = append(b.buf, param...)
	return b.closeTag()
}

// Message closes every open element and returns the message.
func (b *Builder) Message() []byte {
	for b.depth > 0 {
		b.closeTag()
	}
	return b.buf
}

// PAbort encodes a provider abort (TC-P-ABORT): Abort { dtid, p-abortCause }.
func (b *Builder) PAbort(dtid []byte, cause uint8) []byte {
	return b.Start(Abort).DTID(dtid).PAbortCause(cause).Message()
}

// UAbort encodes a user abort (TC-U-ABORT) of a dialogue that has a
// dialogue portion: Abort { dtid, dialoguePortion { ABRT { abort-source }
// } }. Q.774's dialogue handling puts an ABRT APDU (abort-source
// dialogue-service-user) in the Abort when the user aborts a dialogue that
// uses the dialogue portion, an AARE only when it refuses the application
// context; Wireshark's packet-tcap shows it as "abort-source:
// dialogue-service-user (0)".
func (b *Builder) UAbort(dtid []byte, source uint8) []byte {
	return b.Start(Abort).DTID(dtid).ABRT(source).Message()
}

// EndReturnError encodes End { dtid, [AARE], components { ReturnError {
// invokeID, errorCode } } }: what an HLR answers when it refuses the
// operation. With acn not nil the End carries a dialogue portion accepting
// that application context, as the first answer to a Begin with an AARQ
// must (Q.774 dialogue handling: the first backward message of a dialogue
// opened with an AARQ carries the AARE); version is the AARQ's protocol
// version, echoed.
func (b *Builder) EndReturnError(dtid, acn, version []byte, invokeID int32, errorCode int64) []byte {
	b.Start(End).DTID(dtid)
	if acn != nil {
		b.AARE(acn, version, 0, 0)
	}
	return b.Components().ReturnError(invokeID, errorCode, nil).Message()
}
