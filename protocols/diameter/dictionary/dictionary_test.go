package dictionary

import (
	"bytes"
	"encoding/xml"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam/datatype"
	"github.com/fiorix/go-diameter/v4/diam/dict"
)

const vendor3GPP = 10415

// Application ids provided by this package.
const (
	appCx   = 16777216
	appSh   = 16777217
	appS6a  = 16777251
	appSLg  = 16777255
	appS9   = 16777267
	appSLh  = 16777291
	appSy   = 16777302
	appBase = 0
)

// goDiameterDictionaries are the go-diameter testdata files in the order
// dict/default.go loads them into dict.Default (default.go embeds the same
// files verbatim).
var goDiameterDictionaries = []string{
	"base.xml",
	"credit_control.xml",
	"gx_credit_control.xml",
	"network_access_server.xml",
	"tgpp_ro_rf.xml",
	"tgpp_rx.xml",
	"tgpp_s6a.xml",
	"tgpp_s13.xml",
	"tgpp_swx.xml",
}

var (
	goDiameterDirOnce sync.Once
	goDiameterDir     string
	goDiameterDirErr  error
)

// defaultLikeParser returns a fresh parser built the way go-diameter builds
// dict.Default: dict.NewParser() followed by the same dictionaries in the same
// order. The XML is read from go-diameter's testdata directory in the module
// cache; the test is skipped if the module directory cannot be located.
func defaultLikeParser(t testing.TB) *dict.Parser {
	t.Helper()
	goDiameterDirOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/fiorix/go-diameter/v4").Output()
		if err != nil {
			goDiameterDirErr = err
			return
		}
		goDiameterDir = filepath.Join(strings.TrimSpace(string(out)), "diam", "dict", "testdata")
	})
	if goDiameterDirErr != nil {
		t.Skipf("cannot locate go-diameter module: %v", goDiameterDirErr)
	}
	p, err := dict.NewParser()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range goDiameterDictionaries {
		if err := p.LoadFile(filepath.Join(goDiameterDir, f)); err != nil {
			t.Skipf("cannot load go-diameter dictionary %s: %v", f, err)
		}
	}
	return p
}

// loadedDefault returns dict.Default after Load.
func loadedDefault(t testing.TB) *dict.Parser {
	t.Helper()
	if err := Load(dict.Default); err != nil {
		t.Fatalf("Load(dict.Default): %v", err)
	}
	return dict.Default
}

