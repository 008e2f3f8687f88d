// Package transport carries signaling messages over kernel SCTP and TCP.
// It knows nothing of Diameter, M3UA or any rule: a Conn reads and writes
// whole messages, with the SCTP stream and payload protocol identifier
// (PPID) kept per message, and a caller-supplied Framer cuts messages out of
// TCP byte streams.
//
// Addresses are URLs: "tcp://127.0.0.1:3868", "sctp://10.0.0.1:3868", and
// for a multi-homed SCTP endpoint several addresses separated by '/' with
// one port: "sctp://10.0.0.1/10.0.0.2:3868" or "sctp://[2001:db8::1]/[2001:db8::2]:3868".
//
// SCTP sockets are kernel one-to-one sockets created with
// github.com/ishidawataru/sctp; once connected they are switched to
// non-blocking mode and driven through Go's network poller, with sendmsg and
// recvmsg issued directly so that reading and writing a message allocates
// nothing.
package transport
