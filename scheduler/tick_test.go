package scheduler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/scheduler"
	"github.com/rapportbot/rapport/storage/redistest"
)

// step is one Tick and what it must leave behind.
type step struct {
	at         string // RFC 3339
	want       scheduler.Result
	wantNudges []string // queued by this tick
	wantQueue  []string // the whole due queue after it
}

func run(t *testing.T, f *fixture, s *scheduler.Scheduler, steps []step) {
	t.Helper()
	for _, st := range steps {
		got, err := s.Tick(ctx(t), utc(t, st.at))
		if err != nil {
			t.Fatalf("Tick(%s): %v", st.at, err)
		}
		if got != st.want {
			t.Errorf("Tick(%s) = %+v, want %+v", st.at, got, st.want)
		}
		if diff := cmp.Diff(st.wantNudges, f.nudges(t)); diff != "" {
			t.Errorf("Tick(%s) nudges (-want +got):\n%s", st.at, diff)
		}
		if diff := cmp.Diff(st.wantQueue, f.queue(t)); diff != "" {
			t.Errorf("Tick(%s) queue (-want +got):\n%s", st.at, diff)
		}
	}
}

func TestTickAck(t *testing.T) {
	f := newFixture(t)
	f.refer(t, "UROB", utc(t, "2026-03-03T17:00:00Z")) // 10:00 in Phoenix
	run(t, f, f.scheduler(t, 0), []step{
		{at: "2026-03-03T16:59:59Z", wantQueue: []string{"1:ack:UROB@2026-03-03T17:00:00Z"}},
		{at: "2026-03-03T17:00:00Z", want: scheduler.Result{Claimed: 1},
			wantNudges: []string{"nudge.ack 1 UROB"}, wantQueue: []string{"1:ack2:UROB@2026-03-04T17:00:00Z"}},
		// At most one nudge per stage, however often the sweep runs.
		{at: "2026-03-03T17:00:00Z", wantQueue: []string{"1:ack2:UROB@2026-03-04T17:00:00Z"}},
		{at: "2026-03-03T18:00:00Z", wantQueue: []string{"1:ack2:UROB@2026-03-04T17:00:00Z"}},
		{at: "2026-03-04T17:00:00Z", want: scheduler.Result{Claimed: 1},
			wantNudges: []string{"nudge.ack2 1 UROB", "nudge.ack2.giver 1 UGIA"}},
		{at: "2026-03-09T17:00:00Z"}, // then silence
	})
}

func TestTickReport(t *testing.T) {
	f := newFixture(t)
	f.refer(t, "UROB", utc(t, "2026-03-03T17:00:00Z"))
	// The receiver reported contact: the transition replaced ack with report.
	c := ctx(t)
	due, ref := f.prefix+":{"+team+"}:due", f.prefix+":{"+team+"}:ref:1"
	f.rdb.ZRem(c, due, "1:ack:UROB")
	f.rdb.ZAdd(c, due, redisZ(utc(t, "2026-03-05T17:00:00Z"), "1:report:UROB"))
	f.rdb.HSet(c, ref, "due", "1:report:UROB")
	run(t, f, f.scheduler(t, 0), []step{
		{at: "2026-03-03T17:00:00Z", wantQueue: []string{"1:report:UROB@2026-03-05T17:00:00Z"}},
		{at: "2026-03-05T17:00:00Z", want: scheduler.Result{Claimed: 1},
			wantNudges: []string{"nudge.report 1 UROB"}, wantQueue: []string{"1:report2:UROB@2026-03-08T17:00:00Z"}},
		{at: "2026-03-08T17:00:00Z", want: scheduler.Result{Claimed: 1}, wantNudges: []string{"nudge.report2 1 UROB"}},
		{at: "2026-03-20T17:00:00Z"},
	})
}

