package differential

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"breakwater/protocols/capture"
	"breakwater/protocols/gtp"
	"breakwater/protocols/view"
)

const portGTPC = 2123

// gtpSeeds: the committed FuzzDecode corpus and every GTP-C datagram of
// the test-vector capture.
func gtpSeeds(t *testing.T) [][]byte {
	seeds := corpusSeeds(t, "protocols/gtp/testdata/fuzz/FuzzDecode")
	return append(seeds, vectorMessages(t, filepath.Join(repoRoot, "testvectors/gtp/scenarios.pcap"), func(m *capture.Message) bool {
		return m.Transport == capture.TransportUDP && (m.Src.Port() == portGTPC || m.Dst.Port() == portGTPC)
	})...)
}

// gtpMessage is one GTP message of a datagram as the parsers read it.
type gtpMessage struct {
	h   gtp.Header
	err error
}

// gtpDatagram reads a datagram as the firewall does: a message, then the
// piggybacked ones while the P flag announces them (TS 29.274 §5.5.1).
func gtpDatagram(b []byte) (msgs []gtpMessage) {
	for len(b) > 0 {
		h, herr := gtp.ParseHeader(b)
		if herr != nil {
			return append(msgs, gtpMessage{h, herr})
		}
		var v view.Message
		n, err := gtp.Decode(b, &v)
		if err == nil && v.Malformed != "" {
			err = errors.New(v.Malformed)
		}
		msgs = append(msgs, gtpMessage{h, err})
		if err != nil || n == 0 || !gtp.HasPiggyback(b) {
			return msgs
		}
		b = b[n:]
	}
	return msgs
}

var gtpFields = []string{"gtp.flags.version", "gtp.flags.payload", "gtp.message", "gtp.length", "gtp.seq_number",
	"gtpv2.message_type", "gtpv2.msg_length", "gtpv2.seq"}

// gtpDecodeReasons are the reasons Decode marks a structurally sound
// message malformed for (view.Message.Malformed), with their references;
// numbers in them are blanked ("N").
var gtpDecodeReasons = map[string]string{
	"IMSI IE is not TBCD digits":                                 "TS 29.274 §8.3, TS 29.060 §7.7.2, TS 23.003 §2.2",
	"duplicate Serving Network IE":                               "TS 29.274 §7.2.1 (one Serving Network per message)",
	"duplicate Routeing Area Identity IE":                        "TS 29.060 §7.3.1 (one RAI per message)",
	"duplicate sender control-plane F-TEID / TEID Control Plane": "TS 29.274 §7.2.1, TS 29.060 §7.3.1 (one sender F-TEID/TEID-C)",
	"Serving Network IE is not a N-octet PLMN identity":          "TS 29.274 §8.18 (3 octets, TS 24.008 §10.5.1.13)",
	"GSN Address IE is neither N nor N octets":                   "TS 29.060 §7.7.32 (4 or 16 octets)",
	"Routeing Area Identity IE has a bad PLMN identity":          "TS 29.060 §7.7.3, TS 24.008 §10.5.5.15",
	"MSISDN IE is not TBCD digits":                               "TS 29.060 §7.7.33, TS 29.002 (ISDN-AddressString)",
	"F-TEID IE length does not match its address flags":          "TS 29.274 §8.22 (V4/V6 flags give the length)",
	"Cause IE is empty":                                          "TS 29.274 §8.4 (Cause value octet mandatory)",
	"piggyback flag set but no GTPvN-C message follows":          "TS 29.274 §5.5.1 (P flag: another message follows)",
	"bytes after the GTP message (and no piggyback flag)":        "TS 29.274 §5.5.1, §5.1 (the length covers the message; P flag for a second one)",
	"Create Session Response: the PGW's SN/SN F-TEID (instance N) names another endpoint than its sender F-TEID": "TS 29.274 §7.2.2 (sender F-TEID and PGW S5/S8 F-TEID of the same PGW)",
}

