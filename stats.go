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
}

// Period is a half-open span of time [From, To).
type Period struct {
	Name     string // "week", "month", "quarter", "year", "all"
	From, To time.Time
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// PeriodOf returns the named period that includes now, in the group's time zone (rule 11): the
// calendar week (from Monday), month, quarter or year, or all time. ok is false for an unknown name.
func PeriodOf(name string, now time.Time, loc *time.Location) (Period, bool) {
	t := now.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	switch name {
	case "week":
		from := day.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
		return Period{name, from, from.AddDate(0, 0, 7)}, true
	case "", "month":
		from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		return Period{"month", from, from.AddDate(0, 1, 0)}, true
	case "quarter":
		from := time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, loc)
		return Period{name, from, from.AddDate(0, 3, 0)}, true
	case "year":
		from := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc)
		return Period{name, from, from.AddDate(1, 0, 0)}, true
	case "all":
		return Period{name, time.Unix(0, 0), now.Add(time.Hour)}, true
	}
	return Period{}, false
}

// GiverCount is one line of the givers' board: referrals apart from leads (rule 1).
type GiverCount struct {
	Member          string
	Hot, Warm, Cold int
}

// Qualified is what the board ranks: hot and warm, never leads.
func (g GiverCount) Qualified() int { return g.Hot + g.Warm }

// MemberValue is closed business credited to a member.
type MemberValue struct {
	Member string
	Count  int
	Value  int64 // minor units, in the group's main currency
}

// MemberSpeed is a receiver's median time to first act on a referral.
type MemberSpeed struct {
	Member string
	Median time.Duration
	Count  int
}

// Board is a period's leaderboard.
type Board struct {
	Givers  []GiverCount  // by qualified referrals given, then leads
	Closed  []MemberValue // closed value by giver (the business their referrals brought)
	Fastest []MemberSpeed // receivers by median time to first action
}

// Leaderboard ranks the facts of referrals created in p (givers, follow-ups) and closed in p (value).
func Leaderboard(facts []Fact, p Period) Board {
	givers := map[string]*GiverCount{}
	closed := map[string]*MemberValue{}
	speeds := map[string][]time.Duration{}
	for _, f := range facts {
		if p.Contains(f.Created) {
			g := givers[f.Giver]
			if g == nil {
				g = &GiverCount{Member: f.Giver}
				givers[f.Giver] = g
			}
			switch f.Temperature {
			case Hot:
				g.Hot++
			case Warm:
				g.Warm++
			default:
				g.Cold++
			}
			if !f.FirstAction.IsZero() {
				speeds[f.Receiver] = append(speeds[f.Receiver], f.FirstAction.Sub(f.Created))
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
	sort.Slice(b.Givers, func(i, j int) bool {
		x, y := b.Givers[i], b.Givers[j]
		if x.Qualified() != y.Qualified() {
			return x.Qualified() > y.Qualified()
		}
		if x.Hot != y.Hot {
			return x.Hot > y.Hot
		}
		return x.Member < y.Member
	})
	for _, c := range closed {
		b.Closed = append(b.Closed, *c)
	}
	sort.Slice(b.Closed, func(i, j int) bool {
		if b.Closed[i].Value != b.Closed[j].Value {
			return b.Closed[i].Value > b.Closed[j].Value
		}
		return b.Closed[i].Member < b.Closed[j].Member
	})
	for m, ds := range speeds {
		b.Fastest = append(b.Fastest, MemberSpeed{Member: m, Median: median(ds), Count: len(ds)})
	}
	sort.Slice(b.Fastest, func(i, j int) bool {
		if b.Fastest[i].Median != b.Fastest[j].Median {
			return b.Fastest[i].Median < b.Fastest[j].Median
		}
		return b.Fastest[i].Member < b.Fastest[j].Member
	})
	return b
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
	Given, Received    int
	QualifiedGiven     int // hot or warm
	ClosedCount        int // business the member closed from referrals received
	ClosedValue        int64
	BroughtCount       int // business others closed from the member's referrals
	BroughtValue       int64
	MedianFirstContact time.Duration // as receiver; 0 when none
	ReportedBack       int           // received referrals the member acted on
}

// Conversion is the share of received referrals that closed.
func (s MemberStats) Conversion() float64 { return ratio(s.ClosedCount, s.Received) }

// QualifiedShare is the share of given referrals that were not leads.
func (s MemberStats) QualifiedShare() float64 { return ratio(s.QualifiedGiven, s.Given) }

// ReportedShare is the share of received referrals the member reported on.
func (s MemberStats) ReportedShare() float64 { return ratio(s.ReportedBack, s.Received) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// StatsOf computes a member's numbers from the facts of referrals created in p.
func StatsOf(facts []Fact, member string, p Period) MemberStats {
	var s MemberStats
	var firsts []time.Duration
	for _, f := range facts {
		if !p.Contains(f.Created) {
			continue
		}
		won := f.Status == StatusWon
		if f.Giver == member {
			s.Given++
			if f.Temperature != Cold {
				s.QualifiedGiven++
			}
			if won {
				s.BroughtCount++
				s.BroughtValue += f.Value
			}
		}
		if f.Receiver == member {
			s.Received++
			if !f.FirstAction.IsZero() {
				s.ReportedBack++
			}
			if !f.FirstContact.IsZero() {
				firsts = append(firsts, f.FirstContact.Sub(f.Created))
			}
			if won {
				s.ClosedCount++
				s.ClosedValue += f.Value
			}
		}
	}
	s.MedianFirstContact = median(firsts)
	return s
}

// Balance is the give and take between a member and one other member (rule 6).
type Balance struct {
	Other           string
	Given, Received int   // referrals the member gave the other, and received from them
	ClosedForOther  int64 // value the other closed from the member's referrals
	ClosedFromOther int64 // value the member closed from the other's referrals
}

// OneSided reports whether the other sent business the member never returned.
func (b Balance) OneSided() bool { return b.Received > 0 && b.Given == 0 }

// Ledger is a member's balances with everyone they exchanged referrals with, the most one-sided
// first (what they owe), then by volume.
func Ledger(facts []Fact, member string) []Balance {
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
			b := get(f.Receiver)
			b.Given++
			if f.Status == StatusWon {
				b.ClosedForOther += f.Value
			}
		case f.Receiver == member && f.Giver != member:
			b := get(f.Giver)
			b.Received++
			if f.Status == StatusWon {
				b.ClosedFromOther += f.Value
			}
		}
	}
	out := make([]Balance, 0, len(by))
	for _, b := range by {
		out = append(out, *b)
	}
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
	return out
}
