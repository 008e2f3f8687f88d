// Package tcap reads ITU-T TCAP messages (Q.773, the transaction and
// component sublayers under MAP and CAMEL) without allocating: Parse
// checks a whole message — transaction portion, dialogue portion and the
// structure of every component — and fills a caller-owned Message whose
// byte fields alias the input; components are then read by an iterator.
//
// It exists because the TCAP decoders we could reuse do not survive
// hostile input: go-tcap panics on mutated messages and cannot read BER
// long-form lengths, which real MAP stacks send. Everything here is built
// on protocols/ber, so every length is checked against its container,
// indefinite lengths are bounded (ber.MaxDepth) and errors are static
// values naming what was wrong.
//
// Only the ITU variant is read (Q.773 message tags 0x61-0x67, application
// class); ANSI TCAP (T1.114, private class) is refused with ErrNotTCAP.
// Parameters of components are left as raw TLVs for the TCAP user (see
// protocols/gsmmap for MAP).
package tcap
