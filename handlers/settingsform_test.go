package handlers

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/rapportbot/rapport"
	"github.com/slack-go/slack"
)

// inputs lists a modal's input blocks by block_id.
func inputs(m slack.ModalViewRequest) (ids []string, byID map[string]*slack.InputBlock) {
	byID = map[string]*slack.InputBlock{}
	for _, b := range m.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			ids = append(ids, in.BlockID)
			byID[in.BlockID] = in
		}
	}
	return ids, byID
}

// formIDs is the form's input blocks: the settings in order, the digest's and the pairing's time
// after their day.
func formIDs() []string {
	var out []string
	for _, name := range rapport.SettingNames {
		out = append(out, name)
		switch name {
		case rapport.SetDigestSchedule:
			out = append(out, digestTimeBlock)
		case rapport.SetPairingSchedule:
			out = append(out, pairingTimeBlock)
		}
	}
	return out
}

func TestSettingsModal(t *testing.T) {
	values := map[string]string{rapport.SetRecognitionChannel: "C1", rapport.SetFollowUpSLA: "24h", rapport.SetPublicValues: "true",
		rapport.SetAnnounceHot: "false", rapport.SetInactivityWeeks: "4", rapport.SetReportBackAfter: "36h",
		rapport.SetExpireAfter: "2160h", rapport.SetDigestSchedule: "30 8 * * 5", rapport.SetTimeZone: "Europe/London"}
	m := settingsModal("UADMIN", values)
	if m.CallbackID != callbackSettings || m.PrivateMetadata != "UADMIN" || utf8.RuneCountInString(m.Title.Text) > 24 {
		t.Errorf("modal = %+v", m)
	}
	ids, in := inputs(m)
	for _, id := range ids {
		if in[id].Label.Text == "" || settingHints[id] == "" {
			t.Errorf("%s has no label or hint", id)
		}
		// The channel may be none, and the pairing off.
		if want := id == rapport.SetRecognitionChannel || id == rapport.SetPairingSchedule || id == pairingTimeBlock; in[id].Optional != want {
			t.Errorf("%s optional = %v", id, in[id].Optional)
		}
	}
	if diff := cmp.Diff(formIDs(), ids); diff != "" {
		t.Errorf("block IDs (-want +got):\n%s", diff)
	}
	// Durations in hours or days, the digest as a day and a time: no Go durations, no cron.
	for id, want := range map[string]string{rapport.SetFollowUpSLA: "24", rapport.SetReportBackAfter: "1.5", rapport.SetExpireAfter: "90"} {
		if got := in[id].Element.(*slack.NumberInputBlockElement).InitialValue; got != want {
			t.Errorf("%s shows %q; want %q", id, got, want)
		}
	}
	if l := in[rapport.SetExpireAfter].Label.Text; l != "Expire open referrals after (days)" {
		t.Errorf("expiry label %q", l)
	}
	day := in[rapport.SetDigestSchedule].Element.(*slack.SelectBlockElement)
	clock := in[digestTimeBlock].Element.(*slack.TimePickerBlockElement)
	if len(day.Options) != 7 || day.Options[0].Text.Text != "Monday" || day.InitialOption.Text.Text != "Friday" ||
		clock.InitialTime != "08:30" || clock.Timezone != "Europe/London" {
		t.Errorf("digest day %+v, time %+v", day.InitialOption, clock)
	}
	if p := in[rapport.SetPairingSchedule].Element.(*slack.SelectBlockElement); p.InitialOption != nil || in[pairingTimeBlock].Element.(*slack.TimePickerBlockElement).InitialTime != "" {
		t.Error("pairing, off, shows a day or a time")
	}
	b, _ := json.Marshal(m)
	var back slack.ModalViewRequest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("the modal does not survive JSON: %v", err)
	}

	t.Run("ScheduleTheFormCannotShow", func(t *testing.T) {
		values[rapport.SetDigestSchedule] = "0 9 * * 1-5"
		m := settingsModal("UADMIN", values)
		_, in := inputs(m)
		if !in[rapport.SetDigestSchedule].Optional || !in[digestTimeBlock].Optional ||
			in[rapport.SetDigestSchedule].Element.(*slack.SelectBlockElement).InitialOption != nil {
			t.Error("an unshowable schedule must leave the day and time empty and optional")
		}
		b, _ := json.Marshal(m)
		if !json.Valid(b) || !hasAll(string(b), "`0 9 * * 1-5`", "leave them empty to keep it") {
			t.Errorf("no note of the schedule kept: %s", b)
		}
	})
}

func hasAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestSettingsFrom(t *testing.T) {
	cur := map[string]string{}
	for _, name := range rapport.SettingNames {
		cur[name] = "current " + name
	}
	cur[rapport.SetDigestSchedule] = "0 9 * * 1"
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		rapport.SetRecognitionChannel: {InputAction: {Type: "conversations_select", SelectedConversation: "C9"}},
		rapport.SetFollowUpSLA:        {InputAction: {Type: "number_input", Value: "48"}},
		rapport.SetReportBackAfter:    {InputAction: {Type: "number_input", Value: "0.5"}},
		rapport.SetExpireAfter:        {InputAction: {Type: "number_input", Value: "30"}},
		rapport.SetDigestSchedule:     {InputAction: {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "5"}}},
		digestTimeBlock:               {InputAction: {Type: "timepicker", SelectedTime: "17:30"}},
		rapport.SetPublicValues:       {InputAction: {Type: "radio_buttons", SelectedOption: slack.OptionBlockObject{Value: "true"}}},
		rapport.SetNudgeWeekends:      {InputAction: {Type: "radio_buttons", SelectedOption: slack.OptionBlockObject{Value: "true"}}},
		rapport.SetInactivityWeeks:    {InputAction: {Type: "number_input", Value: "0"}},
	}}
	got, errs := settingsFrom(state, cur)
	if errs != nil {
		t.Fatal(errs)
	}
	want := map[string]string{}
	for k, v := range cur {
		want[k] = v
	}
	want[rapport.SetRecognitionChannel], want[rapport.SetFollowUpSLA] = "C9", "48h0m0s"
	want[rapport.SetReportBackAfter], want[rapport.SetExpireAfter] = "12h0m0s", "720h0m0s"
	want[rapport.SetDigestSchedule] = "30 17 * * 5"
	want[rapport.SetPublicValues], want[rapport.SetNudgeWeekends], want[rapport.SetInactivityWeeks] = "true", "true", "0"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settingsFrom (-want +got):\n%s", diff)
	}
	// An optional channel left empty arrives as null: none.
	state.Values[rapport.SetRecognitionChannel] = map[string]slack.BlockAction{InputAction: {Type: "conversations_select"}}
	if got, _ := settingsFrom(state, cur); got[rapport.SetRecognitionChannel] != "" {
		t.Errorf("empty channel read as %q", got[rapport.SetRecognitionChannel])
	}

	t.Run("ErrBadInput", func(t *testing.T) {
		bad := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			rapport.SetFollowUpSLA:     {InputAction: {Type: "number_input", Value: "0"}},
			rapport.SetReportBackAfter: {InputAction: {Type: "number_input", Value: "two"}},
			rapport.SetExpireAfter:     {InputAction: {Type: "number_input", Value: "5000"}},
			rapport.SetDigestSchedule:  {InputAction: {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "2"}}},
			digestTimeBlock:            {InputAction: {Type: "timepicker"}},
		}}
		_, errs := settingsFrom(bad, cur)
		want := rapport.FieldErrors{
			rapport.SetFollowUpSLA:     "Enter a number of hours from 1 to 2160.",
			rapport.SetReportBackAfter: "Enter a number of days, at most 90 (0.5 is half a day).",
			rapport.SetExpireAfter:     "Enter a number of days from 1 to 3650.",
			digestTimeBlock:            "Choose a time too, or clear the day to keep the current schedule.",
		}
		if diff := cmp.Diff(want, errs); diff != "" {
			t.Errorf("field errors (-want +got):\n%s", diff)
		}
	})
	t.Run("Pairing", func(t *testing.T) {
		cur[rapport.SetPairingSchedule] = ""
		on := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			rapport.SetPairingSchedule: {InputAction: {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "1"}}},
			pairingTimeBlock:           {InputAction: {Type: "timepicker", SelectedTime: "08:00"}},
		}}
		if got, errs := settingsFrom(on, cur); errs != nil || got[rapport.SetPairingSchedule] != "0 8 * * 1" {
			t.Errorf("a day and a time: %q, %v", got[rapport.SetPairingSchedule], errs)
		}
		cur[rapport.SetPairingSchedule] = "0 8 * * 1"
		off := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			rapport.SetPairingSchedule: {InputAction: {Type: "static_select"}},
			pairingTimeBlock:           {InputAction: {Type: "timepicker"}},
		}}
		if got, errs := settingsFrom(off, cur); errs != nil || got[rapport.SetPairingSchedule] != "" {
			t.Errorf("both emptied: %q, %v; want off", got[rapport.SetPairingSchedule], errs)
		}
		off.Values[pairingTimeBlock] = map[string]slack.BlockAction{InputAction: {Type: "timepicker", SelectedTime: "08:00"}}
		_, errs := settingsFrom(off, cur)
		if diff := cmp.Diff(rapport.FieldErrors{rapport.SetPairingSchedule: "Choose a day too, or clear the time to have no pairing."}, errs); diff != "" {
			t.Errorf("a time without a day (-want +got):\n%s", diff)
		}
	})
	t.Run("KeepsAScheduleTheFormCannotShow", func(t *testing.T) {
		cur[rapport.SetDigestSchedule] = "0 9 * * 1-5"
		state.Values[rapport.SetDigestSchedule] = map[string]slack.BlockAction{InputAction: {Type: "static_select"}}
		state.Values[digestTimeBlock] = map[string]slack.BlockAction{InputAction: {Type: "timepicker"}}
		got, errs := settingsFrom(state, cur)
		if errs != nil || got[rapport.SetDigestSchedule] != "0 9 * * 1-5" {
			t.Errorf("kept %q, %v", got[rapport.SetDigestSchedule], errs)
		}
	})
}
