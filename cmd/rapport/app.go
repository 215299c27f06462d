package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/install"
	"github.com/rapportbot/rapport/bot/metrics"
	"github.com/rapportbot/rapport/handlers"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/scheduler"
	"github.com/rapportbot/rapport/storage"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"
)

// Compile-time checks that the parts fit where cmd wires them.
var (
	_ handlers.Store    = (*storage.Store)(nil)
	_ bot.Deduper       = (*storage.Store)(nil)
	_ bot.OutboxStore   = (*storage.Store)(nil)
	_ bot.Renderer      = (*notify.Catalogue)(nil)
	_ bot.BatchRenderer = (*notify.Catalogue)(nil)
	_ notify.Store      = (*storage.Store)(nil)
	_ notify.Settings   = (*handlers.Settings)(nil)
	_ scheduler.Store   = (*storage.Store)(nil)
	_ bot.Pacer         = (*storage.Store)(nil)
	_ bot.Metrics       = (*metrics.Metrics)(nil)
)

// app is one Rapport process wired from its parts. The demo and the end-to-end tests build the same
// app as production does, with their own Redis, fake Slack, clock and listener.
type app struct {
	log     *zap.Logger
	rdb     redis.UniversalClient
	ownsRDB bool
	store   *storage.Store
	// transport carries every Slack call; closed with the app, so no connection outlives it.
	transport *http.Transport
	// gateway is the process's HTTP server (health, metrics, and in HTTP mode Slack's requests and
	// the install pages); nil when the process serves no HTTP.
	gateway *bot.Gateway
	// installer serves HTTP mode's OAuth install; nil without SLACK_CLIENT_ID.
	installer *install.Installer
	metrics   *metrics.Metrics // served at GET /metrics
	// single is the one workspace of a process configured with SLACK_BOT_TOKEN; nil with the OAuth
	// install, whose workspaces come and go (spaces).
	single *workspace
	spaces spaces
	// installs and uninstalls carry the install pages' news to serveInstalls at once; without
	// them it would see it on its next look at the store.
	installs   chan installed
	uninstalls chan string
	// turns bounds the weekly jobs' costly work across the workspaces this process serves.
	turns notify.Turns
	// woken is when a request last woke each workspace not served here (installedHere).
	wokenMu   sync.Mutex
	woken     map[string]time.Time
	cfg       Config
	now       func() time.Time
	deps      deps
	startedUp atomic.Bool // the workspaces installed at start have started (started)
	// redisUnchecked is set when Redis did not answer the start-up check of its eviction policy and
	// persistence: run checks it every recheckRedis until it does.
	redisUnchecked bool
	recheckRedis   time.Duration
	allowEviction  bool
}

// deps replaces what a production process would make itself.
type deps struct {
	rdb      redis.UniversalClient // nil: open cfg.RedisURL
	prefix   string                // storage key prefix; "" is the production one
	listener net.Listener          // nil: listen on cfg.HTTPAddr
	noHTTP   bool                  // serve no health endpoints
	now      func() time.Time      // nil: time.Now
	// recheckRedis is how often run retries the Redis check when Redis did not answer at start; 0: 5 s.
	recheckRedis time.Duration
	// faultRecheck is how often a refused token or method is tried again; 0: 15 s.
	faultRecheck time.Duration
	// installCheck is how often the process looks for installs another replica took; 0: 5 s.
	installCheck time.Duration
}

