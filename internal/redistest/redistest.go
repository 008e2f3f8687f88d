// Package redistest runs a real redis-server (Debian's redis-server
// package) for tests: on a loopback port of its own, without
// persistence, killed as a crash would be and restarted empty.
package redistest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	tls  *tls.Config // the readiness check's client side, for a TLS server
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
	args []string
}

// Start starts a redis-server for the test (extra: further flags), or
// skips as lookBin says.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	return startServer(t, nil, func(port int) []string { return append([]string{"--port", fmt.Sprint(port)}, extra...) })
}

// lookBin finds a Redis program of Debian package pkg, or skips the test
// when it is missing (outside CI: `make deps` installs it); CI has it and
// fails instead of skipping.
func lookBin(t testing.TB, name, pkg string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing in CI: install the %s package (make deps)", name, pkg)
		}
		t.Skipf("%s not installed (apt-get install %s, or make deps)", name, pkg)
	}
	return bin
}

// startServer runs redis-server on a free loopback port without
// persistence; listen gives the flags that open the port (plain or TLS)
// and any others. tlsc is the readiness check's TLS client side (nil:
// plain).
func startServer(t testing.TB, tlsc *tls.Config, listen func(port int) []string) *Server {
	t.Helper()
	bin := lookBin(t, "redis-server", "redis-server")
	r := &Server{t: t, dir: t.TempDir(), tls: tlsc}
	r.port = freePort(t)
	r.args = append([]string{bin, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--protected-mode", "no", "--loglevel", "warning", "--logfile", "redis.log"}, listen(r.port)...)
	t.Cleanup(r.Stop) // also when start fails: the process is killed
	r.start()
	return r
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (r *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

func (r *Server) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.args[0], r.args[1:]...)
	r.cmd.Dir = r.dir // its log: redis.log there
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", r.Addr(), time.Second)
		if err == nil && r.tls != nil {
			tc := tls.Client(c, r.tls)
			tc.SetDeadline(time.Now().Add(time.Second))
			if err = tc.Handshake(); err != nil {
				c.Close()
			}
			c = tc
		}
		if err == nil {
			fmt.Fprintf(c, "PING\r\n")
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") { // up (a password may be required)
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on %s did not answer within 10 s", r.Addr())
}

// Stop kills the server (as a crash would: no save, connections reset).
func (r *Server) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// Restart starts a fresh, empty server on the same port.
func (r *Server) Restart() {
	r.Stop()
	os.RemoveAll(filepath.Join(r.dir, "dump.rdb"))
	r.start()
}

// TLSFiles are a test PKI: a CA, and a server certificate for
// 127.0.0.1 signed by it (PEM files in a temporary directory).
type TLSFiles struct{ CA, Cert, Key string }

// NewTLSFiles writes a fresh CA and server certificate for 127.0.0.1.
func NewTLSFiles(t testing.TB) TLSFiles {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "breakwater test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "redis"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"redis.test"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	f := TLSFiles{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
	write := func(path, typ string, b []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(f.CA, "CERTIFICATE", caDER)
	write(f.Cert, "CERTIFICATE", der)
	write(f.Key, "EC PRIVATE KEY", keyDER)
	return f
}

// StartTLS starts a redis-server that speaks only TLS (with f's server
// certificate; clients need not present one).
func StartTLS(t testing.TB, f TLSFiles) *Server {
	t.Helper()
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(f.CA)
	pool.AppendCertsFromPEM(caPEM)
	return startServer(t, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, func(port int) []string {
		return []string{"--port", "0", "--tls-port", fmt.Sprint(port),
			"--tls-cert-file", f.Cert, "--tls-key-file", f.Key, "--tls-ca-cert-file", f.CA, "--tls-auth-clients", "no"}
	})
}

// StartSentinel starts a redis-sentinel watching master under the name
// masterName (quorum 1).
func StartSentinel(t testing.TB, master *Server, masterName string) *Server {
	t.Helper()
	bin := lookBin(t, "redis-sentinel", "redis-sentinel")
	r := &Server{t: t, dir: t.TempDir()}
	r.port = freePort(t)
	conf := filepath.Join(r.dir, "sentinel.conf") // sentinel rewrites it: must be writable
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\nlogfile sentinel.log\n"+
		"sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\n",
		r.port, r.dir, masterName, master.port, masterName, masterName)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r.args = []string{bin, conf}
	t.Cleanup(r.Stop) // also when start fails: the process is killed
	r.start()
	return r
}

// StartCluster starts n redis-server nodes in cluster mode, joins them
// into one Redis Cluster of n masters (redis-cli --cluster create) and
// waits until the cluster serves every slot.
func StartCluster(t testing.TB, n int) []*Server {
	t.Helper()
	cli := lookBin(t, "redis-cli", "redis-tools")
	nodes := make([]*Server, n)
	create := []string{"--cluster", "create"}
	for i := range nodes {
		nodes[i] = Start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		create = append(create, nodes[i].Addr())
	}
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, create...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, s := range nodes {
			out, _ := exec.Command(cli, "-p", fmt.Sprint(s.port), "cluster", "info").Output()
			if !strings.Contains(string(out), "cluster_state:ok") {
				ok = false
			}
		}
		if ok {
			return nodes
		}
		if time.Now().After(deadline) {
			t.Fatal("the Redis Cluster did not reach cluster_state:ok within 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Port is the server's port, as a string (for --replicaof).
func (r *Server) Port() string { return fmt.Sprint(r.port) }

// Info returns one field of the server's INFO, or "" when it cannot be
// read.
func (r *Server) Info(field string) string {
	c, err := net.DialTimeout("tcp", r.Addr(), time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "INFO\r\n")
	rd := bufio.NewReader(c)
	head, err := rd.ReadString('\n') // $<length>
	if err != nil || !strings.HasPrefix(head, "$") {
		return ""
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return ""
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
}
