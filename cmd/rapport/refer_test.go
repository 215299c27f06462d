package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

func TestReferOpensModalWithTrigger(t *testing.T) {
	h := start(t)
	payload := h.fake.SlashCommand("UALICE", "")
	ack, err := h.fake.Send(h.ctx, "slash_commands", payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Payload) != 0 && string(ack.Payload) != "null" {
		t.Errorf("ack payload = %s, want a bare ack", ack.Payload)
	}
	h.wait("views.open", func() bool { return len(h.alice.views()) == 1 })
	v := h.alice.views()[0]
	if v.TriggerID != payload["trigger_id"] {
		t.Errorf("views.open used trigger %q, want the command's %q", v.TriggerID, payload["trigger_id"])
	}
	var view slack.View
	if err := json.Unmarshal(v.View, &view); err != nil {
		t.Fatal(err)
	}
	if view.CallbackID != "refer" || view.Title.Text != "Give a referral" {
		t.Errorf("opened %q titled %q", view.CallbackID, view.Title.Text)
	}
	var ids []string
	for _, b := range view.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			ids = append(ids, in.BlockID)
		}
	}
	want := "receiver prospect_name company phone email need best_time facts note"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("form inputs = %s, want %s", got, want)
	}
}

func TestReferMentionPrefillsReceiverAndNeed(t *testing.T) {
	h := start(t)
	view, err := h.alice.openForm(h.ctx, "<@UBOB|bob> needs a roof &amp; gutters")
	if err != nil {
		t.Fatal(err)
	}
	if err := contains(unjson(view.View), `"initial_user":"UBOB"`, `"initial_value":"needs a roof & gutters"`); err != nil {
		t.Error(err)
	}
}

func TestSubmitDeliversReceiverDMAndGiverConfirmation(t *testing.T) {
	h := start(t)
	if ack := h.refer(h.alice, hotForm()); ack.ResponseAction != "" {
		t.Fatalf("submission refused: %s", pretty(ack))
	}
	h.wait("the receiver's DM and the giver's confirmation", func() bool {
		return len(h.bob.dms()) >= 1 && len(h.alice.dms()) >= 1 && h.outboxEmpty()
	})
	bob, alice := h.bob.dms(), h.alice.dms()
	if len(bob) != 1 || len(alice) != 1 {
		t.Fatalf("Bob got %d DMs, Alice %d; want exactly 1 each", len(bob), len(alice))
	}
	if err := contains(messageText(bob[0]), "R-1", "<@UALICE>", "Dana Reyes", "Reyes Bakery", "+1 480-555-0142",
		"dana@reyesbakery.example", "A new roof before the monsoon", "Mornings, by phone", "Hot referral", "She expects your call"); err != nil {
		t.Errorf("receiver DM: %v", err)
	}
	if err := contains(messageText(alice[0]), "R-1", "<@UBOB>", "Dana Reyes", "hot referral"); err != nil {
		t.Errorf("giver confirmation: %v", err)
	}
	if strings.Contains(messageText(alice[0]), "cold lead") {
		t.Error("a hot referral got the cold-lead coaching")
	}
	for _, m := range h.public() {
		t.Errorf("a message reached the public channel: %s", m.Text)
	}
}

func TestColdLeadGetsCoaching(t *testing.T) {
	h := start(t)
	lead := form{receiver: "UDAVE", name: "Sam Patel", phone: "480-555-0199", need: "Might need a will"}
	if ack := h.refer(h.carol, lead); ack.ResponseAction != "" {
		t.Fatalf("submission refused: %s", pretty(ack))
	}
	h.wait("the confirmation", func() bool { return len(h.carol.dms()) == 1 && len(h.dave.dms()) == 1 })
	if err := contains(messageText(h.carol.dms()[0]), "cold lead", "talk with the prospect", "expect"); err != nil {
		t.Error(err)
	}
	if err := contains(messageText(h.dave.dms()[0]), "Cold lead"); err != nil {
		t.Error(err)
	}
}