// gtpDifferences are the intended disagreements about GTP-C messages.
var gtpDifferences = []difference{
	{
		id: "not-gtp-c", dir: oursOnly,
		why: "GTPv0 and GTP' (version 0, or protocol type 0) are not GTP-C: the parsers refuse them, tshark dissects " +
			"them as GTP on any GTP port.",
		ref:   "TS 29.060 §6 (GTP-C: version 1, PT 1), TS 29.274 §5.1 (version 2), TS 32.295 §6.1.1 (GTP')",
		match: func(c *clash) bool { return c.ours == gtp.ErrVersion.Error() },
	},
	{
		id: "length-beyond-datagram", dir: oursOnly,
		why: "A message whose length field runs past the datagram is refused; tshark dissects the IEs that are there " +
			"(it reads up to the end of the captured bytes) without an error.",
		ref:   "TS 29.274 §5.5.1, TS 29.060 §6 (Length: the octets after the mandatory part)",
		match: func(c *clash) bool { return c.ours == gtp.ErrLength.Error() },
	},
	{
		id: "ie-framing", dir: oursOnly,
		why: "An IE that runs past its container (the message's length, or a grouped IE), and a GTPv1 TV IE of a type " +
			"the parser does not know (its length is implied by the type, so nothing after it can be found), make the " +
			"message refused; tshark reads to the end of the datagram, or shows the rest as data.",
		ref: "TS 29.274 §8.2.1 (IE Length), TS 29.060 §7.7.0 (TV IEs: length implied by the type; TLV from 128) " +
			"and §11.1.4 (a message whose IEs cannot be parsed is invalid)",
		match: func(c *clash) bool { return c.ours == gtp.ErrIE.Error() || c.ours == gtp.ErrUnknownTVIE.Error() },
	},
	{
		id: "v1-ie-order", dir: oursOnly,
		why: "GTPv1 IEs out of ascending type order are refused (a TV IE's length is known only from its type; a " +
			"receiver that walks by type expects the order). tshark dissects them in any order.",
		ref:   "TS 29.060 §7.7.0 (IEs sorted with the Type fields in ascending order)",
		match: func(c *clash) bool { return c.ours == gtp.ErrIEOrder.Error() },
	},
	{
		id: "nesting-bound", dir: oursOnly,
		why: "Grouped IEs nested deeper than gtp.MaxDepth (4) are refused: a bound on the work per message; TS 29.274 " +
			"nests grouped IEs at most 2 deep (e.g. Bearer Context in Create Session Request); tshark has no bound.",
		ref:   "TS 29.274 §8.2.1, §7.2.1 (Table 7.2.1-2)",
		match: func(c *clash) bool { return c.ours == gtp.ErrDepth.Error() },
	},
	{
		id: "decode-values", dir: oursOnly,
		why: "Decode marks a well-framed message malformed when a value the firewall judges on is impossible or " +
			"repeated (IMSI not TBCD, a second Serving Network, RAI or sender F-TEID, a short PLMN, an empty Cause), or " +
			"when the datagram has bytes after the message without the piggyback flag or a P flag with no message " +
			"after it. tshark has no error for these. References per reason in gtpDecodeReasons.",
		ref:   "TS 29.274 §5.5.1, §7.2, §8; TS 29.060 §7; TS 23.003 §2.2 (see gtpDecodeReasons)",
		match: func(c *clash) bool { return gtpDecodeReasons[digits.ReplaceAllString(c.ours, "N")] != "" },
	},
	{
		id: "ie-values", dir: tsharkOnly,
		why: "tshark decodes the contents of every IE (and flags an IE whose length does not suit its type, or throws " +
			"in a sub-dissector); the parsers check the header and IE framing (for GTPv2 checked independently here: " +
			"the IEs chain exactly to the message's end) and Decode the IEs the firewall reads.",
		ref: "TS 29.274 §8.1 (IE contents), §7.7 (error handling: IEs a receiver does not process); TS 29.060 §11.1",
		match: func(c *clash) bool {
			if len(c.msg) > 0 && c.msg[0]>>5 == 1 {
				// GTPv1: the TV IEs' lengths come from a table; the
				// parser's walk is trusted and only complaints about
				// IE contents are accepted.
				return c.onlyExperts("Malformed Packet (Exception occurred)", "Wrong length indicated")
			}
			return gtpIEsChain(c.msg)
		},
	},
	{
		id: "unknown-type", dir: tsharkOnly,
		why: "tshark does not dissect a GTPv1 datagram whose message type it does not know (it leaves it as data); " +
			"the parsers read any type's header and IEs and leave the unknown type to the rules (TS 29.060 §11.1.1: an " +
			"unknown message type is the receiver's to discard, or to answer).",
		ref: "TS 29.060 §7.1 (Table 1), §11.1.1",
		match: func(c *clash) bool {
			return c.onlyExperts("not dissected") && len(c.msg) > 1 && gtp.TypeName(1, c.msg[1]) == ""
		},
	},
}

