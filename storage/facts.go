package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// factsScript reads what the statistics need of every referral in the given indexes within a score
// range, in one round trip: thirteen strings per referral, each referral once.
//
// KEYS: zset indexes (all, won, given:<U>, received:<U>). ARGV: 1 referral key base, 2 min, 3 max.
var factsScript = redis.NewScript(`
local seen, out = {}, {}
for _, key in ipairs(KEYS) do
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', key, ARGV[2], ARGV[3])) do
    if not seen[n] then
      seen[n] = true
      local f = redis.call('HMGET', ARGV[1] .. n, 'g', 'r', 'sp', 'ms', 'ex', 'st', 'c', 'fa', 'fc', 'wa', 'val', 'cur')
      out[#out + 1] = n
      for i = 1, 12 do out[#out + 1] = f[i] or '' end
    end
  end
end
return out
`)

const factWidth = 13

// Facts returns the referrals created or closed in [from, to), for leaderboards and digests.
func (s *Store) Facts(ctx context.Context, team string, from, to time.Time) ([]rapport.Fact, error) {
	k := s.keys(team)
	return s.facts(ctx, []string{k.all(), k.won()}, k.refBase(), strconv.FormatInt(from.UnixMilli(), 10), "("+strconv.FormatInt(to.UnixMilli(), 10))
}

// MemberFacts returns every referral member gave or received, for their stats and ledger.
func (s *Store) MemberFacts(ctx context.Context, team, member string) ([]rapport.Fact, error) {
	k := s.keys(team)
	return s.facts(ctx, []string{k.given(member), k.received(member)}, k.refBase(), "-inf", "+inf")
}

func (s *Store) facts(ctx context.Context, indexes []string, base, min, max string) ([]rapport.Fact, error) {
	res, err := factsScript.Run(ctx, s.rdb, indexes, base, min, max).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("read facts: %w", err)
	}
	if len(res)%factWidth != 0 {
		return nil, fmt.Errorf("read facts: %d values", len(res))
	}
	out := make([]rapport.Fact, 0, len(res)/factWidth)
	for i := 0; i < len(res); i += factWidth {
		out = append(out, factRow(res[i:i+factWidth]))
	}
	return out, nil
}

// factRow reads one row of factsScript's reply.
func factRow(v []string) rapport.Fact {
	n, _ := strconv.ParseInt(v[0], 10, 64)
	val, _ := strconv.ParseInt(v[11], 10, 64)
	return rapport.Fact{
		Ref: n, Giver: v[1], Receiver: v[2],
		Temperature:  rapport.Facts{Spoke: v[3] == "1", MayShare: v[4] == "1", Expects: v[5] == "1"}.Temperature(),
		Status:       rapport.Status(v[6]),
		Created:      msTime(v[7]),
		FirstAction:  msTime(v[8]),
		FirstContact: msTime(v[9]),
		Won:          msTime(v[10]),
		Value:        val,
		Currency:     v[12],
	}
}

// msTime reads a Unix-ms field; empty is the zero time.
func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s == "" {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
