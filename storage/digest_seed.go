package storage

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// seedBatch bounds one pipeline of SeedFacts.
const seedBatch = 5000

// SeedFacts writes referrals that carry only what the statistics read (the fields of a Fact, and
// the all, won, open, given, received and members' open indexes), numbered from each fact's Ref, without prospects,
// timelines or messages. It fills a Redis quickly for benchmarks and demos of the numbers; it is not
// a way to create referrals (CreateReferral is). Their aggregates are RebuildAggregates'.
func (s *Store) SeedFacts(ctx context.Context, team string, facts []rapport.Fact) error {
	k := s.keys(team)
	for start := 0; start < len(facts); start += seedBatch {
		batch := facts[start:min(start+seedBatch, len(facts))]
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, f := range batch {
				t := rapport.Facts{Spoke: f.Temperature != rapport.Cold, MayShare: f.Temperature == rapport.Hot,
					Expects: f.Temperature == rapport.Hot}
				created := f.Created.UnixMilli()
				kv := []any{fGiver, f.Giver, fReceiver, f.Receiver, fSpoke, bit(t.Spoke), fMayShare, bit(t.MayShare),
					fExpects, bit(t.Expects), fStatus, string(f.Status), fCreated, created, fUpdated, created, fVersion, 1}
				for _, tf := range [...]struct {
					name string
					at   int64
				}{{fFirstAction, f.FirstAction.UnixMilli()}, {fFirstContact, f.FirstContact.UnixMilli()}, {fWonAt, f.Won.UnixMilli()}} {
					if tf.at > 0 {
						kv = append(kv, tf.name, tf.at)
					}
				}
				if f.Value != 0 {
					kv = append(kv, fValue, f.Value, fCurrency, f.Currency)
				}
				p.HSet(ctx, k.ref(f.Ref), kv...)
				z := redis.Z{Score: float64(created), Member: f.Ref}
				p.ZAdd(ctx, k.all(), z)
				p.ZAdd(ctx, k.given(f.Giver), z)
				p.ZAdd(ctx, k.received(f.Receiver), z)
				if f.Status.Open() {
					p.ZAdd(ctx, k.open(), z)
					p.ZAdd(ctx, k.givenOpen(f.Giver), z)
					p.ZAdd(ctx, k.receivedOpen(f.Receiver), z)
				}
				if f.Status == rapport.StatusWon && !f.Won.IsZero() {
					p.ZAdd(ctx, k.won(), redis.Z{Score: float64(f.Won.UnixMilli()), Member: f.Ref})
				}
			}
			return nil
		})
		if err != nil {
			return fail("seed facts", err)
		}
	}
	// The referral numbers a rebuild walks (1 to seq) include the seeded ones.
	var last int64
	for _, f := range facts {
		last = max(last, f.Ref)
	}
	if seq, err := s.rdb.Get(ctx, k.seq()).Int64(); (err == nil || err == redis.Nil) && seq < last {
		if err := s.rdb.Set(ctx, k.seq(), last, 0).Err(); err != nil {
			return fail("seed facts", err)
		}
	} else if err != nil && err != redis.Nil {
		return fail("seed facts", err)
	}
	return nil
}
