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

// The due queue is a sorted set per workspace: each reminder's ID "<n>:<stage>:<receiver>"
// (rapport.DueID), scored by the Unix milliseconds it falls due. The referral hash's field "due"
// names its one pending reminder; a status change removes the reminder and rewrites or deletes the
// field, so a reminder the field no longer names is stale.

// DueBefore returns up to limit reminders due at or before now, oldest first, in one round trip.
// A malformed entry is returned with only ID and At set: claiming it drops it.
func (s *Store) DueBefore(ctx context.Context, team string, now time.Time, limit int) ([]rapport.Due, error) {
	if limit <= 0 {
		return nil, nil
	}
	zs, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{
		Key: s.keys(team).due(), Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10),
		ByScore: true, Offset: 0, Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fail("read due reminders", err)
	}
	ds := make([]rapport.Due, 0, len(zs))
	for _, z := range zs {
		id, _ := z.Member.(string)
		d, _ := rapport.ParseDue(id, int64(math.Round(z.Score)))
		ds = append(ds, d)
	}
	return ds, nil
}

// claimScript claims a batch of due reminders. A reminder is claimed when it is still queued at the
// score the caller read (a status change that rescheduled the same stage moved it) and its referral
// still names it; then its messages are queued, addressed by role as the create and move scripts
// address theirs (notify), and the next stage scheduled or the field deleted, in the same step. The
// reminder leaves the queue either way when the referral no longer names it (stale). Redis runs one
// script at a time, so two replicas claiming the same batch claim each reminder once in total.
//
// KEYS: 1 due, 2 outbox. ARGV: 1 team base ("…{T}:"), then per claim: reminder ID, referral
// number, score (Unix ms), receiver, stage, next reminder ID ("" for none), next score, number of
// notices, and each notice as kind, role, target.
var claimScript = redis.NewScript(luaKeys + luaRules + `
local due, outbox = KEYS[1], KEYS[2]
local claimed, i = 0, 2
while i <= #ARGV do
  local id, n, at, receiver, stage, nxt, nxtAt = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6]
  local first = i + 8
  i = first + 3 * tonumber(ARGV[i+7])
  local score = redis.call('ZSCORE', due, id)
  if score and tonumber(score) == tonumber(at) then
    redis.call('ZREM', due, id)
    local ref = refKey(n)
    local h = redis.call('HMGET', ref, F.due, F.giver, F.passed_by)
    if h[1] == id then
      local who = {[ROLE.receiver] = receiver, [ROLE.giver] = h[2], [ROLE.passer] = h[3]}
      for k = first, i - 1, 3 do
        notify(outbox, {kind = ARGV[k], to = ARGV[k+1], target = ARGV[k+2]}, n, who, nil, ENTRY.stage, stage)
      end
      if nxt ~= '' then
        redis.call('ZADD', due, nxtAt, nxt)
        redis.call('HSET', ref, F.due, nxt)
      else
        redis.call('HDEL', ref, F.due)
      end
      claimed = claimed + 1
    end
  end
end
return claimed
`)

// ClaimDue claims claims in one script (one round trip) and returns how many it claimed: the
// others were stale, rescheduled, or claimed by another replica first. Each claimed reminder
// queues its Notify, addressed by role from the referral (receiver, giver, passer, a channel or a
// member; a role that names nobody is skipped), with the stage beside.
func (s *Store) ClaimDue(ctx context.Context, team string, claims []rapport.Claim) (int, error) {
	if len(claims) == 0 {
		return 0, nil
	}
	op := fmt.Sprintf("claim %d due reminders", len(claims))
	k := s.keys(team)
	args := make([]any, 1, 1+12*len(claims))
	args[0] = k.base
	for _, c := range claims {
		d := c.Due
		next, nextAt := "", int64(0)
		if c.Next != "" {
			next, nextAt = rapport.DueID(d.Ref, c.Next, d.Receiver), c.NextAt.UnixMilli()
		}
		ns, err := notices(c.Notify)
		if err != nil {
			return 0, fail(op, err)
		}
		args = append(args, d.ID, d.Ref, d.At.UnixMilli(), d.Receiver, string(d.Stage), next, nextAt, len(ns))
		for _, nt := range ns {
			args = append(args, nt.Kind, string(nt.To), nt.Target)
		}
	}
	n, err := claimScript.Run(ctx, s.rdb, []string{k.due(), k.outbox()}, args...).Int()
	if err != nil {
		return 0, fail(op, err)
	}
	return n, nil
}

// Postpone moves each still-pending reminder of ps to its Until (quiet hours push a nudge to their
// end), in one command. It never brings one forward, and a reminder already claimed or removed
// stays gone.
func (s *Store) Postpone(ctx context.Context, team string, ps []rapport.Postponement) error {
	if len(ps) == 0 {
		return nil
	}
	zs := make([]redis.Z, len(ps))
	for i, p := range ps {
		zs[i] = redis.Z{Score: float64(p.Until.UnixMilli()), Member: p.Due.ID}
	}
	if err := s.rdb.ZAddArgs(ctx, s.keys(team).due(), redis.ZAddArgs{XX: true, GT: true, Members: zs}).Err(); err != nil {
		return fail(fmt.Sprintf("postpone %d reminders", len(ps)), err)
	}
	return nil
}
