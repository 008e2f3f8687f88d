// Package m3ua reads and writes M3UA messages (RFC 4666, MTP3 User
// Adaptation over SCTP, payload protocol identifier 3) without allocating.
//
// Parse checks the common header and walks every parameter once, so that a
// Message is a validated view over the caller's bytes; DATA's Protocol Data
// (OPC, DPC, SI, NI, MP, SLS and the MTP3 user's bytes, here SCCP) and the
// SSNM messages (DUNA, DAVA, DAUD, SCON, DUPU, DRST) decode into plain
// structs whose byte fields alias the message. The Builder encodes the few
// messages Breakwater sends itself when it terminates an association as an
// SG or IPSP: DATA re-encoded with a new routing context or point codes,
// ASP Up Ack, ASP Active Ack, Heartbeat Ack, Notify, Error, DUNA and DAVA.
//
// Hostile input is the normal case: every length is checked against its
// container before use, a message is walked in one linear pass, parameters
// the firewall bases verdicts on may not be duplicated (two Protocol Data
// parameters would let the firewall and the receiver read different
// messages), and nothing here allocates per message.
//
// github.com/wmnsk/go-m3ua serves the tests as an independent encoder and
// decoder; it allocates per parameter, so the per-message path does not
// use it.
package m3ua
