package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/rapportbot/rapport/scheduler"
)

// oneOnOneAsk waits for p's n-th DM asking them to confirm a 1:1 and returns it.
func (h *harness) oneOnOneAsk(p person, n int) slackfake.Message {
	h.t.Helper()
	var asks []slackfake.Message
	h.wait("the request to confirm", func() bool {
		asks = nil
		for _, m := range p.dms() {
			if strings.Contains(m.Text, "recorded a one-to-one with you") {
				asks = append(asks, m)
			}
		}
		return len(asks) >= n && h.outboxEmpty()
	})
	return asks[n-1]
}

// dmWith waits for a DM to p that contains sub.
func (h *harness) dmWith(p person, sub string) slackfake.Message {
	h.t.Helper()
	var found slackfake.Message
	h.wait("a DM with "+sub, func() bool {
		for _, m := range p.dms() {
			if strings.Contains(messageText(m), sub) {
				found = m
				return h.outboxEmpty()
			}
		}
		return false
	})
	return found
}

// TestOneOnOneConfirmedCountsOnceForBoth: Alice records a 1:1 with Bob, which counts for nobody
// until Bob confirms it with one tap; then it counts once for each of them in their stats, their
// ledgers (how many, when last) and their Homes, once in the week's digest, and a rebuild of the
// aggregates gives the same numbers. A second tap changes nothing and says so.
func TestOneOnOneConfirmedCountsOnceForBoth(t *testing.T) {
	h := start(t)
	h.digestSettings(map[string]string{rapport.SetRecognitionChannel: digestChannel, rapport.SetDigestSchedule: "0 9 * * 1"})
	today := rapport.DateOf(time.Now(), time.UTC)

	ack := h.say(h.alice, "1to1 <@UBOB|bob> today Coffee &amp; roofs &lt;!here&gt;")
	if err := contains(ack, "Recorded your one-to-one with <@UBOB> on *"+today.Label()+"*", "asked them to confirm", "14 days"); err != nil {
		t.Fatal(err)
	}
	ask := h.oneOnOneAsk(h.bob, 1)
	if err := contains(messageText(ask), "<@UALICE> recorded a one-to-one with you on *"+today.Label()+"*",
		"Coffee &amp; roofs &lt;!here&gt;", "Confirm", "Decline"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "stats"), "One-to-ones (`/refer 1to1`): *0* confirmed"); err != nil {
		t.Errorf("unconfirmed, it counts: %v", err)
	}

	h.tap(h.bob, ask, notify.ActionOneOnOneConfirm)
	h.dmWith(h.alice, "<@UBOB> confirmed your one-to-one on *"+today.Label()+"*")
	h.wait("Bob's DM replaced", func() bool {
		for _, m := range h.bob.dms() {
			if m.TS == ask.TS {
				return strings.Contains(m.Text, "You confirmed your one-to-one with <@UALICE>") && len(buttonsOf(m)) == 0
			}
		}
		return false
	})
	// A second tap on the buttons as they were: nothing counts again, and Bob is told.
	h.tap(h.bob, ask, notify.ActionOneOnOneConfirm)
	h.wait("the answer to the second tap", func() bool {
		return len(h.ephemeralsWith("UBOB", "You already confirmed your one-to-one with <@UALICE>")) == 1
	})

	numbers := func() map[string]string {
		return map[string]string{
			"alice stats":  h.say(h.alice, "stats"),
			"bob stats":    h.say(h.bob, "stats"),
			"carol stats":  h.say(h.carol, "stats <@UALICE|alice>"),
			"alice ledger": h.say(h.alice, "ledger"),
			"bob ledger":   h.say(h.bob, "ledger"),
		}
	}
	kept := numbers()
	for _, who := range []string{"alice stats", "bob stats", "carol stats"} {
		if err := contains(kept[who], "One-to-ones (`/refer 1to1`): *1* confirmed"); err != nil {
			t.Errorf("%s: %v", who, err)
		}
	}
	if err := contains(h.say(h.carol, "stats"), "One-to-ones (`/refer 1to1`): *0* confirmed"); err != nil {
		t.Error(err)
	}
	for who, other := range map[string]string{"alice ledger": "<@UBOB>", "bob ledger": "<@UALICE>"} {
		if err := contains(kept[who], "• "+other+" · one-to-ones: 1, last on "+today.LongLabel()); err != nil {
			t.Errorf("%s: %v", who, err)
		}
	}
	h.openHome(h.bob, "home")
	if err := contains(unjson(h.home(h.bob, 1).View), `*One-to-ones*\n1 confirmed`); err != nil {
		t.Errorf("Bob's Home: %v", err)
	}

	// The week's digest counts the meeting once, not once per member.
	sched, _ := cron.ParseStandard("0 9 * * 1")
	at := sched.Next(rapport.Midnight(time.Now(), time.UTC).Add(24*time.Hour - time.Second)) // the next Monday after today
	h.runDigestEverywhere(at.Add(time.Minute))
	var digest string
	for _, m := range h.channelMessages(digestChannel) {
		if strings.Contains(m.Text, "Weekly digest") {
			digest = messageText(m)
		}
	}
	if err := contains(digest, ":coffee: *1 one-to-one this week*", "1 one-to-one."); err != nil {
		t.Error(err)
	}

	// Rebuilt from the 1:1s themselves, the numbers are the same.
	if _, err := h.store.RebuildAggregates(h.ctx, slackfake.TeamID, time.UTC); err != nil {
		t.Fatal(err)
	}
	for what, text := range numbers() {
		if text != kept[what] {
			t.Errorf("%s after a rebuild:\n%s\nwant as kept:\n%s", what, text, kept[what])
		}
	}
}

