package handlers

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rapportbot/rapport"
	"github.com/rapportbot/rapport/bot"
	"github.com/rapportbot/rapport/handlers/kit"
	"github.com/slack-go/slack"
	"go.uber.org/zap"
)

// The referral form suggests receivers (issue 13): as the giver types the need, the members whose
// current ask matches it best appear under it, each with a Pick button that makes them the receiver.
//
// The need input dispatches block_actions on every character (on_character_entered: it is a
// multiline input, where Enter writes a new line). Each is acked bare; after the ack the handler
// reads the asks of the members who may receive a referral, matches the need (rapport.Matcher,
// cached while the asks stay the same) and calls views.update only when the suggestions shown
// change, so most keystrokes cost Slack nothing. An update copies the form as the action saw it
// and replaces only the suggestions, or the receiver's select for Pick: every input keeps its
// block_id and action_id, which is what makes Slack keep what the giver typed (an initial value is
// ignored there). To set the receiver, Pick gives its select a new block_id (receiver.1,
// receiver.2, …) with the member as its initial_user: the one way a views.update sets an input's
// value. The update carries the hash of the view the action saw, so an update drawn from an older
// form (another keystroke's, or a Pick's, landed first) is refused by Slack and dropped.

// ActionNeed is the action_id of the form's need input: the one input that dispatches actions.
const ActionNeed = "refer:need"

const (
	actionPick   = "refer:pick" // a suggestion's button; its value is the member
	blockSuggest = "suggest"    // the suggestions' heading; each member's is "suggest:<member>:<digest of its text>"
	maxSuggested = 3
	askShown     = 200 // characters of a suggested member's ask, after escaping
)

// userID is a member's ID as a Pick button carries it.
var userID = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

// needInput is the need's input: it dispatches block_actions as the giver types (needTyped).
func needInput(need string) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(nil, ActionNeed)
	el.InitialValue = need
	el.Multiline = true
	el.MaxLength = rapport.MaxLen(rapport.FieldNeed)
	el.DispatchActionConfig = &slack.DispatchActionConfig{TriggerActionsOn: []string{"on_character_entered"}}
	in := slack.NewInputBlock(rapport.FieldNeed, kit.Plain("What do they need?"),
		kit.Plain("Members who asked for it show up below as you type."), el)
	in.DispatchAction = true
	return in
}

// quietNeed is the need input in without its actions, for a form that suggests nobody.
func quietNeed(in *slack.InputBlock) *slack.InputBlock {
	q := *in
	q.DispatchAction, q.Hint = false, nil
	if el, ok := in.Element.(*slack.PlainTextInputBlockElement); ok {
		e := *el
		e.DispatchActionConfig = nil
		q.Element = &e
	}
	return &q
}

// needTyped answers the need input's block_actions: after the ack, the form shows the members
// whose ask matches the need as typed, or no suggestions when none does.
func (h *Handlers) needTyped(_ context.Context, r *bot.Request) (any, error) {
	v := r.Interaction.View
	if v.CallbackID != callbackRefer || v.ID == "" {
		return nil, nil
	}
	giver, team, need := r.Interaction.User.ID, r.Team, r.Interaction.ActionCallback.BlockActions[0].Value
	r.After(func(ctx context.Context) error {
		ms, err := h.suggest(ctx, team, giver, need)
		if err != nil {
			return err
		}
		blocks, changed := withSuggestions(v.Blocks.BlockSet, ms)
		if !changed {
			return nil
		}
		return h.updateForm(ctx, v, blocks)
	})
	return nil, nil
}

// pick answers a suggestion's Pick: after the ack, the form's receiver is that member.
func (h *Handlers) pick(_ context.Context, r *bot.Request) (any, error) {
	v := r.Interaction.View
	member := r.Interaction.ActionCallback.BlockActions[0].Value
	if v.CallbackID != callbackRefer || v.ID == "" || !userID.MatchString(member) {
		return nil, nil
	}
	r.After(func(ctx context.Context) error {
		blocks, ok := withReceiver(v.Blocks.BlockSet, member)
		if !ok {
			return nil
		}
		return h.updateForm(ctx, v, blocks)
	})
	return nil, nil
}

// suggest is whom the form suggests for need: up to three members who may receive a referral and
// whose ask matches need at least well (rapport.MatchGood), best first, never the giver.
func (h *Handlers) suggest(ctx context.Context, team, giver, need string) ([]rapport.Match, error) {
	if strings.TrimSpace(need) == "" {
		return nil, nil
	}
	asks, err := h.store.AsksOfReceivers(ctx, team)
	if err != nil {
		return nil, err
	}
	return h.matchers.Matcher(asks).Best(need, maxSuggested, giver), nil
}

