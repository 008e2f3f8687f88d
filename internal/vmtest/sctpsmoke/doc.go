// Package sctpsmoke holds a smoke test of kernel SCTP through
// github.com/ishidawataru/sctp: a multi-stream round trip with PPIDs and a
// multi-homed association. It needs a kernel with SCTP; on a host without
// it the tests skip, and `go run ./internal/vmtest` runs them in a VM that
// has it (there BREAKWATER_VMTEST=1, and a missing SCTP is a failure).
package sctpsmoke
