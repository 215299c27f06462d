package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/handlers/notify"
)

// runPairingEverywhere runs the weekly pairing job on every replica at once, at now, and waits
// until what it queued was delivered.
func (h *harness) runPairingEverywhere(now time.Time) {
	h.t.Helper()
	h.runWeeklyEverywhere("pairing", now, func(c *notify.Catalogue) func(context.Context, time.Time) error { return c.RunPairing })
}

// suggestionsTo are p's pairing suggestions, oldest first.
func suggestionsTo(p person) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range p.dms() {
		if strings.Contains(m.Text, "This week, meet") {
			out = append(out, m)
		}
	}
	return out
}

// partnerIn is the member a suggestion names.
func partnerIn(m slackfake.Message) string {
	rest, _ := strings.CutPrefix(m.Text, ":handshake: This week, meet <@")
	id, _, _ := strings.Cut(rest, ">")
	return id
}

// pairingHistory gives a group of 30 a known history: Alice sent Bob five referrals he never
// returned, Carol sent Dave two, member 4 sent member 5 one; members 6 and 7 sent each other some
// (two-way); member 29, who does not opt in, sent member 8 nine; members 10 and 11 had a 1:1; the
// asks of members 12 and 13 match. Everybody else never met.
func (h *harness) pairingHistory(people []person) {
	h.t.Helper()
	var facts []rapport.Fact
	give := func(from, to person, n int) {
		for range n {
			facts = append(facts, rapport.Fact{Ref: int64(len(facts) + 1), Giver: from.id, Receiver: to.id, Temperature: rapport.Hot,
				Status: rapport.StatusLost, Created: time.Now().Add(-time.Duration(60-len(facts)) * 24 * time.Hour)})
		}
	}
	give(people[0], people[1], 5)
	give(people[2], people[3], 2)
	give(people[4], people[5], 1)
	give(people[6], people[7], 3)
	give(people[7], people[6], 2)
	give(people[29], people[8], 9)
	if err := h.store.SeedFacts(h.ctx, slackfake.TeamID, facts); err != nil {
		h.t.Fatal(err)
	}
	if n, err := h.store.RebuildAggregates(h.ctx, slackfake.TeamID, time.UTC); err != nil || n != len(facts) {
		h.t.Fatalf("rebuild: %d of %d, %v", n, len(facts), err)
	}
	o, err := h.store.RecordOneOnOne(h.ctx, slackfake.TeamID, "env-pairing-1to1", rapport.OneOnOne{Recorder: people[10].id,
		Partner: people[11].id, Met: rapport.DateOf(time.Now(), time.UTC).AddDays(-3), Created: time.Now()}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.store.AnswerOneOnOne(h.ctx, slackfake.TeamID, o.Number, people[11].id, true, time.Now(), nil); err != nil {
		h.t.Fatal(err)
	}
	for i, ask := range map[int]string{12: "Introductions to wedding planners and event venues in Scottsdale",
		13: "Couples planning a wedding who need a florist or an event venue"} {
		if err := h.store.SetAsk(h.ctx, slackfake.TeamID, people[i].id, ask, time.Now()); err != nil {
			h.t.Fatal(err)
		}
	}
}

// TestPairingOverAGroupOf30: over a group of 30 with a known give and take, two replicas running
// the weekly pairing at once suggest one set: every member who opted in gets one suggestion, the
// two who did not get none; the one-sided relationships come first and say so, members who met
// are not paired while others never did, matching asks are named. Book a 1:1 tells both once; a
// second click, by either, is answered. Admins see the week's pairs, best first; others are
// refused. The week after, no pair comes again, and a member who opted out gets nothing.
func TestPairingOverAGroupOf30(t *testing.T) {
	h := startReplicas(t, 2)
	h.allow(90 * time.Second)
	people := h.group(30)
	h.pairingHistory(people)
	if err := contains(h.say(people[0], "pairing"), "You're not in the weekly pairing"); err != nil {
		t.Error(err)
	}
	for _, p := range people[:28] {
		h.say(p, "pairing on")
	}
	if err := contains(h.say(people[0], "pairing on"), "You're already in", "Pairing isn't running in this group yet"); err != nil {
		t.Error(err)
	}
	// Mondays at midnight in the group's zone (UTC): due now, whatever the day of the week.
	h.digestSettings(map[string]string{rapport.SetPairingSchedule: "0 0 * * 1"})
	if err := contains(h.say(people[0], "pairing"), "You're in the weekly pairing", "Suggestions come Mondays at 00:00 (UTC)"); err != nil {
		t.Error(err)
	}

	now := time.Now()
	h.runPairingEverywhere(now)
	partner := map[string]string{}
	for i, p := range people {
		got := suggestionsTo(p)
		want := 1
		if i >= 28 {
			want = 0 // did not opt in
		}
		if len(got) != want {
			t.Fatalf("%s has %d suggestions; want %d", p.id, len(got), want)
		}
		if want == 1 {
			partner[p.id] = partnerIn(got[0])
		}
	}
	for a, b := range partner {
		if partner[b] != a {
			t.Errorf("%s was suggested %s, who was suggested %s", a, b, partner[b])
		}
	}
	one := func(p person) string { return messageText(suggestionsTo(p)[0]) }
	if err := contains(one(people[1]), "<@UALICE> sent you 5 referrals you haven't returned yet", "You two have never had a 1:1.", "Book a 1:1"); err != nil {
		t.Error(err)
	}
	if err := contains(one(people[0]), "You sent <@UBOB> 5 referrals they haven't returned yet"); err != nil {
		t.Error(err)
	}
	if err := contains(one(people[3]), "<@UCAROL> sent you 2 referrals you haven't returned yet"); err != nil {
		t.Error(err)
	}
	if err := contains(one(people[5]), "<@"+people[4].id+"> sent you 1 referral you haven't returned yet"); err != nil {
		t.Error(err)
	}
	if strings.Contains(one(people[6]), "haven't returned") || strings.Contains(one(people[8]), "haven't returned") {
		t.Errorf("a two-way relationship, or one with a member who did not opt in, suggested as one-sided:\n%s\n%s", one(people[6]), one(people[8]))
	}
	if partner[people[10].id] == people[11].id {
		t.Error("members 10 and 11, who met, were paired while both have members they never met")
	}
	if partner[people[12].id] != people[13].id {
		t.Errorf("member 12 was paired with %s; want member 13, whose ask matches", partner[people[12].id])
	} else if err := contains(one(people[12]), "<@"+people[13].id+">'s ask matches yours: *"); err != nil {
		t.Error(err)
	}

	// Later the same week, on both replicas: nothing more.
	h.runPairingEverywhere(now.Add(time.Hour))
	for _, p := range people[:28] {
		if n := len(suggestionsTo(p)); n != 1 {
			t.Fatalf("%s has %d suggestions after a second run the same week", p.id, n)
		}
	}

	// The admins' view: the week's pairs, the one-sided first, most one-sided first.
	if err := contains(h.adminCommand(h.carol, "pairs").Text, "Only the group's admins can see this week's pairs"); err != nil {
		t.Error(err)
	}
	listing := unjson(mustJSON(t, h.adminCommand(h.dave, "pairs")))
	if err := contains(listing, "*This week's pairs*", "14 pairs, 0 booked",
		"1. <@UALICE> and <@UBOB>: <@UALICE> sent <@UBOB> 5 unreturned · never had a 1:1",
		"2. <@UCAROL> and <@UDAVE>: <@UCAROL> sent <@UDAVE> 2 unreturned",
		fmt.Sprintf("3. <@%s> and <@%s>: <@%[1]s> sent <@%[2]s> 1 unreturned", people[4].id, people[5].id), "14. "); err != nil {
		t.Error(err)
	}
	if strings.Count(listing, "unreturned") != 3 {
		t.Errorf("want three one-sided pairs:\n%s", listing)
	}

	// Alice books; both are told once; a second click, hers or Bob's, is answered.
	h.tap(h.alice, suggestionsTo(h.alice)[0], notify.ActionPairingBook)
	h.dmWith(h.bob, "<@UALICE> wants to book a 1:1 with you this week")
	h.dmWith(h.alice, "I've told <@UBOB> you'd like to book a 1:1 with them this week")
	h.tap(h.alice, suggestionsTo(h.alice)[0], notify.ActionPairingBook)
	h.tap(h.bob, suggestionsTo(h.bob)[0], notify.ActionPairingBook)
	h.wait("the answers to the second clicks", func() bool {
		return len(h.ephemeralsWith("UALICE", "You already booked your 1:1 with <@UBOB>")) == 1 &&
			len(h.ephemeralsWith("UBOB", "<@UALICE> already asked to book your 1:1")) == 1 && h.outboxEmpty()
	})
	posted := func(p person) (n int) {
		for _, m := range p.dms() {
			if !m.Ephemeral {
				n++
			}
		}
		return n
	}
	if n, m := posted(h.alice), posted(h.bob); n != 2 || m != 2 {
		t.Errorf("Alice has %d DMs, Bob %d; want each the suggestion and one word of the booking", n, m)
	}
	if err := contains(unjson(mustJSON(t, h.adminCommand(h.dave, "pairs"))), "14 pairs, 1 booked", ":calendar: booked by <@UALICE>"); err != nil {
		t.Error(err)
	}

	// The week after: member 27 opted out; no pair comes again; each member at most once.
	if err := contains(h.say(people[27], "pairing off"), "You're out"); err != nil {
		t.Error(err)
	}
	h.runPairingEverywhere(now.Add(7 * 24 * time.Hour))
	again := 0
	for i, p := range people {
		got := suggestionsTo(p)
		switch {
		case i == 27 && len(got) != 1, i > 27 && len(got) != 0:
			t.Errorf("%s, out, has %d suggestions", p.id, len(got))
		case i >= 27:
		case len(got) > 2:
			t.Errorf("%s has %d suggestions after two weeks", p.id, len(got))
		case len(got) == 2:
			again++
			if partnerIn(got[1]) == partner[p.id] {
				t.Errorf("%s suggested %s two weeks in a row", p.id, partner[p.id])
			}
			if partnerIn(got[1]) == people[27].id {
				t.Errorf("%s suggested member 27, who opted out", p.id)
			}
		}
	}
	if again < 24 {
		t.Errorf("only %d of the 27 members in got a suggestion the second week", again)
	}
	if partnerIn(suggestionsTo(h.alice)[1]) == "UBOB" {
		t.Error("Alice and Bob again")
	}
	// Last week's suggestion books nothing now.
	daveDMs := len(h.dave.dms())
	h.tap(h.carol, suggestionsTo(h.carol)[0], notify.ActionPairingBook)
	h.wait("the answer to a click on last week's", func() bool {
		return len(h.ephemeralsWith("UCAROL", "That suggestion was for an earlier week, so nothing was booked")) == 1
	})
	if len(h.dave.dms()) != daveDMs {
		t.Error("a click on last week's suggestion told the other member")
	}
}

// TestPairingOffByDefault: until an admin sets its day and time, pairing suggests nothing, even to
// members who opted in, and says so; opting in and out answers in words, whatever was typed.
func TestPairingOffByDefault(t *testing.T) {
	h := start(t)
	if err := contains(h.say(h.alice, "pairing on"), "You're in", "Pairing isn't running in this group yet", "`/refer settings`"); err != nil {
		t.Error(err)
	}
	h.say(h.bob, "pairing ON")
	h.runPairingEverywhere(time.Now())
	if n := len(suggestionsTo(h.alice)) + len(suggestionsTo(h.bob)); n != 0 {
		t.Errorf("%d suggestions with pairing off", n)
	}
	if err := contains(h.adminCommand(h.dave, "pairs").Text, "No pairs were suggested in the week of", "Pairing isn't running"); err != nil {
		t.Error(err)
	}
	for _, tt := range []struct{ text, want string }{
		{"pairing off", "You're out: no more pairing suggestions"},
		{"pairing off", "You're not in the weekly pairing, so there's nothing to stop"},
		{"pairing", "You're not in the weekly pairing"},
		{"pairing sometimes", "Type `/refer pairing on`"},
	} {
		if err := contains(h.say(h.alice, tt.text), tt.want); err != nil {
			t.Errorf("%s: %v", tt.text, err)
		}
	}
}
