package engine

import (
	"net/netip"

	"breakwater/firewall/rules"
	"breakwater/firewall/state"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// learn updates subscriber locations from an allowed message.
//
// A location is committed only when the home network accepts it: an
// allowed ULR is remembered as pending, and the home HSS's successful ULA
// (matched by the partner and the Diameter transaction ids) commits it. A
// CLR the home HSS sends to the partner where the subscriber was registered
// means the subscriber left it (unless the subscription was withdrawn);
// until another partner reports it, it is taken to be at home.
func (e *Engine) learn(c *rules.Context) {
	m := c.Msg
	if m.Protocol == view.GTPv1C || m.Protocol == view.GTPv2C {
		e.learnGTP(c)
		return
	}
	if m.Protocol == view.MAP {
		e.learnMAP(c)
		return
	}
	if m.Protocol != view.Diameter || m.App != diameter.AppS6aS6d {
		return
	}
	switch {
	case c.Inbound() && m.Request && m.Code == diameter.CmdUpdateLocation:
		imsi, ok := c.IMSIKey()
		if !ok || !c.HomeIMSI() || m.VisitedPLMN.IsZero() {
			return
		}
		e.state.AddPending(pendingKey(c.Sender.Index, m.Transaction), state.Pending{
			IMSI:     imsi,
			Location: state.Location{PLMN: m.VisitedPLMN, Partner: c.Sender.Name, Time: m.Time},
		})
	case c.Outbound() && !m.Request && m.Code == diameter.CmdUpdateLocation:
		if c.Receiver == nil || c.Receiver.Home {
			return
		}
		p, ok := e.state.TakePending(pendingKey(c.Receiver.Index, m.Transaction), m.Time)
		if !ok || p.Location.Partner != c.Receiver.Name || m.ResultCode != diameter.ResultSuccess {
			return
		}
		p.Location.Time = m.Time
		e.state.SetLocation(p.IMSI, p.Location)
	case c.Outbound() && m.Request && m.Code == diameter.CmdCancelLocation:
		if c.Receiver == nil || c.Receiver.Home || subscriptionWithdrawn(m) {
			return
		}
		imsi, ok := c.IMSIKey()
		if !ok {
			return
		}
		if last, ok := e.state.Location(imsi, m.Time); ok && last.Partner == c.Receiver.Name && len(c.Net.Home.PLMNs) > 0 {
			e.state.SetLocation(imsi, state.Location{PLMN: c.Net.Home.PLMNs[0], Partner: c.Net.Home.Name, Time: m.Time})
		}
	}
}

// subscriptionWithdrawn reports a CLR with Cancellation-Type
// SUBSCRIPTION_WITHDRAWAL (TS 29.272 §7.3.24): the subscriber was
// deregistered, not moved, so its location stays as it was.
func subscriptionWithdrawn(m *view.Message) bool {
	a, n := diameter.FindAVP(m.Raw, diameter.AVPCancellationType, diameter.Vendor3GPP)
	t, _ := a.Uint32()
	return n > 0 && t == cancellationSubscriptionWithdrawal
}

const cancellationSubscriptionWithdrawal = 2

// GTP message types learning looks at.
const (
	gtpV2CreateSessionReq  = 32
	gtpV2CreateSessionResp = 33
	gtpV1CreatePDPReq      = 16
	gtpV1CreatePDPResp     = 17
	gtpV2DeleteSessionReq  = 36
	gtpV2DeleteSessionResp = 37
	gtpV1DeletePDPReq      = 20
	gtpV1DeletePDPResp     = 21
	// gtpDeleteSalt keeps a pending deletion apart from a pending
	// creation with the same endpoint and sequence number.
	gtpDeleteSalt = 0x44454c45 << 32 // "DELE"
)

// learnGTP follows session creation: an allowed Create Session / Create
// PDP Context for a home subscriber is pending until the home PGW/GGSN
// accepts it; the accepting response then records the subscriber's
// location (the Serving Network / RAI PLMN, as a ULA does for Diameter:
// one subscriber, one place, whichever protocol moved it) and that the
// partner owns the home TEID the response announces, which later session
// requests must name.
func (e *Engine) learnGTP(c *rules.Context) {
	m := c.Msg
	v2 := m.Protocol == view.GTPv2C
	isCreate := v2 && m.Code == gtpV2CreateSessionReq || !v2 && m.Code == gtpV1CreatePDPReq
	isCreated := v2 && m.Code == gtpV2CreateSessionResp || !v2 && m.Code == gtpV1CreatePDPResp
	isDelete := v2 && m.Code == gtpV2DeleteSessionReq || !v2 && m.Code == gtpV1DeletePDPReq
	isDeleted := v2 && m.Code == gtpV2DeleteSessionResp || !v2 && m.Code == gtpV1DeletePDPResp
	switch {
	case c.Inbound() && isDelete && m.TEIDPresent && m.TEID != 0:
		// The owner (the rules checked it) deletes its session: forget it
		// when the home node accepts, so that the TEID, reused later for
		// another partner's session, is not still counted as this one's.
		e.state.AddPending(gtpPendingKey(m.Src, m.Transaction)^gtpDeleteSalt, state.Pending{
			Session:  state.NodeKey(m.Dst.Addr(), m.TEID),
			Location: state.Location{Time: m.Time},
		})
	case c.Outbound() && isDeleted:
		p, ok := e.state.TakePending(gtpPendingKey(m.Dst, m.Transaction)^gtpDeleteSalt, m.Time)
		if ok && p.Session != 0 && gtpDeleteAccepted(m) {
			e.state.DeleteSession(p.Session)
		}
	case c.Inbound() && isCreate:
		imsi, ok := c.IMSIKey()
		if !ok || !c.HomeIMSI() {
			return
		}
		e.state.AddPending(gtpPendingKey(m.Src, m.Transaction), state.Pending{
			IMSI:     imsi,
			Location: state.Location{PLMN: m.VisitedPLMN, Partner: c.Sender.Name, Time: m.Time},
		})
	case c.Outbound() && isCreated:
		if c.Receiver == nil || c.Receiver.Home || !gtpAccepted(m) {
			return
		}
		// The session belongs to the partner node the home node answers:
		// that needs nothing remembered from the request. The pending
		// entry (which a full table may have lost) only adds where the
		// subscriber is: missing it fails open for the velocity check,
		// while recording no session would refuse the partner's own
		// Modify Bearer and Delete Session.
		p, ok := e.state.TakePending(gtpPendingKey(m.Dst, m.Transaction), m.Time)
		if ok && p.Location.Partner == c.Receiver.Name && !p.Location.PLMN.IsZero() {
			p.Location.Time = m.Time
			e.state.SetLocation(p.IMSI, p.Location)
		}
		if !ok || p.Location.Partner != c.Receiver.Name {
			p.IMSI = 0
		}
		if m.SenderTEID != 0 {
			// The partner addresses the session at the endpoint the home
			// node announced, which may be another address of it (the
			// other family of a dual-stack F-TEID) than the one it
			// answered from.
			s := state.Session{Partner: c.Receiver.Name, IMSI: p.IMSI, Created: m.Time}
			e.state.SetSession(state.NodeKey(m.Src.Addr(), m.SenderTEID), s)
			for _, a := range m.SenderAddrs {
				if a.IsValid() && a != m.Src.Addr() {
					if n := c.Net.SenderOf(a); n != nil && n.Home {
						e.state.SetSession(state.NodeKey(a, m.SenderTEID), s)
					}
				}
			}
		}
	}
}

// gtpAccepted reports a response cause that accepts the request (TS
// 29.274 §8.4: 16–63; TS 29.060 §7.7.1: 128–191).
func gtpAccepted(m *view.Message) bool {
	if m.Protocol == view.GTPv2C {
		return m.ResultCode >= 16 && m.ResultCode <= 63
	}
	return m.ResultCode >= 128 && m.ResultCode <= 191
}

// gtpDeleteAccepted reports a Delete Session (Delete PDP Context)
// response after which the session is gone: accepted, or "context not
// found" (TS 29.274 cause 64, TS 29.060 cause 192), which says the home
// node no longer has it either.
func gtpDeleteAccepted(m *view.Message) bool {
	if m.Protocol == view.GTPv2C {
		return gtpAccepted(m) || m.ResultCode == 64
	}
	return gtpAccepted(m) || m.ResultCode == 192
}

// gtpPendingKey keys a pending session creation by the partner's GTP-C
// endpoint (address and port: TS 29.274 §7.6 numbers requests per
// endpoint, so two ports of one node have sequence spaces of their own)
// and the request's sequence number, which its response repeats.
func gtpPendingKey(node netip.AddrPort, seq uint64) uint64 {
	return state.SeqKey(state.NodeKey(node.Addr(), 0x47545020^uint32(node.Port())<<8), seq) // "GTP "
}

// pendingKey mixes the partner into the transaction ids so that two
// partners' colliding ids do not meet.
func pendingKey(partner int, transaction uint64) uint64 {
	return state.SeqKey(uint64(partner+1)*0x9E3779B97F4A7C15, transaction)
}

// MAP operations learning looks at (TS 29.002 §17.5).
const (
	mapUpdateLocation     = 2
	mapCancelLocation     = 3
	mapUpdateGprsLocation = 23
)

// learnMAP follows location updates as learn does for Diameter: an
// allowed updateLocation / updateGprsLocation from a partner for a home
// subscriber is pending (keyed by the partner and the TCAP transaction:
// the answer's destination transaction id is the request's origination
// id) until the home HLR's result comes back without error; the result
// then puts the subscriber in the partner's network. The partner's PLMN
// stands for the VLR's location (the VLR number belongs to the partner,
// or the message was refused). A cancelLocation the HLR sends to the
// partner where the subscriber was takes it home, as a Diameter CLR does.
func (e *Engine) learnMAP(c *rules.Context) {
	m := c.Msg
	isUL := m.Code == mapUpdateLocation || m.Code == mapUpdateGprsLocation
	switch {
	case c.Inbound() && m.Request && isUL:
		imsi, ok := c.IMSIKey()
		if !ok || !c.HomeIMSI() || len(c.Sender.PLMNs) == 0 {
			return
		}
		e.state.AddPending(pendingKey(c.Sender.Index, m.Transaction^mapPendingSalt), state.Pending{
			IMSI:     imsi,
			Location: state.Location{PLMN: c.Sender.PLMNs[0], Partner: c.Sender.Name, Time: m.Time},
		})
	case c.Outbound() && !m.Request && isUL:
		if c.Receiver == nil || c.Receiver.Home || m.ResultCode != 0 {
			return
		}
		p, ok := e.state.TakePending(pendingKey(c.Receiver.Index, m.Transaction^mapPendingSalt), m.Time)
		if !ok || p.Location.Partner != c.Receiver.Name {
			return
		}
		p.Location.Time = m.Time
		e.state.SetLocation(p.IMSI, p.Location)
	case c.Outbound() && m.Request && m.Code == mapCancelLocation:
		if c.Receiver == nil || c.Receiver.Home || m.Flags&view.FlagWithdrawal != 0 {
			return
		}
		imsi, ok := c.IMSIKey()
		if !ok {
			return
		}
		if last, ok := e.state.Location(imsi, m.Time); ok && last.Partner == c.Receiver.Name && len(c.Net.Home.PLMNs) > 0 {
			e.state.SetLocation(imsi, state.Location{PLMN: c.Net.Home.PLMNs[0], Partner: c.Net.Home.Name, Time: m.Time})
		}
	}
}

// mapPendingSalt keeps TCAP transaction ids apart from Diameter ones in
// the shared pending table (TCAP ids fill the low 32 bits, as hop-by-hop
// ids do).
const mapPendingSalt = 0x4d41500000000000 // "MAP"
