package gtp

// Role says how a message type is used, so that requests (which get
// answers and carry new sequence numbers) are told from responses.
type Role uint8

const (
	RoleUnknown      Role = iota
	RoleRequest           // initial message expecting a response
	RoleResponse          // triggered answer to a request
	RoleNotification      // initial message expecting no response (v2 commands, indications)
)

type msgType struct {
	name string
	role Role
}

// GTPv2-C message types (TS 29.274 table 6.1-1).
var v2Types = [256]msgType{
	1: {"EchoRequest", RoleRequest}, 2: {"EchoResponse", RoleResponse},
	3:  {"VersionNotSupportedIndication", RoleNotification},
	32: {"CreateSessionRequest", RoleRequest}, 33: {"CreateSessionResponse", RoleResponse},
	34: {"ModifyBearerRequest", RoleRequest}, 35: {"ModifyBearerResponse", RoleResponse},
	36: {"DeleteSessionRequest", RoleRequest}, 37: {"DeleteSessionResponse", RoleResponse},
	38: {"ChangeNotificationRequest", RoleRequest}, 39: {"ChangeNotificationResponse", RoleResponse},
	40: {"RemoteUEReportNotification", RoleRequest}, 41: {"RemoteUEReportAcknowledge", RoleResponse},
	64: {"ModifyBearerCommand", RoleNotification}, 65: {"ModifyBearerFailureIndication", RoleResponse},
	66: {"DeleteBearerCommand", RoleNotification}, 67: {"DeleteBearerFailureIndication", RoleResponse},
	68: {"BearerResourceCommand", RoleNotification}, 69: {"BearerResourceFailureIndication", RoleResponse},
	70: {"DownlinkDataNotificationFailureIndication", RoleNotification},
	71: {"TraceSessionActivation", RoleNotification}, 72: {"TraceSessionDeactivation", RoleNotification},
	73: {"StopPagingIndication", RoleNotification},
	95: {"CreateBearerRequest", RoleRequest}, 96: {"CreateBearerResponse", RoleResponse},
	97: {"UpdateBearerRequest", RoleRequest}, 98: {"UpdateBearerResponse", RoleResponse},
	99: {"DeleteBearerRequest", RoleRequest}, 100: {"DeleteBearerResponse", RoleResponse},
	101: {"DeletePDNConnectionSetRequest", RoleRequest}, 102: {"DeletePDNConnectionSetResponse", RoleResponse},
	103: {"PGWDownlinkTriggeringNotification", RoleRequest}, 104: {"PGWDownlinkTriggeringAcknowledge", RoleResponse},
	128: {"IdentificationRequest", RoleRequest}, 129: {"IdentificationResponse", RoleResponse},
	130: {"ContextRequest", RoleRequest}, 131: {"ContextResponse", RoleResponse},
	132: {"ContextAcknowledge", RoleResponse},
	133: {"ForwardRelocationRequest", RoleRequest}, 134: {"ForwardRelocationResponse", RoleResponse},
	135: {"ForwardRelocationCompleteNotification", RoleRequest}, 136: {"ForwardRelocationCompleteAcknowledge", RoleResponse},
	137: {"ForwardAccessContextNotification", RoleRequest}, 138: {"ForwardAccessContextAcknowledge", RoleResponse},
	139: {"RelocationCancelRequest", RoleRequest}, 140: {"RelocationCancelResponse", RoleResponse},
	141: {"ConfigurationTransferTunnel", RoleNotification},
	149: {"DetachNotification", RoleRequest}, 150: {"DetachAcknowledge", RoleResponse},
	151: {"CSPagingIndication", RoleNotification}, 152: {"RANInformationRelay", RoleNotification},
	153: {"AlertMMENotification", RoleRequest}, 154: {"AlertMMEAcknowledge", RoleResponse},
	155: {"UEActivityNotification", RoleRequest}, 156: {"UEActivityAcknowledge", RoleResponse},
	157: {"ISRStatusIndication", RoleNotification},
	158: {"UERegistrationQueryRequest", RoleRequest}, 159: {"UERegistrationQueryResponse", RoleResponse},
	160: {"CreateForwardingTunnelRequest", RoleRequest}, 161: {"CreateForwardingTunnelResponse", RoleResponse},
	162: {"SuspendNotification", RoleRequest}, 163: {"SuspendAcknowledge", RoleResponse},
	164: {"ResumeNotification", RoleRequest}, 165: {"ResumeAcknowledge", RoleResponse},
	166: {"CreateIndirectDataForwardingTunnelRequest", RoleRequest}, 167: {"CreateIndirectDataForwardingTunnelResponse", RoleResponse},
	168: {"DeleteIndirectDataForwardingTunnelRequest", RoleRequest}, 169: {"DeleteIndirectDataForwardingTunnelResponse", RoleResponse},
	170: {"ReleaseAccessBearersRequest", RoleRequest}, 171: {"ReleaseAccessBearersResponse", RoleResponse},
	176: {"DownlinkDataNotification", RoleRequest}, 177: {"DownlinkDataNotificationAcknowledge", RoleResponse},
	179: {"PGWRestartNotification", RoleRequest}, 180: {"PGWRestartNotificationAcknowledge", RoleResponse},
	200: {"UpdatePDNConnectionSetRequest", RoleRequest}, 201: {"UpdatePDNConnectionSetResponse", RoleResponse},
	211: {"ModifyAccessBearersRequest", RoleRequest}, 212: {"ModifyAccessBearersResponse", RoleResponse},
	231: {"MBMSSessionStartRequest", RoleRequest}, 232: {"MBMSSessionStartResponse", RoleResponse},
	233: {"MBMSSessionUpdateRequest", RoleRequest}, 234: {"MBMSSessionUpdateResponse", RoleResponse},
	235: {"MBMSSessionStopRequest", RoleRequest}, 236: {"MBMSSessionStopResponse", RoleResponse},
}

