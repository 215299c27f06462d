package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Pairing suggestions (rapport.SuggestPairs): the members who opted in are a set, pairing:in. A
// week's pairs are claimed once per cluster by ran:pairing:<week>, in the very script that writes
// them (pairing:week:<week>, "<A>|<B>" → the pair as JSON), points pairing:last at the week and
// queues their messages, so two replicas suggest one set. A "Book a 1:1" is recorded in
// pairing:week:<week>:booked ("<A>|<B>" → "<member>|<ms>") with its messages, once per pair. The
// week's hashes are kept for the caller's TTL: the next week reads its partners of last week from
// them, and admins read the week's pairs.

// pairingField names a pair in a week's hashes: the two members sorted.
func pairingField(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "|" + b
}

// SetPairing opts member in (on) or out of the weekly pairing suggestions; changed is false when
// they already were.
func (s *Store) SetPairing(ctx context.Context, team, member string, on bool) (changed bool, err error) {
	k := s.keys(team).pairingIn()
	var n int64
	if on {
		n, err = s.rdb.SAdd(ctx, k, member).Result()
	} else {
		n, err = s.rdb.SRem(ctx, k, member).Result()
	}
	if err != nil {
		return false, fail("set pairing of "+member, err)
	}
	return n > 0, nil
}

// InPairing reports whether member opted in to the weekly pairing suggestions.
func (s *Store) InPairing(ctx context.Context, team, member string) (bool, error) {
	in, err := s.rdb.SIsMember(ctx, s.keys(team).pairingIn(), member).Result()
	if err != nil {
		return false, fail("read pairing of "+member, err)
	}
	return in, nil
}

// PairingClaimed reports whether the pairs of week (rapport.WeekID) were already suggested: a
// cheap look before a replica takes the lock and computes them.
func (s *Store) PairingClaimed(ctx context.Context, team, week string) (bool, error) {
	err := s.rdb.Get(ctx, s.keys(team).pairingRan(week)).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fail("check pairing "+week, err)
	}
	return true, nil
}

// PairingFacts reads what rapport.SuggestPairs chooses from, in two round trips whatever the
// history: the members who opted in and may receive a message (the directory), the referrals each
// gave each other and their confirmed 1:1s (their ledgers, aggr:pair:<U>: two fields per pair), each
// one's partner in the latest suggestions, and the current asks. Week is left for the caller.
func (s *Store) PairingFacts(ctx context.Context, team string) (rapport.PairingFacts, error) {
	const op = "read the pairing's facts"
	k := s.keys(team)
	var in *redis.StringSliceCmd
	var asks *redis.MapStringStringCmd
	var last *redis.StringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		in = p.SMembers(ctx, k.pairingIn())
		asks = p.HGetAll(ctx, k.asks())
		last = p.Get(ctx, k.pairingLast())
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return rapport.PairingFacts{}, fail(op, err)
	}
	f := rapport.PairingFacts{Given: map[string]map[string]int{}, Met: map[string]map[string]int{},
		Last: map[string]string{}, Asks: asksOf(asks.Val())}
	ids := in.Val()
	if len(ids) == 0 {
		return f, nil
	}
	slices.Sort(ids)
	var members *redis.SliceCmd
	var lastPairs *redis.MapStringStringCmd
	ledgers := make([]*redis.MapStringStringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		members = p.HMGet(ctx, k.members(), ids...)
		if wk := last.Val(); wk != "" {
			lastPairs = p.HGetAll(ctx, k.pairingWeek(wk))
		}
		for i, u := range ids { // each ledger holds at most one entry per member of the group
			ledgers[i] = p.HGetAll(ctx, k.aggrPair(u))
		}
		return nil
	}); err != nil {
		return rapport.PairingFacts{}, fail(op, err)
	}
	for i, v := range members.Val() {
		raw, _ := v.(string)
		var m rapport.Member
		if raw == "" || json.Unmarshal([]byte(raw), &m) != nil || !m.CanReceive() {
			continue // not in the directory (yet), a bot, or deactivated: not paired
		}
		f.Members = append(f.Members, ids[i])
	}
	for i, u := range ids {
		for _, b := range balancesOf(readSums(ledgers[i].Val()), true, s.currencyOf(team)) { // the ledger's one reading
			if _, in := slices.BinarySearch(ids, b.Other); !in {
				continue
			}
			if b.Given > 0 {
				addTo(f.Given, u, b.Other, b.Given)
			}
			if b.Met > 0 {
				addTo(f.Met, u, b.Other, b.Met)
			}
		}
	}
	if lastPairs != nil {
		for _, p := range decodePairs(lastPairs.Val()) {
			f.Last[p.A], f.Last[p.B] = p.B, p.A
		}
	}
	return f, nil
}

