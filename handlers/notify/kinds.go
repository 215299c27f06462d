package notify

import (
	"github.com/rapportbot/rapport"
)

// The catalogue: every kind of message Rapport can owe, in the order a recipient gets those one
// change owes. A kind's name is stored in the outbox, so it is never renamed.
var (
	// ReferralReceived is the receiver's DM of a new referral, with all they need to act; for a
	// pass on, the new receiver's.
	ReferralReceived = register(&Message[referralState]{
		Kind: "referral.received", About: "a new referral's DM to its receiver", To: roles(rapport.RoleReceiver, rapport.RoleLinked),
		Owes: func(ch Change) []rapport.Notice {
			switch {
			case ch.Created != nil:
				return to(rapport.RoleReceiver)
			case ch.Move != nil && ch.Move.LinkTo != "":
				return to(rapport.RoleLinked)
			}
			return nil
		},
		Read: readReferral, Draw: receiverDM,
	})
	// ReferralSent is the giver's confirmation: saved, with whom, coaching for a lead, and while it
	// is new the member whose ask fits the need when the receiver's does not (better.go).
	ReferralSent = register(&Message[referralState]{
		Kind: "referral.sent", About: "the giver's confirmation of a referral", To: roles(rapport.RoleGiver),
		Owes: onCreate(rapport.RoleGiver),
		Read: readGiver, Draw: giverDM, ReadsAsks: true,
	})
	// ReferralAnnounce tells the recognition channel a hot referral was given, when the group
	// asked for that.
	ReferralAnnounce = register(&Message[referralState]{
		Kind: "referral.announce", About: "the announcement of a hot referral", To: roles(rapport.RoleChannel),
		Owes: func(ch Change) []rapport.Notice {
			if ch.Created == nil || !ch.Settings.AnnounceHot || ch.Created.Facts.Temperature() != rapport.Hot {
				return nil
			}
			return toRecognition(ch)
		},
		Read: readReferral, Draw: announcement,
	})
	// ReceiverUpdate redraws the receiver's DM in place after every move.
	ReceiverUpdate = register(&Message[referralState]{
		Kind: "referral.update", About: "the receiver's referral DM, redrawn", To: roles(rapport.RoleReceiver),
		Owes: onMove(rapport.RoleReceiver),
		Read: readReferral, Owed: posted(SlotReceiverDM), Draw: inPlace(SlotReceiverDM, receiverDM),
	})
	// GiverUpdate redraws the giver's confirmation in place after every move.
	GiverUpdate = register(&Message[referralState]{
		Kind: "referral.update.giver", About: "the giver's referral DM, redrawn", To: roles(rapport.RoleGiver),
		Owes: onMove(rapport.RoleGiver),
		Read: readGiver, Owed: posted(SlotGiverDM), Draw: inPlace(SlotGiverDM, giverDM), ReadsAsks: true,
	})
	// Report tells the giver what the receiver did (rule 3): a step, an undo, a note.
	Report = register(&Message[referralState]{
		Kind: "referral.report", About: "a report-back to the giver", To: roles(rapport.RoleGiver),
		Owes: func(ch Change) []rapport.Notice {
			if ch.Move == nil {
				return nil
			}
			switch ch.Move.Action {
			case rapport.ActWithdraw, rapport.ActCorrect, rapport.ActEdit, rapport.ActAsk, rapport.ActExpire:
				return nil
			}
			return to(rapport.RoleGiver)
		},
		Read: readReferral, Owed: hasEvent, Draw: report,
	})
	// Withdrawn tells the receiver the giver took the referral back.
	Withdrawn = register(&Message[referralState]{
		Kind: "referral.withdrawn", About: "the notice of a withdrawn referral", To: roles(rapport.RoleReceiver),
		Owes: onAction(rapport.ActWithdraw, rapport.RoleReceiver),
		Read: readReferral, Owed: hasEvent, Draw: report,
	})
	// Corrected tells the giver and the receiver an admin set the status.
	Corrected = register(&Message[referralState]{
		Kind: "referral.corrected", About: "the notice of an admin's correction", To: roles(rapport.RoleGiver, rapport.RoleReceiver),
		Owes: onAction(rapport.ActCorrect, rapport.RoleGiver, rapport.RoleReceiver),
		Read: readReferral, Owed: hasEvent, Draw: report,
	})
	// Edited tells the receiver what the giver changed in a new referral (rule 14).
	Edited = register(&Message[referralState]{
		Kind: "referral.edited", About: "the notice of a giver's edit", To: roles(rapport.RoleReceiver),
		Owes: onAction(rapport.ActEdit, rapport.RoleReceiver),
		Read: readReferral, Owed: hasEvent, Draw: edited,
	})
	// Asked passes the giver's ask for an update to the receiver, with the buttons that answer it.
	Asked = register(&Message[referralState]{
		Kind: "referral.asked", About: "a giver's request for an update", To: roles(rapport.RoleReceiver),
		Owes: onAction(rapport.ActAsk, rapport.RoleReceiver),
		Read: readReferral, Owed: func(s referralState) bool { return s.hasEvent && s.ref.Status.Open() }, Draw: asked,
	})
	// Expired tells the giver and the receiver Rapport closed a referral that had no news for the
	// expiry window (rule 15).
	Expired = register(&Message[referralState]{
		Kind: "referral.expired", About: "the notice of an expired referral", To: roles(rapport.RoleGiver, rapport.RoleReceiver),
		Owes: onAction(rapport.ActExpire, rapport.RoleGiver, rapport.RoleReceiver),
		Read: readReferral, Owed: hasEvent, Draw: expired,
	})
	// Shoutout thanks the giver and the receiver of closed business in the recognition channel:
	// the receiver's close, or an admin's correction that records it.
	Shoutout = register(&Message[referralState]{
		Kind: "referral.shoutout", About: "the thank-you for closed business", To: roles(rapport.RoleChannel),
		Owes: func(ch Change) []rapport.Notice {
			if m := ch.Move; m == nil || !(m.Action == rapport.ActWon || m.Action == rapport.ActCorrect && m.To == rapport.StatusWon) {
				return nil
			}
			return toRecognition(ch)
		},
		Read: readReferral, Owed: newlyClosed, Draw: shoutout,
	})
	// ShoutoutWithdrawn replaces the public thank-you when the receiver undoes the closed business it
	// celebrated, or an admin corrects it away from won: the channel is not left thanking members
	// for business that did not happen.
	ShoutoutWithdrawn = register(&Message[referralState]{
		Kind: "referral.shoutout.withdrawn", About: "the withdrawal of a thank-you whose business was undone", To: roles(rapport.RoleChannel),
		Owes: func(ch Change) []rapport.Notice {
			if m := ch.Move; m == nil || !(m.Action == rapport.ActUndo || m.Action == rapport.ActCorrect && m.To != rapport.StatusWon) {
				return nil
			}
			return toRecognition(ch)
		},
		Read: readReferral, Owed: func(s referralState) bool { return posted(SlotShoutout)(s) && !closed(s) },
		Draw: inPlace(SlotShoutout, shoutoutWithdrawn),
	})
	// NudgeAck reminds the receiver who has not acted within the follow-up SLA.
	NudgeAck = register(&Message[referralState]{
		Kind: "nudge.ack", About: "a reminder to follow up", To: roles(rapport.RoleReceiver),
		Owes: onStage(rapport.StageAck, rapport.RoleReceiver),
		Read: readReferral, Owed: waitingForAction, Draw: nudgeAck,
	})
	// NudgeAck2 reminds the receiver again at twice the SLA; the giver is told (NudgeAck2Giver).
	NudgeAck2 = register(&Message[referralState]{
		Kind: "nudge.ack2", About: "a second reminder to follow up", To: roles(rapport.RoleReceiver),
		Owes: onStage(rapport.StageAck2, rapport.RoleReceiver),
		Read: readReferral, Owed: waitingForAction, Draw: nudgeAck2,
	})
	// NudgeAck2Giver tells the giver of the silence, and offers to withdraw and refer again.
	NudgeAck2Giver = register(&Message[referralState]{
		Kind: "nudge.ack2.giver", About: "the giver's notice of a late follow-up", To: roles(rapport.RoleGiver),
		Owes: onStage(rapport.StageAck2, rapport.RoleGiver),
		Read: readReferral, Owed: waitingForAction, Draw: nudgeAck2Giver,
	})
	// NudgeReport asks the receiver what came of it.
	NudgeReport = register(&Message[referralState]{
		Kind: "nudge.report", About: "a reminder to report the outcome", To: roles(rapport.RoleReceiver),
		Owes: onStage(rapport.StageReport, rapport.RoleReceiver),
		Read: readReferral, Owed: waitingForOutcome, Draw: nudgeReport,
	})
	// NudgeReport2 asks once more, the last time.
	NudgeReport2 = register(&Message[referralState]{
		Kind: "nudge.report2", About: "a second reminder to report the outcome", To: roles(rapport.RoleReceiver),
		Owes: onStage(rapport.StageReport2, rapport.RoleReceiver),
		Read: readReferral, Owed: waitingForOutcome, Draw: nudgeReport2,
	})
	// OneOnOneAsk asks the member a 1:1 was recorded with to confirm it, or decline it; no longer
	// owed once it was answered or expired.
	OneOnOneAsk = register(&Message[oneOnOneState]{
		Kind: "oneone.ask", About: "a request to confirm a one-to-one", To: roles(rapport.RolePartner),
		Owes: onOneOnOne(rapport.OneOnOnePending, rapport.RolePartner),
		Read: readOneOnOne, Owed: oneOnOneStatus(rapport.OneOnOnePending), Draw: oneOnOneAsk,
	})
	// OneOnOneConfirmed tells the recorder of a 1:1 that it was confirmed: it counts.
	OneOnOneConfirmed = register(&Message[oneOnOneState]{
		Kind: "oneone.confirmed", About: "the notice of a confirmed one-to-one", To: roles(rapport.RoleRecorder),
		Owes: onOneOnOne(rapport.OneOnOneConfirmed, rapport.RoleRecorder),
		Read: readOneOnOne, Owed: oneOnOneStatus(rapport.OneOnOneConfirmed), Draw: oneOnOneConfirmed,
	})
	// OneOnOneDeclined tells the recorder of a 1:1 that it was declined, kindly.
	OneOnOneDeclined = register(&Message[oneOnOneState]{
		Kind: "oneone.declined", About: "the notice of a declined one-to-one", To: roles(rapport.RoleRecorder),
		Owes: onOneOnOne(rapport.OneOnOneDeclined, rapport.RoleRecorder),
		Read: readOneOnOne, Owed: oneOnOneStatus(rapport.OneOnOneDeclined), Draw: oneOnOneDeclined,
	})
	// OneOnOneExpired tells the recorder of a 1:1 that nobody confirmed it in time, kindly.
	OneOnOneExpired = register(&Message[oneOnOneState]{
		Kind: "oneone.expired", About: "the notice of an unconfirmed one-to-one", To: roles(rapport.RoleRecorder),
		Owes: onOneOnOne(rapport.OneOnOneExpired, rapport.RoleRecorder),
		Read: readOneOnOne, Owed: oneOnOneStatus(rapport.OneOnOneExpired), Draw: oneOnOneExpired,
	})
	// PairingSuggested is a member's weekly suggestion of a member to meet one to one, with why and
	// "Book a 1:1"; queued by the weekly pairing (RunPairing) to both members of each pair.
	PairingSuggested = register(&Message[pairingState]{
		Kind: "pairing.suggested", About: "a weekly suggestion of a member to meet", To: roles(rapport.RoleMember),
		Read: readPairing, Draw: suggestionPost,
	})
	// PairingBooked tells a member the other member of their pair booked the 1:1 suggested.
	PairingBooked = register(&Message[bookedState]{
		Kind: "pairing.booked", About: "the notice that a member wants to book a suggested one-to-one", To: roles(rapport.RoleMember),
		Read: readBooked, Draw: bookedPost,
	})
	// PairingBooking confirms to the member who booked a suggested 1:1 that the other was told.
	PairingBooking = register(&Message[bookedState]{
		Kind: "pairing.booking", About: "the confirmation of a booked one-to-one", To: roles(rapport.RoleMember),
		Read: readBooking, Draw: bookingPost,
	})
	// Home publishes a member's App Home as it stands, for members who opened it recently (or with
	// a notice on top, for one who just clicked in it).
	Home = register(&Message[homeState]{
		Kind: "home", About: "an App Home", To: roles(rapport.RoleReceiver, rapport.RoleGiver, rapport.RoleLinked, rapport.RoleMember,
			rapport.RoleRecorder, rapport.RolePartner),
		Owes: func(ch Change) []rapport.Notice {
			if ch.OneOnOne == rapport.OneOnOneConfirmed {
				return to(rapport.RoleRecorder, rapport.RolePartner) // both members' numbers moved
			}
			if ch.Created == nil && ch.Move == nil {
				return nil
			}
			ns := to(rapport.RoleReceiver, rapport.RoleGiver)
			if ch.Move != nil && ch.Move.LinkTo != "" {
				ns = append(ns, rapport.Notice{To: rapport.RoleLinked})
			}
			return ns
		},
		Read: readHome, Owed: func(s homeState) bool { return s.data.Opened }, Draw: homePost,
	})
	// Thanks is a member's public thank-you (/refer thanks) in the recognition channel.
	Thanks = register(&Message[recognition]{
		Kind: "recognition.thanks", About: "a public thank-you", To: roles(rapport.RoleChannel),
		Read: readRecognition, Draw: thanksPost,
	})
	// Vouch tells a member someone recommended them (/refer vouch).
	Vouch = register(&Message[recognition]{
		Kind: "recognition.vouch", About: "the notice of a recommendation", To: roles(rapport.RoleMember),
		Read: readRecognition, Draw: vouchPost,
	})
	// Board is a leaderboard a member shared in the recognition channel, drawn when it is sent.
	Board = register(&Message[boardState]{
		Kind: "board.share", About: "a shared leaderboard", To: roles(rapport.RoleChannel),
		Read: readBoard, Draw: sharedBoard,
	})
	// Digest is the week in the recognition channel, from the numbers computed when the week was claimed.
	Digest = register(&Message[digestState]{
		Kind: "digest.weekly", About: "the weekly digest", To: roles(rapport.RoleChannel),
		Read: readDigest, Draw: digestPost,
	})
	// DigestChart uploads the last 12 weeks as a chart to the recognition channel.
	DigestChart = register(&Message[chartState]{
		Kind: "digest.chart", About: "the weekly digest's chart", To: roles(rapport.RoleChannel),
		Read: readChart, Draw: chartPost,
	})
	// Export uploads the CSV of referrals an admin asked for to their DM.
	Export = register(&Message[exportState]{
		Kind: "admin.export", About: "a spreadsheet export", To: roles(rapport.RoleMember),
		Read: readExport, Draw: exportPost,
	})
	// SettingsSaved confirms to an admin the settings they saved: what changed, was and now.
	SettingsSaved = register(&Message[settingsState]{
		Kind: "settings.saved", About: "the confirmation of saved settings", To: roles(rapport.RoleMember),
		Read: readSettingsSaved, Draw: settingsSavedPost,
	})
	// AdminAlert tells an admin of a fault of the workspace's setup they can mend (a missing
	// scope, a channel Rapport is not in); the bot meets it, AlertAdmins queues it.
	AdminAlert = register(&Message[alertState]{
		Kind: "admin.alert", About: "an alert to admins", To: roles(rapport.RoleMember),
		Read: readAlert, Draw: alertPost,
	})
	// DigestInactive is the private, friendly nudge to a member who gave nothing for a while, with
	// others' asks; no longer owed once they gave, or when nobody asks.
	DigestInactive = register(&Message[inactiveState]{
		Kind: "digest.inactive", About: "a friendly nudge to give", To: roles(rapport.RoleMember),
		Read: readInactive, Owed: func(s inactiveState) bool { return !s.gave && len(s.asks) > 0 }, Draw: inactivePost,
	})
	// NudgeLeader is an admin's "Nudge now" (the leader's view), to the receiver: queued once a
	// day at most per referral; no longer owed once the referral closed or moved to another member.
	NudgeLeader = register(&Message[leaderNudge]{
		Kind: "nudge.leader", About: "an admin's nudge to follow up", To: roles(rapport.RoleReceiver),
		Read: readLeaderNudge, Owed: stillWaiting, Draw: nudgeLeader,
	})
	// Welcome is a member's welcome DM, once per member ever: on their first /refer or Home visit,
	// or when they join the workspace if the group turned that on.
	Welcome = register(&Message[memberState]{
		Kind: "member.welcome", About: "a welcome to a new member", To: roles(rapport.RoleMember),
		Read: readMember, Draw: welcomePost,
	})
	// InstallWelcome tells the member who installed Rapport in a workspace (HTTP mode's OAuth
	// install) what to do next; queued once per install by WelcomeInstaller.
	InstallWelcome = register(&Message[memberState]{
		Kind: "install.welcome", About: "the next steps, to who installed Rapport", To: roles(rapport.RoleMember),
		Read: readMember, Draw: installWelcomePost,
	})
	// Answer answers a message a member typed to Rapport in its DM, once per message.
	Answer = register(&Message[memberState]{
		Kind: "member.answer", About: "an answer to a DM typed to Rapport", To: roles(rapport.RoleMember),
		Read: readMember, Draw: answerPost,
	})
	// StepDone completes the Workflow Builder step's run that recorded a referral, with the
	// referral's number for the workflow's next steps; queued with the referral.
	StepDone = register(&Message[referralState]{
		Kind: "step.done", About: "the completion of a workflow step that recorded a referral", To: roles(rapport.RoleStep),
		Owes: func(ch Change) []rapport.Notice {
			if ch.Created == nil || ch.Step == "" {
				return nil
			}
			return []rapport.Notice{{To: rapport.RoleStep, Target: ch.Step}}
		},
		Read: readReferral, Draw: stepDone,
	})
	// StepFailed completes a Workflow Builder step's run that recorded nothing, with why, for the
	// workflow's people (StepFailedNote; storage's FailStep queues it once per run).
	StepFailed = register(&Message[stepFailure]{
		Kind: "step.failed", About: "the failure of a workflow step, with why", To: roles(rapport.RoleStep),
		Read: readStepFailure, Draw: stepFailedPost,
	})
)

