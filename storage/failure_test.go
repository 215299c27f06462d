package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// TestRedisRestart checks that a dead Redis fails a save promptly (the ack has 3 s in all), and
// that the store works again once Redis is back, with an empty script cache (NOSCRIPT).
func TestRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	rdb, err := storage.Open(srv.URL())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	st := storage.New(rdb, storage.WithPrefix(srv.Prefix(t)))
	putMembers := func() {
		if err := st.PutMembers(ctx(t), team, directory); err != nil {
			t.Fatalf("PutMembers: %v", err)
		}
	}
	save := func(envelope string) (rapport.Referral, error) {
		c, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		r, _, err := st.CreateReferral(c, storage.NewReferral{
			Team: team, EnvelopeID: envelope, Draft: draft(t, "UROB", "pat@prospect.example", ""), Now: now,
		})
		return r, err
	}
	putMembers()
	if _, err := save("env-1"); err != nil {
		t.Fatalf("save before stop: %v", err)
	}

	srv.Stop()
	start := time.Now()
	if _, err := save("env-2"); err == nil {
		t.Fatal("save with Redis stopped succeeded")
	} else if code := rapport.ErrorCode(err); code != rapport.EUNAVAILABLE {
		t.Errorf("save with Redis stopped: error code %s (%v), want %s", code, err, rapport.EUNAVAILABLE)
	} else if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("save with Redis stopped took %v, want it to fail well within its 1 s deadline", took)
	} else {
		t.Logf("save with Redis stopped failed after %v: %v", took, err)
	}
	if err := st.Ping(t.Context()); rapport.ErrorCode(err) != rapport.EUNAVAILABLE {
		t.Errorf("Ping with Redis stopped = %v, want %s", err, rapport.EUNAVAILABLE)
	}

	srv.Restart() // no persistence: the data and the script cache are gone
	putMembers()
	r, err := save("env-3")
	if err != nil {
		t.Fatalf("save after restart: %v", err)
	}
	if r.Number != 1 {
		t.Errorf("first referral after a data-losing restart = %s, want R-1", r.ID())
	}
	if err := st.Ping(t.Context()); err != nil {
		t.Errorf("Ping after restart: %v", err)
	}
}

func TestOpen(t *testing.T) {
	for _, url := range []string{"redis://localhost:6380/0", "rediss://user:pw@redis.example:6380/1"} {
		rdb, err := storage.Open(url)
		if err != nil {
			t.Errorf("Open(%q): %v", url, err)
			continue
		}
		_ = rdb.Close()
	}
	if _, err := storage.Open("http://localhost"); err == nil {
		t.Error("Open of an http URL succeeded")
	}
}
