package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// seenTTL is how long a saved envelope is remembered: Slack redelivers within minutes.
const seenTTL = 24 * time.Hour

// NewReferral is a referral submission to save: Team, EnvelopeID (the Slack envelope that carried
// it; a redelivery saves nothing), Draft (validated and normalised by rapport.Validate),
// AllowDuplicate (the giver confirmed "Send anyway") and Now. It is the domain's Submission, so
// that handlers declare their Store interface without importing storage.
type NewReferral = rapport.Submission

// createScript checks and saves a referral in one round trip, so that what the giver is told was
// saved is saved together with every message it owes, and a retry or redelivery cannot save it
// twice (the envelope's seen key is written by the same script).
//
// KEYS: 1 seen, 2 members, 3 seq, 4 given, 5 received, 6 outbox, 7 due, 8 all, 9.. prospect sets (0–2).
// ARGV: 1 referral key base ("…{T}:ref:"), 2 giver, 3 receiver, 4 allow duplicate (0/1),
// 5 created Unix ms, 6 seen TTL s, 7 the messages it owes (JSON notices, as the move script reads
// them), 8 first reminder stage ("" for none), 9 its due Unix ms, 10.. the referral hash as
// field/value pairs.
//
// The referral's own key depends on the number INCR returns, so it cannot be passed in KEYS: the
// script builds it from the base in ARGV 1, and reads earlier referrals' keys the same way. The
// base carries the same {T} hash tag as every declared key, so all keys live in one Cluster slot.
var createScript = redis.NewScript(`
local base, receiver = ARGV[1], ARGV[3]
local prev = tonumber(redis.call('GET', KEYS[1]))
if prev and prev > 0 then
  local h = redis.call('HGETALL', base .. prev)
  if #h > 0 then return {'replay', prev, h} end
end

local raw = redis.call('HGET', KEYS[2], receiver)
if not raw then return {'receiver', 'unknown', ''} end
local m = cjson.decode(raw)
local name = type(m.name) == 'string' and m.name or ''
if m.bot == true or receiver == 'USLACKBOT' then return {'receiver', 'bot', name} end
if m.deleted == true then return {'receiver', 'deleted', name} end

-- The prospect is taken when it has an open referral to another member, unless one of its open
-- referrals already goes to this receiver: sending them the prospect again adds no competitor.
-- Closed referrals leave the sets here, lazily.
local open = {new = true, accepted = true, contacted = true, meeting = true}
local same, taken, takenBy = false, nil, nil
for i = 9, #KEYS do
  for _, old in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    local f = redis.call('HMGET', base .. old, 'st', 'r')
    if not open[f[1]] then
      redis.call('SREM', KEYS[i], old)
    elseif f[2] == receiver then
      same = true
    elseif not taken or tonumber(old) < taken then
      taken, takenBy = tonumber(old), f[2]
    end
  end
end
if taken and not same and ARGV[4] ~= '1' then return {'taken', taken, takenBy} end

local n = redis.call('INCR', KEYS[3])
redis.call('HSET', base .. n, unpack(ARGV, 10))
redis.call('ZADD', KEYS[4], ARGV[5], n)
redis.call('ZADD', KEYS[5], ARGV[5], n)
for i = 9, #KEYS do redis.call('SADD', KEYS[i], n) end
if ARGV[8] ~= '' then
  local due = n .. ':' .. ARGV[8] .. ':' .. receiver
  redis.call('ZADD', KEYS[7], ARGV[9], due)
  redis.call('HSET', base .. n, 'due', due)
end
for _, nt in ipairs(cjson.decode(ARGV[7])) do
  local to = receiver
  if nt.to == 'giver' then to = ARGV[2] elseif nt.to == 'channel' then to = nt.channel end
  if to then redis.call('XADD', KEYS[6], '*', 'kind', nt.kind, 'ref', n, 'to', to) end
end
redis.call('ZADD', KEYS[8], ARGV[5], n)
redis.call('SET', KEYS[1], n, 'EX', ARGV[6])
return {'ok', n}
`)

// CreateReferral saves the referral, its indexes, its first reminder and the messages it owes
// (nr.Notify: the receiver's DM, the giver's confirmation…) in one script. It returns the saved referral and replayed=false; the referral saved
// earlier and replayed=true when nr.EnvelopeID was already saved (nothing is written again);
// rapport.FieldErrors on the receiver when they are unknown, a bot or deactivated; and
// *rapport.ProspectTaken (naming the oldest) when the prospect has an open referral to another
// member, none to this receiver, and !nr.AllowDuplicate.
func (s *Store) CreateReferral(ctx context.Context, nr NewReferral) (rapport.Referral, bool, error) {
	if nr.Team == "" || nr.EnvelopeID == "" {
		return rapport.Referral{}, false, fmt.Errorf("create referral: team and envelope ID are required")
	}
	k := s.keys(nr.Team)
	d := nr.Draft
	ms := nr.Now.UnixMilli()
	r := rapport.Referral{
		Draft: d, Status: rapport.StatusNew, Created: time.UnixMilli(ms), Updated: time.UnixMilli(ms), Version: 1,
	}
	keys := append([]string{
		k.seen(nr.EnvelopeID), k.members(), k.seq(), k.given(d.Giver), k.received(d.Receiver), k.outbox(), k.due(), k.all(),
	}, k.prospects(d.Prospect.Email, d.Prospect.Phone)...)
	notify, err := noticesJSON(nr.Notify)
	if err != nil {
		return rapport.Referral{}, false, fmt.Errorf("create referral: %w", err)
	}
	args := append([]any{
		k.refBase(), d.Giver, d.Receiver, bit(nr.AllowDuplicate), ms, int64(seenTTL / time.Second),
		notify, string(nr.Reminder), nr.ReminderAt.UnixMilli(),
	}, encodeReferral(r)...)

	res, err := createScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return rapport.Referral{}, false, fmt.Errorf("create referral: %w", err)
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
		if err != nil {
			return rapport.Referral{}, false, fmt.Errorf("create referral: replay: %w", err)
		}
		if r, err = decodeReferral(n, h); err != nil {
			return rapport.Referral{}, false, fmt.Errorf("create referral: replay: %w", err)
		}
		return r, true, nil
	case code == "receiver" && len(res) == 3:
		why, _ := res[1].(string)
		name, _ := res[2].(string)
		return rapport.Referral{}, false, receiverError(why, name)
	case code == "taken" && len(res) == 3:
		n, _ := res[1].(int64)
		to, _ := res[2].(string)
		return rapport.Referral{}, false, &rapport.ProspectTaken{Number: n, Receiver: to}
	}
	return rapport.Referral{}, false, fmt.Errorf("create referral: unexpected reply %v", res)
}

// receiverError words why the receiver cannot receive, for the form's receiver field.
func receiverError(why, name string) error {
	if name == "" {
		name = "That user"
	}
	var msg string
	switch why {
	case "bot":
		msg = name + " is a bot; choose a member."
	case "deleted":
		msg = name + " has been deactivated; choose another member."
	default:
		msg = "I don't know that member yet. Try again in a minute, or choose another member."
	}
	return rapport.FieldErrors{rapport.FieldReceiver: msg}
}

// Seen marks the after-ack work of an envelope or event as done for ttl and reports whether this was
// the first time. Its key is apart from CreateReferral's seen key, so a saved envelope may still
// queue after-ack work.
func (s *Store) Seen(ctx context.Context, team, id string, ttl time.Duration) (bool, error) {
	first, err := s.rdb.SetNX(ctx, s.keys(team).after(id), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("mark seen %s: %w", id, err)
	}
	return first, nil
}