// kinds and byKind are the registry, filled once as the entries above are initialised and only
// read afterwards.
var (
	kinds  []kind
	byKind = map[string]kind{}
)

func register[S any](m *Message[S]) *Message[S] {
	if _, dup := byKind[m.Kind]; dup {
		panic("notify: kind " + m.Kind + " registered twice")
	}
	if m.About == "" {
		panic("notify: kind " + m.Kind + " has no words (About)")
	}
	kinds = append(kinds, m)
	byKind[m.Kind] = m
	return m
}

func roles(rs ...rapport.Role) []rapport.Role { return rs }

// to addresses a kind's notices to rs; the registry fills in the kind.
func to(rs ...rapport.Role) []rapport.Notice {
	ns := make([]rapport.Notice, len(rs))
	for i, r := range rs {
		ns[i] = rapport.Notice{To: r}
	}
	return ns
}

// onCreate owes the kind to rs when a referral is saved.
func onCreate(rs ...rapport.Role) func(Change) []rapport.Notice {
	return func(ch Change) []rapport.Notice {
		if ch.Created == nil {
			return nil
		}
		return to(rs...)
	}
}

// onMove owes the kind to rs after every move.
func onMove(rs ...rapport.Role) func(Change) []rapport.Notice {
	return func(ch Change) []rapport.Notice {
		if ch.Move == nil {
			return nil
		}
		return to(rs...)
	}
}

// onAction owes the kind to rs after a move of action a.
func onAction(a rapport.Action, rs ...rapport.Role) func(Change) []rapport.Notice {
	return func(ch Change) []rapport.Notice {
		if ch.Move == nil || ch.Move.Action != a {
			return nil
		}
		return to(rs...)
	}
}

// toRecognition addresses the kind to the group's recognition channel, or to nobody when the
// group has none.
func toRecognition(ch Change) []rapport.Notice {
	if ch.Settings.RecognitionChannel == "" {
		return nil
	}
	return []rapport.Notice{{To: rapport.RoleChannel, Target: ch.Settings.RecognitionChannel}}
}

// onStage owes the kind to rs when reminder stage st falls due.
func onStage(st rapport.Stage, rs ...rapport.Role) func(Change) []rapport.Notice {
	return func(ch Change) []rapport.Notice {
		if ch.Stage != st {
			return nil
		}
		return to(rs...)
	}
}
