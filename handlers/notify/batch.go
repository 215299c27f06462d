package notify

import (
	"context"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
)

// RenderBatch draws es from one read of the stored state (Store.Snapshot): the referrals and the
// members' Homes the entries are about, and the asks when a confirmation matches them, read together, each drawn as Render would draw it from the
// same read. It leaves out the entries of kinds that read anything else, and every entry when the
// read fails: Render draws those when they go. It is the sender's bot.BatchRenderer.
func (c *Catalogue) RenderBatch(ctx context.Context, team string, es []rapport.OutboxEntry) map[string]bot.Drawn {
	var (
		refs     []int64
		members  []string
		seen     = map[int64]bool{}
		seenHome = map[string]bool{}
		batched  []rapport.OutboxEntry
		asks     bool
	)
	for _, e := range es {
		k, ok := byKind[e.Kind]
		if !ok {
			continue
		}
		ref, home, readsAsks, ok := k.batched(e)
		asks = asks || ok && readsAsks
		switch {
		case !ok:
			continue
		case ref > 0 && !seen[ref]:
			seen[ref] = true
			refs = append(refs, ref)
		case home != "" && !seenHome[home]:
			seenHome[home] = true
			members = append(members, home)
		}
		batched = append(batched, e)
	}
	if len(batched) == 0 {
		return nil
	}
	month, _ := rapport.PeriodOf("month", c.now(), c.zone(ctx))
	snap, err := c.store.Snapshot(ctx, team, refs, members, month, asks)
	if err != nil {
		c.log.Debug("batch not read at once; its messages are drawn one by one")
		return nil
	}
	cc := *c
	cc.store = snapshotStore{Store: c.store, snap: snap, month: month, asks: &asksRead{}}
	if snap.AsksRead {
		*cc.store.(snapshotStore).asks = asksRead{done: true, asks: snap.Asks, err: snap.AsksErr}
	}
	out := make(map[string]bot.Drawn, len(batched))
	for _, e := range batched {
		p, ok, err := cc.Render(ctx, team, e)
		out[e.ID] = bot.Drawn{Delivery: p, OK: ok, Err: err}
	}
	return out
}

// zone is the group's time zone, in which the Home's month is counted.
func (c *Catalogue) zone(ctx context.Context) *time.Location {
	if loc := c.settings.Get(ctx).TimeZone; loc != nil {
		return loc
	}
	return time.UTC
}

// snapshotStore answers the reads a snapshot holds from it, and any other from the store.
type snapshotStore struct {
	Store
	snap  rapport.Snapshot
	month rapport.Period
	asks  *asksRead // the asks the batch's confirmations match, read once
}

// asksRead is the one read of the asks of receivers a batch makes, when one of its messages needs
// them (the drawing is sequential).
type asksRead struct {
	done bool
	asks []rapport.Ask
	err  error
}

func (s snapshotStore) AsksOfReceivers(ctx context.Context, team string) ([]rapport.Ask, error) {
	if !s.asks.done {
		s.asks.asks, s.asks.err = s.Store.AsksOfReceivers(ctx, team)
		s.asks.done = true
	}
	return s.asks.asks, s.asks.err
}

func (s snapshotStore) Timeline(ctx context.Context, team string, n int64) (rapport.Referral, []rapport.Event, error) {
	if t, ok := s.snap.Timelines[n]; ok {
		return t.Referral, t.Events, t.Err
	}
	return s.Store.Timeline(ctx, team, n)
}

func (s snapshotStore) HomeData(ctx context.Context, team, user string, month rapport.Period) (rapport.HomeData, error) {
	if h, ok := s.snap.Homes[user]; ok && month == s.month {
		return h.Data, h.Err
	}
	return s.Store.HomeData(ctx, team, user, month)
}
