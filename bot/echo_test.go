package bot_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// seen records the answers slack-go reads, after DropEchoes.
type seen struct {
	next   http.RoundTripper
	bodies []string
}

func (s *seen) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	s.bodies = append(s.bodies, string(body))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, err
}

// TestDropEchoes checks that a message posted and updated through DropEchoes is where Slack put
// it (channel and ts read as before) while slack-go never reads the message Slack echoes, and that
// Slack's refusals still reach the caller whole.
func TestDropEchoes(t *testing.T) {
	t.Parallel()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	spy := &seen{next: bot.DropEchoes(http.DefaultTransport)}
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(fake.APIURL()), slack.OptionHTTPClient(&http.Client{Transport: spy}))
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*bold* news", false, false), nil, nil))

	channel, ts, err := api.PostMessageContext(t.Context(), slackfake.GeneralChannelID, slack.MsgOptionText("news", false), blocks)
	if err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages()
	if len(msgs) != 1 || channel != msgs[0].Channel || ts != msgs[0].TS || ts == "" {
		t.Fatalf("posted to %q at %q; the fake holds %+v", channel, ts, msgs)
	}
	if _, uts, _, err := api.UpdateMessageContext(t.Context(), channel, ts, slack.MsgOptionText("newer", false), blocks); err != nil || uts != ts {
		t.Fatalf("update = %q, %v; want ts %q", uts, err, ts)
	}
	for _, b := range spy.bodies {
		if strings.Contains(b, `"message"`) || strings.Contains(b, "bold") {
			t.Errorf("slack-go read the echo: %s", b)
		}
	}

	// A refusal, with Slack's explanation in response_metadata, comes through as it was.
	bad := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", 3001), false, false), nil, nil))
	_, _, err = api.PostMessageContext(t.Context(), slackfake.GeneralChannelID, slack.MsgOptionText("too long", false), bad)
	var refused slack.SlackErrorResponse
	if !errors.As(err, &refused) || refused.Err != "invalid_blocks" || len(refused.ResponseMetadata.Messages) == 0 {
		t.Fatalf("posting an over-long section = %#v; want invalid_blocks with Slack's messages", err)
	}
}

// BenchmarkPostMessage is one chat.postMessage of a receiver's DM-sized message (ten sections)
// through slack-go to the fake Slack, with Slack's echo of the message decoded by slack-go (echo)
// or dropped before it (dropped). Both include the fake's own work on the call.
//
//	go test ./bot -run '^$' -bench PostMessage -count 6
func BenchmarkPostMessage(b *testing.B) {
	fake := slackfake.New()
	b.Cleanup(fake.Close)
	var set []slack.Block
	for i := range 10 {
		set = append(set, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("*Prospect* details ", 10+i), false, false), nil, nil))
	}
	for _, c := range []struct {
		name string
		rt   http.RoundTripper
	}{{"echo", http.DefaultTransport}, {"dropped", bot.DropEchoes(http.DefaultTransport)}} {
		b.Run(c.name, func(b *testing.B) {
			api := slack.New(slackfake.BotToken, slack.OptionAPIURL(fake.APIURL()), slack.OptionHTTPClient(&http.Client{Transport: c.rt}))
			for b.Loop() {
				if _, _, err := api.PostMessageContext(b.Context(), slackfake.GeneralChannelID, slack.MsgOptionText("news", false), slack.MsgOptionBlocks(set...)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
