package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Message is a message as the workspace would show it after every post, update and response_url
// reply the fake received.
type Message struct {
	Channel string
	// User is the DM's other member when Channel is a DM, and the only person who sees the message
	// when it is ephemeral.
	User      string
	TS        string
	Text      string
	Blocks    json.RawMessage
	Ephemeral bool
	ThreadTS  string
	// Updated counts the edits applied by chat.update or replace_original.
	Updated int
	// Author is who posted it: "" for Rapport, a member's (or another app's bot user's) ID for a
	// message Post recorded. Rapport can neither edit nor reply in place of an authored message.
	Author string
}

// Messages is Workspace.Messages of the default workspace.
func (s *Server) Messages() []Message { return s.def.Messages() }

// DMs is Workspace.DMs of the default workspace.
func (s *Server) DMs(userID string) []Message { return s.def.DMs(userID) }

// Messages returns every visible message in the workspace in posting order.
func (w *Workspace) Messages() []Message {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return append([]Message(nil), w.messages...)
}

// DMs returns the messages in the bot's DM with userID. Like Slack, a post to the user id and a
// post to the D… id from conversations.open land in the same conversation.
func (w *Workspace) DMs(userID string) []Message {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	dm := w.dms[userID]
	var out []Message
	for _, m := range w.messages {
		if dm != "" && m.Channel == dm {
			out = append(out, m)
		}
	}
	return out
}

// dmLocked returns the stable DM id for userID, opening it on first use.
func (w *Workspace) dmLocked(userID string) string {
	if id, ok := w.dms[userID]; ok {
		return id
	}
	id := fmt.Sprintf("D%08d", w.s.nextSeqLocked())
	w.dms[userID] = id
	return id
}

// resolveLocked maps a channel argument to the conversation a message lands in and the DM user.
func (w *Workspace) resolveLocked(channel string) (id, user, errStr string) {
	switch {
	case strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W"):
		if _, ok := w.userLocked(channel); !ok {
			return "", "", "channel_not_found"
		}
		return w.dmLocked(channel), channel, ""
	case strings.HasPrefix(channel, "D"):
		for u, d := range w.dms {
			if d == channel {
				return d, u, ""
			}
		}
	case strings.HasPrefix(channel, "C") || strings.HasPrefix(channel, "G"):
		return channel, "", ""
	}
	return "", "", "channel_not_found"
}

func (w *Workspace) conversationsOpen(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	users := strings.Split(r.params["users"], ",")
	if r.params["users"] == "" || len(users) != 1 {
		// Group DMs (mpim) are outside what Rapport uses.
		return nil, "users_list_not_supplied"
	}
	if _, ok := w.userLocked(users[0]); !ok {
		return nil, "user_not_found"
	}
	_, already := w.dms[users[0]]
	id := w.dmLocked(users[0])
	w.s.notifyLocked()
	return map[string]any{"no_op": already, "already_open": already, "channel": map[string]any{"id": id}}, ""
}

// messageFields validates text and blocks the way chat.* methods do: Slack's limits on both
// (MessageProblems), and some content.
func messageFields(p map[string]string) (json.RawMessage, map[string]any, string) {
	if code, msgs := MessageProblems(p["text"], []byte(p["blocks"])); code != "" {
		return nil, map[string]any{"response_metadata": map[string]any{"messages": msgs}}, code
	}
	var blocks json.RawMessage
	if b := p["blocks"]; b != "" {
		blocks = json.RawMessage(b)
	}
	if p["text"] == "" && blocks == nil && p["attachments"] == "" {
		return nil, nil, "no_text"
	}
	return blocks, nil, ""
}

// Post is Workspace.Post of the default workspace.
func (s *Server) Post(channelID, userID, text string) Message {
	return s.def.Post(channelID, userID, text)
}

// Post records userID posting text in channelID (a C… or G… channel), as a member types a message
// in Slack's client, and returns it: something to use a message shortcut on (MessageShortcut). text
// is what Slack stores, so as Slack's client writes it: &, < and > escaped, mentions as <@U…>,
// links as <https://…|label>. A userID that is a bot user (IsBot, with a Profile.BotID) posts as
// another app would.
func (w *Workspace) Post(channelID, userID, text string) Message {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	m := Message{Channel: channelID, TS: w.s.newTSLocked(), Text: text, Author: userID}
	w.messages = append(w.messages, m)
	w.s.notifyLocked()
	return m
}

