package diameter

// command names one command code in its request and answer forms.
type command struct{ req, ans string }

// commands gives the conventional 3GPP/IETF abbreviations. Codes shared by
// several applications (CCR in Gx, Gy and S9) have one name: the application
// id tells them apart.
var commands = map[uint32]command{
	CmdCapabilitiesExchange:    {"CER", "CEA"},
	CmdReAuth:                  {"RAR", "RAA"},
	CmdAA:                      {"AAR", "AAA"},
	CmdAccounting:              {"ACR", "ACA"},
	CmdCreditControl:           {"CCR", "CCA"},
	CmdAbortSession:            {"ASR", "ASA"},
	CmdSessionTermination:      {"STR", "STA"},
	CmdDeviceWatchdog:          {"DWR", "DWA"},
	CmdDisconnectPeer:          {"DPR", "DPA"},
	CmdUserAuthorization:       {"UAR", "UAA"},
	CmdServerAssignment:        {"SAR", "SAA"},
	CmdLocationInfo:            {"LIR", "LIA"},
	CmdMultimediaAuth:          {"MAR", "MAA"},
	CmdRegistrationTermination: {"RTR", "RTA"},
	CmdPushProfile:             {"PPR", "PPA"},
	CmdUserData:                {"UDR", "UDA"},
	CmdProfileUpdate:           {"PUR", "PUA"},
	CmdSubscribeNotifications:  {"SNR", "SNA"},
	CmdPushNotification:        {"PNR", "PNA"},
	CmdUpdateLocation:          {"ULR", "ULA"},
	CmdCancelLocation:          {"CLR", "CLA"},
	CmdAuthenticationInfo:      {"AIR", "AIA"},
	CmdInsertSubscriberData:    {"IDR", "IDA"},
	CmdDeleteSubscriberData:    {"DSR", "DSA"},
	CmdPurgeUE:                 {"PUR", "PUA"},
	CmdReset:                   {"RSR", "RSA"},
	CmdNotify:                  {"NOR", "NOA"},
	CmdMEIdentityCheck:         {"ECR", "ECA"},
	CmdProvideLocation:         {"PLR", "PLA"},
	CmdLocationReport:          {"LRR", "LRA"},
	CmdLCSRoutingInfo:          {"RIR", "RIA"},
	8388647:                    {"SRR", "SRA"}, // S6c Send-Routing-Info-for-SM
	8388645:                    {"OFR", "OFA"}, // SGd MO-Forward-Short-Message (TS 29.338)
	8388646:                    {"TFR", "TFA"}, // SGd MT-Forward-Short-Message
	8388648:                    {"ALR", "ALA"}, // S6c Alert-Service-Centre
	8388649:                    {"RDR", "RDA"}, // S6c Report-SM-Delivery-Status
}

// commandsDense answers OpName for the common code range without a map
// lookup on the hot path.
const denseFirst, denseLast = CmdCapabilitiesExchange, CmdMEIdentityCheck

var commandsDense [denseLast - denseFirst + 1]command

func init() {
	for code, c := range commands {
		if code >= denseFirst && code <= denseLast {
			commandsDense[code-denseFirst] = c
		}
	}
}

// OpName returns the short name of a command ("ULR", "ULA"), or "" for a
// code it does not know. The result is a static string.
func OpName(code uint32, request bool) string {
	var c command
	if code >= denseFirst && code <= denseLast {
		c = commandsDense[code-denseFirst]
	} else {
		c = commands[code]
	}
	if request {
		return c.req
	}
	return c.ans
}

// OpCode returns the command code and request flag for a short name; the
// inverse of OpName, used when compiling rules. A name shared by two
// commands ("PUR"/"PUA": Sh Profile-Update 307 and S6a Purge-UE 321)
// resolves to the higher code, S6a Purge-UE (the one exposed on roaming
// interfaces), whatever the map iteration order.
func OpCode(name string) (code uint32, request bool, ok bool) {
	for c, cmd := range commands {
		if (cmd.req == name || cmd.ans == name) && (!ok || c > code) {
			code, request, ok = c, cmd.req == name, true
		}
	}
	return code, request, ok
}

var applications = map[uint32]string{
	AppBase:           "Base",
	AppNASREQ:         "NASREQ",
	AppBaseAccounting: "Accounting",
	AppCreditControl:  "Gy",
	AppCx:             "Cx",
	AppSh:             "Sh",
	AppRx:             "Rx",
	AppGx:             "Gx",
	AppS6aS6d:         "S6a",
	AppS13:            "S13",
	AppSLg:            "SLg",
	AppSWx:            "SWx",
	AppS9:             "S9",
	AppS6b:            "S6b",
	AppSLh:            "SLh",
	AppSy:             "Sy",
	AppS6c:            "S6c",
	AppSGd:            "SGd",
	AppT6a:            "T6a",
	AppS6t:            "S6t",
	AppRelay:          "Relay",
}

// AppName returns the interface name of an application id ("S6a", "Sh"), or
// "" when unknown. The result is a static string.
func AppName(app uint32) string { return applications[app] }

// AppID is the inverse of AppName (case-sensitive), for rule compilation.
func AppID(name string) (uint32, bool) {
	for id, n := range applications {
		if n == name {
			return id, true
		}
	}
	return 0, false
}
