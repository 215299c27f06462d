package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// moveScript applies one action to a referral in one round trip: who may act and what the status
// allows are checked where the status is written, so a double click, a stale message or two
// replicas move a referral once. It records the event, swaps the pending reminder, queues the
// messages the move owes and, for a pass on, creates the linked referral.
//
// KEYS: 1 ref, 2 events, 3 due, 4 outbox, 5 seq, 6 members.
// ARGV: 1 team key base ("…{T}:"), 2 n, 3 actor, 4 role, 5 now Unix ms, 6 the spec as JSON.
//
// The linked referral's keys (its hash, the giver's and receiver's indexes, the prospect sets)
// depend on what the script reads, so they are built from the base in ARGV 1; the base carries the
// same {T} hash tag as every declared key, so all keys live in one Cluster slot.
var moveScript = redis.NewScript(`
local base, n, actor, role, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local spec = cjson.decode(ARGV[6])
local h = redis.call('HMGET', KEYS[1], 'st', 'r', 'g', 'ver', 'due')
if not h[1] then return {'notfound'} end
local st, receiver, giver = h[1], h[2], h[3]
if (role == 'receiver' and actor ~= receiver) or (role == 'giver' and actor ~= giver) then
  return {'refused', 'forbidden', st, receiver, giver}
end
local move = spec.moves[st]
if not move then return {'refused', 'status', st, receiver, giver} end

local link = spec.link_to
if type(link) == 'string' and link ~= '' then
  if link == receiver or link == giver then return {'link', 'self'} end
  local raw = redis.call('HGET', KEYS[6], link)
  if not raw then return {'link', 'unknown'} end
  local m = cjson.decode(raw)
  if m.bot == true or link == 'USLACKBOT' then return {'link', 'bot'} end
  if m.deleted == true then return {'link', 'deleted'} end
else
  link = nil
end

redis.call('HSET', KEYS[1], 'st', move.to, 'u', now, 'ver', tonumber(h[4] or '0') + 1)
-- What the statistics read: the receiver's first action, the first contact, when business closed.
if role == 'receiver' then redis.call('HSETNX', KEYS[1], 'fa', now) end
if move.to == 'contacted' or move.to == 'meeting' or move.to == 'won' then redis.call('HSETNX', KEYS[1], 'fc', now) end
if move.to == 'won' then
  redis.call('HSET', KEYS[1], 'wa', now)
  redis.call('ZADD', base .. 'won', now, n)
elseif st == 'won' then
  redis.call('HDEL', KEYS[1], 'wa')
  redis.call('ZREM', base .. 'won', n)
end
if type(spec.fields) == 'table' and #spec.fields > 0 then redis.call('HSET', KEYS[1], unpack(spec.fields)) end
if h[5] then
  redis.call('ZREM', KEYS[3], h[5])
  redis.call('HDEL', KEYS[1], 'due')
end
local function remind(num, stage, at, who)
  if type(stage) == 'string' and stage ~= '' then
    local d = num .. ':' .. stage .. ':' .. who
    redis.call('ZADD', KEYS[3], at, d)
    redis.call('HSET', base .. 'ref:' .. num, 'due', d)
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
  local skip = {st = 1, c = 1, u = 1, ver = 1, due = 1, r = 1, pb = 1, po = 1, val = 1, cur = 1, fa = 1, fc = 1, wa = 1}
  local copy = {}
  for i = 1, #src, 2 do
    local f = src[i]
    if not skip[f] and not string.match(f, '^nt%d*$') and not string.match(f, '^dm_') then
      copy[#copy + 1] = f
      copy[#copy + 1] = src[i + 1]
    end
    if string.match(f, '^pk%d$') then redis.call('SADD', base .. 'prospect:' .. src[i + 1], n2) end
  end
  local ref2 = base .. 'ref:' .. n2
  redis.call('HSET', ref2, unpack(copy))
  redis.call('HSET', ref2, 'st', 'new', 'r', link, 'c', now, 'u', now, 'ver', 1, 'po', n)
  if role ~= 'giver' then redis.call('HSET', ref2, 'pb', actor) end
  if type(spec.link_fields) == 'table' and #spec.link_fields > 0 then redis.call('HSET', ref2, unpack(spec.link_fields)) end
  redis.call('ZADD', base .. 'all', now, n2)
  redis.call('ZADD', base .. 'given:' .. giver, now, n2)
  redis.call('ZADD', base .. 'received:' .. link, now, n2)
  remind(n2, spec.link_stage, spec.link_at, link)
  ev.ref = n2
  ev.member = link
end

local idx = redis.call('RPUSH', KEYS[2], cjson.encode(ev)) - 1
if type(spec.notify) == 'table' then
  for _, nt in ipairs(spec.notify) do
    local to, ref = receiver, n
    if nt.to == 'giver' then to = giver elseif nt.to == 'linked' then to, ref = link, n2
    elseif nt.to == 'channel' then to = nt.channel end
    if to then redis.call('XADD', KEYS[4], '*', 'kind', nt.kind, 'ref', ref, 'to', to, 'event', idx) end
  end
end
return {'ok', st, n2, redis.call('HGETALL', KEYS[1])}
`)

