// Command gen regenerates the files derived from the scenario file
// testvectors/diameter/scenarios.yaml: the capture diameter/scenarios.pcap
// (byte-for-byte deterministic) and the generated tables of README.md.
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
	f, err := testvectors.Load(filepath.Join(dir, "diameter", "scenarios.yaml"))
	if err != nil {
		return err
	}
	var pcap bytes.Buffer
	if err := testvectors.WritePcap(&pcap, f.Steps()...); err != nil {
		return err
	}
	if err := update(filepath.Join(dir, "diameter", "scenarios.pcap"), pcap.Bytes()); err != nil {
		return err
	}
	readmePath := filepath.Join(dir, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	readme, err = testvectors.UpdateReadme(readme, f)
	if err != nil {
		return fmt.Errorf("%s: %w", readmePath, err)
	}
	if err := update(readmePath, readme); err != nil {
		return err
	}
	fmt.Printf("%d scenarios, %d messages\n", len(f.Scenarios), len(f.Steps()))
	return nil
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
