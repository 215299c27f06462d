package bot

import (
	"context"
	"sync"
	"time"

	"github.com/rapportbot/rapport"
	"go.uber.org/zap"
)

// Recording. What became of a delivery (Slack's ok and where the message went, a dead letter, or
// no longer owed) is written to the stream by the recorder, many outcomes in one round trip
// (OutboxStore.RecordOutbox): an outcome waits while a lane still has a delivery it can make at
// once, so the messages one change owes (a DM, its redraws, the Homes) are recorded together once
// the last of them went, or recordWithin after the first if the lanes stay busy. Until its outcome
// is written an entry stays held and pending in the stream: a crash meanwhile has it delivered
// again, as a crash between a post and its record always could (a window at most recordWithin longer),
// and a failed write is tried again for as long as the process runs, then journalled. A message
// whose place is recorded (Delivery.Slot) may be edited by a later one to the same recipient, so
// no message to that recipient is drawn from stored state until it is written (waits).

// recordWithin bounds how long an outcome waits for the lanes to finish what they can send now.
// A recipient's next message whose place the outcome records waits on it too, so under a backlog
// this bounds each recipient's pace: 50 ms held a group of 40 to 250–400 referrals/s, 5 ms lets
// 380–430 through with the DMs' median wait halved, still 3 or 4 round trips after an ack.
const recordWithin = 5 * time.Millisecond

// recorder writes the lanes' outcomes. busy counts the lanes with a delivery they can make now
// (and the reader while it hands a batch out); the outcomes pending are written when it falls to
// zero.
type recorder struct {
	s     *sender
	lanes []*lane // woken after a write, for the queues that wait on it

	mu       sync.Mutex
	pending  []*item        // outcomes not yet written, oldest first
	since    time.Time      // when the oldest pending one came
	busy     int            // lanes (and the reader) with work they can do now
	placed   map[string]int // per recipient, pending outcomes that record a message's place
	failures int            // writes failed in a row, for the backoff
	retryAt  time.Time      // after a failure: not before
	wake     chan struct{}
}

func newRecorder(s *sender) *recorder {
	return &recorder{s: s, placed: map[string]int{}, wake: make(chan struct{}, 1)}
}

// add takes the outcome of it (it.sent or it.dead) to be written.
func (r *recorder) add(it *item) {
	r.mu.Lock()
	if len(r.pending) == 0 {
		r.since = r.s.now()
	}
	r.pending = append(r.pending, it)
	if it.places() {
		r.placed[it.e.To]++
	}
	r.mu.Unlock()
	r.poke()
}

// places reports whether its outcome records where its message went, for later edits.
func (it *item) places() bool { return it.sent != nil && it.sent.slot != "" }

// waits reports whether a message to recipient to must wait before it is drawn: an outcome that
// records the place of an earlier one to them is not written yet.
func (r *recorder) waits(to string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.placed[to] > 0
}

// working counts a lane (or the reader) with work it can do now (+1), or without any more (-1).
func (r *recorder) working(d int) {
	r.mu.Lock()
	r.busy += d
	idle := r.busy == 0 && len(r.pending) > 0
	r.mu.Unlock()
	if idle {
		r.poke()
	}
}

func (r *recorder) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// due says whether the pending outcomes are to be written now, or else how long until they are.
func (r *recorder) due(now time.Time) (bool, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case len(r.pending) == 0:
		return false, time.Hour
	case now.Before(r.retryAt):
		return false, r.retryAt.Sub(now)
	case r.busy == 0:
		return true, 0
	}
	if d := r.since.Add(recordWithin).Sub(now); d > 0 {
		return false, d
	}
	return true, 0
}

// run writes outcomes as they fall due until stop; drain writes the rest.
func (r *recorder) run(stop, work context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now, d := r.due(r.s.now())
		if now {
			r.write(work)
			continue
		}
		timer.Reset(d)
		select {
		case <-stop.Done():
			return
		case <-r.wake:
		case <-timer.C:
		}
	}
}

// write writes the pending outcomes in one round trip (the oldest maxHeld of them). On failure
// they stay pending and are tried again after a backoff.
func (r *recorder) write(ctx context.Context) bool {
	r.mu.Lock()
	n := min(len(r.pending), maxHeld)
	batch := r.pending[:n:n] // put back in front on failure: its appends copy
	r.pending = r.pending[n:]
	if len(r.pending) > 0 {
		r.since = r.s.now()
	}
	r.mu.Unlock()
	if len(batch) == 0 {
		return true
	}
	outs := make([]rapport.OutboxOutcome, len(batch))
	for i, it := range batch {
		outs[i] = it.outcome()
	}
	if err := r.s.store.RecordOutbox(ctx, r.s.team, outs); err != nil {
		r.mu.Lock()
		r.failures++
		wait := r.s.backoff(r.failures, maxBackoff)
		r.retryAt = r.s.now().Add(wait)
		r.pending = append(batch, r.pending...)
		r.since = r.s.now()
		r.mu.Unlock()
		r.s.log.Error("outcomes not recorded; will retry", zap.Int("count", len(batch)),
			zap.Duration("retry_in", wait), zap.Error(err))
		return false
	}
	r.mu.Lock()
	r.failures, r.retryAt = 0, time.Time{}
	for _, it := range batch {
		if it.places() {
			if r.placed[it.e.To]--; r.placed[it.e.To] <= 0 {
				delete(r.placed, it.e.To)
			}
		}
	}
	r.mu.Unlock()
	for _, it := range batch {
		r.s.held.drop(it.e.ID)
		switch {
		case it.dead != "":
			it.log.Warn("message dead-lettered", zap.String("reason", it.dead))
			r.s.metrics.DeadLettered(deadReason(it.dead))
		case it.sent.channel != "":
			it.log.Info("delivered")
			if st := nudgeStage(it.e); st != "" {
				r.s.metrics.Nudged(st)
			}
		}
	}
	for _, l := range r.lanes {
		l.poke()
	}
	return true
}

// drain writes what is pending once the lanes have stopped, trying again until ctx ends, and
// returns the deliveries Slack accepted that are still unrecorded then (for the journal).
func (r *recorder) drain(ctx context.Context) []*item {
	for {
		r.mu.Lock()
		n := len(r.pending)
		r.mu.Unlock()
		if n == 0 || !r.write(ctx) && sleepCtx(ctx, settleRetry) != nil {
			break
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var unrecorded []*item
	for _, it := range r.pending {
		if it.sent != nil {
			unrecorded = append(unrecorded, it)
		}
	}
	return unrecorded
}

// outcome is what the stream records of it.
func (it *item) outcome() rapport.OutboxOutcome {
	if it.dead != "" {
		return rapport.OutboxOutcome{Entry: it.e, Dead: it.dead}
	}
	return rapport.OutboxOutcome{Entry: it.e, Slot: it.sent.slot, Channel: it.sent.channel, TS: it.sent.ts}
}
