package rapport

import (
	"fmt"
	"time"
)

// Move asks for an action on a referral. Storage applies it in one step: whether the actor may take
// it and whether the referral's current status allows it are checked where it is written.
type Move struct {
	Team   string
	Ref    int64
	Actor  string
	Action Action
	Role   Role   // RoleAdmin only when the handler checked the actor is an admin
	To     Status // ActCorrect: the status an admin sets
	Note   string
	Value  int64 // ActWon, minor units
	// Currency of Value.
	Currency string
	// LinkTo, for ActPassOn or ActWithdraw, creates a new referral of the same prospect to this
	// member, linked to this one, in the same step (pass on; withdraw and refer to someone else).
	LinkTo string
	// LinkFacts are the linked referral's qualification facts, answered again by the mover about
	// the new receiver: the original's were about the first receiver (rule 12).
	LinkFacts Facts
	// IdleBefore, for ActExpire, refuses the move when the referral had an event at or after it
	// (Refused "active"): a click that landed after expiry read it as idle keeps it open.
	IdleBefore time.Time
	// LinkNote is the linked referral's note to its new receiver. Note is what the move says to
	// the referral's own people: on a pass on the passer writes one note, for both; on a
	// withdrawal each receiver reads only the note written to them.
	LinkNote string

	Now    time.Time
	Timing Timing // schedules the reminder the new status owes
	// Notify lists the messages the move owes, queued in the same step.
	Notify []Notice
}

// Notice is one message a write owes, queued in the same step: which kind (the message catalogue,
// handlers/notify, names every kind and its addressee), and to whom, by role. The store resolves
// the role to a person or channel from the referral it writes, so an entry in the outbox always
// names its recipient.
type Notice struct {
	Kind   string
	To     Role
	Target string // the channel (RoleChannel), member (RoleMember) or step execution (RoleStep) it goes to
}

// Roles that address messages beyond those who act: RoleLinked is the receiver of the referral a
// move created (pass on, withdraw and refer again), RolePasser the member who passed a referral
// on, RoleChannel a channel and RoleMember one member, named in Notice.Target; RoleStep is the run
// of a Workflow Builder step that recorded a referral (its function_execution_id, in Notice.Target),
// owed its completion.
const (
	RoleLinked  Role = "linked"
	RolePasser  Role = "passer"
	RoleChannel Role = "channel"
	RoleMember  Role = "member"
	RoleStep    Role = "step"
)

// Moved is what a move did.
type Moved struct {
	Referral Referral // after the move
	From     Status
	Linked   int64 // the new referral of a pass on, or 0
}

// Refused is a move storage did not apply, and why: the person is told, and their message refreshed.
type Refused struct {
	Ref      int64
	Status   Status // the referral's status now
	Receiver string
	Giver    string
	// Reason is "forbidden": not theirs to take; "status": not possible from Status; for an undo,
	// "nothing": no step to undo, "late": past UndoWindow, "passed": passed on; for an edit,
	// "changed": it changed since the form opened; for an ask, "soon": asked within AskEvery; for
	// expiry, "active": an event since IdleBefore.
	Reason string
	Until  time.Time // "soon": when it may be asked again
}

func (e *Refused) Error() string {
	return fmt.Sprintf("move %s refused: %s (status %s)", FormatID(e.Ref), e.Reason, e.Status)
}

// Targets lists, for each status the move may start from, where it leads: the action's moves, or
// for an admin's correction, every status but passed on to the one chosen (a passed referral lives
// on as the new receiver's: correcting the old one would reopen it for someone who gave it away),
// and closed business to itself when the correction records its value. A correction never leads
// to passed on: only a pass on makes one, with the new receiver's referral it links to.
func (m Move) Targets() map[Status]Status {
	if m.Action != ActCorrect {
		return m.Action.Moves()
	}
	out := map[Status]Status{}
	if m.To == StatusPassed {
		return out
	}
	if m.To == StatusWon && m.Value > 0 {
		out[StatusWon] = StatusWon // recording the value of closed business
	}
	for _, s := range Statuses {
		if s != m.To && s != StatusPassed {
			out[s] = m.To
		}
	}
	return out
}
