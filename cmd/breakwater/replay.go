package main

import (
	"io"
	"os"

	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/replay"
)

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", "replay -c CONFIG [--format table|jsonl|none] [--rules FILE] [--reveal] CAPTURE...", stderr)
	cfgPath := fs.String("c", "", "configuration `file` (required)")
	format := fs.String("format", "table", "output: table (people), jsonl (one JSON object per message) or none (summary only)")
	rulesPath := fs.String("rules", "", "rule `file` to use instead of the configuration's")
	reveal := fs.Bool("reveal", false, "print clear IMSIs/MSISDNs instead of keyed-hash pseudonyms")
	noProgress := fs.Bool("no-progress", false, "do not draw a progress bar on a terminal")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageError{"-c CONFIG is required"}
	}
	if len(files) == 0 {
		return usageError{"name at least one capture file"}
	}
	f, err := replay.ParseFormat(*format)
	if err != nil {
		return usageError{err.Error()}
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	policy, err := engine.NewPolicy(cfg, *rulesPath)
	if err != nil {
		return err
	}
	var hasher *pseudonym.Hasher
	if !*reveal {
		if p := cfg.PseudonymKeyPath(); p != "" {
			if hasher, err = pseudonym.Load(p); err != nil {
				return err
			}
		} else {
			hasher = pseudonym.NewRandom()
		}
	}
	eng := engine.New(policy, engine.NewMemoryState(cfg))
	r, err := replay.New(eng, replay.Options{
		Format: f, Reveal: *reveal, Pseudonyms: hasher,
		Out: stdout, Diag: stderr, Progress: !*noProgress && isTerminal(stderr),
	})
	if err != nil {
		return err
	}
	_, err = r.Files(files...)
	return err
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
