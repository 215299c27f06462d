package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// toAlice is a referral from Bob to Alice about prospect name.
func toAlice(name string) form {
	return form{receiver: "UALICE", name: name, email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com",
		need: "Bookkeeping", spoke: true, mayShare: true}
}

// homeCalls is each views.publish of p's Home that Slack accepted, oldest first, with its time.
func (h *harness) homeCalls(p person) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range h.fake.Calls("views.publish") {
		if c.Params["user_id"] == p.id {
			out = append(out, c)
		}
	}
	return out
}

// TestHomeRedrawsCoalesce: five referrals Alice receives within two seconds of her Home's last
// publish redraw it once, two seconds after that publish, showing all five.
func TestHomeRedrawsCoalesce(t *testing.T) {
	h := start(t)
	h.openHome(h.alice, "home")
	h.home(h.alice, 1)
	began := time.Now()
	var names []string
	for i := range 5 {
		names = append(names, fmt.Sprintf("Prospect Number%d", i))
		if ack := h.refer(h.bob, toAlice(names[i])); ack.ResponseAction != "" {
			t.Fatalf("refused: %s", pretty(ack))
		}
	}
	span := time.Since(began)
	last := h.home(h.alice, 2)
	h.wait("every DM", func() bool { return len(h.alice.dms()) >= 5 && h.outboxEmpty() })
	homes := h.homes(h.alice)
	if err := contains(string(last.View), names...); err != nil && len(homes) == 2 {
		t.Errorf("the redraw does not show the latest state: %v", err)
	}
	if err := contains(string(homes[len(homes)-1].View), names...); err != nil {
		t.Errorf("Alice's last Home: %v", err)
	}
	switch {
	case span >= bot.HomeEvery:
		t.Logf("the five referrals took %v, over %v: how many publishes they owe is not checked", span, bot.HomeEvery)
	case len(homes) != 2:
		t.Errorf("five redraws within %v became %d publishes after the first; want 1", span, len(homes)-1)
	}
	calls := h.homeCalls(h.alice)
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].At.Sub(calls[i-1].At); gap < bot.HomeEvery-50*time.Millisecond {
			t.Errorf("publishes %d and %d of Alice's Home %v apart; want at least %v", i, i+1, gap, bot.HomeEvery)
		}
	}
}

// TestDMNotBehindHome: while Slack holds Alice's Home publishes back (429, Retry-After 4 s), a
// referral's DM to her still arrives at once; her Home follows when the pause ends, up to date.
func TestDMNotBehindHome(t *testing.T) {
	h := start(t)
	h.openHome(h.alice, "home")
	h.home(h.alice, 1)
	h.fake.RateLimitNext("views.publish", 4*time.Second, 1)
	if ack := h.refer(h.bob, toAlice("First Prospect")); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("the Home publish refused", func() bool { return len(h.homeCalls(h.alice)) >= 2 })
	paused := time.Now()
	if ack := h.refer(h.bob, toAlice("Second Prospect")); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("the second DM", func() bool {
		for _, m := range h.alice.dms() {
			if strings.Contains(messageText(m), "Second Prospect") {
				return true
			}
		}
		return false
	})
	// One Home published: the DM came while the Home's publish was still held back.
	if homes := len(h.homes(h.alice)); homes != 1 {
		t.Errorf("the DM came %v after the pause began, with %d Homes published; want it before the Home's pause ends", time.Since(paused), homes)
	}
	last := h.home(h.alice, 2)
	if err := contains(string(last.View), "First Prospect", "Second Prospect"); err != nil {
		t.Errorf("the Home after the pause: %v", err)
	}
}

// TestHomeRedrawSurvivesRestart: a Home redraw owed when the process stops (it waits out the two
// seconds since her last publish) is published by the next process, with the state then.
func TestHomeRedrawSurvivesRestart(t *testing.T) {
	h := start(t)
	h.openHome(h.alice, "home")
	h.home(h.alice, 1)
	if ack := h.refer(h.bob, toAlice("Pending Prospect")); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	old := h.replicas[0]
	old.stop()
	if err := <-old.done; err != nil {
		t.Fatalf("first process stopped with %v", err)
	}
	if n := len(h.homes(h.alice)); n != 1 {
		t.Fatalf("%d Homes published before the stop; want the redraw still owed", n)
	}
	if n, err := h.store.Pending(h.ctx, slackfake.TeamID); err != nil || n == 0 {
		t.Fatalf("outbox holds %d entries (%v) after the stop; want the Home redraw", n, err)
	}
	h.replicas = append(h.replicas[:0], h.spawn(1))
	last := h.home(h.alice, 2)
	if err := contains(string(last.View), "Pending Prospect"); err != nil {
		t.Errorf("the Home the next process published: %v", err)
	}
}
