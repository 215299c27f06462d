// Package install is Rapport's OAuth v2 install for many workspaces (HTTP mode): GET /slack/install
// sends the installer to Slack's consent page with the manifest's bot scopes and a signed state
// that expires, GET /slack/oauth_redirect checks the state, exchanges the code with oauth.v2.access,
// saves the installation (the store seals its token) and tells the app (OnInstall), and
// Uninstalled is what app_uninstalled and tokens_revoked call.
//
// Nothing here logs a code, a token or a state, nor a URL that carries one.
package install

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/deploy"
)

// DefaultAuthorizeURL is Slack's consent page.
const DefaultAuthorizeURL = "https://slack.com/oauth/v2/authorize"

// Paths the installer serves (Routes), as the app's settings page names them.
const (
	InstallPath  = deploy.PathInstall
	RedirectPath = deploy.PathOAuthRedirect
)

// stateCookie ties a state to the browser that started the install, as Slack's Bolt does: a link
// to /slack/oauth_redirect sent to someone else (with the sender's code) does not install anything.
const stateCookie = "rapport_oauth_state"

// Store is what the installer keeps in Redis (storage.Store).
type Store interface {
	SaveInstallation(ctx context.Context, in rapport.Installation) error
	RemoveInstallation(ctx context.Context, team string, now time.Time, retain time.Duration) (time.Time, error)
	ClaimOnce(ctx context.Context, name string, ttl time.Duration) (bool, error)
}

// Config configures an Installer. ClientID, ClientSecret, StateSecret, RedirectURL and Store are
// required.
type Config struct {
	ClientID     string // SLACK_CLIENT_ID
	ClientSecret string // SLACK_CLIENT_SECRET
	// StateSecret signs the state (RAPPORT_STATE_SECRET): at least 32 bytes, the same on every replica.
	StateSecret []byte
	// RedirectURL is this deployment's /slack/oauth_redirect as the Slack app's "Redirect URLs" lists
	// it (https://rapport.example.com/slack/oauth_redirect).
	RedirectURL string
	// Scopes are the bot scopes asked for; nil asks for the manifest's (deploy.BotScopes).
	Scopes []string
	// AuthorizeURL is Slack's consent page; "" is DefaultAuthorizeURL (tests: the fake's).
	AuthorizeURL string
	// APIURL is the Web API base for oauth.v2.access, ending in "/"; "" is slack.APIURL.
	APIURL string
	// HTTPClient calls oauth.v2.access; nil is a client with a 10 s timeout.
	HTTPClient *http.Client
	Store      Store
	// Retain is how long an uninstalled team's data is kept (RAPPORT_RETAIN_AFTER_UNINSTALL); 0 is
	// rapport.DefaultRetainAfterUninstall.
	Retain time.Duration
	// OnInstall, if set, is told of each installation once it is saved (the app welcomes the
	// installer and starts serving the team). Its error is logged: the install itself stands.
	OnInstall func(ctx context.Context, in rapport.Installation) error
	// OnUninstall, if set, is told that a team was uninstalled once that is saved: the app stops
	// every job of the team.
	OnUninstall func(ctx context.Context, team string) error
	Now         func() time.Time
	Log         *zap.Logger
}

// Installer serves the install pages and records uninstalls. It is safe for concurrent use.
type Installer struct {
	cfg    Config
	state  stateSigner
	scopes string
	secure bool // the redirect URL is https: the state cookie is Secure
}

// New checks cfg and returns an Installer; its errors name the setting to mend.
func New(cfg Config) (*Installer, error) {
	switch {
	case cfg.ClientID == "":
		return nil, errors.New("SLACK_CLIENT_ID is empty: copy the Client ID from the Slack app's Basic Information page")
	case cfg.ClientSecret == "":
		return nil, errors.New("SLACK_CLIENT_SECRET is empty: copy the Client Secret from the Slack app's Basic Information page")
	case len(cfg.StateSecret) < 32:
		return nil, fmt.Errorf("RAPPORT_STATE_SECRET is %d bytes, want at least 32 (openssl rand -base64 32), the same on every replica", len(cfg.StateSecret))
	case cfg.Store == nil:
		return nil, errors.New("install: no store")
	}
	ru, err := url.Parse(cfg.RedirectURL)
	if err != nil || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Host == "" {
		return nil, fmt.Errorf("the OAuth redirect URL %q is not an absolute http(s) URL", cfg.RedirectURL)
	}
	if cfg.Scopes == nil {
		if cfg.Scopes, err = deploy.BotScopes(); err != nil {
			return nil, err
		}
	}
	if cfg.AuthorizeURL == "" {
		cfg.AuthorizeURL = DefaultAuthorizeURL
	}
	if cfg.APIURL == "" {
		cfg.APIURL = slack.APIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Retain <= 0 {
		cfg.Retain = rapport.DefaultRetainAfterUninstall
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	return &Installer{cfg: cfg, state: stateSigner{secret: cfg.StateSecret},
		scopes: strings.Join(cfg.Scopes, ","), secure: ru.Scheme == "https"}, nil
}

// Routes are the install pages by http.ServeMux pattern, for bot.Config.Routes.
func (i *Installer) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET " + InstallPath:  http.HandlerFunc(i.serveInstall),
		"GET " + RedirectPath: http.HandlerFunc(i.serveRedirect),
	}
}

// serveInstall sends the installer to Slack's consent page with a fresh state, which it also keeps
// in a cookie for the way back.
func (i *Installer) serveInstall(w http.ResponseWriter, r *http.Request) {
	expires := i.cfg.Now().Add(StateLifetime)
	state, err := i.state.make(expires)
	if err != nil {
		i.cfg.Log.Error("oauth state", zap.Error(err))
		page(w, http.StatusInternalServerError, pageFailed, "Rapport could not start the install. Try again in a minute.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/", MaxAge: int(StateLifetime / time.Second),
		HttpOnly: true, Secure: i.secure, SameSite: http.SameSiteLaxMode})
	q := url.Values{
		"client_id":    {i.cfg.ClientID},
		"scope":        {i.scopes},
		"redirect_uri": {i.cfg.RedirectURL},
		"state":        {state},
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, i.cfg.AuthorizeURL+"?"+q.Encode(), http.StatusFound)
}
