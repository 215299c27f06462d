package main

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/handlers"
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
	if ticked := h.factsInput(view); len(ticked) != 0 {
		t.Errorf("the withdraw form's facts start ticked: %v", ticked)
	}
	// Alice answers again about Carol: she told Dana about Carol, who expects the call, but did
	// not ask about sharing the contact.
	ack, err := h.alice.submitView(h.ctx, view, map[string]slack.BlockAction{
		"member": {SelectedUser: "UCAROL"}, "note": {Value: "Bob is away this month"},
		"link_note": {Value: "Carol, Dana needs the roof by June"},
		"facts":     ticks(handlers.FactSpoke, handlers.FactExpects),
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("withdraw refused: %s, %v", ack.Payload, err)
	}
	h.wait("Bob told, Carol referred", func() bool { return len(h.bob.dms()) == 2 && len(h.carol.dms()) == 1 && h.outboxEmpty() })
	if err := contains(messageText(h.bob.dms()[1]), "<@UALICE> withdrew", "R-1", "Bob is away this month"); err != nil {
		t.Error(err)
	}
	// Each receiver reads the note written to them, not the other's.
	for _, m := range h.bob.dms() {
		if strings.Contains(messageText(m), "needs the roof by June") {
			t.Errorf("Bob read the note Alice wrote to Carol:\n%s", messageText(m))
		}
	}
	if ids := buttonsOf(h.bob.dms()[0]); len(ids) != 0 {
		t.Errorf("withdrawn referral still offers %v", ids)
	}
	carol := messageText(h.carol.dms()[0])
	if err := contains(carol, "R-2", "from <@UALICE>", "Dana Reyes", "+1 480-555-0142", ":sunny: Warm referral",
		":white_check_mark: <@UALICE> spoke with them about you", ":white_large_square: may share their contact",
		"<@UALICE> has not asked Dana Reyes whether you may call: say who sent you, or ask <@UALICE> first.",
		"Carol, Dana needs the roof by June"); err != nil {
		t.Error(err)
	}
	if strings.Contains(carol, "Bob is away this month") {
		t.Errorf("Carol read the note Alice wrote to Bob:\n%s", carol)
	}
	// Taken back, it is neither given (rule 12) nor received: the two ledgers agree.
	if err := contains(h.say(h.bob, "stats"), "Received: *0*"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.carol, "stats"), "Received: *1*"); err != nil {
		t.Error(err)
	}
	if ledger := h.say(h.bob, "ledger"); strings.Contains(ledger, "<@UALICE> sent you") {
		t.Errorf("Bob's ledger counts the referral Alice took back:\n%s", ledger)
	}
}

// factsInput returns the qualification checkboxes of a form Rapport opened, ticked by default.
func (h *harness) factsInput(v slackfake.View) []string {
	h.t.Helper()
	var view slack.View
	if err := json.Unmarshal(v.View, &view); err != nil {
		h.t.Fatal(err)
	}
	for _, b := range view.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID == rapport.FieldFacts {
			el, ok := in.Element.(*slack.CheckboxGroupsBlockElement)
			if !ok || len(el.Options) != 3 || !in.Optional {
				h.t.Fatalf("the facts input is %T with %d options, optional %v; want three optional checkboxes", in.Element, len(el.Options), in.Optional)
			}
			var ticked []string
			for _, o := range el.InitialOptions {
				ticked = append(ticked, o.Value)
			}
			return ticked
		}
	}
	h.t.Fatalf("the form %s asks no qualification facts", view.Title.Text)
	return nil
}

// ticks is a checkbox group's state with the options values ticked.
func ticks(values ...string) slack.BlockAction {
	a := slack.BlockAction{Type: "checkboxes", SelectedOptions: []slack.OptionBlockObject{}}
	for _, v := range values {
		a.SelectedOptions = append(a.SelectedOptions, slack.OptionBlockObject{Value: v})
	}
	return a
}

