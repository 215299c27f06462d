package storage

import (
	"context"
	"errors"
	"strconv"
	"strings"
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

// GivenCounts returns how many referrals each of members gave (rapport.Fact.Given) on the days
// [from, to) touches in the group's zone (rapport.Days: whole days); members who gave none are
// absent. One round trip, from the days' aggregates: three fields per member and day.
func (s *Store) GivenCounts(ctx context.Context, team string, members []string, from, to time.Time) (map[string]int, error) {
	out := map[string]int{}
	if len(members) == 0 {
		return out, nil
	}
	k := s.keys(team)
	temps := []string{"hot", "warm", "cold"}
	fields := make([]string, 0, len(members)*len(temps))
	for _, m := range members {
		for _, t := range temps {
			fields = append(fields, m+"|"+t)
		}
	}
	days := rapport.Days(from, to, s.loc(team))
	cmds := make([]*redis.SliceCmd, len(days))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range days {
			cmds[i] = p.HMGet(ctx, k.aggr(d.ID()), fields...)
		}
		return nil
	})
	if err != nil {
		return nil, fail("count referrals given", err)
	}
	for _, c := range cmds {
		for i, v := range c.Val() {
			if n := atoi(v); n > 0 {
				out[members[i/len(temps)]] += n
			}
		}
	}
	return out, nil
}

// Span reads, in one round trip, what the weekly digest shows of [from, to): the numbers of the
// days it touches in the group's zone (rapport.Days) from their aggregates (with the confirmed
// 1:1s held on those days: the group's from its days' totals, each 1:1 once), the thank-yous and
// recommendations made in [from, to), how many referrals created at or before waitingBy are still
// new (the waiting index), and the members' current asks.
func (s *Store) Span(ctx context.Context, team string, from, to, waitingBy time.Time) (rapport.Span, error) {
	k := s.keys(team)
	days := rapport.Days(from, to, s.loc(team))
	hs := make([]*redis.MapStringStringCmd, len(days))
	within := &redis.ZRangeBy{Min: msString(from), Max: "(" + msString(to)}
	var thanks, vouches *redis.StringSliceCmd
	var waiting *redis.IntCmd
	var asks *redis.MapStringStringCmd
	var met *redis.SliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		oneones := make([]string, len(days))
		for i, d := range days {
			hs[i] = p.HGetAll(ctx, k.aggr(d.ID()))
			oneones[i] = strings.TrimPrefix(d.ID(), "day:") + "|oo"
		}
		if len(days) > 0 {
			met = p.HMGet(ctx, k.aggrDays(), oneones...)
		}
		thanks = p.ZRangeByScore(ctx, k.recognition(rapport.RecognitionThanks), within)
		vouches = p.ZRangeByScore(ctx, k.recognition(rapport.RecognitionVouch), within)
		waiting = p.ZCount(ctx, k.waiting(), "-inf", msString(waitingBy))
		asks = p.HGetAll(ctx, k.asks())
		return nil
	})
	if err != nil {
		return rapport.Span{}, fail("read the digest's days", err)
	}
	sums := periodSums{}
	for _, h := range hs {
		sums.add(readSums(h.Val()))
	}
	out := rapport.Span{Board: boardOf(sums, s.currencyOf(team)), Waiting: int(waiting.Val()),
		Thanks:  recognitionsOf(rapport.RecognitionThanks, thanks.Val()),
		Vouches: recognitionsOf(rapport.RecognitionVouch, vouches.Val()), Asks: asksOf(asks.Val())}
	if met != nil {
		for _, v := range met.Val() {
			out.OneOnOnes += atoi(v)
		}
	}
	for member, c := range sums {
		if n := c["oo"]; n > 0 {
			if out.Met == nil {
				out.Met = map[string]int{}
			}
			out.Met[member] = int(n)
		}
		for name, v := range c {
			if cur, ok := strings.CutPrefix(name, "wv:"); ok && v != 0 {
				if out.Value == nil {
					out.Value = map[string]int64{}
				}
				out.Value[cur] += v
			}
		}
	}
	return out, nil
}

// DayTotals reads the group's totals of the days [from, to) touches in its zone (rapport.Days),
// oldest first, with closed value in currency (a value saved with no currency counts as the
// group's, as rapport.Fact.Value does): one command, seven fields a day.
func (s *Store) DayTotals(ctx context.Context, team string, from, to time.Time, currency string) ([]rapport.DayTotal, error) {
	days := rapport.Days(from, to, s.loc(team))
	counters := []string{"hot", "warm", "cold", "po", "wc", "wv:" + currency, "wv:"}
	fields := make([]string, 0, len(days)*len(counters))
	for _, d := range days {
		day := strings.TrimPrefix(d.ID(), "day:")
		for _, c := range counters {
			fields = append(fields, day+"|"+c)
		}
	}
	out := make([]rapport.DayTotal, len(days))
	if len(days) == 0 {
		return out, nil
	}
	vs, err := s.rdb.HMGet(ctx, s.keys(team).aggrDays(), fields...).Result()
	if err != nil {
		return nil, fail("read the days' totals", err)
	}
	for i, d := range days {
		v := vs[i*len(counters):]
		out[i] = rapport.DayTotal{Day: d, Hot: atoi(v[0]), Warm: atoi(v[1]), Cold: atoi(v[2]), PassedOn: atoi(v[3]),
			Closed: atoi(v[4]), Value: int64(atoi(v[5]))}
		if currency != "" {
			out[i].Value += int64(atoi(v[6]))
		}
	}
	return out, nil
}

// atoi reads a number HMGET answered (nil when the field is absent: 0).
func atoi(v any) int {
	s, _ := v.(string)
	n, _ := strconv.Atoi(s)
	return n
}

func msString(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
