package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
)

var homeNow = time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)

func homeCtx(t *testing.T, notice string) homeContext {
	t.Helper()
	loc, err := time.LoadLocation("America/Phoenix")
	if err != nil {
		t.Fatal(err)
	}
	month, _ := rapport.PeriodOf("month", homeNow, loc)
	return homeContext{month: month, loc: loc, currency: "USD", notice: notice}
}

func homeRef(n int64, giver, receiver string, st rapport.Status, at time.Time) rapport.Referral {
	return rapport.Referral{
		Draft: rapport.Draft{
			Giver: giver, Receiver: receiver,
			Prospect: rapport.Prospect{Name: fmt.Sprintf("Dana <Reyes> %d", n), Company: "Reyes & Sons Bakery",
				Phone: "+14805550142", Email: "dana@reyesbakery.example"},
			Need:  "A new roof before the monsoon <!channel>",
			Facts: rapport.Facts{Spoke: true, MayShare: true, Expects: n%2 == 0},
		},
		Number: n, Status: st, Created: at, Updated: at,
	}
}

func homeFact(r rapport.Referral) rapport.Fact {
	f := rapport.Fact{Ref: r.Number, Giver: r.Giver, Receiver: r.Receiver, Temperature: r.Temperature(),
		Status: r.Status, Created: r.Created}
	if r.Status == rapport.StatusWon {
		f.Won, f.Value, f.Currency = r.Created.Add(time.Hour), 250000, "USD"
	}
	return f
}

// withNumbers fills d's counts and numbers as the open indexes and aggregates hold them, by the Go
// rules (stats.go) over member, every referral me gave or received, and month, the group's
// referrals of homeNow's month.
func withNumbers(d *rapport.HomeData, me string, member, month []rapport.Fact) {
	loc, _ := time.LoadLocation("America/Phoenix")
	p, _ := rapport.PeriodOf("month", homeNow, loc)
	d.HasHistory = len(member) > 0
	d.OpenGiven, d.OpenReceived = 0, 0
	for _, f := range member {
		if f.Status.Open() && f.Giver == me {
			d.OpenGiven++
		}
		if f.Status.Open() && f.Receiver == me {
			d.OpenReceived++
		}
	}
	d.Stats = rapport.StatsOf(member, nil, me, p)
	d.Balances = rapport.Ledger(member, nil, me)
	d.Board = rapport.Leaderboard(month, p)
}

// homeSample is Bob's Home: two referrals waiting on him, one he gave, some history and an ask.
func homeSample() rapport.HomeData {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 17, 0, 0, 0, time.UTC) }
	received := []rapport.Referral{
		homeRef(4, "UALICE", "UBOB", rapport.StatusNew, day(12)),
		homeRef(3, "UCAROL", "UBOB", rapport.StatusContacted, day(10)),
	}
	given := []rapport.Referral{homeRef(2, "UBOB", "UDAVE", rapport.StatusAccepted, day(5))}
	history := []rapport.Referral{
		homeRef(1, "UALICE", "UBOB", rapport.StatusWon, day(2)),
		homeRef(0, "UALICE", "UBOB", rapport.StatusLost, time.Date(2026, 2, 3, 17, 0, 0, 0, time.UTC)),
	}
	var d rapport.HomeData
	d.Received, d.Given = received, given
	var member, month []rapport.Fact
	for _, r := range append(append(append([]rapport.Referral{}, received...), given...), history...) {
		member = append(member, homeFact(r))
		if !r.Created.Before(day(1)) {
			month = append(month, homeFact(r))
		}
	}
	month = append(month, homeFact(homeRef(9, "UCAROL", "UDAVE", rapport.StatusNew, day(11))))
	withNumbers(&d, "UBOB", member, month)
	d.Stats.OneOnOnes = 2
	d.Ask = rapport.Ask{Member: "UBOB", Text: "Introductions to property managers <in> Tempe", At: day(1)}
	d.Opened = true
	return d
}

func TestHomeGolden(t *testing.T) {
	golden(t, "home", homeView("UBOB", homeSample(), homeCtx(t, "")))
}

func TestHomeEmptyGolden(t *testing.T) {
	golden(t, "home_empty", homeView("UNEW", rapport.HomeData{Opened: true}, homeCtx(t, "R-4 is already *Accepted*, so “Accept” no longer applies. Nothing changed.")))
}

// The Home is private to the member, but contact details stay in the DM: name and company only.
func TestHomeHasNoContactDetails(t *testing.T) {
	s := viewJSON(t, homeView("UBOB", homeSample(), homeCtx(t, "")))
	for _, secret := range []string{"5550142", "555-0142", "dana@reyesbakery", "<!channel>", "<Reyes>"} {
		if strings.Contains(s, secret) {
			t.Errorf("Home carries %q", secret)
		}
	}
	if !strings.Contains(s, "Reyes &amp; Sons Bakery") {
		t.Errorf("Home lacks the prospect's company: %s", s)
	}
}

// A member with a long history still gets a valid Home: the newest of each list and a count.
func TestHomeStaysWithinBlockLimits(t *testing.T) {
	var d rapport.HomeData
	var facts []rapport.Fact
	for i := range 600 {
		n := int64(i + 1)
		at := homeNow.Add(-time.Duration(i) * time.Hour)
		r := homeRef(n, "UALICE", "UBOB", rapport.StatusNew, at)
		if i%2 == 1 {
			r = homeRef(n, "UBOB", fmt.Sprintf("U%03d", i%40), rapport.StatusAccepted, at)
		}
		facts = append(facts, homeFact(r))
		if r.Receiver == "UBOB" && len(d.Received) < rapport.HomeListLimit {
			d.Received = append(d.Received, r)
		} else if r.Giver == "UBOB" && len(d.Given) < rapport.HomeListLimit {
			d.Given = append(d.Given, r)
		}
	}
	withNumbers(&d, "UBOB", facts, facts)
	v := homeView("UBOB", d, homeCtx(t, "a notice"))
	if n := len(v.Blocks.BlockSet); n > 100 {
		t.Errorf("%d blocks; Slack allows 100 in a Home", n)
	}
	ids := map[string]bool{}
	for _, b := range v.Blocks.BlockSet {
		id := blockID(b)
		if id != "" && ids[id] {
			t.Errorf("block_id %q twice", id)
		}
		ids[id] = true
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && len(s.Text.Text) > 3000 {
			t.Errorf("section of %d characters", len(s.Text.Text))
		}
	}
	s := viewJSON(t, v)
	for _, want := range []string{"_and 290 older open referrals: their DMs", "_and 290 older open referrals_"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the Home", want)
		}
	}
}

// viewJSON is the view as Slack reads it (no HTML escapes).
func viewJSON(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return unescapeHTML(b.String())
}

func blockID(b slack.Block) string {
	switch b := b.(type) {
	case *slack.SectionBlock:
		return b.BlockID
	case *slack.ActionBlock:
		return b.BlockID
	}
	return ""
}
