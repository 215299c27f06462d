package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport/handlers"
	"github.com/rapportbot/rapport/storage"
)

// rebuildAggregates recomputes team's aggregates (storage.RebuildAggregates) in the group's zone:
// the environment's, or the one an admin set.
func rebuildAggregates(ctx context.Context, cfg Config, team string, stdout io.Writer) error {
	rdb, err := storage.Open(cfg.RedisURL, cfg.RedisSentinelMaster)
	if err != nil {
		return err
	}
	defer rdb.Close()
	st := storage.New(rdb)
	set := handlers.NewSettings(st, team, cfg.Settings(), time.Now, zap.NewNop())
	if err := set.Refresh(ctx); err != nil {
		return err
	}
	start := time.Now()
	n, err := st.RebuildAggregates(ctx, team, set.Snapshot().TimeZone)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rebuilt the aggregates of %s from %d referrals in %s\n", team, n, time.Since(start).Round(time.Millisecond))
	return nil
}
