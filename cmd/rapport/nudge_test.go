package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapportbot/rapport/scheduler"
)

// tick runs one sweep of the first replica at now and waits until what it queued is delivered.
func (h *harness) tick(now time.Time) scheduler.Result {
	h.t.Helper()
	res, err := h.app.single.sched.Tick(h.ctx, now)
	if err != nil {
		h.t.Fatalf("tick at %v: %v", now, err)
	}
	h.wait("the outbox to drain", h.outboxEmpty)
	return res
}

func TestNudgesFollowTheLifecycle(t *testing.T) {
	h := start(t)
	t0 := time.Now()
	h.referred()
	lead := form{receiver: "UDAVE", name: "Sam Patel", phone: "480-555-0199", need: "A will"}
	if ack := h.refer(h.carol, lead); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("Dave's DM", func() bool { return len(h.dave.dms()) == 1 && h.outboxEmpty() })
	sla := 24 * time.Hour

	if res := h.tick(t0.Add(sla - time.Minute)); res.Claimed != 0 {
		t.Errorf("a tick before the SLA claimed %d", res.Claimed)
	}
	h.tick(t0.Add(sla + time.Minute))
	if len(h.bob.dms()) != 2 || len(h.dave.dms()) != 2 {
		t.Fatalf("after the SLA Bob has %d DMs and Dave %d; want a nudge each", len(h.bob.dms()), len(h.dave.dms()))
	}
	nudge := h.bob.dms()[1]
	if err := contains(messageText(nudge), "R-1", "waiting on you", "<@UALICE>"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(nudge); !has(ids, "ref:accept") || !has(ids, "ref:pass_on") {
		t.Errorf("nudge buttons = %v", ids)
	}
	if res := h.tick(t0.Add(sla + 2*time.Minute)); res.Claimed != 0 || len(h.bob.dms()) != 2 {
		t.Errorf("a second tick in the same stage nudged again (claimed %d)", res.Claimed)
	}

	// Bob acts from the nudge: the second nudge is cancelled, a report reminder takes its place.
	h.tap(h.bob, nudge, "ref:accept")
	h.wait("Alice's report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	h.tick(t0.Add(2*sla + 3*time.Minute))
	if len(h.bob.dms()) != 2 {
		t.Errorf("Bob was nudged again after accepting")
	}
	// Dave never acted: second nudge, and Carol is told and offered Withdraw.
	if len(h.dave.dms()) != 3 || len(h.carol.dms()) != 2 {
		t.Fatalf("at twice the SLA Dave has %d DMs and Carol %d; want 3 and 2", len(h.dave.dms()), len(h.carol.dms()))
	}
	if err := contains(messageText(h.dave.dms()[2]), "Second reminder", "R-2"); err != nil {
		t.Error(err)
	}
	giver := h.carol.dms()[1]
	if err := contains(messageText(giver), "<@UDAVE> hasn't acted on *R-2*", "withdraw"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(giver); len(ids) != 1 || ids[0] != "ref:withdraw" {
		t.Errorf("giver's notice buttons = %v", ids)
	}
	h.tick(t0.Add(10 * sla))
	if len(h.dave.dms()) != 3 || len(h.carol.dms()) != 2 {
		t.Error("reminders went on after the second nudge: want silence")
	}

	// Accepted a week ago with no outcome: how did it go? Then once more, then silence.
	week := 168 * time.Hour
	h.tick(time.Now().Add(week + time.Minute))
	if len(h.bob.dms()) != 3 {
		t.Fatalf("no report-back ask after a week (Bob has %d DMs)", len(h.bob.dms()))
	}
	ask := h.bob.dms()[2]
	if err := contains(messageText(ask), "How did it go", "R-1"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(ask); !has(ids, "ref:won") || has(ids, "ref:accept") {
		t.Errorf("report-back buttons = %v", ids)
	}
	h.tick(time.Now().Add(2*week + 2*time.Minute))
	h.tick(time.Now().Add(5 * week))
	if n := len(h.bob.dms()); n != 4 {
		t.Errorf("Bob has %d DMs after the report asks; want exactly two asks", n)
	}
}

func TestTwoReplicasSendEachNudgeOnce(t *testing.T) {
	h := startReplicas(t, 2)
	t0 := time.Now()
	const n = 20
	givers := []person{h.alice, h.carol}
	for i := 0; i < n; i++ {
		f := hotForm()
		f.name, f.email, f.phone = fmt.Sprintf("Prospect %d", i), fmt.Sprintf("p%d@example.com", i), ""
		if ack := h.refer(givers[i%2], f); ack.ResponseAction != "" {
			t.Fatalf("refused: %s", pretty(ack))
		}
	}
	h.wait("the DMs", func() bool { return len(h.bob.dms()) == n && h.outboxEmpty() })
	var wg sync.WaitGroup
	claimed := make([]int, len(h.replicas))
	for i, r := range h.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.app.single.sched.Tick(h.ctx, t0.Add(25*time.Hour))
			if err != nil {
				t.Error(err)
			}
			claimed[i] = res.Claimed
		}()
	}
	wg.Wait()
	h.wait("the nudges", func() bool { return len(h.bob.dms()) >= 2*n && h.outboxEmpty() })
	if got := len(h.bob.dms()) - n; got != n || claimed[0]+claimed[1] != n {
		t.Errorf("%d nudges sent (replicas claimed %v); want exactly %d", got, claimed, n)
	}
	seen := map[string]bool{}
	for _, m := range h.bob.dms()[n:] {
		id := m.Text[strings.Index(m.Text, "R-"):]
		id = id[:strings.IndexAny(id, "* ")]
		if seen[id] {
			t.Errorf("%s nudged twice", id)
		}
		seen[id] = true
	}
}