// messageJSON is the message object Slack returns from chat.postMessage and chat.update, and
// puts in block_actions and message_action payloads.
func (w *Workspace) messageJSON(m Message) map[string]any {
	if m.Author != "" {
		return w.authoredJSONLocked(m)
	}
	out := map[string]any{
		"type": "message", "user": w.botUserID, "bot_id": w.botID, "app_id": AppID,
		"team": w.id, "text": m.Text, "ts": m.TS,
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	return out
}

func (w *Workspace) chatPostMessage(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	ch, user, e := w.resolveLocked(r.params["channel"])
	if e != "" {
		return nil, e
	}
	if w.outside[ch] {
		return nil, "not_in_channel"
	}
	blocks, extra, e := messageFields(r.params)
	if e != "" {
		return extra, e
	}
	m := Message{Channel: ch, User: user, TS: w.s.newTSLocked(), Text: r.params["text"],
		Blocks: blocks, ThreadTS: r.params["thread_ts"]}
	w.messages = append(w.messages, m)
	w.s.notifyLocked()
	return map[string]any{"channel": ch, "ts": m.TS, "message": w.messageJSON(m)}, ""
}

func (w *Workspace) chatUpdate(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	ch, _, e := w.resolveLocked(r.params["channel"])
	if e != "" {
		return nil, e
	}
	i := w.findMessageLocked(ch, r.params["ts"])
	if i < 0 {
		for _, m := range w.messages {
			if m.Channel == ch && m.TS == r.params["ts"] && m.Author != "" {
				return nil, "cant_update_message" // someone else's
			}
		}
		return nil, "message_not_found"
	}
	if code, msgs := MessageProblems(r.params["text"], []byte(r.params["blocks"])); code != "" {
		return map[string]any{"response_metadata": map[string]any{"messages": msgs}}, code
	}
	m := &w.messages[i]
	if b, ok := r.params["blocks"]; ok {
		m.Blocks = json.RawMessage(b)
	}
	if t, ok := r.params["text"]; ok {
		m.Text = t
	}
	m.Updated++
	w.s.notifyLocked()
	return map[string]any{"channel": ch, "ts": m.TS, "text": m.Text, "message": w.messageJSON(*m)}, ""
}

// authoredJSONLocked is the message object of a message someone else posted (Post): a person's
// carries the client's client_msg_id, another app's its bot_id (and no subtype, as a message
// posted with a bot token has none).
func (w *Workspace) authoredJSONLocked(m Message) map[string]any {
	out := map[string]any{"type": "message", "user": m.Author, "team": w.id, "text": m.Text, "ts": m.TS}
	if u, ok := w.userLocked(m.Author); ok && u.IsBot && u.Profile.BotID != "" {
		out["bot_id"] = u.Profile.BotID
	} else {
		h := randHex(16)
		out["client_msg_id"] = h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	return out
}

// findMessageLocked finds a message Rapport may edit: its own, not ephemeral (ephemeral ones cannot
// be edited through the API).
func (w *Workspace) findMessageLocked(channel, ts string) int {
	for i, m := range w.messages {
		if m.Channel == channel && m.TS == ts && !m.Ephemeral && m.Author == "" {
			return i
		}
	}
	return -1
}

func (w *Workspace) chatPostEphemeral(r *request) (map[string]any, string) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	ch, dmUser, e := w.resolveLocked(r.params["channel"])
	if e != "" {
		return nil, e
	}
	user := r.params["user"]
	if _, ok := w.userLocked(user); !ok {
		return nil, "user_not_found"
	}
	if dmUser != "" && dmUser != user {
		return nil, "user_not_in_channel"
	}
	blocks, extra, e := messageFields(r.params)
	if e != "" {
		return extra, e
	}
	m := Message{Channel: ch, User: user, TS: w.s.newTSLocked(), Text: r.params["text"],
		Blocks: blocks, Ephemeral: true, ThreadTS: r.params["thread_ts"]}
	w.messages = append(w.messages, m)
	w.s.notifyLocked()
	return map[string]any{"message_ts": m.TS}, ""
}
