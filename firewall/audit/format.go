package audit

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"breakwater/protocols/view"
)

// timeLayout is RFC 3339 with all nine fraction digits: fixed width, so
// that lines also sort by time as plain text (sort, grep ranges).
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// appendLine appends e as one JSON object and a newline. It is written by
// hand, field by field, because encoding/json would allocate for every
// line of a flood; format_test.go decodes its output with encoding/json.
//
// Fields are always present unless noted: app (Diameter only), receiver,
// src, dst (when known), result_code (when non-zero), malformed (when
// the message was), identities and global titles (when the message has
// them).
func (w *writer) appendLine(b []byte, e *entry) []byte {
	b = append(b, `{"time":"`...)
	b = appendTime(b, e.t)
	b = append(b, `","relay":`...)
	b = appendString(b, e.relay)

	partner, direction := "unknown", "unknown"
	if e.sender != nil {
		partner, direction = e.sender.Name, "inbound"
		if e.sender.Home {
			direction = "outbound"
		}
	}
	b = append(b, `,"partner":`...)
	b = appendString(b, partner)
	if e.receiver != nil {
		b = append(b, `,"receiver":`...)
		b = appendString(b, e.receiver.Name)
	}
	b = append(b, `,"direction":"`...)
	b = append(b, direction...)
	b = append(b, '"')
	b = w.appendAddr(b, `,"src":`, e.src)
	b = w.appendAddr(b, `,"dst":`, e.dst)

	b = append(b, `,"protocol":`...)
	b = appendString(b, e.proto.String())
	b = append(b, `,"op":`...)
	b = appendString(b, e.op)
	b = append(b, `,"code":`...)
	b = strconv.AppendUint(b, uint64(e.code), 10)
	if e.proto == view.Diameter {
		b = append(b, `,"app":`...)
		b = strconv.AppendUint(b, uint64(e.app), 10)
	}
	b = append(b, `,"request":`...)
	b = strconv.AppendBool(b, e.request)
	b = append(b, `,"transaction":`...)
	b = strconv.AppendUint(b, e.tx, 10)
	if e.result != 0 {
		b = append(b, `,"result_code":`...)
		b = strconv.AppendUint(b, uint64(e.result), 10)
	}

	b = append(b, `,"verdict":`...)
	verdict := e.action.String()
	if verdict == "" {
		verdict = "unknown" // a zero Verdict: recorded, since it is not an allow
	}
	b = appendString(b, verdict)
	var rule, category string
	if e.rule != nil {
		rule, category = e.rule.ID, string(e.rule.Category)
	}
	b = append(b, `,"rule":`...)
	b = appendString(b, rule)
	b = append(b, `,"category":`...)
	b = appendString(b, category)
	b = append(b, `,"policy":`...)
	b = appendString(b, w.policyVersion(e.policy))
	if e.malformed != "" {
		b = append(b, `,"malformed":`...)
		b = appendString(b, e.malformed)
	}

	b = w.appendIdentity(b, "imsi", &e.imsi)
	b = w.appendIdentity(b, "msisdn", &e.msisdn)
	// Global titles are node addresses, written in clear (package doc).
	if e.calling.n > 0 {
		b = append(b, `,"calling_gt":`...)
		b = appendString(b, e.calling.bytes())
	}
	if e.called.n > 0 {
		b = append(b, `,"called_gt":`...)
		b = appendString(b, e.called.bytes())
	}
	return append(b, "}\n"...)
}

// appendIdentity appends a subscriber identity of the given kind: in clear
// as "kind", or as "kind_pseudonym"; never both.
func (w *writer) appendIdentity(b []byte, kind string, d *digits) []byte {
	if d.n == 0 {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, kind...)
	if w.clear {
		b = append(b, `":`...)
		return appendString(b, d.bytes())
	}
	b = append(b, `_pseudonym":"`...)
	b = w.hasher.Append(b, kind, d.bytes())
	return append(b, '"')
}

// appendAddr appends `key"ip:port"` when a is known. IPv4-mapped IPv6
// addresses (a dual-stack socket's view of an IPv4 peer) are written as
// IPv4, the form the partner's address is configured and searched in.
func (w *writer) appendAddr(b []byte, key string, a netip.AddrPort) []byte {
	if !a.IsValid() {
		return b
	}
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	w.scratch = a.AppendTo(w.scratch[:0])
	b = append(b, key...)
	// Escaped all the same: an IPv6 zone is an arbitrary string.
	return appendString(b, w.scratch)
}

// appendTime appends t in UTC as timeLayout. It is AppendFormat written
// out for the one layout (a quarter of the line's formatting time went to
// interpreting the layout); years AppendFormat would write in another
// width take the general path.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond(), 9)
	return append(b, 'Z')
}

// appendDigits appends the n low decimal digits of v, zero-padded.
func appendDigits(b []byte, v, n int) []byte {
	var d [9]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Control characters, quotes and
// backslashes are escaped; invalid UTF-8 becomes U+FFFD (JSON text must be
// UTF-8, and a reader that rejects one line may stop reading the file);
// U+2028 and U+2029 are escaped for readers that treat lines as
// JavaScript.
func appendString[S ~string | ~[]byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is pending, to be appended as is
	for i := 0; i < len(s); {
		if plain[s[i]] {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plain marks the bytes appendString copies as they are: printable ASCII
// other than the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// decodeRune is utf8.DecodeRune for either a string or a byte slice,
// without converting (and so copying) the whole remainder.
func decodeRune[S ~string | ~[]byte](s S) (rune, int) {
	var p [utf8.UTFMax]byte
	n := copy(p[:], s[:min(len(s), utf8.UTFMax)])
	return utf8.DecodeRune(p[:n])
}
