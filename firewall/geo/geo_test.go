package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	p1, p2 := lat1*rad, lat2*rad
	dp, dl := p2-p1, (lon2-lon1)*rad
	h := math.Pow(math.Sin(dp/2), 2) + math.Cos(p1)*math.Cos(p2)*math.Pow(math.Sin(dl/2), 2)
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// normLon brings a longitude into [-180, 180).
func normLon(lon float64) float64 {
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	return lon - 180
}

func lonWidth(b Box) float64 {
	w := b.MaxLon - b.MinLon
	if w < 0 {
		w += 360
	}
	return w
}

// pointOnPerimeter maps t in [0, 4) to a point on the box boundary: south
// parallel, east meridian, north parallel, west meridian.
func pointOnPerimeter(b Box, t float64) (lat, lon float64) {
	t = math.Mod(t, 4)
	if t < 0 {
		t += 4
	}
	e, f := int(t), t-math.Floor(t)
	w, h := lonWidth(b), b.MaxLat-b.MinLat
	switch e {
	case 0:
		return b.MinLat, normLon(b.MinLon + f*w)
	case 1:
		return b.MinLat + f*h, b.MaxLon
	case 2:
		return b.MaxLat, normLon(b.MaxLon - f*w)
	default:
		return b.MaxLat - f*h, b.MinLon
	}
}

// randomPoint returns a point inside the box, on its boundary half the time
// (where the nearest points are).
func randomPoint(r *rand.Rand, b Box) (lat, lon float64) {
	if r.IntN(2) == 0 {
		return pointOnPerimeter(b, 4*r.Float64())
	}
	return b.MinLat + r.Float64()*(b.MaxLat-b.MinLat), normLon(b.MinLon + r.Float64()*lonWidth(b))
}

func regionByCode(t testing.TB, code string) Country {
	t.Helper()
	for i, r := range regions {
		if r.code == code {
			return Country{Code: r.code, Name: r.name, id: uint8(i + 1)}
		}
	}
	t.Fatalf("no region %q", code)
	return Country{}
}

func regionKm(a, b Country) float64 { return regionAngle(a.id, b.id) * EarthRadiusKm }

func TestCoverage(t *testing.T) {
	var geographic, nonGeo int
	codes := map[string]bool{}
	for mcc := range uint16(1000) {
		if !IsAssigned(mcc) {
			if _, ok := ByMCC(mcc); ok {
				t.Errorf("unassigned MCC %03d has a country", mcc)
			}
			continue
		}
		if c, ok := ByMCC(mcc); ok {
			geographic++
			codes[c.Code] = true
		} else {
			nonGeo++
		}
	}
	t.Logf("%d assigned MCCs: %d geographic, %d non-geographic; %d regions", geographic+nonGeo, geographic, nonGeo, len(codes))
	if geographic < 235 {
		t.Errorf("only %d geographic MCCs", geographic)
	}
	if len(codes) != len(regions) {
		t.Errorf("%d regions reachable from an MCC, %d defined", len(codes), len(regions))
	}
	for _, mcc := range []uint16{1000, 1001, 65535} {
		if IsAssigned(mcc) {
			t.Errorf("IsAssigned(%d)", mcc)
		}
		if _, ok := ByMCC(mcc); ok {
			t.Errorf("ByMCC(%d) ok", mcc)
		}
		if _, ok := MinDistanceKm(mcc, 208); ok {
			t.Errorf("MinDistanceKm(%d, 208) ok", mcc)
		}
	}
}

