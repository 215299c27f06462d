package storage_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
)

// binned replaces the exact medians of the Go rules by the histogram's (rapport.MedianOfBins):
// what the aggregates keep, exact to the bin.
func binned(facts []rapport.Fact, p rapport.Period, member string) time.Duration {
	bins := map[int]int{}
	for _, f := range facts {
		if p.Contains(f.Created) && f.Contacted() && f.Receiver == member {
			bins[rapport.FirstContactBin(f.FirstContact.Sub(f.Created))]++
		}
	}
	d, _ := rapport.MedianOfBins(bins)
	return d
}

// TestAggregatesFollowEveryMove drives a random sequence of moves across weeks, months, quarters
// and a change of daylight saving time (create, the receiver's steps, pass on, withdraw and refer
// again, undo, expiry, an admin's correction with a value, recommendations) and checks that the
// aggregates the scripts kept equal those rapport rebuild-aggregates recomputes, and that the
// leaderboards, stats and ledgers read from them equal what the Go rules (stats.go) give over the
// facts.
func TestAggregatesFollowEveryMove(t *testing.T) {
	f := newFixture(t)
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	st := storage.New(f.rdb, storage.WithPrefix(f.prefix), storage.WithZone(func(string) *time.Location { return loc }))
	c := ctx(t)
	rng := rand.New(rand.NewPCG(11, 42))
	members := []string{"UGIA", "UROB", "UOLA", "UMAY"}
	pick := func() string { return members[rng.IntN(len(members))] }
	other := func(not ...string) string {
		for {
			m := pick()
			ok := true
			for _, n := range not {
				ok = ok && m != n
			}
			if ok {
				return m
			}
		}
	}
	clock := time.Date(2026, 2, 20, 12, 0, 0, 0, loc)
	var refs []rapport.Referral
	statuses := rapport.Statuses
	undone := 0
	for i := 0; i < 400; i++ {
		clock = clock.Add(time.Duration(rng.IntN(36*60)) * time.Minute)
		now := time.UnixMilli(clock.UnixMilli())
		switch k := rng.IntN(20); {
		case k < 5 || len(refs) == 0:
			g := pick()
			d := draftFrom(t, g, other(g), fmt.Sprintf("p%d@prospect.example", i), "")
			d.Facts = rapport.Facts{Spoke: rng.IntN(2) == 0, MayShare: rng.IntN(2) == 0, Expects: rng.IntN(2) == 0}
			r, _, err := st.CreateReferral(c, storage.NewReferral{Team: team, EnvelopeID: fmt.Sprintf("e%d", i), Draft: d, Now: now, Notify: dms})
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, r)
		case k == 5:
			from := pick()
			rec := rapport.Recognition{Kind: rapport.RecognitionVouch, From: from, To: other(from), Text: "great", At: now}
			if err := st.Recognize(c, team, fmt.Sprintf("v%d", i), rec, "vouch", rec.To); err != nil {
				t.Fatal(err)
			}
		default:
			n := refs[rng.IntN(len(refs))].Number
			ref, _, err := st.Timeline(c, team, n)
			if err != nil {
				t.Fatal(err)
			}
			m := rapport.Move{Team: team, Ref: n, Actor: ref.Receiver, Role: rapport.RoleReceiver, Now: now, Timing: timing}
			switch k {
			case 6, 7:
				m.Action = rapport.ActAccept
			case 8, 9:
				m.Action = rapport.ActContacted
			case 10:
				m.Action = rapport.ActMeeting
			case 11:
				m.Action, m.Value, m.Currency = rapport.ActWon, int64(rng.IntN(5000)*100), "USD"
			case 12:
				m.Action = rapport.ActLost
			case 13:
				m.Action = rapport.ActDecline
			case 14:
				m.Action, m.LinkTo = rapport.ActPassOn, other(ref.Giver, ref.Receiver)
				m.LinkFacts = rapport.Facts{Spoke: true, MayShare: rng.IntN(2) == 0, Expects: true}
			case 15:
				m.Action, m.Actor, m.Role = rapport.ActWithdraw, ref.Giver, rapport.RoleGiver
				if rng.IntN(2) == 0 {
					m.LinkTo = other(ref.Giver, ref.Receiver)
				}
			case 16:
				m.Action, m.Actor, m.Role = rapport.ActCorrect, "UADMIN", rapport.RoleAdmin
				m.To = statuses[rng.IntN(len(statuses))]
				if m.To == rapport.StatusWon {
					m.Value, m.Currency = int64(rng.IntN(900)*100), "USD"
				}
			case 17:
				m.Action, m.Actor, m.Role = rapport.ActExpire, rapport.SystemActor, rapport.RoleSystem
			default:
				m.Action = rapport.ActUndo
				st.Undo(c, m, nil) //nolint:errcheck // refused undos are part of the sequence
				continue
			}
			moved, err := st.Move(c, m)
			if err == nil && moved.Linked != 0 {
				refs = append(refs, rapport.Referral{Number: moved.Linked})
			}
			if err == nil && m.Role == rapport.RoleReceiver && rng.IntN(3) == 0 {
				m.Action, m.Now = rapport.ActUndo, now.Add(time.Minute)
				if _, err := st.Undo(c, m, nil); err == nil {
					undone++
				}
			}
		}
	}

	kept := aggregates(t, f)
	if len(kept) == 0 {
		t.Fatal("no aggregates kept")
	}
	if _, err := st.RebuildAggregates(c, team, loc); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(kept, aggregates(t, f)); d != "" {
		t.Errorf("kept aggregates differ from rebuilt (-kept +rebuilt):\n%s", d)
	}

	facts, err := st.Facts(c, team, time.Unix(0, 0), clock.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	vouches, err := st.Recognitions(c, team, rapport.RecognitionVouch, time.Unix(0, 0), clock.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	by := map[rapport.Status]int{}
	for _, x := range facts {
		by[x.Status]++
	}
	t.Logf("%d facts by status %v, %d vouches, %d undone", len(facts), by, len(vouches), undone)
	if undone == 0 || by[rapport.StatusWon] == 0 || by[rapport.StatusPassed] == 0 || len(vouches) == 0 {
		t.Errorf("the sequence missed a move: %v, %d undone, %d vouches", by, undone, len(vouches))
	}
	opts := cmpopts.EquateEmpty()
	checked := 0
	for at := time.Date(2026, 2, 20, 12, 0, 0, 0, loc); at.Before(clock); at = at.Add(5 * 24 * time.Hour) {
		for _, name := range rapport.PeriodNames {
			p, _ := rapport.PeriodOf(name, at, loc)
			if name == "all" {
				p.To = clock.Add(time.Hour)
			}
			want := rapport.Leaderboard(facts, p)
			for i := range want.Fastest {
				want.Fastest[i].Median = binned(facts, p, want.Fastest[i].Member)
			}
			rapport.SortBoard(&want)
			got, err := st.Board(c, team, p)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got, opts); d != "" {
				t.Errorf("board %s (-rules +aggregates):\n%s", p.ID(), d)
			}
			for _, m := range members {
				want := rapport.StatsOf(facts, vouches, m, p)
				want.MedianFirstContact = binned(facts, p, m)
				got, err := st.MemberStats(c, team, m, p)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("stats of %s in %s (-rules +aggregates):\n%s", m, p.ID(), d)
				}
				checked++
			}
		}
	}
	for _, m := range members {
		for _, withVouches := range []bool{true, false} {
			vs := vouches
			if !withVouches {
				vs = nil
			}
			got, err := st.Balances(c, team, m, withVouches)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(rapport.Ledger(facts, vs, m), got, opts); d != "" {
				t.Errorf("ledger of %s, vouches %v (-rules +aggregates):\n%s", m, withVouches, d)
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d stats checked", checked)
	}
	// The digest's reads: a week of days, its waiting referrals, the chart's days and who gave.
	spans := 0
	for at := time.Date(2026, 2, 23, 9, 0, 0, 0, loc); at.Before(clock); at = at.AddDate(0, 0, 3) {
		to := rapport.Midnight(at, loc)
		p := rapport.Period{Name: "span", From: to.AddDate(0, 0, -7), To: to}
		want := rapport.SpanOf(facts, nil, vouches, p, at.Add(-24*time.Hour))
		got, err := st.Span(c, team, p.From, p.To, at.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want.Board.Fastest, got.Board.Fastest = nil, nil // medians exact to the bin: checked above
		if d := cmp.Diff(want, got, opts); d != "" {
			t.Errorf("span %v (-rules +aggregates):\n%s", p.From, d)
		}
		days := rapport.Days(p.From.AddDate(0, 0, -7), p.To, loc)
		totals, err := st.DayTotals(c, team, p.From.AddDate(0, 0, -7), p.To, "USD")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(rapport.DayTotalsOf(facts, days, "USD"), totals, opts); d != "" {
			t.Errorf("day totals before %v (-rules +aggregates):\n%s", p.To, d)
		}
		gave, err := st.GivenCounts(c, team, members, p.From, p.To)
		if err != nil {
			t.Fatal(err)
		}
		wantGave := map[string]int{}
		for _, g := range want.Board.Givers {
			if n := g.Hot + g.Warm + g.Cold; n > 0 {
				wantGave[g.Member] = n
			}
		}
		if d := cmp.Diff(wantGave, gave, opts); d != "" {
			t.Errorf("given in the span %v (-rules +aggregates):\n%s", p.From, d)
		}
		if len(got.Board.Givers) > 0 && got.Waiting > 0 {
			spans++
		}
	}
	if spans < 5 {
		t.Errorf("only %d spans with givers and waiting referrals checked", spans)
	}
	// The members' open indexes, kept by the same scripts, hold exactly their open referrals.
	for _, m := range members {
		var wantGiven, wantReceived []int64
		for _, x := range facts {
			if x.Status.Open() && x.Giver == m {
				wantGiven = append(wantGiven, x.Ref)
			}
			if x.Status.Open() && x.Receiver == m {
				wantReceived = append(wantReceived, x.Ref)
			}
		}
		given, received, err := st.OpenReferrals(c, team, m, 10000)
		if err != nil {
			t.Fatal(err)
		}
		sorted := cmpopts.SortSlices(func(a, b int64) bool { return a < b })
		if d := cmp.Diff(wantGiven, numbers(given), sorted, opts); d != "" {
			t.Errorf("open referrals %s gave (-facts +index):\n%s", m, d)
		}
		if d := cmp.Diff(wantReceived, numbers(received), sorted, opts); d != "" {
			t.Errorf("open referrals %s received (-facts +index):\n%s", m, d)
		}
	}
}

// aggregates reads every aggregate hash under the fixture's prefix.
func aggregates(t *testing.T, f *fixture) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, k := range f.keys(t) {
		if !strings.Contains(k, ":aggr:") || strings.HasSuffix(k, ":aggr:keys") || strings.HasSuffix(k, ":aggr:rebuild") {
			continue
		}
		out[k] = f.rdb.HGetAll(ctx(t), k).Val()
	}
	return out
}

// TestRebuildOnceAtATime: a store with nothing to count is marked built at once; one with
// referrals and no mark is not, until a rebuild completes; a second rebuild started while one
// runs is refused (two replicas starting together rebuild once), and the mark names the zone.
func TestRebuildOnceAtATime(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	utc, phx := time.UTC, time.FixedZone("MST", -7*3600)
	if built, err := f.st.AggregatesBuilt(c, team, utc); err != nil || !built {
		t.Fatalf("an empty store: built %v, %v; want true", built, err)
	}
	f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	if built, err := f.st.AggregatesBuilt(c, team, utc); err != nil || !built {
		t.Fatalf("a store whose referrals were counted as made: built %v, %v; want true", built, err)
	}
	if built, err := f.st.AggregatesBuilt(c, team, phx); err != nil || built {
		t.Fatalf("after a change of zone: built %v, %v; want false", built, err)
	}
	if err := f.rdb.Set(c, f.key(team, "lock:aggregates"), "another", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.RebuildAggregates(c, team, phx); !errors.Is(err, storage.ErrRebuildRunning) {
		t.Fatalf("a rebuild beside a running one: %v; want ErrRebuildRunning", err)
	}
	f.rdb.Del(c, f.key(team, "lock:aggregates"))
	if n, err := f.st.RebuildAggregates(c, team, phx); err != nil || n != 1 {
		t.Fatalf("rebuild: %d, %v; want 1 referral", n, err)
	}
	if built, err := f.st.AggregatesBuilt(c, team, phx); err != nil || !built {
		t.Fatalf("after the rebuild: built %v, %v; want true", built, err)
	}
	// The mark of a version that kept no days (the zone alone): rebuilt once at the next start.
	f.rdb.Set(c, f.key(team, "migrated:aggr"), phx.String(), 0)
	if built, err := f.st.AggregatesBuilt(c, team, phx); err != nil || built {
		t.Fatalf("built by a version without the days: built %v, %v; want false", built, err)
	}
}

// TestOlderPeriodsFieldsRead: a referral saved by a version that wrote its periods as full IDs
// ("week:20260302 … all") moves with the same numbers as one saved now, until a rebuild rewrites it.
func TestOlderPeriodsFieldsRead(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	r := f.create(t, team, draft(t, "UROB", "pat@prospect.example", ""))
	var ids []string // as the version before the days wrote them: no day
	for _, name := range []string{"week", "month", "quarter", "year", "all"} {
		p, _ := rapport.PeriodOf(name, r.Created, time.UTC)
		ids = append(ids, p.ID())
	}
	if err := f.rdb.HSet(c, f.key(team, "ref:1"), "ap", strings.Join(ids, " ")).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.move(t, r.Number, "UROB", rapport.ActAccept); err != nil {
		t.Fatal(err)
	}
	kept := aggregates(t, f)
	if _, err := f.st.RebuildAggregates(c, team, time.UTC); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(kept, aggregates(t, f)); d != "" {
		t.Errorf("numbers kept from the older field differ from rebuilt (-kept +rebuilt):\n%s", d)
	}
	if len(kept) < len(rapport.PeriodNames)-1 {
		t.Errorf("only %d aggregates kept", len(kept))
	}
}
