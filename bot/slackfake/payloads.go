package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// The builders below return payloads in the exact shape Slack delivers inside Socket Mode
// envelopes, each with a fresh trigger_id (valid 3 s, once) and, where Slack gives one, a
// response_url served by this fake. Pass them to Send. A workspace's builders carry its team (and
// its bot, in messages and views), with the one app's AppID; the Server's are the default
// workspace's.

// SlashCommand is Workspace.SlashCommand of the default workspace.
func (s *Server) SlashCommand(userID, text string) map[string]any {
	return s.def.SlashCommand(userID, text)
}

// SlashCommand is "/refer text" typed by userID in the general channel.
func (w *Workspace) SlashCommand(userID, text string) map[string]any {
	return w.Command(GeneralChannelID, userID, "/refer", text)
}

// Command is Workspace.Command of the default workspace.
func (s *Server) Command(channelID, userID, command, text string) map[string]any {
	return s.def.Command(channelID, userID, command, text)
}

// Command is any slash command typed in channelID. Every value is a string, as Slack converts
// the form post: is_enterprise_install arrives as "false".
func (w *Workspace) Command(channelID, userID, command, text string) map[string]any {
	name := w.userName(userID)
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return map[string]any{
		"token":                 verificationToken,
		"team_id":               w.id,
		"team_domain":           w.domain,
		"channel_id":            channelID,
		"channel_name":          channelName(channelID),
		"user_id":               userID,
		"user_name":             name,
		"command":               command,
		"text":                  text,
		"api_app_id":            AppID,
		"is_enterprise_install": "false",
		"response_url":          w.newResponseURLLocked("commands", channelID, userID, ""),
		"trigger_id":            w.newTriggerLocked(userID),
	}
}

// Container says where a block action happened.
type Container struct {
	ChannelID string
	MessageTS string
	ViewID    string
}

// InMessage is a button on the message channelID/ts (as recorded by Messages or DMs).
func InMessage(channelID, ts string) Container { return Container{ChannelID: channelID, MessageTS: ts} }

// InView is an element in a modal or the home tab.
func InView(viewID string) Container { return Container{ViewID: viewID} }

// BlockAction is Workspace.BlockAction of the default workspace.
func (s *Server) BlockAction(userID string, action slack.BlockAction, in Container) map[string]any {
	return s.def.BlockAction(userID, action, in)
}

// BlockAction is a block_actions payload for userID using action in the container. The message or
// view is looked up in what the fake recorded, so the payload carries what the bot really sent.
// Message actions get a response_url; view actions do not, as in Slack.
func (w *Workspace) BlockAction(userID string, action slack.BlockAction, in Container) map[string]any {
	name := w.userName(userID)
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.blockActionLocked(userID, name, action, in)
}

// blockActionLocked builds BlockAction's payload; a view's carries its state (viewstate.go).
func (w *Workspace) blockActionLocked(userID, name string, action slack.BlockAction, in Container) map[string]any {
	if action.ActionTs == "" {
		action.ActionTs = w.actionTSLocked()
	}
	p := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": userID, "username": name, "name": name, "team_id": w.id},
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"trigger_id":            w.newTriggerLocked(userID),
		"team":                  map[string]any{"id": w.id, "domain": w.domain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"state":                 map[string]any{"values": map[string]any{}},
		"actions":               []any{actionJSON(action, true)},
	}
	if in.ViewID != "" {
		p["container"] = map[string]any{"type": "view", "view_id": in.ViewID}
		if _, v := w.currentViewLocked(in.ViewID, ""); v != nil {
			v["state"] = w.stateLocked(in.ViewID)
			p["view"] = v
		} else {
			p["view"] = map[string]any{"id": in.ViewID, "team_id": w.id, "app_id": AppID}
		}
		return p
	}
	var msg *Message
	for i := range w.messages {
		if w.messages[i].Channel == in.ChannelID && w.messages[i].TS == in.MessageTS {
			msg = &w.messages[i]
		}
	}
	ephemeral := msg != nil && msg.Ephemeral
	p["container"] = map[string]any{"type": "message", "message_ts": in.MessageTS,
		"channel_id": in.ChannelID, "is_ephemeral": ephemeral}
	p["channel"] = map[string]any{"id": in.ChannelID, "name": channelName(in.ChannelID)}
	if msg != nil && !ephemeral {
		p["message"] = w.messageJSON(*msg)
	}
	p["response_url"] = w.newResponseURLLocked("actions", in.ChannelID, userID, in.MessageTS)
	return p
}

// ViewSubmission is Workspace.ViewSubmission of the default workspace.
func (s *Server) ViewSubmission(userID string, view slack.View, values map[string]map[string]slack.BlockAction) map[string]any {
	return s.def.ViewSubmission(userID, view, values)
}

