package bot

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// touchBatch bounds the ids of one TouchOutbox round trip.
const touchBatch = 500

// held is the set of outbox entries this process has read and not yet finished with: queued behind
// a recipient's earlier messages, set aside for a rate limit or a retry, or being delivered. They stay
// pending in the stream, so a crash loses none of them; the sender touches them (TouchOutbox) so that
// no replica reclaims an entry only because it waited here.
type held struct {
	mu    sync.Mutex
	ids   map[string]*heldEntry
	to    map[string]int // entries held per recipient
	freed chan struct{}  // signalled when an entry leaves, for a reader waiting for room
}

type heldEntry struct {
	to      string    // its recipient
	touched time.Time // when the group last saw this consumer hold it
	lost    bool      // another consumer claimed it: not ours to send
}

func newHeld() *held {
	return &held{ids: map[string]*heldEntry{}, to: map[string]int{}, freed: make(chan struct{}, 1)}
}

// add holds id, to recipient to, from now; false if it is held already (ClaimStale handed back one
// of ours).
func (h *held) add(id, to string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if he, ok := h.ids[id]; ok {
		he.lost, he.touched = false, now // claimed back: ours again, and still queued
		return false
	}
	h.ids[id] = &heldEntry{to: to, touched: now}
	h.to[to]++
	return true
}

// holds reports whether any entry to recipient to is held.
func (h *held) holds(to string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.to[to] > 0
}

// mine reports whether id is still this consumer's to send.
func (h *held) mine(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	he, ok := h.ids[id]
	return ok && !he.lost
}

// drop forgets id: delivered, dead-lettered, left for reclaim or lost.
func (h *held) drop(id string) {
	h.mu.Lock()
	if he, ok := h.ids[id]; ok {
		delete(h.ids, id)
		if h.to[he.to]--; h.to[he.to] <= 0 {
			delete(h.to, he.to)
		}
	}
	h.mu.Unlock()
	select {
	case h.freed <- struct{}{}:
	default:
	}
}

func (h *held) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ids)
}

// due returns the ids last touched before cutoff.
func (h *held) due(cutoff time.Time) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for id, he := range h.ids {
		if !he.lost && he.touched.Before(cutoff) {
			ids = append(ids, id)
		}
	}
	return ids
}

// touched records the outcome of a TouchOutbox of ids at now.
func (h *held) touched(ids, lost []string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		if he, ok := h.ids[id]; ok {
			he.touched = now
		}
	}
	for _, id := range lost {
		if he, ok := h.ids[id]; ok {
			he.lost = true
		}
	}
}

// keep touches the held entries the group has not heard of since before, so that nobody's idle
// reclaim takes them, and forgets those that are no longer this sender's.
func (s *sender) keep(ctx context.Context, before time.Time) error {
	now := s.now()
	ids := s.held.due(before)
	for len(ids) > 0 {
		batch := ids[:min(len(ids), touchBatch)]
		ids = ids[len(batch):]
		lost, err := s.store.TouchOutbox(ctx, s.team, s.consumer, batch)
		if err != nil {
			s.log.Warn("outbox touch failed", zap.Error(err))
			return err
		}
		if len(lost) > 0 {
			s.log.Info("outbox entries taken over by another sender", zap.Int("count", len(lost)))
		}
		s.held.touched(batch, lost, now)
	}
	return nil
}
