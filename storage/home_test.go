package storage_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/storage/redistest"
)

func TestHomeData(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	// Rob receives 1, 2, 4 from Gia and gives 3 to May; 2 closes; Ola's 5 to May is the group's.
	r1 := f.create(t, team, draft(t, "UROB", "a@x.example", ""))
	r2 := f.create(t, team, draft(t, "UROB", "b@x.example", ""))
	r3 := f.create(t, team, draftFrom(t, "UROB", "UMAY", "c@x.example", ""))
	r4 := f.create(t, team, draft(t, "UROB", "d@x.example", ""))
	f.create(t, team, draftFrom(t, "UOLA", "UMAY", "e@x.example", ""))
	if _, err := f.st.Move(c, rapport.Move{Team: team, Ref: r2.Number, Actor: "UROB", Action: rapport.ActWon, Role: rapport.RoleReceiver,
		Value: 90000, Currency: "USD", Now: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetAsk(c, team, "UROB", "Landlords in Tempe", now); err != nil {
		t.Fatal(err)
	}
	month, _ := rapport.PeriodOf("month", now, time.UTC)

	// Not opened recently: nothing is read, so a refresh nobody would see costs nothing.
	d, err := f.st.HomeData(c, team, "UROB", month)
	if err != nil || d.Opened || len(d.Received)+len(d.Given) != 0 || d.HasHistory {
		t.Fatalf("home of a member who never opened it = %+v, %v; want not opened and nothing read", d, err)
	}
	if err := f.st.OpenedHome(c, team, "UROB", "home", now); err != nil {
		t.Fatal(err)
	}
	d, err = f.st.HomeData(c, team, "UROB", month)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := numbers(d.Received), []int64{r4.Number, r1.Number}; !slices.Equal(got, want) {
		t.Errorf("received = %v, want %v (open, newest first)", got, want)
	}
	if got, want := numbers(d.Given), []int64{r3.Number}; !slices.Equal(got, want) {
		t.Errorf("given = %v, want %v", got, want)
	}
	if d.Received[0].Prospect.Email != "d@x.example" || d.Received[0].Need == "" {
		t.Errorf("received referral not read in full: %+v", d.Received[0])
	}
	if !d.HasHistory {
		t.Error("Rob's Home says he has no history")
	}
	if s := d.Stats; s.Received != 3 || s.Given != 1 || s.ClosedCount != 1 || s.ClosedValue != 90000 {
		t.Errorf("stats = %+v", s)
	}
	if g, r := d.OpenGiven, d.OpenReceived; g != 1 || r != 2 {
		t.Errorf("open counts = %d given, %d received; want 1, 2", g, r)
	}
	if len(d.Board.Givers) != 3 || len(d.Board.Closed) != 1 || d.Board.Closed[0].Member != "UGIA" {
		t.Errorf("the month's board = %+v; want Gia, Rob and Ola giving, Gia's closed business", d.Board)
	}
	if len(d.Balances) != 2 {
		t.Errorf("balances = %+v; want Gia and May", d.Balances)
	}
	if d.Ask.Text != "Landlords in Tempe" || !d.Opened {
		t.Errorf("ask %+v, opened %v; want the ask, opened", d.Ask, d.Opened)
	}

	// A month without referrals has no numbers and no board; the balances stay.
	next, _ := rapport.PeriodOf("month", now.AddDate(0, 1, 0), time.UTC)
	d, err = f.st.HomeData(c, team, "UROB", next)
	if err != nil {
		t.Fatal(err)
	}
	if d.Stats != (rapport.MemberStats{}) || len(d.Board.Givers) != 0 || len(d.Balances) != 2 {
		t.Errorf("next month: stats %+v, board %+v, balances %+v", d.Stats, d.Board, d.Balances)
	}

	// A member with nothing at all.
	if err := f.st.OpenedHome(c, team, "UNOBODY", "home", now); err != nil {
		t.Fatal(err)
	}
	d, err = f.st.HomeData(c, team, "UNOBODY", month)
	if err != nil || len(d.Given)+len(d.Received)+len(d.Balances) != 0 || d.HasHistory || d.Ask.Text != "" {
		t.Errorf("empty member: %+v, %v", d, err)
	}
}

func TestHomeDataListsAtMostTheLimit(t *testing.T) {
	f := newFixture(t)
	for i := range rapport.HomeListLimit + 3 {
		f.create(t, team, draft(t, "UROB", fmt.Sprintf("p%d@x.example", i), ""))
	}
	if err := f.st.OpenedHome(ctx(t), team, "UROB", "home", now); err != nil {
		t.Fatal(err)
	}
	month, _ := rapport.PeriodOf("month", now, time.UTC)
	d, err := f.st.HomeData(ctx(t), team, "UROB", month)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Received) != rapport.HomeListLimit || d.Received[0].Number != rapport.HomeListLimit+3 {
		t.Errorf("received %v; want the newest %d", numbers(d.Received), rapport.HomeListLimit)
	}
	if r := d.OpenReceived; r != rapport.HomeListLimit+3 {
		t.Errorf("open received = %d", r)
	}
}

func outbox(t *testing.T, f *fixture) []redis.XMessage {
	t.Helper()
	ms, err := f.rdb.XRange(ctx(t), f.key(team, "outbox"), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestOpenedHomeAndQueueHome(t *testing.T) {
	f := newFixture(t)
	c := ctx(t)
	if err := f.st.QueueHome(c, team, "home", 7, "", "UROB", "UGIA"); err != nil {
		t.Fatal(err)
	}
	if n := len(outbox(t, f)); n != 0 {
		t.Fatalf("%d entries queued for members who never opened Home", n)
	}
	if err := f.st.OpenedHome(c, team, "UROB", "home", now); err != nil {
		t.Fatal(err)
	}
	ms := outbox(t, f)
	if len(ms) != 1 || ms[0].Values["kind"] != "home" || ms[0].Values["to"] != "UROB" {
		t.Fatalf("after opening: %v", ms)
	}
	if ttl := f.rdb.TTL(c, f.key(team, "home:UROB")).Val(); ttl <= 0 {
		t.Errorf("home mark TTL = %v; want it to expire", ttl)
	}
	month, _ := rapport.PeriodOf("month", now, time.UTC)
	d, err := f.st.HomeData(c, team, "UROB", month)
	if err != nil || !d.Opened {
		t.Errorf("opened = %v, %v", d.Opened, err)
	}

	if err := f.st.QueueHome(c, team, "home", 7, "", "UROB", "UGIA", "UROB"); err != nil {
		t.Fatal(err)
	}
	ms = outbox(t, f)
	if len(ms) != 2 || ms[1].Values["to"] != "UROB" || ms[1].Values["ref"] != "7" {
		t.Fatalf("refresh queued %v; want one for UROB only", ms)
	}
	if err := f.st.QueueHome(c, team, "home", 7, "R-7 is already *Accepted*.", "UGIA"); err != nil {
		t.Fatal(err)
	}
	ms = outbox(t, f)
	if len(ms) != 3 || ms[2].Values["to"] != "UGIA" || ms[2].Values["notice"] != "R-7 is already *Accepted*." {
		t.Fatalf("notice queued %v; want one for UGIA with the notice", ms)
	}
}

// BenchmarkHomeData reads the Home of a member with 500 referrals (half given, half received, a
// fifth of them closed) in a group of 40, and reports the Redis round trips per read (goal: 1 of
// the Home's 3).
func BenchmarkHomeData(b *testing.B) {
	f := newFixture(b)
	fillHome(b, f, "UROB", 500)
	c := ctx(b)
	if err := f.st.OpenedHome(c, team, "UROB", "home", now); err != nil {
		b.Fatal(err)
	}
	var trips redistest.RoundTrips
	f.rdb.AddHook(&trips)
	month, _ := rapport.PeriodOf("month", now, time.UTC)
	reads := 0
	for b.Loop() {
		d, err := f.st.HomeData(c, team, "UROB", month)
		if err != nil {
			b.Fatal(err)
		}
		if !d.HasHistory {
			b.Fatal("no history read")
		}
		reads++
	}
	b.ReportMetric(float64(trips.Load())/float64(reads), "round-trips/op")
}

// fillHome gives member n referrals with the group's other 39 members through the real create and
// move scripts, two hours apart; every fifth one is closed.
func fillHome(b testing.TB, f *fixture, member string, n int) {
	b.Helper()
	group := []rapport.Member{{ID: member, Name: "member", TZ: "America/Phoenix"}}
	for i := range 39 {
		group = append(group, rapport.Member{ID: fmt.Sprintf("U%08d", i), Name: fmt.Sprintf("m%d", i), TZ: "America/Phoenix"})
	}
	c := ctx(b)
	if err := f.st.PutMembers(c, team, group); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		other := group[1+i%39].ID
		giver, receiver := member, other
		if i%2 == 0 {
			giver, receiver = other, member
		}
		d := draftFrom(b, giver, receiver, fmt.Sprintf("p%d@prospect.example", i), "")
		at := now.Add(-time.Duration(n-i) * 2 * time.Hour)
		r, _, err := f.st.CreateReferral(c, rapport.Submission{Team: team, EnvelopeID: fmt.Sprintf("fill-%d", i), Draft: d, Now: at})
		if err != nil {
			b.Fatal(err)
		}
		if i%5 == 0 {
			if _, err := f.st.Move(c, rapport.Move{Team: team, Ref: r.Number, Actor: receiver, Action: rapport.ActWon,
				Role: rapport.RoleReceiver, Value: 100000, Currency: "USD", Now: at.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
