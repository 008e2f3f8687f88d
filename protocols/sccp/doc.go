// Package sccp reads SCCP messages (ITU-T Q.713) without allocating: the
// connectionless messages that carry MAP and CAP over the interconnect
// (UDT, UDTS, XUDT, XUDTS, LUDT, LUDTS) are decoded in full — protocol class,
// hop counter, return cause, called and calling party addresses with their
// global titles, user data, and the XUDT/LUDT optional part — and the
// connection-oriented ones are recognised by type so that the firewall can
// still give them a verdict. SCCP management (SCMG, SSN 1) is decoded too:
// a forged Subsystem-Prohibited is a denial-of-service attack.
//
// Layout: a message is a type octet, a fixed part, one pointer per
// mandatory variable parameter (plus one to the optional part), and the
// parameters the pointers designate. Every pointer is checked to land
// after the pointer area and inside the message, every length against the
// message, and the designated parameters may not overlap, so that no two
// readers can disagree about which bytes are the called address or the
// data.
//
// Reassembler puts segmented XUDT/XUDTS/LUDT/LUDTS messages back together
// in preallocated, bounded memory (see its documentation for the policy).
//
// Point codes are ITU-T 14-bit ones throughout; the national indicator of
// an address is reported, not interpreted (ANSI addresses order and size
// their fields differently).
package sccp
