package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
)

func TestWeekDue(t *testing.T) {
	phx, _ := time.LoadLocation("America/Phoenix") // UTC-7 all year
	mon9 := time.Date(2026, 3, 2, 9, 0, 0, 0, phx) // Monday of ISO week 2026-W10
	tests := []struct {
		name, spec string
		now        time.Time
		due        bool
		at         time.Time
		week       string
	}{
		{"BeforeTheHour", "0 9 * * 1", mon9.Add(-time.Minute), false, time.Time{}, ""},
		{"AtTheHour", "0 9 * * 1", mon9, true, mon9, "2026-W10"},
		{"LaterThatWeek", "0 9 * * 1", mon9.Add(6*24*time.Hour + 14*time.Hour), true, mon9, "2026-W10"},
		{"InTheGroupsZoneNotUTC", "0 9 * * 1", time.Date(2026, 3, 2, 15, 59, 0, 0, time.UTC), false, time.Time{}, ""},
		{"FridayNotYetThisWeek", "0 16 * * 5", mon9, false, time.Time{}, ""},
		{"LatestTimeOfTheWeek", "0 9 * * *", mon9.Add(50 * time.Hour), true, mon9.Add(48 * time.Hour), "2026-W10"},
		{"Disabled", "", mon9, false, time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, wk, due, err := weekDue(tt.spec, phx, tt.now)
			if err != nil || due != tt.due || !at.Equal(tt.at) || wk != tt.week {
				t.Errorf("weekDue = %v, %q, %v, %v; want %v, %q, %v", at, wk, due, err, tt.at, tt.week, tt.due)
			}
		})
	}
	if _, _, _, err := weekDue("every monday", phx, mon9); err == nil {
		t.Error("a bad spec was accepted")
	}
}

// digestFixture is a week of a small group, at Monday 2 March 2026, 9:00 in Phoenix.
func digestFixture() ([]rapport.Fact, []rapport.Recognition, []rapport.Ask, rapport.Settings, time.Time) {
	phx, _ := time.LoadLocation("America/Phoenix")
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, phx)
	day := func(n int) time.Time { return at.Add(time.Duration(n) * 24 * time.Hour) }
	facts := []rapport.Fact{
		{Ref: 1, Giver: "UALICE", Receiver: "UBOB", Temperature: rapport.Hot, Status: rapport.StatusWon, Created: day(-20), Won: day(-2), Value: 250000, Currency: "USD"},
		{Ref: 2, Giver: "UALICE", Receiver: "UDAVE", Temperature: rapport.Hot, Status: rapport.StatusAccepted, Created: day(-3)},
		{Ref: 3, Giver: "UCAROL", Receiver: "UBOB", Temperature: rapport.Warm, Status: rapport.StatusNew, Created: day(-4)},
		{Ref: 4, Giver: "UCAROL", Receiver: "UALICE", Temperature: rapport.Cold, Status: rapport.StatusNew, Created: day(-1)},
		{Ref: 5, Giver: "UDAVE", Receiver: "UCAROL", Temperature: rapport.Warm, Status: rapport.StatusWon, Created: day(-6), Won: day(-1), Value: 90000, Currency: "EUR"},
		{Ref: 6, Giver: "UBOB", Receiver: "UALICE", Temperature: rapport.Hot, Status: rapport.StatusNew, Created: day(-30)}, // overdue, older
		{Ref: 7, Giver: "UBOB", Receiver: "UCAROL", Temperature: rapport.Hot, Status: rapport.StatusWon, Created: day(-40), Won: day(-10), Value: 10000},
		// Alice's prospect Bob passed on to Dave: one given for Alice, one pass-on for Bob (rule 12).
		{Ref: 8, Giver: "UALICE", Receiver: "UBOB", Temperature: rapport.Hot, Status: rapport.StatusPassed, Created: day(-3)},
		{Ref: 9, Giver: "UALICE", Receiver: "UDAVE", PassedBy: "UBOB", Temperature: rapport.Warm, Status: rapport.StatusAccepted, Created: day(-2)},
		{Ref: 10, Giver: "UCAROL", Receiver: "UDAVE", Temperature: rapport.Hot, Status: rapport.StatusWithdrawn, Created: day(-2)}, // never given
	}
	thanks := []rapport.Recognition{
		{Kind: rapport.RecognitionThanks, From: "UALICE", To: "UBOB", At: day(-2)},
		{Kind: rapport.RecognitionThanks, From: "UDAVE", To: "UBOB", At: day(-2)},
		{Kind: rapport.RecognitionThanks, From: "UBOB", To: "UCAROL", At: day(-1)},
	}
	asks := []rapport.Ask{
		{Member: "UBOB", Text: "Homeowners in Tempe <!channel> & <https://evil.example|friends>", At: day(-1)},
		{Member: "UDAVE", Text: "Families\nplanning an estate", At: day(-5)},
		{Member: "UCAROL", Text: "", At: day(-6)},
	}
	set := rapport.Settings{TimeZone: phx, Currency: "USD", PublicValues: true, FollowUpSLA: 24 * time.Hour}
	return facts, thanks, asks, set, at
}

