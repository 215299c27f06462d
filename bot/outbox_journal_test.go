package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
)

// blipStore is the outbox's Redis with a blip that refuses to record deliveries while it lasts;
// everything else (reads, heartbeats) still works, as after a failover mid-write.
type blipStore struct {
	*storage.Store
	down    atomic.Bool
	refused atomic.Int64 // records refused so far
}

func (b *blipStore) RecordOutbox(ctx context.Context, team string, outs []rapport.OutboxOutcome) error {
	if b.down.Load() {
		b.refused.Add(1)
		return &rapport.Error{Code: rapport.EUNAVAILABLE, Op: "record outbox", Err: errors.New("connection reset by peer")}
	}
	return b.Store.RecordOutbox(ctx, team, outs)
}

// TestDeliveryRecordOutlivesShutdown: a message Slack accepted whose record Redis refused is never
// posted again because the process stopped: the drain keeps trying to record it, and what is still
// unrecorded when the drain ends is recorded by the next start before it sends anything.
func TestDeliveryRecordOutlivesShutdown(t *testing.T) {
	t.Parallel()
	t.Run("RecordedInTheDrain", func(t *testing.T) {
		t.Parallel()
		r := newTakeoverRig(t)
		blip := &blipStore{Store: r.store}
		blip.down.Store(true)
		a := r.start("a", func(c *bot.Config) { c.Outbox = blip; c.Journal = t.TempDir() })
		r.enqueue(1)
		r.wait("the DM", func() bool { return len(r.fake.DMs(alice)) == 1 })
		stopped := a.cancelRun()
		// The drain tries the record again while Redis still refuses it; then Redis is back.
		before := blip.refused.Load()
		r.wait("a record tried in the drain", func() bool { return blip.refused.Load() > before })
		blip.down.Store(false)
		a.awaitRun(stopped)
		if n, err := r.store.Pending(r.ctx, slackfake.TeamID); err != nil || n != 0 {
			t.Errorf("outbox holds %d entries after the drain (err %v); want the delivery recorded", n, err)
		}
		if n := len(r.fake.DMs(alice)); n != 1 {
			t.Errorf("alice has %d DMs; want the one message once", n)
		}
	})

	t.Run("JournalledUntilRestart", func(t *testing.T) {
		t.Parallel()
		r := newTakeoverRig(t)
		dir := t.TempDir()
		blip := &blipStore{Store: r.store}
		blip.down.Store(true)
		a := r.start("a", func(c *bot.Config) { c.Outbox = blip; c.Journal = dir })
		ks := r.enqueue(1)
		r.wait("the DM", func() bool { return len(r.fake.DMs(alice)) == 1 })
		a.stopBot() // Redis refuses the record for the whole drain
		files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
		if len(files) != 1 {
			t.Fatalf("journal files after shutdown = %v; want one", files)
		}
		// Redis is back; the process starts again and must not post the message a second time.
		r.start("a again", func(c *bot.Config) { c.Journal = dir })
		r.wait("the journal recorded and removed", func() bool {
			n, err := r.store.Pending(r.ctx, slackfake.TeamID)
			files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
			return err == nil && n == 0 && len(files) == 0
		})
		if got := len(r.fake.DMs(alice)); got != len(ks) {
			t.Errorf("alice has %d DMs after the restart; want the %d message(s) once", got, len(ks))
		}
	})
}
