package rapport

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// One-to-ones: two members meet to learn enough about each other to refer (the seeds of a
// referral group). One records it (/refer 1to1 @member), the other confirms it with one tap or
// declines it; only a confirmed 1:1 counts, once, for both of them: in their numbers, in their
// ledger (how many, when they last met) and in the digest. One left unconfirmed expires.

// OneOnOneStatus is where a recorded 1:1 stands.
type OneOnOneStatus string

// The statuses of a 1:1: pending until the other member answers, then confirmed or declined, or
// expired when nobody answered within OneOnOneExpiry.
const (
	OneOnOnePending   OneOnOneStatus = "pending"
	OneOnOneConfirmed OneOnOneStatus = "confirmed"
	OneOnOneDeclined  OneOnOneStatus = "declined"
	OneOnOneExpired   OneOnOneStatus = "expired"
)

// OneOnOneStatuses are every status of a 1:1.
var OneOnOneStatuses = []OneOnOneStatus{OneOnOnePending, OneOnOneConfirmed, OneOnOneDeclined, OneOnOneExpired}

// Counts reports whether a 1:1 in status s counts in the numbers: confirmed only.
func (s OneOnOneStatus) Counts() bool { return s == OneOnOneConfirmed }

// Roles of a 1:1's messages: RoleRecorder is the member who recorded it, RolePartner the member
// they met, who confirms it.
const (
	RoleRecorder Role = "recorder"
	RolePartner  Role = "partner"
)

// Limits of a 1:1: how long the other member has to confirm it, how far back one may be
// recorded (in days), and how long its note may be, in characters as Slack counts them (after
// escaping).
const (
	OneOnOneExpiry  = 14 * 24 * time.Hour
	OneOnOneMaxDays = 90
	MaxOneOnOneNote = 300
)

// OneOnOne is a one-to-one meeting as recorded.
type OneOnOne struct {
	Number   int64
	Recorder string // who recorded it
	Partner  string // the member they met, who confirms it
	Met      Date   // the day they met, in the group's zone when it was recorded
	Note     string
	Status   OneOnOneStatus
	Created  time.Time
	Answered time.Time // confirmed, declined or expired; zero while pending
}

// Expires is when the 1:1 expires if nobody confirms it.
func (o OneOnOne) Expires() time.Time { return o.Created.Add(OneOnOneExpiry) }

// Date is a calendar day, without a zone: the day two members met.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is t's calendar day in loc (nil: UTC).
func DateOf(t time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseCompactDate reads "20060102", as storage keeps a date; ok is false for anything else.
func ParseCompactDate(s string) (Date, bool) {
	t, err := time.Parse("20060102", s)
	if err != nil {
		return Date{}, false
	}
	return DateOf(t, time.UTC), true
}

// Compact writes d as "20060102": sortable, and a number, as the ledger's "last met" keeps it.
func (d Date) Compact() string { return d.noon().Format("20060102") }

// String writes d as "2006-01-02", as members type it.
func (d Date) String() string { return d.noon().Format("2006-01-02") }

// Label writes a recent d as members read it: "Thu, May 2".
func (d Date) Label() string { return d.noon().Format("Mon, Jan 2") }

// LongLabel writes d with its year, for a day that may be long ago: "May 2, 2026".
func (d Date) LongLabel() string { return d.noon().Format("Jan 2, 2006") }

// IsZero reports whether d is no date.
func (d Date) IsZero() bool { return d == Date{} }

// Start is d's first instant in loc (nil: UTC).
func (d Date) Start(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return StartOfDay(d.Year, d.Month, d.Day, loc)
}

// AddDays is the day n days after d (before, for a negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.noon().AddDate(0, 0, n), time.UTC) }

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.noon().Before(o.noon()) }

func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

// weekdays reads a weekday's name, whole or its first three letters.
var weekdays = func() map[string]time.Weekday {
	m := map[string]time.Weekday{}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		m[name], m[name[:3]] = d, d
	}
	return m
}()

// dateLike matches a word meant as a date that is not one ParseMetOn reads (5/2, 2-5-2026,
// 2026-5-2…): refused with the forms it reads, never taken for the start of a note.
var dateLike = regexp.MustCompile(`^\d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?$`)

// MetOnHelp says which dates ParseMetOn reads.
const MetOnHelp = "today, yesterday, a weekday (`monday`, `last friday`) or a date like `2026-05-02`"

// ParseMetOn reads the day a 1:1 took place from the first words of what a member typed, in the
// group's zone loc at now: "today", "yesterday", a weekday ("friday": the latest Friday, today
// included; "last friday": the one before today), or "2006-01-02". It returns the day and how many
// words it used: none (and today) when the first word is no date, so the words are the note. A
// word meant as a date that it cannot read, a day in the future or one more than OneOnOneMaxDays
// ago is a user-facing error.
func ParseMetOn(words []string, now time.Time, loc *time.Location) (Date, int, error) {
	today := DateOf(now, loc)
	if len(words) == 0 {
		return today, 0, nil
	}
	w := strings.ToLower(words[0])
	var d Date
	used := 1
	switch {
	case w == "today":
		d = today
	case w == "yesterday":
		d = today.AddDays(-1)
	case w == "last" && len(words) > 1 && isWeekday(words[1]):
		d, used = latest(today.AddDays(-1), weekdays[strings.ToLower(words[1])]), 2
	case isWeekday(w):
		d = latest(today, weekdays[w])
	case dateLike.MatchString(w):
		t, err := time.Parse("2006-01-02", w)
		if err != nil {
			return Date{}, 0, Errorf(EINVALID, "I can't read %q as a date: write %s.", words[0], MetOnHelp)
		}
		d = DateOf(t, time.UTC)
	default:
		return today, 0, nil
	}
	switch {
	case today.Before(d):
		return Date{}, 0, Errorf(EINVALID, "%s is in the future: record a one-to-one once you've met.", d.Label())
	case d.Before(today.AddDays(-OneOnOneMaxDays)):
		return Date{}, 0, Errorf(EINVALID, "%s is more than %d days ago: I record one-to-ones of the last %d days.", d.String(), OneOnOneMaxDays, OneOnOneMaxDays)
	}
	return d, used, nil
}

func isWeekday(w string) bool {
	_, ok := weekdays[strings.ToLower(w)]
	return ok
}

// latest is the last day on or before d that falls on wd.
func latest(d Date, wd time.Weekday) Date {
	back := (int(d.noon().Weekday()) - int(wd) + 7) % 7
	return d.AddDays(-back)
}

// OneOnOneRefused is a 1:1 that could not be recorded or answered as asked, with the 1:1 as it
// stands, for the handlers to word: Reason "duplicate" (the pair already has one that day, pending
// or confirmed), "forbidden" (only the partner answers), "status" (answered or expired already).
type OneOnOneRefused struct {
	Reason   string
	OneOnOne OneOnOne
}

func (e *OneOnOneRefused) Error() string {
	return fmt.Sprintf("1:1 %d refused: %s (%s)", e.OneOnOne.Number, e.Reason, e.OneOnOne.Status)
}
