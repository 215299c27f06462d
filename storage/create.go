package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// seenTTL is how long a saved envelope is remembered: Slack redelivers within minutes.
const seenTTL = 24 * time.Hour

// NewReferral is a referral submission to save: Team, EnvelopeID (the Slack envelope that carried
// it; a redelivery saves nothing), ViewID (the form that carried it; submitting the same form again
// saves nothing), Draft (validated and normalised by rapport.Validate),
// AllowDuplicate (the giver confirmed "Send anyway") and Now. It is the domain's Submission, so
// that handlers declare their Store interface without importing storage.
type NewReferral = rapport.Submission

// luaProspectTaken is the duplicate-prospect rule (DOMAIN rule 8) of the scripts that give a
// prospect to a receiver (create, edit): prospectTaken(sets, receiver, skip) looks through the
// prospect's sets for an open referral to another member (skip: the referral being edited) and
// returns the oldest one's number and receiver; nothing when there is none, or when one of its
// open referrals already goes to this receiver (sending them the prospect again adds no
// competitor). Closed referrals leave the sets here, lazily. It needs luaKeys and luaRules.
const luaProspectTaken = `
local function prospectTaken(sets, receiver, skip)
  local same, taken, takenBy = false, nil, nil
  for _, key in ipairs(sets) do
    for _, old in ipairs(redis.call('SMEMBERS', key)) do
      if old ~= skip then
        local f = redis.call('HMGET', refKey(old), F.status, F.receiver)
        if not OPEN[f[1]] then
          redis.call('SREM', key, old)
        elseif f[2] == receiver then
          same = true
        elseif not taken or tonumber(old) < taken then
          taken, takenBy = tonumber(old), f[2]
        end
      end
    end
  end
  if same then return nil end
  return taken, takenBy
end
`

// createScript checks and saves a referral in one round trip, so that what the giver is told was
// saved is saved together with every message it owes, and a retry or redelivery cannot save it
// twice (the form's key, written by the same script, names the referral it saved).
//
// KEYS: 1 once (the form's view key; a workflow step run's step key; the envelope's seen key when
// the submission names neither), 2 members, 3 seq, 4 given, 5 received, 6 outbox, 7 due, 8 all,
// 9 open, 10.. prospect sets (0–2).
// ARGV: 1 team base ("…{T}:"), 2 giver, 3 receiver, 4 allow duplicate (0/1), 5 created Unix ms,
// 6 seen TTL s, 7 the messages it owes (JSON notices, as the move script reads them), 8 first
// reminder stage ("" for none), 9 its due Unix ms, 10 check the giver too (0/1: a step names its
// giver), 11.. the referral hash as field/value pairs (with the periods it counts in,
// aggr_created). It adds the referral's contribution to the aggregates (aggr.go).
//
// The referral's own key depends on the number INCR returns, so it cannot be passed in KEYS: the
// script builds it with refKey from the team base, and reads earlier referrals' keys the same way.
// Replies {'ok', n}, {'replay', n, HGETALL}, {'answered'} when the once key holds 0 (a step's run
// answered with an error, or an envelope that wrote something else: nothing is saved after that),
// {'giver' or 'receiver', directory record or nil} when that member may not give or receive a
// referral, or {'taken', n, receiver}.
var createScript = redis.NewScript(luaKeys + luaRules + luaProspectTaken + luaAggr + `
local giver, receiver = ARGV[2], ARGV[3]
-- The same form again (Slack redelivers its envelope, or it is submitted again after its first
-- answer was lost): the referral saved then, and nothing written.
local prev = tonumber(redis.call('GET', KEYS[1]))
if prev and prev > 0 then
  local h = redis.call('HGETALL', refKey(prev))
  if #h > 0 then return {'replay', prev, h} end
end
if prev == 0 then return {'answered'} end

if ARGV[10] == '1' then
  local g = redis.call('HGET', KEYS[2], giver)
  if not canReceive(g) then return {'giver', g} end
end
local raw = redis.call('HGET', KEYS[2], receiver)
if not canReceive(raw) then return {'receiver', raw} end

local sets = {}
for i = 10, #KEYS do sets[#sets + 1] = KEYS[i] end
local taken, takenBy = prospectTaken(sets, receiver, nil)
if taken and ARGV[4] ~= '1' then return {'taken', taken, takenBy} end

local n = redis.call('INCR', KEYS[3])
local ref = refKey(n)
redis.call('HSET', ref, unpack(ARGV, 11))
redis.call('ZADD', KEYS[4], ARGV[5], n)
redis.call('ZADD', KEYS[5], ARGV[5], n)
for i = 10, #KEYS do redis.call('SADD', KEYS[i], n) end
if ARGV[8] ~= '' then
  local due = dueID(n, ARGV[8], receiver)
  redis.call('ZADD', KEYS[7], ARGV[9], due)
  redis.call('HSET', ref, F.due, due)
end
local who = {[ROLE.receiver] = receiver, [ROLE.giver] = giver}
for _, nt in ipairs(cjson.decode(ARGV[7])) do notify(KEYS[6], nt, n, who) end
redis.call('ZADD', KEYS[8], ARGV[5], n)
redis.call('ZADD', KEYS[9], ARGV[5], n)
redis.call('SET', KEYS[1], n, 'EX', ARGV[6])
aggrRef(n, 1)
return {'ok', n}
`)

