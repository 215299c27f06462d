package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// The outbox is a Redis Stream per workspace holding the messages owed to Slack, read through the
// consumer group "senders" (each process its own consumer). An entry leaves the stream only once
// Slack said ok, it is no longer owed, or the sender gave up on it (RecordOutbox, many in one round
// trip); entries are never trimmed.
// A sender keeps a heartbeat while it runs (Heartbeat, outbox_takeover.go): the entries of one whose
// heartbeat is gone are taken over at once, those of one stuck but alive after an idle time
// (ClaimStale).

// Fields of an outbox entry: what to say (kind), about which referral (ref, 0 for none), to whom (to:
// a user or channel ID); a move's entries add rapport.EntryEvent, a claim's rapport.EntryStage, a
// Home refresh with a notice rapport.EntryNotice. The scripts get the same names (ENTRY in luaRules).
const (
	entryKind = "kind"
	entryRef  = "ref"
	entryTo   = "to"
)

// DefaultDeadLetterCap is about how many dead letters a workspace keeps: enough for admins to see
// and send again what a long fault left, bounded so that a fault nobody fixes cannot fill Redis.
const DefaultDeadLetterCap = 10_000

// WithDeadLetterCap keeps about n dead letters per workspace instead of DefaultDeadLetterCap: the
// oldest are trimmed (MAXLEN ~, so a few more may stay). n < 1 keeps the default.
func WithDeadLetterCap(n int) Option {
	return func(s *Store) {
		if n >= 1 {
			s.deadCap = int64(n)
		}
	}
}

// OutboxEntry is one message owed to Slack: its stream ID, Kind (e.g. "referral.received"), Ref
// (the referral it is about, or 0), To (the user or channel it goes to, resolved from its role when
// it was queued) and all its Fields. It is the domain's type, so that the sender declares its store
// interface without importing storage.
type OutboxEntry = rapport.OutboxEntry

// entryValues is e as an outbox stream entry's field/value pairs: kind, ref and to, then its other
// Fields (an entry read from the stream carries those three among its Fields too).
func entryValues(e OutboxEntry) []any {
	vals := make([]any, 0, 6+2*len(e.Fields))
	vals = append(vals, entryKind, e.Kind, entryRef, e.Ref, entryTo, e.To)
	for f, v := range e.Fields {
		if f != entryKind && f != entryRef && f != entryTo {
			vals = append(vals, f, v)
		}
	}
	return vals
}

// queueOnceScript claims a key and queues messages, or does nothing when the key is claimed
// already: a redelivered envelope, a week's digest queued by another replica.
//
// KEYS: 1 the claim, 2 outbox. ARGV: 1 claim value, 2 claim TTL s, then per message the number of
// its field/value pairs followed by the pairs. Returns 1 when it claimed, 0 when it was taken.
var queueOnceScript = redis.NewScript(luaQueueMessages + `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
queueMessages(KEYS[2], 3)
return 1
`)

// luaQueueMessages is queueMessages(stream, i): it adds to stream the messages ARGV holds from its
// i-th value on, as appendMessages writes them (per message the number of its field/value pairs,
// then the pairs).
const luaQueueMessages = `
local function queueMessages(stream, i)
  while i <= #ARGV do
    local n = tonumber(ARGV[i])
    redis.call('XADD', stream, '*', unpack(ARGV, i + 1, i + 2 * n))
    i = i + 2 * n + 1
  end
end
`

// appendMessages appends msgs to a script's ARGV, for luaQueueMessages to read.
func appendMessages(args []any, msgs []OutboxEntry) []any {
	for _, m := range msgs {
		vals := entryValues(m)
		args = append(append(args, len(vals)/2), vals...)
	}
	return args
}

// queueOnceArgs are queueOnceScript's KEYS and ARGV for claiming claim (with value, for ttl) and
// queueing msgs.
func (s *Store) queueOnceArgs(team, claim, value string, ttl time.Duration, msgs []OutboxEntry) ([]string, []any) {
	return []string{claim, s.keys(team).outbox()}, appendMessages([]any{value, int64(ttl / time.Second)}, msgs)
}

// queueOnce claims claim for ttl and queues msgs in one script; it reports false, writing nothing,
// when claim was taken already.
func (s *Store) queueOnce(ctx context.Context, op, team, claim, value string, ttl time.Duration, msgs []OutboxEntry) (bool, error) {
	keys, args := s.queueOnceArgs(team, claim, value, ttl, msgs)
	n, err := queueOnceScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fail(op, err)
	}
	return n == 1, nil
}

// EnqueueMessage adds a message to the outbox outside a script: for tests and for features whose
// message is their only write.
func (s *Store) EnqueueMessage(ctx context.Context, team, kind string, ref int64, to string) (string, error) {
	id, err := s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.keys(team).outbox(),
		Values: []any{entryKind, kind, entryRef, ref, entryTo, to},
	}).Result()
	if err != nil {
		return "", fail("enqueue "+kind, err)
	}
	return id, nil
}

