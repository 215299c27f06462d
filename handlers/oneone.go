package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
)

// OneOnOneStore keeps 1:1s: recorded by one member, confirmed or declined by the other, each step
// with the messages it owes and, for a confirmation, the numbers, in one round trip.
type OneOnOneStore interface {
	RecordOneOnOne(ctx context.Context, team, envelopeID string, o rapport.OneOnOne, ns []rapport.Notice) (rapport.OneOnOne, error)
	AnswerOneOnOne(ctx context.Context, team string, n int64, user string, confirm bool, now time.Time, ns []rapport.Notice) (rapport.OneOnOne, error)
}

// oneOnOneUsage is what /refer 1to1 answers to input it cannot read.
const oneOnOneUsage = "Type `/refer 1to1 @member [when] [a note]`: when is " + rapport.MetOnHelp + "; today if you leave it out."

// oneOnOne answers "/refer 1to1 @member [when] [note]": it records a one-to-one, and the other
// member is asked to confirm it with one tap.
func (h *Handlers) oneOnOne(ctx context.Context, r *bot.Request, rest string) (any, error) {
	m := leadingMention.FindStringSubmatch(strings.TrimSpace(rest))
	if m == nil {
		return bot.Ephemeral(oneOnOneUsage), nil
	}
	me, partner := r.Command.UserID, m[1]
	if partner == me {
		return bot.Ephemeral("That's you! " + oneOnOneUsage), nil
	}
	text := strings.TrimSpace(kit.Unesc(m[2]))
	now := h.now()
	met, used, err := rapport.ParseMetOn(strings.Fields(text), now, h.settings.Snapshot().TimeZone)
	if err != nil {
		return bot.Ephemeral(rapport.ErrorMessage(err)), nil
	}
	note := dropWords(text, used)
	if n := utf8.RuneCountInString(kit.Esc(note)); n > rapport.MaxOneOnOneNote {
		return bot.Ephemeral(fmt.Sprintf("Keep the note under %d characters (it has %d).", rapport.MaxOneOnOneNote, n)), nil
	}
	o, err := h.store.RecordOneOnOne(ctx, r.Team, r.EnvelopeID, rapport.OneOnOne{Recorder: me, Partner: partner, Met: met, Note: note, Created: now},
		notify.OneOnOneNotices(rapport.OneOnOnePending))
	var refused *rapport.OneOnOneRefused
	switch {
	case errors.As(err, &refused):
		return bot.Ephemeral(duplicateOneOnOne(me, refused.OneOnOne)), nil
	case err != nil:
		return nil, err
	}
	h.log.Info("1:1 recorded", zap.String("user", me), zap.Int64("oneone", o.Number))
	return bot.Ephemeral(fmt.Sprintf("Recorded your one-to-one with %s on *%s*. I've asked them to confirm it: it counts for you both once they do (unconfirmed, it expires in %s).",
		kit.Mention(partner), o.Met.Label(), kit.Duration(rapport.OneOnOneExpiry))), nil
}

// dropWords is s without its first n words.
func dropWords(s string, n int) string {
	for ; n > 0; n-- {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			return ""
		}
		s = s[i:]
	}
	return strings.TrimSpace(s)
}

// duplicateOneOnOne words why me cannot record o's pair's day again: o has it already.
func duplicateOneOnOne(me string, o rapport.OneOnOne) string {
	where := "it's waiting for them to confirm."
	if o.Status == rapport.OneOnOneConfirmed {
		where = "it's confirmed and counted."
	}
	if o.Recorder == me {
		return fmt.Sprintf("You already recorded your one-to-one with %s on *%s*: %s", kit.Mention(o.Partner), o.Met.Label(), where)
	}
	if o.Status == rapport.OneOnOnePending {
		where = "confirm it with the button in my DM, and it counts for you both."
	}
	return fmt.Sprintf("%s already recorded your one-to-one on *%s*: %s", kit.Mention(o.Recorder), o.Met.Label(), where)
}

// answerOneOnOne answers the partner's Confirm or Decline on a 1:1 in their DM: the 1:1 moves
// inside the ack with what it owes, and the DM is replaced by what was done after it.
func (h *Handlers) answerOneOnOne(ctx context.Context, r *bot.Request) (any, error) {
	act := r.Interaction.ActionCallback.BlockActions[0]
	n, err := strconv.ParseInt(act.Value, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("button %s with value %q", act.ActionID, act.Value)
	}
	confirm, user := act.ActionID == notify.ActionOneOnOneConfirm, r.Interaction.User.ID
	st := rapport.OneOnOneDeclined
	if confirm {
		st = rapport.OneOnOneConfirmed
	}
	o, err := h.store.AnswerOneOnOne(ctx, r.Team, n, user, confirm, h.now(), notify.OneOnOneNotices(st))
	var refused *rapport.OneOnOneRefused
	switch {
	case errors.As(err, &refused):
		return nil, rapport.Errorf(rapport.EINVALID, "%s", answeredOneOnOne(refused))
	case err != nil:
		return nil, err
	}
	h.log.Info("1:1 answered", zap.String("user", user), zap.Int64("oneone", n), zap.String("status", string(o.Status)))
	done := fmt.Sprintf(":white_check_mark: You confirmed your one-to-one with %s on *%s*. It counts for you both.", kit.Mention(o.Recorder), o.Met.Label())
	if !confirm {
		done = fmt.Sprintf("You declined the one-to-one %s recorded on *%s*, so it isn't counted. I've let them know.", kit.Mention(o.Recorder), o.Met.Label())
	}
	if url := r.Interaction.ResponseURL; url != "" {
		r.After(func(ctx context.Context) error { return bot.Respond(ctx, url, done, true) })
	}
	return nil, nil
}

// answeredOneOnOne words a refused answer: whose it is to give, or where the 1:1 stands.
func answeredOneOnOne(r *rapport.OneOnOneRefused) string {
	o := r.OneOnOne
	with, day := kit.Mention(o.Recorder), o.Met.Label()
	if r.Reason == "forbidden" {
		return fmt.Sprintf("Only %s can confirm the one-to-one %s recorded on *%s*.", kit.Mention(o.Partner), with, day)
	}
	switch o.Status {
	case rapport.OneOnOneConfirmed:
		return fmt.Sprintf("You already confirmed your one-to-one with %s on *%s*: it counts for you both. Nothing changed.", with, day)
	case rapport.OneOnOneDeclined:
		return fmt.Sprintf("You already declined the one-to-one %s recorded on *%s*: it isn't counted. If you did meet, record it with `/refer 1to1 @member %s`.", with, day, o.Met)
	case rapport.OneOnOneExpired:
		return fmt.Sprintf("This one-to-one with %s on *%s* expired: nobody confirmed it within %s, so it isn't counted. If you met, record it again with `/refer 1to1 @member %s`.",
			with, day, kit.Duration(rapport.OneOnOneExpiry), o.Met)
	}
	return fmt.Sprintf("The one-to-one %s recorded on *%s* can't be answered now. Nothing changed.", with, day)
}
