package slackfake

import (
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Call is one Web API request as the fake received it, kept so tests can assert what the bot sent.
type Call struct {
	Method string
	// Params holds the form fields, or the top-level fields of a JSON body (strings as they are,
	// anything else as JSON text). The token is left out.
	Params map[string]string
	// Body is the raw request body when it was JSON.
	Body json.RawMessage
	At   time.Time
	// Team is the workspace whose bot token (fixed or installed) made the call, and so whose state
	// it read and wrote; "" for the app-level token, no token or one Slack does not know.
	Team string
}

// request is a decoded Web API call handed to a method handler.
type request struct {
	method string
	token  string
	params map[string]string
	body   json.RawMessage
}

// handler serves one Web API method and returns the reply fields besides "ok". A non-empty
// error string makes the reply {"ok":false,"error":…} plus any fields returned with it
// (response_metadata.messages, as Slack sends for invalid_arguments).
type handler func(w *Workspace, r *request) (map[string]any, string)

// methods is every Web API method the fake knows; anything else is unknown_method, as in Slack.
var methods = map[string]handler{
	"auth.test":                    (*Workspace).authTest,
	"users.list":                   (*Workspace).usersList,
	"users.info":                   (*Workspace).usersInfo,
	"conversations.open":           (*Workspace).conversationsOpen,
	"conversations.info":           (*Workspace).conversationsInfo,
	"chat.postMessage":             (*Workspace).chatPostMessage,
	"chat.update":                  (*Workspace).chatUpdate,
	"chat.postEphemeral":           (*Workspace).chatPostEphemeral,
	"views.open":                   (*Workspace).viewsOpen,
	"views.update":                 (*Workspace).viewsUpdate,
	"views.push":                   (*Workspace).viewsPush,
	"views.publish":                (*Workspace).viewsPublish,
	"files.getUploadURLExternal":   (*Workspace).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Workspace).filesCompleteUploadExternal,
	"functions.completeSuccess":    (*Workspace).functionsCompleteSuccess,
	"functions.completeError":      (*Workspace).functionsCompleteError,
	"apps.connections.open": func(w *Workspace, r *request) (map[string]any, string) {
		return w.s.appsConnectionsOpen(r) // the app's, whichever workspace
	},
}

// serveAPI decodes a call, records it, applies token checks, scopes and injected failures in
// Slack's order, then runs the method against the workspace the token selects.
func (s *Server) serveAPI(w http.ResponseWriter, hr *http.Request) {
	r, err := decodeRequest(hr)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	s.mu.Lock()
	ws, app := s.tokenLocked(r.token)
	team := ""
	if ws != nil && !app {
		team = ws.id
	}
	s.calls = append(s.calls, Call{Method: r.method, Params: r.params, Body: r.body, At: s.now(), Team: team})
	s.notifyLocked()
	h, known := methods[r.method]
	var retryAfter time.Duration
	limited := known && ws != nil && ws.rateLimitedLocked(r, &retryAfter)
	s.mu.Unlock()

	switch {
	case !known:
		writeError(w, "unknown_method")
		return
	case limited:
		w.Header().Set("Retry-After", retryAfterHeader(retryAfter))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	if e := checkToken(r, ws, app); e != "" {
		writeError(w, e)
		return
	}
	s.mu.Lock()
	refused, injected := "", ""
	var missingScope map[string]any
	if !app {
		refused = ws.botRefused
	}
	if refused == "" {
		if missingScope = ws.scopesLocked(w.Header(), r, app); missingScope == nil {
			injected = ws.takeFailureLocked(r.method)
		}
	}
	s.mu.Unlock()
	if refused != "" {
		writeError(w, refused)
		return
	}
	if missingScope != nil {
		writeJSON(w, http.StatusOK, missingScope)
		return
	}
	if injected != "" {
		writeError(w, injected)
		return
	}

	reply, e := h(ws, r)
	out := map[string]any{"ok": e == ""}
	maps.Copy(out, reply)
	if e != "" {
		out["error"] = e
	}
	s.mu.Lock()
	late := ws.takeSlowLocked(r.method)
	s.mu.Unlock()
	if late > 0 {
		t := time.NewTimer(late)
		select {
		case <-t.C:
		case <-hr.Context().Done(): // the caller gave up waiting: the work is done all the same
			t.Stop()
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// tokenLocked is the workspace a token selects: a bot token's (fixed, or issued by an install), or
// for the app-level token (app true) the default workspace, whose faults (FailNext, RateLimitNext)
// apps.connections.open meets. nil for any other token.
func (s *Server) tokenLocked(token string) (ws *Workspace, app bool) {
	if token == AppToken {
		return s.def, true
	}
	return s.tokens[token], false
}

// checkToken enforces Slack's token types: the app-level token opens sockets and nothing else,
// a workspace's bot token does everything else.
func checkToken(r *request, ws *Workspace, app bool) string {
	switch {
	case r.token == "":
		return "not_authed"
	case ws == nil:
		return "invalid_auth"
	case app != (r.method == "apps.connections.open"):
		return "not_allowed_token_type"
	}
	return ""
}

// decodeRequest reads a form or JSON call. Slack takes the token from the form or from a Bearer
// header; slack-go uses the form for chat.*, users.*, conversations.* and files.*, and JSON with
// Bearer for views.* and apps.connections.open.
func decodeRequest(hr *http.Request) (*request, error) {
	r := &request{method: strings.TrimPrefix(hr.URL.Path, "/api/"), params: map[string]string{}}
	if auth, ok := strings.CutPrefix(hr.Header.Get("Authorization"), "Bearer "); ok {
		r.token = auth
	}
	ct, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	if ct == "application/json" {
		body, err := io.ReadAll(hr.Body)
		if err != nil {
			return nil, err
		}
		if len(body) > 0 {
			var top map[string]json.RawMessage
			if err := json.Unmarshal(body, &top); err != nil {
				return nil, err
			}
			for k, v := range top {
				var str string
				if json.Unmarshal(v, &str) == nil {
					r.params[k] = str
				} else {
					r.params[k] = string(v)
				}
			}
			r.body = body
		}
	} else {
		if err := hr.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range hr.Form {
			r.params[k] = v[0]
		}
	}
	if tok, ok := r.params["token"]; ok {
		if r.token == "" {
			r.token = tok
		}
		delete(r.params, "token")
	}
	return r, nil
}

// Calls returns the recorded Web API calls to method, or all of them for "".
func (s *Server) Calls(method string) []Call {
	out, _ := s.CallsAfter(0, method)
	return out
}

// CallsAfter is Calls of the calls recorded after the first n, with how many are recorded in all:
// a test following the calls as they come (a benchmark's thousands) passes that count back and
// reads each call once, where Calls would copy them all again on every look.
func (s *Server) CallsAfter(n int, method string) ([]Call, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls[min(n, len(s.calls)):] {
		if method == "" || c.Method == method {
			c.Params = maps.Clone(c.Params)
			out = append(out, c)
		}
	}
	return out, len(s.calls)
}

func writeError(w http.ResponseWriter, e string) {
	// Slack answers API errors with HTTP 200; slack-go treats ok:false without error as success.
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
