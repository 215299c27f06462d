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

// digestSlice bounds one digest read: the span is read a day at a time, so a busy week never
// holds Redis for the whole read (Redis answers nothing else while a script runs).
const digestSlice = 24 * time.Hour

// DigestFacts returns the referrals created or closed in [from, to), like Facts, reading one day
// per script call.
func (s *Store) DigestFacts(ctx context.Context, team string, from, to time.Time) ([]rapport.Fact, error) {
	k := s.keys(team)
	var out []rapport.Fact
	seen := map[int64]bool{} // created in one slice and closed in another
	for lo := from; lo.Before(to); lo = lo.Add(digestSlice) {
		hi := lo.Add(digestSlice)
		if hi.After(to) {
			hi = to
		}
		facts, err := s.facts(ctx, k, []string{k.all(), k.won()},
			strconv.FormatInt(lo.UnixMilli(), 10), "("+strconv.FormatInt(hi.UnixMilli(), 10))
		if err != nil {
			return nil, fail("read digest facts", err)
		}
		for _, f := range facts {
			if !seen[f.Ref] {
				seen[f.Ref] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}
