package capture

import (
	"math"
	"time"
)

// stamp is a capture timestamp as the file gives it: seconds since the
// Unix epoch and nanoseconds (normalised to [0, 1e9)). The Reader keeps
// its clock in stamps and makes a time.Time only for what it hands out (a
// message, a Problem): most packets of a capture are never delivered, and
// building and comparing time.Time values cost a tenth of reading one.
type stamp struct {
	sec, nsec int64
}

// noStamp is the timestamp of a record that has none (a pcapng Simple
// Packet Block): time.Time{} when handed out, and before every other.
var noStamp = stamp{sec: math.MinInt64}

// newStamp normalises nsec as time.Unix does.
func newStamp(sec, nsec int64) stamp {
	if nsec < 0 || nsec >= 1e9 {
		q := nsec / 1e9
		nsec -= q * 1e9
		if nsec < 0 {
			nsec += 1e9
			q--
		}
		sec = satAdd(sec, q)
	}
	return stamp{sec, nsec}
}

// time is the stamp as a time.Time, in UTC.
func (s stamp) time() time.Time {
	if s == noStamp {
		return time.Time{}
	}
	return time.Unix(s.sec, s.nsec).UTC()
}

func (s stamp) after(t stamp) bool  { return s.sec > t.sec || s.sec == t.sec && s.nsec > t.nsec }
func (s stamp) before(t stamp) bool { return t.after(s) }

// minus is s-d (d >= 0), saturating instead of wrapping around.
func (s stamp) minus(d time.Duration) stamp {
	return newStamp(satAdd(s.sec, -int64(d/time.Second)), s.nsec-int64(d%time.Second))
}

// satAdd is a+b, clamped to the int64 range.
func satAdd(a, b int64) int64 {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return c
}
