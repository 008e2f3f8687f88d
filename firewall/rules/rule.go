// Package rules is the firewall's policy language: the Rule model, the
// ordered rule Set that judges a message, the expression compiler for
// operators' own rules, and the rule-file loader.
//
// A Set evaluates in three tiers: guard rules (unknown sender, malformed
// message, ambiguous identity) first, so that no custom rule can wave
// through something the engine cannot interpret; then the operator's rules
// in file order; then the built-in GSMA baseline. The first rule that
// matches with a terminal action (allow, drop, reject) decides; "log" rules
// record a hit and evaluation continues. When nothing decides, the message
// is allowed by the "default" rule.
package rules

import (
	"fmt"

	"breakwater/protocols/view"
)

// Action is what happens to a message a rule matched.
type Action uint8

const (
	Allow  Action = iota + 1 // forward it
	Drop                     // discard it silently
	Reject                   // discard it and answer with a protocol error
	Log                      // record the hit and keep evaluating
)

var actionNames = [...]string{"", "allow", "drop", "reject", "log"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", a)
}

// Blocks reports whether the action stops the message.
func (a Action) Blocks() bool { return a == Drop || a == Reject }

// ParseAction is the inverse of String.
func ParseAction(s string) (Action, bool) {
	for i, n := range actionNames {
		if i > 0 && n == s {
			return Action(i), true
		}
	}
	return 0, false
}

// Category groups rules the way GSMA FS.11/FS.19 do, plus Breakwater's own
// classes for messages that cannot be judged on content.
type Category string

const (
	Cat1      Category = "1"         // never legitimate from the interconnect
	Cat2      Category = "2"         // only for the sender's own subscribers / consistent with the sender
	Cat3      Category = "3"         // only when the subscriber's location is plausible
	Malformed Category = "malformed" // cannot be parsed or is ambiguous
	Source    Category = "source"    // sender not identifiable
	Other     Category = "other"     // operator rules outside the GSMA categories
	None      Category = "none"      // the default verdict
)

// ParseCategory accepts the categories an operator may give a rule.
func ParseCategory(s string) (Category, bool) {
	switch c := Category(s); c {
	case Cat1, Cat2, Cat3, Malformed, Source, Other:
		return c, true
	}
	return "", false
}

// Tier orders rules within a Set.
type Tier uint8

const (
	TierGuard    Tier = iota // structural checks that run before anything else
	TierCustom               // the operator's rules, in file order
	TierBaseline             // the GSMA baseline
)

// Senders selects messages by who sent them; rules are indexed by it so a
// message is only checked against rules that can apply to its sender.
type Senders uint8

const (
	FromPartner Senders = 1 << iota // an interconnect partner (inbound)
	FromHome                        // the home network (outbound)
	FromUnknown                     // an address nobody owns
	FromAny     = FromPartner | FromHome | FromUnknown
)

var senderNames = []struct {
	s    Senders
	name string
}{{FromPartner, "partner"}, {FromHome, "home"}, {FromUnknown, "unknown"}}

// String lists the senders ("partner,home"), "any" for all.
func (s Senders) String() string {
	if s == 0 || s == FromAny {
		return "any"
	}
	var out []byte
	for _, n := range senderNames {
		if s&n.s != 0 {
			if len(out) > 0 {
				out = append(out, ',')
			}
			out = append(out, n.name...)
		}
	}
	return string(out)
}

// ParseSender accepts "partner", "home" and "unknown".
func ParseSender(name string) (Senders, bool) {
	for _, n := range senderNames {
		if n.name == name {
			return n.s, true
		}
	}
	return 0, false
}

// Rule is one compiled rule.
type Rule struct {
	ID          string
	Category    Category
	Tier        Tier
	Protocols   []view.Protocol // nil: every protocol
	From        Senders         // 0: any sender
	Description string
	Action      Action
	// ResultCode answers a rejected message (Diameter Result-Code, GTP
	// cause, ...); 0 selects the protocol's default.
	ResultCode uint32
	// Origin says where the rule came from: "baseline" or "file:line".
	Origin string
	// Expr is the source of a custom rule's match expression.
	Expr string
	// Match reports whether the rule applies to the message in c.
	Match func(c *Context) bool
	// Index is the rule's position in its Set (for hit counters).
	Index int
}

// AppliesTo reports whether the rule is evaluated for protocol p.
func (r *Rule) AppliesTo(p view.Protocol) bool {
	if len(r.Protocols) == 0 {
		return true
	}
	for _, q := range r.Protocols {
		if q == p {
			return true
		}
	}
	return false
}

// AppliesFrom reports whether the rule is evaluated for sender kind k.
func (r *Rule) AppliesFrom(k Senders) bool { return r.From == 0 || r.From&k != 0 }

// clone returns a copy a loader can modify (override the action) without
// touching the baseline's definition.
func (r *Rule) clone() *Rule {
	c := *r
	return &c
}
