package gsmmap

import (
	"bytes"

	"breakwater/protocols/tcap"
)

// CAMEL Application Part (CAP, 3GPP TS 29.078) dialogues share TCAP with
// MAP, and phase 1 and 2 even share MAP's application-context arc. Their
// operation codes overlap MAP's (CAP eventReportBCSM is 24, MAP's
// sendRoutingInfoForGprs), so a CAP component read as MAP would be judged
// as the wrong operation: the decoder tells them apart by the dialogue's
// application context and marks CAP dialogues view.FlagCAMEL.

// capArcPrefixes are the CAP phase 3 and 4 arcs {0 4 0 0 1 21 3 X}
// (gsmSSF/gprsSSF/SMS contexts), {0 4 0 0 1 22 3 X} and the gsmSRF arc
// {0 4 0 0 1 20 3 X}.
var capArcPrefixes = [][]byte{
	{0x04, 0x00, 0x00, 0x01, 0x15, 0x03},
	{0x04, 0x00, 0x00, 0x01, 0x16, 0x03},
	{0x04, 0x00, 0x00, 0x01, 0x14, 0x03},
}

// capFirstMAPArcAC..capLastMAPArcAC: the CAP phase 1 and 2 contexts in
// MAP's arc {0 4 0 0 1 0 X V}: gsmSSF-to-gsmSCF 50, assist 51, gsmSRF 52.
const (
	capFirstMAPArcAC = 50
	capLastMAPArcAC  = 52
)

// IsCAPContext reports whether acn (the contents of an application-context
// name) is a CAMEL one.
func IsCAPContext(acn []byte) bool {
	for _, p := range capArcPrefixes {
		if len(acn) == len(p)+1 && bytes.HasPrefix(acn, p) && acn[len(p)]&0x80 == 0 {
			return true
		}
	}
	if ac, _, ok := tcap.MAPContext(acn); ok {
		return ac >= capFirstMAPArcAC && ac <= capLastMAPArcAC
	}
	return false
}

// capOpNames: CAP operation codes (TS 29.078 §6.1, §7.1, §8.1, §9.1).
var capOpNames = [...]string{
	0: "initialDP", 16: "assistRequestInstructions", 17: "establishTemporaryConnection",
	18: "disconnectForwardConnection", 19: "connectToResource", 20: "connect", 22: "releaseCall",
	23: "requestReportBCSMEvent", 24: "eventReportBCSM", 27: "collectInformation", 31: "continue",
	32: "initiateCallAttempt", 33: "resetTimer", 34: "furnishChargingInformation", 35: "applyCharging",
	36: "applyChargingReport", 41: "callGap", 44: "callInformationReport", 45: "callInformationRequest",
	46: "sendChargingInformation", 47: "playAnnouncement", 48: "promptAndCollectUserInformation",
	49: "specializedResourceReport", 53: "cancel", 55: "activityTest",
	60: "initialDPSMS", 61: "furnishChargingInformationSMS", 62: "connectSMS", 63: "requestReportSMSEvent",
	64: "eventReportSMS", 65: "continueSMS", 66: "releaseSMS", 67: "resetTimerSMS",
	70: "activityTestGPRS", 71: "applyChargingGPRS", 72: "applyChargingReportGPRS", 73: "cancelGPRS",
	74: "connectGPRS", 75: "continueGPRS", 76: "entityReleasedGPRS", 77: "furnishChargingInformationGPRS",
	78: "initialDPGPRS", 79: "releaseGPRS", 80: "eventReportGPRS", 81: "requestReportGPRSEvent",
	82: "resetTimerGPRS", 83: "sendChargingInformationGPRS",
	86: "dFCWithArgument", 88: "continueWithArgument", 90: "disconnectLeg", 93: "moveLeg",
	95: "splitLeg", 96: "entityReleased", 97: "playTone",
}

// CAPOpName returns the name of CAP operation code, "" when unknown.
func CAPOpName(code int64) string {
	if code < 0 || code >= int64(len(capOpNames)) {
		return ""
	}
	return capOpNames[code]
}
