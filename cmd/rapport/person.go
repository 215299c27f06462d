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
	fake *slackfake.Server
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
		rapport.FieldNeed:     text(f.need),
		rapport.FieldBestTime: text(f.bestTime),
		rapport.FieldNote:     text(f.note),
		rapport.FieldFacts:    {handlers.InputAction: {Type: "checkboxes", SelectedOptions: facts}},
	}
	if f.sendAnyway {
		values[rapport.FieldConfirm] = map[string]slack.BlockAction{handlers.InputAction: {Type: "checkboxes",
			SelectedOptions: []slack.OptionBlockObject{{Value: handlers.ConfirmSend}}}}
	}
	var v slack.View
	_ = json.Unmarshal(view.View, &v)
	return p.fake.ViewSubmission(p.id, v, values)
}

// dms is every message in the person's DM with Rapport.
func (p person) dms() []slackfake.Message { return p.fake.DMs(p.id) }
