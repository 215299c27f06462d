package rapport

import (
	"strconv"
	"strings"
	"time"
)

// Due is one pending reminder as the due queue holds it. The queue and the scheduler share it
// here, so that the scheduler declares its store interface without importing storage.
type Due struct {
	ID       string // the queue's name for it, "<n>:<stage>:<receiver>": a claim compares it with the referral's own
	Ref      int64
	Stage    Stage
	Receiver string
	At       time.Time // when it falls due, to the millisecond
}

// Claim asks the store to take a due reminder out of the queue and queue its messages, once.
// Notify lists the messages the stage owes, each addressed by role as a move's are. Next is the
// stage to wait for afterwards, due at NextAt; an empty Next ends the reminders of that referral
// (silence).
type Claim struct {
	Due    Due
	Notify []Notice
	Next   Stage
	NextAt time.Time
}

// Postponement moves a due reminder to Until: the end of the receiver's quiet hours or weekend.
type Postponement struct {
	Due   Due
	Until time.Time
}

// DueID is the queue's name for a reminder: one string per referral and stage, so a referral
// holds at most one pending stage and a status change can remove it by name.
func DueID(ref int64, st Stage, receiver string) string {
	return strconv.FormatInt(ref, 10) + ":" + string(st) + ":" + receiver
}

// ParseDue reads a queue entry id scored at (Unix ms). ok is false for an id that does not have the
// "<n>:<stage>:<receiver>" shape; the returned Due still carries it, so a claim can drop it.
func ParseDue(id string, atMillis int64) (d Due, ok bool) {
	d = Due{ID: id, At: time.UnixMilli(atMillis)}
	n, rest, ok1 := strings.Cut(id, ":")
	st, rcv, ok2 := strings.Cut(rest, ":")
	ref, err := strconv.ParseInt(n, 10, 64)
	if !ok1 || !ok2 || err != nil || ref <= 0 || st == "" || rcv == "" {
		return d, false
	}
	d.Ref, d.Stage, d.Receiver = ref, Stage(st), rcv
	return d, true
}