func TestByMCC(t *testing.T) {
	want := map[uint16]string{
		202: "GR", 204: "NL", 206: "BE", 208: "FR", 214: "ES", 222: "IT", 226: "RO", 228: "CH",
		230: "CZ", 232: "AT", 234: "GB", 235: "GB", 238: "DK", 240: "SE", 242: "NO", 244: "FI",
		250: "RU", 262: "DE", 302: "CA", 330: "PR", 334: "MX", 340: "GP", 404: "IN", 405: "IN",
		406: "IN", 440: "JP", 441: "JP", 450: "KR", 454: "HK", 460: "CN", 461: "CN", 505: "AU",
		520: "TH", 525: "SG", 530: "NZ", 547: "PF", 602: "EG", 647: "RE", 655: "ZA", 722: "AR",
		724: "BR", 995: "IO",
	}
	for mcc := uint16(310); mcc <= 316; mcc++ {
		want[mcc] = "US"
	}
	for mcc, code := range want {
		c, ok := ByMCC(mcc)
		if !ok || c.Code != code {
			t.Errorf("ByMCC(%03d) = %q, %v; want %q", mcc, c.Code, ok, code)
		}
		if c.Name == "" || c.NumBoxes() == 0 {
			t.Errorf("ByMCC(%03d) = %+v: no name or boxes", mcc, c)
		}
	}
	if c, _ := ByMCC(234); c.Name != "United Kingdom" {
		t.Errorf("234 name %q", c.Name)
	}
	for _, mcc := range []uint16{1, 901, 902, 991, 999} {
		if _, ok := ByMCC(mcc); ok {
			t.Errorf("ByMCC(%03d) ok; want no location", mcc)
		}
		if !IsAssigned(mcc) {
			t.Errorf("IsAssigned(%03d) false", mcc)
		}
		if _, ok := MinDistanceKm(mcc, 234); ok {
			t.Errorf("MinDistanceKm(%03d, 234) ok", mcc)
		}
		if _, ok := MinDistanceKm(234, mcc); ok {
			t.Errorf("MinDistanceKm(234, %03d) ok", mcc)
		}
	}
	for _, mcc := range []uint16{0, 100, 200, 201, 209, 300, 317, 998} {
		if IsAssigned(mcc) {
			t.Errorf("IsAssigned(%03d); want unassigned", mcc)
		}
	}
}

func TestBoxesValid(t *testing.T) {
	wide := map[string]bool{"RU": true, "CA": true, "CN": true, "GL": true}
	for _, r := range regions {
		if len(r.code) != 2 || r.code[0] < 'A' || r.code[0] > 'Z' || r.code[1] < 'A' || r.code[1] > 'Z' {
			t.Errorf("%s: bad code", r.code)
		}
		for _, b := range r.boxes {
			if !(b.MinLat <= b.MaxLat) || b.MinLat < -90 || b.MaxLat > 90 {
				t.Errorf("%s: bad latitudes %+v", r.code, b)
			}
			if b.MinLon < -180 || b.MinLon > 180 || b.MaxLon < -180 || b.MaxLon > 180 {
				t.Errorf("%s: bad longitudes %+v", r.code, b)
			}
			if b.MaxLat-b.MinLat > 45 {
				t.Errorf("%s: %.1f° tall: swapped coordinates? %+v", r.code, b.MaxLat-b.MinLat, b)
			}
			// Only a few boxes are meant to be wide or to wrap; a wide box is
			// usually a sign error.
			if w := lonWidth(b); w > 60 && !wide[r.code] {
				t.Errorf("%s: %.1f° wide: sign error? %+v", r.code, w, b)
			}
		}
	}
	wraps := map[string]bool{}
	for _, b := range boxes {
		if b.box.Wraps() {
			for _, r := range regions {
				for _, rb := range r.boxes {
					if rb == b.box {
						wraps[r.code] = true
					}
				}
			}
		}
	}
	for _, code := range []string{"RU", "US", "FJ"} {
		if !wraps[code] {
			t.Errorf("%s should have a box wrapping the antimeridian", code)
		}
	}
	if len(wraps) != 3 {
		t.Errorf("wrapping regions %v; want RU, US, FJ", wraps)
	}
}

func TestCapitalsInside(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range capitals {
		r := regionByCode(t, c.code)
		seen[c.code] = true
		if !r.Contains(c.lat, c.lon) {
			t.Errorf("%s (%s, %.2f, %.2f) is outside the boxes of %s", c.place, c.code, c.lat, c.lon, r.Name)
		}
	}
	for _, r := range regions {
		if !seen[r.code] {
			t.Errorf("no reference place for %s (%s)", r.code, r.name)
		}
	}
	t.Logf("%d reference places in %d regions", len(capitals), len(seen))
}

// TestCapitalPairs checks, for every pair of reference places, that the real
// distance is at least the computed minimum between their countries.
func TestCapitalPairs(t *testing.T) {
	for i, a := range capitals {
		ra := regionByCode(t, a.code)
		for _, b := range capitals[i+1:] {
			rb := regionByCode(t, b.code)
			d, lb := haversineKm(a.lat, a.lon, b.lat, b.lon), regionKm(ra, rb)
			if d < lb-1e-6 {
				t.Errorf("%s–%s: %.1f km apart, but %s–%s minimum is %.1f km", a.place, b.place, d, a.code, b.code, lb)
			}
		}
	}
}

