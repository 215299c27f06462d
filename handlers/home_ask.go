package handlers

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// blockAsk is the ask form's one input (its action_id is InputAction).
const blockAsk = "ask"

// editAsk opens the small form that sets or clears the member's ask, filled in with the ask the
// Home showed (the button's value), so the ack reads nothing.
func (h *Handlers) editAsk(_ context.Context, r *bot.Request) (any, error) {
	current := r.Interaction.ActionCallback.BlockActions[0].Value
	trigger := r.Interaction.TriggerID
	r.After(func(ctx context.Context) error {
		if _, err := h.api.OpenViewContext(ctx, trigger, askModal(current)); err != nil {
			return fmt.Errorf("views.open ask: %w", err)
		}
		return nil
	})
	return nil, nil
}

// askModal is the ask form: one optional line; empty clears the ask.
func askModal(current string) slack.ModalViewRequest {
	in := slack.NewPlainTextInputBlockElement(plain("Introductions to wedding planners in Scottsdale"), InputAction)
	in.Multiline = true
	in.MaxLength = askLimit
	in.InitialValue = current
	input := slack.NewInputBlock(blockAsk, plain("What do you want referrals for?"), plain("Leave it empty to clear your ask."), in)
	input.Optional = true
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: callbackAsk,
		Title:      plain("Your ask"),
		Submit:     plain("Save"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section("The group sees your ask in the weekly digest and `/refer asks`, so they keep you in mind."),
			input,
		}},
	}
}

// submitAsk saves the ask in the ack (one round trip), then queues the member's Home so it shows it.
func (h *Handlers) submitAsk(ctx context.Context, r *bot.Request) (any, error) {
	me := r.Interaction.User.ID
	var text string
	if st := r.Interaction.View.State; st != nil {
		text = strings.TrimSpace(st.Values[blockAsk][InputAction].Value)
	}
	if n := utf8.RuneCountInString(text); n > askLimit {
		return bot.FieldErrorsAck(rapport.FieldErrors{blockAsk: fmt.Sprintf("Keep it under %d characters (it has %d).", askLimit, n)}), nil
	}
	if err := h.store.SetAsk(ctx, r.Team, me, text, h.now()); err != nil {
		h.log.Error("save ask", zap.Error(err), zap.String("user", me))
		return nil, rapport.Errorf(rapport.EUNAVAILABLE, "*Not saved.* Rapport can't reach its database right now. Please try again in a minute.")
	}
	team := r.Team
	r.After(func(ctx context.Context) error { return h.store.QueueHome(ctx, team, KindHome, 0, "", me) })
	return nil, nil
}
