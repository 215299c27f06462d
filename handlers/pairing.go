package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
)

// PairingStore keeps the members' opt-ins to the weekly pairing, reads a week's pairs, and records
// a booked 1:1 with the messages it owes in one round trip.
type PairingStore interface {
	SetPairing(ctx context.Context, team, member string, on bool) (changed bool, err error)
	InPairing(ctx context.Context, team, member string) (bool, error)
	WeekPairs(ctx context.Context, team, week string) ([]rapport.SuggestedPair, error)
	BookPair(ctx context.Context, team, week, member, partner string, now time.Time, msgs []rapport.OutboxEntry) (rapport.SuggestedPair, error)
}

// pairingUsage is what /refer pairing answers to input it cannot read.
const pairingUsage = "Type `/refer pairing on` to get a private suggestion each week of a member to meet one to one, " +
	"or `/refer pairing off` to stop them."

// pairing answers "/refer pairing [on|off]": a member opts in to the weekly pairing suggestions, or
// out; alone, it says whether they are in.
func (h *Handlers) pairing(ctx context.Context, r *bot.Request, rest string) (any, error) {
	me, set := r.Command.UserID, h.settings.Snapshot()
	var text string
	switch strings.ToLower(strings.TrimSpace(rest)) {
	case "on":
		changed, err := h.store.SetPairing(ctx, r.Team, me, true)
		if err != nil {
			return nil, err
		}
		text = "You're in: each week I'll suggest one member for you to meet one to one, privately, with why."
		if !changed {
			text = "You're already in: each week I'll suggest one member for you to meet one to one."
		}
		text += " " + pairingWhen(set) + " `/refer pairing off` stops it."
		h.log.Info("pairing opt-in", zap.String("user", me), zap.Bool("in", true))
	case "off":
		changed, err := h.store.SetPairing(ctx, r.Team, me, false)
		if err != nil {
			return nil, err
		}
		text = "You're out: no more pairing suggestions. `/refer pairing on` brings them back."
		if !changed {
			text = "You're not in the weekly pairing, so there's nothing to stop. `/refer pairing on` puts you in."
		}
		h.log.Info("pairing opt-in", zap.String("user", me), zap.Bool("in", false))
	case "":
		in, err := h.store.InPairing(ctx, r.Team, me)
		if err != nil {
			return nil, err
		}
		text = "You're not in the weekly pairing. " + pairingUsage
		if in {
			text = "You're in the weekly pairing: each week I suggest one member for you to meet one to one. " +
				pairingWhen(set) + " `/refer pairing off` stops it."
		}
	default:
		text = pairingUsage
	}
	return bot.Ephemeral(text), nil
}

// pairingWhen says when the group's suggestions come, or that an admin has yet to turn them on.
func pairingWhen(set rapport.Settings) string {
	spec := set.PairingSchedule
	if spec == "" {
		return "Pairing isn't running in this group yet: an admin turns it on in `/refer settings`."
	}
	zone := "UTC"
	if set.TimeZone != nil {
		zone = set.TimeZone.String()
	}
	if w, ok := rapport.ParseWeekly(spec); ok {
		return fmt.Sprintf("Suggestions come %s (%s).", w, zone)
	}
	return fmt.Sprintf("Suggestions come on the group's schedule `%s` (%s).", kit.Esc(spec), zone)
}

// pairs answers "/refer pairs" (admins): this week's pairs, best first, why each, and which 1:1s
// were booked.
func (h *Handlers) pairs(ctx context.Context, r *bot.Request, _ string) (any, error) {
	if err := h.requireAdmin(ctx, r.Team, r.Command.UserID, "see this week's pairs"); err != nil {
		return nil, err
	}
	set := h.settings.Snapshot()
	now := h.now()
	week := rapport.WeekID(now, set.TimeZone)
	ps, err := h.store.WeekPairs(ctx, r.Team, week)
	if err != nil {
		return nil, err
	}
	loc := set.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	p, _ := rapport.PeriodOf("week", now, loc)
	of := p.From.In(loc).Format("Mon, Jan 2")
	if len(ps) == 0 {
		return bot.Ephemeral(fmt.Sprintf("No pairs were suggested in the week of %s yet. %s", of, pairingWhen(set))), nil
	}
	booked := 0
	lines := make([]string, len(ps))
	for i, sp := range ps {
		lines[i] = fmt.Sprintf("%d. %s and %s: %s", i+1, kit.Mention(sp.A), kit.Mention(sp.B), notify.PairSummary(sp.Pair))
		if sp.BookedBy != "" {
			booked++
			lines[i] += fmt.Sprintf(" · :calendar: booked by %s", kit.Mention(sp.BookedBy))
		}
	}
	text := fmt.Sprintf("*This week's pairs* (the week of %s): %d %s, %d booked.", of, len(ps), kit.Plural(len(ps), "pair", "pairs"), booked)
	return bot.Ephemeral(text, kit.Lines(text, lines)...), nil
}

// book answers "Book a 1:1" on a pairing suggestion: the booking is recorded inside the ack with
// the messages it owes (the other member told, the booker's confirmation), once per pair; a second
// click, by either of the two, gets a clear reply.
func (h *Handlers) book(ctx context.Context, r *bot.Request) (any, error) {
	act := r.Interaction.ActionCallback.BlockActions[0]
	week, partner, ok := notify.ParseBookValue(act.Value)
	if !ok {
		return nil, fmt.Errorf("button %s with value %q", act.ActionID, act.Value)
	}
	me := r.Interaction.User.ID
	_, err := h.store.BookPair(ctx, r.Team, week, me, partner, h.now(), notify.BookedNotes(week, me, partner))
	var refused *rapport.PairRefused
	switch {
	case errors.As(err, &refused):
		return nil, rapport.Errorf(rapport.EINVALID, "%s", bookRefused(me, partner, refused))
	case err != nil:
		return nil, err
	}
	h.log.Info("1:1 booked", zap.String("user", me), zap.String("week", week))
	return nil, nil
}

// bookRefused words a booking that was not recorded: who booked it already, or why it can't be.
func bookRefused(me, partner string, r *rapport.PairRefused) string {
	with := kit.Mention(partner)
	switch {
	case r.Reason == "booked" && r.Pair.BookedBy == me:
		return fmt.Sprintf("You already booked your 1:1 with %s: I've told them. Send them a message to pick a time and a place.", with)
	case r.Reason == "booked":
		return fmt.Sprintf("%s already asked to book your 1:1: reply to them to pick a time and a place.", with)
	case r.Reason == "stale":
		return fmt.Sprintf("That suggestion was for an earlier week, so nothing was booked. You can still write to %s to meet.", with)
	}
	return fmt.Sprintf("That suggestion is no longer on record, so nothing was booked. You can still write to %s to meet.", with)
}
