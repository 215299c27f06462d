package storage

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// The due queue is a sorted set per workspace: member "<n>:<stage>:<receiver>", scored by the Unix
// milliseconds it falls due. The referral hash's field "due" names its one pending member; a status
// change removes the member and rewrites or deletes the field, so a member the field no longer
// names is stale.

// DueBefore returns up to limit reminders due at or before now, oldest first, in one round trip.
// A malformed member is returned with only Member and At set: claiming it drops it.
func (s *Store) DueBefore(ctx context.Context, team string, now time.Time, limit int) ([]rapport.Due, error) {
	if limit <= 0 {
		return nil, nil
	}
	zs, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{
		Key: s.keys(team).due(), Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10),
		ByScore: true, Offset: 0, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("read due reminders: %w", err)
	}
	ds := make([]rapport.Due, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		d, _ := rapport.ParseDue(m, int64(math.Round(z.Score)))
		ds = append(ds, d)
	}
	return ds, nil
}

// claimScript claims a batch of due reminders. A reminder is claimed when it is still queued at the
// score the caller read (a status change that rescheduled the same stage moved it) and its referral
// still names it; then its messages are queued, and the next stage scheduled or the field deleted,
// in the same step. The member leaves the queue either way when the referral no longer names it
// (stale). Redis runs one script at a time, so two replicas claiming the same batch claim each
// reminder once in total.
//
// KEYS: 1 due, 2 outbox. ARGV: 1 referral key base ("…{T}:ref:"), then per claim: member, referral
// number, score (Unix ms), receiver, stage, next member ("" for none), next score, number of kinds,
// the kinds.
var claimScript = redis.NewScript(`
local due, outbox, base = KEYS[1], KEYS[2], ARGV[1]
local claimed, i = 0, 2
while i <= #ARGV do
  local m, n, at, to, stage, nxt, nxtAt = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6]
  local nk = tonumber(ARGV[i+7])
  local first = i + 8
  i = first + nk
  local score = redis.call('ZSCORE', due, m)
  if score and tonumber(score) == tonumber(at) then
    redis.call('ZREM', due, m)
    local ref = base .. n
    local h = redis.call('HMGET', ref, 'due', 'g')
    if h[1] == m then
      for k = first, first + nk - 1 do
        local kind, dest = ARGV[k], to
        if string.sub(kind, -6) == '.giver' then dest = h[2] end
        if dest then
          redis.call('XADD', outbox, '*', 'kind', kind, 'ref', n, 'to', dest, 'stage', stage)
        end
      end
      if nxt ~= '' then
        redis.call('ZADD', due, nxtAt, nxt)
        redis.call('HSET', ref, 'due', nxt)
      else
        redis.call('HDEL', ref, 'due')
      end
      claimed = claimed + 1
    end
  end
end
return claimed
`)

// ClaimDue claims claims in one script (one round trip) and returns how many it claimed: the
// others were stale, rescheduled, or claimed by another replica first.
func (s *Store) ClaimDue(ctx context.Context, team string, claims []rapport.Claim) (int, error) {
	if len(claims) == 0 {
		return 0, nil
	}
	k := s.keys(team)
	args := make([]any, 1, 1+10*len(claims))
	args[0] = k.refBase()
	for _, c := range claims {
		d := c.Due
		next, nextAt := "", int64(0)
		if c.Next != "" {
			next, nextAt = rapport.DueMember(d.Ref, c.Next, d.Receiver), c.NextAt.UnixMilli()
		}
		args = append(args, d.Member, d.Ref, d.At.UnixMilli(), d.Receiver, string(d.Stage), next, nextAt, len(c.Kinds))
		for _, kind := range c.Kinds {
			args = append(args, kind)
		}
	}
	n, err := claimScript.Run(ctx, s.rdb, []string{k.due(), k.outbox()}, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("claim %d due reminders: %w", len(claims), err)
	}
	return n, nil
}

// Postpone moves a still-pending reminder to at (quiet hours push a nudge to their end). It never
// brings one forward, and a reminder already claimed or removed stays gone.
func (s *Store) Postpone(ctx context.Context, team string, d rapport.Due, at time.Time) error {
	err := s.rdb.ZAddArgs(ctx, s.keys(team).due(), redis.ZAddArgs{
		XX: true, GT: true, Members: []redis.Z{{Score: float64(at.UnixMilli()), Member: d.Member}},
	}).Err()
	if err != nil {
		return fmt.Errorf("postpone reminder %s: %w", d.Member, err)
	}
	return nil
}
