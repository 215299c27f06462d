package bot

import (
	"context"
	"sync"
	"time"

	"github.com/rapportbot/rapport"
	"go.uber.org/zap"
)

// read fills the lanes until stop: new entries as they are written (a blocked XREADGROUP); those
// of a sender whose heartbeat is gone, as soon as it is gone (startBeats); and, every third of the
// reclaim delay, entries a stuck sender left idle (ClaimStale), after touching those this process
// holds so that nobody takes them from it. It reads no more than there is room for: what is not
// read stays in the stream.
func (s *sender) read(stop, work context.Context, lanes []*lane) {
	var beating sync.WaitGroup
	defer beating.Wait()
	s.startBeats(stop, work, lanes, &beating)
	every := s.reclaim / 3
	block := min(readBlock, every)
	var last time.Time
	for stop.Err() == nil {
		if s.now().Sub(last) >= every {
			last = s.now()
			_ = s.keep(work, last.Add(-every)) // logged; the next round tries again
			if room := maxHeld - s.held.len(); room > 0 {
				stale, err := s.store.ClaimStale(work, s.team, s.consumer, s.reclaim, min(room, readBatch))
				if err != nil {
					s.log.Warn("outbox claim failed", zap.Error(err))
				}
				s.dispatch(work, lanes, stale, false)
			}
		}
		room := maxHeld - s.held.len()
		if room <= 0 {
			_ = s.waitRoom(stop, every)
			continue
		}
		entries, err := s.store.ReadOutbox(stop, s.team, s.consumer, min(room, readBatch), block)
		if err != nil {
			if stop.Err() != nil {
				return
			}
			s.log.Warn("outbox read failed", zap.Error(err))
			_ = sleepCtx(stop, time.Second)
			continue
		}
		s.dispatch(work, lanes, entries, true)
	}
}

// waitRoom waits until an entry leaves the process, or at most d.
func (s *sender) waitRoom(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.held.freed:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drawAhead draws entries read new at once, when the renderer can (BatchRenderer): one round trip
// for what they all read, instead of one each when they go. An entry to a recipient who has earlier
// messages still in this process is left to be drawn when it goes, once those are recorded: it may
// edit one of them, whose place a read now would not find.
func (s *sender) drawAhead(ctx context.Context, entries []rapport.OutboxEntry) map[string]Drawn {
	br, ok := s.render.(BatchRenderer)
	if !ok {
		return nil
	}
	// Of a member's Home redraws, only the latest can go, and only once HomeEvery has passed since
	// the last publish: one that must wait is drawn when it goes, from the state then (homeWait).
	// So the batch draws the last redraw of each member whose Home may go now, and no other.
	lastHome := map[string]int{}
	now := s.now()
	for i, e := range entries {
		if s.homeKinds[e.Kind] {
			lastHome[e.To] = i
		}
	}
	var es []rapport.OutboxEntry
	for i, e := range entries {
		switch {
		case s.homeKinds[e.Kind]:
			// A Home never edits a message (step exempts it from the held recipient's wait).
			if lastHome[e.To] == i && s.homeRecent.wait(e.To, now) == 0 {
				es = append(es, e)
			}
		case !s.held.holds(e.To):
			// A held recipient's message may edit one whose place is not yet recorded.
			es = append(es, e)
		}
	}
	if len(es) == 0 {
		return nil
	}
	return br.RenderBatch(ctx, s.team, es)
}

// dispatch hands each entry to its recipient's lane, skipping those held already: a Home publish to
// one of the Home lanes, anything else to one of the others. fresh says the entries were read new
// (XREADGROUP ">"): delivered to no sender before, so none has settled them (unclaimed); they are
// drawn together first (drawAhead).
func (s *sender) dispatch(ctx context.Context, lanes []*lane, entries []rapport.OutboxEntry, fresh bool) {
	s.rec.working(1) // the outcomes of the lanes wait until they all had the batch
	defer s.rec.working(-1)
	var drawn map[string]Drawn
	var paced map[string]ahead
	if fresh {
		drawn = s.drawAhead(ctx, entries)
		paced = s.paceAhead(ctx, entries, drawn)
	}
	now := s.now()
	for _, e := range entries {
		if !s.held.add(e.ID, e.To, now) {
			continue
		}
		it := &item{e: e, log: s.log.With(zap.String("entry", e.ID), zap.String("kind", e.Kind), zap.Int64("referral", e.Ref))}
		if fresh {
			it.read = now
		}
		if d, ok := drawn[e.ID]; ok {
			it.drawn, it.drawnAt = &d, now
		}
		if a, ok := paced[e.ID]; ok {
			it.ahead = a
		}
		set := lanes[:len(lanes)-s.homeLanes] // a DM never waits in a Home's lane, nor a Home in a DM's
		if s.homeKinds[e.Kind] {
			set = lanes[len(lanes)-s.homeLanes:]
		}
		set[laneOf(e.To, len(set))].push(it)
	}
}
