package gsmmap

// Operation codes (TS 29.002 §17.5, MAP-Protocol; the reserved codes of
// earlier versions are listed at its end). Names are the ASN.1 value
// names of the specification; Wireshark's GSMMAPOperationLocalvalue uses
// the same numbers (and writes mt-forwardSM, mo-forwardSM,
// forwardCheckSS and sIWFSSignallingModify). Codes 16 and 109-126 are
// the supplementary-service operations of TS 24.080 that share the
// number space (Wireshark lists them too).
const (
	OpUpdateLocation                   = 2
	OpCancelLocation                   = 3
	OpProvideRoamingNumber             = 4
	OpNoteSubscriberDataModified       = 5
	OpResumeCallHandling               = 6
	OpInsertSubscriberData             = 7
	OpDeleteSubscriberData             = 8
	OpSendParameters                   = 9 // MAP v1
	OpRegisterSS                       = 10
	OpEraseSS                          = 11
	OpActivateSS                       = 12
	OpDeactivateSS                     = 13
	OpInterrogateSS                    = 14
	OpAuthenticationFailureReport      = 15
	OpRegisterPassword                 = 17
	OpGetPassword                      = 18
	OpProcessUnstructuredSSData        = 19 // MAP v1
	OpReleaseResources                 = 20
	OpMTForwardSMVGCS                  = 21
	OpSendRoutingInfo                  = 22
	OpUpdateGprsLocation               = 23
	OpSendRoutingInfoForGprs           = 24
	OpFailureReport                    = 25
	OpNoteMsPresentForGprs             = 26
	OpPerformHandover                  = 28 // MAP v1
	OpSendEndSignal                    = 29
	OpPerformSubsequentHandover        = 30 // MAP v1
	OpProvideSIWFSNumber               = 31
	OpSIWFSSignallingModify            = 32
	OpProcessAccessSignalling          = 33
	OpForwardAccessSignalling          = 34
	OpNoteInternalHandover             = 35 // MAP v1
	OpCancelVcsgLocation               = 36
	OpReset                            = 37
	OpForwardCheckSSIndication         = 38
	OpPrepareGroupCall                 = 39
	OpSendGroupCallEndSignal           = 40
	OpProcessGroupCallSignalling       = 41
	OpForwardGroupCallSignalling       = 42
	OpCheckIMEI                        = 43
	OpMTForwardSM                      = 44
	OpSendRoutingInfoForSM             = 45
	OpMOForwardSM                      = 46 // forwardSM in MAP v1 and v2, both directions
	OpReportSMDeliveryStatus           = 47
	OpNoteSubscriberPresent            = 48 // MAP v1
	OpAlertServiceCentreWithoutResult  = 49 // MAP v1
	OpActivateTraceMode                = 50
	OpDeactivateTraceMode              = 51
	OpTraceSubscriberActivity          = 52 // MAP v1
	OpUpdateVcsgLocation               = 53
	OpBeginSubscriberActivity          = 54 // MAP v1
	OpSendIdentification               = 55
	OpSendAuthenticationInfo           = 56
	OpRestoreData                      = 57
	OpSendIMSI                         = 58
	OpProcessUnstructuredSSRequest     = 59
	OpUnstructuredSSRequest            = 60
	OpUnstructuredSSNotify             = 61
	OpAnyTimeSubscriptionInterrogation = 62
	OpInformServiceCentre              = 63
	OpAlertServiceCentre               = 64
	OpAnyTimeModification              = 65
	OpReadyForSM                       = 66
	OpPurgeMS                          = 67
	OpPrepareHandover                  = 68
	OpPrepareSubsequentHandover        = 69
	OpProvideSubscriberInfo            = 70
	OpAnyTimeInterrogation             = 71
	OpSSInvocationNotification         = 72
	OpSetReportingState                = 73
	OpStatusReport                     = 74
	OpRemoteUserFree                   = 75
	OpRegisterCCEntry                  = 76
	OpEraseCCEntry                     = 77
	OpSecureTransportClass1            = 78
	OpSecureTransportClass2            = 79
	OpSecureTransportClass3            = 80
	OpSecureTransportClass4            = 81
	OpProvideSubscriberLocation        = 83
	OpSendGroupCallInfo                = 84
	OpSendRoutingInfoForLCS            = 85
	OpSubscriberLocationReport         = 86
	OpISTAlert                         = 87
	OpISTCommand                       = 88
	OpNoteMMEvent                      = 89
)

