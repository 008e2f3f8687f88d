package rules

import (
	"unsafe"

	"breakwater/firewall/network"
	"breakwater/protocols/view"
)

// kind is the type of an expression value.
type kind uint8

const (
	kBool kind = iota + 1
	kInt
	kString
)

func (k kind) String() string {
	switch k {
	case kBool:
		return "bool"
	case kInt:
		return "int"
	case kString:
		return "string"
	}
	return "?"
}

// Variable documents one name a rule expression can use.
type Variable struct {
	Name string
	Type string
	Doc  string
}

type variable struct {
	name string
	kind kind
	doc  string
	b    func(*Context) bool
	i    func(*Context) int64
	s    func(*Context) string
}

// bstr views message bytes as a string without copying. The string is
// valid only while the message buffer is, which outlives every rule
// evaluation; compiled rules only compare it and never keep it.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func memberName(m *network.Member) string {
	if m == nil {
		return ""
	}
	return m.Name
}

// plmnString formats p into buf, which must outlive the returned string:
// the Context provides one buffer per variable.
func plmnString(p view.PLMN, buf *[6]byte) string {
	return bstr(p.AppendDigits(buf[:0]))
}

// variables is the environment of rule expressions. Its docs feed
// `breakwater rules vars` and README.
var variables = []variable{
	{name: "proto", kind: kString, doc: `protocol: "diameter", "gtpv1c", "gtpv2c" or "map"`,
		s: func(c *Context) string { return c.Msg.Protocol.String() }},
	{name: "inbound", kind: kBool, doc: "the message comes from an interconnect partner",
		b: func(c *Context) bool { return c.Inbound() }},
	{name: "outbound", kind: kBool, doc: "the message comes from the home network",
		b: func(c *Context) bool { return c.Outbound() }},
	{name: "sender", kind: kString, doc: `"home", "partner" or "unknown" (by source address)`,
		s: func(c *Context) string {
			switch {
			case c.Sender == nil:
				return "unknown"
			case c.Sender.Home:
				return "home"
			}
			return "partner"
		}},
	{name: "partner", kind: kString, doc: `name of the sending partner, "home", or "" when unknown`,
		s: func(c *Context) string { return memberName(c.Sender) }},
	{name: "receiver", kind: kString, doc: `name of the network owning the destination address, or ""`,
		s: func(c *Context) string { return memberName(c.Receiver) }},
	{name: "request", kind: kBool, doc: "the message is a request (Diameter R bit, GTP request, TCAP Invoke)",
		b: func(c *Context) bool { return c.Msg.Request }},
	{name: "app", kind: kInt, doc: "Diameter Application-Id (0 for other protocols)",
		i: func(c *Context) int64 { return int64(c.Msg.App) }},
	{name: "app_name", kind: kString, doc: `Diameter application name: "S6a", "Sh", "Gx", ... ("" when unknown)`,
		s: func(c *Context) string { return appName(c.Msg) }},
	{name: "code", kind: kInt, doc: "Diameter command code, GTP message type or MAP operation code",
		i: func(c *Context) int64 { return int64(c.Msg.Code) }},
	{name: "op", kind: kString, doc: `short operation name: "ULR", "IDA", "CreateSessionRequest", "updateLocation"`,
		s: func(c *Context) string { return c.Msg.Op }},
	{name: "imsi", kind: kString, doc: "subscriber IMSI digits, or \"\"",
		s: func(c *Context) string { return bstr(c.Msg.IMSI.Bytes()) }},
	{name: "msisdn", kind: kString, doc: "subscriber MSISDN digits, or \"\"",
		s: func(c *Context) string { return bstr(c.Msg.MSISDN.Bytes()) }},
	{name: "home_imsi", kind: kBool, doc: "the IMSI belongs to a home PLMN",
		b: func(c *Context) bool { return c.HomeIMSI() }},
	{name: "imsi_owner", kind: kString, doc: `network owning the IMSI's PLMN: "home", a partner name, or ""`,
		s: func(c *Context) string { return memberName(c.IMSIOwner()) }},
	{name: "sender_imsi", kind: kBool, doc: "the IMSI belongs to the sending partner's PLMNs",
		b: func(c *Context) bool { o := c.IMSIOwner(); return o != nil && o == c.Sender }},
	{name: "visited_plmn", kind: kString, doc: "Visited-PLMN-Id / serving network as MCC+MNC digits, or \"\"",
		s: func(c *Context) string { return plmnString(c.Msg.VisitedPLMN, &c.visitedBuf) }},
	{name: "visited_plmn_owner", kind: kString, doc: "network owning the visited PLMN, or \"\"",
		s: func(c *Context) string {
			if c.Msg.VisitedPLMN.IsZero() {
				return ""
			}
			return memberName(c.Net.PLMNOwner(c.Msg.VisitedPLMN))
		}},
	{name: "origin_host", kind: kString, doc: "Diameter Origin-Host",
		s: func(c *Context) string { return bstr(c.Msg.OriginHost) }},
	{name: "origin_realm", kind: kString, doc: "Diameter Origin-Realm",
		s: func(c *Context) string { return bstr(c.Msg.OriginRealm) }},
	{name: "origin_realm_owner", kind: kString, doc: "network owning the Origin-Realm, or \"\"",
		s: func(c *Context) string { return memberName(c.OriginRealmOwner()) }},
	{name: "dest_host", kind: kString, doc: "Diameter Destination-Host",
		s: func(c *Context) string { return bstr(c.Msg.DestHost) }},
	{name: "dest_realm", kind: kString, doc: "Diameter Destination-Realm",
		s: func(c *Context) string { return bstr(c.Msg.DestRealm) }},
	{name: "calling_gt", kind: kString, doc: "SCCP calling-party global title digits",
		s: func(c *Context) string { return bstr(c.Msg.CallingGT.Bytes()) }},
	{name: "called_gt", kind: kString, doc: "SCCP called-party global title digits",
		s: func(c *Context) string { return bstr(c.Msg.CalledGT.Bytes()) }},
	{name: "calling_gt_owner", kind: kString, doc: "network owning the calling GT, or \"\"",
		s: func(c *Context) string { return memberName(c.Net.GTOwner(&c.Msg.CallingGT)) }},
	{name: "result_code", kind: kInt, doc: "answer's Result-Code / Experimental-Result-Code / GTP cause (0 when absent)",
		i: func(c *Context) int64 { return int64(c.Msg.ResultCode) }},
	{name: "location_request", kind: kBool, doc: "the message asks for the subscriber's location (IDR-Flags, Sh Data-Reference, ...)",
		b: func(c *Context) bool { return c.Msg.Flags&view.FlagLocationRequest != 0 }},
	{name: "state_request", kind: kBool, doc: "the message asks for the subscriber's state",
		b: func(c *Context) bool { return c.Msg.Flags&view.FlagStateRequest != 0 }},
	{name: "app_mismatch", kind: kBool, doc: "the header's application differs from the one declared in the body",
		b: func(c *Context) bool { return c.Msg.Flags&view.FlagAppMismatch != 0 }},
	{name: "camel", kind: kBool, doc: "SS7: the TCAP dialogue is a CAMEL (CAP) one: code and op are CAP's",
		b: func(c *Context) bool { return c.Msg.Flags&view.FlagCAMEL != 0 }},
	{name: "malformed", kind: kBool, doc: "the message could not be fully parsed",
		b: func(c *Context) bool { return c.Msg.Malformed != "" }},
	{name: "identity_conflict", kind: kBool, doc: "an identity appears twice or in conflicting forms",
		b: func(c *Context) bool { return c.Msg.IdentityConflict }},
	{name: "last_seen_plmn", kind: kString, doc: "PLMN where the subscriber was last seen (Cat 3 state), or \"\"",
		s: func(c *Context) string {
			loc, ok := c.LastLocation()
			if !ok {
				return ""
			}
			return plmnString(loc.PLMN, &c.lastSeenBuf)
		}},
	{name: "last_seen_partner", kind: kString, doc: "partner that last reported the subscriber, or \"\"",
		s: func(c *Context) string {
			loc, ok := c.LastLocation()
			if !ok {
				return ""
			}
			return loc.Partner
		}},
}

// Variables documents the expression environment.
func Variables() []Variable {
	out := make([]Variable, 0, len(variables)+len(functions))
	for _, v := range variables {
		out = append(out, Variable{Name: v.name, Type: v.kind.String(), Doc: v.doc})
	}
	for _, f := range functions {
		out = append(out, Variable{Name: f.signature, Type: f.result.String(), Doc: f.doc})
	}
	return out
}

func lookupVariable(name string) *variable {
	for i := range variables {
		if variables[i].name == name {
			return &variables[i]
		}
	}
	return nil
}
