package diameter

import (
	"sync"

	"github.com/fiorix/go-diameter/v4/diam/dict"
)

var dictOnce sync.Once

// Dictionary returns go-diameter's default dictionary with Breakwater's
// additional applications loaded. It is for names and for building
// messages off the hot path; parsing never consults it.
func Dictionary() *dict.Parser {
	dictOnce.Do(func() { loadExtraDictionaries(dict.Default) })
	return dict.Default
}

// LookupAVP resolves an AVP name ("Visited-PLMN-Id") to its code and vendor.
func LookupAVP(name string) (code, vendor uint32, ok bool) {
	a, err := Dictionary().ScanAVP(name)
	if err != nil {
		return 0, 0, false
	}
	return a.Code, a.VendorID, true
}
