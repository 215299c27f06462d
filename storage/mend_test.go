package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

// TestUndoPutsBackWhatTheStepChanged: closing business from new (value, close time, first action
// and contact, the won index, a new reminder) and undoing it leaves the referral as it was, but
// for its version, its last update and the two events; a second undo finds nothing to undo.
func TestUndoPutsBackWhatTheStepChanged(t *testing.T) {
	f := newFixture(t)
	nr := f.newReferral(team, draft(t, "UROB", "pat@prospect.example", "+14805550100"))
	nr.Reminder, nr.ReminderAt = rapport.StageAck, nr.Now.Add(timing.FollowUpSLA)
	r, _, err := f.st.CreateReferral(ctx(t), nr)
	if err != nil {
		t.Fatal(err)
	}
	ref := f.key(team, "ref:1")
	state := func() (map[string]string, []string, int64, bool) {
		h := f.rdb.HGetAll(ctx(t), ref).Val()
		delete(h, "ver")
		delete(h, "u")
		due := f.rdb.ZRange(ctx(t), f.key(team, "due"), 0, -1).Val()
		won := f.rdb.ZCard(ctx(t), f.key(team, "won")).Val()
		_, open := f.rdb.ZScore(ctx(t), f.key(team, "open"), "1").Result()
		return h, due, won, open == nil
	}
	h0, due0, won0, open0 := state()
	if _, err := f.move(t, r.Number, "UROB", rapport.ActWon, func(m *rapport.Move) { m.Value, m.Currency = 120000, "USD" }); err != nil {
		t.Fatal(err)
	}
	if _, _, won, open := state(); won != 1 || open {
		t.Fatalf("after closing: won index %d, open %v", won, open)
	}
	undo := rapport.Move{Team: team, Ref: r.Number, Actor: "UROB", Action: rapport.ActUndo, Now: now.Add(time.Hour + 5*time.Minute)}
	moved, err := f.st.Undo(ctx(t), undo, nil)
	if err != nil || moved.From != rapport.StatusWon || moved.Referral.Status != rapport.StatusNew || !moved.Referral.LastStep.IsZero() {
		t.Fatalf("undo = %+v, %v", moved, err)
	}
	h1, due1, won1, open1 := state()
	if d := cmp.Diff(h0, h1); d != "" {
		t.Errorf("referral hash after the undo (-before +after):\n%s", d)
	}
	if d := cmp.Diff(due0, due1); d != "" || won1 != won0 || open1 != open0 {
		t.Errorf("due %s, won %d (was %d), open %v (was %v)", d, won1, won0, open1, open0)
	}
	_, evs, _ := f.st.Timeline(ctx(t), team, r.Number)
	if len(evs) != 2 || evs[1].Action != rapport.ActUndo || evs[1].From != rapport.StatusWon || evs[1].To != rapport.StatusNew {
		t.Errorf("timeline = %+v", evs)
	}
	var refused *rapport.Refused
	if _, err := f.st.Undo(ctx(t), undo, nil); !errors.As(err, &refused) || refused.Reason != "nothing" {
		t.Errorf("a second undo: %v; want refused, nothing to undo", err)
	}
}

// TestEditMovesProspectSets: an edit rewrites the chunked text fields whole and moves the referral
// from the old contact's prospect set to the new one's; a stale version is refused.
func TestEditMovesProspectSets(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	d := r.Draft
	d.Prospect.Email, d.Need = "", "short"
	d.Prospect.Phone = "+14805550100"
	e := rapport.Edit{Team: team, Ref: r.Number, Actor: r.Giver, Draft: d, Changed: rapport.Changes(r.Draft, d), Version: r.Version, Now: now.Add(time.Hour)}
	moved, err := f.st.Edit(ctx(t), e)
	if err != nil {
		t.Fatal(err)
	}
	if got := moved.Referral; got.Prospect.Email != "" || got.Prospect.Phone != "+14805550100" || got.Need != "short" || got.Version != r.Version+1 {
		t.Errorf("edited = %+v", got.Draft)
	}
	// The old email no longer makes the prospect taken; the new phone does.
	other := draftFrom(t, "UMAY", "UOLA", "pat@prospect.example", "")
	if _, _, err := f.st.CreateReferral(ctx(t), f.newReferral(team, other)); err != nil {
		t.Errorf("the old email still taken: %v", err)
	}
	var taken *rapport.ProspectTaken
	if _, _, err := f.st.CreateReferral(ctx(t), f.newReferral(team, draftFrom(t, "UMAY", "UOLA", "", "+14805550100"))); !errors.As(err, &taken) || taken.Number != r.Number {
		t.Errorf("the new phone: %v; want taken by %s", err, r.ID())
	}
	var refused *rapport.Refused
	if _, err := f.st.Edit(ctx(t), e); !errors.As(err, &refused) || refused.Reason != "changed" {
		t.Errorf("a stale edit: %v; want refused as changed", err)
	}
}
