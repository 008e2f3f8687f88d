package diameter

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/fiorix/go-diameter/v4/diam/dict"
)

var (
	dictOnce sync.Once
	names    map[string][]avpKey // AVP name → distinct (code, vendor) definitions
)

// Dictionary returns go-diameter's default dictionary with Breakwater's
// additional applications loaded. It is for names and for building
// messages off the hot path; parsing never consults it.
func Dictionary() *dict.Parser {
	dictOnce.Do(func() {
		loadExtraDictionaries(dict.Default)
		names = indexNames(dict.Default)
	})
	return dict.Default
}

// indexNames collects every definition of every AVP name, walking the
// applications in id order so the result does not depend on map order.
func indexNames(p *dict.Parser) map[string][]avpKey {
	apps := p.Apps()
	sort.Slice(apps, func(i, j int) bool { return apps[i].ID < apps[j].ID })
	idx := map[string][]avpKey{}
	for _, app := range apps {
		for _, a := range app.AVP {
			k := avpKey{a.Code, a.VendorID}
			// go-diameter's S6a dictionary gives some IETF AVPs
			// (Service-Selection, MIP6-Agent-Info) vendor 10415 while
			// saying the V bit must not be set; the flag is right.
			if strings.Contains(a.MustNot, "V") {
				k.vendor = 0
			}
			known := false
			for _, x := range idx[a.Name] {
				known = known || x == k
			}
			if !known {
				idx[a.Name] = append(idx[a.Name], k)
			}
		}
	}
	return idx
}

// ResolveAVP resolves an AVP name ("Visited-PLMN-Id") to its code and
// vendor. A name the dictionaries define differently in different
// applications (Termination-Cause is 295 in the base protocol and 2548 in
// SLg) is an error: the caller must give the code and vendor.
func ResolveAVP(name string) (code, vendor uint32, err error) {
	Dictionary()
	defs := names[name]
	switch len(defs) {
	case 0:
		return 0, 0, fmt.Errorf("no AVP named %q in the Diameter dictionaries", name)
	case 1:
		return defs[0].code, defs[0].vendor, nil
	}
	var alts []string
	for _, d := range defs {
		alts = append(alts, fmt.Sprintf("code %d vendor %d", d.code, d.vendor))
	}
	return 0, 0, fmt.Errorf("AVP name %q is ambiguous (%s); give the code and vendor instead", name, strings.Join(alts, ", "))
}

// LookupAVP is ResolveAVP without the explanation.
func LookupAVP(name string) (code, vendor uint32, ok bool) {
	code, vendor, err := ResolveAVP(name)
	return code, vendor, err == nil
}
