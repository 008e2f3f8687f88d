package baseline

import (
	"time"

	"breakwater/firewall/geo"
	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

// implausibleMove reports whether the message's subscriber cannot have
// reached network `to` from where it was last seen in the time elapsed,
// travelling at the configured maximum speed. Distances are the minimum
// between the two countries' territories, so neighbours are always
// plausible and the check errs towards allowing. Unknown history, an
// unknown country, or the same PLMN are plausible.
func implausibleMove(c *rules.Context, to view.PLMN) bool {
	if to.IsZero() {
		return false
	}
	last, ok := c.LastLocation()
	if !ok || last.PLMN == to || last.PLMN.MCC == to.MCC {
		return false
	}
	km, ok := geo.MinDistanceKm(last.PLMN.MCC, to.MCC)
	if !ok || km == 0 {
		return false
	}
	elapsed := c.Msg.Time.Sub(last.Time)
	if elapsed < 0 {
		elapsed = 0
	}
	needed := time.Duration(km / c.Config.Velocity.MaxSpeedKmh * float64(time.Hour))
	return elapsed < needed
}
