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
		return nil, err
	}
	if err := mayMove(ref, user, a); err != nil {
		return nil, err
	}
	trigger, currency := r.Interaction.TriggerID, h.settings.Snapshot().Currency
	r.After(func(ctx context.Context) error {
		if _, err := h.api.OpenViewContext(ctx, trigger, outcomeModal(a, ref, currency)); err != nil {
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
	m.Notify = notify.Notices(notify.Change{Move: &m, Settings: set})
	moved, err := h.store.Move(ctx, m)
	var refused *rapport.Refused
	switch {
	case errors.As(err, &refused):
		return moved, refusal(refused, m.Action)
	case err != nil:
		return moved, err
	}
	h.log.Info("referral moved", zap.String("referral", rapport.FormatID(m.Ref)), zap.String("user", m.Actor),
		zap.String("from", string(moved.From)), zap.String("to", string(moved.Referral.Status)))
	return moved, nil
}

// refusal words a refused move: whose it is to make, or why it no longer applies.
func refusal(r *rapport.Refused, a rapport.Action) error {
	id := rapport.FormatID(r.Ref)
	if r.Reason == "forbidden" {
		if a.Actor() == rapport.RoleGiver {
			return rapport.Errorf(rapport.EFORBIDDEN, "Only %s can withdraw %s.", kit.Mention(r.Giver), id)
		}
		return rapport.Errorf(rapport.EFORBIDDEN, "Only %s can update %s.", kit.Mention(r.Receiver), id)
	}
	if a == rapport.ActCorrect && r.Status == rapport.StatusPassed {
		return rapport.Errorf(rapport.EINVALID, "%s was passed on, so it stays closed for its first receiver: correct the referral it became instead (`/refer show %s` names it). Nothing changed.", id, id)
	}
	return rapport.Errorf(rapport.EINVALID, "%s is already *%s*, so “%s” no longer applies. Nothing changed.", id, r.Status.Label(), a.Label())
}