func TestKnownDistances(t *testing.T) {
	dist := func(a, b uint16) float64 {
		t.Helper()
		d, ok := MinDistanceKm(a, b)
		if !ok {
			t.Fatalf("MinDistanceKm(%03d, %03d) not ok", a, b)
		}
		return d
	}
	if d := dist(234, 208); d >= 100 {
		t.Errorf("UK–France %.0f km; want < 100", d)
	}
	for _, p := range [][2]uint16{{262, 208}, {310, 302}, {208, 214}, {214, 268}, {250, 460}, {250, 244}, {404, 460}, {724, 722}, {334, 310}, {250, 310}, {250, 440}} {
		if d := dist(p[0], p[1]); d != 0 {
			t.Errorf("%03d–%03d = %.1f km; want 0", p[0], p[1], d)
		}
	}
	if d := dist(234, 505); d <= 9000 {
		t.Errorf("UK–Australia %.0f km; want > 9000", d)
	}
	// Japan–USA: the USA's MCCs also serve Guam and the Northern Mariana
	// Islands (Farallon de Pajaros, 20.6°N), 3.4° of latitude south of
	// Japan's box (Hateruma, 24.0°N); the Aleutians are ~1,500 km from
	// Hokkaido. So the minimum is ~380 km, not the Tokyo–California distance.
	if d := dist(440, 310); d < 350 || d > 400 {
		t.Errorf("Japan–USA %.0f km; want ~378", d)
	}
	if d := dist(440, 302); d < 4000 {
		t.Errorf("Japan–Canada %.0f km; want > 4000", d)
	}
	if d := dist(234, 310); d < 3500 {
		t.Errorf("UK–USA %.0f km; want > 3500", d)
	}
	if d := dist(262, 655); d < 7000 {
		t.Errorf("Germany–South Africa %.0f km; want > 7000", d)
	}
	if d := dist(724, 460); d < 10000 {
		t.Errorf("Brazil–China %.0f km; want > 10000", d)
	}
	// UK–Ireland and UK–Norway are not neighbours by land but close.
	if d := dist(234, 272); d != 0 {
		t.Errorf("UK–Ireland %.0f km; want 0 (overlapping boxes)", d)
	}
	if d := dist(234, 242); d <= 0 || d > 400 {
		t.Errorf("UK–Norway %.0f km; want (0, 400]", d)
	}
	// Across the antimeridian: Fiji–Tonga and Fiji–Tuvalu are close, Russia
	// (Chukotka) touches the Alaska box, New Zealand's Chathams are east of it.
	if d := dist(542, 539); d > 500 {
		t.Errorf("Fiji–Tonga %.0f km; want < 500", d)
	}
	if d := dist(542, 553); d > 800 {
		t.Errorf("Fiji–Tuvalu %.0f km; want < 800", d)
	}
	if d := dist(542, 545); d > 1000 {
		t.Errorf("Fiji–Kiribati %.0f km; want < 1000", d)
	}
	if d := dist(530, 539); d > 2500 {
		t.Errorf("New Zealand–Tonga %.0f km; want < 2500", d)
	}
	// Overseas territories with their own MCC are far from the mainland.
	if d := dist(208, 547); d < 13000 {
		t.Errorf("France–French Polynesia %.0f km; want > 13000", d)
	}
	if d := dist(208, 647); d < 6500 {
		t.Errorf("France–Réunion/Mayotte %.0f km; want > 6500", d)
	}
	if d := dist(208, 340); d < 5500 {
		t.Errorf("France–French Antilles %.0f km; want > 5500", d)
	}
	if d := dist(340, 742); d != 0 {
		t.Errorf("340–742 (both French Guiana) %.0f km; want 0", d)
	}
	for a := uint16(310); a <= 316; a++ {
		for b := uint16(310); b <= 316; b++ {
			if d := dist(a, b); d != 0 {
				t.Errorf("%d–%d = %.0f km", a, b, d)
			}
		}
	}
}

