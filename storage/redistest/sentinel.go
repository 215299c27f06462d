package redistest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// StartSentinel starts a Redis Sentinel of t's own that watches master (a server of t's own, from
// StartOwn) under name, and returns the sentinel as a REDIS_URL: with REDIS_SENTINEL_MASTER=name,
// what a deployment on Sentinel configures. It stops when t ends.
func StartSentinel(t testing.TB, master *Server, name string) string {
	t.Helper()
	if master.shared != "" {
		t.Skip("a sentinel watches a redis-server of the test's own; " + master.shared + " shares one among the tests")
	}
	host, port, _ := net.SplitHostPort(master.addr)
	s := &Server{t: t, bin: master.bin, dir: t.TempDir(), args: []string{"--sentinel"}}
	// Sentinel rewrites its configuration file as it learns: one of its own, in its directory.
	s.conf = filepath.Join(s.dir, "sentinel.conf")
	if err := os.WriteFile(s.conf, []byte(fmt.Sprintf("sentinel monitor %s %s %s 1\n", name, host, port)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("redis-sentinel %s log:\n%s", s.addr, s.log.String())
		}
	})
	for range 5 { // another process may take the free port before the sentinel binds it
		p, err := freePort()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		if err = s.start(); err == nil {
			return "redis://" + s.addr
		}
		t.Logf("start redis-sentinel on %s: %v", s.addr, err)
	}
	t.Fatalf("could not start redis-sentinel; its log:\n%s", s.log.String())
	return ""
}