func addTo(m map[string]map[string]int, a, b string, n int) {
	if m[a] == nil {
		m[a] = map[string]int{}
	}
	m[a][b] += n
}

// queuePairsScript claims a week's pairing, writes its pairs (kept ttl), points pairing:last at the
// week unless a later one was suggested already, and queues the messages; it does nothing when the
// week was claimed already.
//
// KEYS: 1 ran:pairing:<week>, 2 pairing:week:<week>, 3 pairing:last, 4 outbox. ARGV: 1 claim value,
// 2 TTL s, 3 week, 4 the number n of the pairs' field/value pairs, 5..4+2n those, then per message
// the number of its field/value pairs followed by the pairs. Returns 1 when it claimed, 0 when the
// week was taken.
var queuePairsScript = redis.NewScript(luaQueueMessages + `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
local n = tonumber(ARGV[4])
if n > 0 then
  redis.call('HSET', KEYS[2], unpack(ARGV, 5, 4 + 2 * n))
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
local last = redis.call('GET', KEYS[3])
if not last or last < ARGV[3] then redis.call('SET', KEYS[3], ARGV[3]) end
queueMessages(KEYS[4], 5 + 2 * n)
return 1
`)

// QueuePairs claims week's pairing and, in the same script, keeps pairs for ttl (longer than a
// week: the next week's pairing and the admins' view read them) and queues msgs (their
// suggestions); claimed is false, and nothing is written, when another replica or an earlier run
// claimed the week already.
func (s *Store) QueuePairs(ctx context.Context, team, week string, ttl time.Duration, pairs []rapport.Pair, msgs []OutboxEntry) (claimed bool, err error) {
	op := "queue pairing " + week
	if ttl < time.Second {
		return false, fail(op, errors.New("ttl must be at least 1 s"))
	}
	k := s.keys(team)
	args := []any{s.now().UnixMilli(), int64(ttl / time.Second), week, len(pairs)}
	for _, p := range pairs {
		b, err := json.Marshal(p)
		if err != nil {
			return false, fail(op, fmt.Errorf("encode pair: %w", err))
		}
		args = append(args, pairingField(p.A, p.B), string(b))
	}
	args = appendMessages(args, msgs)
	n, err := queuePairsScript.Run(ctx, s.rdb, []string{k.pairingRan(week), k.pairingWeek(week), k.pairingLast(), k.outbox()}, args...).Int()
	if err != nil {
		return false, fail(op, err)
	}
	return n == 1, nil
}

// WeekPairs returns the pairs suggested for week, best first, with the 1:1s booked; none when the
// week was not paired (or is no longer kept). One round trip.
func (s *Store) WeekPairs(ctx context.Context, team, week string) ([]rapport.SuggestedPair, error) {
	k := s.keys(team)
	var pairs, booked *redis.MapStringStringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		pairs = p.HGetAll(ctx, k.pairingWeek(week))
		booked = p.HGetAll(ctx, k.pairingBooked(week))
		return nil
	}); err != nil {
		return nil, fail("read the pairs of "+week, err)
	}
	out := make([]rapport.SuggestedPair, 0, len(pairs.Val()))
	for _, p := range decodePairs(pairs.Val()) {
		sp := rapport.SuggestedPair{Pair: p}
		sp.BookedBy, sp.BookedAt = decodeBooking(booked.Val()[pairingField(p.A, p.B)])
		out = append(out, sp)
	}
	return out, nil
}