// TestNeighbours: countries sharing a land border (or a bridge/tunnel) must
// be 0 km apart; a failure means a box is too small.
func TestNeighbours(t *testing.T) {
	pairs := [][2]string{
		{"FR", "BE"}, {"FR", "DE"}, {"FR", "CH"}, {"FR", "IT"}, {"FR", "ES"}, {"FR", "AD"}, {"FR", "MC"}, {"FR", "LU"},
		{"ES", "PT"}, {"ES", "GI"}, {"ES", "MA"}, {"DE", "NL"}, {"DE", "DK"}, {"DE", "PL"}, {"DE", "CZ"}, {"DE", "AT"},
		{"DE", "CH"}, {"AT", "IT"}, {"AT", "SI"}, {"AT", "HU"}, {"AT", "SK"}, {"AT", "LI"}, {"CH", "LI"}, {"IT", "SM"},
		{"IT", "VA"}, {"IT", "SI"}, {"SI", "HR"}, {"HR", "BA"}, {"HR", "RS"}, {"HR", "ME"}, {"BA", "ME"}, {"RS", "XK"},
		{"XK", "AL"}, {"XK", "MK"}, {"AL", "GR"}, {"MK", "GR"}, {"BG", "GR"}, {"BG", "TR"}, {"GR", "TR"}, {"RO", "MD"},
		{"RO", "UA"}, {"RO", "HU"}, {"RO", "BG"}, {"RO", "RS"}, {"PL", "UA"}, {"PL", "BY"}, {"PL", "LT"}, {"PL", "RU"},
		{"LT", "RU"}, {"LT", "LV"}, {"LV", "EE"}, {"EE", "RU"}, {"LV", "RU"}, {"BY", "RU"}, {"UA", "RU"}, {"FI", "RU"},
		{"FI", "SE"}, {"FI", "NO"}, {"NO", "SE"}, {"NO", "RU"}, {"DK", "SE"}, {"GB", "IE"}, {"GB", "FR"}, {"GE", "RU"},
		{"GE", "TR"}, {"GE", "AM"}, {"GE", "AZ"}, {"AM", "AZ"}, {"AM", "IR"}, {"AZ", "IR"}, {"AZ", "RU"}, {"TR", "SY"},
		{"TR", "IQ"}, {"TR", "IR"}, {"SY", "LB"}, {"SY", "JO"}, {"SY", "IQ"}, {"IL", "LB"}, {"IL", "JO"}, {"IL", "EG"},
		{"JO", "SA"}, {"IQ", "SA"}, {"IQ", "KW"}, {"IQ", "IR"}, {"SA", "YE"}, {"SA", "OM"}, {"SA", "AE"}, {"SA", "QA"},
		{"SA", "BH"}, {"SA", "KW"}, {"OM", "YE"}, {"OM", "AE"}, {"IR", "TM"}, {"IR", "AF"}, {"IR", "PK"}, {"AF", "PK"},
		{"AF", "TJ"}, {"AF", "UZ"}, {"AF", "TM"}, {"AF", "CN"}, {"KZ", "RU"}, {"KZ", "CN"}, {"KZ", "UZ"}, {"KZ", "KG"},
		{"KZ", "TM"}, {"UZ", "TJ"}, {"UZ", "KG"}, {"TJ", "KG"}, {"TJ", "CN"}, {"KG", "CN"}, {"MN", "RU"}, {"MN", "CN"},
		{"CN", "RU"}, {"CN", "KP"}, {"KP", "RU"}, {"KP", "KR"}, {"CN", "IN"}, {"CN", "PK"}, {"CN", "NP"}, {"CN", "BT"},
		{"CN", "MM"}, {"CN", "LA"}, {"CN", "VN"}, {"CN", "HK"}, {"CN", "MO"}, {"IN", "PK"}, {"IN", "NP"}, {"IN", "BT"},
		{"IN", "BD"}, {"IN", "MM"}, {"BD", "MM"}, {"MM", "TH"}, {"MM", "LA"}, {"TH", "LA"}, {"TH", "KH"}, {"TH", "MY"},
		{"LA", "VN"}, {"LA", "KH"}, {"KH", "VN"}, {"MY", "SG"}, {"MY", "BN"}, {"MY", "ID"}, {"ID", "TL"}, {"ID", "PG"},
		{"US", "CA"}, {"US", "MX"}, {"MX", "GT"}, {"MX", "BZ"}, {"GT", "BZ"}, {"GT", "SV"}, {"GT", "HN"}, {"SV", "HN"},
		{"HN", "NI"}, {"NI", "CR"}, {"CR", "PA"}, {"PA", "CO"}, {"CO", "VE"}, {"CO", "EC"}, {"CO", "PE"}, {"CO", "BR"},
		{"VE", "GY"}, {"VE", "BR"}, {"GY", "SR"}, {"GY", "BR"}, {"SR", "GF"}, {"GF", "BR"}, {"EC", "PE"}, {"PE", "BR"},
		{"PE", "BO"}, {"PE", "CL"}, {"BO", "BR"}, {"BO", "PY"}, {"BO", "AR"}, {"BO", "CL"}, {"CL", "AR"}, {"AR", "PY"},
		{"AR", "UY"}, {"AR", "BR"}, {"BR", "UY"}, {"BR", "PY"}, {"HT", "DO"}, {"CA", "PM"}, {"US", "PR"}, {"US", "VI"},
		{"US", "GU"}, {"US", "MP"}, {"US", "AS"}, {"CW", "GP"}, {"EG", "LY"}, {"EG", "SD"}, {"LY", "TN"}, {"LY", "DZ"},
		{"LY", "NE"}, {"LY", "TD"}, {"LY", "SD"}, {"DZ", "TN"}, {"DZ", "MA"}, {"DZ", "MR"}, {"DZ", "ML"}, {"DZ", "NE"},
		{"MA", "MR"}, {"MR", "SN"}, {"MR", "ML"}, {"SN", "GM"}, {"SN", "GW"}, {"SN", "GN"}, {"SN", "ML"}, {"GW", "GN"},
		{"GN", "SL"}, {"GN", "LR"}, {"GN", "CI"}, {"GN", "ML"}, {"SL", "LR"}, {"LR", "CI"}, {"CI", "GH"}, {"CI", "BF"},
		{"CI", "ML"}, {"GH", "TG"}, {"GH", "BF"}, {"TG", "BJ"}, {"TG", "BF"}, {"BJ", "NG"}, {"BJ", "NE"}, {"BJ", "BF"},
		{"NG", "NE"}, {"NG", "TD"}, {"NG", "CM"}, {"NE", "TD"}, {"NE", "ML"}, {"NE", "BF"}, {"TD", "CM"}, {"TD", "CF"},
		{"TD", "SD"}, {"CM", "CF"}, {"CM", "GQ"}, {"CM", "GA"}, {"CM", "CG"}, {"GQ", "GA"}, {"GA", "CG"}, {"CG", "CD"},
		{"CG", "CF"}, {"CG", "AO"}, {"CD", "AO"}, {"CD", "CF"}, {"CD", "SS"}, {"CD", "UG"}, {"CD", "RW"}, {"CD", "BI"},
		{"CD", "TZ"}, {"CD", "ZM"}, {"CF", "SS"}, {"CF", "SD"}, {"SD", "SS"}, {"SD", "ER"}, {"SD", "ET"}, {"SS", "ET"},
		{"SS", "KE"}, {"SS", "UG"}, {"ER", "ET"}, {"ER", "DJ"}, {"ET", "DJ"}, {"ET", "SO"}, {"ET", "KE"}, {"SO", "KE"},
		{"SO", "DJ"}, {"KE", "UG"}, {"KE", "TZ"}, {"UG", "RW"}, {"UG", "TZ"}, {"RW", "BI"}, {"RW", "TZ"}, {"BI", "TZ"},
		{"TZ", "ZM"}, {"TZ", "MW"}, {"TZ", "MZ"}, {"ZM", "MW"}, {"ZM", "MZ"}, {"ZM", "ZW"}, {"ZM", "BW"}, {"ZM", "NA"},
		{"ZM", "AO"}, {"AO", "NA"}, {"NA", "BW"}, {"NA", "ZA"}, {"BW", "ZA"}, {"BW", "ZW"}, {"ZW", "MZ"}, {"ZW", "ZA"},
		{"MZ", "MW"}, {"MZ", "ZA"}, {"MZ", "SZ"}, {"ZA", "LS"}, {"ZA", "SZ"}, {"YE", "DJ"}, {"ER", "YE"},
	}
	for _, p := range pairs {
		a, b := regionByCode(t, p[0]), regionByCode(t, p[1])
		if d := regionKm(a, b); d != 0 {
			t.Errorf("%s–%s = %.1f km; want 0 (neighbours)", p[0], p[1], d)
		}
	}
}