var opNames = [...]string{
	2: "updateLocation", 3: "cancelLocation", 4: "provideRoamingNumber", 5: "noteSubscriberDataModified",
	6: "resumeCallHandling", 7: "insertSubscriberData", 8: "deleteSubscriberData", 9: "sendParameters",
	10: "registerSS", 11: "eraseSS", 12: "activateSS", 13: "deactivateSS", 14: "interrogateSS",
	15: "authenticationFailureReport", 16: "notifySS", 17: "registerPassword", 18: "getPassword",
	19: "processUnstructuredSS-Data", 20: "releaseResources", 21: "mt-ForwardSM-VGCS", 22: "sendRoutingInfo",
	23: "updateGprsLocation", 24: "sendRoutingInfoForGprs", 25: "failureReport", 26: "noteMsPresentForGprs",
	28: "performHandover", 29: "sendEndSignal", 30: "performSubsequentHandover", 31: "provideSIWFSNumber",
	32: "siwfs-SignallingModify", 33: "processAccessSignalling", 34: "forwardAccessSignalling",
	35: "noteInternalHandover", 36: "cancelVcsgLocation", 37: "reset", 38: "forwardCheckSS-Indication",
	39: "prepareGroupCall", 40: "sendGroupCallEndSignal", 41: "processGroupCallSignalling",
	42: "forwardGroupCallSignalling", 43: "checkIMEI", 44: "mt-ForwardSM", 45: "sendRoutingInfoForSM",
	46: "mo-ForwardSM", 47: "reportSM-DeliveryStatus", 48: "noteSubscriberPresent",
	49: "alertServiceCentreWithoutResult", 50: "activateTraceMode", 51: "deactivateTraceMode",
	52: "traceSubscriberActivity", 53: "updateVcsgLocation", 54: "beginSubscriberActivity",
	55: "sendIdentification", 56: "sendAuthenticationInfo", 57: "restoreData", 58: "sendIMSI",
	59: "processUnstructuredSS-Request", 60: "unstructuredSS-Request", 61: "unstructuredSS-Notify",
	62: "anyTimeSubscriptionInterrogation", 63: "informServiceCentre", 64: "alertServiceCentre",
	65: "anyTimeModification", 66: "readyForSM", 67: "purgeMS", 68: "prepareHandover",
	69: "prepareSubsequentHandover", 70: "provideSubscriberInfo", 71: "anyTimeInterrogation",
	72: "ss-InvocationNotification", 73: "setReportingState", 74: "statusReport", 75: "remoteUserFree",
	76: "registerCC-Entry", 77: "eraseCC-Entry", 78: "secureTransportClass1", 79: "secureTransportClass2",
	80: "secureTransportClass3", 81: "secureTransportClass4", 83: "provideSubscriberLocation",
	84: "sendGroupCallInfo", 85: "sendRoutingInfoForLCS", 86: "subscriberLocationReport", 87: "ist-Alert",
	88: "ist-Command", 89: "noteMM-Event",
	109: "lcs-PeriodicLocationCancellation", 110: "lcs-LocationUpdate", 111: "lcs-PeriodicLocationRequest",
	112: "lcs-AreaEventCancellation", 113: "lcs-AreaEventReport", 114: "lcs-AreaEventRequest", 115: "lcs-MOLR",
	116: "lcs-LocationNotification", 117: "callDeflection", 118: "userUserService",
	119: "accessRegisterCCEntry", 120: "forwardCUG-Info", 121: "splitMPTY", 122: "retrieveMPTY",
	123: "holdMPTY", 124: "buildMPTY", 125: "forwardChargeAdvice", 126: "explicitCT",
}

// OpName returns the static name of a MAP operation code ("updateLocation"),
// or "" for an unassigned one.
func OpName(code int64) string {
	if code < 0 || code >= int64(len(opNames)) {
		return ""
	}
	return opNames[code]
}

