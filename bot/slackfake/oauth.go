package slackfake

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The fake's app as Slack's OAuth v2 knows it: what an app's "Basic Information" page shows.
const (
	ClientID     = "1111111111.2222222222"
	ClientSecret = "fake-client-secret"

	// InstalledBotToken is the bot token an install into the default workspace (TeamID) is issued.
	// Once issued, the Web API takes it as that team's bot token, as it takes BotToken. An install
	// into another workspace is issued its Workspace.InstalledBotToken.
	InstalledBotToken = "xoxb-fake-installed-token"

	// InstallerID is who clicks Allow unless a test says otherwise (Consent.User). Add them
	// with WithUsers when the test DMs them.
	InstallerID = "UINSTALLER"
)

// codeLifetime is how long an authorization code may be exchanged: Slack's codes expire after
// 10 minutes.
const codeLifetime = 10 * time.Minute

// Consent is how the person at the fake's authorize page answers.
type Consent struct {
	Deny     bool   // they click Cancel: the redirect brings error=access_denied
	Team     string // the workspace they install into; "" is TeamID. Add it first (AddWorkspace): the fake's Web API serves no other
	TeamName string // its name; "" is the workspace's own (TeamName for TeamID), else "Team <id>"
	User     string // who they are; "" is InstallerID
}

// oauthState is the fake's OAuth v2: the consent it plays and the codes it issued. The tokens
// those were exchanged for are among Server.tokens. Guarded by Server.mu.
type oauthState struct {
	consent Consent
	codes   map[string]*authCode
}

type authCode struct {
	redirectURI string
	scopes      string
	team, name  string
	user        string
	expires     time.Time
	used        bool
}

// Consent sets how the next visits to the authorize page answer, until changed.
func (s *Server) Consent(c Consent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.consent = c
}

// AuthorizeURL is the fake's https://slack.com/oauth/v2/authorize: the page an install link sends
// the installer to. The fake plays the installer's answer (Consent) at once: it redirects to the
// redirect_uri with a code and the state, or error=access_denied.
func (s *Server) AuthorizeURL() string { return s.http.URL + "/oauth/v2/authorize" }

// serveAuthorize checks the request as Slack does (a known client_id, scopes, a redirect_uri) and
// answers with the consent's redirect. Errors are pages, as Slack shows them: the browser never
// goes back to the app with them.
func (s *Server) serveAuthorize(w http.ResponseWriter, hr *http.Request) {
	q := hr.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case hr.Method != http.MethodGet:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case q.Get("client_id") != ClientID:
		errorPage(w, "invalid_client_id", "The app's client_id is not one Slack knows.")
		return
	case q.Get("scope") == "":
		errorPage(w, "invalid_scope", "The install link asks for no bot scope.")
		return
	case q.Get("redirect_uri") == "" || err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https"):
		errorPage(w, "bad_redirect_uri", "The redirect_uri is missing or not an http(s) URL.")
		return
	}
	s.mu.Lock()
	c := s.oauth.consent
	back := redirect.Query()
	if c.Deny {
		back.Set("error", "access_denied")
	} else {
		team, name := c.Team, c.TeamName
		if team == "" {
			team = TeamID
		}
		if name == "" {
			name = "Team " + team
			if ws := s.teams[team]; ws != nil {
				name = ws.name
			}
		}
		user := c.User
		if user == "" {
			user = InstallerID
		}
		code := fmt.Sprintf("%d.%d.%x", s.startSec, s.nextSeqLocked(), s.now().UnixNano())
		if s.oauth.codes == nil {
			s.oauth.codes = map[string]*authCode{}
		}
		s.oauth.codes[code] = &authCode{redirectURI: q.Get("redirect_uri"), scopes: q.Get("scope"),
			team: team, name: name, user: user, expires: s.now().Add(codeLifetime)}
		back.Set("code", code)
	}
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	s.notifyLocked()
	s.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, hr, redirect.String(), http.StatusFound)
}

func errorPage(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!doctype html><title>Slack</title><p>%s</p><p><code>%s</code></p>", html.EscapeString(msg), html.EscapeString(code))
}

// serveOAuthAccess is oauth.v2.access: no token, the app's client ID and secret (form fields, or
// HTTP Basic as Slack prefers), and a code the authorize page issued, once, within its lifetime,
// with the redirect_uri it was issued for. Errors come in Slack's order and words.
func (s *Server) serveOAuthAccess(w http.ResponseWriter, hr *http.Request) {
	if err := hr.ParseForm(); err != nil {
		writeError(w, "invalid_form_data")
		return
	}
	id, secret, basic := hr.BasicAuth()
	if !basic {
		id, secret = hr.PostForm.Get("client_id"), hr.PostForm.Get("client_secret")
	}
	code, redirect := hr.PostForm.Get("code"), hr.PostForm.Get("redirect_uri")

	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: "oauth.v2.access", At: s.now(),
		Params: map[string]string{"client_id": id, "code": code, "redirect_uri": redirect}}) // the secret is left out, as tokens are
	s.notifyLocked()
	if e := s.def.takeFailureLocked("oauth.v2.access"); e != "" {
		writeError(w, e)
		return
	}
	c := s.oauth.codes[code]
	switch {
	case id != ClientID:
		writeError(w, "invalid_client_id")
		return
	case secret != ClientSecret:
		writeError(w, "bad_client_secret")
		return
	case c == nil || c.used || s.now().After(c.expires):
		writeError(w, "invalid_code")
		return
	case redirect != c.redirectURI:
		writeError(w, "bad_redirect_uri")
		return
	}
	c.used = true
	// An install into a workspace the fake serves makes its Web API take the token, with the scopes
	// asked for (a reinstall grants what it asks); into any other, the token is issued all the same
	// and refused (invalid_auth), as the fake has no such workspace to serve.
	token, botUser := "xoxb-"+strings.ToLower(c.team)+"-fake-installed-token", "U"+c.team+"BOT"
	if ws := s.teams[c.team]; ws != nil {
		token, botUser = ws.installedToken, ws.botUserID
		ws.scopes = strings.Split(c.scopes, ",")
		s.tokens[token] = ws
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"ok":                    true,
		"app_id":                AppID,
		"authed_user":           map[string]any{"id": c.user},
		"scope":                 c.scopes,
		"token_type":            "bot",
		"access_token":          token,
		"bot_user_id":           botUser,
		"team":                  map[string]any{"id": c.team, "name": c.name},
		"enterprise":            nil,
		"is_enterprise_install": false,
	})
}
