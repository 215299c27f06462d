package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/slack-go/slack"
)

// post sends body to the bot's path signed with secret at ts (no signature when secret is ""), and
// returns the status and the response's body.
func (e *env) post(path, contentType string, body []byte, secret string, ts time.Time) (int, string) {
	e.t.Helper()
	req, err := slackfake.SignedRequest(e.ctx, e.health+path, contentType, body, secret, ts)
	if err != nil {
		e.t.Fatal(err)
	}
	if secret == "" {
		req.Header.Del("X-Slack-Signature")
		req.Header.Del("X-Slack-Request-Timestamp")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// commandForm is "/refer text" as Slack posts it to /slack/commands.
func (e *env) commandForm(text string) []byte {
	v := url.Values{}
	for k, f := range e.fake.SlashCommand(alice, text) {
		v.Set(k, f.(string))
	}
	return []byte(v.Encode())
}

const formType = "application/x-www-form-urlencoded"

// TestHTTPModeRefusesWhatSlackDidNotSign checks that a request Slack did not sign, or signed more
// than five minutes ago, gets 401 and reaches no handler, while Slack's own checks of the endpoint
// are answered.
func TestHTTPModeRefusesWhatSlackDidNotSign(t *testing.T) {
	t.Parallel()
	var handled atomic.Int32
	e := start(t, options{httpMode: true, routes: func(m *bot.Mux) {
		m.Command("/refer", func(context.Context, *bot.Request) (any, error) {
			handled.Add(1)
			return bot.Ephemeral("Saved."), nil
		})
	}})
	now := time.Now()
	body := e.commandForm("Dana at Reyes Bakery")
	for _, c := range []struct {
		name   string
		body   []byte
		secret string
		ts     time.Time
	}{
		{"Unsigned", body, "", now},
		{"WrongSecret", body, "not-the-app-secret", now},
		{"Stale", body, slackfake.SigningSecret, now.Add(-6 * time.Minute)},
		{"FromTheFuture", body, slackfake.SigningSecret, now.Add(6 * time.Minute)},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, got := e.post(bot.PathCommands, formType, c.body, c.secret, c.ts)
			if code != http.StatusUnauthorized || strings.TrimSpace(got) != "invalid signature" {
				t.Errorf("answered %d %q; want 401 invalid signature", code, got)
			}
		})
	}
	t.Run("Tampered", func(t *testing.T) {
		req, err := slackfake.SignedRequest(e.ctx, e.health+bot.PathCommands, formType, body, slackfake.SigningSecret, now)
		if err != nil {
			t.Fatal(err)
		}
		// The body changes after Slack signed it (a proxy, an attacker): the signature no longer fits.
		tampered := strings.Replace(string(body), "Dana", "Mallory", 1)
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(tampered)), int64(len(tampered))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("tampered body answered %d; want 401", resp.StatusCode)
		}
	})
	if n := handled.Load(); n != 0 {
		t.Errorf("handler ran %d times for requests Slack did not sign; want 0", n)
	}

	t.Run("URLVerification", func(t *testing.T) {
		// What Slack sends when the Events URL is saved in the app's settings.
		check := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
		code, got := e.post(bot.PathEvents, "application/json", check, slackfake.SigningSecret, now)
		var ans struct{ Challenge string }
		if code != http.StatusOK || json.Unmarshal([]byte(got), &ans) != nil ||
			ans.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
			t.Errorf("url_verification answered %d %q; want 200 with the challenge", code, got)
		}
		if code, _ := e.post(bot.PathEvents, "application/json", check, "", now); code != http.StatusUnauthorized {
			t.Errorf("unsigned url_verification answered %d; want 401", code)
		}
	})
	t.Run("SSLCheck", func(t *testing.T) {
		code, got := e.post(bot.PathCommands, formType, []byte("ssl_check=1&token=x"), slackfake.SigningSecret, now)
		if code != http.StatusOK || got != "" {
			t.Errorf("ssl_check answered %d %q; want a bare 200", code, got)
		}
	})
	t.Run("Unreadable", func(t *testing.T) {
		code, _ := e.post(bot.PathInteractivity, formType, []byte("payload=%7Bnot+json"), slackfake.SigningSecret, now)
		if code != http.StatusBadRequest {
			t.Errorf("unreadable payload answered %d; want 400", code)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		big := []byte("text=" + strings.Repeat("a", 2<<20))
		code, _ := e.post(bot.PathCommands, formType, big, slackfake.SigningSecret, now)
		if code != http.StatusRequestEntityTooLarge {
			t.Errorf("a 2 MiB body answered %d; want 413", code)
		}
	})
	t.Run("OtherWorkspace", func(t *testing.T) {
		form := strings.Replace(string(body), "team_id="+slackfake.TeamID, "team_id=T0OTHER", 1)
		code, got := e.post(bot.PathCommands, formType, []byte(form), slackfake.SigningSecret, now)
		if code != http.StatusOK || got != "" || handled.Load() != 0 {
			t.Errorf("a command from another workspace answered %d %q, handled %d times; want a bare 200, unhandled",
				code, got, handled.Load())
		}
	})
	// Signed and fresh: served.
	if code, got := e.post(bot.PathCommands, formType, body, slackfake.SigningSecret, now); code != http.StatusOK ||
		!strings.Contains(got, "Saved.") {
		t.Errorf("a signed command answered %d %q; want 200 with the handler's reply", code, got)
	}
	if code := e.get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz in HTTP mode = %d; want 200: there is no socket to wait for", code)
	}
}