// opNameVersion is OpName for a dialogue of application-context version
// version: MAP v1 and v2 had one forwardSM (46) for both directions.
func opNameVersion(code int64, version uint8) string {
	if code == OpMOForwardSM && (version == 1 || version == 2) {
		return "forwardSM"
	}
	return OpName(code)
}

// Error codes (TS 29.002 §17.6.6, MAP-Errors; 2, 23 and 24 are the
// handover errors of MAP v1).
var errorNames = [...]string{
	1: "unknownSubscriber", 2: "unknownBaseStation", 3: "unknownMSC", 4: "secureTransportError",
	5: "unidentifiedSubscriber", 6: "absentSubscriberSM", 7: "unknownEquipment", 8: "roamingNotAllowed",
	9: "illegalSubscriber", 10: "bearerServiceNotProvisioned", 11: "teleserviceNotProvisioned",
	12: "illegalEquipment", 13: "callBarred", 14: "forwardingViolation", 15: "cug-Reject",
	16: "illegalSS-Operation", 17: "ss-ErrorStatus", 18: "ss-NotAvailable", 19: "ss-SubscriptionViolation",
	20: "ss-Incompatibility", 21: "facilityNotSupported", 22: "ongoingGroupCall",
	23: "invalidTargetBaseStation", 24: "noRadioResourceAvailable", 25: "noHandoverNumberAvailable",
	26: "subsequentHandoverFailure", 27: "absentSubscriber", 28: "incompatibleTerminal", 29: "shortTermDenial",
	30: "longTermDenial", 31: "subscriberBusyForMT-SMS", 32: "sm-DeliveryFailure",
	33: "messageWaitingListFull", 34: "systemFailure", 35: "dataMissing", 36: "unexpectedDataValue",
	37: "pw-RegistrationFailure", 38: "negativePW-Check", 39: "noRoamingNumberAvailable",
	40: "tracingBufferFull", 42: "targetCellOutsideGroupCallArea", 43: "numberOfPW-AttemptsViolation",
	44: "numberChanged", 45: "busySubscriber", 46: "noSubscriberReply", 47: "forwardingFailed",
	48: "or-NotAllowed", 49: "ati-NotAllowed", 50: "noGroupCallNumberAvailable", 51: "resourceLimitation",
	52: "unauthorizedRequestingNetwork", 53: "unauthorizedLCSClient", 54: "positionMethodFailure",
	58: "unknownOrUnreachableLCSClient", 59: "mm-EventNotSupported", 60: "atsi-NotAllowed",
	61: "atm-NotAllowed", 62: "informationNotAvailable", 71: "unknownAlphabet", 72: "ussd-Busy",
}

// ErrorName returns the static name of a MAP error code ("unknownSubscriber"),
// or "" for an unassigned one.
func ErrorName(code int64) string {
	if code < 0 || code >= int64(len(errorNames)) {
		return ""
	}
	return errorNames[code]
}

// Application contexts (TS 29.002 §17.3.3, MAP-ApplicationContexts):
// the X of map-ac {0 4 0 0 1 0 X V}. 12 (sIWFSAllocation) is reserved
// from earlier versions; 30 is unassigned; 50 and up are CAMEL's.
const (
	ACNetworkLocUp                           = 1
	ACLocationCancellation                   = 2
	ACRoamingNumberEnquiry                   = 3
	ACIstAlerting                            = 4
	ACLocationInfoRetrieval                  = 5
	ACCallControlTransfer                    = 6
	ACReporting                              = 7
	ACCallCompletion                         = 8
	ACServiceTermination                     = 9
	ACReset                                  = 10
	ACHandoverControl                        = 11
	ACSIWFSAllocation                        = 12
	ACEquipmentMngt                          = 13
	ACInfoRetrieval                          = 14
	ACInterVlrInfoRetrieval                  = 15
	ACSubscriberDataMngt                     = 16
	ACTracing                                = 17
	ACNetworkFunctionalSs                    = 18
	ACNetworkUnstructuredSs                  = 19
	ACShortMsgGateway                        = 20
	ACShortMsgMORelay                        = 21
	ACSubscriberDataModificationNotification = 22
	ACShortMsgAlert                          = 23
	ACMwdMngt                                = 24
	ACShortMsgMTRelay                        = 25
	ACImsiRetrieval                          = 26
	ACMsPurging                              = 27
	ACSubscriberInfoEnquiry                  = 28
	ACAnyTimeInfoEnquiry                     = 29
	ACGroupCallControl                       = 31
	ACGprsLocationUpdate                     = 32
	ACGprsLocationInfoRetrieval              = 33
	ACFailureReport                          = 34
	ACGprsNotify                             = 35
	ACSSInvocationNotification               = 36
	ACLocationSvcGateway                     = 37
	ACLocationSvcEnquiry                     = 38
	ACAuthenticationFailureReport            = 39
	ACSecureTransportHandling                = 40
	ACShortMsgMTRelayVGCS                    = 41
	ACMMEventReporting                       = 42
	ACAnyTimeInfoHandling                    = 43
	ACResourceManagement                     = 44
	ACGroupCallInfoRetrieval                 = 45
	ACVcsgLocationUpdate                     = 46
	ACVcsgLocationCancellation               = 47
)

