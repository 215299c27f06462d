package storage

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// walkSlice bounds how many referrals one step of a long read (an export, the digest's facts)
// reads. A step is two round trips of plain commands, never a script: the slice of the index
// (ZRANGEBYSCORE … LIMIT), then a pipeline reading each referral of it. Each command is short, and
// Redis serves other clients between them, so a read of any length never holds Redis (which
// answers no one while one command or script runs) for more than one referral's read. Reading a
// referral inside a script costs several times more than the command itself, and a few hundred of
// them in one script already came near 5 ms.
const walkSlice = 500

// cursor is where a walk of an index stands between steps: from score min (Redis's range syntax:
// inclusive "123", exclusive "(123", "-inf"), skipping the first skip members scored exactly at
// (those already read that share the last score read). A zset orders members of equal score by
// member, so (score, count read at that score) names a place in it.
//
// What a concurrent change does: a member added behind the cursor (a referral created or closed
// during the walk within its range) is read when the walk reaches it; one added before the cursor
// is not; each referral is read as it is when its slice is read (one command each, so never half
// written). A member added or removed at exactly the cursor's score (another referral of the same
// millisecond) may make the walk read one member there twice or skip one.
type cursor struct {
	min  string
	at   float64 // the score of min once the walk has read something
	skip int64
	read bool
}

// walk reads index's members scored in [min, max] in slices of walkSlice, oldest first, calling
// each with the members of a slice.
func (s *Store) walk(ctx context.Context, index, min, max string, each func(ids []string) error) error {
	c := cursor{min: min}
	for {
		zs, err := s.rdb.ZRangeByScoreWithScores(ctx, index, &redis.ZRangeBy{
			Min: c.min, Max: max, Offset: c.skip, Count: walkSlice}).Result()
		if err != nil {
			return err
		}
		ids := make([]string, len(zs))
		for i, z := range zs {
			ids[i], _ = z.Member.(string)
		}
		if err := each(ids); err != nil {
			return err
		}
		if len(zs) < walkSlice {
			return nil
		}
		last := zs[len(zs)-1].Score
		var tie int64
		for i := len(zs) - 1; i >= 0 && zs[i].Score == last; i-- {
			tie++
		}
		if c.read && last == c.at {
			c.skip += tie
		} else {
			c.skip = tie
		}
		c.at, c.min, c.read = last, strconv.FormatFloat(last, 'f', -1, 64), true
	}
}
