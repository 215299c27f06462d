package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
	"go.uber.org/zap"
)

// BenchmarkHomeRender draws the App Home of a member with 500 referrals (half given, half received,
// every fifth closed, with the 39 other members of a group of 40, over the last six weeks) as the
// outbox does before views.publish: settings, one HomeData script, the Block Kit. It reports the
// Redis round trips per Home (goal ≤ 3) besides the time (goal ≤ 20 ms).
func BenchmarkHomeRender(b *testing.B) {
	rs := redistest.Start(b)
	rdb := rs.Client(b)
	store := storage.New(rdb, storage.WithPrefix(rs.Prefix(b)))
	ctx := b.Context()
	const team, me = "TBENCH", "UME"
	now := time.Now()
	loc, err := time.LoadLocation("America/Phoenix")
	if err != nil {
		b.Fatal(err)
	}
	group := []rapport.Member{{ID: me, Name: "me", TZ: "America/Phoenix"}}
	for i := range 39 {
		group = append(group, rapport.Member{ID: fmt.Sprintf("U%08d", i), Name: fmt.Sprintf("m%d", i), TZ: "America/Phoenix"})
	}
	if err := store.PutMembers(ctx, team, group); err != nil {
		b.Fatal(err)
	}
	fillMember(b, ctx, store, team, me, group, 500, now)
	if err := store.OpenedHome(ctx, team, me, notify.Home.Kind, now); err != nil {
		b.Fatal(err)
	}

	defaults := rapport.Settings{TimeZone: loc, Currency: "USD", FollowUpSLA: 24 * time.Hour, ReportBackAfter: 7 * 24 * time.Hour}
	settings := handlers.NewSettings(store, team, defaults, time.Now, zap.NewNop())
	c := notify.New(zap.NewNop(), store, settings, team, nil, time.Now, nil)
	entry := rapport.OutboxEntry{ID: "1-1", Kind: notify.Home.Kind, To: me}
	render := func() int {
		p, ok, err := c.Render(ctx, team, entry)
		if err != nil || !ok || p.Home == nil {
			b.Fatalf("render: ok %v, %v", ok, err)
		}
		return len(p.Home.Blocks.BlockSet)
	}
	render() // loads the script and the settings once, as a running process has

	var trips redistest.RoundTrips
	rdb.AddHook(&trips)
	homes, blocks := 0, 0
	for b.Loop() {
		blocks = render()
		homes++
	}
	b.ReportMetric(float64(trips.Load())/float64(homes), "round-trips/op")
	b.ReportMetric(float64(blocks), "blocks")
}

// fillMember saves n referrals between member and the rest of group through the real scripts.
func fillMember(b *testing.B, ctx context.Context, store *storage.Store, team, member string, group []rapport.Member, n int, now time.Time) {
	b.Helper()
	for i := range n {
		other := group[1+i%(len(group)-1)].ID
		giver, receiver := member, other
		if i%2 == 0 {
			giver, receiver = other, member
		}
		d, errs := rapport.Validate(rapport.Draft{Giver: giver, Receiver: receiver,
			Prospect: rapport.Prospect{Name: "Pat Prospect", Company: "Prospect Plumbing LLC", Email: fmt.Sprintf("p%d@prospect.example", i), Phone: fmt.Sprintf("+1480%07d", i)},
			Need:     "Needs a commercial insurance review before their lease renewal in April.",
			Facts:    rapport.Facts{Spoke: true, MayShare: i%3 != 0, Expects: i%2 == 0}})
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		at := now.Add(-time.Duration(n-i) * 2 * time.Hour)
		r, _, err := store.CreateReferral(ctx, rapport.Submission{Team: team, EnvelopeID: fmt.Sprintf("fill-%d", i), Draft: d, Now: at})
		if err != nil {
			b.Fatal(err)
		}
		if i%5 == 0 {
			if _, err := store.Move(ctx, rapport.Move{Team: team, Ref: r.Number, Actor: receiver, Action: rapport.ActWon,
				Role: rapport.RoleReceiver, Value: 100000, Currency: "USD", Now: at.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