// ReadOutbox reads up to count new entries for consumer, blocking up to block (block <= 0: no
// wait). It returns nil, nil when nothing came. A missing group (a new workspace, or a stream deleted
// by hand) is created from the start of the stream, so nothing already written is skipped.
func (s *Store) ReadOutbox(ctx context.Context, team, consumer string, count int, block time.Duration) ([]OutboxEntry, error) {
	stream := s.keys(team).outbox()
	args := &redis.XReadGroupArgs{
		Group: sendersGroup, Consumer: consumer, Streams: []string{stream, ">"}, Count: int64(count), Block: -1,
	}
	if block > 0 {
		args.Block = block
	}
	res, err := s.rdb.XReadGroup(ctx, args).Result()
	if isNoGroup(err) {
		if err = s.createGroup(ctx, stream); err != nil {
			return nil, fail("read outbox", err)
		}
		res, err = s.rdb.XReadGroup(ctx, args).Result()
	}
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fail("read outbox", err)
	}
	var es []OutboxEntry
	for _, st := range res {
		es = appendEntries(es, st.Messages)
	}
	return es, nil
}

// ClaimStale takes over up to count entries that another consumer read but has not settled for
// minIdle (a crashed or stuck replica), so they are sent by consumer instead.
func (s *Store) ClaimStale(ctx context.Context, team, consumer string, minIdle time.Duration, count int) ([]OutboxEntry, error) {
	if count <= 0 {
		return nil, nil
	}
	stream := s.keys(team).outbox()
	var es []OutboxEntry
	start := "0-0"
	// XAUTOCLAIM scans a bounded part of the pending list per call; a few calls cover any backlog
	// a sender can handle in one pass, and the next pass continues from the start again.
	for range 4 {
		msgs, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: stream, Group: sendersGroup, Consumer: consumer, MinIdle: minIdle,
			Start: start, Count: int64(count - len(es)),
		}).Result()
		if isNoGroup(err) {
			return nil, nil // no group yet: nobody has read anything
		}
		if err != nil {
			return nil, fail("claim stale outbox entries", err)
		}
		es = appendEntries(es, msgs)
		if next == "0-0" || len(es) >= count {
			break
		}
		start = next
	}
	return es, nil
}

// touchScript resets the idle time of the entries consumer still owns and returns the others.
// KEYS: stream. ARGV: group, consumer, ids…
var touchScript = redis.NewScript(`
local lost = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p == 1 and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
`)

// TouchOutbox tells the group that consumer still holds ids (read, waiting for a rate limit or a
// retry), so that no replica's ClaimStale takes them over while they wait. It returns the ids
// consumer no longer owns (another consumer claimed them, or they are gone): those are not its to
// send any more. One round trip.
func (s *Store) TouchOutbox(ctx context.Context, team, consumer string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, sendersGroup, consumer)
	for _, id := range ids {
		args = append(args, id)
	}
	lost, err := touchScript.Run(ctx, s.rdb, []string{s.keys(team).outbox()}, args...).StringSlice()
	if isNoGroup(err) {
		return ids, nil // the group, and with it every claim, is gone
	}
	if err != nil {
		return nil, fail("touch outbox entries", err)
	}
	return lost, nil
}

// Delivered reports whether entry id is settled, so that it must not be posted (again): a sender
// checks it before posting an entry it claimed from another. An entry leaves the stream only in the
// step that settles it (RecordOutbox: Slack said ok, it is no longer owed, or it was given up on),
// so an entry no longer in the stream is settled, for as long as the stream lives, with no key of
// its own.
func (s *Store) Delivered(ctx context.Context, team, id string) (bool, error) {
	msgs, err := s.rdb.XRangeN(ctx, s.keys(team).outbox(), id, id, 1).Result()
	if err != nil {
		return false, fail("check delivered "+id, err)
	}
	return len(msgs) == 0, nil
}

// deadOnceLua moves an entry still in the outbox to the dead stream (the newest ARGV[2] kept).
//
// KEYS: 1 outbox, 2 dead. ARGV: 1 entry ID, 2 the dead stream's cap, 3.. its field/value pairs.
const deadOnceLua = `
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
return 1
`

// recordBatch bounds the outcomes of one RecordOutbox round trip (and so the size of its MULTI).
const recordBatch = 500

