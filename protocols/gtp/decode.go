package gtp

import (
	"encoding/binary"
	"net/netip"

	"breakwater/protocols/view"
)

// Reasons a structurally valid message is still malformed for the firewall.
const (
	reasonTrailing      = "bytes after the GTP message (and no piggyback flag)"
	reasonBadPiggyback  = "piggyback flag set but no GTPv2-C message follows"
	reasonBadIMSI       = "IMSI IE is not TBCD digits"
	reasonBadMSISDN     = "MSISDN IE is not TBCD digits"
	reasonDupServing    = "duplicate Serving Network IE"
	reasonBadServing    = "Serving Network IE is not a 3-octet PLMN identity"
	reasonDupRAI        = "duplicate Routeing Area Identity IE"
	reasonBadRAI        = "Routeing Area Identity IE has a bad PLMN identity"
	reasonDupSenderTEID = "duplicate sender control-plane F-TEID / TEID Control Plane"
	reasonBadFTEID      = "F-TEID IE length does not match its address flags"
	reasonPGWFTEID      = "Create Session Response: the PGW's S5/S8 F-TEID (instance 1) names another endpoint than its sender F-TEID"
	reasonBadGSNAddress = "GSN Address IE is neither 4 nor 16 octets"
	reasonBadCause      = "Cause IE is empty"
)

// Decode parses the GTP-C message at the start of b into v (reset first;
// the caller sets Time, Src and Dst) and returns its length, so that a
// caller can go on with a piggybacked message. A structural error is
// returned (and recorded in v.Malformed); fields that contradict each
// other set v.Malformed or v.IdentityConflict with a nil error. It never
// allocates.
func Decode(b []byte, v *view.Message) (int, error) {
	var h Header
	err := parseHeader(b, &h)
	v.Reset()
	v.Raw = b
	switch {
	case err == ErrVersion: // GTPv0, GTP' (whose version may be 1) or unknown
		v.Protocol = view.ProtoUnknown
	case h.Version == 1:
		v.Protocol = view.GTPv1C
	case h.Version == 2:
		v.Protocol = view.GTPv2C
	default:
		v.Protocol = view.ProtoUnknown
	}
	v.Code = uint32(h.Type)
	v.Op = TypeName(h.Version, h.Type)
	role := TypeRole(h.Version, h.Type)
	v.Request = role == RoleRequest || role == RoleNotification
	v.Transaction = uint64(h.Sequence)
	v.TEID, v.TEIDPresent = h.TEID, h.TEIDPresent
	if err != nil {
		v.Malformed = err.Error()
		return 0, err
	}
	v.Raw = b[:h.Length]
	body := b[h.ieStart:h.Length]
	if h.Version == 2 {
		err = decodeV2(body, v)
	} else {
		err = decodeV1(body, v)
	}
	if err != nil {
		// A broken message keeps only what its header says.
		raw, code, op, req, tr, teid, tp, proto := v.Raw, v.Code, v.Op, v.Request, v.Transaction, v.TEID, v.TEIDPresent, v.Protocol
		v.Reset()
		v.Raw, v.Code, v.Op, v.Request, v.Transaction, v.TEID, v.TEIDPresent, v.Protocol = raw, code, op, req, tr, teid, tp, proto
		v.Malformed = err.Error()
		return h.Length, err
	}
	switch {
	case h.Length < len(b) && !h.Piggyback:
		if v.Malformed == "" {
			v.Malformed = reasonTrailing
		}
	case h.Piggyback && !HasPiggyback(b):
		if v.Malformed == "" {
			v.Malformed = reasonBadPiggyback
		}
	}
	return h.Length, nil
}

