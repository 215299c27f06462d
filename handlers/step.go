package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/notify"
)

// The Workflow Builder step "Record a referral": a custom function of the app manifest
// (deploy/manifest.yaml, functions.record_referral) that Slack runs with function_executed. It
// saves a referral as the form does (rapport.Validate, then one CreateReferral with every message
// it owes), and its run is completed through the outbox like any message Rapport owes: with the
// referral's number (notify.StepDone, queued by the save), or with why nothing was recorded
// (notify.StepFailed). A run is answered once, however often Slack delivers its event.
const (
	StepCallback          = "record_referral"
	eventFunctionExecuted = "function_executed"
)

// The step's inputs, as the manifest names them: StepInputs lists them in its order. The three
// facts are the form's (FactSpoke, FactMayShare, FactExpects).
const (
	StepGiver    = "giver"
	StepReceiver = "receiver"
	StepProspect = "prospect" // the prospect's name
	StepContact  = "contact"  // one phone number or email address
	StepNeed     = "need"
	StepCompany  = "company"   // optional, as the form's
	StepBestTime = "best_time" // optional
	StepNote     = "note"      // optional
)

// StepInputs are the step's inputs in the manifest's order (a test holds the two together).
var StepInputs = []string{StepGiver, StepReceiver, StepProspect, StepCompany, StepContact, StepNeed, StepBestTime,
	FactSpoke, FactMayShare, FactExpects, StepNote}

// stepTitles name the form's fields, whose errors Validate and the store word, by the step's
// inputs as Workflow Builder shows them, in StepInputs' order.
var stepTitles = []struct{ field, title string }{
	{rapport.FieldGiver, "Giver"}, {rapport.FieldReceiver, "Receiver"}, {rapport.FieldName, "Prospect"},
	{rapport.FieldCompany, "Company"},
	{rapport.FieldPhone, "Prospect's phone or email"}, {rapport.FieldEmail, "Prospect's phone or email"},
	{rapport.FieldNeed, "What they need"}, {rapport.FieldBestTime, "Best time and way to reach them"},
	{rapport.FieldNote, "Note to the receiver"},
}

// StepStore answers a step's run that recorded nothing.
type StepStore interface {
	// FailStep queues msg, the failed run's completion, unless the run was answered already.
	FailStep(ctx context.Context, team, execution string, msg rapport.OutboxEntry) (bool, error)
}

// registerStep adds the step's route.
func (h *Handlers) registerStep(mux *bot.Mux) { mux.Event(eventFunctionExecuted, h.stepExecuted) }

// stepExecuted records the referral a run of the step describes, in the ack's one round trip, or
// queues the run's failure with what the workflow's people must fix (a refusal the store finds
// costs a second). Its inputs are never logged: they hold a prospect's contact details.
func (h *Handlers) stepExecuted(ctx context.Context, r *bot.Request) (any, error) {
	ev, ok := r.Event.InnerEvent.Data.(*slackevents.FunctionExecutedEvent)
	if !ok || ev.FunctionExecutionID == "" {
		return nil, nil // nothing to complete
	}
	run := ev.FunctionExecutionID
	log := h.log.With(zap.String("envelope_id", r.EnvelopeID), zap.String("step", run))
	if ev.Function.CallbackID != StepCallback {
		// A step the manifest no longer has (an app not updated): the workflow must not hang.
		return nil, h.answerStep(ctx, r, run, log, func(ctx context.Context) (bool, error) {
			return false, h.failStep(ctx, r.Team, run, log, "Rapport has no step of that kind: update the app from Rapport's manifest.")
		})
	}
	raw := stepDraft(ev.Inputs)
	d, errs := rapport.Validate(raw)
	if raw.Giver == "" {
		errs[rapport.FieldGiver] = "Choose the member who gives this referral."
	}
	if _, self := errs[rapport.FieldReceiver]; self && raw.Receiver != "" && raw.Receiver == raw.Giver {
		errs[rapport.FieldReceiver] = "The giver and the receiver are the same member: a member can't refer a prospect to themselves."
	}
	if len(errs) > 0 {
		why := stepProblems(errs)
		return nil, h.answerStep(ctx, r, run, log, func(ctx context.Context) (bool, error) {
			return false, h.failStep(ctx, r.Team, run, log, why)
		})
	}
	sub := h.newSubmission(r, d, run)
	return nil, h.answerStep(ctx, r, run, log, func(ctx context.Context) (bool, error) { return h.recordStep(ctx, sub, log) })
}

// answerStep answers run with answer: saving its referral, or queueing its failure; missed reports
// a member the directory did not know, synced after the ack. Slack does not send an acked event
// again, so when the store did not answer, answer is tried again after the ack (keyed on the run
// as the first try was, so the run is answered once) until it does.
func (h *Handlers) answerStep(ctx context.Context, r *bot.Request, run string, log *zap.Logger, answer func(context.Context) (missed bool, err error)) error {
	missed, err := answer(ctx)
	if missed {
		r.After(h.syncOnMiss) // a member who joined since the last sync
	}
	if code := rapport.ErrorCode(err); code == rapport.EUNAVAILABLE || code == rapport.EINDOUBT {
		r.After(func(ctx context.Context) error {
			return retryStep(ctx, run, func(ctx context.Context) error {
				missed, err := answer(ctx)
				if missed {
					if serr := h.syncOnMiss(ctx); serr != nil {
						log.Warn("member directory not synced", zap.Error(serr))
					}
				}
				return err
			})
		})
	}
	return err
}

