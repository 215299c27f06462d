package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// 1:1s (rapport.OneOnOne): one hash each, oneone:<n>, numbered by oneone:seq; the pending ones in
// oneone:pending by the ms they expire; the pending and confirmed ones of a pair on a day in
// oneone:pairs (the duplicate check). A 1:1 counts in the aggregates (aggr.go: aggrOneOnOne) in the
// very script that confirms it; declined and expired ones never count.

// Field names of the 1:1 hash.
const (
	oRecorder = "rec"
	oPartner  = "par"
	oMet      = "met" // the day met, yyyymmdd (rapport.Date.Compact)
	oNote     = "nt"  // in pieces of chunkLen bytes, as a referral's texts
	oStatus   = "st"
	oCreated  = "c"  // Unix ms
	oAnswered = "an" // Unix ms it was confirmed, declined or expired
	oPeriods  = "ap" // the periods (periodsField) of the day met, which a confirmed 1:1 counts in
	oPair     = "pf" // its field in oneone:pairs
)

// oneOnOneFields are the 1:1 hash's fields as the scripts see them (O.<lua>, lua.go).
var oneOnOneFields = []struct{ name, lua string }{
	{oRecorder, "recorder"}, {oPartner, "partner"}, {oMet, "met"}, {oNote, "note"}, {oStatus, "status"},
	{oCreated, "created"}, {oAnswered, "answered"}, {oPeriods, "periods"}, {oPair, "pair"},
}

// pairField names a pair's 1:1 of a day in oneone:pairs: the two members sorted, and the day.
func pairField(a, b string, met rapport.Date) string {
	if b < a {
		a, b = b, a
	}
	return a + "|" + b + "|" + met.Compact()
}

// recordOneOnOneScript records a pending 1:1 and queues the messages it owes, once per envelope,
// when its partner may receive one (a person in the directory) and the pair has no pending or
// confirmed 1:1 that day.
//
// KEYS: 1 the envelope's seen key, 2 members, 3 oneone:seq, 4 oneone:pending, 5 oneone:pairs,
// 6 outbox. ARGV: 1 team base, 2 seen TTL s, 3 recorder, 4 partner, 5 pair field, 6 expiry ms,
// 7 the messages (JSON notices), 8.. the hash's field/value pairs.
// Replies {'ok', n}, {'replay', n, HGETALL}, {'member', directory record or nil} or
// {'duplicate', n, HGETALL}.
var recordOneOnOneScript = redis.NewScript(luaKeys + luaRules + `
local prev = tonumber(redis.call('GET', KEYS[1]))
if prev and prev > 0 then return {'replay', prev, redis.call('HGETALL', oneOnOneKey(prev))} end
local raw = redis.call('HGET', KEYS[2], ARGV[4])
if not canReceive(raw) then return {'member', raw} end
local dup = redis.call('HGET', KEYS[5], ARGV[5])
if dup then
  local h = redis.call('HGETALL', oneOnOneKey(dup))
  if #h > 0 then return {'duplicate', tonumber(dup), h} end
end
local n = redis.call('INCR', KEYS[3])
redis.call('HSET', oneOnOneKey(n), unpack(ARGV, 8))
redis.call('ZADD', KEYS[4], ARGV[6], n)
redis.call('HSET', KEYS[5], ARGV[5], n)
local who = {[ROLE.recorder] = ARGV[3], [ROLE.partner] = ARGV[4]}
for _, nt in ipairs(cjson.decode(ARGV[7])) do notify(KEYS[6], nt, 0, who, nil, ENTRY.oneone, n) end
redis.call('SET', KEYS[1], n, 'EX', ARGV[2])
return {'ok', n}
`)

