package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/deploy"
)

// shortcutMarker is a word of the crafted message below: the logs must never carry a message's
// text (logLines.check looks for it in every line, as for a prospect's contact details).
const shortcutMarker = "Zanzibarroof"

// referThis is p using "Refer this" on m; it waits for the form Rapport opens and returns it
// with the payload it answered.
func (h *harness) referThis(p person, m slackfake.Message) (slackfake.View, map[string]any) {
	h.t.Helper()
	payload := p.fake.MessageShortcut(p.id, deploy.ShortcutReferMessage, m)
	before := len(p.views())
	ack, err := p.fake.Send(h.ctx, "interactive", payload)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(ack.Payload) != 0 && string(ack.Payload) != "null" {
		h.t.Errorf("ack payload = %s, want a bare ack", ack.Payload)
	}
	h.wait("the form", func() bool { return len(p.views()) > before })
	v := p.views()[before]
	if v.TriggerID != payload["trigger_id"] {
		h.t.Errorf("views.open used trigger %q, want the shortcut's %q", v.TriggerID, payload["trigger_id"])
	}
	return v, payload
}

// filledIn is what the form shows in each input when it opens: initial values by block ID, and the
// receiver under rapport.FieldReceiver.
func filledIn(t *testing.T, v slackfake.View) map[string]string {
	t.Helper()
	var view slack.View
	if err := json.Unmarshal(v.View, &view); err != nil {
		t.Fatal(err)
	}
	if view.CallbackID != "refer" {
		t.Fatalf("opened %q, want the referral form", view.CallbackID)
	}
	out := map[string]string{}
	for _, b := range view.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		switch el := in.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			if el.InitialValue != "" {
				out[in.BlockID] = el.InitialValue
			}
			if n := utf8.RuneCountInString(el.InitialValue); el.MaxLength > 0 && n > el.MaxLength {
				t.Errorf("%s starts with %d characters, over its max_length %d", in.BlockID, n, el.MaxLength)
			}
		case *slack.SelectBlockElement:
			if el.InitialUser != "" {
				out[in.BlockID] = el.InitialUser
			}
		}
	}
	return out
}