// HasPiggyback reports whether the GTPv2 message at the start of b
// announces another message (P flag) and a whole GTPv2-C message header
// follows it: only then is there a piggybacked message to decode.
func HasPiggyback(b []byte) bool {
	if len(b) < 4 || b[0]>>5 != 2 || b[0]&0x10 == 0 {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[2:])) + 4
	// The first message must be long enough for its own header: otherwise
	// Decode refuses it (and returns 0), and there is nothing to skip.
	hdr := 8
	if b[0]&0x08 != 0 {
		hdr = 12
	}
	if n < hdr || n >= len(b) {
		return false
	}
	next := b[n:]
	if len(next) < 8 || next[0]>>5 != 2 {
		return false
	}
	return int(binary.BigEndian.Uint16(next[2:]))+4 <= len(next)
}

type decoder struct {
	v                       *view.Message
	imsiSeen, servingSeen   bool
	senderSeen, gsnAddrSeen bool
	senderVal               []byte // the sender F-TEID's value, once seen
}

func (d *decoder) malformed(reason string) {
	if d.v.Malformed == "" {
		d.v.Malformed = reason
	}
}

func (d *decoder) imsi(tbcd []byte) {
	var id view.Digits
	if !id.SetTBCD(tbcd) || id.Len() < 6 || id.Len() > 15 {
		d.malformed(reasonBadIMSI)
		return
	}
	if d.imsiSeen {
		// A second IMSI, equal or not, is never guessed at.
		d.v.IdentityConflict = true
		return
	}
	d.imsiSeen = true
	d.v.IMSI = id
}

func (d *decoder) msisdn(tbcd []byte) {
	var id view.Digits
	if !id.SetTBCD(tbcd) {
		d.malformed(reasonBadMSISDN)
		return
	}
	if !d.v.MSISDN.IsZero() {
		d.v.IdentityConflict = true
		return
	}
	d.v.MSISDN = id
}

func (d *decoder) addSender(a netip.Addr) {
	if a.Is4() {
		d.v.SenderAddrs[0] = a
	} else {
		d.v.SenderAddrs[1] = a
	}
}

func decodeV2(body []byte, v *view.Message) error {
	d := decoder{v: v}
	// A PGW answering on S5/S8, S2a or S2b announces its control-plane
	// F-TEID only as instance 1 of a Create Session Response: the
	// instance-0 Sender F-TEID is for S11/S4 (TS 29.274 table 7.2.2-1).
	var pgwFTEID []byte
	pgwFTEIDs := 0
	// The IE walk is V2IEs.Next written out: the per-message loop is hot
	// enough that the call and the IE it returns cost a tenth of a Create
	// Session's decode+judge.
	rest := body
	for len(rest) >= 4 {
		l := int(rest[1])<<8 | int(rest[2])
		if 4+l > len(rest) {
			return ErrIE
		}
		ie := IE{Type: rest[0], Instance: rest[3] & 0x0f, Value: rest[4 : 4+l : 4+l]}
		rest = rest[4+l:]
		// Structure is checked in the same walk (the caller discards
		// what was decoded when it fails).
		if groupedV2(ie.Type) {
			if err := validateV2(ie.Value, 1); err != nil {
				return err
			}
		}
		if ie.Type == IEFTEID && ie.Instance == 1 && v.Code == msgCreateSessionResponse {
			if pgwFTEIDs++; pgwFTEIDs == 1 {
				pgwFTEID = ie.Value
			}
			continue
		}
		if ie.Instance != 0 {
			continue // other instances are other roles (e.g. the PGW's address in a CSReq)
		}
		val := ie.Value
		switch ie.Type {
		case IEIMSI:
			d.imsi(val)
		case IEMSISDN:
			d.msisdn(val)
		case IEAPN:
			v.APN = val
		case IERATType:
			if len(val) > 0 {
				v.RAT = val[0]
			}
		case IEServingNetwork:
			if d.servingSeen {
				d.malformed(reasonDupServing)
				continue
			}
			d.servingSeen = true
			p, ok := view.DecodePLMN(val)
			if !ok {
				d.malformed(reasonBadServing)
				continue
			}
			v.VisitedPLMN = p
		case IECause:
			if len(val) == 0 {
				d.malformed(reasonBadCause)
				continue
			}
			v.ResultCode = uint32(val[0])
		case IEFTEID:
			d.fteid(val)
		}
	}
	if len(rest) != 0 {
		return ErrIE // a truncated IE header
	}
	switch {
	case pgwFTEID == nil:
	case pgwFTEIDs > 1:
		d.malformed(reasonDupSenderTEID)
	case !d.senderSeen:
		d.fteid(pgwFTEID)
	case pgwFTEID[0]&0x3f == d.senderVal[0]&0x3f && (len(pgwFTEID) != len(d.senderVal) ||
		pgwFTEID[0]&0xc0 != d.senderVal[0]&0xc0 || string(pgwFTEID[1:]) != string(d.senderVal[1:])):
		// On S5/S8 both name the PGW's control endpoint (same interface
		// type) and the SGW uses instance 1: checking one while the
		// receiver uses another would let a spoofed address through. On
		// S11/S4 instance 0 is the SGW's own endpoint (another interface
		// type) and instance 1 the PGW's, which the MME never contacts.
		d.malformed(reasonPGWFTEID)
	}
	return nil
}

