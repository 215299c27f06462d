package slackfake_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot/slackfake"
)

func TestAuthTest(t *testing.T) {
	s := newFake(t)
	res, err := newAPI(t, s, slackfake.BotToken).AuthTestContext(waitCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.UserID != slackfake.BotUserID || res.BotID != slackfake.BotID || res.TeamID != slackfake.TeamID {
		t.Errorf("auth.test = %+v", res)
	}
}

func TestTokens(t *testing.T) {
	s := newFake(t)
	ctx := waitCtx(t)
	tests := []struct {
		name, token, want string
		call              func(*slack.Client) error
	}{
		{"BadBotToken", "xoxb-wrong", "invalid_auth", func(c *slack.Client) error { _, err := c.AuthTestContext(ctx); return err }},
		{"AppTokenForBotMethod", slackfake.AppToken, "not_allowed_token_type", func(c *slack.Client) error { _, err := c.AuthTestContext(ctx); return err }},
		{"BotTokenForSocket", slackfake.BotToken, "not_allowed_token_type", func(c *slack.Client) error {
			_, _, err := slack.New(slackfake.BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(slackfake.BotToken)).StartSocketModeContext(ctx)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(newAPI(t, s, tt.token))
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestUnknownMethod(t *testing.T) {
	s := newFake(t)
	resp, err := http.PostForm(s.APIURL()+"chat.nope", url.Values{"token": {slackfake.BotToken}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"error":"unknown_method","ok":false}` {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestFailNext(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	s.FailNext("chat.postMessage", "channel_not_found", 1)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err == nil || err.Error() != "channel_not_found" {
		t.Fatalf("first call: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if n := len(s.Calls("chat.postMessage")); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
}

// TestCallsAfter: a test following the calls reads each one once, in order, filtered by method.
func TestCallsAfter(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	post := func(text string) {
		if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(text, false)); err != nil {
			t.Fatal(err)
		}
	}
	post("one")
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
	calls, n := s.CallsAfter(0, "chat.postMessage")
	if len(calls) != 1 || calls[0].Params["text"] != "one" || n != 2 {
		t.Fatalf("CallsAfter(0) = %d calls, %d recorded; want one, 2", len(calls), n)
	}
	post("two")
	post("three")
	calls, n = s.CallsAfter(n, "chat.postMessage")
	if len(calls) != 2 || calls[0].Params["text"] != "two" || calls[1].Params["text"] != "three" || n != 4 {
		t.Fatalf("CallsAfter(2) = %+v, %d recorded; want two and three, 4", calls, n)
	}
	if calls, m := s.CallsAfter(n, ""); len(calls) != 0 || m != n {
		t.Errorf("CallsAfter(%d) = %d calls, %d; want none", n, len(calls), m)
	}
}

func TestRateLimitNext(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.BotToken)
	s.RateLimitNext("users.info", 1500*time.Millisecond, 1)
	_, err := api.GetUserInfoContext(waitCtx(t), slackfake.BotUserID)
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("err = %v, want RateLimitedError after 2s", err)
	}
	if _, err := api.GetUserInfoContext(waitCtx(t), slackfake.BotUserID); err != nil {
		t.Fatal(err)
	}
}

func TestSetRateLimitPerChannel(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	s.SetRateLimit("chat.postMessage", 1)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("a", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C2", slack.MsgOptionText("b", false)); err != nil {
		t.Fatalf("other channel: %v", err)
	}
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("c", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 || rl.RetryAfter > time.Minute {
		t.Errorf("err = %v, want RateLimitedError", err)
	}
}

func TestPostToUserLandsInDM(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE", Name: "alice"}))
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	ch, ts1, err := api.PostMessageContext(ctx, "UALICE", slack.MsgOptionText("one", false))
	if err != nil {
		t.Fatal(err)
	}
	dm, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"UALICE"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch, "D") || dm.ID != ch {
		t.Fatalf("postMessage channel %q, conversations.open %q", ch, dm.ID)
	}
	_, ts2, err := api.PostMessageContext(ctx, dm.ID, slack.MsgOptionText("two", false))
	if err != nil {
		t.Fatal(err)
	}
	got := s.DMs("UALICE")
	if len(got) != 2 || got[0].Text != "one" || got[1].Text != "two" || got[0].User != "UALICE" || !(ts1 < ts2) {
		t.Errorf("DMs = %+v", got)
	}
	if _, _, err := api.PostMessageContext(ctx, "UNOBODY", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("post to unknown user: %v", err)
	}
}

func TestChatUpdateEditsInPlace(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("before", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("after", false)); err != nil {
		t.Fatal(err)
	}
	got := s.Messages()
	if len(got) != 1 || got[0].Text != "after" || got[0].Updated != 1 || got[0].TS != ts {
		t.Errorf("messages = %+v", got)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch, "1.000000", slack.MsgOptionText("x", false)); err == nil || err.Error() != "message_not_found" {
		t.Errorf("update unknown: %v", err)
	}
}

func TestResponseURL(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE", Name: "alice"}))
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	cmd := s.SlashCommand("UALICE", "help")
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionText("later", false),
		slack.MsgOptionResponseURL(cmd["response_url"].(string), slack.ResponseTypeEphemeral)); err != nil {
		t.Fatal(err)
	}
	got := s.Messages()
	if len(got) != 1 || !got[0].Ephemeral || got[0].User != "UALICE" || got[0].Channel != slackfake.GeneralChannelID {
		t.Fatalf("messages = %+v", got)
	}

	ch, ts, err := api.PostMessageContext(ctx, "UALICE", slack.MsgOptionText("pick", false))
	if err != nil {
		t.Fatal(err)
	}
	act := s.BlockAction("UALICE", slack.BlockAction{ActionID: "a", BlockID: "b", Type: "button"}, slackfake.InMessage(ch, ts))
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionText("done", false),
		slack.MsgOptionReplaceOriginal(act["response_url"].(string))); err != nil {
		t.Fatal(err)
	}
	dm := s.DMs("UALICE")
	if len(dm) != 1 || dm[0].Text != "done" || dm[0].Updated != 1 {
		t.Errorf("DM after replace_original = %+v", dm)
	}
}

func TestViewsOpenTriggers(t *testing.T) {
	now := time.Unix(1700000000, 0)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	s := newFake(t, slackfake.WithClock(func() time.Time { return *clock.Load() }))
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	modal := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Refer", false, false),
		CallbackID: "refer", PrivateMetadata: "m1"}

	if _, err := api.OpenViewContext(ctx, "123.456.abc", modal); err == nil || err.Error() != "invalid_trigger_id" {
		t.Errorf("made-up trigger: %v", err)
	}
	trigger := s.SlashCommand("UALICE", "")["trigger_id"].(string)
	res, err := api.OpenViewContext(ctx, trigger, modal)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.View.ID, "V") || res.View.CallbackID != "refer" || res.View.PrivateMetadata != "m1" || res.View.Hash == "" {
		t.Errorf("view = %+v", res.View)
	}
	if _, err := api.OpenViewContext(ctx, trigger, modal); err == nil || err.Error() != "exchanged_trigger_id" {
		t.Errorf("reused trigger: %v", err)
	}
	late := s.SlashCommand("UALICE", "")["trigger_id"].(string)
	later := now.Add(3*time.Second + time.Millisecond)
	clock.Store(&later)
	if _, err := api.OpenViewContext(ctx, late, modal); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("expired trigger: %v", err)
	}

	modal.Title.Text = "Refer"
	modal.PrivateMetadata = "m2"
	up, err := api.UpdateViewContext(ctx, modal, "", "", res.View.ID)
	if err != nil {
		t.Fatal(err)
	}
	if up.View.ID != res.View.ID || up.View.PrivateMetadata != "m2" || up.View.Hash == res.View.Hash {
		t.Errorf("updated view = %+v", up.View)
	}
	views := s.Views()
	if len(views) != 2 || views[0].Method != "views.open" || views[0].User != "UALICE" || views[1].Method != "views.update" {
		t.Errorf("views = %+v", views)
	}
}

func TestViewLimits(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.BotToken)
	trigger := s.SlashCommand("UALICE", "")["trigger_id"].(string)
	_, err := api.OpenViewContext(waitCtx(t), trigger, slack.ModalViewRequest{Type: slack.VTModal,
		Title: slack.NewTextBlockObject("plain_text", strings.Repeat("x", 25), false, false)})
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_arguments" || len(se.ResponseMetadata.Messages) != 1 {
		t.Errorf("err = %#v", err)
	}
}

func TestViewsPublish(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE"}))
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab}
	first, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "UALICE", View: home})
	if err != nil {
		t.Fatal(err)
	}
	second, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "UALICE", View: home})
	if err != nil {
		t.Fatal(err)
	}
	if first.View.ID != second.View.ID {
		t.Errorf("home view id changed: %s → %s", first.View.ID, second.View.ID)
	}
	var ev struct {
		Event struct {
			View json.RawMessage `json:"view"`
		} `json:"event"`
	}
	raw, _ := json.Marshal(s.AppHomeOpened("UALICE"))
	if json.Unmarshal(raw, &ev); !strings.Contains(string(ev.Event.View), second.View.ID) {
		t.Errorf("app_home_opened view = %s", ev.Event.View)
	}
}

func TestFileUploadRoundTrip(t *testing.T) {
	s := newFake(t, slackfake.WithUsers(slack.User{ID: "UALICE"}))
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	dm, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"UALICE"}})
	if err != nil {
		t.Fatal(err)
	}
	content := "name,company\nBob,Acme\n"
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "referrals.csv", Title: "Referrals",
		Content: content, FileSize: len(content), Channel: dm.ID})
	if err != nil {
		t.Fatal(err)
	}
	files := s.Files()
	if len(files) != 1 || files[0].ID != sum.ID || string(files[0].Content) != content ||
		files[0].Channel != dm.ID || files[0].Title != "Referrals" || files[0].Filename != "referrals.csv" {
		t.Errorf("files = %+v", files)
	}
	_, err = api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "x.csv", Content: "x", FileSize: 1, Channel: "UALICE"})
	if err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("upload to a user id: %v", err)
	}
}

func TestUsersListPagination(t *testing.T) {
	var users []slack.User
	for _, id := range []string{"UA", "UB", "UC", "UD"} {
		users = append(users, slack.User{ID: id, Name: strings.ToLower(id)})
	}
	users = append(users, slack.User{ID: "UGONE", Deleted: true})
	s := newFake(t, slackfake.WithUsers(users...))
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)

	got, err := api.GetUsersContext(ctx, slack.GetUsersOptionLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range got {
		ids = append(ids, u.ID)
		if u.ID == slackfake.SlackbotUserID && u.IsBot {
			t.Error("USLACKBOT must have is_bot false")
		}
	}
	if want := "USLACKBOT UBOT UA UB UC UD UGONE"; strings.Join(ids, " ") != want {
		t.Errorf("users = %v, want %s", ids, want)
	}
	if n := len(s.Calls("users.list")); n != 4 {
		t.Errorf("users.list calls = %d, want 4 pages", n)
	}
	if _, err := api.GetUserInfoContext(ctx, "UNOBODY"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("users.info unknown: %v", err)
	}
	s.AddUser(slack.User{ID: "UNEW", Name: "new"})
	if u, err := api.GetUserInfoContext(ctx, "UNEW"); err != nil || u.Name != "new" {
		t.Errorf("users.info after AddUser: %v %v", u, err)
	}
}
