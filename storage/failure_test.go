package storage_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// TestRedisRestart checks that a dead Redis fails a save promptly (the ack has 3 s in all), and
// that the store works again once Redis is back, with an empty script cache (NOSCRIPT).
func TestRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	rdb, err := storage.Open(srv.URL(), "")
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

// TestOpenSentinel: with the master's name, Open asks the sentinel for the master and saves there.
func TestOpenSentinel(t *testing.T) {
	srv := redistest.StartOwn(t)
	rdb, err := storage.Open(redistest.StartSentinel(t, srv, "rapport-master"), "rapport-master")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := srv.Prefix(t)
	st := storage.New(rdb, storage.WithPrefix(prefix))
	if err := st.PutMembers(ctx(t), team, directory); err != nil {
		t.Fatalf("PutMembers through the sentinel: %v", err)
	}
	r, _, err := st.CreateReferral(ctx(t), storage.NewReferral{Team: team, EnvelopeID: "env-1",
		Draft: draft(t, "UROB", "pat@prospect.example", ""), Now: now})
	if err != nil {
		t.Fatalf("CreateReferral through the sentinel: %v", err)
	}
	// It is on the master the sentinel named.
	if n, err := srv.Client(t).Exists(ctx(t), prefix+":{"+team+"}:ref:1").Result(); err != nil || n != 1 || r.Number != 1 {
		t.Errorf("R-%d saved; on the master: %d key(s), %v; want R-1 there", r.Number, n, err)
	}
}

// TestOpen: each form of REDIS_URL makes its kind of client, and what go-redis's parsers refuse,
// Open refuses, without quoting a password.
func TestOpen(t *testing.T) {
	for _, tt := range []struct {
		url, master string
		want        any // the client's type
	}{
		{"redis://localhost:6380/0", "", &redis.Client{}},
		{"rediss://user:pw@redis.example:6380/1", "", &redis.Client{}},
		{"redis://:pw@10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000", "", &redis.ClusterClient{}},
		{"rediss://10.0.0.1:7000/0?addr=10.0.0.2:7000", "", &redis.ClusterClient{}},
		{"redis://s1:26379?addr=s2:26379&addr=s3:26379&password=pw", "mymaster", &redis.Client{}},
		{"redis://s1:26379/2", "mymaster", &redis.Client{}},
	} {
		rdb, err := storage.Open(tt.url, tt.master)
		if err != nil {
			t.Errorf("Open(%q, %q): %v", tt.url, tt.master, err)
			continue
		}
		if got, want := fmt.Sprintf("%T", rdb), fmt.Sprintf("%T", tt.want); got != want {
			t.Errorf("Open(%q, %q) made a %s, want a %s", tt.url, tt.master, got, want)
		}
		_ = rdb.Close()
	}
	for _, tt := range []struct{ url, master, want string }{
		{"http://localhost", "", "scheme"},
		{"redis://:s3cretpw@[bad", "", "not a URL"},
		{"redis://:s3cretpw@n1:7000/3?addr=n2:7000", "", "database 0"},
		{"redis://:s3cretpw@n1:7000?addr=n2", "", "addr"},
		{"redis://:s3cretpw@s1:26379?master_name=mymaster", "", "REDIS_SENTINEL_MASTER"},
		{"redis://:s3cretpw@s1:26379?master_name=mymaster", "mymaster", "REDIS_SENTINEL_MASTER"},
		{"redis://:s3cretpw@localhost:6379?banana=1", "", "banana"},
	} {
		_, err := storage.Open(tt.url, tt.master)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("Open(%q, %q) = %v; want an error about %s, without the password", tt.url, tt.master, err, tt.want)
		}
		if err := storage.CheckURL(tt.url, tt.master); err == nil {
			t.Errorf("CheckURL(%q, %q) passed what Open refuses", tt.url, tt.master)
		}
	}
}

// TestOpenPoolSize: the pool holds a blocking read for each of 1,000 workspaces beside go-redis's
// own 10 per CPU, unless REDIS_URL's pool_size says otherwise, in every form.
func TestOpenPoolSize(t *testing.T) {
	pool := func(rdb redis.UniversalClient) int {
		switch c := rdb.(type) {
		case *redis.Client:
			return c.Options().PoolSize
		case *redis.ClusterClient:
			return c.Options().PoolSize
		}
		return -1
	}
	def := 10*runtime.GOMAXPROCS(0) + 1000
	for _, tt := range []struct {
		url, master string
		want        int
	}{
		{"redis://localhost:6380/0", "", def},
		{"redis://localhost:6380/0?pool_size=7", "", 7},
		{"redis://10.0.0.1:7000?addr=10.0.0.2:7000", "", def},
		{"redis://10.0.0.1:7000?addr=10.0.0.2:7000&pool_size=9", "", 9},
		{"redis://s1:26379?addr=s2:26379", "mymaster", def},
	} {
		rdb, err := storage.Open(tt.url, tt.master)
		if err != nil {
			t.Fatal(err)
		}
		if got := pool(rdb); got != tt.want {
			t.Errorf("Open(%q, %q): pool of %d; want %d", tt.url, tt.master, got, tt.want)
		}
		_ = rdb.Close()
	}
}
