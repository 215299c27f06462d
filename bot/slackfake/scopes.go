package slackfake

import (
	"net/http"
	"slices"
	"strings"

	"github.com/rapportbot/rapport/deploy"
)

// methodScopes are, for each method that needs a scope, the scopes any one of which lets a token
// call it, as Slack's method reference lists them. auth.test and views.* need none.
var methodScopes = map[string][]string{
	"users.list":                   {"users:read"},
	"users.info":                   {"users:read"},
	"conversations.open":           {"im:write", "channels:manage", "groups:write", "mpim:write"},
	"conversations.info":           {"channels:read", "groups:read", "im:read", "mpim:read"},
	"chat.postMessage":             {"chat:write"},
	"chat.update":                  {"chat:write"},
	"chat.postEphemeral":           {"chat:write"},
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"apps.connections.open":        {"connections:write"},
}

// appTokenScopes are the scopes the app-level token was generated with.
var appTokenScopes = []string{"connections:write"}

// manifestScopes are the bot scopes of Rapport's manifest: every fake workspace installed the app
// from it.
func manifestScopes() []string {
	scopes, err := deploy.BotScopes()
	if err != nil {
		panic(err) // the embedded manifest is checked by deploy's tests
	}
	return scopes
}

// SetScopes is Workspace.SetScopes of the default workspace.
func (s *Server) SetScopes(scopes ...string) { s.def.SetScopes(scopes...) }

// SetScopes replaces the scopes granted to the workspace's bot token, as reinstalling the app
// after its scopes changed does. A workspace starts with the manifest's (deploy.BotScopes).
func (w *Workspace) SetScopes(scopes ...string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.scopes = slices.Clone(scopes)
}

// scopesLocked does what Slack does once a token is accepted: every reply carries the token's
// granted scopes in X-OAuth-Scopes and the method's accepted ones in X-Accepted-OAuth-Scopes; a
// token holding none of the accepted scopes gets missing_scope, naming what was needed and what
// the token provides. It returns that reply, or nil when the call may go on.
func (w *Workspace) scopesLocked(h http.Header, r *request, app bool) map[string]any {
	granted := w.scopes
	if app {
		granted = appTokenScopes
	}
	h.Set("X-OAuth-Scopes", strings.Join(granted, ","))
	accepted := methodScopes[r.method]
	if len(accepted) == 0 {
		return nil
	}
	h.Set("X-Accepted-OAuth-Scopes", strings.Join(accepted, ","))
	for _, sc := range accepted {
		if slices.Contains(granted, sc) {
			return nil
		}
	}
	return map[string]any{"ok": false, "error": "missing_scope",
		"needed": strings.Join(accepted, ","), "provided": strings.Join(granted, ",")}
}
