package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// A sender's heartbeat is a key with a short TTL (alive:<consumer>) that it renews while it runs. A
// process that dies stops renewing it, and the key's expiry, on Redis's clock, tells every other
// sender within the TTL: the next heartbeat of any of them takes the dead sender's pending entries
// over at once, instead of after the idle reclaim (ClaimStale), and deletes the dead consumer from
// the group once it holds nothing. A restarted process is a new consumer (host-pid-random), so it
// takes its former self's entries over the same way.

// maxTakeOver bounds the entries one heartbeat takes over (the script's XCLAIM and its reply).
const maxTakeOver = 1000

// heartbeatScript renews the caller's heartbeat; then, for each other consumer of the group whose
// heartbeat is gone, it claims for the caller that consumer's pending entries (oldest first, up to
// the count left) and deletes it from the group once it holds none. It returns {entries as XCLAIM
// replies them, consumers deleted, 1 if the caller's heartbeat had expired before this renewal
// (or never was) else 0}. Consumers' heartbeats are built with aliveKey: their names come from the
// group.
// KEYS: stream, the caller's heartbeat. ARGV: team base, group, caller, ttl ms, count.
var heartbeatScript = redis.NewScript(luaKeys + `
local stream, group, me = KEYS[1], ARGV[2], ARGV[3]
local lapsed = redis.call('SET', KEYS[2], '1', 'PX', ARGV[4], 'GET') and 0 or 1
local consumers = redis.pcall('XINFO', 'CONSUMERS', stream, group)
if consumers.err then
  if string.sub(consumers.err, 1, 7) == 'NOGROUP' or string.find(consumers.err, 'no such key', 1, true) then
    return {{}, {}, lapsed} -- no stream or no group yet: nobody holds anything
  end
  return consumers
end
local budget = tonumber(ARGV[5])
local taken, left = {}, {}
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  local name, pending = info['name'], tonumber(info['pending'])
  if name ~= me and redis.call('EXISTS', aliveKey(name)) == 0 then
    if pending > 0 and budget > 0 then
      local ids = {}
      for i, p in ipairs(redis.call('XPENDING', stream, group, '-', '+', math.min(budget, pending), name)) do
        ids[i] = p[1]
      end
      if #ids > 0 then
        -- Each id leaves the dead consumer: claimed, or dropped from the group if it was deleted.
        for _, m in ipairs(redis.call('XCLAIM', stream, group, me, 0, unpack(ids))) do taken[#taken + 1] = m end
      end
      budget, pending = budget - #ids, pending - #ids
    end
    if pending == 0 then
      redis.call('XGROUP', 'DELCONSUMER', stream, group, name)
      left[#left + 1] = name
    end
  end
end
return {taken, left, lapsed}
`)

// Heartbeat tells the outbox's group that consumer is running for ttl more, and takes over for it up
// to count entries pending for consumers whose heartbeat is gone: processes that died, this one's
// former self before a restart, or a sender of a version without heartbeats. It returns the
// entries it took (their delivery count raised, as a reclaim raises it), oldest first for each
// consumer, the consumers it deleted from the group because they hold nothing any more, and
// whether consumer's own heartbeat had expired before this beat renewed it (or never was): then
// other senders may have taken its entries over meanwhile. A sender beats every second or so with
// a ttl of a few; count 0 only beats and tidies the group. One round trip.
func (s *Store) Heartbeat(ctx context.Context, team, consumer string, ttl time.Duration, count int) (taken []OutboxEntry, left []string, lapsed bool, err error) {
	if ttl < time.Millisecond {
		return nil, nil, false, fail("outbox heartbeat", fmt.Errorf("ttl %v: want at least 1ms", ttl))
	}
	k := s.keys(team)
	res, err := heartbeatScript.Run(ctx, s.rdb, []string{k.outbox(), k.alive(consumer)},
		k.base, sendersGroup, consumer, ttl.Milliseconds(), min(max(count, 0), maxTakeOver)).Slice()
	if err != nil {
		return nil, nil, false, fail("outbox heartbeat", err)
	}
	msgs, left, err := takeoverReply(res)
	if err != nil {
		return nil, nil, false, fail("outbox heartbeat", err)
	}
	lapsedN, _ := res[2].(int64)
	return appendEntries(nil, msgs), left, lapsedN == 1, nil
}

// takeoverReply reads heartbeatScript's reply.
func takeoverReply(res []any) ([]redis.XMessage, []string, error) {
	if len(res) != 3 {
		return nil, nil, fmt.Errorf("heartbeat reply %v: want 3 parts", res)
	}
	entries, _ := res[0].([]any)
	names, _ := res[1].([]any)
	msgs := make([]redis.XMessage, 0, len(entries))
	for _, e := range entries {
		m, ok := e.([]any)
		if !ok || len(m) != 2 {
			return nil, nil, fmt.Errorf("heartbeat reply: entry %v", e)
		}
		id, _ := m[0].(string)
		kv, _ := m[1].([]any) // nil for an entry deleted while pending
		if id == "" || len(kv)%2 != 0 {
			return nil, nil, fmt.Errorf("heartbeat reply: entry %v", e)
		}
		values := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			values[fmt.Sprint(kv[i])] = kv[i+1]
		}
		msgs = append(msgs, redis.XMessage{ID: id, Values: values})
	}
	var left []string
	for _, n := range names {
		left = append(left, fmt.Sprint(n))
	}
	return msgs, left, nil
}
