package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/scheduler"
	"github.com/rapportbot/rapport/storage"
)

// workspace is one workspace's work in the process: its Slack client (its own bot token), its
// settings, handlers and message catalogue, its sweep and jobs, and its bot (its own outbox
// sender, lanes, pacing and faults, so one workspace's backlog or 429s hold up no other's).
type workspace struct {
	team      string
	token     string // the bot token it runs with
	log       *zap.Logger
	settings  *handlers.Settings
	handlers  *handlers.Handlers
	catalogue *notify.Catalogue
	sched     *scheduler.Scheduler
	bot       *bot.Bot
	aggrWake  chan struct{} // keepAggregates' signal (wakeAggregates)
	// ready closes once the start-up steps ran (settings, member directory, indexes, aggregates
	// checked) and the bot takes Slack's requests: /readyz waits for it.
	ready chan struct{}
}

// sweepSpread spreads the sweeps (and the weekly jobs after them) of the workspaces a process
// serves over up to 30 s, each at its own offset (scheduler.Config.Spread): a thousand started
// together do not sweep, nor draw their digests, in the same second.
const sweepSpread = 30 * time.Second

// newWorkspace connects to the workspace token is the bot token of and wires its work.
func (a *app) newWorkspace(ctx context.Context, token string) (_ *workspace, err error) {
	cfg, now := a.cfg, a.now
	api := slackAPI(cfg, token, a.metrics.Transport(bot.DropEchoes(a.transport)))
	id, err := bot.Connect(ctx, api)
	if err != nil {
		return nil, err
	}
	w := &workspace{team: id.TeamID, token: token, log: a.log.With(zap.String("team", id.TeamID)),
		aggrWake: make(chan struct{}, 1), ready: make(chan struct{})}
	log := w.log
	w.settings = handlers.NewSettings(a.store, id.TeamID, cfg.Settings(), now, log.Named("settings"))
	w.handlers = handlers.New(log.Named("handlers"), a.store, api,
		handlers.Config{Team: id.TeamID, Admins: cfg.Admins, BotUser: id.UserID}, w.settings, now)
	w.catalogue = notify.New(log.Named("notify"), a.store, w.settings, id.TeamID, cfg.Admins, now, a.turns)
	mux := bot.NewMux()
	w.handlers.Register(mux)
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
	w.sched, err = scheduler.New(a.store, scheduler.Config{
		Team: id.TeamID, Schedule: cfg.SweepSchedule, Spread: sweepSpread,
		Timing:   func() rapport.Timing { return w.settings.Snapshot().Timing() },
		Quiet:    func() rapport.QuietHours { return w.settings.Snapshot().QuietHours },
		Weekends: func() bool { return w.settings.Snapshot().NudgeWeekends },
		Notices:  notify.StageNotices,
		// Expiry's moves owe what any move owes (both members told, their DMs redrawn).
		MoveNotices: func(m rapport.Move) []rapport.Notice {
			return notify.Notices(notify.Change{Move: &m, Settings: w.settings.Snapshot()})
		},
		OneOnOneNotices: notify.OneOnOneNotices, // an unconfirmed 1:1 expires, its recorder told
		Jobs: []scheduler.Job{
			// Admins' changes made on another replica reach this one's sweep.
			{Name: "settings", Run: func(ctx context.Context, _ time.Time) error { return w.settings.Refresh(ctx) }},
			{Name: "members", Run: w.handlers.RefreshMembers},
			{Name: "digest", Run: w.catalogue.RunDigest},   // weekly digest and inactivity nudges; claims its ISO week once per cluster
			{Name: "pairing", Run: w.catalogue.RunPairing}, // weekly pairing suggestions (off by default); claims its ISO week once per cluster
			// After an admin changes the time zone (read by "settings" above), the numbers are rebuilt in the new one.
			{Name: "aggregates", Run: func(context.Context, time.Time) error { w.wakeAggregates(); return nil }},
		},
	}, log.Named("scheduler"))
	if err != nil {
		return nil, err
	}
	var sock *socketmode.Client
	if !cfg.HTTPMode {
		sock = socketmode.New(api)
	}
	w.bot, err = bot.New(bot.Config{
		Logger: log.Named("bot"), API: api, Socket: sock, SigningSecret: cfg.SigningSecret, Identity: id, Mux: mux,
		Dedupe: a.store, Outbox: a.store, Renderer: w.catalogue, OnFault: w.catalogue.AlertAdmins,
		Gateway: a.gateway, ReclaimAfter: cfg.ReclaimAfter, Journal: cfg.StateDir, RateLimits: cfg.RateLimits,
		MaxInFlight: cfg.MaxInFlight, FaultRecheck: a.deps.faultRecheck, HomeKinds: []string{notify.Home.Kind},
		Metrics: a.metrics,
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// runWorkspace reads the workspace's settings and members and checks its indexes and aggregates,
// then serves it and sweeps its reminders until ctx ends; the workspace counts among the served
// (spaces) meanwhile, and w.ready closes once its bot takes Slack's requests.
func (a *app) runWorkspace(ctx context.Context, w *workspace) error {
	a.spaces.add(w)
	a.metrics.SetInstalledTeams(a.spaces.len())
	defer func() {
		a.spaces.remove(w)
		a.metrics.SetInstalledTeams(a.spaces.len())
	}()
	// Before the bot: a referral to a member needs the directory, or it is refused as unknown.
	a.startUp(ctx, w)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return w.bot.Run(gctx) })
	g.Go(func() error { return w.sched.Run(gctx) })
	g.Go(func() error { a.keepAggregates(gctx, w); return nil })
	go func() {
		select {
		case <-w.bot.Serving():
			close(w.ready)
		case <-gctx.Done():
		}
	}()
	return g.Wait()
}

// startUp reads the workspace's settings and members and checks its indexes and aggregates. None
// of it is fatal: each is tried again later.
func (a *app) startUp(ctx context.Context, w *workspace) {
	if err := w.settings.Refresh(ctx); err != nil {
		w.log.Warn("settings not read at start; using the environment's until the next sweep", zap.Error(err))
	}
	if err := w.handlers.SyncMembers(ctx); err != nil {
		// Referrals to unknown members trigger a new sync.
		w.log.Warn("member directory not synced at start", zap.Error(err))
	}
	if err := a.store.BackfillOpen(ctx, w.team); err != nil {
		// The next start tries again; until then older open referrals miss the leader's view.
		w.log.Warn("open referrals saved before this version not indexed yet", zap.Error(err))
	}
	// A store without referrals is marked built at once; one with referrals and no aggregates (an
	// upgrade) is rebuilt beside the bot.
	if built, err := a.store.AggregatesBuilt(ctx, w.team, w.settings.Snapshot().TimeZone); err != nil || !built {
		w.wakeAggregates()
	}
}

// wakeAggregates asks keepAggregates to check the aggregates, without waiting.
func (w *workspace) wakeAggregates() {
	select {
	case w.aggrWake <- struct{}{}:
	default:
	}
}

// keepAggregates rebuilds the group's aggregates (leaderboards, stats, ledgers, the Home's numbers)
// whenever they were not built in the group's time zone: once after an upgrade from a version
// without them, and after an admin changes the zone. It runs beside the bot: the rebuild goes in
// short slices and counts the referrals that move meanwhile (storage.RebuildAggregates), and one
// replica rebuilds while the others find it running. It checks at start and after every sweep.
func (a *app) keepAggregates(ctx context.Context, w *workspace) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.aggrWake:
		}
		loc := w.settings.Snapshot().TimeZone
		built, err := a.store.AggregatesBuilt(ctx, w.team, loc)
		if err != nil || built {
			if err != nil && ctx.Err() == nil {
				w.log.Warn("aggregates not checked; trying again after the next sweep", zap.Error(err))
			}
			continue
		}
		w.log.Info("rebuilding the numbers from the referrals", zap.Stringer("time_zone", loc))
		start := time.Now()
		n, err := a.store.RebuildAggregates(ctx, w.team, loc)
		switch {
		case errors.Is(err, storage.ErrRebuildRunning):
			w.log.Info("another replica is rebuilding the numbers")
		case err != nil && ctx.Err() == nil:
			w.log.Warn("numbers not rebuilt; trying again after the next sweep", zap.Error(err))
		case err == nil:
			w.log.Info("numbers rebuilt", zap.Int("referrals", n), zap.Duration("took", time.Since(start)))
		}
	}
}

// spaces are the workspaces the process serves now, by team: for the aggregates' time zone, the
// outbox gauges and the tests. Safe for concurrent use.
type spaces struct {
	mu sync.RWMutex
	by map[string]*workspace
}

func (s *spaces) add(w *workspace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.by[w.team] = w
}

func (s *spaces) remove(w *workspace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by[w.team] == w {
		delete(s.by, w.team)
	}
}

func (s *spaces) get(team string) *workspace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.by[team]
}

func (s *spaces) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.by)
}

// teams lists the workspaces served, sorted.
func (s *spaces) teams() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.by))
	for t := range s.by {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// serving reports whether the process serves team now: its workspace started and its bot takes
// Slack's requests.
func (a *app) serving(team string) bool {
	w := a.spaces.get(team)
	if w == nil {
		return false
	}
	select {
	case <-w.ready:
		return true
	default:
		return false
	}
}
