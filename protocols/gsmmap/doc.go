// Package gsmmap reads the Mobile Application Part (3GPP TS 29.002) of
// SS7 messages for the firewall: it names MAP operations, errors and
// application contexts with static strings, pulls from operation
// arguments (and the answers that reveal a subscriber's whereabouts) what
// GSMA FS.11 rules judge — IMSI, MSISDN, the MSC, VLR, SGSN, HLR, gsmSCF
// and SMS-centre numbers, the forwarded-to number — plus facts such as
// "asks for the subscriber's location" or "redirects the subscriber's
// calls to a gsmSCF", and fills the protocol-neutral view.Message from a
// parsed TCAP message.
//
// Arguments are decoded by a table-driven walker over protocols/ber (one
// static table per ASN.1 type, listing only the elements that matter, in
// the specification's order), so nothing is allocated and every element
// is bounded by its container. MAP versions whose argument types differ
// (v1/v2 bare IMSIs, [3]-tagged v3 sequences) are told apart by the
// parameter's outer tag, so a message is read the way its encoding says,
// whatever application-context version its dialogue claims.
//
// A MAP argument that breaks its type (wrong parameter type, elements out
// of order or repeated, a mandatory element missing, digits that are not
// digits) is reported in view.Message.Malformed rather than guessed at;
// two identities where one belongs (two IMSIs) set IdentityConflict.
package gsmmap
