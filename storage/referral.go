package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Referral returns referral n of team, or an ENOTFOUND error.
func (s *Store) Referral(ctx context.Context, team string, n int64) (rapport.Referral, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys(team).ref(n)).Result()
	if err != nil {
		return rapport.Referral{}, fail("get "+rapport.FormatID(n), err)
	}
	if len(h) == 0 {
		return rapport.Referral{}, fail("get "+rapport.FormatID(n), noReferral(n))
	}
	r, err := decodeReferral(n, h)
	if err != nil {
		return rapport.Referral{}, fail("get "+rapport.FormatID(n), err)
	}
	return r, nil
}

// Slot returns the Slack message (channel and ts) that RecordOutbox recorded under slot for
// referral n, so that a later change can update that message in place. ENOTFOUND when none was.
func (s *Store) Slot(ctx context.Context, team string, n int64, slot string) (channel, ts string, err error) {
	v, err := s.rdb.HGet(ctx, s.keys(team).ref(n), slot).Result()
	if errors.Is(err, redis.Nil) {
		return "", "", fail("get "+rapport.FormatID(n)+" slot "+slot, rapport.Errorf(rapport.ENOTFOUND, "No message %s for %s.", slot, rapport.FormatID(n)))
	}
	if err != nil {
		return "", "", fail("get "+rapport.FormatID(n)+" slot "+slot, err)
	}
	channel, ts, _ = strings.Cut(v, "|")
	return channel, ts, nil
}

// openScript reads a member's open referrals, newest first, from their open indexes (open
// referrals only, kept by aggrRef) in one round trip: the cost follows what is shown.
//
// KEYS: 1 given-open, 2 received-open. ARGV: 1 team base ("…{T}:"), 2 limit.
// Returns {given, received}, each a list of {number, HGETALL}.
var openScript = redis.NewScript(luaKeys + luaOpenOf + `
return {openOf(KEYS[1], tonumber(ARGV[2])), openOf(KEYS[2], tonumber(ARGV[2]))}
`)

// luaOpenOf declares openOf(key, limit): the newest limit referrals of an open index, each
// {number, HGETALL}.
const luaOpenOf = `
local function openOf(key, limit)
  local out = {}
  if limit <= 0 then return out end
  for _, n in ipairs(redis.call('ZREVRANGE', key, 0, limit - 1)) do
    out[#out + 1] = {tonumber(n), redis.call('HGETALL', refKey(n))}
  end
  return out
end
`

// OpenReferrals returns the open referrals user gave and received, newest first, at most limit of
// each, in one round trip: what App Home and "/rapport list" show.
func (s *Store) OpenReferrals(ctx context.Context, team, user string, limit int) (given, received []rapport.Referral, err error) {
	if limit <= 0 {
		return nil, nil, nil
	}
	op := "open referrals of " + user
	k := s.keys(team)
	res, err := openScript.Run(ctx, s.rdb, []string{k.givenOpen(user), k.receivedOpen(user)}, k.base, limit).Slice()
	if err != nil {
		return nil, nil, fail(op, err)
	}
	if len(res) != 2 {
		return nil, nil, fail(op, fmt.Errorf("unexpected reply %v", res))
	}
	if given, err = decodeList(res[0]); err != nil {
		return nil, nil, fail(op, err)
	}
	if received, err = decodeList(res[1]); err != nil {
		return nil, nil, fail(op, err)
	}
	return given, received, nil
}

// decodeList reads a script's list of {number, HGETALL} pairs.
func decodeList(v any) ([]rapport.Referral, error) {
	items, _ := v.([]any)
	var rs []rapport.Referral
	for _, it := range items {
		pair, ok := it.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("unexpected referral reply %v", it)
		}
		n, _ := pair[0].(int64)
		h, err := pairs(pair[1])
		if err != nil {
			return nil, err
		}
		r, err := decodeReferral(n, h)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}
