package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// clock is a time the test moves by hand, shared by every part of a replica.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// startClocked is start with the replica's clock in the test's hands.
func startClocked(t *testing.T) (*harness, *clock) {
	c := &clock{t: time.Now()}
	return startWith(t, 1, func(d *deps) { d.now = c.now }), c
}

func TestEditWhileNew(t *testing.T) {
	h := start(t)
	h.referred()
	giverDM := func() slackfake.Message { return h.alice.dms()[0] }
	if ids := buttonsOf(giverDM()); strings.Join(ids, " ") != "ref:edit ref:withdraw ref:ask" {
		t.Errorf("the giver's DM of a new referral offers %v", ids)
	}
	h.tap(h.alice, giverDM(), "ref:edit")
	view := h.openedView(h.alice, 2)
	if err := contains(unjson(view.View), `"callback_id":"edit"`, `"initial_value":"Dana Reyes"`, `"initial_value":"+1 480-555-0142"`,
		`"initial_value":"A new roof before the monsoon"`); err != nil {
		t.Error(err)
	}
	if strings.Contains(string(view.View), `"block_id":"receiver"`) || strings.Contains(string(view.View), `"block_id":"facts"`) {
		t.Error("the edit form offers the receiver or the facts, which an edit does not change")
	}
	f := hotForm()
	f.phone, f.need = "480 555 0199", "A new roof and gutters before the monsoon"
	bad := f
	bad.email = "not an email"
	ack, err := h.alice.submit(h.ctx, view, bad)
	if err != nil || decodeAck(ack).Errors[rapport.FieldEmail] == "" {
		t.Fatalf("a bad email: %s, %v; want the form's field error", ack.Payload, err)
	}
	ack, err = h.alice.submit(h.ctx, view, f)
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("edit refused: %s, %v", ack.Payload, err)
	}
	h.wait("Bob told", func() bool { return len(h.bob.dms()) == 2 && h.bob.dms()[0].Updated > 0 && h.outboxEmpty() })
	if err := contains(messageText(h.bob.dms()[0]), "+1 480-555-0199", "A new roof and gutters", "details edited by <@UALICE> (phone, what they need)"); err != nil {
		t.Errorf("the receiver's DM was not redrawn: %v", err)
	}
	if err := contains(messageText(h.bob.dms()[1]), "<@UALICE> edited *R-1*", "phone, what they need changed", "+1 480-555-0199"); err != nil {
		t.Error(err)
	}

	// The duplicate check follows the new phone, and forgets the old one.
	old := form{receiver: "UDAVE", name: "Dana", phone: "(480) 555-0142", need: "Bread"}
	if ack := h.refer(h.carol, old); ack.ResponseAction != "" {
		t.Errorf("the old phone still warns: %s", pretty(ack))
	}
	view2, err := h.carol.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ack, err = h.carol.submit(h.ctx, view2, form{receiver: "UDAVE", name: "Dana", phone: "+1 480-555-0199", need: "Bread"})
	if err != nil || decodeAck(ack).ResponseAction != "update" {
		t.Errorf("the new phone does not warn: %s, %v", ack.Payload, err)
	}

	// An edit to a contact another member has open (Carol's R-2 to Dave) is refused under the
	// field: no second competitor unknowingly (rule 8).
	h.tap(h.alice, giverDM(), "ref:edit")
	dup := f
	dup.phone = "(480) 555-0142"
	ack, err = h.alice.submit(h.ctx, h.openedView(h.alice, 3), dup)
	if err != nil || !strings.Contains(decodeAck(ack).Errors[rapport.FieldPhone], "open referral to another member (R-2)") {
		t.Errorf("an edit to a taken contact: %s, %v; want the phone's field error naming R-2", ack.Payload, err)
	}

	// Once Bob acted the form, opened before, is refused clearly; the DM no longer offers Edit.
	h.tap(h.alice, giverDM(), "ref:edit")
	late := h.openedView(h.alice, 4)
	h.tap(h.bob, h.bob.dms()[0], "ref:accept")
	h.wait("Alice's report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	f.need = "Too late"
	ack, err = h.alice.submit(h.ctx, late, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := contains(unjson(ack.Payload), "R-1 is already *Accepted*", "can no longer be edited", "Nothing was changed"); err != nil {
		t.Errorf("edit after accept: %v", err)
	}
	if r, err := h.store.Referral(h.ctx, slackfake.TeamID, 1); err != nil || strings.Contains(r.Need, "Too late") {
		t.Errorf("the refused edit was saved: %q, %v", r.Need, err)
	}
	if has(buttonsOf(giverDM()), "ref:edit") {
		t.Error("Edit still offered after the receiver accepted")
	}
}

func TestUndoWithinAndAfterTheWindow(t *testing.T) {
	h, clk := startClocked(t)
	h.referred()
	dm := func() slackfake.Message { return h.bob.dms()[0] }
	h.tap(h.bob, dm(), "ref:accept")
	h.wait("Alice's report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	if !has(buttonsOf(dm()), "ref:undo") {
		t.Fatalf("no Undo after a step: %v", buttonsOf(dm()))
	}
	clk.add(9 * time.Minute)
	h.tap(h.bob, dm(), "ref:undo")
	h.wait("Alice told of the undo", func() bool { return len(h.alice.dms()) == 3 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[2]), "<@UBOB> undid *Accepted*", "R-1", "*New* again"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(dm()); !has(ids, "ref:accept") || has(ids, "ref:undo") {
		t.Errorf("after the undo the receiver's DM offers %v; want Accept again and no Undo", ids)
	}
	if err := contains(messageText(dm()), "Accepted undone by <@UBOB>: New again"); err != nil {
		t.Error(err)
	}
	if r, err := h.store.Referral(h.ctx, slackfake.TeamID, 1); err != nil || r.Status != rapport.StatusNew {
		t.Errorf("after the undo R-1 is %s, %v; want new", r.Status, err)
	}

	// Closed business undone: the value and the close go with it.
	h.tap(h.bob, dm(), "ref:contacted")
	h.wait("the report", func() bool { return len(h.alice.dms()) == 4 && h.outboxEmpty() })
	h.tap(h.bob, dm(), "ref:won")
	ack, err := h.bob.submitView(h.ctx, h.openedView(h.bob, 1), map[string]slack.BlockAction{"value": {Value: "1,200"}, "currency": {Value: "USD"}})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("closing refused: %s, %v", ack.Payload, err)
	}
	h.wait("the closed-business report", func() bool { return len(h.alice.dms()) == 5 && h.outboxEmpty() })
	if p := h.public(); len(p) != 1 || !strings.Contains(messageText(p[0]), "Closed business!") {
		t.Fatalf("before the undo the channel has %d posts; want the shout-out", len(p))
	}
	h.tap(h.bob, dm(), "ref:undo")
	h.wait("the undo report", func() bool { return len(h.alice.dms()) == 6 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[5]), "undid *Closed business*", "*Contacted* again"); err != nil {
		t.Error(err)
	}
	if r, err := h.store.Referral(h.ctx, slackfake.TeamID, 1); err != nil || r.Status != rapport.StatusContacted || r.Value != 0 {
		t.Errorf("after undoing closed business R-1 is %s worth %d, %v; want contacted, no value", r.Status, r.Value, err)
	}
	// The channel is not left thanking them for business that did not happen: the thank-you is
	// withdrawn in place.
	h.wait("the shout-out withdrawn", func() bool {
		p := h.public()
		return len(p) == 1 && strings.Contains(messageText(p[0]), "This thank-you for R-1 is withdrawn") && h.outboxEmpty()
	})

	// Past ten minutes: refused, said so, and the DM redrawn without Undo.
	h.tap(h.bob, dm(), "ref:meeting")
	h.wait("the meeting report", func() bool { return len(h.alice.dms()) == 7 && h.outboxEmpty() })
	clk.add(10*time.Minute + time.Second)
	h.tap(h.bob, dm(), "ref:undo")
	h.wait("the refusal", func() bool {
		return len(h.ephemerals("UBOB")) == 1 && !has(buttonsOf(dm()), "ref:undo") && h.outboxEmpty()
	})
	if err := contains(h.ephemerals("UBOB")[0].Text, "Too late to undo", "within 10 minutes", "R-1 stays *Meeting booked*"); err != nil {
		t.Error(err)
	}
	if r, err := h.store.Referral(h.ctx, slackfake.TeamID, 1); err != nil || r.Status != rapport.StatusMeeting {
		t.Errorf("after a late undo R-1 is %s, %v; want meeting", r.Status, err)
	}
	if n := len(h.alice.dms()); n != 7 {
		t.Errorf("Alice got %d DMs; a refused undo tells her nothing", n)
	}
}

func TestUndoOfPassOnIsRefused(t *testing.T) {
	h := start(t)
	h.referred()
	accepted := func() slackfake.Message { return h.bob.dms()[0] }
	h.tap(h.bob, accepted(), "ref:accept")
	h.wait("the report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	stale := accepted() // with Undo, as it was before the pass on
	h.tap(h.bob, stale, "ref:pass_on")
	ack, err := h.bob.submitView(h.ctx, h.openedView(h.bob, 1), map[string]slack.BlockAction{"member": {SelectedUser: "UDAVE"}})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("pass on refused: %s, %v", ack.Payload, err)
	}
	h.wait("Dave's DM", func() bool { return len(h.dave.dms()) == 1 && h.outboxEmpty() })
	h.tap(h.bob, stale, "ref:undo")
	h.wait("the refusal", func() bool { return len(h.ephemerals("UBOB")) == 1 })
	if err := contains(h.ephemerals("UBOB")[0].Text, "You passed R-1 on", "can't be undone"); err != nil {
		t.Error(err)
	}
}

func TestAdminSetRecordsClosedValue(t *testing.T) {
	h := start(t)
	h.referred()
	if err := contains(h.adminCommand(h.dave, "set R-1 won 2,5x0 Signed").Text, "not an amount", "Nothing changed"); err != nil {
		t.Error(err)
	}
	if err := contains(h.adminCommand(h.dave, "set R-1 won $2,500.00 Signed at the chapter meeting").Text,
		"R-1 is now *Closed business* with a value of *$2,500.00*"); err != nil {
		t.Fatal(err)
	}
	h.wait("both told", func() bool { return len(h.alice.dms()) == 2 && len(h.bob.dms()) == 2 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[1]), "An admin, <@UDAVE>", "*Closed business*: *$2,500.00*", "Signed at the chapter meeting"); err != nil {
		t.Error(err)
	}
	if r, err := h.store.Referral(h.ctx, slackfake.TeamID, 1); err != nil || r.Status != rapport.StatusWon || r.Value != 250000 {
		t.Errorf("R-1 is %s worth %d, %v", r.Status, r.Value, err)
	}
	// The value of closed business already recorded can be corrected.
	if err := contains(h.adminCommand(h.dave, "set R-1 won 3000").Text, "with a value of *$3,000.00* (was Closed business)"); err != nil {
		t.Error(err)
	}
	h.wait("Alice told", func() bool { return len(h.alice.dms()) == 3 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[2]), "$3,000.00"); err != nil {
		t.Error(err)
	}
	// The business the admin recorded is thanked in public once; correcting its value is not a
	// second closing.
	if p := h.public(); len(p) != 1 || !strings.Contains(messageText(p[0]), "Closed business!") {
		t.Errorf("the channel has %d posts; want one thank-you", len(p))
	}
}

func TestNoteReachesTheGiver(t *testing.T) {
	h := start(t)
	h.referred()
	if has(buttonsOf(h.bob.dms()[0]), "ref:note") {
		t.Error("Add a note offered before any step")
	}
	h.tap(h.bob, h.bob.dms()[0], "ref:accept") // one tap, as before: no form
	h.wait("Alice's report", func() bool { return len(h.alice.dms()) == 2 && h.outboxEmpty() })
	h.tap(h.bob, h.bob.dms()[0], "ref:note")
	view := h.openedView(h.bob, 1)
	ack, err := h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{"note": {Value: " "}})
	if err != nil || decodeAck(ack).Errors["note"] == "" {
		t.Fatalf("an empty note: %s, %v; want a field error", ack.Payload, err)
	}
	ack, err = h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{"note": {Value: "Left a voicemail; calling back Tuesday <!here>"}})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("note refused: %s, %v", ack.Payload, err)
	}
	h.wait("the note to Alice", func() bool { return len(h.alice.dms()) == 3 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[2]), "<@UBOB> added a note on *R-1", "Left a voicemail; calling back Tuesday &lt;!here&gt;"); err != nil {
		t.Error(err)
	}
	if err := contains(messageText(h.bob.dms()[0]), "note by <@UBOB>"); err != nil {
		t.Errorf("the note is not on the timeline: %v", err)
	}
}

