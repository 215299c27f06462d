package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// luaFactRow is the one place a script turns a referral into a fact row: its number and the
// statistics' fields, tab-separated in one string (none of them can hold a tab), so 100,000
// referrals cross the wire as 100,000 values. factRow reads it back.
const luaFactRow = `
local factFields = {'g', 'r', 'sp', 'ms', 'ex', 'st', 'c', 'fa', 'fc', 'wa', 'val', 'cur'}
local function factRow(base, n)
  local f = redis.call('HMGET', base .. n, unpack(factFields))
  for i = 1, #factFields do f[i] = f[i] or '' end
  return n .. '\t' .. table.concat(f, '\t'), f
end
`

// factsScript reads the fact row of every referral in the given indexes within a score range, in
// one round trip, each referral once.
//
// KEYS: zset indexes (all, won, given:<U>, received:<U>). ARGV: 1 referral key base, 2 min, 3 max.
var factsScript = redis.NewScript(luaFactRow + `
local seen, out = {}, {}
for _, key in ipairs(KEYS) do
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', key, ARGV[2], ARGV[3])) do
    if not seen[n] then
      seen[n] = true
      out[#out + 1] = factRow(ARGV[1], n)
    end
  end
end
return out
`)

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
	rows, err := factsScript.Run(ctx, s.rdb, indexes, base, min, max).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("read facts: %w", err)
	}
	return factRows(rows), nil
}

// factRows reads fact rows as luaFactRow writes them.
func factRows(rows []string) []rapport.Fact {
	out := make([]rapport.Fact, 0, len(rows))
	var v [13]string
	for _, line := range rows {
		for i := range v {
			v[i], line, _ = strings.Cut(line, "\t")
		}
		n, _ := strconv.ParseInt(v[0], 10, 64)
		val, _ := strconv.ParseInt(v[11], 10, 64)
		out = append(out, rapport.Fact{
			Ref: n, Giver: v[1], Receiver: v[2],
			Temperature:  rapport.Facts{Spoke: v[3] == "1", MayShare: v[4] == "1", Expects: v[5] == "1"}.Temperature(),
			Status:       rapport.Status(v[6]),
			Created:      msTime(v[7]),
			FirstAction:  msTime(v[8]),
			FirstContact: msTime(v[9]),
			Won:          msTime(v[10]),
			Value:        val,
			Currency:     v[12],
		})
	}
	return out
}

// msTime reads a Unix-ms field; empty is the zero time.
func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s == "" {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
