package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// dmAbout is p's latest DM that names referral id.
func (h *harness) dmAbout(p person, id string) slackfake.Message {
	h.t.Helper()
	dms := p.dms()
	for i := len(dms) - 1; i >= 0; i-- {
		if strings.Contains(dms[i].Text, id) {
			return dms[i]
		}
	}
	h.t.Fatalf("no DM to %s about %s", p.id, id)
	return slackfake.Message{}
}

// closeWon closes referral id as its receiver p, with value (major units, USD), through the DM's
// button and its form; n is how many forms p has had opened before.
func (h *harness) closeWon(p person, id, value string, n int) {
	h.t.Helper()
	h.closeWonIn(p, id, value, "USD", n)
}

// closeWonIn is closeWon in currency.
func (h *harness) closeWonIn(p person, id, value, currency string, n int) {
	h.t.Helper()
	h.tap(p, h.dmAbout(p, id), "ref:won")
	ack, err := p.submitView(h.ctx, h.openedView(p, n+1), map[string]slack.BlockAction{"value": {Value: value}, "currency": {Value: currency}})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		h.t.Fatalf("closing %s refused: %s, %v", id, ack.Payload, err)
	}
	h.wait("the close", h.outboxEmpty)
}

// say is p's ephemeral answer to "/refer text", as they read it.
func (h *harness) say(p person, text string) string {
	h.t.Helper()
	ack, err := p.command(h.ctx, text)
	if err != nil {
		h.t.Fatal(err)
	}
	return unjson(ack.Payload)
}

// Rule 12: Alice gives Dana to Bob, Bob passes her on to Carol, Carol closes. Alice gave one
// prospect (not two), Bob passed one on (apart), and the business is Alice's.
func TestPassOnCountsOnce(t *testing.T) {
	h := start(t)
	h.referred()
	h.tap(h.bob, h.bob.dms()[0], "ref:pass_on")
	ack, err := h.bob.submitView(h.ctx, h.openedView(h.bob, 1), map[string]slack.BlockAction{
		"member": {SelectedUser: "UCAROL"}, "note": {Value: "Carol does roofs"},
	})
	if err != nil || decodeAck(ack).ResponseAction != "" {
		t.Fatalf("pass on refused: %s, %v", ack.Payload, err)
	}
	h.wait("Carol's DM", func() bool { return len(h.carol.dms()) == 1 && h.outboxEmpty() })

	board := h.say(h.dave, "leaderboard")
	if err := contains(board, "1. <@UALICE>: *1* hot · 0 warm · 0 leads", "2. <@UBOB>: *0* hot · 0 warm · 0 leads · 1 passed on"); err != nil {
		t.Error(err)
	}
	if strings.Contains(board, "<@UALICE>: *2*") || strings.Contains(board, "<@UCAROL>: *") {
		t.Errorf("the chain counted twice:\n%s", board)
	}
	today := h.say(h.dave, "leaderboard day")
	if err := contains(today, "Leaderboard: "+time.Now().UTC().Format("Monday, Jan 2"), "1. <@UALICE>: *1* hot · 0 warm · 0 leads"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "stats"), "Given: *1*: *1 hot* (qualified)", "Passed on to a better-placed member: *0*"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.bob, "stats"), "Given: *0*", "Passed on to a better-placed member: *1* (not counted as given)", "Received: *1*"); err != nil {
		t.Error(err)
	}
	ledger := h.say(h.alice, "ledger")
	if err := contains(ledger, "<@UBOB>: you gave 1, received 0"); err != nil {
		t.Error(err)
	}
	if strings.Contains(ledger, "<@UCAROL>: you gave") {
		t.Errorf("Alice's ledger counts the pass-on as hers:\n%s", ledger)
	}
	if err := contains(h.say(h.bob, "ledger"), "<@UALICE> sent you 1 (1 passed on), you sent them none"); err != nil {
		t.Error(err)
	}

	// Carol closes through the link: the business is Alice's, the giver's.
	h.closeWon(h.carol, "R-2", "2500", 0)
	board = h.say(h.dave, "leaderboard")
	if err := contains(board, `*Business their referrals brought*\n1. <@UALICE>: 1 referral closed ($2,500.00)`); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "stats"), "Given: *1*:", "Business their referrals brought others: *1* ($2,500.00)"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.carol, "stats"), "Closed: *1* ($2,500.00)"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "ledger"), "<@UBOB>: you gave 1, received 0", "<@UCAROL> · closed: $0.00 from theirs, $2,500.00 from yours"); err != nil {
		t.Error(err)
	}
}

