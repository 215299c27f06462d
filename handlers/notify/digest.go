package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
)

const (
	digestJob       = "digest"
	digestLockTTL   = 2 * time.Minute    // the computation takes about a second at 100,000 referrals a week
	digestClaimTTL  = 8 * 24 * time.Hour // longer than the week it claims
	digestDays      = 7                  // the digest covers the 7 whole days before its scheduled day
	digestWeeks     = 12                 // the chart's span in weeks of 7 days (overdue referrals: all that wait)
	digestMaxSteps  = 2 * 8 * 24 * 60    // bounds the walk over a week of cron times (every 30 s)
	digestAsks      = 5                  // newest asks the digest repeats (rule 7)
	digestMetMost   = 3                  // members named for the most 1:1s
	digestNudgeAsks = 3                  // asks of others an inactive member is shown
	digestListMax   = 12                 // members named on one line before "and N more"
	digestAskClip   = 200                // runes of an ask shown in a list

	digestFieldSince = "since"           // digest.inactive: start of the inactivity window, Unix ms
	digestFieldAt    = "at"              // digest.chart: the digest's scheduled time, Unix ms
	digestFieldBody  = rapport.EntryBody // digest.weekly: the computed digest, JSON
	digestFieldWeek  = "week"            // every digest entry: the ISO week it belongs to
)

// DigestStore is what the weekly digest needs beyond the asks: the numbers of its days and of the
// chart's (from the aggregates), the leader lock, the week's claim with its messages in one step,
// the member directory and who gave.
type DigestStore interface {
	// Span is what the digest shows of [from, to), in one round trip (storage/digest.go).
	Span(ctx context.Context, team string, from, to, waitingBy time.Time) (rapport.Span, error)
	// DayTotals is the group's numbers of each day [from, to) touches, value in currency.
	DayTotals(ctx context.Context, team string, from, to time.Time, currency string) ([]rapport.DayTotal, error)
	// AggregatesBuilt is false while the numbers are rebuilt (an upgrade, a change of zone): the
	// digest waits for them rather than post partial numbers and nudge members who did give.
	AggregatesBuilt(ctx context.Context, team string, loc *time.Location) (bool, error)
	WithLock(ctx context.Context, team, job string, ttl time.Duration, fn func(ctx context.Context) error) (ran bool, err error)
	DigestClaimed(ctx context.Context, team, week string) (bool, error)
	QueueDigest(ctx context.Context, team, week string, ttl time.Duration, msgs []rapport.OutboxEntry) (claimed bool, err error)
	Members(ctx context.Context, team string) ([]rapport.Member, error)
	// GivenCounts counts the referrals each member gave on the days [from, to) touches.
	GivenCounts(ctx context.Context, team string, members []string, from, to time.Time) (map[string]int, error)
}

// RunDigest is the weekly digest's scheduler job: run it after every sweep, on every replica. When the
// settings' DigestSchedule (in TimeZone) has come due in the current ISO week and the week is not yet
// claimed, one replica computes the digest under the lock and queues it (the digest, its chart, and
// the private nudges of inactive members) in the same Redis step that claims the week, so the
// cluster posts it once; a later run in the same week finds the claim and does nothing.
func (c *Catalogue) RunDigest(ctx context.Context, now time.Time) error {
	return c.runWeekly(ctx, now, weeklyJob{
		name: digestJob, lockTTL: digestLockTTL,
		spec:    func(set rapport.Settings) string { return set.DigestSchedule },
		claimed: c.store.DigestClaimed,
		queue: func(ctx context.Context, set rapport.Settings, at time.Time, wk string) error {
			msgs, err := c.digestMessages(ctx, set, at, wk)
			if err != nil {
				return err
			}
			claimed, err := c.store.QueueDigest(ctx, c.team, wk, digestClaimTTL, msgs)
			if err == nil && claimed {
				c.log.Info("weekly digest queued", zap.String("week", wk), zap.Time("at", at), zap.Int("messages", len(msgs)))
			}
			return err
		},
	})
}

// weeklyJob is a job that runs once a week per cluster, at a time of the settings: the digest, the
// pairing.
type weeklyJob struct {
	name    string // the job's lock, and its name in logs
	lockTTL time.Duration
	spec    func(set rapport.Settings) string // its cron spec, in the group's zone; "" for off
	// claimed says whether the week was claimed already; queue computes what the week owes and
	// queues it in the same Redis step that claims the week.
	claimed func(ctx context.Context, team, week string) (bool, error)
	queue   func(ctx context.Context, set rapport.Settings, at time.Time, week string) error
}

