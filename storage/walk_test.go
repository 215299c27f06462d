package storage_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

// TestLongReadsWalkInSlices reads more referrals than one script call reads, many of them created
// in the same millisecond (a slice ends inside that run of ties): each is read once, oldest first,
// and the span's ends hold.
func TestLongReadsWalkInSlices(t *testing.T) {
	f := newFixture(t)
	const ties, spread = 700, 300 // more ties than two slices of 250
	var facts []rapport.Fact
	for i := range ties + spread {
		created := now
		if i >= ties {
			created = now.Add(time.Duration(i-ties+1) * time.Millisecond)
		}
		fa := rapport.Fact{Ref: int64(i + 1), Giver: "UGIA", Receiver: "UROB", Temperature: rapport.Hot,
			Status: rapport.StatusNew, Created: created}
		if i%7 == 0 {
			fa.Status, fa.Won, fa.Value, fa.Currency = rapport.StatusWon, now.Add(time.Hour), 100, "USD"
		}
		facts = append(facts, fa)
	}
	// Outside the span on both sides.
	facts = append(facts,
		rapport.Fact{Ref: 5000, Giver: "UGIA", Receiver: "UROB", Status: rapport.StatusNew, Created: now.Add(-time.Millisecond)},
		rapport.Fact{Ref: 5001, Giver: "UGIA", Receiver: "UROB", Status: rapport.StatusNew, Created: now.Add(2 * time.Hour)})
	if err := f.st.SeedFacts(ctx(t), team, facts); err != nil {
		t.Fatal(err)
	}
	to := now.Add(2 * time.Hour) // exclusive: 5001 is out

	t.Run("Export", func(t *testing.T) {
		refs, fs, err := f.st.ReferralsCreated(ctx(t), team, now, to)
		if err != nil || len(refs) != ties+spread || len(fs) != len(refs) {
			t.Fatalf("ReferralsCreated = %d, %d, %v; want %d", len(refs), len(fs), err, ties+spread)
		}
		seen := map[int64]bool{}
		for i, r := range refs {
			if seen[r.Number] || r.Number < 1 || r.Number > ties+spread {
				t.Fatalf("row %d: %s read twice or out of the span", i, r.ID())
			}
			seen[r.Number] = true
			if i > 0 && r.Created.Before(refs[i-1].Created) {
				t.Fatalf("row %d: %s created before the row above it", i, r.ID())
			}
			if fs[i].Ref != r.Number {
				t.Fatalf("row %d: fact of %d beside %s", i, fs[i].Ref, r.ID())
			}
		}
	})
}
