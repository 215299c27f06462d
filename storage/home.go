package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// homeTTL is how long an opened Home tab earns refreshes: a member who has not looked at it for
// two months gets a fresh view when they next open it, and no views.publish calls meanwhile.
const homeTTL = 60 * 24 * time.Hour

// homeScript reads everything a member's App Home shows in one round trip: the member's open
// referrals in full (newest first, at most limit of each side), the facts of every referral they
// gave or received, the facts of the group's referrals created or closed in the month, their ask,
// and whether they opened Home recently. Each referral is read once (HMGET of the fact fields): a
// month's referral the member took part in is only named, its facts already read; and in full
// (HGETALL) only when it is listed.
//
// KEYS: 1 given:<U>, 2 received:<U>, 3 all, 4 won, 5 asks, 6 home:<U>, 7 vouches.
// ARGV: 1 team base ("…{T}:"), 2 user, 3 month from (Unix ms), 4 month to ("(" + Unix ms), 5 limit.
// Returns {opened, given, received, member facts, other month facts, shared numbers, ask JSON or
// false, the month's recommendations naming the member}; the lists are {number, HGETALL} pairs, the facts rows as luaFactRow writes
// them, the shared numbers the month's referrals among the member facts.
var homeScript = redis.NewScript(luaKeys + luaRules + luaFactRow + luaVouchesOf + `
if redis.call('EXISTS', KEYS[6]) == 0 then return {0} end -- a Home nobody looks at is not drawn
local limit = tonumber(ARGV[5])
local mine, seen, lists = {}, {}, {}
for side = 1, 2 do
  local list = {}
  for _, n in ipairs(redis.call('ZREVRANGE', KEYS[side], 0, -1)) do
    local r, f = factRow(n)
    if not seen[n] then
      seen[n] = true
      mine[#mine + 1] = r
    end
    if #list < limit and OPEN[f[FACT.status]] then list[#list + 1] = {tonumber(n), redis.call('HGETALL', refKey(n))} end
  end
  lists[side] = list
end
local month, shared = {}, {}
for k = 3, 4 do
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', KEYS[k], ARGV[3], ARGV[4])) do
    if seen[n] == true then
      shared[#shared + 1] = n
      seen[n] = 1
    elseif not seen[n] then
      seen[n] = 1
      month[#month + 1] = factRow(n)
    end
  end
end
return {1, lists[1], lists[2], mine, month, shared, redis.call('HGET', KEYS[5], ARGV[2]),
  vouchesOf(KEYS[7], ARGV[2], ARGV[3], ARGV[4])}
`)

// HomeData returns what user's App Home shows, with the month [monthFrom, monthTo) for the group's
// leaderboard, in one round trip; for a member who has not opened Home recently, only Opened false.
func (s *Store) HomeData(ctx context.Context, team, user string, monthFrom, monthTo time.Time) (rapport.HomeData, error) {
	op := "home of " + user
	k := s.keys(team)
	keys := []string{k.given(user), k.received(user), k.all(), k.won(), k.asks(), k.home(user), k.recognition(rapport.RecognitionVouch)}
	res, err := homeScript.Run(ctx, s.rdb, keys, k.base, user,
		strconv.FormatInt(monthFrom.UnixMilli(), 10), "("+strconv.FormatInt(monthTo.UnixMilli(), 10), rapport.HomeListLimit).Slice()
	if err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	if len(res) == 1 {
		return rapport.HomeData{}, nil // not opened recently: nothing read
	}
	if len(res) < 6 {
		return rapport.HomeData{}, fail(op, fmt.Errorf("unexpected reply %v", res))
	}
	d := rapport.HomeData{Opened: true}
	if d.Given, err = decodeList(res[1]); err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	if d.Received, err = decodeList(res[2]); err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	if d.MemberFacts, err = factList(res[3]); err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	if d.MonthFacts, err = factList(res[4]); err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	if shared, _ := res[5].([]any); len(shared) > 0 {
		mine := make(map[string]int, len(d.MemberFacts))
		for i, f := range d.MemberFacts {
			mine[strconv.FormatInt(f.Ref, 10)] = i
		}
		for _, n := range shared {
			if i, ok := mine[fmt.Sprint(n)]; ok {
				d.MonthFacts = append(d.MonthFacts, d.MemberFacts[i])
			}
		}
	}
	if len(res) > 6 {
		if raw, ok := res[6].(string); ok {
			var a askRecord
			if json.Unmarshal([]byte(raw), &a) == nil {
				d.Ask = rapport.Ask{Member: user, Text: a.Text, At: time.UnixMilli(a.At)}
			}
		}
	}
	if len(res) > 7 {
		d.Vouches = recognitionList(rapport.RecognitionVouch, res[7])
	}
	return d, nil
}

// OpenedHome records that user opened the Home tab (so later changes refresh it) and queues their
// Home view as an outbox entry of kind, in one round trip: the view is drawn and published by the
// outbox after the ack, from the state as it is then. (welcomeScript, which can welcome them in the
// same step: OpenedHomeWelcome.)
func (s *Store) OpenedHome(ctx context.Context, team, user, kind string, now time.Time) error {
	_, err := s.welcome(ctx, team, user, "", kind, now)
	return err
}

// queueHomeScript queues a Home refresh for each member who opened Home recently, or for every
// member named when a notice is to be shown (the member is looking at Home: they just clicked in it).
// KEYS: 1 outbox, 2.. home:<U> for each user. ARGV: 1 kind, 2 ref, 3 notice, 4.. users.
var queueHomeScript = redis.NewScript(luaRules + `
local n = 0
for i = 4, #ARGV do
  if ARGV[3] ~= '' then
    redis.call('XADD', KEYS[1], '*', ENTRY.kind, ARGV[1], ENTRY.ref, ARGV[2], ENTRY.to, ARGV[i], ENTRY.notice, ARGV[3])
    n = n + 1
  elseif redis.call('EXISTS', KEYS[i - 2]) == 1 then
    redis.call('XADD', KEYS[1], '*', ENTRY.kind, ARGV[1], ENTRY.ref, ARGV[2], ENTRY.to, ARGV[i])
    n = n + 1
  end
end
return n
`)

// QueueHome queues a Home refresh of kind about referral ref (0 for none) for users, in one round
// trip: only for those who opened Home recently, saving Slack calls for the others, unless notice is
// set, which every user named gets at the top of their Home.
func (s *Store) QueueHome(ctx context.Context, team, kind string, ref int64, notice string, users ...string) error {
	k := s.keys(team)
	users = slices.Compact(slices.Sorted(slices.Values(users)))
	if len(users) > 0 && users[0] == "" {
		users = users[1:]
	}
	if len(users) == 0 {
		return nil
	}
	keys := []string{k.outbox()}
	args := []any{kind, ref, notice}
	for _, u := range users {
		keys = append(keys, k.home(u))
		args = append(args, u)
	}
	if err := queueHomeScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fail(fmt.Sprintf("queue home of %v", users), err)
	}
	return nil
}
