package view

import (
	"net/netip"
	"time"
)

// Protocol is the signaling protocol of a message.
type Protocol uint8

const (
	ProtoUnknown Protocol = iota
	Diameter
	GTPv1C
	GTPv2C
	MAP
	numProtocols
)

var protocolNames = [numProtocols]string{"unknown", "diameter", "gtpv1c", "gtpv2c", "map"}

// String returns the name used in configuration, rules and output.
func (p Protocol) String() string {
	if p < numProtocols {
		return protocolNames[p]
	}
	return "unknown"
}

// ParseProtocol is the inverse of String.
func ParseProtocol(s string) (Protocol, bool) {
	for i, n := range protocolNames {
		if i > 0 && n == s {
			return Protocol(i), true
		}
	}
	return ProtoUnknown, false
}

// Protocols lists the known protocols (for documentation and validation).
func Protocols() []Protocol { return []Protocol{Diameter, GTPv1C, GTPv2C, MAP} }

// Flag bits for Message.Flags. They name facts a parser saw that rules care
// about, independently of the protocol that carried them.
const (
	// FlagLocationRequest: the message asks the receiver to report the
	// subscriber's current location (Diameter IDR-Flags "EPS Location
	// Information Request"/"Current Location Request", MAP PSI with
	// locationInformation requested, ...). The classic tracking probe.
	FlagLocationRequest uint32 = 1 << iota
	// FlagStateRequest: the message asks for the subscriber's state
	// (IDR "EPS User State Request", PSI subscriberState).
	FlagStateRequest
	// FlagAppMismatch: the message's header application differs from the
	// application it declares in its body (a filter-bypass attempt); for
	// MAP, the operation does not belong to the dialogue's application
	// context (TS 29.002 §17.2.2).
	FlagAppMismatch
	// FlagRedirect: the message installs a redirection of the subscriber's
	// traffic: call forwarding to a number (MAP insertSubscriberData with
	// a forwarding feature, registerSS, anyTimeModification of forwarding
	// data) or CAMEL subscription data that hands call, SMS, GPRS or
	// mobility control to a gsmSCF (insertSubscriberData CSIs,
	// anyTimeModification activating a CSI). The interception set-up of
	// GSMA FS.11 category 2.
	FlagRedirect
	// FlagWithdrawal: a cancellation withdraws the subscription rather
	// than following the subscriber to another network (MAP
	// cancelLocation with cancellationType subscriptionWithdraw): the
	// subscriber did not move.
	FlagWithdrawal
	// FlagCAMEL: the TCAP dialogue is a CAMEL one (CAP, TS 29.078: its
	// application context is a CAP context), so Code is a CAP operation
	// code, not a MAP one.
	FlagCAMEL
	// FlagForeignContext: the TCAP dialogue names an application context
	// that is neither MAP's nor CAP's: the components' operation codes
	// mean nothing the firewall can judge.
	FlagForeignContext
)

