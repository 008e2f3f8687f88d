package fdconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The file freeDiameterd reads: the relay's identity and peers, and the
// message dumps only when asked for. (The interop tests and the harness
// run freeDiameterd on it.)
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	r := Relay{Identity: "dea.example.org", Realm: "example.org", Port: 3999, HSS: "hss.example.org", HSSPort: 3998,
		Partners: "*.partner.example", Watchdog: 30}
	conf, err := r.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(conf)
	for _, want := range []string{`Identity = "dea.example.org";`, `Port = 3999;`, `TwTimer = 30;`, `dict_dcca_3gpp.fdx`,
		`ConnectPeer = "hss.example.org" { ConnectTo = "127.0.0.1"; Port = 3998;`, `acl_wl.fdx" : "` + filepath.Join(dir, "acl_wl.conf") + `"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("freeDiameter.conf lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "dbg_msg_dumps") {
		t.Error("message dumps without DumpMessages")
	}
	acl, _ := os.ReadFile(filepath.Join(dir, "acl_wl.conf"))
	if string(acl) != "ALLOW_IPSEC *.partner.example\n" {
		t.Errorf("acl_wl.conf = %q", acl)
	}
	r.DumpMessages, r.Watchdog = true, 0
	conf, _ = r.Write(dir)
	b, _ = os.ReadFile(conf)
	if !strings.Contains(string(b), `dbg_msg_dumps.fdx" : "0x2222"`) || !strings.Contains(string(b), "TwTimer = 6;") {
		t.Errorf("dumps or minimum watchdog missing:\n%s", b)
	}
}
