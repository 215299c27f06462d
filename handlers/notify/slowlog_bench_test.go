package notify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// slowlogMicros is the longest a Redis command (a script call counts as one) may run: 5 ms.
const slowlogMicros = 5000

// BenchmarkSlowlog1M reads a history of 1,000,000 referrals the ways that walk many of them (the
// export of all of it, the digest's 12 weeks and its chart), on a Redis whose SLOWLOG records every
// command over 5 ms, and fails if it records any. It reports each read's time, round trips and
// Redis time (INFO commandstats). Run it alone, once:
//
//	go test ./handlers/notify -run '^$' -bench Slowlog1M -benchtime 1x -timeout 30m
func BenchmarkSlowlog1M(b *testing.B) { benchmarkSlowlog(b, 1_000_000) }

// BenchmarkSlowlog100k is the same at 100,000 referrals: a quicker look.
func BenchmarkSlowlog100k(b *testing.B) { benchmarkSlowlog(b, 100_000) }

func benchmarkSlowlog(b *testing.B, n int) {
	ctx := context.Background()
	srv := redistest.StartOwn(b)
	rdb := srv.Client(b)
	var trips redistest.RoundTrips
	rdb.AddHook(&trips)
	st := storage.New(rdb, storage.WithPrefix(srv.Prefix(b)))
	const team = "TBENCH"
	at := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	members := benchGroup(b, st, team)
	// n referrals over the 100 weeks before at: the digest's 12 weeks hold 12 % of them.
	const history = 100 * 7 * 24 * time.Hour
	facts := make([]rapport.Fact, 0, 100_000)
	seeded := time.Now()
	for i := range n {
		created := at.Add(-time.Duration(i+1) * (history / time.Duration(n+1)))
		f := rapport.Fact{Ref: int64(i + 1), Giver: members[i%30].ID, Receiver: members[(i+7)%40].ID,
			Temperature: []rapport.Temperature{rapport.Hot, rapport.Warm, rapport.Cold}[i%3], Status: rapport.StatusNew, Created: created}
		if i%10 == 0 {
			f.Status, f.Won, f.Value, f.Currency = rapport.StatusWon, created.Add(time.Minute), 150000, "USD"
			f.FirstAction, f.FirstContact = created.Add(time.Second), created.Add(time.Second)
		}
		facts = append(facts, f)
		if len(facts) == cap(facts) || i == n-1 {
			if err := st.SeedFacts(ctx, team, facts); err != nil {
				b.Fatal(err)
			}
			facts = facts[:0]
		}
	}
	b.Logf("seeded %d referrals in %v; Redis uses %s", n, time.Since(seeded).Round(time.Millisecond), usedMemory(ctx, b, rdb))

	set := rapport.Settings{RecognitionChannel: "C0RECOG", DigestSchedule: "0 9 * * 1", TimeZone: time.UTC,
		FollowUpSLA: 24 * time.Hour, Currency: "USD", PublicValues: true, InactivityWeeks: 4}
	c := New(zap.NewNop(), st, fixedSettings(set), team, nil, func() time.Time { return at }, nil)
	if err := redistest.WatchSlow(ctx, rdb, slowlogMicros*time.Microsecond); err != nil {
		b.Fatal(err)
	}
	phases := []struct {
		name string
		run  func() error
	}{
		{"probe", func() error { // the machine's noise: as many O(1) reads as the export's, pipelined the same way
			for i := 0; i < n; i += 500 {
				_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
					for j := range 500 {
						p.Exists(ctx, fmt.Sprintf("probe:%d", i+j))
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"rebuild", func() error { // rapport rebuild-aggregates: the seeded referrals counted, in slices
			counted, err := st.RebuildAggregates(ctx, team, time.UTC)
			if err == nil && counted != n {
				err = fmt.Errorf("rebuild counted %d referrals; want %d", counted, n)
			}
			return err
		}},
		{"digest", func() error { // what the job computes under its lock
			msgs, err := c.digestMessages(ctx, set, at, "2026-W10")
			if err == nil && len(msgs) < 2 {
				err = fmt.Errorf("digest owes %d messages", len(msgs))
			}
			return err
		}},
		{"chart", func() error { // the digest's chart, drawn at send time
			e := rapport.OutboxEntry{Kind: DigestChart.Kind, To: "C0RECOG",
				Fields: map[string]string{digestFieldAt: unixMS(at), digestFieldWeek: "2026-W10"}}
			_, ok, err := c.Render(ctx, team, e)
			if err == nil && !ok {
				err = fmt.Errorf("chart not drawn")
			}
			return err
		}},
		{"export-all", func() error { // /refer export all, built at send time
			p, ok, err := c.Render(ctx, team, ExportNote("U000", "all", at))
			if err == nil && (!ok || p.File == nil) {
				err = fmt.Errorf("export not drawn")
			}
			if err == nil {
				if rows := strings.Count(string(p.File.Content), "\r\n") - 1; rows != n {
					err = fmt.Errorf("export has %d rows; want %d", rows, n)
				}
			}
			return err
		}},
	}
	for b.Loop() {
		for _, ph := range phases {
			before, err := redistest.CommandStats(ctx, rdb)
			if err != nil {
				b.Fatal(err)
			}
			cpu0, err := redistest.CPU(ctx, rdb)
			if err != nil {
				b.Fatal(err)
			}
			trips0, start := trips.Load(), time.Now()
			if err := ph.run(); err != nil {
				b.Fatalf("%s: %v", ph.name, err)
			}
			took, rt := time.Since(start), trips.Load()-trips0
			cpu1, err := redistest.CPU(ctx, rdb)
			if err != nil {
				b.Fatal(err)
			}
			after, err := redistest.CommandStats(ctx, rdb)
			if err != nil {
				b.Fatal(err)
			}
			var calls int64
			for name, st := range after {
				if name != "info" && name != "config" && name != "slowlog" {
					calls += st.Calls - before[name].Calls
				}
			}
			b.Logf("%-10s %8v  %5d round trips  %6d commands  %7.1f ms of Redis time", ph.name, took.Round(time.Millisecond), rt, calls,
				float64((cpu1-cpu0).Microseconds())/1000)
			b.ReportMetric(float64(took.Milliseconds()), ph.name+"-ms")
			b.ReportMetric(float64(rt), ph.name+"-round-trips")
			slow, err := redistest.Slowest(ctx, rdb)
			if err == nil {
				err = rdb.SlowLogReset(ctx).Err()
			}
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(slow)), ph.name+"-slow")
			for _, l := range slow {
				if ph.name == "probe" {
					// Commands of a few microseconds logged over 5 ms: Redis was descheduled (a
					// loaded machine), which the other phases' entries must be read against.
					b.Logf("probe: %v (the machine's noise)", l)
					continue
				}
				b.Errorf("%s: slow command %v", ph.name, l)
			}
		}
	}
}

func usedMemory(ctx context.Context, b *testing.B, rdb redis.UniversalClient) string {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory_human:"); ok {
			return v
		}
	}
	return "?"
}
