package bot

import (
	"context"
	"errors"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// paceHome names the shared pace cells of members' Home publishes (pace:home:<member>).
const paceHome = "home"

// Delivery timings.
const (
	// rerenderAfter: a message that waited longer than this (a 429 pause) is rendered again before
	// it goes, so it says what is true when it is sent.
	rerenderAfter = 2 * time.Second
	// maxBackoff caps the wait between tries of a Redis write that must not be abandoned.
	maxBackoff = 5 * time.Second
	// untilRecorded is step's wait for a message that must not be drawn before the recorder wrote
	// an earlier one's place (recorder.waits).
	untilRecorded time.Duration = -1
)

// step moves it one try forward: finished when it is done with (its outcome, delivered, no longer
// owed or dead-lettered, handed to the recorder; or left for reclaim); otherwise the wait before the
// next try (untilRecorded: until the recorder wrote an earlier message's place). Each message:
// Delivered check (unless unclaimed) → render → pace → post → record.
func (s *sender) step(ctx context.Context, it *item) (wait time.Duration, finished bool) {
	if !s.held.mine(it.e.ID) {
		return 0, true // another sender took it over while it waited here
	}
	if !it.checked && !s.unclaimed(it) {
		done, err := s.store.Delivered(ctx, s.team, it.e.ID)
		if err != nil {
			return s.retry(it, "outbox check failed", err)
		}
		if done {
			it.sent = &sent{}
			return s.finish(it)
		}
		it.checked = true
	}
	if it.post == nil || s.now().Sub(it.rendered) > rerenderAfter {
		d, at := it.drawn, it.drawnAt // drawn with its batch (drawAhead), if it was
		it.drawn = nil
		if d == nil || s.now().Sub(at) > rerenderAfter {
			if !s.homeKinds[it.e.Kind] && s.rec.waits(it.e.To) {
				// It may edit the message whose place is not recorded yet (a Home never edits one).
				return untilRecorded, false
			}
			post, ok, err := s.render.Render(ctx, s.team, it.e)
			d, at = &Drawn{Delivery: post, OK: ok, Err: err}, s.now()
		}
		var undeliverable *Undeliverable
		switch {
		case errors.As(d.Err, &undeliverable):
			it.log.Error("outbox entry cannot be drawn", zap.String("reason", undeliverable.Reason), zap.Error(undeliverable.Err))
			it.dead = undeliverable.Reason
			return s.finish(it)
		case d.Err != nil:
			return s.retry(it, "render failed", d.Err)
		case !d.OK:
			it.sent = &sent{}
			return s.finish(it)
		}
		it.post, it.rendered = &d.Delivery, at
	}

	taken := it.ahead.good(s.now()) // the slots its batch took for it, for this try only
	it.ahead = ahead{}
	if it.post.Home != nil && s.homeLanes > 0 && s.pacer != nil && !taken.home {
		// One publish of a member's Home per HomeEvery on every replica together (coalesce.go). It is
		// drawn first, as a Home no longer owed (never opened) takes no slot; one that must wait is
		// drawn again when it goes, from the state then.
		d, err := s.pacer.Pace(ctx, s.team, paceHome, it.post.Channel, HomeEvery, 1)
		if err != nil {
			return s.retry(it, "pacing failed", err)
		}
		if d > 0 {
			it.post = nil // drawn again when it goes
			return d, false
		}
	}
	if d := s.faults.waitToken(); d > 0 {
		return d, false // the token is refused: nothing goes out until auth.test says it works
	}
	method, channel := budgetOf(methodOf(*it.post), it.post.Channel)
	if d := max(s.faults.waitMethod(method), s.pauses.wait(method, channel, s.now())); d > 0 {
		return d, false
	}
	if s.paced && !taken.call {
		r := rateOf(method)
		d, err := s.pacer.Pace(ctx, s.team, method, channel, r.every(), r.burst)
		if err != nil {
			return s.retry(it, "pacing failed", err)
		}
		if d > 0 {
			return d, false
		}
	}
	if !s.leased() {
		return heartbeatEvery, false // another sender may have taken it over: the next beat says
	}
	callCtx, cancel := s.whileLeased(ctx)
	ch, ts, err := s.deliver(callCtx, *it.post)
	cancel()
	if err == nil {
		s.lastOK.Store(s.now().UnixNano())
		s.faults.methodWorks(method)
		it.sent = &sent{slot: it.post.Slot, channel: ch, ts: ts}
		return s.finish(it)
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		d := max(rl.RetryAfter, time.Second)
		s.pause(ctx, it.log, method, channel, d)
		return d, false
	}
	var me *methodError // a call the delivery made first (conversations.open) failed
	if errors.As(err, &me) {
		method = me.method
	}
	switch class, code := classify(err); class {
	case faultWorkspace:
		s.faults.tokenRefused(code)
		return s.faults.waitToken(), false
	case faultMethod:
		s.faults.methodRefused(method, code)
		s.tell(ctx, Fault{Method: method, Code: code})
		return s.faults.waitMethod(method), false
	case faultMessage:
		if code == "not_in_channel" {
			s.tell(ctx, Fault{Method: method, Code: code, Channel: it.post.Channel})
		}
		it.dead = code
		return s.finish(it)
	default:
		return s.transient(ctx, it, code, err)
	}
}

// unclaimed reports whether no other sender can have claimed it, so that none can have settled it
// and the Delivered check would say no: it was read new (delivered to no sender before) less than
// half the reclaim delay ago. Another sender claims an entry only once it has been idle for the
// whole delay (ClaimStale), or once this sender's heartbeat is gone, and then this one starts no
// Slack call until a beat has asked the group which entries are still its own (leased, keep).
func (s *sender) unclaimed(it *item) bool {
	return !it.read.IsZero() && s.now().Sub(it.read) < s.reclaim/2
}

// transient counts a failed delivery in the stream (so restarts and other replicas count it too)
// and tries again with a growing backoff. A message is dead-lettered at its maxDeliveries-th
// failure only when that is its own fault: other messages got through since it first failed here,
// or it has kept failing for transientPatience since it was queued. While Slack fails for every
// message (an outage), none is given up on: each waits, and goes when Slack is back.
func (s *sender) transient(ctx context.Context, it *item, code string, err error) (time.Duration, bool) {
	n, cerr := s.store.CountDelivery(ctx, s.team, s.consumer, it.e.ID)
	now := s.now()
	if it.failedAt.IsZero() {
		it.failedAt = now
	}
	othersWent := s.lastOK.Load() > it.failedAt.UnixNano()
	queued, _ := rapport.QueuedAt(it.e.ID) // zero for an odd ID: as old as can be
	switch {
	case cerr != nil:
		return s.retry(it, "delivery failed, and not counted", errors.Join(err, cerr))
	case n == 0:
		return 0, true // no longer pending for this consumer: another took it over
	case n >= maxDeliveries && (othersWent || now.Sub(queued) >= transientPatience):
		it.log.Warn("delivery failed too often; dead-lettered", zap.Int("deliveries", n), zap.Error(err))
		it.dead = ReasonRetriesExhausted + code
		return s.finish(it)
	}
	wait := s.backoff(n, maxRetryWait)
	it.log.Info("delivery failed; will retry", zap.Int("deliveries", n), zap.Duration("retry_in", wait), zap.Error(err))
	return wait, false
}

// tell passes a fault an admin can mend to Config.OnFault, once per fault and process.
func (s *sender) tell(ctx context.Context, f Fault) {
	if s.onFault == nil || !s.faults.news(f) {
		return
	}
	if err := s.onFault(ctx, f); err != nil {
		s.faults.untold(f) // told at its next occurrence instead
		s.log.Warn("admins not told of a fault; they will be at its next occurrence", zap.String("method", f.Method), zap.String("code", f.Code), zap.Error(err))
	}
}

func methodOf(p Delivery) string {
	if p.Home != nil {
		return "views.publish"
	}
	if p.File != nil { // an upload is one call of each of its methods: paced on the first
		return "files.getUploadURLExternal"
	}
	if p.Step != nil {
		if p.Step.Error != "" {
			return "functions.completeError"
		}
		return "functions.completeSuccess"
	}
	if p.TS != "" {
		return "chat.update"
	}
	return "chat.postMessage"
}

// pause holds the budget for d here at once and, through Redis, on every replica.
func (s *sender) pause(ctx context.Context, log *zap.Logger, method, channel string, d time.Duration) {
	s.pauses.set(method, channel, s.now().Add(d))
	log.Info("rate limited by Slack", zap.String("method", method), zap.Duration("retry_in", d))
	if s.pacer == nil {
		return
	}
	if err := s.pacer.Pause(ctx, s.team, method, channel, d); err != nil {
		log.Warn("rate-limit pause not shared", zap.Error(err))
	}
}

// retry schedules another try after a transient failure, with a growing backoff; after maxAttempts
// the entry is left pending for reclaim (another replica, or this one later, tries again).
func (s *sender) retry(it *item, what string, err error) (time.Duration, bool) {
	it.attempts++
	if it.attempts >= maxAttempts {
		it.log.Warn(what+"; left for reclaim", zap.Int("attempts", it.attempts), zap.Error(err))
		return 0, true
	}
	wait := s.backoff(it.attempts, maxBackoff)
	it.log.Info(what+"; will retry", zap.Duration("retry_in", wait), zap.Error(err))
	return wait, false
}

// backoff is the wait before try n+1 of something that failed n times: n² units, at most ceiling.
func (s *sender) backoff(n int, ceiling time.Duration) time.Duration {
	return min(time.Duration(n*n)*s.retryBase, ceiling)
}

// finish hands what became of it for good to the recorder: Slack's ok (the slot) and the entry's
// removal, or the reason it can never be sent (the dead letter). The recorder writes it, trying
// again for as long as the process runs, and it is never posted again: giving up on a record is
// the one way a message could double.
func (s *sender) finish(it *item) (time.Duration, bool) {
	s.rec.add(it)
	return 0, true
}
