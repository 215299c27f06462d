package storage_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

var timing = rapport.Timing{FollowUpSLA: 24 * time.Hour, ReportBackAfter: 168 * time.Hour}

func (f *fixture) move(t *testing.T, n int64, actor string, a rapport.Action, edit ...func(*rapport.Move)) (rapport.Moved, error) {
	t.Helper()
	m := rapport.Move{Team: team, Ref: n, Actor: actor, Action: a, Role: a.Actor(), Now: now.Add(time.Hour), Timing: timing,
		Notify: []rapport.Notice{{Kind: "referral.update", To: rapport.RoleReceiver}, {Kind: "referral.report", To: rapport.RoleGiver}}}
	for _, e := range edit {
		e(&m)
	}
	return f.st.Move(ctx(t), m)
}

func TestMoveRecordsEventSwapsReminderAndQueuesMessages(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	f.rdb.Del(ctx(t), f.key(team, "outbox"))

	got, err := f.move(t, r.Number, "UROB", rapport.ActContacted, func(m *rapport.Move) { m.Note = "Left a voicemail" })
	if err != nil {
		t.Fatal(err)
	}
	if got.From != rapport.StatusNew || got.Referral.Status != rapport.StatusContacted || got.Referral.Version != 2 {
		t.Errorf("moved %s → %s v%d; want new → contacted v2", got.From, got.Referral.Status, got.Referral.Version)
	}
	due := f.rdb.ZRangeWithScores(ctx(t), f.key(team, "due"), 0, -1).Val()
	if len(due) != 1 || due[0].Member != "1:report:UROB" || int64(due[0].Score) != now.Add(time.Hour+timing.ReportBackAfter).UnixMilli() {
		t.Errorf("due = %v; want only the report reminder a week after the move", due)
	}
	_, evs, err := f.st.Timeline(ctx(t), team, r.Number)
	if err != nil || len(evs) != 1 {
		t.Fatalf("timeline = %v, %v", evs, err)
	}
	e := evs[0]
	if e.Actor != "UROB" || e.Action != rapport.ActContacted || e.From != rapport.StatusNew || e.To != rapport.StatusContacted ||
		e.Note != "Left a voicemail" || !e.At.Equal(now.Add(time.Hour)) {
		t.Errorf("event = %+v", e)
	}
	es, err := f.st.ReadOutbox(ctx(t), team, "c1", 10, 0)
	if err != nil || len(es) != 2 {
		t.Fatalf("outbox = %v, %v; want 2 entries", es, err)
	}
	if es[0].Kind != "referral.update" || es[0].To != "UROB" || es[1].Kind != "referral.report" || es[1].To != "UGIA" || es[1].Fields["event"] != "0" {
		t.Errorf("outbox entries = %+v", es)
	}
}

func TestMoveRefusals(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	tests := []struct {
		name   string
		actor  string
		action rapport.Action
		reason string
	}{
		{"ErrStranger", "UOLA", rapport.ActAccept, "forbidden"},
		{"ErrGiverMovesForward", "UGIA", rapport.ActContacted, "forbidden"},
		{"ErrReceiverWithdraws", "UROB", rapport.ActWithdraw, "forbidden"},
		{"ErrLostFromNew", "UROB", rapport.ActLost, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.move(t, r.Number, tt.actor, tt.action)
			var ref *rapport.Refused
			if !errors.As(err, &ref) || ref.Reason != tt.reason || ref.Receiver != "UROB" || ref.Giver != "UGIA" {
				t.Errorf("err = %v; want refused for %s", err, tt.reason)
			}
		})
	}
	if got, _ := f.st.Referral(ctx(t), team, r.Number); got.Status != rapport.StatusNew || got.Version != 1 {
		t.Errorf("after refusals: %s v%d; want untouched", got.Status, got.Version)
	}
	if _, err := f.move(t, 99, "UROB", rapport.ActAccept); rapport.ErrorCode(err) != rapport.ENOTFOUND {
		t.Errorf("missing referral: %v", err)
	}
}

