package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
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
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
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
	log       *zap.Logger
	rdb       redis.UniversalClient
	ownsRDB   bool
	store     *storage.Store
	team      string // the workspace, from auth.test
	handlers  *handlers.Handlers
	catalogue *notify.Catalogue
	settings  *handlers.Settings
	bot       *bot.Bot
	sched     *scheduler.Scheduler
	// transport carries every Slack call; closed with the app, so no connection outlives it.
	transport *http.Transport
	// gateway is the process's HTTP server (health, and in HTTP mode Slack's requests and the
	// install pages); nil when the process serves no HTTP.
	gateway *bot.Gateway
	// installer serves HTTP mode's OAuth install; nil without SLACK_CLIENT_ID.
	installer *install.Installer
	// installs carries each saved installation to the run loop that serves its workspace.
	installs chan rapport.Installation
	// stopTeam ends the workspace's work (its bot, sweep and jobs) when it is uninstalled.
	stopTeam   func()
	stopTeamMu sync.Mutex
	cfg        Config
	now        func() time.Time
	deps       deps
	metrics    *metrics.Metrics       // served at GET /metrics
	served     atomic.Pointer[string] // the workspace served, once known: for the scrape
	// redisUnchecked is set when Redis did not answer the start-up check of its eviction policy and
	// persistence: run checks it every recheckRedis until it does.
	redisUnchecked bool
	aggrWake       chan struct{} // keepAggregates' signal (wakeAggregates)
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
}

func newApp(ctx context.Context, cfg Config, log *zap.Logger, d deps) (_ *app, err error) {
	a := &app{log: log, rdb: d.rdb, allowEviction: cfg.AllowEviction, recheckRedis: d.recheckRedis,
		aggrWake: make(chan struct{}, 1), installs: make(chan rapport.Installation, 1), cfg: cfg, now: d.now, deps: d}
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
		var teams []string
		if t := a.served.Load(); t != nil {
			teams = []string{*t}
		}
		b, err := a.store.Backlog(ctx, teams)
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
			OnInstall:  a.installed, OnUninstall: a.uninstalled, Now: a.now, Log: log.Named("install"),
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
			Ready: a.store.Ping, SigningSecret: secret, Routes: routes}); err != nil {
			ln.Close()
			return nil, err
		}
	}
	if cfg.BotToken != "" {
		if err := a.initTeam(ctx, cfg.BotToken); err != nil {
			if ln != nil {
				ln.Close()
			}
			return nil, err
		}
	}
	return a, nil
}