// recordStep saves sub, a run's referral with its completion, or answers the run with why the
// store refused it; missed reports a member the directory did not know. An error is the store's
// failure: the run is not answered yet.
func (h *Handlers) recordStep(ctx context.Context, sub rapport.Submission, log *zap.Logger) (missed bool, err error) {
	ref, replayed, err := h.store.CreateReferral(ctx, sub)
	var taken *rapport.ProspectTaken
	var fe rapport.FieldErrors
	switch {
	case errors.As(err, &taken):
		// Rule 8 without a form to ask "Send anyway" on: the giver can, with /refer.
		return false, h.failStep(ctx, sub.Team, sub.Step, log,
			"Prospect's phone or email: another member already has an open referral for this prospect, so Rapport did not send them a second one. The giver can send it anyway with "+Command+".")
	case errors.As(err, &fe):
		return true, h.failStep(ctx, sub.Team, sub.Step, log, stepProblems(fe))
	case rapport.ErrorCode(err) == rapport.ECONFLICT:
		log.Info("workflow step already answered with an error; nothing recorded")
		return false, nil
	case err != nil:
		return false, err
	}
	log.Info("referral saved", zap.String("referral", ref.ID()), zap.Bool("replayed", replayed),
		zap.String("temperature", string(ref.Temperature())))
	return false, nil
}

// stepRetries are the waits before each try again of a run's save that found the store
// unreachable: about 25 s in all, inside the after-ack work's deadline.
var stepRetries = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
	4 * time.Second, 8 * time.Second, 8 * time.Second}

// retryStep tries a run's answer again (after the ack) until the store answers; a run still
// unanswered after the last try is left to Slack's time-out, and the error says so.
func retryStep(ctx context.Context, run string, answer func(context.Context) error) error {
	var err error
	for _, wait := range stepRetries {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("workflow step %s left unanswered: %w", run, errors.Join(err, ctx.Err()))
		case <-t.C:
		}
		err = answer(ctx)
		if code := rapport.ErrorCode(err); code != rapport.EUNAVAILABLE && code != rapport.EINDOUBT {
			return err // answered (nil), or a failure another try would not mend
		}
	}
	return fmt.Errorf("workflow step %s left unanswered: %w", run, err)
}

// failStep queues the run's failure with why (no user text), once per run.
func (h *Handlers) failStep(ctx context.Context, team, run string, log *zap.Logger, why string) error {
	queued, err := h.store.FailStep(ctx, team, run, notify.StepFailedNote(run, why))
	if err != nil {
		return err
	}
	log.Info("workflow step refused; nothing recorded", zap.Bool("queued", queued))
	return nil
}

// stepDraft reads a run's inputs. An input Workflow Builder left out, or of another type than the
// manifest's, reads as empty (false for a fact), which Validate words.
func stepDraft(in map[string]any) rapport.Draft {
	str := func(name string) string { s, _ := in[name].(string); return s }
	yes := func(name string) bool { b, _ := in[name].(bool); return b }
	// The giver is a user_context: {"id": …, "secret": …}, which only a person's own run of the
	// workflow carries, so a workflow cannot name another member as the giver.
	giver, _ := in[StepGiver].(map[string]any)
	giverID, _ := giver["id"].(string)
	d := rapport.Draft{Giver: giverID, Receiver: str(StepReceiver), Need: str(StepNeed),
		BestTime: str(StepBestTime), Note: str(StepNote),
		Prospect: rapport.Prospect{Name: str(StepProspect), Company: str(StepCompany)},
		Facts:    rapport.Facts{Spoke: yes(FactSpoke), MayShare: yes(FactMayShare), Expects: yes(FactExpects)}}
	// One contact: an address has an @, a phone number never does.
	if c := strings.TrimSpace(str(StepContact)); strings.Contains(c, "@") {
		d.Prospect.Email = c
	} else {
		d.Prospect.Phone = c
	}
	return d
}

// stepProblems words errs for the workflow's people: each under the title of its input, in the
// step's order, said once.
func stepProblems(errs rapport.FieldErrors) string {
	var lines []string
	for _, st := range stepTitles {
		if msg, ok := errs[st.field]; ok {
			if line := st.title + ": " + msg; !slices.Contains(lines, line) {
				lines = append(lines, line)
			}
		}
	}
	var other []string // a field the step has no input for: said as it is
	for field, msg := range errs {
		if !slices.ContainsFunc(stepTitles, func(st struct{ field, title string }) bool { return st.field == field }) {
			other = append(other, msg)
		}
	}
	slices.Sort(other)
	return strings.Join(append(lines, other...), " ")
}
