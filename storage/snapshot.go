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
func (s *Store) Snapshot(ctx context.Context, team string, refs []int64, homes []string, month rapport.Period, asks bool) (rapport.Snapshot, error) {
	snap := rapport.Snapshot{Timelines: make(map[int64]rapport.TimelineRead, len(refs)), Homes: make(map[string]rapport.HomeRead, len(homes))}
	if len(refs) == 0 && len(homes) == 0 && !asks {
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
		var asksCmd *redis.Cmd
		if asks {
			asksCmd = asksOfReceiversScript.EvalSha(ctx, pipe, []string{k.asks(), k.members()})
		}
		_, err := pipe.Exec(ctx)
		var reply redis.Error
		if err != nil && !errors.As(err, &reply) {
			return rapport.Snapshot{}, fail("snapshot", err)
		}
		// A Redis that restarted, or never ran the scripts: load those it lacks, and read again.
		var missing []*redis.Script
		if noScript(homeCmds) {
			missing = append(missing, homeScript)
		}
		if asksCmd != nil && redis.HasErrorPrefix(asksCmd.Err(), "NOSCRIPT") {
			missing = append(missing, asksOfReceiversScript)
		}
		if try == 0 && len(missing) > 0 {
			for _, sc := range missing {
				if err := sc.Load(ctx, s.rdb).Err(); err != nil {
					return rapport.Snapshot{}, fail("snapshot", err)
				}
			}
			continue
		}
		if asksCmd != nil {
			snap.AsksRead = true
			snap.Asks, snap.AsksErr = decodeAsksOfReceivers(asksCmd.StringSlice())
		}
		for n, read := range timelines {
			ref, evs, err := read()
			snap.Timelines[n] = rapport.TimelineRead{Referral: ref, Events: evs, Err: err}
		}
		for u, c := range homeCmds {
			res, err := c.Slice()
			d, err := decodeHome(u, s.currencyOf(team), res, err)
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