func TestAskForAnUpdateOnceEveryThreeDays(t *testing.T) {
	h, clk := startClocked(t)
	h.referred()
	giverDM := func() slackfake.Message { return h.alice.dms()[0] }
	h.tap(h.alice, giverDM(), "ref:ask")
	h.wait("Bob asked", func() bool { return len(h.bob.dms()) == 2 && h.outboxEmpty() })
	ask := h.bob.dms()[1]
	if err := contains(messageText(ask), "<@UALICE> asks how *R-1* with *Dana Reyes*", "is going"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(ask); !has(ids, "ref:accept") || !has(ids, "ref:pass_on") {
		t.Errorf("the ask offers %v; want the steps that answer it", ids)
	}
	clk.add(71 * time.Hour)
	h.tap(h.alice, giverDM(), "ref:ask")
	h.wait("the refusal", func() bool { return len(h.ephemerals("UALICE")) == 1 })
	if err := contains(h.ephemerals("UALICE")[0].Text, "You asked <@UBOB> about R-1 less than 3 days ago", "ask again from"); err != nil {
		t.Error(err)
	}
	clk.add(time.Hour + time.Minute)
	h.tap(h.alice, giverDM(), "ref:ask")
	h.wait("Bob asked again", func() bool { return len(h.bob.dms()) == 3 && h.outboxEmpty() })
	if n := len(h.bob.dms()); n != 3 {
		t.Errorf("Bob got %d DMs; want the referral and two asks", n)
	}
}

// An admin's correction away from closed business withdraws its public thank-you, as the
// receiver's undo does: the channel is not left thanking members for business the numbers no
// longer count.
func TestCorrectionWithdrawsTheThankYou(t *testing.T) {
	h := start(t)
	h.referred()
	h.adminCommand(h.dave, "set R-1 won 2,500 Signed")
	h.wait("the shout-out", func() bool {
		p := h.public()
		return len(p) == 1 && strings.Contains(messageText(p[0]), "Closed business!") && h.outboxEmpty()
	})
	h.adminCommand(h.dave, "set R-1 lost Fell through")
	h.wait("the shout-out withdrawn", func() bool {
		p := h.public()
		return len(p) == 1 && strings.Contains(messageText(p[0]), "This thank-you for R-1 is withdrawn") && h.outboxEmpty()
	})
}
