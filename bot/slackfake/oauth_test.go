package slackfake_test

import (
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot/slackfake"
)

const appRedirect = "https://rapport.example/slack/oauth_redirect"

// authorize visits the fake's authorize page as a browser would, and returns where it sends the
// browser back to.
func authorize(t *testing.T, s *slackfake.Server, clientID string) *url.URL {
	t.Helper()
	q := url.Values{"client_id": {clientID}, "scope": {"commands,chat:write"}, "redirect_uri": {appRedirect}, "state": {"st4te"}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: deadline,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(waitCtx(t), http.MethodGet, s.AuthorizeURL()+"?"+q.Encode(), nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s, want 302", resp.Status)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func exchange(t *testing.T, s *slackfake.Server, secret, code, redirect string) (*slack.OAuthV2Response, error) {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return slack.GetOAuthV2ResponseContext(waitCtx(t), &http.Client{Transport: tr, Timeout: deadline},
		slackfake.ClientID, secret, code, redirect, slack.OAuthOptionAPIURL(s.APIURL()))
}

func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func TestOAuthInstall(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.InstalledBotToken)
	if _, err := api.AuthTestContext(waitCtx(t)); slackErr(err) != "invalid_auth" {
		t.Fatalf("auth.test before the install: %v, want invalid_auth", err)
	}

	back := authorize(t, s, slackfake.ClientID)
	if back.Host != "rapport.example" || back.Query().Get("state") != "st4te" || back.Query().Get("code") == "" {
		t.Fatalf("redirected to %s, want the redirect_uri with a code and the state", back.Redacted())
	}
	code := back.Query().Get("code")
	resp, err := exchange(t, s, slackfake.ClientSecret, code, appRedirect)
	if err != nil {
		t.Fatalf("oauth.v2.access: %v", err)
	}
	if resp.AccessToken != slackfake.InstalledBotToken || resp.TokenType != "bot" || resp.BotUserID != slackfake.BotUserID ||
		resp.Team.ID != slackfake.TeamID || resp.Team.Name != slackfake.TeamName || resp.AuthedUser.ID != slackfake.InstallerID ||
		resp.AppID != slackfake.AppID || resp.Scope != "commands,chat:write" || resp.Enterprise.ID != "" || resp.IsEnterpriseInstall {
		t.Errorf("oauth.v2.access answered %+v", resp)
	}
	// The installed token is the team's bot token now.
	at, err := api.AuthTestContext(waitCtx(t))
	if err != nil || at.TeamID != slackfake.TeamID || at.UserID != slackfake.BotUserID {
		t.Errorf("auth.test with the installed token: %+v, %v", at, err)
	}
	calls := s.Calls("oauth.v2.access")
	if len(calls) != 1 || calls[0].Params["client_secret"] != "" || calls[0].Params["code"] != code {
		t.Errorf("recorded oauth.v2.access calls %+v: want one, without the secret", calls)
	}

	t.Run("CodeOnce", func(t *testing.T) {
		if _, err := exchange(t, s, slackfake.ClientSecret, code, appRedirect); slackErr(err) != "invalid_code" {
			t.Errorf("a code exchanged twice: %v, want invalid_code", err)
		}
	})
}

func TestOAuthRefusals(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := newFake(t, slackfake.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }))
	for _, tc := range []struct {
		name, secret, redirect, want string
		after                        time.Duration
	}{
		{"BadSecret", "wrong", appRedirect, "bad_client_secret", 0},
		{"BadRedirect", slackfake.ClientSecret, "https://elsewhere.example/cb", "bad_redirect_uri", 0},
		{"Expired", slackfake.ClientSecret, appRedirect, "invalid_code", 10*time.Minute + time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := authorize(t, s, slackfake.ClientID).Query().Get("code")
			mu.Lock()
			clock = clock.Add(tc.after)
			mu.Unlock()
			if _, err := exchange(t, s, tc.secret, code, tc.redirect); slackErr(err) != tc.want {
				t.Errorf("oauth.v2.access: %v, want %s", err, tc.want)
			}
		})
	}
	t.Run("Denied", func(t *testing.T) {
		s.Consent(slackfake.Consent{Deny: true})
		back := authorize(t, s, slackfake.ClientID)
		if back.Query().Get("error") != "access_denied" || back.Query().Get("code") != "" || back.Query().Get("state") != "st4te" {
			t.Errorf("a cancelled install came back with %v", back.Query())
		}
	})
	t.Run("UnknownClient", func(t *testing.T) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		resp, err := (&http.Client{Transport: tr}).Get(s.AuthorizeURL() + "?client_id=nope&scope=commands&redirect_uri=" + url.QueryEscape(appRedirect))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("authorize with an unknown client: %s, want Slack's error page (400)", resp.Status)
		}
	})
	t.Run("OtherTeam", func(t *testing.T) {
		s.Consent(slackfake.Consent{Team: "T0SECOND", User: "UOTHER"})
		code := authorize(t, s, slackfake.ClientID).Query().Get("code")
		resp, err := exchange(t, s, slackfake.ClientSecret, code, appRedirect)
		if err != nil || resp.Team.ID != "T0SECOND" || resp.AccessToken == slackfake.InstalledBotToken || resp.AuthedUser.ID != "UOTHER" {
			t.Fatalf("install into another team: %+v, %v", resp, err)
		}
		// A team the fake does not serve (no AddWorkspace): its token is issued, and refused.
		if _, err := newAPI(t, s, resp.AccessToken).AuthTestContext(waitCtx(t)); slackErr(err) != "invalid_auth" {
			t.Errorf("auth.test with another team's token: %v, want invalid_auth", err)
		}
	})
}
