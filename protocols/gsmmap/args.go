package gsmmap

import "breakwater/protocols/view"

// Schemas of the MAP types the firewall reads (TS 29.002 §17.7; MAP
// modules use IMPLICIT TAGS, so [n] on a primitive type is a context tag
// 0x80|n and on a SEQUENCE 0xA0|n; a tagged CHOICE is explicit). The
// ASN.1 above each table is abridged to the elements that matter; fields
// are listed in the specification's textual order, which is the order
// BER encodes them in. Untagged elements are told apart only by position,
// so every untagged element of a type that shares a tag with a listed one
// is listed too (as actSkip): otherwise it would read as a repetition.

// Common types.
var (
	// SubscriberIdentity ::= CHOICE { imsi [0] IMSI, msisdn [1] ISDN-AddressString }
	subscriberIdentity = &schema{kind: choice, fields: []field{c(0, prim, actIMSI), c(1, prim, actMSISDN)}}

	// IMSI-WithLMSI ::= SEQUENCE { imsi IMSI, lmsi LMSI }
	imsiWithLMSI = &schema{fields: []field{u(tOctets, prim, actIMSI).required(), u(tOctets, prim, actSkip)}}

	// RequestedInfo ::= SEQUENCE { locationInformation [0] NULL,
	// subscriberState [1] NULL, extensionContainer [2], ...,
	// currentLocation [3] NULL, requestedDomain [4], imei [6],
	// ms-classmark [5], mnpRequestedInfo [7],
	// locationInformationEPS-Supported [11], t-adsData [8],
	// requestedNodes [9], servingNodeIndication [10], localTimeZoneRequest [12] }
	requestedInfo = &schema{fields: []field{
		c(0, prim, actFlag).setting(view.FlagLocationRequest),
		c(1, prim, actFlag).setting(view.FlagStateRequest),
		c(3, prim, actFlag).setting(view.FlagLocationRequest),
	}}

	// SM-RP-DA ::= CHOICE { imsi [0] IMSI, lmsi [1] LMSI, roamingNumber [3]
	// (MAP v1), serviceCentreAddressDA [4] AddressString, noSM-RP-DA [5] NULL }
	// SM-RP-OA ::= CHOICE { msisdn [2] ISDN-AddressString,
	// serviceCentreAddressOA [4] AddressString, noSM-RP-OA [5] NULL }
	smRPDA = []field{
		c(0, prim, actIMSI).in(1).required(), c(1, prim, actSkip).in(1), c(3, prim, actSkip).in(1),
		c(4, prim, actSMSC).in(1), c(5, prim, actSkip).in(1),
	}
	smRPOA = []field{c(2, prim, actMSISDN).in(2).required(), c(4, prim, actSMSC).in(2), c(5, prim, actSkip).in(2)}

	// LocationInformation ::= SEQUENCE { ageOfLocationInformation INTEGER,
	// geographicalInformation [0], vlr-number [1] ISDN-AddressString,
	// locationNumber [2], cellGlobalIdOrServiceAreaIdOrLAI [3],
	// extensionContainer [4], ..., selectedLSA-Id [5], msc-Number [6]
	// ISDN-AddressString, ... }
	locationInformation = &schema{fields: []field{c(1, prim, actVLR), c(6, prim, actMSC)}}
	// LocationInformationGPRS ::= SEQUENCE { cellGlobalIdOrServiceAreaIdOrLAI
	// [0], routeingAreaIdentity [1], geographicalInformation [2],
	// sgsn-Number [3] ISDN-AddressString, ... }
	locationInformationGPRS = &schema{fields: []field{c(3, prim, actSGSN)}}
	// SubscriberInfo ::= SEQUENCE { locationInformation [0],
	// subscriberState [1], extensionContainer [2], ...,
	// locationInformationGPRS [3], ... }
	subscriberInfo = &schema{fields: []field{
		c(0, cons, actNest).nest(locationInformation), c(3, cons, actNest).nest(locationInformationGPRS),
	}}

	// LCSLocationInfo ::= SEQUENCE { networkNode-Number ISDN-AddressString,
	// lmsi [0], extensionContainer [1], ..., gprsNodeIndicator [2] NULL, ... }
	lcsLocationInfo = &schema{fields: []field{u(tOctets, prim, actNode).required(), c(2, prim, actGprsNode)}}
)

