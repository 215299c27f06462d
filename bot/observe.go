package bot

import (
	"slices"
	"strings"
	"time"

	"github.com/rapportbot/rapport"
)

// Metrics hears what the bot does, for an operator's dashboards (Config.Metrics; bot/metrics is
// the Prometheus one). Every value it is given comes from a small fixed set, never an ID.
type Metrics interface {
	// Acked is told of each ack as it is handed to the transport: the envelope's kind
	// (slash_commands, interactive, events_api, or other), what became of it (an Outcome…) and
	// how long after it was received.
	Acked(kind, outcome string, took time.Duration)
	// DeadLettered is told of each message the outbox gave up on, by a DeadReason… .
	DeadLettered(reason string)
	// Nudged is told of each reminder nudge the outbox delivered, by its stage (NudgeStages).
	Nudged(stage string)
}

// What became of an envelope, as Metrics.Acked hears it: one per ack, and so one per envelope.
const (
	OutcomeHandled     = "handled"     // the handler answered
	OutcomeRefused     = "refused"     // the handler told the person no (a user-facing error)
	OutcomeFailed      = "failed"      // the handler failed (an internal error or a panic)
	OutcomeUnavailable = "unavailable" // Redis (or another dependency) was down: nothing was done
	OutcomeInDoubt     = "in_doubt"    // a write went out and its answer never came
	OutcomeSlow        = "slow"        // acked at the deadline while the handler still ran
	OutcomeBusy        = "busy"        // every slot was taken: acked at once, not handled
	OutcomeNoRoute     = "no_route"    // nothing handles it: a bare ack
	OutcomeUnreadable  = "unreadable"  // slack-go or the dispatcher could not read it: a bare ack
)

// Outcomes are every Outcome…, for a dashboard's or a registry's fixed label set.
var Outcomes = []string{OutcomeHandled, OutcomeRefused, OutcomeFailed, OutcomeUnavailable, OutcomeInDoubt,
	OutcomeSlow, OutcomeBusy, OutcomeNoRoute, OutcomeUnreadable}

// outcome is what became of an envelope whose handler returned err, as Metrics hears it.
func outcome(err error) string {
	switch code := rapport.ErrorCode(err); {
	case err == nil:
		return OutcomeHandled
	case code == rapport.EINTERNAL:
		return OutcomeFailed
	case code == rapport.EUNAVAILABLE:
		return OutcomeUnavailable
	case code == rapport.EINDOUBT:
		return OutcomeInDoubt
	}
	return OutcomeRefused
}

// EnvelopeKinds are the kinds of envelope the dispatcher serves; any other is counted as "other".
var EnvelopeKinds = []string{"slash_commands", "interactive", "events_api"}

// Why a message was dead-lettered, as Metrics.DeadLettered hears it. A Slack error that is the
// message's own fault (channel_not_found, is_archived, …) is passed as Slack's code: the codes
// are a fixed list (faultClasses).
const (
	DeadRetriesExhausted = "retries_exhausted" // failed transiently MaxDeliveries times
	DeadUndrawable       = "undrawable"        // the renderer could not draw it (Undeliverable)
)

// DeadReasons are every reason Metrics.DeadLettered may hear.
func DeadReasons() []string {
	rs := []string{DeadRetriesExhausted, DeadUndrawable}
	for code, class := range faultClasses {
		if class == faultMessage {
			rs = append(rs, code)
		}
	}
	return rs
}

// SlackErrors are the Slack error codes the sender knows by name (faultClasses): a metric of
// Slack's answers may name these and count any other code as one.
func SlackErrors() []string {
	codes := make([]string, 0, len(faultClasses))
	for code := range faultClasses {
		codes = append(codes, code)
	}
	return codes
}

// deadReason is the dead letter's reason as Metrics hears it: bounded, unlike the reason the
// stream keeps (which names the last error of a message that failed too often, or the
// renderer's own reason).
func deadReason(reason string) string {
	switch {
	case strings.HasPrefix(reason, ReasonRetriesExhausted):
		return DeadRetriesExhausted
	case faultClasses[reason] == faultMessage:
		return reason
	}
	return DeadUndrawable
}

// envelopeKind is kind when the dispatcher serves it, else "other".
func envelopeKind(kind string) string {
	if slices.Contains(EnvelopeKinds, kind) {
		return kind
	}
	return "other"
}

// nopMetrics is Metrics when Config.Metrics is nil.
type nopMetrics struct{}

func (nopMetrics) Acked(string, string, time.Duration) {}
func (nopMetrics) DeadLettered(string)                 {}
func (nopMetrics) Nudged(string)                       {}

// NudgeStages are the reminder stages Metrics.Nudged may hear.
var NudgeStages = []string{string(rapport.StageAck), string(rapport.StageAck2), string(rapport.StageReport),
	string(rapport.StageReport2)}

// nudgeStage is the reminder stage of a nudge the sweep claimed (its entry's rapport.EntryStage),
// or "" for any other message.
func nudgeStage(e rapport.OutboxEntry) string {
	if st := e.Fields[rapport.EntryStage]; slices.Contains(NudgeStages, st) {
		return st
	}
	return ""
}
