package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// slackAckDeadline is Slack's: an envelope not acked within 3 s is shown to the person as failed
// and redelivered.
const slackAckDeadline = 3 * time.Second

// TestEveryEnvelopeAckedOnce checks that Slack gets exactly one ack per envelope whatever the
// handler does (env.shutdown counts them), and that the bot keeps serving afterwards.
func TestEveryEnvelopeAckedOnce(t *testing.T) {
	t.Parallel()
	transports(t, func(t *testing.T, httpMode bool) {
		release := make(chan struct{})
		e := start(t, options{httpMode: httpMode, routes: func(m *bot.Mux) {
			m.Command("/ping", func(_ context.Context, r *bot.Request) (any, error) {
				return bot.Ephemeral("pong " + r.Command.Text), nil
			})
			m.Command("/boom", func(context.Context, *bot.Request) (any, error) {
				panic("nil map in handler")
			})
			m.Command("/stuck", func(context.Context, *bot.Request) (any, error) {
				<-release // ignores its context, as a handler stuck in a bad call would
				return bot.Ephemeral("too late"), nil
			})
		}})
		// Released before shutdown so the stuck handler's goroutine ends with the test.
		defer close(release)

		t.Run("Routed", func(t *testing.T) {
			got := decodeAck(t, e.command("/ping", "hi"))
			want := ackPayload{ResponseType: "ephemeral", Text: "pong hi"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ack (-want +got):\n%s", diff)
			}
		})

		t.Run("Unrouted", func(t *testing.T) {
			ack := e.command("/unknown", "")
			if ack.Payload != nil {
				t.Errorf("unrouted command acked with %s; want a bare ack", ack.Payload)
			}
		})

		t.Run("Panic", func(t *testing.T) {
			got := decodeAck(t, e.command("/boom", ""))
			if got.ResponseType != "ephemeral" || !strings.Contains(got.Text, "went wrong") {
				t.Errorf("ack after a panic = %+v; want an ephemeral apology", got)
			}
			if strings.Contains(got.Text, "nil map") {
				t.Errorf("ack leaks the panic: %q", got.Text)
			}
			if got := decodeAck(t, e.command("/ping", "again")); got.Text != "pong again" {
				t.Errorf("after a panic, /ping acked %q; want %q", got.Text, "pong again")
			}
		})

		t.Run("SlowHandler", func(t *testing.T) {
			ack, sent := e.send("slash_commands", e.fake.Command(slackfake.GeneralChannelID, alice, "/stuck", ""))
			if took := ack.At.Sub(sent); took >= slackAckDeadline {
				t.Errorf("stuck handler acked after %v; Slack gives up at %v", took, slackAckDeadline)
			}
			got := decodeAck(t, ack)
			if got.ResponseType != "ephemeral" || !strings.Contains(got.Text, "slow") {
				t.Errorf("ack for a stuck handler = %+v; want the ephemeral 'slow' message", got)
			}
			if got := decodeAck(t, e.command("/ping", "still there")); got.Text != "pong still there" {
				t.Errorf("while a handler is stuck, /ping acked %q", got.Text)
			}
		})

		t.Run("Undecodable", func(t *testing.T) {
			// "command" must be a string: slack-go cannot decode this envelope and hands it over raw.
			const id = "0b6f4e0c-bad0-4d1e-9a55-000000000001"
			frame := []byte(`{"envelope_id":"` + id + `","type":"slash_commands","accepts_response_payload":true,` +
				`"payload":{"command":42,"text":"prospect dana@reyesbakery.example","user_id":"UALICE","team_id":"T0FAKE"}}`)
			ack, err := e.fake.SendRaw(e.ctx, id, frame)
			if err != nil {
				t.Fatalf("undecodable envelope: %v", err)
			}
			e.deliveredOnce(id)
			if ack.Payload != nil {
				t.Errorf("undecodable envelope acked with %s; want a bare ack", ack.Payload)
			}
			if got := decodeAck(t, e.command("/ping", "after")); got.Text != "pong after" {
				t.Errorf("after an undecodable envelope, /ping acked %q", got.Text)
			}
		})
	})
}

// formView is the referral form as the bot opened it.
var formView = slack.View{ID: "V0FORM", Type: slack.VTModal, CallbackID: "refer_form", TeamID: slackfake.TeamID}

