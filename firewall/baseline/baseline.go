// Package baseline holds Breakwater's built-in rules: the structural guards
// every message passes first and the GSMA baseline (FS.11 for SS7, FS.19 for
// Diameter, FS.20 for GTP-C) expressed as Go predicates over the message
// view. Each rule has a stable id that rule files use to disable it or to
// change its action.
package baseline

import (
	"breakwater/firewall/rules"
)

// Rules returns fresh copies of every baseline rule, guards first, in
// evaluation order.
func Rules() []*rules.Rule {
	var out []*rules.Rule
	for _, group := range [][]rules.Rule{guards, diameterRules, gtpRules, mapRules} {
		for i := range group {
			r := group[i]
			r.Origin = "baseline"
			out = append(out, &r)
		}
	}
	return out
}

// guards run before any custom or baseline rule, for every protocol.
var guards = []rules.Rule{
	{
		ID: "SRC-UNKNOWN", Category: rules.Source, Tier: rules.TierGuard, Action: rules.Drop, From: rules.FromUnknown,
		Description: "the source address belongs neither to the home network nor to a configured partner",
		Match:       func(c *rules.Context) bool { return c.Sender == nil },
	},
	{
		ID: "MALFORMED", Category: rules.Malformed, Tier: rules.TierGuard, Action: rules.Drop,
		Description: "the message could not be parsed completely; it is never guessed at",
		Match:       func(c *rules.Context) bool { return c.Msg.Malformed != "" },
	},
	{
		ID: "IDENTITY-AMBIGUOUS", Category: rules.Malformed, Tier: rules.TierGuard, Action: rules.Drop,
		Description: "a subscriber identity appears twice or in conflicting forms, so the receiver might act on a different one than the firewall checked",
		Match:       func(c *rules.Context) bool { return c.Msg.IdentityConflict },
	},
}
