package baseline

import (
	"breakwater/firewall/rules"
	"breakwater/firewall/state"
	"breakwater/protocols/view"
)

// GTP-C interconnect policy after GSMA FS.20 (S8 for GTPv2, Gp for GTPv1).

// Message types the rules name (TS 29.274 table 6.1-1, TS 29.060 table 1).
const (
	v2Echo                = 1
	v2CreateSessionReq    = 32
	v2ForwardRelocFirst   = 133 // Forward Relocation Request … Relocation Cancel Response: 133–140
	v2ForwardRelocLast    = 140
	v1Echo                = 1
	v1CreatePDPReq        = 16
	v1ForwardRelocFirst   = 53 // Forward Relocation … Forward SRNS Context Ack: 53–60
	v1ForwardRelocLast    = 60
	v1SRIForGPRS          = 32
	v1SRIForGPRSResp      = 33
	v1IdentificationReq   = 48
	v1IdentificationResp  = 49
	v1SGSNContextReq      = 50
	v1SGSNContextResponse = 51
	v1SGSNContextAck      = 52
)

// v2Internal lists GTPv2 messages that never cross the interconnect: the
// context transfer and identification of S3/S10/S16 (subscriber and
// security context theft), S11-only bearer handling and paging, and the
// S5 PDN connection set clean-up.
func v2Internal(t uint32) bool {
	switch t {
	case 128, 129, // Identification Request/Response
		130, 131, 132, // Context Request/Response/Acknowledge
		170, 171, // Release Access Bearers
		176, 177, 70, // Downlink Data Notification, Ack, Failure Indication
		101, 102: // Delete PDN Connection Set
		return true
	}
	return false
}

// v2S8 lists what S8 carries between roaming partners (TS 29.274 table
// 6.1-1, S5/S8 column).
func v2S8(t uint32) bool {
	switch {
	case t >= 1 && t <= 3, t >= 32 && t <= 41, t >= 64 && t <= 73, t >= 95 && t <= 100,
		t == 103, t == 104, t >= 162 && t <= 165, t == 200, t == 201:
		return true
	}
	return false
}

func v2Relocation(t uint32) bool { return t >= v2ForwardRelocFirst && t <= v2ForwardRelocLast }

// v1Internal: GTPv1 messages that never cross Gp: SGSN context transfer,
// identification, and the HLR query of Send Routing Info for GPRS.
func v1Internal(t uint32) bool {
	switch t {
	case v1SRIForGPRS, v1SRIForGPRSResp, v1IdentificationReq, v1IdentificationResp,
		v1SGSNContextReq, v1SGSNContextResponse, v1SGSNContextAck:
		return true
	}
	return false
}

// v1Gp lists what Gp carries between partners (TS 29.060 §7: path
// management, PDP context handling, network-requested activation, PDU
// notification, extension headers, MS info change).
func v1Gp(t uint32) bool {
	switch {
	case t >= 1 && t <= 3, t >= 16 && t <= 23, t >= 27 && t <= 31, t == 128, t == 129:
		return true
	}
	return false
}

func v1Relocation(t uint32) bool { return t >= v1ForwardRelocFirst && t <= v1ForwardRelocLast }

func isV1(m *view.Message) bool { return m.Protocol == view.GTPv1C }
func isV2(m *view.Message) bool { return m.Protocol == view.GTPv2C }

// createSession: the messages that open a session for a subscriber.
func createSession(m *view.Message) bool {
	return isV2(m) && m.Code == v2CreateSessionReq || isV1(m) && m.Code == v1CreatePDPReq
}

// sessionRequest: requests addressed to an existing home session (by the
// header TEID) that a partner may only send for sessions it created.
func sessionRequest(m *view.Message) bool {
	if !m.Request || !m.TEIDPresent || m.TEID == 0 {
		return false
	}
	if isV2(m) {
		switch m.Code {
		case 34, 36, 38, 64, 66, 68, 162, 164: // Modify Bearer, Delete Session, Change Notification, commands, Suspend/Resume
			return true
		}
		return false
	}
	return m.Code == 18 || m.Code == 20 // Update PDP, Delete PDP Context
}

// hasSender reports whether the message announces its control-plane
// endpoint (F-TEID / GSN address).
func hasSender(m *view.Message) bool {
	return m.SenderAddrs[0].IsValid() || m.SenderAddrs[1].IsValid()
}

