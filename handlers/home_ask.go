package handlers

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
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
	in := slack.NewPlainTextInputBlockElement(kit.Plain("Introductions to wedding planners in Scottsdale"), InputAction)
	in.Multiline = true
	in.MaxLength = rapport.MaxAsk
	in.InitialValue = current
	input := slack.NewInputBlock(blockAsk, kit.Plain("What do you want referrals for?"), kit.Plain("Leave it empty to clear your ask."), in)
	input.Optional = true
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: callbackAsk,
		Title:      kit.Plain("Your ask"),
		Submit:     kit.Plain("Save"),
		Close:      kit.Plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			kit.Section("The group sees your ask in the weekly digest and `/refer asks`, so they keep you in mind."),
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
	if n := utf8.RuneCountInString(text); n > rapport.MaxAsk {
		return bot.FieldErrorsAck(rapport.FieldErrors{blockAsk: fmt.Sprintf("Keep it under %d characters (it has %d).", rapport.MaxAsk, n)}), nil
	}
	if err := h.store.SetAsk(ctx, r.Team, me, text, h.now()); err != nil {
		return nil, err
	}
	team := r.Team
	r.After(func(ctx context.Context) error { return h.store.QueueHome(ctx, team, notify.Home.Kind, 0, "", me) })
	return nil, nil
}