// moveSpec is the part of a move the script reads as JSON.
type moveSpec struct {
	Action     rapport.Action      `json:"action"`
	Moves      map[string]moveStep `json:"moves"`
	Note       string              `json:"note,omitempty"`
	Value      int64               `json:"value,omitempty"`
	Fields     []any               `json:"fields,omitempty"`
	LinkTo     string              `json:"link_to,omitempty"`
	LinkFields []any               `json:"link_fields,omitempty"`
	LinkStage  rapport.Stage       `json:"link_stage,omitempty"`
	LinkAt     int64               `json:"link_at,omitempty"`
	Notify     []notice            `json:"notify,omitempty"`
}

type moveStep struct {
	To    rapport.Status `json:"to"`
	Stage rapport.Stage  `json:"stage,omitempty"`
	At    int64          `json:"at,omitempty"`
}

// notice is a rapport.Notice as the create and move scripts read it.
type notice struct {
	Kind    string       `json:"kind"`
	To      rapport.Role `json:"to"`
	Channel string       `json:"channel,omitempty"`
}

func notices(ns []rapport.Notice) []notice {
	out := make([]notice, 0, len(ns))
	for _, nt := range ns {
		out = append(out, notice{Kind: nt.Kind, To: nt.To, Channel: nt.Channel})
	}
	return out
}

// noticesJSON is notices as a script argument: always a JSON array, never null.
func noticesJSON(ns []rapport.Notice) (string, error) {
	b, err := json.Marshal(notices(ns))
	return string(b), err
}

