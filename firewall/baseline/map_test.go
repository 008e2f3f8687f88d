package baseline

import "testing"

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
