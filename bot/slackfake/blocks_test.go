package slackfake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/rapportbot/rapport/bot/slackfake"
)

func section(n int) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", n), false, false), nil, nil)
}

func sections(count, n int) []slack.Block {
	bs := make([]slack.Block, count)
	for i := range bs {
		bs[i] = section(n)
	}
	return bs
}

// TestMessageLimits: every way Rapport posts a message is refused as Slack refuses it when a text
// or the blocks pass Slack's limits, and taken at the limit.
func TestMessageLimits(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE", Name: "alice"}))
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	ch, ts, err := api.PostMessageContext(ctx, "UALICE", slack.MsgOptionText("hi", false))
	if err != nil {
		t.Fatal(err)
	}
	button := func(text, value string) slack.Block {
		return slack.NewActionBlock("a", slack.NewButtonBlockElement("b", value, slack.NewTextBlockObject(slack.PlainTextType, text, false, false)))
	}
	context := func(n int) slack.Block {
		return slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", n), false, false))
	}
	header := func(n int) slack.Block {
		return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("x", n), false, false))
	}
	field := func(n int) slack.Block {
		return slack.NewSectionBlock(nil, []*slack.TextBlockObject{slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("é", n), false, false)}, nil)
	}
	tests := []struct {
		name string
		opts []slack.MsgOption
		want string // "" for accepted
	}{
		{"SectionAtLimit", []slack.MsgOption{slack.MsgOptionBlocks(section(3000))}, ""},
		{"SectionOver", []slack.MsgOption{slack.MsgOptionBlocks(section(3001))}, "invalid_blocks"},
		{"FieldOverInRunes", []slack.MsgOption{slack.MsgOptionBlocks(field(2001))}, "invalid_blocks"},
		{"FieldAtLimitInRunes", []slack.MsgOption{slack.MsgOptionBlocks(field(2000))}, ""},
		{"ContextOver", []slack.MsgOption{slack.MsgOptionBlocks(context(2001))}, "invalid_blocks"},
		{"HeaderOver", []slack.MsgOption{slack.MsgOptionBlocks(header(151))}, "invalid_blocks"},
		{"ButtonTextOver", []slack.MsgOption{slack.MsgOptionBlocks(button(strings.Repeat("x", 76), "v"))}, "invalid_blocks"},
		{"ButtonValueOver", []slack.MsgOption{slack.MsgOptionBlocks(button("ok", strings.Repeat("x", 2001)))}, "invalid_blocks"},
		{"FiftyBlocks", []slack.MsgOption{slack.MsgOptionBlocks(sections(50, 10)...)}, ""},
		{"FiftyOneBlocks", []slack.MsgOption{slack.MsgOptionBlocks(sections(51, 10)...)}, "invalid_blocks"},
		{"TextOver", []slack.MsgOption{slack.MsgOptionText(strings.Repeat("x", 40001), false)}, "msg_too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := map[string]func() error{
				"chat.postMessage": func() error {
					_, _, err := api.PostMessageContext(ctx, "UALICE", append(tt.opts, slack.MsgOptionText("fallback", false))...)
					return err
				},
				"chat.update": func() error {
					_, _, _, err := api.UpdateMessageContext(ctx, ch, ts, tt.opts...)
					return err
				},
				"chat.postEphemeral": func() error {
					_, err := api.PostEphemeralContext(ctx, ch, "UALICE", tt.opts...)
					return err
				},
				"response_url": func() error {
					url := s.SlashCommand("UALICE", "help")["response_url"].(string)
					_, _, err := api.PostMessageContext(ctx, "", append(tt.opts, slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral))...)
					return err
				},
			}
			for method, call := range calls {
				err := call()
				switch {
				case tt.want == "" && err != nil:
					t.Errorf("%s: %v; want it accepted", method, err)
				case tt.want != "" && method == "response_url" && (err == nil || !strings.Contains(err.Error(), "400")):
					t.Errorf("%s: %v; want 400 Bad Request", method, err) // slack-go reads no body of a refused reply
				case tt.want != "" && method != "response_url" && (err == nil || !strings.Contains(err.Error(), tt.want)):
					t.Errorf("%s: %v; want %s", method, err, tt.want)
				}
			}
		})
	}
	if got := s.DMs("UALICE"); len(got) == 0 || got[0].Text == "" {
		t.Errorf("DMs = %+v", got)
	}
}

// TestViewBlockLimits: modals and the Home hold 100 blocks, each within the limits of its kind.
func TestViewBlockLimits(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE"}))
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	publish := func(blocks []slack.Block) error {
		_, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "UALICE",
			View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}})
		return err
	}
	if err := publish(sections(100, 3000)); err != nil {
		t.Errorf("home of 100 full sections: %v", err)
	}
	for name, blocks := range map[string][]slack.Block{"101Blocks": sections(101, 1), "LongSection": {section(3001)}} {
		var se slack.SlackErrorResponse
		if err := publish(blocks); !errors.As(err, &se) || se.Err != "invalid_arguments" || len(se.ResponseMetadata.Messages) != 1 {
			t.Errorf("%s: %v; want invalid_arguments with one message", name, err)
		}
	}
	trigger := s.SlashCommand("UALICE", "")["trigger_id"].(string)
	_, err := api.OpenViewContext(ctx, trigger, slack.ModalViewRequest{Type: slack.VTModal,
		Title: slack.NewTextBlockObject(slack.PlainTextType, "Refer", false, false), Blocks: slack.Blocks{BlockSet: []slack.Block{section(3001)}}})
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_arguments" || !strings.Contains(strings.Join(se.ResponseMetadata.Messages, " "), "/view/blocks/0/text/text") {
		t.Errorf("modal with a long section: %v", err)
	}
}

// TestAckLimits: a slash command's reply in its ack is checked like a message.
func TestAckLimits(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE"}))
	newAPI(t, s, slackfake.BotToken)
	startBot(t, s, func(socketmode.Event) any {
		return map[string]any{"text": "x", "blocks": sections(1, 3001)}
	})
	_, err := s.Send(waitCtx(t), "slash_commands", s.SlashCommand("UALICE", "list"))
	if err == nil || !strings.Contains(err.Error(), "invalid_blocks") {
		t.Errorf("Send = %v; want the ack refused with invalid_blocks", err)
	}
}