// TestReferThisPrefillsTheForm: a member's offer in a channel, "Refer this" on it, and the form
// opens with its text as the need, a link to it in the note and its author as the receiver; the
// author using it on their own message is not suggested to themselves; "Give a referral" opens the
// empty form from anywhere.
func TestReferThisPrefillsTheForm(t *testing.T) {
	h := start(t)
	offer := h.fake.Post(slackfake.GeneralChannelID, "UBOB", "We do commercial roofs &amp; gutters, <@UCAROL> knows our work")

	view, payload := h.referThis(h.alice, offer)
	got := filledIn(t, view)
	link := "https://fake.slack.com/archives/C0GENERAL/p" + strings.Replace(offer.TS, ".", "", 1)
	want := map[string]string{
		rapport.FieldReceiver: "UBOB",
		rapport.FieldNeed:     "We do commercial roofs & gutters, @Carol Singh knows our work",
		rapport.FieldNote:     "From Bob Chen's message in Slack: " + link,
	}
	for field, w := range want {
		if got[field] != w {
			t.Errorf("%s = %q, want %q", field, got[field], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("form filled in %v; want only %v", got, want)
	}
	if payload["message_ts"] != offer.TS {
		t.Errorf("payload's message_ts = %v, want %s", payload["message_ts"], offer.TS)
	}

	if got := filledIn(t, func() slackfake.View { v, _ := h.referThis(h.bob, offer); return v }()); got[rapport.FieldReceiver] != "" {
		t.Errorf("Bob's own message suggests Bob to himself: %v", got)
	}

	t.Run("GiveAReferral", func(t *testing.T) {
		// From anywhere, by someone who never used Rapport: the empty form, and the welcome of a
		// first contact.
		erin := h.newcomer("UERIN", "Erin Walsh")
		p := h.fake.GlobalShortcut(erin.id, deploy.ShortcutGiveReferral)
		if _, err := h.fake.Send(h.ctx, "interactive", p); err != nil {
			t.Fatal(err)
		}
		h.wait("the empty form and the welcome", func() bool { return len(erin.views()) == 1 && len(welcomes(erin)) == 1 })
		v := erin.views()[0]
		if v.TriggerID != p["trigger_id"] {
			t.Errorf("views.open used trigger %q, want the shortcut's %q", v.TriggerID, p["trigger_id"])
		}
		if got := filledIn(t, v); len(got) != 0 {
			t.Errorf("the empty form came filled in: %v", got)
		}
	})
}

// TestReferThisCraftedMessage: a message of 5,000 characters with mrkdwn, mentions, a broadcast,
// a hidden link and escapes. The form opens with a need the form accepts, cut between words, that
// reads as the message's reader saw it; the author, who asks for a roofer, is not suggested. Sent,
// the receiver's DM draws it escaped: nothing in it pings the channel, hides a link or turns
// into markup.
func TestReferThisCraftedMessage(t *testing.T) {
	h := start(t)
	text := "<!channel> *Urgent:* anyone know a roofer? <@UBOB> said <https://evil.example/x|his site> was down " +
		"&amp; my &lt;b&gt;garage&lt;/b&gt; leaks (" + shortcutMarker + "). "
	text += strings.Repeat("Water everywhere. ", 5000/18)
	text = text[:5000]
	ask := h.fake.Post(slackfake.GeneralChannelID, "UCAROL", text)

	view, _ := h.referThis(h.alice, ask)
	got := filledIn(t, view)
	need := got[rapport.FieldNeed]
	if n := utf8.RuneCountInString(need); n > rapport.MaxLen(rapport.FieldNeed) || !strings.HasSuffix(need, "everywhere.…") {
		t.Errorf("need of %d characters ends %q; want at most %d, cut after a word", n, need[max(0, len(need)-20):], rapport.MaxLen(rapport.FieldNeed))
	}
	wantStart := "@channel *Urgent:* anyone know a roofer? @Bob Chen said his site was down & my <b>garage</b> leaks"
	if !strings.HasPrefix(need, wantStart) {
		t.Errorf("need = %q…; want it to start %q", need[:min(len(need), len(wantStart))], wantStart)
	}
	if got[rapport.FieldReceiver] != "" {
		t.Errorf("receiver = %s: Carol asks for a roofer, she is not the one to refer to", got[rapport.FieldReceiver])
	}

	f := hotForm()
	f.need, f.note = need, got[rapport.FieldNote]
	if ack, err := h.alice.submit(h.ctx, view, f); err != nil {
		t.Fatal(err)
	} else if p := decodeAck(ack); p.ResponseAction != "" {
		t.Fatalf("the prefilled form was refused: %s", pretty(p))
	}
	h.wait("the receiver's DM", func() bool { return len(h.bob.dms()) == 1 })
	dm := messageText(h.bob.dms()[0])
	if err := contains(dm, "@\u2060channel *Urgent:*", "@Bob Chen said his site was down &amp; my &lt;b&gt;garage&lt;/b&gt;",
		"From Carol Singh's message in Slack: https://fake.slack.com/archives/C0GENERAL/p"); err != nil {
		t.Error(err)
	}
	for _, markup := range []string{"<!channel>", "<https://evil", "evil.example", "<b>"} {
		if strings.Contains(dm, markup) {
			t.Errorf("the receiver's DM carries %q:\n%s", markup, dm)
		}
	}
}

// TestReferThisOnRapportsOwnMessage: Rapport's DMs hold referrals, with a prospect's contact
// details; "Refer this" on one opens no form and tells the person, privately, what to do instead.
func TestReferThisOnRapportsOwnMessage(t *testing.T) {
	h := start(t)
	if ack := h.refer(h.alice, hotForm()); ack.ResponseAction != "" {
		t.Fatalf("submission refused: %s", pretty(ack))
	}
	h.wait("the receiver's DM", func() bool { return len(h.bob.dms()) == 1 })
	dm := h.bob.dms()[0]
	if _, err := h.fake.Send(h.ctx, "interactive", h.fake.MessageShortcut("UBOB", deploy.ShortcutReferMessage, dm)); err != nil {
		t.Fatal(err)
	}
	h.wait("the answer", func() bool { return len(h.bob.dms()) == 2 })
	answer := h.bob.dms()[1]
	if !answer.Ephemeral || answer.User != "UBOB" {
		t.Errorf("answer = %+v; want an ephemeral message to Bob", answer)
	}
	if err := contains(answer.Text, "Rapport's own messages", "*Pass on*", "`/refer`"); err != nil {
		t.Error(err)
	}
	if n := len(h.bob.views()); n != 0 {
		t.Errorf("%d forms opened for Bob", n)
	}
}
