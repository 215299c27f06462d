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
