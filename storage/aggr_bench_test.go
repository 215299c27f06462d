package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// aggrHistory is n referrals among 40 members over three years up to now: a fifth closed with a
// value, a fifth lost or declined, a tenth passed on, the rest open; most reached the prospect.
func aggrHistory(n int) []rapport.Fact {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	members := make([]string, 40)
	for i := range members {
		members[i] = fmt.Sprintf("UM%02d", i)
	}
	span := 3 * 365 * 24 * time.Hour
	temps := []rapport.Temperature{rapport.Hot, rapport.Warm, rapport.Cold}
	out := make([]rapport.Fact, n)
	for i := range out {
		g := rng.IntN(len(members))
		r := (g + 1 + rng.IntN(len(members)-1)) % len(members)
		created := now.Add(-span + span/time.Duration(n)*time.Duration(i))
		f := rapport.Fact{Ref: int64(i + 1), Giver: members[g], Receiver: members[r], Temperature: temps[rng.IntN(3)],
			Status: rapport.StatusAccepted, Created: created}
		if rng.IntN(10) < 8 {
			f.FirstAction = created.Add(time.Duration(rng.IntN(48*60)) * time.Minute)
			f.FirstContact = f.FirstAction
		}
		switch x := rng.IntN(10); {
		case x < 2:
			f.Status, f.Won, f.Value, f.Currency = rapport.StatusWon, created.Add(72*time.Hour), int64(1000+rng.IntN(500000)), "USD"
		case x < 4:
			f.Status = rapport.StatusLost
		case x < 5:
			f.Status = rapport.StatusPassed
		}
		out[i] = f
	}
	return out
}

// BenchmarkAggregateReads reads what a history of 100,000 (and, with RAPPORT_BENCH_1M=1,
// 1,000,000) referrals shows from the aggregates: the leaderboard of every period, a member's stats
// and ledger, and the Home (its one script: open lists, the month's numbers and board, the ledger).
// It reports Redis's own time per read (INFO commandstats, redis-µs/op), the round trips per
// read, and the longest single command or script (SLOWLOG at threshold 0, max-µs: the 5 ms rule).
// The history is seeded with SeedFacts and counted by RebuildAggregates (both timed in the log).
//
//	go test ./storage -run '^$' -bench AggregateReads -benchtime 2000x
//	RAPPORT_BENCH_1M=1 go test ./storage -run '^$' -bench AggregateReads/1000000 -benchtime 2000x -timeout 30m
func BenchmarkAggregateReads(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("RAPPORT_BENCH_1M") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := newFixture(b)
			c, cancel := context.WithTimeout(b.Context(), 30*time.Minute) // seeding 1,000,000 outlasts ctx's 10 s
			defer cancel()
			st := storage.New(f.rdb, storage.WithPrefix(f.prefix))
			t0 := time.Now()
			if err := st.SeedFacts(c, team, aggrHistory(n)); err != nil {
				b.Fatal(err)
			}
			seeded := time.Since(t0)
			t0 = time.Now()
			counted, err := st.RebuildAggregates(c, team, time.UTC)
			if err != nil || counted != n {
				b.Fatalf("rebuild: %d, %v", counted, err)
			}
			b.Logf("%d referrals: seeded in %v, aggregates rebuilt in %v", n, seeded.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
			if err := st.OpenedHome(c, team, "UM07", "home", now); err != nil {
				b.Fatal(err)
			}
			reads := map[string]func() error{
				"stats": func() error {
					p, _ := rapport.PeriodOf("year", now, time.UTC)
					s, err := st.MemberStats(c, team, "UM07", p)
					if err == nil && s.Received == 0 {
						err = fmt.Errorf("no numbers: %+v", s)
					}
					return err
				},
				"ledger": func() error {
					bs, err := st.Balances(c, team, "UM07", true)
					if err == nil && len(bs) == 0 {
						err = fmt.Errorf("empty ledger")
					}
					return err
				},
				"home": func() error {
					p, _ := rapport.PeriodOf("month", now, time.UTC)
					d, err := st.HomeData(c, team, "UM07", p)
					if err == nil && (!d.Opened || d.OpenReceived == 0 || len(d.Board.Givers) == 0) {
						err = fmt.Errorf("home without its numbers: open %d, board %d", d.OpenReceived, len(d.Board.Givers))
					}
					return err
				},
			}
			for _, name := range rapport.PeriodNames {
				reads["board-"+name] = func() error {
					p, _ := rapport.PeriodOf(name, now, time.UTC)
					if name == "all" {
						p = rapport.Period{Name: "all"}
					}
					bd, err := st.Board(c, team, p)
					if err == nil && len(bd.Givers) == 0 {
						err = fmt.Errorf("empty board %s", p.ID())
					}
					return err
				}
			}
			for _, name := range []string{"board-week", "board-month", "board-quarter", "board-year", "board-all", "stats", "ledger", "home"} {
				read := reads[name]
				b.Run(name, func(b *testing.B) {
					if err := redistest.WatchSlow(c, f.rdb, 0); err != nil { // every command: the longest one
						b.Fatal(err)
					}
					defer redistest.WatchSlow(c, f.rdb, 10*time.Millisecond) //nolint:errcheck // Redis's default again
					var trips redistest.RoundTrips
					rdb := f.rdb
					rdb.AddHook(&trips)
					scripts0, all0, err := redistest.ServerTime(c, rdb)
					if err != nil {
						b.Fatal(err)
					}
					base := trips.Load() // the INFO call
					ops := 0
					for b.Loop() {
						if err := read(); err != nil {
							b.Fatal(err)
						}
						ops++
					}
					after := trips.Load()
					scripts1, all1, err := redistest.ServerTime(c, rdb)
					if err != nil {
						b.Fatal(err)
					}
					usec := all1 - all0
					if scripts1 > scripts0 {
						usec = scripts1 - scripts0
					}
					slow, err := redistest.Slowest(c, rdb)
					if err != nil {
						b.Fatal(err)
					}
					var longest time.Duration
					if len(slow) > 0 {
						longest = slow[0].Took
					}
					b.ReportMetric(float64(usec)/float64(ops), "redis-µs/op")
					b.ReportMetric(float64(after-base)/float64(ops), "round-trips/op")
					b.ReportMetric(float64(longest.Microseconds()), "max-µs")
				})
			}
		})
	}
}
