package rapport

import (
	"strconv"
	"strings"
	"time"
)

// Due is one pending reminder as the due queue holds it. The queue and the scheduler share it
// here, so that the scheduler declares its store interface without importing storage.
type Due struct {
	Member   string // as stored, "<n>:<stage>:<receiver>": a claim compares it with the referral's own
	Ref      int64
	Stage    Stage
	Receiver string
	At       time.Time // when it falls due, to the millisecond
}

// Claim asks the store to take a due reminder out of the queue and queue its messages, once.
// Kinds are the outbox kinds to write: each goes to the receiver, except a kind ending in
// ToGiverSuffix, which goes to the referral's giver. Next is the stage to wait for afterwards,
// due at NextAt; an empty Next ends the reminders of that referral (silence).
type Claim struct {
	Due    Due
	Kinds  []string
	Next   Stage
	NextAt time.Time
}

// ToGiverSuffix marks an outbox kind addressed to the referral's giver instead of its receiver.
const ToGiverSuffix = ".giver"

// DueMember is the queue member of a reminder: one string per referral and stage, so a referral
// holds at most one pending stage and a status change can remove it by name.
func DueMember(ref int64, st Stage, receiver string) string {
	return strconv.FormatInt(ref, 10) + ":" + string(st) + ":" + receiver
}

// ParseDue reads a queue member scored at (Unix ms). ok is false for a member that does not have the
// "<n>:<stage>:<receiver>" shape; the returned Due still carries it, so a claim can drop it.
func ParseDue(member string, atMillis int64) (d Due, ok bool) {
	d = Due{Member: member, At: time.UnixMilli(atMillis)}
	n, rest, ok1 := strings.Cut(member, ":")
	st, rcv, ok2 := strings.Cut(rest, ":")
	ref, err := strconv.ParseInt(n, 10, 64)
	if !ok1 || !ok2 || err != nil || ref <= 0 || st == "" || rcv == "" {
		return d, false
	}
	d.Ref, d.Stage, d.Receiver = ref, Stage(st), rcv
	return d, true
}

// Kinds of the outbox entries a claim writes. The sender renders each from the referral as it
// stands when it sends, and drops it if the referral has moved on.
const (
	KindNudgeAck       = "nudge.ack"        // to the receiver: the SLA passed without an action
	KindNudgeAck2      = "nudge.ack2"       // to the receiver: twice the SLA, the giver is told
	KindNudgeAck2Giver = "nudge.ack2.giver" // to the giver: silence so far; pass it on or withdraw?
	KindNudgeReport    = "nudge.report"     // to the receiver: what came of it?
	KindNudgeReport2   = "nudge.report2"    // to the receiver: asked once already
)

// NudgeKinds returns the outbox kinds a stage's reminder writes (none for an unknown stage).
func NudgeKinds(st Stage) []string {
	switch st {
	case StageAck:
		return []string{KindNudgeAck}
	case StageAck2:
		return []string{KindNudgeAck2, KindNudgeAck2Giver}
	case StageReport:
		return []string{KindNudgeReport}
	case StageReport2:
		return []string{KindNudgeReport2}
	}
	return nil
}

// Kinds of the outbox entries a new referral owes, written by the script that saves it.
const (
	KindReferralReceived = "referral.received" // to the receiver: the referral, with all they need to act
	KindReferralSent     = "referral.sent"     // to the giver: saved, where it went, coaching for a lead
	KindReferralAnnounce = "referral.announce" // to the recognition channel: a new hot referral
)
