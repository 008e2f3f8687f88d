package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"breakwater/firewall/admin"
	"breakwater/firewall/audit"
	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/firewall/partnerstats"
	"breakwater/firewall/prefilter"
	"breakwater/firewall/proxy"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/quarantine"
	"breakwater/firewall/ratelimit"
	"breakwater/firewall/reload"
	"breakwater/firewall/rules"
	"breakwater/internal/cpuprofile"
	"breakwater/protocols/view"
)

// runInline is `breakwater run`: the inline firewall.
func runInline(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "run -c CONFIG [--log-format text|json] [--log-level debug|info|warn|error]", stderr)
	cfgPath := fs.String("c", "", "configuration `file` (required)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to `file` (for performance work)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageError{"-c CONFIG is required"}
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	stopProfile, err := cpuprofile.Start(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return serve(ctx, *cfgPath, log, nil, hup)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("unknown log level %q: use debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("unknown log format %q: use text or json", format)
}

// running is what serve started, for tests to find bound addresses.
type running struct {
	relays []*proxy.DiameterRelay
	gtp    []*proxy.GTPRelay
	m3ua   []*proxy.M3UARelay
	admin  *admin.Server
	// limiter applies partners' rate_limit in user space (nil: none, or
	// the XDP pre-filter does).
	limiter    *ratelimit.Limiter
	prefilter  *prefilter.Prefilter // nil: not attached
	quarantine *quarantine.Set
	audit      *audit.Log // nil: no audit log
	partners   *partnerstats.Stats
	latency    *partnerstats.Latencies
	eng        *engine.Engine
	state      *nodeState
	reloads    reload.Stats
	reloadMu   sync.Mutex
}

// userSpaceRateSources is how many partner source addresses the
// user-space rate limiter tracks at once (least recently seen forgotten).
const userSpaceRateSources = 1 << 16

// serve starts every configured relay and the admin endpoint, runs until
// ctx ends, then shuts down gracefully within shutdown_timeout.
//
// Each value on reload (SIGHUP) re-reads the configuration and rule file
// and, when valid, puts the new policy in force between two messages and
// recompiles the XDP pre-filter's tables; relay listeners and upstreams
// stay as started.
func serve(ctx context.Context, cfgPath string, log *slog.Logger, started chan<- *running, reload <-chan os.Signal) error {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	policy, err := engine.NewPolicy(cfg, "")
	if err != nil {
		return err
	}
	if len(cfg.Diameter) == 0 && len(cfg.GTP) == 0 && len(cfg.M3UA) == 0 {
		return fmt.Errorf("%s: no relays configured: add a diameter:, gtp: or m3ua: section (see README, \"Running inline\")", cfg.Path)
	}
	st, err := openState(cfg, log)
	if err != nil {
		return err
	}
	defer st.close()
	eng := engine.New(policy, st.store())
	rn := &running{eng: eng, state: st, partners: partnerstats.New(), latency: partnerstats.NewLatencies()}
	// Partner quarantine: kept across restarts, applied by the relays
	// (and by the XDP pre-filter when it runs).
	qs, err := quarantine.New(quarantine.Config{StateFile: cfg.QuarantineStatePath(), Threshold: cfg.Quarantine.Threshold,
		Window: cfg.Quarantine.Window, Duration: cfg.Quarantine.Duration, Log: log})
	if err != nil {
		return fmt.Errorf("%s: quarantine: %w", cfg.Path, err)
	}
	defer qs.Close()
	rn.quarantine = qs
	if st.node != nil {
		st.node.SetPolicyVersion(policy.Rules.Version)
		st.node.ShareQuarantine(qs)
	}
	qctx, qstop := context.WithCancel(context.Background())
	defer qstop()
	go qs.Run(qctx, quarantine.DefaultExpireEvery)
	if cfg.Audit.Path != "" {
		al, err := openAudit(cfg, log)
		if err != nil {
			return err
		}
		defer al.Close()
		rn.audit = al
	}
	observe := rn.observer()
	// The XDP pre-filter when configured and possible; otherwise its
	// checks stay in user space (unknown sources are refused by the
	// relays, GTP-C types by the engine, rate limits below).
	prefilterMode := "user space (XDP not configured)"
	if cfg.XDP.Enabled() {
		pf, unavailable, err := prefilter.Start(cfg, policy, quarantinedNames(qs), log)
		switch {
		case err != nil:
			return err
		case unavailable != nil:
			prefilterMode = "user space (XDP unavailable)"
			log.Info("XDP pre-filter unavailable; the same checks run in user space", "why", unavailable.Error())
		default:
			rn.prefilter = pf
			defer pf.Close()
			prefilterMode = "xdp"
			for _, a := range pf.Attached() {
				log.Info("XDP pre-filter attached", "interface", a.Interface, "mode", a.Mode)
			}
		}
	}
	// Partners' rate limits: in the kernel when the XDP pre-filter runs,
	// else in the relays.
	// Always without the pre-filter, so that a rate_limit a reload adds
	// applies too (it costs nothing for partners without one).
	if rn.prefilter == nil {
		rn.limiter = ratelimit.New(userSpaceRateSources)
		if st.node != nil {
			st.node.ShareRateLimits(rn.limiter)
		}
	}
	var startErr error
	for _, d := range cfg.Diameter {
		rc := relayConfig(cfg, d)
		rc.Limiter, rc.Observe, rc.Quarantined = rn.limiter, observe, qs.Quarantined
		r := proxy.NewDiameterRelay(rc, eng, log)
		if err := r.Start(); err != nil {
			startErr = fmt.Errorf("%s:%d: relay %q: %w", cfg.Path, d.Listen.Line, d.Name.Value, err)
			break
		}
		rn.relays = append(rn.relays, r)
	}
	for _, g := range cfg.GTP {
		if startErr != nil {
			break
		}
		gc := gtpConfig(cfg, g)
		gc.Limiter, gc.Observe, gc.Quarantined = rn.limiter, observe, qs.Quarantined
		r := proxy.NewGTPRelay(gc, eng, log)
		if err := r.Start(); err != nil {
			startErr = fmt.Errorf("%s:%d: relay %q: %w", cfg.Path, g.Listen.Line, g.Name.Value, err)
			break
		}
		rn.gtp = append(rn.gtp, r)
	}
	for _, m := range cfg.M3UA {
		if startErr != nil {
			break
		}
		mc := m3uaConfig(cfg, m)
		mc.Limiter, mc.Observe, mc.Quarantined = rn.limiter, observe, qs.Quarantined
		r := proxy.NewM3UARelay(mc, eng, log)
		if err := r.Start(); err != nil {
			startErr = fmt.Errorf("%s:%d: relay %q: %w", cfg.Path, m.Listen.Line, m.Name.Value, err)
			break
		}
		rn.m3ua = append(rn.m3ua, r)
	}
	if startErr == nil && cfg.Admin.Enabled() {
		pre := admin.Prefilter{Limiter: rn.limiter}
		if pf := rn.prefilter; pf != nil {
			pre.XDP = pf.Counters
			for _, a := range pf.Attached() {
				pre.Attached = append(pre.Attached, admin.Attachment{Interface: a.Interface, Mode: a.Mode})
			}
		}
		api := &admin.API{Reloads: &rn.reloads, Started: time.Now(), Quarantine: quarantineAPI{qs},
			Reload: func() (string, error) { return rn.reloadNow(cfgPath, eng, log, "admin API") }, State: st.status}
		if p := cfg.AdminTokenPath(); p != "" {
			if api.Token, err = admin.LoadToken(p); err != nil {
				startErr = fmt.Errorf("%s:%d: admin.token_file: %w", cfg.Path, cfg.Admin.Listen.Line, err)
			}
		}
		rn.admin = admin.New(admin.Options{Listen: cfg.Admin.Listen.Value, Version: version, Engine: eng,
			Relays: rn.relays, GTPRelays: rn.gtp, M3UARelays: rn.m3ua, Log: log, Prefilter: pre, API: api,
			Audit: rn.audit, Quarantine: qs, Partners: rn.partners, Latency: rn.latency, Collectors: st.collectors()})
		if startErr == nil {
			if err := rn.admin.Start(); err != nil {
				startErr = err
			}
		}
	}
	if startErr == nil {
		// A partner quarantined from now on loses its associations at
		// once (new ones are refused at accept) and, with XDP, every
		// packet in the kernel.
		qs.OnChange(func(added, removed []string) {
			if len(added) > 0 {
				for _, r := range rn.relays {
					r.CloseQuarantined()
				}
				for _, r := range rn.m3ua {
					r.CloseQuarantined()
				}
			}
			if rn.prefilter != nil {
				if err := rn.prefilter.SetQuarantined(quarantinedNames(qs)); err != nil {
					log.Error("XDP quarantine set not updated; user space still drops the partner", "err", err.Error())
				}
			}
		})
		log.Info("breakwater running", "version", version, "policy", policy.Version(),
			"diameter_relays", len(rn.relays), "gtp_relays", len(rn.gtp), "m3ua_relays", len(rn.m3ua), "partners", len(cfg.Partners), "prefilter", prefilterMode)
		if started != nil {
			started <- rn
		}
		rn.serveReloads(ctx, cfgPath, eng, log, reload)
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for _, r := range rn.relays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Shutdown(sctx); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}()
	}
	for _, r := range rn.m3ua {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Shutdown(sctx); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}()
	}
	for _, r := range rn.gtp {
		if err := r.Shutdown(sctx); err != nil {
			mu.Lock() // the relays above shut down concurrently
			errs = append(errs, err.Error())
			mu.Unlock()
		}
	}
	wg.Wait()
	if rn.admin != nil {
		rn.admin.Shutdown(sctx)
	}
	if startErr != nil {
		return startErr
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	log.Info("stopped")
	return nil
}

// serveReloads waits for ctx to end, reloading the policy on each reload
// signal and each change to the configuration or rule file. An invalid
// configuration or rule file keeps the running policy and logs where it
// is wrong.
func (rn *running) serveReloads(ctx context.Context, cfgPath string, eng *engine.Engine, log *slog.Logger, signals <-chan os.Signal) {
	changed := make(chan struct{}, 1)
	watching := func(rulesPath string) context.CancelFunc {
		wctx, cancel := context.WithCancel(ctx)
		w, err := reload.New([]string{cfgPath, rulesPath}, 0)
		if err != nil {
			log.Warn("configuration files not watched; reload with SIGHUP", "err", err.Error())
			return cancel
		}
		go w.Run(wctx, func() {
			select {
			case changed <- struct{}{}:
			default: // one pending reload reads the latest files anyway
			}
		}, func(err error) { log.Warn("watching the configuration files", "err", err.Error()) })
		return cancel
	}
	rulesPath := eng.Policy().Config.RulesPath()
	stopWatch := watching(rulesPath)
	defer func() { stopWatch() }()
	for {
		why := "SIGHUP"
		select {
		case <-ctx.Done():
			return
		case <-signals:
		case <-changed:
			why = "file changed"
		}
		if _, err := rn.reloadNow(cfgPath, eng, log, why); err != nil {
			continue
		}
		cfg := eng.Policy().Config
		if np := cfg.RulesPath(); np != rulesPath { // the configuration now names another rule file
			stopWatch()
			rulesPath = np
			stopWatch = watching(rulesPath)
		}
	}
}

// reloadNow re-reads the configuration and rule files and puts them in
// force when valid; it returns the version in force afterwards. Reloads
// (signal, file watch, admin API) run one at a time.
func (rn *running) reloadNow(cfgPath string, eng *engine.Engine, log *slog.Logger, why string) (string, error) {
	rn.reloadMu.Lock()
	defer rn.reloadMu.Unlock()
	cfg, err := config.Load(cfgPath)
	var p *engine.Policy
	if err == nil {
		p, err = engine.NewPolicy(cfg, "")
	}
	if err != nil {
		rn.reloads.Fail(err, time.Now())
		log.Error("reload refused; the running policy stays in force", "trigger", why, "err", err.Error())
		return eng.Policy().Version(), err
	}
	if p.Version() == eng.Policy().Version() {
		return p.Version(), nil // an editor's save that changed nothing
	}
	eng.SetPolicy(p)
	rn.reloads.Succeed()
	if rn.state.node != nil {
		rn.state.node.SetPolicyVersion(p.Rules.Version)
	}
	if rn.prefilter != nil {
		if err := rn.prefilter.Update(p); err != nil {
			log.Error("XDP pre-filter tables not updated; the kernel keeps the previous ones", "err", err.Error())
		}
	}
	log.Info("policy reloaded", "trigger", why, "policy", p.Version(), "partners", len(cfg.Partners))
	return p.Version(), nil
}

func gtpConfig(cfg *config.Config, g config.GTPRelay) proxy.GTPConfig {
	c := proxy.GTPConfig{
		Name: g.Name.Value, Listen: g.Listen.Address, Upstream: g.Upstream.Address,
		RejectCauseV2: g.RejectCauseV2, RejectCauseV1: g.RejectCauseV1,
		RequestTimeout: g.RequestTimeout, MaxMessage: cfg.Limits.MaxMessageBytes,
		MaxTunnels: cfg.GTPState.MaxSessions, TunnelIdle: cfg.GTPState.SessionTTL,
	}
	if g.UpstreamSource.Set {
		c.UpstreamSource = g.UpstreamSource.Address
	}
	return c
}

func relayConfig(cfg *config.Config, d config.DiameterRelay) proxy.Config {
	c := proxy.Config{
		Name:             d.Name.Value,
		Listen:           d.Listen.Address,
		Upstream:         d.Upstream.Address,
		Streams:          uint16(d.Streams),
		ConnectTimeout:   d.ConnectTimeout,
		WriteTimeout:     d.WriteTimeout,
		MaxMessage:       cfg.Limits.MaxMessageBytes,
		RejectResultCode: d.RejectResultCode,
		OriginHost:       d.OriginHost,
		OriginRealm:      d.OriginRealm,
	}
	if d.UpstreamSource.Set {
		c.UpstreamSource = d.UpstreamSource.IPs
	}
	c.ReadTimeout, c.MaxConns, c.MaxConnsPerSource = cfg.Limits.ReadTimeout, cfg.Limits.MaxConnections, cfg.Limits.MaxConnectionsPerSource
	return c
}

func m3uaConfig(cfg *config.Config, m config.M3UARelay) proxy.M3UAConfig {
	mode, _ := proxy.ParseRejectMode(m.RejectWith.Value) // validated by config
	c := proxy.M3UAConfig{
		Name:            m.Name.Value,
		Listen:          m.Listen.Address,
		Upstream:        m.Upstream.Address,
		Streams:         uint16(m.Streams),
		ConnectTimeout:  m.ConnectTimeout,
		WriteTimeout:    m.WriteTimeout,
		MaxMessage:      cfg.Limits.MaxMessageBytes,
		RejectWith:      mode,
		RejectErrorCode: m.RejectErrorCode,
		UDTSCause:       m.UDTSCause,
	}
	if m.UpstreamSource.Set {
		c.UpstreamSource = m.UpstreamSource.IPs
	}
	c.ReadTimeout, c.MaxConns, c.MaxConnsPerSource = cfg.Limits.ReadTimeout, cfg.Limits.MaxConnections, cfg.Limits.MaxConnectionsPerSource
	return c
}

// observer is what the relays tell of every judged message: the
// automatic quarantine counts a partner's blocked probes.
func (rn *running) observer() proxy.Observer {
	return func(relay string, m *view.Message, v engine.Verdict) {
		sender := "unknown"
		if s := v.Sender; s != nil {
			sender = s.Name
			if !s.Home {
				rn.quarantine.ObserveRule(s.Name, v.Rule, v.Action != rules.Allow)
			}
		}
		var kind uint8
		if m.Request {
			kind |= partnerstats.Request
		}
		if m.Flags&view.FlagCAMEL != 0 {
			kind |= partnerstats.CAMEL
		}
		rn.partners.Count(sender, m.Protocol, m.Code, kind, m.Op, v.Action)
		rn.latency.Observe(sender, time.Since(m.Time)) // the relays stamp arrival
		if rn.audit.Wants(&v) {
			rn.audit.Record(m, &v, relay)
		}
	}
}

// openAudit opens the audit log the configuration asks for.
func openAudit(cfg *config.Config, log *slog.Logger) (*audit.Log, error) {
	c := audit.Config{Path: cfg.AuditPath(), All: cfg.Audit.All, ClearIdentities: cfg.Audit.ClearIdentities,
		MaxBytes: cfg.Audit.MaxBytes, Keep: cfg.Audit.Keep, QueueLen: cfg.Audit.Queue, Log: log}
	if !c.ClearIdentities {
		h, err := pseudonym.Load(cfg.PseudonymKeyPath())
		if err != nil {
			return nil, fmt.Errorf("%s: audit log: %w", cfg.Path, err)
		}
		c.Hasher = h
	}
	al, err := audit.Open(c)
	if err != nil {
		return nil, fmt.Errorf("%s: audit.path: %w", cfg.Path, err)
	}
	return al, nil
}

func quarantinedNames(qs *quarantine.Set) []string {
	var names []string
	for _, e := range qs.List() {
		names = append(names, e.Partner)
	}
	return names
}

// quarantineAPI serves the quarantine set to the admin API.
type quarantineAPI struct{ s *quarantine.Set }

func (q quarantineAPI) Quarantine(partner string, until time.Time, reason string) error {
	return q.s.Quarantine(partner, until, reason)
}

func (q quarantineAPI) Lift(partner string) error { return q.s.Lift(partner) }

func (q quarantineAPI) List() []admin.QuarantineEntry {
	var out []admin.QuarantineEntry
	for _, e := range q.s.List() {
		out = append(out, admin.QuarantineEntry{Partner: e.Partner, Since: e.Since, Until: e.Until, Reason: e.Reason})
	}
	return out
}
