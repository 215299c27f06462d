package storage_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Kinds of the nudges the tests queue, and the notices of each stage as the scheduler asks for them.
const (
	kindNudgeAck       = "nudge.ack"
	kindNudgeAck2      = "nudge.ack2"
	kindNudgeAck2Giver = "nudge.ack2.giver"
)

var (
	nudgeAck  = []rapport.Notice{{Kind: kindNudgeAck, To: rapport.RoleReceiver}}
	nudgeAck2 = []rapport.Notice{{Kind: kindNudgeAck2, To: rapport.RoleReceiver}, {Kind: kindNudgeAck2Giver, To: rapport.RoleGiver}}
)

// createDue saves a referral from UGIA to receiver whose ack reminder falls due at at.
func (f *fixture) createDue(t testing.TB, receiver string, at time.Time) rapport.Referral {
	t.Helper()
	// A prospect of its own, so no referral is refused as a duplicate.
	nr := f.newReferral(team, draft(t, receiver, "", fmt.Sprintf("+1480555%04d", 1000+f.envs)))
	nr.Reminder, nr.ReminderAt = rapport.StageAck, at
	r, _, err := f.st.CreateReferral(ctx(t), nr)
	if err != nil {
		t.Fatalf("CreateReferral: %v", err)
	}
	return r
}

// nudges reads the outbox entries written since the last read and keeps the nudges, as
// "kind ref to stage".
func nudges(t testing.TB, f *fixture) []string {
	t.Helper()
	es, err := f.st.ReadOutbox(ctx(t), team, "test", 10000, 0)
	if err != nil {
		t.Fatalf("ReadOutbox: %v", err)
	}
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Kind, "nudge.") {
			out = append(out, fmt.Sprintf("%s %d %s %s", e.Kind, e.Ref, e.To, e.Fields["stage"]))
		}
	}
	return out
}

// queue returns the due zset as "member@offset from now".
func queue(t testing.TB, f *fixture) []string {
	t.Helper()
	zs, err := f.rdb.ZRangeWithScores(ctx(t), f.key(team, "due"), 0, -1).Result()
	if err != nil {
		t.Fatalf("ZRANGE due: %v", err)
	}
	var out []string
	for _, z := range zs {
		out = append(out, fmt.Sprintf("%s@%s", z.Member, time.UnixMilli(int64(z.Score)).Sub(now)))
	}
	return out
}

func refDue(t testing.TB, f *fixture, n int64) string {
	t.Helper()
	v, err := f.rdb.HGet(ctx(t), f.key(team, fmt.Sprintf("ref:%d", n)), "due").Result()
	if err == redis.Nil {
		return "<none>"
	}
	if err != nil {
		t.Fatalf("HGET due: %v", err)
	}
	return v
}

