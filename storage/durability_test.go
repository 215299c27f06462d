package storage_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// configure applies CONFIG SET name value pairs, as an operator would at run time.
func configure(t *testing.T, rdb redis.UniversalClient, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := rdb.ConfigSet(ctx(t), kv[i], kv[i+1]).Err(); err != nil {
			t.Fatalf("CONFIG SET %s %q: %v", kv[i], kv[i+1], err)
		}
	}
}

func TestDurabilityFromConfig(t *testing.T) {
	tests := []struct {
		name   string
		config []string // CONFIG SET pairs on redistest's server (no save rules, no AOF, noeviction)
		want   storage.Durability
	}{
		{"MemoryOnly", nil, storage.Durability{Policy: "noeviction", Persistence: storage.PersistNone, From: "CONFIG"}},
		{"AllKeysLRU", []string{"maxmemory-policy", "allkeys-lru"}, storage.Durability{Policy: "allkeys-lru", Persistence: storage.PersistNone, From: "CONFIG"}},
		{"VolatileTTL", []string{"maxmemory-policy", "volatile-ttl"}, storage.Durability{Policy: "volatile-ttl", Persistence: storage.PersistNone, From: "CONFIG"}},
		{"AOF", []string{"appendonly", "yes"}, storage.Durability{Policy: "noeviction", Persistence: storage.PersistAOF, From: "CONFIG"}},
		{"RDB", []string{"save", "3600 1 300 100"}, storage.Durability{Policy: "noeviction", Persistence: storage.PersistRDB, From: "CONFIG"}},
		{"AOFAndRDB", []string{"appendonly", "yes", "save", "60 1"}, storage.Durability{Policy: "noeviction", Persistence: storage.PersistAOFRDB, From: "CONFIG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.StartOwn(t)
			rdb := srv.Client(t)
			configure(t, rdb, tt.config...)
			got, err := storage.New(rdb).Durability(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Durability (-want +got):\n%s", diff)
			}
			if got.Evicts() != (tt.want.Policy != "noeviction") {
				t.Errorf("Evicts() = %v for policy %s", got.Evicts(), got.Policy)
			}
		})
	}
}

// TestDurabilityWithoutConfig is a managed Redis that forbids CONFIG (here by ACL; others rename it):
// INFO still tells the policy and AOF, not RDB save rules.
func TestDurabilityWithoutConfig(t *testing.T) {
	tests := []struct {
		name   string
		acl    string   // the rules of the user Rapport connects as
		config []string // CONFIG SET pairs, by the default user
		want   storage.Durability
	}{
		{"INFOEvicting", "-config", []string{"maxmemory-policy", "allkeys-lru"},
			storage.Durability{Policy: "allkeys-lru", From: "INFO"}},
		{"INFOWithAOF", "-config", []string{"appendonly", "yes"},
			storage.Durability{Policy: "noeviction", Persistence: storage.PersistAOF, From: "INFO"}},
		{"INFOForbiddenToo", "-config -info", []string{"maxmemory-policy", "allkeys-lru"},
			storage.Durability{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.StartOwn(t)
			admin := srv.Client(t)
			configure(t, admin, tt.config...)
			rules := append([]any{"ACL", "SETUSER", "rapport", "on", ">s3cret", "~*", "&*", "+@all"}, anySlice(strings.Fields(tt.acl))...)
			if err := admin.Do(ctx(t), rules...).Err(); err != nil {
				t.Fatalf("ACL SETUSER: %v", err)
			}
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), Username: "rapport", Password: "s3cret"})
			t.Cleanup(func() { _ = rdb.Close() })

			got, err := storage.New(rdb).Durability(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if got.Refused == nil || !strings.Contains(got.Refused.Error(), "NOPERM") {
				t.Errorf("Refused = %v, want CONFIG's NOPERM", got.Refused)
			}
			got.Refused = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Durability (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDurabilityRedisDownAtStart(t *testing.T) {
	srv := redistest.StartOwn(t)
	rdb, err := storage.Open(srv.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	srv.Stop()
	if _, err := storage.New(rdb).Durability(ctx(t)); rapport.ErrorCode(err) != rapport.EUNAVAILABLE {
		t.Errorf("Durability with Redis stopped = %v, want %s", err, rapport.EUNAVAILABLE)
	}
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// TestDurabilityEveryMaster: on a Redis Cluster each master keeps its own settings, and the one that
// evicts or forgets is the cluster's answer.
func TestDurabilityEveryMaster(t *testing.T) {
	srv := redistest.Start(t)
	cc, ok := srv.Client(t).(*redis.ClusterClient)
	if !ok {
		t.Skip("needs a Redis Cluster: set " + redistest.EnvCluster + "=1")
	}
	st := storage.New(cc)
	want := storage.Durability{Policy: "noeviction", Persistence: storage.PersistNone, From: "CONFIG"}
	if got, err := st.Durability(ctx(t)); err != nil || got != want {
		t.Fatalf("Durability of the test cluster = %+v, %v; want %+v", got, err, want)
	}
	// One master of three evicts; another persists, which does not make the cluster persistent.
	var masters []*redis.Client
	for _, key := range []string{"{a}", "{b}", "{c}", "{d}", "{e}"} {
		m, err := cc.MasterForKey(ctx(t), key)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(masters, func(c *redis.Client) bool { return c.Options().Addr == m.Options().Addr }) {
			masters = append(masters, m)
		}
	}
	if len(masters) < 2 {
		t.Fatalf("keys of 5 tags on %d master(s); want at least 2", len(masters))
	}
	t.Cleanup(func() { // the cluster is shared with the tests after this one (t's context is done by now)
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for m, kv := range map[*redis.Client][2]string{masters[0]: {"maxmemory-policy", "noeviction"}, masters[1]: {"appendonly", "no"}} {
			if err := m.ConfigSet(c, kv[0], kv[1]).Err(); err != nil {
				t.Errorf("restore %s on %s: %v", kv[0], m.Options().Addr, err)
			}
		}
	})
	configure(t, masters[0], "maxmemory-policy", "allkeys-lru")
	configure(t, masters[1], "appendonly", "yes")
	want.Policy = "allkeys-lru"
	if got, err := st.Durability(ctx(t)); err != nil || got != want || !got.Evicts() {
		t.Errorf("Durability with one master evicting = %+v, %v; want %+v", got, err, want)
	}
}