// CAMEL subscription data (insertSubscriberData, TS 29.002 §17.7.1).
// Every gsmSCF-Address in it hands control of the subscriber's calls,
// SMS, GPRS sessions or mobility events to that gsmSCF.
var (
	// O-BcsmCamelTDPData / T-BcsmCamelTDPData ::= SEQUENCE {
	// triggerDetectionPoint ENUMERATED, serviceKey INTEGER,
	// gsmSCF-Address [0] ISDN-AddressString, defaultCallHandling [1], ... }
	bcsmTDPData = &schema{fields: []field{u(tEnum, prim, actSkip), u(tInt, prim, actSkip), c(0, prim, actCamelSCF).required()}}
	bcsmTDPList = &schema{kind: seqOf, fields: []field{u(tSeq, cons, actNest).nest(bcsmTDPData)}}
	// O-CSI / T-CSI ::= SEQUENCE { o-BcsmCamelTDPDataList, extensionContainer, ... }
	bcsmCSI = &schema{fields: []field{u(tSeq, cons, actNest).nest(bcsmTDPList).required(), u(tSeq, cons, actSkip)}}
	// SS-CamelData ::= SEQUENCE { ss-EventList, gsmSCF-Address ISDN-AddressString, ... }
	ssCamelData = &schema{fields: []field{u(tSeq, cons, actSkip), u(tOctets, prim, actCamelSCF).required()}}
	// SS-CSI ::= SEQUENCE { ss-CamelData, extensionContainer, ... }
	ssCSI = &schema{fields: []field{u(tSeq, cons, actNest).nest(ssCamelData).required(), u(tSeq, cons, actSkip)}}
	// M-CSI / MG-CSI ::= SEQUENCE { mobilityTriggers, serviceKey,
	// gsmSCF-Address [0] ISDN-AddressString, ... }
	mCSI = &schema{fields: []field{u(tSeq, cons, actSkip), u(tInt, prim, actSkip), c(0, prim, actCamelSCF).required()}}
	// SMS-CAMEL-TDP-Data / GPRS-CamelTDPData ::= SEQUENCE {
	// triggerDetectionPoint [0], serviceKey [1], gsmSCF-Address [2]
	// ISDN-AddressString, default...Handling [3], ... }
	tdpData2 = &schema{fields: []field{c(0, prim, actSkip), c(1, prim, actSkip), c(2, prim, actCamelSCF).required()}}
	tdpList2 = &schema{kind: seqOf, fields: []field{u(tSeq, cons, actNest).nest(tdpData2)}}
	// SMS-CSI / GPRS-CSI ::= SEQUENCE { ...-TDP-DataList [0], camelCapabilityHandling [1], ... }
	csi2 = &schema{fields: []field{c(0, cons, actNest).nest(tdpList2)}}
	// DP-AnalysedInfoCriterium ::= SEQUENCE { dialledNumber
	// ISDN-AddressString, serviceKey, gsmSCF-Address ISDN-AddressString,
	// defaultCallHandling, ... }
	dpCriterium = &schema{fields: []field{
		u(tOctets, prim, actSkip).required(), u(tInt, prim, actSkip), u(tOctets, prim, actCamelSCF).required(),
	}}
	dpList = &schema{kind: seqOf, fields: []field{u(tSeq, cons, actNest).nest(dpCriterium)}}
	// D-CSI ::= SEQUENCE { dp-AnalysedInfoCriteriaList [0], ... }
	dCSI = &schema{fields: []field{c(0, cons, actNest).nest(dpList)}}

	// VlrCamelSubscriptionInfo ::= SEQUENCE { o-CSI [0], extensionContainer
	// [1], ..., ss-CSI [2], o-BcsmCamelTDP-CriteriaList [4], tif-CSI [3],
	// m-CSI [5], mo-sms-CSI [6], vt-CSI [7], t-BCSM-CAMEL-TDP-CriteriaList
	// [8], d-CSI [9], mt-sms-CSI [10], mt-smsCAMELTDP-CriteriaList [11] }
	vlrCamel = &schema{fields: []field{
		c(0, cons, actNest).nest(bcsmCSI), c(2, cons, actNest).nest(ssCSI), c(5, cons, actNest).nest(mCSI),
		c(6, cons, actNest).nest(csi2), c(7, cons, actNest).nest(bcsmCSI), c(9, cons, actNest).nest(dCSI),
		c(10, cons, actNest).nest(csi2),
	}}
	// SGSN-CAMEL-SubscriptionInfo ::= SEQUENCE { gprs-CSI [0], mo-sms-CSI
	// [1], extensionContainer [2], ..., mt-sms-CSI [3],
	// mt-smsCAMELTDP-CriteriaList [4], mg-csi [5] }
	sgsnCamel = &schema{fields: []field{
		c(0, cons, actNest).nest(csi2), c(1, cons, actNest).nest(csi2), c(3, cons, actNest).nest(csi2),
		c(5, cons, actNest).nest(mCSI),
	}}

	// Ext-ForwFeature ::= SEQUENCE { basicService Ext-BasicServiceCode
	// OPTIONAL, ss-Status [4], forwardedToNumber [5] ISDN-AddressString,
	// forwardedToSubaddress [8], forwardingOptions [6],
	// noReplyConditionTime [7], extensionContainer [9], ...,
	// longForwardedToNumber [10] FTN-AddressString }
	extForwFeature = &schema{fields: []field{c(5, prim, actForwardedTo), c(10, prim, actForwardedTo)}}
	extForwList    = &schema{kind: seqOf, fields: []field{u(tSeq, cons, actNest).nest(extForwFeature)}}
	// Ext-ForwInfo ::= SEQUENCE { ss-Code, forwardingFeatureList, extensionContainer [0], ... }
	extForwInfo = &schema{fields: []field{u(tOctets, prim, actSkip).required(), u(tSeq, cons, actNest).nest(extForwList).required()}}
	// Ext-SS-InfoList ::= SEQUENCE OF Ext-SS-Info; Ext-SS-Info ::= CHOICE {
	// forwardingInfo [0] Ext-ForwInfo, callBarringInfo [1], cug-Info [2],
	// ss-Data [3], emlpp-Info [4] }
	extSSInfoList = &schema{kind: seqOf, fields: []field{c(0, cons, actNest).nest(extForwInfo)}}
)

