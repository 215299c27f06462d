package redistest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport/storage/redistest"
)

// TestMain runs the tests through M, which stops the cluster they share under
// RAPPORT_TEST_REDIS_CLUSTER=1.
func TestMain(m *testing.M) { os.Exit(redistest.M(m).Run()) }

func TestServer(t *testing.T) {
	srv := redistest.Start(t)
	if strings.HasSuffix(srv.Addr(), ":6379") {
		t.Fatalf("Addr() = %s: tests must never use Redis's default port", srv.Addr())
	}
	if !strings.HasPrefix(srv.URL(), "redis://") {
		t.Errorf("URL() = %q, want a redis:// URL", srv.URL())
	}
	p1, p2 := srv.Prefix(t), srv.Prefix(t)
	if p1 == p2 || !strings.HasSuffix(p1, ":rapport:v1") {
		t.Errorf("Prefix() = %q then %q, want two distinct prefixes ending in :rapport:v1", p1, p2)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c := srv.Client(t)
	if err := c.Set(ctx, p1+":k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
}

func TestStopRestart(t *testing.T) {
	srv := redistest.Start(t)
	c, p := srv.Client(t), srv.Prefix(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := c.Set(ctx, p+":k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	srv.Stop()
	pctx, pcancel := context.WithTimeout(ctx, time.Second)
	defer pcancel()
	if err := c.Ping(pctx).Err(); err == nil {
		t.Fatal("PING after Stop succeeded")
	}
	srv.Restart()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	if n, err := c.Exists(ctx, p+":k").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS after Restart = %d, %v; want 0 (no persistence)", n, err)
	}
}

// TestKeys: Keys finds a test's keys wherever they live, on every master of a cluster.
func TestKeys(t *testing.T) {
	srv := redistest.Start(t)
	c, p := srv.Client(t), srv.Prefix(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var want []string
	for i := range 12 { // a dozen teams: on a cluster of three masters, keys on each
		k := fmt.Sprintf("%s:{T%02d}:seq", p, i)
		if err := c.Set(ctx, k, 1, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		want = append(want, k)
	}
	got, err := redistest.Keys(ctx, c, p+":*")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Keys = %v, want %v", got, want)
	}
	if _, cluster := c.(*redis.ClusterClient); cluster != (os.Getenv(redistest.EnvCluster) == "1") {
		t.Errorf("Client is a %T under %s=%q", c, redistest.EnvCluster, os.Getenv(redistest.EnvCluster))
	}
}

// TestServerTime: the time Redis spends in scripts grows by what a script took, wherever it ran.
func TestServerTime(t *testing.T) {
	srv := redistest.Start(t)
	c, p := srv.Client(t), srv.Prefix(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s0, a0, err := redistest.ServerTime(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	spin := redis.NewScript(`local n = 0 for i = 1, 200000 do n = n + i end redis.call('SET', KEYS[1], n) return n`)
	for i := range 3 {
		if err := spin.Run(ctx, c, []string{fmt.Sprintf("%s:{T%d}:spin", p, i)}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s1, a1, err := redistest.ServerTime(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if s1 <= s0 || a1-a0 < s1-s0 {
		t.Errorf("ServerTime went from %d µs (scripts), %d µs (all) to %d, %d; want the scripts' time to grow, within all", s0, a0, s1, a1)
	}
}
