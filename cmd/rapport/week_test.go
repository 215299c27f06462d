package main

import (
	"github.com/rapportbot/rapport/bot/slackfake"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
)

// springForward is the Saturday 14:00 in New York before the first US spring-forward Sunday (the
// second Sunday of March) at least a few days after now: that Monday's 09:00 is 13:00 UTC, where
// the Monday before the change would have been 14:00.
func springForward(t *testing.T, now time.Time) (ny *time.Location, saturday time.Time) {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for y := now.Year(); ; y++ {
		sunday := time.Date(y, time.March, 8, 12, 0, 0, 0, ny)
		for sunday.Weekday() != time.Sunday {
			sunday = sunday.AddDate(0, 0, 1)
		}
		if sat := time.Date(y, time.March, sunday.Day()-1, 14, 0, 0, 0, ny); sat.After(now.Add(72 * time.Hour)) {
			return ny, sat
		}
	}
}

// withNia adds Nia, a member in New York, to the workspace and the directory.
func (h *harness) withNia() person {
	h.t.Helper()
	h.fake.AddUser(slack.User{ID: "UNIA", Name: "nia", RealName: "Nia York", TZ: "America/New_York",
		Profile: slack.UserProfile{RealName: "Nia York", DisplayName: "Nia York"}})
	if err := h.app.single.handlers.SyncMembers(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	return person{h.fake.Workspace(slackfake.TeamID), "UNIA"}
}

// referTo saves a hot referral from giver to receiver of a prospect of its own and waits for the DM.
func (h *harness) referTo(giver, receiver person, prospect string) {
	h.t.Helper()
	before := len(receiver.dms())
	f := hotForm()
	f.receiver, f.name, f.email, f.phone = receiver.id, prospect, "", "480-555-01"+prospect[len(prospect)-2:]
	if ack := h.refer(giver, f); ack.ResponseAction != "" {
		h.t.Fatalf("refused: %s", pretty(ack))
	}
	h.wait(receiver.id+"'s DM", func() bool { return len(receiver.dms()) == before+1 && h.outboxEmpty() })
}

// TestWeekendNudgeWaitsForMonday: with "nudge on weekends" off (the default), a nudge that falls due
// on the receiver's Saturday waits for their Monday 09:00, here right after the spring-forward
// change of daylight saving; turned on, a nudge goes on the Saturday itself.
func TestWeekendNudgeWaitsForMonday(t *testing.T) {
	h := start(t)
	nia := h.withNia()
	// The environment's default is off; the harness turns it on for the other tests. Ticks months
	// ahead: referrals must not expire meanwhile.
	h.digestSettings(map[string]string{rapport.SetNudgeWeekends: "false", rapport.SetExpireAfter: "87600h"})
	ny, sat := springForward(t, time.Now())
	h.referTo(h.alice, nia, "Prospect 01")

	if res := h.tick(sat); res.Postponed != 1 || res.Claimed != 0 {
		t.Fatalf("Saturday: %+v; want the nudge postponed", res)
	}
	monday := time.Date(sat.Year(), sat.Month(), sat.Day()+2, 9, 0, 0, 0, ny)
	if monday.UTC().Hour() != 13 {
		t.Fatalf("Monday 09:00 in New York is %v; want 13:00 UTC (daylight saving began on Sunday)", monday.UTC())
	}
	h.tick(sat.Add(20 * time.Hour)) // Sunday morning: still the weekend
	if res := h.tick(monday.Add(-time.Minute)); res.Claimed != 0 || len(nia.dms()) != 1 {
		t.Fatalf("Monday 08:59: %+v, %d DMs; want nothing yet", res, len(nia.dms()))
	}
	if res := h.tick(monday); res.Claimed != 1 || len(nia.dms()) != 2 {
		t.Fatalf("Monday 09:00: %+v, %d DMs; want the nudge", res, len(nia.dms()))
	}
	if err := contains(messageText(nia.dms()[1]), "*R-1* from <@UALICE> is waiting on you", "Their need: “A new roof before the monsoon”"); err != nil {
		t.Error(err)
	}

	t.Run("OnWeekends", func(t *testing.T) {
		h.digestSettings(map[string]string{rapport.SetNudgeWeekends: "true", rapport.SetExpireAfter: "87600h"})
		h.referTo(h.carol, nia, "Prospect 02")
		nextSat := sat.AddDate(0, 0, 7)
		before := len(nia.dms())
		if res := h.tick(nextSat); res.Postponed != 0 || res.Claimed < 1 {
			t.Fatalf("Saturday with weekends on: %+v; want the nudge at once", res)
		}
		if !nudged(nia, before, "*R-2* from <@UCAROL> is waiting on you") {
			t.Error("no nudge about R-2 on Saturday")
		}
	})
}

// TestQuietHoursNudge: a nudge that falls due in the receiver's quiet hours waits for their end in
// the receiver's own zone, across the night daylight saving begins (the night is an hour shorter),
// and a Friday night's nudge, with weekends off, waits past the weekend for Monday 09:00.
func TestQuietHoursNudge(t *testing.T) {
	h := start(t)
	nia := h.withNia()
	h.digestSettings(map[string]string{rapport.SetQuietHours: "21:00-08:00", rapport.SetExpireAfter: "87600h"})
	ny, sat := springForward(t, time.Now())
	h.referTo(h.alice, nia, "Prospect 01")
	h.referTo(h.alice, h.bob, "Prospect 02") // Bob is in Phoenix, where 23:00 in New York is 21:00

	night := time.Date(sat.Year(), sat.Month(), sat.Day(), 23, 0, 0, 0, ny) // Saturday 23:00 EST
	if res := h.tick(night); res.Postponed != 2 {
		t.Fatalf("Saturday 23:00 in New York: %+v; want both nudges postponed", res)
	}
	// Sunday 08:00 EDT is 12:00 UTC: the night lost an hour.
	morning := time.Date(sat.Year(), sat.Month(), sat.Day()+1, 8, 0, 0, 0, ny)
	if morning.UTC().Hour() != 12 {
		t.Fatalf("Sunday 08:00 in New York is %v; want 12:00 UTC", morning.UTC())
	}
	if res := h.tick(morning.Add(-time.Minute)); res.Claimed != 0 || len(nia.dms()) != 1 {
		t.Fatalf("07:59 in New York: %+v; want nothing yet", res)
	}
	if res := h.tick(morning); res.Claimed != 1 || len(nia.dms()) != 2 || len(h.bob.dms()) != 1 {
		t.Fatalf("08:00 in New York (05:00 in Phoenix): %+v, Nia %d DMs, Bob %d; want Nia's nudge alone",
			res, len(nia.dms()), len(h.bob.dms()))
	}
	if err := contains(messageText(nia.dms()[1]), "*R-1* from <@UALICE> is waiting on you"); err != nil {
		t.Error(err)
	}
	phoenix, _ := time.LoadLocation("America/Phoenix")
	bobMorning := time.Date(sat.Year(), sat.Month(), sat.Day()+1, 8, 0, 0, 0, phoenix)
	if res := h.tick(bobMorning); res.Claimed != 1 || len(h.bob.dms()) != 2 {
		t.Fatalf("08:00 in Phoenix: %+v, Bob %d DMs; want his nudge", res, len(h.bob.dms()))
	}

	t.Run("FridayNightWaitsForMonday", func(t *testing.T) {
		h.digestSettings(map[string]string{rapport.SetQuietHours: "21:00-08:00", rapport.SetNudgeWeekends: "false",
			rapport.SetExpireAfter: "87600h"})
		h.referTo(h.carol, nia, "Prospect 03")
		friday := time.Date(sat.Year(), sat.Month(), sat.Day()+6, 22, 0, 0, 0, ny)
		before := len(nia.dms())
		h.tick(friday)
		h.tick(friday.Add(11 * time.Hour)) // Saturday 09:00: quiet hours are over, the weekend is not
		if len(nia.dms()) != before {
			t.Fatalf("nudged over the weekend: %d DMs; want %d", len(nia.dms()), before)
		}
		monday := time.Date(sat.Year(), sat.Month(), sat.Day()+9, 9, 0, 0, 0, ny)
		h.tick(monday)
		if !nudged(nia, before, "*R-3* from <@UCAROL> is waiting on you") {
			t.Error("no nudge about R-3 on Monday 09:00")
		}
	})
}

// nudged reports whether a DM of p's after the first `after` says what.
func nudged(p person, after int, what string) bool {
	for _, m := range p.dms()[after:] {
		if strings.Contains(messageText(m), what) {
			return true
		}
	}
	return false
}
