package storage

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Settings returns the overrides an admin saved (setting name → value).
func (s *Store) Settings(ctx context.Context, team string) (map[string]string, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys(team).settings()).Result()
	if err != nil {
		return nil, fail("read settings", err)
	}
	return m, nil
}

// PutSettings saves overrides (an empty value removes one, so the environment's default applies
// again) and, when confirm has a kind, queues it in the same step, once per once (a form's view):
// the admin's confirmation is owed as surely as the settings are saved, and saving the same again
// confirms nothing more. A save sent whose reply never came is rapport.EINDOUBT: it may have run,
// and running it again is safe.
func (s *Store) PutSettings(ctx context.Context, team, once string, values map[string]string, confirm OutboxEntry) error {
	k := s.keys(team)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for name, v := range values {
			if v == "" {
				p.HDel(ctx, k.settings(), name)
			} else {
				p.HSet(ctx, k.settings(), name, v)
			}
		}
		if confirm.Kind != "" {
			keys, args := s.queueOnceArgs(team, k.seen(once), "0", seenTTL, []OutboxEntry{confirm})
			queueOnceScript.Eval(ctx, p, keys, args...) // EVAL, not EVALSHA: a transaction cannot load it on NOSCRIPT
		}
		return nil
	})
	if err != nil && unavailable(err) && !unsent(err) {
		return &rapport.Error{Code: rapport.EINDOUBT, Op: "save settings", Err: err}
	}
	return fail("save settings", err)
}

type askRecord struct {
	Text string `json:"text"`
	At   int64  `json:"at"`
}

// SetAsk saves what member wants referrals for; an empty text clears it.
func (s *Store) SetAsk(ctx context.Context, team, member, text string, now time.Time) error {
	k := s.keys(team).asks()
	var err error
	if text == "" {
		err = s.rdb.HDel(ctx, k, member).Err()
	} else {
		b, _ := json.Marshal(askRecord{Text: text, At: now.UnixMilli()})
		err = s.rdb.HSet(ctx, k, member, b).Err()
	}
	if err != nil {
		return fail("save ask", err)
	}
	return nil
}

// Asks returns every member's current ask.
func (s *Store) Asks(ctx context.Context, team string) ([]rapport.Ask, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys(team).asks()).Result()
	if err != nil {
		return nil, fail("read asks", err)
	}
	return asksOf(m), nil
}

// asksOfReceiversScript reads the asks of the members the directory says may receive a referral
// (canReceive): what a need is matched against. It reads one directory record per ask, so it costs
// what it returns.
//
// KEYS: 1 asks, 2 members. Replies member, ask record, member, ask record, …
var asksOfReceiversScript = redis.NewScript(luaRules + `
local asks = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #asks, 2 do
  if canReceive(redis.call('HGET', KEYS[2], asks[i])) then
    out[#out + 1] = asks[i]
    out[#out + 1] = asks[i + 1]
  end
end
return out
`)

// AsksOfReceivers returns the current asks of the members who may receive a referral (a person in
// the member directory, neither a bot nor deactivated), newest first, in one round trip: the asks
// the referral form suggests and the giver's confirmation names. Asks returns everyone's.
func (s *Store) AsksOfReceivers(ctx context.Context, team string) ([]rapport.Ask, error) {
	k := s.keys(team)
	return decodeAsksOfReceivers(asksOfReceiversScript.Run(ctx, s.rdb, []string{k.asks(), k.members()}).StringSlice())
}

// decodeAsksOfReceivers reads asksOfReceiversScript's reply (or its error).
func decodeAsksOfReceivers(pairs []string, err error) ([]rapport.Ask, error) {
	if err != nil {
		return nil, fail("read asks of receivers", err)
	}
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return asksOf(m), nil
}

// asksOf reads the asks hash, newest first, skipping any it cannot.
func asksOf(m map[string]string) []rapport.Ask {
	out := make([]rapport.Ask, 0, len(m))
	for member, raw := range m {
		var r askRecord
		if json.Unmarshal([]byte(raw), &r) != nil {
			continue
		}
		out = append(out, rapport.Ask{Member: member, Text: r.Text, At: time.UnixMilli(r.At)})
	}
	rapport.SortAsks(out)
	return out
}

