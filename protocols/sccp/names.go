package sccp

// Subsystem numbers: Q.713 §3.4.2.2 for the international ones, 3GPP TS
// 23.003 §8.1 for those allocated within and between GSM/UMTS networks.
const (
	SSNUnknown uint8 = 0
	SSNSCMG    uint8 = 1 // SCCP management
	SSNISUP    uint8 = 3
	SSNOMAP    uint8 = 4
	SSNMAP     uint8 = 5
	SSNHLR     uint8 = 6
	SSNVLR     uint8 = 7
	SSNMSC     uint8 = 8
	SSNEIR     uint8 = 9
	SSNAuC     uint8 = 10
	SSNRANAP   uint8 = 142
	SSNRNSAP   uint8 = 143
	SSNGMLC    uint8 = 145
	SSNCAP     uint8 = 146 // CAMEL Application Part (gsmSCF, gsmSSF, gprsSSF)
	SSNSCF     uint8 = 147 // gsmSCF (MAP), IM-SSF (MAP), Presence Network Agent
	SSNSIWF    uint8 = 148
	SSNSGSN    uint8 = 149
	SSNGGSN    uint8 = 150
	SSNPCAP    uint8 = 249
	SSNBSCLE   uint8 = 250 // BSC (BSSAP-LE)
	SSNMSCLE   uint8 = 251 // MSC (BSSAP-LE)
	SSNSMLC    uint8 = 252
	SSNBSSOM   uint8 = 253
	SSNBSSAP   uint8 = 254
)

var ssnNames = [256]string{
	SSNUnknown: "unknown", SSNSCMG: "SCMG", 2: "reserved", SSNISUP: "ISUP", SSNOMAP: "OMAP",
	SSNMAP: "MAP", SSNHLR: "HLR", SSNVLR: "VLR", SSNMSC: "MSC", SSNEIR: "EIR", SSNAuC: "AuC",
	11: "ISDN-SS", 12: "reserved-intl", 13: "BISDN", 14: "TC-test",
	SSNRANAP: "RANAP", SSNRNSAP: "RNSAP", SSNGMLC: "GMLC", SSNCAP: "CAP", SSNSCF: "gsmSCF",
	SSNSIWF: "SIWF", SSNSGSN: "SGSN", SSNGGSN: "GGSN", SSNPCAP: "PCAP", SSNBSCLE: "BSC-LE",
	SSNMSCLE: "MSC-LE", SSNSMLC: "SMLC", SSNBSSOM: "BSS-OM", SSNBSSAP: "BSSAP",
}

// SSNName names a subsystem number, or "" for one without an allocation.
func SSNName(ssn uint8) string { return ssnNames[ssn] }

// Return causes (Q.713 §3.12) of UDTS, XUDTS and LUDTS.
const (
	CauseNoTranslationNature  uint8 = 0x00
	CauseNoTranslationAddress uint8 = 0x01
	CauseSubsystemCongestion  uint8 = 0x02
	CauseSubsystemFailure     uint8 = 0x03
	CauseUnequippedUser       uint8 = 0x04
	CauseMTPFailure           uint8 = 0x05
	CauseNetworkCongestion    uint8 = 0x06
	CauseUnqualified          uint8 = 0x07
	CauseTransportError       uint8 = 0x08
	CauseLocalProcessing      uint8 = 0x09
	CauseNoReassembly         uint8 = 0x0a
	CauseSCCPFailure          uint8 = 0x0b
	CauseHopCounterViolation  uint8 = 0x0c
	CauseNoSegmentation       uint8 = 0x0d
	CauseSegmentationFailure  uint8 = 0x0e
)

var causeNames = [...]string{
	"no translation for an address of such nature", "no translation for this specific address",
	"subsystem congestion", "subsystem failure", "unequipped user", "MTP failure",
	"network congestion", "unqualified", "error in message transport", "error in local processing",
	"destination cannot perform reassembly", "SCCP failure", "hop counter violation",
	"segmentation not supported", "segmentation failure",
}

// ReturnCauseName names a return cause, or "" for a spare value.
func ReturnCauseName(c uint8) string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return ""
}
