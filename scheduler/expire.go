package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/rapportbot/rapport"
)

// ExpireBatch bounds one page of expiry: the referrals read, and moved one script each, per round.
const ExpireBatch = 100

// expire closes as expired every open referral with no event for timing.ExpireAfter (rule 15), a
// page at a time, the stalest first, until none is left. Each is an ordinary move by Rapport itself:
// the move script checks the referral is still open where it writes, records the event, drops the
// pending reminder, updates the open index and queues the messages (both members told) in one step,
// so two replicas sweeping at once expire a referral once.
func (s *Scheduler) expire(ctx context.Context, now time.Time, timing rapport.Timing) (int, error) {
	if timing.ExpireAfter <= 0 || s.cfg.MoveNotices == nil {
		return 0, nil
	}
	before := now.Add(-timing.ExpireAfter)
	total := 0
	for {
		refs, err := s.store.StaleOpen(ctx, s.cfg.Team, before, ExpireBatch)
		if err != nil {
			return total, err
		}
		moved := 0
		for _, n := range refs {
			m := rapport.Move{Team: s.cfg.Team, Ref: n, Actor: rapport.SystemActor, Action: rapport.ActExpire,
				Role: rapport.RoleSystem, Now: now, Timing: timing, IdleBefore: before}
			m.Notify = s.cfg.MoveNotices(m)
			_, err := s.store.Move(ctx, m)
			var refused *rapport.Refused
			switch {
			case errors.As(err, &refused), rapport.ErrorCode(err) == rapport.ENOTFOUND:
				continue // it moved under us, or another replica expired it first
			case err != nil:
				return total, err
			}
			moved++
		}
		total += moved
		// A short page is the last; a page that moved nothing would only be read again.
		if len(refs) < ExpireBatch || moved == 0 {
			return total, nil
		}
	}
}