// digestVouches are the recommendations of the fixture's week (one before it, not counted).
func digestVouches(at time.Time) []rapport.Recognition {
	day := func(n int) time.Time { return at.Add(time.Duration(n) * 24 * time.Hour) }
	return []rapport.Recognition{
		{Kind: rapport.RecognitionVouch, From: "UALICE", To: "UDAVE", At: day(-3)},
		{Kind: rapport.RecognitionVouch, From: "UCAROL", To: "UDAVE", At: day(-2)},
		{Kind: rapport.RecognitionVouch, From: "UDAVE", To: "UBOB", At: day(-1)},
	}
}

// fixtureDigest is the fixture's digest: its week's numbers by the Go rules (which the aggregates
// equal: storage's TestAggregatesFollowEveryMove), summarized.
func fixtureDigest(set rapport.Settings) weekly {
	facts, thanks, asks, _, at := digestFixture()
	return digestOf(facts, thanks, digestVouches(at), asks, set, at)
}

// digestOf is the digest due at over facts and recognitions, by the Go rules.
func digestOf(facts []rapport.Fact, thanks, vouches []rapport.Recognition, asks []rapport.Ask, set rapport.Settings, at time.Time) weekly {
	from, to := digestSpan(at, set.TimeZone, digestDays)
	span := rapport.SpanOf(facts, thanks, vouches, rapport.Period{Name: "span", From: from, To: to}, at.Add(-set.FollowUpSLA))
	span.Asks = asks
	// The week's confirmed 1:1s, as the days' aggregates keep them: Alice and Bob met twice, Carol
	// and Dave once.
	span.OneOnOnes, span.Met = 3, map[string]int{"UALICE": 2, "UBOB": 2, "UCAROL": 1, "UDAVE": 1}
	return summarize(span, set, from, to)
}