var acNames = [...]string{
	1: "networkLocUpContext", 2: "locationCancellationContext", 3: "roamingNumberEnquiryContext",
	4: "istAlertingContext", 5: "locationInfoRetrievalContext", 6: "callControlTransferContext",
	7: "reportingContext", 8: "callCompletionContext", 9: "serviceTerminationContext", 10: "resetContext",
	11: "handoverControlContext", 12: "sIWFSAllocationContext", 13: "equipmentMngtContext",
	14: "infoRetrievalContext", 15: "interVlrInfoRetrievalContext", 16: "subscriberDataMngtContext",
	17: "tracingContext", 18: "networkFunctionalSsContext", 19: "networkUnstructuredSsContext",
	20: "shortMsgGatewayContext", 21: "shortMsgMO-RelayContext",
	22: "subscriberDataModificationNotificationContext", 23: "shortMsgAlertContext", 24: "mwdMngtContext",
	25: "shortMsgMT-RelayContext", 26: "imsiRetrievalContext", 27: "msPurgingContext",
	28: "subscriberInfoEnquiryContext", 29: "anyTimeInfoEnquiryContext", 31: "groupCallControlContext",
	32: "gprsLocationUpdateContext", 33: "gprsLocationInfoRetrievalContext", 34: "failureReportContext",
	35: "gprsNotifyContext", 36: "ss-InvocationNotificationContext", 37: "locationSvcGatewayContext",
	38: "locationSvcEnquiryContext", 39: "authenticationFailureReportContext",
	40: "secureTransportHandlingContext", 41: "shortMsgMT-Relay-VGCS-Context", 42: "mm-EventReportingContext",
	43: "anyTimeInfoHandlingContext", 44: "resourceManagementContext", 45: "groupCallInfoRetrievalContext",
	46: "vcsgLocationUpdateContext", 47: "vcsgLocationCancellationContext",
}

// ACName returns the static name of MAP application context ac (without
// its version suffix: "networkLocUpContext"), or "" for an unassigned one.
func ACName(ac uint8) string {
	if int(ac) >= len(acNames) {
		return ""
	}
	return acNames[ac]
}

