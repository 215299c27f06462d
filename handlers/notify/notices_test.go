package notify

import (
	"slices"
	"strings"
	"testing"

	"github.com/rapportbot/rapport"
)

func describe(ns []rapport.Notice) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Kind+">"+string(n.To))
	}
	return strings.Join(s, " ")
}

func TestNoticesReportToWhoeverDidNotMove(t *testing.T) {
	tests := []struct {
		m    rapport.Move
		want string
	}{
		{rapport.Move{Action: rapport.ActAccept}, "referral.update>receiver referral.update.giver>giver referral.report>giver home>receiver home>giver"},
		{rapport.Move{Action: rapport.ActWithdraw}, "referral.update>receiver referral.update.giver>giver referral.withdrawn>receiver home>receiver home>giver"},
		{rapport.Move{Action: rapport.ActPassOn, LinkTo: "UM"}, "referral.received>linked referral.update>receiver referral.update.giver>giver referral.report>giver home>receiver home>giver home>linked"},
		{rapport.Move{Action: rapport.ActWon}, "referral.update>receiver referral.update.giver>giver referral.report>giver home>receiver home>giver"},
		{rapport.Move{Action: rapport.ActCorrect}, "referral.update>receiver referral.update.giver>giver referral.corrected>giver referral.corrected>receiver home>receiver home>giver"},
		{rapport.Move{Action: rapport.ActUndo}, "referral.update>receiver referral.update.giver>giver referral.report>giver home>receiver home>giver"},
		{rapport.Move{Action: rapport.ActNote}, "referral.update>receiver referral.update.giver>giver referral.report>giver home>receiver home>giver"},
		{rapport.Move{Action: rapport.ActEdit}, "referral.update>receiver referral.update.giver>giver referral.edited>receiver home>receiver home>giver"},
		{rapport.Move{Action: rapport.ActAsk}, "referral.update>receiver referral.update.giver>giver referral.asked>receiver home>receiver home>giver"},
	}
	for _, tt := range tests {
		if got := describe(Notices(Change{Move: &tt.m})); got != tt.want {
			t.Errorf("%s: %s\nwant %s", tt.m.Action, got, tt.want)
		}
	}
	// Closed business thanks both in the channel when the group has one.
	won := rapport.Move{Action: rapport.ActWon}
	ns := Notices(Change{Move: &won, Settings: rapport.Settings{RecognitionChannel: "C0WINS"}})
	if !slices.Contains(ns, rapport.Notice{Kind: "referral.shoutout", To: rapport.RoleChannel, Target: "C0WINS"}) {
		t.Errorf("closed business owes no shout-out: %v", ns)
	}
}

func TestNoticesOfANewReferral(t *testing.T) {
	hot := rapport.Draft{Facts: rapport.Facts{Spoke: true, MayShare: true, Expects: true}}
	cold := rapport.Draft{}
	announce := rapport.Settings{AnnounceHot: true, RecognitionChannel: "C0WINS"}
	for _, tt := range []struct {
		name string
		ch   Change
		want string
	}{
		{"Cold", Change{Created: &cold, Settings: announce}, "referral.received>receiver referral.sent>giver home>receiver home>giver"},
		{"HotAnnounced", Change{Created: &hot, Settings: announce}, "referral.received>receiver referral.sent>giver referral.announce>channel home>receiver home>giver"},
		{"HotNotAnnounced", Change{Created: &hot}, "referral.received>receiver referral.sent>giver home>receiver home>giver"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(Notices(tt.ch)); got != tt.want {
				t.Errorf("%s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestStageNotices(t *testing.T) {
	for st, want := range map[rapport.Stage]string{
		rapport.StageAck:     "nudge.ack>receiver",
		rapport.StageAck2:    "nudge.ack2>receiver nudge.ack2.giver>giver",
		rapport.StageReport:  "nudge.report>receiver",
		rapport.StageReport2: "nudge.report2>receiver",
		"unknown":            "",
	} {
		if got := describe(StageNotices(st)); got != want {
			t.Errorf("%s: %q, want %q", st, got, want)
		}
	}
}

// Every notice any change owes is addressed to a role its kind declares.
func TestNoticesUseDeclaredRoles(t *testing.T) {
	var changes []Change
	for _, a := range []rapport.Action{rapport.ActAccept, rapport.ActWon, rapport.ActWithdraw, rapport.ActCorrect, rapport.ActPassOn} {
		changes = append(changes, Change{Move: &rapport.Move{Action: a, LinkTo: "UM"}, Settings: rapport.Settings{RecognitionChannel: "C1"}})
	}
	hot := rapport.Draft{Facts: rapport.Facts{Spoke: true, MayShare: true, Expects: true}}
	changes = append(changes, Change{Created: &hot, Settings: rapport.Settings{AnnounceHot: true, RecognitionChannel: "C1"}})
	for _, st := range []rapport.Stage{rapport.StageAck, rapport.StageAck2, rapport.StageReport, rapport.StageReport2} {
		changes = append(changes, Change{Stage: st})
	}
	for _, ch := range changes {
		for _, n := range Notices(ch) {
			if !addressable(n.Kind, n.To) {
				t.Errorf("%s is addressed to %s, which its entry does not declare", n.Kind, n.To)
			}
		}
	}
}

func TestReceiverButtonsFollowStatus(t *testing.T) {
	tests := []struct {
		s    rapport.Status
		want string
	}{
		{rapport.StatusNew, "accept contacted meeting won decline pass_on"},
		{rapport.StatusAccepted, "contacted meeting won decline pass_on"},
		{rapport.StatusContacted, "meeting won lost"},
		{rapport.StatusMeeting, "won lost"},
		{rapport.StatusWon, ""},
		{rapport.StatusWithdrawn, ""},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range rapport.ReceiverActions(tt.s) {
			got = append(got, string(a))
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: %v, want %s", tt.s, got, tt.want)
		}
	}
}
