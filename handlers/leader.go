package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
)

// LeaderStore reads the group's open referrals for admins and queues an admin's nudge.
type LeaderStore interface {
	// OpenAll returns the open referrals whose last event is before until (all for the zero
	// time), the stalest first, at most limit, and how many are open in all.
	OpenAll(ctx context.Context, team string, until time.Time, limit int) ([]rapport.OpenReferral, int64, error)
	// NudgeNow queues a message of kind to referral n's receiver for admin, once a day at most.
	NudgeNow(ctx context.Context, team string, n int64, admin, kind string, now time.Time) (rapport.Nudged, error)
}

// openAckBytes bounds the leader's view in a slash command's ack: Slack drops ack frames of 20 KB
// and more; the rest of the frame (envelope, summary) fits in what is left.
const openAckBytes = 16 * 1024

// registerLeader adds the leader's view's button and the onboarding routes.
func (h *Handlers) registerLeader(mux *bot.Mux) {
	mux.Action(notify.ActionNudge, h.fromHome(h.nudge))
	h.registerWelcome(mux)
}

// openList answers "/refer open" (admins): every open referral by receiver, the overdue first, then
// the oldest, with its stage, age, overdue marks and "Nudge now" (rule 16).
func (h *Handlers) openList(ctx context.Context, r *bot.Request, _ string) (any, error) {
	if err := h.requireAdmin(ctx, r.Team, r.Command.UserID, "see every open referral"); err != nil {
		return nil, err
	}
	open, total, err := h.store.OpenAll(ctx, r.Team, time.Time{}, notify.OpenRead)
	if err != nil {
		return nil, err
	}
	v := notify.OpenView{Open: open, Total: total, Timing: h.settings.Snapshot().Timing(), Now: h.now()}
	text := v.OpenSummary()
	if total == 0 {
		return bot.Ephemeral(text), nil
	}
	blocks := append([]slack.Block{kit.Section(text)}, notify.OpenBlocks(v, int(total), kit.MaxMessageBlocks-1, openAckBytes)...)
	return bot.Ephemeral(text, blocks...), nil
}

// nudge answers "Nudge now" (admins): the receiver gets a DM on the admin's behalf, with the
// referral's buttons, once a day at most however often it is tapped. The admin is told which,
// below the list (or on top of their Home, for a click there).
func (h *Handlers) nudge(ctx context.Context, r *bot.Request) (any, error) {
	admin := r.Interaction.User.ID
	if err := h.requireAdmin(ctx, r.Team, admin, "nudge a member"); err != nil {
		return nil, err
	}
	n, ok := rapport.ParseID(r.Interaction.ActionCallback.BlockActions[0].Value)
	if !ok {
		return nil, rapport.Errorf(rapport.EINVALID, "That button does not name a referral.")
	}
	got, err := h.store.NudgeNow(ctx, r.Team, n, admin, notify.NudgeLeader.Kind, h.now())
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf(":bell: Nudged %s about *%s*: they have a DM with its buttons.", kit.Mention(got.Receiver), rapport.FormatID(n))
	if !got.Queued {
		text = fmt.Sprintf("%s was nudged about *%s* %s already: once a day at most, so nothing more was sent.",
			kit.Mention(got.Receiver), rapport.FormatID(n), kit.Date(got.Before))
	}
	team, url := r.Team, r.Interaction.ResponseURL
	if onHome(r) {
		r.After(func(ctx context.Context) error {
			return h.store.QueueHome(ctx, team, notify.Home.Kind, n, text, admin)
		})
		return nil, nil
	}
	if url != "" { // below the list, which stays
		r.After(func(ctx context.Context) error { return bot.Respond(ctx, url, text, false) })
	}
	return nil, nil
}