// acOps lists the operations each application context carries, in either
// direction (TS 29.002 §17.3.2, plus the v1 operations the reserved-code
// list of MAP-Protocol assigns to contexts). An Invoke of another
// operation in that context is the filter-bypass shape view.FlagAppMismatch
// names. Each entry is a bit set over operation codes 0..127.
var acOps = func() (t [len(acNames)][2]uint64) {
	add := func(ac int, ops ...int) {
		for _, op := range ops {
			t[ac][op/64] |= 1 << (op % 64)
		}
	}
	add(ACNetworkLocUp, OpUpdateLocation, OpForwardCheckSSIndication, OpRestoreData, OpInsertSubscriberData,
		OpActivateTraceMode)
	add(ACLocationCancellation, OpCancelLocation)
	add(ACRoamingNumberEnquiry, OpProvideRoamingNumber)
	add(ACIstAlerting, OpISTAlert)
	add(ACLocationInfoRetrieval, OpSendRoutingInfo)
	add(ACCallControlTransfer, OpResumeCallHandling)
	add(ACReporting, OpSetReportingState, OpStatusReport, OpRemoteUserFree)
	add(ACCallCompletion, OpRegisterCCEntry, OpEraseCCEntry)
	add(ACServiceTermination, OpISTCommand)
	add(ACReset, OpReset)
	add(ACHandoverControl, OpPrepareHandover, OpForwardAccessSignalling, OpSendEndSignal, OpProcessAccessSignalling,
		OpPrepareSubsequentHandover, OpPerformHandover, OpPerformSubsequentHandover, OpNoteInternalHandover,
		OpTraceSubscriberActivity)
	add(ACSIWFSAllocation, OpProvideSIWFSNumber, OpSIWFSSignallingModify)
	add(ACEquipmentMngt, OpCheckIMEI)
	add(ACInfoRetrieval, OpSendAuthenticationInfo, OpSendParameters)
	add(ACInterVlrInfoRetrieval, OpSendIdentification)
	add(ACSubscriberDataMngt, OpInsertSubscriberData, OpDeleteSubscriberData)
	add(ACTracing, OpActivateTraceMode, OpDeactivateTraceMode)
	add(ACNetworkFunctionalSs, OpRegisterSS, OpEraseSS, OpActivateSS, OpDeactivateSS, OpInterrogateSS,
		OpRegisterPassword, OpGetPassword, OpProcessUnstructuredSSData, OpBeginSubscriberActivity)
	add(ACNetworkUnstructuredSs, OpProcessUnstructuredSSRequest, OpUnstructuredSSRequest, OpUnstructuredSSNotify)
	add(ACShortMsgGateway, OpSendRoutingInfoForSM, OpReportSMDeliveryStatus, OpInformServiceCentre)
	add(ACShortMsgMORelay, OpMOForwardSM)
	add(ACSubscriberDataModificationNotification, OpNoteSubscriberDataModified)
	add(ACShortMsgAlert, OpAlertServiceCentre, OpAlertServiceCentreWithoutResult)
	add(ACMwdMngt, OpReadyForSM, OpNoteSubscriberPresent)
	add(ACShortMsgMTRelay, OpMTForwardSM, OpMOForwardSM) // v2 used forwardSM (46)
	add(ACImsiRetrieval, OpSendIMSI)
	add(ACMsPurging, OpPurgeMS)
	add(ACSubscriberInfoEnquiry, OpProvideSubscriberInfo)
	add(ACAnyTimeInfoEnquiry, OpAnyTimeInterrogation)
	add(ACGroupCallControl, OpPrepareGroupCall, OpProcessGroupCallSignalling, OpForwardGroupCallSignalling,
		OpSendGroupCallEndSignal)
	add(ACGprsLocationUpdate, OpUpdateGprsLocation, OpInsertSubscriberData, OpActivateTraceMode)
	add(ACGprsLocationInfoRetrieval, OpSendRoutingInfoForGprs)
	add(ACFailureReport, OpFailureReport)
	add(ACGprsNotify, OpNoteMsPresentForGprs)
	add(ACSSInvocationNotification, OpSSInvocationNotification)
	add(ACLocationSvcGateway, OpSendRoutingInfoForLCS)
	add(ACLocationSvcEnquiry, OpProvideSubscriberLocation, OpSubscriberLocationReport)
	add(ACAuthenticationFailureReport, OpAuthenticationFailureReport)
	add(ACSecureTransportHandling, OpSecureTransportClass1, OpSecureTransportClass2, OpSecureTransportClass3,
		OpSecureTransportClass4)
	add(ACShortMsgMTRelayVGCS, OpMTForwardSMVGCS)
	add(ACMMEventReporting, OpNoteMMEvent)
	add(ACAnyTimeInfoHandling, OpAnyTimeSubscriptionInterrogation, OpAnyTimeModification)
	add(ACResourceManagement, OpReleaseResources)
	add(ACGroupCallInfoRetrieval, OpSendGroupCallInfo)
	add(ACVcsgLocationUpdate, OpUpdateVcsgLocation)
	add(ACVcsgLocationCancellation, OpCancelVcsgLocation)
	return t
}()

// InContext reports whether operation op belongs to MAP application
// context ac. It is false for unknown contexts and operations.
func InContext(ac uint8, op int64) bool {
	if int(ac) >= len(acOps) || op < 0 || op >= 128 {
		return false
	}
	return acOps[ac][op/64]&(1<<(op%64)) != 0
}