func TestSummarize(t *testing.T) {
	_, _, _, set, at := digestFixture()
	d := fixtureDigest(set)
	if want := time.Date(2026, 2, 23, 0, 0, 0, 0, set.TimeZone); !d.From.Equal(want) || !d.To.Equal(want.AddDate(0, 0, 7)) {
		t.Errorf("the digest of %v covers %v – %v; want the week before, Monday to Sunday", at, d.From, d.To)
	}
	got := map[string]int{"hot": d.Hot, "warm": d.Warm, "leads": d.Leads, "passed on": d.PassedOn, "closed": d.Closed, "overdue": d.Overdue,
		"usd": int(d.Value["USD"]), "eur": int(d.Value["EUR"]), "asks": len(d.Asks), "thanked": len(d.Thanked), "vouches": d.Vouches,
		"one-to-ones": d.OneOnOnes}
	// Hot: R2 and R8 (Alice's); R9 is Bob's pass-on of R8, not given again; R10 was withdrawn.
	want := map[string]int{"hot": 2, "warm": 2, "leads": 1, "passed on": 1, "closed": 2, "overdue": 3, "usd": 250000, "eur": 90000,
		"asks": 2, "thanked": 2, "vouches": 3, "one-to-ones": 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if d.Thanked[0].Member != "UBOB" || len(d.Thanked[0].By) != 2 {
		t.Errorf("most thanked first: %+v", d.Thanked)
	}
	if diff := cmp.Diff([]string{"UDAVE", "UBOB"}, d.Vouched); diff != "" {
		t.Errorf("recommended, most first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]memberCount{{"UALICE", 2}, {"UBOB", 2}}, d.MetMost); diff != "" {
		t.Errorf("most 1:1s: those with two or more, most first (-want +got):\n%s", diff)
	}
	if len(d.TopGivers) != 1 || d.TopGivers[0].Member != "UALICE" || d.TopGivers[0].Hot != 2 {
		t.Errorf("top givers = %+v; want Alice with 2 hot", d.TopGivers)
	}
}

func TestDigestGolden(t *testing.T) {
	_, _, _, set, _ := digestFixture()
	p := digestPost(digestState{to: "C0RECOG", d: fixtureDigest(set), set: set})
	golden(t, "digest", struct {
		Channel, Text string
		Blocks        any
	}{p.Channel, p.Text, p.Blocks})
	b, err := json.Marshal(p.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if text := unescapeHTML(string(b)); strings.Contains(text, "<!channel>") || strings.Contains(text, "<https://evil") {
		t.Error("an ask reached the digest unescaped")
	}
	if len(p.Blocks) > 50 {
		t.Errorf("%d blocks: Slack takes at most 50", len(p.Blocks))
	}
}

func TestDigestHidesValuesUnlessPublic(t *testing.T) {
	_, _, _, set, _ := digestFixture()
	set.PublicValues = false
	b, _ := json.Marshal(digestPost(digestState{to: "C0RECOG", d: fixtureDigest(set), set: set}).Blocks)
	if s := string(b); strings.Contains(s, "2,500.00") || strings.Contains(s, "900.00") || !strings.Contains(s, "2 deals") {
		t.Errorf("values shown while PublicValues is off:\n%s", s)
	}
}

func TestChartIsAPNG(t *testing.T) {
	facts, _, _, set, at := digestFixture()
	from, to := digestSpan(at, set.TimeZone, digestDays*digestWeeks)
	s := weeklySeries(rapport.DayTotalsOf(facts, rapport.Days(from, to, set.TimeZone), set.Currency), from)
	if s.Hot[11] != 2 || s.Warm[11] != 2 || s.Leads[11] != 1 || s.Value[11] != 2500 || s.Closed[11] != 2 || s.Closed[10] != 1 {
		t.Errorf("last weeks: hot %v warm %v leads %v value %v closed %v", s.Hot[10:], s.Warm[10:], s.Leads[10:], s.Value[10:], s.Closed[10:])
	}
	for _, public := range []bool{true, false} {
		set.PublicValues = public
		b, err := chartPNG(s, set)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if r := img.Bounds(); r.Dx() < 600 || r.Dy() < 400 {
			t.Errorf("chart is %v", r)
		}
	}
	if _, err := chartPNG(weeklySeries(nil, from), set); err != nil {
		t.Errorf("an empty quarter: %v", err)
	}
}

func TestDigestWithoutChannelQueuesNothingPublic(t *testing.T) {
	c := &Catalogue{log: zap.NewNop()}
	msgs, err := c.digestMessages(t.Context(), rapport.Settings{}, time.Now(), "2026-W10")
	if err != nil || len(msgs) != 0 {
		t.Errorf("digestMessages with no channel and no inactivity nudges = %v, %v", msgs, err)
	}
}

// While the numbers are rebuilt the digest waits (its numbers would be partial, and members who
// gave would be nudged as inactive); once they are built, the same week's digest goes.
func TestDigestWaitsForTheRebuild(t *testing.T) {
	st := newSampleStore()
	st.rebuilding = true
	set := rapport.Settings{RecognitionChannel: "C0RECOG", DigestSchedule: "0 9 * * 1", TimeZone: time.UTC}
	c := New(zap.NewNop(), st, fixedSettings(set), "T1", nil, func() time.Time { return homeNow }, nil)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // Monday, after 09:00
	if err := c.RunDigest(t.Context(), now); err != nil || len(st.digests) != 0 {
		t.Fatalf("during a rebuild: queued %v, %v; want nothing", st.digests, err)
	}
	st.rebuilding = false
	if err := c.RunDigest(t.Context(), now.Add(time.Hour)); err != nil || len(st.digests) != 1 || st.digests[0] != "2026-W10" {
		t.Fatalf("after the rebuild: queued %v, %v; want 2026-W10", st.digests, err)
	}
}

// The weekly jobs of a process's workspaces take turns: while another workspace's digest holds the
// only turn, this one's waits (here until its context ends, having queued nothing), and goes once
// the turn is free. A chart waits for its turn the same way.
func TestWeeklyJobsTakeTurns(t *testing.T) {
	st := newSampleStore()
	set := rapport.Settings{RecognitionChannel: "C0RECOG", DigestSchedule: "0 9 * * 1", TimeZone: time.UTC}
	turns := NewTurns(1)
	c := New(zap.NewNop(), st, fixedSettings(set), "T1", nil, func() time.Time { return homeNow }, turns)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // Monday, after 09:00

	turns <- struct{}{} // another workspace's digest is being computed
	waited, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.RunDigest(waited, now); !errors.Is(err, context.Canceled) || len(st.digests) != 0 {
		t.Fatalf("while another holds the turn: %v, queued %v; want it to wait, queueing nothing", err, st.digests)
	}
	chart := rapport.OutboxEntry{Kind: DigestChart.Kind, To: "C0RECOG", Fields: map[string]string{digestFieldAt: unixMS(now), digestFieldWeek: "2026-W10"}}
	if _, _, err := c.Render(waited, "T1", chart); !errors.Is(err, context.Canceled) {
		t.Fatalf("a chart while another holds the turn: %v; want it to wait", err)
	}
	<-turns // that digest is done
	if err := c.RunDigest(t.Context(), now); err != nil || len(st.digests) != 1 {
		t.Fatalf("with the turn free: %v, queued %v; want this week's digest", err, st.digests)
	}
	if d, ok, err := c.Render(t.Context(), "T1", chart); err != nil || !ok || d.File == nil {
		t.Fatalf("a chart with the turn free: %+v, %v, %v; want its PNG", d, ok, err)
	}
	if len(turns) != 0 {
		t.Errorf("%d turns still taken after the jobs ended; want none", len(turns))
	}
}
