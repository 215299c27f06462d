package storage_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

// TestPairingFacts: only members who opted in and may receive a message are paired; their
// referrals to each other and their confirmed 1:1s come from their ledgers, last week's partners
// from the latest pairs; opting out takes a member out.
func TestPairingFacts(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	for _, m := range []string{"UGIA", "UROB", "UOLA", "UMAY", "UBOT", "UNOBODY"} {
		if changed, err := f.st.SetPairing(c, team, m, true); err != nil || !changed {
			t.Fatalf("opt in %s: %v, %v", m, changed, err)
		}
	}
	if changed, err := f.st.SetPairing(c, team, "UGIA", true); err != nil || changed {
		t.Errorf("opting in twice: changed %v, %v; want no change", changed, err)
	}
	if changed, err := f.st.SetPairing(c, team, "UMAY", false); err != nil || !changed {
		t.Errorf("opting out: changed %v, %v", changed, err)
	}
	if in, err := f.st.InPairing(c, team, "UMAY"); err != nil || in {
		t.Errorf("UMAY in pairing after opting out: %v, %v", in, err)
	}
	// Gia gave Rob two referrals, Rob gave Ola one; Gia and Ola had a 1:1.
	f.create(t, team, draft(t, "UROB", "a@example.com", ""))
	f.create(t, team, draft(t, "UROB", "b@example.com", ""))
	f.create(t, team, draftFrom(t, "UROB", "UOLA", "c@example.com", ""))
	o, err := f.record(t, "UGIA", "UOLA", rapport.DateOf(now, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.answer(t, o.Number, "UOLA", true); err != nil {
		t.Fatal(err)
	}

	got, err := f.st.PairingFacts(c, team)
	if err != nil {
		t.Fatal(err)
	}
	want := rapport.PairingFacts{
		Members: []string{"UGIA", "UOLA", "UROB"}, // not the bot, nor a member the directory does not know
		Given:   map[string]map[string]int{"UGIA": {"UROB": 2}, "UROB": {"UOLA": 1}},
		Met:     map[string]map[string]int{"UGIA": {"UOLA": 1}, "UOLA": {"UGIA": 1}},
		Last:    map[string]string{}, Asks: []rapport.Ask{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PairingFacts (-want +got):\n%s", diff)
	}

	if _, err := f.st.QueuePairs(c, team, "2026-W10", 5*7*24*time.Hour, []rapport.Pair{{A: "UGIA", B: "UROB", AGave: 2}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err = f.st.PairingFacts(c, team)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"UGIA": "UROB", "UROB": "UGIA"}, got.Last); diff != "" {
		t.Errorf("last week's partners (-want +got):\n%s", diff)
	}
}

// TestQueuePairsClaimsTheWeekOnce: four callers at once suggest one set of pairs; the pairs are
// kept for the TTL, best first, and become the latest; an earlier week claimed late does not take
// the latest's place.
func TestQueuePairsClaimsTheWeekOnce(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	pairs := []rapport.Pair{{A: "UROB", B: "UGIA", BGave: 3, Rank: 0}, {A: "UMAY", B: "UOLA", Words: []string{"payroll"}, Rank: 1}}
	var msgs []rapport.OutboxEntry
	for _, p := range pairs {
		for _, to := range []string{p.A, p.B} {
			msgs = append(msgs, rapport.OutboxEntry{Kind: "pairing.suggested", To: to, Fields: map[string]string{"week": "2026-W10"}})
		}
	}
	const keep = 5 * 7 * 24 * time.Hour
	var wg sync.WaitGroup
	claims := make(chan bool, 4)
	for range 4 {
		wg.Go(func() {
			ok, err := f.st.QueuePairs(c, team, "2026-W10", keep, pairs, msgs)
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
	if n, _ := f.st.Pending(c, team); n != 4 {
		t.Errorf("outbox holds %d entries; want the 4 suggestions of one claim", n)
	}
	if done, err := f.st.PairingClaimed(c, team, "2026-W10"); err != nil || !done {
		t.Errorf("PairingClaimed = %v, %v", done, err)
	}
	got, err := f.st.WeekPairs(c, team, "2026-W10")
	if err != nil {
		t.Fatal(err)
	}
	want := []rapport.SuggestedPair{{Pair: pairs[0]}, {Pair: pairs[1]}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WeekPairs (-want +got):\n%s", diff)
	}
	for _, k := range append(f.match(t, "*ran:pairing:2026-W10"), f.match(t, "*pairing:week:2026-W10")...) {
		if ttl := f.rdb.TTL(c, k).Val(); ttl <= 4*7*24*time.Hour || ttl > keep {
			t.Errorf("%s TTL = %v; want a few weeks", k, ttl)
		}
	}
	if got, err := f.st.WeekPairs(c, team, "2026-W11"); err != nil || len(got) != 0 {
		t.Errorf("a week never paired: %v, %v", got, err)
	}
	// A replica whose clock is behind claims last week late: the latest stays the latest.
	if _, err := f.st.QueuePairs(c, team, "2026-W09", keep, nil, nil); err != nil {
		t.Fatal(err)
	}
	if last := f.rdb.Get(c, f.key(team, "pairing:last")).Val(); last != "2026-W10" {
		t.Errorf("pairing:last = %q; want 2026-W10", last)
	}
}

// TestBookPair: the first "Book a 1:1" of a pair is recorded with its messages; a second, by
// either of the two, is refused with who booked; a pair that was not suggested, or a suggestion of
// an earlier week than the latest, is refused and queues nothing.
func TestBookPair(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	const keep = 5 * 7 * 24 * time.Hour
	pairs := []rapport.Pair{{A: "UGIA", B: "UROB", AGave: 3}, {A: "UMAY", B: "UOLA", Rank: 1}}
	if _, err := f.st.QueuePairs(c, team, "2026-W10", keep, pairs, nil); err != nil {
		t.Fatal(err)
	}
	told := []rapport.OutboxEntry{{Kind: "pairing.booked", To: "UGIA"}, {Kind: "pairing.booking", To: "UROB"}}
	sp, err := f.st.BookPair(c, team, "2026-W10", "UROB", "UGIA", now, told)
	if err != nil || sp.BookedBy != "UROB" || !sp.BookedAt.Equal(now) || sp.AGave != 3 {
		t.Fatalf("BookPair = %+v, %v", sp, err)
	}
	if n, _ := f.st.Pending(c, team); n != 2 {
		t.Errorf("outbox holds %d entries; want both told", n)
	}
	var refused *rapport.PairRefused
	for _, who := range [][2]string{{"UROB", "UGIA"}, {"UGIA", "UROB"}} {
		_, err := f.st.BookPair(c, team, "2026-W10", who[0], who[1], now.Add(time.Minute), told)
		if !errors.As(err, &refused) || refused.Reason != "booked" || refused.Pair.BookedBy != "UROB" || !refused.Pair.BookedAt.Equal(now) {
			t.Errorf("%s booking again: %v; want booked by UROB", who[0], err)
		}
	}
	if _, err := f.st.BookPair(c, team, "2026-W10", "UGIA", "UOLA", now, told); !errors.As(err, &refused) || refused.Reason != "missing" {
		t.Errorf("booking a pair never suggested: %v; want missing", err)
	}
	got, err := f.st.WeekPairs(c, team, "2026-W10")
	if err != nil || len(got) != 2 || got[0].BookedBy != "UROB" || got[1].BookedBy != "" {
		t.Errorf("WeekPairs = %+v, %v; want the first booked by UROB", got, err)
	}
	if ttl := f.rdb.TTL(c, f.key(team, "pairing:week:2026-W10:booked")).Val(); ttl <= 4*7*24*time.Hour || ttl > keep {
		t.Errorf("bookings TTL = %v; want the pairs'", ttl)
	}
	// A week later, last week's suggestions are no longer booked.
	if _, err := f.st.QueuePairs(c, team, "2026-W11", keep, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.BookPair(c, team, "2026-W10", "UOLA", "UMAY", now, told); !errors.As(err, &refused) || refused.Reason != "stale" {
		t.Errorf("booking last week's: %v; want stale", err)
	}
	if n, _ := f.st.Pending(c, team); n != 2 {
		t.Errorf("outbox holds %d entries; want only the first booking's 2", n)
	}
}
