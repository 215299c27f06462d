package handlers

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/handlers/notify"
	"github.com/slack-go/slack"
)

func TestSettingsModal(t *testing.T) {
	values := map[string]string{rapport.SetRecognitionChannel: "C1", rapport.SetFollowUpSLA: "24h", rapport.SetPublicValues: "true",
		rapport.SetAnnounceHot: "false", rapport.SetInactivityWeeks: "4"}
	m := settingsModal("UADMIN", values)
	if m.CallbackID != callbackSettings || m.PrivateMetadata != "UADMIN" || utf8.RuneCountInString(m.Title.Text) > 24 {
		t.Errorf("modal = %+v", m)
	}
	var ids []string
	for _, b := range m.Blocks.BlockSet {
		in := b.(*slack.InputBlock)
		ids = append(ids, in.BlockID)
		if notify.SettingLabels[in.BlockID] == "" || settingHints[in.BlockID] == "" {
			t.Errorf("%s has no label or hint", in.BlockID)
		}
		if in.Optional != (in.BlockID == rapport.SetRecognitionChannel) {
			t.Errorf("%s optional = %v", in.BlockID, in.Optional)
		}
	}
	if diff := cmp.Diff(rapport.SettingNames, ids); diff != "" {
		t.Errorf("block IDs (-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(m)
	var back slack.ModalViewRequest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("the modal does not survive JSON: %v", err)
	}
}

func TestSettingsFrom(t *testing.T) {
	cur := map[string]string{}
	for _, name := range rapport.SettingNames {
		cur[name] = "current " + name
	}
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		rapport.SetRecognitionChannel: {InputAction: {Type: "conversations_select", SelectedConversation: "C9"}},
		rapport.SetFollowUpSLA:        {InputAction: {Type: "plain_text_input", Value: "48h"}},
		rapport.SetPublicValues:       {InputAction: {Type: "radio_buttons", SelectedOption: slack.OptionBlockObject{Value: "true"}}},
		rapport.SetInactivityWeeks:    {InputAction: {Type: "number_input", Value: "0"}},
	}}
	got := settingsFrom(state, cur)
	want := map[string]string{}
	for k, v := range cur {
		want[k] = v
	}
	want[rapport.SetRecognitionChannel], want[rapport.SetFollowUpSLA] = "C9", "48h"
	want[rapport.SetPublicValues], want[rapport.SetInactivityWeeks] = "true", "0"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settingsFrom (-want +got):\n%s", diff)
	}
	// An optional channel left empty arrives as null: none.
	state.Values[rapport.SetRecognitionChannel] = map[string]slack.BlockAction{InputAction: {Type: "conversations_select"}}
	if got := settingsFrom(state, cur)[rapport.SetRecognitionChannel]; got != "" {
		t.Errorf("empty channel read as %q", got)
	}
}
