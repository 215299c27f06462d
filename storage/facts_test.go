package storage_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

func TestFactsFollowTheReferrals(t *testing.T) {
	f := newFixture(t)
	hot := f.create(t, team, draft(t, "UROB", "a@example.com", ""))
	other := f.create(t, team, draftFrom(t, "UOLA", "UGIA", "b@example.com", ""))
	if _, err := f.move(t, hot.Number, "UROB", rapport.ActContacted); err != nil {
		t.Fatal(err)
	}
	if _, err := f.move(t, hot.Number, "UROB", rapport.ActWon, func(m *rapport.Move) { m.Value, m.Currency, m.Now = 90000, "USD", now.Add(2*time.Hour) }); err != nil {
		t.Fatal(err)
	}

	all, err := f.st.Facts(ctx(t), team, now, now.Add(24*time.Hour))
	if err != nil || len(all) != 2 {
		t.Fatalf("Facts = %v, %v; want 2", all, err)
	}
	won := all[0]
	if won.Ref != hot.Number || won.Giver != "UGIA" || won.Receiver != "UROB" || won.Status != rapport.StatusWon ||
		won.Value != 90000 || won.Currency != "USD" || won.Temperature != rapport.Warm {
		t.Errorf("won fact = %+v", won)
	}
	if !won.FirstAction.Equal(now.Add(time.Hour)) || !won.FirstContact.Equal(now.Add(time.Hour)) || !won.Won.Equal(now.Add(2*time.Hour)) {
		t.Errorf("times: first action %v, first contact %v, won %v", won.FirstAction, won.FirstContact, won.Won)
	}
	if !all[1].FirstAction.IsZero() || all[1].Ref != other.Number {
		t.Errorf("untouched fact = %+v", all[1])
	}
	// Closed within the period counts even when created before it.
	later, err := f.st.Facts(ctx(t), team, now.Add(90*time.Minute), now.Add(24*time.Hour))
	if err != nil || len(later) != 1 || later[0].Ref != hot.Number {
		t.Errorf("facts closed in a later window = %+v, %v", later, err)
	}
	mine, err := f.st.MemberFacts(ctx(t), team, "UGIA")
	if err != nil || len(mine) != 2 {
		t.Errorf("UGIA's facts = %d, %v; want given and received", len(mine), err)
	}
}

// A pass-on chain as the scripts write it: the fact rows say who passed each link on, and a
// referral the giver made again in place of a passed-on link carries no credit of its own.
func TestFactsOfAPassOnChain(t *testing.T) {
	f := newFixture(t)
	r1 := f.create(t, team, draft(t, "UROB", "a@example.com", ""))
	// Rob passes R-1 on to May; Gia withdraws R-2 and refers it to Ola instead.
	passed, err := f.move(t, r1.Number, "UROB", rapport.ActPassOn, func(m *rapport.Move) { m.LinkTo = "UMAY" })
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.move(t, passed.Linked, "UGIA", rapport.ActWithdraw, func(m *rapport.Move) { m.LinkTo = "UOLA" })
	if err != nil {
		t.Fatal(err)
	}
	// Gia's own R-4, withdrawn and referred again to Ola: that one carries the credit.
	r4 := f.create(t, team, draft(t, "UROB", "b@example.com", ""))
	fresh, err := f.move(t, r4.Number, "UGIA", rapport.ActWithdraw, func(m *rapport.Move) { m.LinkTo = "UOLA" })
	if err != nil {
		t.Fatal(err)
	}
	facts, _, err := f.st.MemberNumbers(ctx(t), team, "UGIA", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[int64]rapport.Fact{}
	for _, x := range facts {
		by[x.Ref] = x
	}
	tests := []struct {
		ref      int64
		passedBy string
		given    bool
	}{
		{r1.Number, "", true}, {passed.Linked, "UROB", false}, {again.Linked, "", false},
		{r4.Number, "", false}, {fresh.Linked, "", true},
	}
	for _, tt := range tests {
		x, ok := by[tt.ref]
		if !ok || x.PassedBy != tt.passedBy || x.Given() != tt.given {
			t.Errorf("R-%d: %+v (read %v); want passed by %q, given %v", tt.ref, x, ok, tt.passedBy, tt.given)
		}
	}
	if !by[again.Linked].CreditElsewhere || by[fresh.Linked].CreditElsewhere {
		t.Errorf("credit elsewhere: R-%d %v, R-%d %v; want true, false", again.Linked, by[again.Linked].CreditElsewhere,
			fresh.Linked, by[fresh.Linked].CreditElsewhere)
	}
}

func TestMemberNumbersReadsTheirRecommendations(t *testing.T) {
	f := newFixture(t)
	f.create(t, team, draft(t, "UROB", "a@example.com", ""))
	vouch := func(from, to string, at time.Time, env string) {
		t.Helper()
		r := rapport.Recognition{Kind: rapport.RecognitionVouch, From: from, To: to, Text: "good", At: at}
		if err := f.st.Recognize(ctx(t), team, env, r, "recognition.vouch", to); err != nil {
			t.Fatal(err)
		}
	}
	vouch("UGIA", "UROB", now, "e1")
	vouch("UROB", "UGIA", now.Add(time.Minute), "e2")
	vouch("UOLA", "UMAY", now.Add(2*time.Minute), "e3") // not Gia's
	vouch("UOLA", "UGIA", now.Add(48*time.Hour), "e4")  // after the range
	facts, vs, err := f.st.MemberNumbers(ctx(t), team, "UGIA", now, now.Add(24*time.Hour))
	if err != nil || len(facts) != 1 {
		t.Fatalf("facts = %v, %v", facts, err)
	}
	if len(vs) != 2 || vs[0].From != "UGIA" || vs[0].To != "UROB" || !vs[0].At.Equal(now) || vs[1].From != "UROB" {
		t.Errorf("vouches = %+v; want Gia's two in the range", vs)
	}
	_, all, err := f.st.MemberNumbers(ctx(t), team, "UGIA", time.Time{}, time.Time{})
	if err != nil || len(all) != 3 {
		t.Errorf("all time: %+v, %v; want 3", all, err)
	}
}
