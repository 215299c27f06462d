package rapport

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Settings are the group's choices. The environment gives the defaults; an admin's saved value for
// a setting overrides its variable, without a restart (env values are never copied into Redis).
type Settings struct {
	RecognitionChannel string // channel ID for public shout-outs; "" for none
	FollowUpSLA        time.Duration
	ReportBackAfter    time.Duration
	DigestSchedule     string // cron spec, in TimeZone
	PairingSchedule    string // cron spec of the weekly pairing suggestions, in TimeZone; "" for none
	TimeZone           *time.Location
	QuietHours         QuietHours
	PublicValues       bool          // shout-outs show the value of closed business
	AnnounceHot        bool          // a new hot referral is announced in the recognition channel
	Currency           string        // the group's currency for closed business
	InactivityWeeks    int           // weeks without giving before a private, friendly nudge; 0: never
	ExpireAfter        time.Duration // an open referral without an event this long closes as expired
	NudgeWeekends      bool          // false: a nudge due on the receiver's weekend waits for Monday 09:00
	WelcomeNewMembers  bool          // a person who joins the workspace gets the welcome DM (off: only on first use)
}

// Setting names: the keys in Redis and the block IDs of the settings form.
const (
	SetRecognitionChannel = "recognition_channel"
	SetFollowUpSLA        = "followup_sla"
	SetReportBackAfter    = "report_back_after"
	SetDigestSchedule     = "digest_schedule"
	SetPairingSchedule    = "pairing_schedule"
	SetTimeZone           = "timezone"
	SetQuietHours         = "quiet_hours"
	SetPublicValues       = "public_values"
	SetAnnounceHot        = "announce_hot"
	SetCurrency           = "currency"
	SetInactivityWeeks    = "inactivity_weeks"
	SetExpireAfter        = "expire_after"
	SetNudgeWeekends      = "nudge_weekends"
	SetWelcomeNewMembers  = "welcome_new_members"
)

// SettingNames lists every setting in the order the form shows them.
var SettingNames = []string{SetRecognitionChannel, SetFollowUpSLA, SetReportBackAfter, SetExpireAfter, SetDigestSchedule,
	SetPairingSchedule, SetTimeZone, SetQuietHours, SetNudgeWeekends, SetPublicValues, SetAnnounceHot, SetCurrency, SetInactivityWeeks,
	SetWelcomeNewMembers}

// Bounds of the durations an admin may set, which the settings form words in hours or days.
const (
	MinWindow      = time.Hour           // follow-up window and report-back reminder
	MaxWindow      = 90 * 24 * time.Hour //
	MinExpireAfter = 24 * time.Hour
	MaxExpireAfter = 3650 * 24 * time.Hour
)

// Timing is the reminder delays of the settings.
func (s Settings) Timing() Timing {
	return Timing{FollowUpSLA: s.FollowUpSLA, ReportBackAfter: s.ReportBackAfter, ExpireAfter: s.ExpireAfter}
}

// SettingNone is stored for a setting an admin emptied although the environment sets it (the
// recognition channel turned off): an empty value would mean "the default".
const SettingNone = "none"

// ScheduleCheck reports whether a cron spec parses. The cron parser lives with the configuration
// and the settings code (handlers), so the domain stays free of it.
type ScheduleCheck func(spec string) error

// Apply returns s with each override parsed and checked (a digest or pairing schedule by schedule); a value
// that does not parse keeps the default and is reported under its name, in words for the admin.
func (s Settings) Apply(over map[string]string, schedule ScheduleCheck) (Settings, FieldErrors) {
	errs := FieldErrors{}
	for name, v := range over {
		v = strings.TrimSpace(v)
		if v == SettingNone {
			v = ""
		}
		if err := s.set(name, v, schedule); err != nil {
			errs[name] = err.Error()
		}
	}
	return s, errs
}

