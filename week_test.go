package rapport_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

func TestNudgeAt(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	quiet, _ := rapport.ParseQuietHours("21:00-08:00")
	at := func(s string) time.Time {
		tt, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	// 2027-03-14 is the US's spring-forward Sunday: Monday 09:00 EDT is 13:00 UTC, not 14:00.
	for _, tc := range []struct {
		name     string
		due      string
		quiet    rapport.QuietHours
		weekends bool
		want     string // "" for not held
	}{
		{"Weekday", "2027-03-12 14:00", quiet, false, ""},
		{"SaturdayWaitsForMonday", "2027-03-13 14:00", rapport.QuietHours{}, false, "2027-03-15 09:00"},
		{"SundayWaitsForMonday", "2027-03-14 12:00", quiet, false, "2027-03-15 09:00"},
		{"FridayNightQuietThenWeekend", "2027-03-12 22:00", quiet, false, "2027-03-15 09:00"},
		{"SaturdayWithWeekendsOn", "2027-03-13 14:00", quiet, true, ""},
		{"SaturdayNightQuietAcrossDST", "2027-03-13 23:00", quiet, true, "2027-03-14 08:00"},
		{"MondayMorningStillQuiet", "2027-03-13 14:00", rapport.QuietHours{Start: 20 * time.Hour, End: 10 * time.Hour}, false, "2027-03-15 10:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due := at(tc.due)
			got, held := rapport.NudgeAt(due, ny, tc.quiet, tc.weekends)
			want := due
			if tc.want != "" {
				want = at(tc.want)
			}
			if held != (tc.want != "") || !got.Equal(want) {
				t.Errorf("NudgeAt(%s) = %v, %v; want %v", tc.due, got.In(ny), held, want.In(ny))
			}
		})
	}
	if got, _ := rapport.NudgeAt(at("2027-03-13 14:00"), ny, rapport.QuietHours{}, false); got.UTC().Hour() != 13 {
		t.Errorf("Monday 09:00 after spring-forward is %v UTC; want 13:00", got.UTC())
	}
}
