package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/rapportbot/rapport/bot/slackfake"
)

const secondTeam = "T0SECOND"

// twoWorkspaces is a fake serving the default workspace with alice and a second one with bob.
func twoWorkspaces(t *testing.T) (*slackfake.Server, *slackfake.Workspace) {
	t.Helper()
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE", Name: "alice"}))
	b := s.AddWorkspace(secondTeam, "Second Team", slack.User{ID: "UBOB", Name: "bob"})
	return s, b
}

// TestWorkspacesApart: one API URL, two workspaces; each call reads and writes the state of the
// workspace its token selects, and nothing of the other's.
func TestWorkspacesApart(t *testing.T) {
	s, b := twoWorkspaces(t)
	ctx := waitCtx(t)
	apiA, apiB := newAPI(t, s, slackfake.BotToken), newAPI(t, s, b.BotToken())
	if b.BotToken() == slackfake.BotToken || b.BotUserID() == slackfake.BotUserID || s.Workspace(slackfake.TeamID) == nil ||
		s.Workspace(secondTeam) != b || s.Workspace("T0NONE") != nil {
		t.Fatalf("workspaces: B's token %q, bot %q; default %v", b.BotToken(), b.BotUserID(), s.Workspace(slackfake.TeamID))
	}

	for _, tc := range []struct {
		api                 *slack.Client
		team, name, botUser string
	}{
		{apiA, slackfake.TeamID, slackfake.TeamName, slackfake.BotUserID},
		{apiB, secondTeam, "Second Team", b.BotUserID()},
	} {
		at, err := tc.api.AuthTestContext(ctx)
		if err != nil || at.TeamID != tc.team || at.Team != tc.name || at.UserID != tc.botUser {
			t.Errorf("auth.test for %s: %+v, %v", tc.team, at, err)
		}
	}

	ids := func(api *slack.Client) map[string]string {
		users, err := api.GetUsersContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, u := range users {
			out[u.ID] = u.TeamID
		}
		return out
	}
	if a := ids(apiA); a["UALICE"] != slackfake.TeamID || a["UBOB"] != "" || a[b.BotUserID()] != "" {
		t.Errorf("users.list with A's token: %v; want alice and not bob nor B's bot", a)
	}
	if bu := ids(apiB); bu["UBOB"] != secondTeam || bu[b.BotUserID()] != secondTeam || bu["UALICE"] != "" || bu[slackfake.BotUserID] != "" {
		t.Errorf("users.list with B's token: %v; want bob and B's bot, in B", bu)
	}
	if _, err := apiA.GetUserInfoContext(ctx, "UBOB"); slackErr(err) != "user_not_found" {
		t.Errorf("users.info of B's member with A's token: %v, want user_not_found", err)
	}

	// A DM posted with B's token is B's, and A knows nothing of it.
	ch, ts, err := apiB.PostMessageContext(ctx, "UBOB", slack.MsgOptionText("hello bob", false))
	if err != nil {
		t.Fatal(err)
	}
	if dm := b.DMs("UBOB"); len(dm) != 1 || dm[0].Channel != ch || dm[0].TS != ts || dm[0].Text != "hello bob" {
		t.Errorf("B's DMs with bob: %+v", dm)
	}
	if len(s.DMs("UBOB")) != 0 || len(s.Messages()) != 0 {
		t.Errorf("A shows B's DM: DMs %+v, messages %+v", s.DMs("UBOB"), s.Messages())
	}
	if _, _, err := apiA.PostMessageContext(ctx, "UBOB", slack.MsgOptionText("hi", false)); slackErr(err) != "channel_not_found" {
		t.Errorf("A's token posting to B's member: %v, want channel_not_found", err)
	}
	if _, err := apiA.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: ch}); slackErr(err) != "channel_not_found" {
		t.Errorf("conversations.info of B's DM with A's token: %v, want channel_not_found", err)
	}
	if info, err := apiB.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: ch}); err != nil || !info.IsIM || info.User != "UBOB" {
		t.Errorf("conversations.info of B's DM with B's token: %+v, %v", info, err)
	}
	if _, _, err := apiA.PostMessageContext(ctx, "UALICE", slack.MsgOptionText("hello alice", false)); err != nil {
		t.Fatal(err)
	}
	if len(b.Messages()) != 1 || len(s.DMs("UALICE")) != 1 {
		t.Errorf("after A's DM to alice: B has %d messages, A's alice %d DMs; want 1 and 1", len(b.Messages()), len(s.DMs("UALICE")))
	}

	// Calls name the workspace of their token.
	if calls := b.Calls("chat.postMessage"); len(calls) != 1 || calls[0].Team != secondTeam || calls[0].Params["channel"] != "UBOB" {
		t.Errorf("B's chat.postMessage calls: %+v", calls)
	}
	if calls := s.Workspace(slackfake.TeamID).Calls("chat.postMessage"); len(calls) != 2 {
		t.Errorf("A's chat.postMessage calls: %+v; want the refused one and alice's", calls)
	}
	if n := len(s.Calls("chat.postMessage")); n != 3 {
		t.Errorf("Server.Calls has %d chat.postMessage calls, want every workspace's 3", n)
	}

	t.Run("FaultsPerWorkspace", func(t *testing.T) {
		b.RateLimitNext("chat.postMessage", time.Second, 1)
		if _, _, err := apiA.PostMessageContext(ctx, "UALICE", slack.MsgOptionText("A goes on", false)); err != nil {
			t.Errorf("A while B is rate limited: %v", err)
		}
		var limited *slack.RateLimitedError
		if _, _, err := apiB.PostMessageContext(ctx, "UBOB", slack.MsgOptionText("B waits", false)); !errors.As(err, &limited) {
			t.Errorf("B's rate-limited post: %v, want a 429", err)
		}
		b.RefuseBotToken("token_revoked")
		b.FailNext("users.info", "internal_error", 1)
		s.FailNext("auth.test", "internal_error", 1)
		if _, err := apiB.AuthTestContext(ctx); slackErr(err) != "token_revoked" {
			t.Errorf("B's revoked token: %v", err)
		}
		if _, err := apiA.AuthTestContext(ctx); slackErr(err) != "internal_error" {
			t.Errorf("A's injected failure: %v", err)
		}
		if _, err := apiA.GetUserInfoContext(ctx, "UALICE"); err != nil {
			t.Errorf("A while B's token is refused and B's users.info fails: %v", err)
		}
		b.RefuseBotToken("")
		if _, err := apiB.GetUserInfoContext(ctx, "UBOB"); slackErr(err) != "internal_error" {
			t.Errorf("B's injected failure: %v", err)
		}
		if _, err := apiB.AuthTestContext(ctx); err != nil {
			t.Errorf("B's token accepted again: %v", err)
		}
	})
}

