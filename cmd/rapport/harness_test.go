package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
	"go.uber.org/goleak"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(redistest.M(m), // stops the cluster of RAPPORT_TEST_REDIS_CLUSTER=1
		// go-redis's pool reaper and slack-go's socket reader end just after their owners close.
		goleak.IgnoreTopFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).reaper"),
		// After a failed dial go-redis redials in the background, sleeping a second between tries,
		// and sees its pool closed only when it wakes (the tests of a Redis that is down).
		goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"),
	)
}

// harness is one Rapport process against a fake Slack and a real redis-server of its own.
type harness struct {
	t        testing.TB
	fake     *slackfake.Server
	redis    *redistest.Server
	proxy    *redistest.Proxy // between Rapport and redis, when started behind one
	store    *storage.Store
	prefix   string          // the key prefix of this harness' Rapport
	ctx      context.Context // the test's deadline
	app      *app            // the first replica
	replicas []*replica
	spawn    func(i int) *replica // starts replica i against the same fake and Redis

	alice, bob, carol, dave person
}

// testDeadline bounds every wait of a test: conditions are awaited, never slept on.
const testDeadline = 15 * time.Second

// allow gives a long test (many flows in a row, each awaited) d in all, in place of testDeadline:
// call it first, before any wait.
func (h *harness) allow(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	h.t.Cleanup(cancel)
	h.ctx = ctx
}

func start(t testing.TB) *harness { return startReplicas(t, 1) }

// startBehindProxy is start with Rapport reaching its Redis through h.proxy, which can hold
// Redis's replies back.
func startBehindProxy(t testing.TB) *harness { return launch(t, 1, true, nil) }

// startReplicas runs n Rapport processes against one fake Slack (a socket each) and one Redis, as
// several replicas of a deployment would.
func startReplicas(t testing.TB, n int) *harness { return launch(t, n, false, nil) }

// startWith is startReplicas with each replica's deps adjusted by tweak: a health listener,
// shorter fault timings.
func startWith(t testing.TB, n int, tweak func(*deps)) *harness { return launch(t, n, false, tweak) }

// startEnv is start with the environment's variables in env set over the harness' own (e.g.
// RAPPORT_RATE_LIMITS=slack).
func startEnv(t testing.TB, env map[string]string) *harness { return launchEnv(t, 1, false, nil, env) }

// launch starts n replicas, reaching Redis through a proxy when behindProxy, each with its deps
// adjusted by tweak when not nil.
func launch(t testing.TB, n int, behindProxy bool, tweak func(*deps)) *harness {
	t.Helper()
	return launchEnv(t, n, behindProxy, tweak, nil)
}

// launchEnv is launch with the variables in env set over the harness' own.
func launchEnv(t testing.TB, n int, behindProxy bool, tweak func(*deps), env map[string]string) *harness {
	t.Helper()
	return launchPrepared(t, n, behindProxy, tweak, env, nil)
}

// launchPrepared is launchEnv with prepare, when not nil, run before the first replica starts, with
// a store as the replicas' (their prefix and token keys): what the store and the fake Slack hold
// when the process starts (installations saved earlier, say). prepare may call h.allow.
func launchPrepared(t testing.TB, n int, behindProxy bool, tweak func(*deps), env map[string]string,
	prepare func(h *harness, store *storage.Store)) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	t.Cleanup(cancel)
	fake := slackfake.New(slackfake.WithUsers(demoMembers...), slackfake.WithPingInterval(time.Second))
	t.Cleanup(fake.Close)
	rs := redistest.Start(t)
	stateDir := t.TempDir()
	cfg, err := loadConfig(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return map[string]string{
			// RAPPORT_TEST_MODE=http runs every end-to-end test in HTTP mode (.ci/run does).
			"RAPPORT_MODE": os.Getenv("RAPPORT_TEST_MODE"), "SLACK_SIGNING_SECRET": slackfake.SigningSecret,
			"SLACK_APP_TOKEN": slackfake.AppToken, "SLACK_BOT_TOKEN": slackfake.BotToken,
			"SLACK_API_URL": fake.APIURL(), "REDIS_URL": rs.URL(), "RAPPORT_RATE_LIMITS": "off",
			"RAPPORT_ADMINS": "UDAVE", "RAPPORT_QUIET_HOURS": "off", "RAPPORT_RECOGNITION_CHANNEL": slackfake.GeneralChannelID,
			// Tests tick at today's time plus a delay: any day of the week. Weekends have their own tests.
			"RAPPORT_NUDGE_WEEKENDS": "on",
			// The sweep is driven by the tests' own Tick calls with their own clock.
			"RAPPORT_SWEEP_SCHEDULE": "@every 1000h",
			"RAPPORT_STATE_DIR":      stateDir,
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := rs.Client(t), rs.Prefix(t)
	var proxy *redistest.Proxy
	if behindProxy {
		proxy = redistest.StartProxy(t, rs.Addr())
		rdb = proxy.Client(t)
	}
	logger := zaptest.NewLogger(t)
	if _, bench := t.(*testing.B); bench {
		logger = zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel))
	} else {
		// Checked after the replicas stop (cleanups run last first): what the operator's log holds.
		lines := &logLines{}
		t.Cleanup(func() { lines.check(t) })
		logger = lines.tee(logger)
	}
	ws := fake.Workspace(slackfake.TeamID)
	h := &harness{t: t, fake: fake, redis: rs, proxy: proxy, ctx: ctx, prefix: prefix,
		alice: person{ws, "UALICE"}, bob: person{ws, "UBOB"}, carol: person{ws, "UCAROL"}, dave: person{ws, "UDAVE"}}
	h.spawn = func(i int) *replica {
		d := deps{rdb: rdb, prefix: prefix, noHTTP: true}
		if tweak != nil {
			tweak(&d)
		}
		if cfg.HTTPMode {
			// Slack's requests come to this replica's listener too, as to every replica behind
			// a load balancer.
			if d.listener == nil {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				d.listener = ln
			}
			d.noHTTP = false
			fake.DeliverOverHTTP("http://"+d.listener.Addr().String(), slackfake.SigningSecret)
		}
		a, err := newApp(ctx, cfg, logger.Named(fmt.Sprintf("replica%d", len(h.replicas))), d)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithCancel(context.Background())
		r := &replica{app: a, stop: stop, done: make(chan error, 1)}
		go func() { r.done <- a.run(runCtx) }()
		return r
	}
	if prepare != nil {
		opts := []storage.Option{storage.WithPrefix(prefix)}
		if cfg.OAuth != nil {
			opts = append(opts, storage.WithTokenKeys(cfg.OAuth.Keys))
		}
		prepare(h, storage.New(rdb, opts...))
	}
	for i := 0; i < n; i++ {
		h.replicas = append(h.replicas, h.spawn(i))
	}
	h.app, h.store = h.replicas[0].app, h.replicas[0].app.store
	// The four have used Rapport before: their welcome DM (onboarding_test.go) would add one DM to
	// every count of the other tests. Newcomers of a test are welcomed as in production.
	if err := h.store.MarkWelcomed(h.ctx, slackfake.TeamID, "UALICE", "UBOB", "UCAROL", "UDAVE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.shutdown)
	// Ready as /readyz says it (settings, directory and aggregates checked), as production waits.
	for _, r := range h.replicas {
		h.wait("the replica started", r.app.started)
	}
	if cfg.HTTPMode {
		return h
	}
	if err := fake.WaitConnections(ctx, n); err != nil {
		t.Fatalf("bots did not connect: %v", err)
	}
	return h
}

