package baseline

import (
	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

// # SS7 MAP (GSMA FS.11)
//
// FS.11 sorts MAP operations arriving over the interconnect into three
// categories: category 1 has no business crossing it (network-internal
// queries and controls), category 2 goes from a home network's HLR to the
// visited network's VLR and is legitimate only for the sending network's
// own subscribers, and category 3 goes from the visited VLR/SGSN to the
// home HLR and is legitimate only when the subscriber could really be
// where that network says. The rules below judge the Invoke a view holds:
// a TCAP message with several Invokes is judged once per Invoke (the
// relay and replay do that), so the most dangerous one decides.
//
// Senders are identified three ways, and the three must agree: the SCTP
// association (source address: c.Sender), the SCCP calling global title,
// and the network-node numbers inside the MAP argument (MSC, VLR, SGSN,
// HLR number). A partner may only speak for its own nodes.

// MAP operation codes (TS 29.002 §17.5) the baseline names.
const (
	mapUpdateLocation        = 2
	mapCancelLocation        = 3
	mapProvideRoamingNumber  = 4
	mapInsertSubscriberData  = 7
	mapDeleteSubscriberData  = 8
	mapUpdateGprsLocation    = 23
	mapPrepareHandover       = 68
	mapReset                 = 37
	mapProvideSubscriberInfo = 70
)

// mapCategory is the FS.11 category of a MAP operation received from a
// partner (mapAllowed for the operations a partner may send with only the
// cross-layer checks), or mapUnlisted.
func mapCategory(op uint32) uint8 {
	if op < uint32(len(mapCategories)) {
		return mapCategories[op]
	}
	return mapUnlisted
}

const (
	mapUnlisted = iota // not a MAP operation a partner sends (or not a MAP operation)
	mapCat1
	mapCat2
	mapCat3
	mapHandover // inter-MSC handover between networks: only under an agreement
	mapAllowed  // SMS delivery, notifications: the cross-layer checks only
)

// mapCategories: index = local operation code. Entries not listed are
// mapUnlisted, so that anything new is refused until it is classified.
var mapCategories = [128]uint8{
	// Category 1: never from the interconnect (FS.11 §5.1 and the SigFW
	// list): location and subscriber-data queries meant for the home
	// network's own nodes, identity retrieval, trace and call-handling
	// control, EIR and gsmSCF interrogation.
	5:  mapCat1, // noteSubscriberDataModified (HLR → gsmSCF)
	6:  mapCat1, // resumeCallHandling (optimal routing)
	9:  mapCat1, // sendParameters
	22: mapCat1, // sendRoutingInfo (returns the MSRN: call interception, location)
	24: mapCat1, // sendRoutingInfoForGprs
	25: mapCat1, // failureReport
	26: mapCat1, // noteMsPresentForGprs
	31: mapCat1, // provideSIWFSNumber
	32: mapCat1, // sIWFSSignallingModify
	35: mapCat1, // noteInternalHandover
	43: mapCat1, // checkIMEI
	50: mapCat1, // activateTraceMode
	51: mapCat1, // deactivateTraceMode
	52: mapCat1, // traceSubscriberActivity
	55: mapCat1, // sendIdentification (IMSI and authentication vectors from the old VLR)
	58: mapCat1, // sendIMSI
	62: mapCat1, // anyTimeSubscriptionInterrogation
	65: mapCat1, // anyTimeModification
	71: mapCat1, // anyTimeInterrogation
	73: mapCat1, // setReportingState
	74: mapCat1, // statusReport
	75: mapCat1, // remoteUserFree
	76: mapCat1, // registerCC-Entry
	77: mapCat1, // eraseCC-Entry
	83: mapCat1, // provideSubscriberLocation
	85: mapCat1, // sendRoutingInfoForLCS
	86: mapCat1, // subscriberLocationReport
	87: mapCat1, // ist-Alert
	88: mapCat1, // ist-Command
	89: mapCat1, // noteMM-Event

	// Category 2: HLR → VLR/SGSN, only for the sending network's own
	// subscribers.
	mapCancelLocation:        mapCat2,
	mapProvideRoamingNumber:  mapCat2,
	mapInsertSubscriberData:  mapCat2,
	mapDeleteSubscriberData:  mapCat2,
	mapReset:                 mapCat2,
	mapProvideSubscriberInfo: mapCat2,

	// Category 3: VLR/SGSN → HLR, only for home subscribers the sending
	// network plausibly serves.
	mapUpdateLocation:     mapCat3,
	10:                    mapCat3, // registerSS (call forwarding: interception)
	11:                    mapCat3, // eraseSS
	12:                    mapCat3, // activateSS
	13:                    mapCat3, // deactivateSS
	14:                    mapCat3, // interrogateSS
	15:                    mapCat3, // authenticationFailureReport
	17:                    mapCat3, // registerPassword
	18:                    mapCat3, // getPassword
	mapUpdateGprsLocation: mapCat3,
	46:                    mapCat3, // mo-forwardSM
	56:                    mapCat3, // sendAuthenticationInfo
	57:                    mapCat3, // restoreData
	59:                    mapCat3, // processUnstructuredSS-Request
	66:                    mapCat3, // readyForSM
	67:                    mapCat3, // purgeMS

	// Inter-MSC handover between networks.
	28:                 mapHandover, // performHandover (MAP v1)
	29:                 mapHandover, // sendEndSignal
	30:                 mapHandover, // performSubsequentHandover (MAP v1)
	33:                 mapHandover, // processAccessSignalling
	34:                 mapHandover, // forwardAccessSignalling
	mapPrepareHandover: mapHandover,
	69:                 mapHandover, // prepareSubsequentHandover

	// Allowed with the cross-layer checks: SMS delivery to and from the
	// partner's SMSCs, network-initiated USSD and SS notifications for
	// the partner's subscribers, gsmSCF notifications.
	16: mapAllowed, // notifySS
	44: mapAllowed, // mt-forwardSM
	45: mapAllowed, // sendRoutingInfoForSM
	47: mapAllowed, // reportSM-DeliveryStatus
	49: mapAllowed, // alertServiceCentreWithoutResult
	60: mapAllowed, // unstructuredSS-Request
	61: mapAllowed, // unstructuredSS-Notify
	63: mapAllowed, // informServiceCentre
	64: mapAllowed, // alertServiceCentre
	72: mapAllowed, // ss-InvocationNotification
}

func init() {
	for i := range mapRules {
		mapRules[i].Protocols = onlyMAP
	}
}

var onlyMAP = []view.Protocol{view.MAP}

// tcapContinue is the TCAP Continue message type (Q.773).
const tcapContinue = 0x65

// mapInvoke: an inbound MAP message carrying an operation (Invoke). A
// CAMEL dialogue's operations (view.FlagCAMEL) are CAP's, whose codes
// mean other things in MAP; only the cross-layer address checks apply to
// them. An unknown context's (view.FlagForeignContext) are MAP-AC-UNKNOWN's.
func mapInvoke(c *rules.Context) bool {
	return c.Inbound() && c.Msg.Request && c.Msg.Flags&(view.FlagCAMEL|view.FlagForeignContext) == 0
}

// ownedBySender reports whether a global title or E.164 node number
// belongs to the sending partner. An empty number has nothing to say.
func ownedBySender(c *rules.Context, d *view.Digits) bool {
	switch {
	case d.IsZero():
		return true
	case d.Equal(&c.Msg.CallingGT): // commonly the VLR or MSC itself
		return c.CallingGTOwner() == c.Sender
	}
	return c.Net.GTOwner(d) == c.Sender
}

// mapForeignNode: a network-node number in the argument that is not the
// sending partner's (FS.11: the VLR/MSC/SGSN/HLR a message names must be
// the sender's own). Only where the numbers are the sender's: the
// VLR→HLR operations (category 3) and reset (the partner's HLR). In the
// HLR→VLR operations they name the receiving side's nodes (the serving
// MSC of provideRoamingNumber, cancelLocation's new MSC/VLR).
func mapForeignNode(c *rules.Context) bool {
	m := c.Msg
	if cat := mapCategory(m.Code); cat != mapCat3 && m.Code != mapReset {
		return false
	}
	return !ownedBySender(c, &m.MSCNumber) || !ownedBySender(c, &m.VLRNumber) ||
		!ownedBySender(c, &m.SGSNNumber) || !ownedBySender(c, &m.HLRNumber)
}

// senderPLMN is where a partner's VLR/SGSN puts a subscriber: the
// partner's (first) PLMN.
func senderPLMN(c *rules.Context) view.PLMN {
	if c.Sender == nil || len(c.Sender.PLMNs) == 0 {
		return view.PLMN{}
	}
	return c.Sender.PLMNs[0]
}

var mapRules = []rules.Rule{
	{
		ID: "MAP-C1-OPERATION", Category: rules.Cat1, Action: rules.Reject,
		Description: "MAP operation that never crosses the interconnect: ATI/ATSI/ATM, PSL, SRI-for-LCS, SLR, SRI, SRI-for-GPRS, sendIMSI, sendIdentification, sendParameters, trace activation and the rest of FS.11 category 1",
		Match:       func(c *rules.Context) bool { return mapInvoke(c) && mapCategory(c.Msg.Code) == mapCat1 },
	},
	{
		ID: "MAP-C1-HANDOVER", Category: rules.Cat1, Action: rules.Reject,
		Description: "inter-MSC handover (prepareHandover, sendEndSignal, access signalling) from a partner without an inter-PLMN mobility agreement",
		Match: func(c *rules.Context) bool {
			return mapInvoke(c) && mapCategory(c.Msg.Code) == mapHandover && !c.Sender.InterPLMNMobility
		},
	},
	{
		ID: "MAP-C1-UNLISTED", Category: rules.Cat1, Action: rules.Reject,
		Description: "MAP operation code no partner sends (unknown, or a global operation code with no local meaning)",
		Match:       func(c *rules.Context) bool { return mapInvoke(c) && mapCategory(c.Msg.Code) == mapUnlisted },
	},
	{
		ID: "MAP-GT-HOME", Category: rules.Cat2, Action: rules.Reject,
		Description: "SCCP calling global title of the home network arriving from a partner: spoofing of a home node",
		Match: func(c *rules.Context) bool {
			m := c.Msg
			if !c.Inbound() || m.CallingGT.IsZero() {
				return false
			}
			o := c.CallingGTOwner()
			return o != nil && o.Home
		},
	},
	{
		ID: "MAP-GT-NOT-PARTNER", Category: rules.Cat2, Action: rules.Reject,
		Description: "SCCP calling global title that is not the sending partner's (another network's, or nobody's): the association and the address disagree",
		Match: func(c *rules.Context) bool {
			return c.Inbound() && !ownedBySender(c, &c.Msg.CallingGT)
		},
	},
	{
		ID: "MAP-NODE-NOT-PARTNER", Category: rules.Cat2, Action: rules.Reject,
		Description: "MSC, VLR, SGSN or HLR number in the MAP argument that is not the sending partner's: the message speaks for another network's node",
		Match:       func(c *rules.Context) bool { return mapInvoke(c) && mapForeignNode(c) },
	},
	{
		ID: "MAP-AC-UNKNOWN", Category: rules.Cat1, Action: rules.Reject,
		Description: "operation in a TCAP dialogue whose application context is neither MAP's nor CAMEL's (an unassigned MAP context, another arc): nothing the firewall can judge, and a way to slip MAP operations past a MAP filter",
		Match: func(c *rules.Context) bool {
			return c.Inbound() && c.Msg.Request && c.Msg.Flags&view.FlagForeignContext != 0
		},
	},
	{
		ID: "MAP-AC-MISMATCH", Category: rules.Cat2, Action: rules.Reject,
		Description: "the operation does not belong to the dialogue's application context — named in the message or, in a dialogue's later messages, remembered from its Begin (a filter-bypass attempt)",
		Match: func(c *rules.Context) bool {
			return mapInvoke(c) && c.Msg.Flags&view.FlagAppMismatch != 0
		},
	},
	{
		ID: "MAP-C2-HOME-IMSI", Category: rules.Cat2, Action: rules.Reject,
		Description: "HLR→VLR operation (PSI, ISD, DSD, cancelLocation, PRN) from a partner for a home subscriber: location tracking, profile manipulation, call interception",
		Match: func(c *rules.Context) bool {
			return mapInvoke(c) && mapCategory(c.Msg.Code) == mapCat2 && c.HomeIMSI()
		},
	},
	{
		ID: "MAP-C2-FOREIGN-IMSI", Category: rules.Cat2, Action: rules.Reject,
		Description: "HLR→VLR operation for a subscriber that is not the sending partner's own (or names none where one is required)",
		Match: func(c *rules.Context) bool {
			m := c.Msg
			if !mapInvoke(c) || mapCategory(m.Code) != mapCat2 || c.HomeIMSI() {
				return false
			}
			if m.IMSI.IsZero() {
				// reset names an HLR, not a subscriber (checked by
				// MAP-NODE-NOT-PARTNER). Within a dialogue (a Continue:
				// the partner HLR's insertSubscriberData during the home
				// VLR's updateLocation) the subscriber is the dialogue's,
				// and TS 29.002 §8.8.1 leaves the IMSI out; a dialogue's
				// first message must name it.
				return m.Code != mapReset && m.TCAPType != tcapContinue
			}
			return c.IMSIOwner() != c.Sender
		},
	},
	{
		ID: "MAP-C3-NOT-HOME-SUB", Category: rules.Cat3, Action: rules.Reject,
		Description: "VLR→HLR operation (updateLocation, SAI, purgeMS, SS, USSD, MO-SMS...) from a partner for a subscriber that is not a home subscriber",
		Match: func(c *rules.Context) bool {
			m := c.Msg
			if !mapInvoke(c) || mapCategory(m.Code) != mapCat3 {
				return false
			}
			if !m.IMSI.IsZero() {
				return !c.HomeIMSI()
			}
			// Operations that name the subscriber by MSISDN (mo-forwardSM's
			// sender, USSD) must name a home number.
			if !m.MSISDN.IsZero() {
				o := c.Net.GTOwner(&m.MSISDN)
				return o == nil || !o.Home
			}
			return false
		},
	},
	{
		ID: "MAP-C3-VELOCITY", Category: rules.Cat3, Action: rules.Reject,
		Description: "updateLocation / updateGprsLocation from a network the subscriber cannot have reached since it was last seen (impossible travel)",
		Match: func(c *rules.Context) bool {
			m := c.Msg
			return mapInvoke(c) && (m.Code == mapUpdateLocation || m.Code == mapUpdateGprsLocation) &&
				c.HomeIMSI() && implausibleMove(c, senderPLMN(c))
		},
	},
	{
		ID: "MAP-C3-NOT-SERVING", Category: rules.Cat3, Action: rules.Reject,
		Description: "purgeMS, supplementary-service or USSD operation from a partner other than the one where the subscriber is registered (e.g. call forwarding registered from a fake VLR)",
		Match: func(c *rules.Context) bool {
			m := c.Msg
			if !mapInvoke(c) || mapCategory(m.Code) != mapCat3 || !c.HomeIMSI() {
				return false
			}
			switch m.Code {
			case mapUpdateLocation, mapUpdateGprsLocation, 56, 15: // these establish or precede registration
				return false
			}
			last, ok := c.LastLocation()
			return ok && last.Partner != c.Sender.Name
		},
	},
}
