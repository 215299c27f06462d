package metrics

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
)

// SlackMethods are the Web API methods counted by name: those Rapport calls (and HTTP mode's OAuth
// exchange). Any other path, a file upload's URL among them, is counted as "other".
var SlackMethods = []string{
	"apps.connections.open", "auth.test", "oauth.v2.access",
	"chat.postMessage", "chat.update", "chat.postEphemeral",
	"conversations.open", "conversations.info",
	"users.list", "users.info",
	"views.open", "views.publish", "views.update", "views.push",
	"files.getUploadURLExternal", "files.completeUploadExternal",
	"functions.completeSuccess", "functions.completeError",
}

// Outcomes of a Slack call besides ok and Slack's own error codes.
const (
	SlackOK           = "ok"
	SlackRateLimited  = "rate_limited"  // HTTP 429
	SlackHTTPError    = "http_error"    // any other status that is not 2xx
	SlackNetworkError = "network_error" // no answer: a refused connection, a timeout
)

// Transport counts each Slack call that goes through next by method and outcome, reading
// Slack's {"ok":false,"error":…} from the body, which it puts back whole for slack-go to read.
func (m *Metrics) Transport(next http.RoundTripper) http.RoundTripper {
	return &slackTransport{next: next, calls: m}
}

type slackTransport struct {
	next  http.RoundTripper
	calls *Metrics
}

func (t *slackTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := bound(path.Base(req.URL.Path), SlackMethods)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.calls.slack.WithLabelValues(method, SlackNetworkError).Inc()
		return resp, err
	}
	t.calls.slack.WithLabelValues(method, t.outcome(resp)).Inc()
	return resp, nil
}

// outcome reads what Slack answered. A JSON body is read whole and replaced by a copy; a body
// that breaks off is handed on as far as it came, with its error.
func (t *slackTransport) outcome(resp *http.Response) string {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return SlackRateLimited
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return SlackHTTPError
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/json" {
		return SlackOK // a file upload's answer, or anything else that is not Slack's envelope
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return SlackNetworkError
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var head struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &head) != nil || head.OK == nil || *head.OK {
		return SlackOK
	}
	if slices.Contains(t.calls.slackErrors, head.Error) {
		return head.Error
	}
	return other
}

// errReader fails every read with err: the rest of a body that broke off.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