// RecordOneOnOne records o (pending, numbered here) and queues the messages it owes (the
// partner's request to confirm) in one script, once per envelope: a redelivery returns the 1:1
// recorded then. A partner who is not a person in the directory gets a user-facing error; a pair
// that already has a pending or confirmed 1:1 that day, *rapport.OneOnOneRefused "duplicate" with it.
func (s *Store) RecordOneOnOne(ctx context.Context, team, envelopeID string, o rapport.OneOnOne, ns []rapport.Notice) (rapport.OneOnOne, error) {
	const op = "record 1:1"
	k := s.keys(team)
	notify, err := noticesJSON(ns)
	if err != nil {
		return rapport.OneOnOne{}, fail(op, err)
	}
	o.Status, o.Created, o.Answered = rapport.OneOnOnePending, time.UnixMilli(o.Created.UnixMilli()), time.Time{}
	pair := pairField(o.Recorder, o.Partner, o.Met)
	args := []any{k.base, int64(seenTTL / time.Second), o.Recorder, o.Partner, pair, o.Expires().UnixMilli(), notify,
		oRecorder, o.Recorder, oPartner, o.Partner, oMet, o.Met.Compact(), oStatus, string(o.Status),
		oCreated, o.Created.UnixMilli(), oPeriods, s.periods(team, o.Met.Start(s.loc(team))), oPair, pair}
	for i, piece := range chunks(o.Note) {
		args = append(args, chunkField(oNote, i), piece)
	}
	res, err := recordOneOnOneScript.Run(ctx, s.rdb, []string{k.seen(envelopeID), k.members(), k.oneOnOneSeq(),
		k.oneOnOnePending(), k.oneOnOnePairs(), k.outbox()}, args...).Slice()
	if err != nil {
		return rapport.OneOnOne{}, fail(op, err)
	}
	code, _ := res[0].(string)
	switch code {
	case "ok":
		o.Number, _ = res[1].(int64)
		return o, nil
	case "replay", "duplicate":
		n, _ := res[1].(int64)
		h, err := pairs(res[2])
		if err != nil {
			return rapport.OneOnOne{}, fail(op, err)
		}
		got, err := decodeOneOnOne(n, h)
		if err != nil || code == "replay" {
			return got, fail(op, err)
		}
		return got, &rapport.OneOnOneRefused{Reason: "duplicate", OneOnOne: got}
	case "member":
		raw, _ := res[1].(string)
		if why, _ := refusal(raw); why == refusedUnknown {
			return rapport.OneOnOne{}, rapport.Errorf(rapport.EINVALID, "I don't know <@%s> yet: try again in a minute.", o.Partner)
		}
		return rapport.OneOnOne{}, rapport.Errorf(rapport.EINVALID, "<@%s> is a bot or no longer in the workspace: record a one-to-one with a member.", o.Partner)
	}
	return rapport.OneOnOne{}, fail(op, fmt.Errorf("unexpected reply %v", res))
}

// answerOneOnOneScript confirms or declines a pending 1:1 as its partner, and queues the messages
// that owes; a confirmed one counts in the aggregates (aggrOneOnOne) in the same step. A declined
// one leaves the pair's day free to be recorded again.
//
// KEYS: 1 oneone:pending, 2 oneone:pairs, 3 outbox. ARGV: 1 team base, 2 n, 3 the member who
// answers, 4 the new status, 5 now ms, 6 the messages (JSON notices).
// Replies {'ok', HGETALL}, {'missing'}, or {'forbidden' | 'status', HGETALL}.
var answerOneOnOneScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
local key = oneOnOneKey(ARGV[2])
local v = redis.call('HMGET', key, O.recorder, O.partner, O.status, O.pair)
if not v[3] then return {'missing'} end
if v[2] ~= ARGV[3] then return {'forbidden', redis.call('HGETALL', key)} end
if v[3] ~= ONEONE.pending then return {'status', redis.call('HGETALL', key)} end
redis.call('HSET', key, O.status, ARGV[4], O.answered, ARGV[5])
redis.call('ZREM', KEYS[1], ARGV[2])
if ONEONE_COUNTS[ARGV[4]] then
  aggrOneOnOne(ARGV[2])
elseif v[4] and redis.call('HGET', KEYS[2], v[4]) == ARGV[2] then
  redis.call('HDEL', KEYS[2], v[4])
