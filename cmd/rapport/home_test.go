package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// openHome sends app_home_opened for p on tab ("home" or "messages").
func (h *harness) openHome(p person, tab string) {
	h.t.Helper()
	payload := h.fake.AppHomeOpened(p.id)
	payload["event"].(map[string]any)["tab"] = tab
	if _, err := h.fake.Send(h.ctx, "events_api", payload); err != nil {
		h.t.Fatal(err)
	}
}

// homes is every Home view published for p, oldest first.
func (h *harness) homes(p person) []slackfake.View {
	var out []slackfake.View
	for _, v := range h.fake.Views() {
		if v.User == p.id && v.Method == "views.publish" {
			out = append(out, v)
		}
	}
	return out
}

// home waits for p's n-th Home view and returns it.
func (h *harness) home(p person, n int) slackfake.View {
	h.t.Helper()
	h.wait("a Home view", func() bool { return len(h.homes(p)) >= n && h.outboxEmpty() })
	return h.homes(p)[n-1]
}

// clickView taps the button actionID with value in view v (value "" matches any), as Slack sends
// a click in the Home tab: container view, no channel, no response_url.
func (h *harness) clickView(p person, v slackfake.View, actionID, value string) slackfake.Ack {
	h.t.Helper()
	var view slack.View
	if err := json.Unmarshal(v.View, &view); err != nil {
		h.t.Fatal(err)
	}
	for _, b := range view.Blocks.BlockSet {
		var els []slack.BlockElement
		var blockID string
		switch b := b.(type) {
		case *slack.ActionBlock:
			els, blockID = b.Elements.ElementSet, b.BlockID
		case *slack.SectionBlock:
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				els, blockID = []slack.BlockElement{b.Accessory.ButtonElement}, b.BlockID
			}
		}
		for _, el := range els {
			if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == actionID && (value == "" || btn.Value == value) {
				a := slack.BlockAction{ActionID: btn.ActionID, BlockID: blockID, Value: btn.Value, Type: "button", Text: *btn.Text}
				ack, err := h.fake.Send(h.ctx, "interactive", h.fake.BlockAction(p.id, a, slackfake.InView(v.ID)))
				if err != nil {
					h.t.Fatal(err)
				}
				return ack
			}
		}
	}
	h.t.Fatalf("no button %s (%s) in Home view %s:\n%s", actionID, value, v.ID, unjson(v.View))
	return slackfake.Ack{}
}

func TestHomeShowsWhatWaitsOnMe(t *testing.T) {
	h := start(t)
	h.referred()
	if _, err := h.bob.command(h.ctx, "ask Introductions to property managers in Tempe"); err != nil {
		t.Fatal(err)
	}

	h.openHome(h.bob, "home")
	v := h.home(h.bob, 1)
	text := unjson(v.View)
	if err := contains(text, `"type":"home"`, "R-1", "from <@UALICE>", "Dana Reyes", "Reyes Bakery", `"action_id":"ref:accept"`,
		`"action_id":"ref:pass_on"`, "Introductions to property managers in Tempe", "Your numbers", `*Received*\n1`, "Top givers", "<@UALICE>: *1* hot · 0 warm · 0 leads"); err != nil {
		t.Error(err)
	}
	for _, private := range []string{"555-0142", "4805550142", "dana@reyesbakery.example"} {
		if strings.Contains(text, private) {
			t.Errorf("the Home shows the prospect's %q: contact details stay in the DM", private)
		}
	}
	if n := len(h.homes(h.alice)); n != 0 {
		t.Errorf("%d Home views for Alice, who never opened Home", n)
	}

	h.openHome(h.carol, "messages")
	h.wait("the outbox to drain", h.outboxEmpty)
	if n := len(h.homes(h.carol)); n != 0 {
		t.Errorf("the Messages tab published %d Home views", n)
	}
}

