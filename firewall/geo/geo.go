// Package geo says where a mobile network is, for velocity ("impossible
// travel") checks: a subscriber last seen in one PLMN and now claimed by
// another cannot have moved faster than an aircraft between them.
//
// A network is located by its MCC (E.212 mobile country code). Each MCC maps
// to a country or territory, and each country to one or more geographic
// bounding boxes (data.go). MinDistanceKm returns the minimum great-circle
// distance between the boxes of two MCCs: it never over-estimates the
// distance between any two places in the two countries, so a velocity check
// built on it can only err on the lenient side. Neighbours, and countries
// whose boxes touch or overlap, are 0 km apart.
//
// MCCs that denote no place (test networks, 901 international/satellite and
// the like) report ok=false, and callers should skip the check.
//
// Everything is precomputed at package initialisation; lookups and distances
// are O(1), safe for concurrent use and do not allocate.
package geo

import "math"

// EarthRadiusKm is the mean Earth radius (IUGG) used for all distances.
const EarthRadiusKm = 6371.0088

// Box is a latitude/longitude bounding box in degrees. Latitudes are in
// [-90, 90], longitudes in [-180, 180], MinLat <= MaxLat. A box with
// MinLon > MaxLon wraps across the antimeridian: it covers longitudes from
// MinLon east to 180 and from -180 east to MaxLon.
type Box struct {
	MinLat, MinLon, MaxLat, MaxLon float64
}

// Wraps reports whether the box crosses the antimeridian.
func (b Box) Wraps() bool { return b.MinLon > b.MaxLon }

// Contains reports whether the point (lat, lon), in degrees, is in the box.
func (b Box) Contains(lat, lon float64) bool {
	if lat < b.MinLat || lat > b.MaxLat {
		return false
	}
	if b.Wraps() {
		return lon >= b.MinLon || lon <= b.MaxLon
	}
	return lon >= b.MinLon && lon <= b.MaxLon
}

// Country is the country or territory an MCC belongs to.
type Country struct {
	Code string // ISO 3166-1 alpha-2, e.g. "GB"
	Name string // English short name, e.g. "United Kingdom"
	id   uint8  // index in regions + 1; 0 for the zero Country
}

// NumBoxes returns how many bounding boxes describe the country (most have
// one; countries with distant territories served by the same MCC have more).
func (c Country) NumBoxes() int {
	if c.id == 0 {
		return 0
	}
	r := &regionIdx[c.id-1]
	return int(r.end - r.start)
}

// Box returns the i-th bounding box, 0 <= i < NumBoxes.
func (c Country) Box(i int) Box {
	r := &regionIdx[c.id-1]
	if i < 0 || i >= int(r.end-r.start) {
		panic("geo: box index out of range")
	}
	return boxes[int(r.start)+i].box
}

// Contains reports whether the point (lat, lon), in degrees, is inside one
// of the country's boxes.
func (c Country) Contains(lat, lon float64) bool {
	for i := range c.NumBoxes() {
		if c.Box(i).Contains(lat, lon) {
			return true
		}
	}
	return false
}

// ByMCC returns the country of an MCC. It returns false when the MCC is not
// assigned, or is assigned but denotes no geographic location (001, 901,
// 902, 991, 999).
func ByMCC(mcc uint16) (Country, bool) {
	if mcc >= uint16(len(mccRegion)) {
		return Country{}, false
	}
	id := mccRegion[mcc]
	if id == 0 || id == nonGeographic {
		return Country{}, false
	}
	r := &regions[id-1]
	return Country{Code: r.code, Name: r.name, id: id}, true
}

// IsAssigned reports whether the MCC is assigned in E.212 (or in de-facto
// use), whether or not it has a location. A firewall may treat an unassigned
// MCC as suspicious in itself.
func IsAssigned(mcc uint16) bool {
	return mcc < uint16(len(mccRegion)) && mccRegion[mcc] != 0
}

// MinDistanceKm returns the minimum great-circle distance, in km, between
// the countries of two MCCs: the smallest distance between any point of a
// bounding box of one and any point of a bounding box of the other. It is 0
// for the same country and for touching or overlapping boxes. ok is false
// when either MCC has no location (see ByMCC).
func MinDistanceKm(a, b uint16) (km float64, ok bool) {
	if a >= uint16(len(mccRegion)) || b >= uint16(len(mccRegion)) {
		return 0, false
	}
	ia, ib := mccRegion[a], mccRegion[b]
	if ia == 0 || ia == nonGeographic || ib == 0 || ib == nonGeographic {
		return 0, false
	}
	return regionAngle(ia, ib) * EarthRadiusKm, true
}

