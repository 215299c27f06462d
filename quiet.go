package rapport

import (
	"fmt"
	"strings"
	"time"
)

// QuietHours is a daily window, in a member's own time zone, in which Rapport sends no nudges.
// A window may wrap midnight (21:00-08:00). The zero value is off.
type QuietHours struct {
	Start, End time.Duration // offsets from local midnight; Start == End means off
}

// ParseQuietHours reads "HH:MM-HH:MM", or "off".
func ParseQuietHours(s string) (QuietHours, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") || s == "" {
		return QuietHours{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("%q is not a window: write it as HH:MM-HH:MM (e.g. 21:00-08:00) or off", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return QuietHours{}, err
	}
	end, err := parseClock(to)
	if err != nil {
		return QuietHours{}, err
	}
	if start == end {
		return QuietHours{}, fmt.Errorf("%q starts and ends at the same time: use off to disable quiet hours", s)
	}
	return QuietHours{Start: start, End: end}, nil
}

func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM, 00:00 to 23:59)", strings.TrimSpace(s))
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Off reports whether quiet hours are disabled.
func (q QuietHours) Off() bool { return q.Start == q.End }

func (q QuietHours) String() string {
	if q.Off() {
		return "off"
	}
	c := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return c(q.Start) + "-" + c(q.End)
}

// Until reports whether t, read on the wall clock in loc, falls inside the window, and if so the
// instant the window ends: the next End wall time in loc. The end is built with time.Date in loc,
// so a night that gains or loses an hour to daylight saving still ends at End on the local clock.
func (q QuietHours) Until(t time.Time, loc *time.Location) (end time.Time, quiet bool) {
	if q.Off() {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	y, m, d := lt.Date()
	clock := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	day := d // the local date the window ends on
	switch {
	case q.Start < q.End && clock >= q.Start && clock < q.End: // 13:00-14:00
	case q.Start > q.End && clock >= q.Start: // 21:00-08:00, evening part
		day = d + 1
	case q.Start > q.End && clock < q.End: // 21:00-08:00, morning part
	default:
		return time.Time{}, false
	}
	h, mi := int(q.End/time.Hour), int(q.End%time.Hour/time.Minute)
	end = time.Date(y, m, day, h, mi, 0, 0, loc)
	if !end.After(t) {
		// The clock went back inside the window (t is the second pass of an hour repeated at
		// the end of daylight saving, and time.Date chose End's first pass): what is left of
		// the window is its wall-clock remainder.
		end = t.Add(q.End - clock)
	}
	return end, true
}
