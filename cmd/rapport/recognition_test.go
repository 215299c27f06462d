package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// public is every message posted in the recognition channel.
func (h *harness) public() []slackfake.Message {
	return channelPosts(h.fake, slackfake.GeneralChannelID)
}

// checkPrivacy fails the test if a public message carries a prospect's contact details or name.
func (h *harness) checkPrivacy(secrets ...string) {
	h.t.Helper()
	for _, m := range h.public() {
		for _, s := range secrets {
			if strings.Contains(strings.ToLower(messageText(m)), strings.ToLower(s)) {
				h.t.Errorf("a public message carries %q:\n%s", s, messageText(m))
			}
		}
	}
}

func TestClosedBusinessShoutOut(t *testing.T) {
	h := start(t)
	h.referred()
	h.tap(h.bob, h.bob.dms()[0], "ref:won")
	view := h.openedView(h.bob, 1)
	ack, err := h.bob.submitView(h.ctx, view, map[string]slack.BlockAction{
		"value": {Value: "1800"}, "currency": {Value: "USD"}, "note": {Value: "Alice, you're the best <!channel>"},
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("closing: %s, %v", ack.Payload, err)
	}
	h.wait("the shout-out", func() bool { return len(h.public()) == 1 && h.outboxEmpty() })
	s := messageText(h.public()[0])
	if err := contains(s, "Closed business", "Thank you both: <@UALICE> for the referral, <@UBOB> for following it through!",
		"<@UBOB> says:", "you're the best &lt;!channel&gt;"); err != nil {
		t.Error(err)
	}
	if strings.Contains(s, "1,800") {
		t.Error("the value is public although public values are off")
	}
	h.checkPrivacy("dana@reyesbakery.example", "480", "Dana Reyes", "Reyes Bakery")
}

func TestThanksVouchAndAsks(t *testing.T) {
	h := start(t)
	ack, err := h.alice.command(h.ctx, "thanks <@UBOB|bob> for fixing my gutters <!here>")
	if err != nil || !strings.Contains(unjson(ack.Payload), "going up in <#"+slackfake.GeneralChannelID+">") {
		t.Fatalf("thanks: %s, %v", ack.Payload, err)
	}
	h.wait("the thank-you", func() bool { return len(h.public()) == 1 })
	if err := contains(messageText(h.public()[0]), "<@UALICE> thanks <@UBOB>", "for fixing my gutters &lt;!here&gt;"); err != nil {
		t.Error(err)
	}
	for _, text := range []string{"thanks <@UBOT|rapport> you're great", "thanks <@UNOBODY|x> who?"} {
		ack, _ := h.alice.command(h.ctx, text)
		if len(h.public()) != 1 || !strings.Contains(unjson(ack.Payload), "<@U") {
			t.Errorf("%q: %s; want a refusal naming the member", text, ack.Payload)
		}
	}
	for _, text := range []string{"thanks <@UALICE|alice> me", "thanks", "thanks bob great job"} {
		ack, _ := h.alice.command(h.ctx, text)
		if len(h.public()) != 1 || !strings.Contains(unjson(ack.Payload), "/refer thanks @member") {
			t.Errorf("%q: %s", text, ack.Payload)
		}
	}

	if _, err := h.carol.command(h.ctx, "vouch <@UDAVE|dave> told the Hendersons you're the lawyer for their estate"); err != nil {
		t.Fatal(err)
	}
	h.wait("Dave told", func() bool { return len(h.dave.dms()) == 1 })
	if err := contains(messageText(h.dave.dms()[0]), "<@UCAROL> vouched for you", "the Hendersons"); err != nil {
		t.Error(err)
	}

	if _, err := h.bob.command(h.ctx, "ask introductions to property managers &amp; HOAs"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.carol.command(h.ctx, "ask small bakeries"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.carol.command(h.ctx, "ask clear"); err != nil {
		t.Fatal(err)
	}
	ack, err = h.alice.command(h.ctx, "asks")
	if err != nil {
		t.Fatal(err)
	}
	s := unjson(ack.Payload)
	if err := contains(s, "<@UBOB>: introductions to property managers &amp; HOAs"); err != nil {
		t.Error(err)
	}
	if strings.Contains(s, "bakeries") {
		t.Error("a cleared ask is still listed")
	}
}

func TestLeaderboardStatsAndLedger(t *testing.T) {
	h := start(t)
	h.referred() // Alice → Bob, hot
	lead := form{receiver: "UALICE", name: "Sam Patel", phone: "480-555-0199", need: "A will"}
	for i, p := range []person{h.carol, h.carol} {
		lead.phone = []string{"480-555-0199", "480-555-0198"}[i]
		if ack := h.refer(p, lead); ack.ResponseAction != "" {
			t.Fatalf("refused: %s", pretty(ack))
		}
	}
	h.tap(h.bob, h.bob.dms()[0], "ref:accept")
	h.wait("delivery", func() bool { return len(h.alice.dms()) >= 3 && h.outboxEmpty() })
	// A bare accept is no contact with the prospect: no follow-up figure yet (rule 1).
	ack, err := h.alice.command(h.ctx, "stats <@UBOB|bob>")
	if err != nil || !strings.Contains(unjson(ack.Payload), "Received: *1*, reached the prospect on 0%") {
		t.Errorf("stats @bob after an accept: %s, %v", ack.Payload, err)
	}
	h.tap(h.bob, h.bob.dms()[0], "ref:contacted")
	h.wait("delivery", func() bool { return len(h.alice.dms()) >= 4 && h.outboxEmpty() })

	ack, err = h.dave.command(h.ctx, "leaderboard")
	if err != nil {
		t.Fatal(err)
	}
	s := unjson(ack.Payload)
	if err := contains(s, "*Hot* = spoke with them, may share the contact, they expect the call · *Warm* = some of that · *Leads* = a name only",
		"Top givers", "1. <@UALICE>: *1* hot · 0 warm · 0 leads", "2. <@UCAROL>: *0* hot · 0 warm · 2 leads",
		"Fastest follow-ups", "1. <@UBOB>:", "median to first contact (1)"); err != nil {
		t.Error(err)
	}
	if ack, _ := h.dave.command(h.ctx, "leaderboard decade"); !strings.Contains(unjson(ack.Payload), "Choose a period") {
		t.Errorf("bad period: %s", ack.Payload)
	}
	// Share it: the button on the private board posts it in the channel, values hidden.
	board, _ := h.dave.command(h.ctx, "leaderboard month")
	blocks, _ := json.Marshal(decodeAck(board).Blocks)
	h.tap(h.dave, slackfake.Message{Channel: slackfake.GeneralChannelID, Blocks: blocks}, "board:share")
	h.wait("the shared board", func() bool { return len(h.public()) == 1 })
	if err := contains(messageText(h.public()[0]), "Leaderboard", "<@UALICE>", "Shared by <@UDAVE>"); err != nil {
		t.Error(err)
	}

	ack, err = h.alice.command(h.ctx, "stats")
	if err != nil {
		t.Fatal(err)
	}
	if err := contains(unjson(ack.Payload), "Given: *1*: *1 hot* (qualified), 0 warm, 0 leads", "Received: *2*, reached the prospect on 0%"); err != nil {
		t.Error(err)
	}
	ack, err = h.alice.command(h.ctx, "stats <@UBOB|bob>")
	if err != nil || !strings.Contains(unjson(ack.Payload), "Received: *1*, reached the prospect on 100%") {
		t.Errorf("stats @bob: %s, %v", ack.Payload, err)
	}

	if _, err := h.carol.command(h.ctx, "ask introductions to bakeries"); err != nil {
		t.Fatal(err)
	}
	ack, err = h.alice.command(h.ctx, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	if err := contains(unjson(ack.Payload), "<@UCAROL> sent you 2, you sent them none", "their ask is “introductions to bakeries”", "<@UBOB>: you gave 1, received 0"); err != nil {
		t.Error(err)
	}
	h.checkPrivacy("dana@reyesbakery.example", "480")
}

func TestRedeliveredThanksPostsOnce(t *testing.T) {
	socketOnly(t, "a command delivered twice: over HTTP, Slack never sends one again")
	h := start(t)
	env := slackfake.Envelope{ID: "env-thanks", Type: "slash_commands", AcceptsResponsePayload: true,
		Payload: h.fake.SlashCommand("UALICE", "thanks <@UBOB|bob> for the intro")}
	for i := 0; i < 2; i++ {
		if _, err := h.fake.SendEnvelope(h.ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	h.wait("the thank-you", func() bool { return len(h.public()) >= 1 && h.outboxEmpty() })
	if n := len(h.public()); n != 1 {
		t.Errorf("%d thank-yous posted for one command delivered twice", n)
	}
}
