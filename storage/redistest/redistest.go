// Package redistest gives a test a real Redis: a redis-server of its own on a free loopback port,
// the server named by RAPPORT_TEST_REDIS_URL, or with RAPPORT_TEST_REDIS_CLUSTER=1 a Redis Cluster of
// three masters shared by the test binary (cluster.go), and a key prefix of its own so that tests
// sharing a server never see each other's keys.
package redistest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport/storage/internal/redisurl"
)

// EnvURL names an existing Redis to use instead of starting one. It is never flushed: tests
// isolate themselves by prefix.
const EnvURL = "RAPPORT_TEST_REDIS_URL"

// startTimeout bounds how long a starting redis-server may take to answer PING.
const startTimeout = 10 * time.Second

// Server is a Redis for one test.
type Server struct {
	t      testing.TB
	shared string // the variable that shares this server among tests (EnvURL, EnvCluster); "": the test's own
	url    string
	addr   string

	bin, dir string
	conf     string   // a configuration file, given first (a sentinel's); "": none
	args     []string // redis-server's options after ours
	log      lockedBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start returns a Redis for t: the test binary's cluster under RAPPORT_TEST_REDIS_CLUSTER=1,
// RAPPORT_TEST_REDIS_URL's server (one server or a cluster, as REDIS_URL writes them), or a
// redis-server started on a free port (never 6379) and stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if onCluster() {
		if os.Getenv(EnvURL) != "" {
			t.Fatalf("set %s or %s=1, not both", EnvURL, EnvCluster)
		}
		return startShared(t)
	}
	if u := os.Getenv(EnvURL); u != "" {
		c, err := redisurl.Parse(u, "")
		if err != nil {
			t.Fatalf("%s: %v", EnvURL, err)
		}
		return &Server{t: t, shared: EnvURL, url: u, addr: c.Addr()}
	}
	return startOwn(t, nil)
}

// StartOwn returns a redis-server of t's own, started with args after the usual options (e.g.
// "--maxmemory-policy", "allkeys-lru"), for a test that configures its Redis. Under
// RAPPORT_TEST_REDIS_URL or RAPPORT_TEST_REDIS_CLUSTER the test is skipped: that Redis is shared.
func StartOwn(t testing.TB, args ...string) *Server {
	t.Helper()
	if v := sharedBy(); v != "" {
		t.Skip("needs a redis-server of the test's own, configured by the test; " + v + " shares one among the tests")
	}
	return startOwn(t, args)
}

// sharedBy names the variable under which every test shares one Redis, or "".
func sharedBy() string {
	switch {
	case onCluster():
		return EnvCluster
	case os.Getenv(EnvURL) != "":
		return EnvURL
	}
	return ""
}

func startOwn(t testing.TB, args []string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not on PATH: install it (apt-get install redis-server) or set RAPPORT_TEST_REDIS_URL")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), args: args}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("redis-server %s log:\n%s", s.addr, s.log.String())
		}
	})
	// Another process may take the free port between our probe and redis-server's bind: try again.
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.url = "redis://" + s.addr + "/0"
		if err = s.start(); err == nil {
			return s
		}
		t.Logf("start redis-server on %s: %v", s.addr, err)
	}
	t.Fatalf("could not start redis-server; its log:\n%s", s.log.String())
	return nil
}

// Own reports whether the server is the test's own (started for it), not a shared one
// (RAPPORT_TEST_REDIS_URL's, the cluster): only its own may be reconfigured (WatchSlow) or stopped.
func (s *Server) Own() bool { return s.shared == "" }

// Addr is the server's host:port (a cluster's: its first node's).
func (s *Server) Addr() string { return s.addr }

// URL is the server as a REDIS_URL (a cluster's lists its nodes as addr= parameters).
func (s *Server) URL() string { return s.url }

// Client returns a client of the server made as storage.Open makes one (a *redis.ClusterClient for a
// cluster), closed when t ends.
func (s *Server) Client(t testing.TB) redis.UniversalClient { return client(t, s.url) }

func client(t testing.TB, url string) redis.UniversalClient {
	t.Helper()
	// storage.Open's own client (storage/internal/redisurl: this package cannot import storage,
	// whose own tests import this one), so that tests see production's timeouts and retries.
	c, err := redisurl.Open(url, "")
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix no other test uses, shaped like storage's default ("rt<random>:rapport:v1").
func (s *Server) Prefix(t testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random prefix: %v", err)
	}
	return "rt" + hex.EncodeToString(b) + ":rapport:v1"
}

// Stop kills the server and waits for it to exit, for tests of what happens when Redis goes away.
// A test on a shared Redis (RAPPORT_TEST_REDIS_URL's, the cluster) is skipped: that one is not the
// test's to stop. Like Restart, call it from the goroutine of the test that called Start.
func (s *Server) Stop() {
	s.t.Helper()
	if s.shared != "" {
		s.t.Skip("stopping Redis needs a redis-server of the test's own; " + s.shared + " shares one among the tests")
	}
	s.stop()
}

// Restart starts the stopped server again on the same port and waits until it answers. Its data is
// gone (no persistence), as after a crash of a Redis without AOF.
func (s *Server) Restart() {
	s.t.Helper()
	if s.shared != "" {
		s.t.Skip("restarting Redis needs a redis-server of the test's own; " + s.shared + " shares one among the tests")
	}
	s.stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart redis-server on %s: %v\n%s", s.addr, err, s.log.String())
	}
}

func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.addr)
	var args []string
	if s.conf != "" {
		args = append(args, s.conf)
	}
	args = append(args, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	cmd := exec.Command(s.bin, append(args, s.args...)...)
	cmd.Stdout, cmd.Stderr = &s.log, &s.log
	cmd.SysProcAttr = dieWithParent() // no redis-server outlives a test binary killed by its timeout
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }() // reaped by stop, which waits on done
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := waitReady(s.addr, done); err != nil {
		s.stop()
		return err
	}
	return nil
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
}

// waitReady polls PING until the server answers, it exits, or startTimeout passes.
func waitReady(addr string, exited <-chan struct{}) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("redis-server exited before answering")
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to PING within %v: %w", startTimeout, err)
		}
	}
}

// freePort asks the kernel for a free loopback port, skipping Redis's default.
func freePort() (int, error) {
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if port != 6379 {
			return port, nil
		}
	}
}

// lockedBuffer collects the server's output, written by exec's copying goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