// TestHTTPModeShutdown checks SIGTERM in HTTP mode: a request in flight is answered with its
// handler's reply, the server stops accepting, and Run returns within 5 s.
func TestHTTPModeShutdown(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	e := start(t, options{httpMode: true, routes: func(m *bot.Mux) {
		m.Command("/refer", func(context.Context, *bot.Request) (any, error) {
			close(entered)
			<-release
			return bot.Ephemeral("Saved."), nil
		})
	}})
	type answer struct {
		code int
		body string
	}
	answered := make(chan answer, 1)
	body := e.commandForm("")
	go func() {
		req, err := slackfake.SignedRequest(e.ctx, e.health+bot.PathCommands, formType, body, slackfake.SigningSecret, time.Now())
		if err != nil {
			answered <- answer{body: err.Error()}
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, string(b)}
	}()
	select {
	case <-entered:
	case <-e.ctx.Done():
		t.Fatal("handler never called")
	}
	cancelled := e.cancelRun()
	// The listener closes at once; the request in flight is still answered.
	e.wait("the listener closed", func() bool { return e.get("/healthz") == 0 })
	close(release)
	got := <-answered
	if got.code != http.StatusOK || !strings.Contains(got.body, "Saved.") {
		t.Errorf("request in flight at SIGTERM answered %d %q; want 200 with the handler's reply", got.code, got.body)
	}
	t.Logf("Run returned %v after cancel", e.awaitRun(cancelled))
}

// TestHTTPModeWorkspaceNotServedHere: a request of a workspace no bot here serves is acked bare only
// when that workspace is not installed. One installed on another replica, and one whose
// installation the store could not read, are answered as a workspace starting: a command is told
// to try again in a few seconds, a form is kept under a notice (a bare 200 would close it as if
// saved), and an event gets 503, so that Slack sends it again.
func TestHTTPModeWorkspaceNotServedHere(t *testing.T) {
	t.Parallel()
	e := start(t, options{httpMode: true, installed: func(_ context.Context, team string) (bool, error) {
		switch team {
		case "TNEW":
			return true, nil
		case "TDOWN":
			return false, errors.New("redis: connection refused")
		}
		return false, nil
	}})
	post := func(path, contentType string, body []byte) (int, string) {
		t.Helper()
		req, err := slackfake.SignedRequest(e.ctx, e.health+path, contentType, body, slackfake.SigningSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	command := func(team string) (int, string) {
		v := url.Values{}
		for k, f := range e.fake.SlashCommand(alice, "") {
			v.Set(k, f.(string))
		}
		v.Set("team_id", team)
		return post(bot.PathCommands, formType, []byte(v.Encode()))
	}
	submission := func(team string) (int, string) {
		p := e.fake.ViewSubmission(alice, slack.View{ID: "V0FORM", CallbackID: "refer_form"}, nil)
		p["team"] = map[string]any{"id": team}
		b, _ := json.Marshal(p)
		return post(bot.PathInteractivity, formType, []byte(url.Values{"payload": {string(b)}}.Encode()))
	}
	for _, team := range []string{"TNEW", "TDOWN"} {
		if code, body := command(team); code != http.StatusOK || !strings.Contains(body, "still starting up in this workspace") ||
			!strings.Contains(body, "Try again in a few seconds") {
			t.Errorf("a command of %s answered %d %q; want to try again in a few seconds", team, code, body)
		}
		if code, body := submission(team); code != http.StatusOK || !strings.Contains(body, `"response_action":"push"`) ||
			!strings.Contains(body, "still filled in") {
			t.Errorf("a form of %s answered %d %q; want a notice over the form, kept", team, code, body)
		}
	}
	home := e.fake.AppHomeOpened(alice)
	home["team_id"] = "TNEW"
	b, _ := json.Marshal(home)
	if code, _ := post(bot.PathEvents, "application/json", b); code != http.StatusServiceUnavailable {
		t.Errorf("an event of a workspace starting answered %d; want 503, so that Slack sends it again", code)
	}
	if code, body := command("TGONE"); code != http.StatusOK || body != "" {
		t.Errorf("a command of a workspace not installed answered %d %q; want a bare 200", code, body)
	}
}