func TestSymmetricAndSame(t *testing.T) {
	var geo []uint16
	for mcc := range uint16(1000) {
		if _, ok := ByMCC(mcc); ok {
			geo = append(geo, mcc)
		}
	}
	for _, a := range geo {
		if d, ok := MinDistanceKm(a, a); !ok || d != 0 {
			t.Errorf("MinDistanceKm(%03d, %03d) = %v, %v", a, a, d, ok)
		}
		for _, b := range geo {
			ab, _ := MinDistanceKm(a, b)
			ba, _ := MinDistanceKm(b, a)
			if math.Abs(ab-ba) > 1e-9 || ab < 0 || ab > math.Pi*EarthRadiusKm || math.IsNaN(ab) {
				t.Fatalf("MinDistanceKm(%03d, %03d) = %v, reverse %v", a, b, ab, ba)
			}
		}
	}
}

// TestLowerBoundCountries is the property the velocity check relies on: for
// points anywhere in two countries' boxes, the great-circle distance is never
// below MinDistanceKm (minus 1 km of rounding slack).
func TestLowerBoundCountries(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(a, b Country) {
		lb := regionKm(a, b)
		ba, bb := a.Box(r.IntN(a.NumBoxes())), b.Box(r.IntN(b.NumBoxes()))
		lat1, lon1 := randomPoint(r, ba)
		lat2, lon2 := randomPoint(r, bb)
		if d := haversineKm(lat1, lon1, lat2, lon2); d < lb-1 {
			t.Fatalf("%s (%.3f, %.3f) – %s (%.3f, %.3f): %.1f km < minimum %.1f km", a.Code, lat1, lon1, b.Code, lat2, lon2, d, lb)
		}
	}
	n := len(regions)
	country := func(i int) Country { return Country{Code: regions[i].code, id: uint8(i + 1)} }
	for range 200000 {
		check(country(r.IntN(n)), country(r.IntN(n)))
	}
	// Antimeridian neighbourhoods, densely.
	pacific := []string{"RU", "US", "FJ", "KI", "TV", "TO", "WF", "WS", "AS", "NZ", "TK", "NU", "CK", "MH", "JP", "CA", "PF"}
	for _, x := range pacific {
		for _, y := range pacific {
			a, b := regionByCode(t, x), regionByCode(t, y)
			for range 2000 {
				check(a, b)
			}
		}
	}
}

