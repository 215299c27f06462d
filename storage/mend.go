package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Mends (rule 14): the receiver's undo, the giver's edit while new, and the remarks that change no
// status (the receiver's note for the giver, the giver's ask for an update). Each runs as one
// script that checks who acts and what the referral allows where it writes, appends its event to
// the timeline and queues the messages it owes, like the move script; none walks the timeline.

// undoScript puts back what the receiver's last step changed (the move script kept it in the undo
// fields): the status, the reminder pending before it, the value, the closed-business index, the
// first action and first contact it set, the open index and, for a referral open again, its
// prospect sets; the aggregates follow (aggr.go). Refused past the window, it forgets the step and queues spec.late (the receiver's
// DM redrawn without Undo).
//
// KEYS: 1 ref, 2 events, 3 due, 4 outbox, 5 won, 6 open. ARGV: 1 team base, 2 n, 3 actor, 4 now
// Unix ms, 5 the window in ms, 6 spec JSON (mendSpec).
var undoScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
local n, actor, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local spec = cjson.decode(ARGV[6])
local h = redis.call('HMGET', KEYS[1], F.status, F.receiver, F.giver, F.version, F.due, F.undo_from, F.undo_at,
  F.undo_flags, F.undo_due, F.undo_due_at, F.undo_value, F.undo_currency, F.prospect .. '1', F.prospect .. '2')
if not h[1] then return {'notfound'} end
local st, receiver, giver = h[1], h[2], h[3]
if actor ~= receiver then return {'refused', 'forbidden', st, receiver, giver} end
if st == spec.passed then return {'refused', 'passed', st, receiver, giver} end
local back = h[6]
if not back then return {'refused', 'nothing', st, receiver, giver} end
local who = {[ROLE.receiver] = receiver, [ROLE.giver] = giver}
if now >= tonumber(h[7]) + tonumber(ARGV[5]) then
  redis.call('HDEL', KEYS[1], unpack(UNDO_FIELDS))
  for _, nt in ipairs(spec.late or {}) do notify(KEYS[4], nt, n, who) end
  return {'refused', 'late', st, receiver, giver}
end

aggrRef(n, -1)
redis.call('HSET', KEYS[1], F.status, back, F.updated, now, F.version, tonumber(h[4] or '0') + 1)
if OPEN[back] then
  redis.call('ZADD', KEYS[6], now, n)
  if h[13] then redis.call('SADD', prospectKey(h[13]), n) end
  if h[14] then redis.call('SADD', prospectKey(h[14]), n) end
else
  redis.call('ZREM', KEYS[6], n)
end
if st == STATUS_WON and back ~= STATUS_WON then
  redis.call('HDEL', KEYS[1], F.won_at, F.aggr_won)
  redis.call('ZREM', KEYS[5], n)
end
if h[11] then redis.call('HSET', KEYS[1], F.value, h[11]) else redis.call('HDEL', KEYS[1], F.value) end
if h[12] then redis.call('HSET', KEYS[1], F.currency, h[12]) else redis.call('HDEL', KEYS[1], F.currency) end
local flags = h[8] or ''
if string.find(flags, 'a', 1, true) then redis.call('HDEL', KEYS[1], F.first_action) end
if string.find(flags, 'c', 1, true) then redis.call('HDEL', KEYS[1], F.first_contact) end
if h[5] then
  redis.call('ZREM', KEYS[3], h[5])
  redis.call('HDEL', KEYS[1], F.due)
end
if h[9] then
  redis.call('ZADD', KEYS[3], h[10] or now, h[9])
  redis.call('HSET', KEYS[1], F.due, h[9])
end
redis.call('HDEL', KEYS[1], unpack(UNDO_FIELDS))
aggrRef(n, 1)

local ev = {at = now, actor = actor, action = spec.action, from = st, to = back}
local idx = redis.call('RPUSH', KEYS[2], cjson.encode(ev)) - 1
for _, nt in ipairs(spec.notify or {}) do notify(KEYS[4], nt, n, who, nil, ENTRY.event, idx) end
return {'ok', st, redis.call('HGETALL', KEYS[1])}
`)

// remarkScript records a note or an ask: an event that changes no status, allowed to spec.role in
// the statuses spec.statuses lists, at most once every spec.every ms when that is set (the time is
// kept in the asked field). A remark on an open referral is its last event in the open index.
//
// KEYS: 1 ref, 2 events, 3 outbox, 4 open. ARGV: 1 team base, 2 n, 3 actor, 4 now Unix ms, 5 spec
// JSON (mendSpec).
var remarkScript = redis.NewScript(luaKeys + luaRules + `
local n, actor, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local spec = cjson.decode(ARGV[5])
local h = redis.call('HMGET', KEYS[1], F.status, F.receiver, F.giver, F.asked)
if not h[1] then return {'notfound'} end
local st, receiver, giver = h[1], h[2], h[3]
local who = {[ROLE.receiver] = receiver, [ROLE.giver] = giver}
if actor ~= who[spec.role] then return {'refused', 'forbidden', st, receiver, giver} end
if not spec.statuses[st] then return {'refused', 'status', st, receiver, giver} end
local every = tonumber(spec.every or 0)
if every > 0 then
  if h[4] and now < tonumber(h[4]) + every then return {'refused', 'soon', st, receiver, giver, tonumber(h[4]) + every} end
  redis.call('HSET', KEYS[1], F.asked, now)
