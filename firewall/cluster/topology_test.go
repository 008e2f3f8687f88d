package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"os"
	"testing"
	"time"

	"breakwater/firewall/state"
	"breakwater/internal/redistest"
)

// nodeOn starts a node with the given Redis addresses and sentinel master.
func nodeOn(t testing.TB, name string, addrs []string, master string) *Node {
	t.Helper()
	n, err := New(Options{Addrs: addrs, SentinelMaster: master, Prefix: "bwtest:", Name: name, Timeout: time.Second,
		LocationTTL: time.Hour, SessionTTL: time.Hour, Log: slog.New(slog.DiscardHandler)}, memory())
	if err != nil {
		t.Fatal(err)
	}
	n.Start()
	t.Cleanup(func() { n.Close() })
	waitFor(t, 10*time.Second, name+" to reach Redis", n.Up)
	return n
}

// shares checks that two nodes share locations and quarantines, and that
// a node joining late reads back what was written before it.
func shares(t *testing.T, addrs []string, master string) {
	a := nodeOn(t, "a", addrs, master)
	b := nodeOn(t, "b", addrs, master)
	qa, qb := sharedQuarantine(t, a), sharedQuarantine(t, b)
	now := time.Now()
	for i := uint64(1); i <= 200; i++ { // keys spread over the cluster's slots
		a.SetLocation(i, state.Location{PLMN: uk, Partner: "uk", Time: now})
	}
	waitFor(t, 3*time.Second, "b to learn a's locations", func() bool { _, ok := b.Location(200, now); return ok })
	qa.Quarantine("uk", time.Time{}, "topology test")
	waitFor(t, time.Second, "b to quarantine uk", func() bool { return qb.Quarantined("uk") })
	c := nodeOn(t, "c", addrs, master)
	for i := uint64(1); i <= 200; i++ {
		if _, ok := c.Location(i, now); !ok {
			t.Fatalf("late node lacks location %d: keys not read back from every master", i)
		}
	}
}

func TestSentinel(t *testing.T) {
	master := redistest.Start(t)
	sentinel := redistest.StartSentinel(t, master, "bwmaster")
	shares(t, []string{sentinel.Addr()}, "bwmaster")
}

func TestRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-node Redis Cluster takes seconds to form")
	}
	nodes := redistest.StartCluster(t, 3)
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.Addr())
	}
	shares(t, addrs, "")
}

// TestPassword: a Redis that requires a password is reached with it, and
// refused without (the node then reports Redis down rather than failing).
func TestPassword(t *testing.T) {
	r := redistest.Start(t, "--requirepass", "s3cret-pass")
	n, err := New(Options{Addrs: []string{r.Addr()}, Password: "s3cret-pass", Prefix: "bwtest:", Name: "a",
		LocationTTL: time.Hour, SessionTTL: time.Hour, Log: slog.New(slog.DiscardHandler)}, memory())
	if err != nil {
		t.Fatal(err)
	}
	n.Start()
	defer n.Close()
	waitFor(t, 5*time.Second, "the node to reach Redis with the password", n.Up)

	wrong, err := New(Options{Addrs: []string{r.Addr()}, Password: "wrong", Prefix: "bwtest:", Name: "b",
		Log: slog.New(slog.DiscardHandler)}, memory())
	if err != nil {
		t.Fatal(err)
	}
	wrong.Start()
	defer wrong.Close()
	time.Sleep(600 * time.Millisecond)
	if wrong.Up() || wrong.Stats.Disconnects.Load() == 0 {
		t.Fatal("a wrong password was not reported as Redis unreachable")
	}
}

// TestSentinelFailover: the master dies; the sentinel promotes its
// replica, and the nodes, which know only the sentinel, follow it and
// share state again.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("a sentinel failover takes seconds")
	}
	master := redistest.Start(t)
	replica := redistest.Start(t, "--replicaof", "127.0.0.1", master.Port())
	sentinel := redistest.StartSentinel(t, master, "bwmaster")
	a := nodeOn(t, "a", []string{sentinel.Addr()}, "bwmaster")
	b := nodeOn(t, "b", []string{sentinel.Addr()}, "bwmaster")
	now := time.Now()
	a.SetLocation(1, state.Location{PLMN: uk, Partner: "uk", Time: now})
	waitFor(t, 3*time.Second, "b to learn the first location", func() bool { _, ok := b.Location(1, now); return ok })
	// The sentinel must know the replica before the master dies.
	waitFor(t, 15*time.Second, "the replica to be in sync", func() bool { return replica.Info("master_link_status") == "up" })
	master.Stop()
	waitFor(t, 30*time.Second, "the sentinel to promote the replica", func() bool { return replica.Info("role") == "master" })
	a.SetLocation(2, state.Location{PLMN: uk, Partner: "uk", Time: time.Now()})
	waitFor(t, 15*time.Second, "b to learn a location written after the failover", func() bool {
		_, ok := b.Location(2, time.Now())
		return ok
	})
}

// TestTLS: a Redis that speaks only TLS is reached with its CA (the
// server name defaults to the address's host), not without TLS, and not
// with another CA.
func TestTLS(t *testing.T) {
	f := redistest.NewTLSFiles(t)
	r := redistest.StartTLS(t, f)
	pool := x509.NewCertPool()
	ca, _ := os.ReadFile(f.CA)
	pool.AppendCertsFromPEM(ca)
	start := func(name string, tc *tls.Config) *Node {
		n, err := New(Options{Addrs: []string{r.Addr()}, TLS: tc, Prefix: "bwtest:", Name: name, Timeout: time.Second,
			LocationTTL: time.Hour, SessionTTL: time.Hour, Log: slog.New(slog.DiscardHandler)}, memory())
		if err != nil {
			t.Fatal(err)
		}
		n.Start()
		t.Cleanup(func() { n.Close() })
		return n
	}
	a := start("a", &tls.Config{RootCAs: pool})
	b := start("b", &tls.Config{RootCAs: pool})
	waitFor(t, 5*time.Second, "the nodes to reach Redis over TLS", func() bool { return a.Up() && b.Up() })
	now := time.Now()
	a.SetLocation(9, state.Location{PLMN: uk, Partner: "uk", Time: now})
	waitFor(t, 3*time.Second, "b to learn a location over TLS", func() bool { _, ok := b.Location(9, now); return ok })

	plain := start("plain", nil)
	other := start("other-ca", &tls.Config{RootCAs: x509.NewCertPool()})
	time.Sleep(time.Second)
	if plain.Up() || other.Up() {
		t.Fatalf("reached a TLS-only Redis without TLS (%v) or with a CA that did not sign it (%v)", plain.Up(), other.Up())
	}
}
