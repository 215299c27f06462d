package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// callbackSettings is the callback_id of the admins' settings modal.
const callbackSettings = "settings"

var settingHints = map[string]string{
	rapport.SetRecognitionChannel: "Where closed business is thanked in public. Invite Rapport to it (/invite @Rapport) so it can post there. Empty: no public posts.",
	rapport.SetFollowUpSLA:        "Hours a receiver has to accept, contact or pass on a referral before a nudge: 24 is a day.",
	rapport.SetReportBackAfter:    "Days after contact before the receiver is asked how it went: 7 is a week, 0.5 is 12 hours.",
	rapport.SetExpireAfter:        "Days without any news before an open referral closes as expired, giver and receiver told: 90 is about three months.",
	rapport.SetDigestSchedule:     "The day the weekly digest is posted, in the group's time zone.",
	digestTimeBlock:               "The time the weekly digest is posted, in the group's time zone.",
	rapport.SetPairingSchedule:    "The day each member who opted in (/refer pairing on) gets a private suggestion of a member to meet one to one. Leave the day and the time empty for no pairing.",
	pairingTimeBlock:              "The time the pairing suggestions are sent, in the group's time zone.",
	rapport.SetTimeZone:           "The zone of the digest, the periods and the exports: America/Phoenix, Europe/London.",
	rapport.SetQuietHours:         "No nudges in this window of each member's own day: 21:00-08:00, or off.",
	rapport.SetNudgeWeekends:      "Off: a nudge due on a member's Saturday or Sunday waits for their Monday at 09:00.",
	rapport.SetPublicValues:       "Off: a closed value is seen only by its giver, its receiver and admins; others see counts and ranks. On: every member sees values everywhere: shout-outs, leaderboards, shared boards, stats, the digest and its chart.",
	rapport.SetAnnounceHot:        "Whether a new hot referral is announced in the recognition channel.",
	rapport.SetCurrency:           "Three letters: USD, EUR, GBP.",
	rapport.SetInactivityWeeks:    "Weeks without giving before a member gets a private, friendly nudge; 0 for never.",
	rapport.SetWelcomeNewMembers:  "Whether a person who joins the workspace gets Rapport's welcome DM (members always get it on first use).",
}

// digestTimeBlock and pairingTimeBlock are the blocks of the digest's and the pairing's time of
// day; each day is under the setting's own name, so an error about the schedule lands on the day.
const (
	digestTimeBlock  = "digest_time"
	pairingTimeBlock = "pairing_time"
)

// weekly is a schedule the form asks for as a day and a time of the week.
type weekly struct {
	timeBlock string
	what      string // "digest", "pairing": the form's labels and errors
	// off: the day and the time left empty turn it off (the pairing); otherwise they keep a
	// schedule the form cannot show, which the digest always has.
	off bool
}

// weeklies are the settings the form asks for as a day and a time, by name.
var weeklies = map[string]weekly{
	rapport.SetDigestSchedule:  {timeBlock: digestTimeBlock, what: "digest"},
	rapport.SetPairingSchedule: {timeBlock: pairingTimeBlock, what: "pairing", off: true},
}

// durationUnit is how the form asks for a duration: a number of hours or of days (decimals allowed),
// never a Go duration, which stays for the environment.
type durationUnit struct {
	unit time.Duration
	name string // "hours", "days"
}

var durationUnits = map[string]durationUnit{
	rapport.SetFollowUpSLA:     {time.Hour, "hours"},
	rapport.SetReportBackAfter: {24 * time.Hour, "days"},
	rapport.SetExpireAfter:     {24 * time.Hour, "days"},
}

// settingsForm answers "/refer settings": an admin gets the form, filled in with the settings in force.
func (h *Handlers) settingsForm(ctx context.Context, r *bot.Request, _ string) (any, error) {
	user := r.Command.UserID
	if err := h.requireAdmin(ctx, r.Team, user, "change Rapport's settings"); err != nil {
		return nil, err
	}
	trigger := r.Command.TriggerID
	r.After(func(ctx context.Context) error {
		if _, err := h.api.OpenViewContext(ctx, trigger, settingsModal(user, h.settings.Get(ctx).Values())); err != nil {
			return fmt.Errorf("views.open settings: %w", err)
		}
		return nil
	})
	return nil, nil
}

