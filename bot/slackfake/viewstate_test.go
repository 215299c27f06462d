package slackfake_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport/bot/slackfake"
)

// stateOf decodes the view state a payload carries: block_id → action_id → the element's value.
func stateOf(t *testing.T, payload map[string]any) map[string]map[string]slack.BlockAction {
	t.Helper()
	b, err := json.Marshal(payload["view"])
	if err != nil {
		t.Fatal(err)
	}
	var v slack.View
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.State == nil {
		t.Fatal("no view.state")
	}
	return v.State.Values
}

// TestInputStateAsSlackKeepsIt: a dispatching input sends block_actions carrying what every input
// holds; views.update keeps what was entered in an input whose block_id and action_id stay, and
// applies the initial value of one whose block_id changed; a submission as filled carries it all.
func TestInputStateAsSlackKeepsIt(t *testing.T) {
	s := newFake(t)
	api := newAPI(t, s, slackfake.BotToken)
	ctx := waitCtx(t)
	form := func(receiverBlock, receiver string) slack.ModalViewRequest {
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, nil, "value")
		sel.InitialUser = receiver
		need := slack.NewPlainTextInputBlockElement(nil, "need")
		need.InitialValue = "from the app"
		need.DispatchActionConfig = &slack.DispatchActionConfig{TriggerActionsOn: []string{"on_character_entered"}}
		name := slack.NewPlainTextInputBlockElement(nil, "value")
		return slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Refer", false, false),
			Submit: slack.NewTextBlockObject("plain_text", "Send", false, false), CallbackID: "refer",
			Blocks: slack.Blocks{BlockSet: []slack.Block{
				slack.NewInputBlock(receiverBlock, slack.NewTextBlockObject("plain_text", "Who", false, false), nil, sel),
				slack.NewInputBlock("name", slack.NewTextBlockObject("plain_text", "Name", false, false), nil, name),
				slack.NewInputBlock("need", slack.NewTextBlockObject("plain_text", "Need", false, false), nil, need).WithDispatchAction(true),
			}}}
	}
	opened, err := api.OpenViewContext(ctx, s.SlashCommand("UALICE", "")["trigger_id"].(string), form("receiver", ""))
	if err != nil {
		t.Fatal(err)
	}
	id := opened.View.ID

	if p, err := s.Input("UALICE", id, slack.BlockAction{BlockID: "name", ActionID: "value", Value: "Dana"}); err != nil || p != nil {
		t.Fatalf("typing in an input that does not dispatch = %v, %v; want no payload", p, err)
	}
	p, err := s.Input("UALICE", id, slack.BlockAction{BlockID: "need", ActionID: "need", Value: "a roof"})
	if err != nil || p == nil {
		t.Fatalf("typing the need = %v, %v; want block_actions", p, err)
	}
	b, _ := json.Marshal(p)
	var cb slack.InteractionCallback
	if err := json.Unmarshal(b, &cb); err != nil {
		t.Fatal(err)
	}
	if a := cb.ActionCallback.BlockActions; cb.Type != slack.InteractionTypeBlockActions || len(a) != 1 || a[0].BlockID != "need" ||
		a[0].ActionID != "need" || a[0].Value != "a roof" || a[0].Type != "plain_text_input" || cb.View.ID != id || cb.View.Hash != opened.View.Hash {
		t.Errorf("block_actions = %s", b)
	}
	want := map[string]map[string]slack.BlockAction{
		"receiver": {"value": {Type: "users_select"}},
		"name":     {"value": {Type: "plain_text_input", Value: "Dana"}},
		"need":     {"need": {Type: "plain_text_input", Value: "a roof"}},
	}
	if diff := cmp.Diff(want, stateOf(t, p)); diff != "" {
		t.Errorf("state in block_actions (-want +got):\n%s", diff)
	}

	// The app sets the receiver by a new block_id; what was typed stays though the new view's
	// initial need differs.
	if _, err := api.UpdateViewContext(ctx, form("receiver.1", "UBOB"), "", cb.View.Hash, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Input("UALICE", id, slack.BlockAction{BlockID: "receiver", ActionID: "value", SelectedUser: "UCAROL"}); err == nil {
		t.Error("typed into a block_id the view no longer has")
	}
	sub, err := s.SubmitAsFilled("UALICE", id)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]map[string]slack.BlockAction{
		"receiver.1": {"value": {Type: "users_select", SelectedUser: "UBOB"}},
		"name":       {"value": {Type: "plain_text_input", Value: "Dana"}},
		"need":       {"need": {Type: "plain_text_input", Value: "a roof"}},
	}
	if diff := cmp.Diff(want, stateOf(t, sub)); diff != "" {
		t.Errorf("state submitted (-want +got):\n%s", diff)
	}
	if sub["type"] != "view_submission" {
		t.Errorf("submission type %v", sub["type"])
	}
	if _, err := s.SubmitAsFilled("UBOB", id); err == nil {
		t.Error("Bob submitted Alice's form")
	}
}