// TestOneOnOneDeclinedOrExpiredCountsForNobody: a declined 1:1 and one nobody confirmed within 14
// days count for nobody; the recorder is told each time, kindly; a tap on an expired one says it
// expired; declined, the day may be recorded again.
func TestOneOnOneDeclinedOrExpiredCountsForNobody(t *testing.T) {
	h := start(t)
	t0 := time.Now()
	yesterday := rapport.DateOf(t0, time.UTC).AddDays(-1)

	h.say(h.carol, "1to1 <@UDAVE|dave> yesterday")
	h.tap(h.dave, h.oneOnOneAsk(h.dave, 1), notify.ActionOneOnOneDecline)
	if err := contains(messageText(h.dmWith(h.carol, "didn't confirm")), "<@UDAVE> didn't confirm the one-to-one you recorded on *"+yesterday.Label()+"*",
		"isn't counted", "record it again"); err != nil {
		t.Error(err)
	}
	h.say(h.alice, "1to1 <@UCAROL|carol> "+yesterday.String()+" lunch")
	ask := h.oneOnOneAsk(h.carol, 1)

	if res := h.tick(t0.Add(rapport.OneOnOneExpiry - time.Minute)); res != (scheduler.Result{}) {
		t.Fatalf("a minute short of 14 days: %+v; want nothing", res)
	}
	if res := h.tick(t0.Add(rapport.OneOnOneExpiry + time.Minute)); res.OneOnOnesExpired != 1 {
		t.Fatalf("after 14 days: %+v; want Alice's 1:1 expired", res)
	}
	if err := contains(messageText(h.dmWith(h.alice, "wasn't confirmed")), "Your one-to-one with <@UCAROL> on *"+yesterday.Label()+"*",
		"within 14 days", "isn't counted", "record it again"); err != nil {
		t.Error(err)
	}
	if res := h.tick(t0.Add(2 * rapport.OneOnOneExpiry)); res != (scheduler.Result{}) {
		t.Errorf("a later sweep: %+v; want nothing", res)
	}
	h.tap(h.carol, ask, notify.ActionOneOnOneConfirm)
	h.wait("the answer to a tap on an expired 1:1", func() bool {
		return len(h.ephemeralsWith("UCAROL", "expired: nobody confirmed it within 14 days")) == 1
	})

	for _, p := range []person{h.alice, h.carol, h.dave} {
		if err := contains(h.say(p, "stats"), "One-to-ones (`/refer 1to1`): *0* confirmed"); err != nil {
			t.Errorf("%s: %v", p.id, err)
		}
		if err := contains(h.say(p, "ledger"), "No referrals, recommendations or one-to-ones yet"); err != nil {
			t.Errorf("%s: %v", p.id, err)
		}
	}
	for _, k := range h.keys(":{" + slackfake.TeamID + "}:aggr:*") {
		if !strings.HasSuffix(k, ":aggr:keys") {
			t.Errorf("an aggregate written for 1:1s that count for nobody: %s", k)
		}
	}
	// Declined, the day is free again: Dave records it himself.
	if err := contains(h.say(h.dave, "1to1 <@UCAROL|carol> yesterday"), "Recorded your one-to-one with <@UCAROL>"); err != nil {
		t.Error(err)
	}
}

// TestOneOnOneInput: what /refer 1to1 cannot take gets a clear answer, and records nothing.
func TestOneOnOneInput(t *testing.T) {
	h := start(t)
	today := rapport.DateOf(time.Now(), time.UTC)
	long := strings.Repeat("&amp;", rapport.MaxOneOnOneNote/5+1) // each & is five characters for Slack
	tests := []struct{ name, text, want string }{
		{"NoMember", "1to1 bob yesterday", "Type `/refer 1to1 @member [when] [a note]`"},
		{"Self", "1to1 <@UALICE|alice>", "That's you!"},
		{"Bot", "1to1 <@UBOT|rapport>", "<@UBOT> is a bot or no longer in the workspace"},
		{"Future", "1to1 <@UBOB|bob> " + today.AddDays(1).String(), "is in the future"},
		{"TooOld", "1to1 <@UBOB|bob> " + today.AddDays(-91).String(), "more than 90 days ago"},
		{"Unreadable", "1to1 <@UBOB|bob> 5/2 coffee", `as a date: write today, yesterday`},
		{"LongNote", "1to1 <@UBOB|bob> " + long, fmt.Sprintf("Keep the note under %d characters (it has %d)", rapport.MaxOneOnOneNote, len(long))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := contains(h.say(h.alice, tt.text), tt.want); err != nil {
				t.Error(err)
			}
		})
	}
	if err := contains(h.say(h.alice, "1to1 <@UBOB|bob>"), "Recorded your one-to-one with <@UBOB> on *"+today.Label()+"*"); err != nil {
		t.Fatal(err)
	}
	// The same pair's day again, by either of them.
	again := []struct {
		p          person
		text, want string
	}{
		{h.alice, "1to1 <@UBOB|bob> today", "You already recorded your one-to-one with <@UBOB> on *" + today.Label() + "*: it's waiting for them to confirm."},
		{h.bob, "1to1 <@UALICE|alice>", "<@UALICE> already recorded your one-to-one on *" + today.Label() + "*: confirm it with the button in my DM"},
	}
	for _, tt := range again {
		if err := contains(h.say(tt.p, tt.text), tt.want); err != nil {
			t.Errorf("%s again: %v", tt.p.id, err)
		}
	}
	h.oneOnOneAsk(h.bob, 1)
	if n := len(h.keys(":{" + slackfake.TeamID + "}:oneone:[0-9]*")); n != 1 {
		t.Errorf("%d 1:1s recorded; want the one", n)
	}
}
