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
	facts, err := f.st.Facts(ctx(t), team, time.Unix(0, 0), now.Add(48*time.Hour))
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
