package storage

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// StaleOpen returns the numbers of the open referrals whose last event is before until, the stalest
// first, at most limit: the referrals expiry closes (rule 15). It reads the open index, so its cost
// follows the page, not the history.
func (s *Store) StaleOpen(ctx context.Context, team string, until time.Time, limit int) ([]int64, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.keys(team).open(), &redis.ZRangeBy{
		Min: "-inf", Max: "(" + strconv.FormatInt(until.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fail("stale open referrals", err)
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}
