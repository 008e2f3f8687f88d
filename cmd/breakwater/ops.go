package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"breakwater/firewall/admin"
	"breakwater/firewall/config"
)

// The verbs below act on a running instance through its admin API: the
// configuration file (-c) tells where it listens and which token it
// requires.

// adminClient calls a running instance's admin API.
type adminClient struct {
	base  string
	token string
	http  *http.Client
}

func newAdminClient(cfgPath string) (*adminClient, error) {
	if cfgPath == "" {
		return nil, usageError{"-c CONFIG is required: it names the running instance's admin.listen and admin.token_file"}
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	if !cfg.Admin.Enabled() {
		return nil, fmt.Errorf("%s: admin.listen is off: the running instance has no admin API to talk to (remove the setting, or set it to an address, and restart it)", cfg.Path)
	}
	c := &adminClient{base: "http://" + cfg.Admin.Listen.Value, http: &http.Client{Timeout: 10 * time.Second}}
	if p := cfg.AdminTokenPath(); p != "" {
		if c.token, err = admin.LoadToken(p); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// do sends a request and decodes the JSON answer into out; an error
// answer becomes the returned error.
func (c *adminClient) do(method, path string, out any) error {
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%v (is breakwater running with this configuration?)", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s", method, path, e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// printJSON writes v indented.
func printJSON(w io.Writer, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	w.Write(b.Bytes())
}

// runStatus is `breakwater status -c CONFIG`.
func runStatus(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", "status -c CONFIG", stderr)
	cfgPath := fs.String("c", "", "configuration `file` of the running instance")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	c, err := newAdminClient(*cfgPath)
	if err != nil {
		return err
	}
	var st map[string]any
	if err := c.do("GET", "/api/v1/status", &st); err != nil {
		return err
	}
	printJSON(stdout, st)
	return nil
}

// runReload is `breakwater reload -c CONFIG`.
func runReload(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reload", "reload -c CONFIG", stderr)
	cfgPath := fs.String("c", "", "configuration `file` of the running instance")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	c, err := newAdminClient(*cfgPath)
	if err != nil {
		return err
	}
	var res struct{ Policy string }
	if err := c.do("POST", "/api/v1/reload", &res); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "policy in force:", res.Policy)
	return nil
}

// runQuarantine is `breakwater quarantine -c CONFIG PARTNER [--for 1h]
// [--reason TEXT] | --lift PARTNER | --list`.
func runQuarantine(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("quarantine", "quarantine -c CONFIG PARTNER [--for DURATION] [--reason TEXT] | --lift PARTNER | --list", stderr)
	cfgPath := fs.String("c", "", "configuration `file` of the running instance")
	dur := fs.Duration("for", 0, "lift automatically after this `duration` (default: until lifted)")
	reason := fs.String("reason", "", "why, for the audit trail")
	lift := fs.Bool("lift", false, "lift the partner's quarantine")
	list := fs.Bool("list", false, "list quarantined partners")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	c, err := newAdminClient(*cfgPath)
	if err != nil {
		return err
	}
	if *list {
		var es []admin.QuarantineEntry
		if err := c.do("GET", "/api/v1/quarantine", &es); err != nil {
			return err
		}
		printJSON(stdout, es)
		return nil
	}
	if len(pos) != 1 {
		return usageError{"name one partner (as in the configuration's partners[].name)"}
	}
	path := "/api/v1/quarantine/" + url.PathEscape(pos[0])
	if *lift {
		if err := c.do("DELETE", path, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "quarantine of %s lifted\n", pos[0])
		return nil
	}
	q := url.Values{}
	if *dur > 0 {
		q.Set("for", dur.String())
	}
	if *reason != "" {
		q.Set("reason", *reason)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var e admin.QuarantineEntry
	if err := c.do("POST", path, &e); err != nil {
		return err
	}
	until := "until lifted"
	if !e.Until.IsZero() {
		until = "until " + e.Until.Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "%s quarantined %s (%s)\n", e.Partner, until, e.Reason)
	return nil
}
