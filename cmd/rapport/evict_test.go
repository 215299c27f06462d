//go:build unix

package main

// Redis that can evict is refused (issue 9, item 9): through run(ctx, {"run"}, …), against
// redis-servers started as an operator would configure them, and a fake Slack.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
	"go.uber.org/zap/zaptest"
)

func TestStartEvictionCheck(t *testing.T) {
	const memoryOnly = "Redis keeps Rapport's state in memory only"
	tests := []struct {
		name      string
		redisArgs []string          // besides --save "" --appendonly no
		env       []string          // besides the tokens, the fake's URL and the Redis's
		wantErr   []string          // each in run's error; none: it starts
		wantWarn  map[string]string // a warning's message prefix → its maxmemory_policy field
		noWarn    []string          // message prefixes that must not be logged
	}{
		{name: "ErrAllKeysLRU", redisArgs: []string{"--maxmemory-policy", "allkeys-lru"},
			wantErr: []string{"REDIS_URL: Redis's maxmemory-policy is allkeys-lru", "Set maxmemory-policy noeviction", "RAPPORT_ALLOW_EVICTION=1"}},
		{name: "ErrVolatileLRUWithAOF", redisArgs: []string{"--maxmemory-policy", "volatile-lru", "--appendonly", "yes"},
			wantErr: []string{"maxmemory-policy is volatile-lru"}},
		{name: "AllowEviction", redisArgs: []string{"--maxmemory-policy", "allkeys-lru"}, env: []string{"RAPPORT_ALLOW_EVICTION", "1"},
			wantWarn: map[string]string{"Redis may evict Rapport's keys": "allkeys-lru", memoryOnly: "allkeys-lru"}},
		{name: "NoPersistence", redisArgs: []string{"--maxmemory-policy", "noeviction"},
			wantWarn: map[string]string{memoryOnly: "noeviction"}, noWarn: []string{"Redis may evict"}},
		{name: "AOF", redisArgs: []string{"--maxmemory-policy", "noeviction", "--appendonly", "yes"},
			noWarn: []string{"Redis may evict", memoryOnly, "could not check"}},
		// Managed services rename or forbid CONFIG: the policy is read from INFO.
		{name: "ErrConfigRenamedAllKeysLRU", redisArgs: []string{"--rename-command", "CONFIG", "", "--maxmemory-policy", "allkeys-lru"},
			wantErr: []string{"maxmemory-policy is allkeys-lru", "Set maxmemory-policy noeviction"}},
		{name: "ConfigRenamedNoEviction", redisArgs: []string{"--rename-command", "CONFIG", ""},
			wantWarn: map[string]string{"could not check Redis's persistence": "noeviction"}, noWarn: []string{"Redis may evict", memoryOnly}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := redistest.StartOwn(t, tt.redisArgs...).URL()
			logs, err := runUntilConnected(t, url, tt.env...)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("run started; want it refused. Its log:\n%s", logs)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("run = %v, want it to start. Its log:\n%s", err, logs)
			}
			for msg, policy := range tt.wantWarn {
				e := logEntry(logs, msg)
				if e == nil {
					t.Errorf("no warning %q in the log:\n%s", msg, logs)
					continue
				}
				if e["level"] != "warn" || e["maxmemory_policy"] != policy {
					t.Errorf("log entry %v: want level warn, maxmemory_policy %s", e, policy)
				}
			}
			for _, msg := range tt.noWarn {
				if e := logEntry(logs, msg); e != nil {
					t.Errorf("unexpected log entry %v", e)
				}
			}
		})
	}
}

// TestStartWithRedisDown keeps the behaviour Rapport had before the check: a Redis that is down does
// not stop the start.
func TestStartWithRedisDown(t *testing.T) {
	down := redistest.StartOwn(t)
	down.Stop()
	logs, err := runUntilConnected(t, down.URL())
	if err != nil {
		t.Fatalf("run with Redis down = %v, want it to start. Its log:\n%s", err, logs)
	}
	if logEntry(logs, "Redis did not answer at start") == nil {
		t.Errorf("no warning that the check waits for Redis in the log:\n%s", logs)
	}
}

// TestStartEvictionCheckWhenRedisAnswers: Redis down at start, then up with allkeys-lru: the running
// bot stops with the start-up refusal.
func TestStartEvictionCheckWhenRedisAnswers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	fake := slackfake.New(slackfake.WithUsers(demoMembers...))
	t.Cleanup(fake.Close)
	// A server that will answer with allkeys-lru, down for now.
	srv := redistest.StartOwn(t, "--maxmemory-policy", "allkeys-lru")
	srv.Stop()
	addr := srv.Addr()
	cfg, err := loadConfig(env("SLACK_APP_TOKEN", slackfake.AppToken, "SLACK_BOT_TOKEN", slackfake.BotToken,
		"SLACK_API_URL", fake.APIURL(), "REDIS_URL", "redis://"+addr+"/0", "RAPPORT_RATE_LIMITS", "off"))
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := storage.Open(cfg.RedisURL, cfg.RedisSentinelMaster)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	a, err := newApp(ctx, cfg, zaptest.NewLogger(t), deps{rdb: rdb, noHTTP: true, recheckRedis: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("newApp with Redis down: %v", err)
	}
	defer a.close()
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	if err := fake.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "maxmemory-policy is allkeys-lru") {
			t.Errorf("run = %v, want the eviction refusal", err)
		}
	case <-ctx.Done():
		t.Fatal("the bot kept running on a Redis that may evict")
	}
}

// runUntilConnected runs run(ctx, {"run"}, …) against redisURL and a fake Slack with the variables
// kv. It returns run's error if it stops before the socket connects; otherwise it stops the bot as
// SIGTERM would and returns nil. Either way it returns the JSON log lines.
func runUntilConnected(t *testing.T, redisURL string, kv ...string) (logs string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	fake := slackfake.New(slackfake.WithUsers(demoMembers...))
	t.Cleanup(fake.Close)
	getenv := env(append([]string{"SLACK_APP_TOKEN", slackfake.AppToken, "SLACK_BOT_TOKEN", slackfake.BotToken,
		"SLACK_API_URL", fake.APIURL(), "REDIS_URL", redisURL, "RAPPORT_HTTP_ADDR", "127.0.0.1:0",
		"RAPPORT_RATE_LIMITS", "off"}, kv...)...)
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run"}, getenv, io.Discard, out) }()
	connected := make(chan error, 1)
	go func() { connected <- fake.WaitConnections(ctx, 1) }()
	select {
	case err := <-done:
		cancel()
		<-connected
		if err == nil {
			err = errors.New("run returned before connecting, without an error")
		}
		return out.String(), err
	case err := <-connected:
		if err != nil {
			t.Fatalf("bot did not connect: %v\n%s", err, out.String())
		}
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return out.String(), err
	}
	return out.String(), nil
}

// logEntry is the first JSON log line whose message starts with msg, or nil.
func logEntry(logs, msg string) map[string]any {
	for _, line := range strings.Split(logs, "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && strings.HasPrefix(fmt.Sprint(e["msg"]), msg) {
			return e
		}
	}
	return nil
}
