package handlers

import (
	"context"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
)

// fromHome lets the lifecycle buttons work from the Home tab as they do from the DM. The click
// itself needs nothing of the message (the referral's number is the button's value), but a refusal
// cannot travel as the DM's does: a Home click has no response_url and no channel, so the bot would
// drop it. Instead the member's Home is republished with the refusal on top, which also shows where
// the referral stands now. A success needs nothing here: the move queues both members' Homes.
func (h *Handlers) fromHome(next bot.Handler) bot.Handler {
	return func(ctx context.Context, r *bot.Request) (any, error) {
		ack, err := next(ctx, r)
		if err == nil || !onHome(r) || !isUserFacing(err) {
			return ack, err
		}
		team, user, notice := r.Team, r.Interaction.User.ID, ":warning: "+rapport.ErrorMessage(err)
		var ref int64
		if acts := r.Interaction.ActionCallback.BlockActions; len(acts) > 0 {
			ref, _ = rapport.ParseID(acts[0].Value)
		}
		r.After(func(ctx context.Context) error {
			return h.store.QueueHome(ctx, team, notify.Home.Kind, ref, notice, user)
		})
		return ack, nil
	}
}

// onHome reports whether an interaction came from the App Home tab.
func onHome(r *bot.Request) bool {
	return r.Interaction.Container.Type == "view" && r.Interaction.View.Type == slack.VTHomeTab
}