// senderOutside reports a control-plane address outside the sending
// partner's prefixes: signalling that claims to come from elsewhere.
func senderOutside(c *rules.Context) bool {
	for _, a := range c.Msg.SenderAddrs {
		if a.IsValid() && !c.Sender.HasAddress(a) {
			return true
		}
	}
	return false
}

var (
	onlyGTPv1 = []view.Protocol{view.GTPv1C}
	onlyGTPv2 = []view.Protocol{view.GTPv2C}
	bothGTP   = []view.Protocol{view.GTPv1C, view.GTPv2C}
)

// sequenceKey identifies a request for replay detection: the sender's
// GTP-C endpoint (address and port: sequence numbers are per endpoint, TS
// 29.274 §7.6), its sequence number, the message type and the session it
// addresses.
func sequenceKey(m *view.Message) uint64 {
	base := state.NodeKey(m.Src.Addr(), m.TEID) ^ (uint64(m.Code)+1)*0xC2B2AE3D27D4EB4F ^ uint64(m.Src.Port())*0x165667B19E3779F9
	return state.SeqKey(base, m.Transaction)
}

var gtpRules = []rules.Rule{
	{
		ID: "GTP-C1-V2-INTERNAL", Category: rules.Cat1, Protocols: onlyGTPv2, Action: rules.Reject,
		Description: "GTPv2 message that never crosses the interconnect: Context and Identification (context theft), Release Access Bearers, Downlink Data Notification, Delete PDN Connection Set",
		Match:       func(c *rules.Context) bool { return v2Internal(c.Msg.Code) },
	},
	{
		ID: "GTP-C1-V2-RELOCATION", Category: rules.Cat1, Protocols: onlyGTPv2, Action: rules.Reject,
		Description: "GTPv2 Forward Relocation / Relocation Cancel from a partner without an inter-PLMN mobility agreement (partners[].inter_plmn_mobility)",
		Match:       func(c *rules.Context) bool { return v2Relocation(c.Msg.Code) && !c.Sender.InterPLMNMobility },
	},
	{
		ID: "GTP-C1-V2-UNLISTED", Category: rules.Cat1, Protocols: onlyGTPv2, Action: rules.Reject,
		Description: "GTPv2 message type not used on S8 between roaming partners",
		Match: func(c *rules.Context) bool {
			t := c.Msg.Code
			return !v2S8(t) && !v2Internal(t) && !v2Relocation(t)
		},
	},
	{
		ID: "GTP-C1-V1-INTERNAL", Category: rules.Cat1, Protocols: onlyGTPv1, Action: rules.Reject,
		Description: "GTPv1 message that never crosses Gp: SGSN Context (context theft), Identification, Send Routing Info for GPRS",
		Match:       func(c *rules.Context) bool { return v1Internal(c.Msg.Code) },
	},
	{
		ID: "GTP-C1-V1-RELOCATION", Category: rules.Cat1, Protocols: onlyGTPv1, Action: rules.Reject,
		Description: "GTPv1 Forward Relocation / Relocation Cancel / Forward SRNS Context from a partner without an inter-PLMN mobility agreement",
		Match:       func(c *rules.Context) bool { return v1Relocation(c.Msg.Code) && !c.Sender.InterPLMNMobility },
	},
	{
		ID: "GTP-C1-V1-UNLISTED", Category: rules.Cat1, Protocols: onlyGTPv1, Action: rules.Reject,
		Description: "GTPv1 message type not used on Gp between roaming partners",
		Match: func(c *rules.Context) bool {
			t := c.Msg.Code
			return !v1Gp(t) && !v1Internal(t) && !v1Relocation(t)
		},
	},
	{
		ID: "GTP-C2-SENDER-ADDRESS", Category: rules.Cat2, Protocols: bothGTP, Action: rules.Reject,
		Description: "the control-plane address a partner announces (F-TEID / GSN Address) is not one of its own: tunnel hijack or spoofing",
		Match:       senderOutside,
	},
	{
		ID: "GTP-C2-NO-SENDER", Category: rules.Cat2, Protocols: bothGTP, Action: rules.Reject,
		Description: "Create Session / Create PDP Context without the sender's control-plane F-TEID or GSN address",
		Match:       func(c *rules.Context) bool { return createSession(c.Msg) && !hasSender(c.Msg) },
	},
	{
		ID: "GTP-C2-NOT-HOME-SUB", Category: rules.Cat2, Protocols: bothGTP, Action: rules.Reject,
		Description: "Create Session / Create PDP Context from a partner for a subscriber that is not a home subscriber (or without an IMSI)",
		Match:       func(c *rules.Context) bool { return createSession(c.Msg) && !c.HomeIMSI() },
	},
	{
		ID: "GTP-C2-SERVING-PLMN", Category: rules.Cat2, Protocols: bothGTP, Action: rules.Reject,
		Description: "Create Session / Create PDP Context whose Serving Network / Routeing Area PLMN is missing or not the sending partner's",
		Match: func(c *rules.Context) bool {
			return createSession(c.Msg) && !c.Sender.HasPLMN(c.Msg.VisitedPLMN)
		},
	},
	{
		ID: "GTP-C2-V2-TEID-UNKNOWN", Category: rules.Cat2, Protocols: onlyGTPv2, Action: rules.Reject,
		ResultCode:  64, // Context Not Found
		Description: "Modify Bearer / Delete Session (and other session requests) naming a home TEID that this partner did not create: tunnel hijack or DoS",
		Match:       unknownSession,
	},
	{
		ID: "GTP-C2-V1-TEID-UNKNOWN", Category: rules.Cat2, Protocols: onlyGTPv1, Action: rules.Reject,
		ResultCode:  192, // Non-existent
		Description: "Update PDP / Delete PDP Context naming a home TEID that this partner did not create: tunnel hijack or DoS",
		Match:       unknownSession,
	},
	{
		ID: "GTP-C2-SEQUENCE-REPLAY", Category: rules.Cat2, Protocols: bothGTP, Action: rules.Drop,
		Description: "a request repeating an earlier sequence number after the retransmission window: a replay",
		Match: func(c *rules.Context) bool {
			m := c.Msg
			if !m.Request || m.Code == v2Echo && isV2(m) || isV1(m) && m.Code == v1Echo {
				return false
			}
			first, seen := c.State.FirstSeen(sequenceKey(m), m.Time)
			return seen && m.Time.Sub(first) > c.Config.GTPState.RetransmitWindow
		},
	},
	{
		ID: "GTP-C3-VELOCITY", Category: rules.Cat3, Protocols: bothGTP, Action: rules.Reject,
		Description: "Create Session / Create PDP Context from a network the subscriber cannot have reached since it was last seen (impossible travel)",
		Match: func(c *rules.Context) bool {
			return createSession(c.Msg) && c.HomeIMSI() && implausibleMove(c, c.Msg.VisitedPLMN)
		},
	},
}

