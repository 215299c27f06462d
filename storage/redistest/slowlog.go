package redistest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// WatchSlow empties Redis's SLOWLOG and has it record, from now on, every command that runs
// longer than over (up to 100,000 of them: with over 0, every command of a benchmark), for a benchmark that checks nothing holds Redis up:
// Slowest reads them back. It changes the server's settings: use it on a server of the test's own
// (Server.Own).
func WatchSlow(ctx context.Context, rdb redis.UniversalClient, over time.Duration) error {
	if err := rdb.ConfigSet(ctx, "slowlog-log-slower-than", strconv.FormatInt(over.Microseconds(), 10)).Err(); err != nil {
		return err
	}
	if err := rdb.ConfigSet(ctx, "slowlog-max-len", "100000").Err(); err != nil {
		return err
	}
	return rdb.SlowLogReset(ctx).Err()
}

// Slow is a command SLOWLOG recorded: how long it ran, and what it was (its name and the first key
// it names: a script by its first key).
type Slow struct {
	Took time.Duration
	What string
}

// Slowest returns what SLOWLOG holds, longest first, without the measuring's own commands (INFO,
// CONFIG, SLOWLOG).
func Slowest(ctx context.Context, rdb redis.UniversalClient) ([]Slow, error) {
	logs, err := rdb.SlowLogGet(ctx, -1).Result()
	if err != nil {
		return nil, err
	}
	var out []Slow
	for _, l := range logs {
		if len(l.Args) == 0 {
			continue
		}
		name := strings.ToLower(l.Args[0])
		switch name {
		case "info", "config", "slowlog":
			continue
		}
		what := name
		switch {
		case (name == "evalsha" || name == "eval" || name == "fcall") && len(l.Args) > 3 && l.Args[2] != "0":
			what += " " + l.Args[3]
		case name != "evalsha" && name != "eval" && name != "fcall" && len(l.Args) > 1:
			what += " " + l.Args[1]
		}
		out = append(out, Slow{Took: l.Duration, What: what})
	}
	slices.SortFunc(out, func(a, b Slow) int { return cmp.Compare(b.Took, a.Took) })
	return out, nil
}

func (s Slow) String() string { return fmt.Sprintf("%v %s", s.Took, s.What) }
