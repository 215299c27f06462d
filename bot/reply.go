package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
)

// ackFor turns a handler's outcome into the ack Slack gets, and, for a button whose error cannot
// travel in its ack, the after-ack work that tells the person.
func (d *dispatcher) ackFor(r *Request, err error, ack any) (any, func(context.Context) error) {
	if err == nil {
		return ack, nil
	}
	if ack, ok := ackNotice(r, err); ok {
		return ack, nil
	}
	msg := Sentence(err)
	switch {
	case r.Type == "interactive" && r.Interaction.Type == slack.InteractionTypeShortcut:
		// A global shortcut has no channel and no response_url: its trigger opens a modal that says it.
		return nil, d.noticeByTrigger(r.Interaction.TriggerID, msg)
	case r.Type == "interactive" && (r.Interaction.Type == slack.InteractionTypeBlockActions ||
		r.Interaction.Type == slack.InteractionTypeMessageAction):
		// The response_url reaches whoever clicked, wherever the message is; chat.postEphemeral
		// would refuse a person who is not in the channel. A message shortcut has one too.
		if url := r.Interaction.ResponseURL; url != "" {
			return nil, func(ctx context.Context) error { return Respond(ctx, url, msg, false) }
		}
		channel, user := r.Interaction.Channel.ID, r.Interaction.User.ID
		if channel == "" {
			channel = r.Interaction.Container.ChannelID
		}
		if channel == "" {
			// A click in the App Home has neither a response_url nor a channel: its trigger opens
			// a modal that says it.
			if r.Interaction.View.Type == slack.VTHomeTab {
				return nil, d.noticeByTrigger(r.Interaction.TriggerID, msg)
			}
			return nil, nil
		}
		return nil, func(ctx context.Context) error {
			_, err := d.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(msg, false))
			return err
		}
	}
	return nil, nil
}

// noticeByTrigger is the after-ack work that tells msg in a modal opened with trigger, within the
// trigger's 3 s (after-ack work starts at once); nil without a trigger.
func (d *dispatcher) noticeByTrigger(trigger, msg string) func(context.Context) error {
	if trigger == "" {
		return nil
	}
	return func(ctx context.Context) error {
		if _, err := d.api.OpenViewContext(ctx, trigger, *NoticeModal("Rapport", msg, "Close")); err != nil {
			return fmt.Errorf("views.open: %w", err)
		}
		return nil
	}
}

// ackNotice is the ack that tells the person of err when the ack itself can: a command's ephemeral
// reply, or a submitted form's field errors or a notice pushed over the form (closing it returns to
// what they typed). ok is false for the other requests: their person is told after the ack.
func ackNotice(r *Request, err error) (ack any, ok bool) {
	msg := Sentence(err)
	switch {
	case r.Type == "slash_commands":
		return Ephemeral(msg), true
	case r.Type == "interactive" && r.Interaction.Type == slack.InteractionTypeViewSubmission:
		var fe rapport.FieldErrors
		if errors.As(err, &fe) {
			return FieldErrorsAck(fe), true
		}
		title := "Not saved"
		switch rapport.ErrorCode(err) {
		case rapport.EUNAVAILABLE:
			msg += " Press *Back* to return to your form: it is still filled in."
		case rapport.EINDOUBT:
			// Not "not saved": it may have been. The form stays open so that submitting it again
			// is safe (the same form is saved once).
			title = "Check your DMs"
			msg += " *Back* returns to your form, still filled in."
		}
		return slack.NewPushViewSubmissionResponse(NoticeModal(title, msg, "Back")), true
	}
	return nil, false
}

// Sentence is what a person is told about err, the one place a kind of failure becomes words: a
// user-facing error's own Message; for a store that could not be reached or refused the write, that
// nothing was saved; for a write that was sent but never answered, that it may have been saved
// (never "not saved": only the second submission can tell). Anything else gets an apology that
// leaks nothing.
func Sentence(err error) string {
	var e *rapport.Error
	switch {
	case errors.As(err, &e) && e.Message != "":
		return e.Message
	case rapport.ErrorCode(err) == rapport.EUNAVAILABLE:
		return "*Not saved.* Rapport can't reach its database right now, so nothing was recorded or changed. Please try again in a minute."
	case rapport.ErrorCode(err) == rapport.EINDOUBT:
		return "*It may have been saved:* check your DMs in a minute. If nothing arrives, press *Submit* again: it won't be recorded twice."
	}
	return rapport.ErrorMessage(err)
}

// Respond answers the person through a response_url (of a slash command or a click), ephemerally:
// a new message, or, with replace, in place of the message that was clicked.
//
// The response_url is a secret (whoever holds it may answer in the person's name for 30 minutes):
// an error names its host and path's first segment, never the URL, so that it can be logged.
func Respond(ctx context.Context, responseURL, text string, replace bool) error {
	err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, webhookClient,
		&slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: replace})
	if err == nil {
		return nil
	}
	return &respondError{where: redactURL(responseURL), err: redactErr(err)}
}

// respondError is a failed reply to a response_url, without the URL.
type respondError struct {
	where string
	err   error
}

func (e *respondError) Error() string { return "reply to " + e.where + ": " + e.err.Error() }

func (e *respondError) Unwrap() error { return e.err }

// redactURL keeps of a URL what says where it goes without what grants access: scheme, host and
// the first path segment.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "a response_url"
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return u.Scheme + "://" + u.Host + "/" + first + "/…"
}

// redactErr replaces a *url.Error, which quotes the whole URL, by its operation and cause.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// webhookClient posts to response_urls; the default client has no timeout.
var webhookClient = &http.Client{Timeout: 10 * time.Second}

// Ephemeral is a slash command reply only the person who typed it sees. text is mrkdwn: escape any
// user text in it.
func Ephemeral(text string, blocks ...slack.Block) map[string]any {
	m := map[string]any{"response_type": "ephemeral", "text": text}
	if len(blocks) > 0 {
		m["blocks"] = blocks
	}
	return m
}

// FieldErrorsAck is a view submission ack that shows each message under its input block.
func FieldErrorsAck(fe rapport.FieldErrors) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(map[string]string(fe))
}

// NoticeModal is a modal with one paragraph and a button that closes it, labelled closeLabel:
// "Back" over a form it was pushed on, "Close" alone.
func NoticeModal(title, text, closeLabel string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Close:  slack.NewTextBlockObject(slack.PlainTextType, closeLabel, false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}},
	}
}