func init() {
	for i := range gtpRules {
		gtpRules[i].From = rules.FromPartner
		gtpRules[i].Tier = rules.TierBaseline
	}
}

// unknownSession reports a session request for a home TEID the sending
// partner did not create (or that is not known at all).
func unknownSession(c *rules.Context) bool {
	m := c.Msg
	if !sessionRequest(m) {
		return false
	}
	s, ok := c.State.Session(state.NodeKey(m.Dst.Addr(), m.TEID), m.Time)
	return !ok || s.Partner != c.Sender.Name
}

// GTPTypeRule names the stateless rule that refuses GTP-C message type t
// of version 1 or 2 from a partner whatever else the message holds — the
// category 1 type lists — or returns "" when the type needs the message
// or the state to be judged. The relocation rules refuse their types only
// from partners without inter_plmn_mobility. The XDP pre-filter drops
// these types in the kernel (see firewall/prefilter).
func GTPTypeRule(version int, t uint8) string {
	c := uint32(t)
	switch version {
	case 1:
		switch {
		case v1Internal(c):
			return "GTP-C1-V1-INTERNAL"
		case v1Relocation(c):
			return "GTP-C1-V1-RELOCATION"
		case !v1Gp(c):
			return "GTP-C1-V1-UNLISTED"
		}
	case 2:
		switch {
		case v2Internal(c):
			return "GTP-C1-V2-INTERNAL"
		case v2Relocation(c):
			return "GTP-C1-V2-RELOCATION"
		case !v2S8(c):
			return "GTP-C1-V2-UNLISTED"
		}
	}
	return ""
}
