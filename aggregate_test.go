package rapport

import (
	"testing"
	"time"
)

// TestDaysWhereMidnightIsSkipped: in zones whose clocks jump over midnight (Santiago, Asunción,
// Havana), each calendar day is still one whole day with its own ID, the days follow each other
// without a gap, and a week still starts on its Monday.
func TestDaysWhereMidnightIsSkipped(t *testing.T) {
	for _, zone := range []string{"America/Santiago", "America/Asuncion", "America/Havana", "America/New_York", "UTC"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		from := StartOfDay(2024, 1, 1, loc)
		days := Days(from, StartOfDay(2025, 1, 1, loc), loc)
		if len(days) != 366 {
			t.Fatalf("%s: 2024 has %d days", zone, len(days))
		}
		seen := map[string]bool{}
		for i, d := range days {
			if seen[d.ID()] || d.From.In(loc).Day() != d.To.Add(-time.Nanosecond).In(loc).Day() {
				t.Fatalf("%s: day %d %s (%v – %v) repeats or spans two dates", zone, i, d.ID(), d.From, d.To)
			}
			seen[d.ID()] = true
			if i > 0 && !days[i-1].To.Equal(d.From) {
				t.Fatalf("%s: a gap between %s and %s", zone, days[i-1].ID(), d.ID())
			}
		}
		jump := time.Date(2024, 9, 8, 12, 0, 0, 0, loc) // Santiago's clocks jump at its midnight
		if w, _ := PeriodOf("week", jump, loc); w.From.Weekday() != time.Monday || !w.Contains(jump) {
			t.Errorf("%s: the week of %v is %v – %v", zone, jump, w.From, w.To)
		}
	}
}
