package rapport

import (
	"slices"
	"sort"
	"time"
)

// Fact is what the statistics know of one referral: who, how qualified, how it went and when.
type Fact struct {
	Ref          int64
	Giver        string
	Receiver     string
	Temperature  Temperature
	Status       Status
	Created      time.Time
	FirstAction  time.Time // the receiver's first move; zero if none yet
	FirstContact time.Time // contacted, meeting or won, whichever came first; zero if none
	Won          time.Time // when business closed; zero unless won
	Value        int64     // closed business, minor units
	Currency     string
	PassedBy     string // the member who passed it on to Receiver; "" when the giver made it
	// CreditElsewhere marks a referral the giver made in place of one that had been passed on
	// (withdraw and refer again): its prospect is counted as given where the chain began.
	CreditElsewhere bool
}

// Given reports whether f counts as given for f.Giver (rule 12): one prospect, one credit. The
// giver made it (a fresh referral, or one referred again in place of the giver's own withdrawn
// one) and it was not withdrawn. A link passed on by its receiver is a pass-on for them, never
// given again: the prospect was counted when the giver first gave it.
func (f Fact) Given() bool {
	return f.PassedBy == "" && !f.CreditElsewhere && f.Status != StatusWithdrawn
}

// Received reports whether f counts as received by f.Receiver: unless its giver took it back, as it
// then is not given either (rule 12).
func (f Fact) Received() bool { return f.Status != StatusWithdrawn }

// PassedOn reports whether f's receiver passed it on to another member: their pass-on, shown
// apart from what they gave (rule 12).
func (f Fact) PassedOn() bool { return f.Status == StatusPassed }

// Contacted reports whether the receiver reached the prospect (contacted, a meeting or closed
// business): what follow-up figures count, never a bare accept (rule 1).
func (f Fact) Contacted() bool { return !f.FirstContact.IsZero() }

// Period is a half-open span of time [From, To).
type Period struct {
	Name     string // "day", "week", "month", "quarter", "year", "all"
	From, To time.Time
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// PeriodOf returns the named period that includes now, in the group's time zone (rule 11): the
// calendar day, week (from Monday), month, quarter or year, or all time. ok is false for an unknown name.
// Each starts at its first day's first instant (StartOfDay), so a zone whose clocks jump at
// midnight still has whole days.
func PeriodOf(name string, now time.Time, loc *time.Location) (Period, bool) {
	t := now.In(loc)
	y, m, d := t.Date()
	switch name {
	case "day":
		return Period{name, StartOfDay(y, m, d, loc), StartOfDay(y, m, d+1, loc)}, true
	case "week":
		monday := d - (int(t.Weekday())+6)%7
		return Period{name, StartOfDay(y, m, monday, loc), StartOfDay(y, m, monday+7, loc)}, true
	case "", "month":
		return Period{"month", StartOfDay(y, m, 1, loc), StartOfDay(y, m+1, 1, loc)}, true
	case "quarter":
		first := m - (m-1)%3
		return Period{name, StartOfDay(y, first, 1, loc), StartOfDay(y, first+3, 1, loc)}, true
	case "year":
		return Period{name, StartOfDay(y, 1, 1, loc), StartOfDay(y+1, 1, 1, loc)}, true
	case "all":
		return Period{name, time.Unix(0, 0), now.Add(time.Hour)}, true
	}
	return Period{}, false
}

// StartOfDay is the first instant of the calendar day y-m-d (normalized, as time.Date does) in loc:
// its midnight, or where the clocks jump over midnight (America/Santiago in September), the
// instant they land on, which is on that day and not the one before.
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 12, 0, 0, 0, loc).Date() // noon exists every day
	if t := time.Date(y, m, d, 0, 0, 0, 0, loc); t.Day() == d {
		return t
	}
	// Midnight does not exist: the day begins where the jump lands, the first minute of day d
	// before its 03:00 (no zone's clocks jump further).
	t := time.Date(y, m, d, 3, 0, 0, 0, loc)
	for probe := t.Add(-4 * time.Hour); probe.Before(t); probe = probe.Add(time.Minute) {
		if probe.In(loc).Day() == d {
			return probe.In(loc)
		}
	}
	return t
}

// GiverCount is one line of the givers' board: referrals given by temperature, only hot being
// qualified (rule 1), and the referrals the member passed on, apart (rule 12).
type GiverCount struct {
	Member          string
	Hot, Warm, Cold int
	PassedOn        int
}

