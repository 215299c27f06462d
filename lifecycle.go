package rapport

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Action is one click that moves a referral (DOMAIN.md, lifecycle).
type Action string

const (
	ActAccept    Action = "accept"
	ActContacted Action = "contacted"
	ActMeeting   Action = "meeting"
	ActWon       Action = "won"      // closed business, with its value
	ActLost      Action = "lost"     // contacted or met, and it did not close
	ActDecline   Action = "decline"  // not a fit
	ActPassOn    Action = "pass_on"  // handed to another member
	ActWithdraw  Action = "withdraw" // the giver takes it back
	ActCorrect   Action = "correct"  // an admin sets any status, with a note
	ActExpire    Action = "expire"   // Rapport closes a referral with no event for the expiry window
)

// Role is who may take an action.
type Role string

const (
	RoleReceiver Role = "receiver"
	RoleGiver    Role = "giver"
	RoleAdmin    Role = "admin"
	// RoleSystem is Rapport itself (the sweep): no member's click carries it, so no member can
	// take its actions.
	RoleSystem Role = "system"
)

// SystemActor is the actor of the events Rapport itself records (expiry).
const SystemActor = "rapport"

// transitions maps each action to the statuses it may be taken from and where each leads. The
// receiver may skip steps: from new or accepted every forward step is open (one click, one event).
var transitions = map[Action]map[Status]Status{
	ActAccept:    {StatusNew: StatusAccepted},
	ActContacted: {StatusNew: StatusContacted, StatusAccepted: StatusContacted},
	ActMeeting:   {StatusNew: StatusMeeting, StatusAccepted: StatusMeeting, StatusContacted: StatusMeeting},
	ActWon:       {StatusNew: StatusWon, StatusAccepted: StatusWon, StatusContacted: StatusWon, StatusMeeting: StatusWon},
	ActLost:      {StatusContacted: StatusLost, StatusMeeting: StatusLost},
	ActDecline:   {StatusNew: StatusDeclined, StatusAccepted: StatusLost},
	ActPassOn:    {StatusNew: StatusPassed, StatusAccepted: StatusPassed},
	ActWithdraw:  {StatusNew: StatusWithdrawn, StatusAccepted: StatusWithdrawn},
	ActExpire:    expireMoves(),
}

// expireMoves leads every open status to expired (rule 15).
func expireMoves() map[Status]Status {
	out := map[Status]Status{}
	for _, s := range Statuses {
		if s.Open() {
			out[s] = StatusExpired
		}
	}
	return out
}

// Moves returns where the action leads from each status it may be taken from. Storage applies it
// atomically: the status read and the status written are one step, so a double click or two
// replicas move a referral once.
func (a Action) Moves() map[Status]Status { return transitions[a] }

// Valid reports whether a is an action people can take by button.
func (a Action) Valid() bool { _, ok := transitions[a]; return ok && a != ActExpire || a == ActCorrect }

// Actor is who may take the action: only the receiver moves a referral forward or passes it on,
// only the giver withdraws it, only an admin corrects.
func (a Action) Actor() Role {
	switch a {
	case ActWithdraw, ActEdit, ActAsk:
		return RoleGiver
	case ActCorrect:
		return RoleAdmin
	case ActExpire:
		return RoleSystem
	}
	return RoleReceiver
}

// Can reports whether the action may be taken from status s.
func (a Action) Can(s Status) bool { _, ok := transitions[a][s]; return ok }

// Label is the action as a button says it.
func (a Action) Label() string {
	switch a {
	case ActAccept:
		return "Accept"
	case ActContacted:
		return "Contacted"
	case ActMeeting:
		return "Meeting booked"
	case ActWon:
		return "Closed business"
	case ActLost:
		return "Didn't close"
	case ActDecline:
		return "Not a fit"
	case ActPassOn:
		return "Pass on"
	case ActWithdraw:
		return "Withdraw"
	case ActCorrect:
		return "Correct status"
	case ActEdit:
		return "Edit"
	case ActUndo:
		return "Undo"
	case ActNote:
		return "Add a note"
	case ActAsk:
		return "Ask for an update"
	case ActExpire:
		return "Expire"
	}
	return string(a)
}

