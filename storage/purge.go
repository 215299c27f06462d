package storage

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// purgeSlice is how many keys one SCAN step asks for and one UNLINK deletes: a slice of the purge
// holds Redis well under a millisecond whatever the team's size.
const purgeSlice = 100

// purgeTeams is how many due teams one PurgeUninstalled call takes from the queue.
const purgeTeams = 10

// unlinkScript deletes a slice of an uninstalled team's keys, but only while the team is still
// uninstalled and past its deadline: a re-install between two slices stops the purge, and keeps
// what the earlier slices left. The install hash goes last, in a call of its own.
//
// KEYS: 1 install, 2… the slice (same slot). ARGV: 1 now (Unix ms), 2 "1" to delete the install
// hash as well. Returns the keys deleted, or -1 when the team must not be purged.
var unlinkScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  local f = redis.call('HMGET', KEYS[1], '` + instUninstalledAt + `', '` + instPurgeAt + `')
  if not f[1] or not f[2] or tonumber(f[2]) > tonumber(ARGV[1]) then return -1 end
end
local n = 0
if #KEYS > 1 then n = redis.call('UNLINK', unpack(KEYS, 2)) end
if ARGV[2] == '1' then n = n + redis.call('UNLINK', KEYS[1]) end
return n
`)

// Purged is what one PurgeUninstalled pass did.
type Purged struct {
	Teams []string // teams whose data is gone
	Keys  int      // keys deleted
}

// PurgeUninstalled deletes the data of up to purgeTeams teams whose retention after an uninstall
// ended by now. Each team's keys are found by SCAN on its hash-tagged pattern (on every master of a
// cluster), COUNT purgeSlice at a time, and each slice deleted by UNLINK in a short script that
// first checks the team is still uninstalled and due; the install hash goes last, then the queue
// entry, so a pass cut short resumes on the next. A re-installed team leaves the queue untouched,
// and a team whose record says a later deadline is requeued at it. Call it from a periodic job.
func (s *Store) PurgeUninstalled(ctx context.Context, now time.Time) (Purged, error) {
	const op = "purge uninstalled teams"
	var out Purged
	due, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: s.purgeKey(), Start: "-inf",
		Stop: now.UnixMilli(), ByScore: true, Count: purgeTeams}).Result()
	if err != nil {
		return out, fail(op, err)
	}
	for _, z := range due {
		team, _ := z.Member.(string)
		if checkTeam(team) != nil {
			if err := s.rdb.ZRem(ctx, s.purgeKey(), team).Err(); err != nil {
				return out, fail(op, err)
			}
			continue
		}
		n, gone, err := s.purgeTeam(ctx, team, now)
		out.Keys += n
		if err != nil {
			return out, fail(op+": "+team, err)
		}
		if gone {
			out.Teams = append(out.Teams, team)
		}
	}
	return out, nil
}

// purgeTeam deletes team's keys if its record still says so, and settles its queue entry.
func (s *Store) purgeTeam(ctx context.Context, team string, now time.Time) (deleted int, gone bool, err error) {
	k := s.keys(team)
	f, err := s.rdb.HMGet(ctx, k.install(), instUninstalledAt, instPurgeAt).Result()
	if err != nil {
		return 0, false, err
	}
	uninstalled, _ := f[0].(string)
	purgeAt, _ := f[1].(string)
	exists := f[0] != nil || f[1] != nil
	if !exists {
		exists, err = s.exists(ctx, k.install())
		if err != nil {
			return 0, false, err
		}
	}
	switch {
	case exists && (uninstalled == "" || purgeAt == ""):
		// Re-installed since: nothing to delete.
		return 0, false, s.rdb.ZRem(ctx, s.purgeKey(), team).Err()
	case exists && msTime(purgeAt).After(now):
		return 0, false, s.rdb.ZAdd(ctx, s.purgeKey(), redis.Z{Score: float64(msTime(purgeAt).UnixMilli()), Member: team}).Err()
	}
	// Due, or its record already gone (a pass that stopped after it): delete what is left.
	install := k.install()
	err = s.scanTeam(ctx, k.base, func(ctx context.Context, batch []string) error {
		n, err := unlinkScript.Run(ctx, s.rdb, append([]string{install}, batch...), now.UnixMilli(), 0).Int()
		if err != nil {
			return err
		}
		if n < 0 {
			return errStopPurge
		}
		deleted += n
		return nil
	}, install)
	if errors.Is(err, errStopPurge) {
		return deleted, false, s.rdb.ZRem(ctx, s.purgeKey(), team).Err()
	}
	if err != nil {
		return deleted, false, err
	}
	n, err := unlinkScript.Run(ctx, s.rdb, []string{install}, now.UnixMilli(), 1).Int()
	if err != nil {
		return deleted, false, err
	}
	if n < 0 {
		return deleted, false, s.rdb.ZRem(ctx, s.purgeKey(), team).Err()
	}
	deleted += n
	return deleted, true, s.rdb.ZRem(ctx, s.purgeKey(), team).Err()
}

var errStopPurge = errors.New("team re-installed during its purge")

func (s *Store) exists(ctx context.Context, key string) (bool, error) {
	n, err := s.rdb.Exists(ctx, key).Result()
	return n == 1, err
}

// scanTeam calls each with the keys under base (a team's "<prefix>:{T}:"), purgeSlice at a time,
// leaving out skip: SCAN on the one server, or on every master of a cluster, since a command without
// a key reaches one node only (a team's slot lives on one master, but may be moving between two).
// The slices go through the store's client, which routes them to the slot's master.
func (s *Store) scanTeam(ctx context.Context, base string, each func(ctx context.Context, batch []string) error, skip string) error {
	pattern := globEscape(base) + "*"
	var mu sync.Mutex // each runs one slice at a time, whichever master found it
	scan := func(ctx context.Context, node redis.UniversalClient) error {
		var cursor uint64
		for {
			ks, next, err := node.Scan(ctx, cursor, pattern, purgeSlice).Result()
			if err != nil {
				return err
			}
			batch := ks[:0]
			for _, key := range ks {
				if key != skip {
					batch = append(batch, key)
				}
			}
			if len(batch) > 0 {
				mu.Lock()
				err = each(ctx, batch)
				mu.Unlock()
				if err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return scan(ctx, node) })
	}
	return scan(ctx, s.rdb)
}

// globEscape quotes the characters SCAN's MATCH treats as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
