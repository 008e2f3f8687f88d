package m3ua

// Names for output and rules. Every function returns a constant string
// (no allocation) and "" for values the RFC does not define, so that
// callers can tell unknown values from named ones.

// kindNames index by class then type (RFC 4666 §3.1.3).
var kindNames = [10][7]string{
	ClassMGMT:     {"ERR", "NTFY"},
	ClassTransfer: {1: "DATA"},
	ClassSSNM:     {1: "DUNA", 2: "DAVA", 3: "DAUD", 4: "SCON", 5: "DUPU", 6: "DRST"},
	ClassASPSM:    {1: "ASPUP", 2: "ASPDN", 3: "BEAT", 4: "ASPUP_ACK", 5: "ASPDN_ACK", 6: "BEAT_ACK"},
	ClassASPTM:    {1: "ASPAC", 2: "ASPIA", 3: "ASPAC_ACK", 4: "ASPIA_ACK"},
	ClassRKM:      {1: "REG_REQ", 2: "REG_RSP", 3: "DEREG_REQ", 4: "DEREG_RSP"},
}

// String is the message's RFC 4666 abbreviation ("DATA", "ASPUP_ACK", ...),
// or "" for a class or type M3UA does not define.
func (k Kind) String() string {
	if c, t := k.Class(), k.Type(); int(c) < len(kindNames) && int(t) < len(kindNames[c]) {
		return kindNames[c][t]
	}
	return ""
}

var classNames = [...]string{
	ClassMGMT: "MGMT", ClassTransfer: "Transfer", ClassSSNM: "SSNM", ClassASPSM: "ASPSM",
	ClassASPTM: "ASPTM", ClassQPTM: "QPTM", ClassMAUP: "MAUP", ClassCL: "CL", ClassCO: "CO",
	ClassRKM: "RKM", ClassIIM: "IIM",
}

// ClassName names a message class. QPTM, MAUP, CL, CO and IIM are the
// other adaptation layers' classes (IUA, M2UA, SUA): named so that a log
// says which protocol was misdirected, but not M3UA messages.
func ClassName(class uint8) string {
	if int(class) < len(classNames) {
		return classNames[class]
	}
	return ""
}

// TagName names a parameter tag (RFC 4666 §3.2).
func TagName(tag uint16) string {
	switch tag {
	case TagInfoString:
		return "INFO String"
	case TagRoutingContext:
		return "Routing Context"
	case TagDiagnosticInformation:
		return "Diagnostic Information"
	case TagHeartbeatData:
		return "Heartbeat Data"
	case TagTrafficModeType:
		return "Traffic Mode Type"
	case TagErrorCode:
		return "Error Code"
	case TagStatus:
		return "Status"
	case TagASPIdentifier:
		return "ASP Identifier"
	case TagAffectedPointCode:
		return "Affected Point Code"
	case TagCorrelationID:
		return "Correlation ID"
	case TagNetworkAppearance:
		return "Network Appearance"
	case TagUserCause:
		return "User/Cause"
	case TagCongestionIndications:
		return "Congestion Indications"
	case TagConcernedDestination:
		return "Concerned Destination"
	case TagRoutingKey:
		return "Routing Key"
	case TagRegistrationResult:
		return "Registration Result"
	case TagDeregistrationResult:
		return "Deregistration Result"
	case TagLocalRoutingKeyIdentifier:
		return "Local Routing Key Identifier"
	case TagDestinationPointCode:
		return "Destination Point Code"
	case TagServiceIndicators:
		return "Service Indicators"
	case TagOriginatingPointCodeList:
		return "Originating Point Code List"
	case TagProtocolData:
		return "Protocol Data"
	case TagRegistrationStatus:
		return "Registration Status"
	case TagDeregistrationStatus:
		return "Deregistration Status"
	}
	return ""
}

// Error codes (RFC 4666 §3.8.1). Codes 0x02, 0x08, 0x0a-0x0c, 0x10, 0x17
// and 0x18 are "not used in M3UA" (other adaptation layers use them).
const (
	ErrCodeInvalidVersion            uint32 = 0x01
	ErrCodeUnsupportedMessageClass   uint32 = 0x03
	ErrCodeUnsupportedMessageType    uint32 = 0x04
	ErrCodeUnsupportedTrafficMode    uint32 = 0x05
	ErrCodeUnexpectedMessage         uint32 = 0x06
	ErrCodeProtocolError             uint32 = 0x07
	ErrCodeInvalidStreamIdentifier   uint32 = 0x09
	ErrCodeRefusedManagementBlocking uint32 = 0x0d
	ErrCodeASPIdentifierRequired     uint32 = 0x0e
	ErrCodeInvalidASPIdentifier      uint32 = 0x0f
	ErrCodeInvalidParameterValue     uint32 = 0x11
	ErrCodeParameterFieldError       uint32 = 0x12
	ErrCodeUnexpectedParameter       uint32 = 0x13
	ErrCodeDestinationStatusUnknown  uint32 = 0x14
	ErrCodeInvalidNetworkAppearance  uint32 = 0x15
	ErrCodeMissingParameter          uint32 = 0x16
	ErrCodeInvalidRoutingContext     uint32 = 0x19
	ErrCodeNoConfiguredASForASP      uint32 = 0x1a
)

