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

// Connect proves the bot token with auth.test before anything else connects, so a wrong token fails
// at start-up with a message that says what to fix.
func Connect(ctx context.Context, api *slack.Client) (Identity, error) {
	resp, err := api.AuthTestContext(ctx)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			switch se.Err {
			case "invalid_auth", "token_revoked", "account_inactive", "not_authed":
				return Identity{}, fmt.Errorf("SLACK_BOT_TOKEN was refused by Slack (%s): copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page", se.Err)
			case "not_allowed_token_type":
				return Identity{}, fmt.Errorf("SLACK_BOT_TOKEN is not a bot token (%s): use the xoxb-… token", se.Err)
			}
		}
		return Identity{}, fmt.Errorf("auth.test: %w", err)
	}
	return Identity{TeamID: resp.TeamID, Team: resp.Team, UserID: resp.UserID, BotID: resp.BotID}, nil
}
