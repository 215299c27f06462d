package scheduler_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/scheduler"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

var _ scheduler.Store = (*storage.Store)(nil)

const team = "T0001"

var directory = []rapport.Member{
	{ID: "UGIA", Name: "gia", RealName: "Gia Giver", TZ: "America/Phoenix"},
	{ID: "UROB", Name: "rob", RealName: "Rob Receiver", TZ: "America/Phoenix"}, // UTC-7 all year
	{ID: "UNYC", Name: "nia", RealName: "Nia York", TZ: "America/New_York"},
	{ID: "UODD", Name: "odd", RealName: "Odd Zone", TZ: "Mars/Olympus_Mons"},
	{ID: "UNOZ", Name: "noz", RealName: "No Zone"},
}

var timing = rapport.Timing{FollowUpSLA: 24 * time.Hour, ReportBackAfter: 72 * time.Hour}

type fixture struct {
	st     *storage.Store
	rdb    redis.UniversalClient
	prefix string
	quiet  rapport.QuietHours
	n      int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	f := &fixture{rdb: srv.Client(t), prefix: srv.Prefix(t)}
	f.st = storage.New(f.rdb, storage.WithPrefix(f.prefix))
	if err := f.st.PutMembers(ctx(t), team, directory); err != nil {
		t.Fatalf("PutMembers: %v", err)
	}
	f.quiet, _ = rapport.ParseQuietHours("21:00-08:00")
	return f
}

// scheduler returns a sweep of the fixture's store reading f.quiet on each tick.
func (f *fixture) scheduler(t testing.TB, batch int) *scheduler.Scheduler {
	t.Helper()
	s, err := scheduler.New(f.st, scheduler.Config{
		Team: team, Schedule: "@every 1m", Batch: batch,
		Timing: func() rapport.Timing { return timing }, Notices: notify.StageNotices,
		Quiet: func() rapport.QuietHours { return f.quiet },
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// refer saves a referral from UGIA to receiver, created a day before its ack reminder falls due at at.
func (f *fixture) refer(t testing.TB, receiver string, at time.Time) int64 {
	t.Helper()
	f.n++
	d, errs := rapport.Validate(rapport.Draft{
		Giver: "UGIA", Receiver: receiver,
		Prospect: rapport.Prospect{Name: "Pat Prospect", Phone: fmt.Sprintf("+1480555%04d", f.n)},
		Need:     "Needs a commercial insurance review.",
		Facts:    rapport.Facts{Spoke: true, MayShare: true},
	})
	if len(errs) > 0 {
		t.Fatalf("Validate: %v", errs)
	}
	r, _, err := f.st.CreateReferral(ctx(t), rapport.Submission{
		Team: team, EnvelopeID: fmt.Sprintf("env-%d", f.n), Draft: d, Now: at.Add(-timing.FollowUpSLA),
		Reminder: rapport.StageAck, ReminderAt: at,
	})
	if err != nil {
		t.Fatalf("CreateReferral: %v", err)
	}
	return r.Number
}

// nudges returns the nudges queued since the last call, as "kind ref to", sorted.
func (f *fixture) nudges(t testing.TB) []string {
	t.Helper()
	es, err := f.st.ReadOutbox(ctx(t), team, "test", 100000, 0)
	if err != nil {
		t.Fatalf("ReadOutbox: %v", err)
	}
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Kind, "nudge.") {
			out = append(out, fmt.Sprintf("%s %d %s", e.Kind, e.Ref, e.To))
		}
	}
	sort.Strings(out)
	return out
}

// queue returns the due zset as "member@time in UTC".
func (f *fixture) queue(t testing.TB) []string {
	t.Helper()
	zs, err := f.rdb.ZRangeWithScores(ctx(t), f.prefix+":{"+team+"}:due", 0, -1).Result()
	if err != nil {
		t.Fatalf("ZRANGE due: %v", err)
	}
	var out []string
	for _, z := range zs {
		out = append(out, fmt.Sprintf("%s@%s", z.Member, time.UnixMilli(int64(z.Score)).UTC().Format(time.RFC3339)))
	}
	return out
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
