package slackfake

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// AddUser adds or replaces a workspace member served by users.list and users.info.
func (s *Server) AddUser(u slack.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addUserLocked(u)
	s.notifyLocked()
}

func (s *Server) addUserLocked(u slack.User) {
	if u.TeamID == "" {
		u.TeamID = TeamID
	}
	if u.Profile.Team == "" {
		u.Profile.Team = TeamID
	}
	for i := range s.users {
		if s.users[i].ID == u.ID {
			s.users[i] = u
			return
		}
	}
	s.users = append(s.users, u)
}

func (s *Server) userLocked(id string) (slack.User, bool) {
	for _, u := range s.users {
		if u.ID == id {
			return u, true
		}
	}
	return slack.User{}, false
}

// userName is the handle Slack puts in payloads' user_name/username fields.
func (s *Server) userName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.userLocked(id); ok && u.Name != "" {
		return u.Name
	}
	return strings.ToLower(id)
}

func (s *Server) authTest(r *request) (map[string]any, string) {
	return map[string]any{
		"url":                   "https://fake.slack.com/",
		"team":                  TeamName,
		"user":                  "rapport",
		"team_id":               TeamID,
		"user_id":               BotUserID,
		"bot_id":                BotID,
		"is_enterprise_install": false,
	}, ""
}

// usersList pages with opaque cursors like Slack's (base64 of "user:<next id>"); an empty
// response_metadata.next_cursor marks the last page, which is what slack-go stops on.
func (s *Server) usersList(r *request) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := 0
	if c := r.params["cursor"]; c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		id, ok := strings.CutPrefix(string(raw), "user:")
		if err != nil || !ok {
			return nil, "invalid_cursor"
		}
		start = -1
		for i, u := range s.users {
			if u.ID == id {
				start = i
			}
		}
		if start < 0 {
			return nil, "invalid_cursor"
		}
	}
	limit := len(s.users)
	if l, err := strconv.Atoi(r.params["limit"]); err == nil && l > 0 && l < limit {
		limit = l
	}
	end := min(start+limit, len(s.users))
	members := append([]slack.User(nil), s.users[start:end]...)
	next := ""
	if end < len(s.users) {
		next = base64.StdEncoding.EncodeToString([]byte("user:" + s.users[end].ID))
	}
	return map[string]any{
		"members":           members,
		"cache_ts":          s.startSec,
		"response_metadata": map[string]any{"next_cursor": next},
	}, ""
}

func (s *Server) usersInfo(r *request) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userLocked(r.params["user"])
	if !ok {
		return nil, "user_not_found"
	}
	return map[string]any{"user": u}, ""
}
