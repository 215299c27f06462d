package bot_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/storage"
)

// gatedRecords is the outbox's Redis with the writing of outcomes held back while shut is set, as a
// slow write would hold it; everything else works.
type gatedRecords struct {
	*storage.Store
	shut   atomic.Bool
	open   chan struct{}
	writes atomic.Int64
}

func (g *gatedRecords) RecordOutbox(ctx context.Context, team string, outs []rapport.OutboxOutcome) error {
	if g.shut.Load() {
		select {
		case <-g.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.writes.Add(1)
	return g.Store.RecordOutbox(ctx, team, outs)
}

// slotRenderer draws "original" as a DM whose place is recorded (slot "dm" of referral 17), and
// "edit" as an edit of it in place, owed only once that place is recorded: as the catalogue draws a
// referral's DM and its redraws. It draws batches too (bot.BatchRenderer).
type slotRenderer struct{ store *storage.Store }

func (r slotRenderer) Render(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Delivery, bool, error) {
	if e.Kind == "original" {
		return bot.Delivery{Channel: e.To, Text: "original", Slot: "dm"}, true, nil
	}
	ch, ts, err := r.store.Slot(ctx, team, e.Ref, "dm")
	if err != nil || ts == "" {
		return bot.Delivery{}, false, nil // not posted yet: the original, when it goes, says it all
	}
	return bot.Delivery{Channel: ch, TS: ts, Text: "edited"}, true, nil
}

func (r slotRenderer) RenderBatch(ctx context.Context, team string, es []rapport.OutboxEntry) map[string]bot.Drawn {
	out := map[string]bot.Drawn{}
	for _, e := range es {
		p, ok, err := r.Render(ctx, team, e)
		out[e.ID] = bot.Drawn{Delivery: p, OK: ok, Err: err}
	}
	return out
}

// TestEditWaitsForTheRecord: an edit queued after its message was posted, while that post's record
// (where it went) is still being written, is drawn once the record is written: it edits the message,
// not drops itself as owed by nothing.
func TestEditWaitsForTheRecord(t *testing.T) {
	t.Parallel()
	r := newTakeoverRig(t)
	gate := &gatedRecords{Store: r.store, open: make(chan struct{})}
	gate.shut.Store(true)
	r.start("a", func(c *bot.Config) { c.Outbox, c.Renderer = gate, slotRenderer{r.store} })
	if _, err := r.store.EnqueueMessage(r.ctx, slackfake.TeamID, "original", 17, alice); err != nil {
		t.Fatal(err)
	}
	r.wait("the original posted", func() bool { return len(r.fake.DMs(alice)) == 1 })
	if _, err := r.store.EnqueueMessage(r.ctx, slackfake.TeamID, "edit", 17, alice); err != nil {
		t.Fatal(err)
	}
	outbox := r.prefix + ":{" + slackfake.TeamID + "}:outbox"
	r.wait("the edit read", func() bool {
		info, err := r.rdb.XInfoGroups(r.ctx, outbox).Result()
		return err == nil && len(info) == 1 && info[0].EntriesRead == 2
	})
	gate.shut.Store(false)
	close(gate.open)
	r.wait("both recorded", func() bool {
		n, err := r.store.Pending(r.ctx, slackfake.TeamID)
		return err == nil && n == 0
	})
	dms := r.fake.DMs(alice)
	if len(dms) != 1 || dms[0].Text != "edited" || dms[0].Updated != 1 {
		t.Errorf("alice's DMs = %+v; want the original, edited once in place", dms)
	}
}
