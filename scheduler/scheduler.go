// Package scheduler runs Rapport's timed work: the sweep that claims due reminders and queues their
// nudges in the outbox. It never calls Slack: the outbox sender renders the nudges when it sends.
//
// Tick does one pass at a given time, so tests drive it with an injected clock; Run drives Tick from
// a cron schedule. The sweep is safe on every replica at once: a claim is atomic in the store.
package scheduler

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
)

// Store is what the sweep needs of storage (*storage.Store implements it).
type Store interface {
	DueBefore(ctx context.Context, team string, now time.Time, limit int) ([]rapport.Due, error)
	ClaimDue(ctx context.Context, team string, claims []rapport.Claim) (int, error)
	Postpone(ctx context.Context, team string, ps []rapport.Postponement) error
	MembersByID(ctx context.Context, team string, ids []string) (map[string]rapport.Member, error)
	// StaleOpen and Move are expiry's: the open referrals with no event since a time, and the move
	// that closes one, with its messages, in one step.
	StaleOpen(ctx context.Context, team string, until time.Time, limit int) ([]int64, error)
	Move(ctx context.Context, m rapport.Move) (rapport.Moved, error)
	// ExpireOneOnOnes expires the 1:1s nobody confirmed by now, with the messages each owes, a
	// page of limit per step, and says how many it expired.
	ExpireOneOnOnes(ctx context.Context, team string, now time.Time, limit int, ns []rapport.Notice) (int, error)
}

// Config configures a Scheduler.
type Config struct {
	Team     string
	Schedule string // cron spec of the sweep (RAPPORT_SWEEP_SCHEDULE), e.g. "@every 1m"
	// Timing and Quiet are read on every tick, so an admin's change applies without a restart.
	Timing func() rapport.Timing
	Quiet  func() rapport.QuietHours // nil: no quiet hours
	// Weekends reports whether the group nudges on weekends; when it does not, a nudge due on the
	// receiver's Saturday or Sunday waits for their Monday morning. nil: nudge every day.
	Weekends func() bool
	// Notices lists the messages a reminder stage owes when it falls due (the message catalogue's
	// notify.StageNotices); the claim queues them with the stage.
	Notices func(rapport.Stage) []rapport.Notice
	// MoveNotices lists the messages a move owes (the catalogue's notify.Notices): expiry's moves
	// queue them. nil: referrals never expire.
	MoveNotices func(rapport.Move) []rapport.Notice
	// OneOnOneNotices lists the messages a 1:1 owes as it comes to a status (the catalogue's
	// notify.OneOnOneNotices): expiry's queue those of rapport.OneOnOneExpired (the recorder
	// told). nil: 1:1s never expire.
	OneOnOneNotices func(rapport.OneOnOneStatus) []rapport.Notice
	Batch           int // reminders read and claimed per round trip; 0: DefaultBatch
	// Spread runs each sweep up to this long (and less than half the schedule's period) after the
	// time the schedule names, at an offset of the team's own, the same on every replica: the
	// workspaces a process serves spread their sweeps and weekly jobs over the period rather than
	// run them all at once. 0: at the time named.
	Spread time.Duration
	// Jobs run after each sweep, on the same schedule: periodic work that decides for itself whether
	// it is due (the weekly digest claims its week in Redis, so it runs once per cluster).
	Jobs []Job
}

// Job is periodic work beside the sweep. It is given the sweep's clock.
type Job struct {
	Name string
	Run  func(ctx context.Context, now time.Time) error
}

// DefaultBatch bounds one claim script, so Redis is never blocked long by a backlog: a claim costs
// Redis 13–30 µs (its nudges queued, its next stage scheduled), so 50 keep a script near 1.5 ms on
// this project's 2-core machine (BenchmarkTick's max_claim_us: 1.3–5.0 ms), under the 5 ms every
// script keeps; 1,000 took 13–27 ms (27–62 ms on a loaded machine). A sweep of 10,000 then makes
// 501 round trips instead of 121: 320–380 ms instead of 175–300 ms, while the nudges it queued are
// already going out.
const DefaultBatch = 50

// Scheduler sweeps one workspace's due reminders.
type Scheduler struct {
	store Store
	cfg   Config
	sched cron.Schedule
	log   *zap.Logger
	now   func() time.Time
	// offset is how long after each time the schedule names the sweep runs (Config.Spread).
	offset time.Duration

	mu    sync.Mutex
	zones map[string]*time.Location // IANA name → location; a bad name maps to UTC
}

// New checks cfg and returns a scheduler; a bad cron spec is an error here, not a log line later.
// log should name the team (cmd/rapport's does): the scheduler adds no field of its own to it.
func New(store Store, cfg Config, log *zap.Logger) (*Scheduler, error) {
	if store == nil || cfg.Team == "" || cfg.Timing == nil || cfg.Notices == nil {
		return nil, fmt.Errorf("scheduler: store, team, timing and notices are required")
	}
	sched, err := cron.ParseStandard(cfg.Schedule)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %q is not a cron spec (e.g. \"@every 1m\" or \"*/5 * * * *\"): %w", cfg.Schedule, err)
	}
	if cfg.Quiet == nil {
		cfg.Quiet = func() rapport.QuietHours { return rapport.QuietHours{} }
	}
	if cfg.Weekends == nil {
		cfg.Weekends = func() bool { return true }
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Scheduler{
		store: store, cfg: cfg, sched: sched, log: log, // the caller's logger names the team already
		now: time.Now, zones: map[string]*time.Location{}, offset: offsetOf(cfg.Team, sched, cfg.Spread),
	}, nil
}

// offsetOf is team's offset within spread, bounded by half the period of sched (measured between
// its next two times), from a hash of the team's ID: every replica gives a team the same.
func offsetOf(team string, sched cron.Schedule, spread time.Duration) time.Duration {
	next := sched.Next(time.Now())
	spread = min(spread, sched.Next(next).Sub(next)/2)
	if spread <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(team))
	return time.Duration(h.Sum64() % uint64(spread))
}

// Run sweeps on the schedule until ctx is done, then waits for a running sweep and returns nil. A
// sweep still running when the next is due is skipped, and a panic in one is logged, not fatal.
func (s *Scheduler) Run(ctx context.Context) error {
	cl := cronLogger{s.log.Sugar()}
	c := cron.New(cron.WithLogger(cl), cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	c.Schedule(s.sched, cron.FuncJob(func() {
		if s.offset > 0 {
			t := time.NewTimer(s.offset)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
		now := s.now()
		defer s.runJobs(ctx, now)
		res, err := s.Tick(ctx, now)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("reminder sweep", zap.Error(err), zap.Int("claimed", res.Claimed), zap.Int("expired", res.Expired))
		case res != Result{}:
			s.log.Info("reminder sweep", zap.Int("claimed", res.Claimed), zap.Int("postponed", res.Postponed),
				zap.Int("stale", res.Stale), zap.Int("expired", res.Expired), zap.Int("oneones_expired", res.OneOnOnesExpired))
		}
	}))
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// runJobs runs the periodic jobs one after the other; one failing does not stop the others.
func (s *Scheduler) runJobs(ctx context.Context, now time.Time) {
	for _, j := range s.cfg.Jobs {
		if ctx.Err() != nil {
			return
		}
		if err := j.Run(ctx, now); err != nil {
			s.log.Error("periodic job", zap.String("job", j.Name), zap.Error(err))
		}
	}
}

// cronLogger sends robfig/cron's notices to zap: its routine ones (schedule, wake) at debug level.
type cronLogger struct{ log *zap.SugaredLogger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debugw("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Errorw("cron: "+msg, append(kv, "error", err)...)
}
