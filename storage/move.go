package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// moveScript applies one action to a referral in one round trip: who may act and what the status
// allows are checked where the status is written, so a double click, a stale message or two
// replicas move a referral once. It records the event, swaps the pending reminder, queues the
// messages the move owes and, for a pass on, creates the linked referral with the facts the mover
// vouched for about its receiver. A step of the receiver's that may be undone keeps what it changed
// (the undo fields); any other move forgets them.
//
// KEYS: 1 ref, 2 events, 3 due, 4 outbox, 5 seq, 6 members, 7 all, 8 won, 9 open.
// ARGV: 1 team base ("…{T}:"), 2 n, 3 actor, 4 role, 5 now Unix ms, 6 the spec as JSON (moveSpec),
// 7 the periods now is in (periodsField): the aggregates a close or a linked referral counts in.
// It takes the referral's contribution to the aggregates away before the move and adds it back
// after, and adds the linked referral's (aggr.go).
//
// The linked referral's keys (its hash, the giver's and receiver's indexes, the prospect sets)
// depend on what the script reads, so they are built with luaKeys' functions from the team base.
// Replies {'ok', from status, linked number or 0, HGETALL}, {'notfound'}, {'refused', reason,
// status, receiver, giver}, {'link', 'self'}, or {'link', 'member', directory record or nil} when
// the linked member may not receive a referral.
var moveScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
local n, actor, role, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local spec = cjson.decode(ARGV[6])
local h = redis.call('HMGET', KEYS[1], F.status, F.receiver, F.giver, F.version, F.due, F.passed_by, F.credit_elsewhere, F.value, F.currency, F.updated)
if not h[1] then return {'notfound'} end
local st, receiver, giver = h[1], h[2], h[3]
if spec.idle_before and tonumber(h[10] or '0') >= spec.idle_before then
  return {'refused', 'active', st, receiver, giver} -- an event since expiry read it as idle
end
if (role == ROLE.receiver and actor ~= receiver) or (role == ROLE.giver and actor ~= giver) then
  return {'refused', 'forbidden', st, receiver, giver}
end
local move = spec.moves[st]
if not move then return {'refused', 'status', st, receiver, giver} end

local link = spec.link_to
if type(link) == 'string' and link ~= '' then
  if link == receiver or link == giver then return {'link', 'self'} end
  local raw = redis.call('HGET', KEYS[6], link)
  if not canReceive(raw) then return {'link', 'member', raw} end
else
  link = nil
end

