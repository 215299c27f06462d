package slackfake

import (
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
)

// The events of a member's first day and of the Messages tab, in the shape the Events API delivers
// them (message.im, team_join). Pass them to Send as "events_api".

// MessageIM is Workspace.MessageIM of the default workspace.
func (s *Server) MessageIM(userID, text string) map[string]any {
	return s.def.MessageIM(userID, text)
}

// MessageIM is the message.im event of userID typing text in the bot's DM (the Messages tab). The
// typed message is not recorded among Messages: those are what the bot posted and what Post
// recorded.
func (w *Workspace) MessageIM(userID, text string) map[string]any {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	now := w.s.now()
	ts := w.s.newTSLocked()
	event := map[string]any{
		"type":          "message",
		"user":          userID,
		"text":          text,
		"client_msg_id": randHex(4) + "-" + randHex(2) + "-" + randHex(2) + "-" + randHex(2) + "-" + randHex(6),
		"ts":            ts,
		"team":          w.id,
		"blocks": []any{map[string]any{"type": "rich_text", "block_id": randHex(2), "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": text}}}}}},
		"channel":      w.dmLocked(userID),
		"event_ts":     ts,
		"channel_type": "im",
	}
	return w.eventCallbackLocked(event, now)
}

// BotMessageIM is Workspace.BotMessageIM of the default workspace.
func (s *Server) BotMessageIM(m Message) map[string]any { return s.def.BotMessageIM(m) }

// BotMessageIM is the message.im event Slack sends an app subscribed to message.im for a message
// the bot itself posted in a DM (m, as recorded): it carries the bot's user, bot_id and app_id.
func (w *Workspace) BotMessageIM(m Message) map[string]any {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	event := map[string]any{
		"type":    "message",
		"user":    w.botUserID,
		"bot_id":  w.botID,
		"app_id":  AppID,
		"text":    m.Text,
		"ts":      m.TS,
		"team":    w.id,
		"channel": m.Channel,
		"bot_profile": map[string]any{"id": w.botID, "app_id": AppID, "name": "Rapport", "deleted": false,
			"team_id": w.id, "updated": w.s.now().Unix()},
		"event_ts":     m.TS,
		"channel_type": "im",
	}
	if len(m.Blocks) > 0 {
		var blocks any
		if json.Unmarshal(m.Blocks, &blocks) == nil {
			event["blocks"] = blocks
		}
	}
	return w.eventCallbackLocked(event, w.s.now())
}

// TeamJoin is Workspace.TeamJoin of the default workspace.
func (s *Server) TeamJoin(u slack.User) map[string]any { return s.def.TeamJoin(u) }

// TeamJoin adds u to the workspace (users.list serves them from now on) and returns the team_join
// event Slack sends: the new member's full user object.
func (w *Workspace) TeamJoin(u slack.User) map[string]any {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.addUserLocked(u)
	w.s.notifyLocked()
	u, _ = w.userLocked(u.ID)
	var user map[string]any
	b, _ := json.Marshal(u)
	_ = json.Unmarshal(b, &user)
	now := w.s.now()
	event := map[string]any{
		"type":     "team_join",
		"user":     user,
		"cache_ts": now.Unix(),
		"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
	}
	return w.eventCallbackLocked(event, now)
}

// AppUninstalled is Workspace.AppUninstalled of the default workspace.
func (s *Server) AppUninstalled() map[string]any { return s.def.AppUninstalled() }

// AppUninstalled is Slack's word that the app was uninstalled from the workspace.
func (w *Workspace) AppUninstalled() map[string]any {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	now := w.s.now()
	return w.eventCallbackLocked(map[string]any{"type": "app_uninstalled", "event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)}, now)
}

// TokensRevoked is Workspace.TokensRevoked of the default workspace.
func (s *Server) TokensRevoked(bot, oauth []string) map[string]any {
	return s.def.TokensRevoked(bot, oauth)
}

// TokensRevoked is Slack's word that the workspace revoked tokens: the bot's (bot user IDs) and
// users' (oauth user IDs).
func (w *Workspace) TokensRevoked(bot, oauth []string) map[string]any {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	now := w.s.now()
	return w.eventCallbackLocked(map[string]any{"type": "tokens_revoked",
		"tokens":   map[string]any{"oauth": nonNil(oauth), "bot": nonNil(bot)},
		"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)}, now)
}
