package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
)

// Identity is who the bot is in its workspace, from auth.test.
type Identity struct {
	TeamID string
	Team   string
	UserID string // the bot's own user: it can never receive a referral
	BotID  string
}

// TokenError is a token Slack refused: what is wrong, and what the installer does about it.
type TokenError struct {
	Problem, Fix string
}

func (e *TokenError) Error() string { return e.Problem + ": " + e.Fix }

// Connect proves the bot token with auth.test before anything else connects, so a wrong token fails
// at start-up with a message that says what to fix (a *TokenError).
func Connect(ctx context.Context, api *slack.Client) (Identity, error) {
	resp, err := api.AuthTestContext(ctx)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			switch se.Err {
			case "invalid_auth", "token_revoked", "account_inactive", "not_authed":
				return Identity{}, &TokenError{fmt.Sprintf("SLACK_BOT_TOKEN was refused by Slack (%s)", se.Err),
					"copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page"}
			case "not_allowed_token_type":
				return Identity{}, &TokenError{fmt.Sprintf("SLACK_BOT_TOKEN is not a bot token (%s)", se.Err), "use the xoxb-… token"}
			}
		}
		return Identity{}, fmt.Errorf("auth.test: %w", err)
	}
	return Identity{TeamID: resp.TeamID, Team: resp.Team, UserID: resp.UserID, BotID: resp.BotID}, nil
}

// CheckAppToken proves the app-level token the way Socket Mode first uses it: apps.connections.open,
// whose answer (a socket URL) is left unused, so no connection is held. A refusal is a *TokenError.
func CheckAppToken(ctx context.Context, api *slack.Client) error {
	_, _, err := api.StartSocketModeContext(ctx)
	if err == nil {
		return nil
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "token_revoked", "account_inactive", "not_authed":
			return &TokenError{fmt.Sprintf("SLACK_APP_TOKEN was refused by Slack (%s)", se.Err),
				"generate an App-Level Token with the scope connections:write in the app's Basic Information page and copy it (xapp-…)"}
		case "not_allowed_token_type":
			return &TokenError{fmt.Sprintf("SLACK_APP_TOKEN is not an app-level token (%s)", se.Err), "use the xapp-… token"}
		case "missing_scope":
			return &TokenError{"SLACK_APP_TOKEN lacks the scope connections:write (missing_scope)",
				"generate a new App-Level Token with the scope connections:write in the app's Basic Information page"}
		}
	}
	return fmt.Errorf("apps.connections.open: %w", err)
}