// GTPv1 message types (TS 29.060 table 1; TS 32.295 for 240/241).
var v1Types = [256]msgType{
	1: {"EchoRequest", RoleRequest}, 2: {"EchoResponse", RoleResponse},
	3: {"VersionNotSupported", RoleNotification},
	4: {"NodeAliveRequest", RoleRequest}, 5: {"NodeAliveResponse", RoleResponse},
	6: {"RedirectionRequest", RoleRequest}, 7: {"RedirectionResponse", RoleResponse},
	16: {"CreatePDPContextRequest", RoleRequest}, 17: {"CreatePDPContextResponse", RoleResponse},
	18: {"UpdatePDPContextRequest", RoleRequest}, 19: {"UpdatePDPContextResponse", RoleResponse},
	20: {"DeletePDPContextRequest", RoleRequest}, 21: {"DeletePDPContextResponse", RoleResponse},
	22: {"InitiatePDPContextActivationRequest", RoleRequest}, 23: {"InitiatePDPContextActivationResponse", RoleResponse},
	26: {"ErrorIndication", RoleNotification},
	27: {"PDUNotificationRequest", RoleRequest}, 28: {"PDUNotificationResponse", RoleResponse},
	29: {"PDUNotificationRejectRequest", RoleRequest}, 30: {"PDUNotificationRejectResponse", RoleResponse},
	31: {"SupportedExtensionHeadersNotification", RoleNotification},
	32: {"SendRoutingInfoForGPRSRequest", RoleRequest}, 33: {"SendRoutingInfoForGPRSResponse", RoleResponse},
	34: {"FailureReportRequest", RoleRequest}, 35: {"FailureReportResponse", RoleResponse},
	36: {"NoteMSGPRSPresentRequest", RoleRequest}, 37: {"NoteMSGPRSPresentResponse", RoleResponse},
	48: {"IdentificationRequest", RoleRequest}, 49: {"IdentificationResponse", RoleResponse},
	50: {"SGSNContextRequest", RoleRequest}, 51: {"SGSNContextResponse", RoleResponse},
	52: {"SGSNContextAcknowledge", RoleResponse},
	53: {"ForwardRelocationRequest", RoleRequest}, 54: {"ForwardRelocationResponse", RoleResponse},
	55: {"ForwardRelocationComplete", RoleRequest}, 56: {"RelocationCancelRequest", RoleRequest},
	57: {"RelocationCancelResponse", RoleResponse}, 58: {"ForwardSRNSContext", RoleRequest},
	59: {"ForwardRelocationCompleteAcknowledge", RoleResponse}, 60: {"ForwardSRNSContextAcknowledge", RoleResponse},
	61: {"UERegistrationQueryRequest", RoleRequest}, 62: {"UERegistrationQueryResponse", RoleResponse},
	70: {"RANInformationRelay", RoleNotification},
	96: {"MBMSNotificationRequest", RoleRequest}, 97: {"MBMSNotificationResponse", RoleResponse},
	98: {"MBMSNotificationRejectRequest", RoleRequest}, 99: {"MBMSNotificationRejectResponse", RoleResponse},
	100: {"CreateMBMSContextRequest", RoleRequest}, 101: {"CreateMBMSContextResponse", RoleResponse},
	102: {"UpdateMBMSContextRequest", RoleRequest}, 103: {"UpdateMBMSContextResponse", RoleResponse},
	104: {"DeleteMBMSContextRequest", RoleRequest}, 105: {"DeleteMBMSContextResponse", RoleResponse},
	112: {"MBMSRegistrationRequest", RoleRequest}, 113: {"MBMSRegistrationResponse", RoleResponse},
	114: {"MBMSDeRegistrationRequest", RoleRequest}, 115: {"MBMSDeRegistrationResponse", RoleResponse},
	116: {"MBMSSessionStartRequest", RoleRequest}, 117: {"MBMSSessionStartResponse", RoleResponse},
	118: {"MBMSSessionStopRequest", RoleRequest}, 119: {"MBMSSessionStopResponse", RoleResponse},
	120: {"MBMSSessionUpdateRequest", RoleRequest}, 121: {"MBMSSessionUpdateResponse", RoleResponse},
	128: {"MSInfoChangeNotificationRequest", RoleRequest}, 129: {"MSInfoChangeNotificationResponse", RoleResponse},
	240: {"DataRecordTransferRequest", RoleRequest}, 241: {"DataRecordTransferResponse", RoleResponse},
	254: {"EndMarker", RoleNotification}, 255: {"GPDU", RoleNotification},
}