// socketOnly skips a test of Socket Mode's own behaviour when RAPPORT_TEST_MODE=http runs the
// end-to-end tests in HTTP mode.
func socketOnly(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("RAPPORT_TEST_MODE") == "http" {
		t.Skip("Socket Mode only: " + what)
	}
}

// replica is one running Rapport process of a harness.
type replica struct {
	app  *app
	stop context.CancelFunc
	done chan error
}

// shutdown stops every replica as SIGTERM would and checks each exits in time.
func (h *harness) shutdown() {
	for _, r := range h.replicas {
		r.stop()
	}
	for _, r := range h.replicas {
		select {
		case err := <-r.done:
			if err != nil && !errors.Is(err, context.Canceled) {
				h.t.Errorf("bot stopped with %v", err)
			}
		case <-time.After(5 * time.Second):
			h.t.Error("bot did not stop within 5 s of shutdown")
		}
	}
	h.replicas = nil
}

// wait fails the test unless cond holds before the deadline.
func (h *harness) wait(what string, cond func() bool) {
	h.t.Helper()
	if err := h.fake.WaitFor(h.ctx, cond); err != nil {
		h.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// hotForm is a fully qualified referral from Alice to Bob.
func hotForm() form {
	return form{receiver: "UBOB", name: "Dana Reyes", company: "Reyes Bakery", phone: "(480) 555-0142",
		email: "dana@reyesbakery.example", need: "A new roof before the monsoon", bestTime: "Mornings, by phone",
		note: "She expects your call", spoke: true, mayShare: true, expects: true}
}

// refer opens the form as p and submits f, returning the ack.
func (h *harness) refer(p person, f form) ackPayload {
	h.t.Helper()
	view, err := p.openForm(h.ctx, "")
	if err != nil {
		h.t.Fatal(err)
	}
	ack, err := p.submit(h.ctx, view, f)
	if err != nil {
		h.t.Fatal(err)
	}
	return decodeAck(ack)
}

// messageText is everything a person can read in a message: its text and its blocks' JSON.
func messageText(m slackfake.Message) string { return m.Text + "\n" + unjson(m.Blocks) }

// unjson undoes encoding/json's HTML-safe escapes, so a test reads JSON text as Slack reads it.
func unjson(b []byte) string {
	return strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(string(b))
}

func contains(s string, subs ...string) error {
	var missing []string
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			missing = append(missing, sub)
		}
	}
	if len(missing) > 0 {
		return errors.New("missing " + strings.Join(missing, ", ") + " in:\n" + s)
	}
	return nil
}

// keys lists the keys under the harness' prefix that match pattern after it, sorted: on every master
// of a cluster.
func (h *harness) keys(pattern string) []string {
	h.t.Helper()
	ks, err := redistest.Keys(h.ctx, h.redis.Client(h.t), h.prefix+pattern)
	if err != nil {
		h.t.Fatalf("SCAN: %v", err)
	}
	return ks
}

func (h *harness) outboxEmpty() bool {
	n, err := h.store.Pending(h.ctx, slackfake.TeamID)
	return err == nil && n == 0
}

func pretty(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