// TestWorkspacePayloads: what a workspace's members do carries its team, reaches the one app
// through the same socket, and its triggers, views and response_urls are that workspace's.
func TestWorkspacePayloads(t *testing.T) {
	s, b := twoWorkspaces(t)
	ctx := waitCtx(t)
	apiA, apiB := newAPI(t, s, slackfake.BotToken), newAPI(t, s, b.BotToken())

	var (
		mu   sync.Mutex
		cmds []slack.SlashCommand
	)
	startBot(t, s, func(evt socketmode.Event) any {
		if c, ok := evt.Data.(slack.SlashCommand); ok {
			mu.Lock()
			cmds = append(cmds, c)
			mu.Unlock()
		}
		return nil
	})
	cmd := b.SlashCommand("UBOB", "Acme")
	if _, err := b.Send(ctx, "slash_commands", cmd); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, "slash_commands", s.SlashCommand("UALICE", "Initech")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(cmds) != 2 || cmds[0].TeamID != secondTeam || cmds[0].TeamDomain != "t0second" || cmds[0].UserName != "bob" ||
		cmds[0].APIAppID != slackfake.AppID || cmds[1].TeamID != slackfake.TeamID || cmds[1].UserID != "UALICE" {
		t.Errorf("the app received %+v; want bob's command from B, then alice's from A, one app", cmds)
	}
	mu.Unlock()

	// B's trigger opens a view with B's token only.
	modal := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Refer", false, false), CallbackID: "refer"}
	if _, err := apiA.OpenViewContext(ctx, cmd["trigger_id"].(string), modal); slackErr(err) != "invalid_trigger_id" {
		t.Errorf("B's trigger with A's token: %v, want invalid_trigger_id", err)
	}
	opened, err := apiB.OpenViewContext(ctx, cmd["trigger_id"].(string), modal)
	if err != nil || opened.View.TeamID != secondTeam || opened.View.BotID != b.BotID() || opened.View.AppID != slackfake.AppID {
		t.Fatalf("views.open with B's token: %+v, %v", opened, err)
	}
	if vs := b.Views(); len(vs) != 1 || vs[0].User != "UBOB" || len(s.Views()) != 0 {
		t.Errorf("views: B %+v, A %+v", vs, s.Views())
	}
	if _, err := apiA.UpdateViewContext(ctx, modal, "", "", opened.View.ID); slackErr(err) != "not_found" {
		t.Errorf("views.update of B's view with A's token: %v, want not_found", err)
	}
	sub := decode[slack.InteractionCallback](t, b.ViewSubmission("UBOB", opened.View, nil))
	if sub.Team.ID != secondTeam || sub.User.TeamID != secondTeam || sub.View.CallbackID != "refer" || sub.APIAppID != slackfake.AppID {
		t.Errorf("B's view_submission: team %q, user's team %q, view %q", sub.Team.ID, sub.User.TeamID, sub.View.CallbackID)
	}

	// A button on B's DM: the message is B's bot's, the response_url edits B's message.
	ch, ts, err := apiB.PostMessageContext(ctx, "UBOB", slack.MsgOptionText("pick", false))
	if err != nil {
		t.Fatal(err)
	}
	act := b.BlockAction("UBOB", slack.BlockAction{ActionID: "a", BlockID: "b", Type: "button"}, slackfake.InMessage(ch, ts))
	click := decode[slack.InteractionCallback](t, act)
	if click.Team.ID != secondTeam || click.Message.BotID != b.BotID() || click.Message.User != b.BotUserID() || click.Message.Team != secondTeam {
		t.Errorf("B's block_actions: team %q, message by %q/%q in %q", click.Team.ID, click.Message.User, click.Message.BotID, click.Message.Team)
	}
	if _, _, err := apiA.PostMessageContext(ctx, "", slack.MsgOptionText("done", false),
		slack.MsgOptionReplaceOriginal(click.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if dm := b.DMs("UBOB"); len(dm) != 1 || dm[0].Text != "done" || dm[0].Updated != 1 || len(s.Messages()) != 0 {
		t.Errorf("after B's response_url: B's DMs %+v, A's messages %+v", dm, s.Messages())
	}

	// B's Home tab.
	home, err := apiB.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "UBOB", View: slack.HomeTabViewRequest{Type: slack.VTHomeTab}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apiA.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "UBOB", View: slack.HomeTabViewRequest{Type: slack.VTHomeTab}}); slackErr(err) != "user_not_found" {
		t.Errorf("views.publish for B's member with A's token: %v, want user_not_found", err)
	}
	homeOpened := decode[eventCallback](t, b.AppHomeOpened("UBOB"))
	if homeOpened.TeamID != secondTeam || len(homeOpened.Authorizations) != 1 || homeOpened.Authorizations[0].TeamID != secondTeam ||
		homeOpened.Authorizations[0].UserID != b.BotUserID() || homeOpened.Event.View.ID != home.View.ID || homeOpened.Event.Channel != ch {
		t.Errorf("B's app_home_opened: %+v", homeOpened)
	}
	if gone := decode[eventCallback](t, b.AppUninstalled()); gone.TeamID != secondTeam || gone.Event.Type != "app_uninstalled" {
		t.Errorf("B's app_uninstalled: %+v", gone)
	}
}

