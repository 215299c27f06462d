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
