package bot

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"path"
)

// echoed are the Web API methods whose answer carries back what was sent: the message
// (chat.postMessage, chat.update) or the view (views.*), blocks and all.
var echoed = map[string]string{
	"chat.postMessage": "message", "chat.update": "message",
	"views.open": "view", "views.update": "view", "views.push": "view", "views.publish": "view",
}

// DropEchoes wraps the transport of Rapport's Slack client so that the copy of the message or
// view Slack answers with never reaches slack-go. Rapport reads only ok, error, channel and ts (and
// response_metadata's warnings) from those answers, but slack-go decodes the echo into typed
// blocks: about 300 µs of CPU per message, the largest single cost of a delivery. Every other
// field of the answer, and every other answer, is handed on as it came.
func DropEchoes(next http.RoundTripper) http.RoundTripper { return echoDropper{next} }

type echoDropper struct{ next http.RoundTripper }

func (t echoDropper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	field, ok := echoed[path.Base(req.URL.Path)]
	if err != nil || !ok || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/json" {
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil { // hand on what came, with its error, as if read directly
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return resp, nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		if _, echo := fields[field]; echo {
			delete(fields, field)
			if lean, err := json.Marshal(fields); err == nil {
				body = lean
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// errReader fails every read with err: the rest of a body that broke off.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
