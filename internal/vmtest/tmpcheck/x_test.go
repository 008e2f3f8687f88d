package tmpcheck

import (
	"os"
	"testing"
)

func TestEnv(t *testing.T) {
	wd, _ := os.Getwd()
	t.Logf("cwd %s env %s alt %s FOO=%s", wd, os.Getenv("BREAKWATER_VMTEST"), os.Getenv("BREAKWATER_VMTEST_ALTADDR"), os.Getenv("FOO"))
	for _, p := range []string{"testdata/x.txt", "../../../testvectors/config.yaml", "/data/hosts", "/opt/tv/config.yaml"} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}

func TestFail(t *testing.T) { t.Fatal("deliberate") }

func TestHang(t *testing.T) { select {} }