func newApp(ctx context.Context, cfg Config, log *zap.Logger, d deps) (_ *app, err error) {
	a := &app{log: log, rdb: d.rdb, allowEviction: cfg.AllowEviction, recheckRedis: d.recheckRedis,
		installs: make(chan installed, 64), uninstalls: make(chan string, 64), cfg: cfg, now: d.now, deps: d,
		spaces: spaces{by: map[string]*workspace{}}, turns: notify.NewTurns(runtime.GOMAXPROCS(0) / 2)}
	if a.recheckRedis <= 0 {
		a.recheckRedis = 5 * time.Second
	}
	if a.now == nil {
		a.now = time.Now
	}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if a.rdb == nil {
		if a.rdb, err = storage.Open(cfg.RedisURL, cfg.RedisSentinelMaster); err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		a.ownsRDB = true
	}
	a.metrics = metrics.New(log.Named("metrics"), metrics.Labels{Kinds: bot.EnvelopeKinds, Outcomes: bot.Outcomes,
		Stages: bot.NudgeStages, DeadReasons: bot.DeadReasons(), SlackErrors: bot.SlackErrors()})
	a.rdb.AddHook(a.metrics.Hook())
	// Against Redis's clock, which stamped the entries' IDs: not the app's (a test's may be ahead).
	a.metrics.WatchOutbox(ctx, func(ctx context.Context) (int64, time.Time, error) {
		b, err := a.store.Backlog(ctx, a.spaces.teams())
		return b.Pending, b.Oldest, err
	}, time.Now)
	var opts []storage.Option
	if d.prefix != "" {
		opts = append(opts, storage.WithPrefix(d.prefix))
	}
	if cfg.OAuth != nil {
		opts = append(opts, storage.WithTokenKeys(cfg.OAuth.Keys))
	}
	a.store = storage.New(a.rdb, opts...)
	// Before Slack: a Redis that may evict keys is refused before anything is connected. A Redis that
	// is down does not stop the start (nor did it before); run checks it once it answers.
	if dur, err := a.store.Durability(ctx); err != nil {
		a.redisUnchecked = true
		log.Warn("Redis did not answer at start; its eviction policy and persistence are checked once it does", zap.Error(err))
	} else if err := a.checkRedis(dur); err != nil {
		return nil, err
	}
	a.transport = &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second}

	routes := map[string]http.Handler{"GET /metrics": a.metrics.Handler()}
	if o := cfg.OAuth; o != nil {
		a.installer, err = install.New(install.Config{
			ClientID: o.ClientID, ClientSecret: o.ClientSecret, StateSecret: o.StateSecret, RedirectURL: o.RedirectURL,
			AuthorizeURL: authorizeURL(cfg.APIURL), APIURL: cfg.APIURL, Store: a.store, Retain: o.Retain,
			HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: a.transport},
			OnInstall:  a.onInstall, OnUninstall: a.onUninstall, Now: a.now, Log: log.Named("install"),
		})
		if err != nil {
			return nil, err
		}
		maps.Copy(routes, a.installer.Routes())
	}
	ln := d.listener
	if cfg.HTTPMode && ln == nil && d.noHTTP {
		return nil, errors.New("HTTP mode needs its HTTP listener")
	}
	if ln == nil && !d.noHTTP {
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("RAPPORT_HTTP_ADDR: %w", err)
		}
	}
	if ln != nil {
		secret := ""
		if cfg.HTTPMode {
			secret = cfg.SigningSecret
		}
		if a.gateway, err = bot.NewGateway(bot.GatewayConfig{Logger: log.Named("gateway"), Listener: ln,
			Ready: a.store.Ping, Started: a.started, SigningSecret: secret, Routes: routes,
			Installed: a.installedHere}); err != nil {
			ln.Close()
			return nil, err
		}
	}
	// The aggregates keep the numbers by each group's weeks, months, quarters and years.
	a.store.SetZone(a.zone)
	a.store.SetCurrency(a.currency)
	if cfg.BotToken != "" {
		if a.single, err = a.newWorkspace(ctx, cfg.BotToken); err != nil {
			if ln != nil {
				ln.Close()
			}
			return nil, err
		}
	}
	return a, nil
}

// slackAPI is the Web API client of the bot token and cfg's app token, calling over rt.
func slackAPI(cfg Config, botToken string, rt http.RoundTripper) *slack.Client {
	return slack.New(botToken,
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second, Transport: rt}),
	)
}

