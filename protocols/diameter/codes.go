package diameter

// Vendor identifiers.
const (
	VendorNone uint32 = 0
	Vendor3GPP uint32 = 10415
)

// Application identifiers (IANA "Diameter Application IDs"; 3GPP TS 29.230).
const (
	AppBase           uint32 = 0
	AppNASREQ         uint32 = 1
	AppBaseAccounting uint32 = 3
	AppCreditControl  uint32 = 4 // Gy/Ro
	AppCx             uint32 = 16777216
	AppSh             uint32 = 16777217
	AppRx             uint32 = 16777236
	AppGx             uint32 = 16777238
	AppS6aS6d         uint32 = 16777251
	AppS13            uint32 = 16777252
	AppSLg            uint32 = 16777255
	AppSWx            uint32 = 16777265
	AppS9             uint32 = 16777267
	AppS6b            uint32 = 16777272
	AppSLh            uint32 = 16777291
	AppSy             uint32 = 16777302
	AppS6c            uint32 = 16777312
	AppSGd            uint32 = 16777313
	AppT6a            uint32 = 16777346
	AppS6t            uint32 = 16777345
	AppRelay          uint32 = 0xffffffff
)

// Command codes.
const (
	CmdCapabilitiesExchange    uint32 = 257     // CER/CEA
	CmdReAuth                  uint32 = 258     // RAR/RAA
	CmdAA                      uint32 = 265     // AAR/AAA (NASREQ, Rx)
	CmdAccounting              uint32 = 271     // ACR/ACA
	CmdCreditControl           uint32 = 272     // CCR/CCA (Gx, Gy, S9)
	CmdAbortSession            uint32 = 274     // ASR/ASA
	CmdSessionTermination      uint32 = 275     // STR/STA
	CmdDeviceWatchdog          uint32 = 280     // DWR/DWA
	CmdDisconnectPeer          uint32 = 282     // DPR/DPA
	CmdUserAuthorization       uint32 = 300     // Cx UAR
	CmdServerAssignment        uint32 = 301     // Cx SAR
	CmdLocationInfo            uint32 = 302     // Cx LIR
	CmdMultimediaAuth          uint32 = 303     // Cx MAR
	CmdRegistrationTermination uint32 = 304     // Cx RTR
	CmdPushProfile             uint32 = 305     // Cx PPR
	CmdUserData                uint32 = 306     // Sh UDR
	CmdProfileUpdate           uint32 = 307     // Sh PUR
	CmdSubscribeNotifications  uint32 = 308     // Sh SNR
	CmdPushNotification        uint32 = 309     // Sh PNR
	CmdUpdateLocation          uint32 = 316     // S6a ULR
	CmdCancelLocation          uint32 = 317     // S6a CLR
	CmdAuthenticationInfo      uint32 = 318     // S6a AIR
	CmdInsertSubscriberData    uint32 = 319     // S6a IDR
	CmdDeleteSubscriberData    uint32 = 320     // S6a DSR
	CmdPurgeUE                 uint32 = 321     // S6a PUR
	CmdReset                   uint32 = 322     // S6a RSR
	CmdNotify                  uint32 = 323     // S6a NOR
	CmdMEIdentityCheck         uint32 = 324     // S13 ECR
	CmdProvideLocation         uint32 = 8388620 // SLg PLR
	CmdLocationReport          uint32 = 8388621 // SLg LRR
	CmdLCSRoutingInfo          uint32 = 8388622 // SLh RIR
)

// AVP codes the parser extracts (vendor 0 unless noted).
const (
	AVPUserName                    uint32 = 1
	AVPSessionID                   uint32 = 263
	AVPOriginHost                  uint32 = 264
	AVPVendorID                    uint32 = 266
	AVPResultCode                  uint32 = 268
	AVPAuthApplicationID           uint32 = 258
	AVPAcctApplicationID           uint32 = 259
	AVPVendorSpecificApplicationID uint32 = 260
	AVPRouteRecord                 uint32 = 282
	AVPDestinationRealm            uint32 = 283
	AVPDestinationHost             uint32 = 293
	AVPOriginRealm                 uint32 = 296
	AVPExperimentalResult          uint32 = 297
	AVPExperimentalResultCode      uint32 = 298
	AVPSubscriptionID              uint32 = 443
	AVPSubscriptionIDData          uint32 = 444
	AVPSubscriptionIDType          uint32 = 450

	// Vendor 10415 (3GPP).
	AVPPublicIdentity   uint32 = 601
	AVPUserIdentity     uint32 = 700
	AVPMSISDN           uint32 = 701
	AVPDataReference    uint32 = 703
	AVPULRFlags         uint32 = 1405
	AVPVisitedPLMNID    uint32 = 1407
	AVPCancellationType uint32 = 1420
	AVPUserID           uint32 = 1444
	AVPIDRFlags         uint32 = 1490
)

// Subscription-Id-Type values (RFC 4006 §8.47).
const (
	SubscriptionIDE164 uint32 = 0
	SubscriptionIDIMSI uint32 = 1
)

// Result codes used when answering on the home side's behalf.
const (
	ResultSuccess            uint32 = 2001
	ResultUnableToDeliver    uint32 = 3002
	ResultUnableToComply     uint32 = 5012
	ResultCommandUnsupported uint32 = 3001
)
