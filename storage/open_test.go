package storage_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

// openNumbers is the open index as OpenAll reads it: numbers, the stalest first.
func (f *fixture) openNumbers(t *testing.T, until time.Time) ([]int64, int64) {
	t.Helper()
	rs, total, err := f.st.OpenAll(ctx(t), team, until, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ns []int64
	for _, r := range rs {
		ns = append(ns, r.Number)
	}
	return ns, total
}

func TestOpenIndexFollowsTheLifecycle(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	b := f.create(t, team, draft(t, "UROB", "kim@prospect.example", ""))
	c := f.create(t, team, draft(t, "UROB", "lee@prospect.example", ""))

	// Moving a referral makes it the freshest; closing it takes it out; a pass on opens the link.
	if _, err := f.move(t, a.Number, "UROB", rapport.ActAccept); err != nil {
		t.Fatal(err)
	}
	if _, err := f.move(t, b.Number, "UROB", rapport.ActDecline); err != nil {
		t.Fatal(err)
	}
	moved, err := f.move(t, c.Number, "UROB", rapport.ActPassOn, func(m *rapport.Move) { m.LinkTo = "UMAY" })
	if err != nil {
		t.Fatal(err)
	}
	ns, total := f.openNumbers(t, time.Time{})
	if want := []int64{a.Number, moved.Linked}; total != 2 || len(ns) != 2 || ns[0] != want[0] || ns[1] != want[1] {
		t.Errorf("open = %v (total %d); want %v", ns, total, want)
	}
	rs, _, _ := f.st.OpenAll(ctx(t), team, time.Time{}, 1)
	if len(rs) != 1 || !rs[0].LastEvent.Equal(now.Add(time.Hour)) || rs[0].Status != rapport.StatusAccepted {
		t.Errorf("stalest = %+v; want R-%d accepted an hour after now", rs, a.Number)
	}
	// Only those whose last event is before until.
	if ns, _ := f.openNumbers(t, now.Add(time.Hour)); len(ns) != 0 {
		t.Errorf("open before the moves = %v; want none", ns)
	}
}

func TestBackfillOpenIndexesOlderReferralsOnce(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	b := f.create(t, team, draft(t, "UROB", "kim@prospect.example", ""))
	if _, err := f.move(t, b.Number, "UROB", rapport.ActDecline); err != nil {
		t.Fatal(err)
	}
	// As a store written before the open indexes existed.
	f.rdb.Del(ctx(t), f.key(team, "open"), f.key(team, "given-open:UGIA"), f.key(team, "received-open:UROB"))
	for i := 0; i < 2; i++ {
		if err := f.st.BackfillOpen(ctx(t), team); err != nil {
			t.Fatal(err)
		}
	}
	if ns, total := f.openNumbers(t, time.Time{}); total != 1 || len(ns) != 1 || ns[0] != a.Number {
		t.Errorf("open after backfill = %v (total %d); want [%d]", ns, total, a.Number)
	}
	given, received, err := f.st.OpenReferrals(ctx(t), team, "UROB", 10)
	if err != nil || len(given) != 0 || len(received) != 1 || received[0].Number != a.Number {
		t.Errorf("UROB's open referrals after backfill: given %v, received %v, %v; want received [%d]", numbers(given), numbers(received), err, a.Number)
	}
	if given, _, _ := f.st.OpenReferrals(ctx(t), team, "UGIA", 10); len(given) != 1 || given[0].Number != a.Number {
		t.Errorf("UGIA's open referrals after backfill: given %v; want [%d]", numbers(given), a.Number)
	}
	if f.rdb.Exists(ctx(t), f.key(team, "migrated:open")).Val() != 1 {
		t.Error("backfill left no mark: it would walk the history at every start")
	}
}
