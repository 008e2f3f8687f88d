package diameter

import (
	"breakwater/protocols/diameter/dictionary"

	"github.com/fiorix/go-diameter/v4/diam/dict"
)

// loadExtraDictionaries adds the dictionaries go-diameter lacks (Sh, Cx,
// SLg, SLh, S9, Sy and S6a additions). The embedded XML is tested to load,
// so a failure here is a build defect.
func loadExtraDictionaries(p *dict.Parser) {
	if err := dictionary.Load(p); err != nil {
		panic("diameter: loading built-in dictionaries: " + err.Error())
	}
}