// MemberValue is closed business credited to a member.
type MemberValue struct {
	Member string
	Count  int
	Value  int64 // minor units, in the group's main currency
}

// MemberSpeed is a receiver's median time to first contact with a referral's prospect.
type MemberSpeed struct {
	Member string
	Median time.Duration
	Count  int
}

// Board is a period's leaderboard.
type Board struct {
	Givers  []GiverCount  // by hot referrals given, then warm, then passed on; leads do not rank
	Closed  []MemberValue // closed value by giver (the business their referrals brought)
	Fastest []MemberSpeed // receivers by median time to first contact
}

// Leaderboard ranks the facts of referrals created in p (givers, pass-ons, follow-ups) and closed
// in p (value, credited to the giver through any link of a chain).
func Leaderboard(facts []Fact, p Period) Board {
	givers := map[string]*GiverCount{}
	closed := map[string]*MemberValue{}
	speeds := map[string][]time.Duration{}
	giver := func(m string) *GiverCount {
		g := givers[m]
		if g == nil {
			g = &GiverCount{Member: m}
			givers[m] = g
		}
		return g
	}
	for _, f := range facts {
		if p.Contains(f.Created) {
			if f.Given() {
				g := giver(f.Giver)
				switch f.Temperature {
				case Hot:
					g.Hot++
				case Warm:
					g.Warm++
				default:
					g.Cold++
				}
			}
			if f.PassedOn() {
				giver(f.Receiver).PassedOn++
			}
			if f.Contacted() {
				speeds[f.Receiver] = append(speeds[f.Receiver], f.FirstContact.Sub(f.Created))
			}
		}
		if f.Status == StatusWon && p.Contains(f.Won) {
			c := closed[f.Giver]
			if c == nil {
				c = &MemberValue{Member: f.Giver}
				closed[f.Giver] = c
			}
			c.Count++
			c.Value += f.Value
		}
	}
	var b Board
	for _, g := range givers {
		b.Givers = append(b.Givers, *g)
	}
	for _, c := range closed {
		b.Closed = append(b.Closed, *c)
	}
	for m, ds := range speeds {
		b.Fastest = append(b.Fastest, MemberSpeed{Member: m, Median: median(ds), Count: len(ds)})
	}
	SortBoard(&b)
	return b
}

