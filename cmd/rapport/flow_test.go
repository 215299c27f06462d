package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot/slackfake"
)

func TestDuplicateProspectAsksThenSendsAnyway(t *testing.T) {
	h := start(t)
	if ack := h.refer(h.alice, hotForm()); ack.ResponseAction != "" {
		t.Fatalf("first referral refused: %s", pretty(ack))
	}
	dup := form{receiver: "UDAVE", name: "Dana R.", email: "DANA@ReyesBakery.example", need: "A lease review"}
	view, err := h.carol.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ack, err := h.carol.submit(h.ctx, view, dup)
	if err != nil {
		t.Fatal(err)
	}
	p := decodeAck(ack)
	if p.ResponseAction != "update" || p.View == nil {
		t.Fatalf("ack = %s; want the confirmation step", ack.Payload)
	}
	if err := contains(unjson(ack.Payload), "<@UBOB>", "R-1", `"block_id":"confirm"`, "Send anyway", `"initial_value":"A lease review"`); err != nil {
		t.Error(err)
	}
	dup.sendAnyway = true
	ack, err = h.carol.submit(h.ctx, view, dup)
	if err != nil {
		t.Fatal(err)
	}
	if p := decodeAck(ack); p.ResponseAction != "" {
		t.Fatalf("confirmed referral refused: %s", ack.Payload)
	}
	h.wait("Dave's DM", func() bool { return len(h.dave.dms()) == 1 })
	if err := contains(messageText(h.dave.dms()[0]), "R-2"); err != nil {
		t.Error(err)
	}

	t.Run("SameReceiverAgainIsNoWarning", func(t *testing.T) {
		again := hotForm()
		again.need = "Gutters too"
		if ack := h.refer(h.carol, again); ack.ResponseAction != "" {
			t.Errorf("ack = %s; the same receiver again must not warn", pretty(ack))
		}
	})
}

func TestRedeliveredSubmissionSavesOnce(t *testing.T) {
	h := start(t)
	view, err := h.alice.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	env := slackfake.Envelope{ID: "env-redelivered", Type: "interactive", Payload: h.alice.submission(view, hotForm()),
		AcceptsResponsePayload: true}
	for i := 0; i < 2; i++ {
		ack, err := h.fake.SendEnvelope(h.ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if p := decodeAck(ack); p.ResponseAction != "" {
			t.Fatalf("delivery %d: ack %s", i+1, ack.Payload)
		}
	}
	if n := h.fake.AckCount("env-redelivered"); n != 2 {
		t.Errorf("%d acks for two deliveries", n)
	}
	h.wait("delivery", func() bool { return len(h.bob.dms()) >= 1 && len(h.alice.dms()) >= 1 && h.outboxEmpty() })
	if b, a := len(h.bob.dms()), len(h.alice.dms()); b != 1 || a != 1 {
		t.Errorf("Bob got %d DMs, Alice %d; want 1 each", b, a)
	}
	given, _, err := h.store.OpenReferrals(h.ctx, slackfake.TeamID, "UALICE", 10)
	if err != nil || len(given) != 1 {
		t.Errorf("Alice has %d referrals (err %v), want 1", len(given), err)
	}
}

// TestReplyLostThenSameFormSavesOnce: a save whose reply comes after the handler's deadline may have
// happened, so the person is told to check their DMs (never "not saved") over their still filled-in
// form; pressing Submit on the same form again closes it, and there is one referral and one DM.
func TestReplyLostThenSameFormSavesOnce(t *testing.T) {
	h := startBehindProxy(t)
	// A first referral loads the save script, so the held save below runs it rather than
	// answering NOSCRIPT.
	warm := form{receiver: "UDAVE", name: "Omar Haddad", email: "omar@example.com", need: "Bookkeeping"}
	if ack := h.refer(h.carol, warm); ack.ResponseAction != "" {
		t.Fatalf("first referral refused: %s", pretty(ack))
	}
	h.wait("the first referral's DMs", func() bool { return len(h.dave.dms()) == 1 && h.outboxEmpty() })
	view, err := h.alice.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}

	h.proxy.HoldReplies(3 * time.Second) // past the handler's 2 s deadline
	sent := time.Now()
	ack, err := h.alice.submit(h.ctx, view, hotForm())
	h.proxy.HoldReplies(0)
	if err != nil {
		t.Fatal(err)
	}
	if took := ack.At.Sub(sent); took > 3*time.Second {
		t.Errorf("ack took %v with the reply held; Slack's limit is 3 s", took)
	}
	said := strings.ToLower(unjson(ack.Payload))
	if p := decodeAck(ack); p.ResponseAction != "push" || p.View == nil ||
		!strings.Contains(said, "may have been saved") || !strings.Contains(said, "check your dms") {
		t.Fatalf("ack = %s; want a pushed notice saying it may have been saved", ack.Payload)
	}
	if strings.Contains(said, "not saved") || strings.Contains(said, "nothing was recorded") {
		t.Errorf("ack = %s; a save that may have happened must not be called not saved", ack.Payload)
	}

	// The held save did run: the second submission must find it, not make it.
	h.wait("the held save to land", func() bool {
		given, _, err := h.store.OpenReferrals(h.ctx, slackfake.TeamID, "UALICE", 10)
		return err == nil && len(given) == 1
	})
	ack, err = h.alice.submit(h.ctx, view, hotForm())
	if err != nil {
		t.Fatal(err)
	}
	if p := decodeAck(ack); p.ResponseAction != "" {
		t.Fatalf("the same form again: ack %s; want it closed", ack.Payload)
	}
	h.wait("delivery", func() bool { return len(h.bob.dms()) >= 1 && len(h.alice.dms()) >= 1 && h.outboxEmpty() })
	if b, a := len(h.bob.dms()), len(h.alice.dms()); b != 1 || a != 1 {
		t.Errorf("Bob got %d DMs, Alice %d; want 1 each", b, a)
	}
	given, _, err := h.store.OpenReferrals(h.ctx, slackfake.TeamID, "UALICE", 10)
	if err != nil || len(given) != 1 {
		t.Errorf("Alice has %d referrals (err %v), want 1", len(given), err)
	}
}