func TestDueBefore(t *testing.T) {
	f := newFixture(t)
	f.createDue(t, "UROB", now.Add(time.Hour))
	f.createDue(t, "UOLA", now.Add(2*time.Hour))
	f.createDue(t, "UMAY", now.Add(3*time.Hour))

	got, err := f.st.DueBefore(ctx(t), team, now.Add(2*time.Hour), 10)
	if err != nil {
		t.Fatalf("DueBefore: %v", err)
	}
	want := []rapport.Due{
		{ID: "1:ack:UROB", Ref: 1, Stage: rapport.StageAck, Receiver: "UROB", At: now.Add(time.Hour)},
		{ID: "2:ack:UOLA", Ref: 2, Stage: rapport.StageAck, Receiver: "UOLA", At: now.Add(2 * time.Hour)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DueBefore (-want +got):\n%s", diff)
	}
	if got, _ := f.st.DueBefore(ctx(t), team, now.Add(5*time.Hour), 1); len(got) != 1 || got[0].Ref != 1 {
		t.Errorf("DueBefore limit 1 = %v, want the oldest alone", got)
	}
	if got, _ := f.st.DueBefore(ctx(t), team, now, 10); len(got) != 0 {
		t.Errorf("DueBefore before anything is due = %v", got)
	}
}

func TestClaimDue(t *testing.T) {
	f := newFixture(t)
	f.createDue(t, "UROB", now)
	ds, err := f.st.DueBefore(ctx(t), team, now, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("DueBefore = %v, %v", ds, err)
	}

	n, err := f.st.ClaimDue(ctx(t), team, []rapport.Claim{{
		Due: ds[0], Notify: nudgeAck, Next: rapport.StageAck2, NextAt: now.Add(24 * time.Hour),
	}})
	if err != nil || n != 1 {
		t.Fatalf("ClaimDue = %d, %v; want 1", n, err)
	}
	check := func(step string, wantNudges, wantQueue []string, wantDue string) {
		t.Helper()
		if diff := cmp.Diff(wantNudges, nudges(t, f)); diff != "" {
			t.Errorf("%s: nudges (-want +got):\n%s", step, diff)
		}
		if diff := cmp.Diff(wantQueue, queue(t, f)); diff != "" {
			t.Errorf("%s: queue (-want +got):\n%s", step, diff)
		}
		if got := refDue(t, f, 1); got != wantDue {
			t.Errorf("%s: ref:1 due = %q, want %q", step, got, wantDue)
		}
	}
	check("ack", []string{"nudge.ack 1 UROB ack"}, []string{"1:ack2:UROB@24h0m0s"}, "1:ack2:UROB")

	// The same claim again finds nothing: at most one nudge per stage.
	if n, err := f.st.ClaimDue(ctx(t), team, []rapport.Claim{{Due: ds[0], Notify: nudgeAck}}); err != nil || n != 0 {
		t.Errorf("ClaimDue again = %d, %v; want 0", n, err)
	}

	ds, _ = f.st.DueBefore(ctx(t), team, now.Add(24*time.Hour), 10)
	n, err = f.st.ClaimDue(ctx(t), team, []rapport.Claim{{Due: ds[0], Notify: nudgeAck2}})
	if err != nil || n != 1 {
		t.Fatalf("ClaimDue ack2 = %d, %v; want 1", n, err)
	}
	check("ack2", []string{"nudge.ack2 1 UROB ack2", "nudge.ack2.giver 1 UGIA ack2"}, nil, "<none>")
}

func TestClaimDueStale(t *testing.T) {
	f := newFixture(t)
	f.createDue(t, "UROB", now) // acted on: its due field was cleared
	f.createDue(t, "UROB", now) // moved on to report: its field names another member
	f.createDue(t, "UROB", now) // still pending, claimed
	f.createDue(t, "UROB", now) // rescheduled at the same stage after it was read
	ds, err := f.st.DueBefore(ctx(t), team, now, 10)
	if err != nil || len(ds) != 4 {
		t.Fatalf("DueBefore = %v, %v", ds, err)
	}
	c := ctx(t)
	f.rdb.HDel(c, f.key(team, "ref:1"), "due")
	f.rdb.HSet(c, f.key(team, "ref:2"), "due", "2:report:UROB")
	f.rdb.ZAdd(c, f.key(team, "due"), redis.Z{Score: float64(now.Add(time.Hour).UnixMilli()), Member: "4:ack:UROB"})
	f.rdb.ZAdd(c, f.key(team, "due"), redis.Z{Score: float64(now.UnixMilli()), Member: "not-a-member"})
	bad, _ := rapport.ParseDue("not-a-member", now.UnixMilli())

	var claims []rapport.Claim
	for _, d := range append(ds, bad) {
		claims = append(claims, rapport.Claim{Due: d, Notify: []rapport.Notice{{Kind: kindNudgeAck, To: rapport.RoleReceiver}, {Kind: kindNudgeAck2Giver, To: rapport.RoleGiver}}})
	}
	n, err := f.st.ClaimDue(ctx(t), team, claims)
	if err != nil || n != 1 {
		t.Fatalf("ClaimDue = %d, %v; want 1", n, err)
	}
	if diff := cmp.Diff([]string{"nudge.ack 3 UROB ack", "nudge.ack2.giver 3 UGIA ack"}, nudges(t, f)); diff != "" {
		t.Errorf("nudges (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"4:ack:UROB@1h0m0s"}, queue(t, f)); diff != "" {
		t.Errorf("queue (-want +got):\n%s", diff)
	}
	if got := refDue(t, f, 4); got != "4:ack:UROB" {
		t.Errorf("rescheduled ref:4 due = %q", got)
	}
}

func TestClaimDueConcurrent(t *testing.T) {
	f := newFixture(t)
	const count = 500
	c := ctx(t)
	p := f.rdb.Pipeline()
	for i := 1; i <= count; i++ {
		m := rapport.DueID(int64(i), rapport.StageAck, "UROB")
		p.ZAdd(c, f.key(team, "due"), redis.Z{Score: float64(now.UnixMilli() - int64(i)), Member: m})
		p.HSet(c, f.key(team, fmt.Sprintf("ref:%d", i)), "due", m, "g", "UGIA")
	}
	if _, err := p.Exec(c); err != nil {
		t.Fatalf("fill: %v", err)
	}
	ds, err := f.st.DueBefore(c, team, now, count)
	if err != nil || len(ds) != count {
		t.Fatalf("DueBefore = %d, %v", len(ds), err)
	}
	claims := make([]rapport.Claim, len(ds))
	for i, d := range ds {
		claims[i] = rapport.Claim{Due: d, Notify: nudgeAck, Next: rapport.StageAck2, NextAt: now.Add(time.Hour)}
	}
	// Two replicas claim the same batch, one of them in pieces, so the scripts interleave.
	var wg sync.WaitGroup
	got := make([]int, 2)
	errs := make([]error, 2)
	wg.Go(func() { got[0], errs[0] = f.st.ClaimDue(c, team, claims) })
	wg.Go(func() {
		for i := 0; i < len(claims); i += 50 {
			n, err := f.st.ClaimDue(c, team, claims[i:i+50])
			got[1] += n
			errs[1] = err
		}
	})
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("ClaimDue errors: %v", errs)
	}
	if got[0]+got[1] != count {
		t.Errorf("claimed %d + %d, want %d in total", got[0], got[1], count)
	}
	if n := len(nudges(t, f)); n != count {
		t.Errorf("%d nudges queued, want %d", n, count)
	}
	if n := f.rdb.ZCard(c, f.key(team, "due")).Val(); n != count {
		t.Errorf("due holds %d, want %d ack2 reminders", n, count)
	}
}

func TestPostpone(t *testing.T) {
	f := newFixture(t)
	f.createDue(t, "UROB", now)
	ds, _ := f.st.DueBefore(ctx(t), team, now, 10)
	d := ds[0]
	if err := f.st.Postpone(ctx(t), team, []rapport.Postponement{{Due: d, Until: now.Add(10 * time.Hour)}}); err != nil {
		t.Fatalf("Postpone: %v", err)
	}
	// Never brought forward.
	if err := f.st.Postpone(ctx(t), team, []rapport.Postponement{{Due: d, Until: now.Add(time.Hour)}}); err != nil {
		t.Fatalf("Postpone earlier: %v", err)
	}
	if diff := cmp.Diff([]string{"1:ack:UROB@10h0m0s"}, queue(t, f)); diff != "" {
		t.Errorf("queue (-want +got):\n%s", diff)
	}
	if got, _ := f.st.DueBefore(ctx(t), team, now.Add(9*time.Hour), 10); len(got) != 0 {
		t.Errorf("a postponed reminder is due: %v", got)
	}
	// A reminder already gone is not put back.
	f.rdb.ZRem(ctx(t), f.key(team, "due"), d.ID)
	if err := f.st.Postpone(ctx(t), team, []rapport.Postponement{{Due: d, Until: now.Add(20 * time.Hour)}}); err != nil {
		t.Fatalf("Postpone gone: %v", err)
	}
	if q := queue(t, f); len(q) != 0 {
		t.Errorf("queue after postponing a gone reminder = %v", q)
	}
}

// TestClaimDueRoles claims the reminder of a referral that was passed on: each notice goes where
// its role points, as a move's do, and a role that names nobody (no linked referral) is skipped.
func TestClaimDueRoles(t *testing.T) {
	f := newFixture(t)
	f.createDue(t, "UROB", now)
	if _, err := f.move(t, 1, "UROB", rapport.ActPassOn, func(m *rapport.Move) { m.LinkTo, m.Notify = "UMAY", nil }); err != nil {
		t.Fatal(err)
	}
	ds, err := f.st.DueBefore(ctx(t), team, now.Add(48*time.Hour), 10)
	if err != nil || len(ds) != 1 || ds[0].Ref != 2 {
		t.Fatalf("DueBefore = %v, %v; want R-2's reminder", ds, err)
	}
	n, err := f.st.ClaimDue(ctx(t), team, []rapport.Claim{{Due: ds[0], Notify: []rapport.Notice{
		{Kind: "nudge.receiver", To: rapport.RoleReceiver},
		{Kind: "nudge.giver", To: rapport.RoleGiver},
		{Kind: "nudge.passer", To: rapport.RolePasser},
		{Kind: "nudge.linked", To: rapport.RoleLinked},
		{Kind: "nudge.member", To: rapport.RoleMember, Target: "UOLA"},
		{Kind: "nudge.channel", To: rapport.RoleChannel, Target: "C0RECOG"},
	}}})
	if err != nil || n != 1 {
		t.Fatalf("ClaimDue = %d, %v; want 1", n, err)
	}
	want := []string{
		"nudge.receiver 2 UMAY ack", "nudge.giver 2 UGIA ack", "nudge.passer 2 UROB ack",
		"nudge.member 2 UOLA ack", "nudge.channel 2 C0RECOG ack",
	}
	if diff := cmp.Diff(want, nudges(t, f)); diff != "" {
		t.Errorf("nudges (-want +got):\n%s", diff)
	}
}
