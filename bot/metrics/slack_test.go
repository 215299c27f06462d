package metrics

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"
	"go.uber.org/zap/zaptest"

	"github.com/rapportbot/rapport/bot/slackfake"
)

// newTestMetrics is a registry with a label value or two of each set; the only Slack error code
// counted by name is channel_not_found.
func newTestMetrics(t *testing.T) *Metrics {
	return New(zaptest.NewLogger(t), Labels{Kinds: []string{"slash_commands"}, Outcomes: []string{"handled", "busy"},
		Stages: []string{"ack"}, DeadReasons: []string{"is_archived"}, SlackErrors: []string{"channel_not_found"}})
}

// TestTransportLabels calls the fake Slack with the real slack-go client through Transport: each
// call is counted by a bounded method and outcome, and slack-go still reads every answer.
func TestTransportLabels(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m := newTestMetrics(t)
	rt := &http.Transport{}
	t.Cleanup(rt.CloseIdleConnections)
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(fake.APIURL()),
		slack.OptionHTTPClient(&http.Client{Transport: m.Transport(rt)}))
	post := func() error {
		_, _, err := api.PostMessageContext(ctx, slackfake.GeneralChannelID, slack.MsgOptionText("hi", false))
		return err
	}

	if err := post(); err != nil {
		t.Fatalf("ok call: %v", err)
	}
	fake.RateLimitNext("chat.postMessage", time.Second, 1)
	var rl *slack.RateLimitedError
	if err := post(); !errors.As(err, &rl) {
		t.Errorf("429: slack-go returned %v; want a RateLimitedError", err)
	}
	fake.FailNext("chat.postMessage", "channel_not_found", 1)
	var se slack.SlackErrorResponse
	if err := post(); !errors.As(err, &se) || se.Err != "channel_not_found" {
		t.Errorf("known error: slack-go returned %v; want channel_not_found read from the body", err)
	}
	fake.FailNext("chat.postMessage", "is_archived", 1)
	if err := post(); !errors.As(err, &se) || se.Err != "is_archived" {
		t.Errorf("unknown error: slack-go returned %v; want is_archived read from the body", err)
	}
	// team.info is not among SlackMethods, and the fake does not know it either (unknown_method).
	if _, err := api.GetTeamInfoContext(ctx); !errors.As(err, &se) || se.Err != "unknown_method" {
		t.Errorf("unknown method: slack-go returned %v; want unknown_method", err)
	}
	fake.Close()
	if err := post(); err == nil {
		t.Error("a call to a closed server succeeded")
	}

	for _, c := range []struct{ method, outcome string }{
		{"chat.postMessage", SlackOK},
		{"chat.postMessage", SlackRateLimited},
		{"chat.postMessage", "channel_not_found"},
		{"chat.postMessage", other}, // is_archived is not counted by name here
		{other, other},              // team.info, unknown_method
		{"chat.postMessage", SlackNetworkError},
	} {
		if got := testutil.ToFloat64(m.slack.WithLabelValues(c.method, c.outcome)); got != 1 {
			t.Errorf("calls{method=%q,outcome=%q} = %v; want 1", c.method, c.outcome, got)
		}
	}
	if n := testutil.CollectAndCount(m.slack); n != 6 {
		t.Errorf("%d series of Slack calls; want the 6 above", n)
	}
}
