package rules

import (
	"sync/atomic"
	"time"

	"breakwater/protocols/view"
)

// MaxLogged bounds how many "log" hits one verdict records.
const MaxLogged = 4

// Result is a Set's decision on one message.
type Result struct {
	Action Action
	Rule   *Rule // the rule that decided; never nil
	Logged [MaxLogged]*Rule
	NLog   int
}

// DefaultRule decides when no rule matched.
var DefaultRule = &Rule{
	ID: "default", Category: None, Action: Allow, Origin: "built-in",
	Description: "no rule matched: the message is allowed",
}

// Set is an immutable, ordered collection of compiled rules.
type Set struct {
	// Rules lists every enabled rule in evaluation order.
	Rules []*Rule
	// Disabled lists baseline rules the rule file switched off.
	Disabled []*Rule
	// Version identifies the set: a hash of the rule file and the baseline.
	Version  string
	LoadedAt time.Time
	// Source is the rule file, "" for the baseline alone.
	Source string

	// hits counts decisions and log hits per rule; the last slot counts
	// the default rule.
	hits []atomic.Uint64

	// index holds, per protocol and sender kind, the rules to evaluate.
	index [view.MAP + 1][3][]*Rule
}

// senderKinds in index order.
var senderKinds = [3]Senders{FromPartner, FromHome, FromUnknown}

func senderIndex(c *Context) int {
	switch {
	case c.Sender == nil:
		return 2
	case c.Sender.Home:
		return 1
	}
	return 0
}

// NewSet orders rules by tier (stable within a tier) and indexes them by
// protocol so evaluation skips rules that cannot apply.
func NewSet(rs []*Rule) *Set {
	s := &Set{}
	for _, tier := range []Tier{TierGuard, TierCustom, TierBaseline} {
		for _, r := range rs {
			if r.Tier == tier {
				r.Index = len(s.Rules)
				s.Rules = append(s.Rules, r)
			}
		}
	}
	s.hits = make([]atomic.Uint64, len(s.Rules)+1)
	for p := view.ProtoUnknown; p <= view.MAP; p++ {
		for k, kind := range senderKinds {
			for _, r := range s.Rules {
				if r.AppliesTo(p) && r.AppliesFrom(kind) {
					s.index[p][k] = append(s.index[p][k], r)
				}
			}
		}
	}
	return s
}

// Evaluate judges the message in c.
func (s *Set) Evaluate(c *Context) Result {
	var res Result
	p := c.Msg.Protocol
	if int(p) >= len(s.index) {
		p = view.ProtoUnknown
	}
	for _, r := range s.index[p][senderIndex(c)] {
		if !r.Match(c) {
			continue
		}
		if r.Action == Log {
			if res.NLog < MaxLogged {
				res.Logged[res.NLog] = r
				res.NLog++
			}
			continue
		}
		res.Action, res.Rule = r.Action, r
		return res
	}
	res.Action, res.Rule = Allow, DefaultRule
	return res
}

// Hit counts a decision (or log hit) by r, a rule of this set or DefaultRule.
func (s *Set) Hit(r *Rule) {
	if r == DefaultRule {
		s.hits[len(s.Rules)].Add(1)
		return
	}
	if r.Index < len(s.Rules) && s.Rules[r.Index] == r {
		s.hits[r.Index].Add(1)
	}
}

// Hits returns the count for r (DefaultRule included).
func (s *Set) Hits(r *Rule) uint64 {
	if r == DefaultRule {
		return s.hits[len(s.Rules)].Load()
	}
	if r.Index < len(s.Rules) && s.Rules[r.Index] == r {
		return s.hits[r.Index].Load()
	}
	return 0
}

// Find returns the enabled rule with that id, or nil.
func (s *Set) Find(id string) *Rule {
	for _, r := range s.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}
