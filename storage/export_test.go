package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

func TestReferralsCreated(t *testing.T) {
	f := newFixture(t)
	long := draft(t, "UROB", "a@example.com", "")
	long.Prospect.Name = strings.Repeat("Ñame ", 20) // stored in chunks
	long.Prospect.Company = "=HYPERLINK(\"http://x\")"
	first := f.create(t, team, long)
	second := f.create(t, team, draftFrom(t, "UOLA", "UGIA", "b@example.com", ""))
	if _, err := f.move(t, first.Number, "UROB", rapport.ActContacted); err != nil {
		t.Fatal(err)
	}
	if _, err := f.move(t, first.Number, "UROB", rapport.ActWon, func(m *rapport.Move) { m.Value, m.Currency, m.Now = 250000, "USD", now.Add(2*time.Hour) }); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		refs, facts, err := f.st.ReferralsCreated(ctx(t), team, now, now.Add(24*time.Hour))
		if err != nil || len(refs) != 2 || len(facts) != 2 {
			t.Fatalf("ReferralsCreated = %d, %d, %v; want 2", len(refs), len(facts), err)
		}
		r, fa := refs[0], facts[0]
		if r.Number != first.Number || r.Prospect.Name != long.Prospect.Name || r.Prospect.Company != long.Prospect.Company ||
			r.Status != rapport.StatusWon || r.Value != 250000 || r.Currency != "USD" || r.Giver != "UGIA" {
			t.Errorf("first referral = %+v", r)
		}
		if fa.Ref != first.Number || !fa.FirstContact.Equal(now.Add(time.Hour)) || !fa.Won.Equal(now.Add(2*time.Hour)) {
			t.Errorf("first fact = %+v", fa)
		}
		if refs[1].Number != second.Number || !facts[1].FirstContact.IsZero() || refs[1].Status != rapport.StatusNew {
			t.Errorf("second = %+v, %+v", refs[1], facts[1])
		}
	})
	t.Run("HalfOpen", func(t *testing.T) {
		// The first was created at now+1s, the second at now+2s: [now+2s, …) holds only the second.
		refs, _, err := f.st.ReferralsCreated(ctx(t), team, second.Created, now.Add(time.Hour))
		if err != nil || len(refs) != 1 || refs[0].Number != second.Number {
			t.Errorf("from the second = %+v, %v", refs, err)
		}
		refs, _, err = f.st.ReferralsCreated(ctx(t), team, now, second.Created)
		if err != nil || len(refs) != 1 || refs[0].Number != first.Number {
			t.Errorf("until the second = %+v, %v", refs, err)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		refs, facts, err := f.st.ReferralsCreated(ctx(t), "T0THER", now, now.Add(time.Hour))
		if err != nil || len(refs) != 0 || len(facts) != 0 {
			t.Errorf("another team = %v, %v, %v", refs, facts, err)
		}
	})
}
