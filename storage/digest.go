package storage

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// The weekly digest runs on every replica's scheduler; it must post once per week in the cluster.
// Its week is claimed by a ran key (rapport:v1:{T}:ran:digest:<ISO week>) written with SET NX in the
// very script that queues the digest's messages, so a replica that lost the race queues nothing, and
// a crash leaves either both the claim and the messages or neither.

// DigestClaimed reports whether the digest of week (e.g. "2026-W10") was already queued: a cheap
// look before a replica takes the lock and computes it.
func (s *Store) DigestClaimed(ctx context.Context, team, week string) (bool, error) {
	err := s.rdb.Get(ctx, s.keys(team).digestRan(week)).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fail("check digest "+week, err)
	}
	return true, nil
}

// QueueDigest claims week for ttl (longer than the week, so the claim outlives it) and queues
// msgs in the outbox, in one script; claimed is false, and nothing is written, when another
// replica or an earlier run already claimed the week. Each message's Kind, Ref and To are written
// as the kind, ref and to fields, beside its Fields.
func (s *Store) QueueDigest(ctx context.Context, team, week string, ttl time.Duration, msgs []rapport.OutboxEntry) (claimed bool, err error) {
	if ttl < time.Second {
		return false, fail("queue digest "+week, errors.New("ttl must be at least 1 s"))
	}
	return s.queueOnce(ctx, "queue digest "+week, team, s.keys(team).digestRan(week),
		strconv.FormatInt(s.now().UnixMilli(), 10), ttl, msgs)
}

// GivenCounts returns how many referrals each of members gave that were created in [from, to), by
// the rule of the numbers (rapport.Fact.Given: not a pass-on's link, not withdrawn); members who
// gave none are absent. One round trip over the given indexes in the window.
func (s *Store) GivenCounts(ctx context.Context, team string, members []string, from, to time.Time) (map[string]int, error) {
	if len(members) == 0 {
		return map[string]int{}, nil
	}
	k := s.keys(team)
	indexes := make([]string, len(members))
	for i, m := range members {
		indexes[i] = k.given(m)
	}
	facts, err := s.facts(ctx, k, indexes, strconv.FormatInt(from.UnixMilli(), 10), "("+strconv.FormatInt(to.UnixMilli(), 10))
	if err != nil {
		return nil, fail("count referrals given", err)
	}
	out := map[string]int{}
	for _, f := range facts {
		if f.Given() {
			out[f.Giver]++
		}
	}
	return out, nil
}

// DigestFacts returns the referrals created or closed in [from, to), like Facts, reading walkSlice
// referrals a step (walk.go): the referrals created (all), then those closed (won), each once.
func (s *Store) DigestFacts(ctx context.Context, team string, from, to time.Time) ([]rapport.Fact, error) {
	k := s.keys(team)
	var out []rapport.Fact
	seen := map[int64]bool{} // created and closed in the span
	min, max := strconv.FormatInt(from.UnixMilli(), 10), "("+strconv.FormatInt(to.UnixMilli(), 10)
	for _, index := range []string{k.all(), k.won()} {
		err := s.walk(ctx, index, min, max, func(ids []string) error {
			cmds := make([]*redis.SliceCmd, len(ids))
			_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i, id := range ids {
					n, _ := strconv.ParseInt(id, 10, 64)
					cmds[i] = p.HMGet(ctx, k.ref(n), factFields[:]...)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for i, c := range cmds {
				n, _ := strconv.ParseInt(ids[i], 10, 64)
				if seen[n] {
					continue
				}
				seen[n] = true
				var v [factCols]string
				for j, x := range c.Val() {
					v[j], _ = x.(string)
				}
				out = append(out, factFromCols(n, v))
			}
			return nil
		})
		if err != nil {
			return nil, fail("read digest facts", err)
		}
	}
	return out, nil
}