// updateForm replaces the blocks of the form v, keeping the rest of it, provided it is still the
// version the action saw (its hash). Slack refuses an update of a form updated since
// (hash_conflict): this one was drawn from older blocks, so it is dropped, not forced.
func (h *Handlers) updateForm(ctx context.Context, v slack.View, blocks []slack.Block) error {
	req := slack.ModalViewRequest{Type: slack.VTModal, Title: v.Title, Close: v.Close, Submit: v.Submit,
		Blocks: slack.Blocks{BlockSet: blocks}, PrivateMetadata: v.PrivateMetadata, CallbackID: v.CallbackID,
		ClearOnClose: v.ClearOnClose, NotifyOnClose: v.NotifyOnClose, ExternalID: v.ExternalID}
	_, err := h.api.UpdateViewContext(ctx, req, "", v.Hash, v.ID)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "hash_conflict" {
		h.log.Debug("form updated since the action; its update dropped", zap.String("view", v.ID))
		return nil
	}
	if err != nil {
		return fmt.Errorf("views.update: %w", err)
	}
	return nil
}

// withSuggestions is blocks with the suggestions of ms under the need input in place of those shown
// now (none when ms is empty); changed is false when they are the ones shown, word for word.
func withSuggestions(blocks []slack.Block, ms []rapport.Match) (out []slack.Block, changed bool) {
	add := suggestionBlocks(ms)
	var shown, ids []string
	at := -1
	for _, b := range blocks {
		if id := b.ID(); id == blockSuggest || strings.HasPrefix(id, blockSuggest+":") {
			shown = append(shown, id)
			continue
		}
		out = append(out, b)
		if b.ID() == rapport.FieldNeed {
			at = len(out)
		}
	}
	for _, b := range add {
		ids = append(ids, b.ID())
	}
	if slices.Equal(shown, ids) {
		return blocks, false
	}
	if at < 0 {
		at = len(out)
	}
	return slices.Insert(out, at, add...), true
}

// suggestionBlocks draws the suggestions: a heading, then each member with their ask (escaped, cut)
// and the words it shares with the need in bold, beside a Pick button. A member's block_id carries
// a digest of its text, so a change of words or ask is a change of block_id (withSuggestions).
func suggestionBlocks(ms []rapport.Match) []slack.Block {
	if len(ms) == 0 {
		return nil
	}
	head := kit.Context(":bulb: Members who asked for this. *Pick* one to make them the receiver.")
	head.BlockID = blockSuggest
	out := []slack.Block{head}
	for _, m := range ms {
		text := kit.Mention(m.Member) + " asks for “" + kit.EscClip(m.Ask, askShown) + "”\nIn common: " + kit.Bold(m.Words, 5)
		d := fnv.New32a()
		d.Write([]byte(text))
		out = append(out, slack.NewSectionBlock(kit.MD(text), nil,
			slack.NewAccessory(slack.NewButtonBlockElement(actionPick, m.Member, kit.Plain("Pick"))),
			slack.SectionBlockOptionBlockID(fmt.Sprintf("%s:%s:%08x", blockSuggest, m.Member, d.Sum32()))))
	}
	return out
}

// withReceiver is blocks with the receiver's select set to member: under the next block_id
// (receiverBlockAfter), since Slack keeps what a select holds while its block_id stays. ok is false
// when the form has no receiver's select.
func withReceiver(blocks []slack.Block, member string) (out []slack.Block, ok bool) {
	out = slices.Clone(blocks)
	for i, b := range out {
		in, isInput := b.(*slack.InputBlock)
		if !isInput || !isReceiverBlock(in.BlockID) {
			continue
		}
		sel, isSelect := in.Element.(*slack.SelectBlockElement)
		if !isSelect {
			return nil, false
		}
		el, moved := *sel, *in
		el.InitialUser = member
		moved.BlockID, moved.Element = receiverBlockAfter(in.BlockID), &el
		out[i] = &moved
		return out, true
	}
	return nil, false
}

// isReceiverBlock reports whether id is the block_id of the form's receiver's select: FieldReceiver
// as the form opens, FieldReceiver.<n> after the n-th Pick.
func isReceiverBlock(id string) bool {
	n, ok := strings.CutPrefix(id, rapport.FieldReceiver+".")
	if !ok {
		return id == rapport.FieldReceiver
	}
	_, err := strconv.Atoi(n)
	return err == nil
}

// receiverBlockAfter is the block_id the receiver's select takes when Pick sets it.
func receiverBlockAfter(id string) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, rapport.FieldReceiver+"."))
	return rapport.FieldReceiver + "." + strconv.Itoa(n+1)
}

// receiverBlock is the block_id of the receiver's select in the submitted form state: where its
// value is, and where a field error about it goes.
func receiverBlock(state *slack.ViewState) string {
	if state != nil {
		for id := range state.Values {
			if isReceiverBlock(id) {
				return id
			}
		}
	}
	return rapport.FieldReceiver
}

// formErrors is the ack of errs on the referral form whose state this is: an error about the
// receiver goes under its select, wherever Pick moved it.
func formErrors(errs rapport.FieldErrors, state *slack.ViewState) any {
	if id := receiverBlock(state); id != rapport.FieldReceiver {
		if msg, ok := errs[rapport.FieldReceiver]; ok {
			delete(errs, rapport.FieldReceiver)
			errs[id] = msg
		}
	}
	return bot.FieldErrorsAck(errs)
}