// CreateReferral saves the referral, its indexes, its first reminder and the messages it owes
// (nr.Notify: the receiver's DM, the giver's confirmation…) in one script. It returns the saved referral and replayed=false; the referral saved
// earlier and replayed=true when nr.EnvelopeID, nr.ViewID or nr.Step was already saved (nothing is
// written again); rapport.EINDOUBT when it was sent but no answer came (it may be saved: the same
// submission again returns it); EUNAVAILABLE when Redis was not reached or refused to run it;
// rapport.FieldErrors on the receiver (and a step's giver) when they are unknown, a bot or
// deactivated; ECONFLICT when nr.Step's run was answered with an error already (FailStep); and
// *rapport.ProspectTaken (naming the oldest) when the prospect has an open referral to another
// member, none to this receiver, and !nr.AllowDuplicate.
func (s *Store) CreateReferral(ctx context.Context, nr NewReferral) (rapport.Referral, bool, error) {
	const op = "create referral"
	if nr.Team == "" || nr.EnvelopeID == "" {
		return rapport.Referral{}, false, fail(op, errors.New("team and envelope ID are required"))
	}
	k := s.keys(nr.Team)
	d := nr.Draft
	ms := nr.Now.UnixMilli()
	r := rapport.Referral{
		Draft: d, Status: rapport.StatusNew, Created: time.UnixMilli(ms), Updated: time.UnixMilli(ms), Version: 1,
	}
	once := k.seen(nr.EnvelopeID) // a redelivered envelope carries the same form: one key serves
	switch {
	case nr.ViewID != "":
		once = k.view(nr.ViewID)
	case nr.Step != "":
		once = k.step(nr.Step) // Slack's event ID may change, the run's ID does not
	}
	keys := append([]string{
		once, k.members(), k.seq(), k.given(d.Giver), k.received(d.Receiver), k.outbox(), k.due(), k.all(), k.open(),
	}, k.prospects(d.Prospect.Email, d.Prospect.Phone)...)
	notify, err := noticesJSON(nr.Notify)
	if err != nil {
		return rapport.Referral{}, false, fail(op, err)
	}
	args := append([]any{
		k.base, d.Giver, d.Receiver, bit(nr.AllowDuplicate), ms, int64(seenTTL / time.Second),
		notify, string(nr.Reminder), nr.ReminderAt.UnixMilli(), bit(nr.Step != ""),
	}, encodeReferral(r)...)
	args = append(args, fAggrCreated, s.periods(nr.Team, r.Created))

	res, err := s.runOnceAware(ctx, op, createScript, keys, args...)
	if err != nil {
		return rapport.Referral{}, false, err
	}
	var code string
	if len(res) > 0 {
		code, _ = res[0].(string)
	}
	switch {
	case code == "ok" && len(res) == 2:
		r.Number, _ = res[1].(int64)
		return r, false, nil
	case code == "replay" && len(res) == 3:
		n, _ := res[1].(int64)
		h, err := pairs(res[2])
		if err == nil {
			r, err = decodeReferral(n, h)
		}
		if err != nil {
			return rapport.Referral{}, false, fail(op, fmt.Errorf("replay: %w", err))
		}
		return r, true, nil
	case code == "answered" && len(res) == 1:
		return rapport.Referral{}, false, fail(op, errAnswered)
	case code == "giver" && len(res) == 2:
		raw, _ := res[1].(string)
		return rapport.Referral{}, false, fail(op, memberError(rapport.FieldGiver, raw))
	case code == "receiver" && len(res) == 2:
		raw, _ := res[1].(string)
		return rapport.Referral{}, false, fail(op, memberError(rapport.FieldReceiver, raw))
	case code == "taken" && len(res) == 3:
		n, _ := res[1].(int64)
		to, _ := res[2].(string)
		return rapport.Referral{}, false, fail(op, &rapport.ProspectTaken{Number: n, Receiver: to})
	}
	return rapport.Referral{}, false, fail(op, fmt.Errorf("unexpected reply %v", res))
}

