package handlers

import (
	"context"
	"errors"
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
	p := notify.ReceiverDM(ref, events, h.settings.Snapshot().Timing(), h.now())
	blocks := make([]slack.Block, 0, len(p.Blocks))
	for _, b := range p.Blocks {
		if b.BlockType() != slack.MBTAction { // buttons belong to the receiver's DM
			blocks = append(blocks, b)
		}
	}
	return bot.Ephemeral(p.Text, blocks...), nil
}

// set answers "/refer set R-12 <status> <note>": an admin's correction, recorded with its note and
// reported to the giver and the receiver. "/refer set R-12 won <value> [note]" records the value of
// closed business too, in the group's currency.
func (h *Handlers) set(ctx context.Context, r *bot.Request, rest string) (any, error) {
	args := strings.Fields(rest)
	user := r.Command.UserID
	if err := h.requireAdmin(ctx, r.Team, user, "correct a referral's status"); err != nil {
		return nil, err
	}
	usage := "Type `/refer set R-12 <status> <why>`, e.g. `/refer set R-12 lost Went with a cheaper quote`, or `/refer set R-12 won <value> [why]` to record closed business with its value, e.g. `/refer set R-12 won 2,500 Signed at the meeting`. Statuses: new, accepted, contacted, meeting, won, lost, declined, withdrawn, expired."
	if len(args) < 2 {
		return bot.Ephemeral(usage), nil
	}
	n, ok := rapport.ParseID(args[0])
	if !ok {
		return bot.Ephemeral(fmt.Sprintf("“%s” is not a referral number: they look like R-12.", kit.EscClip(kit.Unesc(args[0]), 20))), nil
	}
	to, err := rapport.ParseStatus(strings.ToLower(args[1]))
	if err != nil {
		return bot.Ephemeral(kit.Esc(err.Error())), nil
	}
	if to == rapport.StatusPassed {
		return bot.Ephemeral("A referral is passed on by its receiver, with *Pass on* in their DM, which gives the new receiver a referral of their own: a correction cannot make one. Nothing changed."), nil
	}
	words := args[2:]
	var value int64
	if to == rapport.StatusWon && len(words) > 0 && looksLikeAmount(kit.Unesc(words[0])) {
		cents, err := parseMoney(kit.Unesc(words[0]))
		if err == nil && cents <= 0 {
			err = errors.New("A closed value is more than zero.")
		}
		if err != nil {
			return bot.Ephemeral(fmt.Sprintf("“%s” is not an amount I can record: %s Nothing changed.", kit.EscClip(kit.Unesc(words[0]), 30), err.Error())), nil
		}
		value, words = cents, words[1:]
	}
	if len(words) == 0 && value == 0 {
		return bot.Ephemeral(usage), nil
	}
	cur := h.settings.Snapshot().Currency
	if cur == "" {
		cur = "USD"
	}
	note := kit.Unesc(strings.Join(words, " "))
	moved, err := h.move(ctx, rapport.Move{Team: r.Team, Ref: n, Actor: user, Action: rapport.ActCorrect,
		Role: rapport.RoleAdmin, To: to, Note: kit.Clip(note, rapport.MaxMoveNote), Value: value, Currency: cur})
	if err != nil {
		return nil, err
	}
	worth := ""
	if value > 0 {
		worth = " with a value of *" + kit.Money(value, cur) + "*"
	}
	return bot.Ephemeral(fmt.Sprintf("%s is now *%s*%s (was %s). %s and %s have been told.", rapport.FormatID(n),
		to.Label(), worth, moved.From.Label(), kit.Mention(moved.Referral.Giver), kit.Mention(moved.Referral.Receiver))), nil
}

// looksLikeAmount reports whether a word of /refer set is meant as an amount: it starts with a
// digit or a currency sign.
func looksLikeAmount(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9' || strings.ContainsRune("$€£", []rune(s)[0]))
}