const errCodeNamesLen = ErrCodeNoConfiguredASForASP + 1

// Notify Status Type and Status Information (RFC 4666 §3.8.2).
const (
	StatusTypeASStateChange uint16 = 1
	StatusTypeOther         uint16 = 2

	StatusASInactive uint16 = 2 // with StatusTypeASStateChange
	StatusASActive   uint16 = 3
	StatusASPending  uint16 = 4

	StatusInsufficientASPResources uint16 = 1 // with StatusTypeOther
	StatusAlternateASPActive       uint16 = 2
	StatusASPFailure               uint16 = 3
)

// Traffic Mode Type values (RFC 4666 §3.7.1, ASP Active).
const (
	TrafficModeOverride  uint32 = 1
	TrafficModeLoadshare uint32 = 2
	TrafficModeBroadcast uint32 = 3
)

var errCodeNames = [errCodeNamesLen]string{
	ErrCodeInvalidVersion:            "Invalid Version",
	ErrCodeUnsupportedMessageClass:   "Unsupported Message Class",
	ErrCodeUnsupportedMessageType:    "Unsupported Message Type",
	ErrCodeUnsupportedTrafficMode:    "Unsupported Traffic Mode Type",
	ErrCodeUnexpectedMessage:         "Unexpected Message",
	ErrCodeProtocolError:             "Protocol Error",
	ErrCodeInvalidStreamIdentifier:   "Invalid Stream Identifier",
	ErrCodeRefusedManagementBlocking: "Refused - Management Blocking",
	ErrCodeASPIdentifierRequired:     "ASP Identifier Required",
	ErrCodeInvalidASPIdentifier:      "Invalid ASP Identifier",
	ErrCodeInvalidParameterValue:     "Invalid Parameter Value",
	ErrCodeParameterFieldError:       "Parameter Field Error",
	ErrCodeUnexpectedParameter:       "Unexpected Parameter",
	ErrCodeDestinationStatusUnknown:  "Destination Status Unknown",
	ErrCodeInvalidNetworkAppearance:  "Invalid Network Appearance",
	ErrCodeMissingParameter:          "Missing Parameter",
	ErrCodeInvalidRoutingContext:     "Invalid Routing Context",
	ErrCodeNoConfiguredASForASP:      "No Configured AS for ASP",
}

// ErrorCodeName names an Error Code value.
func ErrorCodeName(code uint32) string {
	if code < errCodeNamesLen {
		return errCodeNames[code]
	}
	return ""
}

// StatusName names a Notify Status (RFC 4666 §3.8.2): type 1 reports an
// AS state change, type 2 other events.
func StatusName(statusType, info uint16) string {
	switch {
	case statusType == StatusTypeASStateChange && info == StatusASInactive:
		return "AS-INACTIVE"
	case statusType == StatusTypeASStateChange && info == StatusASActive:
		return "AS-ACTIVE"
	case statusType == StatusTypeASStateChange && info == StatusASPending:
		return "AS-PENDING"
	case statusType == StatusTypeOther && info == StatusInsufficientASPResources:
		return "Insufficient ASP Resources Active in AS"
	case statusType == StatusTypeOther && info == StatusAlternateASPActive:
		return "Alternate ASP Active"
	case statusType == StatusTypeOther && info == StatusASPFailure:
		return "ASP Failure"
	}
	return ""
}

// TrafficModeName names a Traffic Mode Type value.
func TrafficModeName(v uint32) string {
	switch v {
	case TrafficModeOverride:
		return "Override"
	case TrafficModeLoadshare:
		return "Loadshare"
	case TrafficModeBroadcast:
		return "Broadcast"
	}
	return ""
}

var siNames = [16]string{
	SISNM: "SNM", 1: "MTN", 2: "MTNS", SISCCP: "SCCP", SITUP: "TUP", SIISUP: "ISUP",
	6: "DUP-C", 7: "DUP-F", 8: "MTP-TUP", SIBISUP: "B-ISUP", SISISUP: "S-ISUP",
	SIAAL2: "AAL2", SIBICC: "BICC", SIGCP: "GCP",
}

// SIName names a service indicator (ITU-T Q.704 §14.2.1, Q.2210).
func SIName(si uint8) string {
	if int(si) < len(siNames) {
		return siNames[si]
	}
	return ""
}