// Argument schemas, by operation.
var (
	// UpdateLocationArg ::= SEQUENCE { imsi IMSI, msc-Number [1]
	// ISDN-AddressString, vlr-Number ISDN-AddressString, lmsi [10], ... }
	// (MAP v1: locationInfo CHOICE { roamingNumber [0], msc-Number [1] }).
	updateLocationArg = &schema{fields: []field{
		u(tOctets, prim, actIMSI).required(), c(0, prim, actSkip).in(1).required(), c(1, prim, actMSC).in(1),
		u(tOctets, prim, actVLR),
	}}
	// UpdateGprsLocationArg ::= SEQUENCE { imsi IMSI, sgsn-Number
	// ISDN-AddressString, sgsn-Address GSN-Address, ... }
	updateGprsLocationArg = &schema{fields: []field{
		u(tOctets, prim, actIMSI).required(), u(tOctets, prim, actSGSN).required(), u(tOctets, prim, actSkip),
	}}
	// CancelLocationArg ::= [3] SEQUENCE { identity Identity,
	// cancellationType ENUMERATED, extensionContainer, ..., typeOfUpdate
	// [0], mtrf-SupportedAndAuthorized [1], mtrf-SupportedAndNotAuthorized
	// [2], newMSC-Number [3], newVLR-Number [4], new-lmsi [5], ... }
	// Identity ::= CHOICE { imsi IMSI, imsi-WithLMSI IMSI-WithLMSI }.
	cancelLocationArg = &schema{fields: []field{
		u(tOctets, prim, actIMSI).in(1).required(), u(tSeq, cons, actNest).nest(imsiWithLMSI).in(1),
		u(tEnum, prim, actCancelType), u(tSeq, cons, actSkip), c(3, prim, actMSC), c(4, prim, actVLR),
	}}
	// CancelVcsgLocationArg ::= SEQUENCE { identity Identity, ... }
	identityArg = &schema{fields: []field{
		u(tOctets, prim, actIMSI).in(1).required(), u(tSeq, cons, actNest).nest(imsiWithLMSI).in(1),
	}}
	// PurgeMS-Arg ::= [3] SEQUENCE { imsi IMSI, vlr-Number [0], sgsn-Number [1], ... }
	purgeMSArg = &schema{fields: []field{u(tOctets, prim, actIMSI).required(), c(0, prim, actVLR), c(1, prim, actSGSN)}}
	// PurgeMS-Arg (v2) ::= SEQUENCE { imsi IMSI, vlr-Number ISDN-AddressString OPTIONAL, ... }
	purgeMSArgV2 = &schema{fields: []field{u(tOctets, prim, actIMSI).required(), u(tOctets, prim, actVLR)}}
	// SendIdentificationArg ::= SEQUENCE { tmsi TMSI, numberOfRequestedVectors,
	// segmentationProhibited, extensionContainer, ..., msc-Number
	// ISDN-AddressString, previous-LAI [0], hopCounter [1],
	// mtRoamingForwardingSupported [2], newVLR-Number [3], new-lmsi [4] }
	sendIdentificationArg = &schema{fields: []field{
		u(tOctets, prim, actSkip).required(), u(tOctets, prim, actMSC), c(3, prim, actVLR),
	}}
	// SendAuthenticationInfoArg (v3) ::= SEQUENCE { imsi [0] IMSI,
	// numberOfRequestedVectors, segmentationProhibited,
	// immediateResponsePreferred [1], re-synchronisationInfo,
	// extensionContainer [2], ..., requestingNodeType [3],
	// requestingPLMN-Id [4] PLMN-Id, ... }. In v2 the argument is a bare IMSI.
	sendAuthenticationInfoArg = &schema{fields: []field{c(0, prim, actIMSI).required(), c(4, prim, actPLMN)}}
	// AuthenticationFailureReportArg ::= SEQUENCE { imsi IMSI, failureCause,
	// extensionContainer, ..., re-attempt, accessType, rand, vlr-Number [0],
	// sgsn-Number [1] }
	authenticationFailureReportArg = &schema{fields: []field{
		u(tOctets, prim, actIMSI).required(), u(tEnum, prim, actSkip), u(tSeq, cons, actSkip), u(tBool, prim, actSkip),
		u(tEnum, prim, actSkip), u(tOctets, prim, actSkip), c(0, prim, actVLR), c(1, prim, actSGSN),
	}}
	// InsertSubscriberDataArg ::= SEQUENCE { imsi [0] IMSI OPTIONAL,
	// COMPONENTS OF SubscriberData { msisdn [1], category [2], ...,
	// provisionedSS [7] Ext-SS-InfoList, ..., vlrCamelSubscriptionInfo
	// [13] }, extensionContainer [14], ..., sgsn-CAMEL-SubscriptionInfo
	// [17], ..., sgsn-Number [34] ISDN-AddressString, ... }
	insertSubscriberDataArg = &schema{fields: []field{
		c(0, prim, actIMSI), c(1, prim, actMSISDN), c(7, cons, actNest).nest(extSSInfoList),
		c(13, cons, actNest).nest(vlrCamel), c(17, cons, actNest).nest(sgsnCamel), c(34, prim, actSGSN),
	}}
	// DeleteSubscriberDataArg ::= SEQUENCE { imsi [0] IMSI, ... }
	// (and the other [0] IMSI-first arguments: SendRoutingInfoForGprsArg,
	// FailureReportArg, NoteMsPresentForGprsArg, ReadyForSM-Arg,
	// SetReportingStateArg, StatusReportArg, RemoteUserFreeArg,
	// IST-AlertArg, IST-CommandArg, ActivateTraceModeArg,
	// DeactivateTraceModeArg)
	imsi0Arg = &schema{fields: []field{c(0, prim, actIMSI)}}
	// ResetArg ::= SEQUENCE { sendingNodenumber CHOICE { hlr-Number
	// ISDN-AddressString, css-Number [1] }, hlr-List, ... } (v1: preceded
	// by networkResource ENUMERATED OPTIONAL).
	resetArg = &schema{fields: []field{
		u(tEnum, prim, actSkip), u(tOctets, prim, actHLR).in(1).required(), c(1, prim, actSkip).in(1),
	}}
	// RestoreDataArg ::= SEQUENCE { imsi IMSI, lmsi LMSI, extensionContainer, ... }
	restoreDataArg = &schema{fields: []field{u(tOctets, prim, actIMSI).required(), u(tOctets, prim, actSkip)}}
	// ProvideSubscriberInfoArg ::= SEQUENCE { imsi [0] IMSI, lmsi [1],
	// requestedInfo [2] RequestedInfo, extensionContainer [3], ... }
	provideSubscriberInfoArg = &schema{fields: []field{
		c(0, prim, actIMSI).required(), c(2, cons, actNest).nest(requestedInfo).required(),
	}}
	// AnyTimeInterrogationArg ::= SEQUENCE { subscriberIdentity [0],
	// requestedInfo [1], gsmSCF-Address [3] ISDN-AddressString,
	// extensionContainer [2], ... }
	anyTimeInterrogationArg = &schema{fields: []field{
		c(0, cons, actNest).nest(subscriberIdentity).required(), c(1, cons, actNest).nest(requestedInfo).required(),
		c(3, prim, actGsmSCF).required(),
	}}
	// AnyTimeSubscriptionInterrogationArg ::= SEQUENCE { subscriberIdentity
	// [0], requestedSubscriptionInfo [1], gsmSCF-Address [2], ... }
	anyTimeSubscriptionInterrogationArg = &schema{fields: []field{
		c(0, cons, actNest).nest(subscriberIdentity).required(), c(1, cons, actSkip), c(2, prim, actGsmSCF).required(),
	}}
	// ModificationRequestFor-CF-Info ::= SEQUENCE { ss-Code [0], basicService
	// [1], ss-Status [2], forwardedToNumber [3] AddressString, ... }
	modificationCF = &schema{fields: []field{c(0, prim, actSkip).required(), c(3, prim, actForwardedTo)}}
	// ModificationRequestFor-CSI ::= SEQUENCE { requestedCamel-SubscriptionInfo
	// [0], modifyNotificationToCSE [1], modifyCSI-State [2]
	// ModificationInstruction { deactivate (0), activate (1) }, ... }
	modificationCSI = &schema{fields: []field{c(0, prim, actSkip), c(1, prim, actSkip), c(2, prim, actCSIActivate)}}
	// AnyTimeModificationArg ::= SEQUENCE { subscriberIdentity [0],
	// gsmSCF-Address [1], modificationRequestFor-CF-Info [2],
	// modificationRequestFor-CB-Info [3], modificationRequestFor-CSI [4], ... }
	anyTimeModificationArg = &schema{fields: []field{
		c(0, cons, actNest).nest(subscriberIdentity).required(), c(1, prim, actGsmSCF).required(),
		c(2, cons, actNest).nest(modificationCF), c(4, cons, actNest).nest(modificationCSI),
	}}
	// NoteSubscriberDataModifiedArg ::= SEQUENCE { imsi IMSI, msisdn ISDN-AddressString, ... }
	noteSubscriberDataModifiedArg = &schema{fields: []field{u(tOctets, prim, actIMSI).required(), u(tOctets, prim, actMSISDN)}}
	// ProvideRoamingNumberArg ::= SEQUENCE { imsi [0], msc-Number [1],
	// msisdn [2], lmsi [4], ..., gmsc-Address [8], ... }
	provideRoamingNumberArg = &schema{fields: []field{
		c(0, prim, actIMSI).required(), c(1, prim, actMSC), c(2, prim, actMSISDN),
	}}
	// ResumeCallHandlingArg ::= SEQUENCE { ..., imsi [3] IMSI, ..., msisdn [9], ... }
	resumeCallHandlingArg = &schema{fields: []field{c(3, prim, actIMSI), c(9, prim, actMSISDN)}}
	// SendRoutingInfoArg ::= SEQUENCE { msisdn [0], cug-CheckInfo [1],
	// numberOfForwarding [2], interrogationType [3], or-Interrogation [4],
	// or-Capability [5], gmsc-OrGsmSCF-Address [6] ISDN-AddressString, ... }
	sendRoutingInfoArg = &schema{fields: []field{c(0, prim, actMSISDN).required(), c(6, prim, actMSC)}}
	// RoutingInfoForSM-Arg ::= SEQUENCE { msisdn [0], sm-RP-PRI [1],
	// serviceCentreAddress [2] AddressString, extensionContainer [6], ...,
	// gprsSupportIndicator [7], sm-RP-MTI [8], sm-RP-SMEA [9],
	// sm-deliveryNotIntended [10], ip-sm-gwGuidanceIndicator [11], imsi [12], ... }
	routingInfoForSMArg = &schema{fields: []field{
		c(0, prim, actMSISDN).required(), c(2, prim, actSMSC).required(), c(12, prim, actIMSI),
	}}
	// SendRoutingInfoForGprsArg ::= SEQUENCE { imsi [0], ggsn-Address [1], ggsn-Number [2], ... }
	sendRoutingInfoForGprsArg = &schema{fields: []field{c(0, prim, actIMSI).required()}}
	// RoutingInfoForLCS-Arg ::= SEQUENCE { mlcNumber [0], targetMS [1] SubscriberIdentity, ... }
	routingInfoForLCSArg = &schema{fields: []field{c(0, prim, actSkip), c(1, cons, actNest).nest(subscriberIdentity).required()}}
	// ProvideSubscriberLocation-Arg ::= SEQUENCE { locationType, mlc-Number
	// ISDN-AddressString, lcs-ClientID [0], privacyOverride [1], imsi [2],
	// msisdn [3], lmsi [4], ... }
	provideSubscriberLocationArg = &schema{fields: []field{
		u(tSeq, cons, actSkip), u(tOctets, prim, actSkip), c(2, prim, actIMSI), c(3, prim, actMSISDN),
	}}
	// SubscriberLocationReport-Arg ::= SEQUENCE { lcs-Event, lcs-ClientID,
	// lcsLocationInfo LCSLocationInfo, msisdn [0], imsi [1], ... }
	subscriberLocationReportArg = &schema{fields: []field{
		u(tEnum, prim, actSkip), u(tSeq, cons, actSkip), u(tSeq, cons, actNest).nest(lcsLocationInfo),
		c(0, prim, actMSISDN), c(1, prim, actIMSI),
	}}
	// MO-ForwardSM-Arg ::= SEQUENCE { sm-RP-DA, sm-RP-OA, sm-RP-UI
	// SignalInfo, extensionContainer, ..., imsi IMSI, ... }; also the
	// ForwardSM-Arg of MAP v1/v2 (sm-RP-DA, sm-RP-OA, sm-RP-UI,
	// moreMessagesToSend NULL).
	moForwardSMArg = &schema{fields: append(append(append([]field{}, smRPDA...), smRPOA...),
		u(tOctets, prim, actSkip), u(tNull, prim, actSkip), u(tSeq, cons, actSkip), u(tOctets, prim, actIMSI))}
	// MT-ForwardSM-Arg ::= SEQUENCE { sm-RP-DA, sm-RP-OA, sm-RP-UI,
	// moreMessagesToSend NULL, extensionContainer, ..., smDeliveryTimer,
	// smDeliveryStartTime, ... }
	mtForwardSMArg = &schema{fields: append(append([]field{}, smRPDA...), smRPOA...)}
	// ReportSM-DeliveryStatusArg ::= SEQUENCE { msisdn, serviceCentreAddress,
	// sm-DeliveryOutcome, ..., imsi [9], ... }
	reportSMDeliveryStatusArg = &schema{fields: []field{
		u(tOctets, prim, actMSISDN).required(), u(tOctets, prim, actSMSC).required(), c(9, prim, actIMSI),
	}}
	// AlertServiceCentreArg ::= SEQUENCE { msisdn, serviceCentreAddress,
	// ..., imsi IMSI, ..., newSGSNNumber [3], ..., newMSCNumber [7] }
	alertServiceCentreArg = &schema{fields: []field{
		u(tOctets, prim, actMSISDN).required(), u(tOctets, prim, actSMSC).required(), u(tOctets, prim, actIMSI),
		c(3, prim, actSGSN), c(7, prim, actMSC),
	}}
	// InformServiceCentreArg ::= SEQUENCE { storedMSISDN ISDN-AddressString OPTIONAL, ... }
	informServiceCentreArg = &schema{fields: []field{u(tOctets, prim, actMSISDN)}}
	// RegisterSS-Arg ::= SEQUENCE { ss-Code, basicService CHOICE {
	// bearerService [2], teleservice [3] }, forwardedToNumber [4]
	// AddressString, forwardedToSubaddress [6], noReplyConditionTime [5], ... }
	registerSSArg = &schema{fields: []field{u(tOctets, prim, actSkip).required(), c(4, prim, actForwardedTo)}}
	// SS-ForBS-Code ::= SEQUENCE { ss-Code, basicService, ... } (activateSS)
	activateSSArg = &schema{fields: []field{u(tOctets, prim, actCFActivation).required()}}
	// USSD-Arg ::= SEQUENCE { ussd-DataCodingScheme, ussd-String, ...,
	// alertingPattern, msisdn [0] ISDN-AddressString, ... }
	ussdArg = &schema{fields: []field{
		u(tOctets, prim, actSkip).required(), u(tOctets, prim, actSkip).required(), u(tOctets, prim, actSkip),
		c(0, prim, actMSISDN),
	}}
	// SendParametersArg (v1) ::= SEQUENCE { subscriberId CHOICE { imsi [0],
	// tmsi [1] }, requestParameterList, ... }
	sendParametersArg = &schema{fields: []field{c(0, prim, actIMSI).in(1).required(), c(1, prim, actSkip).in(1)}}
	// NoteMM-EventArg ::= SEQUENCE { serviceKey, eventMet [0], imsi [1], msisdn [2], ... }
	noteMMEventArg = &schema{fields: []field{c(1, prim, actIMSI).required(), c(2, prim, actMSISDN)}}
	// PrepareHO-Arg ::= [3] SEQUENCE { ..., imsi [4] IMSI, ... }
	prepareHOArg = &schema{fields: []field{c(4, prim, actIMSI)}}
	// UpdateVcsgLocationArg ::= SEQUENCE { imsi, msisdn [2], vlr-Number [0], sgsn-Number [1], ... }
	updateVcsgLocationArg = &schema{fields: []field{
		u(tOctets, prim, actIMSI).required(), c(2, prim, actMSISDN), c(0, prim, actVLR), c(1, prim, actSGSN),
	}}
	// SS-InvocationNotificationArg ::= SEQUENCE { imei [0], ... } in recent
	// releases; older ones started { imsi [0], msisdn [1], ... }: read only
	// the msisdn, present in both as [1].
	ssInvocationNotificationArg = &schema{fields: []field{c(1, prim, actMSISDN)}}
)

// Result schemas, by operation (ReturnResult parameters). Answers reveal
// where a subscriber is (the MSC/VLR/SGSN numbers) and who the subscriber
// is (the IMSI behind an MSISDN): what rules on outbound answers look at.
var (
	// UpdateLocationRes / UpdateGprsLocationRes / RestoreDataRes ::=
	// SEQUENCE { hlr-Number ISDN-AddressString, ... }
	hlrNumberRes = &schema{fields: []field{u(tOctets, prim, actHLR).required()}}
	// LocationInfoWithLMSI ::= SEQUENCE { networkNode-Number [1], lmsi,
	// extensionContainer, ..., gprsNodeIndicator [5] NULL, additional-Number
	// [6] CHOICE { msc-Number [0], sgsn-Number [1] }, ... }
	locationInfoWithLMSI = &schema{fields: []field{
		c(1, prim, actNode).required(), c(5, prim, actGprsNode),
		c(6, cons, actNest).nest(&schema{kind: choice, fields: []field{c(0, prim, actMSC), c(1, prim, actSGSN)}}),
	}}
	// RoutingInfoForSM-Res ::= SEQUENCE { imsi IMSI, locationInfoWithLMSI [0], ... }
	routingInfoForSMRes = &schema{fields: []field{u(tOctets, prim, actIMSI).required(), c(0, cons, actNest).nest(locationInfoWithLMSI)}}
	// SendIdentificationRes ::= [3] SEQUENCE { imsi IMSI OPTIONAL, ... } (v2: SEQUENCE)
	sendIdentificationRes = &schema{fields: []field{u(tOctets, prim, actIMSI)}}
	// SendRoutingInfoRes ::= [3] SEQUENCE { imsi [9], extendedRoutingInfo,
	// cug-CheckInfo [3], cugSubscriptionFlag [6], subscriberInfo [7],
	// ss-List [1], basicService [5], forwardingInterrogationRequired [4],
	// vmsc-Address [2], extensionContainer [0], ..., msisdn [12], ... }
	sendRoutingInfoRes = &schema{fields: []field{
		c(9, prim, actIMSI), c(7, cons, actNest).nest(subscriberInfo), c(2, prim, actMSC), c(12, prim, actMSISDN),
	}}
	// SendRoutingInfoRes (v2) ::= SEQUENCE { imsi IMSI, routingInfo CHOICE {
	// roamingNumber ISDN-AddressString, forwardingData }, ... }
	sendRoutingInfoResV2 = &schema{fields: []field{u(tOctets, prim, actIMSI), u(tOctets, prim, actSkip)}}
	// ProvideSubscriberInfoRes / AnyTimeInterrogationRes ::= SEQUENCE {
	// subscriberInfo SubscriberInfo, extensionContainer, ... }
	subscriberInfoRes = &schema{fields: []field{u(tSeq, cons, actNest).nest(subscriberInfo).required(), u(tSeq, cons, actSkip)}}
	// RoutingInfoForLCS-Res ::= SEQUENCE { targetMS [0] SubscriberIdentity,
	// lcsLocationInfo [1] LCSLocationInfo, ... }
	routingInfoForLCSRes = &schema{fields: []field{
		c(0, cons, actNest).nest(subscriberIdentity), c(1, cons, actNest).nest(lcsLocationInfo),
	}}
)

