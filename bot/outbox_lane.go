package bot

import (
	"container/heap"
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rapportbot/rapport"
	"go.uber.org/zap"
)

// A lane is one delivery worker. Entries are spread over lanes by recipient, so one person's
// messages go out in the order they were written (a DM before its in-place updates) while other
// people's flow beside them. Within a lane each recipient has a queue; a queue whose head must wait
// (a rate limit, a 429, a retry's backoff) is set aside until then, and the lane serves the others
// round robin meanwhile. Nothing here sleeps on a Slack call.
type lane struct {
	s *sender

	mu    sync.Mutex
	inbox []*item
	busy  bool // counted in the recorder's busy: work in the inbox or a queue ready
	wake  chan struct{}

	// Owned by run.
	queues  map[string]*queue
	ready   []*queue  // queues whose head may go now, in turn
	later   queueHeap // queues set aside, soonest first
	waiting []*queue  // queues whose head is drawn once the recorder wrote an earlier one's place

	// A Home lane (coalesce.go): each member's queue holds at most one redraw not yet published,
	// the latest; the ones it replaced wait in superseded to be settled. When each member's Home
	// last went is the sender's (homeRecent).
	coalesce   bool
	superseded []*item

	oldest atomic.Int64 // UnixNano when the oldest message ready to go was read (noteOldest); 0 none
}

// queue is one recipient's entries in stream order.
type queue struct {
	to    string
	items []*item
	until time.Time // when set aside: the time its head may try again
	index int       // in later
}

// item is an entry on its way, with what is known so far, so that a retry resumes where the last
// try stopped: a message Slack accepted is only recorded again, never posted again.
type item struct {
	e        rapport.OutboxEntry
	log      *zap.Logger
	attempts int       // failed tries (transient errors), for the backoff
	failedAt time.Time // its first transient failure in this process, if any
	read     time.Time // when it was read new from the stream (unclaimed); zero if claimed from another sender
	checked  bool      // the Delivered check said no
	post     *Delivery // rendered, not yet accepted by Slack
	rendered time.Time // when post was rendered
	drawn    *Drawn    // drawn with its batch (drawAhead), not yet used
	drawnAt  time.Time
	ahead    ahead  // slots taken for it with its batch (paceAhead), not yet used
	sent     *sent  // Slack's ok (or nothing owed), not yet recorded
	dead     string // the reason Slack refused it for good, not yet recorded
}

type sent struct{ slot, channel, ts string }

func newLanes(s *sender, n int) []*lane {
	ls := make([]*lane, n)
	for i := range ls {
		ls[i] = &lane{s: s, wake: make(chan struct{}, 1), queues: map[string]*queue{}}
	}
	return ls
}

var laneSeed = maphash.MakeSeed()

// laneOf picks the lane of a recipient.
func laneOf(to string, n int) int { return int(maphash.String(laneSeed, to) % uint64(n)) }

// push hands the lane an entry; it never blocks.
func (l *lane) push(it *item) {
	l.mu.Lock()
	l.inbox = append(l.inbox, it)
	l.working(true)
	l.mu.Unlock()
	l.poke()
}

func (l *lane) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// working tells the recorder whether the lane has work it can do now; l.mu is held.
func (l *lane) working(busy bool) {
	if busy == l.busy {
		return
	}
	l.busy = busy
	if busy {
		l.s.rec.working(1)
	} else {
		l.s.rec.working(-1)
	}
}

// run delivers until stop, then finishes the delivery under way; what Slack accepted goes to the
// recorder, and an entry not finished stays pending in the stream.
func (l *lane) run(stop, work context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.admit()
		now := l.s.now()
		for len(l.later) > 0 && !l.later[0].until.After(now) {
			l.ready = append(l.ready, heap.Pop(&l.later).(*queue))
		}
		l.recorded()
		if stop.Err() != nil {
			return
		}
		l.settleSuperseded()
		l.noteOldest()
		if len(l.ready) == 0 {
			l.mu.Lock()
			idle := len(l.inbox) == 0
			if idle {
				l.working(false)
			}
			l.mu.Unlock()
			if !idle {
				continue
			}
			var due <-chan time.Time
			if len(l.later) > 0 {
				timer.Reset(l.later[0].until.Sub(now))
				due = timer.C
			}
			select {
			case <-stop.Done():
				return
			case <-l.wake:
			case <-due:
			}
			continue
		}
		q := l.ready[0]
		l.ready[0] = nil
		l.ready = l.ready[1:]
		it := q.items[0]
		if d := l.homeWait(q, it, now); d > 0 {
			q.until = now.Add(d)
			heap.Push(&l.later, q)
			continue
		}
		wait, finished := l.s.step(work, it)
		l.homeSent(q, it)
		switch {
		case !finished && wait == untilRecorded:
			l.waiting = append(l.waiting, q)
			continue
		case !finished:
			q.until = l.s.now().Add(wait)
			heap.Push(&l.later, q)
			continue
		case it.sent == nil && it.dead == "": // no outcome for the recorder: lost, or left for reclaim
			l.s.held.drop(it.e.ID)
		}
		q.items[0] = nil
		q.items = q.items[1:]
		if len(q.items) == 0 {
			delete(l.queues, q.to)
			continue
		}
		l.ready = append(l.ready, q)
	}
}

// recorded moves back to the ready queues those whose recipient's earlier message is recorded now.
func (l *lane) recorded() {
	if len(l.waiting) == 0 {
		return
	}
	kept := l.waiting[:0]
	for _, q := range l.waiting {
		if l.s.rec.waits(q.to) {
			kept = append(kept, q)
		} else {
			l.ready = append(l.ready, q)
		}
	}
	clear(l.waiting[len(kept):])
	l.waiting = kept
}

// admit moves the inbox into the recipients' queues.
func (l *lane) admit() {
	l.mu.Lock()
	in := l.inbox
	l.inbox = nil
	l.mu.Unlock()
	for _, it := range in {
		q := l.queues[it.e.To]
		if q == nil {
			q = &queue{to: it.e.To, index: -1}
			l.queues[it.e.To] = q
			l.ready = append(l.ready, q)
		}
		if l.coalesce && l.supersede(q, it) {
			continue
		}
		q.items = append(q.items, it)
	}
}

// queueHeap orders set-aside queues by the time they may go again.
type queueHeap []*queue

func (h queueHeap) Len() int           { return len(h) }
func (h queueHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h queueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *queueHeap) Push(x any) {
	q := x.(*queue)
	q.index = len(*h)
	*h = append(*h, q)
}
func (h *queueHeap) Pop() any {
	old := *h
	q := old[len(old)-1]
	old[len(old)-1] = nil
	q.index = -1
	*h = old[:len(old)-1]
	return q
}
