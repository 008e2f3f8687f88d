package baseline

import (
	"testing"

	"breakwater/firewall/network"
	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

// The operations GSMA FS.11 (and the issue that asked for MAP) puts in
// each category are classified so, and nothing unknown is allowed.
func TestMAPCategories(t *testing.T) {
	want := map[uint8][]uint32{
		// anyTimeInterrogation, ATSI, ATM, PSL, SRI-for-LCS, SLR, SRI,
		// SRI-for-GPRS, sendIMSI, sendParameters, sendIdentification,
		// activateTraceMode.
		mapCat1: {71, 62, 65, 83, 85, 86, 22, 24, 58, 9, 55, 50},
		// PSI, ISD, DSD, cancelLocation, PRN, reset.
		mapCat2: {70, 7, 8, 3, 4, 37},
		// updateLocation, updateGprsLocation, SAI, purgeMS, registerSS,
		// activateSS, mo-forwardSM, processUnstructuredSS-Request.
		mapCat3:     {2, 23, 56, 67, 10, 12, 46, 59},
		mapHandover: {68, 69, 29, 33, 34},
		mapAllowed:  {44, 45, 47, 64},
	}
	for cat, ops := range want {
		for _, op := range ops {
			if got := mapCategory(op); got != cat {
				t.Errorf("operation %d: category %d, want %d", op, got, cat)
			}
		}
	}
	for _, op := range []uint32{0, 1, 27, 90, 127, 128, 255, 1 << 20} {
		if got := mapCategory(op); got != mapUnlisted {
			t.Errorf("operation %d: category %d, want unlisted", op, got)
		}
	}
}

// GTPTypeRule (what the XDP pre-filter drops by message type) agrees with
// the category 1 type rules, type by type: the rule it names matches the
// type from a partner without inter_plmn_mobility, and no type rule
// matches a type it names none for.
func TestGTPTypeRuleAgreesWithRules(t *testing.T) {
	byID := map[string]*rules.Rule{}
	for _, r := range Rules() {
		byID[r.ID] = r
	}
	partner := &network.Member{Name: "uk", Index: 0}
	typeRules := map[int][]string{
		1: {"GTP-C1-V1-INTERNAL", "GTP-C1-V1-RELOCATION", "GTP-C1-V1-UNLISTED"},
		2: {"GTP-C1-V2-INTERNAL", "GTP-C1-V2-RELOCATION", "GTP-C1-V2-UNLISTED"},
	}
	for version, ids := range typeRules {
		proto := view.GTPv1C
		if version == 2 {
			proto = view.GTPv2C
		}
		for typ := range 256 {
			want := GTPTypeRule(version, uint8(typ))
			m := &view.Message{Protocol: proto, Code: uint32(typ), Request: true}
			c := &rules.Context{Msg: m, Sender: partner}
			for _, id := range ids {
				r := byID[id]
				if r == nil {
					t.Fatalf("no rule %s", id)
				}
				if got := r.Match(c); got != (want == id) {
					t.Errorf("GTPv%d type %d: %s matches %v, GTPTypeRule says %q", version, typ, id, got, want)
				}
			}
		}
	}
}