// decodePairs reads a week's pairs hash, best first, skipping any field it cannot read.
func decodePairs(h map[string]string) []rapport.Pair {
	out := make([]rapport.Pair, 0, len(h))
	for _, raw := range h {
		var p rapport.Pair
		if json.Unmarshal([]byte(raw), &p) == nil && p.A != "" && p.B != "" {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(x, y rapport.Pair) int {
		if x.Rank != y.Rank {
			return x.Rank - y.Rank
		}
		return strings.Compare(pairingField(x.A, x.B), pairingField(y.A, y.B))
	})
	return out
}

// decodeBooking reads a booking "<member>|<ms>" ("" for none).
func decodeBooking(v string) (by string, at time.Time) {
	by, ms, ok := strings.Cut(v, "|")
	if !ok {
		return "", time.Time{}
	}
	n, _ := strconv.ParseInt(ms, 10, 64)
	return by, time.UnixMilli(n)
}

// bookPairScript records that a member of a week's pair booked the 1:1 it suggests, and queues the
// messages that owes, once per pair, while the week is the latest paired.
//
// KEYS: 1 pairing:week:<week>, 2 its booked hash, 3 pairing:last, 4 outbox. ARGV: 1 week, 2 the pair's
// field, 3 the booking "<member>|<ms>", then per message the number of its field/value pairs
// followed by the pairs. Replies {'ok', pair}, {'missing'}, {'booked', pair, booking} or
// {'stale', pair}.
var bookPairScript = redis.NewScript(luaQueueMessages + `
local pair = redis.call('HGET', KEYS[1], ARGV[2])
if not pair then return {'missing'} end
local booked = redis.call('HGET', KEYS[2], ARGV[2])
if booked then return {'booked', pair, booked} end
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return {'stale', pair} end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
queueMessages(KEYS[4], 4)
return {'ok', pair}
`)

// BookPair records that member booked the 1:1 their pair of week with partner suggests, and queues
// msgs (both told), in one script, once per pair. It returns the pair as booked now, or
// *rapport.PairRefused: "booked" when one of the two booked it already (with who), "stale" when a
// later week was paired since, "missing" when the two were not paired that week (or it is no
// longer kept).
func (s *Store) BookPair(ctx context.Context, team, week, member, partner string, now time.Time, msgs []OutboxEntry) (rapport.SuggestedPair, error) {
	op := "book pair " + week
	k := s.keys(team)
	field := pairingField(member, partner)
	args := appendMessages([]any{week, field, member + "|" + strconv.FormatInt(now.UnixMilli(), 10)}, msgs)
	res, err := bookPairScript.Run(ctx, s.rdb, []string{k.pairingWeek(week), k.pairingBooked(week), k.pairingLast(), k.outbox()}, args...).Slice()
	if err != nil {
		return rapport.SuggestedPair{}, fail(op, err)
	}
	code, _ := res[0].(string)
	if code == "missing" {
		a, b, _ := strings.Cut(field, "|")
		return rapport.SuggestedPair{}, &rapport.PairRefused{Reason: code, Pair: rapport.SuggestedPair{Pair: rapport.Pair{A: a, B: b}}}
	}
	raw, _ := res[1].(string)
	var sp rapport.SuggestedPair
	if err := json.Unmarshal([]byte(raw), &sp.Pair); err != nil {
		return rapport.SuggestedPair{}, fail(op, fmt.Errorf("decode pair: %w", err))
	}
	switch code {
	case "ok":
		sp.BookedBy, sp.BookedAt = member, time.UnixMilli(now.UnixMilli())
		return sp, nil
	case "booked":
		booking, _ := res[2].(string)
		sp.BookedBy, sp.BookedAt = decodeBooking(booking)
		return sp, &rapport.PairRefused{Reason: code, Pair: sp}
	case "stale":
		return sp, &rapport.PairRefused{Reason: code, Pair: sp}
	}
	return rapport.SuggestedPair{}, fail(op, fmt.Errorf("unexpected reply %v", res))
}