// TypeName returns the message type's name, or "" when unknown.
func TypeName(version, t uint8) string {
	if version == 2 {
		return v2Types[t].name
	}
	return v1Types[t].name
}

// TypeRole returns how the message type is used.
func TypeRole(version, t uint8) Role {
	if version == 2 {
		return v2Types[t].role
	}
	return v1Types[t].role
}

// TypeByName is the inverse of TypeName, for rule compilation.
func TypeByName(version uint8, name string) (uint8, bool) {
	tab := &v1Types
	if version == 2 {
		tab = &v2Types
	}
	for i, m := range tab {
		if m.name == name && name != "" {
			return uint8(i), true
		}
	}
	return 0, false
}

// ControlPlane reports GTPv1 message types that belong on GTP-C (port
// 2123) rather than GTP-U (2152): every type but G-PDU, End Marker and
// Error Indication (user-plane path messages).
func ControlPlane(version, t uint8) bool {
	if version == 2 {
		return true
	}
	return t != 255 && t != 254 && t != 26
}

// GTPv2 IE types (TS 29.274 §8.1).
const (
	IEIMSI             uint8 = 1
	IECause            uint8 = 2
	IERecovery         uint8 = 3
	IEAPN              uint8 = 71
	IEEBI              uint8 = 73
	IEMSISDN           uint8 = 76
	IEIndication       uint8 = 77
	IERATType          uint8 = 82
	IEServingNetwork   uint8 = 83
	IEULI              uint8 = 86
	IEFTEID            uint8 = 87
	IEBearerContext    uint8 = 93
	IESelectionMode    uint8 = 128
	IEFQCSID           uint8 = 132
	IEPrivateExtension uint8 = 255
)

// GTPv1 IE types (TS 29.060 §7.7).
const (
	V1IECause            uint8 = 1
	V1IEIMSI             uint8 = 2
	V1IERAI              uint8 = 3
	V1IERecovery         uint8 = 14
	V1IESelectionMode    uint8 = 15
	V1IETEIDData         uint8 = 16
	V1IETEIDControl      uint8 = 17
	V1IENSAPI            uint8 = 20
	V1IEEndUserAddress   uint8 = 128
	V1IEAPN              uint8 = 131
	V1IEGSNAddress       uint8 = 133
	V1IEMSISDN           uint8 = 134
	V1IERATType          uint8 = 151
	V1IEULI              uint8 = 152
	V1IEPrivateExtension uint8 = 255
)

// F-TEID interface types that carry GTP-C (TS 29.274 §8.22): the sender's
// control-plane endpoint is the F-TEID with one of these.
func controlInterface(t uint8) bool {
	switch t {
	case 6, 7, 10, 11, 12, 13, 14, 17, 18, 24, 25, 26, 27, 30, 32, 35, 36, 40:
		return true
	}
	return false
}

// groupedV2 reports GTPv2 IE types that contain IEs.
func groupedV2(t uint8) bool {
	switch t {
	case IEBearerContext, 109 /* PDN Connection */, 180 /* Overload Control Information */, 181, /* Load Control Information */
		191 /* Remote UE Context */, 195 /* SCEF PDN Connection */, 208 /* V2X Context */, 209 /* PC5 QoS Parameters */ :
		return true
	}
	return false
}
