package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/scheduler"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// BenchmarkTick measures one sweep claiming 10,000 due reminders out of a due queue of 100,000 or
// 1,000,000 (DESIGN.md allows filling the queue alone: it measures the claim, not the referrals).
// The work should grow with what is due, not with what is stored, and no claim script hold Redis
// 5 ms (max_claim_us, from SLOWLOG; 0: none over 1 ms):
//
//	go test ./scheduler -run '^$' -bench Tick -benchtime 1x
func BenchmarkTick(b *testing.B) {
	const due, receivers = 10_000, 100
	srv := redistest.Start(b)
	for _, stored := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("stored=%d/due=%d", stored, due), func(b *testing.B) {
			c := context.Background()
			rdb := srv.Client(b)
			prefix := srv.Prefix(b)
			st := storage.New(rdb, storage.WithPrefix(prefix))
			base := prefix + ":{" + team + "}:"
			now := time.Date(2026, 3, 3, 18, 0, 0, 0, time.UTC) // daytime in every zone below
			zones := []string{"America/Phoenix", "America/New_York", "UTC", "Europe/Oslo"}
			var ms []rapport.Member
			for i := range receivers {
				ms = append(ms, rapport.Member{ID: fmt.Sprintf("U%04d", i), Name: "m", TZ: zones[i%len(zones)]})
			}
			if err := st.PutMembers(c, team, ms); err != nil {
				b.Fatal(err)
			}
			member := func(n int, stage rapport.Stage) string {
				return rapport.DueID(int64(n), stage, fmt.Sprintf("U%04d", n%receivers))
			}
			// Not due: scored after now.
			start := time.Now()
			for lo := due + 1; lo <= stored; lo += 10_000 {
				zs := make([]redis.Z, 0, 10_000)
				for n := lo; n < lo+10_000 && n <= stored; n++ {
					zs = append(zs, redis.Z{Score: float64(now.Add(time.Duration(n) * time.Second).UnixMilli()), Member: member(n, rapport.StageAck)})
				}
				if err := rdb.ZAdd(c, base+"due", zs...).Err(); err != nil {
					b.Fatal(err)
				}
			}
			// Due, with the referral hashes the claim reads; any ack2 a previous run left is removed.
			refill := func() {
				for lo := 1; lo <= due; lo += 10_000 {
					_, err := rdb.Pipelined(c, func(p redis.Pipeliner) error {
						zs := make([]redis.Z, 0, 10_000)
						for n := lo; n < lo+10_000 && n <= due; n++ {
							m := member(n, rapport.StageAck)
							zs = append(zs, redis.Z{Score: float64(now.Add(-time.Duration(n) * time.Second).UnixMilli()), Member: m})
							p.HSet(c, fmt.Sprintf("%sref:%d", base, n), "due", m, "g", "UGIA", "r", fmt.Sprintf("U%04d", n%receivers))
							p.ZRem(c, base+"due", member(n, rapport.StageAck2))
						}
						p.ZAdd(c, base+"due", zs...)
						p.Del(c, base+"outbox")
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			refill()
			b.Logf("filled %d stored, %d due in %s", stored, due, time.Since(start).Round(time.Millisecond))

			quiet, _ := rapport.ParseQuietHours("21:00-08:00")
			s, err := scheduler.New(st, scheduler.Config{
				Team: team, Schedule: "@every 1m",
				Timing: func() rapport.Timing { return timing }, Notices: notify.StageNotices,
				Quiet: func() rapport.QuietHours { return quiet },
			}, nil)
			if err != nil {
				b.Fatal(err)
			}
			// Load the claim script once, as any earlier sweep would have.
			if _, err := st.ClaimDue(c, team, []rapport.Claim{{Due: rapport.Due{ID: "warm-up"}}}); err != nil {
				b.Fatal(err)
			}
			var trips redistest.RoundTrips
			rdb.AddHook(&trips)
			if srv.Own() {
				if err := redistest.WatchSlow(c, rdb, time.Millisecond); err != nil {
					b.Fatal(err)
				}
			}

			var elapsed time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 {
					b.StopTimer()
					refill()
					b.StartTimer()
				}
				trips.Store(0)
				t0 := time.Now()
				res, err := s.Tick(c, now)
				elapsed += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				if res.Claimed != due {
					b.Fatalf("Tick = %+v, want %d claimed", res, due)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/tick")
			b.ReportMetric(float64(trips.Load()), "roundtrips/tick")
			if srv.Own() { // the longest command of the sweeps: each claim script within 5 ms
				slow, err := redistest.Slowest(c, rdb)
				if err != nil {
					b.Fatal(err)
				}
				var longest time.Duration
				for _, s := range slow {
					if s.What == "evalsha "+base+"due" {
						longest = max(longest, s.Took)
					}
				}
				b.ReportMetric(float64(longest.Microseconds()), "max_claim_us")
			}
			if n := rdb.XLen(c, base+"outbox").Val(); n != due {
				b.Errorf("outbox holds %d, want %d", n, due)
			}
		})
	}
}
