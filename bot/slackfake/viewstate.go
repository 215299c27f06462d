package slackfake

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/slack-go/slack"
)

// A view's state is what its inputs hold as the person sees them: their initial values until they
// type or choose, then what they entered. Slack sends it in view.state.values with every
// block_actions from the view and with its submission, and keeps it across views.update for each
// input whose block_id and action_id the new view has again: there the new view's initial value is
// ignored, which is why an app sets an input's value by giving it a new block_id. The fake keeps
// it the same way (keepStateLocked); Input enters values and SubmitAsFilled submits them.

// input is one input block of a view: its ids and its element as the app sent it.
type input struct {
	block, action string
	dispatch      bool // the block's dispatch_action: entering a value sends block_actions
	el            map[string]any
}

// inputsOf lists the input blocks of a view (decoded JSON) that have a block_id.
func inputsOf(view map[string]any) []input {
	blocks, _ := view["blocks"].([]any)
	var out []input
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if m["type"] != "input" {
			continue
		}
		el, _ := m["element"].(map[string]any)
		block, _ := m["block_id"].(string)
		action, _ := el["action_id"].(string)
		if block == "" || el == nil {
			continue
		}
		dispatch, _ := m["dispatch_action"].(bool)
		out = append(out, input{block: block, action: action, dispatch: dispatch, el: el})
	}
	return out
}

// keepStateLocked sets the state of view id, just stored: an input the view had before under the
// same block_id and action_id, of the same type, keeps what it held; any other starts at its
// initial value.
func (w *Workspace) keepStateLocked(id string, view map[string]any) {
	old := w.viewState[id]
	st := map[string]map[string]any{}
	for _, in := range inputsOf(view) {
		if prev, ok := old[in.block][in.action].(map[string]any); ok && prev["type"] == in.el["type"] {
			st[in.block] = map[string]any{in.action: prev}
			continue
		}
		st[in.block] = map[string]any{in.action: initialState(in.el)}
	}
	w.viewState[id] = st
}

// stateLocked is view id's state as Slack sends it (view.state), a copy the caller may keep.
func (w *Workspace) stateLocked(id string) map[string]any {
	values := map[string]any{}
	for block, byAction := range w.viewState[id] {
		values[block] = maps.Clone(byAction)
	}
	return map[string]any{"values": values}
}

// initialState is an element's value before the person touches it: its initial value, in
// state.values' shape.
func initialState(el map[string]any) map[string]any {
	typ, _ := el["type"].(string)
	a := slack.BlockAction{Type: slack.ActionType(typ)}
	str := func(k string) string { s, _ := el[k].(string); return s }
	switch typ {
	case "users_select":
		a.SelectedUser = str("initial_user")
	case "conversations_select":
		a.SelectedConversation = str("initial_conversation")
	case "channels_select":
		a.SelectedChannel = str("initial_channel")
	case "datepicker":
		a.SelectedDate = str("initial_date")
	case "timepicker":
		a.SelectedTime = str("initial_time")
	case "multi_users_select":
		for _, u := range anySlice(el["initial_users"]) {
			if s, ok := u.(string); ok {
				a.SelectedUsers = append(a.SelectedUsers, s)
			}
		}
	case "static_select", "external_select", "radio_buttons":
		if o, ok := decodeOption(el["initial_option"]); ok {
			a.SelectedOption = o
		}
	case "checkboxes", "multi_static_select", "multi_external_select":
		for _, raw := range anySlice(el["initial_options"]) {
			if o, ok := decodeOption(raw); ok {
				a.SelectedOptions = append(a.SelectedOptions, o)
			}
		}
	default:
		a.Value = str("initial_value")
	}
	return actionJSON(a, false)
}

func anySlice(v any) []any { s, _ := v.([]any); return s }

func decodeOption(v any) (slack.OptionBlockObject, bool) {
	var o slack.OptionBlockObject
	b, err := json.Marshal(v)
	if v == nil || err != nil || json.Unmarshal(b, &o) != nil || o.Value == "" {
		return o, false
	}
	return o, true
}

// Input is Workspace.Input of the default workspace.
func (s *Server) Input(userID, viewID string, a slack.BlockAction) (map[string]any, error) {
	return s.def.Input(userID, viewID, a)
}

// Input is userID entering a value into an input of the view viewID (its current version): a's
// BlockID and ActionID name the input, and its value field for the element's type holds what they
// typed or chose (Type may be left empty: the element's). The view's state holds it from then on,
// in every later block_actions and in SubmitAsFilled. When the input block dispatches actions
// (dispatch_action) it returns the block_actions payload Slack sends, as it sends one once the
// person has typed (on_character_entered) or typed and pressed Enter (on_enter_pressed, the
// default): pass it to Send. Otherwise it returns nil: Slack sends nothing until the view is
// submitted. Naming an input the view does not have (a block_id the app has since changed) is an
// error, as the person could not have typed there.
func (w *Workspace) Input(userID, viewID string, a slack.BlockAction) (map[string]any, error) {
	name := w.userName(userID)
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	cur, v := w.currentViewLocked(viewID, "")
	switch {
	case cur == nil:
		return nil, fmt.Errorf("slackfake: no view %s", viewID)
	case cur.User != userID:
		return nil, fmt.Errorf("slackfake: view %s is shown to %s, not %s", viewID, cur.User, userID)
	}
	var in *input
	for _, x := range inputsOf(v) {
		if x.block == a.BlockID && x.action == a.ActionID {
			in = &x
			break
		}
	}
	if in == nil {
		return nil, fmt.Errorf("slackfake: view %s has no input %s/%s", viewID, a.BlockID, a.ActionID)
	}
	if typ, _ := in.el["type"].(string); a.Type == "" {
		a.Type = slack.ActionType(typ)
	} else if string(a.Type) != typ {
		return nil, fmt.Errorf("slackfake: input %s/%s is a %s, not a %s", a.BlockID, a.ActionID, typ, a.Type)
	}
	st := w.viewState[viewID]
	if st == nil {
		st = map[string]map[string]any{}
		w.viewState[viewID] = st
	}
	st[a.BlockID] = map[string]any{a.ActionID: actionJSON(a, false)}
	if !in.dispatch {
		return nil, nil
	}
	return w.blockActionLocked(userID, name, a, InView(viewID)), nil
}

// SubmitAsFilled is Workspace.SubmitAsFilled of the default workspace.
func (s *Server) SubmitAsFilled(userID, viewID string) (map[string]any, error) {
	return s.def.SubmitAsFilled(userID, viewID)
}

// SubmitAsFilled is userID pressing Submit on the view viewID as its inputs stand: their initial
// values and whatever Input entered since, kept across the app's views.update as Slack keeps them.
// ViewSubmission is the same press with the state given whole by the test.
func (w *Workspace) SubmitAsFilled(userID, viewID string) (map[string]any, error) {
	name := w.userName(userID)
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	cur, v := w.currentViewLocked(viewID, "")
	if cur == nil || cur.User != userID {
		return nil, fmt.Errorf("slackfake: no view %s shown to %s", viewID, userID)
	}
	v["state"] = w.stateLocked(viewID)
	return w.submissionLocked(userID, name, v), nil
}
