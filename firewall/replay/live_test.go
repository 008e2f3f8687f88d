package replay

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"breakwater/firewall/transport"
	"breakwater/internal/diampeer"
)

// TestLiveSkipsUnwantedFragments: the live replay, like the offline one,
// drops the fragments of datagrams no sender wants (the magma capture's
// fragmented GTP-U) without reassembling them, and still sends the
// capture's Diameter requests.
func TestLiveSkipsUnwantedFragments(t *testing.T) {
	path := filepath.Join(sharedPcaps, "magma_gx_gy_combined_04_32ue.pcapng")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("capture not available: %v", err)
	}
	hss, err := diampeer.Listen("tcp://127.0.0.1:0", diampeer.Identity{Host: "pcrf.example.org", Realm: "example.org"})
	if err != nil {
		t.Fatal(err)
	}
	defer hss.Close()
	to, err := transport.ParseAddress(hss.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sum, err := Live(ctx, path, LiveOptions{To: to, Wait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent == 0 || sum.Answered == 0 {
		t.Fatalf("sent %d, answered %d", sum.Sent, sum.Answered)
	}
	if sum.Capture.IPFragIgnored == 0 || sum.Capture.IPIgnored == 0 {
		t.Fatalf("no fragment ignored: %+v", sum.Capture)
	}
}
