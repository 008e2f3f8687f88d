package m3ua

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hx decodes hex written with spaces, newlines and | separators for
// readability.
func hx(s string) []byte {
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// pcapDir holds the shared public captures (not in the repository).
const pcapDir = "../../../shared/pcaps"

// captures returns the SS7 captures present, skipping the test when none is.
func captures(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"map_timkam_*.pcap", "ss7_*.pcap"} {
		m, _ := filepath.Glob(filepath.Join(pcapDir, pat))
		out = append(out, m...)
	}
	if len(out) == 0 {
		if _, err := os.Stat(pcapDir); err != nil {
			t.Skipf("captures not present: %v", err)
		}
		t.Skip("no SS7 captures in " + pcapDir)
	}
	return out
}

// The hand-encoded messages below follow the figures of RFC 4666 §3.

// dataMsg is a DATA (§3.3.1) with Network Appearance 6, Routing Context
// 3001, Protocol Data OPC 2487 DPC 4848 SI 3 NI 2 MP 0 SLS 14 and one octet
// of user data (length 17, three octets of padding), and Correlation ID 42.
var dataMsg = hx(`
	01 00 01 01 | 00 00 00 34
	02 00 00 08 | 00 00 00 06
	00 06 00 08 | 00 00 0b b9
	02 10 00 11 | 00 00 09 b7 | 00 00 12 f0 | 03 02 00 0e | aa 00 00 00
	00 13 00 08 | 00 00 00 2a`)

// dataMinimal is a DATA with only Protocol Data, no user data.
var dataMinimal = hx(`
	01 00 01 01 | 00 00 00 18
	02 10 00 10 | 00 00 00 01 | 00 00 00 02 | 03 00 00 00`)