// errAnswered is CreateReferral's answer to a workflow step's run that was answered with an error
// already (FailStep): it saves nothing, so the run is answered once.
var errAnswered = rapport.Errorf(rapport.ECONFLICT, "This run of the step was already answered: nothing was recorded.")

// memberError words why the member in field (the receiver, or a step's giver), whose directory
// record the script returned (raw, "" when there is none), cannot give or receive the referral.
func memberError(field, raw string) error {
	why, m := refusal(raw)
	name := m.Name
	if name == "" {
		name = "That user"
	}
	var msg string
	switch why {
	case refusedBot:
		msg = name + " is a bot; choose a member."
	case refusedDeactivated:
		msg = name + " has been deactivated; choose another member."
	case refusedOther:
		msg = name + " can't receive referrals; choose another member."
	default:
		msg = "I don't know that member yet. Try again in a minute, or choose another member."
	}
	return rapport.FieldErrors{field: msg}
}

// afterSpan is how many buckets an after-ack mark is looked for in: the marks of one TTL are kept
// in afterSpan-1 buckets (hashes) of TTL/(afterSpan-1) each, so no envelope has a key of its own,
// and a bucket that expires frees an hour's marks (for a day's TTL), never a day's at once.
const afterSpan = 25

// afterScript marks id's after-ack work done in the bucket of now (Redis's clock, the same for
// every replica) unless a bucket of the last TTL already holds it.
//
// KEYS: 1 the team's slot (keys.slot: the buckets' names depend on Redis's clock, built with
// afterKey). ARGV: 1 team base, 2 id, 3 bucket width ms. Returns 1 when it marked id, 0 when id was marked already.
var afterScript = redis.NewScript(luaKeys + `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[3])
local b = math.floor(ms / w)
local function bucket(i) return afterKey(string.format('%d:%d', w, i)) end
for i = b - ` + strconv.Itoa(afterSpan-1) + `, b do
  if redis.call('HEXISTS', bucket(i), ARGV[2]) == 1 then return 0 end
end
redis.call('HSET', bucket(b), ARGV[2], 1)
redis.call('PEXPIREAT', bucket(b), string.format('%d', (b + ` + strconv.Itoa(afterSpan) + `) * w))
return 1
`)

// FirstAfterAck marks the after-ack work of an envelope or event as done for at least ttl (at
// most ttl and a bucket more) and reports whether this was the first time. Its marks (after:…)
// are apart from CreateReferral's seen key, so a saved envelope may still queue after-ack work.
func (s *Store) FirstAfterAck(ctx context.Context, team, id string, ttl time.Duration) (bool, error) {
	w := max(ttl/(afterSpan-1), time.Second)
	k := s.keys(team)
	n, err := afterScript.Run(ctx, s.rdb, []string{k.slot()}, k.base, id, w.Milliseconds()).Int()
	if err != nil {
		return false, fail("mark after-ack work of "+id, err)
	}
	return n == 1, nil
}
