package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
)

// show answers "/refer show R-12": the referral and its timeline, to its giver, its receiver and
// admins only, since it carries the prospect's contact details (rule 10).
func (h *Handlers) show(ctx context.Context, r *bot.Request, rest string) (any, error) {
	args := strings.Fields(rest)
	if len(args) != 1 {
		return bot.Ephemeral("Which referral? Type `/refer show R-12`."), nil
	}
	n, ok := rapport.ParseID(args[0])
	if !ok {
		return bot.Ephemeral(fmt.Sprintf("“%s” is not a referral number: they look like R-12.", kit.EscClip(kit.Unesc(args[0]), 20))), nil
	}
	ref, events, err := h.store.Timeline(ctx, r.Team, n)
	if err != nil {
		return nil, err
	}
	user := r.Command.UserID
	if user != ref.Giver && user != ref.Receiver {
		if err := h.requireAdmin(ctx, r.Team, user, "see another member's referral"); err != nil {
			if rapport.ErrorCode(err) == rapport.EFORBIDDEN {
				err = rapport.Errorf(rapport.EFORBIDDEN, "Only the giver, the receiver and the group's admins can see %s.", ref.ID())
			}
			return nil, err
		}
	}
	p := notify.ReceiverDM(ref, events, h.settings.Snapshot().Timing())
	blocks := make([]slack.Block, 0, len(p.Blocks))
	for _, b := range p.Blocks {
		if b.BlockType() != slack.MBTAction { // buttons belong to the receiver's DM
			blocks = append(blocks, b)
		}
	}
	return bot.Ephemeral(p.Text, blocks...), nil
}

// set answers "/refer set R-12 <status> <note>": an admin's correction, recorded with its note and
// reported to the giver and the receiver.
func (h *Handlers) set(ctx context.Context, r *bot.Request, rest string) (any, error) {
	args := strings.Fields(rest)
	user := r.Command.UserID
	if err := h.requireAdmin(ctx, r.Team, user, "correct a referral's status"); err != nil {
		return nil, err
	}
	if len(args) < 3 {
		return bot.Ephemeral("Type `/refer set R-12 <status> <why>`, e.g. `/refer set R-12 won Signed at the meeting`. Statuses: new, accepted, contacted, meeting, won, lost, declined, passed, withdrawn, expired."), nil
	}
	n, ok := rapport.ParseID(args[0])
	if !ok {
		return bot.Ephemeral(fmt.Sprintf("“%s” is not a referral number: they look like R-12.", kit.EscClip(kit.Unesc(args[0]), 20))), nil
	}
	to, err := rapport.ParseStatus(strings.ToLower(args[1]))
	if err != nil {
		return bot.Ephemeral(kit.Esc(err.Error())), nil
	}
	note := kit.Unesc(strings.Join(args[2:], " "))
	moved, err := h.move(ctx, rapport.Move{Team: r.Team, Ref: n, Actor: user, Action: rapport.ActCorrect,
		Role: rapport.RoleAdmin, To: to, Note: kit.Clip(note, rapport.MaxMoveNote)})
	if err != nil {
		return nil, err
	}
	return bot.Ephemeral(fmt.Sprintf("%s is now *%s* (was %s). %s and %s have been told.", rapport.FormatID(n),
		to.Label(), moved.From.Label(), kit.Mention(moved.Referral.Giver), kit.Mention(moved.Referral.Receiver))), nil
}
