package bot_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
)

// TestCheckAppToken: the app-level token is proved with apps.connections.open, no socket opened, and
// a refused one says what to fix without showing the token.
func TestCheckAppToken(t *testing.T) {
	t.Parallel()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	ctx, cancel := context.WithTimeout(t.Context(), testDeadline)
	defer cancel()
	tests := []struct {
		name, token string
		want        string // the problem; "" for success
	}{
		{"OK", slackfake.AppToken, ""},
		{"ErrWrongToken", "xapp-not-ours", "SLACK_APP_TOKEN was refused by Slack (invalid_auth)"},
		{"ErrBotTokenAsAppToken", slackfake.BotToken, "SLACK_APP_TOKEN is not an app-level token (not_allowed_token_type)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			t.Cleanup(tr.CloseIdleConnections)
			api := slack.New(slackfake.BotToken, slack.OptionAppLevelToken(tt.token), slack.OptionAPIURL(fake.APIURL()),
				slack.OptionHTTPClient(&http.Client{Timeout: testDeadline, Transport: tr}))
			err := bot.CheckAppToken(ctx, api)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckAppToken: %v", err)
				}
				if n := fake.Connections(); n != 0 {
					t.Errorf("%d sockets open after the check, want none", n)
				}
				return
			}
			var te *bot.TokenError
			if !errors.As(err, &te) || te.Problem != tt.want || te.Fix == "" {
				t.Fatalf("CheckAppToken = %v; want a TokenError %q with a fix", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}