func TestHomeAcceptMovesAndRefreshesBoth(t *testing.T) {
	h := start(t)
	h.referred()
	h.openHome(h.alice, "home")
	h.openHome(h.bob, "home")
	first := h.home(h.bob, 1)
	h.home(h.alice, 1)

	h.clickView(h.bob, first, "ref:accept", "1")
	h.wait("the giver's report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[1]), "<@UBOB> accepted", "R-1"); err != nil {
		t.Error(err)
	}
	bobs := unjson(h.home(h.bob, 2).View)
	if strings.Contains(bobs, `"ref:accept"`) || !strings.Contains(bobs, `"ref:contacted"`) || !strings.Contains(bobs, "*Accepted*") {
		t.Errorf("Bob's Home after accepting:\n%s", bobs)
	}
	if err := contains(unjson(h.home(h.alice, 2).View), "R-1", "to <@UBOB> · *Accepted*"); err != nil {
		t.Errorf("Alice's Home after Bob accepted: %v", err)
	}

	// The same button again, from the stale view: refused, and said in the Home Bob is looking at.
	h.clickView(h.bob, first, "ref:accept", "1")
	if err := contains(unjson(h.home(h.bob, 3).View), ":warning: R-1 is already *Accepted*", "no longer applies"); err != nil {
		t.Error(err)
	}
	if n := len(h.alice.dms()); n != 2 {
		t.Errorf("the refused click sent Alice %d DMs in all, want 2", n)
	}
}

func TestHomeRefreshedByNewReferral(t *testing.T) {
	h := start(t)
	h.openHome(h.bob, "home")
	if err := contains(unjson(h.home(h.bob, 1).View), "Nothing waiting on you"); err != nil {
		t.Error(err)
	}
	h.referred()
	if err := contains(unjson(h.home(h.bob, 2).View), "R-1", `"ref:accept"`); err != nil {
		t.Error(err)
	}
	if n := len(h.homes(h.alice)); n != 0 {
		t.Errorf("%d Home views for Alice, who never opened Home", n)
	}
}

func TestHomeEditAsk(t *testing.T) {
	h := start(t)
	h.openHome(h.bob, "home")
	h.clickView(h.bob, h.home(h.bob, 1), "home:ask", "")
	form := h.openedView(h.bob, 1)
	ack, err := h.bob.submitView(h.ctx, form, map[string]slack.BlockAction{"ask": {Value: "Landlords <in> Tempe"}})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("ask refused: %s, %v", ack.Payload, err)
	}
	if err := contains(unjson(h.home(h.bob, 2).View), "Landlords &lt;in&gt; Tempe", `"text":"Edit"`); err != nil {
		t.Error(err)
	}

	h.clickView(h.bob, h.home(h.bob, 2), "home:ask", "")
	form = h.openedView(h.bob, 2)
	if !strings.Contains(unjson(form.View), `"initial_value":"Landlords <in> Tempe"`) {
		t.Errorf("the form does not open with the current ask:\n%s", unjson(form.View))
	}
	if _, err := h.bob.submitView(h.ctx, form, map[string]slack.BlockAction{"ask": {Value: ""}}); err != nil {
		t.Fatal(err)
	}
	if err := contains(unjson(h.home(h.bob, 3).View), "None yet"); err != nil {
		t.Error(err)
	}
}

// A click in the App Home that Rapport cannot carry out (Redis out of reach) is not met with
// silence: the Home has no channel and no response_url, so a modal opened with the click's
// trigger says nothing was done; the click can be made again.
func TestHomeClickFailureSaid(t *testing.T) {
	h := startBehindProxy(t)
	h.referred()
	h.openHome(h.bob, "home")
	first := h.home(h.bob, 1)
	opened := len(h.fake.Calls("views.open"))
	h.proxy.Refuse(true)
	h.clickView(h.bob, first, "ref:accept", "1")
	h.wait("a notice opened on Bob's click", func() bool { return len(h.fake.Calls("views.open")) > opened })
	h.proxy.Refuse(false)
	notice := h.fake.Calls("views.open")[opened]
	if err := contains(unjson(notice.Body), "Not saved", "can't reach its database"); err != nil {
		t.Errorf("the notice of a failed Home click: %v", err)
	}
	h.clickView(h.bob, first, "ref:accept", "1")
	h.wait("the giver's report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[1]), "<@UBOB> accepted", "R-1"); err != nil {
		t.Error(err)
	}
}