// Rule 10: a closed value is seen by its giver, its receiver and admins; Carol, none of these,
// sees counts and ranks but no amount anywhere, unless the group makes values public.
func TestClosedValuesStayPrivate(t *testing.T) {
	h := start(t)
	zone, _ := time.LoadLocation("America/Phoenix")
	h.digestSettings(map[string]string{rapport.SetDigestSchedule: "0 9 * * 1", rapport.SetTimeZone: "America/Phoenix"})
	h.referred()
	h.closeWon(h.bob, "R-1", "2500", 0)
	const amount = "2,500"

	hidden := func(where, s string) {
		t.Helper()
		if strings.Contains(s, amount) {
			t.Errorf("%s shows the closed value to a member who is neither giver, receiver nor admin:\n%s", where, s)
		}
	}
	board := h.say(h.carol, "leaderboard")
	if err := contains(board, "1. <@UALICE>: 1 referral closed"); err != nil {
		t.Error(err)
	}
	hidden("the leaderboard", board)
	hidden("stats @alice", h.say(h.carol, "stats <@UALICE|alice>"))
	hidden("stats @bob", h.say(h.carol, "stats <@UBOB|bob>"))
	h.openHome(h.carol, "home")
	home := unjson(h.home(h.carol, 1).View)
	if err := contains(home, "Top givers", "<@UALICE>"); err != nil {
		t.Error(err)
	}
	hidden("Carol's Home", home)

	// The giver, the receiver and an admin see it.
	for _, tt := range []struct {
		p    person
		cmd  string
		want string
	}{
		{h.alice, "leaderboard", "<@UALICE>: 1 referral closed ($2,500.00)"},
		{h.alice, "stats", "brought others: *1* ($2,500.00)"},
		{h.bob, "stats", "Closed: *1* ($2,500.00)"},
		{h.dave, "leaderboard", "<@UALICE>: 1 referral closed ($2,500.00)"},
		{h.dave, "stats <@UBOB|bob>", "Closed: *1* ($2,500.00)"},
	} {
		if err := contains(h.say(tt.p, tt.cmd), tt.want); err != nil {
			t.Errorf("%s, /refer %s: %v", tt.p.id, tt.cmd, err)
		}
	}
	// Bob, the receiver, sees his own value on the board, not another's row.
	if err := contains(h.say(h.bob, "leaderboard"), "<@UALICE>: 1 referral closed"); err != nil {
		t.Error(err)
	}

	// Whatever goes to the channel carries no amount: the shout-out, a shared board, the digest.
	shared, _ := h.carol.command(h.ctx, "leaderboard")
	blocks, _ := json.Marshal(decodeAck(shared).Blocks)
	h.tap(h.carol, slackfake.Message{Channel: slackfake.GeneralChannelID, Blocks: blocks}, "board:share")
	h.wait("the shared board", func() bool { return count(h.public(), "Shared by <@UCAROL>") == 1 && h.outboxEmpty() })
	sched, _ := cron.ParseStandard("0 9 * * 1")
	h.runDigestEverywhere(sched.Next(time.Now().In(zone)).Add(time.Minute))
	h.wait("the digest", func() bool { return count(h.public(), "Weekly digest") == 1 })
	for _, m := range h.public() {
		hidden("the channel", messageText(m))
	}

	// Public values on: the next shared board shows the amount.
	h.digestSettings(map[string]string{rapport.SetPublicValues: "true"})
	h.tap(h.carol, slackfake.Message{Channel: slackfake.GeneralChannelID, Blocks: blocks}, "board:share")
	h.wait("the second shared board", func() bool { return count(h.public(), "Shared by <@UCAROL>") == 2 && h.outboxEmpty() })
	var last slackfake.Message
	for _, m := range h.public() {
		if strings.Contains(messageText(m), "Shared by <@UCAROL>") {
			last = m
		}
	}
	if err := contains(messageText(last), "<@UALICE>: 1 referral closed ($2,500.00)"); err != nil {
		t.Errorf("public values on: %v", err)
	}
	if err := contains(h.say(h.carol, "stats <@UBOB|bob>"), "Closed: *1* ($2,500.00)"); err != nil {
		t.Errorf("public values on: %v", err)
	}
}

