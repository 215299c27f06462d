package rapport_test

import (
	"testing"
	"time"

	"github.com/rapportbot/rapport"
)

func TestParseQuietHours(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"21:00-08:00", "21:00-08:00", false},
		{" 22:30 - 06:15 ", "22:30-06:15", false},
		{"off", "off", false},
		{"OFF", "off", false},
		{"09:00-17:00", "09:00-17:00", false},
		{"21:00", "", true},
		{"25:00-08:00", "", true},
		{"21:00-8am", "", true},
		{"08:00-08:00", "", true},
	}
	for _, tt := range tests {
		q, err := rapport.ParseQuietHours(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseQuietHours(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && q.String() != tt.want {
			t.Errorf("ParseQuietHours(%q) = %s, want %s", tt.in, q, tt.want)
		}
	}
	q, _ := rapport.ParseQuietHours("21:00-08:00")
	if q.Start != 21*time.Hour || q.End != 8*time.Hour {
		t.Errorf("window = %v..%v", q.Start, q.End)
	}
}

func TestQuietHoursUntil(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	phx := mustLoad(t, "America/Phoenix")
	lh := mustLoad(t, "Australia/Lord_Howe")
	night, _ := rapport.ParseQuietHours("21:00-08:00")
	lunch, _ := rapport.ParseQuietHours("12:00-13:30")
	early, _ := rapport.ParseQuietHours("00:00-01:30")
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		q    rapport.QuietHours
		loc  *time.Location
		at   time.Time
		want time.Time // zero: not quiet
	}{
		{name: "Off", q: rapport.QuietHours{}, loc: ny, at: utc("2026-03-02T03:00:00Z")},
		{name: "WrapEvening", q: night, loc: phx, at: utc("2026-03-03T06:00:00Z"), want: utc("2026-03-03T15:00:00Z")}, // 23:00 → 08:00 MST
		{name: "WrapMorning", q: night, loc: phx, at: utc("2026-03-03T12:00:00Z"), want: utc("2026-03-03T15:00:00Z")}, // 05:00 → 08:00
		{name: "WrapAtStart", q: night, loc: phx, at: utc("2026-03-03T04:00:00Z"), want: utc("2026-03-03T15:00:00Z")}, // 21:00 sharp
		{name: "WrapAtEnd", q: night, loc: phx, at: utc("2026-03-03T15:00:00Z")},                                      // 08:00 sharp: open
		{name: "WrapJustBefore", q: night, loc: phx, at: utc("2026-03-03T14:59:59Z"), want: utc("2026-03-03T15:00:00Z")},
		{name: "WrapDaytime", q: night, loc: phx, at: utc("2026-03-03T20:00:00Z")},                                     // 13:00
		{name: "WrapBeforeStart", q: night, loc: phx, at: utc("2026-03-03T03:59:00Z")},                                 // 20:59
		{name: "NoWrapInside", q: lunch, loc: phx, at: utc("2026-03-03T19:15:00Z"), want: utc("2026-03-03T20:30:00Z")}, // 12:15 → 13:30
		{name: "NoWrapBefore", q: lunch, loc: phx, at: utc("2026-03-03T18:59:00Z")},
		{name: "NoWrapAfter", q: lunch, loc: phx, at: utc("2026-03-03T20:30:00Z")},
		{name: "NilLocationIsUTC", q: lunch, loc: nil, at: utc("2026-03-03T12:00:00Z"), want: utc("2026-03-03T13:30:00Z")},
		// New York springs forward at 02:00 on 2026-03-08: the night is an hour shorter.
		{name: "SpringForwardEvening", q: night, loc: ny, at: utc("2026-03-08T04:00:00Z"), want: utc("2026-03-08T12:00:00Z")}, // 23:00 EST → 08:00 EDT
		{name: "SpringForwardMorning", q: night, loc: ny, at: utc("2026-03-08T07:30:00Z"), want: utc("2026-03-08T12:00:00Z")}, // 03:30 EDT
		{name: "SpringForwardAfter", q: night, loc: ny, at: utc("2026-03-08T12:00:00Z")},
		// New York falls back at 02:00 on 2026-11-01: the night is an hour longer.
		{name: "FallBackEvening", q: night, loc: ny, at: utc("2026-11-01T03:00:00Z"), want: utc("2026-11-01T13:00:00Z")},       // 23:00 EDT → 08:00 EST
		{name: "FallBackRepeatedHour", q: night, loc: ny, at: utc("2026-11-01T06:30:00Z"), want: utc("2026-11-01T13:00:00Z")},  // 01:30 EST, second pass
		{name: "FallBackMorningBefore", q: night, loc: ny, at: utc("2026-11-01T12:59:00Z"), want: utc("2026-11-01T13:00:00Z")}, // 07:59 EST
		{name: "FallBackMorningAfter", q: night, loc: ny, at: utc("2026-11-01T13:00:00Z")},
		// A window ending inside the repeated hour: its first pass ends it at 01:30 EDT; on the
		// second pass (01:10 EST) the remaining 20 minutes are kept.
		{name: "EndInRepeatedHourFirstPass", q: early, loc: ny, at: utc("2026-11-01T05:10:00Z"), want: utc("2026-11-01T05:30:00Z")},
		{name: "EndInRepeatedHourSecondPass", q: early, loc: ny, at: utc("2026-11-01T06:10:00Z"), want: utc("2026-11-01T06:30:00Z")},
		// Lord Howe moves its clock by 30 minutes: back from 02:00 to 01:30 on 2026-04-05 (+11 → +10:30).
		{name: "LordHoweFallBack", q: night, loc: lh, at: utc("2026-04-04T11:00:00Z"), want: utc("2026-04-04T21:30:00Z")}, // 22:00 +11 → 08:00 +10:30
		// and forward from 02:00 to 02:30 on 2026-10-04 (+10:30 → +11).
		{name: "LordHoweSpringForward", q: night, loc: lh, at: utc("2026-10-03T11:30:00Z"), want: utc("2026-10-03T21:00:00Z")}, // 22:00 +10:30 → 08:00 +11
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, quiet := tt.q.Until(tt.at, tt.loc)
			if quiet != !tt.want.IsZero() || !end.Equal(tt.want) {
				t.Errorf("%s.Until(%s in %v) = %s, %v; want %s, %v", tt.q, tt.at.Format(time.RFC3339), tt.loc,
					end.UTC().Format(time.RFC3339), quiet, tt.want.Format(time.RFC3339), !tt.want.IsZero())
			}
			if quiet && tt.loc != nil {
				// After the end, the clock is out of the window.
				if _, still := tt.q.Until(end, tt.loc); still {
					t.Errorf("still quiet at the end %s", end)
				}
			}
		})
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}