// initTeam connects to the workspace token is the bot token of and wires its work: the handlers,
// the message catalogue, the sweep and jobs, and the bot.
func (a *app) initTeam(ctx context.Context, token string) (err error) {
	cfg, d, now := a.cfg, a.deps, a.now
	api := slackAPI(cfg, token, a.metrics.Transport(a.transport))
	id, err := bot.Connect(ctx, api)
	if err != nil {
		return err
	}
	a.team = id.TeamID
	log := a.log.With(zap.String("team", id.TeamID))
	a.served.Store(&id.TeamID)
	a.metrics.SetInstalledTeams(1)
	a.settings = handlers.NewSettings(a.store, id.TeamID, cfg.Settings(), now, log.Named("settings"))
	// The aggregates keep the numbers by the group's weeks, months, quarters and years.
	a.store.SetZone(func(string) *time.Location { return a.settings.Snapshot().TimeZone })
	a.handlers = handlers.New(log.Named("handlers"), a.store, api,
		handlers.Config{Team: id.TeamID, Admins: cfg.Admins, BotUser: id.UserID}, a.settings, now)
	a.catalogue = notify.New(log.Named("notify"), a.store, a.settings, id.TeamID, cfg.Admins, now)
	mux := bot.NewMux()
	a.handlers.Register(mux)
	if a.installer != nil {
		// Slack's word that the app left the workspace (or lost its bot token): its work stops.
		uninstalled := func(_ context.Context, r *bot.Request) (any, error) {
			if ev, ok := r.Event.InnerEvent.Data.(*slackevents.TokensRevokedEvent); ok && len(ev.Tokens.Bot) == 0 {
				return nil, nil // a user's token alone: nothing of Rapport's
			}
			r.After(func(ctx context.Context) error {
				_, err := a.installer.Uninstalled(ctx, r.Team)
				return err
			})
			return nil, nil
		}
		mux.Event("app_uninstalled", uninstalled)
		mux.Event("tokens_revoked", uninstalled)
	}

	a.sched, err = scheduler.New(a.store, scheduler.Config{
		Team: id.TeamID, Schedule: cfg.SweepSchedule,
		Timing:   func() rapport.Timing { return a.settings.Snapshot().Timing() },
		Quiet:    func() rapport.QuietHours { return a.settings.Snapshot().QuietHours },
		Weekends: func() bool { return a.settings.Snapshot().NudgeWeekends },
		Notices:  notify.StageNotices,
		// Expiry's moves owe what any move owes (both members told, their DMs redrawn).
		MoveNotices: func(m rapport.Move) []rapport.Notice {
			return notify.Notices(notify.Change{Move: &m, Settings: a.settings.Snapshot()})
		},
		Jobs: []scheduler.Job{
			// Admins' changes made on another replica reach this one's sweep.
			{Name: "settings", Run: func(ctx context.Context, _ time.Time) error { return a.settings.Refresh(ctx) }},
			{Name: "members", Run: a.handlers.RefreshMembers},
			{Name: "digest", Run: a.catalogue.RunDigest}, // weekly digest and inactivity nudges; claims its ISO week once per cluster
			// After an admin changes the time zone (read by "settings" above), the numbers are rebuilt in the new one.
			{Name: "aggregates", Run: func(context.Context, time.Time) error { a.wakeAggregates(); return nil }},
		},
	}, log.Named("scheduler"))
	if err != nil {
		return err
	}
	var sock *socketmode.Client
	if !cfg.HTTPMode {
		sock = socketmode.New(api)
	}
	a.bot, err = bot.New(bot.Config{
		Logger: log.Named("bot"), API: api, Socket: sock, SigningSecret: cfg.SigningSecret, Identity: id, Mux: mux,
		Dedupe: a.store, Outbox: a.store, Renderer: a.catalogue, OnFault: a.catalogue.AlertAdmins, Ready: a.store.Ping, Gateway: a.gateway,
		ReclaimAfter: cfg.ReclaimAfter, Journal: cfg.StateDir, RateLimits: cfg.RateLimits, MaxInFlight: cfg.MaxInFlight,
		FaultRecheck: d.faultRecheck, HomeKinds: []string{notify.Home.Kind},
		Metrics: a.metrics,
	})
	return err
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

// run serves until ctx ends: the gateway, and the workspace's work, from the start when its bot
// token is known, or once it is installed (HTTP mode with OAuth).
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
	if a.bot != nil {
		g.Go(func() error { return a.runTeam(gctx) })
	} else {
		g.Go(func() error { return a.serveInstalls(gctx) })
	}
	return g.Wait()
}

// serveInstalls serves the workspace Rapport is installed in: the one installed already, or the
// first to install; after an uninstall, the next install. One process serves one workspace so far:
// another workspace's install is saved, and waits for its own process. An install or uninstall
// another replica took is seen within installCheck.
func (a *app) serveInstalls(ctx context.Context) error {
	for {
		in, fresh, ok := a.nextInstall(ctx)
		if !ok {
			return nil
		}
		if err := a.initTeam(ctx, in.BotToken.Reveal()); err != nil {
			a.log.Error("installed workspace not served", zap.String("installed_team", in.Team), zap.Error(err))
			continue
		}
		a.log.Info("serving the installed workspace", zap.String("installed_team", in.Team))
		if fresh && in.Installer != "" {
			if err := a.catalogue.WelcomeInstaller(ctx, in.Installer, in.InstalledAt); err != nil {
				a.log.Warn("installer not welcomed", zap.Error(err))
			}
		}
		teamCtx, stop := context.WithCancel(ctx)
		a.stopTeamMu.Lock()
		a.stopTeam = stop
		a.stopTeamMu.Unlock()
		go a.watchInstall(teamCtx, in, stop)
		err := a.runTeam(teamCtx)
		stop()
		if ctx.Err() != nil {
			return err
		}
		a.served.Store(nil)
		a.metrics.SetInstalledTeams(0)
		a.log.Info("the workspace's work stopped: uninstalled or installed again")
	}
}

// installCheck is how often a process looks for an install or uninstall another replica took.
const installCheck = 5 * time.Second

// nextInstall waits for the installation to serve: one this process saved (fresh), or one the
// store holds; false when ctx ends.
func (a *app) nextInstall(ctx context.Context) (in rapport.Installation, fresh, ok bool) {
	tick := time.NewTicker(installCheck)
	defer tick.Stop()
	waiting := false
	for {
		ins, _, err := a.store.ListInstallations(ctx, "", 1)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("installations not read", zap.Error(err))
		case len(ins) > 0 && ins[0].Installed() && (a.team == "" || ins[0].Team == a.team):
			return ins[0], false, true
		case !waiting:
			a.log.Info("no workspace installed yet: waiting for an install at " + install.InstallPath)
			waiting = true
		}
		select {
		case <-ctx.Done():
			return in, false, false
		case in = <-a.installs:
			if a.team != "" && in.Team != a.team {
				a.log.Warn("installed in another workspace; this process serves one", zap.String("installed_team", in.Team))
				continue
			}
			return in, true, true
		case <-tick.C:
		}
	}
}