// Rule 17: recommendations appear in stats, the ledger, the Home and the digest, apart from
// referrals.
func TestRecommendationsCounted(t *testing.T) {
	h := start(t)
	zone, _ := time.LoadLocation("America/Phoenix")
	h.digestSettings(map[string]string{rapport.SetDigestSchedule: "0 9 * * 1", rapport.SetTimeZone: "America/Phoenix"})
	for _, v := range []struct {
		p    person
		text string
	}{
		{h.carol, "vouch <@UBOB|bob> told the Hendersons he's the roofer for them"},
		{h.alice, "vouch <@UBOB|bob> recommended him to my neighbour"},
		{h.bob, "vouch <@UCAROL|carol> sent a client her way"},
	} {
		if err := contains(h.say(v.p, v.text), "Recorded: you vouched for"); err != nil {
			t.Fatal(err)
		}
	}
	h.wait("the vouch DMs", func() bool { return len(h.bob.dms()) == 2 && len(h.carol.dms()) == 1 && h.outboxEmpty() })

	if err := contains(h.say(h.bob, "stats"), "Given: *0*", "Recommendations (`/refer vouch`): *1* given, *2* received"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "stats <@UCAROL|carol>"), "Recommendations (`/refer vouch`): *1* given, *1* received"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.bob, "ledger"), "<@UCAROL> · recommendations: 1 by you, 1 by them", "<@UALICE> · recommendations: 0 by you, 1 by them"); err != nil {
		t.Error(err)
	}
	h.openHome(h.bob, "home")
	if err := contains(unjson(h.home(h.bob, 1).View), `*Recommendations*\n1 given · 2 received`, `*Given*\n0:`); err != nil {
		t.Error(err)
	}
	sched, _ := cron.ParseStandard("0 9 * * 1")
	h.runDigestEverywhere(sched.Next(time.Now().In(zone)).Add(time.Minute))
	h.wait("the digest", func() bool { return count(h.public(), "Weekly digest") == 1 })
	for _, m := range h.public() {
		if strings.Contains(m.Text, "Weekly digest") {
			if err := contains(messageText(m), "No referrals given this week", "*3 recommendations this week* (counted apart from referrals), for <@UBOB>, <@UCAROL>"); err != nil {
				t.Error(err)
			}
		}
	}
}

// A group that counts in euros sees its numbers in euros on the leaderboard, in stats and in the
// ledger; a deal closed in another currency counts as a deal but is not added to them as if it
// were euros (its own DM shows its value).
func TestNumbersInTheGroupsCurrency(t *testing.T) {
	h := start(t)
	h.digestSettings(map[string]string{rapport.SetCurrency: "EUR"})
	h.referred() // Alice to Bob
	second := hotForm()
	second.receiver, second.name, second.phone, second.email = "UCAROL", "Sam Patel", "(480) 555-0199", "sam@patel.example"
	if ack := h.refer(h.alice, second); ack.ResponseAction != "" {
		t.Fatalf("second referral refused: %s", pretty(ack))
	}
	h.wait("Carol's DM", func() bool { return len(h.carol.dms()) == 1 && h.outboxEmpty() })
	h.closeWonIn(h.bob, "R-1", "2500", "EUR", 0)
	h.closeWonIn(h.carol, "R-2", "1000000", "JPY", 0)

	board := h.say(h.dave, "leaderboard")
	if err := contains(board, "1. <@UALICE>: 2 referrals closed (2,500.00 EUR)"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "stats"), "Business their referrals brought others: *2* (2,500.00 EUR)"); err != nil {
		t.Error(err)
	}
	if err := contains(h.say(h.alice, "ledger"), "closed: 0.00 EUR from theirs, 2,500.00 EUR from yours"); err != nil {
		t.Error(err)
	}
	for _, where := range []string{board, h.say(h.alice, "stats"), h.say(h.alice, "ledger")} {
		if strings.Contains(where, "$") || strings.Contains(where, "1,002,500") {
			t.Errorf("a euro group's numbers in dollars, or yen added as euros:\n%s", where)
		}
	}
}
