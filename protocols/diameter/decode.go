package diameter

import (
	"breakwater/protocols/view"
)

// Reasons a structurally valid message is still malformed for the firewall.
// They are static strings so that reporting them allocates nothing.
const (
	reasonDupOriginHost  = "duplicate Origin-Host AVP"
	reasonDupOriginRealm = "duplicate Origin-Realm AVP"
	reasonDupDestHost    = "duplicate Destination-Host AVP"
	reasonDupDestRealm   = "duplicate Destination-Realm AVP"
	reasonDupVisited     = "duplicate Visited-PLMN-Id AVP"
	reasonBadVisited     = "Visited-PLMN-Id is not a 3-octet TBCD PLMN identity"
	reasonBadIMSI        = "S6a/S6d User-Name is not an IMSI"
	reasonBadMSISDN      = "MSISDN AVP is not TBCD digits"
	reasonBadResult      = "Result-Code is not Unsigned32"
	reasonBadUnsigned32  = "an Unsigned32/Enumerated AVP the firewall reads is not 4 octets"
)

// IDR-Flags bits (3GPP TS 29.272 §7.3.103).
const (
	idrEPSUserStateRequest           = 1 << 2
	idrEPSLocationInformationRequest = 1 << 3
	idrCurrentLocationRequest        = 1 << 4
)

// Sh Data-Reference values (3GPP TS 29.328 §6.3.4) that disclose location or state.
const (
	dataRefLocationInformation = 14
	dataRefUserState           = 15
)

// Decode parses b as one Diameter message and fills v (which it resets
// first; the caller sets Time, Src and Dst afterwards). It returns the
// structural error, if any; a message that parses but carries contradictory
// or unusable fields gets v.Malformed set and a nil error. It never allocates.
func Decode(b []byte, v *view.Message) error {
	h, err := ParseHeader(b)
	headerView(v, b, &h)
	switch {
	case err != nil:
	case int(h.Length) > len(b):
		err = ErrTruncated
	case int(h.Length) < len(b):
		err = ErrTrailing
	default:
		err = decodeBody(b[HeaderLen:], v, h)
	}
	if err != nil {
		// A structurally broken message keeps only its header's facts:
		// fields read before the fault could be misread.
		headerView(v, b, &h)
		v.Malformed = err.Error()
	}
	return err
}

// headerView resets v to what the header alone says.
func headerView(v *view.Message, b []byte, h *Header) {
	// Zeroed in place, then filled: a composite literal of this large
	// struct is built on the stack and copied, twice the work.
	*v = view.Message{}
	v.Protocol = view.Diameter
	v.Raw = b
	v.Request = h.IsRequest()
	v.App, v.Code = h.AppID, h.Code
	v.Op = OpName(h.Code, v.Request)
	v.Transaction = uint64(h.EndToEnd)<<32 | uint64(h.HopByHop)
}

// decodeBody validates and reads the top-level AVPs in one pass (the same
// checks as Parse, without walking the message twice).
func decodeBody(body []byte, v *view.Message, h Header) error {
	d := decoder{v: v, app: h.AppID, base: isBaseCommand(h.Code)}
	if err := walkAVPs(body, 0, &d); err != nil {
		return err
	}
	if d.declared && d.declaredApp != h.AppID && !d.base {
		v.Flags |= view.FlagAppMismatch
	}
	if d.userNames > 0 && !d.userNameIMSI && isIMSIApp(h.AppID) {
		d.malformed(reasonBadIMSI)
	}
	return nil
}

// decoder carries the per-message bookkeeping of Decode on the stack.
type decoder struct {
	v            *view.Message
	app          uint32
	userNames    int
	userNameIMSI bool // a User-Name held an IMSI
	declared     bool // the body declared an application id
	declaredApp  uint32
	base         bool // CER/DWR/DPR: application ids advertise, not declare
}

func (d *decoder) malformed(reason string) {
	if d.v.Malformed == "" {
		d.v.Malformed = reason
	}
}

// setOnce stores an identity AVP's value, flagging a second occurrence.
func setOnce(dst *[]byte, val []byte, d *decoder, dupReason string) {
	if *dst != nil {
		d.malformed(dupReason)
		return
	}
	*dst = val
}