// settingsModal is the form of every setting, in rapport.SettingNames order, each input's block_id
// the setting's name so that Apply's errors land under it (the digest's time has a block of its
// own). private_metadata names the admin it was opened for: Slack delivers a submission only for a
// view this app opened, so a submission by that user is an admin's without another read.
func settingsModal(admin string, v map[string]string) slack.ModalViewRequest {
	blocks := make([]slack.Block, 0, len(rapport.SettingNames)+2)
	for _, name := range rapport.SettingNames {
		blocks = append(blocks, settingBlocks(name, v)...)
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackSettings,
		Title:           kit.Plain("Rapport settings"),
		Submit:          kit.Plain("Save"),
		Close:           kit.Plain("Cancel"),
		PrivateMetadata: admin,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// settingBlocks is the input of one setting, filled in with its value in v.
func settingBlocks(name string, v map[string]string) []slack.Block {
	if w, ok := weeklies[name]; ok {
		return weeklyBlocks(name, w, v[name], v[rapport.SetTimeZone])
	}
	var el slack.BlockElement
	optional := false
	label := notify.SettingLabels[name]
	switch name {
	case rapport.SetRecognitionChannel:
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, kit.Plain("Choose a channel"), InputAction)
		sel.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true}
		sel.InitialConversation = v[name]
		el, optional = sel, true
	case rapport.SetPublicValues, rapport.SetAnnounceHot, rapport.SetNudgeWeekends, rapport.SetWelcomeNewMembers:
		on := slack.NewOptionBlockObject("true", kit.Plain("On"), nil)
		off := slack.NewOptionBlockObject("false", kit.Plain("Off"), nil)
		radio := slack.NewRadioButtonsBlockElement(InputAction, on, off)
		radio.InitialOption = off
		if v[name] == "true" {
			radio.InitialOption = on
		}
		el = radio
	case rapport.SetInactivityWeeks:
		num := slack.NewNumberInputBlockElement(nil, InputAction, false)
		num.InitialValue, num.MinValue, num.MaxValue = v[name], "0", "52"
		el = num
	case rapport.SetFollowUpSLA, rapport.SetReportBackAfter, rapport.SetExpireAfter:
		u := durationUnits[name]
		num := slack.NewNumberInputBlockElement(nil, InputAction, true)
		if d, err := time.ParseDuration(v[name]); err == nil {
			num.InitialValue = strconv.FormatFloat(float64(d)/float64(u.unit), 'f', -1, 64)
		}
		el, label = num, label+" ("+u.name+")"
	default:
		in := slack.NewPlainTextInputBlockElement(nil, InputAction)
		in.InitialValue = v[name]
		if name == rapport.SetCurrency {
			in.MaxLength = 3
		}
		el = in
	}
	block := slack.NewInputBlock(name, kit.Plain(label), kit.Plain(settingHints[name]), el)
	block.Optional = optional
	return []slack.Block{block}
}

// weeklyBlocks asks for a weekly setting's day (a select) and time (a time picker). A schedule they
// cannot show (one the environment set, such as weekdays at 9:00) is shown as it is, and kept unless
// the admin picks a day and a time (or, for one that may be off, leaves both empty to turn it off).
func weeklyBlocks(name string, w weekly, spec, zone string) []slack.Block {
	day := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, kit.Plain("Choose a day"), InputAction)
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		day.Options = append(day.Options, slack.NewOptionBlockObject(strconv.Itoa(int(d)), kit.Plain(d.String()), nil))
	}
	clock := slack.NewTimePickerBlockElement(InputAction)
	clock.Timezone = zone
	var blocks []slack.Block
	wk, shown := rapport.ParseWeekly(spec)
	switch {
	case shown:
		for _, o := range day.Options {
			if o.Value == strconv.Itoa(int(wk.Day)) {
				day.InitialOption = o
			}
		}
		clock.InitialTime = wk.Clock()
	case spec != "":
		empty := "leave them empty to keep it"
		if w.off {
			empty = "leave them empty to turn it off"
		}
		blocks = append(blocks, kit.Section(fmt.Sprintf("*%s*\nThe %s runs on the schedule `%s`, which a day and a time can't show. "+
			"Pick both below to replace it, or %s.", notify.SettingLabels[name], w.what, kit.Esc(spec), empty)))
	}
	dayBlock := slack.NewInputBlock(name, kit.Plain("Weekly "+w.what+": day"), kit.Plain(settingHints[name]), day)
	timeBlock := slack.NewInputBlock(w.timeBlock, kit.Plain("Weekly "+w.what+": time"), kit.Plain(settingHints[w.timeBlock]), clock)
	dayBlock.Optional, timeBlock.Optional = !shown || w.off, !shown || w.off
	return append(blocks, dayBlock, timeBlock)
}