// RecordOutbox writes what became of entries for good, in one MULTI/EXEC round trip per
// recordBatch of them: each delivered one's place (channel and ts) under its slot of its referral,
// when it has one, so that a later change can update the message in place; each given-up one to the
// dead stream with its reason (the newest deadCap kept, WithDeadLetterCap); and every entry
// acknowledged and removed from the outbox, which is what Delivered reads. Writing an outcome again
// changes nothing (a dead letter is added only while its entry is still in the outbox), so a write
// whose answer was lost can be tried again.
func (s *Store) RecordOutbox(ctx context.Context, team string, outs []rapport.OutboxOutcome) error {
	k := s.keys(team)
	for len(outs) > 0 {
		batch := outs[:min(len(outs), recordBatch)]
		outs = outs[len(batch):]
		ids := make([]string, len(batch))
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for i, o := range batch {
				ids[i] = o.Entry.ID
				switch {
				case o.Dead != "":
					// Dead-lettered only while still in the outbox: a write tried again after a lost
					// answer adds no second dead letter. EVAL, not EVALSHA: a NOSCRIPT inside the
					// MULTI would lose the letter while the XDEL below still ran.
					vals := append(entryValues(o.Entry), deadEntry, o.Entry.ID, deadReason, o.Dead, deadTime, s.now().UnixMilli())
					p.Eval(ctx, deadOnceLua, []string{k.outbox(), k.dead()}, append([]any{o.Entry.ID, s.deadCap}, vals...)...)
				case o.Slot != "" && o.Entry.Ref > 0:
					p.HSet(ctx, k.ref(o.Entry.Ref), o.Slot, o.Channel+"|"+o.TS)
				}
			}
			p.XAck(ctx, k.outbox(), sendersGroup, ids...)
			p.XDel(ctx, k.outbox(), ids...)
			return nil
		})
		if err != nil {
			return fail(fmt.Sprintf("record %d outbox entries", len(batch)), err)
		}
	}
	return nil
}

// Pending returns how many messages the outbox holds (unread or unsettled).
func (s *Store) Pending(ctx context.Context, team string) (int64, error) {
	n, err := s.rdb.XLen(ctx, s.keys(team).outbox()).Result()
	if err != nil {
		return 0, fail("outbox length", err)
	}
	return n, nil
}

// OutboxBacklog is what the outboxes of some teams owe Slack: the messages not yet delivered
// (read or not), and when the oldest of them was queued (zero when there is none).
type OutboxBacklog struct {
	Pending int64
	Oldest  time.Time
}

// Backlog reads the outboxes of teams in one pipeline (on a cluster, one round trip per node):
// per team XLEN and the stream's first entry (XRANGE - + COUNT 1), whose ID is the Unix ms at
// which Redis queued it. A delivered entry leaves the stream in the step that records it
// (RecordOutbox), so the first entry is the oldest one still owed. Neither command walks the
// stream: the cost is the same for 10 or 10 million messages.
func (s *Store) Backlog(ctx context.Context, teams []string) (OutboxBacklog, error) {
	lens := make([]*redis.IntCmd, len(teams))
	firsts := make([]*redis.XMessageSliceCmd, len(teams))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, team := range teams {
			k := s.keys(team).outbox()
			lens[i] = p.XLen(ctx, k)
			firsts[i] = p.XRangeN(ctx, k, "-", "+", 1)
		}
		return nil
	})
	if err != nil {
		return OutboxBacklog{}, fail("outbox backlog", err)
	}
	var b OutboxBacklog
	for i := range teams {
		b.Pending += lens[i].Val()
		if msgs := firsts[i].Val(); len(msgs) > 0 {
			at, ok := rapport.QueuedAt(msgs[0].ID)
			if !ok {
				return OutboxBacklog{}, fail("outbox backlog", fmt.Errorf("entry ID %q", msgs[0].ID))
			}
			if b.Oldest.IsZero() || at.Before(b.Oldest) {
				b.Oldest = at
			}
		}
	}
	return b, nil
}

// DeadCount returns how many messages were given up on.
func (s *Store) DeadCount(ctx context.Context, team string) (int64, error) {
	n, err := s.rdb.XLen(ctx, s.keys(team).dead()).Result()
	if err != nil {
		return 0, fail("dead letters length", err)
	}
	return n, nil
}

func (s *Store) createGroup(ctx context.Context, stream string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, stream, sendersGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create outbox group: %w", err)
	}
	return nil
}

func isNoGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOGROUP") }

// appendEntries converts stream messages; entries deleted while pending (no fields) are skipped.
func appendEntries(es []OutboxEntry, msgs []redis.XMessage) []OutboxEntry {
	for _, m := range msgs {
		if len(m.Values) == 0 {
			continue
		}
		e := OutboxEntry{ID: m.ID, Fields: make(map[string]string, len(m.Values))}
		for f, v := range m.Values {
			e.Fields[f] = fmt.Sprint(v)
		}
		e.Kind, e.To = e.Fields[entryKind], e.Fields[entryTo]
		e.Ref, _ = strconv.ParseInt(e.Fields[entryRef], 10, 64)
		es = append(es, e)
	}
	return es
}
