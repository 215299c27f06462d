package install_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot/install"
	"github.com/rapportbot/rapport/bot/slackfake"
	"github.com/rapportbot/rapport/deploy"
	"github.com/rapportbot/rapport/storage"
	"github.com/rapportbot/rapport/storage/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.M(m).Run()) }

const deadline = 10 * time.Second

// clock is the time both the app and the fake Slack read.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is an app serving the install pages over a real Redis, against the fake Slack.
type env struct {
	t       testing.TB
	clock   *clock
	fake    *slackfake.Server
	app     *httptest.Server
	st      *storage.Store
	raw     func(key string) map[string]string // a hash as Redis holds it
	prefix  string
	inst    *install.Installer
	logs    *observer.ObservedLogs
	mu      sync.Mutex
	saw     []rapport.Installation // OnInstall's calls
	stopped []string               // OnUninstall's calls
}

type option func(*install.Config)

func newEnv(t testing.TB, opts ...option) *env {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	fake := slackfake.New(slackfake.WithClock(c.Now))
	t.Cleanup(fake.Close)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	kr, err := storage.NewKeyring(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: c, fake: fake, prefix: srv.Prefix(t)}
	e.st = storage.New(rdb, storage.WithPrefix(e.prefix), storage.WithTokenKeys(kr))
	e.raw = func(key string) map[string]string { return rdb.HGetAll(ctx(t), key).Val() }
	core, logs := observer.New(zap.DebugLevel)
	e.logs = logs

	mux := http.NewServeMux()
	e.app = httptest.NewServer(mux)
	t.Cleanup(e.app.Close)
	cfg := install.Config{
		ClientID:     slackfake.ClientID,
		ClientSecret: slackfake.ClientSecret,
		StateSecret:  []byte("a state secret of at least 32 bytes!"),
		RedirectURL:  e.app.URL + install.RedirectPath,
		AuthorizeURL: fake.AuthorizeURL(),
		APIURL:       fake.APIURL(),
		Store:        e.st,
		Retain:       720 * time.Hour,
		Now:          c.Now,
		Log:          zap.New(core),
		OnInstall: func(_ context.Context, in rapport.Installation) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.saw = append(e.saw, in)
			return nil
		},
		OnUninstall: func(_ context.Context, team string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.stopped = append(e.stopped, team)
			return nil
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	if e.inst, err = install.New(cfg); err != nil {
		t.Fatal(err)
	}
	for pattern, h := range e.inst.Routes() {
		mux.Handle(pattern, h)
	}
	return e
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(t.Context(), deadline)
	t.Cleanup(cancel)
	return c
}

// browser is an installer's browser: it keeps cookies and records every URL it is sent to.
type browser struct {
	hc      *http.Client
	visited []*url.URL
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	e.t.Cleanup(tr.CloseIdleConnections)
	b := &browser{}
	b.hc = &http.Client{Transport: tr, Jar: jar, Timeout: deadline,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			b.visited = append(b.visited, req.URL)
			return nil
		}}
	return b
}

// get opens u, following redirects, and returns the final status and page.
func (b *browser) get(t testing.TB, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, u, nil)
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// stepTo opens u without following redirects, and returns where it sends the browser.
func (b *browser) stepTo(t *testing.T, u string) *url.URL {
	t.Helper()
	hc := *b.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, u, nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("%s: %s, want a redirect", u, resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func (e *env) installs() []rapport.Installation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]rapport.Installation(nil), e.saw...)
}

// noInstallation checks that nothing was saved or announced.
func (e *env) noInstallation(t *testing.T) {
	t.Helper()
	if _, err := e.st.Installation(ctx(t), slackfake.TeamID); rapport.ErrorCode(err) != rapport.ENOTFOUND {
		t.Errorf("installation after a failed install: %v, want none", err)
	}
	if n := len(e.installs()); n != 0 {
		t.Errorf("OnInstall called %d times, want none", n)
	}
}

// logsHide checks that no log entry carries any of secrets.
func (e *env) logsHide(t *testing.T, secrets ...string) {
	t.Helper()
	for _, entry := range e.logs.All() {
		text := entry.Message + fmt.Sprint(entry.ContextMap())
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("log %q carries a secret", entry.Message)
			}
		}
	}
}

