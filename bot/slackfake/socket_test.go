package slackfake_test

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/rapportbot/rapport/bot/slackfake"
)

func TestSocketModeHelloAndAck(t *testing.T) {
	s := newFake(t)
	var (
		mu  sync.Mutex
		got slack.SlashCommand
	)
	b := startBot(t, s, func(evt socketmode.Event) any {
		mu.Lock()
		got = evt.Data.(slack.SlashCommand)
		mu.Unlock()
		return map[string]any{"response_type": "ephemeral", "text": "on it"}
	})
	ctx := waitCtx(t)
	if err := s.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}

	payload := s.SlashCommand("UALICE", "<@UBOB|bob> Acme")
	ack, err := s.Send(ctx, "slash_commands", payload)
	if err != nil {
		t.Fatal(err)
	}
	if string(ack.Payload) != `{"response_type":"ephemeral","text":"on it"}` {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	if s.AckCount(ack.EnvelopeID) != 1 {
		t.Errorf("AckCount = %d, want 1", s.AckCount(ack.EnvelopeID))
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Command != "/refer" || got.Text != "<@UBOB|bob> Acme" || got.ChannelID != slackfake.GeneralChannelID ||
		got.UserID != "UALICE" || got.TeamID != slackfake.TeamID || got.APIAppID != slackfake.AppID {
		t.Errorf("slash command = %+v", got)
	}
	if got.TriggerID == "" || !strings.HasPrefix(got.ResponseURL, strings.TrimSuffix(s.APIURL(), "api/")) {
		t.Errorf("trigger_id %q, response_url %q", got.TriggerID, got.ResponseURL)
	}
	if payload["is_enterprise_install"] != "false" {
		t.Errorf("is_enterprise_install = %#v, want the string \"false\" like Slack", payload["is_enterprise_install"])
	}
	hellos := b.Hellos()
	if len(hellos) != 1 || hellos[0].NumConnections != 1 || hellos[0].ConnectionInfo.AppID != slackfake.AppID {
		t.Errorf("hellos = %+v", hellos)
	}
}

func TestSocketModeAckWithoutPayload(t *testing.T) {
	s := newFake(t)
	startBot(t, s, noAck)
	ack, err := s.Send(waitCtx(t), "events_api", s.AppHomeOpened("UALICE"))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Payload != nil {
		t.Errorf("payload = %s, want nil", ack.Payload)
	}
}

func TestDisconnectReconnects(t *testing.T) {
	s := newFake(t)
	b := startBot(t, s, noAck)
	ctx := waitCtx(t)
	if err := s.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}

	s.Disconnect("refresh_requested")
	err := s.WaitFor(ctx, func() bool {
		return len(s.Calls("apps.connections.open")) == 2 && s.Connections() == 1
	})
	if err != nil {
		t.Fatalf("no reconnect: %v (%d opens, %d sockets)", err, len(s.Calls("apps.connections.open")), s.Connections())
	}
	if _, err := s.Send(ctx, "events_api", s.AppHomeOpened("UALICE")); err != nil {
		t.Fatalf("envelope after reconnect: %v", err)
	}
	if n := len(b.Hellos()); n != 2 {
		t.Errorf("hellos = %d, want 2: %+v", n, b.Hellos())
	}
}

func TestPingsKeepTheSocket(t *testing.T) {
	// The client gives up on a socket after 150 ms without a ping; the fake pings every 10 ms.
	s := newFake(t, slackfake.WithPingInterval(10*time.Millisecond))
	startBot(t, s, noAck, socketmode.OptionPingInterval(150*time.Millisecond))
	if err := s.WaitFor(waitCtx(t), func() bool { return s.Pongs() >= 40 }); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Calls("apps.connections.open")); n != 1 {
		t.Errorf("apps.connections.open calls = %d over 40 pings, want 1 (no reconnect)", n)
	}
}

