// Command breakwater is the Breakwater signaling firewall: lab replay of
// captures through the firewall engine, rule-file tooling, and (in later
// releases) the inline proxy.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"run", "run inline: relay and filter signaling per the configuration", runInline},
		{"replay", "judge the signaling messages of pcap/pcapng captures", runReplay},
		{"rules", "check, list and document rules (rules check|list|vars)", runRules},
		{"config", "validate a configuration file (config check -c FILE)", runConfig},
		{"status", "show a running instance's status (status -c CONFIG)", runStatus},
		{"reload", "make a running instance reload its configuration and rules", runReload},
		{"quarantine", "isolate a partner on a running instance, or lift it", runQuarantine},
		{"version", "print the version", func(_ []string, out, _ io.Writer) error {
			fmt.Fprintln(out, "breakwater", version)
			return nil
		}},
	}
}

// usageError makes main print usage and exit with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "breakwater %s: %s\n", c.name, ue.msg)
			return 2
		default:
			fmt.Fprintf(stderr, "breakwater %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "breakwater: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Breakwater %s — signaling firewall for Diameter, GTP-C and SS7 MAP\n\nUsage: breakwater COMMAND [options]\n\nCommands:\n", version)
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, fmt.Sprintf("  %-9s %s", c.name, c.summary))
	}
	sort.Strings(names)
	fmt.Fprintln(w, strings.Join(names, "\n"))
	fmt.Fprintln(w, "\nRun 'breakwater COMMAND -h' for a command's options.")
}

// parseInterspersed parses flags that may appear before, between or after
// positional arguments ("replay -c cfg a.pcap --format jsonl").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: breakwater %s\n\nOptions:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