// TestWorkspaceOverHTTP: in HTTP mode every workspace's requests go to the app's one Request URL,
// signed with its one secret, each carrying its team.
func TestWorkspaceOverHTTP(t *testing.T) {
	s, b := twoWorkspaces(t)
	var (
		mu    sync.Mutex
		teams []string
	)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get("X-Slack-Request-Timestamp"), 10, 64)
		if r.URL.Path != "/slack/commands" || r.Header.Get("X-Slack-Signature") != slackfake.Sign(slackfake.SigningSecret, time.Unix(ts, 0), body) {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		form, _ := url.ParseQuery(string(body))
		mu.Lock()
		teams = append(teams, form.Get("team_id"))
		mu.Unlock()
	}))
	t.Cleanup(app.Close)
	s.DeliverOverHTTP(app.URL, slackfake.SigningSecret)
	ctx := waitCtx(t)
	if _, err := b.Send(ctx, "slash_commands", b.SlashCommand("UBOB", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, "slash_commands", s.SlashCommand("UALICE", "")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(teams) != 2 || teams[0] != secondTeam || teams[1] != slackfake.TeamID {
		t.Errorf("the app's Request URL received commands from %v; want B's, then A's", teams)
	}
}

// eventCallback is the part of an event_callback the workspace tests read.
type eventCallback struct {
	TeamID         string `json:"team_id"`
	Authorizations []struct {
		TeamID string `json:"team_id"`
		UserID string `json:"user_id"`
	} `json:"authorizations"`
	Event struct {
		Type    string `json:"type"`
		Channel string `json:"channel"`
		View    struct {
			ID string `json:"id"`
		} `json:"view"`
	} `json:"event"`
}

// decode is a payload as the app decodes it.
func decode[T any](t *testing.T, payload map[string]any) T {
	t.Helper()
	var out T
	b, _ := json.Marshal(payload)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %T: %v", out, err)
	}
	return out
}