// regionAngle returns the minimum central angle (radians) between two
// regions, given as index + 1: the minimum over all pairs of their boxes.
// It works with cosines (larger is nearer) and takes one arccosine at the end.
func regionAngle(ia, ib uint8) float64 {
	if ia == ib {
		return 0
	}
	ra, rb := &regionIdx[ia-1], &regionIdx[ib-1]
	best := -1.0 // cosine of the smallest angle so far
	for i := ra.start; i < ra.end; i++ {
		for j := rb.start; j < rb.end; j++ {
			a, b := &boxes[i], &boxes[j]
			// The latitude gap is a lower bound of the angle: skip pairs
			// that cannot beat the best so far.
			if latGapCos(a, b) <= best {
				continue
			}
			c := boxCos(a, b)
			if c >= 1 {
				return 0
			}
			best = max(best, c)
		}
	}
	return math.Acos(best)
}

// BoxDistanceKm returns the minimum great-circle distance, in km, between
// two boxes (0 if they touch or overlap). It is the primitive behind
// MinDistanceKm, for callers with their own areas; it does not allocate.
func BoxDistanceKm(a, b Box) float64 {
	pa, pb := prepare(a), prepare(b)
	c := boxCos(&pa, &pb)
	if c >= 1 {
		return 0
	}
	return math.Acos(c) * EarthRadiusKm
}

// pbox is a Box with the trigonometry precomputed.
type pbox struct {
	box                        Box
	loLat, hiLat               float64    // radians
	sinLo, cosLo, sinHi, cosHi float64    // of loLat, hiLat
	lonStart, lonWidth         float64    // degrees; the box spans [lonStart, lonStart+lonWidth] mod 360
	edgeLon                    [2]float64 // degrees: west (MinLon) and east (MaxLon) meridian edges
	edgeSin, edgeCos           [2]float64 // of edgeLon
}

func prepare(b Box) pbox {
	p := pbox{box: b}
	p.loLat = b.MinLat * math.Pi / 180
	p.hiLat = b.MaxLat * math.Pi / 180
	p.sinLo, p.cosLo = math.Sincos(p.loLat)
	p.sinHi, p.cosHi = math.Sincos(p.hiLat)
	p.lonStart = b.MinLon
	p.lonWidth = b.MaxLon - b.MinLon
	if p.lonWidth < 0 {
		p.lonWidth += 360
	}
	p.edgeLon = [2]float64{b.MinLon, b.MaxLon}
	p.edgeSin[0], p.edgeCos[0] = math.Sincos(b.MinLon * math.Pi / 180)
	p.edgeSin[1], p.edgeCos[1] = math.Sincos(b.MaxLon * math.Pi / 180)
	return p
}

// lonOverlap reports whether the longitude ranges of two boxes share at
// least one meridian (taking wrap-around into account).
func lonOverlap(a, b *pbox) bool {
	d := b.lonStart - a.lonStart // where b starts, east of a's start
	if d < 0 {
		d += 360
	}
	if d <= a.lonWidth {
		return true
	}
	d = 360 - d // where a starts, east of b's start
	if d >= 360 {
		d -= 360
	}
	return d <= b.lonWidth
}

// latGapCos returns the cosine of the latitude gap between two boxes (1 if
// their latitude ranges overlap). The gap is a lower bound of the central
// angle between any two of their points, since
// cos d = sinφ1 sinφ2 + cosφ1 cosφ2 cosΔλ <= cos(φ1-φ2).
func latGapCos(a, b *pbox) float64 {
	switch {
	case b.loLat > a.hiLat:
		return b.cosLo*a.cosHi + b.sinLo*a.sinHi // cos(b.lo - a.hi)
	case a.loLat > b.hiLat:
		return a.cosLo*b.cosHi + a.sinLo*b.sinHi
	}
	return 1
}

