package bot_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(redistest.M(m), // stops the cluster of RAPPORT_TEST_REDIS_CLUSTER=1
		// go-redis's pool reaper ends just after its client closes.
		goleak.IgnoreTopFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).reaper"),
	)
}

// testDeadline bounds every wait of a test: conditions are awaited, never slept on.
const testDeadline = 20 * time.Second

// shutdownDeadline is what an operator is promised: the process exits within 5 s of SIGTERM.
const shutdownDeadline = 5 * time.Second

// alice is a workspace member who types commands and receives DMs.
const alice = "UALICE"

// env is one bot against a fake Slack and a redis-server of its own.
type env struct {
	t     *testing.T
	ctx   context.Context // the test's deadline for every wait
	fake  *slackfake.Server
	redis *redistest.Server
	store *storage.Store
	api   *slack.Client
	bot   *bot.Bot
	// health is the base URL of /healthz and /readyz, when the env has an HTTP listener.
	health string
	gw     *bot.Gateway // serves health, and Slack's requests in HTTP mode; nil without HTTP
	// httpMode: the bot runs in HTTP mode (options.httpMode).
	httpMode bool

	stop context.CancelFunc
	done chan error
	// stopped is set once Run has returned (or was never started).
	stopped bool

	mu        sync.Mutex
	delivered map[string]int // envelope id → times delivered: each delivery must get one ack
}

// options shape an env. The zero value is a bot with no routes that renders every outbox entry as
// a DM to its To.
type options struct {
	routes   func(m *bot.Mux)
	renderer bot.Renderer
	ready    func(ctx context.Context) error // nil: Redis's PING
	http     bool                            // serve /healthz and /readyz on 127.0.0.1:0
	onFault  func(ctx context.Context, f bot.Fault) error
	// faultRecheck is Config.FaultRecheck: 0, the production 15 s.
	faultRecheck time.Duration
	// quiet drops the bot's logs: for a test that lets work outlive Run, which would otherwise
	// log after the test has ended.
	quiet bool
	// logger, if set, takes the bot's logs instead (a test that reads them back).
	logger *zap.Logger
	// maxInFlight is Config.MaxInFlight.
	maxInFlight int
	// metrics is Config.Metrics.
	metrics bot.Metrics
	// deadline bounds the test's waits; 0 means testDeadline.
	deadline time.Duration
	// httpMode runs the bot in HTTP mode: no socket; the fake POSTs signed requests to its
	// endpoints on an HTTP listener of its own.
	httpMode bool
	// installed is the gateway's GatewayConfig.Installed.
	installed func(ctx context.Context, team string) (bool, error)
}

// transports runs f once per transport, Socket Mode and HTTP mode, as subtests: what a person sees
// must not depend on it.
func transports(t *testing.T, f func(t *testing.T, httpMode bool)) {
	for _, mode := range []struct {
		name string
		http bool
	}{{"Socket", false}, {"HTTP", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			f(t, mode.http)
		})
	}
}