// Move applies m. It returns *rapport.Refused when the actor may not take the action or the
// referral's status no longer allows it, rapport.FieldErrors on the linked member when they cannot
// receive it, and ENOTFOUND for a referral that does not exist.
func (s *Store) Move(ctx context.Context, m rapport.Move) (rapport.Moved, error) {
	k := s.keys(m.Team)
	spec := moveSpec{Action: m.Action, Moves: map[string]moveStep{}, Note: m.Note, Value: m.Value, LinkTo: m.LinkTo}
	for from, to := range m.Targets() {
		step := moveStep{To: to}
		if st, at, ok := m.Timing.FirstReminder(to, m.Now); ok {
			step.Stage, step.At = st, at.UnixMilli()
		}
		spec.Moves[string(from)] = step
	}
	if m.Value != 0 {
		spec.Fields = []any{fValue, m.Value, fCurrency, m.Currency}
	}
	if m.LinkTo != "" {
		// The linked referral carries the mover's note as its note to the new receiver.
		for i, piece := range chunks(m.Note) {
			spec.LinkFields = append(spec.LinkFields, chunkField(fNote, i), piece)
		}
		if st, at, ok := m.Timing.FirstReminder(rapport.StatusNew, m.Now); ok {
			spec.LinkStage, spec.LinkAt = st, at.UnixMilli()
		}
	}
	spec.Notify = notices(m.Notify)
	js, err := json.Marshal(spec)
	if err != nil {
		return rapport.Moved{}, fmt.Errorf("move %s: %w", rapport.FormatID(m.Ref), err)
	}
	keys := []string{k.ref(m.Ref), k.events(m.Ref), k.due(), k.outbox(), k.seq(), k.members()}
	res, err := moveScript.Run(ctx, s.rdb, keys, k.base, m.Ref, m.Actor, string(m.Role), m.Now.UnixMilli(), js).Slice()
	if err != nil {
		return rapport.Moved{}, fmt.Errorf("move %s: %w", rapport.FormatID(m.Ref), err)
	}
	str := func(i int) string {
		if i < len(res) {
			v, _ := res[i].(string)
			return v
		}
		return ""
	}
	switch str(0) {
	case "notfound":
		return rapport.Moved{}, rapport.Errorf(rapport.ENOTFOUND, "There is no referral %s.", rapport.FormatID(m.Ref))
	case "refused":
		return rapport.Moved{}, &rapport.Refused{Ref: m.Ref, Reason: str(1), Status: rapport.Status(str(2)), Receiver: str(3), Giver: str(4)}
	case "link":
		return rapport.Moved{}, linkError(str(1))
	case "ok":
		if len(res) == 4 {
			n2, _ := res[2].(int64)
			h, err := pairs(res[3])
			if err != nil {
				return rapport.Moved{}, fmt.Errorf("move %s: %w", rapport.FormatID(m.Ref), err)
			}
			ref, err := decodeReferral(m.Ref, h)
			if err != nil {
				return rapport.Moved{}, err
			}
			return rapport.Moved{Referral: ref, From: rapport.Status(str(1)), Linked: n2}, nil
		}
	}
	return rapport.Moved{}, fmt.Errorf("move %s: unexpected reply %v", rapport.FormatID(m.Ref), res)
}

func linkError(why string) error {
	msg := "I don't know that member yet. Try again in a minute, or choose another member."
	switch why {
	case "self":
		msg = "Choose a member other than the giver and the current receiver."
	case "bot":
		msg = "That is a bot; choose a member."
	case "deleted":
		msg = "That member has been deactivated; choose another."
	}
	return rapport.FieldErrors{rapport.FieldReceiver: msg}
}

// Timeline returns referral n and its events, oldest first, in one round trip.
func (s *Store) Timeline(ctx context.Context, team string, n int64) (rapport.Referral, []rapport.Event, error) {
	k := s.keys(team)
	pipe := s.rdb.Pipeline()
	hc := pipe.HGetAll(ctx, k.ref(n))
	ec := pipe.LRange(ctx, k.events(n), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return rapport.Referral{}, nil, fmt.Errorf("timeline %s: %w", rapport.FormatID(n), err)
	}
	if len(hc.Val()) == 0 {
		return rapport.Referral{}, nil, rapport.Errorf(rapport.ENOTFOUND, "There is no referral %s.", rapport.FormatID(n))
	}
	ref, err := decodeReferral(n, hc.Val())
	if err != nil {
		return rapport.Referral{}, nil, err
	}
	evs := make([]rapport.Event, 0, len(ec.Val()))
	for i, raw := range ec.Val() {
		var e struct {
			rapport.Event
			At float64 `json:"at"` // Lua's cjson writes numbers as floats
		}
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return rapport.Referral{}, nil, fmt.Errorf("timeline %s event %d: %w", rapport.FormatID(n), i, err)
		}
		e.Event.At = time.UnixMilli(int64(e.At))
		evs = append(evs, e.Event)
	}
	return ref, evs, nil
}
