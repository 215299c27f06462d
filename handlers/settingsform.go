package handlers

import (
	"context"
	"errors"
	"fmt"

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
	rapport.SetFollowUpSLA:        "How long a receiver has to accept, contact or pass on a referral before a nudge, in hours: 24h.",
	rapport.SetReportBackAfter:    "How long after contact the receiver is asked how it went, in hours: 168h is a week.",
	rapport.SetDigestSchedule:     "Five cron fields in the group's time zone: 0 9 * * 1 is Mondays at 9:00.",
	rapport.SetTimeZone:           "The zone of the digest, the periods and the exports: America/Phoenix, Europe/London.",
	rapport.SetQuietHours:         "No nudges in this window of each member's own day: 21:00-08:00, or off.",
	rapport.SetPublicValues:       "Off: a closed value is seen only by its giver, its receiver and admins; others see counts and ranks. On: every member sees values everywhere: shout-outs, leaderboards, shared boards, stats, the digest and its chart.",
	rapport.SetAnnounceHot:        "Whether a new hot referral is announced in the recognition channel.",
	rapport.SetCurrency:           "Three letters: USD, EUR, GBP.",
	rapport.SetInactivityWeeks:    "Weeks without giving before a member gets a private, friendly nudge; 0 for never.",
	rapport.SetWelcomeNewMembers:  "Whether a person who joins the workspace gets Rapport's welcome DM (members always get it on first use).",
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
// the setting's name so that Apply's errors land under it. private_metadata names the admin it was
// opened for: Slack delivers a submission only for a view this app opened, so a submission by that
// user is an admin's without another read.
func settingsModal(admin string, v map[string]string) slack.ModalViewRequest {
	blocks := make([]slack.Block, 0, len(rapport.SettingNames))
	for _, name := range rapport.SettingNames {
		var el slack.BlockElement
		optional := false
		switch name {
		case rapport.SetRecognitionChannel:
			sel := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, kit.Plain("Choose a channel"), InputAction)
			sel.Filter = &slack.SelectBlockElementFilter{Include: []string{"public", "private"}, ExcludeBotUsers: true}
			sel.InitialConversation = v[name]
			el, optional = sel, true
		case rapport.SetPublicValues, rapport.SetAnnounceHot, rapport.SetWelcomeNewMembers:
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
		default:
			in := slack.NewPlainTextInputBlockElement(nil, InputAction)
			in.InitialValue = v[name]
			if name == rapport.SetCurrency {
				in.MaxLength = 3
			}
			el = in
		}
		block := slack.NewInputBlock(name, kit.Plain(notify.SettingLabels[name]), kit.Plain(settingHints[name]), el)
		block.Optional = optional
		blocks = append(blocks, block)
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

// settingsFrom reads the submitted form; a setting missing from it keeps its current value, since
// Save takes every setting and would otherwise reset it to the default.
func settingsFrom(state *slack.ViewState, cur map[string]string) map[string]string {
	out := make(map[string]string, len(rapport.SettingNames))
	for _, name := range rapport.SettingNames {
		a, ok := slack.BlockAction{}, false
		if state != nil {
			a, ok = state.Values[name][InputAction]
		}
		switch {
		case !ok:
			out[name] = cur[name]
		case name == rapport.SetRecognitionChannel:
			out[name] = a.SelectedConversation + a.SelectedChannel // whichever the element sends
		case a.SelectedOption.Value != "":
			out[name] = a.SelectedOption.Value
		default:
			out[name] = a.Value
		}
	}
	return out
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
	changed, err := h.settings.Save(ctx, r.EnvelopeID, user, settingsFrom(r.Interaction.View.State, before))
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