func TestTickActedOn(t *testing.T) {
	f := newFixture(t)
	f.refer(t, "UROB", utc(t, "2026-03-03T17:00:00Z"))
	f.refer(t, "UROB", utc(t, "2026-03-03T17:00:00Z"))
	c := ctx(t)
	due := f.prefix + ":{" + team + "}:due"
	// R-1 was accepted and closed as the transition script does it: ZREM + HDEL.
	f.rdb.ZRem(c, due, "1:ack:UROB")
	f.rdb.HDel(c, f.prefix+":{"+team+"}:ref:1", "due")
	// R-2 was closed by a writer that cleared the referral's field only: its member is stale.
	f.rdb.HDel(c, f.prefix+":{"+team+"}:ref:2", "due")
	run(t, f, f.scheduler(t, 0), []step{
		{at: "2026-03-03T17:00:00Z", want: scheduler.Result{Stale: 1}},
		{at: "2026-03-05T17:00:00Z"},
	})
}

func TestTickQuietHours(t *testing.T) {
	f := newFixture(t)
	f.refer(t, "UROB", utc(t, "2026-03-04T06:00:00Z")) // 23:00 in Phoenix
	run(t, f, f.scheduler(t, 0), []step{
		{at: "2026-03-04T06:00:00Z", want: scheduler.Result{Postponed: 1},
			wantQueue: []string{"1:ack:UROB@2026-03-04T15:00:00Z"}}, // 08:00 in Phoenix
		{at: "2026-03-04T14:59:59Z", wantQueue: []string{"1:ack:UROB@2026-03-04T15:00:00Z"}},
		{at: "2026-03-04T15:00:00Z", want: scheduler.Result{Claimed: 1},
			wantNudges: []string{"nudge.ack 1 UROB"}, wantQueue: []string{"1:ack2:UROB@2026-03-05T15:00:00Z"}},
	})
}

// New York falls back an hour in the night of 2026-11-01: a nudge due at 23:00 EDT waits for
// 08:00 EST, ten hours later, not nine.
func TestTickQuietHoursDST(t *testing.T) {
	f := newFixture(t)
	f.refer(t, "UNYC", utc(t, "2026-11-01T03:00:00Z")) // 23:00 EDT on Oct 31
	run(t, f, f.scheduler(t, 0), []step{
		{at: "2026-11-01T03:00:00Z", want: scheduler.Result{Postponed: 1},
			wantQueue: []string{"1:ack:UNYC@2026-11-01T13:00:00Z"}},
		{at: "2026-11-01T12:00:00Z", wantQueue: []string{"1:ack:UNYC@2026-11-01T13:00:00Z"}}, // 07:00 EST
		{at: "2026-11-01T13:00:00Z", want: scheduler.Result{Claimed: 1},
			wantNudges: []string{"nudge.ack 1 UNYC"}, wantQueue: []string{"1:ack2:UNYC@2026-11-02T13:00:00Z"}},
	})
}

// A member without a usable zone, or gone from the directory, is nudged on UTC's clock.
func TestTickZoneFallback(t *testing.T) {
	f := newFixture(t)
	f.refer(t, "UODD", utc(t, "2026-03-04T06:00:00Z"))
	f.refer(t, "UNOZ", utc(t, "2026-03-04T06:00:00Z"))
	f.refer(t, "UROB", utc(t, "2026-03-04T06:00:00Z"))
	f.rdb.HDel(ctx(t), f.prefix+":{"+team+"}:members", "UROB")
	run(t, f, f.scheduler(t, 0), []step{
		{at: "2026-03-04T06:00:00Z", want: scheduler.Result{Postponed: 3}, wantQueue: []string{
			"1:ack:UODD@2026-03-04T08:00:00Z", "2:ack:UNOZ@2026-03-04T08:00:00Z", "3:ack:UROB@2026-03-04T08:00:00Z",
		}},
	})
}

func TestTickPages(t *testing.T) {
	f := newFixture(t)
	f.quiet = rapport.QuietHours{}
	var want []string
	for i := range 7 {
		n := f.refer(t, "UROB", utc(t, "2026-03-03T17:00:00Z").Add(time.Duration(i)*time.Minute))
		want = append(want, fmt.Sprintf("nudge.ack %d UROB", n))
	}
	got, err := f.scheduler(t, 3).Tick(ctx(t), utc(t, "2026-03-03T18:00:00Z"))
	if err != nil || got != (scheduler.Result{Claimed: 7}) {
		t.Fatalf("Tick = %+v, %v; want 7 claimed", got, err)
	}
	if diff := cmp.Diff(want, f.nudges(t)); diff != "" {
		t.Errorf("nudges (-want +got):\n%s", diff)
	}
}

