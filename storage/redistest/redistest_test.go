package redistest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport/storage/redistest"
)

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