// ViewSubmission is userID pressing Submit on view with values as
// state.values[block_id][action_id]. If the fake served the view, its recorded form is used,
// so callback_id and private_metadata are what the bot set.
func (w *Workspace) ViewSubmission(userID string, view slack.View, values map[string]map[string]slack.BlockAction) map[string]any {
	name := w.userName(userID)
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	_, v := w.currentViewLocked(view.ID, "")
	if v == nil {
		b, _ := json.Marshal(view)
		_ = json.Unmarshal(b, &v)
		// slack.View embeds the API envelope; a real view has none of these.
		for _, k := range []string{"ok", "error", "warning", "errors", "response_metadata", "needed", "provided"} {
			delete(v, k)
		}
	}
	state := map[string]any{}
	for blockID, actions := range values {
		byAction := map[string]any{}
		for actionID, a := range actions {
			byAction[actionID] = actionJSON(a, false)
		}
		state[blockID] = byAction
	}
	v["state"] = map[string]any{"values": state}
	return w.submissionLocked(userID, name, v)
}

// submissionLocked is the view_submission payload of the view v, its state set.
func (w *Workspace) submissionLocked(userID, name string, v map[string]any) map[string]any {
	return map[string]any{
		"type":                  "view_submission",
		"team":                  map[string]any{"id": w.id, "domain": w.domain},
		"user":                  map[string]any{"id": userID, "username": name, "name": name, "team_id": w.id},
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"trigger_id":            w.newTriggerLocked(userID),
		"view":                  v,
		"response_urls":         []any{},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
}

// MessageShortcut is Workspace.MessageShortcut of the default workspace.
func (s *Server) MessageShortcut(userID, callbackID string, m Message) map[string]any {
	return s.def.MessageShortcut(userID, callbackID, m)
}

// MessageShortcut is the message_action payload of userID choosing the app's message shortcut
// callbackID in the menu of message m (one Post recorded, or one the bot posted), as Slack sends
// it: the message as Slack stores it, its channel, the team's domain (which a permalink is built
// from), a trigger_id and a response_url that answers in that channel, only to userID. The
// response_url cannot replace or delete m: it is no message of the app's.
func (w *Workspace) MessageShortcut(userID, callbackID string, m Message) map[string]any {
	name := w.userName(userID)
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return map[string]any{
		"type":                  "message_action",
		"token":                 verificationToken,
		"action_ts":             w.actionTSLocked(),
		"team":                  map[string]any{"id": w.id, "domain": w.domain},
		"user":                  map[string]any{"id": userID, "username": name, "name": name, "team_id": w.id},
		"channel":               map[string]any{"id": m.Channel, "name": channelName(m.Channel)},
		"is_enterprise_install": false,
		"enterprise":            nil,
		"callback_id":           callbackID,
		"trigger_id":            w.newTriggerLocked(userID),
		"message_ts":            m.TS,
		"message":               w.messageJSON(m),
		"response_url":          w.newResponseURLLocked("app", m.Channel, userID, ""),
	}
}

// GlobalShortcut is Workspace.GlobalShortcut of the default workspace.
func (s *Server) GlobalShortcut(userID, callbackID string) map[string]any {
	return s.def.GlobalShortcut(userID, callbackID)
}

// GlobalShortcut is the shortcut payload of userID choosing the app's global shortcut callbackID
// (from the composer's shortcuts or the search bar), as Slack sends it: no channel, no message and
// no response_url, only a trigger_id to open a modal with.
func (w *Workspace) GlobalShortcut(userID, callbackID string) map[string]any {
	name := w.userName(userID)
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return map[string]any{
		"type":                  "shortcut",
		"token":                 verificationToken,
		"action_ts":             w.actionTSLocked(),
		"team":                  map[string]any{"id": w.id, "domain": w.domain},
		"user":                  map[string]any{"id": userID, "username": name, "team_id": w.id},
		"is_enterprise_install": false,
		"enterprise":            nil,
		"callback_id":           callbackID,
		"trigger_id":            w.newTriggerLocked(userID),
	}
}

// actionTSLocked is an action_ts in Slack's "seconds.micros" form.
func (w *Workspace) actionTSLocked() string {
	return fmt.Sprintf("%d.%06d", w.s.now().Unix(), w.s.nextSeqLocked()%1000000)
}

// AppHomeOpened is Workspace.AppHomeOpened of the default workspace.
func (s *Server) AppHomeOpened(userID string) map[string]any { return s.def.AppHomeOpened(userID) }

// AppHomeOpened is the events_api payload Slack sends each time userID opens the Home tab.
func (w *Workspace) AppHomeOpened(userID string) map[string]any {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	now := w.s.now()
	event := map[string]any{
		"type":     "app_home_opened",
		"user":     userID,
		"channel":  w.dmLocked(userID),
		"tab":      "home",
		"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
	}
	if id, ok := w.homeViews[userID]; ok {
		if _, v := w.currentViewLocked(id, ""); v != nil {
			event["view"] = v
		}
	}
	return w.eventCallbackLocked(event, now)
}

// eventCallbackLocked wraps an inner event as Slack's Events API delivers it inside a Socket Mode
// envelope: event_callback with a fresh event_id and the app's authorization.
func (w *Workspace) eventCallbackLocked(event map[string]any, now time.Time) map[string]any {
	return map[string]any{
		"token":      verificationToken,
		"team_id":    w.id,
		"api_app_id": AppID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   fmt.Sprintf("Ev%010d", w.s.nextSeqLocked()),
		"event_time": now.Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": w.id, "user_id": w.botUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + randHex(20),
	}
}

func channelName(id string) string {
	switch {
	case id == GeneralChannelID:
		return "general"
	case strings.HasPrefix(id, "D"):
		return "directmessage"
	}
	return strings.ToLower(id)
}
