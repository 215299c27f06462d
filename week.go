package rapport

import (
	"fmt"
	"time"
)

// WeekStart is when a nudge held over a weekend goes out: Monday at this time of the receiver's day.
const WeekStart = 9 * time.Hour

// Weekend reports whether t, read on the wall clock in loc, falls on a Saturday or Sunday, and if so
// the instant the week starts again: the next Monday at WeekStart in loc. It is built with time.Date
// in loc, so a weekend that gains or loses an hour to daylight saving still ends at 09:00 local.
func Weekend(t time.Time, loc *time.Location) (monday time.Time, weekend bool) {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	var days int
	switch lt.Weekday() {
	case time.Saturday:
		days = 2
	case time.Sunday:
		days = 1
	default:
		return time.Time{}, false
	}
	y, m, d := lt.Date()
	h, mi := int(WeekStart/time.Hour), int(WeekStart%time.Hour/time.Minute)
	return time.Date(y, m, d+days, h, mi, 0, 0, loc), true
}

// NudgeAt is when a nudge falling due at t may go to a receiver in loc: t itself, or the end of
// their quiet hours, or (unless the group nudges on weekends) their Monday morning, whichever holds
// it longest; held reports whether it waits. A Monday morning inside quiet hours waits for their end.
func NudgeAt(t time.Time, loc *time.Location, quiet QuietHours, weekends bool) (at time.Time, held bool) {
	at = t
	for range 4 { // quiet → weekend → quiet settles in at most three steps
		moved := false
		if end, ok := quiet.Until(at, loc); ok {
			at, moved = end, true
		}
		if !weekends {
			if monday, ok := Weekend(at, loc); ok {
				at, moved = monday, true
			}
		}
		if !moved {
			break
		}
	}
	return at, !at.Equal(t)
}

// WeekID names the ISO week t falls in, read in loc (nil: UTC): "2026-W10". A weekly job (the digest,
// the pairing) claims its week by this name.
func WeekID(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}
