package rapport

import (
	"time"
)

// Aggregates (issue 11): the numbers are kept as referrals move, per period, so that reading a
// leaderboard or a member's stats costs what it shows, not the history. The counting rules stay
// those of stats.go (Leaderboard, StatsOf, Ledger); storage keeps their sums per period and
// tests prove the two agree.

// PeriodNames are the periods a referral's numbers are kept for: each is a calendar span in the
// group's zone (PeriodOf) with an ID of its own, plus "all". The days serve spans that are no
// calendar period, such as the digest's seven days (DayIDs).
var PeriodNames = []string{"day", "week", "month", "quarter", "year", "all"}

// PeriodID names p among the periods of its kind: "month:20240501" (its first day in the zone
// PeriodOf built it in), or "all".
func (p Period) ID() string {
	if p.Name == "all" {
		return "all"
	}
	return p.Name + ":" + p.From.Format("20060102")
}

// Days are the days in loc (nil: UTC) that [from, to) touches, oldest first: from's day to the
// day of to's last instant, whole days (exact when both are midnights in loc).
func Days(from, to time.Time, loc *time.Location) []Period {
	if loc == nil {
		loc = time.UTC
	}
	var days []Period
	last := to.Add(-time.Nanosecond)
	for p, _ := PeriodOf("day", from, loc); !p.From.After(last); p, _ = PeriodOf("day", p.To, loc) {
		days = append(days, p)
	}
	return days
}

// Span is what the weekly digest counts of a span of days, by the rules of the numbers: the board
// of the referrals created in it and of the business closed in it, that business's value by
// currency (minor units), the thank-yous and recommendations made in it, the confirmed 1:1s held
// in it, and how many referrals created by a deadline still wait for a first move; with the
// members' current asks, which the digest repeats.
type Span struct {
	Board           Board
	Value           map[string]int64
	Thanks, Vouches []Recognition
	Waiting         int
	Asks            []Ask
	// OneOnOnes counts the confirmed 1:1s held in the span, each once; Met, each member's.
	OneOnOnes int
	Met       map[string]int
}

// DayTotal is the group's numbers of one day: referrals given that day by temperature (rule 1,
// each prospect once: rule 12) and passed on, and business closed that day, with its value in one
// currency (minor units).
type DayTotal struct {
	Day                       Period
	Hot, Warm, Cold, PassedOn int
	Closed                    int
	Value                     int64
}

// Midnight is the start of t's day in loc (nil: UTC).
func Midnight(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	p, _ := PeriodOf("day", t, loc)
	return p.From
}

// FirstContactBins are the upper edges of the histogram of times to first contact the aggregates
// keep: a median read from it is exact to the bin (MedianOfBins). A time at or past the last edge
// falls in one more, open, bin.
var FirstContactBins = []time.Duration{
	5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, 45 * time.Minute,
	time.Hour, 90 * time.Minute, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 6 * time.Hour,
	8 * time.Hour, 12 * time.Hour, 18 * time.Hour, 24 * time.Hour, 36 * time.Hour, 48 * time.Hour,
	72 * time.Hour, 96 * time.Hour, 120 * time.Hour, 168 * time.Hour, 240 * time.Hour,
	336 * time.Hour, 504 * time.Hour, 720 * time.Hour,
}

// FirstContactBin is the bin of d: the first whose upper edge is above it.
func FirstContactBin(d time.Duration) int {
	for i, edge := range FirstContactBins {
		if d < edge {
			return i
		}
	}
	return len(FirstContactBins)
}

// BinDuration is what a median in bin i reads as: the bin's upper edge ("within"), or the last
// edge for the open bin.
func BinDuration(i int) time.Duration {
	if i >= len(FirstContactBins) {
		return FirstContactBins[len(FirstContactBins)-1]
	}
	return FirstContactBins[i]
}

// MedianOfBins is the median of a histogram of times to first contact (counts by bin), exact to
// the bin: the bin of the lower middle time, read as BinDuration. 0 when it is empty.
func MedianOfBins(counts map[int]int) (time.Duration, int) {
	n := 0
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return 0, 0
	}
	want := (n + 1) / 2
	seen := 0
	for i := 0; i <= len(FirstContactBins); i++ {
		seen += counts[i]
		if seen >= want {
			return BinDuration(i), n
		}
	}
	return BinDuration(len(FirstContactBins)), n
}

// SpanOf is Span by the rules over facts (what the aggregates equal: storage's tests hold the two
// together): the board of p (Leaderboard), the value of the business closed in p by currency, the
// recognitions made in p, and the referrals still new that were created by waitingBy; no asks.
func SpanOf(facts []Fact, thanks, vouches []Recognition, p Period, waitingBy time.Time) Span {
	s := Span{Board: Leaderboard(facts, p)}
	for _, f := range facts {
		if f.Status == StatusWon && p.Contains(f.Won) && f.Value != 0 {
			if s.Value == nil {
				s.Value = map[string]int64{}
			}
			s.Value[f.Currency] += f.Value
		}
		if f.Status == StatusNew && !f.Created.After(waitingBy) {
			s.Waiting++
		}
	}
	within := func(rs []Recognition) []Recognition {
		var out []Recognition
		for _, r := range rs {
			if p.Contains(r.At) {
				out = append(out, r)
			}
		}
		return out
	}
	s.Thanks, s.Vouches = within(thanks), within(vouches)
	return s
}

// DayTotalsOf is DayTotal by the rules over facts, for each of days: value in currency, a value
// with no currency counting as currency.
func DayTotalsOf(facts []Fact, days []Period, currency string) []DayTotal {
	out := make([]DayTotal, len(days))
	for i, d := range days {
		t := DayTotal{Day: d}
		for _, f := range facts {
			if d.Contains(f.Created) {
				if f.PassedOn() {
					t.PassedOn++
				}
				if f.Given() {
					switch f.Temperature {
					case Hot:
						t.Hot++
					case Warm:
						t.Warm++
					default:
						t.Cold++
					}
				}
			}
			if f.Status == StatusWon && d.Contains(f.Won) {
				t.Closed++
				if f.Currency == currency || f.Currency == "" {
					t.Value += f.Value
				}
			}
		}
		out[i] = t
	}
	return out
}