// topAVPs are the top-level AVPs top reads; every other one is only
// validated. TestTopReadsOnlyListed keeps the list and top in step.
var topAVPs = []avpKey{
	{AVPOriginHost, VendorNone}, {AVPOriginRealm, VendorNone},
	{AVPDestinationHost, VendorNone}, {AVPDestinationRealm, VendorNone},
	{AVPUserName, VendorNone}, {AVPResultCode, VendorNone}, {AVPExperimentalResult, VendorNone},
	{AVPAuthApplicationID, VendorNone}, {AVPAcctApplicationID, VendorNone},
	{AVPVendorSpecificApplicationID, VendorNone}, {AVPSubscriptionID, VendorNone},
	{AVPVisitedPLMNID, Vendor3GPP}, {AVPMSISDN, Vendor3GPP}, {AVPUserIdentity, Vendor3GPP},
	{AVPIDRFlags, Vendor3GPP}, {AVPDataReference, Vendor3GPP},
}

// topIETF and top3GPP are topAVPs as bitsets: most AVPs of a message are
// none of them, and a bit test is cheaper than top's switch.
var topIETF, top3GPP [2048 / 64]uint64

func init() {
	for _, k := range topAVPs {
		set := &topIETF
		if k.vendor == Vendor3GPP {
			set = &top3GPP
		}
		if k.code >= 2048 || (k.vendor != VendorNone && k.vendor != Vendor3GPP) {
			panic("diameter: topAVPs entry outside the bitsets")
		}
		set[k.code/64] |= 1 << (k.code % 64)
	}
}

// readsTop reports whether top reads the AVP (code, vendor).
func readsTop(code, vendor uint32) bool {
	if code >= 2048 {
		return false
	}
	switch vendor {
	case VendorNone:
		return topIETF[code/64]&(1<<(code%64)) != 0
	case Vendor3GPP:
		return top3GPP[code/64]&(1<<(code%64)) != 0
	}
	return false
}

func (d *decoder) top(a *AVP) {
	v := d.v
	switch a.Vendor {
	case VendorNone:
		switch a.Code {
		case AVPOriginHost:
			setOnce(&v.OriginHost, a.Data, d, reasonDupOriginHost)
		case AVPOriginRealm:
			setOnce(&v.OriginRealm, a.Data, d, reasonDupOriginRealm)
		case AVPDestinationHost:
			setOnce(&v.DestHost, a.Data, d, reasonDupDestHost)
		case AVPDestinationRealm:
			setOnce(&v.DestRealm, a.Data, d, reasonDupDestRealm)
		case AVPUserName:
			d.userNames++
			if d.userNames > 1 {
				v.IdentityConflict = true
			}
			d.userName(a.Data)
		case AVPResultCode:
			rc, ok := a.Uint32()
			if !ok {
				d.malformed(reasonBadResult)
			}
			v.ResultCode = rc
		case AVPExperimentalResult:
			it := a.Grouped()
			for g, ok := it.Next(); ok; g, ok = it.Next() {
				if g.Code == AVPExperimentalResultCode && g.Vendor == VendorNone && v.ResultCode == 0 {
					v.ResultCode = d.uint32(g)
				}
			}
		case AVPAuthApplicationID, AVPAcctApplicationID:
			d.declare(*a)
		case AVPVendorSpecificApplicationID:
			it := a.Grouped()
			for g, ok := it.Next(); ok; g, ok = it.Next() {
				if g.Vendor == VendorNone && (g.Code == AVPAuthApplicationID || g.Code == AVPAcctApplicationID) {
					d.declare(g)
				}
			}
		case AVPSubscriptionID:
			d.subscriptionID(*a)
		}
	case Vendor3GPP:
		switch a.Code {
		case AVPVisitedPLMNID:
			if !v.VisitedPLMN.IsZero() {
				d.malformed(reasonDupVisited)
				return
			}
			p, ok := view.DecodePLMN(a.Data)
			if !ok {
				d.malformed(reasonBadVisited)
				return
			}
			v.VisitedPLMN = p
		case AVPMSISDN:
			d.msisdnTBCD(a.Data)
		case AVPUserIdentity:
			it := a.Grouped()
			for g, ok := it.Next(); ok; g, ok = it.Next() {
				switch {
				case g.Vendor == Vendor3GPP && g.Code == AVPMSISDN:
					d.msisdnTBCD(g.Data)
				case g.Vendor == Vendor3GPP && g.Code == AVPPublicIdentity:
					var id view.Digits
					if telNumber(g.Data, &id) {
						d.msisdn(&id)
					}
				}
			}
		case AVPIDRFlags:
			f := d.uint32(*a)
			if f&(idrEPSLocationInformationRequest|idrCurrentLocationRequest) != 0 {
				v.Flags |= view.FlagLocationRequest
			}
			if f&idrEPSUserStateRequest != 0 {
				v.Flags |= view.FlagStateRequest
			}
		case AVPDataReference:
			switch ref := d.uint32(*a); ref {
			case dataRefLocationInformation:
				v.Flags |= view.FlagLocationRequest
			case dataRefUserState:
				v.Flags |= view.FlagStateRequest
			}
		}
	}
}

