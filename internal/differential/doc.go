// Package differential checks Breakwater's signaling parsers against an
// independent implementation, Wireshark's dissectors (tshark), on inputs
// nobody wrote by hand: the committed fuzz corpora and test vectors, mutated
// by a deterministic, seeded mutator (bit flips, byte sets, length-field
// tweaks, truncations, insertions, deletions, splices and concatenations).
//
// Each mutant travels in a capture the way the firewall meets it — Diameter
// in one TCP segment to port 3868, GTP-C in one UDP datagram on port 2123,
// M3UA (with SCCP, TCAP and MAP inside) in one SCTP DATA chunk with payload
// protocol identifier 3 — and tshark dissects each protocol's capture once.
// The test reads the same capture through protocols/capture and the
// parsers, and compares frame by frame:
//
//   - where both read a message: its boundaries (length) and the fields
//     that route and judge it — Diameter command code, R flag, hop-by-hop
//     and end-to-end ids; GTP version, message type, sequence number;
//     M3UA class and type, SCCP message type, TCAP message type and
//     transaction ids, MAP operation and error codes;
//   - whether each side takes the message as well-formed: a frame tshark
//     marks malformed (or with an expert error) that the parsers accept, or
//     one the parsers refuse that tshark dissects cleanly, must match an
//     entry of the documented differences (each with its RFC or 3GPP/ITU
//     reference) in the test, or the test fails.
//
// The package has no non-test code. The test skips when tshark is not
// installed. BREAKWATER_DIFF_MUTANTS (mutants per protocol; 1500 by default,
// 500 with -short) and BREAKWATER_DIFF_SEED (the mutator's seed) lengthen or vary a run:
//
//	BREAKWATER_DIFF_MUTANTS=50000 BREAKWATER_DIFF_SEED=7 go test -run Differential -v ./internal/differential
package differential