func TestUserTextIsEscapedEverywhere(t *testing.T) {
	h := start(t)
	evil := "<!channel> <https://evil.example|click>"
	f := hotForm()
	f.name, f.company, f.need, f.note, f.bestTime = evil, evil, evil, evil, evil
	if ack := h.refer(h.alice, f); ack.ResponseAction != "" {
		t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait("delivery", func() bool { return len(h.bob.dms()) == 1 && len(h.alice.dms()) == 1 })
	list, err := h.alice.command(h.ctx, "list")
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{unjson(list.Payload)}
	for _, m := range h.fake.Messages() {
		texts = append(texts, messageText(m))
	}
	for _, s := range texts {
		for _, bad := range []string{"<!channel>", "<https://evil"} {
			if strings.Contains(s, bad) {
				t.Errorf("%q reached Slack unescaped in:\n%s", bad, s)
			}
		}
		if strings.Contains(s, "evil") && !strings.Contains(s, "&lt;!channel&gt;") {
			t.Errorf("user text shown without its escaped form in:\n%s", s)
		}
	}
}

func TestRedisDownSaysNotSavedAndRecovers(t *testing.T) {
	h := start(t)
	view, err := h.alice.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	h.redis.Stop()
	sent := time.Now()
	ack, err := h.alice.submit(h.ctx, view, hotForm())
	if err != nil {
		t.Fatal(err)
	}
	if took := ack.At.Sub(sent); took > 3*time.Second {
		t.Errorf("ack took %v with Redis down; Slack's limit is 3 s", took)
	}
	p := decodeAck(ack)
	if p.ResponseAction != "push" || p.View == nil || !strings.Contains(strings.ToLower(string(ack.Payload)), "not saved") {
		t.Fatalf("ack = %s; want a pushed notice saying it was not saved", ack.Payload)
	}

	h.redis.Restart()
	view, err = h.alice.openForm(h.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	h.wait("a save to succeed again", func() bool {
		ack, err := h.alice.submit(h.ctx, view, hotForm())
		return err == nil && decodeAck(ack).ResponseAction == ""
	})
	h.wait("the receiver's DM", func() bool { return len(h.bob.dms()) == 1 })
}

func TestSocketRefreshThenReferWorks(t *testing.T) {
	socketOnly(t, "a socket refreshed by Slack")
	h := start(t)
	before := len(h.fake.Calls("apps.connections.open"))
	h.fake.Disconnect("refresh_requested")
	h.wait("a reconnect", func() bool { return len(h.fake.Calls("apps.connections.open")) > before && h.fake.Connections() == 1 })
	if ack := h.refer(h.alice, hotForm()); ack.ResponseAction != "" {
		t.Fatalf("refused after reconnect: %s", pretty(ack))
	}
	h.wait("the receiver's DM", func() bool { return len(h.bob.dms()) == 1 })
}

func TestReferSubcommands(t *testing.T) {
	h := start(t)
	tests := []struct {
		name, text string
		want       []string
	}{
		{"Help", "help", []string{"/refer list", "/refer help", "/refer @member", "*Refer this*", "*Give and follow up*", "*The numbers*"}},
		{"EmptyList", "list", []string{"no open referrals"}},
		{"Unknown", "frobnicate <b>", []string{"I don't know `/refer frobnicate`", "/refer help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack, err := h.alice.command(h.ctx, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if err := contains(unjson(ack.Payload), append(tt.want, `"response_type":"ephemeral"`)...); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("HelpByRole", func(t *testing.T) {
		// A member's help names no admin command; an admin's adds them in their own group.
		member, err := h.alice.command(h.ctx, "help")
		if err != nil {
			t.Fatal(err)
		}
		for _, admin := range []string{"/refer outbox", "/refer settings", "/refer export", "For admins"} {
			if strings.Contains(unjson(member.Payload), admin) {
				t.Errorf("a member's help shows %q", admin)
			}
		}
		admin, err := h.dave.command(h.ctx, "help")
		if err != nil {
			t.Fatal(err)
		}
		if err := contains(unjson(admin.Payload), "*For admins*", "/refer outbox", "messages Slack refused", "/refer list"); err != nil {
			t.Error(err)
		}
		if strings.Contains(unjson(admin.Payload), "dead-letter") {
			t.Error("the admins' help says dead-letter")
		}
	})
	t.Run("ListNewestFirst", func(t *testing.T) {
		first := hotForm()
		second := form{receiver: "UCAROL", name: "Omar Haddad", email: "omar@example.com", need: "Bookkeeping"}
		third := form{receiver: "UALICE", name: "Pia Lund", phone: "+46 8 123 456 78", need: "Insurance"}
		for _, x := range []struct {
			p person
			f form
		}{{h.alice, first}, {h.alice, second}, {h.bob, third}} {
			if ack := h.refer(x.p, x.f); ack.ResponseAction != "" {
				t.Fatalf("refused: %s", pretty(ack))
			}
		}
		ack, err := h.alice.command(h.ctx, "list")
		if err != nil {
			t.Fatal(err)
		}
		s := unjson(ack.Payload)
		if err := contains(s, "Waiting on you", "Pia Lund", "You gave", "Omar Haddad", "Dana Reyes"); err != nil {
			t.Fatal(err)
		}
		if strings.Index(s, "Omar Haddad") > strings.Index(s, "Dana Reyes") {
			t.Error("given referrals are not newest first")
		}
		if strings.Contains(s, "omar@example.com") || strings.Contains(s, "+46") {
			t.Error("the list shows a prospect's contact details")
		}
	})
}

func TestUndecodableEnvelopeIsAckedOnce(t *testing.T) {
	socketOnly(t, "envelopes slack-go's socket reader cannot decode (HTTP mode's unreadable requests: bot.TestHTTPModeRefusesWhatSlackDidNotSign)")
	h := start(t)
	frame := []byte(`{"envelope_id":"env-bad","type":"slash_commands","accepts_response_payload":true,"payload":{"command":"/refer","text":42}}`)
	if _, err := h.fake.SendRaw(h.ctx, "env-bad", frame); err != nil {
		t.Fatal(err)
	}
	unknown := []byte(`{"envelope_id":"env-new","type":"brand_new_type","payload":{}}`)
	if _, err := h.fake.SendRaw(h.ctx, "env-new", unknown); err != nil {
		t.Fatal(err)
	}
	// An envelope Rapport has no route for is acked too.
	ack, err := h.fake.Send(h.ctx, "slash_commands", h.fake.Command(slackfake.GeneralChannelID, "UALICE", "/other", ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"env-bad", "env-new", ack.EnvelopeID} {
		if n := h.fake.AckCount(id); n != 1 {
			t.Errorf("envelope %s acked %d times, want 1", id, n)
		}
	}
}
