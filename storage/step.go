package storage

import (
	"context"

	"github.com/rapportbot/rapport"
)

// FailStep answers a Workflow Builder step's run (execution, its function_execution_id) that
// recorded nothing: it queues msg, the run's completion with the reason, unless the run was
// answered already (a referral saved by CreateReferral with the same Step, or an earlier FailStep),
// in one script. It reports whether it queued msg. The run's key then holds 0, so that a later
// CreateReferral of the same run saves nothing: a run is answered once.
func (s *Store) FailStep(ctx context.Context, team, execution string, msg rapport.OutboxEntry) (bool, error) {
	return s.queueOnce(ctx, "fail step "+execution, team, s.keys(team).step(execution), "0", seenTTL,
		[]OutboxEntry{msg})
}
