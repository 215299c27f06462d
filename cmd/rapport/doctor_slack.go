package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/deploy"
)

// botToken proves SLACK_BOT_TOKEN as the start-up does (bot.Connect: auth.test).
func (c *checkup) botToken(ctx context.Context) {
	const check = "bot token"
	if c.badVariable(check, "SLACK_BOT_TOKEN") {
		return
	}
	if c.cfg.BotToken == "" {
		c.skipped(check, "no SLACK_BOT_TOKEN: each workspace's token comes from its OAuth install (/slack/install)")
		return
	}
	if c.api == nil {
		c.skipped(check, "SLACK_API_URL is not valid")
		return
	}
	id, err := bot.Connect(ctx, c.api)
	if err != nil {
		c.slackProblem(check, err)
		return
	}
	c.id = &id
	c.ok(check, "%s is the bot user %s in %s (%s)", hint(c.cfg.BotToken), id.UserID, id.Team, id.TeamID)
}

// slackProblem reports a refused token with its fix, and any other failure as Slack out of reach.
func (c *checkup) slackProblem(check string, err error) {
	var te *bot.TokenError
	if errors.As(err, &te) {
		c.problem(check, te.Problem, te.Fix)
		return
	}
	c.problem(check, err.Error(), fmt.Sprintf("check that this machine reaches Slack's Web API at %s (SLACK_API_URL)", c.cfg.APIURL))
}

// grantedScopes compares the scopes Slack granted the bot token (X-OAuth-Scopes of auth.test's
// reply) with the manifest's.
func (c *checkup) grantedScopes() {
	const check = "scopes"
	if c.id == nil {
		c.skipped(check, "needs a bot token Slack accepts")
		return
	}
	want, err := deploy.BotScopes()
	if err != nil {
		c.problem(check, err.Error(), "rebuild rapport from an unmodified source")
		return
	}
	granted, told := c.scopes.get()
	if !told {
		c.problem(check, "Slack's reply to auth.test named no granted scopes (no X-OAuth-Scopes header)",
			fmt.Sprintf("check that SLACK_API_URL (%s) is Slack's Web API, https://slack.com/api/", c.cfg.APIURL))
		return
	}
	var missing []string
	for _, s := range want {
		if !slices.Contains(granted, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		c.problem(check, fmt.Sprintf("the bot token lacks %s, which the manifest asks for", strings.Join(missing, ", ")),
			"in the app's settings at https://api.slack.com/apps add them (OAuth & Permissions → Bot Token Scopes, or paste "+
				"the output of `rapport manifest` in App Manifest), then reinstall the app (Install App → Reinstall to Workspace)")
		return
	}
	c.ok(check, "the bot token has the manifest's %d scopes (%s)", len(want), strings.Join(want, ", "))
}

// modeSettings checks what the connection mode needs of its own. Socket Mode needs SLACK_APP_TOKEN:
// an xapp- token (loadConfig) that Slack accepts (bot.CheckAppToken). HTTP mode needs
// SLACK_SIGNING_SECRET; whether it is the app's own shows only when Slack's first request is
// answered 401 (the log says "not signed by Slack").
func (c *checkup) modeSettings(ctx context.Context) {
	if c.badVariable("mode", "RAPPORT_MODE") {
		return
	}
	if c.cfg.HTTPMode {
		const check = "HTTP mode"
		if c.badVariable(check, "SLACK_SIGNING_SECRET") {
			return
		}
		c.ok(check, "SLACK_SIGNING_SECRET is set; Slack's requests come to %s, %s and %s on %s",
			bot.PathEvents, bot.PathInteractivity, bot.PathCommands, c.cfg.HTTPAddr)
		return
	}
	const check = "Socket Mode"
	if c.badVariable(check, "SLACK_APP_TOKEN") {
		return
	}
	if c.api == nil {
		c.skipped(check, "SLACK_API_URL is not valid")
		return
	}
	if err := bot.CheckAppToken(ctx, c.api); err != nil {
		c.slackProblem(check, err)
		return
	}
	c.ok(check, "SLACK_APP_TOKEN %s opens connections", hint(c.cfg.AppToken))
}

// recognitionChannel checks that the channel exists and that Rapport is in it: posts there and the
// digest's chart upload need membership.
func (c *checkup) recognitionChannel(ctx context.Context) {
	const check = "recognition channel"
	if c.badVariable(check, "RAPPORT_RECOGNITION_CHANNEL") {
		return
	}
	id, from := c.set.RecognitionChannel, "from RAPPORT_RECOGNITION_CHANNEL"
	if id != c.cfg.RecognitionChannel {
		from = "chosen in /refer settings"
	}
	if id == "" {
		c.ok(check, "none set, so shout-outs, thanks and the weekly digest are not posted "+
			"(set RAPPORT_RECOGNITION_CHANNEL or choose one in /refer settings)")
		return
	}
	if c.id == nil {
		c.skipped(check, "needs a bot token Slack accepts")
		return
	}
	invite := "in the channel, type /invite @Rapport"
	ch, err := c.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "channel_not_found":
		c.problem(check, fmt.Sprintf("%s (%s) is not found (channel_not_found): no such channel, or a private one Rapport is not in", id, from),
			"if it is private, "+invite+"; otherwise copy the ID (C…) from the bottom of the channel's details")
	case errors.As(err, &se) && se.Err == "not_in_channel":
		c.problem(check, fmt.Sprintf("Rapport is not in %s (not_in_channel)", id), invite)
	case errors.As(err, &se) && se.Err == "missing_scope":
		c.problem(check, "Slack refused conversations.info (missing_scope)", "grant the scopes named under scopes above")
	case err != nil:
		c.slackProblem(check, fmt.Errorf("conversations.info: %w", err))
	case ch.IsArchived:
		c.problem(check, fmt.Sprintf("#%s (%s) is archived", ch.Name, id),
			"unarchive it, or choose another channel (RAPPORT_RECOGNITION_CHANNEL or /refer settings)")
	case !ch.IsMember:
		c.problem(check, fmt.Sprintf("Rapport is not a member of #%s (%s): its posts there are refused (not_in_channel)", ch.Name, id),
			"in #"+ch.Name+", type /invite @Rapport")
	default:
		c.ok(check, "#%s (%s, %s): Rapport is a member", ch.Name, id, from)
	}
}

// hint shows a token as its first 5 characters (its kind: xoxb-, xapp-) and no more.
func hint(token string) string {
	if len(token) > 12 {
		return token[:5] + "…"
	}
	return "…"
}

// grantedScopes is a RoundTripper that keeps the X-OAuth-Scopes header of auth.test's reply: the
// scopes Slack granted the bot token, which slack-go does not expose.
type grantedScopes struct {
	next http.RoundTripper

	mu     sync.Mutex
	scopes []string
	told   bool
}

func (g *grantedScopes) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/auth.test") {
		return resp, err
	}
	if v, ok := resp.Header[http.CanonicalHeaderKey("X-OAuth-Scopes")]; ok {
		var scopes []string
		for _, s := range strings.Split(strings.Join(v, ","), ",") {
			if s = strings.TrimSpace(s); s != "" {
				scopes = append(scopes, s)
			}
		}
		g.mu.Lock()
		g.scopes, g.told = scopes, true
		g.mu.Unlock()
	}
	return resp, err
}

func (g *grantedScopes) get() ([]string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.scopes, g.told
}
