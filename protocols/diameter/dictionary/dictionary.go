// Package dictionary embeds Breakwater's additional Diameter dictionaries for
// go-diameter (github.com/fiorix/go-diameter/v4/diam/dict) and loads them into
// a *dict.Parser.
//
// go-diameter v4.3.0 ships Base, Base Accounting, Credit Control, NASREQ, Gx,
// Rx, S6a/S6d, S13, SWx and the 3GPP Ro/Rf AVPs. This package adds, from the
// 3GPP specifications:
//
//   - Sh        (16777217, TS 29.329)  xml/sh.xml
//   - Cx/Dx     (16777216, TS 29.229)  xml/cxdx.xml
//   - SLg       (16777255, TS 29.172)  xml/slg.xml
//   - SLh       (16777291, TS 29.173)  xml/slh.xml
//   - S9        (16777267, TS 29.215)  xml/s9.xml
//   - Sy        (16777302, TS 29.219)  xml/sy.xml (go-diameter has a partial Sy
//     dictionary but does not load it into dict.Default)
//   - S6a/S6d   (16777251, TS 29.272)  xml/s6a_extra.xml: Rel-15 AVPs that
//     go-diameter lacks
//
// go-diameter resolves AVPs per application id and only falls back to the base
// application (0), so each file defines every non-base AVP its application
// uses, even when the AVP belongs to another specification.
//
// Load never redefines what the parser already knows: a command that already
// exists for the same application, or an AVP (code, vendor) that the parser
// already resolves for that application (directly or through go-diameter's
// parent chain), is dropped from the embedded definitions before they are
// handed to go-diameter. This keeps go-diameter's own definitions authoritative
// and makes Load safe on parsers that already contain some of these
// dictionaries (for example a future go-diameter release).
package dictionary

import (
	"bytes"
	"embed"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"sync"

	"github.com/fiorix/go-diameter/v4/diam/dict"
)

//go:embed xml/*.xml
var xmlFiles embed.FS

const xmlDir = "xml"

// Files lists the embedded dictionary file names (base names, sorted).
func Files() []string {
	entries, err := fs.ReadDir(xmlFiles, xmlDir)
	if err != nil {
		// The directory is embedded at build time; this cannot happen.
		panic(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// readFile returns the raw content of an embedded dictionary file.
func readFile(name string) ([]byte, error) {
	return xmlFiles.ReadFile(path.Join(xmlDir, name))
}

// loadState records the outcome of loading into one parser.
type loadState struct {
	once   sync.Once
	report report
	err    error
}

// states maps *dict.Parser to *loadState. Parsers are long-lived in practice
// (dict.Default or one per process), so entries are never removed.
var states sync.Map

// Load adds Breakwater's extra dictionaries to p (typically dict.Default).
//
// It is idempotent and safe to call concurrently: the work is done once per
// parser and every caller receives the same result. Like go-diameter's own
// Parser.Load, it must not run concurrently with lookups or other Parser.Load
// calls on the same parser, because go-diameter's lookup methods do not lock.
// Call it during initialisation, before the parser is used to decode traffic.
func Load(p *dict.Parser) error {
	_, err := load(p)
	return err
}

func load(p *dict.Parser) (report, error) {
	if p == nil {
		return report{}, errors.New("dictionary: nil *dict.Parser")
	}
	v, _ := states.LoadOrStore(p, new(loadState))
	st := v.(*loadState)
	st.once.Do(func() {
		st.report, st.err = loadInto(p)
	})
	return st.report, st.err
}

// report describes what loadInto did; used by tests.
type report struct {
	// Skipped lists "file: app/command-or-avp" entries that were not loaded
	// because the parser already had an equivalent definition.
	Skipped []string
	// Loaded counts the commands and AVPs handed to go-diameter per file.
	Loaded map[string]counts
}

type counts struct{ Commands, AVPs int }

// loadInto loads every embedded file into p, dropping definitions p already
// has. It is not idempotent on its own; Load guards it with a sync.Once.
func loadInto(p *dict.Parser) (report, error) {
	rep := report{Loaded: make(map[string]counts)}
	for _, name := range Files() {
		raw, err := readFile(name)
		if err != nil {
			return rep, fmt.Errorf("dictionary: read %s: %w", name, err)
		}
		var f dict.File
		if err := xml.Unmarshal(raw, &f); err != nil {
			return rep, fmt.Errorf("dictionary: parse %s: %w", name, err)
		}
		var c counts
		filtered := dict.File{XMLName: f.XMLName}
		for _, app := range f.App {
			kept := *app
			kept.Command = nil
			kept.AVP = nil
			for _, cmd := range app.Command {
				if hasCommand(p, app.ID, cmd.Code) {
					rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: app %d command %d (%s)", name, app.ID, cmd.Code, cmd.Name))
					continue
				}
				kept.Command = append(kept.Command, cmd)
			}
			for _, avp := range app.AVP {
				if hasAVP(p, app.ID, avp.Code, avp.VendorID) {
					rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: app %d AVP %d/%d (%s)", name, app.ID, avp.Code, avp.VendorID, avp.Name))
					continue
				}
				kept.AVP = append(kept.AVP, avp)
			}
			if len(kept.Command) == 0 && len(kept.AVP) == 0 {
				// Everything is already known: do not hand go-diameter an
				// empty application, it would replace the existing *dict.App.
				continue
			}
			c.Commands += len(kept.Command)
			c.AVPs += len(kept.AVP)
			filtered.App = append(filtered.App, &kept)
		}
		rep.Loaded[name] = c
		if len(filtered.App) == 0 {
			continue
		}
		src := raw
		if c.Commands+c.AVPs != countAll(&f) {
			if src, err = xml.Marshal(&filtered); err != nil {
				return rep, fmt.Errorf("dictionary: re-encode %s: %w", name, err)
			}
		}
		if err := p.Load(bytes.NewReader(src)); err != nil {
			return rep, fmt.Errorf("dictionary: load %s: %w", name, err)
		}
	}
	return rep, nil
}

func countAll(f *dict.File) int {
	n := 0
	for _, app := range f.App {
		n += len(app.Command) + len(app.AVP)
	}
	return n
}

// hasCommand reports whether p defines command code for application appID
// itself. go-diameter's FindCommand falls back to the base application, so a
// hit that is the base application's own command does not count.
func hasCommand(p *dict.Parser, appID, code uint32) bool {
	cmd, err := p.FindCommand(appID, code)
	if err != nil || cmd == nil {
		return false
	}
	if appID == 0 {
		return true
	}
	base, err := p.FindCommand(0, code)
	return err != nil || base != cmd
}

// hasAVP reports whether p already resolves (code, vendor) for appID with
// exactly that code and vendor, directly or through go-diameter's inheritance
// (parent applications and the base application).
func hasAVP(p *dict.Parser, appID, code, vendor uint32) bool {
	// FindAVPWithVendor walks the parent chain down to application 0 at
	// lookup time, so it also sees base AVPs for applications the parser has
	// not loaded yet. The code must be passed as uint32.
	avp, err := p.FindAVPWithVendor(appID, code, vendor)
	return err == nil && avp != nil && avp.Code == code && avp.VendorID == vendor
}
