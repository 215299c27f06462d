package bot

import (
	"sync"
	"time"

	"github.com/rapportbot/rapport"
)

// Home lanes. A member's App Home is one view that each publish replaces whole, drawn from the
// state when it goes: of several redraws owed to one member, only the latest matters. So a Home
// lane keeps at most one unpublished redraw per member (a newer entry takes the place of the one
// waiting, which is settled at once: the newer one, pending in the stream, owes the same), and
// publishes a member's Home at most once per HomeEvery, on every replica (the shared pace cell
// home:<member>). Nothing owed is lost to a crash: the entry kept is pending until its publish
// is recorded, and one superseded but not yet recorded as settled is only published again.

// supersede puts it in the place of q's last item when that one is a redraw not yet published, and
// reports whether it did. A redraw with a notice on top (a refused click) is replaced only by one
// with a notice of its own: the notice lives in its stream entry, and the newer entry's does not
// carry it, so settling the older one before the newer is published could lose it to a crash or a
// takeover. It goes out, and the newer redraw after it. The member's Home slot its batch took for
// the one replaced (paceAhead) goes to the newer one: the same member's publish, which would
// otherwise wait HomeEvery for a slot nobody used.
func (l *lane) supersede(q *queue, it *item) bool {
	if len(q.items) == 0 {
		return false
	}
	last := q.items[len(q.items)-1]
	if last.sent != nil || last.dead != "" {
		return false // published (or refused) already: only its record is owed
	}
	if last.e.Fields[rapport.EntryNotice] != "" && it.e.Fields[rapport.EntryNotice] == "" {
		return false
	}
	if last.ahead.home && !it.ahead.home {
		it.ahead.home, it.ahead.at = true, last.ahead.at
	}
	q.items[len(q.items)-1] = it
	l.superseded = append(l.superseded, last)
	return true
}

// settleSuperseded hands the redraws replaced by newer ones to the recorder, as no longer owed (a
// redelivery would only publish the Home again). One another sender took over is its to settle.
func (l *lane) settleSuperseded() {
	for _, it := range l.superseded {
		if l.s.held.mine(it.e.ID) {
			it.sent = &sent{}
			l.s.rec.add(it)
		} else {
			l.s.held.drop(it.e.ID)
		}
	}
	clear(l.superseded)
	l.superseded = l.superseded[:0]
}

// homeWait is how long q's head must wait before it is drawn and published: until HomeEvery after
// the member's last publish from this sender (0 in a DM's lane, or once published).
func (l *lane) homeWait(q *queue, it *item, now time.Time) time.Duration {
	if !l.coalesce || it.sent != nil || it.dead != "" {
		return 0
	}
	if d := l.s.homeRecent.wait(q.to, now); d > 0 {
		it.post, it.drawn, it.ahead = nil, nil, ahead{} // drawn (and paced) when it goes, from the state then
		return d
	}
	return 0
}

// homeSent remembers when it was published, for homeWait and drawAhead.
func (l *lane) homeSent(q *queue, it *item) {
	if !l.coalesce || it.sent == nil || it.sent.channel == "" {
		return
	}
	l.s.homeRecent.mark(q.to, l.s.now())
}

// recentHomes is when this sender last published each member's Home: the Home lanes wait
// HomeEvery from it (homeWait), and the reader draws ahead only the Homes that may go at once
// (drawAhead).
type recentHomes struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (r *recentHomes) mark(to string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil {
		r.at = map[string]time.Time{}
	}
	if len(r.at) >= 4096 { // members who went quiet: their gap is long over
		for m, at := range r.at {
			if now.Sub(at) >= HomeEvery {
				delete(r.at, m)
			}
		}
	}
	r.at[to] = now
}

// wait is how long to's Home must still wait at now: until HomeEvery after its last publish.
func (r *recentHomes) wait(to string, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.at[to]
	if !ok {
		return 0
	}
	if d := at.Add(HomeEvery).Sub(now); d > 0 {
		return d
	}
	delete(r.at, to)
	return 0
}
