package storage_test

import (
	"sync"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

func TestQueueDigestClaimsTheWeekOnce(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	msgs := []rapport.OutboxEntry{
		{Kind: "digest.weekly", To: "C0RECOG", Fields: map[string]string{"body": `{"hot":1}`, "week": "2026-W10"}},
		{Kind: "digest.inactive", To: "UMAY", Fields: map[string]string{"since": "1700000000000"}},
	}
	if done, err := f.st.DigestClaimed(c, team, "2026-W10"); err != nil || done {
		t.Fatalf("DigestClaimed before = %v, %v", done, err)
	}
	var wg sync.WaitGroup
	claims := make(chan bool, 4)
	for range 4 {
		wg.Go(func() {
			ok, err := f.st.QueueDigest(c, team, "2026-W10", 8*24*time.Hour, msgs)
			if err != nil {
				t.Error(err)
			}
			claims <- ok
		})
	}
	wg.Wait()
	close(claims)
	won := 0
	for ok := range claims {
		if ok {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d callers claimed the week; want 1", won)
	}
	if n, _ := f.st.Pending(c, team); n != 2 {
		t.Errorf("outbox holds %d entries; want the 2 of one claim", n)
	}
	es, err := f.st.ReadOutbox(c, team, "test", 10, 0)
	if err != nil || len(es) != 2 {
		t.Fatalf("ReadOutbox = %v, %v", es, err)
	}
	if e := es[0]; e.Kind != "digest.weekly" || e.To != "C0RECOG" || e.Ref != 0 || e.Fields["body"] != `{"hot":1}` {
		t.Errorf("digest entry = %+v", e)
	}
	if e := es[1]; e.Kind != "digest.inactive" || e.To != "UMAY" || e.Fields["since"] != "1700000000000" {
		t.Errorf("nudge entry = %+v", e)
	}
	if done, err := f.st.DigestClaimed(c, team, "2026-W10"); err != nil || !done {
		t.Errorf("DigestClaimed after = %v, %v", done, err)
	}
	keys := f.match(t, "*ran:digest:2026-W10")
	if len(keys) != 1 {
		t.Fatalf("claim keys = %v", keys)
	}
	if ttl := f.rdb.TTL(c, keys[0]).Val(); ttl <= 7*24*time.Hour || ttl > 8*24*time.Hour {
		t.Errorf("claim TTL = %v; want more than the week", ttl)
	}
	if ok, err := f.st.QueueDigest(c, team, "2026-W11", 8*24*time.Hour, nil); err != nil || !ok {
		t.Errorf("next week, nothing to send: claimed %v, %v", ok, err)
	}
}

func TestGivenCountsAndSeedFacts(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	facts := []rapport.Fact{
		{Ref: 1, Giver: "UGIA", Receiver: "UROB", Temperature: rapport.Hot, Status: rapport.StatusWon, Created: now.Add(-48 * time.Hour),
			FirstAction: now.Add(-47 * time.Hour), FirstContact: now.Add(-47 * time.Hour), Won: now.Add(-time.Hour), Value: 12345, Currency: "USD"},
		{Ref: 2, Giver: "UGIA", Receiver: "UOLA", Temperature: rapport.Warm, Status: rapport.StatusNew, Created: now.Add(-30 * 24 * time.Hour)},
		{Ref: 3, Giver: "UOLA", Receiver: "UGIA", Temperature: rapport.Cold, Status: rapport.StatusNew, Created: now.Add(-time.Hour)},
	}
	if err := f.st.SeedFacts(c, team, facts); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Facts(c, team, now.Add(-7*24*time.Hour), now)
	if err != nil || len(got) != 2 {
		t.Fatalf("Facts = %+v, %v", got, err)
	}
	for _, g := range got {
		want := facts[g.Ref-1]
		if g.Giver != want.Giver || g.Temperature != want.Temperature || g.Status != want.Status || !g.Created.Equal(want.Created) ||
			!g.Won.Equal(want.Won) || g.Value != want.Value || !g.FirstAction.Equal(want.FirstAction) {
			t.Errorf("fact %d = %+v; want %+v", g.Ref, g, want)
		}
	}
	if _, err := f.st.RebuildAggregates(c, team, nil); err != nil { // seeded referrals have no aggregates of their own
		t.Fatal(err)
	}
	counts, err := f.st.GivenCounts(c, team, []string{"UGIA", "UOLA", "UROB"}, now.Add(-7*24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if counts["UGIA"] != 1 || counts["UOLA"] != 1 || counts["UROB"] != 0 || len(counts) != 2 {
		t.Errorf("GivenCounts = %v", counts)
	}
}

// TestGivenCountsFollowTheCredit: a pass-on's link is not given again by the first giver, and a
// withdrawn referral is not given at all, so the inactivity nudge sees who really gave.
func TestGivenCountsFollowTheCredit(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	if _, err := f.move(t, r.Number, "UROB", rapport.ActPassOn, func(m *rapport.Move) { m.LinkTo = "UMAY" }); err != nil {
		t.Fatal(err)
	}
	w := f.create(t, team, draftFrom(t, "UOLA", "UROB", "kim@prospect.example", ""))
	if _, err := f.move(t, w.Number, "UOLA", rapport.ActWithdraw); err != nil {
		t.Fatal(err)
	}
	counts, err := f.st.GivenCounts(ctx(t), team, []string{"UGIA", "UOLA"}, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if counts["UGIA"] != 1 || counts["UOLA"] != 0 {
		t.Errorf("GivenCounts = %v; want UGIA 1 (one prospect, passed on) and UOLA none (withdrawn)", counts)
	}
}
