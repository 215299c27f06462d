package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/scheduler"
)

// TestRustedReferralExpires: an open referral with no event for the expiry window (90 days by
// default) closes as expired in the sweep, both members told, its DMs redrawn without buttons; the
// prospect is free again for another member, and nothing more is nudged.
func TestRustedReferralExpires(t *testing.T) {
	h := start(t)
	t0 := time.Now()
	h.referred()
	if exp := h.app.single.settings.Snapshot().ExpireAfter; exp != 90*24*time.Hour {
		t.Fatalf("the default expiry is %v; want 90 days", exp)
	}
	// Carol's referral of the same prospect to Dave is warned about while R-1 is open.
	same := hotForm()
	same.receiver = "UDAVE"
	if ack := h.refer(h.carol, same); ack.ResponseAction != "update" {
		t.Fatalf("the open referral raised no duplicate warning: %s", pretty(ack))
	}

	expiry := 90 * 24 * time.Hour
	if res := h.tick(t0.Add(expiry - time.Hour)); res.Expired != 0 || res.Claimed != 1 {
		t.Fatalf("a day short of 90 days: %+v; want the first nudge and no expiry", res)
	}
	bobBefore := len(h.bob.dms())
	res := h.tick(t0.Add(expiry + time.Minute))
	if res.Expired != 1 || res.Claimed != 0 {
		t.Fatalf("after 90 days without news: %+v; want R-1 expired and its pending nudge dropped", res)
	}
	h.wait("both told", func() bool { return len(h.alice.dms()) == 2 && len(h.bob.dms()) == bobBefore+1 && h.outboxEmpty() })
	if err := contains(messageText(h.alice.dms()[1]), ":hourglass: *R-1* (*Dana Reyes*, Reyes Bakery), which you gave <@UBOB>",
		"no news for 90 days", "closed it as *expired*", "/refer set R-1 contacted"); err != nil {
		t.Error(err)
	}
	if err := contains(messageText(h.bob.dms()[bobBefore]), ":hourglass: *R-1*", "from <@UALICE>", "no news for 90 days",
		"you won't be reminded of it again"); err != nil {
		t.Error(err)
	}
	// The receiver's DM, redrawn in place: expired, on its timeline, without buttons.
	dm := h.bob.dms()[0]
	if err := contains(messageText(dm), "· *Expired*", "expired: no news for too long"); err != nil {
		t.Error(err)
	}
	if ids := buttonsOf(dm); len(ids) != 0 {
		t.Errorf("the expired referral's DM still offers %v", ids)
	}
	if ids := buttonsOf(h.alice.dms()[0]); len(ids) != 0 {
		t.Errorf("the giver's DM still offers %v", ids)
	}
	ref, events, err := h.store.Timeline(h.ctx, slackfake.TeamID, 1)
	if err != nil || ref.Status != rapport.StatusExpired || events[len(events)-1].Action != rapport.ActExpire ||
		events[len(events)-1].Actor != rapport.SystemActor {
		t.Fatalf("R-1 after expiry: %s, last event %+v, %v", ref.Status, events[len(events)-1], err)
	}
	open, total, err := h.store.OpenAll(h.ctx, slackfake.TeamID, time.Time{}, 10)
	if err != nil || total != 0 || len(open) != 0 {
		t.Errorf("open referrals after expiry: %d (%v)", total, err)
	}

	// Nothing more is owed: no nudge, no second expiry.
	if res := h.tick(t0.Add(2 * expiry)); res != (scheduler.Result{}) {
		t.Errorf("a later sweep did %+v; want nothing", res)
	}
	if len(h.bob.dms()) != bobBefore+1 || len(h.alice.dms()) != 2 {
		t.Error("messages after the expiry notice")
	}
	// The prospect is free again: Carol's referral to Dave goes through without a warning.
	if ack := h.refer(h.carol, same); ack.ResponseAction != "" {
		t.Fatalf("the expired referral still raised a warning: %s", pretty(ack))
	}
	h.wait("Dave's DM", func() bool { return len(h.dave.dms()) == 1 })
	if err := contains(messageText(h.dave.dms()[0]), "New referral R-2"); err != nil {
		t.Error(err)
	}
	// An admin may reopen it, as any correction.
	if p := h.adminCommand(h.dave, "set R-1 contacted She called back"); !strings.Contains(p.Text, "R-1 is now *Contacted* (was Expired)") {
		t.Errorf("reopening: %q", p.Text)
	}
}