end
if OPEN[st] then redis.call('ZADD', KEYS[4], now, n) end
local ev = {at = now, actor = actor, action = spec.action, from = st, to = st}
if type(spec.note) == 'string' and spec.note ~= '' then ev.note = spec.note end
local idx = redis.call('RPUSH', KEYS[2], cjson.encode(ev)) - 1
for _, nt in ipairs(spec.notify or {}) do notify(KEYS[3], nt, n, who, nil, ENTRY.event, idx) end
return {'ok', st, redis.call('HGETALL', KEYS[1])}
`)

// editScript saves the giver's edit of a new referral: it removes every piece of the editable
// fields (spec.clear: their names, chunks included) and the prospect digests, writes the new ones
// (spec.fields), moves the referral from its old prospect sets to the new ones (spec.prospects:
// digests), and records an "edited" event naming the fields that changed (spec.changed), never
// their values. Refused unless the actor is the giver, the referral new, and its version ARGV[5]
// (what the giver edited): a version changed meanwhile is "changed"; and {'taken', n, receiver}
// when the new contact is an open referral of another member's (the duplicate-prospect rule).
//
// KEYS: 1 ref, 2 events, 3 outbox, 4 open. ARGV: 1 team base, 2 n, 3 actor, 4 now Unix ms,
// 5 version, 6 spec JSON (mendSpec).
var editScript = redis.NewScript(luaKeys + luaRules + luaProspectTaken + `
local n, actor, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local spec = cjson.decode(ARGV[6])
local h = redis.call('HMGET', KEYS[1], F.status, F.receiver, F.giver, F.version, F.prospect .. '1', F.prospect .. '2')
if not h[1] then return {'notfound'} end
local st, receiver, giver = h[1], h[2], h[3]
if actor ~= giver then return {'refused', 'forbidden', st, receiver, giver} end
if st ~= STATUS_NEW then return {'refused', 'status', st, receiver, giver} end
if tostring(h[4]) ~= ARGV[5] then return {'refused', 'changed', st, receiver, giver} end

