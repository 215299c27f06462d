package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// stalling draws every entry as renderer does, but holds the drawing of one of kind "stalled"
// until release is closed: a message owed that the outbox cannot get out.
type stalling struct {
	*renderer
	started chan time.Time
	release chan struct{}
}

func (s stalling) Render(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Delivery, bool, error) {
	if e.Kind == "stalled" {
		s.started <- time.Now()
		select {
		case <-s.release:
		case <-ctx.Done():
		}
	}
	return s.renderer.Render(ctx, team, e)
}

// TestAckWaitsForALaggingOutbox checks intake pacing: while a message owed has waited in the
// outbox longer than it should, a form's submission and a click on a DM's button are acked only
// after a while (the form closes a little later instead of the DMs it owes falling further
// behind), and still well within Slack's 3 s; a slash command, which owes no message, is answered
// while the outbox is still stalled.
func TestAckWaitsForALaggingOutbox(t *testing.T) {
	t.Parallel()
	transports(t, func(t *testing.T, httpMode bool) {
		r := stalling{renderer: &renderer{}, started: make(chan time.Time, 1), release: make(chan struct{})}
		e := start(t, options{httpMode: httpMode, renderer: r, routes: func(m *bot.Mux) {
			m.Command("/refer", func(context.Context, *bot.Request) (any, error) { return bot.Ephemeral("Here is your list."), nil })
			m.View("refer_form", func(context.Context, *bot.Request) (any, error) { return nil, nil })
			m.Action("accept", func(context.Context, *bot.Request) (any, error) { return nil, nil })
		}})
		defer close(r.release)
		e.enqueue("stalled")
		var since time.Time
		select {
		case since = <-r.started:
		case <-e.ctx.Done():
			t.Fatal("the stalled entry was never drawn")
		}
		e.wait("the message owed longer than the outbox may lag", func() bool { return time.Since(since) > bot.IntakeLag })

		if got := decodeAck(t, e.command("/refer", "list")); got.Text != "Here is your list." {
			t.Errorf("command acked with %+v; want its answer", got)
		}
		ack, sent := e.send("interactive", e.fake.ViewSubmission(alice, formView, map[string]map[string]slack.BlockAction{}))
		took := time.Since(sent)
		if ack.Payload != nil {
			t.Errorf("form acked with %s; want a bare ack (the form closes)", ack.Payload)
		}
		if took < bot.IntakeWait-50*time.Millisecond || took > 3*time.Second {
			t.Errorf("form acked %v after its submission while the outbox lagged; want about %v, within Slack's 3 s", took, bot.IntakeWait)
		}
		// A click on a referral DM's button owes messages too: held the same.
		_, sent = e.send("interactive", e.fake.BlockAction(alice,
			slack.BlockAction{ActionID: "accept", BlockID: "actions", Type: "button", Value: "17"},
			slackfake.InMessage(slackfake.GeneralChannelID, "1700000000.000100")))
		if took := time.Since(sent); took < bot.IntakeWait-50*time.Millisecond || took > 3*time.Second {
			t.Errorf("click acked %v after it while the outbox lagged; want about %v, within Slack's 3 s", took, bot.IntakeWait)
		}
		if n := len(e.fake.DMs(alice)); n != 0 {
			t.Errorf("%d DMs while the outbox was stalled; want none", n)
		}
	})
}