// TestErrorsReachThePerson checks what a person sees when a handler refuses or fails: a refusal
// in words, field errors under the form's inputs, and for an internal failure an apology that
// says nothing of the cause.
func TestErrorsReachThePerson(t *testing.T) {
	t.Parallel()
	transports(t, func(t *testing.T, httpMode bool) {
		const internal = "dial tcp 10.0.0.7:6379: connection refused"
		e := start(t, options{httpMode: httpMode, routes: func(m *bot.Mux) {
			m.Command("/refer", func(context.Context, *bot.Request) (any, error) {
				return nil, rapport.Errorf(rapport.EINVALID, "You can't refer yourself.")
			})
			m.View("refer_form", func(_ context.Context, r *bot.Request) (any, error) {
				v := r.Interaction.View.State.Values
				if v[rapport.FieldEmail]["email"].Value == "fail" {
					return nil, fmt.Errorf("save referral: %w", errors.New(internal))
				}
				return nil, rapport.FieldErrors{rapport.FieldEmail: "That email address is not valid."}
			})
			m.Action("accept", func(context.Context, *bot.Request) (any, error) {
				return nil, rapport.Errorf(rapport.EFORBIDDEN, "Only the receiver can accept this referral.")
			})
			m.MessageShortcut("refer_message", func(context.Context, *bot.Request) (any, error) {
				return nil, rapport.Errorf(rapport.EINVALID, "That is one of Rapport's own messages.")
			})
			m.GlobalShortcut("give_referral", func(context.Context, *bot.Request) (any, error) {
				return nil, rapport.Errorf(rapport.EINVALID, "Rapport is not set up here yet.")
			})
		}})
		submit := func(email string) slackfake.Ack {
			ack, _ := e.send("interactive", e.fake.ViewSubmission(alice, formView,
				map[string]map[string]slack.BlockAction{
					rapport.FieldEmail: {"email": {Type: "email_text_input", Value: email}},
				}))
			return ack
		}

		t.Run("SlashCommandRefused", func(t *testing.T) {
			got := decodeAck(t, e.command("/refer", "<@UALICE|alice>"))
			want := ackPayload{ResponseType: "ephemeral", Text: "You can't refer yourself."}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ack (-want +got):\n%s", diff)
			}
		})

		t.Run("ViewFieldErrors", func(t *testing.T) {
			got := decodeAck(t, submit("dana@"))
			want := ackPayload{ResponseAction: "errors",
				Errors: map[string]string{rapport.FieldEmail: "That email address is not valid."}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ack (-want +got):\n%s", diff)
			}
		})

		t.Run("ViewInternalError", func(t *testing.T) {
			ack := submit("fail")
			got := decodeAck(t, ack)
			if got.ResponseAction != "push" || got.View == nil || got.View.Type != "modal" {
				t.Fatalf("ack = %s; want response_action push with a modal", ack.Payload)
			}
			if !strings.Contains(string(ack.Payload), "Something went wrong") {
				t.Errorf("pushed modal %s does not apologise", ack.Payload)
			}
			for _, leak := range []string{"10.0.0.7", "connection refused", "save referral"} {
				if strings.Contains(string(ack.Payload), leak) {
					t.Errorf("pushed modal leaks %q: %s", leak, ack.Payload)
				}
			}
		})

		t.Run("ButtonRefused", func(t *testing.T) {
			// A button's ack carries no message: the refusal arrives as an ephemeral message instead.
			ack, _ := e.send("interactive", e.fake.BlockAction(alice,
				slack.BlockAction{ActionID: "accept", BlockID: "actions", Type: "button", Value: "17"},
				slackfake.InMessage(slackfake.GeneralChannelID, "1700000000.000100")))
			if ack.Payload != nil {
				t.Errorf("button acked with %s; want a bare ack", ack.Payload)
			}
			e.wait("the ephemeral refusal", func() bool {
				for _, m := range e.fake.Messages() {
					if m.Ephemeral && m.User == alice && m.Channel == slackfake.GeneralChannelID &&
						m.Text == "Only the receiver can accept this referral." {
						return true
					}
				}
				return false
			})
		})

		t.Run("MessageShortcutRefused", func(t *testing.T) {
			// A message shortcut's ack carries nothing either: its response_url answers in the
			// message's channel, to the person only.
			msg := e.fake.Post(slackfake.GeneralChannelID, "UBOB", "We do roofs")
			ack, _ := e.send("interactive", e.fake.MessageShortcut(alice, "refer_message", msg))
			if ack.Payload != nil {
				t.Errorf("message shortcut acked with %s; want a bare ack", ack.Payload)
			}
			e.wait("the ephemeral refusal", func() bool {
				for _, m := range e.fake.Messages() {
					if m.Ephemeral && m.User == alice && m.Channel == slackfake.GeneralChannelID &&
						m.Text == "That is one of Rapport's own messages." {
						return true
					}
				}
				return false
			})
		})

		t.Run("GlobalShortcutRefused", func(t *testing.T) {
			// A global shortcut has neither a channel nor a response_url: its trigger opens a modal.
			p := e.fake.GlobalShortcut(alice, "give_referral")
			ack, _ := e.send("interactive", p)
			if ack.Payload != nil {
				t.Errorf("global shortcut acked with %s; want a bare ack", ack.Payload)
			}
			e.wait("the refusal in a modal", func() bool {
				for _, v := range e.fake.Views() {
					if v.TriggerID == p["trigger_id"] && strings.Contains(string(v.View), "Rapport is not set up here yet.") {
						return true
					}
				}
				return false
			})
		})
	})
}

