package rapport

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Weekly is a day of the week and a time of day: how the settings form asks for the digest's
// schedule, which is stored as the cron spec WeeklySpec builds (RAPPORT_DIGEST_SCHEDULE stays a cron
// spec, which may say more than a day and a time).
type Weekly struct {
	Day          time.Weekday
	Hour, Minute int
}

// Spec is w as five cron fields: "M H * * D".
func (w Weekly) Spec() string { return fmt.Sprintf("%d %d * * %d", w.Minute, w.Hour, int(w.Day)) }

// Clock is the time of day as HH:MM, the timepicker's format.
func (w Weekly) Clock() string { return fmt.Sprintf("%02d:%02d", w.Hour, w.Minute) }

// String is w as a person reads it: "Mondays at 09:00".
func (w Weekly) String() string { return w.Day.String() + "s at " + w.Clock() }

// ParseWeekly reads a cron spec that runs once a week at one time ("0 9 * * 1", "30 17 * * FRI");
// ok is false for any other (several days, steps, ranges, descriptors such as @weekly), which the
// form shows as it is rather than as a day and a time.
func ParseWeekly(spec string) (w Weekly, ok bool) {
	f := strings.Fields(spec)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" {
		return Weekly{}, false
	}
	m, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 || h > 23 {
		return Weekly{}, false
	}
	d, ok := parseWeekday(f[4])
	if !ok {
		return Weekly{}, false
	}
	return Weekly{Day: d, Hour: h, Minute: m}, true
}

// WithClock is w at the time of day s, written HH:MM.
func (w Weekly) WithClock(s string) (Weekly, error) {
	d, err := parseClock(s)
	if err != nil {
		return w, err
	}
	w.Hour, w.Minute = int(d/time.Hour), int(d%time.Hour/time.Minute)
	return w, nil
}

func parseWeekday(s string) (time.Weekday, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 7 {
			return 0, false
		}
		return time.Weekday(n % 7), true // cron's 7 is Sunday too
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()[:3]) {
			return d, true
		}
	}
	return 0, false
}
