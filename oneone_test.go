package rapport

import (
	"strings"
	"testing"
	"time"
)

func TestParseMetOn(t *testing.T) {
	phx, err := time.LoadLocation("America/Phoenix")
	if err != nil {
		t.Fatal(err)
	}
	// Wednesday March 4 in Phoenix, already Thursday March 5 in UTC: the group's zone decides.
	now := time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC)
	day := func(m time.Month, d int) Date { return Date{2026, m, d} }
	tests := []struct {
		name, text string
		want       Date
		used       int
		err        string // a part of the refusal; "" for none
	}{
		{"Nothing", "", day(3, 4), 0, ""},
		{"Today", "today", day(3, 4), 1, ""},
		{"Yesterday", "Yesterday coffee at Joe's", day(3, 3), 1, ""},
		{"WeekdayIsTodayOrBefore", "wednesday", day(3, 4), 1, ""},
		{"ShortWeekday", "Wed", day(3, 4), 1, ""},
		{"Friday", "friday lunch", day(2, 27), 1, ""},
		{"LastWeekday", "last Wednesday", day(2, 25), 2, ""},
		{"LastFriday", "last fri", day(2, 27), 2, ""},
		{"Date", "2026-03-01 at the chamber", day(3, 1), 1, ""},
		{"NinetyDaysAgo", "2025-12-04", Date{2025, 12, 4}, 1, ""},
		{"NoteOnly", "coffee at Joe's", day(3, 4), 0, ""},
		{"LastWithoutWeekday", "last time we spoke", day(3, 4), 0, ""},
		{"ErrFuture", "2026-03-05", Date{}, 0, "in the future"},
		{"ErrTooOld", "2025-12-03", Date{}, 0, "more than 90 days ago"},
		{"ErrSlashes", "3/4", Date{}, 0, `can't read "3/4"`},
		{"ErrNoSuchDay", "2026-02-30", Date{}, 0, "can't read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, used, err := ParseMetOn(strings.Fields(tt.text), now, phx)
			if tt.err != "" {
				if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tt.err) {
					t.Fatalf("ParseMetOn(%q) = %v, %v; want a refusal with %q", tt.text, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want || used != tt.used {
				t.Errorf("ParseMetOn(%q) = %v, %d words, %v; want %v, %d", tt.text, got, used, err, tt.want, tt.used)
			}
		})
	}
}

func TestDate(t *testing.T) {
	d := Date{2026, time.March, 1}
	if d.Compact() != "20260301" || d.String() != "2026-03-01" || d.Label() != "Sun, Mar 1" || d.LongLabel() != "Mar 1, 2026" {
		t.Errorf("%q %q %q %q", d.Compact(), d.String(), d.Label(), d.LongLabel())
	}
	if back, ok := ParseCompactDate(d.Compact()); !ok || back != d {
		t.Errorf("ParseCompactDate(%q) = %v, %v", d.Compact(), back, ok)
	}
	if _, ok := ParseCompactDate("0"); ok {
		t.Error(`ParseCompactDate("0") reads a day`)
	}
	if got := d.AddDays(-1); got != (Date{2026, time.February, 28}) {
		t.Errorf("the day before %v: %v", d, got)
	}
	phx, _ := time.LoadLocation("America/Phoenix")
	if got := d.Start(phx); !got.Equal(time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("its start in Phoenix: %v", got)
	}
}