// settingsFrom reads the submitted form into the settings' stored form (a duration as Go writes it,
// the digest and the pairing as cron specs); a setting missing from it keeps its current value, since Save takes
// every setting and would otherwise reset it to the default. What the form's own inputs cannot mean
// (a negative number of days, a day without a time) is refused under the input, in words.
func settingsFrom(state *slack.ViewState, cur map[string]string) (map[string]string, rapport.FieldErrors) {
	out := make(map[string]string, len(rapport.SettingNames))
	errs := rapport.FieldErrors{}
	input := func(block string) (slack.BlockAction, bool) {
		if state == nil {
			return slack.BlockAction{}, false
		}
		a, ok := state.Values[block][InputAction]
		return a, ok
	}
	for _, name := range rapport.SettingNames {
		a, ok := input(name)
		out[name] = cur[name]
		switch {
		case weeklies[name].timeBlock != "":
			w := weeklies[name]
			t, tok := input(w.timeBlock)
			if !ok && !tok {
				continue // a form without the schedule's inputs keeps it
			}
			spec, field, msg := weeklyFrom(name, w, a.SelectedOption.Value, t.SelectedTime, cur[name])
			if msg != "" {
				errs[field] = msg
			}
			out[name] = spec
		case !ok:
		case name == rapport.SetRecognitionChannel:
			out[name] = a.SelectedConversation + a.SelectedChannel // whichever the element sends
		case durationUnits[name].unit != 0:
			d, msg := durationFrom(a.Value, name)
			if msg != "" {
				errs[name] = msg
				continue
			}
			out[name] = d
		case a.SelectedOption.Value != "":
			out[name] = a.SelectedOption.Value
		default:
			out[name] = a.Value
		}
	}
	if len(errs) == 0 {
		return out, nil
	}
	return out, errs
}

// durationFrom reads a number of the setting's unit as a stored duration, or says what is wrong.
func durationFrom(v, name string) (string, string) {
	u := durationUnits[name]
	lo, hi := rapport.MinWindow, rapport.MaxWindow
	if name == rapport.SetExpireAfter {
		lo, hi = rapport.MinExpireAfter, rapport.MaxExpireAfter
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	d := time.Duration(f * float64(u.unit)).Round(time.Minute)
	if err != nil || d < lo || d > hi {
		bound := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/float64(u.unit), 'f', -1, 64) }
		if lo < u.unit {
			return "", fmt.Sprintf("Enter a number of %s, at most %s (0.5 is half a day).", u.name, bound(hi))
		}
		return "", fmt.Sprintf("Enter a number of %s from %s to %s.", u.name, bound(lo), bound(hi))
	}
	return d.String(), ""
}

// weeklyFrom builds a weekly setting's cron spec from the day and time picked; neither keeps cur (a
// schedule the form could not show), or turns off one that may be off; one without the other is
// refused under the missing one.
func weeklyFrom(name string, w weekly, day, clock, cur string) (spec, field, msg string) {
	emptied := "keep the current schedule"
	if w.off {
		emptied = "have no " + w.what
	}
	switch {
	case day == "" && clock == "":
		if w.off {
			return "", "", ""
		}
		if _, shown := rapport.ParseWeekly(cur); shown {
			return cur, name, "Choose the day of the " + w.what + "."
		}
		return cur, "", ""
	case day == "":
		return cur, name, "Choose a day too, or clear the time to " + emptied + "."
	case clock == "":
		return cur, w.timeBlock, "Choose a time too, or clear the day to " + emptied + "."
	}
	n, err := strconv.Atoi(day)
	if err != nil || n < 0 || n > 6 {
		return cur, name, "Choose a day from the list."
	}
	wk, err := rapport.Weekly{Day: time.Weekday(n)}.WithClock(clock)
	if err != nil {
		return cur, w.timeBlock, "Choose a time of day, such as 09:00."
	}
	return wk.Spec(), "", ""
}

// submitSettings validates and saves the form within the ack, so a bad value (a cron spec, a zone,
// a duration) shows under its input; saved, the settings apply at once on this replica and within
// the sweep's minute on the others. The admin gets a DM that lists what changed.
func (h *Handlers) submitSettings(ctx context.Context, r *bot.Request) (any, error) {
	user := r.Interaction.User.ID
	if r.Interaction.View.PrivateMetadata != user {
		return nil, rapport.Errorf(rapport.EFORBIDDEN, "Only the group's admins can change Rapport's settings.")
	}
	// Checked again on Save: the form may have stayed open while the person stopped being an admin.
	if err := h.requireAdmin(ctx, r.Team, user, "change Rapport's settings"); err != nil {
		return nil, err
	}
	before := h.settings.Snapshot().Values()
	values, ferrs := settingsFrom(r.Interaction.View.State, before)
	if len(ferrs) > 0 {
		return bot.FieldErrorsAck(ferrs), nil
	}
	// Once per form: the same form submitted again (after "it may have been saved") confirms once.
	changed, err := h.settings.Save(ctx, "settings:"+r.Interaction.View.ID, user, values)
	var fe rapport.FieldErrors
	switch {
	case errors.As(err, &fe):
		return bot.FieldErrorsAck(fe), nil
	case err != nil:
		return nil, err
	}
	h.log.Info("settings saved", zap.String("user", user), zap.Strings("changed", changed))
	return nil, nil
}
