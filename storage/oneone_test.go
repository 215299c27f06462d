package storage_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportbot/rapport"
)

// Kinds of the messages a 1:1 owes in these tests.
const (
	kindAsk       = "oneone.ask"
	kindConfirmed = "oneone.confirmed"
	kindDeclined  = "oneone.declined"
	kindExpired   = "oneone.expired"
)

// record records a 1:1 from recorder with partner on met under a fresh envelope.
func (f *fixture) record(t *testing.T, recorder, partner string, met rapport.Date) (rapport.OneOnOne, error) {
	t.Helper()
	f.envs++
	return f.st.RecordOneOnOne(ctx(t), team, fmt.Sprintf("env-%d", f.envs), rapport.OneOnOne{
		Recorder: recorder, Partner: partner, Met: met, Note: "Coffee <3", Created: now,
	}, []rapport.Notice{{Kind: kindAsk, To: rapport.RolePartner}})
}

func (f *fixture) answer(t *testing.T, n int64, user string, confirm bool) (rapport.OneOnOne, error) {
	t.Helper()
	kind := kindDeclined
	if confirm {
		kind = kindConfirmed
	}
	return f.st.AnswerOneOnOne(ctx(t), team, n, user, confirm, now.Add(time.Hour), []rapport.Notice{{Kind: kind, To: rapport.RoleRecorder}})
}

// outboxTo lists the outbox's entries as "kind to oneone".
func outboxTo(t *testing.T, f *fixture) []string {
	t.Helper()
	var out []string
	for _, m := range f.rdb.XRange(ctx(t), f.key(team, "outbox"), "-", "+").Val() {
		out = append(out, fmt.Sprintf("%v %v %v", m.Values["kind"], m.Values["to"], m.Values[rapport.EntryOneOnOne]))
	}
	return out
}

