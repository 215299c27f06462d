package bot

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rapportbot/rapport"
	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"
)

// DefaultMaxInFlight is how many envelopes are handled at once when Config.MaxInFlight is 0. Each
// holds two goroutines (its own and its handler's), so a burst of any size costs at most about
// 2 × 512 goroutines, and after-ack work at most 512 more.
const DefaultMaxInFlight = 512

// errBusy is what a person is told when every slot is taken: nothing of theirs was handled.
var errBusy = rapport.Errorf(rapport.EUNAVAILABLE, "Rapport is busy; try again in a moment.")

// bounds keeps a burst of envelopes from growing goroutines without end. An envelope takes a place
// in handlers when it arrives, or is acked at once as busy; it keeps the place until its handler
// has returned (a handler that overruns its deadline keeps it too) and its after-ack work, if
// any, holds a place in after. Work waiting for an after place therefore holds its envelope's, so
// after-ack work that cannot keep up turns into busy acks, not into goroutines.
type bounds struct {
	max      int64
	handlers *semaphore.Weighted
	after    *semaphore.Weighted

	// The burst being refused, for one log line at its start and one at its end. Socket Mode
	// dispatches from one goroutine, HTTP mode from one per request: mu keeps them apart.
	mu      sync.Mutex
	refused int
	since   time.Time
}

func newBounds(maxInFlight int) *bounds {
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	n := int64(maxInFlight)
	return &bounds{max: n, handlers: semaphore.NewWeighted(n), after: semaphore.NewWeighted(n)}
}

// slot is one envelope's place in bounds.handlers, shared by the goroutine that serves the
// envelope and the one that runs its handler: the place is given back when both have let go.
type slot struct {
	sem     *semaphore.Weighted
	holders atomic.Int32
}

func (b *bounds) tryTake() *slot {
	if !b.handlers.TryAcquire(1) {
		return nil
	}
	s := &slot{sem: b.handlers}
	s.holders.Store(2)
	return s
}

func (s *slot) release() {
	if s.holders.Add(-1) == 0 {
		s.sem.Release(1)
	}
}

// refuse acks an envelope that found no free slot, at once and without a Slack call: a command
// is told to try again; a form stays open under a notice (Back returns to it, still filled in).
// A click gets a bare ack: telling the clicker would take a Slack call, which is the load being
// refused; the button is still there to click again. In HTTP mode an event is answered 503, so
// Slack sends it again later (a workflow step's run, a newcomer, a message to the bot). In Socket
// Mode it gets a bare ack and is dropped: waiting would stall slack-go's reader (and its pings)
// or need the goroutines this bound exists to deny, and not acking would break the one-ack rule;
// app_home_opened comes again whenever the person opens the tab.
func (d *dispatcher) refuse(ctx context.Context, r *Request, route string) {
	ack, _ := d.ackFor(r, errBusy, nil) // what ackFor would tell a clicker after the ack is dropped
	if _, overHTTP := d.ack.(*httpAcks); overHTTP && r.Type == "events_api" {
		ack = sendAgain{}
	}
	d.send(ctx, r, OutcomeBusy, ack)
	b := d.bounds
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refused == 0 {
		b.since = time.Now()
		d.log.Warn("busy: acking envelopes as busy until a slot frees",
			zap.Int64("max_in_flight", b.max), zap.String("first_route", route))
	}
	b.refused++
}

// admitted ends a burst of refusals, if one is running, with the count of envelopes it refused.
func (d *dispatcher) admitted() {
	b := d.bounds
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refused == 0 {
		return
	}
	d.log.Info("no longer busy", zap.Int("refused", b.refused), zap.Duration("took", time.Since(b.since)))
	b.refused = 0
}
