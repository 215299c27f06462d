package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// openAllScript reads the group's open referrals with the stalest last event first, at most limit,
// and how many are open in all, in one round trip: the open index holds only open referrals, so the
// cost follows what is shown, not the history.
//
// KEYS: 1 open. ARGV: 1 team base ("…{T}:"), 2 limit, 3 max score (last event ms; "+inf" for all).
// Returns {total, {number, last event ms, HGETALL}…}.
var openAllScript = redis.NewScript(luaKeys + `
local out = {}
for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))) do
  out[#out + 1] = n
end
local list = {}
for i = 1, #out, 2 do
  list[#list + 1] = {tonumber(out[i]), out[i + 1], redis.call('HGETALL', refKey(out[i]))}
end
return {redis.call('ZCARD', KEYS[1]), list}
`)

// OpenReferral is an open referral as the open index has it (the domain's type, so that the
// handlers and the catalogue declare their store interfaces without importing storage).
type OpenReferral = rapport.OpenReferral

// OpenAll returns the group's open referrals whose last event is before until (all of them for the
// zero time), the stalest first, at most limit, and how many referrals are open in all: the
// leader's view, and the referrals expiry looks at.
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
	res, err := openAllScript.Run(ctx, s.rdb, []string{k.open()}, k.base, limit, max).Slice()
	if err != nil {
		return nil, 0, fail(op, err)
	}
	if len(res) != 2 {
		return nil, 0, fail(op, fmt.Errorf("unexpected reply %v", res))
	}
	total, _ := res[0].(int64)
	items, _ := res[1].([]any)
	out := make([]OpenReferral, 0, len(items))
	for _, it := range items {
		row, ok := it.([]any)
		if !ok || len(row) != 3 {
			return nil, 0, fail(op, fmt.Errorf("unexpected row %v", it))
		}
		n, _ := row[0].(int64)
		last, _ := row[1].(string)
		h, err := pairs(row[2])
		if err != nil {
			return nil, 0, fail(op, err)
		}
		if len(h) == 0 {
			continue // removed under us: nothing to show
		}
		r, err := decodeReferral(n, h)
		if err != nil {
			return nil, 0, fail(op, err)
		}
		out = append(out, OpenReferral{Referral: r, LastEvent: msTime(last)})
	}
	return out, total, nil
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