// Settings are the group's settings as the environment sets them: the defaults admins may override.
func (c Config) Settings() rapport.Settings {
	return rapport.Settings{
		RecognitionChannel: c.RecognitionChannel, FollowUpSLA: c.FollowUpSLA, ReportBackAfter: c.ReportBackAfter,
		DigestSchedule: c.DigestSchedule, TimeZone: c.TimeZone, QuietHours: c.QuietHours,
		Currency: "USD", InactivityWeeks: 4, ExpireAfter: c.ExpireAfter, NudgeWeekends: c.NudgeWeekends,
	}
}

// run serves until ctx ends: the gateway, and the workspace of SLACK_BOT_TOKEN or every workspace
// installed (HTTP mode with OAuth).
func (a *app) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	if a.gateway != nil {
		g.Go(func() error { return a.gateway.Run(gctx) })
	}
	if a.redisUnchecked {
		g.Go(func() error { return a.checkRedisWhenUp(gctx) })
	}
	if a.installer != nil {
		g.Go(func() error { a.purgeUninstalled(gctx); return nil })
	}
	if a.single != nil {
		g.Go(func() error { return a.runWorkspace(gctx, a.single) })
	} else {
		g.Go(func() error { a.serveInstalls(gctx); return nil })
	}
	return g.Wait()
}

// served is the workspace team that this process serves, nil when it serves none of that team.
func (a *app) served(team string) *workspace {
	if w := a.spaces.get(team); w != nil {
		return w
	}
	if w := a.single; w != nil && w.team == team {
		return w
	}
	return nil
}

// zone is the group's time zone of team, for the aggregates (storage.Store.SetZone): its settings',
// or the environment's for a workspace not served here (yet).
func (a *app) zone(team string) *time.Location {
	if w := a.served(team); w != nil {
		return w.settings.Snapshot().TimeZone
	}
	return a.cfg.TimeZone
}

// currency is team's currency, for the numbers (storage.Store.SetCurrency): its settings', or ""
// (every currency) for a workspace not served here.
func (a *app) currency(team string) string {
	if w := a.served(team); w != nil {
		return w.settings.Snapshot().Currency
	}
	return ""
}

// purgeEvery is how often uninstalled workspaces' data is looked at for deletion.
const purgeEvery = time.Hour

