package metrics

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport/storage/redistest"
)

// TestMain stops the Redis Cluster the tests share under RAPPORT_TEST_REDIS_CLUSTER=1.
func TestMain(m *testing.M) { os.Exit(redistest.M(m).Run()) }

// TestHookCountsFailures counts what failed against a real Redis: a missing key is an answer, a
// WRONGTYPE reply and a command that found no Redis are failures, and a pipeline counts once.
func TestHookCountsFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rs := redistest.Start(t)
	rdb, key := rs.Client(t), rs.Prefix(t)+"k"
	m := newTestMetrics(t)
	rdb.AddHook(m.Hook())

	if err := rdb.Get(ctx, key).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of a missing key: %v", err)
	}
	if err := rdb.Set(ctx, key, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.LPush(ctx, key, "x").Err(); err == nil {
		t.Fatal("LPUSH on a string succeeded")
	}
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, key, "x")
		p.SAdd(ctx, key, "x")
		return nil
	})
	if err == nil {
		t.Fatal("a pipeline of wrong types succeeded")
	}
	if got := testutil.ToFloat64(m.redisErrors.WithLabelValues(redisReply)); got != 2 {
		t.Errorf("reply errors = %v; want 2 (the command, the pipeline once)", got)
	}
	if got := testutil.ToFloat64(m.redisErrors.WithLabelValues(redisNetwork)) +
		testutil.ToFloat64(m.redisErrors.WithLabelValues(redisTimeout)) + testutil.ToFloat64(m.redisErrors.WithLabelValues(other)); got != 0 {
		t.Errorf("%v other failures counted; want none yet", got)
	}

	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { down.Close() })
	down.AddHook(m.Hook())
	if err := down.Ping(ctx).Err(); err == nil {
		t.Fatal("PING to a closed port succeeded")
	}
	if got := testutil.ToFloat64(m.redisErrors.WithLabelValues(redisNetwork)); got != 1 {
		t.Errorf("network errors = %v; want 1 (a refused connection)", got)
	}
}
