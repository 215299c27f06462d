package slackfake_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/deploy"
)

// post calls method with token in a form body, as slack-go does for most methods, and returns
// Slack's reply headers and decoded body.
func post(t *testing.T, s *slackfake.Server, method, token string, form url.Values) (http.Header, map[string]any) {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	if form == nil {
		form = url.Values{}
	}
	form.Set("token", token)
	resp, err := (&http.Client{Transport: tr}).PostForm(s.APIURL()+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.Header, body
}

func TestScopeHeaders(t *testing.T) {
	s := newFake(t)
	manifest, err := deploy.BotScopes()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := post(t, s, "auth.test", slackfake.BotToken, nil)
	if got, want := h.Get("X-OAuth-Scopes"), strings.Join(manifest, ","); got != want {
		t.Errorf("auth.test X-OAuth-Scopes = %q, want the manifest's %q", got, want)
	}
	h, _ = post(t, s, "chat.postMessage", slackfake.BotToken, url.Values{"channel": {slackfake.GeneralChannelID}, "text": {"hi"}})
	if got := h.Get("X-Accepted-OAuth-Scopes"); got != "chat:write" {
		t.Errorf("chat.postMessage X-Accepted-OAuth-Scopes = %q, want chat:write", got)
	}
	h, _ = post(t, s, "apps.connections.open", slackfake.AppToken, nil)
	if got := h.Get("X-OAuth-Scopes"); got != "connections:write" {
		t.Errorf("apps.connections.open X-OAuth-Scopes = %q, want connections:write", got)
	}
	h, body := post(t, s, "auth.test", "xoxb-wrong", nil)
	if _, ok := h["X-Oauth-Scopes"]; ok || body["error"] != "invalid_auth" {
		t.Errorf("a refused token: header %q, body %v; want no scopes, invalid_auth", h.Get("X-OAuth-Scopes"), body)
	}

	posted := len(s.Messages())
	s.SetScopes("commands", "users:read")
	h, body = post(t, s, "chat.postMessage", slackfake.BotToken, url.Values{"channel": {slackfake.GeneralChannelID}, "text": {"hi"}})
	if body["error"] != "missing_scope" || body["needed"] != "chat:write" || body["provided"] != "commands,users:read" ||
		h.Get("X-OAuth-Scopes") != "commands,users:read" {
		t.Errorf("chat.postMessage without chat:write: header %q, body %v", h.Get("X-OAuth-Scopes"), body)
	}
	if n := len(s.Messages()) - posted; n != 0 {
		t.Errorf("%d messages posted without chat:write", n)
	}
	// slack-go reports it as any Slack error.
	_, _, err = newAPI(t, s, slackfake.BotToken).PostMessageContext(waitCtx(t), slackfake.GeneralChannelID, slack.MsgOptionText("hi", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "missing_scope" {
		t.Errorf("slack-go: %v, want missing_scope", err)
	}
}

func TestConversationsInfo(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	info := func(id string) (*slack.Channel, error) {
		return api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	}
	ch, err := info(slackfake.GeneralChannelID)
	if err != nil || ch.Name != "general" || !ch.IsMember || ch.IsPrivate || !ch.IsChannel {
		t.Fatalf("general: %+v, %v; want a public channel the bot is in", ch, err)
	}
	s.RemoveBot(slackfake.GeneralChannelID)
	if ch, err = info(slackfake.GeneralChannelID); err != nil || ch.IsMember {
		t.Errorf("general after RemoveBot: member %v, %v; want is_member false", ch.IsMember, err)
	}
	if ch, err = info("G0PRIVATE"); err != nil || !ch.IsMember || !ch.IsPrivate {
		t.Errorf("a private channel the bot is in: %+v, %v", ch, err)
	}
	s.RemoveBot("G0PRIVATE")
	if _, err = info("G0PRIVATE"); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("a private channel the bot is not in: %v, want channel_not_found", err)
	}
	s.SetScopes("chat:write")
	if _, err = info(slackfake.GeneralChannelID); err == nil || err.Error() != "missing_scope" {
		t.Errorf("without channels:read: %v, want missing_scope", err)
	}
}