// boxCos returns the cosine of the minimum central angle between two boxes
// (1 when they touch or overlap).
//
// The algorithm is exact:
//
//   - If the longitude ranges overlap, some meridian crosses both boxes. The
//     central angle between two points is at least their latitude difference
//     (see latGapCos), with equality on a common meridian, so the answer is
//     the latitude gap (0 if the latitude ranges overlap too).
//
//   - Otherwise, for any point P of A, the nearest point of B lies on one of
//     B's two meridian edges: at a fixed latitude the distance grows with
//     |Δλ| (up to 180°), and P's longitude is outside B's range. By symmetry
//     the nearest pair lies on a meridian edge of each box. Both edges are
//     arcs of great circles; the only interior critical point of the distance
//     between two meridian arcs is on the equator and is a saddle, so the
//     minimum has an endpoint of one arc and the nearest point of the other
//     arc (found in closed form, see pointArcMaxCos).
//
//     Which edges: for a point on an edge of A, the nearer edge of B at every
//     latitude is the one at the smaller longitude difference, so the
//     nearest pair is an edge of A with its nearer edge of B; that leaves
//     two edge pairs to evaluate.
func boxCos(a, b *pbox) float64 {
	if lonOverlap(a, b) {
		return latGapCos(a, b)
	}
	best := -1.0 // largest cosine of the central angle seen
	for i := range 2 {
		j := 0
		if lonDist(a.edgeLon[i], b.edgeLon[1]) < lonDist(a.edgeLon[i], b.edgeLon[0]) {
			j = 1
		}
		c := a.edgeCos[i]*b.edgeCos[j] + a.edgeSin[i]*b.edgeSin[j] // cos Δλ
		best = max(best,
			pointArcMaxCos(a.sinLo, a.cosLo, c, b),
			pointArcMaxCos(a.sinHi, a.cosHi, c, b),
			pointArcMaxCos(b.sinLo, b.cosLo, c, a),
			pointArcMaxCos(b.sinHi, b.cosHi, c, a))
	}
	return min(best, 1)
}

// lonDist returns the difference between two longitudes, in degrees, the
// short way round: in [0, 180].
func lonDist(x, y float64) float64 {
	d := math.Abs(x - y) // < 360 for longitudes in [-180, 180]
	if d > 180 {
		d = 360 - d
	}
	return d
}

// pointArcMaxCos returns the largest cos(central angle) between a point at
// latitude φ (given as sinφ, cosφ) and the points of a meridian arc spanning
// the latitudes of box s, at longitude difference Δλ (given as cosΔλ).
//
// Along the meridian, cos d(θ) = sinφ sinθ + cosφ cosΔλ cosθ = A sinθ + B cosθ,
// a sinusoid whose maximum is at θ* = atan2(A, B). On [lo, hi] the maximum is
// at θ* when θ* is inside (possible only if B > 0), else at an end.
func pointArcMaxCos(sinP, cosP, cosDLon float64, s *pbox) float64 {
	a, b := sinP, cosP*cosDLon
	v := max(a*s.sinLo+b*s.cosLo, a*s.sinHi+b*s.cosHi)
	// θ* >= lo  ⇔  sin(θ*-lo) >= 0  ⇔  a cos lo - b sin lo >= 0 (θ*, lo in [-π/2, π/2]),
	// θ* <= hi  ⇔  b sin hi - a cos hi >= 0.
	if b > 0 && a*s.cosLo-b*s.sinLo >= 0 && b*s.sinHi-a*s.cosHi >= 0 {
		v = math.Sqrt(a*a + b*b)
	}
	return v
}

// nonGeographic marks an assigned MCC without a location in mccRegion.
const nonGeographic = 0xFF

// Precomputed tables, filled by init from data.go.
var (
	mccRegion [1000]uint8 // region index + 1; 0 unassigned; nonGeographic
	regionIdx []regionSpan
	boxes     []pbox
)

type regionSpan struct{ start, end uint16 } // into boxes

func init() {
	if len(regions) >= nonGeographic {
		panic("geo: too many regions")
	}
	byCode := make(map[string]uint8, len(regions))
	regionIdx = make([]regionSpan, len(regions))
	for i, r := range regions {
		if _, dup := byCode[r.code]; dup {
			panic("geo: duplicate region " + r.code)
		}
		if len(r.boxes) == 0 {
			panic("geo: region without box " + r.code)
		}
		byCode[r.code] = uint8(i + 1)
		regionIdx[i].start = uint16(len(boxes))
		for _, b := range r.boxes {
			boxes = append(boxes, prepare(b))
		}
		regionIdx[i].end = uint16(len(boxes))
	}
	for _, m := range mccs {
		if m.mcc >= uint16(len(mccRegion)) || mccRegion[m.mcc] != 0 {
			panic("geo: bad or duplicate MCC")
		}
		if m.code == "" {
			mccRegion[m.mcc] = nonGeographic
			continue
		}
		id, ok := byCode[m.code]
		if !ok {
			panic("geo: MCC maps to unknown region " + m.code)
		}
		mccRegion[m.mcc] = id
	}
}
