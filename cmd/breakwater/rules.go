package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"breakwater/firewall/baseline"
	"breakwater/firewall/config"
	"breakwater/firewall/rules"
)

func runRules(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"rules check FILE | rules list [-c CONFIG] [--rules FILE] | rules vars"}
	}
	switch args[0] {
	case "check":
		return rulesCheck(args[1:], stdout, stderr)
	case "list":
		return rulesList(args[1:], stdout, stderr)
	case "vars":
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tTYPE\tMEANING")
		for _, v := range rules.Variables() {
			fmt.Fprintf(w, "%s\t%s\t%s\n", v.Name, v.Type, v.Doc)
		}
		return w.Flush()
	}
	return usageError{fmt.Sprintf("unknown rules command %q: use check, list or vars", args[0])}
}

func rulesCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rules check", "rules check FILE...", stderr)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"name the rule file(s) to check"}
	}
	failed := false
	for _, f := range files {
		set, err := rules.Load(f, baseline.Rules())
		if err != nil {
			fmt.Fprintln(stderr, err)
			failed = true
			continue
		}
		custom := 0
		for _, r := range set.Rules {
			if r.Tier == rules.TierCustom {
				custom++
			}
		}
		fmt.Fprintf(stdout, "%s: ok (%d rules of its own, %d baseline rules disabled, version %s)\n", f, custom, len(set.Disabled), set.Version)
	}
	if failed {
		return fmt.Errorf("rule file(s) invalid")
	}
	return nil
}

func rulesList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rules list", "rules list [-c CONFIG] [--rules FILE]", stderr)
	cfgPath := fs.String("c", "", "configuration `file` whose rule file to list")
	rulesPath := fs.String("rules", "", "rule `file` to list (default: the configuration's, else the baseline alone)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	path := *rulesPath
	if path == "" && *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		path = cfg.RulesPath()
	}
	set, err := rules.Load(path, baseline.Rules())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rule set %s (evaluated top to bottom; the first allow/drop/reject decides)\n\n", set.Version)
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tCAT\tACTION\tPROTOCOLS\tFROM\tORIGIN\tDESCRIPTION")
	line := func(r *rules.Rule, action string) {
		protos := "all"
		if len(r.Protocols) > 0 {
			var ps []string
			for _, p := range r.Protocols {
				ps = append(ps, p.String())
			}
			protos = strings.Join(ps, ",")
		}
		desc := r.Description
		if desc == "" {
			desc = r.Expr
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Category, action, protos, r.From, r.Origin, desc)
	}
	for _, r := range set.Rules {
		act := r.Action.String()
		if r.Action == rules.Reject && r.ResultCode != 0 {
			act = fmt.Sprintf("reject(%d)", r.ResultCode)
		}
		line(r, act)
	}
	line(rules.DefaultRule, "allow")
	for _, r := range set.Disabled {
		line(r, "disabled")
	}
	return w.Flush()
}

func runConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{"config check -c FILE"}
	}
	fs := newFlagSet("config check", "config check -c FILE", stderr)
	cfgPath := fs.String("c", "", "configuration `file`")
	if _, err := parseInterspersed(fs, args[1:]); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageError{"-c FILE is required"}
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if p := cfg.RulesPath(); p != "" {
		if _, err := rules.Load(p, baseline.Rules()); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s: ok (home with %d PLMN(s), %d partner(s))\n", cfg.Path, len(cfg.Home.PLMNs), len(cfg.Partners))
	return nil
}
