package pseudonym

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStableAndKeyed(t *testing.T) {
	a := New([]byte("0123456789abcdef0123"))
	b := New([]byte("0123456789abcdef0123"))
	c := New([]byte("another key, also long"))
	id := []byte("310260123456789")
	pa, pb, pc := a.String("imsi", id), b.String("imsi", id), c.String("imsi", id)
	if pa != pb {
		t.Fatalf("same key, different pseudonyms: %s %s", pa, pb)
	}
	if pa == pc {
		t.Fatal("different keys gave the same pseudonym")
	}
	if len(pa) != 16 || strings.Contains(pa, "310260") {
		t.Fatalf("pseudonym %q is not 16 hex digits or leaks the identity", pa)
	}
	if a.String("msisdn", id) == pa {
		t.Fatal("kind is not part of the hash")
	}
	if a.String("imsi", nil) != "" {
		t.Fatal("empty identity must give an empty pseudonym")
	}
	buf := make([]byte, 0, 32)
	if n := testing.AllocsPerRun(100, func() { buf = a.Append(buf[:0], "imsi", id) }); n != 0 {
		t.Fatalf("Append allocates %v times", n)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("tiny\n"), 0o600)
	if _, err := Load(short); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Fatalf("short key accepted: %v", err)
	}
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("  00112233445566778899aabbccddeeff\n"), 0o600)
	h, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	if h.String("imsi", []byte("1")) != New([]byte("00112233445566778899aabbccddeeff")).String("imsi", []byte("1")) {
		t.Fatal("whitespace around the key changed it")
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
}
