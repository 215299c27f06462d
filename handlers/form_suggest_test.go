package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/rapportbot/rapport"
)

// asSlackSends is the form as a block_actions payload brings it back: the view request's JSON
// decoded by slack-go, as the handlers receive it.
func asSlackSends(t *testing.T, req slack.ModalViewRequest) slack.View {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var v slack.View
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func blockJSON(t *testing.T, blocks []slack.Block) []string {
	t.Helper()
	var out []string
	for _, b := range blocks {
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(j))
	}
	return out
}

var dana = rapport.Match{Member: "UDANA", Ask: "Bookkeeping & payroll for restaurants <!channel> " + strings.Repeat("and more ", 40),
	Score: 0.5, Strength: rapport.MatchStrong, Words: []string{"payroll", "restaurants"}}

// TestSuggestionsKeepTheForm: the suggestions go under the need input and nothing else of the form
// changes, so Slack keeps every input's value; the same suggestions again are no update; none
// removes them.
func TestSuggestionsKeepTheForm(t *testing.T) {
	form := asSlackSends(t, referralModal(formState{draft: rapport.Draft{Need: "payroll"}}))
	before := blockJSON(t, form.Blocks.BlockSet)

	with, changed := withSuggestions(form.Blocks.BlockSet, []rapport.Match{dana})
	if !changed {
		t.Fatal("suggestions added to a form without them: no change")
	}
	got := blockJSON(t, with)
	need := -1
	for i, b := range form.Blocks.BlockSet {
		if b.ID() == rapport.FieldNeed {
			need = i
		}
	}
	if len(got) != len(before)+2 || with[need+1].ID() != blockSuggest || !strings.HasPrefix(with[need+2].ID(), "suggest:UDANA:") {
		t.Fatalf("the suggestions are not right under the need input: %v", got)
	}
	if diff := cmp.Diff(before, append(got[:need+1:need+1], got[need+3:]...)); diff != "" {
		t.Errorf("the rest of the form changed (-before +after):\n%s", diff)
	}
	text := got[need+2]
	for _, want := range []string{"<@UDANA> asks for “Bookkeeping &amp; payroll for restaurants &lt;!channel&gt;", "In common: *payroll*, *restaurants*",
		`"action_id":"refer:pick"`, `"value":"UDANA"`} {
		if !strings.Contains(unescapeJSON(text), want) {
			t.Errorf("the suggestion lacks %q: %s", want, text)
		}
	}
	if strings.Contains(unescapeJSON(text), "<!channel>") || strings.Count(unescapeJSON(text), "and more") > 25 {
		t.Errorf("the ask is not escaped and cut: %s", text)
	}

	again := asSlackSends(t, slack.ModalViewRequest{Type: slack.VTModal, Blocks: slack.Blocks{BlockSet: with}})
	if _, changed := withSuggestions(again.Blocks.BlockSet, []rapport.Match{dana}); changed {
		t.Error("the same suggestions again changed the form")
	}
	fewer := dana
	fewer.Words = []string{"payroll"}
	if _, changed := withSuggestions(again.Blocks.BlockSet, []rapport.Match{fewer}); !changed {
		t.Error("other shared words left the form as it was")
	}
	none, changed := withSuggestions(again.Blocks.BlockSet, nil)
	if !changed || cmp.Diff(before, blockJSON(t, none)) != "" {
		t.Errorf("no suggestions left %v", blockJSON(t, none))
	}
}

// TestPickSetsTheReceiver: Pick moves the receiver's select to a new block_id with the member
// chosen (a second Pick, to another); the submission reads it there and an error about the
// receiver goes under it.
func TestPickSetsTheReceiver(t *testing.T) {
	form := asSlackSends(t, referralModal(formState{draft: rapport.Draft{Receiver: "UBOB"}}))
	once, ok := withReceiver(form.Blocks.BlockSet, "UDANA")
	if !ok {
		t.Fatal("no receiver's select")
	}
	twice, ok := withReceiver(asSlackSends(t, slack.ModalViewRequest{Type: slack.VTModal, Blocks: slack.Blocks{BlockSet: once}}).Blocks.BlockSet, "UCAROL")
	if !ok {
		t.Fatal("no receiver's select after a Pick")
	}
	for _, tc := range []struct {
		blocks     []slack.Block
		block, who string
	}{{once, "receiver.1", "UDANA"}, {twice, "receiver.2", "UCAROL"}} {
		in := tc.blocks[0].(*slack.InputBlock)
		if in.BlockID != tc.block || in.Element.(*slack.SelectBlockElement).InitialUser != tc.who {
			t.Errorf("after Pick: %s holds %s; want %s holding %s", in.BlockID, in.Element.(*slack.SelectBlockElement).InitialUser, tc.block, tc.who)
		}
	}
	if form.Blocks.BlockSet[0].(*slack.InputBlock).Element.(*slack.SelectBlockElement).InitialUser != "UBOB" {
		t.Error("Pick changed the form it was given")
	}

	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"receiver.2": {InputAction: {Type: "users_select", SelectedUser: "UCAROL"}},
		"need":       {ActionNeed: {Type: "plain_text_input", Value: "payroll"}},
	}}
	if d, _, _ := draftFrom("UALICE", state); d.Receiver != "UCAROL" || d.Need != "payroll" {
		t.Errorf("draft = receiver %q, need %q", d.Receiver, d.Need)
	}
	ack := formErrors(rapport.FieldErrors{rapport.FieldReceiver: "You can't refer yourself."}, state)
	b, _ := json.Marshal(ack)
	if !strings.Contains(string(b), `"receiver.2":"You can't refer yourself."`) {
		t.Errorf("the receiver's error is not under its select: %s", b)
	}
}

// TestEditFormSuggestsNobody: the edit form's need input sends no actions; the referral form's
// does, on every character.
func TestEditFormSuggestsNobody(t *testing.T) {
	needOf := func(v slack.ModalViewRequest) *slack.InputBlock {
		for _, b := range v.Blocks.BlockSet {
			if in, ok := b.(*slack.InputBlock); ok && in.BlockID == rapport.FieldNeed {
				return in
			}
		}
		t.Fatal("no need input")
		return nil
	}
	form := needOf(referralModal(formState{}))
	if el := form.Element.(*slack.PlainTextInputBlockElement); !form.DispatchAction || el.ActionID != ActionNeed ||
		el.DispatchActionConfig == nil || el.DispatchActionConfig.TriggerActionsOn[0] != "on_character_entered" {
		t.Errorf("the form's need input does not dispatch as typed: %+v", form)
	}
	edit := needOf(editModal(rapport.Referral{Number: 1, Draft: rapport.Draft{Need: "payroll"}}))
	if el := edit.Element.(*slack.PlainTextInputBlockElement); edit.DispatchAction || el.DispatchActionConfig != nil || edit.Hint != nil {
		t.Errorf("the edit form's need input dispatches: %+v", edit)
	}
}

// unescapeJSON undoes encoding/json's HTML-safe escapes, so a test reads JSON text as Slack does.
var unescapeJSON = strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace
