package testvectors

// The MAP operations the scenarios use, with their argument and result
// types transcribed from 3GPP TS 29.002 §17 (MAP-MS-DataTypes,
// MAP-SM-DataTypes, MAP-CH-DataTypes, MAP-OM-DataTypes,
// MAP-SS-DataTypes, MAP-LCS-DataTypes, MAP-CommonDataTypes). The tables
// are the test vectors' own, independent of protocols/gsmmap: a scenario
// writes an argument as a YAML mapping of element names, and the encoder
// lays the elements out in the order and with the tags below (MAP modules
// use IMPLICIT TAGS: [n] on a primitive type is context tag n primitive,
// on a SEQUENCE context tag n constructed, and a tagged CHOICE is
// explicit). Only the elements the scenarios need are listed; the rest
// of a type is reachable with `raw: "hex:..."` (verbatim elements
// appended to a SEQUENCE) or by giving a whole value as "hex:...".

// asnKind is the ASN.1 shape of a type.
type asnKind uint8

const (
	aSeq    asnKind = iota // SEQUENCE
	aSeqOf                 // SEQUENCE OF
	aChoice                // CHOICE
	aIMSI                  // IMSI ::= TBCD-STRING (SIZE (3..8))
	aISDN                  // ISDN-AddressString / AddressString: nature of address + numbering plan octet, TBCD digits
	aTBCD                  // TBCD-STRING
	aHLRId                 // HLR-Id ::= IMSI, the leading digits of an IMSI range
	aOctets                // OCTET STRING, written "hex:..."
	aBits                  // BIT STRING, written "hex:..." (unused-bits octet first)
	aNull                  // NULL
	aInt                   // INTEGER (names allowed)
	aEnum                  // ENUMERATED (names allowed)
	aBool                  // BOOLEAN
	aPLMN                  // PLMN-Id ::= OCTET STRING (SIZE (3)): "MCCMNC"
)

// asnType is a type of the tables.
type asnType struct {
	kind   asnKind
	fields []*asnField // SEQUENCE elements or CHOICE alternatives, in textual order
	of     *asnType    // SEQUENCE OF element type
	names  map[string]int64
}

// asnField is one element of a SEQUENCE or alternative of a CHOICE:
// tag < 0 when untagged.
type asnField struct {
	name string
	tag  int
	typ  *asnType
}

func fld(name string, tag int, t *asnType) *asnField { return &asnField{name: name, tag: tag, typ: t} }
func seqT(fields ...*asnField) *asnType              { return &asnType{kind: aSeq, fields: fields} }
func choiceT(fields ...*asnField) *asnType           { return &asnType{kind: aChoice, fields: fields} }
func seqOfT(of *asnType) *asnType                    { return &asnType{kind: aSeqOf, of: of} }
func enumT(names map[string]int64) *asnType          { return &asnType{kind: aEnum, names: names} }

// untagged marks an element without a tag of its own.
const untagged = -1

var (
	tIMSI   = &asnType{kind: aIMSI}
	tISDN   = &asnType{kind: aISDN}
	tOctets = &asnType{kind: aOctets}
	tBits   = &asnType{kind: aBits}
	tNull   = &asnType{kind: aNull}
	tInt    = &asnType{kind: aInt}
	tBool   = &asnType{kind: aBool}
	tPLMN   = &asnType{kind: aPLMN}
)

// Common types (MAP-CommonDataTypes, MAP-MS-DataTypes).
var (
	// SubscriberIdentity ::= CHOICE { imsi [0] IMSI, msisdn [1] ISDN-AddressString }
	tSubscriberIdentity = choiceT(fld("imsi", 0, tIMSI), fld("msisdn", 1, tISDN))

	// IMSI-WithLMSI ::= SEQUENCE { imsi IMSI, lmsi LMSI, ... }
	// Identity ::= CHOICE { imsi IMSI, imsi-WithLMSI IMSI-WithLMSI }
	tIdentity = choiceT(fld("imsi", untagged, tIMSI),
		fld("imsi-WithLMSI", untagged, seqT(fld("imsi", untagged, tIMSI), fld("lmsi", untagged, tOctets))))

	// RequestedInfo ::= SEQUENCE { locationInformation [0] NULL OPTIONAL,
	// subscriberState [1] NULL OPTIONAL, extensionContainer [2] OPTIONAL,
	// ..., currentLocation [3] NULL OPTIONAL, requestedDomain [4]
	// DomainType OPTIONAL, imei [6] NULL OPTIONAL, ms-classmark [5] NULL
	// OPTIONAL, mnpRequestedInfo [7] NULL OPTIONAL,
	// locationInformationEPS-Supported [11] NULL OPTIONAL, t-adsData [8]
	// NULL OPTIONAL, requestedNodes [9] RequestedNodes OPTIONAL,
	// servingNodeIndication [10] NULL OPTIONAL, localTimeZoneRequest [12]
	// NULL OPTIONAL }
	// DomainType ::= ENUMERATED { cs-Domain (0), ps-Domain (1), ... }
	tRequestedInfo = seqT(
		fld("locationInformation", 0, tNull), fld("subscriberState", 1, tNull), fld("currentLocation", 3, tNull),
		fld("requestedDomain", 4, enumT(map[string]int64{"cs-Domain": 0, "ps-Domain": 1})),
		fld("imei", 6, tNull), fld("ms-classmark", 5, tNull), fld("mnpRequestedInfo", 7, tNull),
		fld("locationInformationEPS-Supported", 11, tNull), fld("t-adsData", 8, tNull),
		fld("requestedNodes", 9, tBits), fld("servingNodeIndication", 10, tNull), fld("localTimeZoneRequest", 12, tNull),
	)

	// CellGlobalIdOrServiceAreaIdOrLAI ::= CHOICE {
	// cellGlobalIdOrServiceAreaIdFixedLength [0] OCTET STRING (SIZE (7)),
	// laiFixedLength [1] OCTET STRING (SIZE (5)) }
	tCGI = choiceT(fld("cellGlobalIdOrServiceAreaIdFixedLength", 0, tOctets), fld("laiFixedLength", 1, tOctets))

	// LocationInformation ::= SEQUENCE { ageOfLocationInformation
	// AgeOfLocationInformation (INTEGER) OPTIONAL, geographicalInformation
	// [0] OPTIONAL, vlr-number [1] ISDN-AddressString OPTIONAL,
	// locationNumber [2] OPTIONAL, cellGlobalIdOrServiceAreaIdOrLAI [3]
	// OPTIONAL, extensionContainer [4] OPTIONAL, ..., selectedLSA-Id [5],
	// msc-Number [6] ISDN-AddressString OPTIONAL, geodeticInformation [7],
	// currentLocationRetrieved [8] NULL, sai-Present [9] NULL, ... }
	tLocationInformation = seqT(
		fld("ageOfLocationInformation", untagged, tInt), fld("geographicalInformation", 0, tOctets),
		fld("vlr-number", 1, tISDN), fld("locationNumber", 2, tOctets), fld("cellGlobalIdOrServiceAreaIdOrLAI", 3, tCGI),
		fld("msc-Number", 6, tISDN), fld("currentLocationRetrieved", 8, tNull),
	)

	// SubscriberState ::= CHOICE { assumedIdle [0] NULL, camelBusy [1]
	// NULL, netDetNotReachable NotReachableReason, notProvidedFromVLR [2] NULL }
	tSubscriberState = choiceT(fld("assumedIdle", 0, tNull), fld("camelBusy", 1, tNull), fld("notProvidedFromVLR", 2, tNull))

	// SubscriberInfo ::= SEQUENCE { locationInformation [0]
	// LocationInformation OPTIONAL, subscriberState [1] SubscriberState
	// OPTIONAL, extensionContainer [2] OPTIONAL, ..., locationInformationGPRS
	// [3], ps-SubscriberState [4], imei [5] IMEI, ... }
	tSubscriberInfo = seqT(fld("locationInformation", 0, tLocationInformation), fld("subscriberState", 1, tSubscriberState),
		fld("imei", 5, &asnType{kind: aTBCD}))

	// ProvideSubscriberInfoRes / AnyTimeInterrogationRes ::= SEQUENCE {
	// subscriberInfo SubscriberInfo, extensionContainer OPTIONAL, ... }
	tSubscriberInfoRes = seqT(fld("subscriberInfo", untagged, tSubscriberInfo))

	// Ext-BasicServiceCode ::= CHOICE { ext-BearerService [2]
	// Ext-BearerServiceCode, ext-Teleservice [3] Ext-TeleserviceCode }
	// BasicServiceCode ::= CHOICE { bearerService [2] BearerServiceCode,
	// teleservice [3] TeleserviceCode } (both codes OCTET STRING (SIZE (1..5)))
	tBasicService = choiceT(fld("bearerService", 2, tOctets), fld("teleservice", 3, tOctets))
)

// CAMEL subscription data and call forwarding data in
// insertSubscriberData (MAP-MS-DataTypes).
var (
	// DefaultCallHandling ::= ENUMERATED { continueCall (0), releaseCall (1), ... }
	tDefaultCallHandling = enumT(map[string]int64{"continueCall": 0, "releaseCall": 1})

	// O-BcsmCamelTDPData ::= SEQUENCE { o-BcsmTriggerDetectionPoint
	// O-BcsmTriggerDetectionPoint (ENUMERATED { collectedInfo (2), ...,
	// routeSelectFailure (4) }), serviceKey ServiceKey (INTEGER),
	// gsmSCF-Address [0] ISDN-AddressString, defaultCallHandling [1]
	// DefaultCallHandling, extensionContainer [2] OPTIONAL, ... }
	tOBcsmTDPData = seqT(
		fld("o-BcsmTriggerDetectionPoint", untagged, enumT(map[string]int64{"collectedInfo": 2, "routeSelectFailure": 4})),
		fld("serviceKey", untagged, tInt), fld("gsmSCF-Address", 0, tISDN), fld("defaultCallHandling", 1, tDefaultCallHandling),
	)
	// O-CSI ::= SEQUENCE { o-BcsmCamelTDPDataList O-BcsmCamelTDPDataList
	// (SEQUENCE SIZE (1..10) OF O-BcsmCamelTDPData), extensionContainer
	// OPTIONAL, ..., camelCapabilityHandling [0] CamelCapabilityHandling
	// (INTEGER (1..16)) OPTIONAL, notificationToCSE [1] NULL OPTIONAL,
	// csiActive [2] NULL OPTIONAL }
	tOCSI = seqT(fld("o-BcsmCamelTDPDataList", untagged, seqOfT(tOBcsmTDPData)),
		fld("camelCapabilityHandling", 0, tInt), fld("notificationToCSE", 1, tNull), fld("csiActive", 2, tNull))

	// T-BcsmCamelTDPData ::= SEQUENCE { t-BcsmTriggerDetectionPoint
	// T-BcsmTriggerDetectionPoint (ENUMERATED { termAttemptAuthorized
	// (12), ..., tBusy (13), tNoAnswer (14) }), serviceKey, gsmSCF-Address
	// [0] ISDN-AddressString, defaultCallHandling [1], extensionContainer
	// [2] OPTIONAL, ... }
	tTBcsmTDPData = seqT(
		fld("t-BcsmTriggerDetectionPoint", untagged, enumT(map[string]int64{"termAttemptAuthorized": 12, "tBusy": 13, "tNoAnswer": 14})),
		fld("serviceKey", untagged, tInt), fld("gsmSCF-Address", 0, tISDN), fld("defaultCallHandling", 1, tDefaultCallHandling),
	)
	// T-CSI ::= SEQUENCE { t-BcsmCamelTDPDataList, extensionContainer
	// OPTIONAL, ..., camelCapabilityHandling [0] OPTIONAL,
	// notificationToCSE [1] NULL OPTIONAL, csiActive [2] NULL OPTIONAL }
	tTCSI = seqT(fld("t-BcsmCamelTDPDataList", untagged, seqOfT(tTBcsmTDPData)),
		fld("camelCapabilityHandling", 0, tInt), fld("notificationToCSE", 1, tNull), fld("csiActive", 2, tNull))

	// VlrCamelSubscriptionInfo ::= SEQUENCE { o-CSI [0] O-CSI OPTIONAL,
	// extensionContainer [1] OPTIONAL, ..., ss-CSI [2] OPTIONAL,
	// o-BcsmCamelTDP-CriteriaList [4] OPTIONAL, tif-CSI [3] NULL OPTIONAL,
	// m-CSI [5] OPTIONAL, mo-sms-CSI [6] OPTIONAL, vt-CSI [7] T-CSI
	// OPTIONAL, ... }
	tVlrCamel = seqT(fld("o-CSI", 0, tOCSI), fld("tif-CSI", 3, tNull), fld("vt-CSI", 7, tTCSI))

	// Ext-ForwFeature ::= SEQUENCE { basicService Ext-BasicServiceCode
	// OPTIONAL, ss-Status [4] Ext-SS-Status (OCTET STRING (SIZE (1..5))),
	// forwardedToNumber [5] ISDN-AddressString OPTIONAL,
	// forwardedToSubaddress [8] OPTIONAL, forwardingOptions [6]
	// T-Ext-ForwOptions OPTIONAL, noReplyConditionTime [7]
	// Ext-NoRepCondTime OPTIONAL, extensionContainer [9] OPTIONAL, ...,
	// longForwardedToNumber [10] FTN-AddressString OPTIONAL }
	tExtForwFeature = seqT(fld("basicService", untagged, tBasicService), fld("ss-Status", 4, tOctets),
		fld("forwardedToNumber", 5, tISDN), fld("forwardingOptions", 6, tOctets), fld("noReplyConditionTime", 7, tInt))
	// Ext-ForwInfo ::= SEQUENCE { ss-Code SS-Code, forwardingFeatureList
	// Ext-ForwFeatureList (SEQUENCE SIZE (1..32) OF Ext-ForwFeature),
	// extensionContainer [0] OPTIONAL, ... }
	tExtForwInfo = seqT(fld("ss-Code", untagged, tOctets), fld("forwardingFeatureList", untagged, seqOfT(tExtForwFeature)))
	// Ext-SS-InfoList ::= SEQUENCE SIZE (1..30) OF Ext-SS-Info;
	// Ext-SS-Info ::= CHOICE { forwardingInfo [0] Ext-ForwInfo,
	// callBarringInfo [1], cug-Info [2], ss-Data [3], emlpp-Info [4] }
	tExtSSInfoList = seqOfT(choiceT(fld("forwardingInfo", 0, tExtForwInfo)))
)

// Argument and result types, by operation.
var (
	// UpdateLocationArg ::= SEQUENCE { imsi IMSI, msc-Number [1]
	// ISDN-AddressString, vlr-Number ISDN-AddressString, lmsi [10] LMSI
	// OPTIONAL, extensionContainer OPTIONAL, ..., vlr-Capability [6]
	// VLR-Capability OPTIONAL, informPreviousNetworkEntity [11] NULL
	// OPTIONAL, cs-LCS-NotSupportedByUE [12] NULL OPTIONAL, v-gmlc-Address
	// [2] GSN-Address OPTIONAL, add-info [13] OPTIONAL, pagingArea [14]
	// OPTIONAL, skipSubscriberDataUpdate [15] NULL OPTIONAL,
	// restorationIndicator [16] NULL OPTIONAL, ... }
	// VLR-Capability ::= SEQUENCE { supportedCamelPhases [0]
	// SupportedCamelPhases (BIT STRING) OPTIONAL, extensionContainer
	// OPTIONAL, ..., solsaSupportIndicator [2] NULL OPTIONAL,
	// istSupportIndicator [1] OPTIONAL, superChargerSupportedInServingNetworkEntity
	// [3] OPTIONAL, longFTN-Supported [4] NULL OPTIONAL,
	// supportedLCS-CapabilitySets [5] OPTIONAL, offeredCamel4CSIs [6] OPTIONAL, ... }
	tUpdateLocationArg = seqT(
		fld("imsi", untagged, tIMSI), fld("msc-Number", 1, tISDN), fld("vlr-Number", untagged, tISDN),
		fld("lmsi", 10, tOctets),
		fld("vlr-Capability", 6, seqT(fld("supportedCamelPhases", 0, tBits), fld("solsaSupportIndicator", 2, tNull),
			fld("longFTN-Supported", 4, tNull), fld("supportedLCS-CapabilitySets", 5, tBits), fld("offeredCamel4CSIs", 6, tBits))),
		fld("informPreviousNetworkEntity", 11, tNull), fld("cs-LCS-NotSupportedByUE", 12, tNull),
		fld("v-gmlc-Address", 2, tOctets), fld("skipSubscriberDataUpdate", 15, tNull), fld("restorationIndicator", 16, tNull),
	)
	// UpdateLocationRes ::= SEQUENCE { hlr-Number ISDN-AddressString,
	// extensionContainer OPTIONAL, ..., add-Capability NULL OPTIONAL,
	// pagingArea-Capability [0] NULL OPTIONAL }
	tUpdateLocationRes = seqT(fld("hlr-Number", untagged, tISDN), fld("add-Capability", untagged, tNull))

	// CancelLocationArg ::= [3] SEQUENCE { identity Identity,
	// cancellationType CancellationType OPTIONAL, extensionContainer
	// OPTIONAL, ..., typeOfUpdate [0] TypeOfUpdate OPTIONAL,
	// mtrf-SupportedAndAuthorized [1] NULL OPTIONAL,
	// mtrf-SupportedAndNotAuthorized [2] NULL OPTIONAL, newMSC-Number [3]
	// ISDN-AddressString OPTIONAL, newVLR-Number [4] ISDN-AddressString
	// OPTIONAL, new-lmsi [5] LMSI OPTIONAL, reattach-Required [6] NULL OPTIONAL }
	// CancellationType ::= ENUMERATED { updateProcedure (0),
	// subscriptionWithdraw (1), ..., initialAttachProcedure (2) }
	tCancelLocationArg = seqT(
		fld("identity", untagged, tIdentity),
		fld("cancellationType", untagged, enumT(map[string]int64{"updateProcedure": 0, "subscriptionWithdraw": 1, "initialAttachProcedure": 2})),
		fld("typeOfUpdate", 0, enumT(map[string]int64{"sgsn-change": 0, "mme-change": 1})),
		fld("newMSC-Number", 3, tISDN), fld("newVLR-Number", 4, tISDN), fld("new-lmsi", 5, tOctets),
	)
	// CancelLocationRes ::= SEQUENCE { extensionContainer OPTIONAL, ... }
	// (also PurgeMS-Res's shape without its freeze flags, InsertSubscriberDataRes
	// without its optional lists, MT-ForwardSM-Res without sm-RP-UI)
	tEmptyRes = seqT()

	// ProvideRoamingNumberArg ::= SEQUENCE { imsi [0] IMSI, msc-Number [1]
	// ISDN-AddressString, msisdn [2] ISDN-AddressString OPTIONAL,
	// previousRoamingNumber [3] OPTIONAL, lmsi [4] OPTIONAL,
	// gsm-BearerCapability [5] OPTIONAL, networkSignalInfo [6] OPTIONAL,
	// suppressionOfAnnouncement [7] NULL OPTIONAL, gmsc-Address [8]
	// ISDN-AddressString OPTIONAL, callReferenceNumber [9] OPTIONAL,
	// or-Interrogation [10] NULL OPTIONAL, ... }
	tProvideRoamingNumberArg = seqT(
		fld("imsi", 0, tIMSI), fld("msc-Number", 1, tISDN), fld("msisdn", 2, tISDN), fld("lmsi", 4, tOctets),
		fld("suppressionOfAnnouncement", 7, tNull), fld("gmsc-Address", 8, tISDN), fld("callReferenceNumber", 9, tOctets),
		fld("or-Interrogation", 10, tNull),
	)
	// ProvideRoamingNumberRes ::= SEQUENCE { roamingNumber
	// ISDN-AddressString, extensionContainer OPTIONAL, ...,
	// releaseResourcesSupported NULL OPTIONAL, vmsc-Address
	// ISDN-AddressString OPTIONAL }
	tProvideRoamingNumberRes = seqT(fld("roamingNumber", untagged, tISDN))

	// InsertSubscriberDataArg ::= SEQUENCE { imsi [0] IMSI OPTIONAL,
	// COMPONENTS OF SubscriberData, extensionContainer [14] OPTIONAL, ...,
	// ..., networkAccessMode [24] NetworkAccessMode OPTIONAL, ...,
	// sgsn-Number [34] ISDN-AddressString OPTIONAL, ... }
	// SubscriberData ::= SEQUENCE { msisdn [1] ISDN-AddressString OPTIONAL,
	// category [2] Category (OCTET STRING (SIZE (1))) OPTIONAL,
	// subscriberStatus [3] SubscriberStatus OPTIONAL, bearerServiceList
	// [4] BearerServiceList OPTIONAL, teleserviceList [6] TeleserviceList
	// OPTIONAL, provisionedSS [7] Ext-SS-InfoList OPTIONAL, odb-Data [8]
	// OPTIONAL, roamingRestrictionDueToUnsupportedFeature [9] NULL
	// OPTIONAL, regionalSubscriptionData [10] OPTIONAL, vbsSubscriptionData
	// [11] OPTIONAL, vgcsSubscriptionData [12] OPTIONAL,
	// vlrCamelSubscriptionInfo [13] VlrCamelSubscriptionInfo OPTIONAL }
	// SubscriberStatus ::= ENUMERATED { serviceGranted (0), operatorDeterminedBarring (1) }
	// BearerServiceList / TeleserviceList ::= SEQUENCE OF Ext-BearerServiceCode / Ext-TeleserviceCode
	// NetworkAccessMode ::= ENUMERATED { packetAndCircuit (0), onlyCircuit (1), onlyPacket (2), ... }
	tInsertSubscriberDataArg = seqT(
		fld("imsi", 0, tIMSI), fld("msisdn", 1, tISDN), fld("category", 2, tOctets),
		fld("subscriberStatus", 3, enumT(map[string]int64{"serviceGranted": 0, "operatorDeterminedBarring": 1})),
		fld("bearerServiceList", 4, seqOfT(tOctets)), fld("teleserviceList", 6, seqOfT(tOctets)),
		fld("provisionedSS", 7, tExtSSInfoList), fld("roamingRestrictionDueToUnsupportedFeature", 9, tNull),
		fld("vlrCamelSubscriptionInfo", 13, tVlrCamel),
		fld("networkAccessMode", 24, enumT(map[string]int64{"packetAndCircuit": 0, "onlyCircuit": 1, "onlyPacket": 2})),
		fld("sgsn-Number", 34, tISDN),
	)
	// InsertSubscriberDataRes ::= SEQUENCE { teleserviceList [1] OPTIONAL,
	// bearerServiceList [2] OPTIONAL, ss-List [3] OPTIONAL,
	// odb-GeneralData [4] OPTIONAL, regionalSubscriptionResponse [5]
	// OPTIONAL, supportedCamelPhases [6] SupportedCamelPhases OPTIONAL,
	// extensionContainer [7] OPTIONAL, ..., offeredCamel4CSIs [8]
	// OPTIONAL, supportedFeatures [9] OPTIONAL }
	tInsertSubscriberDataRes = seqT(fld("teleserviceList", 1, seqOfT(tOctets)), fld("supportedCamelPhases", 6, tBits))

	// RegisterSS-Arg ::= SEQUENCE { ss-Code SS-Code, basicService
	// BasicServiceCode OPTIONAL, forwardedToNumber [4] AddressString
	// OPTIONAL, forwardedToSubaddress [6] OPTIONAL, noReplyConditionTime
	// [5] NoReplyConditionTime OPTIONAL, ..., defaultPriority [7]
	// OPTIONAL, nbrUser [8] OPTIONAL, longFTN-Supported [9] NULL OPTIONAL }
	tRegisterSSArg = seqT(fld("ss-Code", untagged, tOctets), fld("basicService", untagged, tBasicService),
		fld("forwardedToNumber", 4, tISDN), fld("noReplyConditionTime", 5, tInt), fld("longFTN-Supported", 9, tNull))
	// SS-Info ::= CHOICE { forwardingInfo [0] ForwardingInfo,
	// callBarringInfo [1], ss-Data [3] }
	// ForwardingInfo ::= SEQUENCE { ss-Code SS-Code OPTIONAL,
	// forwardingFeatureList ForwardingFeatureList, ... }
	// ForwardingFeature ::= SEQUENCE { basicService BasicServiceCode
	// OPTIONAL, ss-Status [4] SS-Status OPTIONAL, forwardedToNumber [5]
	// ISDN-AddressString OPTIONAL, forwardedToSubaddress [8] OPTIONAL,
	// forwardingOptions [6] OPTIONAL, noReplyConditionTime [7] OPTIONAL,
	// ..., longForwardedToNumber [9] OPTIONAL }
	tSSInfo = choiceT(fld("forwardingInfo", 0, seqT(fld("ss-Code", untagged, tOctets),
		fld("forwardingFeatureList", untagged, seqOfT(seqT(fld("basicService", untagged, tBasicService),
			fld("ss-Status", 4, tOctets), fld("forwardedToNumber", 5, tISDN), fld("forwardingOptions", 6, tOctets)))))))

	// SendRoutingInfoArg ::= SEQUENCE { msisdn [0] ISDN-AddressString,
	// cug-CheckInfo [1] OPTIONAL, numberOfForwarding [2] OPTIONAL,
	// interrogationType [3] InterrogationType, or-Interrogation [4] NULL
	// OPTIONAL, or-Capability [5] OPTIONAL, gmsc-OrGsmSCF-Address [6]
	// ISDN-AddressString, callReferenceNumber [7] OPTIONAL, ... }
	// InterrogationType ::= ENUMERATED { basicCall (0), forwarding (1) }
	tSendRoutingInfoArg = seqT(
		fld("msisdn", 0, tISDN), fld("numberOfForwarding", 2, tInt),
		fld("interrogationType", 3, enumT(map[string]int64{"basicCall": 0, "forwarding": 1})),
		fld("or-Interrogation", 4, tNull), fld("or-Capability", 5, tInt), fld("gmsc-OrGsmSCF-Address", 6, tISDN),
		fld("callReferenceNumber", 7, tOctets),
	)

	// SM-RP-DA ::= CHOICE { imsi [0] IMSI, lmsi [1] LMSI,
	// serviceCentreAddressDA [4] AddressString, noSM-RP-DA [5] NULL }
	tSMRPDA = choiceT(fld("imsi", 0, tIMSI), fld("lmsi", 1, tOctets), fld("serviceCentreAddressDA", 4, tISDN), fld("noSM-RP-DA", 5, tNull))
	// SM-RP-OA ::= CHOICE { msisdn [2] ISDN-AddressString,
	// serviceCentreAddressOA [4] AddressString, noSM-RP-OA [5] NULL }
	tSMRPOA = choiceT(fld("msisdn", 2, tISDN), fld("serviceCentreAddressOA", 4, tISDN), fld("noSM-RP-OA", 5, tNull))
	// MT-ForwardSM-Arg ::= SEQUENCE { sm-RP-DA SM-RP-DA, sm-RP-OA
	// SM-RP-OA, sm-RP-UI SignalInfo, moreMessagesToSend NULL OPTIONAL,
	// extensionContainer OPTIONAL, ... }
	tMTForwardSMArg = seqT(fld("sm-RP-DA", untagged, tSMRPDA), fld("sm-RP-OA", untagged, tSMRPOA),
		fld("sm-RP-UI", untagged, tOctets), fld("moreMessagesToSend", untagged, tNull))

	// RoutingInfoForSM-Arg ::= SEQUENCE { msisdn [0] ISDN-AddressString,
	// sm-RP-PRI [1] BOOLEAN, serviceCentreAddress [2] AddressString,
	// extensionContainer [6] OPTIONAL, ..., gprsSupportIndicator [7] NULL
	// OPTIONAL, sm-RP-MTI [8] OPTIONAL, sm-RP-SMEA [9] OPTIONAL, ... }
	tRoutingInfoForSMArg = seqT(fld("msisdn", 0, tISDN), fld("sm-RP-PRI", 1, tBool), fld("serviceCentreAddress", 2, tISDN),
		fld("gprsSupportIndicator", 7, tNull), fld("sm-RP-MTI", 8, tInt))
	// RoutingInfoForSM-Res ::= SEQUENCE { imsi IMSI, locationInfoWithLMSI
	// [0] LocationInfoWithLMSI, extensionContainer [4] OPTIONAL, ... }
	// LocationInfoWithLMSI ::= SEQUENCE { networkNode-Number [1]
	// ISDN-AddressString, lmsi LMSI OPTIONAL, extensionContainer OPTIONAL,
	// ..., gprsNodeIndicator [5] NULL OPTIONAL, additional-Number [6]
	// Additional-Number OPTIONAL, ... }
	// Additional-Number ::= CHOICE { msc-Number [0] ISDN-AddressString, sgsn-Number [1] ISDN-AddressString }
	tRoutingInfoForSMRes = seqT(fld("imsi", untagged, tIMSI), fld("locationInfoWithLMSI", 0, seqT(
		fld("networkNode-Number", 1, tISDN), fld("lmsi", untagged, tOctets), fld("gprsNodeIndicator", 5, tNull),
		fld("additional-Number", 6, choiceT(fld("msc-Number", 0, tISDN), fld("sgsn-Number", 1, tISDN))))))

	// SendAuthenticationInfoArg ::= SEQUENCE { imsi [0] IMSI,
	// numberOfRequestedVectors NumberOfRequestedVectors (INTEGER (1..5)),
	// segmentationProhibited NULL OPTIONAL, immediateResponsePreferred [1]
	// NULL OPTIONAL, re-synchronisationInfo OPTIONAL, extensionContainer
	// [2] OPTIONAL, ..., requestingNodeType [3] RequestingNodeType
	// OPTIONAL, requestingPLMN-Id [4] PLMN-Id OPTIONAL, ... }
	// RequestingNodeType ::= ENUMERATED { vlr (0), sgsn (1), ..., s-cscf
	// (2), bsf (3), gan-aaa-server (4), wlan-aaa-server (5), mme (16), mme-sgsn (17) }
	tSendAuthenticationInfoArg = seqT(
		fld("imsi", 0, tIMSI), fld("numberOfRequestedVectors", untagged, tInt),
		fld("segmentationProhibited", untagged, tNull), fld("immediateResponsePreferred", 1, tNull),
		fld("requestingNodeType", 3, enumT(map[string]int64{"vlr": 0, "sgsn": 1, "mme": 16, "mme-sgsn": 17})),
		fld("requestingPLMN-Id", 4, tPLMN),
	)
	// SendAuthenticationInfoRes ::= [3] SEQUENCE { authenticationSetList
	// AuthenticationSetList OPTIONAL, extensionContainer OPTIONAL, ...,
	// eps-AuthenticationSetList [2] OPTIONAL }
	// AuthenticationSetList ::= CHOICE { tripletList [0] TripletList,
	// quintupletList [1] QuintupletList }
	// QuintupletList ::= SEQUENCE SIZE (1..5) OF AuthenticationQuintuplet
	// AuthenticationQuintuplet ::= SEQUENCE { rand RAND, xres XRES, ck CK,
	// ik IK, autn AUTN, ... } (OCTET STRINGs of 16, 4..16, 16, 16, 16)
	tSendAuthenticationInfoRes = seqT(fld("authenticationSetList", untagged, choiceT(
		fld("quintupletList", 1, seqOfT(seqT(fld("rand", untagged, tOctets), fld("xres", untagged, tOctets),
			fld("ck", untagged, tOctets), fld("ik", untagged, tOctets), fld("autn", untagged, tOctets)))))))

	// PurgeMS-Arg ::= [3] SEQUENCE { imsi IMSI, vlr-Number [0]
	// ISDN-AddressString OPTIONAL, sgsn-Number [1] ISDN-AddressString
	// OPTIONAL, extensionContainer OPTIONAL, ..., locationInformation [2]
	// OPTIONAL, ... }
	tPurgeMSArg = seqT(fld("imsi", untagged, tIMSI), fld("vlr-Number", 0, tISDN), fld("sgsn-Number", 1, tISDN))
	// PurgeMS-Res ::= SEQUENCE { freezeTMSI [0] NULL OPTIONAL,
	// freezeP-TMSI [1] NULL OPTIONAL, extensionContainer OPTIONAL, ...,
	// freezeM-TMSI [2] NULL OPTIONAL }
	tPurgeMSRes = seqT(fld("freezeTMSI", 0, tNull), fld("freezeP-TMSI", 1, tNull))

	// PrepareHO-Arg ::= [3] SEQUENCE { targetCellId [0] GlobalCellId
	// (OCTET STRING (SIZE (5..7))) OPTIONAL, ho-NumberNotRequired NULL
	// OPTIONAL, targetRNCId [1] RNCId OPTIONAL, an-APDU [2] OPTIONAL,
	// multipleBearerRequested [3] NULL OPTIONAL, imsi [4] IMSI OPTIONAL, ... }
	tPrepareHOArg = seqT(fld("targetCellId", 0, tOctets), fld("ho-NumberNotRequired", untagged, tNull),
		fld("targetRNCId", 1, tOctets), fld("multipleBearerRequested", 3, tNull), fld("imsi", 4, tIMSI))
	// PrepareHO-Res ::= [3] SEQUENCE { handoverNumber [0]
	// ISDN-AddressString OPTIONAL, relocationNumberList [1] OPTIONAL,
	// an-APDU [2] OPTIONAL, ... }
	tPrepareHORes = seqT(fld("handoverNumber", 0, tISDN))

	// ProvideSubscriberInfoArg ::= SEQUENCE { imsi [0] IMSI, lmsi [1] LMSI
	// OPTIONAL, requestedInfo [2] RequestedInfo, extensionContainer [3]
	// OPTIONAL, ..., callPriority [4] EMLPP-Priority OPTIONAL }
	tProvideSubscriberInfoArg = seqT(fld("imsi", 0, tIMSI), fld("lmsi", 1, tOctets), fld("requestedInfo", 2, tRequestedInfo),
		fld("callPriority", 4, tInt))

	// AnyTimeInterrogationArg ::= SEQUENCE { subscriberIdentity [0]
	// SubscriberIdentity, requestedInfo [1] RequestedInfo, gsmSCF-Address
	// [3] ISDN-AddressString, extensionContainer [2] OPTIONAL, ... }
	tAnyTimeInterrogationArg = seqT(fld("subscriberIdentity", 0, tSubscriberIdentity), fld("requestedInfo", 1, tRequestedInfo),
		fld("gsmSCF-Address", 3, tISDN))

	// ProvideSubscriberLocation-Arg ::= SEQUENCE { locationType
	// LocationType, mlc-Number ISDN-AddressString, lcs-ClientID [0]
	// LCS-ClientID OPTIONAL, privacyOverride [1] NULL OPTIONAL, imsi [2]
	// IMSI OPTIONAL, msisdn [3] ISDN-AddressString OPTIONAL, lmsi [4]
	// OPTIONAL, imei [5] OPTIONAL, lcs-Priority [6] OPTIONAL, lcs-QoS [7]
	// OPTIONAL, extensionContainer [8] OPTIONAL, ... }
	// LocationType ::= SEQUENCE { locationEstimateType [0]
	// LocationEstimateType, ..., deferredLocationEventType [1] OPTIONAL }
	// LocationEstimateType ::= ENUMERATED { currentLocation (0),
	// currentOrLastKnownLocation (1), initialLocation (2), ... }
	// LCS-ClientID ::= SEQUENCE { lcsClientType [0] LCSClientType,
	// lcsClientExternalID [1] OPTIONAL, lcsClientDialedByMS [2] OPTIONAL,
	// lcsClientInternalID [3] OPTIONAL, ... }
	// LCSClientType ::= ENUMERATED { emergencyServices (0),
	// valueAddedServices (1), plmnOperatorServices (2),
	// lawfulInterceptServices (3), ... }
	tProvideSubscriberLocationArg = seqT(
		fld("locationType", untagged, seqT(fld("locationEstimateType", 0,
			enumT(map[string]int64{"currentLocation": 0, "currentOrLastKnownLocation": 1, "initialLocation": 2})))),
		fld("mlc-Number", untagged, tISDN),
		fld("lcs-ClientID", 0, seqT(fld("lcsClientType", 0,
			enumT(map[string]int64{"emergencyServices": 0, "valueAddedServices": 1, "plmnOperatorServices": 2, "lawfulInterceptServices": 3})))),
		fld("privacyOverride", 1, tNull), fld("imsi", 2, tIMSI), fld("msisdn", 3, tISDN),
	)

	// RoutingInfoForLCS-Arg ::= SEQUENCE { mlcNumber [0]
	// ISDN-AddressString, targetMS [1] SubscriberIdentity,
	// extensionContainer [2] OPTIONAL, ... }
	tRoutingInfoForLCSArg = seqT(fld("mlcNumber", 0, tISDN), fld("targetMS", 1, tSubscriberIdentity))

	// ReleaseResourcesArg ::= SEQUENCE { msrn ISDN-AddressString,
	// extensionContainer OPTIONAL, ... }
	tReleaseResourcesArg = seqT(fld("msrn", untagged, tISDN))

	// ResetArg (MAP v2) ::= SEQUENCE { hlr-Number ISDN-AddressString,
	// hlr-List HLR-List OPTIONAL, ... }; HLR-List ::= SEQUENCE SIZE
	// (1..50) OF HLR-Id; HLR-Id ::= IMSI (the leading digits of the
	// affected IMSIs).
	tResetArg = seqT(fld("hlr-Number", untagged, tISDN), fld("hlr-List", untagged, seqOfT(&asnType{kind: aHLRId})))
)

// mapOp is one MAP operation: local code (TS 29.002 §17.5), the
// application context it belongs to (§17.3.2), and the argument and
// result as they are sent (arg/res tag < 0: a universal SEQUENCE or the
// type's own tag; otherwise a context tag, e.g. [3] for the MAP v3
// arguments that are extensible by tag).
type mapOp struct {
	code int64
	name string
	ac   uint8
	// acv is the application context version a Begin uses by default
	// (0: 3, the current one; 2 where the scenarios use the MAP v2 type).
	acv uint8
	arg *asnField
	res *asnField
}

// version is the default application context version of the operation.
func (o *mapOp) version() uint8 {
	if o.acv == 0 {
		return 3
	}
	return o.acv
}

func param(tag int, t *asnType) *asnField { return &asnField{name: "parameter", tag: tag, typ: t} }

// mapOps lists the operations the scenarios name; any other local code
// is written as a number, with its argument as "hex:...".
var mapOps = []*mapOp{
	{code: 2, name: "updateLocation", ac: 1, arg: param(untagged, tUpdateLocationArg), res: param(untagged, tUpdateLocationRes)},
	{code: 3, name: "cancelLocation", ac: 2, arg: param(3, tCancelLocationArg), res: param(untagged, tEmptyRes)},
	{code: 4, name: "provideRoamingNumber", ac: 3, arg: param(untagged, tProvideRoamingNumberArg), res: param(untagged, tProvideRoamingNumberRes)},
	{code: 7, name: "insertSubscriberData", ac: 16, arg: param(untagged, tInsertSubscriberDataArg), res: param(untagged, tInsertSubscriberDataRes)},
	{code: 10, name: "registerSS", ac: 18, acv: 2, arg: param(untagged, tRegisterSSArg), res: param(untagged, tSSInfo)},
	{code: 20, name: "releaseResources", ac: 44, arg: param(untagged, tReleaseResourcesArg), res: param(untagged, tEmptyRes)},
	{code: 22, name: "sendRoutingInfo", ac: 5, arg: param(untagged, tSendRoutingInfoArg)},
	{code: 37, name: "reset", ac: 10, acv: 2, arg: param(untagged, tResetArg)},
	{code: 44, name: "mt-forwardSM", ac: 25, arg: param(untagged, tMTForwardSMArg), res: param(untagged, tEmptyRes)},
	{code: 45, name: "sendRoutingInfoForSM", ac: 20, arg: param(untagged, tRoutingInfoForSMArg), res: param(untagged, tRoutingInfoForSMRes)},
	{code: 56, name: "sendAuthenticationInfo", ac: 14, arg: param(untagged, tSendAuthenticationInfoArg), res: param(3, tSendAuthenticationInfoRes)},
	// SendIMSI: argument msisdn ISDN-AddressString, result imsi IMSI (MAP v2).
	{code: 58, name: "sendIMSI", ac: 26, acv: 2, arg: param(untagged, tISDN), res: param(untagged, tIMSI)},
	{code: 67, name: "purgeMS", ac: 27, arg: param(3, tPurgeMSArg), res: param(untagged, tPurgeMSRes)},
	{code: 68, name: "prepareHandover", ac: 11, arg: param(3, tPrepareHOArg), res: param(3, tPrepareHORes)},
	{code: 70, name: "provideSubscriberInfo", ac: 28, arg: param(untagged, tProvideSubscriberInfoArg), res: param(untagged, tSubscriberInfoRes)},
	{code: 71, name: "anyTimeInterrogation", ac: 29, arg: param(untagged, tAnyTimeInterrogationArg), res: param(untagged, tSubscriberInfoRes)},
	{code: 83, name: "provideSubscriberLocation", ac: 38, arg: param(untagged, tProvideSubscriberLocationArg)},
	{code: 85, name: "sendRoutingInfoForLCS", ac: 37, arg: param(untagged, tRoutingInfoForLCSArg)},
}

// mapOpByName and mapOpByCode index mapOps.
var mapOpByName, mapOpByCode = func() (map[string]*mapOp, map[int64]*mapOp) {
	byName, byCode := map[string]*mapOp{}, map[int64]*mapOp{}
	for _, o := range mapOps {
		byName[o.name] = o
		byCode[o.code] = o
	}
	return byName, byCode
}()

// mapACs names the application contexts (TS 29.002 §17.3.3, map-ac
// {0 4 0 0 1 0 X V}) the scenarios use; others are written by number.
var mapACs = map[string]uint8{
	"networkLocUp": 1, "locationCancellation": 2, "roamingNumberEnquiry": 3, "locationInfoRetrieval": 5,
	"reset": 10, "handoverControl": 11, "infoRetrieval": 14, "subscriberDataMngt": 16, "networkFunctionalSs": 18,
	"shortMsgGateway": 20, "shortMsgMT-Relay": 25, "imsiRetrieval": 26, "msPurging": 27, "subscriberInfoEnquiry": 28,
	"anyTimeInfoEnquiry": 29, "gprsLocationUpdate": 32, "locationSvcGateway": 37, "locationSvcEnquiry": 38,
	"resourceManagement": 44,
}

// mapErrors names the MAP error codes (TS 29.002 §17.6.6) the scenarios use.
var mapErrors = map[string]int64{
	"unknownSubscriber": 1, "unidentifiedSubscriber": 5, "roamingNotAllowed": 8, "illegalSubscriber": 9,
	"facilityNotSupported": 21, "absentSubscriber": 27, "systemFailure": 34, "dataMissing": 35,
	"unexpectedDataValue": 36, "ati-NotAllowed": 49, "unauthorizedRequestingNetwork": 52,
}