// watchInstall stops the workspace's work (stop) once its installation is gone or holds another
// token: an uninstall or a re-install, maybe on another replica.
func (a *app) watchInstall(ctx context.Context, served rapport.Installation, stop func()) {
	tick := time.NewTicker(installCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-a.installs: // saved here: serve it at once
			if in.Team == served.Team {
				select {
				case a.installs <- in: // for nextInstall, once the work has stopped
				default:
				}
				stop()
				return
			}
		case <-tick.C:
		}
		in, err := a.store.Installation(ctx, served.Team)
		if err == nil && (!in.Installed() || in.BotToken != served.BotToken) {
			stop()
			return
		}
	}
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

// installed is told of each saved installation (install.Config.OnInstall).
func (a *app) installed(_ context.Context, in rapport.Installation) error {
	select {
	case a.installs <- in:
	default: // one is waiting already; the store has the latest
	}
	return nil
}

// uninstalled stops the workspace's work (install.Config.OnUninstall).
func (a *app) uninstalled(_ context.Context, team string) error {
	a.stopTeamMu.Lock()
	defer a.stopTeamMu.Unlock()
	if team == a.team && a.stopTeam != nil {
		a.stopTeam()
	}
	return nil
}

// runTeam syncs the member directory, then serves the workspace and sweeps its reminders until ctx
// ends.
func (a *app) runTeam(ctx context.Context) error {
	if err := a.settings.Refresh(ctx); err != nil {
		a.log.Warn("settings not read at start; using the environment's until the next sweep", zap.Error(err))
	}
	if err := a.handlers.SyncMembers(ctx); err != nil {
		// Not fatal: Redis may come back; referrals to unknown members trigger a new sync.
		a.log.Warn("member directory not synced at start", zap.Error(err))
	}
	if err := a.store.BackfillOpen(ctx, a.team); err != nil {
		// Not fatal: the next start tries again; until then older open referrals miss the leader's view.
		a.log.Warn("open referrals saved before this version not indexed yet", zap.Error(err))
	}
	// A store without referrals is marked built at once; one with referrals and no aggregates (an
	// upgrade) is rebuilt beside the bot.
	if built, err := a.store.AggregatesBuilt(ctx, a.team, a.settings.Snapshot().TimeZone); err != nil || !built {
		a.wakeAggregates()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { a.keepAggregates(gctx); return nil })
	g.Go(func() error { return a.bot.Run(gctx) })
	g.Go(func() error { return a.sched.Run(gctx) })
	return g.Wait()
}

// wakeAggregates asks keepAggregates to check the aggregates, without waiting.
func (a *app) wakeAggregates() {
	select {
	case a.aggrWake <- struct{}{}:
	default:
	}
}

// keepAggregates rebuilds the group's aggregates (leaderboards, stats, ledgers, the Home's numbers)
// whenever they were not built in the group's time zone: once after an upgrade from a version
// without them, and after an admin changes the zone. It runs beside the bot: the rebuild goes in
// short slices and counts the referrals that move meanwhile (storage.RebuildAggregates), and one
// replica rebuilds while the others find it running. It checks at start and after every sweep.
func (a *app) keepAggregates(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.aggrWake:
		}
		loc := a.settings.Snapshot().TimeZone
		built, err := a.store.AggregatesBuilt(ctx, a.team, loc)
		if err != nil || built {
			if err != nil && ctx.Err() == nil {
				a.log.Warn("aggregates not checked; trying again after the next sweep", zap.Error(err))
			}
			continue
		}
		a.log.Info("rebuilding the numbers from the referrals", zap.Stringer("time_zone", loc))
		start := time.Now()
		n, err := a.store.RebuildAggregates(ctx, a.team, loc)
		switch {
		case errors.Is(err, storage.ErrRebuildRunning):
			a.log.Info("another replica is rebuilding the numbers")
		case err != nil && ctx.Err() == nil:
			a.log.Warn("numbers not rebuilt; trying again after the next sweep", zap.Error(err))
		case err == nil:
			a.log.Info("numbers rebuilt", zap.Int("referrals", n), zap.Duration("took", time.Since(start)))
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
