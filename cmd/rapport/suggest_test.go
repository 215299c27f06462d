package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/handlers"
)

// Asks matched to needs (issue 13): the referral form suggests the members whose ask fits the need
// as it is typed, and the giver's confirmation names a better ask than the receiver's.

// payrollNeed is what Carol's ask is about, and nobody else's.
const payrollNeed = "Our restaurant's QuickBooks is a mess and payroll is late"

// postAsks has each member post their ask with /refer ask, as members do.
func (h *harness) postAsks(asks map[person]string) {
	h.t.Helper()
	for p, ask := range asks {
		if _, err := p.command(h.ctx, "ask "+ask); err != nil {
			h.t.Fatal(err)
		}
	}
}

// formUpdates are the views.update calls that redrew the form viewID, oldest first, decoded.
func (h *harness) formUpdates(viewID string) []slack.View {
	var out []slack.View
	for _, v := range h.fake.Views() {
		if v.ID == viewID && v.Method == "views.update" {
			var view slack.View
			if err := json.Unmarshal(v.View, &view); err != nil {
				h.t.Fatal(err)
			}
			out = append(out, view)
		}
	}
	return out
}

// suggested lists the members a form suggests, in its order, with each one's section.
func suggested(v slack.View) (members []string, sections []*slack.SectionBlock) {
	for _, b := range v.Blocks.BlockSet {
		if s, ok := b.(*slack.SectionBlock); ok && strings.HasPrefix(s.BlockID, "suggest:") {
			members = append(members, strings.Split(s.BlockID, ":")[1])
			sections = append(sections, s)
		}
	}
	return members, sections
}

func typeNeed(need string) slack.BlockAction {
	return slack.BlockAction{BlockID: rapport.FieldNeed, ActionID: handlers.ActionNeed, Value: need}
}

