package redistest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport/storage/redistest"
)

// TestUsage: what the benchmarks read of Redis's own accounts: commands counted once each with
// their time, the main thread's CPU growing, and the slow log naming a script by its first key.
func TestUsage(t *testing.T) {
	srv := redistest.StartOwn(t)
	c, p := srv.Client(t), srv.Prefix(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := redistest.WatchSlow(ctx, c, 0); err != nil {
		t.Fatal(err)
	}
	cpu0, err := redistest.CPU(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	before, err := redistest.CommandStats(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if err := c.Set(ctx, p+":k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	script := redis.NewScript(`return redis.call('GET', KEYS[1])`)
	if err := script.Run(ctx, c, []string{p + ":k"}).Err(); err != nil {
		t.Fatal(err)
	}
	after, err := redistest.CommandStats(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if n := after["set"].Calls - before["set"].Calls; n != 100 {
		t.Errorf("SET counted %d times, want 100", n)
	}
	top := redistest.TopCommands(before, after, 100, 10)
	if !slices.ContainsFunc(top, func(l string) bool { return strings.HasPrefix(l, "set ") && strings.Contains(l, " 1.00 calls/op") }) {
		t.Errorf("TopCommands = %q, want SET once per op", top)
	}
	if cpu1, err := redistest.CPU(ctx, c); err != nil || cpu1 <= cpu0 {
		t.Errorf("CPU went from %v to %v (%v), want more", cpu0, cpu1, err)
	}
	slow, err := redistest.Slowest(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var sets, scripts int
	for _, s := range slow {
		switch s.What {
		case "set " + p + ":k":
			sets++
		case "evalsha " + p + ":k", "eval " + p + ":k":
			scripts++
		case "info", "config", "slowlog":
			t.Errorf("the measuring's own %q is listed", s.What)
		}
	}
	if sets != 100 || scripts == 0 {
		t.Errorf("Slowest lists %d SETs and %d scripts, want 100 and 1:\n%v", sets, scripts, slow)
	}
}
