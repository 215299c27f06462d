package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"go.uber.org/zap"
)

// click answers a lifecycle button. One-tap steps (Accept, Contacted, Meeting booked) move the
// referral inside the ack; steps that need a word or a number open a small form after the ack.
func (h *Handlers) click(ctx context.Context, r *bot.Request) (any, error) {
	act := r.Interaction.ActionCallback.BlockActions[0]
	a := rapport.Action(strings.TrimPrefix(act.ActionID, "ref:"))
	n, ok := rapport.ParseID(act.Value)
	if !ok {
		return nil, fmt.Errorf("button %s with value %q", act.ActionID, act.Value)
	}
	user := r.Interaction.User.ID
	if _, form := outcomeForms[a]; !form {
		_, err := h.move(ctx, rapport.Move{Team: r.Team, Ref: n, Actor: user, Action: a, Role: a.Actor()})
		return nil, err
	}
	// Check before opening a form the person could not submit.
	ref, err := h.store.Referral(ctx, r.Team, n)
	if err != nil {
		return nil, h.readError(err)
	}
	if err := mayMove(ref, user, a); err != nil {
		return nil, err
	}
	trigger := r.Interaction.TriggerID
	r.After(func(ctx context.Context) error {
		if _, err := h.api.OpenViewContext(ctx, trigger, outcomeModal(a, ref)); err != nil {
			return fmt.Errorf("views.open %s: %w", a, err)
		}
		return nil
	})
	return nil, nil
}

// mayMove is the check a form makes before it opens; storage repeats it atomically on submit.
func mayMove(ref rapport.Referral, user string, a rapport.Action) error {
	owner := ref.Receiver
	if a.Actor() == rapport.RoleGiver {
		owner = ref.Giver
	}
	if user != owner {
		return refusal(&rapport.Refused{Ref: ref.Number, Reason: "forbidden", Status: ref.Status, Receiver: ref.Receiver, Giver: ref.Giver}, a)
	}
	if !a.Can(ref.Status) {
		return refusal(&rapport.Refused{Ref: ref.Number, Reason: "status", Status: ref.Status, Receiver: ref.Receiver, Giver: ref.Giver}, a)
	}
	return nil
}

// move applies m with the messages it owes, and words a refusal for the person.
func (h *Handlers) move(ctx context.Context, m rapport.Move) (rapport.Moved, error) {
	set := h.settings.Snapshot()
	m.Now, m.Timing = h.now(), set.Timing()
	m.Notify = notices(m, set.RecognitionChannel)
	m.Notify = append(m.Notify, homeNotices(m)...)
	moved, err := h.store.Move(ctx, m)
	var refused *rapport.Refused
	switch {
	case errors.As(err, &refused):
		return moved, refusal(refused, m.Action)
	case err != nil && isUserFacing(err):
		return moved, err
	case err != nil:
		h.log.Error("move not saved", zap.Error(err), zap.String("referral", rapport.FormatID(m.Ref)), zap.String("action", string(m.Action)))
		return moved, rapport.Errorf(rapport.EUNAVAILABLE, "*Not saved.* Rapport can't reach its database right now, so %s was not updated. Please try again in a minute.", rapport.FormatID(m.Ref))
	}
	h.log.Info("referral moved", zap.String("referral", rapport.FormatID(m.Ref)), zap.String("user", m.Actor),
		zap.String("from", string(moved.From)), zap.String("to", string(moved.Referral.Status)))
	return moved, nil
}

// notices are the messages a move owes: both DMs redrawn in place, the report to whoever did not
// make the move (rule 3), and for closed business a public thank-you in channel (rule 4).
func notices(m rapport.Move, channel string) []rapport.Notice {
	ns := []rapport.Notice{{Kind: KindUpdate, To: rapport.RoleReceiver}, {Kind: KindUpdateGiver, To: rapport.RoleGiver}}
	switch m.Action {
	case rapport.ActWithdraw:
		ns = append(ns, rapport.Notice{Kind: KindWithdrawn, To: rapport.RoleReceiver})
	case rapport.ActCorrect:
		ns = append(ns, rapport.Notice{Kind: KindCorrected, To: rapport.RoleGiver}, rapport.Notice{Kind: KindCorrected, To: rapport.RoleReceiver})
	default:
		ns = append(ns, rapport.Notice{Kind: KindReport, To: rapport.RoleGiver})
	}
	if m.LinkTo != "" {
		ns = append(ns, rapport.Notice{Kind: rapport.KindReferralReceived, To: rapport.RoleLinked})
	}
	if m.Action == rapport.ActWon && channel != "" {
		ns = append(ns, rapport.Notice{Kind: KindShoutout, To: rapport.RoleChannel, Channel: channel})
	}
	return ns
}

// refusal words a refused move: whose it is to make, or why it no longer applies.
func refusal(r *rapport.Refused, a rapport.Action) error {
	id := rapport.FormatID(r.Ref)
	if r.Reason == "forbidden" {
		if a.Actor() == rapport.RoleGiver {
			return rapport.Errorf(rapport.EFORBIDDEN, "Only %s can withdraw %s.", mention(r.Giver), id)
		}
		return rapport.Errorf(rapport.EFORBIDDEN, "Only %s can update %s.", mention(r.Receiver), id)
	}
	return rapport.Errorf(rapport.EINVALID, "%s is already *%s*, so “%s” no longer applies. Nothing changed.", id, r.Status.Label(), a.Label())
}

func (h *Handlers) readError(err error) error {
	if isUserFacing(err) {
		return err
	}
	h.log.Error("read referral", zap.Error(err))
	return rapport.Errorf(rapport.EUNAVAILABLE, "Rapport can't reach its database right now. Please try again in a minute.")
}
