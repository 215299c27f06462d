package redistest

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ServerTime reads INFO commandstats and returns the microseconds Redis spent on top-level
// commands: the scripts' (EVAL, EVALSHA, FCALL: the commands they call inside are counted in
// them) and, when no script ran, every command's; on a cluster, summed over its masters. The
// difference of two readings is the Redis time of what ran between them (exact while only the code
// measured uses that Redis, and either all of it runs in scripts or none of it does).
func ServerTime(ctx context.Context, rdb redis.UniversalClient) (scripts, all int64, err error) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return serverTime(ctx, rdb)
	}
	var mu sync.Mutex
	err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		s, a, err := serverTime(ctx, c)
		mu.Lock()
		scripts, all = scripts+s, all+a
		mu.Unlock()
		return err
	})
	return scripts, all, err
}

func serverTime(ctx context.Context, rdb redis.UniversalClient) (scripts, all int64, err error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		var usec int64
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "usec="); ok {
				usec, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		switch strings.TrimPrefix(name, "cmdstat_") {
		case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
			scripts += usec
		}
		all += usec
	}
	return scripts, all, nil
}