func TestInstall(t *testing.T) {
	e := newEnv(t)
	b := e.browser()

	// /slack/install sends the browser to Slack's consent page with the manifest's scopes.
	to := b.stepTo(t, e.app.URL+install.InstallPath)
	scopes, _ := deploy.BotScopes()
	q := to.Query()
	if got := to.Scheme + "://" + to.Host + to.Path; got != e.fake.AuthorizeURL() {
		t.Errorf("sent to %s, want the authorize page %s", got, e.fake.AuthorizeURL())
	}
	if q.Get("client_id") != slackfake.ClientID || q.Get("scope") != strings.Join(scopes, ",") ||
		q.Get("redirect_uri") != e.app.URL+install.RedirectPath || q.Get("state") == "" {
		t.Errorf("authorize query %v: want the client ID, the manifest's scopes, the redirect URL and a state", q)
	}

	status, body := b.get(t, to.String())
	if status != http.StatusOK || !strings.Contains(body, "Rapport is installed in "+slackfake.TeamName) {
		t.Fatalf("after Allow: %d %s", status, body)
	}
	if !strings.Contains(body, "slack://app?id="+slackfake.AppID+"&amp;team="+slackfake.TeamID) {
		t.Errorf("success page has no deep link into Slack:\n%s", body)
	}
	back := b.visited[len(b.visited)-1]
	code, state := back.Query().Get("code"), back.Query().Get("state")

	want := rapport.Installation{
		Team: slackfake.TeamID, TeamName: slackfake.TeamName, AppID: slackfake.AppID, BotUserID: slackfake.BotUserID,
		BotToken: slackfake.InstalledBotToken, Scopes: scopes, Installer: slackfake.InstallerID, InstalledAt: e.clock.Now(),
	}
	got, err := e.st.Installation(ctx(t), slackfake.TeamID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b rapport.Secret) bool { return a.Reveal() == b.Reveal() })); diff != "" {
		t.Errorf("saved installation (-want +got):\n%s", diff)
	}
	raw := e.raw(e.prefix + ":{" + slackfake.TeamID + "}:install")
	if len(raw) == 0 {
		t.Fatal("no install hash in Redis")
	}
	for field, v := range raw {
		if strings.Contains(v, slackfake.InstalledBotToken) || strings.Contains(v, "installed-token") {
			t.Errorf("Redis holds the plaintext token in %s", field)
		}
	}
	if saw := e.installs(); len(saw) != 1 || saw[0].Team != slackfake.TeamID || saw[0].BotToken.Reveal() != slackfake.InstalledBotToken {
		t.Errorf("OnInstall saw %d installations, want this one once", len(saw))
	}

	t.Run("ReplayedState", func(t *testing.T) {
		// The same redirect again, cookie and all (the browser's back button, or a copied link).
		b.hc.Jar.SetCookies(back, []*http.Cookie{{Name: "rapport_oauth_state", Value: state, Path: "/"}})
		exchanges := len(e.fake.Calls("oauth.v2.access"))
		status, body := b.get(t, back.String())
		if status != http.StatusBadRequest || !strings.Contains(body, "Start the install again") {
			t.Errorf("replayed redirect: %d %s", status, body)
		}
		// Refused on the state, before Slack is asked.
		if n := len(e.fake.Calls("oauth.v2.access")) - exchanges; n != 0 {
			t.Errorf("a replayed state was exchanged with Slack %d times", n)
		}
	})
	t.Run("ReplayedCode", func(t *testing.T) {
		// A fresh state with the code already exchanged: Slack refuses the code.
		next := b.stepTo(t, e.app.URL+install.InstallPath)
		u := *back
		u.RawQuery = url.Values{"code": {code}, "state": {next.Query().Get("state")}}.Encode()
		status, body := b.get(t, u.String())
		if status != http.StatusBadRequest || !strings.Contains(body, "Start the install again") {
			t.Errorf("replayed code: %d %s", status, body)
		}
		if e.logs.FilterField(zap.String("slack_error", "invalid_code")).Len() != 1 {
			t.Error("the used code was not refused by Slack's invalid_code")
		}
	})
	t.Run("OtherBrowser", func(t *testing.T) {
		// Someone else's browser opening a fresh redirect: no state cookie.
		next := b.stepTo(t, e.app.URL+install.InstallPath)
		ret := b.stepTo(t, next.String())
		status, _ := e.browser().get(t, ret.String())
		if status != http.StatusBadRequest {
			t.Errorf("redirect opened in another browser: %d, want 400", status)
		}
	})
	if saw := e.installs(); len(saw) != 1 {
		t.Errorf("OnInstall called %d times, want once", len(saw))
	}
	e.logsHide(t, code, state, slackfake.InstalledBotToken, slackfake.ClientSecret)

	t.Run("Uninstalled", func(t *testing.T) {
		purge, err := e.inst.Uninstalled(ctx(t), slackfake.TeamID)
		if err != nil || !purge.Equal(e.clock.Now().Add(720*time.Hour)) {
			t.Fatalf("Uninstalled: %v, %v; want the purge in 720h", purge, err)
		}
		got, err := e.st.Installation(ctx(t), slackfake.TeamID)
		if err != nil || got.Installed() || got.BotToken != "" {
			t.Errorf("after uninstall: installed %v, token kept %v, %v", got.Installed(), got.BotToken != "", err)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.stopped) != 1 || e.stopped[0] != slackfake.TeamID {
			t.Errorf("OnUninstall saw %v", e.stopped)
		}
	})
}