// operation is what the firewall reads from one operation: the accepted
// encodings of its argument and result (one per MAP version that differs,
// told apart by their outer tag), and flags that its invocation sets by
// itself.
type operation struct {
	arg, res []field
	flags    uint32
}

// seqArg is the usual parameter: a SEQUENCE of type s.
func seqArg(s *schema) []field { return []field{u(tSeq, cons, actNest).nest(s)} }

var operations = [...]operation{
	OpUpdateLocation: {arg: seqArg(updateLocationArg), res: []field{
		u(tSeq, cons, actNest).nest(hlrNumberRes), u(tOctets, prim, actHLR), // v1: a bare hlr-Number
	}},
	OpCancelLocation: {arg: []field{
		c(3, cons, actNest).nest(cancelLocationArg), // v3
		u(tOctets, prim, actIMSI),                   // v1/v2: Identity = imsi
		u(tSeq, cons, actNest).nest(imsiWithLMSI),   // v1/v2: Identity = imsi-WithLMSI
	}},
	OpProvideRoamingNumber:        {arg: seqArg(provideRoamingNumberArg)},
	OpNoteSubscriberDataModified:  {arg: seqArg(noteSubscriberDataModifiedArg)},
	OpResumeCallHandling:          {arg: seqArg(resumeCallHandlingArg)},
	OpInsertSubscriberData:        {arg: seqArg(insertSubscriberDataArg)},
	OpDeleteSubscriberData:        {arg: seqArg(imsi0Arg)},
	OpSendParameters:              {arg: seqArg(sendParametersArg)},
	OpRegisterSS:                  {arg: seqArg(registerSSArg)},
	OpActivateSS:                  {arg: seqArg(activateSSArg)},
	OpAuthenticationFailureReport: {arg: seqArg(authenticationFailureReportArg)},
	OpSendRoutingInfo: {arg: seqArg(sendRoutingInfoArg), res: []field{
		c(3, cons, actNest).nest(sendRoutingInfoRes), u(tSeq, cons, actNest).nest(sendRoutingInfoResV2),
	}},
	OpUpdateGprsLocation:              {arg: seqArg(updateGprsLocationArg), res: seqArg(hlrNumberRes)},
	OpSendRoutingInfoForGprs:          {arg: seqArg(sendRoutingInfoForGprsArg)},
	OpFailureReport:                   {arg: seqArg(imsi0Arg)},
	OpNoteMsPresentForGprs:            {arg: seqArg(imsi0Arg)},
	OpCancelVcsgLocation:              {arg: seqArg(identityArg)},
	OpReset:                           {arg: seqArg(resetArg)},
	OpMTForwardSM:                     {arg: seqArg(mtForwardSMArg)},
	OpSendRoutingInfoForSM:            {arg: seqArg(routingInfoForSMArg), res: seqArg(routingInfoForSMRes)},
	OpMOForwardSM:                     {arg: seqArg(moForwardSMArg)},
	OpReportSMDeliveryStatus:          {arg: seqArg(reportSMDeliveryStatusArg)},
	OpNoteSubscriberPresent:           {arg: []field{u(tOctets, prim, actIMSI)}}, // v1: a bare IMSI
	OpAlertServiceCentreWithoutResult: {arg: seqArg(alertServiceCentreArg)},
	OpActivateTraceMode:               {arg: seqArg(imsi0Arg)},
	OpDeactivateTraceMode:             {arg: seqArg(imsi0Arg)},
	OpUpdateVcsgLocation:              {arg: seqArg(updateVcsgLocationArg)},
	OpSendIdentification: {arg: []field{
		u(tSeq, cons, actNest).nest(sendIdentificationArg), // v3
		u(tOctets, prim, actSkip),                          // v2: a bare TMSI
	}, res: []field{
		c(3, cons, actNest).nest(sendIdentificationRes), u(tSeq, cons, actNest).nest(sendIdentificationRes),
	}},
	OpSendAuthenticationInfo: {arg: []field{
		u(tSeq, cons, actNest).nest(sendAuthenticationInfoArg), // v3
		u(tOctets, prim, actIMSI),                              // v2: a bare IMSI
	}},
	OpRestoreData:                      {arg: seqArg(restoreDataArg), res: seqArg(hlrNumberRes)},
	OpSendIMSI:                         {arg: []field{u(tOctets, prim, actMSISDN)}, res: []field{u(tOctets, prim, actIMSI)}},
	OpProcessUnstructuredSSRequest:     {arg: seqArg(ussdArg)},
	OpUnstructuredSSRequest:            {arg: seqArg(ussdArg)},
	OpUnstructuredSSNotify:             {arg: seqArg(ussdArg)},
	OpAnyTimeSubscriptionInterrogation: {arg: seqArg(anyTimeSubscriptionInterrogationArg)},
	OpInformServiceCentre:              {arg: seqArg(informServiceCentreArg)},
	OpAlertServiceCentre:               {arg: seqArg(alertServiceCentreArg)},
	OpAnyTimeModification:              {arg: seqArg(anyTimeModificationArg)},
	OpReadyForSM:                       {arg: seqArg(imsi0Arg)},
	OpPurgeMS: {arg: []field{
		c(3, cons, actNest).nest(purgeMSArg),      // v3
		u(tSeq, cons, actNest).nest(purgeMSArgV2), // v2
	}},
	OpPrepareHandover:           {arg: []field{c(3, cons, actNest).nest(prepareHOArg)}},
	OpProvideSubscriberInfo:     {arg: seqArg(provideSubscriberInfoArg), res: seqArg(subscriberInfoRes)},
	OpAnyTimeInterrogation:      {arg: seqArg(anyTimeInterrogationArg), res: seqArg(subscriberInfoRes)},
	OpSSInvocationNotification:  {arg: seqArg(ssInvocationNotificationArg)},
	OpSetReportingState:         {arg: seqArg(imsi0Arg)},
	OpStatusReport:              {arg: seqArg(imsi0Arg)},
	OpRemoteUserFree:            {arg: seqArg(imsi0Arg)},
	OpProvideSubscriberLocation: {arg: seqArg(provideSubscriberLocationArg), flags: view.FlagLocationRequest},
	OpSendRoutingInfoForLCS:     {arg: seqArg(routingInfoForLCSArg), res: seqArg(routingInfoForLCSRes)},
	OpSubscriberLocationReport:  {arg: seqArg(subscriberLocationReportArg)},
	OpISTAlert:                  {arg: seqArg(imsi0Arg)},
	OpISTCommand:                {arg: seqArg(imsi0Arg)},
	OpNoteMMEvent:               {arg: seqArg(noteMMEventArg)},
}

func lookup(op int64) *operation {
	if op < 0 || op >= int64(len(operations)) {
		return nil
	}
	return &operations[op]
}
