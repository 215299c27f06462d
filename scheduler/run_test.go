package scheduler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/scheduler"
)

func redisZ(at time.Time, member string) redis.Z {
	return redis.Z{Score: float64(at.UnixMilli()), Member: member}
}

func TestRun(t *testing.T) {
	f := newFixture(t)
	f.refer(t, "UROB", time.Now().Add(-time.Minute))
	s, err := scheduler.New(f.st, scheduler.Config{
		Team: team, Schedule: "@every 1s",
		Timing: func() rapport.Timing { return timing }, Notices: notify.StageNotices,
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	runCtx, cancel := context.WithCancel(ctx(t))
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()

	// Wait for the first sweep: the ack is claimed and ack2 takes its place.
	deadline := time.Now().Add(5 * time.Second)
	for {
		q := f.queue(t)
		if len(q) == 1 && strings.HasPrefix(q[0], "1:ack2:") {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no sweep within 5 s; queue %v", q)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got := f.nudges(t); len(got) != 1 || got[0] != "nudge.ack 1 UROB" {
		t.Errorf("nudges = %v", got)
	}
}
