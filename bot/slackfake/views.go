package slackfake

import (
	"encoding/json"
	"fmt"
	"time"
)

// triggerTTL is how long Slack accepts a trigger_id; each one opens or pushes one view.
const triggerTTL = 3 * time.Second

// View is one views.open, views.update, views.push or views.publish as applied.
type View struct {
	ID        string
	TriggerID string // for views.open and views.push
	User      string // who sees the view: the trigger's user, or views.publish's user_id
	Method    string
	View      json.RawMessage // the view object Slack returned, with id, hash and state
}

type trigger struct {
	user   string
	issued time.Time
	used   bool
}

// Views returns every view call that succeeded, oldest first.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]View(nil), s.views...)
}

// newTriggerLocked issues a trigger_id in Slack's "n.n.hex" shape, valid once within 3 s.
func (s *Server) newTriggerLocked(user string) string {
	id := fmt.Sprintf("%d.%d.%s", s.nextSeqLocked(), s.startSec, randHex(16))
	s.triggers[id] = &trigger{user: user, issued: s.now()}
	return id
}

// checkTriggerLocked returns the trigger's user, or Slack's error for a trigger it would refuse.
func (s *Server) checkTriggerLocked(id string) (*trigger, string) {
	t := s.triggers[id]
	switch {
	case t == nil:
		return nil, "invalid_trigger_id"
	case t.used:
		return nil, "exchanged_trigger_id"
	case s.now().Sub(t.issued) > triggerTTL:
		return nil, "expired_trigger_id"
	}
	return t, ""
}

// viewCall is the JSON body of every views.* method.
type viewCall struct {
	TriggerID  string         `json:"trigger_id"`
	ViewID     string         `json:"view_id"`
	ExternalID string         `json:"external_id"`
	UserID     string         `json:"user_id"`
	Hash       *string        `json:"hash"`
	View       map[string]any `json:"view"`
}

func decodeViewCall(r *request) (*viewCall, string) {
	var c viewCall
	if json.Unmarshal(r.body, &c) != nil || c.View == nil {
		return nil, "invalid_arguments"
	}
	return &c, ""
}

func (s *Server) viewsOpen(r *request) (map[string]any, string) {
	return s.openOrPush(r, "views.open")
}

func (s *Server) viewsPush(r *request) (map[string]any, string) {
	return s.openOrPush(r, "views.push")
}

func (s *Server) openOrPush(r *request, method string) (map[string]any, string) {
	c, e := decodeViewCall(r)
	if e != "" {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.checkTriggerLocked(c.TriggerID)
	if e != "" {
		return nil, e
	}
	if extra, e := validateView(c.View, "modal"); e != "" {
		return extra, e
	}
	t.used = true
	id := fmt.Sprintf("V%08d", s.nextSeqLocked())
	v := s.storeViewLocked(c.View, id, id, nil)
	s.views = append(s.views, View{ID: id, TriggerID: c.TriggerID, User: t.user, Method: method, View: v})
	s.notifyLocked()
	return map[string]any{"view": v}, ""
}

func (s *Server) viewsUpdate(r *request) (map[string]any, string) {
	c, e := decodeViewCall(r)
	if e != "" {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, old := s.currentViewLocked(c.ViewID, c.ExternalID)
	if cur == nil {
		return nil, "not_found"
	}
	if c.Hash != nil && *c.Hash != old["hash"] {
		return nil, "hash_conflict"
	}
	if extra, e := validateView(c.View, old["type"].(string)); e != "" {
		return extra, e
	}
	v := s.storeViewLocked(c.View, cur.ID, old["root_view_id"], old["previous_view_id"])
	s.views = append(s.views, View{ID: cur.ID, User: cur.User, Method: "views.update", View: v})
	s.notifyLocked()
	return map[string]any{"view": v}, ""
}

func (s *Server) viewsPublish(r *request) (map[string]any, string) {
	c, e := decodeViewCall(r)
	if e != "" {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.userLocked(c.UserID); !ok {
		return nil, "user_not_found"
	}
	if extra, e := validateView(c.View, "home"); e != "" {
		return extra, e
	}
	id, ok := s.homeViews[c.UserID]
	if !ok {
		id = fmt.Sprintf("V%08d", s.nextSeqLocked())
		s.homeViews[c.UserID] = id
	} else if _, old := s.currentViewLocked(id, ""); c.Hash != nil && *c.Hash != old["hash"] {
		return nil, "hash_conflict"
	}
	v := s.storeViewLocked(c.View, id, id, nil)
	s.views = append(s.views, View{ID: id, User: c.UserID, Method: "views.publish", View: v})
	s.notifyLocked()
	return map[string]any{"view": v}, ""
}

// currentViewLocked finds the latest state of a view by id or external_id. Only a view that may
// match is decoded: a lookup by id compares ids alone, however many views the fake served.
func (s *Server) currentViewLocked(id, externalID string) (*View, map[string]any) {
	for i := len(s.views) - 1; i >= 0; i-- {
		v := &s.views[i]
		var m map[string]any
		match := id != "" && v.ID == id
		if !match && externalID != "" {
			_ = json.Unmarshal(v.View, &m)
			match = m["external_id"] == externalID
		}
		if match {
			if m == nil {
				_ = json.Unmarshal(v.View, &m)
			}
			return v, m
		}
	}
	return nil, nil
}

// storeViewLocked completes a requested view into the object Slack returns: ids, a fresh hash,
// an empty state and the app's identity.
func (s *Server) storeViewLocked(req map[string]any, id string, root, previous any) json.RawMessage {
	v := map[string]any{
		"private_metadata": "", "callback_id": "", "external_id": "",
		"clear_on_close": false, "notify_on_close": false, "close": nil, "submit": nil,
	}
	for k, val := range req {
		v[k] = val
	}
	v["id"] = id
	v["team_id"] = TeamID
	v["app_id"] = AppID
	v["bot_id"] = BotID
	v["app_installed_team_id"] = TeamID
	v["state"] = map[string]any{"values": map[string]any{}}
	v["hash"] = fmt.Sprintf("%d.%s", s.startSec, randHex(4))
	v["root_view_id"] = root
	v["previous_view_id"] = previous
	b, _ := json.Marshal(v)
	return b
}
