package rapport

import (
	"strings"
	"time"
)

// Aggregates (issue 11): the numbers are kept as referrals move, per period, so that reading a
// leaderboard or a member's stats costs what it shows, not the history. The counting rules stay
// those of stats.go (Leaderboard, StatsOf, Ledger); storage keeps their sums per period and
// tests prove the two agree.

// PeriodNames are the periods a referral's numbers are kept for: each is a calendar span in the
// group's zone (PeriodOf) with an ID of its own, plus "all".
var PeriodNames = []string{"week", "month", "quarter", "year", "all"}

// PeriodID names p among the periods of its kind: "month:20240501" (its first day in the zone
// PeriodOf built it in), or "all".
func (p Period) ID() string {
	if p.Name == "all" {
		return "all"
	}
	return p.Name + ":" + p.From.Format("20060102")
}

// PeriodIDs are the IDs of every period that includes t, in loc (nil: UTC), space-separated:
// the periods whose numbers a referral created (or closed) at t counts in.
func PeriodIDs(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	ids := make([]string, 0, len(PeriodNames))
	for _, name := range PeriodNames {
		p, _ := PeriodOf(name, t, loc)
		ids = append(ids, p.ID())
	}
	return strings.Join(ids, " ")
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