-- The aggregates: the referral's contribution goes now and comes back as it ends (aggr.go).
aggrRef(n, -1)
redis.call('HSET', KEYS[1], F.status, move.to, F.updated, now, F.version, tonumber(h[4] or '0') + 1)
-- The open index, by the last event: what the leader's view lists and what expiry reads.
if OPEN[move.to] then redis.call('ZADD', KEYS[9], now, n) else redis.call('ZREM', KEYS[9], n) end
-- A closed referral reopened (an admin's correction) is the prospect's open referral again: it
-- rejoins the duplicate check it left (closed ones leave the prospect sets lazily, at the next check).
if OPEN[move.to] and not OPEN[st] then
  for _, d in ipairs(redis.call('HMGET', KEYS[1], F.prospect .. '1', F.prospect .. '2')) do
    if d then redis.call('SADD', prospectKey(d), n) end
  end
end
-- What the statistics read: the receiver's first action, the first contact, when business closed.
-- undo keeps what this step changed, so the receiver can take it back (mend.go's undo script).
local undo = {F.undo_from, st, F.undo_at, now}
local flags = ''
if role == ROLE.receiver and redis.call('HSETNX', KEYS[1], F.first_action, now) == 1 then flags = flags .. 'a' end
if move.contact and redis.call('HSETNX', KEYS[1], F.first_contact, now) == 1 then flags = flags .. 'c' end
if flags ~= '' then undo[#undo + 1] = F.undo_flags; undo[#undo + 1] = flags end
if h[5] then
  undo[#undo + 1] = F.undo_due; undo[#undo + 1] = h[5]
  undo[#undo + 1] = F.undo_due_at; undo[#undo + 1] = redis.call('ZSCORE', KEYS[3], h[5]) or now
end
if h[8] then undo[#undo + 1] = F.undo_value; undo[#undo + 1] = h[8] end
if h[9] then undo[#undo + 1] = F.undo_currency; undo[#undo + 1] = h[9] end
redis.call('HDEL', KEYS[1], unpack(UNDO_FIELDS))
if spec.undoable and role == ROLE.receiver then redis.call('HSET', KEYS[1], unpack(undo)) end
if move.to == STATUS_WON and st ~= STATUS_WON then
  redis.call('HSET', KEYS[1], F.won_at, now, F.aggr_won, ARGV[7])
  redis.call('ZADD', KEYS[8], now, n)
elseif move.to ~= STATUS_WON and st == STATUS_WON then
  redis.call('HDEL', KEYS[1], F.won_at, F.aggr_won)
  redis.call('ZREM', KEYS[8], n)
end
if type(spec.fields) == 'table' and #spec.fields > 0 then redis.call('HSET', KEYS[1], unpack(spec.fields)) end
if h[5] then
  redis.call('ZREM', KEYS[3], h[5])
  redis.call('HDEL', KEYS[1], F.due)
end
local function remind(num, stage, at, who)
  if type(stage) == 'string' and stage ~= '' then
    local d = dueID(num, stage, who)
    redis.call('ZADD', KEYS[3], at, d)
    redis.call('HSET', refKey(num), F.due, d)
  end
end
remind(n, move.stage, move.at, receiver)

local ev = {at = tonumber(now), actor = actor, action = spec.action, from = st, to = move.to}
if type(spec.note) == 'string' and spec.note ~= '' then ev.note = spec.note end
if type(spec.value) == 'number' and spec.value > 0 then ev.value = spec.value end

local n2 = 0
if link then
  n2 = redis.call('INCR', KEYS[5])
  local src = redis.call('HGETALL', KEYS[1])
  local pk = '^' .. F.prospect .. '%d$'
  local copy = {}
  for i = 1, #src, 2 do
    local f = src[i]
    if copiedToLinked(f) then
      copy[#copy + 1] = f
      copy[#copy + 1] = src[i + 1]
    end
    if string.match(f, pk) then redis.call('SADD', prospectKey(src[i + 1]), n2) end
  end
  local ref2 = refKey(n2)
  redis.call('HSET', ref2, unpack(copy))
  redis.call('HSET', ref2, F.status, STATUS_NEW, F.receiver, link, F.created, now, F.updated, now, F.version, 1, F.passed_of, n,
    F.aggr_created, ARGV[7])
  if role ~= ROLE.giver then
    redis.call('HSET', ref2, F.passed_by, actor)
  elseif h[6] or h[7] then
    -- The giver refers again in place of a link that was passed on: the prospect was counted as
    -- given where the chain began (rule 12), so this one carries no credit of its own.
    redis.call('HSET', ref2, F.credit_elsewhere, 1)
  end
  if type(spec.link_fields) == 'table' and #spec.link_fields > 0 then redis.call('HSET', ref2, unpack(spec.link_fields)) end
  redis.call('ZADD', KEYS[7], now, n2)
  redis.call('ZADD', KEYS[9], now, n2)
  redis.call('ZADD', givenKey(giver), now, n2)
  redis.call('ZADD', receivedKey(link), now, n2)
  remind(n2, spec.link_stage, spec.link_at, link)
  aggrRef(n2, 1)
  ev.ref = n2
  ev.member = link
  ev.facts = spec.link_facts
end

aggrRef(n, 1)
local idx = redis.call('RPUSH', KEYS[2], cjson.encode(ev)) - 1
if type(spec.notify) == 'table' then
  local who = {[ROLE.receiver] = receiver, [ROLE.giver] = giver, [ROLE.passer] = h[6], [ROLE.linked] = link}
  for _, nt in ipairs(spec.notify) do notify(KEYS[4], nt, n, who, n2, ENTRY.event, idx) end
end
return {'ok', st, n2, redis.call('HGETALL', KEYS[1])}
`)

// moveSpec is the part of a move the script reads as JSON.
type moveSpec struct {
	Action     rapport.Action      `json:"action"`
	Moves      map[string]moveStep `json:"moves"`
	Undoable   bool                `json:"undoable,omitempty"` // the receiver may undo it (rapport.Action.Undoable)
	Note       string              `json:"note,omitempty"`
	Value      int64               `json:"value,omitempty"`
	Fields     []any               `json:"fields,omitempty"`
	LinkTo     string              `json:"link_to,omitempty"`
	LinkFields []any               `json:"link_fields,omitempty"`
	LinkFacts  *rapport.Facts      `json:"link_facts,omitempty"` // the event's record of what the mover vouched for
	LinkStage  rapport.Stage       `json:"link_stage,omitempty"`
	LinkAt     int64               `json:"link_at,omitempty"`
	IdleBefore int64               `json:"idle_before,omitempty"` // Unix ms (rapport.Move.IdleBefore)
	Notify     []luaNotice         `json:"notify,omitempty"`
}

type moveStep struct {
	To      rapport.Status `json:"to"`
	Contact bool           `json:"contact,omitempty"` // the move reaches the prospect: set the first contact
	Stage   rapport.Stage  `json:"stage,omitempty"`
	At      int64          `json:"at,omitempty"`
}

// contacts reports whether a referral entering status s has reached the prospect: what
// rapport.Fact.FirstContact records (contacted, meeting or won, whichever came first).
func contacts(s rapport.Status) bool {
	return s == rapport.StatusContacted || s == rapport.StatusMeeting || s == rapport.StatusWon
}

// noticesJSON is ns as a script argument: always a JSON array, never null.
func noticesJSON(ns []rapport.Notice) (string, error) {
	out, err := notices(ns)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// Move applies m. It returns *rapport.Refused when the actor may not take the action or the
// referral's status no longer allows it, rapport.FieldErrors on the linked member when they cannot
// receive it, and ENOTFOUND for a referral that does not exist.
func (s *Store) Move(ctx context.Context, m rapport.Move) (rapport.Moved, error) {
	op := "move " + rapport.FormatID(m.Ref)
	k := s.keys(m.Team)
	spec := moveSpec{Action: m.Action, Moves: map[string]moveStep{}, Note: m.Note, Value: m.Value, LinkTo: m.LinkTo,
		Undoable: m.Action.Undoable()}
	if !m.IdleBefore.IsZero() {
		spec.IdleBefore = m.IdleBefore.UnixMilli()
	}
	for from, to := range m.Targets() {
		step := moveStep{To: to, Contact: contacts(to)}
		if st, at, ok := m.Timing.FirstReminder(to, m.Now); ok {
			step.Stage, step.At = st, at.UnixMilli()
		}
		spec.Moves[string(from)] = step
	}
	if m.Value != 0 {
		spec.Fields = []any{fValue, m.Value, fCurrency, m.Currency}
	}
	if m.LinkTo != "" {
		// The linked referral carries the mover's note to the new receiver, and the facts the
		// mover vouched for about the new receiver (rule 12), never the original's.
		f := m.LinkFacts
		spec.LinkFacts = &f
		spec.LinkFields = append(spec.LinkFields, fSpoke, bit(f.Spoke), fMayShare, bit(f.MayShare), fExpects, bit(f.Expects))
		for i, piece := range chunks(m.LinkNote) {
			spec.LinkFields = append(spec.LinkFields, chunkField(fNote, i), piece)
		}
		if st, at, ok := m.Timing.FirstReminder(rapport.StatusNew, m.Now); ok {
			spec.LinkStage, spec.LinkAt = st, at.UnixMilli()
		}
	}
	var err error
	if spec.Notify, err = notices(m.Notify); err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	keys := []string{k.ref(m.Ref), k.events(m.Ref), k.due(), k.outbox(), k.seq(), k.members(), k.all(), k.won(), k.open()}
	res, err := moveScript.Run(ctx, s.rdb, keys, k.base, m.Ref, m.Actor, string(m.Role), m.Now.UnixMilli(), js, s.periods(m.Team, m.Now)).Slice()
	if err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	moved, err := movedReply(m.Ref, res)
	return moved, fail(op, err)
}

// movedReply reads the reply of a script that moves or mends referral n: {'ok', from status,
// [linked number,] HGETALL}, {'notfound'}, {'refused', reason, status, receiver, giver[, until ms]},
// {'link', 'self' | 'member', directory record}, or {'taken', number, receiver} (an edit's new
// contact is another member's open referral).
func movedReply(n int64, res []any) (rapport.Moved, error) {
	str := func(i int) string {
		if i < len(res) {
			v, _ := res[i].(string)
			return v
		}
		return ""
	}
	switch str(0) {
	case "notfound":
		return rapport.Moved{}, noReferral(n)
	case "refused":
		r := &rapport.Refused{Ref: n, Reason: str(1), Status: rapport.Status(str(2)), Receiver: str(3), Giver: str(4)}
		if len(res) > 5 {
			if ms, ok := res[5].(int64); ok {
				r.Until = time.UnixMilli(ms)
			}
		}
		return rapport.Moved{}, r
	case "link":
		return rapport.Moved{}, linkError(str(1) == "self", str(2))
	case "taken":
		n2, _ := res[1].(int64)
		return rapport.Moved{}, &rapport.ProspectTaken{Number: n2, Receiver: str(2)}
	case "ok":
		if len(res) == 3 || len(res) == 4 {
			var n2 int64
			if len(res) == 4 {
				n2, _ = res[2].(int64)
			}
			h, err := pairs(res[len(res)-1])
			if err != nil {
				return rapport.Moved{}, err
			}
			ref, err := decodeReferral(n, h)
			if err != nil {
				return rapport.Moved{}, err
			}
			return rapport.Moved{Referral: ref, From: rapport.Status(str(1)), Linked: n2}, nil
		}
	}
	return rapport.Moved{}, fmt.Errorf("unexpected reply %v", res)
}

// linkError words why a pass on cannot go to the member chosen: they are the giver or the current
// receiver (self), or their directory record (raw, "" for none) says they may not receive it.
func linkError(self bool, raw string) error {
	msg := "I don't know that member yet. Try again in a minute, or choose another member."
	why, _ := refusal(raw)
	switch {
	case self:
		msg = "Choose a member other than the giver and the current receiver."
	case why == refusedBot:
		msg = "That is a bot; choose a member."
	case why == refusedDeactivated:
		msg = "That member has been deactivated; choose another."
	case why == refusedOther:
		msg = "That member can't receive referrals; choose another."
	}
	return rapport.FieldErrors{rapport.FieldReceiver: msg}
}

// noReferral is the not-found error of referral n, as a person reads it.
func noReferral(n int64) error {
	return rapport.Errorf(rapport.ENOTFOUND, "There is no referral %s.", rapport.FormatID(n))
}

// Timeline returns referral n and its events, oldest first, in one round trip.
func (s *Store) Timeline(ctx context.Context, team string, n int64) (rapport.Referral, []rapport.Event, error) {
	pipe := s.rdb.Pipeline()
	read := s.queueTimeline(ctx, pipe, team, n)
	if _, err := pipe.Exec(ctx); err != nil {
		return rapport.Referral{}, nil, fail("timeline "+rapport.FormatID(n), err)
	}
	return read()
}

// queueTimeline queues the reads of referral n and its events on p, and returns what decodes them
// once p has run.
func (s *Store) queueTimeline(ctx context.Context, p redis.Pipeliner, team string, n int64) func() (rapport.Referral, []rapport.Event, error) {
	op := "timeline " + rapport.FormatID(n)
	k := s.keys(team)
	hc := p.HGetAll(ctx, k.ref(n))
	ec := p.LRange(ctx, k.events(n), 0, -1)
	return func() (rapport.Referral, []rapport.Event, error) {
		if err := errors.Join(hc.Err(), ec.Err()); err != nil {
			return rapport.Referral{}, nil, fail(op, err)
		}
		if len(hc.Val()) == 0 {
			return rapport.Referral{}, nil, fail(op, noReferral(n))
		}
		ref, err := decodeReferral(n, hc.Val())
		if err != nil {
			return rapport.Referral{}, nil, fail(op, err)
		}
		evs := make([]rapport.Event, 0, len(ec.Val()))
		for i, raw := range ec.Val() {
			var e struct {
				rapport.Event
				At float64 `json:"at"` // Lua's cjson writes numbers as floats
			}
			if err := json.Unmarshal([]byte(raw), &e); err != nil {
				return rapport.Referral{}, nil, fail(op, fmt.Errorf("event %d: %w", i, err))
			}
			e.Event.At = time.UnixMilli(int64(e.At))
			evs = append(evs, e.Event)
		}
		return ref, evs, nil
	}
}
