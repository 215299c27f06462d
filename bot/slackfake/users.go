package slackfake

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// AddUser is Workspace.AddUser of the default workspace.
func (s *Server) AddUser(u slack.User) { s.def.AddUser(u) }

// AddUser adds or replaces a workspace member served by users.list and users.info.
func (w *Workspace) AddUser(u slack.User) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.addUserLocked(u)
	w.s.notifyLocked()
}

func (w *Workspace) addUserLocked(u slack.User) {
	if u.TeamID == "" {
		u.TeamID = w.id
	}
	if u.Profile.Team == "" {
		u.Profile.Team = w.id
	}
	for i := range w.users {
		if w.users[i].ID == u.ID {
			w.users[i] = u
			return
		}
	}
	w.users = append(w.users, u)
}

func (w *Workspace) userLocked(id string) (slack.User, bool) {
	for _, u := range w.users {
		if u.ID == id {
			return u, true
		}
	}
	return slack.User{}, false
}

// userName is the handle Slack puts in payloads' user_name/username fields.
func (w *Workspace) userName(id string) string {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if u, ok := w.userLocked(id); ok && u.Name != "" {
		return u.Name
	}
	return strings.ToLower(id)
}

// authTest answers for the workspace the token selected: its team and its bot user.
func (w *Workspace) authTest(r *request) (map[string]any, string) {
	return map[string]any{
		"url":                   "https://" + w.domain + ".slack.com/",
		"team":                  w.name,
		"user":                  "rapport",
		"team_id":               w.id,
		"user_id":               w.botUserID,
		"bot_id":                w.botID,
		"is_enterprise_install": false,
	}, ""
}

// usersList pages with opaque cursors like Slack's (base64 of "user:<next id>"); an empty
// response_metadata.next_cursor marks the last page, which is what slack-go stops on.
func (w *Workspace) usersList(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	start := 0
	if c := r.params["cursor"]; c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		id, ok := strings.CutPrefix(string(raw), "user:")
		if err != nil || !ok {
			return nil, "invalid_cursor"
		}
		start = -1
		for i, u := range w.users {
			if u.ID == id {
				start = i
			}
		}
		if start < 0 {
			return nil, "invalid_cursor"
		}
	}
	limit := len(w.users)
	if l, err := strconv.Atoi(r.params["limit"]); err == nil && l > 0 && l < limit {
		limit = l
	}
	end := min(start+limit, len(w.users))
	members := append([]slack.User(nil), w.users[start:end]...)
	next := ""
	if end < len(w.users) {
		next = base64.StdEncoding.EncodeToString([]byte("user:" + w.users[end].ID))
	}
	return map[string]any{
		"members":           members,
		"cache_ts":          w.s.startSec,
		"response_metadata": map[string]any{"next_cursor": next},
	}, ""
}

func (w *Workspace) usersInfo(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	u, ok := w.userLocked(r.params["user"])
	if !ok {
		return nil, "user_not_found"
	}
	return map[string]any{"user": u}, ""
}
