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
	facts[0].FirstAction, facts[0].FirstContact = t0.Add(time.Hour), t0.Add(2*time.Hour)
	facts[3].FirstContact = t0.Add(30 * time.Minute)
	facts[4].FirstAction = t0.Add(time.Minute) // accepted only: no contact, no follow-up figure
	b := rapport.Leaderboard(facts, p)
	wantGivers := []rapport.GiverCount{{Member: "UA", Hot: 1, Cold: 1}, {Member: "UC", Warm: 2}, {Member: "UD", Cold: 3}}
	if diff := cmp.Diff(wantGivers, b.Givers); diff != "" {
		t.Errorf("givers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]rapport.MemberValue{{Member: "UA", Count: 1, Value: 50000}}, b.Closed); diff != "" {
		t.Errorf("closed (-want +got):\n%s", diff)
	}
	wantFastest := []rapport.MemberSpeed{{Member: "UA", Median: 30 * time.Minute, Count: 1}, {Member: "UB", Median: 2 * time.Hour, Count: 1}}
	if diff := cmp.Diff(wantFastest, b.Fastest); diff != "" {
		t.Errorf("fastest (-want +got):\n%s", diff)
	}
}

func TestStatsOfAndLedger(t *testing.T) {
	all, _ := rapport.PeriodOf("all", t0, time.UTC)
	won := fact(1, "UA", "UB", rapport.Hot, rapport.StatusWon, t0)
	won.Value, won.FirstAction, won.FirstContact = 1000, t0.Add(time.Hour), t0.Add(time.Hour)
	accepted := fact(2, "UA", "UB", rapport.Cold, rapport.StatusAccepted, t0)
	accepted.FirstAction = t0.Add(time.Minute) // a bare accept is no report of contact
	facts := []rapport.Fact{
		won,
		accepted,
		fact(3, "UC", "UA", rapport.Hot, rapport.StatusNew, t0),
		fact(4, "UC", "UA", rapport.Hot, rapport.StatusNew, t0),
		fact(5, "UC", "UA", rapport.Hot, rapport.StatusNew, t0),
	}
	vouches := []rapport.Recognition{{From: "UA", To: "UB", At: t0}, {From: "UC", To: "UA", At: t0}, {From: "UA", To: "UC", At: t0.AddDate(1, 0, 0)}}
	s := rapport.StatsOf(facts, vouches, "UB", all)
	if s.Received != 2 || s.ClosedCount != 1 || s.ClosedValue != 1000 || s.Conversion() != 0.5 || s.ReportedShare() != 0.5 || s.MedianFirstContact != time.Hour {
		t.Errorf("UB stats = %+v", s)
	}
	if s.VouchesReceived != 1 || s.VouchesGiven != 0 {
		t.Errorf("UB vouches = %d given, %d received; want 0, 1", s.VouchesGiven, s.VouchesReceived)
	}
	a := rapport.StatsOf(facts, vouches, "UA", all)
	if a.Given != 2 || a.Hot != 1 || a.Leads != 1 || a.HotShare() != 0.5 || a.BroughtValue != 1000 || a.Received != 3 {
		t.Errorf("UA stats = %+v", a)
	}
	if a.VouchesGiven != 1 || a.VouchesReceived != 1 {
		t.Errorf("UA vouches = %d given, %d received; want 1, 1 (the one after the period is out)", a.VouchesGiven, a.VouchesReceived)
	}
	l := rapport.Ledger(facts, vouches, "UA")
	want := []rapport.Balance{{Other: "UC", Received: 3, VouchedFor: 1, VouchedBy: 1}, {Other: "UB", Given: 2, ClosedForOther: 1000, VouchedFor: 1}}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	if !l[0].OneSided() || l[1].OneSided() {
		t.Error("one-sided flags wrong")
	}
}

// A pass-on chain: UA gives R1 (hot) to UB, who passes it on as R2 (warm, UB's facts) to UC, who
// passes it on as R3 to UD, who closes it. UA also withdraws R4 from UE and refers it again as R5
// to UF; and withdraws R6 outright; and withdraws R7 (a link UB passed on) to refer it again as R8.
func chain() []rapport.Fact {
	r1 := fact(1, "UA", "UB", rapport.Hot, rapport.StatusPassed, t0)
	r2 := fact(2, "UA", "UC", rapport.Warm, rapport.StatusPassed, t0.Add(time.Hour))
	r2.PassedBy = "UB"
	r3 := fact(3, "UA", "UD", rapport.Cold, rapport.StatusWon, t0.Add(2*time.Hour))
	r3.PassedBy, r3.Value, r3.Won, r3.FirstContact = "UC", 700, t0.Add(3*time.Hour), t0.Add(3*time.Hour)
	r4 := fact(4, "UA", "UE", rapport.Warm, rapport.StatusWithdrawn, t0)
	r5 := fact(5, "UA", "UF", rapport.Warm, rapport.StatusNew, t0.Add(time.Hour))
	r6 := fact(6, "UA", "UE", rapport.Hot, rapport.StatusWithdrawn, t0)
	r7 := fact(7, "UA", "UC", rapport.Hot, rapport.StatusWithdrawn, t0.Add(time.Hour))
	r7.PassedBy = "UB"
	r8 := fact(8, "UA", "UF", rapport.Hot, rapport.StatusNew, t0.Add(2*time.Hour))
	r8.CreditElsewhere = true
	r0 := fact(9, "UA", "UB", rapport.Hot, rapport.StatusPassed, t0) // the prospect of R7 and R8
	return []rapport.Fact{r1, r2, r3, r4, r5, r6, r7, r8, r0}
}