// embedded returns the decoded embedded dictionary files.
func embedded(t testing.TB) map[string]*dict.File {
	t.Helper()
	out := make(map[string]*dict.File)
	for _, name := range Files() {
		raw, err := readFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f := new(dict.File)
		if err := xml.Unmarshal(raw, f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = f
	}
	return out
}

func TestFiles(t *testing.T) {
	want := []string{"cxdx.xml", "s6a_extra.xml", "s9.xml", "sh.xml", "slg.xml", "slh.xml", "sy.xml"}
	if got := Files(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Files() = %v, want %v", got, want)
	}
}

// TestEmbeddedXMLWellFormed checks each file on its own: valid types, no
// duplicate codes or names inside an application, consistent vendor ids.
func TestEmbeddedXMLWellFormed(t *testing.T) {
	for name, f := range embedded(t) {
		if len(f.App) != 1 {
			t.Errorf("%s: %d applications, want 1", name, len(f.App))
		}
		for _, app := range f.App {
			if app.Type != "auth" {
				t.Errorf("%s: application %d type %q", name, app.ID, app.Type)
			}
			codes := map[[2]uint32]string{}
			names := map[string]uint32{}
			for _, a := range app.AVP {
				if _, ok := datatype.Available[a.Data.TypeName]; !ok {
					t.Errorf("%s: %s: unsupported type %q", name, a.Name, a.Data.TypeName)
				}
				k := [2]uint32{a.Code, a.VendorID}
				if prev, dup := codes[k]; dup {
					t.Errorf("%s: code %d/%d defined twice (%s, %s)", name, a.Code, a.VendorID, prev, a.Name)
				}
				codes[k] = a.Name
				if _, dup := names[a.Name]; dup {
					t.Errorf("%s: name %s defined twice", name, a.Name)
				}
				names[a.Name] = a.Code
				switch a.VendorID {
				case 0, vendor3GPP, 5535, 13019:
				default:
					t.Errorf("%s: %s: unexpected vendor %d", name, a.Name, a.VendorID)
				}
				hasV := strings.Contains(a.Must, "V")
				if (a.VendorID != 0) != hasV {
					t.Errorf("%s: %s: vendor %d but must=%q", name, a.Name, a.VendorID, a.Must)
				}
				if a.Data.TypeName == "Grouped" && len(a.Data.Rule) == 0 {
					t.Errorf("%s: grouped %s has no rules", name, a.Name)
				}
				if a.Data.TypeName != "Grouped" && len(a.Data.Rule) != 0 {
					t.Errorf("%s: non-grouped %s has rules", name, a.Name)
				}
				if a.Data.TypeName != "Enumerated" && len(a.Data.Enum) != 0 {
					t.Errorf("%s: non-enumerated %s has items", name, a.Name)
				}
			}
			for _, c := range app.Command {
				if len(c.Request.Rule) == 0 || len(c.Answer.Rule) == 0 {
					t.Errorf("%s: command %d has no request/answer rules", name, c.Code)
				}
			}
		}
	}
}

// TestNoRedefinitionOfGoDiameter ensures that no embedded definition
// duplicates something go-diameter already resolves for the same application,
// i.e. the files only add what is missing.
func TestNoRedefinitionOfGoDiameter(t *testing.T) {
	p := defaultLikeParser(t)
	for name, f := range embedded(t) {
		for _, app := range f.App {
			for _, c := range app.Command {
				if hasCommand(p, app.ID, c.Code) {
					t.Errorf("%s: command %d already defined by go-diameter for app %d", name, c.Code, app.ID)
				}
			}
			for _, a := range app.AVP {
				if hasAVP(p, app.ID, a.Code, a.VendorID) {
					got, _ := p.FindAVPWithVendor(app.ID, a.Code, a.VendorID)
					t.Errorf("%s: AVP %s (%d/%d) already defined by go-diameter for app %d as %s", name, a.Name, a.Code, a.VendorID, app.ID, got.Name)
				}
			}
		}
	}
}

func TestLoad(t *testing.T) {
	t.Run("dict.Default", func(t *testing.T) {
		checkLoaded(t, loadedDefault(t))
	})
	t.Run("default-like fresh parser", func(t *testing.T) {
		p := defaultLikeParser(t)
		rep, err := load(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Skipped) != 0 {
			t.Errorf("unexpected skipped definitions: %v", rep.Skipped)
		}
		checkLoaded(t, p)
	})
	t.Run("empty parser", func(t *testing.T) {
		// Without go-diameter's dictionaries nothing inherited exists, yet the
		// embedded files must still load on their own.
		p, err := dict.NewParser()
		if err != nil {
			t.Fatal(err)
		}
		if err := Load(p); err != nil {
			t.Fatal(err)
		}
		for _, app := range []uint32{appCx, appSh, appSLg, appSLh, appS9, appSy, appS6a} {
			if _, err := p.App(app); err != nil {
				t.Errorf("app %d: %v", app, err)
			}
		}
	})
}

// checkLoaded verifies applications, commands, key AVPs and rule integrity.
func checkLoaded(t *testing.T, p *dict.Parser) {
	t.Helper()
	for _, app := range []uint32{appCx, appSh, appSLg, appSLh, appS9, appSy, appS6a} {
		if _, err := p.App(app, "auth"); err != nil {
			t.Errorf("App(%d): %v", app, err)
		}
	}
	for _, c := range keyCommands {
		cmd, err := p.FindCommand(c.app, c.code)
		if err != nil {
			t.Errorf("FindCommand(%d, %d): %v", c.app, c.code, err)
			continue
		}
		if cmd.Name != c.name {
			t.Errorf("FindCommand(%d, %d) = %s, want %s", c.app, c.code, cmd.Name, c.name)
		}
		if c.marker != "" && !hasRule(cmd.Request.Rule, c.marker) && !hasRule(cmd.Answer.Rule, c.marker) {
			t.Errorf("FindCommand(%d, %d) = %s without rule %s (base fallback?)", c.app, c.code, cmd.Name, c.marker)
		}
	}
	for _, k := range keyAVPs {
		a, err := p.FindAVPWithVendor(k.app, k.code, k.vendor)
		if err != nil {
			t.Errorf("FindAVPWithVendor(%d, %d, %d): %v", k.app, k.code, k.vendor, err)
			continue
		}
		if a.Name != k.name || a.Data.TypeName != k.typ || a.VendorID != k.vendor || a.Code != k.code {
			t.Errorf("app %d AVP %d/%d = %s %s vendor %d, want %s %s vendor %d",
				k.app, k.code, k.vendor, a.Name, a.Data.TypeName, a.VendorID, k.name, k.typ, k.vendor)
		}
		if k.vendor == vendor3GPP && !k.sharedCode {
			// Without a vendor filter the code must still resolve to the
			// 3GPP AVP (vendor-0 AVPs sharing the code are defined first).
			b, err := p.FindAVP(k.app, k.code)
			if err != nil || b.Name != k.name {
				t.Errorf("FindAVP(%d, %d) = %v, %v; want %s", k.app, k.code, b, err, k.name)
			}
		}
		byName, err := p.FindAVPWithVendor(k.app, k.name, k.vendor)
		if err != nil || byName.Code != k.code {
			t.Errorf("FindAVPWithVendor(%d, %q, %d) = %v, %v; want code %d", k.app, k.name, k.vendor, byName, err, k.code)
		}
	}
	checkRulesResolve(t, p)
}

func hasRule(rules []*dict.Rule, name string) bool {
	for _, r := range rules {
		if r.AVP == name {
			return true
		}
	}
	return false
}

// checkRulesResolve verifies that every AVP named in an embedded command or
// grouped AVP resolves in the application's scope.
func checkRulesResolve(t *testing.T, p *dict.Parser) {
	t.Helper()
	for name, f := range embedded(t) {
		for _, app := range f.App {
			check := func(where string, rules []*dict.Rule) {
				for _, r := range rules {
					if r.AVP == "AVP" {
						continue
					}
					if _, err := p.FindAVP(app.ID, r.AVP); err != nil {
						t.Errorf("%s: %s: rule %s does not resolve in app %d", name, where, r.AVP, app.ID)
					}
				}
			}
			for _, c := range app.Command {
				check(c.Name+" request", c.Request.Rule)
				check(c.Name+" answer", c.Answer.Rule)
			}
			for _, a := range app.AVP {
				check(a.Name, a.Data.Rule)
			}
		}
	}
}

func TestIdempotentConcurrentLoad(t *testing.T) {
	p := defaultLikeParser(t)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Load(p)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := Load(p); err != nil {
		t.Fatalf("second Load: %v", err)
	}
	checkLoaded(t, p)

	// Different parsers load independently and concurrently.
	ps := make([]*dict.Parser, 4)
	for i := range ps {
		ps[i] = defaultLikeParser(t)
	}
	errs = make(chan error, len(ps))
	for _, q := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Load(q)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := Load(nil); err == nil {
		t.Error("Load(nil) succeeded")
	}
}

// TestDuplicateDefinitions covers parsers that already contain some or all of
// these definitions (e.g. loaded by hand, or a future go-diameter release).
func TestDuplicateDefinitions(t *testing.T) {
	t.Run("raw s6a extras twice", func(t *testing.T) {
		// AVP-only files can be loaded twice by go-diameter itself.
		p := defaultLikeParser(t)
		raw, err := readFile("s6a_extra.xml")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := p.Load(bytes.NewReader(raw)); err != nil {
				t.Fatalf("raw load %d: %v", i, err)
			}
		}
		rep, err := load(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Loaded["s6a_extra.xml"]; got.AVPs != 0 {
			t.Errorf("s6a_extra.xml reloaded %d AVPs, want 0", got.AVPs)
		}
		checkLoaded(t, p)
	})
	t.Run("all files already present", func(t *testing.T) {
		// Commands cannot be loaded twice into go-diameter; Load must notice
		// they already exist instead of failing.
		p := defaultLikeParser(t)
		for _, name := range Files() {
			raw, err := readFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Load(bytes.NewReader(raw)); err != nil {
				t.Fatalf("raw load %s: %v", name, err)
			}
		}
		rep, err := load(p)
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range rep.Loaded {
			if c.Commands != 0 || c.AVPs != 0 {
				t.Errorf("%s: reloaded %+v, want nothing", name, c)
			}
		}
		checkLoaded(t, p)
	})
	t.Run("pre-existing definitions win", func(t *testing.T) {
		// Simulate a go-diameter release that already knows Reset-ID for S6a
		// and the Sh User-Data-Request command.
		p := defaultLikeParser(t)
		pre := `<diameter>
			<application id="16777251" type="auth" name="TGPP S6A">
				<avp name="Reset-ID-from-upstream" code="1670" must="V" must-not="M" vendor-id="10415"><data type="OctetString"/></avp>
			</application>
			<application id="16777217" type="auth" name="Sh upstream">
				<command code="306" short="UD" name="User-Data-upstream">
					<request><rule avp="Session-Id" required="true" max="1"/></request>
					<answer><rule avp="Session-Id" required="true" max="1"/></answer>
				</command>
			</application>
		</diameter>`
		if err := p.Load(strings.NewReader(pre)); err != nil {
			t.Fatal(err)
		}
		rep, err := load(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Skipped) != 2 {
			t.Errorf("skipped = %v, want the 2 pre-existing definitions", rep.Skipped)
		}
		a, err := p.FindAVPWithVendor(appS6a, uint32(1670), vendor3GPP)
		if err != nil || a.Name != "Reset-ID-from-upstream" {
			t.Errorf("Reset-ID = %v, %v; want the pre-existing definition", a, err)
		}
		c, err := p.FindCommand(appSh, 306)
		if err != nil || c.Name != "User-Data-upstream" {
			t.Errorf("UDR = %v, %v; want the pre-existing definition", c, err)
		}
		// The rest of Sh (re-encoded without command 306) must be present.
		if c, err := p.FindCommand(appSh, 307); err != nil || c.Name != "Profile-Update" {
			t.Errorf("PUR = %v, %v", c, err)
		}
		if a, err := p.FindAVPWithVendor(appSh, uint32(700), vendor3GPP); err != nil || a.Name != "User-Identity" {
			t.Errorf("User-Identity = %v, %v", a, err)
		}
	})
}
