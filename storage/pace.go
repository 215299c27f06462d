package storage

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pacing shares Slack's rate limits among every replica: each budget (a method, or a method and a
// channel) is a GCRA cell in Redis holding its theoretical arrival time, and a 429 from Slack is a
// pause key that lives as long as Slack's Retry-After. Redis's clock decides, so replicas whose
// clocks differ still agree.

func budget(method, channel string) string {
	if channel == "" {
		return method
	}
	return method + ":" + channel
}

// paceScript answers how many milliseconds to wait (0: go, and the slot is taken).
// KEYS: cell, pause. ARGV: emission interval ms (0: pauses only), burst.
var paceScript = redis.NewScript(`
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local every = tonumber(ARGV[1])
if every <= 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - (tonumber(ARGV[2]) - 1) * every
if wait > 0 then return wait end
tat = tat + every
redis.call('SET', KEYS[1], tat, 'PX', tat - now)
return 0
`)

// Pace takes a slot of the budget of method (to channel; "" for one budget per workspace) that
// allows one call every `every` with bursts of burst, for every replica together. It returns 0 when
// the call may go now, or how long to wait before asking again (a pause from Pause included);
// waiting takes no slot. every <= 0 only honours pauses. One round trip.
func (s *Store) Pace(ctx context.Context, team, method, channel string, every time.Duration, burst int) (time.Duration, error) {
	k := s.keys(team)
	if burst < 1 {
		burst = 1
	}
	ms, err := paceScript.Run(ctx, s.rdb, []string{k.pace(method, channel), k.paused(method, channel)},
		every.Milliseconds(), burst).Int64()
	if err != nil {
		return 0, fail("pace "+method, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Pause holds every replica's calls of method (to channel, "" for the whole workspace) for d: what
// Slack's 429 with Retry-After asks. Pace answers with the rest of the pause until it ends.
func (s *Store) Pause(ctx context.Context, team, method, channel string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if err := s.rdb.Set(ctx, s.keys(team).paused(method, channel), 1, d).Err(); err != nil {
		return fail("pause "+method, err)
	}
	return nil
}
