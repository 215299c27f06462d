package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// homeTTL is how long an opened Home tab earns refreshes: a member who has not looked at it for
// two months gets a fresh view when they next open it, and no views.publish calls meanwhile.
const homeTTL = 60 * 24 * time.Hour

// homeScript reads everything a member's App Home shows in one round trip, at a cost that follows
// what it shows, not the history: the member's open referrals in full (newest first, at most limit
// of each side, from their open indexes) and how many are open, whether they ever gave or received
// one, the month's aggregates (their numbers and the board), their ledger's aggregates, their ask,
// their directory record (an admin's Home has more) and whether they opened Home recently.
//
// KEYS: 1 given-open:<U>, 2 received-open:<U>, 3 given:<U>, 4 received:<U>, 5 asks, 6 home:<U>,
// 7 aggr:<month>, 8 aggr:pair:<U>, 9 members. ARGV: 1 team base ("…{T}:"), 2 user, 3 limit.
// Returns {opened, given, received, open given, open received, history, month HGETALL,
// ledger HGETALL, ask JSON or false, directory record or false}; the lists are {number, HGETALL}
// pairs.
var homeScript = redis.NewScript(luaKeys + luaOpenOf + `
if redis.call('EXISTS', KEYS[6]) == 0 then return {0} end -- a Home nobody looks at is not drawn
local limit = tonumber(ARGV[3])
return {1, openOf(KEYS[1], limit), openOf(KEYS[2], limit), redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]),
  redis.call('EXISTS', KEYS[3], KEYS[4]), redis.call('HGETALL', KEYS[7]), redis.call('HGETALL', KEYS[8]),
  redis.call('HGET', KEYS[5], ARGV[2]), redis.call('HGET', KEYS[9], ARGV[2])}
`)

// HomeData returns what user's App Home shows, with the numbers of month (rapport.PeriodOf), in
// one round trip; for a member who has not opened Home recently, only Opened false.
func (s *Store) HomeData(ctx context.Context, team, user string, month rapport.Period) (rapport.HomeData, error) {
	k := s.keys(team)
	keys, args := homeArgs(k, user, month)
	res, err := homeScript.Run(ctx, s.rdb, keys, args...).Slice()
	return decodeHome(user, s.currencyOf(team), res, err)
}

// homeArgs are homeScript's KEYS and ARGV for user's Home with the numbers of month.
func homeArgs(k keys, user string, month rapport.Period) ([]string, []any) {
	return []string{k.givenOpen(user), k.receivedOpen(user), k.given(user), k.received(user), k.asks(), k.home(user),
		k.aggr(month.ID()), k.aggrPair(user), k.members()}, []any{k.base, user, rapport.HomeListLimit}
}

// decodeHome reads homeScript's reply (or its error) for user, values in the group's currency cur.
func decodeHome(user, cur string, res []any, err error) (rapport.HomeData, error) {
	op := "home of " + user
	if err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	if len(res) == 1 {
		return rapport.HomeData{}, nil // not opened recently: nothing read
	}
	if len(res) != 10 {
		return rapport.HomeData{}, fail(op, fmt.Errorf("unexpected reply %v", res))
	}
	d := rapport.HomeData{Opened: true}
	if d.Given, err = decodeList(res[1]); err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	if d.Received, err = decodeList(res[2]); err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	og, _ := res[3].(int64)
	or, _ := res[4].(int64)
	hist, _ := res[5].(int64)
	d.OpenGiven, d.OpenReceived, d.HasHistory = int(og), int(or), hist > 0
	monthSums, err := pairs(res[6])
	if err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	sums := readSums(monthSums)
	d.Stats, d.Board = statsOf(counters(sums[user]), cur), boardOf(sums, cur)
	ledger, err := pairs(res[7])
	if err != nil {
		return rapport.HomeData{}, fail(op, err)
	}
	d.Balances = balancesOf(readSums(ledger), false, cur)
	if raw, ok := res[8].(string); ok {
		var a askRecord
		if json.Unmarshal([]byte(raw), &a) == nil {
			d.Ask = rapport.Ask{Member: user, Text: a.Text, At: time.UnixMilli(a.At)}
		}
	}
	d.Member = rapport.Member{ID: user}
	if raw, ok := res[9].(string); ok {
		if err := json.Unmarshal([]byte(raw), &d.Member); err != nil {
			return rapport.HomeData{}, fail(op, fmt.Errorf("decode member: %w", err))
		}
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
