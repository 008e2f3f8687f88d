// Command gen regenerates the files derived from the scenario files
// testvectors/diameter/scenarios.yaml, testvectors/gtp/scenarios.yaml and
// testvectors/map/scenarios.yaml: the captures diameter/scenarios.pcap,
// gtp/scenarios.pcap and map/scenarios.pcap (byte-for-byte deterministic)
// and the generated tables of README.md.
//
//	go run ./testvectors/gen            (from the repository root)
//	go generate ./testvectors           (same thing)
//
// It rewrites a file only when its content changes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"breakwater/testvectors"
)

func main() {
	dir := flag.String("dir", "", "the testvectors `directory` (default: testvectors, . or .., whichever holds diameter/scenarios.yaml)")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// suites are the scenario files, each in its own directory beside its
// capture.
var suites = []string{"diameter", "gtp", "map"}

func run(dir string) error {
	if dir == "" {
		for _, d := range []string{"testvectors", ".", ".."} {
			if _, err := os.Stat(filepath.Join(d, "diameter", "scenarios.yaml")); err == nil {
				dir = d
				break
			}
		}
		if dir == "" {
			return errors.New("cannot find diameter/scenarios.yaml: run from the repository root or pass -dir")
		}
	}
	var files []*testvectors.File
	for _, suite := range suites {
		f, err := testvectors.Load(filepath.Join(dir, suite, "scenarios.yaml"))
		if err != nil {
			return err
		}
		var pcap bytes.Buffer
		if err := testvectors.WritePcap(&pcap, f.Steps()...); err != nil {
			return err
		}
		if err := update(filepath.Join(dir, suite, "scenarios.pcap"), pcap.Bytes()); err != nil {
			return err
		}
		fmt.Printf("%s: %d scenarios, %d messages\n", suite, len(f.Scenarios), len(f.Steps()))
		files = append(files, f)
	}
	readmePath := filepath.Join(dir, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	readme, err = testvectors.UpdateReadme(readme, files...)
	if err != nil {
		return fmt.Errorf("%s: %w", readmePath, err)
	}
	return update(readmePath, readme)
}

// update writes data to path unless the file already holds exactly that.
func update(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return nil
}
