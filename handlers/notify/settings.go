package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
)

// SettingLabels names each setting as the settings form and its confirmation say it.
var SettingLabels = map[string]string{
	rapport.SetRecognitionChannel: "Recognition channel",
	rapport.SetFollowUpSLA:        "Follow-up window",
	rapport.SetReportBackAfter:    "Report-back reminder",
	rapport.SetExpireAfter:        "Expire open referrals after",
	rapport.SetDigestSchedule:     "Weekly digest schedule",
	rapport.SetPairingSchedule:    "Weekly pairing schedule",
	rapport.SetTimeZone:           "Group time zone",
	rapport.SetQuietHours:         "Quiet hours",
	rapport.SetNudgeWeekends:      "Nudge on weekends",
	rapport.SetPublicValues:       "Show closed values to every member",
	rapport.SetAnnounceHot:        "Announce new hot referrals",
	rapport.SetCurrency:           "Currency",
	rapport.SetInactivityWeeks:    "Inactivity nudge (weeks)",
	rapport.SetWelcomeNewMembers:  "Welcome people who join",
}

// Fields of a settings confirmation: the names changed, and each one's value before and after.
const (
	fieldChanged = "changed"
	fieldWas     = "was."
	fieldNow     = "now."
)

// SettingsSavedNote is the confirmation an admin who saved the settings is owed: the settings
// that changed, was and now, as the entry's fields. The save queues it in the same step.
func SettingsSavedNote(admin string, before, after map[string]string) rapport.OutboxEntry {
	fields := map[string]string{}
	var changed []string
	for _, name := range rapport.SettingNames {
		if before[name] != after[name] {
			changed = append(changed, name)
			fields[fieldWas+name], fields[fieldNow+name] = before[name], after[name]
		}
	}
	fields[fieldChanged] = strings.Join(changed, ",")
	return rapport.OutboxEntry{Kind: SettingsSaved.Kind, To: admin, Fields: fields}
}

// Changed lists the settings a confirmation says changed.
func Changed(note rapport.OutboxEntry) []string {
	if note.Fields[fieldChanged] == "" {
		return nil
	}
	return strings.Split(note.Fields[fieldChanged], ",")
}

// settingsState is a saved change of the settings, as its entry carries it.
type settingsState struct {
	to            string
	changed       []string
	before, after map[string]string
}

func readSettingsSaved(_ context.Context, _ *Catalogue, _ string, e rapport.OutboxEntry) (settingsState, error) {
	if _, ok := e.Fields[fieldChanged]; !ok {
		return settingsState{}, unreadable(e, errNoField)
	}
	s := settingsState{to: e.To, changed: Changed(e), before: map[string]string{}, after: map[string]string{}}
	for _, name := range s.changed {
		s.before[name], s.after[name] = e.Fields[fieldWas+name], e.Fields[fieldNow+name]
	}
	return s, nil
}

func settingsSavedPost(s settingsState) bot.Delivery {
	text := settingsSaved(s.changed, s.before, s.after)
	return bot.Delivery{Channel: s.to, Text: text, Blocks: []slack.Block{kit.Section(text)}}
}

// settingsSaved is the admin's confirmation: each change, was and now.
func settingsSaved(changed []string, before, after map[string]string) string {
	if len(changed) == 0 {
		return ":white_check_mark: Settings saved; nothing changed."
	}
	var b strings.Builder
	b.WriteString(":white_check_mark: *Settings saved.* They apply now, on every Rapport instance within a minute:")
	for _, name := range changed {
		label := SettingLabels[name]
		if label == "" {
			label = kit.Esc(name) // a setting of a newer version, read by an older one
		}
		fmt.Fprintf(&b, "\n• %s: %s (was %s)", label, settingText(name, after[name]), settingText(name, before[name]))
	}
	return b.String()
}

// settingText shows a setting's value in mrkdwn, in words where the form asks in words: a duration
// in hours or days, a weekly digest or pairing as its day and time (no pairing: off).
func settingText(name, v string) string {
	switch name {
	case rapport.SetFollowUpSLA, rapport.SetReportBackAfter, rapport.SetExpireAfter:
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return kit.Duration(d)
		}
	case rapport.SetDigestSchedule, rapport.SetPairingSchedule:
		if w, ok := rapport.ParseWeekly(v); ok {
			return w.String()
		}
		if v == "" && name == rapport.SetPairingSchedule {
			return "off"
		}
	}
	switch {
	case v == "":
		return "none"
	case name == rapport.SetRecognitionChannel:
		return "<#" + kit.Esc(v) + ">"
	case v == "true":
		return "on"
	case v == "false":
		return "off"
	}
	return "`" + kit.Esc(v) + "`"
}
