// Package ss7test is the home side of the SS7 tests: a home signalling
// gateway that answers what the M3UA relay
// passes to it (firewall/proxy's tests and cmd/breakwater's fault tests).
package ss7test

import (
	"breakwater/internal/bertest"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/tcap"
)

// HLRNumber is the home HLR's number, the hlr-Number of its answers.
const HLRNumber = "12065550001"

// OpUpdateLocation is MAP updateLocation's operation code.
const OpUpdateLocation = 2

// UpdateLocationRes is the home HLR's answer to updateLocation:
// UpdateLocationRes ::= SEQUENCE { hlr-Number } (TS 29.002).
var UpdateLocationRes = bertest.TLV(0x30, bertest.TLV(0x04, bertest.ISDN(HLRNumber)))

// HomeSG answers M3UA as the home signalling gateway: ASP Up and ASP
// Active are acknowledged (the latter with the routing contexts asked for,
// DefaultRC when none is), heartbeats are returned, and a TC-BEGIN
// invoking updateLocation gets a TC-END with its ReturnResultLast, the
// dialogue accepted when one was proposed. Anything else gets no answer.
// One HomeSG serves one association (it reuses its builders).
type HomeSG struct {
	DefaultRC []uint32

	mb   m3ua.Builder
	sb   sccp.Builder
	tb   tcap.Builder
	d    m3ua.Data
	sm   sccp.Message
	tm   tcap.Message
	comp tcap.Component
	rcs  [4]uint32
}

// Answer returns the answer to the M3UA message b, or nil. It is valid
// until the next call.
func (h *HomeSG) Answer(b []byte) []byte {
	msg, err := m3ua.Parse(b)
	if err != nil {
		return nil
	}
	switch msg.Kind() {
	case m3ua.KindASPUP:
		return h.mb.AspUpAck(m3ua.Opt32{}, nil)
	case m3ua.KindASPAC:
		rcs := h.rcs[:0]
		if p, ok := msg.Find(m3ua.TagRoutingContext); ok {
			if l, ok := p.List(); ok {
				for i := 0; i < l.Len() && len(rcs) < cap(rcs); i++ {
					rcs = append(rcs, l.At(i))
				}
			}
		}
		if len(rcs) == 0 {
			rcs = h.DefaultRC
		}
		return h.mb.AspActiveAck(m3ua.Some(2), rcs, nil)
	case m3ua.KindBEAT:
		return h.mb.BeatAck(&msg)
	case m3ua.KindDATA:
		d, sm, tm, comp := &h.d, &h.sm, &h.tm, &h.comp
		if msg.Data(d) != nil || sccp.Parse(d.UserData, sm) != nil || tcap.Parse(sm.Data, tm) != nil || tm.Type != tcap.Begin {
			return nil
		}
		it := tm.Components()
		if !it.Read(comp) || comp.Type != tcap.Invoke || comp.Op.Local != OpUpdateLocation {
			return nil
		}
		h.tb.Start(tcap.End).DTID(tm.OTIDBytes)
		if tm.Dialogue.Kind == tcap.AARQ {
			h.tb.AARE(tm.Dialogue.ACN, tm.Dialogue.ProtocolVersion, 0, 0)
		}
		res := h.tb.Components().ReturnResultLast(comp.InvokeID, OpUpdateLocation, UpdateLocationRes).Message()
		u, err := h.sb.UDT(sm.ProtocolClass, sm.Calling.Raw, sm.Called.Raw, res)
		if err != nil {
			return nil
		}
		a := m3ua.Data{RoutingContext: d.RoutingContext, ProtocolData: m3ua.ProtocolData{
			OPC: d.DPC, DPC: d.OPC, SI: d.SI, NI: d.NI, SLS: d.SLS, UserData: u}}
		return h.mb.Data(&a)
	}
	return nil
}
