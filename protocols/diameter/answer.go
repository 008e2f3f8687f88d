package diameter

// Peer-level AVP codes and values used when Breakwater answers on a peer's
// behalf (RFC 6733).
const (
	AVPDisconnectCause uint32 = 273
	AVPOriginStateID   uint32 = 278

	DisconnectRebooting uint32 = 0 // Disconnect-Cause REBOOTING
)

// Answer encodes an answer to the request req in b: the same command,
// application, hop-by-hop and end-to-end identifiers, the R bit cleared,
// the P bit kept, and the E bit set when result is a protocol error
// (3xxx, RFC 6733 §7.1.3). It carries the request's Session-Id (when it has
// one), Origin-Host, Origin-Realm and Result-Code. req only needs a readable
// header, so even an oversized or malformed request can be answered. The
// result aliases b's buffer; nothing is allocated once b has grown.
func (b *Builder) Answer(req []byte, result uint32, originHost, originRealm string) ([]byte, bool) {
	if len(req) < HeaderLen || req[0] != Version {
		return nil, false
	}
	h := Header{
		Flags:    req[4],
		Code:     uint32(req[5])<<16 | uint32(req[6])<<8 | uint32(req[7]),
		AppID:    uint32(req[8])<<24 | uint32(req[9])<<16 | uint32(req[10])<<8 | uint32(req[11]),
		HopByHop: uint32(req[12])<<24 | uint32(req[13])<<16 | uint32(req[14])<<8 | uint32(req[15]),
		EndToEnd: uint32(req[16])<<24 | uint32(req[17])<<16 | uint32(req[18])<<8 | uint32(req[19]),
	}
	if h.Flags&FlagRequest == 0 {
		return nil, false // answers are not answered
	}
	flags := h.Flags & FlagProxiable
	if result >= 3000 && result < 4000 {
		flags |= FlagError
	}
	b.Start(flags, h.Code, h.AppID, h.HopByHop, h.EndToEnd)
	if sid, n := FindAVP(req, AVPSessionID, 0); n > 0 {
		b.Bytes(AVPSessionID, 0, AVPFlagMandatory, sid.Data)
	}
	b.Uint32(AVPResultCode, 0, AVPFlagMandatory, result).
		String(AVPOriginHost, 0, AVPFlagMandatory, originHost).
		String(AVPOriginRealm, 0, AVPFlagMandatory, originRealm)
	return b.Message(), true
}

// DisconnectPeer encodes a DPR with Disconnect-Cause REBOOTING, sent when
// Breakwater closes a connection on shutdown.
func (b *Builder) DisconnectPeer(hopByHop, endToEnd uint32, originHost, originRealm string) []byte {
	return b.Start(FlagRequest, CmdDisconnectPeer, AppBase, hopByHop, endToEnd).
		String(AVPOriginHost, 0, AVPFlagMandatory, originHost).
		String(AVPOriginRealm, 0, AVPFlagMandatory, originRealm).
		Uint32(AVPDisconnectCause, 0, AVPFlagMandatory, DisconnectRebooting).
		Message()
}
