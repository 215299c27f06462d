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
// response_url served by this fake. Pass them to Send.

// SlashCommand is "/refer text" typed by userID in the general channel.
func (s *Server) SlashCommand(userID, text string) map[string]any {
	return s.Command(GeneralChannelID, userID, "/refer", text)
}

// Command is any slash command typed in channelID. Every value is a string, as Slack converts
// the form post: is_enterprise_install arrives as "false".
func (s *Server) Command(channelID, userID, command, text string) map[string]any {
	name := s.userName(userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{
		"token":                 verificationToken,
		"team_id":               TeamID,
		"team_domain":           "fake",
		"channel_id":            channelID,
		"channel_name":          channelName(channelID),
		"user_id":               userID,
		"user_name":             name,
		"command":               command,
		"text":                  text,
		"api_app_id":            AppID,
		"is_enterprise_install": "false",
		"response_url":          s.newResponseURLLocked("commands", channelID, userID, ""),
		"trigger_id":            s.newTriggerLocked(userID),
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

// BlockAction is a block_actions payload for userID using action in the container. The message or
// view is looked up in what the fake recorded, so the payload carries what the bot really sent.
// Message actions get a response_url; view actions do not, as in Slack.
func (s *Server) BlockAction(userID string, action slack.BlockAction, in Container) map[string]any {
	name := s.userName(userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if action.ActionTs == "" {
		action.ActionTs = fmt.Sprintf("%d.%06d", s.now().Unix(), s.nextSeqLocked()%1000000)
	}
	p := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": userID, "username": name, "name": name, "team_id": TeamID},
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"trigger_id":            s.newTriggerLocked(userID),
		"team":                  map[string]any{"id": TeamID, "domain": "fake"},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"state":                 map[string]any{"values": map[string]any{}},
		"actions":               []any{actionJSON(action, true)},
	}
	if in.ViewID != "" {
		p["container"] = map[string]any{"type": "view", "view_id": in.ViewID}
		if _, v := s.currentViewLocked(in.ViewID, ""); v != nil {
			p["view"] = v
		} else {
			p["view"] = map[string]any{"id": in.ViewID, "team_id": TeamID, "app_id": AppID}
		}
		return p
	}
	var msg *Message
	for i := range s.messages {
		if s.messages[i].Channel == in.ChannelID && s.messages[i].TS == in.MessageTS {
			msg = &s.messages[i]
		}
	}
	ephemeral := msg != nil && msg.Ephemeral
	p["container"] = map[string]any{"type": "message", "message_ts": in.MessageTS,
		"channel_id": in.ChannelID, "is_ephemeral": ephemeral}
	p["channel"] = map[string]any{"id": in.ChannelID, "name": channelName(in.ChannelID)}
	if msg != nil && !ephemeral {
		p["message"] = messageJSON(*msg)
	}
	p["response_url"] = s.newResponseURLLocked("actions", in.ChannelID, userID, in.MessageTS)
	return p
}

// ViewSubmission is userID pressing Submit on view with values as
// state.values[block_id][action_id]. If the fake served the view, its recorded form is used,
// so callback_id and private_metadata are what the bot set.
func (s *Server) ViewSubmission(userID string, view slack.View, values map[string]map[string]slack.BlockAction) map[string]any {
	name := s.userName(userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, v := s.currentViewLocked(view.ID, "")
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
	return map[string]any{
		"type":                  "view_submission",
		"team":                  map[string]any{"id": TeamID, "domain": "fake"},
		"user":                  map[string]any{"id": userID, "username": name, "name": name, "team_id": TeamID},
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"trigger_id":            s.newTriggerLocked(userID),
		"view":                  v,
		"response_urls":         []any{},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
}

// AppHomeOpened is the events_api payload Slack sends each time userID opens the Home tab.
func (s *Server) AppHomeOpened(userID string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	event := map[string]any{
		"type":     "app_home_opened",
		"user":     userID,
		"channel":  s.dmLocked(userID),
		"tab":      "home",
		"event_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
	}
	if id, ok := s.homeViews[userID]; ok {
		if _, v := s.currentViewLocked(id, ""); v != nil {
			event["view"] = v
		}
	}
	return s.eventCallbackLocked(event, now)
}

// eventCallbackLocked wraps an inner event as Slack's Events API delivers it inside a Socket Mode
// envelope: event_callback with a fresh event_id and the app's authorization.
func (s *Server) eventCallbackLocked(event map[string]any, now time.Time) map[string]any {
	return map[string]any{
		"token":      verificationToken,
		"team_id":    TeamID,
		"api_app_id": AppID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   fmt.Sprintf("Ev%010d", s.nextSeqLocked()),
		"event_time": now.Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": TeamID, "user_id": BotUserID,
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
