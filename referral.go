package rapport

import (
	"strconv"
	"strings"
	"time"
)

// Status is where a referral stands in its lifecycle (see DOMAIN.md).
type Status string

const (
	StatusNew       Status = "new"
	StatusAccepted  Status = "accepted"
	StatusContacted Status = "contacted"
	StatusMeeting   Status = "meeting"
	StatusWon       Status = "won"
	StatusLost      Status = "lost"
	StatusDeclined  Status = "declined"
	StatusPassed    Status = "passed"
	StatusWithdrawn Status = "withdrawn"
	StatusExpired   Status = "expired" // no event for the expiry window (rule 15): closed by Rapport
)

// Statuses lists every status, in lifecycle order: the one list that parsing, corrections and the
// storage scripts (which statuses are open) are built from.
var Statuses = []Status{StatusNew, StatusAccepted, StatusContacted, StatusMeeting, StatusWon, StatusLost,
	StatusDeclined, StatusPassed, StatusWithdrawn, StatusExpired}

// Open reports whether the referral still waits on someone: only open referrals are nudged and
// count for the duplicate-prospect check.
func (s Status) Open() bool {
	switch s {
	case StatusNew, StatusAccepted, StatusContacted, StatusMeeting:
		return true
	}
	return false
}

// Label is the status as a person reads it.
func (s Status) Label() string {
	switch s {
	case StatusNew:
		return "New"
	case StatusAccepted:
		return "Accepted"
	case StatusContacted:
		return "Contacted"
	case StatusMeeting:
		return "Meeting booked"
	case StatusWon:
		return "Closed business"
	case StatusLost:
		return "Lost"
	case StatusDeclined:
		return "Not a fit"
	case StatusPassed:
		return "Passed on"
	case StatusWithdrawn:
		return "Withdrawn"
	case StatusExpired:
		return "Expired"
	}
	return string(s)
}

// Temperature labels how qualified a referral is (rule 1 in DOMAIN.md).
type Temperature string

const (
	Hot  Temperature = "hot"  // all three qualification facts hold
	Warm Temperature = "warm" // some hold
	Cold Temperature = "cold" // none: a lead
)

// Label is the temperature as a person reads it.
func (t Temperature) Label() string {
	switch t {
	case Hot:
		return "Hot referral"
	case Warm:
		return "Warm referral"
	}
	return "Cold lead"
}

// Facts are the three qualification facts the giver vouches for.
type Facts struct {
	Spoke    bool // the giver spoke with the prospect about the receiver
	MayShare bool // the prospect allowed their contact to be shared
	Expects  bool // the prospect expects the call
}

// Temperature derives the label from the facts: it is never stored apart from them.
func (f Facts) Temperature() Temperature {
	n := 0
	for _, b := range []bool{f.Spoke, f.MayShare, f.Expects} {
		if b {
			n++
		}
	}
	switch n {
	case 3:
		return Hot
	case 0:
		return Cold
	}
	return Warm
}

// Prospect is the person outside the group who needs something. Phone and email are private to the
// giver, the receiver and admins (rule 10).
type Prospect struct {
	Name    string
	Company string
	Phone   string // normalised E.164, or empty
	Email   string // normalised lower case, or empty
}

// Draft is a referral as the giver submits it, before it has a number.
type Draft struct {
	Giver    string
	Receiver string
	Prospect Prospect
	Need     string
	BestTime string // best time and way to reach the prospect
	Note     string // a note to the receiver
	Facts    Facts
}

// Referral is a recorded referral.
type Referral struct {
	Draft
	Number   int64
	Status   Status
	Created  time.Time
	Updated  time.Time
	Version  int64  // bumped on every change, for compare-and-set
	PassedBy string // the member who passed it on, when it was passed on
	PassedOf int64  // the referral it was passed on from
	Value    int64  // closed business, in minor units (cents)
	Currency string // of Value
	// LastStep is when the receiver took the step they may still undo (zero: none to undo).
	LastStep time.Time
	// LastAsk is when the giver last asked for an update (zero: never).
	LastAsk time.Time
	// Posted says where each message about the referral was posted ("channel|ts" by slot), so a
	// change can update it in place.
	Posted map[string]string
}

// ID is the referral's number as people say it: R-12.
func (r Referral) ID() string { return FormatID(r.Number) }

// Temperature is the referral's label.
func (r Referral) Temperature() Temperature { return r.Facts.Temperature() }

// FormatID writes a referral number as R-<n>.
func FormatID(n int64) string { return "R-" + strconv.FormatInt(n, 10) }

