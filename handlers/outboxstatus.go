package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
)

// OutboxStore shows admins the messages Rapport owes Slack and the ones it gave up on, and sends
// those again.
type OutboxStore interface {
	Pending(ctx context.Context, team string) (int64, error)
	DeadLetters(ctx context.Context, team string, limit int) ([]rapport.DeadLetter, int64, error)
	Resend(ctx context.Context, team string, ids ...string) (int, error)
	ResendReason(ctx context.Context, team, reason string) (int, error)
}

// The outbox view: the newest dead letters it reads, and how many reasons and examples it shows
// (each reason a block and each example one, well inside Slack's 50 blocks).
const (
	deadShown       = 100
	deadReasons     = 8
	deadExamples    = 3
	actionResend    = "outbox:resend"        // value: a dead letter's ID
	actionResendAll = "outbox:resend_reason" // value: a reason
)

// deadWords says what a dead letter's reason means for an admin.
var deadWords = map[string]string{
	"channel_not_found":      "the channel or DM no longer exists",
	"not_in_channel":         "Rapport is not in the channel: `/invite @Rapport` there, then send them again",
	"is_archived":            "the channel is archived",
	"user_not_found":         "the member is not in the workspace",
	"user_disabled":          "the member's account is deactivated",
	"cannot_dm_bot":          "the recipient is a bot",
	"invalid_blocks":         "Slack refused the message's layout (a bug: see the logs)",
	"msg_too_long":           "the message was too long for Slack (a bug: see the logs)",
	notify.ReasonUnknownKind: "no message of that kind exists any more (see the logs)",
	notify.ReasonUnreadable:  "the entry could not be read (see the logs)",
	notify.ReasonNotFound:    "what it was about no longer exists",

	// A workflow step's completion (the step "Record a referral").
	"function_execution_not_found":   "the workflow's run is gone",
	"execution_not_in_running_state": "the workflow's step had already ended (timed out, or completed)",
	"parameter_validation_failed":    "Slack refused the step's outputs: the app may need updating from its manifest",
}

func deadMeaning(reason string) string {
	if w, ok := deadWords[reason]; ok {
		return w
	}
	if code, ok := strings.CutPrefix(reason, bot.ReasonRetriesExhausted); ok {
		return fmt.Sprintf("Slack kept failing (`%s`) %d times", kit.Esc(code), bot.MaxDeliveries)
	}
	return "Slack refused it"
}

// outboxStatus answers "/refer outbox" (admins): messages waiting, and the messages given up on
// (a member gone, a channel archived, Slack failing ten times), grouped by reason, newest first,
// each with "Send again", and each reason with "Send all again".
func (h *Handlers) outboxStatus(ctx context.Context, r *bot.Request, _ string) (any, error) {
	if err := h.requireAdmin(ctx, r.Team, r.Command.UserID, "see the outbox"); err != nil {
		return nil, err
	}
	pending, err := h.store.Pending(ctx, r.Team)
	if err != nil {
		return nil, err
	}
	dead, total, err := h.store.DeadLetters(ctx, r.Team, deadShown)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("*Rapport's messages:* %d waiting to be sent; %d that Slack refused.", pending, total)
	blocks := []slack.Block{kit.Section(text)}
	if total == 0 {
		return bot.Ephemeral(text, blocks...), nil
	}
	var reasons []string
	byReason := map[string][]rapport.DeadLetter{}
	for _, d := range dead {
		if _, ok := byReason[d.Reason]; !ok {
			reasons = append(reasons, d.Reason)
		}
		byReason[d.Reason] = append(byReason[d.Reason], d)
	}
	blocks = append(blocks, kit.Context(fmt.Sprintf("The newest %d messages Slack refused, by reason. *Send again* sends one as it was first queued, drawn from how things stand now.", len(dead))))
	for _, reason := range kit.First(reasons, deadReasons) {
		ds := byReason[reason]
		head := fmt.Sprintf("*%d* × `%s`: %s", len(ds), kit.Esc(reason), deadMeaning(reason))
		blocks = append(blocks, slack.NewSectionBlock(kit.MD(head), nil,
			slack.NewAccessory(slack.NewButtonBlockElement(actionResendAll, reason, kit.Plain("Send all again")))))
		for _, d := range kit.First(ds, deadExamples) {
			line := fmt.Sprintf("• %s to %s", notify.About(d.Kind), recipient(d.To))
			if d.Ref > 0 {
				line += " about " + rapport.FormatID(d.Ref)
			}
			line += " · " + kit.Date(d.At)
			blocks = append(blocks, slack.NewSectionBlock(kit.MD(line), nil,
				slack.NewAccessory(slack.NewButtonBlockElement(actionResend, d.ID, kit.Plain("Send again")))))
		}
	}
	return bot.Ephemeral(text, blocks...), nil
}

// recipient names a member, a channel or a workflow step's run by its ID.
func recipient(id string) string {
	if strings.HasPrefix(id, "C") || strings.HasPrefix(id, "G") {
		return "<#" + kit.Esc(id) + ">"
	}
	if strings.HasPrefix(id, "Fx") {
		return "a workflow step (`" + kit.Esc(id) + "`)"
	}
	return kit.Mention(id)
}

// resend answers "Send again" and "Send all again" (admins): the dead letters go back in the
// outbox, and the admin is told how many, in place of the list. One letter is moved before the
// ack; all of a reason (up to the dead-letter cap) are read in slices after it.
func (h *Handlers) resend(ctx context.Context, r *bot.Request) (any, error) {
	if err := h.requireAdmin(ctx, r.Team, r.Interaction.User.ID, "send undeliverable messages again"); err != nil {
		return nil, err
	}
	act := r.Interaction.ActionCallback.BlockActions[0]
	team, url := r.Team, r.Interaction.ResponseURL
	if act.ActionID == actionResendAll {
		r.After(func(ctx context.Context) error {
			n, err := h.store.ResendReason(ctx, team, act.Value)
			if err != nil {
				return errors.Join(err, respond(ctx, url, bot.Sentence(err)))
			}
			return respond(ctx, url, resentText(n))
		})
		return nil, nil
	}
	n, err := h.store.Resend(ctx, team, act.Value)
	if err != nil {
		return nil, err
	}
	r.After(func(ctx context.Context) error { return respond(ctx, url, resentText(n)) })
	return nil, nil
}

// respond replaces the outbox list the admin clicked in with text, when Slack gave a response_url.
func respond(ctx context.Context, url, text string) error {
	if url == "" {
		return nil
	}
	return bot.Respond(ctx, url, text, true)
}

// resentText tells the admin how many messages went back in the outbox.
func resentText(n int) string {
	if n == 0 {
		return "Nothing to send again: it was sent again already. `/refer outbox` shows what is left."
	}
	return fmt.Sprintf(":outbox_tray: %d %s queued again: Rapport sends %s now. `/refer outbox` shows what is left.",
		n, kit.Plural(n, "message is", "messages are"), kit.Plural(n, "it", "them"))
}
