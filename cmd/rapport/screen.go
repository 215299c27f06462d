package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// screen prints what each member of the demo saw in Slack, as plain text.
type screen struct {
	w     io.Writer
	names map[string]string
	seen  map[string]int // DMs already printed, per member
	posts int            // channel messages already printed
}

func newScreen(w io.Writer, members []slack.User) *screen {
	s := &screen{w: w, names: map[string]string{}, seen: map[string]int{}}
	for _, m := range members {
		s.names[m.ID] = m.RealName
	}
	return s
}

func (s *screen) name(id string) string {
	if n, ok := s.names[id]; ok {
		return strings.Fields(n)[0]
	}
	return id
}

func (s *screen) title(t string)             { fmt.Fprintf(s.w, "%s\n%s\n", t, strings.Repeat("═", 72)) }
func (s *screen) step(t string)              { fmt.Fprintf(s.w, "\n── %s\n", t) }
func (s *screen) typed(p person, cmd string) { fmt.Fprintf(s.w, "%s types: %s\n", s.name(p.id), cmd) }
func (s *screen) taps(p person, button string) {
	fmt.Fprintf(s.w, "%s taps [%s]\n", s.name(p.id), button)
}
func (s *screen) submits(p person, what string) {
	fmt.Fprintf(s.w, "%s submits the form: %s\n", s.name(p.id), what)
}

func (s *screen) done() {
	fmt.Fprintf(s.w, "\n%s\nEvery message above went through the real bot, Redis (in memory) and slack-go, against a fake Slack.\n", strings.Repeat("═", 72))
}

// form describes the modal a member sees.
func (s *screen) form(p person, v slackfake.View) {
	var view slack.View
	_ = json.Unmarshal(v.View, &view)
	var filled []string
	for _, b := range view.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		switch el := in.Element.(type) {
		case *slack.SelectBlockElement:
			if el.InitialUser != "" {
				filled = append(filled, in.Label.Text+" "+s.name(el.InitialUser))
			}
		case *slack.PlainTextInputBlockElement:
			if el.InitialValue != "" {
				filled = append(filled, in.Label.Text+" “"+el.InitialValue+"”")
			}
		}
	}
	fmt.Fprintf(s.w, "  Slack shows %s the form “%s”", s.name(p.id), view.Title.Text)
	if len(filled) > 0 {
		fmt.Fprintf(s.w, ", already filled in: %s", strings.Join(filled, "; "))
	}
	fmt.Fprintln(s.w)
}

// ackPayload is what a view submission's ack asks Slack to do.
type ackPayload struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
	View           *slack.View       `json:"view"`
	Text           string            `json:"text"`
	Blocks         slack.Blocks      `json:"blocks"`
}

func decodeAck(a slackfake.Ack) ackPayload {
	var p ackPayload
	if len(a.Payload) > 0 {
		_ = json.Unmarshal(a.Payload, &p)
	}
	return p
}

func (s *screen) expectSaved(a slackfake.Ack, err error) error {
	if err != nil {
		return err
	}
	if p := decodeAck(a); p.ResponseAction != "" {
		return fmt.Errorf("the form was not accepted: %s", a.Payload)
	}
	fmt.Fprintln(s.w, "  The form closes: the referral is saved.")
	return nil
}

func (s *screen) expectErrors(a slackfake.Ack, err error) error {
	if err != nil {
		return err
	}
	p := decodeAck(a)
	if p.ResponseAction != "errors" {
		return fmt.Errorf("expected field errors, got %s", a.Payload)
	}
	for field, msg := range p.Errors {
		fmt.Fprintf(s.w, "  The form stays open; under “%s” it says: %s\n", field, msg)
	}
	return nil
}

func (s *screen) expectWarning(a slackfake.Ack, err error) error {
	if err != nil {
		return err
	}
	p := decodeAck(a)
	if p.ResponseAction != "update" || p.View == nil {
		return fmt.Errorf("expected the duplicate warning, got %s", a.Payload)
	}
	fmt.Fprintln(s.w, "  The form changes to ask first:")
	for _, b := range p.View.Blocks.BlockSet {
		if sec, ok := b.(*slack.SectionBlock); ok && sec.Text != nil {
			s.quote(sec.Text.Text)
		}
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID == "confirm" {
			s.quote("[ ] Send anyway (required)")
		}
	}
	return nil
}

