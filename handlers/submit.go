package handlers

import (
	"context"
	"errors"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// submitReferral saves a submitted referral in one Redis round trip, inside the ack, so a person is
// told "saved" only once it is. The receiver's DM and the giver's confirmation were queued in the
// same transaction; the outbox delivers them.
//
// The save is keyed on the form (its view ID, the same for every submission of one modal), so a
// person who was told "it may have been saved" and presses Submit again gets the referral saved
// the first time, with the form closed, and its messages are not queued again.
func (h *Handlers) submitReferral(ctx context.Context, r *bot.Request) (any, error) {
	giver := r.Interaction.User.ID
	raw, hasConfirm, confirmed := draftFrom(giver, r.Interaction.View.State)
	d, errs := rapport.Validate(raw)
	if hasConfirm && !confirmed {
		errs[rapport.FieldConfirm] = "Tick “Send anyway” to send it, or choose another member."
	}
	if len(errs) > 0 {
		return formErrors(errs, r.Interaction.View.State), nil
	}
	log := h.log.With(zap.String("envelope_id", r.EnvelopeID), zap.String("user", giver))
	sub := h.newSubmission(r, d, "")
	sub.ViewID, sub.AllowDuplicate = r.Interaction.View.ID, confirmed
	ref, replayed, err := h.store.CreateReferral(ctx, sub)
	var taken *rapport.ProspectTaken
	var fe rapport.FieldErrors
	switch {
	case errors.As(err, &taken):
		// The same form again, filled in, with who has the prospect and a required "Send anyway".
		view := referralModal(formState{draft: raw, taken: taken})
		return slack.NewUpdateViewSubmissionResponse(&view), nil
	case errors.As(err, &fe):
		if _, unknown := fe[rapport.FieldReceiver]; unknown {
			r.After(h.syncOnMiss) // a member who joined since the last sync
		}
		return formErrors(fe, r.Interaction.View.State), nil
	case err != nil:
		return nil, err
	}
	log.Info("referral saved", zap.String("referral", ref.ID()), zap.Bool("replayed", replayed),
		zap.String("temperature", string(ref.Temperature())))
	return nil, nil
}

// newSubmission is d to save now, as the form and a Workflow Builder step both save it: with its
// first reminder and every message it owes (the step's completion among them, when step names its
// run).
func (h *Handlers) newSubmission(r *bot.Request, d rapport.Draft, step string) rapport.Submission {
	now, set := h.now(), h.settings.Snapshot()
	stage, due, _ := set.Timing().FirstReminder(rapport.StatusNew, now)
	return rapport.Submission{Team: r.Team, EnvelopeID: r.EnvelopeID, Step: step, Draft: d, Now: now,
		Reminder: stage, ReminderAt: due, Notify: notify.Notices(notify.Change{Created: &d, Step: step, Settings: set})}
}
