package slackfake

import (
	"strings"
)

// conversationsInfo describes a conversation as Slack does. Every C… and G… channel exists, the bot
// a member unless RemoveBot took it out; G… channels are private, and a private channel the bot is
// not in is channel_not_found, as Slack hides it. A public one answers with is_member false.
func (w *Workspace) conversationsInfo(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	id := r.params["channel"]
	if id == "" {
		return nil, "channel_not_found"
	}
	if strings.HasPrefix(id, "D") {
		for u, d := range w.dms {
			if d == id {
				return map[string]any{"channel": map[string]any{"id": id, "is_im": true, "user": u, "created": w.s.startSec}}, ""
			}
		}
		return nil, "channel_not_found"
	}
	if !strings.HasPrefix(id, "C") && !strings.HasPrefix(id, "G") {
		return nil, "channel_not_found"
	}
	private, member := strings.HasPrefix(id, "G"), !w.outside[id]
	if private && !member {
		return nil, "channel_not_found"
	}
	name := strings.ToLower(id)
	if id == GeneralChannelID {
		name = "general"
	}
	return map[string]any{"channel": map[string]any{
		"id": id, "name": name, "name_normalized": name, "created": w.s.startSec,
		"is_channel": !private, "is_group": private, "is_im": false, "is_mpim": false,
		"is_private": private, "is_archived": false, "is_general": id == GeneralChannelID,
		"is_member": member, "context_team_id": w.id,
	}}, ""
}