// awaitDMs waits until each person has a DM not printed yet, then prints them.
func (s *screen) awaitDMs(ctx context.Context, people ...person) error {
	for _, p := range people {
		if err := p.fake.WaitFor(ctx, func() bool { return len(p.dms()) > s.seen[p.id] }); err != nil {
			return fmt.Errorf("no DM reached %s: %w", s.name(p.id), err)
		}
		dms := p.dms()
		for _, m := range dms[s.seen[p.id]:] {
			fmt.Fprintf(s.w, "  DM from Rapport to %s:\n", s.name(p.id))
			s.blocks(m.Text, m.Blocks)
		}
		s.seen[p.id] = len(dms)
	}
	return nil
}

// awaitChannel waits for a new message in the recognition channel and prints it.
func (s *screen) awaitChannel(ctx context.Context, fake *slackfake.Server) error {
	public := func() []slackfake.Message { return channelPosts(fake, slackfake.GeneralChannelID) }
	if err := fake.WaitFor(ctx, func() bool { return len(public()) > s.posts }); err != nil {
		return fmt.Errorf("nothing was posted in the channel: %w", err)
	}
	ms := public()
	for _, m := range ms[s.posts:] {
		fmt.Fprintln(s.w, "  In #general, for everyone:")
		s.blocks(m.Text, m.Blocks)
	}
	s.posts = len(ms)
	return nil
}

func (s *screen) reply(p person, a slackfake.Ack) {
	pl := decodeAck(a)
	fmt.Fprintf(s.w, "  Only %s sees:\n", s.name(p.id))
	raw, _ := json.Marshal(pl.Blocks)
	s.blocks(pl.Text, raw)
}

// blocks prints a message's sections and context lines.
func (s *screen) blocks(text string, raw json.RawMessage) {
	var bs slack.Blocks
	if len(raw) == 0 || json.Unmarshal(raw, &bs) != nil || len(bs.BlockSet) == 0 {
		s.quote(text)
		return
	}
	for _, b := range bs.BlockSet {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil {
				s.quote(b.Text.Text)
			}
			for _, f := range b.Fields {
				s.quote(f.Text)
			}
		case *slack.ActionBlock:
			var labels []string
			for _, el := range b.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					labels = append(labels, "["+btn.Text.Text+"]")
				}
			}
			s.quote(strings.Join(labels, " "))
		case *slack.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if t, ok := el.(*slack.TextBlockObject); ok {
					s.quote(t.Text)
				}
			}
		}
	}
}

var (
	mentionRE = regexp.MustCompile(`<@([A-Z0-9]+)>`)
	dateRE    = regexp.MustCompile(`<!date\^[^|>]*\|([^>]*)>`)
	emoji     = strings.NewReplacer(":handshake:", "🤝", ":fire:", "🔥", ":sunny:", "☀️", ":snowflake:", "❄️",
		":white_check_mark:", "✅", ":white_large_square:", "⬜", ":bulb:", "💡", ":warning:", "⚠️",
		":tada:", "🎉", ":thumbsup:", "👍", ":telephone_receiver:", "📞", ":calendar:", "📅", ":repeat:", "🔁",
		":alarm_clock:", "⏰", ":wave:", "👋", ":trophy:", "🏆", ":pray:", "🙏")
	unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// quote prints mrkdwn as a person reads it: mentions as names, dates as dates, emoji as emoji.
func (s *screen) quote(mrkdwn string) {
	t := mentionRE.ReplaceAllStringFunc(mrkdwn, func(m string) string { return "@" + s.name(m[2:len(m)-1]) })
	t = dateRE.ReplaceAllString(t, "$1")
	t = unescape.Replace(emoji.Replace(t))
	for _, line := range strings.Split(t, "\n") {
		fmt.Fprintf(s.w, "    │ %s\n", line)
	}
}