// Message is the protocol-neutral view of one signaling message.
//
// A parser fills the protocol fields; the caller (replay or proxy) fills
// Time, Src and Dst. Fields a protocol does not carry stay zero.
type Message struct {
	Protocol Protocol
	Request  bool   // a request (Diameter R bit, GTP request types, TCAP Invoke)
	App      uint32 // Diameter Application-Id; 0 for other protocols
	Code     uint32 // Diameter command code, GTP message type, MAP operation code
	Op       string // short static operation name: "ULR", "CreateSessionRequest", "updateLocation"

	// Transaction correlates a request with its answer within one peer
	// relation: Diameter End-to-End<<32 | Hop-by-Hop, GTP sequence number,
	// TCAP transaction id (the OTID of a Begin or Unidirectional, the
	// DTID of a Continue, End or Abort: the id the dialogue's initiator
	// chose, so a request and the answer to it carry the same value).
	Transaction uint64

	// Subscriber identities.
	IMSI   Digits
	MSISDN Digits
	// IdentityConflict is set when an identity appears more than once or
	// in conflicting forms. Rules block such messages rather than guess
	// which copy the receiver will use.
	IdentityConflict bool

	// Location and routing fields.
	VisitedPLMN PLMN   // Diameter Visited-PLMN-Id, GTP Serving Network / RAI
	OriginHost  []byte // Diameter Origin-Host (aliases the message buffer)
	OriginRealm []byte
	DestHost    []byte
	DestRealm   []byte
	CallingGT   Digits // SCCP calling / called party global titles
	CalledGT    Digits

	// Tunnel fields (GTP-C). TEID is the header's tunnel endpoint id: the
	// receiver's session the message belongs to (0 with TEIDPresent false
	// when the header has none). SenderTEID and SenderAddrs are the
	// control-plane endpoint the sender announces for itself (GTPv2 F-TEID
	// of a GTP-C interface, GTPv1 TEID Control Plane and first GSN Address);
	// SenderAddrs holds up to an IPv4 and an IPv6 address.
	TEID        uint32
	TEIDPresent bool
	SenderTEID  uint32
	SenderAddrs [2]netip.Addr
	APN         []byte // access point name as encoded (length-prefixed labels)
	RAT         uint8  // radio access technology (GTP RAT Type), 0 when absent

	// SS7 fields (TCAP and MAP). TCAPType is the TCAP message type (0x61
	// Unidirectional, 0x62 Begin, 0x64 End, 0x65 Continue, 0x67 Abort; 0
	// for other protocols). AppContext and AppContextVersion are the MAP
	// application context of the dialogue portion (0.4.0.0.1.0.X.V: X and
	// V; networkLocUp 1, anyTimeInfoEnquiry 29, ...), zero when the
	// message has none. Components counts the TCAP components and Invokes
	// the Invokes among them (both saturate at 255): a message with more
	// than one Invoke asks for several operations at once, and a filter
	// that judged only the first would let the others through.
	TCAPType          uint8
	AppContext        uint8
	AppContextVersion uint8
	Components        uint8
	Invokes           uint8

	// Network nodes a MAP message names, as E.164 digits (the nature of
	// address and numbering plan octet of the ISDN-AddressString
	// dropped); the first one of each kind is kept. MSCNumber: the
	// serving MSC (updateLocation, provideRoamingNumber, cancelLocation's
	// newMSC-Number, sendIdentification, the MSC a location report or
	// an SRI-for-SM/PSI/ATI answer names) or, in sendRoutingInfo, the
	// interrogating GMSC or gsmSCF. VLRNumber: the serving VLR
	// (updateLocation, purgeMS, cancelLocation's newVLR-Number, PSI/ATI
	// answers). SGSNNumber: the serving SGSN (updateGprsLocation,
	// purgeMS, subscriberLocationReport from an SGSN). HLRNumber: the
	// HLR of reset and of the answers to updateLocation,
	// updateGprsLocation and restoreData. GsmSCF: the gsmSCF-Address of
	// anyTimeInterrogation, anyTimeSubscriptionInterrogation and
	// anyTimeModification, or of the CAMEL subscription data an
	// insertSubscriberData installs. SMSC: the service centre of
	// mo/mt-forwardSM, sendRoutingInfoForSM, reportSM-DeliveryStatus and
	// alertServiceCentre. ForwardedTo: the number calls are forwarded to
	// (insertSubscriberData, registerSS, anyTimeModification).
	MSCNumber   Digits
	VLRNumber   Digits
	SGSNNumber  Digits
	HLRNumber   Digits
	GsmSCF      Digits
	SMSC        Digits
	ForwardedTo Digits

	// ResultCode of an answer: Diameter Result-Code or Experimental-Result-Code,
	// GTP Cause, MAP error code. Zero when absent.
	ResultCode uint32
	// Flags holds Flag* bits.
	Flags uint32

	// Malformed is a static description of why the message could not be
	// fully parsed, or "" when it parsed. A malformed message still has
	// whatever header fields could be read (Protocol at least).
	Malformed string

	// Raw is the whole message as received (aliases the caller's buffer);
	// rules reach protocol-specific fields (AVPs, IEs) through it.
	Raw []byte

	// Set by the caller, not the parser.
	Time time.Time
	Src  netip.AddrPort
	Dst  netip.AddrPort
}

// Reset clears m for reuse without allocating.
func (m *Message) Reset() { *m = Message{} }
