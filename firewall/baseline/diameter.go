package baseline

import (
	"breakwater/firewall/rules"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// Diameter interconnect policy after GSMA FS.19.

// internalApps never cross the interconnect: they run between nodes of one
// network (IMS, policy, charging, location services).
func internalApp(app uint32) bool {
	switch app {
	case diameter.AppNASREQ, diameter.AppCreditControl, diameter.AppCx, diameter.AppSh,
		diameter.AppRx, diameter.AppGx, diameter.AppSLg, diameter.AppSWx, diameter.AppSLh,
		diameter.AppSy, diameter.AppS6t, diameter.AppT6a:
		return true
	}
	return false
}

// interconnectApp lists the applications roaming legitimately uses between
// operators: S6a/S6d (mobility), S13 (equipment check), S9 (roaming policy),
// S6b (AAA with local breakout), S6c/SGd (SMS) and the base protocol. The
// relay id (0xffffffff) is deliberately absent: it is advertised in CER/CEA,
// but no message belongs to it, and a header carrying it would otherwise
// slip past every application-specific rule.
func interconnectApp(app uint32) bool {
	switch app {
	case diameter.AppBase, diameter.AppBaseAccounting, diameter.AppS6aS6d, diameter.AppS13,
		diameter.AppS9, diameter.AppS6b, diameter.AppS6c, diameter.AppSGd:
		return true
	}
	return false
}

// knownCommand reports whether the command exists in the application. Every
// interconnect application has a closed command set, so a subscriber
// command smuggled under another application id (an IDR in S9) is caught.
func knownCommand(app, code uint32) bool {
	switch app {
	case diameter.AppBase:
		return code == diameter.CmdCapabilitiesExchange || code == diameter.CmdDeviceWatchdog || code == diameter.CmdDisconnectPeer
	case diameter.AppBaseAccounting:
		return code == diameter.CmdAccounting
	case diameter.AppS6aS6d:
		return code >= diameter.CmdUpdateLocation && code <= diameter.CmdNotify
	case diameter.AppS13:
		return code == diameter.CmdMEIdentityCheck
	case diameter.AppS9: // TS 29.215: CC, RA, Trigger-Establishment; ST/AS for S9 subsessions
		return code == diameter.CmdCreditControl || code == diameter.CmdReAuth || code == cmdTriggerEstablishment ||
			code == diameter.CmdSessionTermination || code == diameter.CmdAbortSession
	case diameter.AppS6b: // TS 29.273: AA, Diameter-EAP, RA, AS, ST
		return code == diameter.CmdAA || code == cmdDiameterEAP || code == diameter.CmdReAuth ||
			code == diameter.CmdAbortSession || code == diameter.CmdSessionTermination
	case diameter.AppS6c: // TS 29.338: Send-Routing-Info-for-SM, Alert-Service-Centre, Report-SM-Delivery-Status
		return code >= 8388647 && code <= 8388649
	case diameter.AppSGd: // TS 29.338: MO- and MT-Forward-Short-Message
		return code == 8388645 || code == 8388646
	}
	return true
}

const (
	cmdTriggerEstablishment = 8388656
	cmdDiameterEAP          = 268
)

// inboundRequest: a Diameter request from a partner.
func inboundRequest(c *rules.Context) bool { return c.Inbound() && c.Msg.Request }

// peerCommand: CER, DWR, DPR concern the connection, not a subscriber.
func peerCommand(m *view.Message) bool {
	return m.Code == diameter.CmdCapabilitiesExchange || m.Code == diameter.CmdDeviceWatchdog || m.Code == diameter.CmdDisconnectPeer
}

// s6a reports an S6a/S6d message with the given command code.
func s6a(m *view.Message, code uint32) bool { return m.App == diameter.AppS6aS6d && m.Code == code }

// hssToMME are the requests a subscriber's home HSS sends to the visited MME.
func hssToMME(m *view.Message) bool {
	return m.App == diameter.AppS6aS6d && (m.Code == diameter.CmdInsertSubscriberData ||
		m.Code == diameter.CmdCancelLocation || m.Code == diameter.CmdDeleteSubscriberData)
}

// mmeToHSS are the requests a visited MME sends to the subscriber's HSS.
func mmeToHSS(m *view.Message) bool {
	return m.App == diameter.AppS6aS6d && (m.Code == diameter.CmdUpdateLocation ||
		m.Code == diameter.CmdAuthenticationInfo || m.Code == diameter.CmdPurgeUE || m.Code == diameter.CmdNotify)
}

// carriesVisitedPLMN: S6a requests where Visited-PLMN-Id is mandatory.
func carriesVisitedPLMN(m *view.Message) bool {
	return m.App == diameter.AppS6aS6d && (m.Code == diameter.CmdUpdateLocation || m.Code == diameter.CmdAuthenticationInfo)
}

var onlyDiameter = []view.Protocol{view.Diameter}

var diameterRules = []rules.Rule{
	{
		ID: "DIA-C1-APP-INTERNAL", Category: rules.Cat1, Action: rules.Reject, ResultCode: 3007,
		Description: "application that never crosses the interconnect (Sh, Cx, Rx, Gx, Gy, SLg, SLh, SWx, Sy, S6t, T6a, NASREQ)",
		Match:       func(c *rules.Context) bool { return c.Inbound() && internalApp(c.Msg.App) },
	},
	{
		ID: "DIA-C1-APP-UNLISTED", Category: rules.Cat1, Action: rules.Reject, ResultCode: 3007,
		Description: "application not used between roaming partners (allowed: base, accounting, S6a/S6d, S13, S9, S6b, S6c, SGd)",
		Match:       func(c *rules.Context) bool { return c.Inbound() && !interconnectApp(c.Msg.App) },
	},
	{
		ID: "DIA-C1-APP-MISMATCH", Category: rules.Cat1, Action: rules.Reject,
		Description: "the header's Application-Id differs from the application declared in the body (filter bypass)",
		Match:       func(c *rules.Context) bool { return c.Inbound() && c.Msg.Flags&view.FlagAppMismatch != 0 },
	},
	{
		ID: "DIA-C1-CMD-UNKNOWN", Category: rules.Cat1, Action: rules.Reject, ResultCode: 3001,
		Description: "command code that does not exist in the application (closed command sets of every interconnect application)",
		Match:       func(c *rules.Context) bool { return c.Inbound() && !knownCommand(c.Msg.App, c.Msg.Code) },
	},
	{
		ID: "DIA-C2-ORIGIN-REALM-HOME", Category: rules.Cat2, Action: rules.Reject,
		Description: "a partner's message claims a home-network Origin-Realm (spoofing)",
		Match: func(c *rules.Context) bool {
			return c.Inbound() && c.Net.Home.HasRealm(c.Msg.OriginRealm)
		},
	},
	{
		ID: "DIA-C2-ORIGIN-REALM", Category: rules.Cat2, Action: rules.Reject,
		Description: "Origin-Realm is missing or is not a realm of the partner the message comes from",
		Match: func(c *rules.Context) bool {
			if !c.Inbound() || len(c.Sender.Realms) == 0 {
				return false // partner without configured realms: nothing to compare
			}
			return !c.Sender.HasRealm(c.Msg.OriginRealm)
		},
	},
	{
		ID: "DIA-C2-DEST-REALM", Category: rules.Cat2, Action: rules.Reject, ResultCode: 3003,
		Description: "a partner's request is addressed to a realm that is not the home network's (or, in S6a, to no realm)",
		Match: func(c *rules.Context) bool {
			if !inboundRequest(c) || peerCommand(c.Msg) || len(c.Net.Home.Realms) == 0 {
				return false
			}
			if c.Msg.DestRealm == nil {
				// Mandatory in every S6a request (TS 29.272); elsewhere a
				// request may be routed by Destination-Host alone.
				return c.Msg.App == diameter.AppS6aS6d
			}
			return !c.Net.Home.HasRealm(c.Msg.DestRealm)
		},
	},
	{
		ID: "DIA-C2-VISITED-PLMN", Category: rules.Cat2, Action: rules.Reject,
		Description: "ULR/AIR whose Visited-PLMN-Id is missing or is not a PLMN of the sending partner",
		Match: func(c *rules.Context) bool {
			return inboundRequest(c) && carriesVisitedPLMN(c.Msg) && !c.Sender.HasPLMN(c.Msg.VisitedPLMN)
		},
	},
	{
		ID: "DIA-C2-NO-IMSI", Category: rules.Cat2, Action: rules.Reject,
		Description: "subscriber-specific S6a/S6d request without an IMSI (User-Name)",
		Match: func(c *rules.Context) bool {
			return inboundRequest(c) && (hssToMME(c.Msg) || mmeToHSS(c.Msg)) && c.Msg.IMSI.IsZero()
		},
	},
	{
		ID: "DIA-C2-IDR-LOCATION", Category: rules.Cat2, Action: rules.Reject,
		Description: "IDR asking for a home subscriber's location or state (the classic tracking probe)",
		Match: func(c *rules.Context) bool {
			m := c.Msg
			return inboundRequest(c) && s6a(m, diameter.CmdInsertSubscriberData) &&
				m.Flags&(view.FlagLocationRequest|view.FlagStateRequest) != 0 && c.HomeIMSI()
		},
	},
	{
		ID: "DIA-C2-HSS-HOME-IMSI", Category: rules.Cat2, Action: rules.Reject,
		Description: "IDR/CLR/DSR from a partner for a home subscriber: only the home HSS manages home subscribers",
		Match: func(c *rules.Context) bool {
			return inboundRequest(c) && hssToMME(c.Msg) && c.HomeIMSI()
		},
	},
	{
		ID: "DIA-C2-HSS-FOREIGN-IMSI", Category: rules.Cat2, Action: rules.Reject,
		Description: "IDR/CLR/DSR from a partner for a subscriber that is not that partner's own",
		Match: func(c *rules.Context) bool {
			return inboundRequest(c) && hssToMME(c.Msg) && !c.Msg.IMSI.IsZero() && c.IMSIOwner() != c.Sender
		},
	},
	{
		ID: "DIA-C2-RSR-HOME", Category: rules.Cat2, Action: rules.Reject,
		Description: "Reset (RSR) from a partner naming IMSI prefixes (User-Id) that are not its own subscribers",
		Match: func(c *rules.Context) bool {
			return inboundRequest(c) && s6a(c.Msg, diameter.CmdReset) && resetTouchesOthers(c)
		},
	},
	{
		ID: "DIA-C2-NOT-HOME-SUB", Category: rules.Cat2, Action: rules.Reject,
		Description: "ULR/AIR/PUR/NOR from a partner for a subscriber that is not a home subscriber",
		Match: func(c *rules.Context) bool {
			return inboundRequest(c) && mmeToHSS(c.Msg) && !c.Msg.IMSI.IsZero() && !c.HomeIMSI()
		},
	},
	{
		ID: "DIA-C3-VELOCITY", Category: rules.Cat3, Action: rules.Reject,
		Description: "ULR/AIR from a network the subscriber cannot have reached since it was last seen (impossible travel)",
		Match: func(c *rules.Context) bool {
			return inboundRequest(c) && carriesVisitedPLMN(c.Msg) && c.HomeIMSI() && implausibleMove(c, c.Msg.VisitedPLMN)
		},
	},
	{
		ID: "DIA-C3-NOT-SERVING", Category: rules.Cat3, Action: rules.Reject,
		Description: "PUR/NOR from a partner other than the one where the subscriber is registered",
		Match: func(c *rules.Context) bool {
			m := c.Msg
			if !inboundRequest(c) || !(s6a(m, diameter.CmdPurgeUE) || s6a(m, diameter.CmdNotify)) || !c.HomeIMSI() {
				return false
			}
			last, ok := c.LastLocation()
			return ok && last.Partner != c.Sender.Name
		},
	},
}

func init() {
	for i := range diameterRules {
		// The rule set only evaluates these for Diameter messages from
		// partners; the predicates still check direction so that each
		// reads correctly on its own.
		diameterRules[i].Protocols = onlyDiameter
		diameterRules[i].From = rules.FromPartner
		diameterRules[i].Tier = rules.TierBaseline
	}
}

// resetTouchesOthers reports whether an RSR's User-Id prefixes include
// anything but the sending partner's subscribers. An RSR without User-Id
// resets every subscriber the sender's HSS has at the receiving MME; that
// is legitimate, so only explicit foreign prefixes count.
func resetTouchesOthers(c *rules.Context) bool {
	m := c.Msg
	if len(m.Raw) < diameter.HeaderLen {
		return false
	}
	it := diameter.NewAVPs(m.Raw[diameter.HeaderLen:])
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		if a.Code != diameter.AVPUserID || a.Vendor != diameter.Vendor3GPP {
			continue
		}
		var prefix view.Digits
		if !prefix.SetASCII(a.Data) || prefix.Len() < 5 {
			return true // unparseable or too short to attribute: refuse
		}
		if c.Net.IMSIOwner(&prefix) != c.Sender {
			return true
		}
	}
	return false
}