// SortBoard orders a board's lines: givers by hot referrals given, then warm, then passed on;
// closed business by value; the fastest by median time to first contact; ties by member.
func SortBoard(b *Board) {
	sort.Slice(b.Givers, func(i, j int) bool {
		x, y := b.Givers[i], b.Givers[j]
		if x.Hot != y.Hot {
			return x.Hot > y.Hot
		}
		if x.Warm != y.Warm {
			return x.Warm > y.Warm
		}
		if x.PassedOn != y.PassedOn {
			return x.PassedOn > y.PassedOn
		}
		return x.Member < y.Member
	})
	sort.Slice(b.Closed, func(i, j int) bool {
		if b.Closed[i].Value != b.Closed[j].Value {
			return b.Closed[i].Value > b.Closed[j].Value
		}
		return b.Closed[i].Member < b.Closed[j].Member
	})
	sort.Slice(b.Fastest, func(i, j int) bool {
		if b.Fastest[i].Median != b.Fastest[j].Median {
			return b.Fastest[i].Median < b.Fastest[j].Median
		}
		return b.Fastest[i].Member < b.Fastest[j].Member
	})
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// MemberStats are one member's numbers over a period.
type MemberStats struct {
	Given              int // referrals given, each prospect once, never withdrawn (rule 12)
	Hot, Warm, Leads   int // Given by temperature: only hot is qualified (rule 1)
	PassedOn           int // referrals received and passed on to another member, apart from Given
	Received           int // referrals the member received, but those their givers withdrew
	ClosedCount        int // business the member closed from referrals received
	ClosedValue        int64
	BroughtCount       int // business others closed from the member's referrals, through any link
	BroughtValue       int64
	MedianFirstContact time.Duration // as receiver; 0 when none
	ReportedBack       int           // received referrals on which the member reached the prospect
	VouchesGiven       int           // recommendations the member made (/refer vouch), apart from referrals
	VouchesReceived    int           // recommendations others made of the member
	OneOnOnes          int           // confirmed 1:1s the member had, by the day they met (oneone.go)
}

// Conversion is the share of received referrals that closed.
func (s MemberStats) Conversion() float64 { return ratio(s.ClosedCount, s.Received) }

// HotShare is the share of given referrals that were qualified: hot.
func (s MemberStats) HotShare() float64 { return ratio(s.Hot, s.Given) }

// ReportedShare is the share of received referrals on which the member reached the prospect.
func (s MemberStats) ReportedShare() float64 { return ratio(s.ReportedBack, s.Received) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// StatsOf computes a member's numbers from the facts of referrals created in p and the
// recommendations made in p.
func StatsOf(facts []Fact, vouches []Recognition, member string, p Period) MemberStats {
	var s MemberStats
	var firsts []time.Duration
	for _, f := range facts {
		if !p.Contains(f.Created) {
			continue
		}
		won := f.Status == StatusWon
		if f.Giver == member {
			if f.Given() {
				s.Given++
				switch f.Temperature {
				case Hot:
					s.Hot++
				case Warm:
					s.Warm++
				default:
					s.Leads++
				}
			}
			if won {
				s.BroughtCount++
				s.BroughtValue += f.Value
			}
		}
		if f.Receiver == member {
			if f.Received() {
				s.Received++
			}
			if f.PassedOn() {
				s.PassedOn++
			}
			if f.Contacted() {
				s.ReportedBack++
				firsts = append(firsts, f.FirstContact.Sub(f.Created))
			}
			if won {
				s.ClosedCount++
				s.ClosedValue += f.Value
			}
		}
	}
	s.MedianFirstContact = median(firsts)
	for _, v := range vouches {
		if !p.Contains(v.At) {
			continue
		}
		if v.From == member {
			s.VouchesGiven++
		}
		if v.To == member {
			s.VouchesReceived++
		}
	}
	return s
}

// Balance is the give and take between a member and one other member (rule 6).
type Balance struct {
	Other           string
	Given, Received int   // referrals the member gave the other (rule 12), and received from them
	PassedOn        int   // of Received, those the member passed on to another member
	ClosedForOther  int64 // value the other closed from the member's referrals
	ClosedFromOther int64 // value the member closed from the other's referrals
	VouchedFor      int   // recommendations the member made of the other
	VouchedBy       int   // recommendations the other made of the member
	Met             int   // confirmed 1:1s of the two, all time
	LastMet         Date  // the day of the latest of them; zero when none
}

// OneSided reports whether the other sent business the member never returned.
func (b Balance) OneSided() bool { return b.Received > 0 && b.Given == 0 }

// Ledger is a member's balances with everyone they exchanged referrals or recommendations with,
// the most one-sided first (what they owe), then by volume. A referral passed on to the other
// is given by its giver, not by the member who passed it (rule 12); business closed through it
// is the giver's.
func Ledger(facts []Fact, vouches []Recognition, member string) []Balance {
	by := map[string]*Balance{}
	get := func(other string) *Balance {
		b := by[other]
		if b == nil {
			b = &Balance{Other: other}
			by[other] = b
		}
		return b
	}
	for _, f := range facts {
		switch {
		case f.Giver == member && f.Receiver != member:
			if !f.Given() && f.Status != StatusWon {
				continue
			}
			b := get(f.Receiver)
			if f.Given() {
				b.Given++
			}
			if f.Status == StatusWon {
				b.ClosedForOther += f.Value
			}
		case f.Receiver == member && f.Giver != member && f.Received():
			b := get(f.Giver)
			b.Received++
			if f.PassedOn() {
				b.PassedOn++
			}
			if f.Status == StatusWon {
				b.ClosedFromOther += f.Value
			}
		}
	}
	for _, v := range vouches {
		switch {
		case v.From == member && v.To != member:
			get(v.To).VouchedFor++
		case v.To == member && v.From != member:
			get(v.From).VouchedBy++
		}
	}
	out := make([]Balance, 0, len(by))
	for _, b := range by {
		out = append(out, *b)
	}
	SortBalances(out)
	return out
}

// SortBalances orders a ledger: the most one-sided first (what the member owes), then by volume,
// then by member.
func SortBalances(out []Balance) {
	sort.Slice(out, func(i, j int) bool {
		di, dj := out[i].Received-out[i].Given, out[j].Received-out[j].Given
		if di != dj {
			return di > dj
		}
		if ti, tj := out[i].Received+out[i].Given, out[j].Received+out[j].Given; ti != tj {
			return ti > tj
		}
		return out[i].Other < out[j].Other
	})
}
