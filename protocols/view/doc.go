// Package view defines the protocol-neutral picture of one signaling message
// that every parser fills in and the firewall engine judges.
//
// A Message is a fixed-size value: identities and location fields are held
// inline (Digits, PLMN) or alias the caller's message buffer, so producing and
// judging a view allocates nothing. Byte slices in a Message are valid only as
// long as the buffer the parser was given.
package view