// TestOneOnOneCountsOnceWhenConfirmed: a confirmed 1:1 counts once for each member (their numbers
// of the periods of the day met, their ledgers with the day, the group's day total); a declined or
// expired one counts for nobody; answering twice, answering someone else's, recording the same
// pair's day again are refused; a redelivered command records nothing again; and a rebuild of the
// aggregates gives the same numbers.
func TestOneOnOneCountsOnceWhenConfirmed(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	met := rapport.DateOf(now, time.UTC).AddDays(-1) // Sunday 2026-03-01: February's week, March's month

	o, err := f.record(t, "UGIA", "UROB", met)
	if err != nil || o.Number != 1 || o.Status != rapport.OneOnOnePending {
		t.Fatalf("record: %+v, %v", o, err)
	}
	f.envs-- // the same envelope again
	if again, err := f.record(t, "UGIA", "UROB", met); err != nil || again.Number != 1 {
		t.Fatalf("a redelivered record: %+v, %v; want 1:1 1 again", again, err)
	}
	var refused *rapport.OneOnOneRefused
	if _, err := f.record(t, "UROB", "UGIA", met); !errors.As(err, &refused) || refused.Reason != "duplicate" || refused.OneOnOne.Recorder != "UGIA" {
		t.Fatalf("the same pair's day recorded by the other: %v; want duplicate of Gia's", err)
	}
	for _, to := range []string{"UBOT", "UNOBODY"} {
		if _, err := f.record(t, "UGIA", to, met); rapport.ErrorCode(err) != rapport.EINVALID {
			t.Errorf("a 1:1 with %s: %v; want a refusal", to, err)
		}
	}
	if _, err := f.answer(t, 1, "UGIA", true); !errors.As(err, &refused) || refused.Reason != "forbidden" {
		t.Fatalf("the recorder confirming: %v; want forbidden", err)
	}
	if got, err := f.answer(t, 1, "UROB", true); err != nil || got.Status != rapport.OneOnOneConfirmed || got.Note != "Coffee <3" {
		t.Fatalf("confirm: %+v, %v", got, err)
	}
	if _, err := f.answer(t, 1, "UROB", false); !errors.As(err, &refused) || refused.Reason != "status" || refused.OneOnOne.Status != rapport.OneOnOneConfirmed {
		t.Fatalf("declining a confirmed one: %v; want status", err)
	}
	if _, err := f.answer(t, 99, "UROB", true); rapport.ErrorCode(err) != rapport.ENOTFOUND {
		t.Fatalf("answering no 1:1: %v", err)
	}

	// Declined: counts for nobody, and the day is free again. Expired: the same.
	if _, err := f.record(t, "UGIA", "UOLA", met); err != nil {
		t.Fatal(err)
	}
	if _, err := f.answer(t, 2, "UOLA", false); err != nil {
		t.Fatal(err)
	}
	if o, err := f.record(t, "UOLA", "UGIA", met); err != nil || o.Number != 3 {
		t.Fatalf("recording a declined day again: %+v, %v", o, err)
	}
	if n, err := f.st.ExpireOneOnOnes(c, team, now.Add(rapport.OneOnOneExpiry-time.Second), 2, []rapport.Notice{{Kind: kindExpired, To: rapport.RoleRecorder}}); err != nil || n != 0 {
		t.Fatalf("expiry a second early: %d, %v", n, err)
	}
	if n, err := f.st.ExpireOneOnOnes(c, team, now.Add(rapport.OneOnOneExpiry), 2, []rapport.Notice{{Kind: kindExpired, To: rapport.RoleRecorder}}); err != nil || n != 1 {
		t.Fatalf("expiry: %d, %v; want 3 expired", n, err)
	}
	if _, err := f.answer(t, 3, "UGIA", true); !errors.As(err, &refused) || refused.OneOnOne.Status != rapport.OneOnOneExpired {
		t.Fatalf("confirming an expired one: %v", err)
	}
	want := []string{"oneone.ask UROB 1", "oneone.confirmed UGIA 1", "oneone.ask UOLA 2", "oneone.declined UGIA 2",
		"oneone.ask UGIA 3", "oneone.expired UOLA 3"}
	if d := cmp.Diff(want, outboxTo(t, f)); d != "" {
		t.Errorf("messages queued (-want +got):\n%s", d)
	}

	check := func(when string) {
		t.Helper()
		for _, name := range []string{"day", "week", "month", "all"} {
			p, _ := rapport.PeriodOf(name, met.Start(time.UTC), time.UTC)
			for m, want := range map[string]int{"UGIA": 1, "UROB": 1, "UOLA": 0} {
				s, err := f.st.MemberStats(c, team, m, p)
				if err != nil || s.OneOnOnes != want {
					t.Errorf("%s: %s's 1:1s in %s: %d, %v; want %d", when, m, p.ID(), s.OneOnOnes, err, want)
				}
			}
		}
		recorded, _ := rapport.PeriodOf("day", now, time.UTC)
		if s, _ := f.st.MemberStats(c, team, "UGIA", recorded); s.OneOnOnes != 0 {
			t.Errorf("%s: counted on the day it was recorded, not the day met", when)
		}
		for m, other := range map[string]string{"UGIA": "UROB", "UROB": "UGIA"} {
			bs, err := f.st.Balances(c, team, m, true)
			if d := cmp.Diff([]rapport.Balance{{Other: other, Met: 1, LastMet: met}}, bs); err != nil || d != "" {
				t.Errorf("%s: %s's ledger (-want +got): %v\n%s", when, m, err, d)
			}
			if bs, _ := f.st.Balances(c, team, m, false); len(bs) != 0 {
				t.Errorf("%s: %s's balances without the social counters: %+v", when, m, bs)
			}
		}
		span, err := f.st.Span(c, team, met.Start(time.UTC), met.AddDays(1).Start(time.UTC), now)
		if err != nil || span.OneOnOnes != 1 || !cmp.Equal(span.Met, map[string]int{"UGIA": 1, "UROB": 1}) {
			t.Errorf("%s: the day's span: %d 1:1s %v, %v; want 1, once each", when, span.OneOnOnes, span.Met, err)
		}
	}
	check("as kept")
	before := aggregates(t, f)
	if _, err := f.st.RebuildAggregates(c, team, time.UTC); err != nil {
		t.Fatal(err)
	}
	check("rebuilt")
	if d := cmp.Diff(before, aggregates(t, f)); d != "" {
		t.Errorf("the aggregates rebuilt differ from those kept (-kept +rebuilt):\n%s", d)
	}

	// A later 1:1 moves the ledger's last day; an earlier one does not.
	for _, d := range []rapport.Date{met.AddDays(-10), met.AddDays(5)} {
		o, err := f.record(t, "UROB", "UGIA", d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.answer(t, o.Number, "UGIA", true); err != nil {
			t.Fatal(err)
		}
	}
	bs, _ := f.st.Balances(c, team, "UGIA", true)
	if len(bs) != 1 || bs[0].Met != 3 || bs[0].LastMet != met.AddDays(5) {
		t.Errorf("after three 1:1s: %+v; want 3, last %v", bs, met.AddDays(5))
	}
}

// TestOneOnOneConfirmedDuringRebuild: while a rebuild runs, a confirmation counts a 1:1 only if
// the rebuild has passed it (the rebuild counts the others when it reaches them), so each counts
// once.
func TestOneOnOneConfirmedDuringRebuild(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	today := rapport.DateOf(now, time.UTC)
	for _, d := range []rapport.Date{today, today.AddDays(-1)} {
		if _, err := f.record(t, "UGIA", "UROB", d); err != nil {
			t.Fatal(err)
		}
	}
	// A rebuild that has counted 1:1 1 and not yet 2 (the mark as rebuildOneOnOnes leaves it).
	if err := f.rdb.HSet(c, f.key(team, "aggr:rebuild"), "ref", 0, "vouch", -1, "oneone", 1).Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{1, 2} {
		if _, err := f.answer(t, n, "UROB", true); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := rapport.PeriodOf("all", now, time.UTC)
	if s, _ := f.st.MemberStats(c, team, "UROB", p); s.OneOnOnes != 1 {
		t.Fatalf("mid-rebuild: %d 1:1s counted; want only the one the rebuild had passed", s.OneOnOnes)
	}
	f.rdb.Del(c, f.key(team, "aggr:rebuild"))
	if _, err := f.st.RebuildAggregates(c, team, time.UTC); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.st.MemberStats(c, team, "UROB", p); s.OneOnOnes != 2 {
		t.Errorf("rebuilt: %d 1:1s; want 2", s.OneOnOnes)
	}
}
