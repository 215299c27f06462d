package rapport_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

func TestParseWeekly(t *testing.T) {
	for spec, want := range map[string]string{
		"0 9 * * 1": "Mondays at 09:00", "30 17 * * FRI": "Fridays at 17:30", "5 8 * * 7": "Sundays at 08:05",
		"0 9 * * 1-5": "", "@weekly": "", "0 9 1 * *": "", "*/5 9 * * 1": "", "0 24 * * 1": "",
	} {
		w, ok := rapport.ParseWeekly(spec)
		if got := map[bool]string{true: w.String()}[ok]; got != want {
			t.Errorf("ParseWeekly(%q) = %q; want %q", spec, got, want)
		}
		if ok {
			if back, _ := rapport.ParseWeekly(w.Spec()); back != w {
				t.Errorf("%q does not round-trip: %q", spec, w.Spec())
			}
		}
	}
	w, err := rapport.Weekly{Day: time.Tuesday}.WithClock("07:45")
	if err != nil || w.Spec() != "45 7 * * 2" {
		t.Errorf("WithClock = %v, %v", w.Spec(), err)
	}
	if _, err := w.WithClock("25:00"); err == nil {
		t.Error("25:00 accepted")
	}
}
