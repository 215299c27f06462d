package notify

import (
	"context"
	"errors"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// StepOutputReferral is the output of the Workflow Builder step "Record a referral": the number of
// the referral it recorded, for the workflow's next steps. The manifest declares it
// (deploy/manifest.yaml, functions.record_referral.output_parameters).
const StepOutputReferral = "referral"

// fieldStepError is a failed step's entry field: why nothing was recorded.
const fieldStepError = "error"

// maxStepError bounds a failed step's error as Slack shows it in the workflow's activity (Slack
// documents no limit: this keeps it a few sentences).
const maxStepError = 1000

// StepFailedNote is the completion owed to a Workflow Builder step's run (execution, its
// function_execution_id) that recorded nothing: why says why, for the workflow's people. It holds
// no user text: the run's inputs may be a prospect's contact details.
func StepFailedNote(execution, why string) rapport.OutboxEntry {
	return rapport.OutboxEntry{Kind: StepFailed.Kind, To: execution, Fields: map[string]string{fieldStepError: why}}
}

// stepDone completes the run with the referral's number.
func stepDone(s referralState) bot.Delivery {
	return bot.Delivery{Channel: s.to, Step: &bot.Completion{
		Outputs: map[string]string{StepOutputReferral: rapport.FormatID(s.ref.Number)}}}
}

// stepFailure is a failed run as its entry carries it.
type stepFailure struct{ to, why string }

func readStepFailure(_ context.Context, _ *Catalogue, _ string, e rapport.OutboxEntry) (stepFailure, error) {
	s := stepFailure{to: e.To, why: e.Fields[fieldStepError]}
	if s.to == "" || s.why == "" {
		return stepFailure{}, unreadable(e, errors.New("a failed step without its run or its reason"))
	}
	return s, nil
}

// stepFailedPost completes the run with an error: Slack shows it in the workflow's activity.
func stepFailedPost(s stepFailure) bot.Delivery {
	return bot.Delivery{Channel: s.to, Step: &bot.Completion{Error: kit.Clip("Rapport did not record the referral. "+s.why, maxStepError)}}
}
