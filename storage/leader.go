package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// nudgeScript queues an admin's nudge of a referral's receiver, at most once per referral within
// rapport.NudgeEvery: a double tap, or two admins at once, nudge once. The receiver is read from the
// referral as stored, never taken from the click.
//
// KEYS: 1 nudged:<n>, 2 outbox. ARGV: 1 team base, 2 n, 3 kind, 4 admin, 5 now (Unix ms), 6 TTL (s).
// Returns {'ok', receiver}, {'taken', receiver, ms of the earlier nudge}, {'closed', status} or
// {'missing'}.
var nudgeScript = redis.NewScript(luaKeys + luaRules + `
local f = redis.call('HMGET', refKey(ARGV[2]), F.status, F.receiver)
if not f[1] then return {'missing'} end
if not OPEN[f[1]] then return {'closed', f[1]} end
local before = redis.call('GET', KEYS[1])
if before then return {'taken', f[2], before} end
redis.call('SET', KEYS[1], ARGV[5], 'EX', ARGV[6])
redis.call('XADD', KEYS[2], '*', ENTRY.kind, ARGV[3], ENTRY.ref, ARGV[2], ENTRY.to, f[2], '` + rapport.EntryBy + `', ARGV[4])
return {'ok', f[2]}
`)

// NudgeNow queues a message of kind to the receiver of referral n, on behalf of admin, unless one
// was queued within rapport.NudgeEvery; a referral that is closed or does not exist is a
// user-facing error.
func (s *Store) NudgeNow(ctx context.Context, team string, n int64, admin, kind string, now time.Time) (rapport.Nudged, error) {
	op := "nudge " + rapport.FormatID(n)
	k := s.keys(team)
	res, err := nudgeScript.Run(ctx, s.rdb, []string{k.nudged(n), k.outbox()}, k.base, n, kind, admin,
		now.UnixMilli(), int64(rapport.NudgeEvery/time.Second)).StringSlice()
	if err != nil {
		return rapport.Nudged{}, fail(op, err)
	}
	if len(res) == 0 {
		return rapport.Nudged{}, fail(op, fmt.Errorf("empty reply"))
	}
	switch {
	case res[0] == "missing":
		return rapport.Nudged{}, fail(op, rapport.Errorf(rapport.ENOTFOUND, "There is no referral %s.", rapport.FormatID(n)))
	case res[0] == "closed" && len(res) == 2:
		return rapport.Nudged{}, fail(op, rapport.Errorf(rapport.ECONFLICT, "%s is %s now: nobody to nudge.",
			rapport.FormatID(n), rapport.Status(res[1]).Label()))
	case res[0] == "ok" && len(res) == 2:
		return rapport.Nudged{Receiver: res[1], Queued: true}, nil
	case res[0] == "taken" && len(res) == 3:
		return rapport.Nudged{Receiver: res[1], Before: msTime(res[2])}, nil
	}
	return rapport.Nudged{}, fail(op, fmt.Errorf("unexpected reply %v", res))
}

// welcomeScript welcomes a member once ever: it adds them to the welcomed set and, when they were
// not in it, queues the welcome DM, unless they already gave or received a referral (they met
// Rapport before it welcomed anyone: marked, not told). With a Home kind, it is also the Home
// tab's opening (openHomeScript's work) in the same step.
//
// KEYS: 1 welcomed, 2 outbox, 3 given:<U>, 4 received:<U>, 5 home:<U>.
// ARGV: 1 user, 2 welcome kind ("" to only open the Home), 3 Home kind ("" when the Home was not opened), 4 now (Unix ms),
// 5 Home TTL (s). Returns 1 when it queued the welcome.
var welcomeScript = redis.NewScript(luaRules + `
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[5], ARGV[4], 'EX', ARGV[5])
  redis.call('XADD', KEYS[2], '*', ENTRY.kind, ARGV[3], ENTRY.ref, 0, ENTRY.to, ARGV[1])
end
if ARGV[2] == '' or redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[3], KEYS[4]) > 0 then return 0 end
redis.call('XADD', KEYS[2], '*', ENTRY.kind, ARGV[2], ENTRY.ref, 0, ENTRY.to, ARGV[1])
return 1
`)

// Welcome queues the welcome DM of kind to user, once per member ever (a member who gave or
// received a referral already is only marked), and reports whether it did.
func (s *Store) Welcome(ctx context.Context, team, user, kind string) (bool, error) {
	return s.welcome(ctx, team, user, kind, "", time.Time{})
}

// OpenedHomeWelcome is OpenedHome and Welcome in one step: the Home tab's opening is a member's
// first contact as much as a /refer.
func (s *Store) OpenedHomeWelcome(ctx context.Context, team, user, homeKind, welcomeKind string, now time.Time) (bool, error) {
	return s.welcome(ctx, team, user, welcomeKind, homeKind, now)
}

func (s *Store) welcome(ctx context.Context, team, user, kind, homeKind string, now time.Time) (bool, error) {
	k := s.keys(team)
	n, err := welcomeScript.Run(ctx, s.rdb, []string{k.welcomed(), k.outbox(), k.given(user), k.received(user), k.home(user)},
		user, kind, homeKind, now.UnixMilli(), int64(homeTTL/time.Second)).Int()
	if err != nil {
		op := "welcome " + user
		if kind == "" {
			op = "open home of " + user
		}
		return false, fail(op, err)
	}
	return n == 1, nil
}

// MarkWelcomed counts users as welcomed without a message: for people who knew Rapport before it
// welcomed anyone.
func (s *Store) MarkWelcomed(ctx context.Context, team string, users ...string) error {
	if len(users) == 0 {
		return nil
	}
	members := make([]any, len(users))
	for i, u := range users {
		members[i] = u
	}
	return fail("mark welcomed", s.rdb.SAdd(ctx, s.keys(team).welcomed(), members...).Err())
}
