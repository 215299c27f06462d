package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

// BenchmarkCreateReferral saves referrals among a group of 30 members, each about a new prospect,
// and reports the Redis round trips per save (the ack's budget: one) and the memory one referral
// keeps (sum of MEMORY USAGE over the keys saves created, outbox excluded, per referral).
func BenchmarkCreateReferral(b *testing.B) {
	f := newFixture(b)
	group := make([]rapport.Member, 30)
	for i := range group {
		group[i] = rapport.Member{ID: fmt.Sprintf("U%08d", i), Name: fmt.Sprintf("member%d", i), TZ: "America/Phoenix"}
	}
	if err := f.st.PutMembers(ctx(b), team, group); err != nil {
		b.Fatal(err)
	}
	var trips redistest.RoundTrips
	f.rdb.AddHook(&trips)
	c := ctx(b)

	n := 0
	for b.Loop() {
		giver := n % len(group)
		receiver := (giver + 1 + (n/len(group))%(len(group)-1)) % len(group)
		nr := storage.NewReferral{
			Team: team, EnvelopeID: fmt.Sprintf("Ev%010d", n), Now: now, Notify: dms,
			Draft: rapport.Draft{
				Giver: group[giver].ID, Receiver: group[receiver].ID,
				Prospect: rapport.Prospect{
					Name: "Pat Prospect", Company: "Prospect Plumbing LLC",
					Phone: fmt.Sprintf("+1480%07d", n), Email: fmt.Sprintf("pat%d@prospect.example", n),
				},
				Need:     "Needs a commercial insurance review before their lease renewal in April.",
				BestTime: "Weekday mornings, by phone",
				Note:     "Met Pat at the chamber breakfast; mention my name.",
				Facts:    rapport.Facts{Spoke: true, MayShare: true},
			},
		}
		if _, _, err := f.st.CreateReferral(c, nr); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(trips.Load())/float64(n), "round-trips/op")

	var bytes int64
	for _, k := range f.keys(b) {
		if strings.HasSuffix(k, ":outbox") || strings.HasSuffix(k, ":members") {
			continue
		}
		m, err := f.rdb.MemoryUsage(c, k, 0).Result()
		if err != nil {
			b.Fatalf("MEMORY USAGE %s: %v", k, err)
		}
		bytes += m
	}
	b.ReportMetric(float64(bytes)/float64(n), "bytes/referral")
}