func TestTickTimingChanges(t *testing.T) {
	f := newFixture(t)
	f.refer(t, "UROB", utc(t, "2026-03-03T17:00:00Z"))
	sla := 24 * time.Hour
	s, err := scheduler.New(f.st, scheduler.Config{
		Team: team, Schedule: "@every 1m",
		Timing: func() rapport.Timing { return rapport.Timing{FollowUpSLA: sla} }, Notices: notify.StageNotices,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sla = 2 * time.Hour // an admin shortened the SLA
	if _, err := s.Tick(ctx(t), utc(t, "2026-03-03T17:00:00Z")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1:ack2:UROB@2026-03-03T19:00:00Z"}, f.queue(t)); diff != "" {
		t.Errorf("queue (-want +got):\n%s", diff)
	}
}

func TestNew(t *testing.T) {
	st := newFixture(t).st
	ok := scheduler.Config{Team: team, Schedule: "@every 1m", Timing: func() rapport.Timing { return timing }, Notices: notify.StageNotices}
	tests := []struct {
		name string
		edit func(*scheduler.Config)
		ok   bool
	}{
		{"OK", func(*scheduler.Config) {}, true},
		{"Cron", func(c *scheduler.Config) { c.Schedule = "*/5 * * * *" }, true},
		{"ErrSchedule", func(c *scheduler.Config) { c.Schedule = "every minute" }, false},
		{"ErrEmptySchedule", func(c *scheduler.Config) { c.Schedule = "" }, false},
		{"ErrTeam", func(c *scheduler.Config) { c.Team = "" }, false},
		{"ErrTiming", func(c *scheduler.Config) { c.Timing = nil }, false},
		{"ErrNotices", func(c *scheduler.Config) { c.Notices = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if _, err := scheduler.New(st, cfg, nil); (err == nil) != tt.ok {
				t.Errorf("New error = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// A night's sweep of many reminders costs round trips by the page, not by the reminder: the
// receivers' zones are read together, and the reminders in quiet hours are postponed together.
func TestTickRoundTripsByPage(t *testing.T) {
	f := newFixture(t)
	at := utc(t, "2026-03-04T06:00:00Z") // 23:00 in Phoenix, 01:00 in New York, 06:00 UTC: all quiet
	receivers := []string{"UROB", "UNYC", "UODD", "UNOZ"}
	for i := range 40 {
		f.refer(t, receivers[i%len(receivers)], at)
	}
	s := f.scheduler(t, 0)
	var trips redistest.RoundTrips
	f.rdb.AddHook(&trips)
	res, err := s.Tick(ctx(t), at)
	if err != nil || res != (scheduler.Result{Postponed: 40}) {
		t.Fatalf("Tick = %+v, %v; want all 40 postponed", res, err)
	}
	// The page of due reminders, the four receivers' zones, the 40 postponed: 3 (a script loaded
	// for the first time would add one). Before, each receiver and each postponement took its own.
	if n := trips.Load(); n > 3 {
		t.Errorf("the sweep took %d round trips; want 3: one page read, one for the zones, one to postpone", n)
	}
	// Each waits for 08:00 in its receiver's zone (UTC for an unknown or missing one).
	ends := map[string]string{"UROB": "2026-03-04T15:00:00Z", "UNYC": "2026-03-04T13:00:00Z",
		"UODD": "2026-03-04T08:00:00Z", "UNOZ": "2026-03-04T08:00:00Z"}
	q := f.queue(t)
	if len(q) != 40 {
		t.Fatalf("%d reminders queued after the sweep; want 40", len(q))
	}
	for _, e := range q {
		id, when, _ := strings.Cut(e, "@")
		if receiver := id[strings.LastIndex(id, ":")+1:]; when != ends[receiver] {
			t.Errorf("%s postponed to %s; want %s, the end of its receiver's quiet hours", id, when, ends[receiver])
		}
	}
}
