package m3ua

import (
	"encoding/binary"
	"errors"
)

// Errors found while decoding a message's parameters.
var (
	ErrNotData         = errors.New("m3ua: not a DATA message")
	ErrNotSSNM         = errors.New("m3ua: not an SSNM message")
	ErrMissingParam    = errors.New("m3ua: mandatory parameter missing")
	ErrDuplicateParam  = errors.New("m3ua: parameter repeated")
	ErrUnexpectedParam = errors.New("m3ua: parameter not allowed in this message")
	ErrParamValue      = errors.New("m3ua: parameter value of the wrong length")
	ErrPointCode       = errors.New("m3ua: point code wider than 24 bits")
)

// ProtocolDataLen is the fixed part of the Protocol Data parameter value
// (OPC, DPC, SI, NI, MP, SLS).
const ProtocolDataLen = 12

// MaxPointCode is the widest point code M3UA carries: the OPC and DPC fields
// are 32 bits, of which ANSI and China use 24 and ITU 14 (RFC 4666 §3.3.1).
const MaxPointCode = 1<<24 - 1

// Service indicators (ITU-T Q.704 §14.2.1), the MTP3 user in DATA.
const (
	SISNM   uint8 = 0  // signalling network management (not transferred by M3UA)
	SISCCP  uint8 = 3  // SCCP
	SITUP   uint8 = 4  // telephone user part
	SIISUP  uint8 = 5  // ISDN user part
	SIBISUP uint8 = 9  // broadband ISUP
	SISISUP uint8 = 10 // satellite ISUP
	SIAAL2  uint8 = 12 // AAL type 2 signalling
	SIBICC  uint8 = 13 // bearer independent call control
	SIGCP   uint8 = 14 // gateway control protocol (H.248)
)

// Network indicators (Q.704 §14.2.2).
const (
	NIInternational uint8 = 0
	NISpare         uint8 = 1 // international spare
	NINational      uint8 = 2
	NIReserved      uint8 = 3 // reserved for national use
)

// ProtocolData is the MTP3 routing label and payload carried by DATA
// (RFC 4666 §3.3.1, tag 0x0210).
type ProtocolData struct {
	OPC      uint32 // originating point code (24 bits at most; ITU uses 14)
	DPC      uint32 // destination point code
	SI       uint8  // service indicator: 3 is SCCP
	NI       uint8  // network indicator
	MP       uint8  // message priority (national, 0-3)
	SLS      uint8  // signalling link selection
	UserData []byte // the MTP3 user's message (SCCP, ISUP, ...), aliasing the input
}

// Data is a decoded DATA message (RFC 4666 §3.3.1).
type Data struct {
	NetworkAppearance Opt32
	RoutingContext    Opt32 // DATA carries at most one routing context
	CorrelationID     Opt32
	ProtocolData
}

// ParseData parses b as one DATA message and decodes it into d: Parse
// and Data in one walk over the parameters (the per-message path of SS7
// inspection).
func ParseData(b []byte, d *Data) error {
	m, err := frame(b)
	if err != nil {
		*d = Data{}
		return err
	}
	return m.Data(d)
}