// TestAfterAckWork checks that slow work runs after the ack (so the ack is not held up by it) and
// that a redelivered envelope or a retried event does not run it twice: the person gets one DM.
func TestAfterAckWork(t *testing.T) {
	t.Parallel()
	transports(t, func(t *testing.T, httpMode bool) {
		release := make(chan struct{})
		handled := make(chan string, 8)
		var api atomic.Pointer[slack.Client] // the bot's Web API client, set once it runs
		say := func(text string) bot.Handler {
			return func(_ context.Context, r *bot.Request) (any, error) {
				handled <- r.EnvelopeID
				r.After(func(ctx context.Context) error {
					select {
					case <-release:
					case <-ctx.Done():
						return ctx.Err()
					}
					_, _, err := api.Load().PostMessageContext(ctx, alice, slack.MsgOptionText(text, false))
					return err
				})
				return bot.Ephemeral("Saving…"), nil
			}
		}
		e := start(t, options{httpMode: httpMode, routes: func(m *bot.Mux) {
			m.Command("/refer", say("Referral saved."))
			m.Event("app_home_opened", say("Welcome home."))
		}})
		api.Store(e.api)
		dms := func(text string) int {
			n := 0
			for _, m := range e.fake.DMs(alice) {
				if m.Text == text {
					n++
				}
			}
			return n
		}

		// The after-ack work waits for release, which only comes once the ack has arrived: were it run
		// before the ack, the ack would never come.
		cmd := e.fake.Command(slackfake.GeneralChannelID, alice, "/refer", "")
		first := e.sendEnvelope(slackfake.Envelope{ID: "5a1e0000-0000-4000-8000-000000000001",
			Type: "slash_commands", Payload: cmd, AcceptsResponsePayload: true})
		close(release)
		e.wait("the DM from after-ack work", func() bool { return dms("Referral saved.") == 1 })
		if post := e.fake.Calls("chat.postMessage")[0]; post.At.Before(first.At) {
			t.Errorf("DM posted at %v, before the ack at %v", post.At, first.At)
		}

		deliveries := 3
		if !httpMode { // over HTTP, Slack never sends a command twice: only events are retried
			// Slack redelivers the same envelope (a missed ack, a reconnect): acked again, not redone.
			again := e.sendEnvelope(slackfake.Envelope{ID: first.EnvelopeID, Type: "slash_commands", Payload: cmd,
				AcceptsResponsePayload: true, RetryAttempt: 1, RetryReason: "timeout"})
			if got := decodeAck(t, again).Text; got != "Saving…" {
				t.Errorf("redelivery acked %q; want the same answer", got)
			}
			deliveries++
		}

		// Slack retries an event under a new envelope id with the same event_id.
		home := e.fake.AppHomeOpened(alice)
		e.sendEnvelope(slackfake.Envelope{ID: "5a1e0000-0000-4000-8000-000000000002", Type: "events_api", Payload: home})
		e.wait("the DM for the event", func() bool { return dms("Welcome home.") == 1 })
		e.sendEnvelope(slackfake.Envelope{ID: "5a1e0000-0000-4000-8000-000000000003", Type: "events_api", Payload: home,
			RetryAttempt: 1, RetryReason: "timeout"})

		// Shutdown drains every after-ack decision, so the counts below are final.
		e.stopBot()
		if n := len(handled); n != deliveries {
			t.Errorf("handlers ran %d times; want %d (each delivery is answered)", n, deliveries)
		}
		if n := dms("Referral saved."); n != 1 {
			t.Errorf("redelivered command DMed %d times; want 1", n)
		}
		if n := dms("Welcome home."); n != 1 {
			t.Errorf("retried event DMed %d times; want 1", n)
		}
	})
}
