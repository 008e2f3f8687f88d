// Package diameter frames and reads Diameter messages (RFC 6733) without
// allocating: a Message is a validated view over the caller's bytes, AVPs are
// walked lazily, and Decode fills the protocol-neutral view.Message the
// firewall judges.
//
// The package is deliberately independent of github.com/fiorix/go-diameter's
// decoder, which panics on malformed grouped AVPs and allocates per AVP; that
// library's dictionaries (plus the ones in the dictionary sub-package) are used
// only for names and for building answers off the hot path.
//
// Hostile input is the normal case here: every length is checked against
// its container before use, grouped AVPs are descended to at most MaxDepth
// levels, and no input can make the parser allocate or loop more than
// linearly in its length.
package diameter