// randomBox returns a box of random size and position; some wrap the
// antimeridian, some reach a pole, some are very wide.
func randomBox(r *rand.Rand) Box {
	h := r.Float64() * 40
	lat := -90 + r.Float64()*(180-h)
	b := Box{MinLat: lat, MaxLat: lat + h}
	switch r.IntN(10) {
	case 0:
		b.MaxLat = 90
	case 1:
		b.MinLat = -90
	}
	w := r.Float64() * 50
	if r.IntN(8) == 0 {
		w = r.Float64() * 300
	}
	b.MinLon = normLon(r.Float64() * 360)
	b.MaxLon = normLon(b.MinLon + w)
	return b
}

// overlapsIndependently decides box intersection without the package code.
func overlapsIndependently(a, b Box) bool {
	if a.MaxLat < b.MinLat || b.MaxLat < a.MinLat {
		return false
	}
	if (a.MaxLat == 90 && b.MaxLat == 90) || (a.MinLat == -90 && b.MinLat == -90) {
		return true // they share a pole
	}
	in := func(lon float64, x Box) bool { return Box{-90, x.MinLon, 90, x.MaxLon}.Contains(0, lon) }
	return in(a.MinLon, b) || in(a.MaxLon, b) || in(b.MinLon, a) || in(b.MaxLon, a)
}

// bruteMinKm finds the minimum distance between the perimeters of two boxes
// by a grid search refined by a shrinking pattern search. It is an upper
// bound of the true minimum, and close to it.
func bruteMinKm(a, b Box) float64 {
	f := func(s, t float64) float64 {
		lat1, lon1 := pointOnPerimeter(a, s)
		lat2, lon2 := pointOnPerimeter(b, t)
		return haversineKm(lat1, lon1, lat2, lon2)
	}
	// Start a local search from the best grid point of each pair of edges
	// (a degenerate edge at a pole would otherwise trap it).
	const n = 32
	type cand struct{ s, t, d float64 }
	var top [16]cand
	for i := range top {
		top[i].d = math.Inf(1)
	}
	for i := range 4 * n {
		for j := range 4 * n {
			s, t := float64(i)/n, float64(j)/n
			d := f(s, t)
			if k := (i/n)*4 + j/n; d < top[k].d {
				top[k] = cand{s, t, d}
			}
		}
	}
	best := math.Inf(1)
	for _, c := range top {
		step := 1.0 / n
		for step > 1e-7 {
			improved := false
			for _, dd := range [][2]float64{{step, 0}, {-step, 0}, {0, step}, {0, -step}, {step, step}, {-step, -step}, {step, -step}, {-step, step}} {
				if d := f(c.s+dd[0], c.t+dd[1]); d < c.d {
					c = cand{c.s + dd[0], c.t + dd[1], d}
					improved = true
				}
			}
			if improved {
				step = min(2*step, 1.0/n)
			} else {
				step /= 2
			}
		}
		best = min(best, c.d)
	}
	return best
}

