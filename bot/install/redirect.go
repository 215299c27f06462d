package install

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/rapportbot/rapport"
)

// onInstallTimeout bounds the app's OnInstall: the installer's browser waits on it.
const onInstallTimeout = 10 * time.Second

const startAgain = "This install link is no longer valid (it expired, was already used, or was opened in another browser). Start the install again from the beginning."

// serveRedirect is where Slack sends the installer back: with error=access_denied when they
// cancelled, else with a code and the state. The state must be ours, unexpired, this browser's and
// unused; the code is exchanged once; the installation is saved, then the app told.
func (i *Installer) serveRedirect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clearCookie(w, i.secure)
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			page(w, http.StatusOK, pageCancelled, "The install was cancelled: Rapport was not added to your workspace. You can start the install again whenever you like.")
			return
		}
		i.cfg.Log.Warn("slack install refused by slack", zap.String("slack_error", safeWord(e)))
		page(w, http.StatusBadRequest, pageFailed, "Slack did not complete the install. Start the install again from the beginning.")
		return
	}
	now := i.cfg.Now()
	state := q.Get("state")
	nonce, expires, err := i.state.check(state, now)
	if err == nil && !sameBrowser(r, state) {
		err = errBadState
	}
	if err != nil {
		i.cfg.Log.Info("slack install: state refused")
		page(w, http.StatusBadRequest, pageFailed, startAgain)
		return
	}
	code := q.Get("code")
	if code == "" {
		page(w, http.StatusBadRequest, pageFailed, startAgain)
		return
	}
	first, err := i.cfg.Store.ClaimOnce(r.Context(), "oauth-state:"+nonce, expires.Sub(now)+time.Minute)
	if err != nil {
		i.cfg.Log.Error("slack install: claim state", zap.Error(err))
		page(w, http.StatusServiceUnavailable, pageFailed, "Rapport could not finish the install just now. Start the install again in a minute.")
		return
	}
	if !first {
		i.cfg.Log.Info("slack install: state replayed")
		page(w, http.StatusBadRequest, pageFailed, startAgain)
		return
	}

	resp, err := slack.GetOAuthV2ResponseContext(r.Context(), i.cfg.HTTPClient, i.cfg.ClientID, i.cfg.ClientSecret,
		code, i.cfg.RedirectURL, slack.OAuthOptionAPIURL(i.cfg.APIURL))
	if err != nil {
		i.exchangeFailed(w, err)
		return
	}
	in, msg := installation(resp, now)
	if msg != "" {
		i.cfg.Log.Warn("slack install refused", zap.String("team", resp.Team.ID), zap.String("reason", msg))
		page(w, http.StatusBadRequest, pageFailed, msg)
		return
	}
	if err := i.cfg.Store.SaveInstallation(r.Context(), in); err != nil {
		i.cfg.Log.Error("slack install: save", zap.String("team", in.Team), zap.Error(err))
		page(w, http.StatusServiceUnavailable, pageFailed, "Rapport could not save the install just now. Start the install again in a minute.")
		return
	}
	i.cfg.Log.Info("slack install", zap.String("team", in.Team), zap.String("user", in.Installer),
		zap.String("enterprise", in.Enterprise), zap.Int("scopes", len(in.Scopes)))
	welcomed := false
	if i.cfg.OnInstall != nil {
		// The browser leaving now must not cut the welcome short: the install is saved.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), onInstallTimeout)
		err := i.cfg.OnInstall(ctx, in)
		cancel()
		if err != nil {
			i.cfg.Log.Error("slack install: on install", zap.String("team", in.Team), zap.Error(err))
		}
		welcomed = err == nil
	}
	installed(w, in, welcomed)
}

// installation reads Slack's answer into an Installation, or says why Rapport cannot take it.
func installation(resp *slack.OAuthV2Response, now time.Time) (rapport.Installation, string) {
	switch {
	case resp.IsEnterpriseInstall || resp.Team.ID == "":
		return rapport.Installation{}, "Rapport is installed one workspace at a time: install it into a workspace of your organisation, not the whole organisation."
	case resp.TokenType != "bot" || !strings.HasPrefix(resp.AccessToken, "xoxb-"):
		// A rotating token (xoxe.xoxb-, expires_in) needs refreshing, which Rapport does not do.
		return rapport.Installation{}, "Slack gave Rapport a kind of token it cannot use. Whoever runs Rapport should turn token rotation off in the Slack app's OAuth & Permissions settings, then start the install again."
	}
	in := rapport.Installation{
		Team:           resp.Team.ID,
		TeamName:       resp.Team.Name,
		Enterprise:     resp.Enterprise.ID,
		EnterpriseName: resp.Enterprise.Name,
		AppID:          resp.AppID,
		BotUserID:      resp.BotUserID,
		BotToken:       rapport.Secret(resp.AccessToken),
		Installer:      resp.AuthedUser.ID,
		InstalledAt:    now,
	}
	for _, sc := range strings.Split(resp.Scope, ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			in.Scopes = append(in.Scopes, sc)
		}
	}
	return in, ""
}

// exchangeFailed answers a refused or failed oauth.v2.access. Errors of Rapport's own settings are
// named for the operator; a used or expired code sends the installer back to the start.
func (i *Installer) exchangeFailed(w http.ResponseWriter, err error) {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		i.cfg.Log.Error("slack install: oauth.v2.access", zap.Error(err))
		page(w, http.StatusBadGateway, pageFailed, "Slack did not answer Rapport just now. Start the install again in a minute.")
		return
	}
	i.cfg.Log.Error("slack install: oauth.v2.access refused", zap.String("slack_error", se.Err))
	switch se.Err {
	case "invalid_code", "code_already_used":
		page(w, http.StatusBadRequest, pageFailed, startAgain)
	case "invalid_client_id", "bad_client_secret":
		page(w, http.StatusBadGateway, pageFailed, "Slack refused Rapport's app credentials ("+se.Err+"), so nothing was installed. Whoever runs Rapport should check SLACK_CLIENT_ID and SLACK_CLIENT_SECRET against the Slack app's Basic Information page.")
	case "bad_redirect_uri":
		page(w, http.StatusBadGateway, pageFailed, "Slack refused Rapport's redirect URL (bad_redirect_uri), so nothing was installed. Whoever runs Rapport should list "+RedirectPath+" of this site under the Slack app's Redirect URLs.")
	default:
		page(w, http.StatusBadGateway, pageFailed, "Slack refused the install ("+safeWord(se.Err)+"), so nothing was installed. Start the install again; if it happens again, tell whoever runs Rapport.")
	}
}

// sameBrowser reports whether the request carries the state cookie /slack/install set.
func sameBrowser(r *http.Request, state string) bool {
	c, err := r.Cookie(stateCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) == 1
}

func clearCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// safeWord keeps an error word from a query or a reply fit to log or show: letters, digits and
// underscores, at most 64.
func safeWord(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}