// ParseID reads R-12, r-12 or 12.
func ParseID(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && (s[0] == 'R' || s[0] == 'r') && s[1] == '-' {
		s = s[2:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// ProspectTaken is returned when the prospect (same normalised email or phone) already has an open
// referral to another member: the giver is shown who has it and may send anyway (rule 8).
type ProspectTaken struct {
	Number   int64  // the open referral
	Receiver string // the member who has it
}

func (e *ProspectTaken) Error() string {
	return "prospect already referred to " + e.Receiver + " in " + FormatID(e.Number)
}

// OutboxEntry is a message Rapport owes someone, as queued in the outbox: a reference (kind, referral,
// recipient) that the sender renders from stored state when it sends, so the message says where things
// stand at that moment.
type OutboxEntry struct {
	ID     string // the stream entry ID: the message's idempotency key
	Kind   string // what to say, e.g. "referral.received"
	Ref    int64  // the referral it is about, or 0
	To     string // the member (user ID) or channel it goes to
	Fields map[string]string
}

// QueuedAt is when an entry of ID id was queued: the stream ID ("<ms>-<seq>") Redis stamped it
// with. ok is false for an ID of another shape.
func QueuedAt(id string) (at time.Time, ok bool) {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}

// OutboxOutcome is what became of an outbox entry for good, as the sender records it: delivered
// (Channel and TS where Slack posted it, kept under Slot of its referral when Slot is set: a later
// change edits that message in place), no longer owed (all empty), or given up on (Dead: why).
type OutboxOutcome struct {
	Entry             OutboxEntry
	Slot, Channel, TS string
	Dead              string
}

// PaceRequest asks for a slot of one of Slack's budgets, shared by every replica: Method (and
// Channel, for a per-channel budget; "" for the workspace's) allowing one call every Every with
// bursts of Burst. The sender asks for many at once (PaceAll); the type is the domain's so that it
// declares its store interface without importing storage.
type PaceRequest struct {
	Method, Channel string
	Every           time.Duration
	Burst           int
}

// Snapshot is stored state read at once for a batch of outbox entries, so that the messages one
// change owes are drawn from one round trip: referrals with their timelines, and members' Homes,
// each with the error of its own read (a referral that does not exist).
type Snapshot struct {
	Timelines map[int64]TimelineRead
	Homes     map[string]HomeRead
	// Asks are the asks of the members who may receive a referral, when the read was asked for them
	// (AsksRead), with its error.
	Asks     []Ask
	AsksErr  error
	AsksRead bool
}

// TimelineRead is a referral and its events as one read found them.
type TimelineRead struct {
	Referral Referral
	Events   []Event
	Err      error
}

// HomeRead is what a member's Home shows, as one read found it.
type HomeRead struct {
	Data HomeData
	Err  error
}

// DeadLetter is a message Rapport gave up on, as the dead-letter stream keeps it for admins to see
// and send again: what it was (kind, referral, recipient), why (Slack's error, or why it could not
// be drawn) and when.
type DeadLetter struct {
	ID     string // in the dead-letter stream
	Kind   string
	Ref    int64
	To     string
	Reason string
	At     time.Time
}

// Fields of an outbox entry beyond its kind, referral and recipient: written by the store (its
// scripts and queues) and read by the message catalogue when it draws the entry.
const (
	EntryEvent  = "event"  // the index of the timeline event a message about a move reports
	EntryStage  = "stage"  // the reminder stage a nudge was claimed for
	EntryNotice = "notice" // mrkdwn shown on top of a Home (a refused click)
	EntryBody   = "body"   // JSON the message is drawn from (a thank-you, a computed digest)
	// EntryOneOnOne is the number of the 1:1 a message is about (its Ref is 0).
	EntryOneOnOne = "oneone"
)

// Submission is a validated draft as it arrived, with what saving it exactly once needs.
type Submission struct {
	Team           string
	EnvelopeID     string // the envelope that carried it: a redelivery saves nothing new
	ViewID         string // the form (modal view) that carried it: submitting it again saves nothing new
	Draft          Draft
	AllowDuplicate bool // the giver confirmed "Send anyway" for a prospect someone else has
	Now            time.Time
	Reminder       Stage     // the first reminder owed (Timing.FirstReminder), saved with it
	ReminderAt     time.Time // when it falls due
	Notify         []Notice  // the messages it owes, queued in the same step
	// Step is the run of a Workflow Builder step that carried it (its function_execution_id): run
	// again, it saves nothing new. A step names its giver, where the form's giver is who submits
	// it, so a step's giver is checked against the member directory as the receiver is.
	Step string
}
