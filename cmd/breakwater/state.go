package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"breakwater/firewall/cluster"
	"breakwater/firewall/config"
	"breakwater/firewall/engine"
	"breakwater/firewall/state"
)

// nodeState is the engine's store as the configuration asks: this node's
// memory, optionally restored from and saved to a snapshot file, and, with
// state.backend redis, shared with the other nodes.
type nodeState struct {
	mem      *state.Memory
	node     *cluster.Node // nil: memory backend
	snapshot string        // "": no snapshot file
	log      *slog.Logger
	stop     context.CancelFunc
	done     chan struct{}
}

// store is what the engine uses.
func (s *nodeState) store() state.Store {
	if s.node != nil {
		return s.node
	}
	return s.mem
}

func openState(cfg *config.Config, log *slog.Logger) (*nodeState, error) {
	s := &nodeState{mem: engine.NewMemoryState(cfg), snapshot: cfg.SnapshotPath(), log: log, done: make(chan struct{})}
	if s.snapshot != "" {
		n, err := s.mem.LoadSnapshot(s.snapshot, time.Now())
		switch {
		case errors.Is(err, state.ErrNoSnapshot):
			log.Info("state snapshot: none yet; starting empty", "file", s.snapshot)
		case err != nil:
			// Better to filter without history than not at all; said loudly.
			log.Error("state snapshot unusable; starting empty", "err", err.Error())
		default:
			log.Info("state restored from snapshot", "file", s.snapshot, "entries", n)
		}
	}
	if cfg.State.Backend.Value == config.StateRedis {
		r := cfg.State.Redis
		o := cluster.Options{SentinelMaster: r.SentinelMaster, Username: r.Username, DB: r.DB,
			Prefix: r.KeyPrefix, Name: r.Node, Timeout: r.Timeout, Queue: r.Queue,
			LocationTTL: cfg.Velocity.LocationTTL, SessionTTL: cfg.GTPState.SessionTTL,
			MaxLocations: cfg.Velocity.MaxSubscribers, MaxSessions: cfg.GTPState.MaxSessions, Log: log}
		for _, a := range r.Addrs {
			o.Addrs = append(o.Addrs, a.Value)
		}
		if p := cfg.RedisPasswordPath(); p != "" {
			pw, err := readSecret(p)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: state.redis.password_file: %w", cfg.Path, cfg.State.Backend.Line, err)
			}
			o.Password = pw
		}
		if ca, cert, key := cfg.RedisTLSPaths(); ca != "" {
			tc, err := redisTLS(ca, cert, key, r.TLS.ServerName)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: state.redis.tls: %w", cfg.Path, cfg.State.Backend.Line, err)
			}
			o.TLS = tc
		}
		node, err := cluster.New(o, s.mem)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: state: %w", cfg.Path, cfg.State.Backend.Line, err)
		}
		s.node = node
		node.Start()
		log.Info("state shared through Redis", "node", node.Name(), "addrs", o.Addrs, "key_prefix", o.Prefix)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go s.saveEvery(ctx, cfg.State.SnapshotEvery)
	return s, nil
}

// saveEvery writes the snapshot periodically (no-op without a file).
func (s *nodeState) saveEvery(ctx context.Context, every time.Duration) {
	defer close(s.done)
	if s.snapshot == "" {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.save()
		}
	}
}

func (s *nodeState) save() {
	if s.snapshot == "" {
		return
	}
	start := time.Now()
	n, err := s.mem.SaveSnapshot(s.snapshot, start)
	if err != nil {
		s.log.Error("state snapshot not written; the previous one stays", "err", err.Error())
		return
	}
	s.log.Debug("state snapshot written", "file", s.snapshot, "entries", n, "took", time.Since(start).String())
}

// close stops the cluster link (after writing what is queued) and writes
// a last snapshot.
func (s *nodeState) close() {
	s.stop()
	<-s.done
	if s.node != nil {
		s.node.Close()
	}
	s.save()
}

// readSecret reads the first line of a secret file.
func readSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if sc.Scan() {
		if pw := strings.TrimSpace(sc.Text()); pw != "" {
			return pw, nil
		}
	}
	return "", fmt.Errorf("%s is empty: put the password on its first line", path)
}

// collectors are the state's metric sources for /metrics.
func (s *nodeState) collectors() []prometheus.Collector {
	if s.node != nil {
		return []prometheus.Collector{s.node}
	}
	return nil
}

// stateStatus is the state backend in `breakwater status`.
type stateStatus struct {
	Backend  string            `json:"backend"`
	Snapshot string            `json:"snapshot_file,omitempty"`
	Node     string            `json:"node,omitempty"`
	RedisUp  *bool             `json:"redis_up,omitempty"`
	Peers    map[string]string `json:"peers,omitempty"` // node → rule-set version
}

func (s *nodeState) status() any {
	st := stateStatus{Backend: config.StateMemory, Snapshot: s.snapshot}
	if n := s.node; n != nil {
		up := n.Up()
		st.Backend, st.Node, st.RedisUp, st.Peers = config.StateRedis, n.Name(), &up, n.Peers()
	}
	return st
}

// redisTLS builds the client side of TLS to Redis: its certificate must
// chain to the CAs in caFile; certFile and keyFile, when given, are this
// node's certificate.
func redisTLS(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	c := &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
