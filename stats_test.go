package rapport_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rapportbot/rapport"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // a Wednesday

func fact(n int64, giver, receiver string, temp rapport.Temperature, st rapport.Status, created time.Time) rapport.Fact {
	return rapport.Fact{Ref: n, Giver: giver, Receiver: receiver, Temperature: temp, Status: st, Created: created}
}

func TestPeriodOf(t *testing.T) {
	phx, _ := time.LoadLocation("America/Phoenix")
	tests := []struct {
		name     string
		from, to string
	}{
		{"week", "2026-11-23", "2026-11-30"},
		{"month", "2026-11-01", "2026-12-01"},
		{"", "2026-11-01", "2026-12-01"},
		{"quarter", "2026-10-01", "2027-01-01"},
		{"year", "2026-01-01", "2027-01-01"},
	}
	for _, tt := range tests {
		p, ok := rapport.PeriodOf(tt.name, t0, phx)
		if !ok || p.From.Format("2006-01-02") != tt.from || p.To.Format("2006-01-02") != tt.to || p.From.Location() != phx {
			t.Errorf("%q: %v..%v", tt.name, p.From, p.To)
		}
		if !p.Contains(t0) {
			t.Errorf("%q does not contain now", tt.name)
		}
	}
	if _, ok := rapport.PeriodOf("decade", t0, phx); ok {
		t.Error("unknown period accepted")
	}
}

func TestLeaderboard(t *testing.T) {
	p, _ := rapport.PeriodOf("month", t0, time.UTC)
	won := fact(3, "UA", "UB", rapport.Hot, rapport.StatusWon, t0.AddDate(0, -1, 0)) // created last month, closed now
	won.Won, won.Value = t0, 50000
	facts := []rapport.Fact{
		fact(1, "UA", "UB", rapport.Hot, rapport.StatusNew, t0),
		fact(2, "UA", "UC", rapport.Cold, rapport.StatusNew, t0),
		won,
		fact(4, "UC", "UA", rapport.Warm, rapport.StatusNew, t0),
		fact(5, "UC", "UA", rapport.Warm, rapport.StatusNew, t0),
		fact(6, "UD", "UA", rapport.Cold, rapport.StatusNew, t0),
		fact(7, "UD", "UA", rapport.Cold, rapport.StatusNew, t0),
		fact(8, "UD", "UA", rapport.Cold, rapport.StatusNew, t0),
	}
	facts[0].FirstAction = t0.Add(2 * time.Hour)
	facts[3].FirstAction = t0.Add(30 * time.Minute)
	b := rapport.Leaderboard(facts, p)
	wantGivers := []rapport.GiverCount{{Member: "UC", Warm: 2}, {Member: "UA", Hot: 1, Cold: 1}, {Member: "UD", Cold: 3}}
	if diff := cmp.Diff(wantGivers, b.Givers); diff != "" {
		t.Errorf("givers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]rapport.MemberValue{{Member: "UA", Count: 1, Value: 50000}}, b.Closed); diff != "" {
		t.Errorf("closed (-want +got):\n%s", diff)
	}
	if len(b.Fastest) != 2 || b.Fastest[0].Member != "UA" || b.Fastest[0].Median != 30*time.Minute {
		t.Errorf("fastest = %+v", b.Fastest)
	}
}

func TestStatsOfAndLedger(t *testing.T) {
	all, _ := rapport.PeriodOf("all", t0, time.UTC)
	won := fact(1, "UA", "UB", rapport.Hot, rapport.StatusWon, t0)
	won.Value, won.FirstAction, won.FirstContact = 1000, t0.Add(time.Hour), t0.Add(time.Hour)
	facts := []rapport.Fact{
		won,
		fact(2, "UA", "UB", rapport.Cold, rapport.StatusNew, t0),
		fact(3, "UC", "UA", rapport.Hot, rapport.StatusNew, t0),
		fact(4, "UC", "UA", rapport.Hot, rapport.StatusNew, t0),
		fact(5, "UC", "UA", rapport.Hot, rapport.StatusNew, t0),
	}
	s := rapport.StatsOf(facts, "UB", all)
	if s.Received != 2 || s.ClosedCount != 1 || s.ClosedValue != 1000 || s.Conversion() != 0.5 || s.ReportedShare() != 0.5 || s.MedianFirstContact != time.Hour {
		t.Errorf("UB stats = %+v", s)
	}
	a := rapport.StatsOf(facts, "UA", all)
	if a.Given != 2 || a.QualifiedShare() != 0.5 || a.BroughtValue != 1000 || a.Received != 3 {
		t.Errorf("UA stats = %+v", a)
	}
	l := rapport.Ledger(facts, "UA")
	want := []rapport.Balance{{Other: "UC", Received: 3}, {Other: "UB", Given: 2, ClosedForOther: 1000}}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	if !l[0].OneSided() || l[1].OneSided() {
		t.Error("one-sided flags wrong")
	}
}
