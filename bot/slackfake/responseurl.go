package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Slack lets an app answer through a response_url five times within thirty minutes.
const (
	responseURLUses = 5
	responseURLTTL  = 30 * time.Minute
)

// responseURL is where an interaction may be answered later: the conversation it came from, the
// user who triggered it and, for a message button, the message it sits on.
type responseURL struct {
	ws        *Workspace
	channel   string
	user      string
	messageTS string
	issued    time.Time
	uses      int
}

// newResponseURLLocked issues a URL on the fake's own host in the shape of Slack's
// https://hooks.slack.com/{commands|actions}/T…/…/… so slack-go posts to it unchanged.
func (w *Workspace) newResponseURLLocked(kind, channel, user, messageTS string) string {
	path := fmt.Sprintf("/%s/%s/%d/%s", kind, w.id, w.s.nextSeqLocked(), randHex(12))
	w.s.responses[path] = &responseURL{ws: w, channel: channel, user: user, messageTS: messageTS, issued: w.s.now()}
	return w.s.http.URL + path
}

// responseBody is what slack-go (and any app) posts to a response_url.
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// serveResponseURL applies a response_url post: a new message (ephemeral unless in_channel), or
// an edit or removal of the message the button was on.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	var body responseBody
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&body) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	if string(body.Blocks) == "null" {
		body.Blocks = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ru := s.responses[r.URL.Path]
	switch {
	case ru == nil:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "no_service"})
		return
	case s.now().Sub(ru.issued) > responseURLTTL:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "expired_url"})
		return
	case ru.uses >= responseURLUses:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "used_url"})
		return
	}
	if code, msgs := MessageProblems(body.Text, body.Blocks); code != "" {
		// Slack answers a refused response_url post with a 400 and the code as the body's error.
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": code,
			"response_metadata": map[string]any{"messages": msgs}})
		return
	}
	ru.uses++
	ws := ru.ws

	original := -1
	for i, m := range ws.messages {
		if ru.messageTS != "" && m.Channel == ru.channel && m.TS == ru.messageTS {
			original = i
		}
	}
	switch {
	case body.DeleteOriginal && original >= 0:
		ws.messages = append(ws.messages[:original], ws.messages[original+1:]...)
	case body.ReplaceOriginal && original >= 0:
		m := &ws.messages[original]
		m.Text, m.Blocks = body.Text, body.Blocks
		m.Updated++
	default:
		m := Message{Channel: ru.channel, TS: s.newTSLocked(), Text: body.Text, Blocks: body.Blocks,
			ThreadTS: body.ThreadTS}
		if body.ResponseType == "in_channel" {
			for u, d := range ws.dms {
				if d == ru.channel {
					m.User = u
				}
			}
		} else {
			m.User, m.Ephemeral = ru.user, true
		}
		ws.messages = append(ws.messages, m)
	}
	s.notifyLocked()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
