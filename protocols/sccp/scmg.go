package sccp

import "errors"

// SCMG format identifiers (Q.713 §5.1, table 23).
const (
	SCMGSSA uint8 = 0x01 // subsystem allowed
	SCMGSSP uint8 = 0x02 // subsystem prohibited
	SCMGSST uint8 = 0x03 // subsystem status test
	SCMGSOR uint8 = 0x04 // subsystem out-of-service request
	SCMGSOG uint8 = 0x05 // subsystem out-of-service grant
	SCMGSSC uint8 = 0x06 // SCCP/subsystem congested
	SCMGSBR uint8 = 0xfd // SCCP/subsystem backup routing (broadband)
	SCMGSNR uint8 = 0xfe // SCCP/subsystem normal routing (broadband)
	SCMGSRT uint8 = 0xff // SCCP/subsystem routing status test (broadband)
)

// Errors of ParseSCMG.
var (
	ErrSCMGLength = errors.New("sccp: SCMG message length wrong for its format")
	ErrSCMGFormat = errors.New("sccp: SCMG format identifier not SSA, SSP, SST, SOR, SOG or SSC")
)

// SCMG is an SCCP management message (Q.713 §5.3), the user data of a
// connectionless message between SSN 1 and SSN 1. A forged SSP makes the
// receiver stop routing to a subsystem (an HLR, say); a forged SSA or SST
// probes or restores one.
type SCMG struct {
	Format          uint8  // SCMGSSA ... SCMGSSC
	AffectedSSN     uint8  // the subsystem concerned
	AffectedPC      uint16 // its 14-bit ITU point code
	SMI             uint8  // subsystem multiplicity indicator (bits 2-1)
	CongestionLevel uint8  // SSC only: SCCP congestion level 1-8 (bits 4-1)
}

// ParseSCMG decodes an SCMG message: format identifier, affected SSN,
// affected point code (two octets, least significant first, 14 bits),
// subsystem multiplicity indicator and, for SSC only, the congestion
// level. The length must be exactly the format's. The broadband formats
// (SBR, SNR, SRT) and undefined ones return ErrSCMGFormat with Format set.
func ParseSCMG(b []byte) (SCMG, error) {
	if len(b) == 0 {
		return SCMG{}, ErrSCMGLength
	}
	s := SCMG{Format: b[0]}
	want := 5
	switch s.Format {
	case SCMGSSA, SCMGSSP, SCMGSST, SCMGSOR, SCMGSOG:
	case SCMGSSC:
		want = 6
	default:
		return s, ErrSCMGFormat
	}
	if len(b) != want {
		return s, ErrSCMGLength
	}
	s.AffectedSSN = b[1]
	s.AffectedPC = (uint16(b[2]) | uint16(b[3])<<8) & 0x3fff
	s.SMI = b[4] & 0x03
	if s.Format == SCMGSSC {
		s.CongestionLevel = b[5] & 0x0f
	}
	return s, nil
}

var scmgNames = [...]string{SCMGSSA: "SSA", SCMGSSP: "SSP", SCMGSST: "SST", SCMGSOR: "SOR", SCMGSOG: "SOG", SCMGSSC: "SSC"}

// SCMGName names a format identifier, or "" for an undefined one.
func SCMGName(format uint8) string {
	switch {
	case int(format) < len(scmgNames):
		return scmgNames[format]
	case format == SCMGSBR:
		return "SBR"
	case format == SCMGSNR:
		return "SNR"
	case format == SCMGSRT:
		return "SRT"
	}
	return ""
}