// gtpIEsChain reports whether b is GTPv2 messages (piggybacked ones
// included) whose top-level IEs (type, 2-octet length, spare/instance,
// value) chain exactly to their ends (TS 29.274 §5.1, §8.2.1).
func gtpIEsChain(b []byte) bool {
	for len(b) > 0 {
		if len(b) < 4 || b[0]>>5 != 2 {
			return false
		}
		n := 4 + (int(b[2])<<8 | int(b[3]))
		off := 8
		if b[0]&0x08 != 0 {
			off = 12
		}
		if n > len(b) || n < off {
			return false
		}
		for off < n {
			if off+4 > n {
				return false
			}
			off += 4 + (int(b[off+1])<<8 | int(b[off+2]))
		}
		if off != n {
			return false
		}
		if b[0]&0x10 == 0 {
			return n == len(b)
		}
		b = b[n:]
	}
	return true
}

func TestDifferentialGTP(t *testing.T) {
	tshark := needTshark(t)
	seeds := gtpSeeds(t)
	mut := newMutator(mutatorSeed(t)+1, gtpLengths)
	mutants, _ := mut.mutants(seeds, mutantCount(t))
	inputs := append(slices.Clone(seeds), mutants...)

	path := filepath.Join(t.TempDir(), "gtp.pcap")
	writeCapture(t, path, overUDP, portGTPC, inputs)
	keep(t, path)
	ds := runTshark(t, tshark, path, len(inputs), gtpFields)
	ta := newTally(t, gtpDifferences)
	for i, in := range inputs {
		d := &ds[i]
		frame := i + 1
		ours := gtpDatagram(in)
		// tshark's messages of each version, in order.
		v2t, v2l, v2s := d.nums(t, "gtpv2.message_type"), d.nums(t, "gtpv2.msg_length"), d.nums(t, "gtpv2.seq")
		v1t, v1l, v1s := d.nums(t, "gtp.message"), d.nums(t, "gtp.length"), d.nums(t, "gtp.seq_number")
		v1v := d.nums(t, "gtp.flags.version")
		var o1, o2 []gtpMessage
		for _, m := range ours {
			if m.err == gtp.ErrShort || m.err == gtp.ErrVersion {
				continue
			}
			switch m.h.Version {
			case 1:
				o1 = append(o1, m)
			case 2:
				o2 = append(o2, m)
			}
		}
		for j := range min(len(o2), len(v2t), len(v2l)) {
			m := o2[j]
			ta.compared++
			if uint64(m.h.Type) != v2t[j] || uint64(m.h.Length) != v2l[j]+4 || j < len(v2s) && uint64(m.h.Sequence) != v2s[j] {
				ta.fieldMismatch(frame, in, "GTPv2 message %d: ours type %d length %d seq %d; tshark %d %d+4 %v",
					j, m.h.Type, m.h.Length, m.h.Sequence, v2t[j], v2l[j], v2s)
			}
		}
		for j := range min(len(o1), len(v1t), len(v1l)) {
			m := o1[j]
			ta.compared++
			if uint64(m.h.Type) != v1t[j] || uint64(m.h.Length) != v1l[j]+8 || m.h.SeqPresent && j < len(v1s) && uint64(m.h.Sequence) != v1s[j] {
				ta.fieldMismatch(frame, in, "GTPv1 message %d: ours type %d length %d seq %d (%v); tshark %d %d+8 %v",
					j, m.h.Type, m.h.Length, m.h.Sequence, m.h.SeqPresent, v1t[j], v1l[j], v1s)
			}
		}
		// tshark may read on where the parsers stop at a message they
		// refuse: a GTPv0 or GTP' header, a piggybacked message after a
		// refused one.
		stopped := len(ours) > 0 && ours[len(ours)-1].err != nil
		// tshark stops at an exception in a message's IEs, before the
		// piggybacked ones (a validity question, judged below).
		_, experts := d.malformed()
		threw := slices.Contains(experts, "Malformed Packet (Exception occurred)")
		saw := len(v1t)+len(v2t) > 0 // else a validity question too
		if saw && (!threw && (len(o2) > len(v2t) || len(o1) > len(v1t)) || !stopped && !threw && (len(o2) != len(v2t) || len(o1) != len(v1t))) {
			ta.fieldMismatch(frame, in, "messages: ours v1 %d v2 %d; tshark v1 %d (versions %v) v2 %d", len(o1), len(o2), len(v1t), v1v, len(v2t))
		}
		var ourErr error
		if len(ours) == 0 {
			ourErr = gtp.ErrShort
		}
		for _, m := range ours {
			if m.err != nil {
				ourErr = m.err
				break
			}
		}
		ta.validity(frame, in, ourErr, d, len(v1t)+len(v2t) > 0)
	}
	ta.report("GTP-C")
}