func TestRedeliveryCarriesRetryFields(t *testing.T) {
	s := newFake(t)
	var (
		mu       sync.Mutex
		attempts []int
	)
	startBot(t, s, func(evt socketmode.Event) any {
		mu.Lock()
		attempts = append(attempts, evt.Request.RetryAttempt)
		mu.Unlock()
		return nil
	})
	ctx := waitCtx(t)
	env := slackfake.Envelope{ID: "env-1", Type: "events_api", Payload: s.AppHomeOpened("UALICE")}
	if _, err := s.SendEnvelope(ctx, env); err != nil {
		t.Fatal(err)
	}
	env.RetryAttempt, env.RetryReason = 1, "timeout"
	if _, err := s.SendEnvelope(ctx, env); err != nil {
		t.Fatal(err)
	}
	if n := s.AckCount("env-1"); n != 2 {
		t.Errorf("AckCount = %d, want 2 (one per delivery)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 2 || attempts[0] != 0 || attempts[1] != 1 {
		t.Errorf("retry attempts = %v", attempts)
	}
}

func TestUndecodableEnvelopeCanBeAcked(t *testing.T) {
	s := newFake(t)
	var (
		mu   sync.Mutex
		seen []socketmode.EventType
	)
	startBot(t, s, func(evt socketmode.Event) any {
		mu.Lock()
		seen = append(seen, evt.Type)
		mu.Unlock()
		return nil
	})
	frame := []byte(`{"envelope_id":"bad-1","type":"slash_commands","accepts_response_payload":true,"payload":{"command":"/refer","text":42}}`)
	ack, err := s.SendRaw(waitCtx(t), "bad-1", frame)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if ack.EnvelopeID != "bad-1" || len(seen) != 1 || seen[0] != socketmode.EventTypeErrorBadMessage {
		t.Errorf("ack %+v after events %v", ack, seen)
	}
}

func TestRoundRobinOverSockets(t *testing.T) {
	s := newFake(t)
	var first, second atomic.Int32
	startBot(t, s, func(socketmode.Event) any { first.Add(1); return nil })
	startBot(t, s, func(socketmode.Event) any { second.Add(1); return nil })
	ctx := waitCtx(t)
	if err := s.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := s.Send(ctx, "events_api", s.AppHomeOpened("UALICE")); err != nil {
			t.Fatal(err)
		}
	}
	if first.Load() != 2 || second.Load() != 2 {
		t.Errorf("deliveries = %d and %d, want 2 each", first.Load(), second.Load())
	}
}