func TestInstallRefused(t *testing.T) {
	t.Run("ExpiredState", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		to := b.stepTo(t, e.app.URL+install.InstallPath)
		e.clock.Add(install.StateLifetime + time.Second) // the installer read the consent page too long
		status, body := b.get(t, to.String())
		if status != http.StatusBadRequest || !strings.Contains(body, "Start the install again") {
			t.Errorf("expired state: %d %s", status, body)
		}
		e.noInstallation(t)
	})
	t.Run("TamperedState", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		to := b.stepTo(t, e.app.URL+install.InstallPath)
		q := to.Query()
		st := q.Get("state")
		payload, _ := base64.RawURLEncoding.DecodeString(st[:strings.Index(st, ".")])
		payload[len(payload)-1]++ // a later expiry
		forged := base64.RawURLEncoding.EncodeToString(payload) + st[strings.Index(st, "."):]
		q.Set("state", forged)
		to.RawQuery = q.Encode()
		u, _ := url.Parse(e.app.URL)
		b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "rapport_oauth_state", Value: forged, Path: "/"}})
		status, _ := b.get(t, to.String())
		if status != http.StatusBadRequest {
			t.Errorf("forged state: %d, want 400", status)
		}
		e.noInstallation(t)
	})
	t.Run("Cancelled", func(t *testing.T) {
		e := newEnv(t)
		e.fake.Consent(slackfake.Consent{Deny: true})
		status, body := e.browser().get(t, e.app.URL+install.InstallPath)
		if status != http.StatusOK || !strings.Contains(body, "The install was cancelled") {
			t.Errorf("cancelled install: %d %s", status, body)
		}
		e.noInstallation(t)
		if n := len(e.fake.Calls("oauth.v2.access")); n != 0 {
			t.Errorf("oauth.v2.access called %d times after a cancel", n)
		}
	})
	t.Run("BadClientSecret", func(t *testing.T) {
		e := newEnv(t, func(c *install.Config) { c.ClientSecret = "not-the-secret" })
		status, body := e.browser().get(t, e.app.URL+install.InstallPath)
		if status != http.StatusBadGateway || !strings.Contains(body, "SLACK_CLIENT_SECRET") || !strings.Contains(body, "nothing was installed") {
			t.Errorf("bad client secret: %d %s", status, body)
		}
		e.noInstallation(t)
		e.logsHide(t, "not-the-secret")
		if e.logs.FilterField(zap.String("slack_error", "bad_client_secret")).Len() != 1 {
			t.Error("the refusal is not logged once with Slack's error")
		}
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	good := install.Config{ClientID: "1.2", ClientSecret: "s", StateSecret: bytes.Repeat([]byte{1}, 32),
		RedirectURL: "https://rapport.example/slack/oauth_redirect", Store: (*storage.Store)(nil)}
	for _, tc := range []struct {
		name, want string
		mend       func(*install.Config)
	}{
		{"NoClientID", "SLACK_CLIENT_ID", func(c *install.Config) { c.ClientID = "" }},
		{"NoClientSecret", "SLACK_CLIENT_SECRET", func(c *install.Config) { c.ClientSecret = "" }},
		{"ShortStateSecret", "RAPPORT_STATE_SECRET is 5 bytes, want at least 32", func(c *install.Config) { c.StateSecret = []byte("short") }},
		{"RelativeRedirect", "not an absolute http(s) URL", func(c *install.Config) { c.RedirectURL = "/slack/oauth_redirect" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mend(&c)
			if _, err := install.New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// BenchmarkInstall is the OAuth round trip through the fake: /slack/install, Slack's consent, the
// redirect, oauth.v2.access, the sealed save and OnInstall (a re-install after the first).
func BenchmarkInstall(b *testing.B) {
	e := newEnv(b)
	br := e.browser()
	for b.Loop() {
		if status, body := br.get(b, e.app.URL+install.InstallPath); status != http.StatusOK {
			b.Fatalf("install: %d %s", status, body)
		}
	}
}
