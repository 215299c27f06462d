package storage_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

func TestNudgeNowQueuesOncePerDay(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	got, err := f.st.NudgeNow(ctx(t), team, a.Number, "UADA", "nudge.leader", now)
	if err != nil || !got.Queued || got.Receiver != "UROB" {
		t.Fatalf("first nudge = %+v, %v; want queued to UROB", got, err)
	}
	again, err := f.st.NudgeNow(ctx(t), team, a.Number, "UADA", "nudge.leader", now.Add(time.Second))
	if err != nil || again.Queued || !again.Before.Equal(now) {
		t.Errorf("second nudge = %+v, %v; want not queued, before %v", again, err, now)
	}
	if _, err := f.move(t, a.Number, "UROB", rapport.ActDecline); err != nil {
		t.Fatal(err)
	}
	f.rdb.Del(ctx(t), f.key(team, "ref:1:nudged"))
	if _, err := f.st.NudgeNow(ctx(t), team, a.Number, "UADA", "nudge.leader", now); rapport.ErrorCode(err) != rapport.ECONFLICT {
		t.Errorf("nudging a declined referral: %v; want a conflict", err)
	}
	if _, err := f.st.NudgeNow(ctx(t), team, 99, "UADA", "nudge.leader", now); rapport.ErrorCode(err) != rapport.ENOTFOUND {
		t.Errorf("nudging R-99: %v; want not found", err)
	}
	if n := f.kindCount(t, "nudge.leader"); n != 1 {
		t.Errorf("%d nudges queued; want 1", n)
	}
}

func TestWelcomeOncePerMember(t *testing.T) {
	f := newFixture(t)
	f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	for _, tt := range []struct {
		user string
		home bool
		want bool
	}{
		{"UNEW", false, true},
		{"UNEW", true, false},  // a later Home visit: once ever
		{"UROB", false, false}, // received a referral already: knows Rapport
		{"UTWO", true, true},   // first contact through Home
	} {
		var got bool
		var err error
		if tt.home {
			got, err = f.st.OpenedHomeWelcome(ctx(t), team, tt.user, "home", "welcome", now)
		} else {
			got, err = f.st.Welcome(ctx(t), team, tt.user, "welcome")
		}
		if err != nil || got != tt.want {
			t.Errorf("welcome %s (home %v) = %v, %v; want %v", tt.user, tt.home, got, err, tt.want)
		}
	}
	if err := f.st.MarkWelcomed(ctx(t), team, "UOLD"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.st.Welcome(ctx(t), team, "UOLD", "welcome"); err != nil || got {
		t.Errorf("welcome of a member marked welcomed = %v, %v", got, err)
	}
	if n := f.kindCount(t, "welcome"); n != 2 {
		t.Errorf("%d welcomes queued; want 2", n)
	}
	if n := f.kindCount(t, "home"); n != 2 {
		t.Errorf("%d Home views queued; want 2", n)
	}
}

// kindCount is how many outbox entries of kind wait.
func (f *fixture) kindCount(t *testing.T, kind string) int {
	t.Helper()
	es, err := f.rdb.XRange(ctx(t), f.key(team, "outbox"), "-", "+").Result()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Values["kind"] == kind {
			n++
		}
	}
	return n
}