func TestInteractivePayloadsDecode(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE", Name: "alice"}))
	api := newAPI(t, s, slackfake.BotToken)
	events := make(chan socketmode.Event, 10)
	startBot(t, s, func(evt socketmode.Event) any {
		events <- evt
		return nil
	})
	ctx := waitCtx(t)

	ch, ts, err := api.PostMessageContext(ctx, "UALICE", slack.MsgOptionText("New referral", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("ref", slack.NewButtonBlockElement("accept", "r1",
			slack.NewTextBlockObject("plain_text", "Accept", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	press := slack.BlockAction{ActionID: "accept", BlockID: "ref", Type: "button", Value: "r1",
		Text: slack.TextBlockObject{Type: "plain_text", Text: "Accept"}}
	if _, err := s.Send(ctx, "interactive", s.BlockAction("UALICE", press, slackfake.InMessage(ch, ts))); err != nil {
		t.Fatal(err)
	}
	cb := (<-events).Data.(slack.InteractionCallback)
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "UALICE" || cb.Container.ChannelID != ch ||
		cb.Container.MessageTs != ts || cb.Message.Text != "New referral" || cb.ResponseURL == "" ||
		len(cb.ActionCallback.BlockActions) != 1 || cb.ActionCallback.BlockActions[0].Value != "r1" {
		t.Errorf("block_actions = %+v", cb)
	}

	opened, err := api.OpenViewContext(ctx, cb.TriggerID, slack.ModalViewRequest{
		Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Refer", false, false),
		CallbackID: "refer", PrivateMetadata: "meta",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("company", slack.NewTextBlockObject("plain_text", "Company", false, false),
			nil, slack.NewPlainTextInputBlockElement(nil, "name"))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pick := slack.BlockAction{ActionID: "kind", BlockID: "k", Type: "static_select",
		SelectedOption: slack.OptionBlockObject{Value: "warm"}}
	if _, err := s.Send(ctx, "interactive", s.BlockAction("UALICE", pick, slackfake.InView(opened.ID))); err != nil {
		t.Fatal(err)
	}
	va := (<-events).Data.(slack.InteractionCallback)
	if va.Container.Type != "view" || va.View.ID != opened.ID || va.View.CallbackID != "refer" || va.ResponseURL != "" ||
		va.ActionCallback.BlockActions[0].SelectedOption.Value != "warm" {
		t.Errorf("view block_actions = %+v", va)
	}

	values := map[string]map[string]slack.BlockAction{
		"company": {"name": {Type: "plain_text_input", Value: "Acme"}},
		"notes":   {"text": {Type: "plain_text_input"}},
	}
	ack, err := s.Send(ctx, "interactive", s.ViewSubmission("UALICE", opened.View, values))
	if err != nil {
		t.Fatal(err)
	}
	sub := (<-events)
	vs := sub.Data.(slack.InteractionCallback)
	if !sub.Request.AcceptsResponsePayload || vs.Type != slack.InteractionTypeViewSubmission ||
		vs.View.ID != opened.ID || vs.View.CallbackID != "refer" || vs.View.PrivateMetadata != "meta" ||
		vs.View.State.Values["company"]["name"].Value != "Acme" || vs.View.State.Values["notes"]["text"].Value != "" {
		t.Errorf("view_submission = %+v (ack %+v)", vs.View, ack)
	}

	if _, err := s.Send(ctx, "events_api", s.AppHomeOpened("UALICE")); err != nil {
		t.Fatal(err)
	}
	ev := (<-events).Data.(slackevents.EventsAPIEvent)
	home, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || home.User != "UALICE" || home.Tab != "home" || !strings.HasPrefix(home.Channel, "D") {
		t.Errorf("app_home_opened = %+v", ev.InnerEvent.Data)
	}
	raw, _ := json.Marshal(s.AppHomeOpened("UALICE"))
	if !strings.Contains(string(raw), `"event_id":"Ev`) {
		t.Errorf("event payload without event_id: %s", raw)
	}
}

// TestShortcutPayloadsDecode: a message shortcut on a member's message and a global shortcut reach
// the app as slack-go decodes them, with what a handler reads: the shortcut's callback_id and
// trigger, the message as stored with its author, the channel, the team's domain, and for the
// message shortcut a response_url that answers the person alone.
func TestShortcutPayloadsDecode(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE", Name: "alice"}, slack.User{ID: "UBOB", Name: "bob"},
		slack.User{ID: "UAPP", Name: "deploys", IsBot: true, Profile: slack.UserProfile{BotID: "BAPP"}}))
	api := newAPI(t, s, slackfake.BotToken)
	events := make(chan socketmode.Event, 10)
	startBot(t, s, func(evt socketmode.Event) any {
		events <- evt
		return nil
	})
	ctx := waitCtx(t)

	m := s.Post(slackfake.GeneralChannelID, "UBOB", "We fix roofs &amp; gutters, ask <@UALICE>")
	if _, err := s.Send(ctx, "interactive", s.MessageShortcut("UALICE", "refer_message", m)); err != nil {
		t.Fatal(err)
	}
	ma := (<-events).Data.(slack.InteractionCallback)
	if ma.Type != slack.InteractionTypeMessageAction || ma.CallbackID != "refer_message" || ma.User.ID != "UALICE" ||
		ma.TriggerID == "" || ma.ResponseURL == "" || ma.Team.ID != slackfake.TeamID || ma.Team.Domain == "" ||
		ma.Channel.ID != slackfake.GeneralChannelID || ma.MessageTs != m.TS || ma.Message.Timestamp != m.TS ||
		ma.Message.User != "UBOB" || ma.Message.BotID != "" || ma.Message.Text != m.Text {
		t.Errorf("message_action = %+v", ma)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionText("no", false),
		slack.MsgOptionResponseURL(ma.ResponseURL, slack.ResponseTypeEphemeral)); err != nil {
		t.Fatal(err)
	}
	if got := s.Messages(); len(got) != 2 || got[0].Text != m.Text || !got[1].Ephemeral || got[1].User != "UALICE" {
		t.Errorf("messages after the answer = %+v", got)
	}
	// Bob's message is Bob's: Rapport cannot edit it.
	if _, _, _, err := api.UpdateMessageContext(ctx, m.Channel, m.TS, slack.MsgOptionText("x", false)); err == nil || err.Error() != "cant_update_message" {
		t.Errorf("chat.update of a member's message: %v", err)
	}

	app := s.Post(slackfake.GeneralChannelID, "UAPP", "Deploy finished")
	if _, err := s.Send(ctx, "interactive", s.MessageShortcut("UALICE", "refer_message", app)); err != nil {
		t.Fatal(err)
	}
	if am := (<-events).Data.(slack.InteractionCallback); am.Message.BotID != "BAPP" || am.Message.User != "UAPP" {
		t.Errorf("another app's message = %+v", am.Message)
	}

	if _, err := s.Send(ctx, "interactive", s.GlobalShortcut("UALICE", "give_referral")); err != nil {
		t.Fatal(err)
	}
	gs := (<-events).Data.(slack.InteractionCallback)
	if gs.Type != slack.InteractionTypeShortcut || gs.CallbackID != "give_referral" || gs.User.ID != "UALICE" ||
		gs.TriggerID == "" || gs.ResponseURL != "" || gs.Channel.ID != "" || gs.Team.ID != slackfake.TeamID {
		t.Errorf("shortcut = %+v", gs)
	}
	if _, err := api.OpenViewContext(ctx, gs.TriggerID, slack.ModalViewRequest{Type: slack.VTModal,
		Title: slack.NewTextBlockObject("plain_text", "Refer", false, false)}); err != nil {
		t.Errorf("views.open on the shortcut's trigger: %v", err)
	}
}
