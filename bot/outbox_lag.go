package bot

import (
	"context"
	"math"
	"time"

	"github.com/slack-go/slack"
)

// Intake pacing. Saving a referral costs less than delivering the messages it owes, so a burst of
// submissions acked as fast as they come would leave the DMs further and further behind: at full
// speed on two cores, a second and more. Instead, an interaction's ack waits while the outbox lags:
// while the oldest message that a DM lane could send now has waited more than intakeLag since it
// was read, for at most intakeWait. The form then takes a little longer to close under load, and
// the receiver's DM follows its ack within about intakeLag. What waits for a reason of its own is
// not lag: a message set aside for Slack's rate limits, a 429, a retry's backoff or a paused
// workspace, and a Home's redraw (one per HomeEvery by design).
const (
	intakeLag  = 50 * time.Millisecond
	intakeWait = 500 * time.Millisecond
	intakePoll = 2 * time.Millisecond
)

// noteOldest publishes when the oldest message this lane could send now was read (0: none), from
// the queues ready or waiting on the recorder; run calls it before each step. A Home lane
// publishes nothing.
func (l *lane) noteOldest() {
	if l.coalesce {
		return
	}
	oldest := int64(math.MaxInt64)
	for _, qs := range [][]*queue{l.ready, l.waiting} {
		for _, q := range qs {
			if len(q.items) > 0 && !q.items[0].read.IsZero() {
				oldest = min(oldest, q.items[0].read.UnixNano())
			}
		}
	}
	if oldest == math.MaxInt64 {
		oldest = 0
	}
	l.oldest.Store(oldest)
}

// lag is how long the oldest message a DM lane could send now has waited since it was read; 0
// before the sender runs and when nothing is ready.
func (s *sender) lag(now time.Time) time.Duration {
	lanes := s.dmLanes.Load()
	if lanes == nil {
		return 0
	}
	var oldest int64
	for _, l := range *lanes {
		if at := l.oldest.Load(); at != 0 && (oldest == 0 || at < oldest) {
			oldest = at
		}
	}
	if oldest == 0 {
		return 0
	}
	return now.Sub(time.Unix(0, oldest))
}

// awaitOutbox holds the ack of a form's submission or of a click on a message's button (a
// referral's DM), the interactions that owe messages, while the outbox lags (see intakeLag), until
// at most intakeWait after the request came: well inside the ack's deadline, and the trigger of a
// modal opened after the ack stays valid. What a person does inside a form or on the Home (typing
// the need, picking a suggestion) owes no DM and is never held.
func (d *dispatcher) awaitOutbox(ctx context.Context, r *Request) {
	if d.lag == nil || r.Type != "interactive" {
		return
	}
	switch {
	case r.Interaction.Type == slack.InteractionTypeViewSubmission:
	case r.Interaction.Type == slack.InteractionTypeBlockActions && r.Interaction.Container.Type == "message":
	default:
		return
	}
	until := r.received.Add(intakeWait)
	for d.lag(time.Now()) > intakeLag && time.Now().Before(until) {
		if sleepCtx(ctx, intakePoll) != nil {
			return
		}
	}
}
