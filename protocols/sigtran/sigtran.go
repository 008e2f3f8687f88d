// Package sigtran decodes SS7 signalling carried over SIGTRAN — an M3UA
// message, the SCCP message in its DATA, and the TCAP/MAP message in that
// — into the protocol-neutral view the firewall judges. It only joins the
// layer parsers (protocols/m3ua, sccp, tcap, gsmmap): each layer's rules
// live in its own package, and nothing here knows of sockets or rules.
//
// A Decoder keeps the state one stream of M3UA messages needs: the SCCP
// segments of XUDT messages waiting for the rest. One Decoder per reader
// (association or capture); it is not safe for concurrent use. The TCAP
// dialogues it follows (tcap.Dialogues: the application context of the
// messages after a dialogue's first exchange) may be shared by the
// decoders of both directions of an association.
package sigtran

import (
	"errors"
	"hash/maphash"
	"time"

	"breakwater/protocols/gsmmap"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

// Result says what an M3UA message turned out to carry.
type Result uint8

const (
	// Management: an M3UA message other than DATA (ASP state and
	// traffic maintenance, signalling network management, errors,
	// notifications, routing keys). v is not filled: these concern the
	// association, and a relay handles them itself.
	Management Result = iota
	// Pending: a segment of a segmented SCCP message, held until the
	// message is complete. v is not filled.
	Pending
	// Message: v holds the message (possibly marked malformed).
	Message
)

// Reasons for messages that are SS7 but not what the firewall can read.
const (
	reasonCallingGT = "SCCP calling party global title is not decimal digits"
	reasonCalledGT  = "SCCP called party global title is not decimal digits"
)

// Decoder decodes M3UA messages. The zero value is not usable: NewDecoder.
type Decoder struct {
	reasm *sccp.Reassembler
	data  m3ua.Data
	sccp  sccp.Message
	tc    tcap.Message
	// tcapOK: tc holds the last message's TCAP, parsed without error, so
	// that Invoke can decode its other Invokes.
	tcapOK bool
	// dialogues remembers open dialogues' application contexts; acn holds
	// the remembered name of the last message's dialogue (tc.Dialogue.ACN
	// points into it when the message carries none of its own).
	dialogues *tcap.Dialogues
	acn       [tcap.MaxACN]byte
}

// NewDecoder returns a decoder reassembling segmented SCCP messages within
// the given bounds (zero fields take the sccp package's defaults) and
// following TCAP dialogues in dialogues (nil: a table of its own with the
// default bounds). The decoders of an association's two directions
// should share one table: a dialogue begun in one continues in the other.
func NewDecoder(cfg sccp.ReassemblyConfig, dialogues *tcap.Dialogues) *Decoder {
	if dialogues == nil {
		dialogues = tcap.NewDialogues(tcap.DialoguesConfig{})
	}
	return &Decoder{reasm: sccp.NewReassembler(cfg), dialogues: dialogues}
}

// Decode decodes the M3UA message b. For Message, v holds the SS7 message:
//
//   - SCCP carrying TCAP (UDT, XUDT once reassembled, LUDT): as
//     gsmmap.Decode describes (Protocol MAP, the first Invoke, ...), plus
//     the SCCP calling and called global titles;
//   - a broken M3UA DATA, SCCP or TCAP message: Protocol MAP and
//     Malformed (the SS7 user part is unknown once a layer is broken, and
//     MAP is what the interconnect carries);
//   - SCCP service messages (UDTS, XUDTS, LUDTS: a message returned as
//     undeliverable), SCCP management (SSN 1), connection-oriented SCCP:
//     Protocol MAP, not a request, Op naming the SCCP message, Code 0;
//   - other user parts (ISUP, ...): Protocol unknown, Op naming the
//     service indicator.
//
// Time, Src and Dst are the caller's to set. The error is the first
// layer's error, also recorded in v.Malformed. Decode never allocates.
func (d *Decoder) Decode(now time.Time, b []byte, v *view.Message) (Result, error) {
	d.tcapOK = false
	h, err := m3ua.ParseHeader(b)
	if err == nil && h.Kind() != m3ua.KindDATA {
		return Management, nil
	}
	if err == nil {
		err = m3ua.ParseData(b, &d.data)
	}
	if err != nil {
		malformed(v, b, err)
		return Message, err
	}
	pd := &d.data.ProtocolData
	if pd.SI != m3ua.SISCCP {
		v.Reset()
		v.Raw = pd.UserData
		v.Op = m3ua.SIName(pd.SI)
		return Message, nil
	}
	if err := sccp.Parse(pd.UserData, &d.sccp); err != nil {
		malformed(v, pd.UserData, err)
		return Message, err
	}
	m := &d.sccp
	if !m.Type.Connectionless() || m.Type.Service() || m.IsSCMG() {
		v.Reset()
		v.Protocol = view.MAP
		v.Raw = pd.UserData
		v.Op = m.Type.String()
		if m.IsSCMG() {
			v.Op = "SCMG"
		}
		d.addresses(v)
		return Message, nil
	}
	data, status, err := d.reasm.Add(now, pd.OPC, m)
	switch {
	case err != nil:
		malformed(v, pd.UserData, err)
		return Message, err
	case status == sccp.StatusPending || status == sccp.StatusDuplicate:
		return Pending, nil
	}
	if tcap.Parse(data, &d.tc) == nil {
		d.tcapOK = true // kept for Invoke
		from, to := nodeKey(&m.Calling, pd.OPC), nodeKey(&m.Called, pd.DPC)
		if n := d.dialogues.Observe(now, from, to, &d.tc, &d.acn); n > 0 {
			d.tc.Dialogue.ACN = d.acn[:n] // read it in its dialogue's context
		}
		err = gsmmap.Decode(&d.tc, v)
		d.checkCAMEL(v)
	} else {
		err = gsmmap.DecodeBytes(data, v) // what the header said, and why not more
	}
	d.addresses(v)
	return Message, err
}

// addresses copies the SCCP global titles into v; a global title that is
// not decimal (hexadecimal signals, another encoding) cannot be matched
// against any configured prefix and makes the message malformed.
func (d *Decoder) addresses(v *view.Message) {
	if g := &d.sccp.Calling.GT; d.sccp.Calling.GTI != 0 && !setGT(&v.CallingGT, g) && v.Malformed == "" {
		v.Malformed = reasonCallingGT
	}
	if g := &d.sccp.Called.GT; d.sccp.Called.GTI != 0 && !setGT(&v.CalledGT, g) && v.Malformed == "" {
		v.Malformed = reasonCalledGT
	}
}

// CAMEL subsystems (Q.713 Annex B, 3GPP TS 23.003 §8.1): gsmSSF and
// gsmSCF.
const (
	ssnGsmSSF = 146
	ssnGsmSCF = 147
)

// checkCAMEL keeps the CAMEL reading for CAMEL nodes: a CAP context is
// the sender's word, and a MAP operation labelled CAMEL would escape the
// MAP category rules. A CAMEL dialogue addressed to anything but a
// gsmSSF or gsmSCF is read as a foreign context (MAP-AC-UNKNOWN).
func (d *Decoder) checkCAMEL(v *view.Message) {
	if v.Flags&view.FlagCAMEL == 0 {
		return
	}
	if c := &d.sccp.Called; c.HasSSN && (c.SSN == ssnGsmSSF || c.SSN == ssnGsmSCF) {
		return
	}
	v.Flags = v.Flags&^view.FlagCAMEL | view.FlagForeignContext
	v.Op = ""
}

// nodeSeed keys node identities for tcap.Dialogues.
var nodeSeed = maphash.MakeSeed()

// nodeKey names the node an SCCP address designates, the same whether it
// sends (calling) or receives (called): its global title's address
// signals when it has one (a node answers from the title it was reached
// on, whatever the NAI or translation type), else its point code — the
// address's or, without one, the M3UA label's pc — and subsystem.
func nodeKey(a *sccp.Address, pc uint32) uint64 {
	if g := a.GT.Signals; a.GTI != 0 && len(g) > 0 {
		// The signal octets, the filler of an odd count masked (Q.713
		// leaves it 0, but it is not the node's to vary), the count's
		// parity ("12345" is not "123450") and the subsystem: a combined
		// MSC/VLR on one title runs two TCAP users with their own ids.
		last := uint64(g[len(g)-1])
		if a.GT.Odd {
			last = last&0x0f | 0x100
		}
		last |= uint64(a.SSN) << 16
		return maphash.Bytes(nodeSeed, g[:len(g)-1]) ^ last*0x9E3779B97F4A7C15
	}
	if a.HasPC {
		pc = uint32(a.PC)
	}
	return maphash.Comparable(nodeSeed, uint64(pc)<<8|uint64(a.SSN)|1<<63)
}

// setGT decodes the title's signals straight from their BCD octets (one
// pass; the sccp package's own decoding keeps the non-decimal codes).
func setGT(dst *view.Digits, g *sccp.GlobalTitle) bool {
	return g.IsBCD() && dst.SetBCD(g.Signals, g.Odd)
}

func malformed(v *view.Message, raw []byte, err error) {
	v.Reset()
	v.Protocol = view.MAP
	v.Raw = raw
	v.Malformed = err.Error()
}

// Invokes is the number of Invokes in the last decoded TCAP message.
func (d *Decoder) Invokes() int {
	if !d.tcapOK {
		return 0
	}
	return d.tc.NumInvokes
}

// ErrNoInvoke: Invoke was asked for an Invoke the last message lacks.
var ErrNoInvoke = errors.New("sigtran: the last message has no such Invoke")

// Invoke decodes the n-th Invoke (from 0) of the last decoded TCAP message
// into v, as Decode did for the first: a message asking for several
// operations is judged once per operation, so that the most dangerous one
// decides.
func (d *Decoder) Invoke(n int, v *view.Message) error {
	if !d.tcapOK || n < 0 || n >= d.tc.NumInvokes {
		return ErrNoInvoke
	}
	err := gsmmap.DecodeInvoke(&d.tc, n, v)
	d.checkCAMEL(v)
	d.addresses(v)
	return err
}
