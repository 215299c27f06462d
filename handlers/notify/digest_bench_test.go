package notify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// benchGroup puts the directory of a group of 40 members in st, and returns it.
func benchGroup(b *testing.B, st *storage.Store, team string) []rapport.Member {
	b.Helper()
	members := make([]rapport.Member, 40)
	for i := range members {
		members[i] = rapport.Member{ID: fmt.Sprintf("U%03d", i), Name: fmt.Sprintf("m%d", i)}
	}
	if err := st.PutMembers(b.Context(), team, members); err != nil {
		b.Fatal(err)
	}
	return members
}

// digestBench is a group of 40 members with n referrals given in the digest's week, on a real Redis.
func digestBench(b *testing.B, n int) (*Catalogue, rapport.Settings, time.Time) {
	b.Helper()
	ctx := b.Context()
	srv := redistest.Start(b)
	st := storage.New(srv.Client(b), storage.WithPrefix(srv.Prefix(b)))
	const team = "TBENCH"
	at := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	members := benchGroup(b, st, team)
	facts := make([]rapport.Fact, n)
	for i := range facts {
		created := at.Add(-time.Duration(i+1) * (7 * 24 * time.Hour / time.Duration(n+1)))
		f := rapport.Fact{Ref: int64(i + 1), Giver: members[i%30].ID, Receiver: members[(i+7)%40].ID,
			Temperature: []rapport.Temperature{rapport.Hot, rapport.Warm, rapport.Cold}[i%3], Status: rapport.StatusNew, Created: created}
		if i%10 == 0 {
			f.Status, f.Won, f.Value, f.Currency = rapport.StatusWon, created.Add(time.Minute), 150000, "USD"
			f.FirstAction, f.FirstContact = created.Add(time.Second), created.Add(time.Second)
		}
		facts[i] = f
	}
	start := time.Now()
	if err := st.SeedFacts(ctx, team, facts); err != nil {
		b.Fatal(err)
	}
	if _, err := st.RebuildAggregates(ctx, team, time.UTC); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded and counted %d referrals in %v", n, time.Since(start).Round(time.Millisecond))
	set := rapport.Settings{RecognitionChannel: "C0RECOG", DigestSchedule: "0 9 * * 1", TimeZone: time.UTC,
		FollowUpSLA: 24 * time.Hour, Currency: "USD", PublicValues: true, InactivityWeeks: 4}
	now := func() time.Time { return at }
	return New(zap.NewNop(), st, fixedSettings(set), team, nil, now, nil), set, at
}

// BenchmarkDigest100k is what the job computes under the lock for a week of 100,000 referrals: the
// numbers of its days, thanks, asks, the directory and who gave, and the messages to queue.
func BenchmarkDigest100k(b *testing.B) {
	c, set, at := digestBench(b, 100_000)
	ctx := context.Background()
	for b.Loop() {
		msgs, err := c.digestMessages(ctx, set, at, "2026-W10")
		if err != nil || len(msgs) != 12 { // digest, chart, 10 members who gave nothing
			b.Fatalf("digestMessages = %d messages, %v", len(msgs), err)
		}
	}
}

// BenchmarkDigestChart100k is the chart's render at send time: 12 weeks of facts, then the PNG.
func BenchmarkDigestChart100k(b *testing.B) {
	c, _, at := digestBench(b, 100_000)
	ctx := context.Background()
	e := rapport.OutboxEntry{Kind: DigestChart.Kind, To: "C0RECOG",
		Fields: map[string]string{digestFieldAt: unixMS(at), digestFieldWeek: "2026-W10"}}
	for b.Loop() {
		p, ok, err := c.Render(ctx, "TBENCH", e)
		if err != nil || !ok || p.File == nil || len(p.File.Content) == 0 {
			b.Fatalf("Render = %v, %v", ok, err)
		}
	}
}
