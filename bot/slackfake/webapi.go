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
type handler func(s *Server, r *request) (map[string]any, string)

// methods is every Web API method the fake knows; anything else is unknown_method, as in Slack.
var methods = map[string]handler{
	"auth.test":                    (*Server).authTest,
	"users.list":                   (*Server).usersList,
	"users.info":                   (*Server).usersInfo,
	"conversations.open":           (*Server).conversationsOpen,
	"conversations.info":           (*Server).conversationsInfo,
	"chat.postMessage":             (*Server).chatPostMessage,
	"chat.update":                  (*Server).chatUpdate,
	"chat.postEphemeral":           (*Server).chatPostEphemeral,
	"views.open":                   (*Server).viewsOpen,
	"views.update":                 (*Server).viewsUpdate,
	"views.push":                   (*Server).viewsPush,
	"views.publish":                (*Server).viewsPublish,
	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
	"apps.connections.open":        (*Server).appsConnectionsOpen,
}

// serveAPI decodes a call, records it, applies token checks, scopes and injected failures in
// Slack's order, then runs the method.
func (s *Server) serveAPI(w http.ResponseWriter, hr *http.Request) {
	r, err := decodeRequest(hr)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	r.token = s.asBotToken(r.token) // an installed token of the fake's own team (oauth.go)
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.method, Params: r.params, Body: r.body, At: s.now()})
	s.notifyLocked()
	h, known := methods[r.method]
	var retryAfter time.Duration
	limited := known && s.rateLimitedLocked(r, &retryAfter)
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
	if e := checkToken(r); e != "" {
		writeError(w, e)
		return
	}
	s.mu.Lock()
	refused, injected := "", ""
	var missingScope map[string]any
	if r.token == BotToken {
		refused = s.botRefused
	}
	if refused == "" {
		if missingScope = s.scopesLocked(w.Header(), r); missingScope == nil {
			injected = s.takeFailureLocked(r.method)
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

	reply, e := h(s, r)
	out := map[string]any{"ok": e == ""}
	maps.Copy(out, reply)
	if e != "" {
		out["error"] = e
	}
	writeJSON(w, http.StatusOK, out)
}

// checkToken enforces Slack's token types: the app-level token opens sockets and nothing else,
// the bot token does everything else.
func checkToken(r *request) string {
	want, other := BotToken, AppToken
	if r.method == "apps.connections.open" {
		want, other = AppToken, BotToken
	}
	switch r.token {
	case want:
		return ""
	case "":
		return "not_authed"
	case other:
		return "not_allowed_token_type"
	default:
		return "invalid_auth"
	}
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