// purgeUninstalled deletes the data of workspaces uninstalled more than
// RAPPORT_RETAIN_AFTER_UNINSTALL ago: at start, then every purgeEvery, each pass in short slices
// (storage.PurgeUninstalled); every replica may run it.
func (a *app) purgeUninstalled(ctx context.Context) {
	tick := time.NewTicker(purgeEvery)
	defer tick.Stop()
	for {
		for pass := 0; pass < 100; pass++ {
			p, err := a.store.PurgeUninstalled(ctx, a.now())
			if err != nil {
				if ctx.Err() == nil {
					a.log.Warn("uninstalled workspaces' data not purged; trying again later", zap.Error(err))
				}
				break
			}
			for _, team := range p.Teams {
				a.log.Info("data of an uninstalled workspace deleted", zap.String("purged_team", team))
			}
			if p.Keys == 0 && len(p.Teams) == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// checkRedis refuses a Redis that may evict Rapport's keys (they are the only copy of every referral,
// reminder and queued message) unless RAPPORT_ALLOW_EVICTION=1, and warns of one that keeps them in
// memory only or would not say.
func (a *app) checkRedis(d storage.Durability) error {
	fields := []zap.Field{zap.String("maxmemory_policy", d.Policy), zap.String("persistence", d.Persistence),
		zap.String("read_from", d.From)}
	if d.Refused != nil {
		fields = append(fields, zap.NamedError("refused", d.Refused))
	}
	ev, per := evictionIssue(d), persistenceIssue(d)
	switch {
	case ev == nil:
	case d.Evicts() && !a.allowEviction:
		return fmt.Errorf("REDIS_URL: %s. %s, or set RAPPORT_ALLOW_EVICTION=1 to start anyway", ev.what, ev.fix)
	case d.Evicts():
		a.log.Warn("Redis may evict Rapport's keys when its memory is full; running anyway, as RAPPORT_ALLOW_EVICTION=1 asks", fields...)
	default:
		a.log.Warn(ev.what+": "+ev.fix, fields...)
	}
	switch {
	case per != nil:
		a.log.Warn(per.what+": "+per.fix, fields...)
	case ev == nil:
		a.log.Info("Redis keeps every key and persists them", fields...)
	}
	return nil
}

// redisIssue is what Redis's durability leaves to fix: what is wrong, and how to fix it. The start-up
// check and rapport doctor say the same.
type redisIssue struct{ what, fix string }

// evictionIssue is nil when Redis keeps every key (maxmemory-policy noeviction).
func evictionIssue(d storage.Durability) *redisIssue {
	switch {
	case d.Evicts():
		return &redisIssue{fmt.Sprintf("Redis's maxmemory-policy is %s: when its memory is full it deletes keys, "+
			"and referrals, reminders and queued messages vanish without an error", d.Policy),
			"Set maxmemory-policy noeviction (in redis.conf, with --maxmemory-policy noeviction, or CONFIG SET " +
				"maxmemory-policy noeviction then CONFIG REWRITE; on a managed Redis, in its parameter group)"}
	case d.Policy == "":
		return &redisIssue{"could not check Redis's maxmemory-policy (CONFIG and INFO refused or silent)",
			"make sure it is noeviction, or referrals can vanish when its memory is full"}
	}
	return nil
}

// persistenceIssue is nil when Redis writes its keys to disk (AOF or RDB snapshots).
func persistenceIssue(d storage.Durability) *redisIssue {
	switch d.Persistence {
	case storage.PersistNone:
		return &redisIssue{"Redis keeps Rapport's state in memory only: a Redis restart loses every referral, " +
			"reminder and queued message", "set appendonly yes (or RDB save rules)"}
	case "":
		return &redisIssue{"could not check Redis's persistence",
			"make sure appendonly is yes (or RDB save rules are set), or a Redis restart loses every referral"}
	}
	return nil
}

// checkRedisWhenUp does the start-up check once Redis answers, when it did not at start: a Redis that
// may evict stops Rapport as it would have refused to start.
func (a *app) checkRedisWhenUp(ctx context.Context) error {
	tick := time.NewTicker(a.recheckRedis)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if d, err := a.store.Durability(ctx); err == nil {
			return a.checkRedis(d)
		}
	}
}

func (a *app) close() {
	if a.transport != nil {
		a.transport.CloseIdleConnections()
	}
	if a.ownsRDB && a.rdb != nil {
		a.rdb.Close()
	}
}

// serve runs the bot in production.
func serve(ctx context.Context, cfg Config, stderr io.Writer) error {
	log := newLogger(stderr, zapcore.InfoLevel)
	defer log.Sync() //nolint:errcheck // stderr cannot be synced on some systems
	// go-redis's own notices (dial failures while Redis is down), as JSON lines too.
	redis.SetLogger(redisLogger{log.Named("redis").Sugar()})
	a, err := newApp(ctx, cfg, log, deps{})
	if err != nil {
		return err
	}
	defer a.close()
	log.Info("rapport starting", zap.String("http", cfg.HTTPAddr))
	err = a.run(ctx)
	log.Info("rapport stopped", zap.Error(err))
	return err
}

// newLogger writes JSON lines. Tokens and prospects' contact details never reach it: nothing logs a
// payload, and slack-go's debug logging stays off.
func newLogger(w io.Writer, level zapcore.Level) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(w), level))
}

// redisLogger sends go-redis's internal notices (dial failures while Redis is down) to zap.
type redisLogger struct{ log *zap.SugaredLogger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) { l.log.Warnf(format, v...) }
