package rules

import (
	"breakwater/firewall/config"
	"breakwater/firewall/network"
	"breakwater/firewall/state"
	"breakwater/protocols/view"
)

// Context is everything a rule may look at while judging one message. The
// engine builds it on the stack for each message.
type Context struct {
	Msg *view.Message
	// Sender is the network the message came from (by source address),
	// nil when the source belongs to nobody configured.
	Sender *network.Member
	// Receiver is the network of the destination address, if known.
	Receiver *network.Member
	Net      *network.Network
	State    state.Store
	Config   *config.Config

	// Lazily computed facts several rules ask for.
	imsiKnown        bool
	imsiOwner        *network.Member
	originRealmKnown bool
	originRealmOwner *network.Member
	callingGTKnown   bool
	callingGTOwner   *network.Member
	imsiKeyKnown     bool
	imsiKeyOK        bool
	imsiKey          uint64
	lastKnown        bool
	lastFound        bool
	last             state.Location

	// Buffers that back PLMN strings handed to compiled expressions.
	visitedBuf, lastSeenBuf [6]byte
}

// Inbound reports whether the message comes from an interconnect partner.
func (c *Context) Inbound() bool { return c.Sender != nil && !c.Sender.Home }

// Outbound reports whether the message comes from the home network.
func (c *Context) Outbound() bool { return c.Sender != nil && c.Sender.Home }

// IMSIOwner is the network whose PLMN prefixes the message's IMSI, or nil.
func (c *Context) IMSIOwner() *network.Member {
	if !c.imsiKnown {
		c.imsiKnown = true
		if !c.Msg.IMSI.IsZero() {
			c.imsiOwner = c.Net.IMSIOwner(&c.Msg.IMSI)
		}
	}
	return c.imsiOwner
}

// CallingGTOwner is the network whose global-title prefixes the SCCP
// calling party's global title, or nil (several MAP rules ask).
func (c *Context) CallingGTOwner() *network.Member {
	if !c.callingGTKnown {
		c.callingGTKnown = true
		if !c.Msg.CallingGT.IsZero() {
			c.callingGTOwner = c.Net.GTOwner(&c.Msg.CallingGT)
		}
	}
	return c.callingGTOwner
}

// OriginRealmOwner is the network that lists the Diameter Origin-Realm,
// or nil.
func (c *Context) OriginRealmOwner() *network.Member {
	if !c.originRealmKnown {
		c.originRealmKnown = true
		c.originRealmOwner = c.Net.RealmOwner(c.Msg.OriginRealm)
	}
	return c.originRealmOwner
}

// HomeIMSI reports whether the message concerns a home subscriber.
func (c *Context) HomeIMSI() bool {
	o := c.IMSIOwner()
	return o != nil && o.Home
}

// SenderName is the sender's name, "" when unknown.
func (c *Context) SenderName() string {
	if c.Sender == nil {
		return ""
	}
	return c.Sender.Name
}

// IMSIKey is the message's IMSI as a state key (view.Digits.Uint64).
func (c *Context) IMSIKey() (uint64, bool) {
	if !c.imsiKeyKnown {
		c.imsiKeyKnown = true
		c.imsiKey, c.imsiKeyOK = c.Msg.IMSI.Uint64()
	}
	return c.imsiKey, c.imsiKeyOK
}

// LastLocation returns where the message's subscriber was last seen (read
// once per message).
func (c *Context) LastLocation() (state.Location, bool) {
	if !c.lastKnown {
		c.lastKnown = true
		if key, ok := c.IMSIKey(); ok && c.State != nil {
			c.last, c.lastFound = c.State.Location(key, c.Msg.Time)
		}
	}
	return c.last, c.lastFound
}
