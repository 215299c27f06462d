package bot

import (
	"context"
	"time"

	"github.com/rapportbot/rapport"
	"go.uber.org/zap"
)

// Pacing ahead. The calls of a small batch read new go at once, each in its lane: the slots they
// need (a member's Home publish, one per HomeEvery; with Slack's rates on, each call's budget) are
// taken for all of them in one round trip when the batch is drawn (PaceAll), instead of one each
// before each call. A slot so taken is good for its call's first try within aheadFresh; a call that
// waits (a 429, a refused token, a Home's gap) takes one of its own when it goes, the early one
// spent, which only ever slows the sender down. A bigger batch, whose calls wait their turn in the
// lanes, is paced call by call. So a call goes at most aheadFresh after its slot: a budget's calls
// keep its spacing to within that, and a member's Home publishes stay HomeEvery apart to within it.

const (
	// aheadFresh is how long a slot taken ahead stays good for its call.
	aheadFresh = 250 * time.Millisecond
	// aheadMost is the biggest batch paced ahead: as many calls as the lanes make at once.
	aheadMost = outboxWorkers + homeWorkers
)

// ahead is the slots taken for an item with its batch, and when.
type ahead struct {
	at         time.Time
	home, call bool // its member's Home slot; its call's budget
}

// good returns a as it stands at now: nothing once aheadFresh has passed.
func (a ahead) good(now time.Time) ahead {
	if a.at.IsZero() || now.Sub(a.at) >= aheadFresh {
		return ahead{}
	}
	return a
}

// batchPacer takes many slots in one round trip (storage.Store); a Pacer without it paces call by
// call.
type batchPacer interface {
	PaceAll(ctx context.Context, team string, reqs []rapport.PaceRequest) ([]time.Duration, error)
}

// paceAhead takes the slots of the calls drawn ahead (drawAhead) in a small batch, and returns
// what it took per entry ID. A member with more than one Home in the batch gets none (the lane keeps
// only the latest, coalesce.go), nor does a call that must wait: those are paced when they go.
func (s *sender) paceAhead(ctx context.Context, entries []rapport.OutboxEntry, drawn map[string]Drawn) map[string]ahead {
	bp, ok := s.pacer.(batchPacer)
	if !ok || len(drawn) == 0 || len(entries) > aheadMost {
		return nil
	}
	homes := map[string]int{}
	for _, e := range entries {
		if d, ok := drawn[e.ID]; ok && d.OK && d.Err == nil && d.Delivery.Home != nil {
			homes[d.Delivery.Channel]++
		}
	}
	type slot struct {
		id   string
		home bool
	}
	var reqs []rapport.PaceRequest
	var slots []slot
	for _, e := range entries {
		d, ok := drawn[e.ID]
		if !ok || !d.OK || d.Err != nil {
			continue
		}
		p := d.Delivery
		if p.Home != nil && s.homeLanes > 0 && homes[p.Channel] == 1 {
			reqs = append(reqs, rapport.PaceRequest{Method: paceHome, Channel: p.Channel, Every: HomeEvery, Burst: 1})
			slots = append(slots, slot{e.ID, true})
		}
		if s.paced {
			method, channel := budgetOf(methodOf(p), p.Channel)
			r := rateOf(method)
			reqs = append(reqs, rapport.PaceRequest{Method: method, Channel: channel, Every: r.every(), Burst: r.burst})
			slots = append(slots, slot{e.ID, false})
		}
	}
	if len(reqs) == 0 {
		return nil
	}
	now := s.now()
	waits, err := bp.PaceAll(ctx, s.team, reqs)
	if err != nil {
		s.log.Debug("batch not paced at once; its calls are paced one by one", zap.Error(err))
		return nil
	}
	out := map[string]ahead{}
	for i, sl := range slots {
		if waits[i] > 0 {
			continue
		}
		a := out[sl.id]
		a.at = now
		if sl.home {
			a.home = true
		} else {
			a.call = true
		}
		out[sl.id] = a
	}
	return out
}