// TestFormSuggestsTheAskThatFits: as Alice types the need, the form shows Carol, whose ask is about
// it, first, never Alice herself nor a member outside the directory, with Carol's ask escaped and
// the shared words in bold; Pick makes Carol the receiver, and what Alice typed before the form
// changed is what is saved.
func TestFormSuggestsTheAskThatFits(t *testing.T) {
	h := start(t)
	h.postAsks(map[person]string{
		h.carol: "Bookkeeping and payroll for restaurants and contractors, QuickBooks cleanup too <!here>",
		h.dave:  "Homeowners with roof leaks, storm damage or an old roof that needs replacing",
		h.bob:   "Restaurants that need a new website",
		h.alice: "Payroll software for restaurants and QuickBooks users", // the giver's own: never suggested
	})
	if err := h.store.SetAsk(h.ctx, slackfake.TeamID, "UGHOST", "QuickBooks payroll restaurants", h.app.now()); err != nil {
		t.Fatal(err) // a member the directory does not know
	}
	view, err := h.alice.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ack, err := h.alice.enter(h.ctx, view.ID, typeNeed(payrollNeed))
	if err != nil || len(ack.Payload) != 0 && string(ack.Payload) != "null" {
		t.Fatalf("typing the need: ack %s, %v; want a bare ack", ack.Payload, err)
	}
	h.wait("the suggestions", func() bool { return len(h.formUpdates(view.ID)) == 1 })
	form := h.formUpdates(view.ID)[0]
	members, sections := suggested(form)
	if len(members) == 0 || members[0] != "UCAROL" || len(members) > 3 {
		t.Fatalf("suggested %v; want Carol first, at most three", members)
	}
	for _, m := range members {
		if m == "UALICE" || m == "UGHOST" {
			t.Errorf("suggested %s among %v", m, members)
		}
	}
	carol := sections[0]
	if err := contains(carol.Text.Text, "<@UCAROL> asks for", "&lt;!here&gt;", "*payroll*", "*QuickBooks*"); err != nil {
		t.Error(err)
	}
	if strings.Contains(carol.Text.Text, "<!here>") {
		t.Error("Carol's ask reached the form unescaped")
	}
	pick, ok := carol.Accessory.ButtonElement, carol.Accessory != nil && carol.Accessory.ButtonElement != nil
	if !ok {
		t.Fatal("Carol's suggestion has no button")
	}

	if _, err := h.fake.Send(h.ctx, "interactive", h.fake.BlockAction("UALICE", slack.BlockAction{ActionID: pick.ActionID,
		BlockID: carol.BlockID, Value: pick.Value, Type: "button", Text: *pick.Text}, slackfake.InView(view.ID))); err != nil {
		t.Fatal(err)
	}
	h.wait("the receiver picked", func() bool { return len(h.formUpdates(view.ID)) == 2 })
	if err := contains(unjson(mustJSON(t, h.formUpdates(view.ID)[1].Blocks)), `"block_id":"receiver.1"`, `"initial_user":"UCAROL"`); err != nil {
		t.Errorf("Pick did not set the receiver: %v", err)
	}

	for _, in := range []slack.BlockAction{
		{BlockID: rapport.FieldName, ActionID: handlers.InputAction, Value: "Dana Reyes"},
		{BlockID: rapport.FieldPhone, ActionID: handlers.InputAction, Value: "(480) 555-0142"},
	} {
		if _, err := h.alice.enter(h.ctx, view.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	ack, err = h.alice.submitFilled(h.ctx, view.ID)
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("submitted: %s, %v", ack.Payload, err)
	}
	h.wait("Carol's DM and Alice's confirmation", func() bool { return len(h.carol.dms()) == 1 && len(h.alice.dms()) == 1 })
	ref, err := h.store.Referral(h.ctx, slackfake.TeamID, 1)
	if err != nil || ref.Receiver != "UCAROL" || ref.Need != payrollNeed {
		t.Errorf("saved %+v, %v; want to Carol, with the need as typed", ref.Draft, err)
	}
	if strings.Contains(messageText(h.alice.dms()[0]), "ask fits this need") {
		t.Errorf("the confirmation names a better ask than Carol's: %s", messageText(h.alice.dms()[0]))
	}
}

// TestGiverToldOfTheBetterAsk: Alice refers a payroll need to Bob, whose ask is about websites: her
// confirmation names Carol's ask, escaped, with the words it shares in bold. A roof need referred
// to Dave, who asks for roofs, names nobody.
func TestGiverToldOfTheBetterAsk(t *testing.T) {
	h := start(t)
	h.postAsks(map[person]string{
		h.carol: "Bookkeeping & payroll for restaurants, QuickBooks cleanup too <!channel>",
		h.bob:   "Restaurants that need a new website",
		h.dave:  "Homeowners with roof leaks, storm damage or an old roof that needs replacing",
	})
	weaker := hotForm()
	weaker.need = payrollNeed
	if ack := h.refer(h.alice, weaker); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("Alice's confirmation", func() bool { return len(h.alice.dms()) == 1 })
	got := messageText(h.alice.dms()[0])
	if err := contains(got, "Saved *R-1*", "<@UCAROL>’s ask fits this need", "Bookkeeping &amp; payroll", "&lt;!channel&gt;",
		"*payroll*", "*QuickBooks*", "Worth a referral to them too?"); err != nil {
		t.Error(err)
	}
	if strings.Contains(got, "<!channel>") {
		t.Error("Carol's ask reached the confirmation unescaped")
	}

	fits := hotForm()
	fits.receiver, fits.phone, fits.email = "UDAVE", "(480) 555-0199", ""
	fits.need = "The roof leaks after every storm"
	if ack := h.refer(h.alice, fits); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("Alice's second confirmation", func() bool { return len(h.alice.dms()) == 2 })
	if got := messageText(h.alice.dms()[1]); !strings.Contains(got, "Saved *R-2*") || strings.Contains(got, "ask fits this need") {
		t.Errorf("a receiver whose ask fits, yet another is named: %s", got)
	}
}

// TestNoAsksNoSuggestions: with no asks the need's keystrokes leave the form as it is, without an
// empty suggestions section; an ask posted meanwhile shows on the next keystroke that matches it.
func TestNoAsksNoSuggestions(t *testing.T) {
	h := start(t)
	view, err := h.alice.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := h.alice.enter(h.ctx, view.ID, typeNeed("A new roof before the monsoon")); err != nil ||
		len(ack.Payload) != 0 && string(ack.Payload) != "null" {
		t.Fatalf("typing with no asks: ack %s, %v; want a bare ack", ack.Payload, err)
	}
	h.postAsks(map[person]string{h.carol: "Bookkeeping and payroll for restaurants"})
	if _, err := h.alice.enter(h.ctx, view.ID, typeNeed(payrollNeed)); err != nil {
		t.Fatal(err)
	}
	h.wait("Carol suggested", func() bool { return len(h.formUpdates(view.ID)) == 1 })
	h.shutdown() // every keystroke's after-ack work done
	updates := h.formUpdates(view.ID)
	if members, _ := suggested(updates[0]); len(updates) != 1 || len(members) != 1 || members[0] != "UCAROL" {
		t.Errorf("%d updates, the first suggesting %v; want one, suggesting Carol", len(updates), members)
	}
}

// TestReferThisSuggestsAtOnce: a form opened with the need filled in (Refer this on a member's
// message asking for help) shows the members whose asks fit it as it opens, before anything is
// typed; the author, asking, is not made the receiver.
func TestReferThisSuggestsAtOnce(t *testing.T) {
	h := start(t)
	h.postAsks(map[person]string{
		h.carol: "Bookkeeping and payroll for restaurants and contractors, QuickBooks cleanup too",
		h.dave:  "Homeowners with roof leaks, storm damage or an old roof that needs replacing",
	})
	asking := h.fake.Post(slackfake.GeneralChannelID, "UBOB", "Anyone know a roofer? My roof leaks after every storm")
	opened, _ := h.referThis(h.alice, asking)
	var form slack.View
	if err := json.Unmarshal(opened.View, &form); err != nil {
		t.Fatal(err)
	}
	if members, _ := suggested(form); len(members) == 0 || members[0] != "UDAVE" {
		t.Errorf("the form opened suggesting %v; want Dave, whose ask is roofs, first", members)
	}
	if got := filledIn(t, opened); got[rapport.FieldReceiver] != "" {
		t.Errorf("receiver %q filled in; Bob asks for help, he is not the receiver", got[rapport.FieldReceiver])
	}
}
