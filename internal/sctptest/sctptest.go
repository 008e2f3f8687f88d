// Package sctptest holds what tests needing kernel SCTP share: this
// development host's kernel has none, so they skip here and run in the VM
// harness (make test-sctp, internal/vmtest), where its absence is an error.
package sctptest

import (
	"errors"
	"os"
	"testing"

	"breakwater/firewall/transport"
)

// Require skips the test when the kernel has no SCTP, except inside the
// VM harness (BREAKWATER_VMTEST=1), where it fails it.
func Require(t testing.TB) {
	t.Helper()
	a, _ := transport.ParseAddress("sctp://127.0.0.1:0")
	ln, err := transport.Listen(a, transport.Options{})
	if errors.Is(err, transport.ErrUnsupported) {
		if os.Getenv("BREAKWATER_VMTEST") == "1" {
			t.Fatal("no kernel SCTP inside the VM harness")
		}
		t.Skip("kernel without SCTP: this test runs in the VM harness (make test-sctp)")
	}
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}
