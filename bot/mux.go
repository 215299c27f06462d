package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// A Handler answers one envelope. What it returns is the ack's payload (nil for a bare ack): a slash
// command's ephemeral reply, a view submission's response_action. It must return within Slack's ack
// deadline, so it may make at most one Redis round trip and no Slack call: slow work goes in
// Request.After and runs once the ack is sent.
//
// A user-facing error (rapport.Error, rapport.FieldErrors) becomes a message to the person; any other
// error is logged once by the dispatcher and the person gets a plain apology.
type Handler func(ctx context.Context, r *Request) (ack any, err error)

// Request is one envelope as a handler sees it.
type Request struct {
	EnvelopeID string
	Type       string // "slash_commands", "interactive" or "events_api"
	Team       string // the workspace the bot serves

	Command     slack.SlashCommand         // for slash_commands
	Interaction slack.InteractionCallback  // for interactive
	Event       slackevents.EventsAPIEvent // for events_api
	EventID     string                     // events_api: stable across Slack's retries

	received time.Time // when the transport took it in (set by whatever makes the Request): the ack's latency runs from here
	after    []func(ctx context.Context) error
}

// After queues work to run once the envelope is acked: Slack Web API calls, opening modals. It runs on
// a goroutine the bot waits for at shutdown, at most once per envelope even when Slack redelivers it.
func (r *Request) After(f func(ctx context.Context) error) { r.after = append(r.after, f) }

// User is the ID of the person who caused the envelope.
func (r *Request) User() string {
	switch r.Type {
	case "slash_commands":
		return r.Command.UserID
	case "interactive":
		return r.Interaction.User.ID
	}
	return ""
}

// Mux routes envelopes to handlers by slash command, block action_id, view callback_id, shortcut
// callback_id and event type. Registering the same route twice is an error reported by Err, so a typo
// fails at start-up.
type Mux struct {
	commands         map[string]Handler
	actions          map[string]Handler
	views            map[string]Handler
	messageShortcuts map[string]Handler
	globalShortcuts  map[string]Handler
	events           map[string]Handler
	errs             []error
}

// NewMux returns an empty Mux.
func NewMux() *Mux {
	return &Mux{
		commands: map[string]Handler{},
		actions:  map[string]Handler{},
		views:    map[string]Handler{},
		events:   map[string]Handler{},
		// Each kind apart: a message and a global shortcut may share a callback_id.
		messageShortcuts: map[string]Handler{},
		globalShortcuts:  map[string]Handler{},
	}
}

// Command routes a slash command ("/refer").
func (m *Mux) Command(name string, h Handler) { m.add(m.commands, "command", name, h) }

// Action routes a block action by its action_id.
func (m *Mux) Action(actionID string, h Handler) { m.add(m.actions, "action", actionID, h) }

// View routes a view submission by the view's callback_id.
func (m *Mux) View(callbackID string, h Handler) { m.add(m.views, "view", callbackID, h) }

// MessageShortcut routes a message shortcut (a message_action, from a message's menu) by the
// callback_id the app's manifest gives it.
func (m *Mux) MessageShortcut(callbackID string, h Handler) {
	m.add(m.messageShortcuts, "message shortcut", callbackID, h)
}

// GlobalShortcut routes a global shortcut (a shortcut, from the composer or the search bar) by the
// callback_id the app's manifest gives it.
func (m *Mux) GlobalShortcut(callbackID string, h Handler) {
	m.add(m.globalShortcuts, "global shortcut", callbackID, h)
}

// Event routes an Events API event by its inner type ("app_home_opened").
func (m *Mux) Event(typ string, h Handler) { m.add(m.events, "event", typ, h) }

func (m *Mux) add(routes map[string]Handler, kind, key string, h Handler) {
	switch {
	case key == "" || h == nil:
		m.errs = append(m.errs, fmt.Errorf("%s route %q: empty name or nil handler", kind, key))
	case routes[key] != nil:
		m.errs = append(m.errs, fmt.Errorf("%s route %q registered twice", kind, key))
	default:
		routes[key] = h
	}
}

// Err reports every bad registration.
func (m *Mux) Err() error { return errors.Join(m.errs...) }

// route finds the handler for r and names the route for logs.
func (m *Mux) route(r *Request) (Handler, string) {
	switch r.Type {
	case "slash_commands":
		return m.commands[r.Command.Command], r.Command.Command
	case "interactive":
		switch r.Interaction.Type {
		case slack.InteractionTypeBlockActions:
			if len(r.Interaction.ActionCallback.BlockActions) > 0 {
				id := r.Interaction.ActionCallback.BlockActions[0].ActionID
				return m.actions[id], "action:" + id
			}
		case slack.InteractionTypeViewSubmission:
			id := r.Interaction.View.CallbackID
			return m.views[id], "view:" + id
		case slack.InteractionTypeMessageAction:
			id := r.Interaction.CallbackID
			return m.messageShortcuts[id], "message_action:" + id
		case slack.InteractionTypeShortcut:
			id := r.Interaction.CallbackID
			return m.globalShortcuts[id], "shortcut:" + id
		}
		return nil, "interactive:" + string(r.Interaction.Type)
	case "events_api":
		return m.events[r.Event.InnerEvent.Type], "event:" + r.Event.InnerEvent.Type
	}
	return nil, r.Type
}
