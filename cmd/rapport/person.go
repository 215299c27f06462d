package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/handlers"
	"github.com/slack-go/slack"
)

// person drives the fake Slack as one member would: typing /refer, filling in the form, reading DMs.
// The demo tells its story with it and the end-to-end tests use it, so both exercise the same path.
type person struct {
	fake *slackfake.Workspace
	id   string
}

// form is what a person types into the referral modal.
type form struct {
	receiver, name, company, phone, email, need, bestTime, note string
	spoke, mayShare, expects                                    bool
	sendAnyway                                                  bool // tick the confirmation, when the form asks
}

// command types "/refer text" and returns the ack.
func (p person) command(ctx context.Context, text string) (slackfake.Ack, error) {
	return p.fake.Send(ctx, "slash_commands", p.fake.SlashCommand(p.id, text))
}

// openForm types "/refer text" and waits for the modal Rapport opens.
func (p person) openForm(ctx context.Context, text string) (slackfake.View, error) {
	before := len(p.views())
	if _, err := p.command(ctx, text); err != nil {
		return slackfake.View{}, err
	}
	if err := p.fake.WaitFor(ctx, func() bool { return len(p.views()) > before }); err != nil {
		return slackfake.View{}, fmt.Errorf("no form opened for %s: %w", p.id, err)
	}
	vs := p.views()
	return vs[len(vs)-1], nil
}

func (p person) views() []slackfake.View {
	var out []slackfake.View
	for _, v := range p.fake.Views() {
		if v.User == p.id && v.Method == "views.open" {
			out = append(out, v)
		}
	}
	return out
}

// submit sends the form as a view submission of view and returns the ack.
func (p person) submit(ctx context.Context, view slackfake.View, f form) (slackfake.Ack, error) {
	return p.fake.Send(ctx, "interactive", p.submission(view, f))
}

// submission is the view_submission payload of f.
func (p person) submission(view slackfake.View, f form) map[string]any {
	var v slack.View
	_ = json.Unmarshal(view.View, &v)
	return p.submissionOf(v, f)
}

// submissionOf is the view_submission payload of f in the form v, decoded already.
func (p person) submissionOf(v slack.View, f form) map[string]any {
	text := func(v string) map[string]slack.BlockAction {
		return map[string]slack.BlockAction{handlers.InputAction: {Type: "plain_text_input", Value: v}}
	}
	var facts []slack.OptionBlockObject
	for v, on := range map[string]bool{handlers.FactSpoke: f.spoke, handlers.FactMayShare: f.mayShare, handlers.FactExpects: f.expects} {
		if on {
			facts = append(facts, slack.OptionBlockObject{Value: v})
		}
	}
	values := map[string]map[string]slack.BlockAction{
		rapport.FieldReceiver: {handlers.InputAction: {Type: "users_select", SelectedUser: f.receiver}},
		rapport.FieldName:     text(f.name),
		rapport.FieldCompany:  text(f.company),
		rapport.FieldPhone:    text(f.phone),
		rapport.FieldEmail:    text(f.email),
		rapport.FieldNeed:     {handlers.ActionNeed: {Type: "plain_text_input", Value: f.need}},
		rapport.FieldBestTime: text(f.bestTime),
		rapport.FieldNote:     text(f.note),
		rapport.FieldFacts:    {handlers.InputAction: {Type: "checkboxes", SelectedOptions: facts}},
	}
	if f.sendAnyway {
		values[rapport.FieldConfirm] = map[string]slack.BlockAction{handlers.InputAction: {Type: "checkboxes",
			SelectedOptions: []slack.OptionBlockObject{{Value: handlers.ConfirmSend}}}}
	}
	return p.fake.ViewSubmission(p.id, v, values)
}

// enter types or chooses a's value in the input a.BlockID/a.ActionID of the form viewID as it
// stands, as Slack keeps it; when the input sends actions (the need), it sends them and returns
// their ack, else a zero Ack.
func (p person) enter(ctx context.Context, viewID string, a slack.BlockAction) (slackfake.Ack, error) {
	payload, err := p.fake.Input(p.id, viewID, a)
	if err != nil || payload == nil {
		return slackfake.Ack{}, err
	}
	return p.fake.Send(ctx, "interactive", payload)
}

// submitFilled presses Submit on the form viewID as its inputs stand and returns the ack.
func (p person) submitFilled(ctx context.Context, viewID string) (slackfake.Ack, error) {
	payload, err := p.fake.SubmitAsFilled(p.id, viewID)
	if err != nil {
		return slackfake.Ack{}, err
	}
	return p.fake.Send(ctx, "interactive", payload)
}

// dms is every message in the person's DM with Rapport that they see (not another's ephemeral).
func (p person) dms() []slackfake.Message {
	var out []slackfake.Message
	for _, m := range p.fake.DMs(p.id) {
		if !m.Ephemeral || m.User == p.id {
			out = append(out, m)
		}
	}
	return out
}

// click taps the button with actionID on message m, as Slack sends it, and returns the ack.
func (p person) click(ctx context.Context, m slackfake.Message, actionID string) (slackfake.Ack, error) {
	var blocks slack.Blocks
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		return slackfake.Ack{}, fmt.Errorf("message %s: %w", m.TS, err)
	}
	for _, b := range blocks.BlockSet {
		ab, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range ab.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == actionID {
				action := slack.BlockAction{ActionID: btn.ActionID, BlockID: ab.BlockID, Value: btn.Value, Type: "button",
					Text: *btn.Text}
				return p.fake.Send(ctx, "interactive", p.fake.BlockAction(p.id, action, slackfake.InMessage(m.Channel, m.TS)))
			}
		}
	}
	return slackfake.Ack{}, fmt.Errorf("no button %s on message %s", actionID, m.TS)
}

// buttonsOf lists the action_ids of a message's buttons.
func buttonsOf(m slackfake.Message) []string {
	var blocks slack.Blocks
	_ = json.Unmarshal(m.Blocks, &blocks)
	var ids []string
	for _, b := range blocks.BlockSet {
		if ab, ok := b.(*slack.ActionBlock); ok {
			for _, el := range ab.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					ids = append(ids, btn.ActionID)
				}
			}
		}
	}
	return ids
}

// submitView fills in and submits a modal Rapport opened (an outcome form), by block ID.
func (p person) submitView(ctx context.Context, view slackfake.View, values map[string]slack.BlockAction) (slackfake.Ack, error) {
	var v slack.View
	_ = json.Unmarshal(view.View, &v)
	state := map[string]map[string]slack.BlockAction{}
	for block, a := range values {
		if a.Type == "" {
			a.Type = "plain_text_input"
			if a.SelectedUser != "" {
				a.Type = "users_select"
			}
		}
		state[block] = map[string]slack.BlockAction{handlers.InputAction: a}
	}
	return p.fake.Send(ctx, "interactive", p.fake.ViewSubmission(p.id, v, state))
}

// channelPosts is every message everyone sees in channel (not the ephemeral replies there).
func channelPosts(fake *slackfake.Server, channel string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range fake.Messages() {
		if m.Channel == channel && !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}