// runWeekly runs j when its time has come in the current ISO week and the week is not yet claimed:
// under j's lock, once the numbers are whole (a job computed from numbers being rebuilt would
// show partial ones; a later sweep this week runs it for the same time), and checking the claim
// again, since another replica may have run it while this one waited for the lock.
func (c *Catalogue) runWeekly(ctx context.Context, now time.Time, j weeklyJob) error {
	set := c.settings.Get(ctx)
	at, wk, due, err := weekDue(j.spec(set), set.TimeZone, now)
	if err != nil || !due {
		return err
	}
	if done, err := j.claimed(ctx, c.team, wk); err != nil || done {
		return err
	}
	// In a turn of the process's (Turns), taken before the lock, so another replica with a turn
	// free takes the week meanwhile.
	release, err := c.turns.take(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.store.WithLock(ctx, c.team, j.name, j.lockTTL, func(ctx context.Context) error {
		if done, err := j.claimed(ctx, c.team, wk); err != nil || done {
			return err
		}
		if built, err := c.store.AggregatesBuilt(ctx, c.team, set.TimeZone); err != nil || !built {
			if err == nil {
				c.log.Info("weekly job waits for the numbers being rebuilt", zap.String("job", j.name), zap.String("week", wk))
			}
			return err
		}
		return j.queue(ctx, set, at, wk)
	})
	return err
}

// weekDue returns the latest time the cron spec names in the ISO week of now (in loc) that is not
// after now, and that week (rapport.WeekID: "2026-W10"); due is false when the spec names no such
// time yet, or the spec is empty (the job is off). The weekly jobs (the digest, the pairing) run
// when it is due and claim the week.
func weekDue(spec string, loc *time.Location, now time.Time) (at time.Time, wk string, due bool, err error) {
	if spec == "" {
		return time.Time{}, "", false, nil
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return time.Time{}, "", false, fmt.Errorf("weekly schedule %q: %w", spec, err)
	}
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	p, _ := rapport.PeriodOf("week", now, loc) // from Monday 00:00: the ISO week
	t := sched.Next(p.From.Add(-time.Second))
	for i := 0; !t.IsZero() && !t.After(now) && i < digestMaxSteps; i++ {
		at = t
		t = sched.Next(t)
	}
	if at.IsZero() {
		return time.Time{}, "", false, nil
	}
	return at, rapport.WeekID(at, loc), true, nil
}

// digestMessages computes the digest due at and returns the messages it owes: the digest and its
// chart to the recognition channel (none when no channel is set), and a private nudge to every
// member who gave nothing for InactivityWeeks.
func (c *Catalogue) digestMessages(ctx context.Context, set rapport.Settings, at time.Time, wk string) ([]rapport.OutboxEntry, error) {
	var msgs []rapport.OutboxEntry
	if ch := set.RecognitionChannel; ch == "" {
		c.log.Info("weekly digest not posted: no recognition channel is set", zap.String("week", wk))
	} else {
		d, err := c.computeDigest(ctx, set, at)
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("encode digest: %w", err)
		}
		msgs = append(msgs,
			rapport.OutboxEntry{Kind: Digest.Kind, To: ch, Fields: map[string]string{digestFieldBody: string(body), digestFieldWeek: wk}},
			rapport.OutboxEntry{Kind: DigestChart.Kind, To: ch, Fields: map[string]string{digestFieldAt: unixMS(at), digestFieldWeek: wk}})
	}
	idle, since, err := c.inactiveMembers(ctx, set, at)
	if err != nil {
		return nil, err
	}
	for _, m := range idle {
		msgs = append(msgs, rapport.OutboxEntry{Kind: DigestInactive.Kind, To: m,
			Fields: map[string]string{digestFieldSince: unixMS(since), digestFieldWeek: wk}})
	}
	return msgs, nil
}

// digestSpan is what the digest due at shows: the days whole days before at's day in the group's
// zone, so a Monday digest shows the week before, Monday to Sunday, whatever its hour.
func digestSpan(at time.Time, loc *time.Location, days int) (from, to time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	to = rapport.Midnight(at, loc)
	y, m, d := to.In(loc).Date()
	return rapport.StartOfDay(y, m, d-days, loc), to
}

// computeDigest reads what the digest at at shows, in one round trip: its days' numbers with their
// thank-yous, recommendations, the referrals still waiting past the follow-up SLA, and the asks.
func (c *Catalogue) computeDigest(ctx context.Context, set rapport.Settings, at time.Time) (weekly, error) {
	from, to := digestSpan(at, set.TimeZone, digestDays)
	span, err := c.store.Span(ctx, c.team, from, to, at.Add(-set.FollowUpSLA))
	if err != nil {
		return weekly{}, err
	}
	return summarize(span, set, from, to), nil
}

// inactiveMembers returns the members (people only) who gave no referral in the InactivityWeeks of
// whole days before at's day, and when that window began; none when the setting is 0.
func (c *Catalogue) inactiveMembers(ctx context.Context, set rapport.Settings, at time.Time) ([]string, time.Time, error) {
	if set.InactivityWeeks <= 0 {
		return nil, time.Time{}, nil
	}
	since, until := digestSpan(at, set.TimeZone, 7*set.InactivityWeeks)
	ms, err := c.store.Members(ctx, c.team)
	if err != nil {
		return nil, time.Time{}, err
	}
	var ids []string
	for _, m := range ms {
		if m.CanReceive() {
			ids = append(ids, m.ID)
		}
	}
	gave, err := c.store.GivenCounts(ctx, c.team, ids, since, until)
	if err != nil {
		return nil, time.Time{}, err
	}
	var idle []string
	for _, id := range ids {
		if gave[id] == 0 {
			idle = append(idle, id)
		}
	}
	return idle, since, nil
}

func unixMS(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func msField(e rapport.OutboxEntry, name string) (time.Time, bool) {
	n, err := strconv.ParseInt(e.Fields[name], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}
