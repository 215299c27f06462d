package redistest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// CommandStat is one line of INFO commandstats: how often a command ran and the microseconds it took.
type CommandStat struct{ Calls, Usec int64 }

// CommandStats reads INFO commandstats, by command name in lower case. A command a script or a
// MULTI ran is counted on its own line and again in the EVALSHA or EXEC that ran it: summing every
// line counts it twice.
func CommandStats(ctx context.Context, rdb redis.UniversalClient) (map[string]CommandStat, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]CommandStat{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		var st CommandStat
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "calls":
				st.Calls, _ = strconv.ParseInt(v, 10, 64)
			case "usec":
				st.Usec, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		out[strings.TrimPrefix(name, "cmdstat_")] = st
	}
	return out, nil
}

// TopCommands is the change from before to after of the n commands that took most time, one line
// each with its calls and microseconds per op (ops of what ran between the readings): where Redis's
// time went.
func TopCommands(before, after map[string]CommandStat, ops, n int) []string {
	type row struct {
		name string
		d    CommandStat
	}
	var rows []row
	for name, a := range after {
		if d := (CommandStat{a.Calls - before[name].Calls, a.Usec - before[name].Usec}); d.Calls > 0 {
			rows = append(rows, row{name, d})
		}
	}
	slices.SortFunc(rows, func(x, y row) int { return cmp.Compare(y.d.Usec, x.d.Usec) })
	var out []string
	for _, r := range rows[:min(n, len(rows))] {
		out = append(out, fmt.Sprintf("%-12s %6.2f calls/op %8.1f µs/op", r.name,
			float64(r.d.Calls)/float64(ops), float64(r.d.Usec)/float64(ops)))
	}
	return out
}

// ServerTime reads INFO commandstats and returns the microseconds Redis spent on top-level
// commands: the scripts' (EVAL, EVALSHA, FCALL: the commands they call inside are counted in
// them) and, when no script ran, every command's; on a cluster, summed over its masters. The
// difference of two readings is the Redis time of what ran between them (exact while only the code
// measured uses that Redis, and either all of it runs in scripts or none of it does: CPU measures
// a mix).
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
	stats, err := CommandStats(ctx, rdb)
	if err != nil {
		return 0, 0, err
	}
	for name, st := range stats {
		switch name {
		case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
			scripts += st.Usec
		}
		all += st.Usec
	}
	return scripts, all, nil
}

// CPU is the processor time Redis's main thread has used (INFO cpu, user and system): every
// command once, with the reading of requests and the writing of replies that commandstats leaves
// out. The difference of two readings is what ran between them costs Redis, whatever mix of
// scripts, MULTIs and single commands it was (plus Redis's own housekeeping, about 0.1 % of a core).
func CPU(ctx context.Context, rdb redis.UniversalClient) (time.Duration, error) {
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	var secs float64
	found := 0
	for _, line := range strings.Split(info, "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (name == "used_cpu_user_main_thread" || name == "used_cpu_sys_main_thread") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("INFO cpu %s: %w", name, err)
			}
			secs += f
			found++
		}
	}
	if found != 2 {
		return 0, fmt.Errorf("INFO cpu: no main thread times (Redis 6.2 or newer has them)")
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// InfoInt is the whole-number field of INFO section (connected_clients of "clients",
// total_commands_processed of "stats").
func InfoInt(ctx context.Context, rdb redis.UniversalClient, section, field string) (int64, error) {
	info, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO %s: no %s", section, field)
}
