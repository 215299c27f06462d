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
	ws     *Workspace // where it was issued: another workspace's token cannot use it
	user   string
	issued time.Time
	used   bool
}

// Views is Workspace.Views of the default workspace.
func (s *Server) Views() []View { return s.def.Views() }

// Views returns every view call in the workspace that succeeded, oldest first.
func (w *Workspace) Views() []View {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return append([]View(nil), w.views...)
}

// newTriggerLocked issues a trigger_id in Slack's "n.n.hex" shape, valid once within 3 s.
func (w *Workspace) newTriggerLocked(user string) string {
	id := fmt.Sprintf("%d.%d.%s", w.s.nextSeqLocked(), w.s.startSec, randHex(16))
	w.s.triggers[id] = &trigger{ws: w, user: user, issued: w.s.now()}
	return id
}

// checkTriggerLocked returns the trigger's user, or Slack's error for a trigger it would refuse.
func (w *Workspace) checkTriggerLocked(id string) (*trigger, string) {
	t := w.s.triggers[id]
	switch {
	case t == nil || t.ws != w:
		return nil, "invalid_trigger_id"
	case t.used:
		return nil, "exchanged_trigger_id"
	case w.s.now().Sub(t.issued) > triggerTTL:
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

func (w *Workspace) viewsOpen(r *request) (map[string]any, string) {
	return w.openOrPush(r, "views.open")
}

func (w *Workspace) viewsPush(r *request) (map[string]any, string) {
	return w.openOrPush(r, "views.push")
}

func (w *Workspace) openOrPush(r *request, method string) (map[string]any, string) {
	c, e := decodeViewCall(r)
	if e != "" {
		return nil, e
	}
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	t, e := w.checkTriggerLocked(c.TriggerID)
	if e != "" {
		return nil, e
	}
	if extra, e := validateView(c.View, "modal"); e != "" {
		return extra, e
	}
	t.used = true
	id := fmt.Sprintf("V%08d", w.s.nextSeqLocked())
	v := w.storeViewLocked(c.View, id, id, nil)
	w.keepStateLocked(id, c.View)
	w.views = append(w.views, View{ID: id, TriggerID: c.TriggerID, User: t.user, Method: method, View: v})
	w.s.notifyLocked()
	return map[string]any{"view": v}, ""
}

func (w *Workspace) viewsUpdate(r *request) (map[string]any, string) {
	c, e := decodeViewCall(r)
	if e != "" {
		return nil, e
	}
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	cur, old := w.currentViewLocked(c.ViewID, c.ExternalID)
	if cur == nil {
		return nil, "not_found"
	}
	if c.Hash != nil && *c.Hash != old["hash"] {
		return nil, "hash_conflict"
	}
	if extra, e := validateView(c.View, old["type"].(string)); e != "" {
		return extra, e
	}
	v := w.storeViewLocked(c.View, cur.ID, old["root_view_id"], old["previous_view_id"])
	w.keepStateLocked(cur.ID, c.View)
	w.views = append(w.views, View{ID: cur.ID, User: cur.User, Method: "views.update", View: v})
	w.s.notifyLocked()
	return map[string]any{"view": v}, ""
}

func (w *Workspace) viewsPublish(r *request) (map[string]any, string) {
	c, e := decodeViewCall(r)
	if e != "" {
		return nil, e
	}
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if _, ok := w.userLocked(c.UserID); !ok {
		return nil, "user_not_found"
	}
	if extra, e := validateView(c.View, "home"); e != "" {
		return extra, e
	}
	id, ok := w.homeViews[c.UserID]
	if !ok {
		id = fmt.Sprintf("V%08d", w.s.nextSeqLocked())
		w.homeViews[c.UserID] = id
	} else if _, old := w.currentViewLocked(id, ""); c.Hash != nil && *c.Hash != old["hash"] {
		return nil, "hash_conflict"
	}
	v := w.storeViewLocked(c.View, id, id, nil)
	w.keepStateLocked(id, c.View)
	w.views = append(w.views, View{ID: id, User: c.UserID, Method: "views.publish", View: v})
	w.s.notifyLocked()
	return map[string]any{"view": v}, ""
}

// currentViewLocked finds the latest state of a view by id or external_id. Only a view that may
// match is decoded: a lookup by id compares ids alone, however many views the fake served.
func (w *Workspace) currentViewLocked(id, externalID string) (*View, map[string]any) {
	for i := len(w.views) - 1; i >= 0; i-- {
		v := &w.views[i]
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
func (w *Workspace) storeViewLocked(req map[string]any, id string, root, previous any) json.RawMessage {
	v := map[string]any{
		"private_metadata": "", "callback_id": "", "external_id": "",
		"clear_on_close": false, "notify_on_close": false, "close": nil, "submit": nil,
	}
	for k, val := range req {
		v[k] = val
	}
	v["id"] = id
	v["team_id"] = w.id
	v["app_id"] = AppID
	v["bot_id"] = w.botID
	v["app_installed_team_id"] = w.id
	v["state"] = map[string]any{"values": map[string]any{}}
	v["hash"] = fmt.Sprintf("%d.%s", w.s.startSec, randHex(4))
	v["root_view_id"] = root
	v["previous_view_id"] = previous
	b, _ := json.Marshal(v)
	return b
}