// TestPassOn: Bob passes Alice's hot referral to Dave without having told the prospect about
// Dave. Dave's DM says what Bob vouched for (nothing: a cold lead), who passed it and who gave it
// first; Alice hears the same; closing it through Dave thanks all three in public.
func TestPassOn(t *testing.T) {
	h := start(t)
	h.referred()
	h.tap(h.bob, h.bob.dms()[0], "ref:pass_on")
	view := h.openedView(h.bob, 1)
	if ticked := h.factsInput(view); len(ticked) != 0 {
		t.Errorf("the pass-on form's facts start ticked: %v", ticked)
	}
	ack, err := h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{"member": {SelectedUser: "UALICE"}})
	if err != nil || decodeAck(ack).Errors["member"] == "" {
		t.Fatalf("passing back to the giver: %s, %v; want a field error", ack.Payload, err)
	}
	ack, err = h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{
		"member": {SelectedUser: "UDAVE"}, "note": {Value: "Dave knows commercial roofs"}, "facts": ticks(),
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("pass on refused: %s, %v", ack.Payload, err)
	}
	h.wait("Dave's DM and Alice's report", func() bool { return len(h.dave.dms()) == 1 && len(h.alice.dms()) == 2 && h.outboxEmpty() })
	dave := messageText(h.dave.dms()[0])
	if err := contains(dave, "R-2", "passed on to you by <@UBOB> (from R-1); first given by <@UALICE>", ":snowflake: Cold lead",
		":white_large_square: <@UBOB> spoke with them about you", ":white_large_square: they expect your call",
		"<@UBOB> has not asked Dana Reyes whether you may call: say who sent you, or ask <@UBOB> first.",
		"Note from <@UBOB>", "Dave knows commercial roofs", "dana@reyesbakery.example"); err != nil {
		t.Error(err)
	}
	for _, copied := range []string{"Hot referral", "<@UALICE> spoke with them", ":white_check_mark:"} {
		if strings.Contains(dave, copied) {
			t.Errorf("Dave's DM repeats Alice's facts about Bob (%q):\n%s", copied, dave)
		}
	}
	if err := contains(messageText(h.alice.dms()[1]), "<@UBOB> passed", "R-1", "<@UDAVE>", "R-2",
		"<@UBOB>'s answers about <@UDAVE> make it a :snowflake: cold lead", ":white_large_square: they expect <@UDAVE>'s call"); err != nil {
		t.Error(err)
	}
	// An admin's correction does not reopen R-1 for Bob, who gave it away: R-2 is the one to correct.
	if err := contains(h.adminCommand(h.dave, "set R-1 won Signed").Text, "R-1 was passed on", "Nothing changed"); err != nil {
		t.Error(err)
	}
	if r, err := h.store.Referral(h.ctx, slackfake.TeamID, 1); err != nil || r.Status != rapport.StatusPassed {
		t.Errorf("R-1 after the refused correction: %s, %v; want still passed on", r.Status, err)
	}

	h.tap(h.dave, h.dave.dms()[0], "ref:won")
	won := h.openedView(h.dave, 1)
	ack, err = h.dave.submitView(h.ctx, won, map[string]slack.BlockAction{
		"value": {Value: "900"}, "currency": {Value: "USD"}, "note": {Value: "Thanks both <3"},
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("closing R-2: %s, %v", ack.Payload, err)
	}
	h.wait("the shout-out", func() bool { return len(h.public()) == 1 && h.outboxEmpty() })
	if err := contains(messageText(h.public()[0]), "<@UDAVE> closed business from a referral by <@UALICE>, passed on by <@UBOB> (R-2)",
		"<@UALICE> for the referral, <@UBOB> for passing it on, <@UDAVE> for following it through", "Thanks both &lt;3"); err != nil {
		t.Error(err)
	}
}

// TestPassOnWithFacts: the passer's ticks, not the giver's, make the new referral's temperature.
func TestPassOnWithFacts(t *testing.T) {
	h := start(t)
	if ack := h.refer(h.alice, coldForm()); ack.ResponseAction != "" {
		t.Fatalf("referral refused: %s", pretty(ack))
	}
	h.wait("the DMs", func() bool { return len(h.bob.dms()) == 1 && h.outboxEmpty() })
	h.tap(h.bob, h.bob.dms()[0], "ref:pass_on")
	ack, err := h.bob.submitView(h.ctx, h.openedView(h.bob, 1), map[string]slack.BlockAction{
		"member": {SelectedUser: "UDAVE"}, "facts": ticks(handlers.FactSpoke, handlers.FactMayShare, handlers.FactExpects),
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("pass on refused: %s, %v", ack.Payload, err)
	}
	h.wait("Dave's DM", func() bool { return len(h.dave.dms()) == 1 && h.outboxEmpty() })
	dave := messageText(h.dave.dms()[0])
	if err := contains(dave, ":fire: Hot referral", ":white_check_mark: <@UBOB> spoke with them about you",
		":white_check_mark: may share their contact", ":white_check_mark: they expect your call"); err != nil {
		t.Error(err)
	}
	if strings.Contains(dave, "has not asked") {
		t.Errorf("Dave's DM says the prospect was not asked, though Bob ticked it:\n%s", dave)
	}
	if r, err := h.store.Referral(h.ctx, slackfake.TeamID, 2); err != nil || r.Facts != (rapport.Facts{Spoke: true, MayShare: true, Expects: true}) {
		t.Errorf("R-2's stored facts = %+v, %v; want Bob's three", r.Facts, err)
	}
}

// coldForm is Alice's lead to Bob: none of the three facts.
func coldForm() form {
	f := hotForm()
	f.spoke, f.mayShare, f.expects = false, false, false
	return f
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
	if err != nil || !strings.Contains(unjson(ack.Payload), "0 waiting to be sent; 1 that Slack refused") {
		t.Errorf("admin's outbox status: %s, %v", ack.Payload, err)
	}
	ack, err = h.carol.command(h.ctx, "outbox")
	if err != nil || !strings.Contains(unjson(ack.Payload), "Only the group's admins") {
		t.Errorf("a member's outbox status: %s, %v", ack.Payload, err)
	}
}