func TestConcurrentClicksMoveOnce(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.move(t, r.Number, "UROB", rapport.ActAccept); err == nil {
				mu.Lock()
				applied++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if applied != 1 {
		t.Errorf("%d of 8 concurrent Accepts applied; want 1", applied)
	}
	if _, evs, _ := f.st.Timeline(ctx(t), team, r.Number); len(evs) != 1 {
		t.Errorf("%d events; want 1", len(evs))
	}
}

func TestPassOnCreatesLinkedReferral(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", "+14805550100"))
	got, err := f.move(t, r.Number, "UROB", rapport.ActPassOn, func(m *rapport.Move) {
		m.LinkTo, m.Note, m.LinkNote = "UMAY", "Passing it to May", "May does commercial policies"
		m.LinkFacts = rapport.Facts{Expects: true} // not the original's (spoke, may share)
		m.Notify = append(m.Notify, rapport.Notice{Kind: "referral.received", To: rapport.RoleLinked})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Referral.Status != rapport.StatusPassed || got.Linked != 2 {
		t.Fatalf("moved to %s, linked R-%d", got.Referral.Status, got.Linked)
	}
	l, err := f.st.Referral(ctx(t), team, got.Linked)
	if err != nil {
		t.Fatal(err)
	}
	if l.Receiver != "UMAY" || l.Giver != "UGIA" || l.PassedBy != "UROB" || l.PassedOf != r.Number || l.Status != rapport.StatusNew ||
		l.Prospect != r.Prospect || l.Need != r.Need || l.Note != "May does commercial policies" || l.Version != 1 {
		t.Errorf("linked referral = %+v", l)
	}
	if want := (rapport.Facts{Expects: true}); l.Facts != want {
		t.Errorf("linked referral's facts = %+v; want the passer's %+v", l.Facts, want)
	}
	if _, evs, err := f.st.Timeline(ctx(t), team, r.Number); err != nil || len(evs) != 1 || evs[0].Facts == nil || *evs[0].Facts != l.Facts {
		t.Errorf("the pass on's event = %+v, %v; want it to record the passer's facts", evs, err)
	}
	// The prospect stays taken by the open linked referral.
	_, _, err = f.st.CreateReferral(ctx(t), f.newReferral(team, draftFrom(t, "UOLA", "UROB", "PAT@prospect.example", "")))
	var taken *rapport.ProspectTaken
	if !errors.As(err, &taken) || taken.Number != 2 || taken.Receiver != "UMAY" {
		t.Errorf("duplicate check after pass on: %v; want R-2 with UMAY", err)
	}
	due := f.rdb.ZRange(ctx(t), f.key(team, "due"), 0, -1).Val()
	if len(due) != 1 || due[0] != "2:ack:UMAY" {
		t.Errorf("due = %v; want only the linked referral's follow-up", due)
	}
	t.Run("ErrPassToGiver", func(t *testing.T) {
		r := f.create(t, team, draft(t, "UROB", "kim@example.com", ""))
		_, err := f.move(t, r.Number, "UROB", rapport.ActPassOn, func(m *rapport.Move) { m.LinkTo = "UGIA" })
		var fe rapport.FieldErrors
		if !errors.As(err, &fe) {
			t.Errorf("err = %v; want a field error", err)
		}
		if got, _ := f.st.Referral(ctx(t), team, r.Number); got.Status != rapport.StatusNew {
			t.Errorf("refused pass on changed the status to %s", got.Status)
		}
	})
}

func TestAdminCorrectAndWonValue(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	got, err := f.move(t, r.Number, "UROB", rapport.ActWon, func(m *rapport.Move) { m.Value, m.Currency = 250000, "USD" })
	if err != nil || got.Referral.Value != 250000 || got.Referral.Currency != "USD" {
		t.Fatalf("won: %+v, %v", got.Referral, err)
	}
	if n := f.rdb.ZCard(ctx(t), f.key(team, "due")).Val(); n != 0 {
		t.Errorf("a won referral still has %d reminders", n)
	}
	got, err = f.move(t, r.Number, "UADMIN", rapport.ActCorrect, func(m *rapport.Move) {
		m.Role, m.To, m.Note = rapport.RoleAdmin, rapport.StatusMeeting, "Not signed yet"
	})
	if err != nil || got.Referral.Status != rapport.StatusMeeting || got.From != rapport.StatusWon {
		t.Errorf("correction: %+v, %v", got, err)
	}
}

// TestNoticeRoles follows the messages of a pass on and of the linked referral's first move: each
// notice goes where its role points, with the right referral, and a role that names nobody (no
// passer, no linked referral, a channel not set) queues nothing.
func TestNoticeRoles(t *testing.T) {
	f := newFixture(t)
	nr := f.newReferral(team, draft(t, "UROB", "pat@prospect.example", ""))
	nr.Notify = []rapport.Notice{
		{Kind: "referral.received", To: rapport.RoleReceiver},
		{Kind: "referral.passer", To: rapport.RolePasser},
		{Kind: "referral.linked", To: rapport.RoleLinked},
		{Kind: "referral.announce", To: rapport.RoleChannel, Target: "C0RECOG"},
		{Kind: "referral.announce", To: rapport.RoleChannel},
	}
	if _, _, err := f.st.CreateReferral(ctx(t), nr); err != nil {
		t.Fatal(err)
	}
	all := []rapport.Notice{
		{Kind: "referral.update", To: rapport.RoleReceiver},
		{Kind: "referral.report", To: rapport.RoleGiver},
		{Kind: "referral.passer", To: rapport.RolePasser},
		{Kind: "referral.received", To: rapport.RoleLinked},
		{Kind: "home", To: rapport.RoleMember, Target: "UOLA"},
	}
	if _, err := f.move(t, 1, "UROB", rapport.ActPassOn, func(m *rapport.Move) { m.LinkTo, m.Notify = "UMAY", all }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.move(t, 2, "UMAY", rapport.ActAccept, func(m *rapport.Move) { m.Notify = all }); err != nil {
		t.Fatal(err)
	}
	es, err := f.st.ReadOutbox(ctx(t), team, "c1", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Kind+" R-"+e.Fields["ref"]+" "+e.To+" event="+e.Fields["event"])
	}
	want := []string{
		"referral.received R-1 UROB event=",
		"referral.announce R-1 C0RECOG event=",
		// R-1 passed on to UMAY: R-1 has no passer; R-2 is the linked referral.
		"referral.update R-1 UROB event=0",
		"referral.report R-1 UGIA event=0",
		"referral.received R-2 UMAY event=0",
		"home R-1 UOLA event=0",
		// R-2 accepted: UROB passed it on; this move links nothing.
		"referral.update R-2 UMAY event=0",
		"referral.report R-2 UGIA event=0",
		"referral.passer R-2 UROB event=0",
		"home R-2 UOLA event=0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
}

func TestPassOnRefusals(t *testing.T) {
	tests := []struct{ name, to, want string }{
		{"ErrGiver", "UGIA", "Choose a member other than the giver and the current receiver."},
		{"ErrBot", "UBOT", "That is a bot; choose a member."},
		{"ErrSlackbot", rapport.SlackbotID, "That is a bot; choose a member."},
		{"ErrDeactivated", "UGONE", "That member has been deactivated; choose another."},
		{"ErrUnknown", "UNOBODY", "I don't know that member yet. Try again in a minute, or choose another member."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
			_, err := f.move(t, r.Number, "UROB", rapport.ActPassOn, func(m *rapport.Move) { m.LinkTo = tt.to })
			var fe rapport.FieldErrors
			if !errors.As(err, &fe) || fe[rapport.FieldReceiver] != tt.want {
				t.Errorf("pass on to %s: %v; want %q", tt.to, err, tt.want)
			}
		})
	}
}

// TestReopenedReferralTakesItsProspectAgain: a closed referral (declined, then the duplicate check
// of a new one drops it from the prospect's set) that an admin reopens is the prospect's open
// referral again: a third member is warned.
func TestReopenedReferralTakesItsProspectAgain(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	if _, err := f.move(t, r.Number, "UROB", rapport.ActDecline); err != nil {
		t.Fatal(err)
	}
	// The prospect is free: the check drops the closed referral from its set.
	other := f.create(t, team, draftFrom(t, "UOLA", "UMAY", "pat@prospect.example", ""))
	if _, err := f.move(t, other.Number, "UMAY", rapport.ActDecline); err != nil {
		t.Fatal(err)
	}
	f.create(t, team, draftFrom(t, "UOLA", "UMAY", "someone@else.example", "")) // unrelated
	if _, err := f.move(t, r.Number, "UADMIN", rapport.ActCorrect, func(m *rapport.Move) {
		m.Role, m.To, m.Note = rapport.RoleAdmin, rapport.StatusContacted, "He did call her"
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.st.CreateReferral(ctx(t), f.newReferral(team, draftFrom(t, "UOLA", "UMAY", "PAT@prospect.example", "")))
	var taken *rapport.ProspectTaken
	if !errors.As(err, &taken) || taken.Number != r.Number || taken.Receiver != "UROB" {
		t.Errorf("after the admin reopened R-%d: %v; want the prospect taken by UROB", r.Number, err)
	}
}

// Expiry moves a referral only if it is still idle: a click that landed after expiry read it as
// idle (its last event at or after IdleBefore) keeps it open.
func TestExpireRefusedAfterAClick(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	idleBefore := now.Add(30 * time.Minute)                                   // read as idle: created at now
	if _, err := f.move(t, r.Number, "UROB", rapport.ActAccept); err != nil { // the click, at now+1h
		t.Fatal(err)
	}
	_, err := f.move(t, r.Number, rapport.SystemActor, rapport.ActExpire, func(m *rapport.Move) {
		m.Role, m.Now, m.IdleBefore = rapport.RoleSystem, now.Add(2*time.Hour), idleBefore
	})
	var refused *rapport.Refused
	if !errors.As(err, &refused) || refused.Reason != "active" {
		t.Fatalf("expiry after a click: %v; want refused as active", err)
	}
	if got, _ := f.st.Referral(ctx(t), team, r.Number); got.Status != rapport.StatusAccepted {
		t.Errorf("the referral is %s; want it still accepted", got.Status)
	}
	// Still idle at its cutoff: expired.
	if _, err := f.move(t, r.Number, rapport.SystemActor, rapport.ActExpire, func(m *rapport.Move) {
		m.Role, m.Now, m.IdleBefore = rapport.RoleSystem, now.Add(2*time.Hour), now.Add(90*time.Minute)
	}); err != nil {
		t.Errorf("expiry of a referral idle since its cutoff: %v", err)
	}
}