// recognizeScript records a thank-you or a recommendation and queues its message, once per envelope,
// when the member it is for may receive one: a person in the directory, not a bot or deactivated
// (the directory record's receive flag).
//
// A recommendation counts in the aggregates (aggr.go) of the periods ARGV[6] ("" for a thank-you).
//
// KEYS: 1 the envelope's seen key, 2 outbox, 3 recognition zset, 4 members.
// ARGV: 1 team base, 2 seen TTL s, 3 score, 4 zset member, 5 the member thanked, 6 the periods
// (periodsField) of a recommendation, 7 its giver, 8.. outbox field/value pairs.
// Replies {'ok'}, {'replay'}, or {'member', directory record or nil} when the member may not be
// thanked.
var recognizeScript = redis.NewScript(luaKeys + luaRules + luaAggr + `
local raw = redis.call('HGET', KEYS[4], ARGV[5])
if not canReceive(raw) then return {'member', raw} end
if not redis.call('SET', KEYS[1], '0', 'NX', 'EX', ARGV[2]) then return {'replay'} end
if redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4]) == 1 and ARGV[6] ~= '' then aggrVouch(ARGV[3], ARGV[7], ARGV[5], ARGV[6], 1) end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 8))
return {'ok'}
`)

// Recognize records a thank-you or a recommendation and queues the message it owes, in one step,
// once per envelope: a public thank-you goes to the recognition channel, a recommendation to the
// member vouched for. A member who is not a person in the directory gets a user-facing error.
func (s *Store) Recognize(ctx context.Context, team, envelopeID string, r rapport.Recognition, kind, to string) error {
	k := s.keys(team)
	b, _ := json.Marshal(r)
	member := strconv.FormatInt(r.At.UnixMilli(), 10) + ":" + r.From + ":" + r.To
	periods := ""
	if r.Kind == rapport.RecognitionVouch {
		periods = s.periods(team, r.At)
	}
	res, err := recognizeScript.Run(ctx, s.rdb, []string{k.seen(envelopeID), k.outbox(), k.recognition(r.Kind), k.members()},
		k.base, int64(seenTTL/time.Second), r.At.UnixMilli(), member, r.To, periods, r.From, entryKind, kind, entryRef, 0, entryTo, to, rapport.EntryBody, string(b)).Slice()
	op := "record " + r.Kind
	if err != nil {
		return fail(op, err)
	}
	var code, raw string
	if len(res) > 0 {
		code, _ = res[0].(string)
	}
	if len(res) > 1 {
		raw, _ = res[1].(string)
	}
	if code == "member" {
		if why, _ := refusal(raw); why == refusedUnknown {
			return fail(op, rapport.Errorf(rapport.EINVALID, "I don't know <@%s> yet: try again in a minute.", r.To))
		}
		return fail(op, rapport.Errorf(rapport.EINVALID, "<@%s> is a bot or no longer in the workspace: thank a member.", r.To))
	}
	return nil
}

// Recognitions returns the thank-yous or recommendations made in [from, to).
func (s *Store) Recognitions(ctx context.Context, team, kind string, from, to time.Time) ([]rapport.Recognition, error) {
	ms, err := s.rdb.ZRangeByScore(ctx, s.keys(team).recognition(kind), &redis.ZRangeBy{
		Min: strconv.FormatInt(from.UnixMilli(), 10), Max: "(" + strconv.FormatInt(to.UnixMilli(), 10),
	}).Result()
	if err != nil {
		return nil, fail("read "+kind, err)
	}
	return recognitionsOf(kind, ms), nil
}

// recognitionsOf reads the recognition zset's members ms, skipping any it cannot.
func recognitionsOf(kind string, ms []string) []rapport.Recognition {
	out := make([]rapport.Recognition, 0, len(ms))
	for _, m := range ms {
		if r, ok := parseRecognition(kind, m); ok {
			out = append(out, r)
		}
	}
	return out
}

// parseRecognition reads a recognition zset member, "<ms>:<from>:<to>".
func parseRecognition(kind, m string) (rapport.Recognition, bool) {
	parts := strings.SplitN(m, ":", 3)
	if len(parts) != 3 {
		return rapport.Recognition{}, false
	}
	at, _ := strconv.ParseInt(parts[0], 10, 64)
	return rapport.Recognition{Kind: kind, From: parts[1], To: parts[2], At: time.UnixMilli(at)}, true
}

// Enqueue queues a message about the group (no referral) with fields the renderer reads, once per
// id (an envelope, or a fault and an admin) for a day.
func (s *Store) Enqueue(ctx context.Context, team, id, kind, to string, fields map[string]string) error {
	_, err := s.queueOnce(ctx, "enqueue "+kind, team, s.keys(team).seen(id), "0", seenTTL,
		[]OutboxEntry{{Kind: kind, To: to, Fields: fields}})
	return err
}