end
local who = {[ROLE.recorder] = v[1], [ROLE.partner] = v[2]}
for _, nt in ipairs(cjson.decode(ARGV[6])) do notify(KEYS[3], nt, 0, who, nil, ENTRY.oneone, ARGV[2]) end
return {'ok', redis.call('HGETALL', key)}
`)

// AnswerOneOnOne confirms (confirm true) or declines 1:1 n as user, and queues the messages that
// owes, in one script; a confirmed 1:1 counts for both members in the same step. It returns the
// 1:1 as it is now, or *rapport.OneOnOneRefused with the 1:1 as it stands: "forbidden" when user
// is not its partner, "status" when it was answered or expired already. ENOTFOUND when there is
// no such 1:1.
func (s *Store) AnswerOneOnOne(ctx context.Context, team string, n int64, user string, confirm bool, now time.Time, ns []rapport.Notice) (rapport.OneOnOne, error) {
	op := "answer 1:1 " + strconv.FormatInt(n, 10)
	k := s.keys(team)
	notify, err := noticesJSON(ns)
	if err != nil {
		return rapport.OneOnOne{}, fail(op, err)
	}
	st := rapport.OneOnOneDeclined
	if confirm {
		st = rapport.OneOnOneConfirmed
	}
	res, err := answerOneOnOneScript.Run(ctx, s.rdb, []string{k.oneOnOnePending(), k.oneOnOnePairs(), k.outbox()},
		k.base, n, user, string(st), now.UnixMilli(), notify).Slice()
	if err != nil {
		return rapport.OneOnOne{}, fail(op, err)
	}
	code, _ := res[0].(string)
	if code == "missing" {
		return rapport.OneOnOne{}, rapport.Errorf(rapport.ENOTFOUND, "That one-to-one is no longer on record.")
	}
	if len(res) != 2 {
		return rapport.OneOnOne{}, fail(op, fmt.Errorf("unexpected reply %v", res))
	}
	h, err := pairs(res[1])
	if err != nil {
		return rapport.OneOnOne{}, fail(op, err)
	}
	o, err := decodeOneOnOne(n, h)
	if err != nil {
		return rapport.OneOnOne{}, fail(op, err)
	}
	if code != "ok" {
		return o, &rapport.OneOnOneRefused{Reason: code, OneOnOne: o}
	}
	return o, nil
}

// expireOneOnOnesScript expires the pending 1:1s whose time ran out, at most ARGV[3], and queues
// the messages each owes (the recorder told); it frees their pair's day.
//
// KEYS: 1 oneone:pending, 2 oneone:pairs, 3 outbox. ARGV: 1 team base, 2 now ms, 3 limit, 4 the
// messages (JSON notices). Replies {found, expired}.
var expireOneOnOnesScript = redis.NewScript(luaKeys + luaRules + `
local ns = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local notices = cjson.decode(ARGV[4])
local expired = 0
for _, n in ipairs(ns) do
  redis.call('ZREM', KEYS[1], n)
  local key = oneOnOneKey(n)
  local v = redis.call('HMGET', key, O.recorder, O.partner, O.status, O.pair)
  if v[3] == ONEONE.pending then
    redis.call('HSET', key, O.status, ONEONE.expired, O.answered, ARGV[2])
    if v[4] and redis.call('HGET', KEYS[2], v[4]) == n then redis.call('HDEL', KEYS[2], v[4]) end
    local who = {[ROLE.recorder] = v[1], [ROLE.partner] = v[2]}
    for _, nt in ipairs(notices) do notify(KEYS[3], nt, 0, who, nil, ENTRY.oneone, n) end
    expired = expired + 1
  end
end
return {#ns, expired}
`)

// ExpireOneOnOnes expires every pending 1:1 whose partner did not answer by now, a page of limit
// per script, and queues the messages each owes (ns), in the same step: two replicas sweeping at
// once expire each once. It returns how many it expired.
func (s *Store) ExpireOneOnOnes(ctx context.Context, team string, now time.Time, limit int, ns []rapport.Notice) (int, error) {
	const op = "expire 1:1s"
	k := s.keys(team)
	notify, err := noticesJSON(ns)
	if err != nil {
		return 0, fail(op, err)
	}
	total := 0
	for {
		res, err := expireOneOnOnesScript.Run(ctx, s.rdb, []string{k.oneOnOnePending(), k.oneOnOnePairs(), k.outbox()},
			k.base, now.UnixMilli(), limit, notify).Int64Slice()
		if err != nil {
			return total, fail(op, err)
		}
		if len(res) != 2 {
			return total, fail(op, fmt.Errorf("unexpected reply %v", res))
		}
		total += int(res[1])
		if res[0] < int64(limit) {
			return total, nil
		}
	}
}

// OneOnOne returns 1:1 n; ENOTFOUND when there is none.
func (s *Store) OneOnOne(ctx context.Context, team string, n int64) (rapport.OneOnOne, error) {
	op := "read 1:1 " + strconv.FormatInt(n, 10)
	h, err := s.rdb.HGetAll(ctx, s.keys(team).oneOnOne(n)).Result()
	if err != nil {
		return rapport.OneOnOne{}, fail(op, err)
	}
	if len(h) == 0 {
		return rapport.OneOnOne{}, rapport.Errorf(rapport.ENOTFOUND, "That one-to-one is no longer on record.")
	}
	o, err := decodeOneOnOne(n, h)
	return o, fail(op, err)
}

// decodeOneOnOne reads a 1:1 hash (HGETALL) whose number is n.
func decodeOneOnOne(n int64, h map[string]string) (rapport.OneOnOne, error) {
	met, ok := rapport.ParseCompactDate(h[oMet])
	if !ok {
		return rapport.OneOnOne{}, fmt.Errorf("decode 1:1 %d: day met %q", n, h[oMet])
	}
	created, err := parseInt(h, oCreated)
	if err != nil {
		return rapport.OneOnOne{}, fmt.Errorf("decode 1:1 %d: %w", n, err)
	}
	answered, err := parseInt(h, oAnswered)
	if err != nil {
		return rapport.OneOnOne{}, fmt.Errorf("decode 1:1 %d: %w", n, err)
	}
	o := rapport.OneOnOne{Number: n, Recorder: h[oRecorder], Partner: h[oPartner], Met: met, Note: text(h, oNote),
		Status: rapport.OneOnOneStatus(h[oStatus]), Created: time.UnixMilli(created)}
	if answered > 0 {
		o.Answered = time.UnixMilli(answered)
	}
	return o, nil
}