func TestSubmitValidationErrors(t *testing.T) {
	h := start(t)
	h.fake.AddUser(slack.User{ID: "UGONE", Name: "gone", Deleted: true})
	tests := []struct {
		name  string
		edit  func(*form)
		field string
		says  string
	}{
		{"ErrSelfReferral", func(f *form) { f.receiver = "UALICE" }, rapport.FieldReceiver, "yourself"},
		{"ErrBotReceiver", func(f *form) { f.receiver = slackfake.BotUserID }, rapport.FieldReceiver, "bot"},
		{"ErrSlackbotReceiver", func(f *form) { f.receiver = slackfake.SlackbotUserID }, rapport.FieldReceiver, "bot"},
		{"ErrUnknownReceiver", func(f *form) { f.receiver = "UNOBODY" }, rapport.FieldReceiver, "know"},
		{"ErrNoName", func(f *form) { f.name = " " }, rapport.FieldName, "name"},
		{"ErrNoContact", func(f *form) { f.phone, f.email = "", "" }, rapport.FieldPhone, "at least one"},
		{"ErrBadEmail", func(f *form) { f.email = "dana@@example" }, rapport.FieldEmail, "email"},
		{"ErrBadPhone", func(f *form) { f.phone = "call the bakery" }, rapport.FieldPhone, "phone"},
		{"ErrTooLong", func(f *form) { f.need = strings.Repeat("roof ", 201) }, rapport.FieldNeed, "1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := hotForm()
			tt.edit(&f)
			ack := h.refer(h.alice, f)
			if ack.ResponseAction != "errors" || !strings.Contains(ack.Errors[tt.field], tt.says) {
				t.Errorf("ack = %s; want an error on %s saying %q", pretty(ack), tt.field, tt.says)
			}
		})
	}
	t.Run("ErrDeactivatedReceiver", func(t *testing.T) {
		if err := h.store.PutMembers(h.ctx, slackfake.TeamID, []rapport.Member{{ID: "UGONE", Name: "gone", Deleted: true}}); err != nil {
			t.Fatal(err)
		}
		f := hotForm()
		f.receiver = "UGONE"
		if ack := h.refer(h.alice, f); ack.ResponseAction != "errors" || ack.Errors[rapport.FieldReceiver] == "" {
			t.Errorf("ack = %s; want an error on the receiver", pretty(ack))
		}
	})
	if n := len(h.bob.dms()) + len(h.alice.dms()); n != 0 {
		t.Errorf("%d DMs sent for refused referrals", n)
	}
}

// TestConsentVisible: the form says phone or email, at least one, and asks again when neither is
// given; when the giver has not asked the prospect about sharing their contact, the receiver's DM
// says so beside the contact details, and not otherwise (rule 13).
func TestConsentVisible(t *testing.T) {
	h := start(t)
	view, err := h.alice.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var v slack.View
	if err := json.Unmarshal(view.View, &v); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			labels[in.BlockID] = in.Label.Text
		}
	}
	for _, id := range []string{rapport.FieldPhone, rapport.FieldEmail} {
		if !strings.Contains(labels[id], "phone or email: at least one") {
			t.Errorf("the %s field reads %q; want it to say phone or email: at least one", id, labels[id])
		}
	}
	ack, err := h.alice.submit(h.ctx, view, form{receiver: "UBOB", name: "Dana Reyes", need: "A roof"})
	if err != nil {
		t.Fatal(err)
	}
	if p := decodeAck(ack); !strings.Contains(p.Errors[rapport.FieldPhone], "at least one") || !strings.Contains(p.Errors[rapport.FieldEmail], "at least one") {
		t.Errorf("no phone, no email: %s; want both fields to ask for one", pretty(p))
	}

	unasked := hotForm()
	unasked.mayShare = false
	if ack := h.refer(h.alice, unasked); ack.ResponseAction != "" {
		t.Fatalf("referral refused: %s", pretty(ack))
	}
	asked := hotForm()
	asked.receiver, asked.name, asked.phone, asked.email = "UCAROL", "Sam Patel", "480-555-0199", "sam@patel.example"
	if ack := h.refer(h.alice, asked); ack.ResponseAction != "" {
		t.Fatalf("referral refused: %s", pretty(ack))
	}
	h.wait("the DMs", func() bool { return len(h.bob.dms()) == 1 && len(h.carol.dms()) == 1 && h.outboxEmpty() })
	bob := messageText(h.bob.dms()[0])
	const line = "<@UALICE> has not asked Dana Reyes whether you may call: say who sent you, or ask <@UALICE> first."
	if err := contains(bob, line, ":sunny: Warm referral"); err != nil {
		t.Error(err)
	}
	if c, l, n := strings.Index(bob, "dana@reyesbakery.example"), strings.Index(bob, "has not asked"), strings.Index(bob, "What they need"); !(c < l && l < n) {
		t.Errorf("the consent line is not beside the contact details:\n%s", bob)
	}
	if carol := messageText(h.carol.dms()[0]); strings.Contains(carol, "has not asked") {
		t.Errorf("the consent line shows though Alice ticked it:\n%s", carol)
	}
}
