package slackfake

import (
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
)

// The events of a member's first day and of the Messages tab, in the shape the Events API delivers
// them (message.im, team_join). Pass them to Send as "events_api".

// MessageIM is the message.im event of userID typing text in the bot's DM (the Messages tab). The
// typed message is not recorded among Messages: those are what the bot posted.
func (s *Server) MessageIM(userID, text string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ts := s.newTSLocked()
	event := map[string]any{
		"type":          "message",
		"user":          userID,
		"text":          text,
		"client_msg_id": randHex(4) + "-" + randHex(2) + "-" + randHex(2) + "-" + randHex(2) + "-" + randHex(6),
		"ts":            ts,
		"team":          TeamID,
		"blocks": []any{map[string]any{"type": "rich_text", "block_id": randHex(2), "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": text}}}}}},
		"channel":      s.dmLocked(userID),
		"event_ts":     ts,
		"channel_type": "im",
	}
	return s.eventCallbackLocked(event, now)
}

// BotMessageIM is the message.im event Slack sends an app subscribed to message.im for a message
// the bot itself posted in a DM (m, as recorded): it carries the bot's user, bot_id and app_id.
func (s *Server) BotMessageIM(m Message) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	event := map[string]any{
		"type":    "message",
		"user":    BotUserID,
		"bot_id":  BotID,
		"app_id":  AppID,
		"text":    m.Text,
		"ts":      m.TS,
		"team":    TeamID,
		"channel": m.Channel,
		"bot_profile": map[string]any{"id": BotID, "app_id": AppID, "name": "Rapport", "deleted": false,
			"team_id": TeamID, "updated": s.now().Unix()},
		"event_ts":     m.TS,
		"channel_type": "im",
	}
	if len(m.Blocks) > 0 {
		var blocks any
		if json.Unmarshal(m.Blocks, &blocks) == nil {
			event["blocks"] = blocks
		}
	}
	return s.eventCallbackLocked(event, s.now())
}

// TeamJoin adds u to the workspace (users.list serves them from now on) and returns the team_join
// event Slack sends: the new member's full user object.
func (s *Server) TeamJoin(u slack.User) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addUserLocked(u)
	s.notifyLocked()
	u, _ = s.userLocked(u.ID)
	var user map[string]any
	b, _ := json.Marshal(u)
	_ = json.Unmarshal(b, &user)
	now := s.now()
	event := map[string]any{
		"type":     "team_join",
		"user":     user,
		"cache_ts": now.Unix(),
		"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
	}
	return s.eventCallbackLocked(event, now)
}

// AppUninstalled is Slack's word that the app was uninstalled from the workspace.
func (s *Server) AppUninstalled() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return s.eventCallbackLocked(map[string]any{"type": "app_uninstalled", "event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)}, now)
}

// TokensRevoked is Slack's word that the workspace revoked tokens: the bot's (bot user IDs) and
// users' (oauth user IDs).
func (s *Server) TokensRevoked(bot, oauth []string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return s.eventCallbackLocked(map[string]any{"type": "tokens_revoked",
		"tokens":   map[string]any{"oauth": nonNil(oauth), "bot": nonNil(bot)},
		"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)}, now)
}
