package bot

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/rapportbot/rapport"
	"go.uber.org/zap"
)

// Heartbeat timings (DESIGN.md "Outbox"): a sender renews its heartbeat every second for three, so
// the heartbeat of a process that dies is gone within 3 s, and the next beat of any other sender
// (or of the process restarted) takes its entries over: about 4 s after the death at most, instead
// of the idle reclaim's 30 s, which stays for a sender that is stuck but alive.
const (
	heartbeatEvery = time.Second
	heartbeatTTL   = 3 * time.Second
	// heartbeatLast is the last beat's TTL, given when the sender stops: its lanes may still deliver
	// for drainDeadline, and nobody may take their entries over meanwhile.
	heartbeatLast = drainDeadline + heartbeatEvery
	// minLease is the least of the lease a Slack call must have left to start.
	minLease = 500 * time.Millisecond
)

// The lease: a sender holds its entries only while its heartbeat lives. Every beat that Redis
// answered renews the lease to the beat's start plus heartbeatTTL, which the heartbeat key
// outlives on Redis's clock; past it, another sender may have taken the entries over, so no Slack
// call starts (and none runs on) beyond the lease (whileLeased). A beat after failed ones, or one that finds the
// heartbeat had expired (a beat so late that the key outlived the lease no longer), first asks the
// group which held entries are still this sender's, and only then renews it.

// leased reports whether enough of the lease is left to start a Slack call.
func (s *sender) leased() bool {
	return time.Unix(0, s.lease.Load()).Sub(s.now()) >= minLease
}

// whileLeased returns a context for a Slack call that ends when the lease does, unrenewed (another
// sender may then take the entry over), and not while the beats keep renewing it: a slow reply
// from Slack (the call's own deadline is slackTimeout) must not be cut off at the lease's end of
// the moment the call started, which would try again a message Slack has posted.
func (s *sender) whileLeased(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		for {
			left := time.Until(time.Unix(0, s.lease.Load()))
			if left <= 0 {
				cancel(errLeaseLost)
				return
			}
			t := time.NewTimer(left)
			select {
			case <-t.C:
			case <-done:
				t.Stop()
				return
			}
		}
	}()
	return cctx, func() { close(done); cancel(nil) }
}

// errLeaseLost ends a Slack call the sender's lease no longer covers.
var errLeaseLost = errors.New("outbox lease lost: another sender may take the entry over")

// Heartbeats is how senders see each other die (storage.Store). A store without it leaves a dead
// sender's entries to the idle reclaim.
type Heartbeats interface {
	// Heartbeat keeps consumer alive for ttl and takes over for it up to count entries of the
	// consumers whose heartbeat is gone, deleting from the group those that hold nothing (left).
	// lapsed says consumer's own heartbeat had expired before this beat (or never was).
	Heartbeat(ctx context.Context, team, consumer string, ttl time.Duration, count int) (taken []rapport.OutboxEntry, left []string, lapsed bool, err error)
}

// startBeats beats once, so that the group never sees this consumer without a heartbeat, then
// every heartbeatEvery on a goroutine of wg until stop, and once more then for the drain. What it
// takes over goes to the lanes.
func (s *sender) startBeats(stop, work context.Context, lanes []*lane, wg *sync.WaitGroup) {
	hb, ok := s.store.(Heartbeats)
	if !ok {
		s.lease.Store(math.MaxInt64) // nobody takes over: only the idle reclaim, after s.reclaim
		s.log.Warn("outbox store keeps no heartbeats: a dead sender's entries wait for the idle reclaim",
			zap.Duration("reclaim_after", s.reclaim))
		return
	}
	beatOK := s.beat(work, hb, lanes, true)
	wg.Go(func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-stop.Done():
				ctx, cancel := context.WithTimeout(work, heartbeatTTL-heartbeatEvery)
				defer cancel()
				if _, _, _, err := hb.Heartbeat(ctx, s.team, s.consumer, heartbeatLast, 0); err != nil {
					s.log.Warn("outbox heartbeat for the drain failed", zap.Error(err))
				}
				return
			case <-t.C:
				beatOK = s.beat(work, hb, lanes, beatOK)
			}
		}
	})
}

// beat renews the heartbeat and hands the lanes what it took over, no more than there is room for.
// It reports whether Redis answered; wasOK is the previous beat's, so that a run of failures is
// logged once.
func (s *sender) beat(ctx context.Context, hb Heartbeats, lanes []*lane, wasOK bool) bool {
	ctx, cancel := context.WithTimeout(ctx, heartbeatTTL-heartbeatEvery)
	defer cancel()
	room := min(max(maxHeld-s.held.len(), 0), readBatch)
	start := s.now()
	taken, left, lapsed, err := hb.Heartbeat(ctx, s.team, s.consumer, heartbeatTTL, room)
	if err != nil {
		if wasOK {
			s.log.Warn("outbox heartbeat failed: other senders take this one's entries over if it lasts",
				zap.Duration("heartbeat_ttl", heartbeatTTL), zap.Error(err))
		}
		return false
	}
	if !wasOK || lapsed {
		// The heartbeat may have lapsed meanwhile: drop what others took over before sending again.
		if err := s.keep(ctx, start); err != nil {
			return false
		}
		if !wasOK {
			s.log.Info("outbox heartbeat back")
		}
	}
	s.lease.Store(start.Add(heartbeatTTL).UnixNano())
	if len(taken) > 0 {
		s.log.Info("outbox entries of a stopped sender taken over", zap.Int("count", len(taken)))
	}
	if len(left) > 0 {
		s.log.Info("stopped senders removed from the outbox group", zap.Strings("consumers", left))
	}
	s.dispatch(ctx, lanes, taken, false)
	return true
}