func (s *Settings) set(name, v string, schedule ScheduleCheck) error {
	switch name {
	case SetRecognitionChannel:
		if v != "" && !(strings.HasPrefix(v, "C") || strings.HasPrefix(v, "G")) {
			return fmt.Errorf("Choose a channel.")
		}
		s.RecognitionChannel = v
	case SetFollowUpSLA, SetReportBackAfter:
		d, err := time.ParseDuration(v)
		if err != nil || d < MinWindow || d > MaxWindow {
			return fmt.Errorf("Use a time between 1 hour and 90 days.")
		}
		if name == SetFollowUpSLA {
			s.FollowUpSLA = d
		} else {
			s.ReportBackAfter = d
		}
	case SetExpireAfter:
		d, err := time.ParseDuration(v)
		if err != nil || d < MinExpireAfter || d > MaxExpireAfter {
			return fmt.Errorf("Use a number of days between 1 and 3650.")
		}
		s.ExpireAfter = d
	case SetDigestSchedule:
		if v == "" || schedule == nil || schedule(v) != nil {
			return fmt.Errorf("Not a cron schedule: use five fields, such as “0 9 * * 1” (Mondays 9:00).")
		}
		s.DigestSchedule = v
	case SetPairingSchedule:
		if v != "" && (schedule == nil || schedule(v) != nil) {
			return fmt.Errorf("Not a cron schedule: use five fields, such as “0 9 * * 1” (Mondays 9:00), or leave it empty for no pairing.")
		}
		s.PairingSchedule = v
	case SetTimeZone:
		loc, err := time.LoadLocation(v)
		if err != nil || v == "" {
			return fmt.Errorf("Use a time zone name such as America/Phoenix or Europe/London.")
		}
		s.TimeZone = loc
	case SetQuietHours:
		q, err := ParseQuietHours(v)
		if err != nil {
			return fmt.Errorf("Use HH:MM-HH:MM, such as 21:00-08:00, or off.")
		}
		s.QuietHours = q
	case SetPublicValues, SetAnnounceHot, SetNudgeWeekends, SetWelcomeNewMembers:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("Use on or off.")
		}
		switch name {
		case SetPublicValues:
			s.PublicValues = b
		case SetAnnounceHot:
			s.AnnounceHot = b
		case SetWelcomeNewMembers:
			s.WelcomeNewMembers = b
		default:
			s.NudgeWeekends = b
		}
	case SetCurrency:
		v = strings.ToUpper(v)
		if len(v) != 3 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return fmt.Errorf("Use a three-letter code such as USD, EUR or GBP.")
		}
		s.Currency = v
	case SetInactivityWeeks:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 52 {
			return fmt.Errorf("Use a number of weeks from 0 (never) to 52.")
		}
		s.InactivityWeeks = n
	default:
		return fmt.Errorf("unknown setting")
	}
	return nil
}

// Values writes s as the strings the settings form shows and Apply reads.
func (s Settings) Values() map[string]string {
	zone := "UTC"
	if s.TimeZone != nil {
		zone = s.TimeZone.String()
	}
	return map[string]string{
		SetRecognitionChannel: s.RecognitionChannel,
		SetFollowUpSLA:        durationText(s.FollowUpSLA),
		SetReportBackAfter:    durationText(s.ReportBackAfter),
		SetDigestSchedule:     s.DigestSchedule,
		SetPairingSchedule:    s.PairingSchedule,
		SetTimeZone:           zone,
		SetQuietHours:         s.QuietHours.String(),
		SetPublicValues:       strconv.FormatBool(s.PublicValues),
		SetAnnounceHot:        strconv.FormatBool(s.AnnounceHot),
		SetCurrency:           s.Currency,
		SetInactivityWeeks:    strconv.Itoa(s.InactivityWeeks),
		SetWelcomeNewMembers:  strconv.FormatBool(s.WelcomeNewMembers),
		SetExpireAfter:        durationText(s.ExpireAfter),
		SetNudgeWeekends:      strconv.FormatBool(s.NudgeWeekends),
	}
}

// durationText writes whole hours as "24h" rather than Go's "24h0m0s".
func durationText(d time.Duration) string {
	if d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
}
