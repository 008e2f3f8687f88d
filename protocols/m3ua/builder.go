package m3ua

import "encoding/binary"

// Builder encodes M3UA messages into a reusable buffer: the messages
// Breakwater sends when it terminates an association (an SG towards ASPs,
// or an IPSP), and test vectors. Once its buffer has grown to the largest
// message it allocates nothing. Every method that returns a message
// returns a slice aliasing the buffer, valid until the next Start.
//
// The convenience methods emit parameters in the order RFC 4666 draws them;
// receivers must accept any order, but some do not. A parameter's length is
// 16 bits: values (user data included) must stay below 65532 octets, which
// SS7 payloads (a few kilobytes at most) always do.
type Builder struct {
	buf []byte
}

// Start begins a message of kind k, discarding the previous one.
func (b *Builder) Start(k Kind) *Builder {
	b.buf = append(b.buf[:0], Version, 0, k.Class(), k.Type(), 0, 0, 0, 0)
	return b
}

// Param appends a parameter and its padding.
func (b *Builder) Param(tag uint16, value []byte) *Builder {
	b.buf = binary.BigEndian.AppendUint16(b.buf, tag)
	b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(4+len(value)))
	b.buf = append(b.buf, value...)
	return b.pad()
}

func (b *Builder) pad() *Builder {
	for len(b.buf)%4 != 0 {
		b.buf = append(b.buf, 0)
	}
	return b
}

// Uint32 appends a parameter holding one 32-bit value.
func (b *Builder) Uint32(tag uint16, v uint32) *Builder {
	b.buf = append(b.buf, byte(tag>>8), byte(tag), 0, 8)
	b.buf = binary.BigEndian.AppendUint32(b.buf, v)
	return b
}

// Opt appends a 32-bit parameter if it is present.
func (b *Builder) Opt(tag uint16, o Opt32) *Builder {
	if o.Present {
		b.Uint32(tag, o.Value)
	}
	return b
}

// List appends a parameter holding the values, if there are any.
func (b *Builder) List(tag uint16, vs []uint32) *Builder {
	if len(vs) == 0 {
		return b
	}
	b.buf = binary.BigEndian.AppendUint16(b.buf, tag)
	b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(4+4*len(vs)))
	for _, v := range vs {
		b.buf = binary.BigEndian.AppendUint32(b.buf, v)
	}
	return b
}

// Bytes appends a variable-length parameter if value is not nil (INFO
// String, Diagnostic Information, Heartbeat Data).
func (b *Builder) Bytes(tag uint16, value []byte) *Builder {
	if value != nil {
		b.Param(tag, value)
	}
	return b
}

// Raw appends bytes verbatim (for malformed test vectors).
func (b *Builder) Raw(p []byte) *Builder {
	b.buf = append(b.buf, p...)
	return b
}

// Message writes the message length and returns the message.
func (b *Builder) Message() []byte {
	binary.BigEndian.PutUint32(b.buf[4:], uint32(len(b.buf)))
	return b.buf
}

// Data encodes a DATA message (RFC 4666 §3.3.1) from d: the relay re-encodes
// what it decoded with its own routing context or point codes. User data is
// copied.
func (b *Builder) Data(d *Data) []byte {
	b.Start(KindDATA).Opt(TagNetworkAppearance, d.NetworkAppearance).Opt(TagRoutingContext, d.RoutingContext)
	b.buf = binary.BigEndian.AppendUint16(b.buf, TagProtocolData)
	b.buf = binary.BigEndian.AppendUint16(b.buf, uint16(4+ProtocolDataLen+len(d.UserData)))
	b.buf = binary.BigEndian.AppendUint32(b.buf, d.OPC)
	b.buf = binary.BigEndian.AppendUint32(b.buf, d.DPC)
	b.buf = append(b.buf, d.SI, d.NI, d.MP, d.SLS)
	b.buf = append(b.buf, d.UserData...)
	return b.pad().Opt(TagCorrelationID, d.CorrelationID).Message()
}

// AspUpAck encodes an ASP Up Ack (RFC 4666 §3.5.2), with the optional ASP
// Identifier and INFO String.
func (b *Builder) AspUpAck(aspID Opt32, info []byte) []byte {
	return b.Start(KindASPUPAck).Opt(TagASPIdentifier, aspID).Bytes(TagInfoString, info).Message()
}

// AspActiveAck encodes an ASP Active Ack (RFC 4666 §3.7.2): the traffic
// mode and routing contexts the ASP asked for, and an optional INFO String.
func (b *Builder) AspActiveAck(trafficMode Opt32, routingContexts []uint32, info []byte) []byte {
	return b.Start(KindASPACAck).Opt(TagTrafficModeType, trafficMode).
		List(TagRoutingContext, routingContexts).Bytes(TagInfoString, info).Message()
}

// BeatAck encodes the Heartbeat Ack for beat, which "includes all the
// parameters of the received BEAT message, without any change" (RFC 4666
// §3.5.6). Each parameter is re-emitted with its padding.
func (b *Builder) BeatAck(beat *Message) []byte {
	b.Start(KindBEATAck)
	it := beat.Params()
	for p, ok := it.Next(); ok; p, ok = it.Next() {
		b.Param(p.Tag, p.Value)
	}
	return b.Message()
}

// Notify encodes a Notify (RFC 4666 §3.8.2): Status (type and information),
// then the optional ASP Identifier, Routing Contexts and INFO String.
func (b *Builder) Notify(statusType, statusInfo uint16, aspID Opt32, routingContexts []uint32, info []byte) []byte {
	return b.Start(KindNTFY).Uint32(TagStatus, uint32(statusType)<<16|uint32(statusInfo)).
		Opt(TagASPIdentifier, aspID).List(TagRoutingContext, routingContexts).Bytes(TagInfoString, info).Message()
}

// Error encodes an Error (RFC 4666 §3.8.1): the code, then the
// conditional Routing Contexts, Network Appearance, Affected Point Codes
// and Diagnostic Information (conventionally the offending message).
func (b *Builder) Error(code uint32, routingContexts []uint32, na Opt32, affected []uint32, diagnostic []byte) []byte {
	return b.Start(KindERR).Uint32(TagErrorCode, code).List(TagRoutingContext, routingContexts).
		Opt(TagNetworkAppearance, na).List(TagAffectedPointCode, affected).
		Bytes(TagDiagnosticInformation, diagnostic).Message()
}

// DUNA encodes a Destination Unavailable (RFC 4666 §3.4.1) for the affected
// point codes (mask<<24 | pc values).
func (b *Builder) DUNA(na Opt32, routingContexts, affected []uint32, info []byte) []byte {
	return b.ssnm(KindDUNA, na, routingContexts, affected, info)
}

// DAVA encodes a Destination Available (RFC 4666 §3.4.2).
func (b *Builder) DAVA(na Opt32, routingContexts, affected []uint32, info []byte) []byte {
	return b.ssnm(KindDAVA, na, routingContexts, affected, info)
}

func (b *Builder) ssnm(k Kind, na Opt32, routingContexts, affected []uint32, info []byte) []byte {
	return b.Start(k).Opt(TagNetworkAppearance, na).List(TagRoutingContext, routingContexts).
		List(TagAffectedPointCode, affected).Bytes(TagInfoString, info).Message()
}
