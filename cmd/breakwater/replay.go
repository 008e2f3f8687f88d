package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/firewall/network"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/replay"
	"breakwater/firewall/transport"
)

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", "replay -c CONFIG [--format table|jsonl|none] [--rules FILE] [--reveal] CAPTURE...\n       breakwater replay --to URL [--from ADDR] [--pace] [--wait 3s] [--m3ua] [-c CONFIG] CAPTURE...", stderr)
	cfgPath := fs.String("c", "", "configuration `file` (required)")
	format := fs.String("format", "table", "output: table (people), jsonl (one JSON object per message) or none (summary only)")
	rulesPath := fs.String("rules", "", "rule `file` to use instead of the configuration's")
	reveal := fs.Bool("reveal", false, "print clear IMSIs/MSISDNs instead of keyed-hash pseudonyms")
	noProgress := fs.Bool("no-progress", false, "do not draw a progress bar on a terminal")
	to := fs.String("to", "", "live replay: send the capture's requests to a running instance at this `URL` (tcp:// or sctp:// for Diameter, udp:// for GTP-C) and report its answers")
	from := fs.String("from", "", "live replay: local source `address`(es, '/'-separated for SCTP), a configured partner's")
	pace := fs.Bool("pace", false, "live replay: keep the capture's timing")
	wait := fs.Duration("wait", 3*time.Second, "live replay: how long each request waits for its answer")
	m3uaMode := fs.Bool("m3ua", false, "live replay: send the capture's M3UA (SS7) messages, as an ASP, to a tcp:// or sctp:// target (implied by port 2905)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *to != "" {
		return runLiveReplay(*to, *from, *pace, *m3uaMode, *wait, *cfgPath, files, stdout)
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

// runLiveReplay is `replay --to`: the capture's requests sent to a running
// instance. With -c, requests from the home network's addresses are
// skipped (they are the other side's).
func runLiveReplay(to, from string, pace, m3uaMode bool, wait time.Duration, cfgPath string, files []string, stdout io.Writer) error {
	if len(files) == 0 {
		return usageError{"name at least one capture file"}
	}
	addr, err := transport.ParseAddress(to)
	if err != nil {
		return usageError{"--to: " + err.Error()}
	}
	opts := replay.LiveOptions{To: addr, Pace: pace, Wait: wait, Out: stdout, M3UA: m3uaMode}
	if from != "" {
		for _, s := range strings.Split(from, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return usageError{fmt.Sprintf("--from %q: %v", from, err)}
			}
			opts.From = append(opts.From, a)
		}
	}
	if cfgPath != "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return err
		}
		opts.Home = network.New(cfg)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, f := range files {
		if _, err := replay.Live(ctx, f, opts); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}
