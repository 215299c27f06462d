package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// OpenReferral is an open referral as the open index has it (the domain's type, so that the
// handlers and the catalogue declare their store interfaces without importing storage).
type OpenReferral = rapport.OpenReferral

// OpenAll returns the group's open referrals whose last event is before until (all of them for the
// zero time), the stalest first, at most limit, and how many referrals are open in all: the
// leader's view, and the referrals expiry looks at. Two round trips of single commands (the open
// index's numbers and its size, then each referral's hash), so no call holds Redis however many
// are read; the open index holds only open referrals, so the cost follows what is shown.
func (s *Store) OpenAll(ctx context.Context, team string, until time.Time, limit int) ([]OpenReferral, int64, error) {
	const op = "open referrals"
	if limit <= 0 {
		return nil, 0, nil
	}
	k := s.keys(team)
	max := "+inf"
	if !until.IsZero() {
		max = fmt.Sprintf("(%d", until.UnixMilli())
	}
	var ids *redis.ZSliceCmd
	var total *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		ids = p.ZRangeByScoreWithScores(ctx, k.open(), &redis.ZRangeBy{Min: "-inf", Max: max, Count: int64(limit)})
		total = p.ZCard(ctx, k.open())
		return nil
	})
	if err != nil {
		return nil, 0, fail(op, err)
	}
	zs := ids.Val()
	hs := make([]*redis.MapStringStringCmd, len(zs))
	if len(zs) > 0 {
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, z := range zs {
				n, _ := strconv.ParseInt(fmt.Sprint(z.Member), 10, 64)
				hs[i] = p.HGetAll(ctx, k.ref(n))
			}
			return nil
		})
		if err != nil {
			return nil, 0, fail(op, err)
		}
	}
	out := make([]OpenReferral, 0, len(zs))
	for i, z := range zs {
		h := hs[i].Val()
		if len(h) == 0 {
			continue // removed under us: nothing to show
		}
		n, _ := strconv.ParseInt(fmt.Sprint(z.Member), 10, 64)
		r, err := decodeReferral(n, h)
		if err != nil {
			return nil, 0, fail(op, err)
		}
		if !r.Status.Open() {
			continue // closed between the two reads
		}
		out = append(out, OpenReferral{Referral: r, LastEvent: time.UnixMilli(int64(z.Score))})
	}
	return out, total.Val(), nil
}

// backfillOpenScript adds the open referrals among a slice of the all index to the open indexes,
// for referrals saved before those existed: the group's (by their last update) and their giver's
// and receiver's (by created ms). It walks at most ARGV[3] numbers from position ARGV[2] and
// returns the next position, or -1 at the end (then it marks the team as backfilled).
//
// KEYS: 1 all, 2 open, 3 the backfill mark. ARGV: 1 team base, 2 start, 3 count.
var backfillOpenScript = redis.NewScript(luaKeys + luaRules + `
local start, count = tonumber(ARGV[2]), tonumber(ARGV[3])
local ns = redis.call('ZRANGE', KEYS[1], start, start + count - 1, 'WITHSCORES')
for i = 1, #ns, 2 do
  local n, created = ns[i], ns[i + 1]
  local f = redis.call('HMGET', refKey(n), F.status, F.updated, F.giver, F.receiver)
  if OPEN[f[1]] then
    redis.call('ZADD', KEYS[2], 'NX', tonumber(f[2]) or created, n)
    if f[3] then redis.call('ZADD', givenOpenKey(f[3]), 'NX', created, n) end
    if f[4] then redis.call('ZADD', receivedOpenKey(f[4]), 'NX', created, n) end
  end
end
if #ns < 2 * count then
  redis.call('SET', KEYS[3], 1)
  return -1
end
return start + count
`)

// backfillSlice bounds one backfill script: a few hundred referrals keep it well under 5 ms.
const backfillSlice = 200

// BackfillOpen fills the open indexes (the group's, and each member's) from the referrals saved
// before they existed, in slices, once per team (a mark remembers it is done; running it again,
// or on two replicas at once, is harmless).
func (s *Store) BackfillOpen(ctx context.Context, team string) error {
	const op = "backfill open indexes"
	k := s.keys(team)
	mark := k.migrated("open")
	done, err := s.rdb.Exists(ctx, mark).Result()
	if err != nil || done == 1 {
		return fail(op, err)
	}
	for pos := int64(0); pos >= 0; {
		if pos, err = backfillOpenScript.Run(ctx, s.rdb, []string{k.all(), k.open(), mark}, k.base, pos, backfillSlice).Int64(); err != nil {
			return fail(op, err)
		}
	}
	return nil
}