// ReceiverActions are the buttons the receiver's DM offers, in order, for a referral in status s.
func ReceiverActions(s Status) []Action {
	var out []Action
	for _, a := range []Action{ActAccept, ActContacted, ActMeeting, ActWon, ActLost, ActDecline, ActPassOn} {
		if a.Can(s) {
			out = append(out, a)
		}
	}
	return out
}

// ParseStatus reads a status by its name.
func ParseStatus(s string) (Status, error) {
	if slices.Contains(Statuses, Status(s)) {
		return Status(s), nil
	}
	names := make([]string, len(Statuses))
	for i, st := range Statuses {
		names[i] = string(st)
	}
	return "", fmt.Errorf("%q is not a status (%s)", s, strings.Join(names, ", "))
}

// Event is one step on a referral's timeline.
type Event struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action Action    `json:"action"`
	From   Status    `json:"from"`
	To     Status    `json:"to"`
	Note   string    `json:"note,omitempty"`
	Value  int64     `json:"value,omitempty"`  // closed business, in minor units (cents)
	Ref    int64     `json:"ref,omitempty"`    // pass on: the new referral
	Member string    `json:"member,omitempty"` // pass on: whom the new referral went to
	Facts  *Facts    `json:"facts,omitempty"`  // pass on: what the mover vouched for to Member
	// Changed names the form fields an edit changed (never their values).
	Changed []string `json:"changed,omitempty"`
}

// Stage is a reminder a referral may be waiting for (DESIGN.md, reminders).
type Stage string

const (
	StageAck     Stage = "ack"     // the receiver has not acted within the SLA
	StageAck2    Stage = "ack2"    // still nothing at twice the SLA; the giver is told
	StageReport  Stage = "report"  // no outcome reported since accepted/contacted/meeting
	StageReport2 Stage = "report2" // asked once already
)

// Timing holds the reminder delays.
type Timing struct {
	FollowUpSLA     time.Duration
	ReportBackAfter time.Duration
	// ExpireAfter is how long an open referral may go without an event before Rapport closes it
	// as expired (rule 15); 0 never expires one.
	ExpireAfter time.Duration
}

// FirstReminder is the stage a referral entering status s waits for, and when; ok is false when
// nothing is owed (a finished referral is never nudged).
func (t Timing) FirstReminder(s Status, at time.Time) (Stage, time.Time, bool) {
	switch s {
	case StatusNew:
		return StageAck, at.Add(t.FollowUpSLA), true
	case StatusAccepted, StatusContacted, StatusMeeting:
		return StageReport, at.Add(t.ReportBackAfter), true
	}
	return "", time.Time{}, false
}

// NextReminder is the stage after st fired at firedAt; ok is false after the second ask: then silence.
func (t Timing) NextReminder(st Stage, firedAt time.Time) (Stage, time.Time, bool) {
	switch st {
	case StageAck:
		return StageAck2, firedAt.Add(t.FollowUpSLA), true
	case StageReport:
		return StageReport2, firedAt.Add(t.ReportBackAfter), true
	}
	return "", time.Time{}, false
}

// Overdue reports whether open referral r is late at now, and for what: the receiver's first step
// (StageAck: new past the follow-up window since it was given) or a report of how it went
// (StageReport: accepted, contacted or meeting past the report-back delay since it got there). It
// is the reminders' own schedule (FirstReminder) from the start of the stage (StageSince), read as
// a verdict for the leader's view: a note, an ask or an edit does not make a late referral on time.
func (t Timing) Overdue(r Referral, now time.Time) (Stage, bool) {
	st, due, ok := t.FirstReminder(r.Status, r.StageSince())
	return st, ok && now.After(due)
}

// StageSince is when r entered the stage it waits in: its creation while it is new (an edit does not
// restart the follow-up window), else its last change of status (notes and asks are not one).
func (r Referral) StageSince() time.Time {
	if r.Status == StatusNew {
		return r.Created
	}
	return r.Updated
}
