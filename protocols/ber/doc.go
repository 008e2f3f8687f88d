// Package ber reads ASN.1 Basic Encoding Rules (ITU-T X.690) TLVs in place,
// for the SS7 application layers (TCAP, MAP) that are specified in ASN.1
// and encoded in BER. It is the bottom of protocols/tcap and
// protocols/gsmmap, in the spirit of golang.org/x/net/dns/dnsmessage: a
// Reader walks a byte slice and hands out TLVs whose Value and Raw alias
// that slice, so nothing is copied and nothing is allocated.
//
// Only what a hostile peer can make expensive or ambiguous is bounded:
//
//   - identifier octets: tag numbers up to MaxTag (four subsequent octets);
//     tag numbers that fit the one-octet form but use the long form, or
//     that start with a 0x80 octet, are refused rather than normalised,
//     because receivers disagree about them and a filter must not see a
//     different tag than the node behind it;
//   - length octets: the short form, the long form with up to
//     MaxLengthOctets octets (non-minimal encodings such as 0x81 0x05 are
//     accepted: real MAP stacks send them), and the indefinite form, for
//     constructed encodings only;
//   - indefinite lengths: the end-of-contents octets are found by walking
//     the nested TLVs, skipping definite-length ones by their length, with
//     at most MaxDepth nested indefinite levels per walk. A walk touches
//     each header at most once, so reading a value costs O(n) and a caller
//     that descends into every level of a value pays at most MaxDepth × n
//     (Reader.Work counts the headers decoded, so tests can assert it).
//
// Errors are static values (ErrTruncated, ErrDepth, ...) that say what was
// wrong; reporting one allocates nothing. Value helpers (Int, Bool, Null,
// Octets, OID) check the primitive form and content length and nothing
// else: with IMPLICIT tagging, the tag belongs to the caller's schema.
package ber
