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

// rotateTokenKey re-seals every installed workspace's bot token under RAPPORT_TOKEN_KEY, the second
// step of a key rotation: after it, RAPPORT_TOKEN_KEY_OLD can be emptied.
func rotateTokenKey(ctx context.Context, cfg Config, stdout io.Writer) error {
	if cfg.OAuth == nil {
		return fmt.Errorf("rotate-token-key is for HTTP mode's OAuth install: set RAPPORT_MODE=http, SLACK_CLIENT_ID and the variables that go with it")
	}
	rdb, err := storage.Open(cfg.RedisURL, cfg.RedisSentinelMaster)
	if err != nil {
		return err
	}
	defer rdb.Close()
	n, err := storage.New(rdb, storage.WithTokenKeys(cfg.OAuth.Keys)).ResealTokens(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed %d bot tokens under the key %s (RAPPORT_TOKEN_KEY); RAPPORT_TOKEN_KEY_OLD can now be emptied\n",
		n, cfg.OAuth.Keys.CurrentID())
	return nil
}