func TestCountingRules(t *testing.T) {
	facts := chain()
	tests := []struct {
		ref             int64
		given, passedOn bool
	}{
		{1, true, true},   // the giver's: counted once, where the chain began; UB passed it on
		{2, false, true},  // a link UB passed on: not given again; UC passed it on in turn
		{3, false, false}, // a link UC passed on, closed: no given credit, but its value is the giver's
		{4, false, false}, // withdrawn: never given
		{5, true, false},  // referred again in place of R4: the prospect's one credit
		{6, false, false}, // withdrawn outright
		{7, false, false}, // a passed link, withdrawn
		{8, false, false}, // referred again in place of R7: the credit stays with R9
		{9, true, true},
	}
	for _, tt := range tests {
		f := facts[tt.ref-1]
		if f.Given() != tt.given || f.PassedOn() != tt.passedOn {
			t.Errorf("R-%d: given %v, passed on %v; want %v, %v", tt.ref, f.Given(), f.PassedOn(), tt.given, tt.passedOn)
		}
	}
}

func TestChainsCountOnce(t *testing.T) {
	p, _ := rapport.PeriodOf("month", t0, time.UTC)
	facts := chain()
	b := rapport.Leaderboard(facts, p)
	// UA gave three prospects (R1 hot, R5 warm, R9 hot); UB and UC passed on, apart; no one else gave.
	wantGivers := []rapport.GiverCount{{Member: "UA", Hot: 2, Warm: 1}, {Member: "UB", PassedOn: 2}, {Member: "UC", PassedOn: 1}}
	if diff := cmp.Diff(wantGivers, b.Givers); diff != "" {
		t.Errorf("givers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]rapport.MemberValue{{Member: "UA", Count: 1, Value: 700}}, b.Closed); diff != "" {
		t.Errorf("closed (-want +got): the link's business is the giver's\n%s", diff)
	}

	a := rapport.StatsOf(facts, nil, "UA", p)
	if a.Given != 3 || a.Hot != 2 || a.Warm != 1 || a.Leads != 0 || a.PassedOn != 0 || a.BroughtCount != 1 || a.BroughtValue != 700 {
		t.Errorf("UA stats = %+v; want 3 given (2 hot, 1 warm), 1 brought (700)", a)
	}
	ub := rapport.StatsOf(facts, nil, "UB", p)
	if ub.Given != 0 || ub.PassedOn != 2 || ub.Received != 2 {
		t.Errorf("UB stats = %+v; want 0 given, 2 received, 2 passed on", ub)
	}
	ud := rapport.StatsOf(facts, nil, "UD", p)
	if ud.Received != 1 || ud.ClosedCount != 1 || ud.ClosedValue != 700 || ud.ReportedBack != 1 {
		t.Errorf("UD stats = %+v", ud)
	}

	// UA's ledger names each prospect once as given: to UB (two), UF (R5); UD closed from UA's.
	l := rapport.Ledger(facts, nil, "UA")
	want := []rapport.Balance{{Other: "UD", ClosedForOther: 700}, {Other: "UF", Given: 1}, {Other: "UB", Given: 2}}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("UA's ledger (-want +got):\n%s", diff)
	}
	lb := rapport.Ledger(facts, nil, "UB")
	if len(lb) != 1 || lb[0].Other != "UA" || lb[0].Received != 2 || lb[0].PassedOn != 2 || lb[0].Given != 0 {
		t.Errorf("UB's ledger = %+v; want 2 received from UA, both passed on", lb)
	}
}

func TestQualifiedIsHotOnly(t *testing.T) {
	all, _ := rapport.PeriodOf("all", t0, time.UTC)
	facts := []rapport.Fact{
		fact(1, "UA", "UB", rapport.Warm, rapport.StatusNew, t0),
		fact(2, "UA", "UB", rapport.Warm, rapport.StatusNew, t0),
		fact(3, "UC", "UB", rapport.Hot, rapport.StatusNew, t0),
	}
	b := rapport.Leaderboard(facts, all)
	if b.Givers[0].Member != "UC" {
		t.Errorf("givers = %+v; want one hot ranked above two warm", b.Givers)
	}
	if s := rapport.StatsOf(facts, nil, "UA", all); s.HotShare() != 0 || s.Warm != 2 {
		t.Errorf("UA = %+v: warm is not qualified", s)
	}
}