// msgCreateSessionResponse is the GTPv2 message type whose sender F-TEID
// may be instance 1.
const msgCreateSessionResponse = 33

// fteid reads the sender F-TEID (instance 0) when it is a control-plane one.
func (d *decoder) fteid(val []byte) {
	if len(val) < 5 {
		d.malformed(reasonBadFTEID)
		return
	}
	flags := val[0]
	want := 5
	if flags&0x80 != 0 {
		want += 4
	}
	if flags&0x40 != 0 {
		want += 16
	}
	if len(val) != want {
		d.malformed(reasonBadFTEID)
		return
	}
	if !controlInterface(flags & 0x3f) {
		return
	}
	if d.senderSeen {
		d.malformed(reasonDupSenderTEID)
		return
	}
	d.senderSeen = true
	d.senderVal = val
	d.v.SenderTEID = binary.BigEndian.Uint32(val[1:])
	off := 5
	if flags&0x80 != 0 {
		d.addSender(netip.AddrFrom4([4]byte(val[off : off+4])))
		off += 4
	}
	if flags&0x40 != 0 {
		d.addSender(netip.AddrFrom16([16]byte(val[off : off+16])))
	}
}

func decodeV1(body []byte, v *view.Message) error {
	// Structure is checked in the decoding walk (the caller discards what
	// was decoded when it fails).
	d := decoder{v: v}
	it := V1IEs{b: body}
	for ie, ok := it.Next(); ok; ie, ok = it.Next() {
		val := ie.Value
		switch ie.Type {
		case V1IECause:
			v.ResultCode = uint32(val[0])
		case V1IEIMSI:
			d.imsi(val)
		case V1IERAI:
			if d.servingSeen {
				d.malformed(reasonDupRAI)
				continue
			}
			d.servingSeen = true
			p, ok := view.DecodePLMN(val[:3])
			if !ok {
				d.malformed(reasonBadRAI)
				continue
			}
			v.VisitedPLMN = p
		case V1IETEIDControl:
			if d.senderSeen {
				d.malformed(reasonDupSenderTEID)
				continue
			}
			d.senderSeen = true
			v.SenderTEID = binary.BigEndian.Uint32(val)
		case V1IEGSNAddress:
			// The first GSN Address is the sender's signalling address;
			// the second its user-plane address (TS 29.060 §7.3.1).
			if d.gsnAddrSeen {
				continue
			}
			d.gsnAddrSeen = true
			switch len(val) {
			case 4:
				d.addSender(netip.AddrFrom4([4]byte(val)))
			case 16:
				d.addSender(netip.AddrFrom16([16]byte(val)))
			default:
				d.malformed(reasonBadGSNAddress)
			}
		case V1IEAPN:
			v.APN = val
		case V1IEMSISDN:
			// An ISDN-AddressString: nature-of-address octet, then TBCD.
			if len(val) > 1 {
				d.msisdn(val[1:])
			} else {
				d.malformed(reasonBadMSISDN)
			}
		case V1IERATType:
			if len(val) > 0 {
				v.RAT = val[0]
			}
		}
	}
	return it.Err()
}