// uint32 reads an Unsigned32/Enumerated AVP the firewall acts on. A value
// of the wrong size is malformed: a receiver reading only part of it could
// act on something the firewall never saw.
func (d *decoder) uint32(a AVP) uint32 {
	u, ok := a.Uint32()
	if !ok {
		d.malformed(reasonBadUnsigned32)
	}
	return u
}

// declare records an application the message declares in its body.
func (d *decoder) declare(a AVP) {
	if d.base {
		return
	}
	id, ok := a.Uint32()
	if !ok {
		d.malformed(reasonBadUnsigned32)
		return
	}
	if !d.declared {
		d.declared, d.declaredApp = true, id
	} else if d.declaredApp != id {
		// Two different declared applications: whichever the receiver
		// believes, one of them disagrees with the header.
		d.v.Flags |= view.FlagAppMismatch
	}
}

// userName takes an IMSI from User-Name: bare digits (S6a, S13, SLh) or the
// user part of an IMS private identity "<IMSI>@ims.mnc..." (Cx, SWx).
func (d *decoder) userName(b []byte) {
	// One scan finds the end of the digits; anything but '@' after them
	// means this User-Name is not an IMSI.
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	if n < 6 || n > 15 || (n < len(b) && b[n] != '@') {
		return
	}
	d.userNameIMSI = true
	v := d.v
	if v.IMSI.IsZero() { // the usual case: store straight into the view
		v.IMSI.SetASCII(b[:n])
		return
	}
	var id view.Digits
	id.SetASCII(b[:n])
	d.imsi(&id)
}

// setIMSI accepts 6 to 15 decimal digits (3GPP TS 23.003 §2.2: MCC, MNC and
// at least one MSIN digit; at most 15 in all).
func setIMSI(id *view.Digits, b []byte) bool {
	return len(b) >= 6 && len(b) <= 15 && id.SetASCII(b)
}

func (d *decoder) imsi(id *view.Digits) {
	v := d.v
	if !v.IMSI.IsZero() && !v.IMSI.Equal(id) {
		v.IdentityConflict = true
		return
	}
	v.IMSI = *id
}

func (d *decoder) msisdnTBCD(b []byte) {
	var id view.Digits
	if !id.SetTBCD(b) {
		d.malformed(reasonBadMSISDN)
		return
	}
	d.msisdn(&id)
}

func (d *decoder) msisdn(id *view.Digits) {
	v := d.v
	if !v.MSISDN.IsZero() && !v.MSISDN.Equal(id) {
		v.IdentityConflict = true
		return
	}
	v.MSISDN = *id
}

// subscriptionID reads RFC 4006 Subscription-Id {Type, Data}.
func (d *decoder) subscriptionID(a AVP) {
	var typ uint32 = ^uint32(0)
	var data []byte
	it := a.Grouped()
	for g, ok := it.Next(); ok; g, ok = it.Next() {
		if g.Vendor != VendorNone {
			continue
		}
		switch g.Code {
		case AVPSubscriptionIDType:
			typ = d.uint32(g)
		case AVPSubscriptionIDData:
			data = g.Data
		}
	}
	var id view.Digits
	switch typ {
	case SubscriptionIDIMSI:
		if setIMSI(&id, data) {
			d.imsi(&id)
		}
	case SubscriptionIDE164:
		if len(data) > 0 && data[0] == '+' {
			data = data[1:]
		}
		if id.SetASCII(data) {
			d.msisdn(&id)
		}
	}
}

// telNumber reads the E.164 number of "tel:+1-206-555-0100" or
// "sip:+12065550100@host;user=phone", skipping the visual separators RFC
// 3966 allows ('-', '.', '(', ')').
func telNumber(b []byte, out *view.Digits) bool {
	switch {
	case len(b) > 5 && (string(b[:5]) == "tel:+" || string(b[:5]) == "sip:+"):
		b = b[5:]
	default:
		return false
	}
	var buf [view.MaxDigits]byte
	n := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if n == len(buf) {
				return false
			}
			buf[n] = c
			n++
		case c == '-' || c == '.' || c == '(' || c == ')':
		case c == '@' || c == ';':
			return out.SetASCII(buf[:n])
		default:
			return false
		}
	}
	return out.SetASCII(buf[:n])
}

// isBaseCommand reports commands whose application-id AVPs advertise
// capabilities rather than declare the message's own application.
func isBaseCommand(code uint32) bool {
	return code == CmdCapabilitiesExchange || code == CmdDeviceWatchdog || code == CmdDisconnectPeer
}

// isIMSIApp reports applications whose User-Name must be an IMSI.
func isIMSIApp(app uint32) bool { return app == AppS6aS6d }