local sets = {}
for _, d in ipairs(spec.prospects or {}) do sets[#sets + 1] = prospectKey(d) end
local taken, takenBy = prospectTaken(sets, receiver, n)
if taken then return {'taken', taken, takenBy} end
for i = 5, 6 do
  if h[i] then redis.call('SREM', prospectKey(h[i]), n) end
end
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  local name = string.match(f, '^(%a+)%d*$')
  if name and spec.clear[name] then redis.call('HDEL', KEYS[1], f) end
end
if spec.fields and #spec.fields > 0 then redis.call('HSET', KEYS[1], unpack(spec.fields)) end
for _, d in ipairs(spec.prospects or {}) do redis.call('SADD', prospectKey(d), n) end
redis.call('HSET', KEYS[1], F.updated, now, F.version, tonumber(h[4]) + 1)
redis.call('ZADD', KEYS[4], now, n)

local ev = {at = now, actor = actor, action = spec.action, from = st, to = st, changed = spec.changed}
local idx = redis.call('RPUSH', KEYS[2], cjson.encode(ev)) - 1
local who = {[ROLE.receiver] = receiver, [ROLE.giver] = giver}
for _, nt in ipairs(spec.notify or {}) do notify(KEYS[3], nt, n, who, nil, ENTRY.event, idx) end
return {'ok', st, redis.call('HGETALL', KEYS[1])}
`)

// mendSpec is the part of a mend its script reads as JSON.
type mendSpec struct {
	Action    rapport.Action  `json:"action"`
	Notify    []luaNotice     `json:"notify"`
	Late      []luaNotice     `json:"late,omitempty"`      // undo: owed when refused as late
	Passed    rapport.Status  `json:"passed,omitempty"`    // undo: the status that cannot be undone
	Role      rapport.Role    `json:"role,omitempty"`      // remark: who may make it
	Statuses  map[string]bool `json:"statuses,omitempty"`  // remark: where it is allowed
	Every     int64           `json:"every,omitempty"`     // remark: ms between two, 0 for no limit
	Note      string          `json:"note,omitempty"`      // remark
	Fields    []any           `json:"fields,omitempty"`    // edit: the new field/value pairs
	Clear     map[string]bool `json:"clear,omitempty"`     // edit: the field names whose pieces go
	Prospects []string        `json:"prospects,omitempty"` // edit: the new prospect digests
	Changed   []string        `json:"changed,omitempty"`   // edit: the form fields that changed
}

// Undo takes back the receiver's last step (m.Actor must be the receiver, within
// rapport.UndoWindow of the step at m.Now), queuing m.Notify. late are the messages owed when
// it is refused for being late. It returns *rapport.Refused (forbidden, passed, nothing, late).
func (s *Store) Undo(ctx context.Context, m rapport.Move, late []rapport.Notice) (rapport.Moved, error) {
	op := "undo " + rapport.FormatID(m.Ref)
	spec := mendSpec{Action: rapport.ActUndo, Passed: rapport.StatusPassed}
	var err error
	if spec.Notify, err = notices(m.Notify); err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	if spec.Late, err = notices(late); err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	k := s.keys(m.Team)
	keys := []string{k.ref(m.Ref), k.events(m.Ref), k.due(), k.outbox(), k.won(), k.open()}
	return s.mend(ctx, op, m.Ref, undoScript, keys, k.base, m.Ref, m.Actor, m.Now.UnixMilli(), rapport.UndoWindow.Milliseconds(), spec)
}

// Remark records a note (rapport.ActNote, by the receiver after a step, m.Note) or an ask
// (rapport.ActAsk, by the giver while open, once every rapport.AskEvery), queuing m.Notify. It
// returns *rapport.Refused (forbidden, status, or soon with Until).
func (s *Store) Remark(ctx context.Context, m rapport.Move) (rapport.Moved, error) {
	op := string(m.Action) + " " + rapport.FormatID(m.Ref)
	spec := mendSpec{Action: m.Action, Role: m.Action.Actor(), Statuses: map[string]bool{}, Note: m.Note}
	allowed := rapport.NoteAllowed
	if m.Action == rapport.ActAsk {
		allowed, spec.Every = rapport.AskAllowed, rapport.AskEvery.Milliseconds()
	} else if m.Action != rapport.ActNote {
		return rapport.Moved{}, fail(op, fmt.Errorf("%s is not a remark", m.Action))
	}
	for _, st := range rapport.Statuses {
		if allowed(st) {
			spec.Statuses[string(st)] = true
		}
	}
	var err error
	if spec.Notify, err = notices(m.Notify); err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	k := s.keys(m.Team)
	keys := []string{k.ref(m.Ref), k.events(m.Ref), k.outbox(), k.open()}
	return s.mend(ctx, op, m.Ref, remarkScript, keys, k.base, m.Ref, m.Actor, m.Now.UnixMilli(), spec)
}

// editedText are the referral hash's text fields an edit rewrites, with the form field of each.
var editedText = []struct{ field, form string }{
	{fName, rapport.FieldName}, {fCompany, rapport.FieldCompany}, {fPhone, rapport.FieldPhone},
	{fEmail, rapport.FieldEmail}, {fNeed, rapport.FieldNeed}, {fBestTime, rapport.FieldBestTime}, {fNote, rapport.FieldNote},
}

// Edit saves the giver's edit e of a new referral (e.Draft validated and normalised by
// rapport.Validate). It returns *rapport.Refused (forbidden; status once it is no longer new;
// changed when its version is no longer e.Version).
func (s *Store) Edit(ctx context.Context, e rapport.Edit) (rapport.Moved, error) {
	op := "edit " + rapport.FormatID(e.Ref)
	spec := mendSpec{Action: rapport.ActEdit, Clear: map[string]bool{fProspect: true}, Changed: e.Changed}
	for _, t := range editedText {
		spec.Clear[t.field] = true
		for i, piece := range chunks(e.Draft.Field(t.form)) {
			spec.Fields = append(spec.Fields, chunkField(t.field, i), piece)
		}
	}
	i := 1
	for _, c := range [...]struct{ kind, v string }{{"email", e.Draft.Prospect.Email}, {"phone", e.Draft.Prospect.Phone}} {
		if c.v != "" {
			d := prospectDigest(c.kind, c.v)
			spec.Fields = append(spec.Fields, fProspect+fmt.Sprint(i), d)
			spec.Prospects = append(spec.Prospects, d)
			i++
		}
	}
	var err error
	if spec.Notify, err = notices(e.Notify); err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	k := s.keys(e.Team)
	keys := []string{k.ref(e.Ref), k.events(e.Ref), k.outbox(), k.open()}
	return s.mend(ctx, op, e.Ref, editScript, keys, k.base, e.Ref, e.Actor, e.Now.UnixMilli(), e.Version, spec)
}

// mend runs one of the mend scripts, whose last argument is its spec, and reads its reply.
func (s *Store) mend(ctx context.Context, op string, n int64, script *redis.Script, keys []string, args ...any) (rapport.Moved, error) {
	js, err := json.Marshal(args[len(args)-1])
	if err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	args[len(args)-1] = string(js)
	res, err := script.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return rapport.Moved{}, fail(op, err)
	}
	moved, err := movedReply(n, res)
	return moved, fail(op, err)
}