// TestOAuthInstallIntoSecondWorkspace: the consent picks the workspace; its code is exchanged for
// that workspace's token, which its Web API then takes with the scopes the install asked for.
func TestOAuthInstallIntoSecondWorkspace(t *testing.T) {
	s, b := twoWorkspaces(t)
	ctx := waitCtx(t)
	installed := newAPI(t, s, b.InstalledBotToken())
	if _, err := installed.AuthTestContext(ctx); slackErr(err) != "invalid_auth" {
		t.Fatalf("B's installed token before the install: %v, want invalid_auth", err)
	}
	s.Consent(slackfake.Consent{Team: secondTeam, User: "UBOB"})
	resp, err := exchange(t, s, slackfake.ClientSecret, authorize(t, s, slackfake.ClientID).Query().Get("code"), appRedirect)
	if err != nil {
		t.Fatal(err)
	}
	if resp.AccessToken != b.InstalledBotToken() || resp.BotUserID != b.BotUserID() || resp.Team.ID != secondTeam ||
		resp.Team.Name != "Second Team" || resp.AuthedUser.ID != "UBOB" || resp.AppID != slackfake.AppID {
		t.Errorf("oauth.v2.access for B: %+v", resp)
	}
	at, err := installed.AuthTestContext(ctx)
	if err != nil || at.TeamID != secondTeam || at.UserID != b.BotUserID() {
		t.Errorf("auth.test with B's installed token: %+v, %v", at, err)
	}
	if _, _, err := installed.PostMessageContext(ctx, "UBOB", slack.MsgOptionText("welcome", false)); err != nil {
		t.Errorf("chat.postMessage with B's installed token: %v", err)
	}
	if len(b.DMs("UBOB")) != 1 || len(s.Messages()) != 0 {
		t.Errorf("the welcome: B's DMs %+v, A's messages %+v", b.DMs("UBOB"), s.Messages())
	}
	// The install granted B what it asked for (commands,chat:write), and A keeps the manifest's.
	if _, err := installed.GetUsersContext(ctx); slackErr(err) != "missing_scope" {
		t.Errorf("users.list in B after an install without users:read: %v, want missing_scope", err)
	}
	if _, err := newAPI(t, s, slackfake.BotToken).GetUsersContext(ctx); err != nil {
		t.Errorf("users.list in A: %v", err)
	}
}

// member is what an end-to-end test's person drives Slack through: the Server (its default
// workspace) and every Workspace offer it alike, so one person type serves any workspace.
type member interface {
	Send(ctx context.Context, typ string, payload any) (slackfake.Ack, error)
	WaitFor(ctx context.Context, cond func() bool) error
	SlashCommand(userID, text string) map[string]any
	Command(channelID, userID, command, text string) map[string]any
	ViewSubmission(userID string, view slack.View, values map[string]map[string]slack.BlockAction) map[string]any
	BlockAction(userID string, action slack.BlockAction, in slackfake.Container) map[string]any
	AppHomeOpened(userID string) map[string]any
	MessageIM(userID, text string) map[string]any
	AppUninstalled() map[string]any
	DMs(userID string) []slackfake.Message
	Messages() []slackfake.Message
	Views() []slackfake.View
	Files() []slackfake.File
	Calls(method string) []slackfake.Call
	AddUser(u slack.User)
	FailNext(method, slackError string, n int)
	RateLimitNext(method string, retryAfter time.Duration, n int)
	RefuseBotToken(slackError string)
}

var _, _ member = (*slackfake.Server)(nil), (*slackfake.Workspace)(nil)
