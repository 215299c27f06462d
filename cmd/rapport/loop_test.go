package main

import (
	"strings"
	"sync"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// referred saves Alice's hot referral to Bob and returns once both DMs arrived.
func (h *harness) referred() {
	h.t.Helper()
	if ack := h.refer(h.alice, hotForm()); ack.ResponseAction != "" {
		h.t.Fatalf("referral refused: %s", pretty(ack))
	}
	h.wait("the DMs", func() bool { return len(h.bob.dms()) == 1 && len(h.alice.dms()) == 1 && h.outboxEmpty() })
}

// tap clicks a button on p's latest message that has it, and fails the test on a transport error.
func (h *harness) tap(p person, m slackfake.Message, actionID string) {
	h.t.Helper()
	if _, err := p.click(h.ctx, m, actionID); err != nil {
		h.t.Fatal(err)
	}
}

// openedView waits for the n-th modal opened for p.
func (h *harness) openedView(p person, n int) slackfake.View {
	h.t.Helper()
	h.wait("a form to open", func() bool { return len(p.views()) >= n })
	return p.views()[n-1]
}

func has(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestLoopAcceptContactedClosedBusiness(t *testing.T) {
	h := start(t)
	h.referred()
	dm := func() slackfake.Message { return h.bob.dms()[0] }
	if ids := buttonsOf(dm()); strings.Join(ids, " ") != "ref:accept ref:contacted ref:meeting ref:won ref:decline ref:pass_on" {
		t.Errorf("new referral buttons = %v", ids)
	}
	if !has(buttonsOf(h.alice.dms()[0]), "ref:withdraw") {
		t.Error("the giver's confirmation has no Withdraw")
	}

	h.tap(h.bob, dm(), "ref:accept")
	h.wait("the giver's report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[1]), "<@UBOB> accepted", "R-1"); err != nil {
		t.Error(err)
	}
	if len(h.bob.dms()) != 1 || dm().Updated == 0 {
		t.Fatalf("the receiver's DM was not updated in place (%d DMs, updated %d times)", len(h.bob.dms()), dm().Updated)
	}
	if ids := buttonsOf(dm()); has(ids, "ref:accept") || !has(ids, "ref:contacted") || !has(ids, "ref:pass_on") {
		t.Errorf("accepted referral buttons = %v", ids)
	}
	if err := contains(messageText(dm()), "Accepted"); err != nil {
		t.Error(err)
	}

	h.tap(h.bob, dm(), "ref:contacted")
	h.wait("the second report", func() bool { return len(h.alice.dms()) == 3 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[2]), "<@UBOB> contacted Dana Reyes"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(dm()); strings.Join(ids, " ") != "ref:meeting ref:won ref:lost ref:undo ref:note" {
		t.Errorf("contacted referral buttons = %v", ids)
	}
	if has(buttonsOf(h.alice.dms()[0]), "ref:withdraw") {
		t.Error("Withdraw still offered after the receiver made contact")
	}

	h.tap(h.bob, dm(), "ref:won")
	view := h.openedView(h.bob, 1)
	ack, err := h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{
		"value": {Value: "abc"}, "currency": {Value: "USD"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := decodeAck(ack); p.ResponseAction != "errors" || p.Errors["value"] == "" {
		t.Errorf("a bad value got %s; want a field error", ack.Payload)
	}
	ack, err = h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{
		"value": {Value: "$2,500"}, "currency": {Value: "usd"}, "note": {Value: "Thank you Alice! <!here>"},
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("closing refused: %s, %v", ack.Payload, err)
	}
	h.wait("the closed-business report", func() bool { return len(h.alice.dms()) == 4 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[3]), "Closed business", "$2,500.00", "Thank you Alice! &lt;!here&gt;"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(dm()); strings.Join(ids, " ") != "ref:undo ref:note" {
		t.Errorf("a closed referral offers %v; want only Undo (within its window) and Add a note", ids)
	}
	if err := contains(messageText(dm()), "Closed business", "Accepted by <@UBOB>", "Contacted by <@UBOB>"); err != nil {
		t.Errorf("timeline: %v", err)
	}
	if err := contains(messageText(h.alice.dms()[0]), "*Status:* Closed business"); err != nil {
		t.Errorf("giver confirmation: %v", err)
	}
}

func TestStrangerClickIsRefused(t *testing.T) {
	h := start(t)
	h.referred()
	h.tap(h.carol, h.bob.dms()[0], "ref:accept")
	h.wait("the refusal", func() bool { return len(h.ephemerals("UCAROL")) == 1 })
	if err := contains(h.ephemerals("UCAROL")[0].Text, "Only <@UBOB> can update R-1"); err != nil {
		t.Error(err)
	}
	h.tap(h.bob, h.alice.dms()[0], "ref:withdraw")
	h.wait("the refusal", func() bool { return len(h.ephemerals("UBOB")) == 1 })
	if err := contains(h.ephemerals("UBOB")[0].Text, "Only <@UALICE> can withdraw R-1"); err != nil {
		t.Error(err)
	}
	if n, u := len(h.alice.dms()), h.bob.dms()[0].Updated; n != 1 || u != 0 {
		t.Errorf("a refused click changed something: Alice has %d DMs, Bob's DM was updated %d times", n, u)
	}
}

// ephemerals are the messages only user saw (response_url replies and chat.postEphemeral).
func (h *harness) ephemerals(user string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.fake.Messages() {
		if m.Ephemeral && m.User == user {
			out = append(out, m)
		}
	}
	return out
}

func TestDoubleStaleAndConcurrentClicksMoveOnce(t *testing.T) {
	h := start(t)
	h.referred()
	stale := h.bob.dms()[0] // as first posted: with Accept
	h.tap(h.bob, stale, "ref:accept")
	h.tap(h.bob, stale, "ref:accept")
	h.wait("one report and a refusal", func() bool { return len(h.alice.dms()) == 2 && len(h.ephemerals("UBOB")) == 1 && h.outboxEmpty() })
	if err := contains(h.ephemerals("UBOB")[0].Text, "already *Accepted*"); err != nil {
		t.Error(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.bob.click(h.ctx, stale, "ref:contacted"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	h.wait("three refusals", func() bool { return len(h.ephemerals("UBOB")) == 4 && h.outboxEmpty() })
	if n := len(h.alice.dms()); n != 3 {
		t.Errorf("Alice got %d DMs; want the confirmation and exactly two reports", n)
	}
}

func TestWithdrawAndReferElsewhere(t *testing.T) {
	h := start(t)
	h.referred()
	h.tap(h.alice, h.alice.dms()[0], "ref:withdraw")
	view := h.openedView(h.alice, 2)
	ack, err := h.alice.submitView(h.ctx, view, map[string]slack.BlockAction{
		"member": {SelectedUser: "UCAROL"}, "note": {Value: "Bob is away this month"},
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("withdraw refused: %s, %v", ack.Payload, err)
	}
	h.wait("Bob told, Carol referred", func() bool { return len(h.bob.dms()) == 2 && len(h.carol.dms()) == 1 && h.outboxEmpty() })
	if err := contains(messageText(h.bob.dms()[1]), "<@UALICE> withdrew", "R-1", "Bob is away this month"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(h.bob.dms()[0]); len(ids) != 0 {
		t.Errorf("withdrawn referral still offers %v", ids)
	}
	if err := contains(messageText(h.carol.dms()[0]), "R-2", "from <@UALICE>", "Dana Reyes", "+1 480-555-0142"); err != nil {
		t.Error(err)
	}
}

func TestPassOn(t *testing.T) {
	h := start(t)
	h.referred()
	h.tap(h.bob, h.bob.dms()[0], "ref:pass_on")
	view := h.openedView(h.bob, 1)
	ack, err := h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{"member": {SelectedUser: "UALICE"}})
	if err != nil || decodeAck(ack).Errors["member"] == "" {
		t.Fatalf("passing back to the giver: %s, %v; want a field error", ack.Payload, err)
	}
	ack, err = h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{
		"member": {SelectedUser: "UDAVE"}, "note": {Value: "Dave knows commercial roofs"},
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("pass on refused: %s, %v", ack.Payload, err)
	}
	h.wait("Dave's DM and Alice's report", func() bool { return len(h.dave.dms()) == 1 && len(h.alice.dms()) == 2 && h.outboxEmpty() })
	if err := contains(messageText(h.dave.dms()[0]), "R-2", "Passed on to you by <@UBOB>", "Dave knows commercial roofs", "dana@reyesbakery.example"); err != nil {
		t.Error(err)
	}
	if err := contains(messageText(h.alice.dms()[1]), "<@UBOB> passed", "R-1", "<@UDAVE>", "R-2"); err != nil {
		t.Error(err)
	}
	// An admin's correction does not reopen R-1 for Bob, who gave it away: R-2 is the one to correct.
	if err := contains(h.adminCommand(h.dave, "set R-1 won Signed").Text, "R-1 was passed on", "Nothing changed"); err != nil {
		t.Error(err)
	}
	if r, err := h.store.Referral(h.ctx, slackfake.TeamID, 1); err != nil || r.Status != rapport.StatusPassed {
		t.Errorf("R-1 after the refused correction: %s, %v; want still passed on", r.Status, err)
	}
}

func TestShowAndAdminCorrection(t *testing.T) {
	h := start(t)
	h.referred()
	for _, tt := range []struct {
		p    person
		want string
	}{{h.alice, "dana@reyesbakery.example"}, {h.bob, "dana@reyesbakery.example"}, {h.dave, "dana@reyesbakery.example"}, {h.carol, "Only the giver, the receiver"}} {
		ack, err := tt.p.command(h.ctx, "show R-1")
		if err != nil {
			t.Fatal(err)
		}
		if err := contains(unjson(ack.Payload), tt.want); err != nil {
			t.Errorf("%s: %v", tt.p.id, err)
		}
	}
	ack, err := h.carol.command(h.ctx, "set R-1 won signed")
	if err != nil || !strings.Contains(unjson(ack.Payload), "Only the group's admins") {
		t.Errorf("a member's correction: %s, %v", ack.Payload, err)
	}
	ack, err = h.dave.command(h.ctx, "set R-1 won Signed at the chapter meeting")
	if err != nil || !strings.Contains(unjson(ack.Payload), "R-1 is now *Closed business*") {
		t.Fatalf("admin correction: %s, %v", ack.Payload, err)
	}
	h.wait("both told", func() bool { return len(h.alice.dms()) == 2 && len(h.bob.dms()) == 2 && h.outboxEmpty() })
	if err := contains(messageText(h.bob.dms()[1]), "An admin, <@UDAVE>", "Signed at the chapter meeting"); err != nil {
		t.Error(err)
	}
}

func TestUndeliverableMessagesAreCountedForAdmins(t *testing.T) {
	h := start(t)
	h.fake.FailNext("chat.postMessage", "user_not_found", 1) // one of the two DMs: refused for good
	if ack := h.refer(h.alice, hotForm()); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("the outbox to settle", func() bool {
		dead, err := h.store.DeadCount(h.ctx, slackfake.TeamID)
		return err == nil && dead == 1 && len(h.alice.dms())+len(h.bob.dms()) == 1 && h.outboxEmpty()
	})
	ack, err := h.dave.command(h.ctx, "outbox")
	if err != nil || !strings.Contains(unjson(ack.Payload), "0 messages waiting to be sent; 1 undeliverable") {
		t.Errorf("admin's outbox status: %s, %v", ack.Payload, err)
	}
	ack, err = h.carol.command(h.ctx, "outbox")
	if err != nil || !strings.Contains(unjson(ack.Payload), "Only the group's admins") {
		t.Errorf("a member's outbox status: %s, %v", ack.Payload, err)
	}
}