// newEnv wires a bot the way cmd/rapport does, without running it.
func newEnv(t *testing.T, o options) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cmp.Or(o.deadline, testDeadline))
	t.Cleanup(cancel)
	fake := slackfake.New(slackfake.WithPingInterval(time.Second),
		slackfake.WithUsers(slack.User{ID: alice, Name: "alice", RealName: "Alice Adams", TZ: "America/Phoenix"}))
	t.Cleanup(fake.Close)
	rs := redistest.Start(t)
	store := storage.New(rs.Client(t), storage.WithPrefix(rs.Prefix(t)))

	api := slack.New(slackfake.BotToken,
		slack.OptionAppLevelToken(slackfake.AppToken),
		slack.OptionAPIURL(fake.APIURL()),
		slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second}),
	)
	id, err := bot.Connect(ctx, api)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	mux := bot.NewMux()
	if o.routes != nil {
		o.routes(mux)
	}
	if o.renderer == nil {
		o.renderer = batchRenderer{&renderer{}}
	}
	if o.ready == nil {
		o.ready = store.Ping
	}
	e := &env{t: t, ctx: ctx, fake: fake, redis: rs, store: store, api: api, stopped: true,
		delivered: map[string]int{}}
	log := zaptest.NewLogger(t)
	switch {
	case o.logger != nil:
		log = o.logger
	case o.quiet:
		log = zap.NewNop()
	}
	cfg := bot.Config{
		Logger: log, API: api, Socket: socketmode.New(api), Identity: id, Mux: mux,
		Dedupe: store, Outbox: store, Renderer: o.renderer, OnFault: o.onFault,
		FaultRecheck: o.faultRecheck,
		MaxInFlight:  o.maxInFlight,
		Metrics:      o.metrics,
	}
	if o.httpMode {
		cfg.Socket, cfg.SigningSecret = nil, slackfake.SigningSecret
	}
	if o.http || o.httpMode {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ln.Close() }) // the gateway's Run closes it; this is for one that never ran
		secret := ""
		if o.httpMode {
			secret = slackfake.SigningSecret
		}
		if e.gw, err = bot.NewGateway(bot.GatewayConfig{Logger: log, Listener: ln, Ready: o.ready, SigningSecret: secret,
			Installed: o.installed}); err != nil {
			t.Fatal(err)
		}
		cfg.Gateway = e.gw
		e.health = "http://" + ln.Addr().String()
	}
	if o.httpMode {
		fake.DeliverOverHTTP(e.health, slackfake.SigningSecret)
	}
	e.httpMode = o.httpMode
	if e.bot, err = bot.New(cfg); err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	t.Cleanup(e.shutdown)
	return e
}

// start runs a bot and waits until its socket is up.
func start(t *testing.T, o options) *env {
	t.Helper()
	e := newEnv(t, o)
	e.run()
	if o.httpMode {
		return e // Slack comes to the bot: its listener queues requests until Run serves them
	}
	if err := e.fake.WaitConnections(e.ctx, 1); err != nil {
		t.Fatalf("bot did not connect: %v", err)
	}
	return e
}

// run starts Run, and the gateway's if the env has one, on a context of their own, cancelled by
// stopBot as SIGTERM would; done reports when both returned.
func (e *env) run() {
	ctx, stop := context.WithCancel(context.WithoutCancel(e.ctx))
	e.stop, e.done, e.stopped = stop, make(chan error, 1), false
	go func() {
		var wg sync.WaitGroup
		if e.gw != nil {
			wg.Go(func() {
				if err := e.gw.Run(ctx); err != nil {
					e.t.Errorf("gateway: %v", err)
				}
			})
		}
		err := e.bot.Run(ctx)
		wg.Wait()
		e.done <- err
	}()
}

// stopBot cancels Run's context and returns how long Run took to return, failing the test if it
// took more than shutdownDeadline.
func (e *env) stopBot() time.Duration {
	e.t.Helper()
	return e.awaitRun(e.cancelRun())
}

// cancelRun cancels Run's context, as SIGTERM does, and returns when.
func (e *env) cancelRun() time.Time {
	if !e.stopped {
		e.stop()
	}
	return time.Now()
}

// awaitRun waits for Run to return after a cancel at since.
func (e *env) awaitRun(since time.Time) time.Duration {
	e.t.Helper()
	if e.stopped {
		return 0
	}
	e.stopped = true
	select {
	case err := <-e.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			e.t.Errorf("Run returned %v", err)
		}
	case <-time.After(shutdownDeadline + 5*time.Second):
		e.t.Fatalf("Run did not return within %v of cancel", shutdownDeadline+5*time.Second)
	}
	took := time.Since(since)
	if took > shutdownDeadline {
		e.t.Errorf("Run took %v to return after cancel; want < %v", took, shutdownDeadline)
	}
	return took
}

// shutdown stops the bot and checks the promise every test shares: one ack per delivery.
func (e *env) shutdown() {
	e.stopBot()
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, n := range e.delivered {
		if got := e.fake.AckCount(id); got != n {
			e.t.Errorf("envelope %s: %d acks for %d deliveries; want exactly one each", id, got, n)
		}
	}
}

