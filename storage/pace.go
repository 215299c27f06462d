package storage

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
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
	keys, args := s.paceArgs(team, rapport.PaceRequest{Method: method, Channel: channel, Every: every, Burst: burst})
	ms, err := paceScript.Run(ctx, s.rdb, keys, args...).Int64()
	if err != nil {
		return 0, fail("pace "+method, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// PaceAll is Pace for each of reqs, in order, in one round trip: a slot taken for each that may
// go now (0), the wait of each that may not.
func (s *Store) PaceAll(ctx context.Context, team string, reqs []rapport.PaceRequest) ([]time.Duration, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	for try := 0; ; try++ {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(reqs))
		for i, r := range reqs {
			keys, args := s.paceArgs(team, r)
			cmds[i] = paceScript.EvalSha(ctx, pipe, keys, args...)
		}
		_, err := pipe.Exec(ctx)
		if try == 0 && redis.HasErrorPrefix(err, "NOSCRIPT") { // a Redis that restarted, or never ran it
			if err := paceScript.Load(ctx, s.rdb).Err(); err != nil {
				return nil, fail("pace", err)
			}
			continue
		}
		if err != nil {
			return nil, fail("pace", err)
		}
		waits := make([]time.Duration, len(reqs))
		for i, c := range cmds {
			ms, _ := c.Int64()
			waits[i] = time.Duration(ms) * time.Millisecond
		}
		return waits, nil
	}
}

// paceArgs are paceScript's KEYS and ARGV for r.
func (s *Store) paceArgs(team string, r rapport.PaceRequest) ([]string, []any) {
	k := s.keys(team)
	return []string{k.pace(r.Method, r.Channel), k.paused(r.Method, r.Channel)}, []any{r.Every.Milliseconds(), max(r.Burst, 1)}
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
