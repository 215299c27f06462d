package storage

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
)

// Snapshot reads in one round trip what a batch of outbox entries is drawn from: the referrals refs
// with their timelines (as Timeline reads them) and the App Homes of members homes (as HomeData
// reads them, with the numbers of month), each with the error of its own read. The error returned
// is the round trip's: Redis was not reached, or did not answer.
func (s *Store) Snapshot(ctx context.Context, team string, refs []int64, homes []string, month rapport.Period) (rapport.Snapshot, error) {
	snap := rapport.Snapshot{Timelines: make(map[int64]rapport.TimelineRead, len(refs)), Homes: make(map[string]rapport.HomeRead, len(homes))}
	if len(refs) == 0 && len(homes) == 0 {
		return snap, nil
	}
	k := s.keys(team)
	for try := 0; ; try++ {
		pipe := s.rdb.Pipeline()
		timelines := make(map[int64]func() (rapport.Referral, []rapport.Event, error), len(refs))
		for _, n := range refs {
			timelines[n] = s.queueTimeline(ctx, pipe, team, n)
		}
		homeCmds := make(map[string]*redis.Cmd, len(homes))
		for _, u := range homes {
			keys, args := homeArgs(k, u, month)
			homeCmds[u] = homeScript.EvalSha(ctx, pipe, keys, args...)
		}
		_, err := pipe.Exec(ctx)
		var reply redis.Error
		if err != nil && !errors.As(err, &reply) {
			return rapport.Snapshot{}, fail("snapshot", err)
		}
		if try == 0 && noScript(homeCmds) { // a Redis that restarted, or never ran the script
			if err := homeScript.Load(ctx, s.rdb).Err(); err != nil {
				return rapport.Snapshot{}, fail("snapshot", err)
			}
			continue
		}
		for n, read := range timelines {
			ref, evs, err := read()
			snap.Timelines[n] = rapport.TimelineRead{Referral: ref, Events: evs, Err: err}
		}
		for u, c := range homeCmds {
			res, err := c.Slice()
			d, err := decodeHome(u, res, err)
			snap.Homes[u] = rapport.HomeRead{Data: d, Err: err}
		}
		return snap, nil
	}
}

// noScript reports whether any of cmds found its script not loaded.
func noScript(cmds map[string]*redis.Cmd) bool {
	for _, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			return true
		}
	}
	return false
}
