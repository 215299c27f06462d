package rapport

import "time"

// Mends and remarks: actions that change no step of the lifecycle (rule 14 of DOMAIN.md). The giver
// edits the prospect's details and the need while the referral is new; the receiver undoes their
// last step within UndoWindow, and adds a note for the giver after a step; the giver asks for an
// update at most once every AskEvery. Each is an event on the timeline and reaches the other member.
const (
	ActEdit Action = "edit" // the giver edits the prospect's details or the need while it is new
	ActUndo Action = "undo" // the receiver takes back their last step
	ActNote Action = "note" // the receiver adds a note for the giver
	ActAsk  Action = "ask"  // the giver asks the receiver how it is going
)

// UndoWindow is how long the receiver may undo a step.
const UndoWindow = 10 * time.Minute

// AskEvery is how often the giver may ask for an update about one referral.
const AskEvery = 3 * 24 * time.Hour

// Undoable reports whether the receiver may undo a step of action a: every step of theirs but a
// pass on, which the new receiver already has.
func (a Action) Undoable() bool {
	switch a {
	case ActAccept, ActContacted, ActMeeting, ActWon, ActLost, ActDecline:
		return true
	}
	return false
}

// NoteAllowed reports whether the receiver may add a note for the giver in status s: once they
// have taken a step and while the referral is still theirs (not passed on, withdrawn or expired).
func NoteAllowed(s Status) bool {
	switch s {
	case StatusAccepted, StatusContacted, StatusMeeting, StatusWon, StatusLost, StatusDeclined:
		return true
	}
	return false
}

// AskAllowed reports whether the giver may ask for an update in status s: while it is open.
func AskAllowed(s Status) bool { return s.Open() }

// EditAllowed reports whether the giver may edit a referral in status s: while it is new.
func EditAllowed(s Status) bool { return s == StatusNew }

// CanUndo reports whether the receiver may still undo their last step at now.
func (r Referral) CanUndo(now time.Time) bool {
	return !r.LastStep.IsZero() && now.Before(r.LastStep.Add(UndoWindow))
}

// Edit is the giver's edit of a new referral: the prospect's details, the need, the best time and
// the note, validated by Validate. Storage saves it only while the referral is new, its giver is
// Actor, and its version is still Version (what the giver edited).
type Edit struct {
	Team    string
	Ref     int64
	Actor   string
	Draft   Draft    // the referral's draft with the edited fields
	Changed []string // the form fields that changed (FieldName, FieldPhone…), for the timeline
	Version int64
	Now     time.Time
	Notify  []Notice
}

// EditedFields lists the fields of the referral form a giver may edit, in the form's order.
var EditedFields = []string{FieldName, FieldCompany, FieldPhone, FieldEmail, FieldNeed, FieldBestTime, FieldNote}

// Changes lists the editable fields whose values differ between a and b, in the form's order.
func Changes(a, b Draft) []string {
	var out []string
	for _, f := range EditedFields {
		if a.Field(f) != b.Field(f) {
			out = append(out, f)
		}
	}
	return out
}

// Field is the value of one editable form field of d ("" for any other field).
func (d Draft) Field(f string) string {
	switch f {
	case FieldName:
		return d.Prospect.Name
	case FieldCompany:
		return d.Prospect.Company
	case FieldPhone:
		return d.Prospect.Phone
	case FieldEmail:
		return d.Prospect.Email
	case FieldNeed:
		return d.Need
	case FieldBestTime:
		return d.BestTime
	case FieldNote:
		return d.Note
	}
	return ""
}

// FieldLabel names a form field as the receiver reads it in "what changed".
func FieldLabel(f string) string {
	switch f {
	case FieldName:
		return "name"
	case FieldCompany:
		return "company"
	case FieldPhone:
		return "phone"
	case FieldEmail:
		return "email"
	case FieldNeed:
		return "what they need"
	case FieldBestTime:
		return "best time and way to reach them"
	case FieldNote:
		return "note"
	}
	return f
}
