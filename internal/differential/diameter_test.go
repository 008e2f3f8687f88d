package differential

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"breakwater/protocols/capture"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

const portDiameter = 3868

// openDiameterCapture opens a capture with the firewall's framing
// (Diameter over TCP port 3868), messages up to maxMessage bytes; the
// file is closed when the test ends.
func openDiameterCapture(t *testing.T, path string, maxMessage int) *capture.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := capture.NewReader(f, capture.Options{
		TCPFramer: func(src, dst netip.AddrPort) capture.Framer {
			if src.Port() == portDiameter || dst.Port() == portDiameter {
				return diameter.Framer(maxMessage)
			}
			return nil
		},
		MaxMessage: maxMessage,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// capturedMessages reads a capture with the firewall's framing (Diameter
// over TCP port 3868) and returns, per frame (index frame-1), the
// messages the frame completed and the first transport problem found in
// it. frames is the number of frames expected.
func capturedMessages(t *testing.T, path string, frames int) (msgs [][]capture.Message, problems []*capture.Problem) {
	t.Helper()
	r := openDiameterCapture(t, path, 1<<24)
	msgs = make([][]capture.Message, frames)
	problems = make([]*capture.Problem, frames)
	for {
		m, err := r.Next()
		if err == io.EOF {
			return msgs, problems
		}
		var p *capture.Problem
		if errors.As(err, &p) {
			if p.Frame >= 1 && p.Frame <= frames && problems[p.Frame-1] == nil {
				problems[p.Frame-1] = p
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Frame < 1 || m.Frame > frames {
			t.Fatalf("message in frame %d of %d", m.Frame, frames)
		}
		m.Data = bytes.Clone(m.Data)
		msgs[m.Frame-1] = append(msgs[m.Frame-1], m)
	}
}

// diameterSeeds: the committed FuzzParse corpus and every Diameter message
// of the test-vector captures.
func diameterSeeds(t *testing.T) [][]byte {
	seeds := corpusSeeds(t, "protocols/diameter/testdata/fuzz/FuzzParse")
	for _, pc := range []string{"testvectors/diameter/scenarios.pcap", "testvectors/gtp/scenarios.pcap"} {
		seeds = append(seeds, vectorMessages(t, filepath.Join(repoRoot, pc), func(m *capture.Message) bool {
			return m.Transport == capture.TransportTCP && (m.Src.Port() == portDiameter || m.Dst.Port() == portDiameter) ||
				m.Transport == capture.TransportSCTP && m.PPID == 46
		})...)
	}
	return seeds
}

// vectorMessages returns the messages of a test-vector capture that keep
// says are wanted.
func vectorMessages(t *testing.T, path string, keep func(*capture.Message) bool) [][]byte {
	t.Helper()
	r := openDiameterCapture(t, path, capture.DefaultMaxMessage)
	var out [][]byte
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue
		}
		if keep(&m) {
			out = append(out, bytes.Clone(m.Data))
		}
	}
	if len(out) == 0 {
		t.Fatalf("no message taken from %s", path)
	}
	return out
}

// diameterDifferences are the intended disagreements about Diameter
// messages.
var diameterDifferences = []difference{
	{
		id: "tshark-heuristic", dir: tsharkOnly,
		why: "tshark takes a TCP segment for Diameter only if its first message is at least 36 octets long and has no " +
			"reserved flag bit set (check_diameter's guess that it is looking at the start of a message). The header's " +
			"rules are version 1 and a length that is a multiple of 4 and at least 20; reserved bits MUST be ignored by " +
			"the receiver. The parsers frame on those rules; a message without Origin-Host/Realm is the engine's to judge.",
		ref:   "RFC 6733 §3 (Message Length, reserved flags)",
		match: func(c *clash) bool { return c.onlyExperts("not dissected") && !tsharkHeuristic(c.msg) },
	},
	{
		id: "framer-resync", dir: oursOnly,
		why: "After a complete message, bytes that cannot start one (version not 1, length below 20 or not a multiple " +
			"of 4) make our framer report a problem and resynchronise at the next segment; tshark's tcp_dissect_pdus " +
			"reads only the length there and waits for the rest (or dissects the garbage as a truncated message).",
		ref:   "RFC 6733 §3 (Version, Message Length)",
		match: func(c *clash) bool { return strings.Contains(c.ours, "framing error") && tsharkHeuristic(c.msg) },
	},
	{
		id: "nesting-bound", dir: oursOnly,
		why: "Grouped AVPs nested deeper than diameter.MaxDepth (8) are refused: a bound on the work per message. " +
			"The RFC sets no depth; the deepest 3GPP structures (Subscription-Data, TS 29.272 §7.3.2) nest 5 deep. " +
			"tshark recurses without a bound.",
		ref:   "RFC 6733 §4.4 (Grouped AVP Values); TS 29.272 §7.3.2",
		match: func(c *clash) bool { return c.ours == diameter.ErrDepth.Error() },
	},
	{
		id: "error-bit-request", dir: oursOnly,
		why: "A request with the E bit set is refused. tshark's heuristic refuses it too when it is the first message " +
			"of a segment, but dissects it silently after another message.",
		ref:   "RFC 6733 §3 (E bit: MUST NOT be set in request messages)",
		match: func(c *clash) bool { return c.ours == diameter.ErrErrorRequest.Error() },
	},
	{
		id: "grouped-content", dir: oursOnly,
		why: "The data of an AVP the dictionaries define as Grouped must be a sequence of whole, padded AVPs; the " +
			"parser checks it and refuses the message. tshark shows such contents as bytes or adds a note or warning.",
		ref:   "RFC 6733 §4.4 (Grouped AVP Values), §4.1 (AVP Length, padding)",
		match: func(c *clash) bool { return c.ours == diameter.ErrGrouped.Error() },
	},
	{
		id: "decode-values", dir: oursOnly,
		why: "Decode marks a well-framed message malformed when a value the firewall judges on is impossible: an " +
			"identity AVP repeated where the command grammar allows one, a Visited-PLMN-Id that is not 3 TBCD octets, " +
			"an S6a User-Name that is not an IMSI, an MSISDN that is not TBCD, a Result-Code or other Unsigned32 " +
			"the firewall reads that is not 4 octets. tshark shows such values without an error (duplicates, " +
			"non-digit IMSIs) or with a warning. Each reason's reference is in decodeReasons.",
		ref:   "RFC 6733 §3.2, §4.2, §7.1; TS 29.272 §7.3; TS 23.003 §2.2 (see decodeReasons)",
		match: func(c *clash) bool { return decodeReasons[c.ours] != "" },
	},
	{
		id: "avp-values", dir: tsharkOnly,
		why: "tshark decodes the value of every AVP with its dictionary type and 3GPP sub-dissectors (PLMN, ULI, " +
			"TBCD, nested grouped AVPs the firewall does not judge, the copy of a broken AVP in Failed-AVP) and flags " +
			"bad values as errors or exceptions. The parser checks the header and the AVP framing (every AVP's length " +
			"chains to the end of the message, here checked independently by the test), Decode the values the firewall " +
			"reads; values nobody reads are left to the node that processes them.",
		ref: "RFC 6733 §4.1, §4.2 (AVP data formats), §7.5 (Failed-AVP carries the offending AVP), §7.1.5 " +
			"(DIAMETER_INVALID_AVP_VALUE is the processing node's to report)",
		match: func(c *clash) bool { return avpsChain(c.msg) },
	},
}

// avpsChain reports whether b holds whole messages (and maybe the start
// of one more, which neither side reads) whose top-level AVP headers chain
// exactly to their ends (RFC 6733 §4.1: length at least 8, or 12 with the
// V bit; each AVP padded to 4 octets).
func avpsChain(b []byte) bool {
	whole := 0
	for len(b) >= 20 {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if n < 20 || n%4 != 0 {
			return false
		}
		if n > len(b) {
			break
		}
		for off := 20; off < n; {
			if off+8 > n {
				return false
			}
			l := int(b[off+5])<<16 | int(b[off+6])<<8 | int(b[off+7])
			hdr := 8
			if b[off+4]&0x80 != 0 {
				hdr = 12
			}
			if l < hdr || off+l > n {
				return false
			}
			off += (l + 3) &^ 3
		}
		b = b[n:]
		whole++
	}
	return whole > 0
}

// decodeReasons are the reasons Decode marks a structurally sound message
// malformed for (view.Message.Malformed): values the firewall judges on.
var decodeReasons = map[string]string{
	"duplicate Origin-Host AVP":                                       "RFC 6733 §3.2, §6.3: { Origin-Host } appears exactly once",
	"duplicate Origin-Realm AVP":                                      "RFC 6733 §3.2, §6.4: { Origin-Realm } appears exactly once",
	"duplicate Destination-Host AVP":                                  "RFC 6733 §3.2, §6.5: [ Destination-Host ] at most once",
	"duplicate Destination-Realm AVP":                                 "RFC 6733 §3.2, §6.6: { Destination-Realm } at most once",
	"duplicate Visited-PLMN-Id AVP":                                   "TS 29.272 §5.2.1.1.1: { Visited-PLMN-Id } once in a ULR",
	"Visited-PLMN-Id is not a 3-octet TBCD PLMN identity":             "TS 29.272 §7.3.9, TS 24.008 §10.5.1.13",
	"S6a/S6d User-Name is not an IMSI":                                "TS 29.272 §7.3 (User-Name holds the IMSI), TS 23.003 §2.2",
	"MSISDN AVP is not TBCD digits":                                   "TS 29.329 §6.3.2, TS 29.002 (ISDN-AddressString)",
	"Result-Code is not Unsigned32":                                   "RFC 6733 §7.1 (Result-Code is Unsigned32), §4.2",
	"an Unsigned32/Enumerated AVP the firewall reads is not 4 octets": "RFC 6733 §4.2 (Unsigned32: 32 bits), §4.3.1 (Enumerated)",
}

var diameterFields = []string{"diameter.length", "diameter.cmd.code", "diameter.flags.request",
	"diameter.hopbyhopid", "diameter.endtoendid"}

func TestDifferentialDiameter(t *testing.T) {
	tshark := needTshark(t)
	seeds := diameterSeeds(t)
	mut := newMutator(mutatorSeed(t), diameterLengths)
	mutants, _ := mut.mutants(seeds, mutantCount(t))
	inputs := append(slices.Clone(seeds), mutants...)

	path := filepath.Join(t.TempDir(), "diameter.pcap")
	writeCapture(t, path, overTCP, portDiameter, inputs)
	keep(t, path)
	ds := runTshark(t, tshark, path, len(inputs), diameterFields)
	msgs, problems := capturedMessages(t, path, len(inputs))
	ta := newTally(t, diameterDifferences)
	for i, in := range inputs {
		d := &ds[i]
		frame := i + 1
		lens, codes, reqs := d.nums(t, "diameter.length"), d.nums(t, "diameter.cmd.code"), d.nums(t, "diameter.flags.request")
		hbhs, e2es := d.nums(t, "diameter.hopbyhopid"), d.nums(t, "diameter.endtoendid")
		ours := msgs[i]
		// A framing problem; the end of the capture in the middle of a
		// message is not one (tshark waits for the rest as well).
		var framing error
		if p := problems[i]; p != nil && !strings.Contains(p.Reason, "capture ended") {
			framing = p
		}
		// Boundaries and header fields of the messages both read.
		n := min(len(ours), len(lens), len(codes), len(reqs), len(hbhs), len(e2es))
		for j := range n {
			m := ours[j]
			h, err := diameter.ParseHeader(m.Data)
			if err != nil && err != diameter.ErrErrorRequest {
				ta.fieldMismatch(frame, in, "message %d framed but its header fails: %v", j, err)
				continue
			}
			ta.compared++
			if uint64(len(m.Data)) != lens[j] || uint64(h.Length) != lens[j] || uint64(h.Code) != codes[j] ||
				b2u(h.IsRequest()) != reqs[j] || uint64(h.HopByHop) != hbhs[j] || uint64(h.EndToEnd) != e2es[j] {
				ta.fieldMismatch(frame, in, "message %d: ours length %d code %d R %v hbh %#x e2e %#x; tshark %d %d %d %#x %#x",
					j, len(m.Data), h.Code, h.IsRequest(), h.HopByHop, h.EndToEnd, lens[j], codes[j], reqs[j], hbhs[j], e2es[j])
			}
		}
		switch {
		case len(lens) == len(ours):
		case len(lens) == 0 && !tsharkHeuristic(in):
			// tshark does not take the segment for Diameter: see
			// diameterDifferences (tshark-heuristic).
		case len(lens) > len(ours) && stopsFraming(in, ours):
			// tshark reads on past the point where our framer stops: at
			// a header that cannot start a message, or at an incomplete
			// one (see diameterDifferences, framer-resync).
		default:
			ta.fieldMismatch(frame, in, "tshark reads %d Diameter messages (lengths %v), we frame %d (%v)", len(lens), lens, len(ours), framing)
		}
		// Whether each message is well-formed.
		ourErr := framing
		if ourErr == nil && len(ours) == 0 {
			ourErr = errors.New("no message framed")
		}
		for _, m := range ours {
			var v view.Message
			if err := diameter.Decode(m.Data, &v); err != nil || v.Malformed != "" {
				ourErr = errors.New(v.Malformed)
				break
			}
		}
		ta.validity(frame, in, ourErr, d, len(codes) > 0)
	}
	ta.report("Diameter")
}

// tsharkHeuristic reports whether tshark's Diameter-over-TCP dissector
// takes a segment starting with b for Diameter (check_diameter in
// epan/dissectors/packet-diameter.c, 4.0): version 1, a length of at least
// 36 (a header and two empty AVPs) that is a multiple of 4, no reserved
// flag bit, not both R and E.
func tsharkHeuristic(b []byte) bool {
	if len(b) < 5 || b[0] != 1 {
		return false
	}
	l := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	return l >= 36 && l%4 == 0 && b[4]&0x0f == 0 && b[4]&0xa0 != 0xa0
}

// stopsFraming reports whether our framer, having cut ours out of b,
// stops at a header it refuses or at an incomplete message.
func stopsFraming(b []byte, ours []capture.Message) bool {
	off := 0
	for _, m := range ours {
		off += len(m.Data)
	}
	if off >= len(b) {
		return false
	}
	n, err := diameter.FrameLength(b[off:], 1<<24)
	return err != nil || n == 0 || n > len(b)-off
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
