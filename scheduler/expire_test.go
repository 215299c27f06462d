package scheduler_test

import (
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/scheduler"
)

// TestExpireInPages: more stale referrals than one page are all expired in one sweep, a page at a
// time, each with both members' notices and its reminder dropped; one with a recent event is kept.
func TestExpireInPages(t *testing.T) {
	f := newFixture(t)
	t0 := utc(t, "2027-01-04T15:00:00Z")
	n := scheduler.ExpireBatch + 30
	for range n {
		f.refer(t, "UROB", t0)
	}
	fresh := f.refer(t, "UROB", t0.AddDate(0, 0, 80))
	expiry := 90 * 24 * time.Hour
	s, err := scheduler.New(f.st, scheduler.Config{
		Team: team, Schedule: "@every 1m",
		Timing:  func() rapport.Timing { tm := timing; tm.ExpireAfter = expiry; return tm },
		Notices: notify.StageNotices,
		MoveNotices: func(m rapport.Move) []rapport.Notice {
			return notify.Notices(notify.Change{Move: &m})
		},
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(expiry)
	res, err := s.Tick(ctx(t), now)
	if err != nil || res.Expired != n || res.Claimed != 1 {
		t.Fatalf("Tick = %+v, %v; want %d expired and only the fresh referral nudged", res, err, n)
	}
	if q := f.queue(t); len(q) != 1 {
		t.Errorf("due after expiry: %v; want only the fresh referral's next stage", q)
	}
	es, err := f.st.ReadOutbox(ctx(t), team, "test", 100000, 0)
	if err != nil {
		t.Fatal(err)
	}
	told := map[string]int{}
	for _, e := range es {
		if e.Kind == notify.Expired.Kind {
			told[e.To]++
		}
	}
	if told["UGIA"] != n || told["UROB"] != n {
		t.Errorf("expiry notices: %v; want %d each to the giver and the receiver", told, n)
	}
	if ref, err := f.st.Referral(ctx(t), team, fresh); err != nil || ref.Status != rapport.StatusNew {
		t.Errorf("the fresh referral: %s, %v", ref.Status, err)
	}
	if res, err := s.Tick(ctx(t), now.Add(time.Minute)); err != nil || res.Expired != 0 {
		t.Errorf("a second sweep: %+v, %v; want nothing to expire", res, err)
	}
}