// Data decodes a DATA message into d. The firewall judges what the
// receiver will act on, so the rules are strict where readers could differ:
// Protocol Data is mandatory and no parameter may appear twice (first-wins
// and last-wins readers would route different messages); Network
// Appearance, Routing Context and Correlation ID hold exactly one 32-bit
// value; OPC and DPC fit in 24 bits; any other parameter is refused, as
// RFC 4666 §3.8.1 has the receiver answer "Unexpected Parameter".
// Parameter order is not checked.
func (m *Message) Data(d *Data) error {
	*d = Data{}
	if m.Kind() != KindDATA {
		return ErrNotData
	}
	var seenPD bool
	it := m.Params()
	for p, ok := it.Next(); ok; p, ok = it.Next() {
		var dst *Opt32
		switch p.Tag {
		case TagNetworkAppearance:
			dst = &d.NetworkAppearance
		case TagRoutingContext:
			dst = &d.RoutingContext
		case TagCorrelationID:
			dst = &d.CorrelationID
		case TagProtocolData:
			if seenPD {
				return ErrDuplicateParam
			}
			seenPD = true
			if err := parseProtocolData(p.Value, &d.ProtocolData); err != nil {
				return err
			}
			continue
		default:
			return ErrUnexpectedParam
		}
		if err := setOpt32(dst, p); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if !seenPD {
		return ErrMissingParam
	}
	return nil
}

func setOpt32(dst *Opt32, p Param) error {
	if dst.Present {
		return ErrDuplicateParam
	}
	v, ok := p.Uint32()
	if !ok {
		return ErrParamValue
	}
	*dst = Some(v)
	return nil
}

func parseProtocolData(v []byte, pd *ProtocolData) error {
	if len(v) < ProtocolDataLen {
		return ErrParamValue
	}
	pd.OPC = binary.BigEndian.Uint32(v)
	pd.DPC = binary.BigEndian.Uint32(v[4:])
	pd.SI, pd.NI, pd.MP, pd.SLS = v[8], v[9], v[10], v[11]
	pd.UserData = v[ProtocolDataLen:len(v):len(v)]
	if pd.OPC > MaxPointCode || pd.DPC > MaxPointCode {
		return ErrPointCode
	}
	return nil
}

// SSNM is a decoded SS7 signalling network management message (RFC 4666
// §3.4): DUNA, DAVA, DAUD, SCON, DUPU or DRST. A partner's SG that sends
// DUNA or DUPU for home destinations steers or blackholes traffic, so the
// firewall reads them as closely as DATA.
type SSNM struct {
	NetworkAppearance Opt32
	RoutingContexts   List // zero or more routing contexts
	// AffectedPointCodes holds mask<<24 | point code values (Affected
	// wildcard masks cover 2^mask point codes); see SplitAffected.
	AffectedPointCodes   List
	ConcernedDestination Opt32 // SCON: reserved<<24 | the DPC that sent the congested traffic
	CongestionLevel      Opt32 // SCON: 0 none, 1-3 levels
	UserCause            Opt32 // DUPU: cause<<16 | MTP3 user (see UserCause)
	Info                 []byte
}

// SSNM decodes an SSNM message into s. Affected Point Code is mandatory in
// all six; DUPU also needs User/Cause and names exactly one point code.
// Repeated parameters and parameters that the message type does not define
// are refused, as in Data.
func (m *Message) SSNM(s *SSNM) error {
	*s = SSNM{}
	if m.Class != ClassSSNM || m.Type < 1 || m.Type > 6 {
		return ErrNotSSNM
	}
	k := m.Kind()
	it := m.Params()
	for p, ok := it.Next(); ok; p, ok = it.Next() {
		var err error
		switch p.Tag {
		case TagNetworkAppearance:
			err = setOpt32(&s.NetworkAppearance, p)
		case TagRoutingContext:
			err = setList(&s.RoutingContexts, p)
		case TagAffectedPointCode:
			err = setList(&s.AffectedPointCodes, p)
		case TagInfoString:
			if s.Info != nil {
				err = ErrDuplicateParam
			}
			s.Info = p.Value
		case TagConcernedDestination, TagCongestionIndications:
			if k != KindSCON {
				return ErrUnexpectedParam
			}
			dst := &s.ConcernedDestination
			if p.Tag == TagCongestionIndications {
				dst = &s.CongestionLevel
			}
			err = setOpt32(dst, p)
		case TagUserCause:
			if k != KindDUPU {
				return ErrUnexpectedParam
			}
			err = setOpt32(&s.UserCause, p)
		default:
			return ErrUnexpectedParam
		}
		if err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if s.AffectedPointCodes == nil {
		return ErrMissingParam
	}
	if k == KindDUPU && (!s.UserCause.Present || s.AffectedPointCodes.Len() != 1) {
		return ErrMissingParam
	}
	return nil
}

func setList(dst *List, p Param) error {
	if *dst != nil {
		return ErrDuplicateParam
	}
	l, ok := p.List()
	if !ok {
		return ErrParamValue
	}
	*dst = l
	return nil
}

// SplitAffected splits an Affected Point Code value into its mask (the
// number of low-order point code bits wildcarded) and point code.
func SplitAffected(v uint32) (mask uint8, pc uint32) { return uint8(v >> 24), v & MaxPointCode }

// UserCause splits a User/Cause value (RFC 4666 §3.4.5): the unavailability
// cause (0 unknown, 1 unequipped remote user, 2 inaccessible remote user)
// and the MTP3 user (a service indicator).
func UserCause(v uint32) (cause, user uint16) { return uint16(v >> 16), uint16(v) }

// ITUPointCode splits a 14-bit ITU-T point code into its 3-8-3 zone, area
// and signalling point; ok is false when pc is wider than 14 bits.
func ITUPointCode(pc uint32) (zone, area, sp uint8, ok bool) {
	return uint8(pc >> 11 & 7), uint8(pc >> 3), uint8(pc & 7), pc < 1<<14
}
