package main

import (
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// newcomer adds a person to the workspace who never used Rapport, and syncs the directory.
func (h *harness) newcomer(id, name string) person {
	h.t.Helper()
	h.fake.AddUser(demoUser(id, name, "America/Phoenix"))
	if err := h.app.single.handlers.SyncMembers(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	return person{h.fake.Workspace(slackfake.TeamID), id}
}

// welcomes are p's welcome DMs.
func welcomes(p person) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range p.dms() {
		if strings.Contains(m.Text, "Welcome to Rapport") {
			out = append(out, m)
		}
	}
	return out
}

// A member's first /refer, of any kind, brings one welcome DM; a later Home visit and more
// commands bring none. The welcome says what Rapport does, the three commands and the three facts.
func TestWelcomeOncePerMember(t *testing.T) {
	h := start(t)
	erin := h.newcomer("UERIN", "Erin Walsh")
	if ack := h.adminCommand(erin, "list"); !strings.Contains(ack.Text, "no open referrals") {
		t.Fatalf("/refer list = %s", pretty(ack))
	}
	h.wait("the welcome", func() bool { return len(welcomes(erin)) == 1 && h.outboxEmpty() })
	if err := contains(messageText(welcomes(erin)[0]), "`/refer`", "`/refer list`", "`/refer help`",
		"you spoke with them", "share their contact", "expect the call", "*hot*", "*warm*", "*lead*", `"action_id":"home:give"`); err != nil {
		t.Error(err)
	}
	h.adminCommand(erin, "help")
	h.openHome(erin, "home")
	h.home(erin, 1)
	if n := len(erin.dms()); n != 1 {
		t.Errorf("Erin has %d DMs after more commands and a Home visit; want the one welcome", n)
	}

	// First contact through the Home: welcomed once, however often it is opened.
	finn := h.newcomer("UFINN", "Finn Moss")
	h.openHome(finn, "home")
	h.openHome(finn, "home")
	h.home(finn, 1) // two opens close together may be drawn once: Home redraws coalesce
	h.adminCommand(finn, "help")
	h.wait("the outbox to drain", h.outboxEmpty)
	if n, all := len(welcomes(finn)), len(finn.dms()); n != 1 || all != 1 {
		t.Errorf("Finn has %d welcomes (%d DMs); want one", n, all)
	}
}

// A person who joins the workspace is welcomed when the group turned that on, not otherwise.
func TestWelcomeOnTeamJoin(t *testing.T) {
	h := start(t)
	join := func(id, name string) person {
		if _, err := h.fake.Send(h.ctx, "events_api", h.fake.TeamJoin(demoUser(id, name, "Europe/London"))); err != nil {
			t.Fatal(err)
		}
		return person{h.fake.Workspace(slackfake.TeamID), id}
	}
	gus := join("UGUS", "Gus Lane") // off by default
	h.wait("the outbox to drain", h.outboxEmpty)

	h.digestSettings(map[string]string{rapport.SetWelcomeNewMembers: "true"})
	hana := join("UHANA", "Hana Ito")
	h.wait("Hana's welcome", func() bool { return len(welcomes(hana)) == 1 && h.outboxEmpty() })
	bot := slack.User{ID: "UBOT2", Name: "zapier", IsBot: true, Profile: slack.UserProfile{RealName: "Zapier"}}
	if _, err := h.fake.Send(h.ctx, "events_api", h.fake.TeamJoin(bot)); err != nil {
		t.Fatal(err)
	}
	h.wait("the outbox to drain", h.outboxEmpty)
	if n := len(gus.dms()); n != 0 {
		t.Errorf("Gus joined with the setting off and got %d DMs", n)
	}
	if n := len(h.fake.DMs("UBOT2")); n != 0 {
		t.Errorf("a bot that joined got %d DMs", n)
	}
	// Hana's first /refer later brings no second welcome.
	h.adminCommand(hana, "help")
	h.wait("the outbox to drain", h.outboxEmpty)
	if n := len(hana.dms()); n != 1 {
		t.Errorf("Hana has %d DMs; want the one welcome", n)
	}
}

// A message typed to Rapport gets one helpful answer; Rapport's own messages in the DM, which Slack
// sends back as message.im events, get none, so it never talks to itself.
func TestDirectMessageAnswered(t *testing.T) {
	h := start(t)
	typed := h.fake.MessageIM("UCAROL", "hi, how do I give a referral?")
	for retry := range 2 { // Slack redelivers: still one answer
		if _, err := h.fake.SendEnvelope(h.ctx, slackfake.Envelope{Type: "events_api", Payload: typed, RetryAttempt: retry}); err != nil {
			t.Fatal(err)
		}
	}
	h.wait("the answer", func() bool { return len(h.carol.dms()) == 1 && h.outboxEmpty() })
	answer := h.carol.dms()[0]
	if err := contains(messageText(answer), "I don't read messages typed here", "`/refer`", "`/refer list`", "`/refer help`", `"action_id":"home:give"`); err != nil {
		t.Error(err)
	}
	// The answer comes back as an event, as do an edit: no reply to either.
	if _, err := h.fake.Send(h.ctx, "events_api", h.fake.BotMessageIM(answer)); err != nil {
		t.Fatal(err)
	}
	edit := h.fake.MessageIM("UCAROL", "edited")
	edit["event"].(map[string]any)["subtype"] = "message_changed"
	if _, err := h.fake.Send(h.ctx, "events_api", edit); err != nil {
		t.Fatal(err)
	}
	// A second line typed right after gets no second answer: one every few hours is enough.
	if _, err := h.fake.Send(h.ctx, "events_api", h.fake.MessageIM("UCAROL", "hello?")); err != nil {
		t.Fatal(err)
	}
	h.wait("the outbox to drain", h.outboxEmpty)
	if n := len(h.carol.dms()); n != 1 {
		t.Errorf("Carol's DM has %d messages from Rapport; want the one answer", n)
	}
	// "Give a referral" on the answer opens the form.
	h.tap(h.carol, answer, "home:give")
	if err := contains(unjson(h.openedView(h.carol, 1).View), `"callback_id":"refer"`); err != nil {
		t.Error(err)
	}
}

// A member with no referrals sees an intro on their Home and a button that opens the form.
func TestHomeIntroOpensTheForm(t *testing.T) {
	h := start(t)
	h.openHome(h.carol, "home")
	v := h.home(h.carol, 1)
	if err := contains(unjson(v.View), "Welcome to Rapport.", "expect the call", `"text":"Give a referral"`); err != nil {
		t.Error(err)
	}
	h.clickView(h.carol, v, "home:give", "")
	form := unjson(h.openedView(h.carol, 1).View)
	if err := contains(form, `"callback_id":"refer"`); err != nil {
		t.Error(err)
	}
	// Once they took part in a referral, the intro gives way.
	h.referred()
	h.openHome(h.bob, "home")
	if strings.Contains(unjson(h.home(h.bob, 1).View), "Welcome to Rapport.") {
		t.Error("the intro shows on the Home of a member with a referral")
	}
}
