package handlers

import (
	"context"
	"strconv"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
)

// Kinds of outbox entries, and the referral fields that remember where each message was posted.
const (
	KindUpdate      = "referral.update"       // the receiver's DM, redrawn in place
	KindUpdateGiver = "referral.update.giver" // the giver's confirmation, redrawn in place
	KindReport      = "referral.report"       // to the giver: what the receiver did (report back)
	KindWithdrawn   = "referral.withdrawn"    // to the receiver: the giver took it back
	KindCorrected   = "referral.corrected"    // to giver and receiver: an admin set the status
	KindShoutout    = "referral.shoutout"     // to the recognition channel: closed business, thanks in public
	KindThanks      = "recognition.thanks"    // to the recognition channel: /refer thanks
	KindVouch       = "recognition.vouch"     // to the member vouched for
	KindBoard       = "board.share"           // to the recognition channel: a shared leaderboard

	SlotReceiverDM = "dm_receiver"
	SlotGiverDM    = "dm_giver"
)

// Render draws an outbox entry from the referral as stored now, so a message sent late says where
// things stand when it is sent. ok is false when the message is no longer owed: a nudge about a
// referral that has moved on, an update of a message that was never posted.
func (h *Handlers) Render(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Post, bool, error) {
	switch e.Kind {
	case KindHome:
		return h.renderHome(ctx, team, e)
	case KindDigest:
		return h.digestEntry(ctx, e)
	case KindDigestChart:
		return h.chartPost(ctx, team, e)
	case KindDigestInactive:
		return h.inactiveNudge(ctx, team, e)
	case KindThanks, KindVouch, KindBoard:
		return h.renderGroup(ctx, team, e) // messages about the group, not one referral
	}
	return h.renderReferral(ctx, team, e)
}

// renderReferral draws the messages about one referral.
func (h *Handlers) renderReferral(ctx context.Context, team string, e rapport.OutboxEntry) (bot.Post, bool, error) {
	ref, events, err := h.store.Timeline(ctx, team, e.Ref)
	if err != nil {
		return bot.Post{}, false, err
	}
	ev, hasEvent := eventAt(events, e.Fields["event"])
	timing := h.settings.Get(ctx).Timing()
	switch e.Kind {
	case rapport.KindReferralReceived:
		return receiverDM(ref, events, timing), true, nil
	case rapport.KindReferralSent:
		return giverDM(ref, events), true, nil
	case KindUpdate:
		return inPlace(receiverDM(ref, events, timing), ref.Posted[SlotReceiverDM])
	case KindUpdateGiver:
		return inPlace(giverDM(ref, events), ref.Posted[SlotGiverDM])
	case KindReport, KindWithdrawn, KindCorrected:
		if !hasEvent {
			return bot.Post{}, false, nil
		}
		return report(ref, ev, e.To), true, nil
	case KindShoutout:
		return shoutout(ref, events, h.settings.Get(ctx), e.To), true, nil
	case rapport.KindReferralAnnounce:
		return announcement(ref, e.To), true, nil
	case rapport.KindNudgeAck, rapport.KindNudgeAck2, rapport.KindNudgeAck2Giver, rapport.KindNudgeReport, rapport.KindNudgeReport2:
		if !nudgeStillDue(e.Kind, ref.Status) {
			return bot.Post{}, false, nil
		}
		return nudge(e.Kind, ref, timing), true, nil
	}
	return bot.Post{}, false, rapport.Errorf(rapport.ENOTFOUND, "unknown outbox kind %q", e.Kind)
}

// inPlace turns a drawn message into an edit of the one posted at "channel|ts".
func inPlace(p bot.Post, posted string) (bot.Post, bool, error) {
	channel, ts, ok := strings.Cut(posted, "|")
	if !ok {
		// Not posted yet: the original, when it goes out, is drawn from the state as it is then.
		return bot.Post{}, false, nil
	}
	p.Channel, p.TS, p.Slot = channel, ts, ""
	return p, true, nil
}

func eventAt(events []rapport.Event, idx string) (rapport.Event, bool) {
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(events) {
		return rapport.Event{}, false
	}
	return events[i], true
}

// nudgeStillDue drops a nudge whose referral moved on between the claim and the send.
func nudgeStillDue(kind string, s rapport.Status) bool {
	switch kind {
	case rapport.KindNudgeAck, rapport.KindNudgeAck2, rapport.KindNudgeAck2Giver:
		return s == rapport.StatusNew
	}
	return s == rapport.StatusAccepted || s == rapport.StatusContacted || s == rapport.StatusMeeting
}
