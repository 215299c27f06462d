package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// openView types "/refer open" as p and returns the reply and its text and blocks as one reads them.
func (h *harness) openView(p person) (ackPayload, string) {
	h.t.Helper()
	ack := h.adminCommand(p, "open")
	b, _ := json.Marshal(ack.Blocks)
	return ack, ack.Text + "\n" + unjson(b)
}

// The leader's view: every open referral by receiver, the overdue first, with its age, stage and
// marks; "Nudge now" DMs the receiver once, however often it is tapped; others are refused.
func TestLeaderOpenView(t *testing.T) {
	h, clock := startClocked(t)
	h.referred() // R-1 Alice → Bob
	clock.add(time.Hour)
	lead := form{receiver: "UDAVE", name: "Sam Patel", phone: "480-555-0199", need: "A will"}
	if ack := h.refer(h.carol, lead); ack.ResponseAction != "" { // R-2 Carol → Dave
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("Dave's DM", func() bool { return len(h.dave.dms()) == 1 && h.outboxEmpty() })
	clock.add(time.Hour)
	h.tap(h.bob, h.bob.dms()[0], "ref:accept")
	h.wait("Alice's report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	clock.add(23 * time.Hour)
	third := hotForm()
	third.name, third.company, third.phone, third.email = "Lee Park", "Park Dental", "480-555-0123", "lee@park.example"
	if ack := h.refer(h.alice, third); ack.ResponseAction != "" { // R-3 Alice → Bob, fresh
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("Bob's DM", func() bool { return len(h.bob.dms()) == 2 && h.outboxEmpty() })
	clock.add(time.Hour) // 26h after R-1: R-2 waited 25h for a first step

	_, text := h.openView(h.dave)
	if err := contains(text, "*3 open referrals*, 1 overdue", "*<@UDAVE>* · 1 open · *1 overdue*", "*<@UBOB>* · 2 open",
		"`R-2`", "*Sam Patel*", "from <@UCAROL>", "*New* · 25h old", ":red_circle: *Follow-up overdue*: no step for 25h",
		"`R-1`", "*Dana Reyes*, Reyes Bakery", "*Accepted* · 26h old", "`R-3`", "*Lee Park*, Park Dental", `"text":"Nudge now"`); err != nil {
		t.Fatal(err)
	}
	// By receiver, the overdue first; Bob's oldest first.
	order := []string{"<@UDAVE>*", "`R-2`", "<@UBOB>*", "`R-1`", "`R-3`"}
	for i := 1; i < len(order); i++ {
		if strings.Index(text, order[i-1]) > strings.Index(text, order[i]) {
			t.Errorf("%s comes after %s:\n%s", order[i-1], order[i], text)
		}
	}
	if strings.Count(text, "overdue*:") != 1 {
		t.Errorf("want one overdue mark:\n%s", text)
	}
	for _, private := range []string{"555-0199", "555-0142", "dana@reyesbakery.example"} {
		if strings.Contains(text, private) {
			t.Errorf("the leader's view shows the prospect's %q", private)
		}
	}

	// The giver chasing it does not make it on time: after Carol asks Dave for an update, R-2 is
	// still a day late for its first step.
	daveDMs := len(h.dave.dms())
	h.tap(h.carol, h.carol.dms()[0], "ref:ask")
	h.wait("Dave asked for an update", func() bool { return len(h.dave.dms()) == daveDMs+1 && h.outboxEmpty() })
	if _, text := h.openView(h.dave); !strings.Contains(text, ":red_circle: *Follow-up overdue*: no step for 25h") {
		t.Errorf("after the giver's ask, R-2 is no longer overdue:\n%s", text)
	}

	// Nudge now, twice: Dave gets one DM about R-2, with its buttons; the admin is told each time.
	reply, _ := h.openView(h.dave)
	before := len(h.dave.dms())
	h.clickSection(h.dave, reply, "leader:nudge", "2")
	h.clickSection(h.dave, reply, "leader:nudge", "2")
	h.wait("the admin told twice", func() bool { return len(h.ephemeralsWith("UDAVE", "R-2")) == 2 && h.outboxEmpty() })
	if n := len(h.dave.dms()) - before; n != 1 {
		t.Fatalf("Dave got %d nudges; want 1", n)
	}
	nudge := h.dave.dms()[len(h.dave.dms())-1]
	if err := contains(messageText(nudge), "<@UDAVE> asked me to check in on *R-2*", "*Sam Patel*", "from <@UCAROL>", "*New*"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(nudge); !has(ids, "ref:accept") || !has(ids, "ref:pass_on") {
		t.Errorf("the nudge's buttons = %v", ids)
	}
	told := h.ephemeralsWith("UDAVE", "R-2")
	if err := contains(told[0].Text+told[1].Text, "Nudged <@UDAVE> about *R-2*", "was nudged about *R-2*", "once a day at most"); err != nil {
		t.Error(err)
	}

	// Not an admin: refused, and told why.
	ack, _ := h.openView(h.alice)
	if !strings.Contains(ack.Text, "Only the group's admins can see every open referral") || len(ack.Blocks.BlockSet) > 0 {
		t.Errorf("/refer open for Alice = %s", pretty(ack))
	}
}

// The admins' Home has the leader's view (top 20) under its own section; a member's does not.
func TestLeaderHomeSection(t *testing.T) {
	h := start(t)
	h.referred()
	h.openHome(h.dave, "home")
	h.openHome(h.bob, "home")
	dave := unjson(h.home(h.dave, 1).View)
	if err := contains(dave, "Open referrals (admins)", "*1 open referral*, 0 overdue", "*<@UBOB>* · 1 open", "`R-1`", `"action_id":"leader:nudge"`); err != nil {
		t.Error(err)
	}
	if bob := unjson(h.home(h.bob, 1).View); strings.Contains(bob, "Open referrals (admins)") || strings.Contains(bob, "leader:nudge") {
		t.Errorf("a member's Home shows the admins' section:\n%s", bob)
	}
	// Nudge now from the Home: Bob is nudged, Dave's Home says so on top.
	before := len(h.bob.dms())
	h.clickView(h.dave, h.home(h.dave, 1), "leader:nudge", "1")
	if err := contains(unjson(h.home(h.dave, 2).View), ":bell: Nudged <@UBOB> about *R-1*"); err != nil {
		t.Error(err)
	}
	h.wait("Bob's nudge", func() bool { return len(h.bob.dms()) == before+1 })
}

// clickSection taps the button actionID with value beside a section of reply (the ephemeral
// answer to a command), as Slack sends a click in an ephemeral message: with a response_url.
func (h *harness) clickSection(p person, reply ackPayload, actionID, value string) {
	h.t.Helper()
	for _, b := range reply.Blocks.BlockSet {
		s, ok := b.(*slack.SectionBlock)
		if !ok || s.Accessory == nil || s.Accessory.ButtonElement == nil {
			continue
		}
		if btn := s.Accessory.ButtonElement; btn.ActionID == actionID && btn.Value == value {
			a := slack.BlockAction{ActionID: btn.ActionID, BlockID: s.BlockID, Value: btn.Value, Type: "button", Text: *btn.Text}
			if _, err := h.fake.Send(h.ctx, "interactive", h.fake.BlockAction(p.id, a, slackfake.InMessage(slackfake.GeneralChannelID, "1700000000.000001"))); err != nil {
				h.t.Fatal(err)
			}
			return
		}
	}
	h.t.Fatalf("no button %s (%s) in the reply:\n%s", actionID, value, pretty(reply))
}

// ephemeralsWith are user's ephemeral messages that mention sub.
func (h *harness) ephemeralsWith(user, sub string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.ephemerals(user) {
		if strings.Contains(m.Text, sub) {
			out = append(out, m)
		}
	}
	return out
}