// deliveredOnce records a delivery of envelope id, for shutdown's ack count.
func (e *env) deliveredOnce(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delivered[id]++
}

// send delivers payload in a new envelope and returns its ack and when it was sent.
func (e *env) send(typ string, payload any) (slackfake.Ack, time.Time) {
	e.t.Helper()
	sent := time.Now()
	ack, err := e.fake.Send(e.ctx, typ, payload)
	if err != nil {
		e.t.Fatalf("send %s: %v", typ, err)
	}
	e.deliveredOnce(ack.EnvelopeID)
	return ack, sent
}

// sendEnvelope delivers env as given (for redeliveries under the same id).
func (e *env) sendEnvelope(env slackfake.Envelope) slackfake.Ack {
	e.t.Helper()
	ack, err := e.fake.SendEnvelope(e.ctx, env)
	if err != nil {
		e.t.Fatalf("send envelope %s: %v", env.ID, err)
	}
	e.deliveredOnce(env.ID)
	return ack
}

// command types "/name text" as alice and returns the ack.
func (e *env) command(name, text string) slackfake.Ack {
	e.t.Helper()
	ack, _ := e.send("slash_commands", e.fake.Command(slackfake.GeneralChannelID, alice, name, text))
	return ack
}

// wait fails the test unless cond holds before the deadline; cond may read the fake or Redis
// (slackfake.WaitFor checks it on every change of the fake's and every few milliseconds).
func (e *env) wait(what string, cond func() bool) {
	e.t.Helper()
	if err := e.fake.WaitFor(e.ctx, cond); err != nil {
		e.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// ackPayload is the ack payload of a slash command or a view submission.
type ackPayload struct {
	ResponseType   string            `json:"response_type"`
	Text           string            `json:"text"`
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
	View           *struct {
		Type  string `json:"type"`
		Title struct {
			Text string `json:"text"`
		} `json:"title"`
	} `json:"view"`
}

func decodeAck(t *testing.T, a slackfake.Ack) ackPayload {
	t.Helper()
	var p ackPayload
	if a.Payload == nil {
		t.Fatalf("ack of %s has no payload", a.EnvelopeID)
	}
	if err := json.Unmarshal(a.Payload, &p); err != nil {
		t.Fatalf("ack payload %s: %v", a.Payload, err)
	}
	return p
}

// renderer renders every entry as a DM to its To saying its Kind, except kind "moved_on", which is
// no longer owed, and kind "unknown", which the renderer cannot draw.
type renderer struct {
	mu       sync.Mutex
	rendered []string // entry ids in render order
}

func (r *renderer) Render(_ context.Context, _ string, e rapport.OutboxEntry) (bot.Delivery, bool, error) {
	r.mu.Lock()
	r.rendered = append(r.rendered, e.ID)
	r.mu.Unlock()
	switch e.Kind {
	case "moved_on":
		return bot.Delivery{}, false, nil
	case "unknown":
		return bot.Delivery{}, false, &bot.Undeliverable{Reason: "unknown_kind", Err: errors.New("no such kind")}
	case "step.done": // e.To is a workflow step's run
		return bot.Delivery{Channel: e.To, Step: &bot.Completion{Outputs: map[string]string{"referral": "R-17"}}}, true, nil
	}
	return bot.Delivery{Channel: e.To, Text: "About referral: " + e.Kind}, true, nil
}

// batchRenderer is r drawing batches too (bot.BatchRenderer), each entry as Render draws it.
type batchRenderer struct{ *renderer }

func (b batchRenderer) RenderBatch(ctx context.Context, team string, es []rapport.OutboxEntry) map[string]bot.Drawn {
	out := make(map[string]bot.Drawn, len(es))
	for _, e := range es {
		p, ok, err := b.Render(ctx, team, e)
		out[e.ID] = bot.Drawn{Delivery: p, OK: ok, Err: err}
	}
	return out
}

func (r *renderer) renders(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, got := range r.rendered {
		if got == id {
			n++
		}
	}
	return n
}
