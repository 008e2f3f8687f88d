package diameter

import (
	"strings"
	"testing"
)

func TestResolveAVP(t *testing.T) {
	cases := []struct {
		name         string
		code, vendor uint32
		err          string
	}{
		{"Visited-PLMN-Id", AVPVisitedPLMNID, Vendor3GPP, ""},
		{"User-Name", AVPUserName, 0, ""},
		{"IDR-Flags", AVPIDRFlags, Vendor3GPP, ""},
		{"Service-Selection", 493, 0, ""}, // go-diameter says vendor 10415 but must-not V
		{"Termination-Cause", 0, 0, "ambiguous"},
		{"No-Such-AVP", 0, 0, "no AVP named"},
	}
	for _, c := range cases {
		for i := 0; i < 20; i++ { // map order must not matter
			code, vendor, err := ResolveAVP(c.name)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("%s: err %v, want %q", c.name, err, c.err)
				}
				continue
			}
			if err != nil || code != c.code || vendor != c.vendor {
				t.Fatalf("%s: %d/%d %v, want %d/%d", c.name, code, vendor, err, c.code, c.vendor)
			}
		}
	}
}