// TestBoxDistanceExact checks the algorithm on random boxes: it is a lower
// bound (never above the brute-force minimum) and tight (not far below it),
// and 0 exactly when the boxes intersect.
func TestBoxDistanceExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	count := 150
	if testing.Short() {
		count = 50
	}
	for range count {
		a, b := randomBox(r), randomBox(r)
		got := BoxDistanceKm(a, b)
		if got2 := BoxDistanceKm(b, a); math.Abs(got-got2) > 1e-9 {
			t.Fatalf("%+v %+v: asymmetric %v %v", a, b, got, got2)
		}
		if overlapsIndependently(a, b) {
			if got != 0 {
				t.Fatalf("%+v %+v intersect but distance %.3f km", a, b, got)
			}
			continue
		}
		if got == 0 {
			t.Fatalf("%+v %+v are disjoint but distance 0", a, b)
		}
		want := bruteMinKm(a, b)
		if got > want+1e-6 {
			t.Fatalf("%+v %+v: %.4f km > brute-force %.4f km (over-estimate)", a, b, got, want)
		}
		if got < want-0.5 {
			t.Fatalf("%+v %+v: %.4f km, brute-force %.4f km (not tight)", a, b, got, want)
		}
	}
}

// TestLowerBoundRandomBoxes is the sampling property on random boxes.
func TestLowerBoundRandomBoxes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		a, b := randomBox(r), randomBox(r)
		lb := BoxDistanceKm(a, b)
		for range 20 {
			lat1, lon1 := randomPoint(r, a)
			lat2, lon2 := randomPoint(r, b)
			if d := haversineKm(lat1, lon1, lat2, lon2); d < lb-1 {
				t.Fatalf("%+v %+v: points %.1f km apart < minimum %.1f km", a, b, d, lb)
			}
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	var sink float64
	n := testing.AllocsPerRun(1000, func() {
		for _, p := range benchPairs {
			d, _ := MinDistanceKm(p[0], p[1])
			sink += d
			c, _ := ByMCC(p[0])
			sink += float64(len(c.Code))
		}
		sink += BoxDistanceKm(Box{1, 2, 3, 4}, Box{10, 170, 20, -170})
	})
	if n != 0 {
		t.Errorf("%v allocations per run", n)
	}
	_ = sink
}

var benchPairs = [][2]uint16{
	{234, 208}, {234, 505}, {440, 310}, {250, 310}, {262, 724}, {542, 545},
	{310, 505}, {530, 542}, {655, 404}, {302, 460}, {730, 268}, {901, 208},
}

func BenchmarkMinDistanceKm(b *testing.B) {
	b.ReportAllocs()
	var sink float64
	i := 0
	for b.Loop() {
		p := benchPairs[i%len(benchPairs)]
		d, _ := MinDistanceKm(p[0], p[1])
		sink += d
		i++
	}
	_ = sink
}

func BenchmarkMinDistanceKmSingleBoxes(b *testing.B) {
	b.ReportAllocs()
	var sink float64
	for b.Loop() {
		d, _ := MinDistanceKm(262, 724) // Germany–Brazil: one box each, disjoint longitudes
		sink += d
	}
	_ = sink
}

func BenchmarkMinDistanceKmWorstCase(b *testing.B) {
	b.ReportAllocs()
	var sink float64
	for b.Loop() {
		d, _ := MinDistanceKm(310, 730) // USA (6 boxes) – Chile (3 boxes)
		sink += d
	}
	_ = sink
}

func BenchmarkByMCC(b *testing.B) {
	b.ReportAllocs()
	var sink int
	for b.Loop() {
		c, _ := ByMCC(234)
		sink += len(c.Code)
	}
	_ = sink
}
